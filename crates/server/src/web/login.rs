//! The login flow (R-AUTH-1): identify → password → (first time: choose a
//! password) → (new terms: accept) → key-card code → My nyckel.
//!
//! The flow's state lives in the database under the SHA-256 of an opaque
//! cookie; each step is checked server-side against the state, so a form
//! posted out of order only shows the step the flow is really at.

use std::net::SocketAddr;

use axum::Form;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use nyckel_core::alias::LoginName;
use nyckel_core::assurance::AuthMethod;
use nyckel_core::audit::NewAuditEvent;
use nyckel_core::lockout::Trust;
use nyckel_core::secret::{SecretString, ct_eq};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{
    AppState, DEVICE_COOKIE, FLOW_COOKIE, SESSION_COOKIE, WebError, cookie, key_card_hint, message,
    pages, removal, render, support_hint,
};
use nyckel_core::credential::{CredentialKind, CredentialStatus};
use nyckel_oidc::request::AuthorizationRequest;
use nyckel_service::{
    Challenge, KeyCardStep, LoginEntry, Nyckel, PasswordStep, ServiceError, cookie_hash,
    random_token,
};
use nyckel_store::{CredentialRow, Tx};

/// A short public id of a session (the `sid` claim): not the cookie.
pub(crate) fn session_id(session_cookie: &str) -> String {
    sid_of_hash(&cookie_hash(session_cookie))
}

/// [`session_id`] from the session's key (the cookie's SHA-256).
pub(crate) fn sid_of_hash(session_hash: &str) -> String {
    session_hash[..22].to_owned()
}

/// Where a login flow is.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "step", rename_all = "kebab-case")]
pub(crate) enum Step {
    Identify,
    /// `identity_id` is `None` for a name that matches nobody: the flow goes
    /// on exactly as for a real holder, so that nobody learns who exists.
    Password {
        identity_id: Option<String>,
        login_name: String,
    },
    ChoosePassword {
        identity_id: String,
        login_name: String,
    },
    Terms {
        identity_id: String,
        reported: bool,
    },
    /// `challenge` is the key shown (already consumed); `None` until shown.
    KeyCard {
        identity_id: String,
        challenge: Option<Challenge>,
        prefer_new: bool,
    },
    /// Logged in; the holder is asked whether a provider may have their data.
    Consent {
        identity_id: String,
        auth_time: i64,
        methods: Vec<AuthMethod>,
        sid: Option<String>,
    },
}

pub(crate) struct Flow {
    pub(crate) id_hash: String,
    pub(crate) csrf: String,
    pub(crate) step: Step,
    /// The OpenID authorization request this login serves, if any.
    pub(crate) authz: Option<AuthorizationRequest>,
    /// The state as it was read from (or last written to) the database: a
    /// step moves the flow on only from this state (compare-and-set), so
    /// that no step succeeds twice for one flow, however many requests
    /// carry it at once.
    loaded: String,
}

/// What is stored for a flow.
#[derive(Deserialize)]
struct FlowState {
    #[serde(flatten)]
    step: Step,
    #[serde(default)]
    authz: Option<AuthorizationRequest>,
}

#[derive(Deserialize)]
pub(crate) struct Restart {
    restart: Option<String>,
}

async fn load(s: &AppState, jar: &CookieJar) -> Result<Option<Flow>, WebError> {
    if s.cookie_value(jar, FLOW_COOKIE).is_none() {
        return Ok(None);
    }
    let mut tx = s.nyckel.store.read().await?;
    load_in(s, &mut tx, jar).await
}

/// The flow of the cookie, read on the caller's connection.
async fn load_in(s: &AppState, tx: &mut Tx, jar: &CookieJar) -> Result<Option<Flow>, WebError> {
    let Some(c) = s.cookie_value(jar, FLOW_COOKIE) else {
        return Ok(None);
    };
    let id_hash = cookie_hash(c);
    let row = tx.find_flow(&id_hash, s.nyckel.now()).await?;
    let Some(row) = row else { return Ok(None) };
    match serde_json::from_str::<FlowState>(&row.state) {
        Ok(state) => Ok(Some(Flow {
            id_hash,
            csrf: row.csrf,
            step: state.step,
            authz: state.authz,
            loaded: row.state,
        })),
        Err(_) => Ok(None),
    }
}

