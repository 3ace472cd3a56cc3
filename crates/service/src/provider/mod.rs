//! The OpenID provider's shell (R-AUTH-2): signing keys from the database,
//! clients, authorization codes, tokens, consent. The protocol rules are in
//! `nyckel-oidc`; this module stores and looks up what they need.

use std::sync::Arc;

use nyckel_core::assurance::{AuthMethod, Loa};
use nyckel_oidc::Issuer;
use nyckel_oidc::client::{self, AccessTokenLifetime};
use nyckel_oidc::error::{ErrorCode, OAuthError};
use nyckel_oidc::grant::CodeBinding;
use nyckel_oidc::keys::KeySet;
use nyckel_oidc::request::AuthorizationRequest;
use nyckel_oidc::tokens::LoginFacts;
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use crate::ServiceError;

mod clients;
pub use clients::{Client, NewClient};
mod codes;
mod consent;
mod cpr_match;
mod grants;
mod hints;
mod par;
mod resource;
mod signing_keys;
mod token;

/// Seconds tokens live.
pub const CODE_TTL: i64 = 60;
pub const ID_TOKEN_TTL: i64 = 600;
pub const REFRESH_TTL: i64 = 30 * 86_400;
pub const PAR_TTL: i64 = 90;
/// How often a server re-reads the signing keys (another process may have rotated them).
const KEY_RELOAD_SECS: i64 = 30;

/// The scopes nyckel knows.
pub const SCOPES: [&str; 3] = ["openid", "profile", "ssn"];

/// The keys, loaded lazily and re-read now and then; and recently used
/// clients, so that the token endpoint's hot path need not read the database.
#[derive(Default)]
pub struct KeyCache {
    /// The key set and when it was loaded. A std lock: it is only held to
    /// copy the `Arc` (a tokio `RwLock` takes a mutex on every release).
    inner: std::sync::RwLock<Option<(Arc<KeySet>, i64)>>,
    /// One reload at a time.
    reload: Mutex<()>,
    clients: std::sync::RwLock<std::collections::HashMap<String, (Arc<Client>, i64)>>,
    issuer: std::sync::OnceLock<Issuer>,
    /// The server key prepared for checking client secrets.
    secret_verifier: std::sync::OnceLock<client::secret::Verifier>,
}

/// Seconds a client read from the database is reused: disabling or deleting
/// a client takes effect on every server process within this time.
pub const CLIENT_CACHE_SECS: i64 = 5;

/// What a code or refresh token was granted for.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Grant {
    pub binding: Option<CodeBinding>,
    pub request: AuthorizationRequest,
    pub identity_id: String,
    pub auth_time: i64,
    pub methods: Vec<AuthMethod>,
    pub level: Loa,
    pub sid: Option<String>,
}

impl Grant {
    fn facts(&self) -> LoginFacts {
        LoginFacts {
            auth_time: self.auth_time,
            level: self.level,
            methods: self.methods.clone(),
        }
    }
}

/// A successful token response (RFC 6749 §5.1; OIDC Core §3.1.3.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
}

impl TokenResponse {
    /// `expires_in` is the client's access-token lifetime: an access token
    /// is checked against blocks and revocations at UserInfo, but a
    /// resource server that only verifies its signature honours it until
    /// it expires.
    fn bearer(access_token: String, scope: Option<String>, lifetime: AccessTokenLifetime) -> Self {
        Self {
            access_token,
            token_type: "Bearer",
            expires_in: lifetime.secs(),
            scope,
            refresh_token: None,
            id_token: None,
        }
    }
}

/// A client that proved who it is (the cached row, shared). Only
/// [`Nyckel::authenticate_client`] makes one: the field is private, so no
/// other code can vouch for a client.
#[derive(Debug, Clone)]
pub struct AuthenticatedClient(Arc<Client>);

impl AuthenticatedClient {
    /// The client's registration.
    pub fn client(&self) -> &Client {
        &self.0
    }
}

fn oauth(code: ErrorCode, d: &str) -> OAuthError {
    OAuthError::new(code, d)
}

/// A grant for a person who may no longer act ([`may_act`]).
fn blocked() -> OAuthError {
    oauth(ErrorCode::InvalidGrant, "the person's identity is blocked")
}

fn internal<E: std::fmt::Display>(e: E) -> ServiceError {
    ServiceError::Invalid(format!("oidc: {e}"))
}
