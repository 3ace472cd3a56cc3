//! Errors: the OAuth wire error ([`OAuthError`], what a client sees), the
//! authorization endpoint's redirect decision ([`AuthorizeError`]) and the
//! crate's internal error ([`Error`], for the log only).
//!
//! The server maps [`Error`] to an [`OAuthError`] in one place by context: a
//! refused client assertion is `invalid_client`, a refused access token is
//! `invalid_token`, anything about keys is `server_error`. The reason inside
//! [`Error`] goes to the log, never to the client.

use std::fmt;

use serde_json::{Value, json};

/// Every OAuth 2.0 / OpenID Connect error code nyckel sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    // RFC 6749 §4.1.2.1 (authorization endpoint) and §5.2 (token endpoint).
    InvalidRequest,
    UnauthorizedClient,
    AccessDenied,
    UnsupportedResponseType,
    InvalidScope,
    ServerError,
    TemporarilyUnavailable,
    InvalidClient,
    InvalidGrant,
    UnsupportedGrantType,
    // OpenID Connect Core 1.0 §3.1.2.6.
    LoginRequired,
    ConsentRequired,
    InteractionRequired,
    InvalidRequestUri,
    InvalidRequestObject,
    RequestNotSupported,
    RequestUriNotSupported,
    // RFC 6750 §3.1 (protected resources such as UserInfo).
    InvalidToken,
    InsufficientScope,
    /// OpenID Connect Unmet Authentication Requirements 1.0 §4: the requested
    /// `acr` (level of assurance) cannot be reached.
    UnmetAuthenticationRequirements,
    // RFC 7009 §2.2.1 (revocation of a token type the server does not revoke).
    UnsupportedTokenType,
}

impl ErrorCode {
    /// The registered name, as sent in `error`.
    pub fn as_str(self) -> &'static str {
        use ErrorCode::*;
        match self {
            InvalidRequest => "invalid_request",
            UnauthorizedClient => "unauthorized_client",
            AccessDenied => "access_denied",
            UnsupportedResponseType => "unsupported_response_type",
            InvalidScope => "invalid_scope",
            ServerError => "server_error",
            TemporarilyUnavailable => "temporarily_unavailable",
            InvalidClient => "invalid_client",
            InvalidGrant => "invalid_grant",
            UnsupportedGrantType => "unsupported_grant_type",
            LoginRequired => "login_required",
            ConsentRequired => "consent_required",
            InteractionRequired => "interaction_required",
            InvalidRequestUri => "invalid_request_uri",
            InvalidRequestObject => "invalid_request_object",
            RequestNotSupported => "request_not_supported",
            RequestUriNotSupported => "request_uri_not_supported",
            InvalidToken => "invalid_token",
            InsufficientScope => "insufficient_scope",
            UnmetAuthenticationRequirements => "unmet_authentication_requirements",
            UnsupportedTokenType => "unsupported_token_type",
        }
    }

    /// The HTTP status for a direct (non-redirect) error response:
    /// RFC 6749 §5.2 (400, 401 for `invalid_client`), RFC 6750 §3.1 (401 for
    /// `invalid_token`, 403 for `insufficient_scope`), 500/503 for the
    /// server's own trouble.
    pub fn http_status(self) -> u16 {
        use ErrorCode::*;
        match self {
            InvalidClient | InvalidToken => 401,
            InsufficientScope | AccessDenied => 403,
            ServerError => 500,
            TemporarilyUnavailable => 503,
            _ => 400,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An OAuth error as the client sees it: a registered code and a short
/// description. Never put internal detail (SQL, key ids, stack) in the
/// description: it goes to the client and, on redirects, into browser history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    pub code: ErrorCode,
    pub description: String,
}

impl OAuthError {
    /// The description is cleaned to the characters RFC 6749 §4.1.2.1 allows
    /// in `error_description` (`%x20-21 / %x23-5B / %x5D-7E`); others become `?`.
    pub fn new(code: ErrorCode, description: impl Into<String>) -> Self {
        let description = description
            .into()
            .chars()
            .map(|c| match c {
                '\x20'..='\x21' | '\x23'..='\x5b' | '\x5d'..='\x7e' => c,
                _ => '?',
            })
            .collect();
        Self { code, description }
    }

    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidRequest, description)
    }

    /// A generic `server_error`: what a client sees for any failure that is
    /// the server's own (the detail goes to the log).
    pub fn server_error() -> Self {
        Self::new(ErrorCode::ServerError, "internal error")
    }

    /// The JSON body of a direct error response (RFC 6749 §5.2).
    pub fn to_json(&self) -> Value {
        if self.description.is_empty() {
            json!({ "error": self.code.as_str() })
        } else {
            json!({ "error": self.code.as_str(), "error_description": self.description })
        }
    }

    /// The `WWW-Authenticate` header value for a protected resource (RFC
    /// 6750 §3): `Bearer error="…", error_description="…"`. The description
    /// contains no `"` or `\` (see [`OAuthError::new`]), so it needs no escaping.
    pub fn bearer_challenge(&self) -> String {
        if self.description.is_empty() {
            format!("Bearer error=\"{}\"", self.code)
        } else {
            format!(
                "Bearer error=\"{}\", error_description=\"{}\"",
                self.code, self.description
            )
        }
    }
}