/// The flow a form belongs to, checking its CSRF token.
pub(crate) async fn load_for_post(
    s: &AppState,
    jar: &CookieJar,
    csrf: &str,
) -> Result<Flow, WebError> {
    let mut tx = s.nyckel.store.read().await?;
    load_for_post_in(s, &mut tx, jar, csrf).await
}

/// [`load_for_post`] on the caller's connection.
async fn load_for_post_in(
    s: &AppState,
    tx: &mut Tx,
    jar: &CookieJar,
    csrf: &str,
) -> Result<Flow, WebError> {
    let flow = load_in(s, tx, jar).await?.ok_or(WebError::FlowExpired)?;
    if !ct_eq(flow.csrf.as_bytes(), csrf.as_bytes()) {
        return Err(WebError::Csrf);
    }
    Ok(flow)
}

async fn start(s: &AppState, jar: CookieJar) -> Result<(CookieJar, Flow), WebError> {
    start_with(s, jar, Step::Identify, None).await
}

/// Starts a flow at `step`, for an authorization request or not.
pub(crate) async fn start_with(
    s: &AppState,
    jar: CookieJar,
    step: Step,
    authz: Option<AuthorizationRequest>,
) -> Result<(CookieJar, Flow), WebError> {
    // Replacing a flow deletes it and, if it was waiting for a key-card code,
    // counts that in one transaction; a fresh start is one statement.
    let mut tx = match s.cookie_value(&jar, FLOW_COOKIE) {
        Some(_) => s.nyckel.store.write().await?,
        None => s.nyckel.store.conn().await?,
    };
    if let Some(old) = s.cookie_value(&jar, FLOW_COOKIE)
        && let Some(state) = tx.delete_flow(&cookie_hash(old)).await?
    {
        count_if_abandoned(&s.nyckel, &mut tx, &state).await?;
    }
    let mut flow = Flow {
        id_hash: String::new(),
        csrf: String::new(),
        step,
        authz,
        loaded: String::new(),
    };
    let token = insert_keyed(s, &mut tx, &mut flow).await?;
    tx.commit().await?;
    let ttl = s.nyckel.config.flow_ttl_secs;
    Ok((jar.add(cookie(s, FLOW_COOKIE, token, ttl)), flow))
}

/// Stores `flow` under a new id and CSRF token; returns the cookie value.
async fn insert_keyed(s: &AppState, tx: &mut Tx, flow: &mut Flow) -> Result<String, WebError> {
    let token = random_token();
    flow.id_hash = cookie_hash(&token);
    flow.csrf = random_token();
    flow.loaded = state_json(flow);
    let now = s.nyckel.now();
    let ttl = s.nyckel.config.flow_ttl_secs;
    tx.insert_flow(
        &flow.id_hash,
        &flow.csrf,
        &flow.loaded,
        now,
        now + ttl * 1000,
    )
    .await?;
    Ok(token)
}

/// Re-keys the flow after the holder proved a factor: the old id and CSRF
/// token end (only if the flow is still in the state it was read in) and
/// the flow goes on under new ones, which only this response's browser
/// gets. A flow cookie planted in the holder's browser, or copied from
/// it before, is worth nothing from here on. Returns the jar with the new
/// cookie.
async fn rekey_in(
    s: &AppState,
    tx: &mut Tx,
    jar: CookieJar,
    flow: &mut Flow,
) -> Result<CookieJar, WebError> {
    if !tx.delete_flow_if(&flow.id_hash, &flow.loaded).await? {
        return Err(WebError::FlowMoved);
    }
    let token = insert_keyed(s, tx, flow).await?;
    let ttl = s.nyckel.config.flow_ttl_secs;
    Ok(jar.add(cookie(s, FLOW_COOKIE, token, ttl)))
}

