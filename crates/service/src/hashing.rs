//! Password hashing on a bounded pool: at most `workers` Argon2id hashes run
//! at once, at most `max_waiting` wait; beyond that the caller is told to
//! come back later (HTTP 503) instead of queueing without bound — unbounded
//! hashing is a denial-of-service vector.
//!
//! The hashes run on `workers` dedicated threads rather than tokio's blocking
//! pool: each hash allocates `memory_kib` (19 MiB), and the allocator keeps
//! freed memory per thread, so hashing on a changing set of threads grew the
//! server to hundreds of megabytes and page-faulted that memory in afresh.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use argon2::password_hash::PasswordHasher as _;
use argon2::password_hash::phc::PasswordHash;
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

type Job = Box<dyn FnOnce(&Argon2<'static>, &mut Vec<argon2::Block>) + Send>;

struct Inner {
    /// Hands jobs to the worker threads; they stop when it is dropped.
    jobs: std::sync::Mutex<std::sync::mpsc::Sender<Job>>,
    permits: Semaphore,
    workers: usize,
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
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
            .max(1);
        let (sender, receiver) = std::sync::mpsc::channel::<Job>();
        let receiver = Arc::new(std::sync::Mutex::new(receiver));
        for i in 0..workers {
            let receiver = receiver.clone();
            let argon2 = argon2.clone();
            std::thread::Builder::new()
                .name(format!("nyckel-argon2-{i}"))
                .spawn(move || {
                    // Each worker keeps its Argon2 memory between hashes:
                    // no allocating, zeroing and faulting in 19 MiB per login.
                    let mut memory: Vec<argon2::Block> = Vec::new();
                    loop {
                        let job = match receiver.lock() {
                            Ok(r) => r.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(&argon2, &mut memory),
                            Err(_) => return, // the hasher was dropped
                        }
                    }
                })
                .map_err(|e| HashError::Failed(e.to_string()))?;
        }
        Ok(Self {
            inner: Arc::new(Inner {
                jobs: std::sync::Mutex::new(sender),
                permits: Semaphore::new(workers),
                workers,
                waiting: AtomicUsize::new(0),
                max_waiting: c.max_waiting,
                dummy,
            }),
        })
    }

    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Argon2<'static>, &mut Vec<argon2::Block>) -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let permit = match self.inner.permits.try_acquire() {
            Ok(p) => p,
            Err(_) => {
                // All workers busy: wait in line if the line is short enough.
                struct Leave<'a>(&'a AtomicUsize);
                impl Drop for Leave<'_> {
                    fn drop(&mut self) {
                        self.0.fetch_sub(1, Ordering::SeqCst);
                    }
                }
                let ahead = self.inner.waiting.fetch_add(1, Ordering::SeqCst);
                let _leave = Leave(&self.inner.waiting);
                if ahead >= self.inner.max_waiting {
                    return Err(HashError::Busy);
                }
                self.inner
                    .permits
                    .acquire()
                    .await
                    .map_err(|_| HashError::Busy)?
            }
        };
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |a, memory| {
            let _ = reply.send(f(a, memory));
        });
        self.inner
            .jobs
            .lock()
            .map_err(|_| HashError::Failed("hash workers poisoned".into()))?
            .send(job)
            .map_err(|_| HashError::Failed("hash workers stopped".into()))?;
        let out = answer
            .await
            .map_err(|_| HashError::Failed("hash worker failed".into()))?;
        drop(permit);
        Ok(out)
    }

    /// Workers hashing right now.
    pub fn busy_workers(&self) -> usize {
        self.inner.workers - self.inner.permits.available_permits()
    }

    /// A PHC string for a new password, computed in the worker's memory
    /// like a verification (`hash_password` would allocate 19 MiB per call,
    /// which the allocator kept: finding 13, BENCHMARKS.md "Memory: first
    /// logins").
    pub async fn hash(&self, password: &SecretString) -> Result<String, HashError> {
        let pw = password.clone();
        let mut salt = [0u8; 16];
        rand::fill(&mut salt);
        self.run(move |a, memory| hash_in(a, memory, pw.expose().as_bytes(), &salt))
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
            .run(move |_, memory| verify_in(memory, &phc, pw.expose().as_bytes()))
            .await?;
        Ok(ok && real)
    }

    /// Verifies against the dummy hash only: to pad a refusal to the time a
    /// real check takes.
    pub async fn pad(&self, password: &SecretString) -> Result<(), HashError> {
        self.verify(None, password).await.map(|_| ())
    }
}

