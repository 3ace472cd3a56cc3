//! The pages' error map: every failure of a page handler becomes a page
//! that says what happened and what to do next; the detail goes to the log.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use nyckel_oidc::error::OAuthError;
use nyckel_service::ServiceError;

use super::RETRY_AFTER;
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
    pub(crate) fn into_page(self, s: &AppState) -> Response {
        match self {
            // Every hashing worker taken and the queue full, or the database
            // held too long by another process (a large import), or no
            // pooled connection free in time: nothing happened, try again.
            WebError::Service(e) if e.is_busy() => {
                tracing::warn!(error = %e, "page busy");
                let mut r = message(
                    s,
                    StatusCode::SERVICE_UNAVAILABLE,
                    "nyckel is very busy",
                    "Too many people are logging in right now. Nothing has been lost: wait a minute and try again.".into(),
                    None,
                    false,
                );
                r.headers_mut()
                    .insert(header::RETRY_AFTER, RETRY_AFTER.clone());
                r
            }
            WebError::Service(e) => {
                tracing::error!(error = %e, "request failed");
                message(
                    s,
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "nyckel could not finish your request. Nothing was changed. Please try again in a moment.".into(),
                    Some(support_hint(s)),
                    false,
                )
            }
            WebError::FlowExpired => message(
                s,
                StatusCode::BAD_REQUEST,
                "Your login has expired",
                "The login took too long or was started in another window. Please start again."
                    .into(),
                None,
                false,
            ),
            WebError::Csrf => message(
                s,
                StatusCode::FORBIDDEN,
                "The form could not be accepted",
                "The form was out of date or did not come from this site. Please start again."
                    .into(),
                None,
                false,
            ),
            WebError::NoSession | WebError::FlowMoved => Redirect::to("/login").into_response(),
        }
    }
}

/// The page for an authorization request that must not be redirected to
/// the client (unknown client, bad redirect URI: RFC 6749 §4.1.2.1): the
/// person is told to go back to the service.
pub(crate) fn not_redirectable(s: &AppState, e: &OAuthError) -> Response {
    message(
        s,
        StatusCode::BAD_REQUEST,
        "The service's login request is not valid",
        format!(
            "The service you came from sent nyckel a login request that cannot be accepted ({}: {}). Go back to the service and try again; if it keeps happening, tell the service.",
            e.code.as_str(),
            e.description
        ),
        None,
        false,
    )
}