impl fmt::Display for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.description)
    }
}

impl std::error::Error for OAuthError {}

/// The outcome of a refused authorization request: whether the error may go
/// back to the client's redirect URI (RFC 6749 §4.1.2.1).
///
/// "If the request fails due to a missing, invalid, or mismatching
/// redirection URI, or if the client identifier is missing or invalid, the
/// authorization server SHOULD inform the resource owner of the error and
/// MUST NOT automatically redirect the user-agent to the invalid redirection
/// URI." Every other error is redirected, with `state` and `iss` (RFC 9207).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizeError {
    /// Shown to the person on a page of ours; never redirected.
    NotRedirectable(OAuthError),
    /// Sent to the client at `redirect_uri`, which is registered for it
    /// (exact match) — the only kind of URI this variant ever holds.
    Redirect {
        error: OAuthError,
        redirect_uri: String,
        /// The request's `state`, echoed unless it was itself invalid.
        state: Option<String>,
    },
}

impl AuthorizeError {
    pub fn error(&self) -> &OAuthError {
        match self {
            AuthorizeError::NotRedirectable(e) => e,
            AuthorizeError::Redirect { error, .. } => error,
        }
    }

    pub fn is_redirectable(&self) -> bool {
        matches!(self, AuthorizeError::Redirect { .. })
    }

    /// The URL to redirect to, if the error may be redirected.
    pub fn redirect_url(&self, issuer: &crate::Issuer) -> Option<String> {
        match self {
            AuthorizeError::NotRedirectable(_) => None,
            AuthorizeError::Redirect {
                error,
                redirect_uri,
                state,
            } => Some(crate::request::error_response_url(
                redirect_uri,
                error,
                state.as_deref(),
                issuer,
            )),
        }
    }
}

impl fmt::Display for AuthorizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.error().fmt(f)
    }
}

impl std::error::Error for AuthorizeError {}

/// Why a JWT was refused. For the log: clients get `invalid_client` /
/// `invalid_token` / `invalid_grant` without the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    #[error("not a compact JWS (three base64url parts with a JSON header)")]
    Malformed,
    #[error("token too large")]
    TooLarge,
    #[error("algorithm {0:?} is not accepted here")]
    AlgorithmNotAllowed(String),
    #[error("no key with this kid")]
    UnknownKey,
    #[error("header alg does not match the key's algorithm")]
    KeyAlgorithmMismatch,
    #[error("header has crit parameters, none of which nyckel understands")]
    CriticalHeader,
    #[error("header typ is not the expected one")]
    WrongType,
    #[error("signature does not verify")]
    BadSignature,
    #[error("claims are not a JSON object of the expected shape")]
    InvalidClaims,
    #[error("claim {0} missing")]
    MissingClaim(&'static str),
    #[error("token has expired")]
    Expired,
    #[error("token is not valid yet")]
    NotYetValid,
    #[error("token expires too far in the future")]
    LifetimeTooLong,
    #[error("wrong issuer")]
    WrongIssuer,
    #[error("wrong audience")]
    WrongAudience,
    #[error("wrong subject")]
    WrongSubject,
    #[error("the client's JWK set is unusable")]
    BadClientKeys,
}

