//! My nyckel (R-SELF-1): the holder's details from the register, their
//! credentials with a block button each, recent activity, username, logout.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use chrono::DateTime;
use nyckel_core::alias::Alias;
use nyckel_core::credential::{Actor, CredentialKind, CredentialStatus};
use nyckel_core::secret::ct_eq;
use serde::Deserialize;

use super::login::ReportForm;
use super::{AppState, SESSION_COOKIE, WebError, logged_out, pages, removal, render, support_hint};
use nyckel_service::my::AliasSet;
use nyckel_service::{BlockTarget, LiveSession};

/// The holder of the browser's live session.
async fn holder(s: &AppState, jar: &CookieJar) -> Result<LiveSession, WebError> {
    super::live_session(s, jar)
        .await?
        .ok_or(WebError::NoSession)
}

/// The holder, for a form whose CSRF token must be the session's.
async fn holder_for_post(
    s: &AppState,
    jar: &CookieJar,
    csrf: &str,
) -> Result<LiveSession, WebError> {
    let h = holder(s, jar).await?;
    if !ct_eq(h.row.csrf.as_bytes(), csrf.as_bytes()) {
        return Err(WebError::Csrf);
    }
    Ok(h)
}

/// Copenhagen local time for people.
fn local_time(ms: i64) -> String {
    let utc = DateTime::from_timestamp_millis(ms).unwrap_or_default();
    nyckel_core::support::copenhagen_local(utc)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

fn credential_name(kind: CredentialKind) -> &'static str {
    match kind {
        CredentialKind::ActivationCode => "Activation code",
        CredentialKind::Password => "Password",
        CredentialKind::KeyCard => "Key card",
        CredentialKind::AppDevice => "Code app",
        CredentialKind::CodeToken => "Code token",
        CredentialKind::Passkey => "Chip (security key)",
    }
}

fn status_text(s: CredentialStatus) -> &'static str {
    match s {
        CredentialStatus::Pending => "on its way / not yet used",
        CredentialStatus::Active => "active",
        CredentialStatus::BlockedByHolder => "blocked by you",
        CredentialStatus::BlockedBySupport => "blocked by support",
        CredentialStatus::LockedByFailures => "blocked after too many wrong attempts",
        CredentialStatus::Retired => "no longer in use",
        CredentialStatus::Revoked => "revoked",
    }
}

/// What a consent gives the service, from the claims it releases
/// ([`nyckel_oidc::tokens::scope_claims`], as the consent screen says it).
fn consent_text(claims: &std::collections::BTreeSet<&'static str>) -> String {
    let mut parts = vec!["an identifier for you"];
    if claims.contains("name") {
        parts.push("your name");
    }
    if claims.contains(nyckel_oidc::tokens::CLAIM_CPR) {
        parts.push("your CPR number");
    }
    parts.join(", ")
}

#[derive(Deserialize)]
pub(crate) struct WithdrawForm {
    csrf: String,
    client_id: String,
}

/// Withdraws the holder's consent for a service.
pub(crate) async fn withdraw(
    State(s): State<AppState>,
    jar: CookieJar,
    Form(f): Form<WithdrawForm>,
) -> Response {
    async {
        let h = holder_for_post(&s, &jar, &f.csrf).await?;
        let who = format!("holder:{}", h.identity.user_id);
        s.nyckel
            .withdraw_consent(&h.identity.id, &f.client_id, &who)
            .await?;
        Ok::<_, WebError>(Redirect::to("/my?done=withdrawn").into_response())
    }
    .await
    .unwrap_or_else(|e| e.into_page(&s))
}

#[derive(Deserialize)]
pub(crate) struct Notice {
    done: Option<String>,
}

fn notice_text(done: &str) -> Option<&'static str> {
    Some(match done {
        "blocked-password" => {
            "Your password is blocked. To unblock it, call support: you will get a new activation code by letter."
        }
        "blocked-key-card" => {
            "Your key card is blocked. To unblock it or get a new one, call support."
        }
        "alias" => "Your username has been saved. You can now log in with it.",
        "withdrawn" => {
            "The service no longer gets your details. It will ask you again the next time you log in there."
        }
        "reported" => {
            "Thank you: your report has been recorded. Contact the citizen service centre of your municipality to correct the register."
        }
        _ => return None,
    })
}

pub(crate) async fn show(
    State(s): State<AppState>,
    jar: CookieJar,
    Query(q): Query<Notice>,
) -> Response {
    let notice = q.done.as_deref().and_then(notice_text).map(str::to_owned);
    page(&s, &jar, notice, None, StatusCode::OK)
        .await
        .unwrap_or_else(|e| e.into_page(&s))
}

