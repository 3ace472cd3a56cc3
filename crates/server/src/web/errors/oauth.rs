//! The OAuth JSON endpoints' error map (token, PAR, revocation,
//! introspection, UserInfo, CPR match; discovery and JWKS for nyckel's own
//! failures): RFC 6749 §5.2 error objects, RFC 6750 §3 bearer challenges.
//! A busy store or hashing pool changed nothing: 503
//! `temporarily_unavailable` with `Retry-After`, so that the client tries
//! again; any other failure of nyckel's own is a generic `server_error`.
//! The client sees the `error_description`; details go to the log only.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use nyckel_oidc::error::{ErrorCode, OAuthError};
use nyckel_service::ServiceError;

use super::RETRY_AFTER;

static APPLICATION_JSON: HeaderValue = HeaderValue::from_static("application/json");
static NO_STORE: HeaderValue = HeaderValue::from_static("no-store");
static NO_CACHE: HeaderValue = HeaderValue::from_static("no-cache");

/// A JSON response that no cache keeps. Its header map has room for the
/// security headers the outer layer adds, so that it is never reallocated.
pub(crate) fn json_response(status: StatusCode, body: &impl serde::Serialize) -> Response {
    let mut bytes = Vec::with_capacity(768);
    if let Err(e) = serde_json::to_writer(&mut bytes, body) {
        tracing::error!(error = %e, "JSON response not serializable");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    let mut headers = HeaderMap::with_capacity(8);
    headers.insert(header::CONTENT_TYPE, APPLICATION_JSON.clone());
    headers.insert(header::CACHE_CONTROL, NO_STORE.clone());
    headers.insert(header::PRAGMA, NO_CACHE.clone());
    let mut r = Response::new(axum::body::Body::from(bytes));
    *r.status_mut() = status;
    *r.headers_mut() = headers;
    r
}

/// An OAuth error the protocol rules decided (the client's fault).
pub(crate) fn oauth_error(e: &OAuthError) -> Response {
    let status = StatusCode::from_u16(e.code.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut r = json_response(status, &e.to_json());
    if e.code == ErrorCode::InvalidClient {
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"nyckel\""),
        );
    }
    r
}

/// The one place a failure of nyckel's own becomes an OAuth JSON error.
pub(crate) fn server_error(e: impl Into<ServiceError>) -> Response {
    let e = e.into();
    if e.is_busy() {
        tracing::warn!(error = %e, "OpenID endpoint busy");
        return temporarily_unavailable();
    }
    tracing::error!(error = %e, "OpenID endpoint failed");
    oauth_error(&OAuthError::server_error())
}

fn temporarily_unavailable() -> Response {
    let mut r = oauth_error(&OAuthError::new(
        ErrorCode::TemporarilyUnavailable,
        "nyckel is busy: nothing was done, try again shortly",
    ));
    r.headers_mut()
        .insert(header::RETRY_AFTER, RETRY_AFTER.clone());
    r
}

/// A resource request with no bearer token at all: RFC 6750 §3.1 asks for
/// the challenge without an error code (the client may simply not have known).
pub(crate) fn no_token() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))],
    )
        .into_response()
}

/// An access token that is not (or no longer) valid (RFC 6750 §3.1).
pub(crate) fn invalid_token() -> Response {
    let e = OAuthError::new(ErrorCode::InvalidToken, "the access token is not valid");
    let mut r = json_response(StatusCode::UNAUTHORIZED, &e.to_json());
    if let Ok(v) = HeaderValue::from_str(&e.bearer_challenge()) {
        r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    r
}
