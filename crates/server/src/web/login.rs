//! The login pages (R-AUTH-1): identify → password → (first time: choose a
//! password) → (new terms: accept) → key-card code → My nyckel or the
//! provider. Each handler parses the form and the cookies, calls the
//! service's step (`nyckel_service::login`, which owns the flow and its
//! transaction) and renders what it returns.

use std::net::SocketAddr;

use axum::Form;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use nyckel_core::secret::SecretString;
use nyckel_service::{
    Continuation, Ending, LoggedIn, LoginError, LoginView, Outcome, Problem, Shown,
};
use serde::Deserialize;

use nyckel_i18n::{Arg, Tr};

use super::{
    AppState, DEVICE_COOKIE, FLOW_COOKIE, PageLang, SESSION_COOKIE, WebError, cookie,
    key_card_hint, message, new_card_hint, pages, removal, render, support_hint,
};

impl From<LoginError> for WebError {
    fn from(e: LoginError) -> Self {
        match e {
            LoginError::Expired => WebError::FlowExpired,
            LoginError::Csrf => WebError::Csrf,
            LoginError::Moved => WebError::FlowMoved,
            LoginError::Service(e) => WebError::Service(e),
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct Restart {
    restart: Option<String>,
}

fn to_login() -> Response {
    Redirect::to("/login").into_response()
}

fn flow_cookie<'j>(s: &AppState, jar: &'j CookieJar) -> Option<&'j str> {
    s.cookie_value(jar, FLOW_COOKIE)
}

/// GET /login: shows the step the flow is at (starting one if needed).
pub(crate) async fn show(
    State(s): State<AppState>,
    lang: PageLang,
    jar: CookieJar,
    Query(q): Query<Restart>,
) -> Response {
    let result = async {
        let (token, outcome) = s
            .nyckel
            .login_page(flow_cookie(&s, &jar), q.restart.is_some())
            .await?;
        let jar = match token {
            Some(t) => jar.add(cookie(&s, FLOW_COOKIE, t, s.nyckel.config.flow_ttl_secs)),
            None => jar,
        };
        let page = respond(&s, &lang, outcome, jar.clone(), "");
        Ok::<_, WebError>((jar, page).into_response())
    }
    .await;
    result.unwrap_or_else(|e| e.into_page(&s, lang.tr()))
}

/// Renders what a step returned. `typed_name` is the login name to show
/// again when it could not be parsed.
fn respond(
    s: &AppState,
    lang: &PageLang,
    outcome: Outcome,
    jar: CookieJar,
    typed_name: &str,
) -> Response {
    match outcome {
        Outcome::Elsewhere | Outcome::Next => to_login(),
        Outcome::Show(shown) => page(s, lang, &shown, None, StatusCode::OK, ""),
        Outcome::Again(shown, problem) => {
            let t = lang.tr_for(shown.ui_locales);
            let (error, status) = problem_text(t, &problem);
            let name: String = typed_name.chars().take(64).collect();
            page(s, lang, &shown, Some(error), status, &name)
        }
        Outcome::Rekeyed { flow_cookie, shown } => {
            let jar = jar.add(cookie(
                s,
                FLOW_COOKIE,
                flow_cookie,
                s.nyckel.config.flow_ttl_secs,
            ));
            match shown {
                Some(shown) => {
                    (jar, page(s, lang, &shown, None, StatusCode::OK, "")).into_response()
                }
                None => (jar, to_login()).into_response(),
            }
        }
        Outcome::Ended(ending) => ended(s, lang.tr(), ending),
        Outcome::PasswordChanged => (
            jar.remove(removal(s, FLOW_COOKIE)),
            Redirect::to("/my?done=password"),
        )
            .into_response(),
        // Only the key-card step logs in, and it goes on itself
        // ([`logged_in`], which needs the client's address).
        Outcome::LoggedIn(_) => to_login(),
    }
}

/// The message for a form shown again, and its status.
fn problem_text(t: Tr, p: &Problem) -> (String, StatusCode) {
    let bad = StatusCode::BAD_REQUEST;
    match p {
        Problem::InvalidName(_) => (t.get("problem-login-name"), bad),
        Problem::WrongUserOrPassword => (
            t.get("problem-wrong-user-or-password"),
            StatusCode::UNAUTHORIZED,
        ),
        Problem::PasswordsDiffer => (t.get("problem-passwords-differ"), bad),
        Problem::PasswordUnchanged => (t.get("problem-password-unchanged"), bad),
        Problem::PasswordRejected(r) => (password_rejection(t, r), bad),
        Problem::TermsNotAccepted => (t.get("problem-terms"), bad),
        Problem::ReportInvalid => (t.get("report-invalid"), bad),
        Problem::Paused { until } => (
            t.arg(
                "problem-paused",
                "until",
                t.date_time(until.saturating_mul(1000)),
            ),
            StatusCode::TOO_MANY_REQUESTS,
        ),
        Problem::WrongCode { key, remaining } => (
            if *remaining == 1 {
                t.arg("problem-wrong-code-last", "key", key)
            } else {
                t.arg("problem-wrong-code", "key", key)
            },
            StatusCode::UNAUTHORIZED,
        ),
    }
}

/// Why a chosen password was refused, in the holder's language.
pub(crate) fn password_rejection(t: Tr, r: &nyckel_core::password::PasswordRejection) -> String {
    use nyckel_core::password::PasswordRejection as R;
    let n =
        |id: &str, name: &str, v: usize| t.count(id, name, i64::try_from(v).unwrap_or(i64::MAX));
    match r {
        R::TooShort { min } => n("password-too-short", "min", *min),
        R::TooLong { max } => n("password-too-long", "max", *max),
        R::ContainsUserId => t.get("password-contains-user-id"),
        R::ContainsCpr => t.get("password-contains-cpr"),
        R::ContainsAlias => t.get("password-contains-alias"),
        R::ContainsWord { word } => t.arg("password-contains-word", "word", word),
        R::TenDigits => t.get("password-ten-digits"),
        R::Common => t.get("password-common"),
        R::CommonWithDecoration { word } => t.arg("password-common-word", "word", word),
        R::KeyboardWalk => t.get("password-keyboard-walk"),
        R::LeadingOrTrailingSpace => t.get("password-space"),
        R::ControlCharacter => t.get("password-control"),
        // Non-exhaustive: a rule added later without its message is a
        // catalog test failure, not a blank page.
        #[allow(unreachable_patterns)]
        _ => t.get("password-common"),
    }
}

/// Renders a step's page, with an error message if one is given.
fn page(
    s: &AppState,
    lang: &PageLang,
    shown: &Shown,
    error: Option<String>,
    status: StatusCode,
    typed_name: &str,
) -> Response {
    let t = lang.tr_for(shown.ui_locales);
    let phone = s.phone();
    let here = "/login";
    let csrf = shown.csrf.as_str();
    let service = shown.service.as_deref();
    let lost_card = shown.lost_card;
    let change_password = shown.change_password;
    let next = error.as_ref().map(|_| match shown.view {
        LoginView::KeyCode { .. } => key_card_hint(s, t),
        _ => support_hint(s, t),
    });
    match &shown.view {
        // A name that could not be parsed is shown again, without a hint.
        LoginView::Identify => render(
            status,
            &pages::Identify {
                support_phone: phone,
                t,
                here,
                csrf,
                service,
                lost_card,
                change_password,
                login_name: typed_name,
                error,
                next: None,
            },
        ),
        LoginView::Password { login_name } => render(
            status,
            &pages::Password {
                support_phone: phone,
                t,
                here,
                csrf,
                service,
                lost_card,
                change_password,
                login_name,
                error,
                next,
            },
        ),
        LoginView::NewPassword { login_name } => {
            let policy = nyckel_core::password::PasswordPolicy::default();
            let rule_length = t.with(
                "choose-rule-length",
                &[
                    (
                        "min",
                        Arg::Number(i64::try_from(policy.min_len).unwrap_or(8)),
                    ),
                    (
                        "max",
                        Arg::Number(i64::try_from(policy.max_len).unwrap_or(64)),
                    ),
                ],
            );
            render(
                status,
                &pages::ChoosePassword {
                    support_phone: phone,
                    t,
                    here,
                    csrf,
                    service,
                    lost_card,
                    change_password,
                    login_name,
                    rule_length,
                    error,
                    next: None,
                },
            )
        }
        LoginView::Terms {
            name,
            address,
            reported,
        } => render(
            status,
            &pages::Terms {
                support_phone: phone,
                t,
                here,
                csrf,
                service,
                lost_card,
                change_password,
                version: nyckel_core::terms::VERSION,
                paragraphs: terms_paragraphs(t),
                name: name.clone(),
                address: address.clone(),
                reported: *reported,
                error,
                next: None,
            },
        ),
        LoginView::Consent { request, client } => render(
            status,
            &pages::Consent {
                support_phone: phone,
                t,
                here,
                csrf,
                client_name: client.name.clone(),
                shared: super::oidc::shared_items(t, request, client),
                error,
            },
        ),
        LoginView::LostCard(preview) => {
            let (follows, button) = super::my::card_block_follows(t, preview, false);
            render(
                status,
                &pages::LostCard {
                    support_phone: phone,
                    t,
                    here,
                    csrf,
                    follows,
                    button,
                },
            )
        }
        LoginView::KeyCode {
            key_number,
            card_id,
            pending_card,
        } => render(
            status,
            &pages::KeyCard {
                support_phone: phone,
                t,
                here,
                csrf,
                service,
                lost_card,
                change_password,
                key_number: key_number.to_string(),
                card_id: card_id.clone(),
                pending_card: pending_card.clone(),
                error,
                next,
            },
        ),
    }
}

/// The rules of the current terms of use ([`nyckel_core::terms::VERSION`]),
/// `terms-v1-rule-1`… in the catalogs.
fn terms_paragraphs(t: Tr) -> Vec<String> {
    (1..=nyckel_core::terms::RULES)
        .map(|i| t.get(&format!("terms-v{}-rule-{i}", nyckel_core::terms::VERSION)))
        .collect()
}

/// The page for a login that ended without a session.
fn ended(s: &AppState, t: Tr, ending: Ending) -> Response {
    let say = |status, heading: &str, text: String, next| {
        message(s, t, status, &t.get(heading), text, next, false)
    };
    match ending {
        Ending::Throttled => say(
            StatusCode::TOO_MANY_REQUESTS,
            "ended-throttled-heading",
            t.get("ended-throttled-text"),
            Some(nyckel_i18n::Markup::text(&t.get("ended-throttled-next"))),
        ),
        Ending::IdentityBlocked => say(
            StatusCode::FORBIDDEN,
            "ended-identity-blocked-heading",
            t.get("ended-identity-blocked-text"),
            Some(support_hint(s, t)),
        ),
        Ending::NoUsableCard { blocked } => say(
            StatusCode::FORBIDDEN,
            "ended-no-card-heading",
            t.get(if blocked {
                "ended-no-card-blocked-text"
            } else {
                "ended-no-card-used-text"
            }),
            Some(new_card_hint(s, t)),
        ),
        Ending::CardBlocked => say(
            StatusCode::FORBIDDEN,
            "ended-card-blocked-heading",
            t.get("ended-card-blocked-text"),
            Some(new_card_hint(s, t)),
        ),
        Ending::Superseded(key) => say(
            StatusCode::CONFLICT,
            "ended-superseded-heading",
            t.arg("ended-superseded-text", "key", key),
            Some(key_card_hint(s, t)),
        ),
        Ending::ActivationCodeUsed => say(
            StatusCode::CONFLICT,
            "ended-activation-used-heading",
            t.get("ended-activation-used-text"),
            Some(support_hint(s, t)),
        ),
        // Ending is non-exhaustive only for later factors.
        #[allow(unreachable_patterns)]
        _ => say(
            StatusCode::FORBIDDEN,
            "ended-other-heading",
            t.get("ended-other-text"),
            Some(support_hint(s, t)),
        ),
    }
}

/// After the last factor: the session and device cookies, then what the
/// flow continues into.
async fn logged_in(
    s: &AppState,
    jar: CookieJar,
    done: LoggedIn,
    ip: &str,
) -> Result<Response, WebError> {
    let jar = jar
        .add(cookie(
            s,
            SESSION_COOKIE,
            done.session_cookie,
            s.nyckel.config.session_ttl_secs,
        ))
        .add(cookie(s, DEVICE_COOKIE, done.device_cookie, 400 * 86_400));
    match done.continuation {
        // The login served a provider: go on with its request, in a flow
        // of its own (new id and CSRF token).
        Continuation::Oidc(req) => {
            let l = done.login;
            super::oidc::continue_authorization(
                s,
                jar,
                *req,
                &l.identity_id,
                l.auth_time,
                l.methods,
                l.sid,
                ip,
            )
            .await
        }
        // The first login: "your nyckel is ready", and what comes next.
        _ if done.activated => Ok((
            jar.remove(removal(s, FLOW_COOKIE)),
            Redirect::to("/my?done=ready"),
        )
            .into_response()),
        _ => Ok((jar.remove(removal(s, FLOW_COOKIE)), Redirect::to("/my")).into_response()),
    }
}

#[derive(Deserialize)]
pub(crate) struct IdentifyForm {
    csrf: String,
    login_name: String,
}

pub(crate) async fn identify(
    State(s): State<AppState>,
    lang: PageLang,
    jar: CookieJar,
    Form(f): Form<IdentifyForm>,
) -> Response {
    async {
        let outcome = s
            .nyckel
            .identify_step(flow_cookie(&s, &jar), &f.csrf, &f.login_name)
            .await?;
        Ok::<_, WebError>(respond(&s, &lang, outcome, jar, &f.login_name))
    }
    .await
    .unwrap_or_else(|e| e.into_page(&s, lang.tr()))
}

#[derive(Deserialize)]
pub(crate) struct PasswordForm {
    csrf: String,
    password: String,
}

pub(crate) async fn password(
    State(s): State<AppState>,
    lang: PageLang,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    jar: CookieJar,
    Form(f): Form<PasswordForm>,
) -> Response {
    async {
        let ip = peer.ip();
        let throttled = || s.ip_limiter.check_key(&ip).is_err();
        let outcome = s
            .nyckel
            .password_step(
                flow_cookie(&s, &jar),
                &f.csrf,
                f.password,
                s.cookie_value(&jar, DEVICE_COOKIE),
                &ip.to_string(),
                throttled,
            )
            .await?;
        Ok::<_, WebError>(respond(&s, &lang, outcome, jar, ""))
    }
    .await
    .unwrap_or_else(|e| e.into_page(&s, lang.tr()))
}

#[derive(Deserialize)]
pub(crate) struct NewPasswordForm {
    csrf: String,
    new_password: String,
    confirm: String,
}

pub(crate) async fn new_password(
    State(s): State<AppState>,
    lang: PageLang,
    jar: CookieJar,
    Form(f): Form<NewPasswordForm>,
) -> Response {
    async {
        let new = SecretString::new(f.new_password);
        let outcome = s
            .nyckel
            .new_password_step(flow_cookie(&s, &jar), &f.csrf, &new, &f.confirm)
            .await?;
        Ok::<_, WebError>(respond(&s, &lang, outcome, jar, ""))
    }
    .await
    .unwrap_or_else(|e| e.into_page(&s, lang.tr()))
}

#[derive(Deserialize)]
pub(crate) struct TermsForm {
    csrf: String,
    accept: Option<String>,
}

pub(crate) async fn terms(
    State(s): State<AppState>,
    lang: PageLang,
    jar: CookieJar,
    Form(f): Form<TermsForm>,
) -> Response {
    async {
        let accepted = f.accept.as_deref() == Some("yes");
        let outcome = s
            .nyckel
            .terms_step(flow_cookie(&s, &jar), &f.csrf, accepted)
            .await?;
        Ok::<_, WebError>(respond(&s, &lang, outcome, jar, ""))
    }
    .await
    .unwrap_or_else(|e| e.into_page(&s, lang.tr()))
}

#[derive(Deserialize)]
pub(crate) struct ReportForm {
    pub(crate) csrf: String,
    pub(crate) note: String,
}

pub(crate) async fn report(
    State(s): State<AppState>,
    lang: PageLang,
    jar: CookieJar,
    Form(f): Form<ReportForm>,
) -> Response {
    async {
        let outcome = s
            .nyckel
            .report_step(flow_cookie(&s, &jar), &f.csrf, &f.note)
            .await?;
        Ok::<_, WebError>(respond(&s, &lang, outcome, jar, ""))
    }
    .await
    .unwrap_or_else(|e| e.into_page(&s, lang.tr()))
}

#[derive(Deserialize)]
pub(crate) struct KeyCardForm {
    csrf: String,
    code: String,
}

pub(crate) async fn keycard(
    State(s): State<AppState>,
    lang: PageLang,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    jar: CookieJar,
    Form(f): Form<KeyCardForm>,
) -> Response {
    async {
        let ip = peer.ip().to_string();
        let outcome = s
            .nyckel
            .key_code_step(
                flow_cookie(&s, &jar),
                &f.csrf,
                &f.code,
                s.cookie_value(&jar, DEVICE_COOKIE),
                &ip,
            )
            .await?;
        if let Outcome::LoggedIn(done) = outcome {
            return logged_in(&s, jar, *done, &ip).await;
        }
        Ok::<_, WebError>(respond(&s, &lang, outcome, jar, ""))
    }
    .await
    .unwrap_or_else(|e| e.into_page(&s, lang.tr()))
}

#[derive(Deserialize)]
pub(crate) struct CsrfForm {
    pub(crate) csrf: String,
}

/// The holder has received a new key card and wants to be asked from it.
pub(crate) async fn new_card(
    State(s): State<AppState>,
    lang: PageLang,
    jar: CookieJar,
    Form(f): Form<CsrfForm>,
) -> Response {
    async {
        let outcome = s
            .nyckel
            .new_card_step(flow_cookie(&s, &jar), &f.csrf)
            .await?;
        Ok::<_, WebError>(respond(&s, &lang, outcome, jar, ""))
    }
    .await
    .unwrap_or_else(|e| e.into_page(&s, lang.tr()))
}

/// "Cancel and go back to <service>": the login ends, and the provider
/// is told the holder declined (`access_denied`); a login for My nyckel
/// goes back to the front page.
pub(crate) async fn cancel(
    State(s): State<AppState>,
    lang: PageLang,
    jar: CookieJar,
    Form(f): Form<CsrfForm>,
) -> Response {
    async {
        let continuation = s
            .nyckel
            .cancel_login(flow_cookie(&s, &jar), &f.csrf)
            .await?;
        let jar = jar.remove(removal(&s, FLOW_COOKIE));
        Ok::<_, WebError>(match continuation {
            Continuation::Oidc(req) => {
                let e = nyckel_oidc::error::OAuthError::new(
                    nyckel_oidc::error::ErrorCode::AccessDenied,
                    "the person cancelled the login",
                );
                (jar, super::oidc::redirect_error(&s, &req, &e)).into_response()
            }
            Continuation::ChangePassword => (jar, Redirect::to("/my")).into_response(),
            _ => (jar, Redirect::to("/")).into_response(),
        })
    }
    .await
    .unwrap_or_else(|e| e.into_page(&s, lang.tr()))
}

/// GET /lost-card: "Lost your key card?" — a flow that asks for the user
/// ID and the password only, then for the block of the card.
pub(crate) async fn lost_card_start(
    State(s): State<AppState>,
    lang: PageLang,
    jar: CookieJar,
) -> Response {
    async {
        let token = s.nyckel.start_lost_card(flow_cookie(&s, &jar)).await?;
        let jar = jar.add(cookie(
            &s,
            FLOW_COOKIE,
            token,
            s.nyckel.config.flow_ttl_secs,
        ));
        Ok::<_, WebError>((jar, to_login()).into_response())
    }
    .await
    .unwrap_or_else(|e| e.into_page(&s, lang.tr()))
}

/// POST /login/lost-card: the holder confirms the block of the lost card.
pub(crate) async fn lost_card(
    State(s): State<AppState>,
    lang: PageLang,
    jar: CookieJar,
    Form(f): Form<CsrfForm>,
) -> Response {
    async {
        let Some(r) = s
            .nyckel
            .lost_card_step(flow_cookie(&s, &jar), &f.csrf)
            .await?
        else {
            return Ok(to_login());
        };
        let jar = jar.remove(removal(&s, FLOW_COOKIE));
        let page = super::my::card_outcome(&s, lang.tr(), r, true, false);
        Ok::<_, WebError>((jar, page).into_response())
    }
    .await
    .unwrap_or_else(|e| e.into_page(&s, lang.tr()))
}

/// POST /my/password: "Change password" in My nyckel starts a flow that
/// asks for the current password and a key-card code, then the new one.
pub(crate) async fn change_password_start(
    State(s): State<AppState>,
    lang: PageLang,
    jar: CookieJar,
    Form(f): Form<CsrfForm>,
) -> Response {
    async {
        let h = super::my::holder_for_post(&s, &jar, &f.csrf).await?;
        let token = s
            .nyckel
            .start_change_password(flow_cookie(&s, &jar), &h)
            .await?;
        let jar = jar.add(cookie(
            &s,
            FLOW_COOKIE,
            token,
            s.nyckel.config.flow_ttl_secs,
        ));
        Ok::<_, WebError>((jar, to_login()).into_response())
    }
    .await
    .unwrap_or_else(|e| e.into_page(&s, lang.tr()))
}