async fn page(
    s: &AppState,
    jar: &CookieJar,
    notice: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let h = holder(s, jar).await?;
    let Some(data) = s.nyckel.my_page(&h.identity).await? else {
        return Err(WebError::NoSession);
    };
    let credentials = data
        .credentials
        .iter()
        .filter(|c| {
            !matches!(
                c.status,
                CredentialStatus::Retired | CredentialStatus::Revoked
            )
        })
        .filter(|c| c.kind != CredentialKind::ActivationCode)
        .map(|c| pages::CredentialView {
            name: match (&c.label, c.kind) {
                (Some(l), CredentialKind::KeyCard) => format!("Key card {l}"),
                _ => credential_name(c.kind).to_owned(),
            },
            status: status_text(c.status).to_owned(),
            created: local_time(c.created_at),
            last_used: c.last_used_at.map_or_else(|| "—".into(), local_time),
            block_what: match c.kind {
                _ if c.status.is_blocked() => None,
                CredentialKind::Password => Some("password"),
                CredentialKind::KeyCard => Some("key-card"),
                _ => None,
            },
        })
        .collect();
    let activity = data
        .activity
        .iter()
        .map(|e| {
            let event = e.event();
            pages::ActivityView {
                when: local_time(e.at),
                what: super::activity::text(&event),
                place: super::activity::place(&event),
            }
        })
        .collect();
    let next = error.as_ref().map(|_| support_hint(s));
    Ok(render(
        status,
        &pages::My {
            support_phone: s.phone(),
            csrf: &h.row.csrf,
            name: data.person.record.full_name(),
            address: data.person.record.address.clone(),
            user_id: h.identity.user_id.to_string(),
            alias: h.identity.alias.clone(),
            status: h.identity.status.to_string(),
            credentials,
            activity,
            consents: data
                .consents
                .into_iter()
                .map(|c| pages::ConsentView {
                    what: consent_text(&c.claims),
                    client_id: c.client_id,
                    name: c.client_name,
                    since: local_time(c.since),
                })
                .collect(),
            notice,
            error,
            next,
        },
    ))
}

#[derive(Deserialize)]
pub(crate) struct BlockForm {
    csrf: String,
    what: String,
}

pub(crate) async fn block(
    State(s): State<AppState>,
    jar: CookieJar,
    Form(f): Form<BlockForm>,
) -> Response {
    async {
        let h = holder_for_post(&s, &jar, &f.csrf).await?;
        let Ok(target) = f.what.parse::<BlockTarget>() else {
            return page(&s, &jar, None, Some("Choose what to block.".into()), StatusCode::BAD_REQUEST).await;
        };
        let who = format!("holder:{}", h.identity.user_id);
        match s.nyckel.block(&h.identity.id, target, Actor::Holder, &who, "blocked by the holder in My nyckel").await? {
            Err(e) => page(&s, &jar, None, Some(format!("Could not block: {e}.")), StatusCode::CONFLICT).await,
            Ok(_) if target == BlockTarget::Identity => Ok((
                jar.clone().remove(removal(&s, SESSION_COOKIE)),
                logged_out(
                    &s,
                    "Your nyckel is blocked",
                    "Your whole nyckel is now blocked: nobody can log in with it. You have been logged out.".into(),
                    Some(format!("To unblock it, call support on {}.", s.phone())),
                ),
            )
                .into_response()),
            Ok(_) => Ok(Redirect::to(&format!("/my?done=blocked-{}", f.what)).into_response()),
        }
    }
    .await
    .unwrap_or_else(|e: WebError| e.into_page(&s))
}

#[derive(Deserialize)]
pub(crate) struct AliasForm {
    csrf: String,
    alias: String,
}

pub(crate) async fn alias(
    State(s): State<AppState>,
    jar: CookieJar,
    Form(f): Form<AliasForm>,
) -> Response {
    async {
        let h = holder_for_post(&s, &jar, &f.csrf).await?;
        let alias = match Alias::parse(&f.alias) {
            Ok(a) => a,
            Err(e) => {
                return page(
                    &s,
                    &jar,
                    None,
                    Some(format!("That username cannot be used: {e}.")),
                    StatusCode::BAD_REQUEST,
                )
                .await;
            }
        };
        if s.nyckel.set_alias(&h.identity, &alias).await? == AliasSet::Taken {
            return page(
                &s,
                &jar,
                None,
                Some("That username is taken. Choose another one.".into()),
                StatusCode::CONFLICT,
            )
            .await;
        }
        Ok(Redirect::to("/my?done=alias").into_response())
    }
    .await
    .unwrap_or_else(|e: WebError| e.into_page(&s))
}

pub(crate) async fn report(
    State(s): State<AppState>,
    jar: CookieJar,
    Form(f): Form<ReportForm>,
) -> Response {
    async {
        let h = holder_for_post(&s, &jar, &f.csrf).await?;
        let note = f.note.trim();
        if note.is_empty() || note.chars().count() > 1000 {
            return page(
                &s,
                &jar,
                None,
                Some("Describe what is wrong in at most 1000 characters.".into()),
                StatusCode::BAD_REQUEST,
            )
            .await;
        }
        if !s.nyckel.report_register(&h.identity.id, note).await? {
            return Err(WebError::NoSession);
        }
        Ok(Redirect::to("/my?done=reported").into_response())
    }
    .await
    .unwrap_or_else(|e: WebError| e.into_page(&s))
}

#[derive(Deserialize)]
pub(crate) struct LogoutForm {
    csrf: String,
    /// Set when a provider asked for the logout and the holder confirmed it.
    client_id: Option<String>,
    post_logout_redirect_uri: Option<String>,
    state: Option<String>,
}

/// The logout button: in My nyckel, or on the page that confirms a
/// provider's logout request.
pub(crate) async fn logout(
    State(s): State<AppState>,
    jar: CookieJar,
    Form(f): Form<LogoutForm>,
) -> Response {
    async {
        let h = holder_for_post(&s, &jar, &f.csrf).await?;
        s.nyckel.end_session(&h).await?;
        super::oidc::after_logout(
            &s,
            jar.clone().remove(removal(&s, SESSION_COOKIE)),
            f.client_id.as_deref(),
            f.post_logout_redirect_uri.as_deref(),
            f.state.as_deref(),
        )
        .await
    }
    .await
    .unwrap_or_else(|e| e.into_page(&s))
}
