//! Errors mapped once per surface: what a failure becomes for the one who
//! sees it. [`page`]: the HTML pages (what happened, what to do next);
//! [`oauth`]: the OpenID provider's JSON endpoints (RFC 6749/6750 codes).
//! SAML and the signing API will get their own module here. On every
//! surface a busy nyckel says so (503 with `Retry-After`) and the detail of
//! any failure goes to the log only.

pub(crate) mod oauth;
pub(crate) mod page;

use axum::http::HeaderValue;

/// How long a client is asked to wait when nyckel is busy, in seconds.
pub(crate) static RETRY_AFTER: HeaderValue = HeaderValue::from_static("30");
