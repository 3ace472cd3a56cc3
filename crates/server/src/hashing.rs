//! Password hashing on a bounded pool: at most `workers` Argon2id hashes run
//! at once on blocking threads, at most `max_waiting` wait; beyond that the
//! caller is told to come back later (HTTP 503) instead of queueing without
//! bound — unbounded hashing is a denial-of-service vector.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use nyckel_core::secret::SecretString;
use tokio::sync::Semaphore;

use crate::config::Argon2Config;

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("too many logins in progress")]
    Busy,
    #[error("password hashing failed: {0}")]
    Failed(String),
}

#[derive(Clone)]
pub struct PasswordHasher {
    inner: Arc<Inner>,
}

struct Inner {
    argon2: Argon2<'static>,
    permits: Semaphore,
    waiting: AtomicUsize,
    max_waiting: usize,
    /// Verified against when the user is unknown, so that an unknown user
    /// and a wrong password take the same time.
    dummy: String,
}

impl PasswordHasher {
    pub fn new(c: &Argon2Config) -> Result<Self, HashError> {
        let params = Params::new(c.memory_kib, c.iterations, c.parallelism, None)
            .map_err(|e| HashError::Failed(e.to_string()))?;
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let dummy = argon2
            .hash_password(b"nyckel-dummy-password-for-unknown-users")
            .map_err(|e| HashError::Failed(e.to_string()))?
            .to_string();
        let workers = c
            .workers
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
        Ok(Self {
            inner: Arc::new(Inner {
                argon2,
                permits: Semaphore::new(workers.max(1)),
                waiting: AtomicUsize::new(0),
                max_waiting: c.max_waiting,
                dummy,
            }),
        })
    }

    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Argon2<'static>) -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let waiting = self.inner.waiting.fetch_add(1, Ordering::SeqCst);
        struct Leave<'a>(&'a AtomicUsize);
        impl Drop for Leave<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::SeqCst);
            }
        }
        let leave = Leave(&self.inner.waiting);
        if waiting >= self.inner.max_waiting {
            return Err(HashError::Busy);
        }
        let permit = self
            .inner
            .permits
            .acquire()
            .await
            .map_err(|_| HashError::Busy)?;
        drop(leave);
        let inner = self.inner.clone();
        let out = tokio::task::spawn_blocking(move || f(&inner.argon2))
            .await
            .map_err(|e| HashError::Failed(e.to_string()))?;
        drop(permit);
        Ok(out)
    }

    /// A PHC string for a new password.
    pub async fn hash(&self, password: &SecretString) -> Result<String, HashError> {
        let pw = password.clone();
        self.run(move |a| {
            a.hash_password(pw.expose().as_bytes())
                .map(|h| h.to_string())
        })
        .await?
        .map_err(|e| HashError::Failed(e.to_string()))
    }

    /// Verifies a password against a PHC string, or against a dummy hash when
    /// there is none (unknown user, no password yet) — always `false` then.
    pub async fn verify(
        &self,
        phc: Option<&str>,
        password: &SecretString,
    ) -> Result<bool, HashError> {
        let real = phc.is_some();
        let phc = phc.unwrap_or(&self.inner.dummy).to_owned();
        let pw = password.clone();
        let ok = self
            .run(move |a| match PasswordHash::new(&phc) {
                Ok(h) => a.verify_password(pw.expose().as_bytes(), &h).is_ok(),
                Err(_) => false,
            })
            .await?;
        Ok(ok && real)
    }

    /// Verifies against the dummy hash only: to pad a refusal to the time a
    /// real check takes.
    pub async fn pad(&self, password: &SecretString) -> Result<(), HashError> {
        self.verify(None, password).await.map(|_| ())
    }
}