/// Hashes `password` with `argon2`'s parameters (Argon2id, version 0x13: the
/// pool's), computing in `memory` (grown once, then reused), as a PHC string.
fn hash_in(
    argon2: &Argon2<'static>,
    memory: &mut Vec<argon2::Block>,
    password: &[u8],
    salt: &[u8],
) -> Result<String, argon2::password_hash::Error> {
    use argon2::password_hash::phc::{Output, ParamsString, Salt};
    let params = argon2.params();
    let blocks = params.block_count();
    if memory.len() < blocks {
        memory.resize(blocks, argon2::Block::default());
    }
    let mut out = vec![0u8; params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN)];
    argon2.hash_password_into_with_memory(password, salt, &mut out, &mut memory[..blocks])?;
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(params)?,
        salt: Some(Salt::new(salt)?),
        hash: Some(Output::new(&out)?),
    };
    Ok(hash.to_string())
}

/// Verifies `password` against a PHC string with the parameters the string
/// names, computing in `memory` (grown once, then reused).
fn verify_in(memory: &mut Vec<argon2::Block>, phc: &str, password: &[u8]) -> bool {
    let Ok(h) = PasswordHash::new(phc) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (h.salt.as_ref(), h.hash.as_ref()) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(h.algorithm.as_str()) else {
        return false;
    };
    let version = match h.version {
        Some(v) => match Version::try_from(v) {
            Ok(v) => v,
            Err(_) => return false,
        },
        None => Version::V0x13,
    };
    let Ok(params) = Params::try_from(&h) else {
        return false;
    };
    let blocks = params.block_count();
    if memory.len() < blocks {
        memory.resize(blocks, argon2::Block::default());
    }
    let mut out = vec![0u8; expected.as_bytes().len()];
    Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(password, salt.as_ref(), &mut out, &mut memory[..blocks])
        .is_ok()
        && nyckel_core::secret::ct_eq(&out, expected.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(workers: usize, max_waiting: usize) -> Argon2Config {
        Argon2Config {
            workers: Some(workers),
            max_waiting,
            ..Argon2Config::default()
        }
    }

    #[tokio::test]
    async fn ok_hash_and_verify() {
        let h = PasswordHasher::new(&config(1, 4)).unwrap();
        let pw = SecretString::new("Rødgrød-med-fløde-1");
        let phc = h.hash(&pw).await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(h.verify(Some(&phc), &pw).await.unwrap());
        // The string is standard PHC: the argon2 crate's own verifier agrees.
        use argon2::password_hash::PasswordVerifier as _;
        Argon2::default()
            .verify_password(pw.expose().as_bytes(), phc.as_str())
            .unwrap();
        assert_ne!(phc, h.hash(&pw).await.unwrap(), "a fresh salt each time");
        assert!(
            !h.verify(Some(&phc), &SecretString::new("wrong"))
                .await
                .unwrap()
        );
        assert!(
            !h.verify(None, &pw).await.unwrap(),
            "the dummy never verifies"
        );
        assert!(!h.verify(Some("not a phc"), &pw).await.unwrap());
    }

    #[tokio::test]
    async fn fail_busy_when_the_line_is_full() {
        let h = PasswordHasher::new(&config(1, 0)).unwrap();
        let busy = h.clone();
        let running = tokio::spawn(async move { busy.pad(&SecretString::new("x")).await });
        while h.busy_workers() == 0 {
            tokio::task::yield_now().await;
        }
        assert!(matches!(
            h.pad(&SecretString::new("y")).await,
            Err(HashError::Busy)
        ));
        running.await.unwrap().unwrap();
        assert_eq!(h.busy_workers(), 0);
        h.pad(&SecretString::new("z")).await.unwrap();
    }
}