/// A flow that ends while a key-card challenge is shown and unanswered
/// (restarted, or expired: see `web::sweep_expired`) counts as a wrong code.
pub(crate) async fn count_if_abandoned(
    nyckel: &Nyckel,
    tx: &mut Tx,
    state: &str,
) -> Result<(), ServiceError> {
    let Ok(FlowState {
        step:
            Step::KeyCard {
                identity_id,
                challenge: Some(challenge),
                ..
            },
        ..
    }) = serde_json::from_str::<FlowState>(state)
    else {
        return Ok(());
    };
    nyckel
        .count_unanswered_challenge(tx, &identity_id, &challenge)
        .await
}

fn state_json(flow: &Flow) -> String {
    #[derive(Serialize)]
    struct Ref<'a> {
        #[serde(flatten)]
        step: &'a Step,
        #[serde(skip_serializing_if = "Option::is_none")]
        authz: &'a Option<AuthorizationRequest>,
    }
    serde_json::to_string(&Ref {
        step: &flow.step,
        authz: &flow.authz,
    })
    .unwrap_or_else(|_| "{\"step\":\"identify\"}".into())
}

/// Saves the flow's step: one statement, so no transaction of its own.
pub(crate) async fn save(s: &AppState, flow: &mut Flow) -> Result<(), WebError> {
    let mut tx = s.nyckel.store.conn().await?;
    save_in(&mut tx, flow).await
}

/// Moves the flow on from the state it was read in, or fails with
/// [`WebError::FlowMoved`] if another request moved it first (the caller's
/// transaction is then dropped, and rolled back, with everything it did).
async fn save_in(tx: &mut Tx, flow: &mut Flow) -> Result<(), WebError> {
    let next = state_json(flow);
    if !tx.replace_flow(&flow.id_hash, &flow.loaded, &next).await? {
        return Err(WebError::FlowMoved);
    }
    flow.loaded = next;
    Ok(())
}

/// Ends the flow, once: [`WebError::FlowMoved`] if another request moved
/// or ended it first.
pub(crate) async fn finish(s: &AppState, flow: &Flow) -> Result<(), WebError> {
    let mut tx = s.nyckel.store.conn().await?;
    finish_in(&mut tx, flow).await
}

async fn finish_in(tx: &mut Tx, flow: &Flow) -> Result<(), WebError> {
    if !tx.delete_flow_if(&flow.id_hash, &flow.loaded).await? {
        return Err(WebError::FlowMoved);
    }
    Ok(())
}

fn to_login() -> Response {
    Redirect::to("/login").into_response()
}

/// GET /login: shows the step the flow is at (starting one if needed).
pub(crate) async fn show(
    State(s): State<AppState>,
    jar: CookieJar,
    Query(q): Query<Restart>,
) -> Response {
    let result = async {
        let existing = if q.restart.is_some() {
            None
        } else {
            load(&s, &jar).await?
        };
        let (jar, mut flow) = match existing {
            Some(f) => (jar, f),
            None => start(&s, jar).await?,
        };
        let page = render_step(&s, &mut flow, None, StatusCode::OK).await?;
        Ok::<_, WebError>((jar, page).into_response())
    }
    .await;
    result.unwrap_or_else(|e| e.into_page(&s))
}

