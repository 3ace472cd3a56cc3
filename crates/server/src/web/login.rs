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

use super::{
    AppState, DEVICE_COOKIE, FLOW_COOKIE, SESSION_COOKIE, WebError, cookie, key_card_hint, message,
    pages, removal, render, support_hint,
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
        let page = respond(&s, outcome, jar.clone(), "");
        Ok::<_, WebError>((jar, page).into_response())
    }
    .await;
    result.unwrap_or_else(|e| e.into_page(&s))
}

/// Renders what a step returned. `typed_name` is the login name to show
/// again when it could not be parsed.
fn respond(s: &AppState, outcome: Outcome, jar: CookieJar, typed_name: &str) -> Response {
    match outcome {
        Outcome::Elsewhere | Outcome::Next => to_login(),
        Outcome::Show(shown) => page(s, &shown, None, StatusCode::OK, ""),
        Outcome::Again(shown, problem) => {
            let (error, status) = problem_text(&problem);
            let name: String = typed_name.chars().take(64).collect();
            page(s, &shown, Some(error), status, &name)
        }
        Outcome::Rekeyed { flow_cookie, shown } => {
            let jar = jar.add(cookie(
                s,
                FLOW_COOKIE,
                flow_cookie,
                s.nyckel.config.flow_ttl_secs,
            ));
            match shown {
                Some(shown) => (jar, page(s, &shown, None, StatusCode::OK, "")).into_response(),
                None => (jar, to_login()).into_response(),
            }
        }
        Outcome::Ended(ending) => ended(s, ending),
        // Only the key-card step logs in, and it goes on itself
        // ([`logged_in`], which needs the client's address).
        Outcome::LoggedIn(_) => to_login(),
    }
}

/// The message for a form shown again, and its status.
fn problem_text(p: &Problem) -> (String, StatusCode) {
    match p {
        Problem::InvalidName(e) => (capitalise(e), StatusCode::BAD_REQUEST),
        Problem::WrongUserOrPassword => (
            "Wrong user ID or password.".into(),
            StatusCode::UNAUTHORIZED,
        ),
        Problem::PasswordsDiffer => (
            "The two passwords are not the same. Type the same password twice.".into(),
            StatusCode::BAD_REQUEST,
        ),
        Problem::PasswordRejected(r) => (r.to_string(), StatusCode::BAD_REQUEST),
        Problem::TermsNotAccepted => (
            "Tick the box to accept the terms of use. Without them you cannot use nyckel.".into(),
            StatusCode::BAD_REQUEST,
        ),
        Problem::ReportInvalid => (
            "Describe what is wrong in at most 1000 characters.".into(),
            StatusCode::BAD_REQUEST,
        ),
        Problem::WrongCode(key) => (
            format!(
                "Wrong code for key {key}. That key cannot be used again: enter the code for the new key number shown."
            ),
            StatusCode::UNAUTHORIZED,
        ),
    }
}

/// Renders a step's page, with an error message if one is given.
fn page(
    s: &AppState,
    shown: &Shown,
    error: Option<String>,
    status: StatusCode,
    typed_name: &str,
) -> Response {
    let phone = s.phone();
    let csrf = shown.csrf.as_str();
    let next = error.as_ref().map(|_| match shown.view {
        LoginView::KeyCode { .. } => key_card_hint(s),
        _ => support_hint(s),
    });
    match &shown.view {
        // A name that could not be parsed is shown again, without a hint.
        LoginView::Identify => render(
            status,
            &pages::Identify {
                support_phone: phone,
                csrf,
                login_name: typed_name,
                error,
                next: None,
            },
        ),
        LoginView::Password { login_name } => render(
            status,
            &pages::Password {
                support_phone: phone,
                csrf,
                login_name,
                error,
                next,
            },
        ),
        LoginView::NewPassword { login_name } => render(
            status,
            &pages::ChoosePassword {
                support_phone: phone,
                csrf,
                login_name,
                error,
                next: None,
            },
        ),
        LoginView::Terms {
            name,
            address,
            reported,
        } => render(
            status,
            &pages::Terms {
                support_phone: phone,
                csrf,
                version: nyckel_core::terms::VERSION,
                paragraphs: nyckel_core::terms::PARAGRAPHS,
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
                csrf,
                client_name: client.name.clone(),
                shared: super::oidc::shared_items(request, client),
                error,
            },
        ),
        LoginView::KeyCode {
            key_number,
            card_id,
            pending_card,
        } => render(
            status,
            &pages::KeyCard {
                support_phone: phone,
                csrf,
                key_number: key_number.to_string(),
                card_id: card_id.clone(),
                pending_card: pending_card.clone(),
                error,
                next,
            },
        ),
    }
}

