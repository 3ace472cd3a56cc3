//! Wrong passwords under login names that match nobody (`name_attempts`),
//! keyed by a keyed hash of the normalised name, counted like a
//! credential's untrusted failures (`nyckel_core::lockout`), so that an
//! unknown name is paused exactly as a real holder's would be.

use nyckel_core::lockout::FailureCounters;

use crate::db::{Row, query};
use crate::{Result, Tx};

fn count(row: &Row, col: &str) -> Result<u32> {
    let v: i64 = row.try_get(col)?;
    Ok(u32::try_from(v).unwrap_or(u32::MAX))
}

impl Tx {
    /// Counts one attempt under `name_hash` (creating its row) and returns
    /// the counters with it counted. The row stays locked until the
    /// transaction ends, so concurrent attempts under one name are
    /// judged one after the other.
    pub async fn reserve_name_attempt(
        &mut self,
        name_hash: &str,
        now: i64,
    ) -> Result<FailureCounters> {
        let row = query(
            "INSERT INTO name_attempts (name_hash, untrusted_failures, untrusted_locks, updated_at) VALUES ($1, 1, 0, $2) \
             ON CONFLICT (name_hash) DO UPDATE SET untrusted_failures = name_attempts.untrusted_failures + 1, updated_at = $3 \
             RETURNING untrusted_failures, untrusted_locks, untrusted_locked_until",
        )
        .bind(name_hash)
        .bind(now)
        .bind(now)
        .fetch_one(self)
        .await?;
        Ok(FailureCounters {
            failures: 0,
            untrusted_failures: count(&row, "untrusted_failures")?,
            untrusted_locks: count(&row, "untrusted_locks")?,
            untrusted_locked_until: row.try_get("untrusted_locked_until")?,
        })
    }

    /// Gives back an attempt refused before it was judged (a pause runs).
    pub async fn release_name_attempt(&mut self, name_hash: &str) -> Result<()> {
        query(
            "UPDATE name_attempts SET untrusted_failures = CASE WHEN untrusted_failures > 0 THEN untrusted_failures - 1 ELSE 0 END WHERE name_hash = $1",
        )
        .bind(name_hash)
        .execute(self)
        .await?;
        Ok(())
    }

    /// Starts the pause number `locks` under `name_hash`, until `until`
    /// (unix seconds); the count starts again from zero.
    pub async fn lock_name(&mut self, name_hash: &str, locks: u32, until: i64) -> Result<()> {
        query(
            "UPDATE name_attempts SET untrusted_failures = 0, untrusted_locks = $1, untrusted_locked_until = $2 WHERE name_hash = $3",
        )
        .bind(i64::from(locks))
        .bind(until)
        .bind(name_hash)
        .execute(self)
        .await?;
        Ok(())
    }

    /// Forgets names last tried before `before` (ms) whose pause, if any,
    /// has ended by `now_secs`.
    pub async fn delete_stale_name_attempts(&mut self, before: i64, now_secs: i64) -> Result<u64> {
        let r = query(
            "DELETE FROM name_attempts WHERE updated_at < $1 AND (untrusted_locked_until IS NULL OR untrusted_locked_until <= $2)",
        )
        .bind(before)
        .bind(now_secs)
        .execute(self)
        .await?;
        Ok(r.rows_affected())
    }
}