/// Renders the current step, with an error message if one is given.
async fn render_step(
    s: &AppState,
    flow: &mut Flow,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let phone = s.phone();
    let next = error.as_ref().map(|_| match flow.step {
        Step::KeyCard { .. } => key_card_hint(s),
        _ => support_hint(s),
    });
    let csrf = flow.csrf.clone();
    Ok(match &mut flow.step {
        Step::Identify => render(
            status,
            &pages::Identify {
                support_phone: phone,
                csrf: &csrf,
                login_name: "",
                error,
                next,
            },
        ),
        Step::Password { login_name, .. } => render(
            status,
            &pages::Password {
                support_phone: phone,
                csrf: &csrf,
                login_name,
                error,
                next,
            },
        ),
        Step::ChoosePassword { login_name, .. } => render(
            status,
            &pages::ChoosePassword {
                support_phone: phone,
                csrf: &csrf,
                login_name,
                error,
                next: None,
            },
        ),
        Step::Terms {
            identity_id,
            reported,
        } => {
            let mut tx = s.nyckel.store.read().await?;
            let identity = tx.find_identity(identity_id).await?;
            let person = match &identity {
                Some(i) => tx.find_person(&i.person_id).await?,
                None => None,
            };
            tx.commit().await?;
            let Some(person) = person else {
                return Err(WebError::FlowExpired);
            };
            render(
                status,
                &pages::Terms {
                    support_phone: phone,
                    csrf: &csrf,
                    version: nyckel_core::terms::VERSION,
                    paragraphs: nyckel_core::terms::PARAGRAPHS,
                    name: person.record.full_name(),
                    address: person.record.address.clone(),
                    reported: *reported,
                    error,
                    next: None,
                },
            )
        }
        Step::Consent { .. } => {
            let Some(req) = &flow.authz else {
                return Err(WebError::FlowExpired);
            };
            let Some(client) = s.nyckel.find_active_client(&req.client_id).await? else {
                return Err(WebError::FlowExpired);
            };
            let shared = super::oidc::shared_items(req, &client);
            render(
                status,
                &pages::Consent {
                    support_phone: phone,
                    csrf: &csrf,
                    client_name: client.name.clone(),
                    shared,
                    error,
                },
            )
        }
        Step::KeyCard {
            identity_id,
            challenge,
            prefer_new,
        } => {
            let identity_id = identity_id.clone();
            let needs_key = challenge.is_none();
            // Showing a key writes (the key is consumed, one shown before
            // counts): one write transaction with the flow's move.
            let mut tx = if needs_key {
                s.nyckel.store.write().await?
            } else {
                s.nyckel.store.read().await?
            };
            let cards = tx
                .find_live_credentials(&identity_id, CredentialKind::KeyCard)
                .await?;
            if needs_key {
                let Some(identity) = tx.find_identity(&identity_id).await? else {
                    return Err(WebError::FlowExpired);
                };
                let prefer_new = *prefer_new;
                match s
                    .nyckel
                    .start_key_challenge_in(&mut tx, &identity, &cards, prefer_new)
                    .await?
                {
                    Some(c) => *challenge = Some(c),
                    None => {
                        finish_in(&mut tx, flow).await?;
                        tx.commit().await?;
                        return Ok(no_usable_card(s));
                    }
                }
                save_in(&mut tx, flow).await?;
                tx.commit().await?;
            } else {
                drop(tx);
            }
            let Step::KeyCard {
                challenge: Some(c), ..
            } = &flow.step
            else {
                return Err(WebError::FlowExpired);
            };
            key_card_page(s, &csrf, c, pending_card(&cards, c), error, status)
        }
    })
}

fn no_usable_card(s: &AppState) -> Response {
    message(
        s,
        StatusCode::FORBIDDEN,
        "No usable key card",
        "Your key card is blocked or used up, so nyckel cannot ask you for a code.".into(),
        Some(support_hint(s)),
        false,
    )
}

/// A new card that has arrived but is not yet in use, unless the key
/// shown is already from it.
fn pending_card(credentials: &[CredentialRow], shown: &Challenge) -> Option<String> {
    credentials
        .iter()
        .find(|c| c.kind == CredentialKind::KeyCard && c.status == CredentialStatus::Pending)
        .and_then(|c| c.label.clone())
        .filter(|p| *p != shown.card_id)
}

/// The page that asks for the code of the key shown.
fn key_card_page(
    s: &AppState,
    csrf: &str,
    c: &Challenge,
    pending_card: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let next = error.as_ref().map(|_| key_card_hint(s));
    render(
        status,
        &pages::KeyCard {
            support_phone: s.phone(),
            csrf,
            key_number: c.key_number.to_string(),
            card_id: c.card_id.clone(),
            pending_card,
            error,
            next,
        },
    )
}

#[derive(Deserialize)]
pub(crate) struct IdentifyForm {
    csrf: String,
    login_name: String,
}