/// The page for a login that ended without a session.
fn ended(s: &AppState, ending: Ending) -> Response {
    match ending {
        Ending::Throttled => message(
            s,
            StatusCode::TOO_MANY_REQUESTS,
            "Too many attempts",
            "There have been too many login attempts from your network. Wait a minute and try again.".into(),
            Some("On a device where you have logged in before, you can log in as usual.".into()),
            false,
        ),
        Ending::IdentityBlocked => message(
            s,
            StatusCode::FORBIDDEN,
            "Your nyckel is blocked",
            "Your nyckel has been blocked, so you cannot log in with it.".into(),
            Some(support_hint(s)),
            false,
        ),
        Ending::NoUsableCard => message(
            s,
            StatusCode::FORBIDDEN,
            "No usable key card",
            "Your key card is blocked or used up, so nyckel cannot ask you for a code.".into(),
            Some(support_hint(s)),
            false,
        ),
        Ending::CardBlocked => message(
            s,
            StatusCode::FORBIDDEN,
            "Your key card is blocked",
            "Too many wrong codes were entered, so your key card has been blocked.".into(),
            Some(support_hint(s)),
            false,
        ),
        Ending::Superseded(key) => message(
            s,
            StatusCode::CONFLICT,
            "This login was replaced",
            format!(
                "Key {key} is no longer valid: you started a newer login in another window, which asked for another key. The key asked for here counts as a wrong code. Go on in the other window, or start again."
            ),
            Some(key_card_hint(s)),
            false,
        ),
        Ending::ActivationCodeUsed => message(
            s,
            StatusCode::CONFLICT,
            "Your activation code has been used",
            "A password has already been chosen with this activation code, in another window or on another device. Log in with that password.".into(),
            Some(support_hint(s)),
            false,
        ),
        // Ending is non-exhaustive only for later factors.
        #[allow(unreachable_patterns)]
        _ => message(
            s,
            StatusCode::FORBIDDEN,
            "Your login has ended",
            "Please start again.".into(),
            Some(support_hint(s)),
            false,
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
    jar: CookieJar,
    Form(f): Form<IdentifyForm>,
) -> Response {
    async {
        let outcome = s
            .nyckel
            .identify_step(flow_cookie(&s, &jar), &f.csrf, &f.login_name)
            .await?;
        Ok::<_, WebError>(respond(&s, outcome, jar, &f.login_name))
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
        Ok::<_, WebError>(respond(&s, outcome, jar, ""))
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
        let new = SecretString::new(f.new_password);
        let outcome = s
            .nyckel
            .new_password_step(flow_cookie(&s, &jar), &f.csrf, &new, &f.confirm)
            .await?;
        Ok::<_, WebError>(respond(&s, outcome, jar, ""))
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
        let accepted = f.accept.as_deref() == Some("yes");
        let outcome = s
            .nyckel
            .terms_step(flow_cookie(&s, &jar), &f.csrf, accepted)
            .await?;
        Ok::<_, WebError>(respond(&s, outcome, jar, ""))
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
        let outcome = s
            .nyckel
            .report_step(flow_cookie(&s, &jar), &f.csrf, &f.note)
            .await?;
        Ok::<_, WebError>(respond(&s, outcome, jar, ""))
    }
    .await
    .unwrap_or_else(|e| e.into_page(&s))
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
        Ok::<_, WebError>(respond(&s, outcome, jar, ""))
    }
    .await
    .unwrap_or_else(|e| e.into_page(&s))
}

#[derive(Deserialize)]
pub(crate) struct CsrfForm {
    pub(crate) csrf: String,
}

/// The holder has received a new key card and wants to be asked from it.
pub(crate) async fn new_card(
    State(s): State<AppState>,
    jar: CookieJar,
    Form(f): Form<CsrfForm>,
) -> Response {
    async {
        let outcome = s
            .nyckel
            .new_card_step(flow_cookie(&s, &jar), &f.csrf)
            .await?;
        Ok::<_, WebError>(respond(&s, outcome, jar, ""))
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