/// The crate's error, grouped by cause. Internal: see the module docs for
/// how the server maps it to what a client sees.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A JWT was refused.
    #[error("token refused: {0}")]
    Token(#[from] TokenError),
    /// Key material could not be generated, parsed or used.
    #[error("key: {0}")]
    Key(&'static str),
    /// An encrypted private key does not open under this master key: a wrong
    /// master key, a different key id, or tampering.
    #[error("encrypted private key does not open (wrong master key, wrong kid, or tampered)")]
    KeyUnwrap,
    /// No current signing key for the algorithm.
    #[error("no signing key for {0}")]
    NoSigningKey(&'static str),
    /// Claims could not be serialised, or the signing library failed.
    #[error("signing failed: {0}")]
    Signing(String),
    /// An issuer identifier that OIDC Discovery §3 does not allow.
    #[error("issuer: {0}")]
    Issuer(&'static str),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ok_codes_are_registered_names() {
        let cases = [
            (ErrorCode::InvalidRequest, "invalid_request", 400),
            (ErrorCode::UnauthorizedClient, "unauthorized_client", 400),
            (ErrorCode::AccessDenied, "access_denied", 403),
            (
                ErrorCode::UnsupportedResponseType,
                "unsupported_response_type",
                400,
            ),
            (ErrorCode::InvalidScope, "invalid_scope", 400),
            (ErrorCode::ServerError, "server_error", 500),
            (
                ErrorCode::TemporarilyUnavailable,
                "temporarily_unavailable",
                503,
            ),
            (ErrorCode::InvalidClient, "invalid_client", 401),
            (ErrorCode::InvalidGrant, "invalid_grant", 400),
            (
                ErrorCode::UnsupportedGrantType,
                "unsupported_grant_type",
                400,
            ),
            (ErrorCode::LoginRequired, "login_required", 400),
            (ErrorCode::ConsentRequired, "consent_required", 400),
            (ErrorCode::InteractionRequired, "interaction_required", 400),
            (ErrorCode::InvalidRequestUri, "invalid_request_uri", 400),
            (
                ErrorCode::InvalidRequestObject,
                "invalid_request_object",
                400,
            ),
            (ErrorCode::RequestNotSupported, "request_not_supported", 400),
            (
                ErrorCode::RequestUriNotSupported,
                "request_uri_not_supported",
                400,
            ),
            (ErrorCode::InvalidToken, "invalid_token", 401),
            (ErrorCode::InsufficientScope, "insufficient_scope", 403),
            (
                ErrorCode::UnmetAuthenticationRequirements,
                "unmet_authentication_requirements",
                400,
            ),
            (
                ErrorCode::UnsupportedTokenType,
                "unsupported_token_type",
                400,
            ),
        ];
        for (code, name, status) in cases {
            assert_eq!(code.as_str(), name);
            assert_eq!(code.to_string(), name);
            assert_eq!(code.http_status(), status, "{name}");
        }
    }

    #[test]
    fn ok_description_is_cleaned() {
        let e = OAuthError::invalid_request("bad \"x\"\\y\nz é");
        assert_eq!(e.description, "bad ?x??y?z ?");
        assert_eq!(
            e.to_json(),
            json!({"error": "invalid_request", "error_description": "bad ?x??y?z ?"})
        );
        assert_eq!(
            e.bearer_challenge(),
            "Bearer error=\"invalid_request\", error_description=\"bad ?x??y?z ?\""
        );
        let bare = OAuthError::new(ErrorCode::InvalidToken, "");
        assert_eq!(bare.to_json(), json!({"error": "invalid_token"}));
        assert_eq!(bare.bearer_challenge(), "Bearer error=\"invalid_token\"");
    }
}
