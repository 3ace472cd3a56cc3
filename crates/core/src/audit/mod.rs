//! Audit events (R-OPS-4): every login outcome, enrollment, block and operator
//! action becomes an append-only entry whose hash covers the previous entry's
//! hash, so that editing or deleting any row breaks the chain.

mod event;

pub use event::{AuditEvent, BlockedPart, LoginFailure};
use sha2::{Digest, Sha256};

/// The hash before the first entry.
pub const GENESIS: [u8; 32] = [0u8; 32];

/// An audit entry as it is chained and stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// 1, 2, 3, … without gaps.
    pub seq: i64,
    /// Unix time in milliseconds.
    pub at: i64,
    /// Who acted: `holder:<user id>`, `operator:<name>`, `system`, `anonymous`.
    pub actor: String,
    /// What happened, e.g. `login.failed`, `enrollment.refused`, `credential.blocked`.
    pub action: String,
    /// Whose data it concerns (an identity or person id), if anyone's.
    pub subject: Option<String>,
    /// Details as a JSON object: never a secret.
    pub detail: String,
    pub prev_hash: [u8; 32],
    pub hash: [u8; 32],
}

/// An event about to be appended; the store gives it its place in the chain.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAuditEvent {
    /// Who acted: `holder:<user id>`, `operator:<name>`, `client:<id>`,
    /// `system`, `anonymous`.
    pub actor: String,
    pub subject: Option<String>,
    pub event: AuditEvent,
}

impl NewAuditEvent {
    pub fn new(actor: impl Into<String>, event: AuditEvent) -> Self {
        Self {
            actor: actor.into(),
            subject: None,
            event,
        }
    }

    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }
}

impl AuditEntry {
    /// What the entry records, read from its action and detail.
    pub fn event(&self) -> AuditEvent {
        AuditEvent::from_stored(&self.action, &self.detail)
    }
}

/// The hash of an entry: SHA-256 over the previous hash and every field,
/// each length-prefixed so that no two different entries encode alike.
pub fn entry_hash(
    prev_hash: &[u8; 32],
    seq: i64,
    at: i64,
    actor: &str,
    action: &str,
    subject: Option<&str>,
    detail: &str,
) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"nyckel-audit-v1");
    h.update(prev_hash);
    h.update(seq.to_be_bytes());
    h.update(at.to_be_bytes());
    for field in [Some(actor), Some(action), subject, Some(detail)] {
        match field {
            None => h.update([0u8]),
            Some(s) => {
                h.update([1u8]);
                h.update((s.len() as u64).to_be_bytes());
                h.update(s.as_bytes());
            }
        }
    }
    h.finalize().into()
}

impl AuditEntry {
    pub fn computed_hash(&self) -> [u8; 32] {
        entry_hash(
            &self.prev_hash,
            self.seq,
            self.at,
            &self.actor,
            &self.action,
            self.subject.as_deref(),
            &self.detail,
        )
    }
}

/// Why the chain does not verify, naming the first bad entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("entry {seq}: its contents do not match its hash (edited)")]
    Edited { seq: i64 },
    #[error(
        "entry {seq}: does not follow entry {prev} (an entry before it was deleted or altered)"
    )]
    Broken { seq: i64, prev: i64 },
    #[error("entry {found} found where entry {expected} was expected (entries deleted)")]
    Gap { expected: i64, found: i64 },
    #[error(
        "the chain head says {head} entries but the log ends at {last} (entries deleted at the end)"
    )]
    Truncated { head: i64, last: i64 },
}

/// Verifies entries given in sequence order, continuing from `prev` (the
/// previous entry's seq and hash). Returns the last seq and hash.
pub fn verify_chain<'a>(
    entries: impl IntoIterator<Item = &'a AuditEntry>,
    mut prev: (i64, [u8; 32]),
) -> Result<(i64, [u8; 32]), ChainError> {
    for e in entries {
        if e.seq != prev.0 + 1 {
            return Err(ChainError::Gap {
                expected: prev.0 + 1,
                found: e.seq,
            });
        }
        if e.prev_hash != prev.1 {
            return Err(ChainError::Broken {
                seq: e.seq,
                prev: prev.0,
            });
        }
        if e.computed_hash() != e.hash {
            return Err(ChainError::Edited { seq: e.seq });
        }
        prev = (e.seq, e.hash);
    }
    Ok(prev)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<AuditEntry> {
        let mut prev = GENESIS;
        (1..=n)
            .map(|seq| {
                let detail = format!("{{\"n\":{seq}}}");
                let hash = entry_hash(&prev, seq, seq * 1000, "system", "test", None, &detail);
                let e = AuditEntry {
                    seq,
                    at: seq * 1000,
                    actor: "system".into(),
                    action: "test".into(),
                    subject: None,
                    detail,
                    prev_hash: prev,
                    hash,
                };
                prev = hash;
                e
            })
            .collect()
    }

    #[test]
    fn ok_intact_chain() {
        let c = chain(5);
        assert_eq!(verify_chain(&c, (0, GENESIS)).unwrap().0, 5);
    }

    #[test]
    fn fail_edited() {
        let mut c = chain(5);
        c[2].actor = "mallory".into();
        assert_eq!(
            verify_chain(&c, (0, GENESIS)),
            Err(ChainError::Edited { seq: 3 })
        );
    }

    #[test]
    fn fail_deleted() {
        let mut c = chain(5);
        c.remove(1);
        assert_eq!(
            verify_chain(&c, (0, GENESIS)),
            Err(ChainError::Gap {
                expected: 2,
                found: 3
            })
        );
    }

    #[test]
    fn fail_rehashed_but_not_relinked() {
        let mut c = chain(5);
        c[2].actor = "mallory".into();
        c[2].hash = c[2].computed_hash();
        assert_eq!(
            verify_chain(&c, (0, GENESIS)),
            Err(ChainError::Broken { seq: 4, prev: 3 })
        );
    }

    #[test]
    fn ok_field_boundaries_matter() {
        let a = entry_hash(&GENESIS, 1, 1, "ab", "c", None, "{}");
        let b = entry_hash(&GENESIS, 1, 1, "a", "bc", None, "{}");
        let c = entry_hash(&GENESIS, 1, 1, "a", "bc", Some(""), "{}");
        assert_ne!(a, b);
        assert_ne!(b, c);
    }
}
