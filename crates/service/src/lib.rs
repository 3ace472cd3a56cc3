//! nyckel's application layer: what happens when a holder, an operator or
//! a service provider does something, in one transaction per step, with
//! its audit entries. The web tier and the operator CLI call it; it alone
//! talks to the store. Split by capability (docs/architecture.md).
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod blocking;
pub mod clock;
pub mod config;
pub mod enrollment;
pub mod hashing;
pub mod letters;
pub mod login;
pub mod my;
pub mod provider;
pub mod sessions;

pub use blocking::*;
pub use enrollment::*;
pub use login::*;
pub use sessions::LiveSession;

use std::sync::Arc;

use hmac::{Hmac, KeyInit, Mac};
use nyckel_core::cpr::Date;
use nyckel_core::ids::UserId;
use nyckel_store::Store;
use rand::RngExt;
use sha2::{Digest, Sha256};

use crate::clock::{Clock, local_date};
use crate::config::Config;
use crate::hashing::{HashError, PasswordHasher};

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Hash(#[from] HashError),
    #[error("{0}")]
    Invalid(String),
}

/// The store's error, for callers that match on it through
/// [`ServiceError::Store`] without depending on the store.
pub use nyckel_store::StoreError;

impl ServiceError {
    /// Nothing was done because nyckel is busy (every hashing worker taken
    /// and the queue full, or the database held too long, or no pooled
    /// connection free in time): the caller may try again shortly.
    pub fn is_busy(&self) -> bool {
        matches!(
            self,
            ServiceError::Hash(HashError::Busy) | ServiceError::Store(StoreError::Busy(_))
        )
    }
}

pub type Result<T, E = ServiceError> = std::result::Result<T, E>;

/// The server's secret key: keys the hashes of codes and cookies.
#[derive(Clone)]
pub struct SecretKey(Arc<[u8]>);

impl SecretKey {
    pub fn new(bytes: Vec<u8>) -> Result<Self> {
        if bytes.len() < 32 {
            return Err(ServiceError::Invalid(
                "the secret key must be at least 32 bytes".into(),
            ));
        }
        Ok(Self(bytes.into()))
    }

    pub fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// HMAC-SHA256 under the key, domain-separated by `purpose`.
    pub fn keyed_hash(&self, purpose: &str, parts: &[&str]) -> String {
        let mut mac = match Hmac::<Sha256>::new_from_slice(&self.0) {
            Ok(m) => m,
            Err(_) => return String::new(), // HMAC takes keys of any length
        };
        mac.update(purpose.as_bytes());
        for p in parts {
            mac.update(&(p.len() as u64).to_be_bytes());
            mac.update(p.as_bytes());
        }
        hex::encode(mac.finalize().into_bytes())
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(***)")
    }
}

/// SHA-256 hex of a cookie value: the database keys flows and sessions by it.
pub fn cookie_hash(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

/// The address for an audit entry: none when the step had none (the
/// sweep, a command-line login).
pub(crate) fn ip_of(ip: &str) -> Option<String> {
    (!ip.is_empty()).then(|| ip.to_owned())
}

/// A random token for cookies and CSRF: 256 bits, URL-safe hex.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill(&mut b);
    hex::encode(b)
}

/// nyckel's services over one store.
#[derive(Clone)]
pub struct Nyckel {
    pub store: Store,
    pub config: Arc<Config>,
    pub hasher: PasswordHasher,
    pub clock: Arc<dyn Clock>,
    secret: SecretKey,
    keys: Arc<crate::provider::KeyCache>,
}

fn holder(user_id: &UserId) -> String {
    format!("holder:{user_id}")
}

impl Nyckel {
    pub fn new(
        store: Store,
        config: Config,
        secret: SecretKey,
        clock: Arc<dyn Clock>,
    ) -> Result<Self> {
        let hasher = PasswordHasher::new(&config.argon2)?;
        Ok(Self {
            store,
            config: Arc::new(config),
            hasher,
            clock,
            secret,
            keys: Default::default(),
        })
    }

    pub fn now(&self) -> i64 {
        self.clock.now_ms()
    }

    pub fn today(&self) -> Date {
        local_date(self.now())
    }

    pub fn secret(&self) -> &SecretKey {
        &self.secret
    }

    /// A cheap round trip to the database, for readiness probes.
    pub async fn ping(&self) -> Result<()> {
        Ok(self.store.ping().await?)
    }

    pub(crate) fn key_cache(&self) -> &crate::provider::KeyCache {
        &self.keys
    }
}