pub(crate) async fn identify(
    State(s): State<AppState>,
    jar: CookieJar,
    Form(f): Form<IdentifyForm>,
) -> Response {
    async {
        let mut tx = s.nyckel.store.conn().await?;
        let mut flow = load_for_post_in(&s, &mut tx, &jar, &f.csrf).await?;
        if !matches!(flow.step, Step::Identify | Step::Password { .. }) {
            return Ok(to_login());
        }
        let name = match LoginName::parse(&f.login_name, s.nyckel.today()) {
            Ok(n) => n,
            Err(e) => {
                flow.step = Step::Identify;
                let phone = s.phone();
                let login_name: String = f.login_name.chars().take(64).collect();
                return Ok(render(
                    StatusCode::BAD_REQUEST,
                    &pages::Identify {
                        support_phone: phone,
                        csrf: &flow.csrf,
                        login_name: &login_name,
                        error: Some(capitalise(&e.to_string())),
                        next: None,
                    },
                ));
            }
        };
        let identity = s.nyckel.resolve_login_name_in(&mut tx, &name).await?;
        let shown = match &name {
            LoginName::UserId(u) => u.to_string(),
            LoginName::Cpr(c) => c.masked(),
            LoginName::Alias(a) => a.as_str().to_owned(),
        };
        flow.step = Step::Password {
            identity_id: identity.map(|i| i.id),
            login_name: shown,
        };
        save_in(&mut tx, &mut flow).await?;
        drop(tx);
        // The next step's page at once (no redirect): it needs no database.
        render_step(&s, &mut flow, None, StatusCode::OK).await
    }
    .await
    .unwrap_or_else(|e| e.into_page(&s))
}

#[derive(Deserialize)]
pub(crate) struct PasswordForm {
    csrf: String,
    password: String,
}

pub(crate) async fn password(
    State(s): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    jar: CookieJar,
    Form(f): Form<PasswordForm>,
) -> Response {
    async {
        let mut tx = s.nyckel.store.conn().await?;
        let mut flow = load_for_post_in(&s, &mut tx, &jar, &f.csrf).await?;
        let Step::Password { identity_id, login_name } = flow.step.clone() else { return Ok(to_login()) };
        let device = s.cookie_value(&jar, DEVICE_COOKIE);
        let context = s.nyckel.password_context(&mut tx, identity_id.as_deref(), device).await?;
        // Not held while hashing: the pool is for requests that are not waiting.
        drop(tx);
        let (identity, trust) = (context.identity.as_ref(), context.trust);
        let ip = peer.ip();
        if trust == Trust::Untrusted && s.ip_limiter.check_key(&ip).is_err() {
            return Ok(message(
                &s,
                StatusCode::TOO_MANY_REQUESTS,
                "Too many attempts",
                "There have been too many login attempts from your network. Wait a minute and try again.".into(),
                Some("On a device where you have logged in before, you can log in as usual.".into()),
                false,
            ));
        }
        // Very long input is never a password: refuse without hashing it.
        let input = SecretString::new(if f.password.chars().count() > 128 { String::new() } else { f.password });
        let outcome = s.nyckel.verify_password_step(identity, &context.credentials, &input, trust, &ip.to_string()).await?;
        // A proven factor: the flow moves on under a new id and CSRF token,
        // in one write transaction with what the next step needs.
        let mut tx = s.nyckel.store.write().await?;
        match outcome {
            PasswordStep::Password(identity) if !nyckel_core::terms::must_accept(identity.terms_version) => {
                // Straight on to the key card: show a key and its page now.
                let challenge = s.nyckel.start_key_challenge_in(&mut tx, &identity, &context.credentials, false).await?;
                let Some(challenge) = challenge else {
                    finish_in(&mut tx, &flow).await?;
                    tx.commit().await?;
                    return Ok(no_usable_card(&s));
                };
                flow.step = Step::KeyCard { identity_id: identity.id.clone(), challenge: Some(challenge.clone()), prefer_new: false };
                let jar = rekey_in(&s, &mut tx, jar, &mut flow).await?;
                tx.commit().await?;
                let pending_card = pending_card(&context.credentials, &challenge);
                return Ok((jar, key_card_page(&s, &flow.csrf, &challenge, pending_card, None, StatusCode::OK)).into_response());
            }
            PasswordStep::Password(identity) => {
                flow.step = Step::Terms { identity_id: identity.id, reported: false };
            }
            PasswordStep::ActivationCode(identity) => {
                flow.step = Step::ChoosePassword { identity_id: identity.id, login_name };
            }
            PasswordStep::IdentityBlocked(_) => {
                finish_in(&mut tx, &flow).await?;
                tx.commit().await?;
                return Ok(message(
                    &s,
                    StatusCode::FORBIDDEN,
                    "Your nyckel is blocked",
                    "Your nyckel has been blocked, so you cannot log in with it.".into(),
                    Some(support_hint(&s)),
                    false,
                ));
            }
            PasswordStep::Refused => {
                drop(tx);
                return render_step(&s, &mut flow, Some("Wrong user ID or password.".into()), StatusCode::UNAUTHORIZED).await;
            }
        }
        let jar = rekey_in(&s, &mut tx, jar, &mut flow).await?;
        tx.commit().await?;
        Ok::<_, WebError>((jar, Redirect::to("/login")).into_response())
    }
    .await
    .unwrap_or_else(|e| e.into_page(&s))
}

