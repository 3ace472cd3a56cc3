//! The pages' error map: every failure of a page handler becomes a page
//! that says what happened and what to do next; the detail goes to the log.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use nyckel_oidc::error::OAuthError;
use nyckel_service::ServiceError;

use super::RETRY_AFTER;
use nyckel_i18n::Tr;

use crate::web::{AppState, message, support_hint};

/// Errors of the web tier: the person sees a page that says what to do; the
/// detail goes to the log only.
pub(crate) enum WebError {
    Service(ServiceError),
    /// The flow cookie is missing or the flow expired.
    FlowExpired,
    /// A form's CSRF token did not match.
    Csrf,
    /// Another request moved the login flow on first (a double click, or
    /// the same form posted several times at once): nothing was done by
    /// this one, and the browser is shown the step the flow is at.
    FlowMoved,
    /// Not logged in (for My nyckel).
    NoSession,
}

impl From<ServiceError> for WebError {
    fn from(e: ServiceError) -> Self {
        WebError::Service(e)
    }
}

// For the login pages, which still open transactions themselves until the
// login flow moves into the service layer.
impl From<nyckel_service::StoreError> for WebError {
    fn from(e: nyckel_service::StoreError) -> Self {
        WebError::Service(e.into())
    }
}

impl WebError {
    pub(crate) fn into_page(self, s: &AppState, t: Tr) -> Response {
        let said = |status, heading: &str, text: &str, next| {
            message(s, t, status, &t.get(heading), t.get(text), next, false)
        };
        match self {
            // Every hashing worker taken and the queue full, or the database
            // held too long by another process (a large import), or no
            // pooled connection free in time: nothing happened, try again.
            WebError::Service(e) if e.is_busy() => {
                tracing::warn!(error = %e, "page busy");
                let mut r = said(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "busy-heading",
                    "busy-text",
                    None,
                );
                r.headers_mut()
                    .insert(header::RETRY_AFTER, RETRY_AFTER.clone());
                r
            }
            WebError::Service(e) => {
                tracing::error!(error = %e, "request failed");
                said(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "failed-heading",
                    "failed-text",
                    Some(support_hint(s, t)),
                )
            }
            WebError::FlowExpired => said(
                StatusCode::BAD_REQUEST,
                "flow-expired-heading",
                "flow-expired-text",
                None,
            ),
            WebError::Csrf => said(StatusCode::FORBIDDEN, "csrf-heading", "csrf-text", None),
            WebError::NoSession | WebError::FlowMoved => Redirect::to("/login").into_response(),
        }
    }
}

/// The page for an authorization request that must not be redirected to
/// the client (unknown client, bad redirect URI: RFC 6749 §4.1.2.1): the
/// person is told to go back to the service.
pub(crate) fn not_redirectable(s: &AppState, t: Tr, e: &OAuthError) -> Response {
    let detail = format!("{}: {}", e.code.as_str(), e.description);
    message(
        s,
        t,
        StatusCode::BAD_REQUEST,
        &t.get("bad-request-heading"),
        t.arg("bad-request-text", "detail", detail),
        None,
        false,
    )
}
