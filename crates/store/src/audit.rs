//! The hash-chained audit log (R-OPS-4).

use crate::db::{Row, query};
use nyckel_core::audit::{
    AuditEntry, ChainError, GENESIS, NewAuditEvent, entry_hash, verify_chain,
};

use crate::{Result, Store, Tx, corrupt};

/// The outcome of verifying the whole chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    pub entries: i64,
    pub result: Result<(), ChainError>,
}

fn hash32(v: Vec<u8>) -> Result<[u8; 32]> {
    v.try_into()
        .map_err(|_| corrupt("audit hash is not 32 bytes"))
}

fn entry_from_row(r: &Row) -> Result<AuditEntry> {
    Ok(AuditEntry {
        seq: r.try_get("seq")?,
        at: r.try_get("at")?,
        actor: r.try_get("actor")?,
        action: r.try_get("action")?,
        subject: r.try_get("subject")?,
        detail: r.try_get("detail")?,
        prev_hash: hash32(r.try_get("prev_hash")?)?,
        hash: hash32(r.try_get("hash")?)?,
    })
}

impl Tx {
    /// Appends an event to the chain when this transaction commits (and
    /// never, if it does not): see [`Tx`] for why at commit.
    pub async fn append_audit(&mut self, event: &NewAuditEvent, now: i64) -> Result<()> {
        self.audit.push((event.clone(), now));
        Ok(())
    }

    /// Writes an event into the chain. The head row is updated first, which
    /// serialises appenders on both backends (row lock / write lock).
    pub(crate) async fn write_audit(&mut self, event: &NewAuditEvent, now: i64) -> Result<i64> {
        let head = query("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
            .fetch_one(self)
            .await?;
        let seq: i64 = head.try_get("seq")?;
        let prev = hash32(head.try_get("hash")?)?;
        let (action, detail) = event.event.to_stored();
        let detail = detail.to_string();
        let hash = entry_hash(
            &prev,
            seq,
            now,
            &event.actor,
            &action,
            event.subject.as_deref(),
            &detail,
        );
        query(
            "INSERT INTO audit_log (seq, at, actor, action, subject, detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(seq)
        .bind(now)
        .bind(event.actor.clone())
        .bind(action)
        .bind(event.subject.clone())
        .bind(detail)
        .bind(prev.to_vec())
        .bind(hash.to_vec())
        .execute(self)
        .await?;
        // The trigger `audit_log_head` (migration 0003) moves the head's hash.
        Ok(seq)
    }

    /// The newest entries about a subject (a holder's activity page).
    pub async fn find_audit_by_subject(
        &mut self,
        subject: &str,
        limit: i64,
    ) -> Result<Vec<AuditEntry>> {
        let rows = query("SELECT * FROM audit_log WHERE subject = $1 ORDER BY seq DESC LIMIT $2")
            .bind(subject)
            .bind(limit)
            .fetch_all(self)
            .await?;
        rows.iter().map(entry_from_row).collect()
    }

    /// Entries with `seq > after`, oldest first.
    pub async fn find_audit_after(&mut self, after: i64, limit: i64) -> Result<Vec<AuditEntry>> {
        let rows = query("SELECT * FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2")
            .bind(after)
            .bind(limit)
            .fetch_all(self)
            .await?;
        rows.iter().map(entry_from_row).collect()
    }

    async fn find_audit_head(&mut self) -> Result<(i64, [u8; 32])> {
        let r = query("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_one(self)
            .await?;
        Ok((r.try_get("seq")?, hash32(r.try_get("hash")?)?))
    }
}

impl Store {
    /// Walks the whole chain in pages and names the first bad entry.
    pub async fn verify_audit(&self) -> Result<VerifyReport> {
        let mut tx = self.snapshot().await?;
        let head = tx.find_audit_head().await?;
        let mut prev = (0i64, GENESIS);
        loop {
            let page = tx.find_audit_after(prev.0, 5000).await?;
            if page.is_empty() {
                break;
            }
            // A gap before the first row of a page is also caught by verify_chain.
            match verify_chain(&page, prev) {
                Ok(p) => prev = p,
                Err(e) => {
                    return Ok(VerifyReport {
                        entries: prev.0,
                        result: Err(e),
                    });
                }
            }
        }
        tx.commit().await?;
        let result = if prev.0 != head.0 {
            Err(ChainError::Truncated {
                head: head.0,
                last: prev.0,
            })
        } else if prev.1 != head.1 {
            Err(ChainError::Edited { seq: prev.0 })
        } else {
            Ok(())
        };
        Ok(VerifyReport {
            entries: prev.0,
            result,
        })
    }
}