#[derive(Deserialize)]
pub(crate) struct NewPasswordForm {
    csrf: String,
    new_password: String,
    confirm: String,
}

pub(crate) async fn new_password(
    State(s): State<AppState>,
    jar: CookieJar,
    Form(f): Form<NewPasswordForm>,
) -> Response {
    async {
        let mut flow = load_for_post(&s, &jar, &f.csrf).await?;
        let Step::ChoosePassword { identity_id, .. } = flow.step.clone() else {
            return Ok(to_login());
        };
        let mut tx = s.nyckel.store.read().await?;
        let identity = tx
            .find_identity(&identity_id)
            .await?
            .ok_or(WebError::FlowExpired)?;
        tx.commit().await?;
        let new = SecretString::new(f.new_password);
        if !new.ct_eq(&f.confirm) {
            return render_step(
                &s,
                &mut flow,
                Some("The two passwords are not the same. Type the same password twice.".into()),
                StatusCode::BAD_REQUEST,
            )
            .await;
        }
        // Checked and hashed outside any transaction; stored with the
        // flow's move, so that two posts at once set one password.
        let phc = match s.nyckel.prepare_password(&identity, &new).await? {
            Ok(phc) => phc,
            Err(rejection) => {
                return render_step(
                    &s,
                    &mut flow,
                    Some(rejection.to_string()),
                    StatusCode::BAD_REQUEST,
                )
                .await;
            }
        };
        flow.step = if nyckel_core::terms::must_accept(identity.terms_version) {
            Step::Terms {
                identity_id,
                reported: false,
            }
        } else {
            Step::KeyCard {
                identity_id,
                challenge: None,
                prefer_new: false,
            }
        };
        let mut tx = s.nyckel.store.write().await?;
        save_in(&mut tx, &mut flow).await?;
        s.nyckel.store_password_in(&mut tx, &identity, &phc).await?;
        tx.commit().await?;
        Ok::<_, WebError>(Redirect::to("/login").into_response())
    }
    .await
    .unwrap_or_else(|e| e.into_page(&s))
}

#[derive(Deserialize)]
pub(crate) struct TermsForm {
    csrf: String,
    accept: Option<String>,
}

pub(crate) async fn terms(
    State(s): State<AppState>,
    jar: CookieJar,
    Form(f): Form<TermsForm>,
) -> Response {
    async {
        let mut flow = load_for_post(&s, &jar, &f.csrf).await?;
        let Step::Terms { identity_id, .. } = flow.step.clone() else {
            return Ok(to_login());
        };
        if f.accept.as_deref() != Some("yes") {
            return render_step(
                &s,
                &mut flow,
                Some(
                    "Tick the box to accept the terms of use. Without them you cannot use nyckel."
                        .into(),
                ),
                StatusCode::BAD_REQUEST,
            )
            .await;
        }
        let mut tx = s.nyckel.store.write().await?;
        let identity = tx
            .find_identity(&identity_id)
            .await?
            .ok_or(WebError::FlowExpired)?;
        flow.step = Step::KeyCard {
            identity_id,
            challenge: None,
            prefer_new: false,
        };
        save_in(&mut tx, &mut flow).await?;
        s.nyckel.accept_terms_in(&mut tx, &identity).await?;
        tx.commit().await?;
        Ok::<_, WebError>(Redirect::to("/login").into_response())
    }
    .await
    .unwrap_or_else(|e| e.into_page(&s))
}

#[derive(Deserialize)]
pub(crate) struct ReportForm {
    pub(crate) csrf: String,
    pub(crate) note: String,
}

pub(crate) async fn report(
    State(s): State<AppState>,
    jar: CookieJar,
    Form(f): Form<ReportForm>,
) -> Response {
    async {
        let mut flow = load_for_post(&s, &jar, &f.csrf).await?;
        let Step::Terms { identity_id, .. } = flow.step.clone() else {
            return Ok(to_login());
        };
        let note = f.note.trim();
        if note.is_empty() || note.chars().count() > 1000 {
            return render_step(
                &s,
                &mut flow,
                Some("Describe what is wrong in at most 1000 characters.".into()),
                StatusCode::BAD_REQUEST,
            )
            .await;
        }
        let mut tx = s.nyckel.store.write().await?;
        flow.step = Step::Terms {
            identity_id: identity_id.clone(),
            reported: true,
        };
        save_in(&mut tx, &mut flow).await?;
        record_report_in(&s, &mut tx, &identity_id, note).await?;
        tx.commit().await?;
        Ok::<_, WebError>(Redirect::to("/login").into_response())
    }
    .await
    .unwrap_or_else(|e| e.into_page(&s))
}

async fn record_report_in(
    s: &AppState,
    tx: &mut Tx,
    identity_id: &str,
    note: &str,
) -> Result<(), WebError> {
    let now = s.nyckel.now();
    let identity = tx
        .find_identity(identity_id)
        .await?
        .ok_or(WebError::FlowExpired)?;
    let id = tx
        .insert_register_report(&identity.id, &identity.person_id, note, now)
        .await?;
    tx.append_audit(
        &NewAuditEvent::new(format!("holder:{}", identity.user_id), "register.reported")
            .subject(identity.id.clone())
            .detail(json!({ "report": id })),
        now,
    )
    .await?;
    Ok(())
}

#[derive(Deserialize)]
pub(crate) struct KeyCardForm {
    csrf: String,
    code: String,
}

pub(crate) async fn keycard(
    State(s): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    jar: CookieJar,
    Form(f): Form<KeyCardForm>,
) -> Response {
    async {
        // One write transaction: the flow's move, the code, the card's
        // counters, the session, the audit entry commit together.
        let mut tx = s.nyckel.store.write().await?;
        let mut flow = load_for_post_in(&s, &mut tx, &jar, &f.csrf).await?;
        let Step::KeyCard { identity_id, challenge: Some(challenge), prefer_new } = flow.step.clone() else { return Ok(to_login()) };
        // Claim the flow first: of several posts of one code, one moves it
        // on (on PostgreSQL the others wait here, then find it moved).
        // Unless the code is right, the flow goes on to a new key.
        flow.step = Step::KeyCard { identity_id: identity_id.clone(), challenge: None, prefer_new };
        save_in(&mut tx, &mut flow).await?;
        let identity = tx.find_identity(&identity_id).await?.ok_or(WebError::FlowExpired)?;
        if !identity.status.may_log_in() {
            tx.delete_flow(&flow.id_hash).await?;
            tx.commit().await?;
            return Ok(message(&s, StatusCode::FORBIDDEN, "Your nyckel is blocked", "Your nyckel has been blocked, so you cannot log in with it.".into(), Some(support_hint(&s)), false));
        }
        let ip = peer.ip().to_string();
        let code: String = f.code.chars().take(16).collect();
        let (step, auth) = s.nyckel.check_key_code_in(&mut tx, &identity, &challenge, &code, &[AuthMethod::Password], &ip).await?;
        match (step, auth) {
            (KeyCardStep::Accepted, Some(auth)) => {
                tx.delete_flow(&flow.id_hash).await?;
                let session = random_token();
                let presented = s.cookie_value(&jar, DEVICE_COOKIE).map(str::to_owned);
                let methods = auth.methods().to_vec();
                let auth_time = s.nyckel.now() / 1000;
                let entry = if flow.authz.is_some() { LoginEntry::Provider } else { LoginEntry::MyNyckel };
                let done = s.nyckel.complete_login_in(&mut tx, &identity, auth, &session, presented.as_deref(), &ip, entry).await?;
                tx.commit().await?;
                let jar = jar
                    .add(cookie(&s, SESSION_COOKIE, session.clone(), s.nyckel.config.session_ttl_secs))
                    .add(cookie(&s, DEVICE_COOKIE, done.device, 400 * 86_400));
                match flow.authz.clone() {
                    // The login served a provider: go on with its request,
                    // in a flow of its own (new id and CSRF token).
                    Some(req) => {
                        let sid = Some(session_id(&session));
                        super::oidc::continue_authorization(&s, jar, None, req, &identity_id, auth_time, methods, sid, &ip).await
                    }
                    None => Ok((jar.remove(removal(&s, FLOW_COOKIE)), Redirect::to("/my")).into_response()),
                }
            }
            (KeyCardStep::Blocked, _) => {
                tx.delete_flow(&flow.id_hash).await?;
                tx.commit().await?;
                Ok(message(
                    &s,
                    StatusCode::FORBIDDEN,
                    "Your key card is blocked",
                    "Too many wrong codes were entered, so your key card has been blocked.".into(),
                    Some(support_hint(&s)),
                    false,
                ))
            }
            // Another login showed a key of this card since: this one ends
            // (showing yet another key would end that one in turn).
            (KeyCardStep::Superseded, _) => {
                tx.delete_flow(&flow.id_hash).await?;
                tx.commit().await?;
                Ok(message(
                    &s,
                    StatusCode::CONFLICT,
                    "This login was replaced",
                    format!(
                        "Key {} is no longer valid: you started a newer login in another window, which asked for another key. The key asked for here counts as a wrong code. Go on in the other window, or start again.",
                        challenge.key_number
                    ),
                    Some(key_card_hint(&s)),
                    false,
                ))
            }
            _ => {
                tx.commit().await?;
                let error = format!(
                    "Wrong code for key {}. That key cannot be used again: enter the code for the new key number shown.",
                    challenge.key_number
                );
                render_step(&s, &mut flow, Some(error), StatusCode::UNAUTHORIZED).await
            }
        }
    }
    .await
    .unwrap_or_else(|e| e.into_page(&s))
}

#[derive(Deserialize)]
pub(crate) struct CsrfForm {
    pub(crate) csrf: String,
}

/// The holder has received a new key card and wants to be asked from it.
/// Without a new card on its way the key shown stays: showing another
/// would count this one as a wrong code.
pub(crate) async fn new_card(
    State(s): State<AppState>,
    jar: CookieJar,
    Form(f): Form<CsrfForm>,
) -> Response {
    async {
        let mut flow = load_for_post(&s, &jar, &f.csrf).await?;
        let Step::KeyCard {
            identity_id,
            challenge,
            ..
        } = flow.step.clone()
        else {
            return Ok(to_login());
        };
        let mut tx = s.nyckel.store.write().await?;
        let cards = tx
            .find_live_credentials(&identity_id, CredentialKind::KeyCard)
            .await?;
        let switch = match &challenge {
            Some(c) => pending_card(&cards, c).is_some(),
            None => false,
        };
        if !switch {
            drop(tx);
            return render_step(&s, &mut flow, None, StatusCode::OK).await;
        }
        if let Some(c) = &challenge {
            s.nyckel
                .count_unanswered_challenge(&mut tx, &identity_id, c)
                .await?;
        }
        flow.step = Step::KeyCard {
            identity_id,
            challenge: None,
            prefer_new: true,
        };
        save_in(&mut tx, &mut flow).await?;
        tx.commit().await?;
        Ok::<_, WebError>(Redirect::to("/login").into_response())
    }
    .await
    .unwrap_or_else(|e| e.into_page(&s))
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect::<String>() + ".",
        None => String::new(),
    }
}
