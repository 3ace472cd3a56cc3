//! Credentials and key-card keys.

use crate::db::{Row, query};
use nyckel_core::credential::{CredentialKind, CredentialStatus};
use nyckel_core::lockout::{FailureCounters, Trust};

use crate::{Result, StoreError, Tx, new_id, parse};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialRow {
    pub id: String,
    pub identity_id: String,
    pub kind: CredentialKind,
    pub status: CredentialStatus,
    pub label: Option<String>,
    /// Argon2id PHC string or keyed hash; never a plain secret.
    pub secret_hash: Option<String>,
    pub data: Option<String>,
    pub counters: FailureCounters,
    pub created_at: i64,
    pub activated_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub expires_at: Option<i64>,
    pub status_reason: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewCredential<'a> {
    pub identity_id: &'a str,
    pub kind: CredentialKind,
    pub status: CredentialStatus,
    pub label: Option<&'a str>,
    pub secret_hash: Option<&'a str>,
    pub data: Option<&'a str>,
    pub expires_at: Option<i64>,
}

const CREDENTIAL_COLUMNS: &str = "id, identity_id, kind, status, label, secret_hash, data, failures, untrusted_failures, untrusted_locks, untrusted_locked_until, created_at, activated_at, last_used_at, expires_at, status_reason";

fn count(row: &Row, col: &str) -> Result<u32> {
    let v: i64 = row.try_get(col)?;
    Ok(u32::try_from(v).unwrap_or(u32::MAX))
}

fn credential_from_row(row: &Row) -> Result<CredentialRow> {
    let kind: String = row.try_get("kind")?;
    let status: String = row.try_get("status")?;
    Ok(CredentialRow {
        id: row.try_get("id")?,
        identity_id: row.try_get("identity_id")?,
        kind: parse(&kind, "credential kind")?,
        status: parse(&status, "credential status")?,
        label: row.try_get("label")?,
        secret_hash: row.try_get("secret_hash")?,
        data: row.try_get("data")?,
        counters: FailureCounters {
            failures: count(row, "failures")?,
            untrusted_failures: count(row, "untrusted_failures")?,
            untrusted_locks: count(row, "untrusted_locks")?,
            untrusted_locked_until: row.try_get("untrusted_locked_until")?,
        },
        created_at: row.try_get("created_at")?,
        activated_at: row.try_get("activated_at")?,
        last_used_at: row.try_get("last_used_at")?,
        expires_at: row.try_get("expires_at")?,
        status_reason: row.try_get("status_reason")?,
    })
}

/// The counter that attempts of a trust count against (a fixed name, never input).
fn counter_column(trust: Trust) -> &'static str {
    match trust {
        Trust::TrustedDevice => "failures",
        Trust::Untrusted => "untrusted_failures",
    }
}

fn key_number_of(row: &Row) -> Result<u16> {
    let n: i64 = row.try_get("key_number")?;
    u16::try_from(n).map_err(|_| crate::corrupt("bad key number"))
}

impl Tx {
    pub async fn insert_credential(&mut self, c: &NewCredential<'_>, now: i64) -> Result<String> {
        let id = new_id();
        let activated = (c.status == CredentialStatus::Active).then_some(now);
        query(
            "INSERT INTO credentials (id, identity_id, kind, status, label, secret_hash, data, created_at, activated_at, expires_at, status_changed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(id.clone())
        .bind(c.identity_id)
        .bind(c.kind.as_str())
        .bind(c.status.as_str())
        .bind(c.label.map(str::to_owned))
        .bind(c.secret_hash.map(str::to_owned))
        .bind(c.data.map(str::to_owned))
        .bind(now)
        .bind(activated)
        .bind(c.expires_at)
        .bind(now)
        .execute(self)
        .await?;
        Ok(id)
    }

    pub async fn find_credential(&mut self, id: &str) -> Result<Option<CredentialRow>> {
        let sql = format!("SELECT {CREDENTIAL_COLUMNS} FROM credentials WHERE id = $1");
        let row = query(sql).bind(id).fetch_optional(self).await?;
        row.as_ref().map(credential_from_row).transpose()
    }

    /// All credentials of an identity, newest first.
    pub async fn find_credentials(&mut self, identity_id: &str) -> Result<Vec<CredentialRow>> {
        let sql = format!(
            "SELECT {CREDENTIAL_COLUMNS} FROM credentials WHERE identity_id = $1 ORDER BY created_at DESC, id"
        );
        let rows = query(sql).bind(identity_id).fetch_all(self).await?;
        rows.iter().map(credential_from_row).collect()
    }

    /// The identity's credentials of one kind that are not retired or
    /// revoked, oldest first (so an active key card comes before a pending one).
    pub async fn find_live_credentials(
        &mut self,
        identity_id: &str,
        kind: CredentialKind,
    ) -> Result<Vec<CredentialRow>> {
        let mut all = self.find_all_live_credentials(identity_id).await?;
        all.retain(|c| c.kind == kind);
        Ok(all)
    }

    /// All of the identity's credentials that are not retired or revoked,
    /// oldest first: what a login step needs, in one statement.
    pub async fn find_all_live_credentials(
        &mut self,
        identity_id: &str,
    ) -> Result<Vec<CredentialRow>> {
        Ok(self.find_login_credentials(identity_id, None).await?.0)
    }

    /// [`Tx::find_all_live_credentials`], and whether the device (the hash
    /// of its cookie) has logged in to the identity before, in one
    /// statement. With no live credentials the device counts as unknown.
    pub async fn find_login_credentials(
        &mut self,
        identity_id: &str,
        device_hash: Option<&str>,
    ) -> Result<(Vec<CredentialRow>, bool)> {
        let sql = format!(
            "SELECT {CREDENTIAL_COLUMNS}, (SELECT COUNT(*) FROM trusted_devices t WHERE t.device_hash = $1 AND t.identity_id = credentials.identity_id) AS trusted FROM credentials WHERE identity_id = $2 AND status NOT IN ('retired', 'revoked') ORDER BY created_at, id"
        );
        let rows = query(sql)
            .bind(device_hash.unwrap_or(""))
            .bind(identity_id)
            .fetch_all(self)
            .await?;
        let mut trusted = false;
        let credentials = rows
            .iter()
            .map(|r| {
                let t: i64 = r.try_get("trusted")?;
                trusted |= t > 0 && device_hash.is_some();
                credential_from_row(r)
            })
            .collect::<Result<_>>()?;
        Ok((credentials, trusted))
    }

    pub async fn update_credential_status(
        &mut self,
        id: &str,
        status: CredentialStatus,
        reason: Option<&str>,
        now: i64,
    ) -> Result<()> {
        let r = query(
            "UPDATE credentials SET status = $1, status_reason = $2, status_changed_at = $3, activated_at = CASE WHEN $4 = 'active' AND activated_at IS NULL THEN $5 ELSE activated_at END WHERE id = $6",
        )
        .bind(status.as_str())
        .bind(reason.map(str::to_owned))
        .bind(now)
        .bind(status.as_str())
        .bind(now)
        .bind(id)
        .execute(self)
        .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    pub async fn update_credential_counters(
        &mut self,
        id: &str,
        c: &FailureCounters,
    ) -> Result<()> {
        self.write_counters(id, c, None).await
    }

    /// Records a successful use: the time, and the counters after it.
    pub async fn update_credential_use(
        &mut self,
        id: &str,
        c: &FailureCounters,
        now: i64,
    ) -> Result<()> {
        self.write_counters(id, c, Some(now)).await
    }

    /// The failure counters, and the time of use if given, in one statement.
    async fn write_counters(
        &mut self,
        id: &str,
        c: &FailureCounters,
        used_at: Option<i64>,
    ) -> Result<()> {
        query(
            "UPDATE credentials SET last_used_at = COALESCE($1, last_used_at), failures = $2, untrusted_failures = $3, untrusted_locks = $4, untrusted_locked_until = $5 WHERE id = $6",
        )
        .bind(used_at)
        .bind(i64::from(c.failures))
        .bind(i64::from(c.untrusted_failures))
        .bind(i64::from(c.untrusted_locks))
        .bind(c.untrusted_locked_until)
        .bind(id)
        .execute(self)
        .await?;
        Ok(())
    }

    /// Reserves one attempt before it is checked (R-BLOCK-2): the counter of
    /// its trust goes up by one in one statement, and the row after it is
    /// returned, so that the caller judges the limit on the updated row.
    /// Concurrent reservations each see their own number. `None` if the
    /// credential does not exist.
    pub async fn reserve_attempt(
        &mut self,
        id: &str,
        trust: Trust,
    ) -> Result<Option<CredentialRow>> {
        let column = counter_column(trust);
        let sql = format!(
            "UPDATE credentials SET {column} = {column} + 1 WHERE id = $1 RETURNING {CREDENTIAL_COLUMNS}"
        );
        let row = query(sql).bind(id).fetch_optional(self).await?;
        row.as_ref().map(credential_from_row).transpose()
    }

    /// Gives back `n` reserved attempts of a trust (never below zero): a
    /// success clears the failures reserved up to its own reservation, a
    /// refused or abandoned reservation gives back its one. With
    /// `forget_untrusted_locks` (a success on a trusted device) the next
    /// untrusted lock is short again. `used_at` records a use.
    pub async fn release_attempts(
        &mut self,
        id: &str,
        trust: Trust,
        n: u32,
        forget_untrusted_locks: bool,
        used_at: Option<i64>,
    ) -> Result<()> {
        let column = counter_column(trust);
        let locks = if forget_untrusted_locks {
            ", untrusted_locks = 0"
        } else {
            ""
        };
        let sql = format!(
            "UPDATE credentials SET {column} = CASE WHEN {column} > $1 THEN {column} - $2 ELSE 0 END, last_used_at = COALESCE($3, last_used_at){locks} WHERE id = $4"
        );
        query(sql)
            .bind(i64::from(n))
            .bind(i64::from(n))
            .bind(used_at)
            .bind(id)
            .execute(self)
            .await?;
        Ok(())
    }

    /// Starts an untrusted lock (a pause for untrusted attempts) unless one
    /// is running at `now`: the count starts again from zero (attempts still
    /// being checked settle into the pause), the lock count and its end are
    /// set. `false` if a lock was already running: nothing changed.
    pub async fn lock_untrusted(
        &mut self,
        id: &str,
        locks: u32,
        until: i64,
        now: i64,
    ) -> Result<bool> {
        let r = query(
            "UPDATE credentials SET untrusted_failures = 0, untrusted_locks = $1, untrusted_locked_until = $2 WHERE id = $3 AND (untrusted_locked_until IS NULL OR untrusted_locked_until <= $4)",
        )
        .bind(i64::from(locks))
        .bind(until)
        .bind(id)
        .bind(now)
        .execute(self)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Records the use of an identity's active credentials of one kind.
    pub async fn update_credentials_used(
        &mut self,
        identity_id: &str,
        kind: CredentialKind,
        now: i64,
    ) -> Result<()> {
        query("UPDATE credentials SET last_used_at = $1 WHERE identity_id = $2 AND kind = $3 AND status = 'active'")
            .bind(now)
            .bind(identity_id)
            .bind(kind.as_str())
            .execute(self)
            .await?;
        Ok(())
    }

    /// Retires every live credential of a kind (e.g. the old password when a
    /// new one is set, outstanding activation codes when a new one is issued).
    pub async fn retire_credentials(
        &mut self,
        identity_id: &str,
        kind: CredentialKind,
        now: i64,
    ) -> Result<u64> {
        let r = query(
            "UPDATE credentials SET status = 'retired', status_changed_at = $1 WHERE identity_id = $2 AND kind = $3 AND status NOT IN ('retired', 'revoked')",
        )
        .bind(now)
        .bind(identity_id)
        .bind(kind.as_str())
        .execute(self)
        .await?;
        Ok(r.rows_affected())
    }

    /// Stores a key card's codes as keyed hashes.
    pub async fn insert_key_card_keys(
        &mut self,
        credential_id: &str,
        keys: &[(u16, [u8; 32])],
    ) -> Result<()> {
        for chunk in keys.chunks(200) {
            let mut sql = String::from(
                "INSERT INTO key_card_keys (credential_id, key_number, code_hash) VALUES ",
            );
            for i in 0..chunk.len() {
                if i > 0 {
                    sql.push(',');
                }
                let (a, b, c) = (
                    self.param(i * 3 + 1),
                    self.param(i * 3 + 2),
                    self.param(i * 3 + 3),
                );
                sql.push_str(&format!("({a}, {b}, {c})"));
            }
            let mut q = query(sql);
            for (number, hash) in chunk {
                q = q
                    .bind(credential_id)
                    .bind(i64::from(*number))
                    .bind(hash.to_vec());
            }
            q.execute(self).await?;
        }
        Ok(())
    }

    /// Holds the identity's key-card rows until this write transaction
    /// ends (PostgreSQL: `FOR UPDATE`; SQLite: the write transaction
    /// excludes every other writer), so that a check of the cards and the
    /// card it orders cannot interleave with another order for the same
    /// holder. The card rows, as a key-card login takes them, before any
    /// identity row.
    pub async fn lock_key_cards(&mut self, identity_id: &str) -> Result<()> {
        if self.dialect() == crate::Dialect::Postgres {
            query("SELECT id FROM credentials WHERE identity_id = $1 AND kind = 'key-card' ORDER BY id FOR UPDATE")
                .bind(identity_id)
                .fetch_all(self)
                .await?;
        }
        Ok(())
    }

    /// How many key cards of the identity were made since `since` (ms)
    /// with `data` equal to `marker` (what the card was ordered for).
    pub async fn count_key_cards_since(
        &mut self,
        identity_id: &str,
        marker: &str,
        since: i64,
    ) -> Result<i64> {
        let row = query("SELECT COUNT(*) AS n FROM credentials WHERE identity_id = $1 AND kind = 'key-card' AND data = $2 AND created_at >= $3")
            .bind(identity_id)
            .bind(marker)
            .bind(since)
            .fetch_one(self)
            .await?;
        row.try_get("n")
    }

    /// How many keys of a card are not used yet.
    pub async fn count_unused_keys(&mut self, credential_id: &str) -> Result<i64> {
        let row = query(
            "SELECT COUNT(*) AS n FROM key_card_keys WHERE credential_id = $1 AND used_at IS NULL",
        )
        .bind(credential_id)
        .fetch_one(self)
        .await?;
        row.try_get("n")
    }

    pub async fn find_unused_keys(&mut self, credential_id: &str) -> Result<Vec<u16>> {
        let rows = query("SELECT key_number FROM key_card_keys WHERE credential_id = $1 AND used_at IS NULL ORDER BY key_number")
            .bind(credential_id)
            .fetch_all(self)
            .await?;
        rows.iter().map(key_number_of).collect()
    }

    /// Marks a key used and answered, and returns its code hash; `None` if
    /// it was already used. (A login consumes a key when it shows it, with
    /// [`Tx::consume_random_key`], and answers it later; this is both at
    /// once, for spending keys outside a login.)
    pub async fn consume_key(
        &mut self,
        credential_id: &str,
        key_number: u16,
        now: i64,
    ) -> Result<Option<Vec<u8>>> {
        let row = query(
            "UPDATE key_card_keys SET used_at = $1, answered_at = $2 WHERE credential_id = $3 AND key_number = $4 AND used_at IS NULL RETURNING code_hash",
        )
        .bind(now)
        .bind(now)
        .bind(credential_id)
        .bind(i64::from(key_number))
        .fetch_optional(self)
        .await?;
        row.map(|r| r.try_get("code_hash")).transpose()
    }

    /// Consumes one unused key of the card, chosen uniformly at random, and
    /// returns its number: one statement, with no list of keys fetched.
    /// (NemID did not ask in card order, so a stolen photo of part of a card
    /// is worth less.) `None` when the card is used up.
    pub async fn consume_random_key(
        &mut self,
        credential_id: &str,
        now: i64,
    ) -> Result<Option<u16>> {
        let row = query(
            "UPDATE key_card_keys SET used_at = $1 WHERE credential_id = $2 AND used_at IS NULL AND key_number = (SELECT key_number FROM key_card_keys WHERE credential_id = $3 AND used_at IS NULL ORDER BY random() LIMIT 1) RETURNING key_number",
        )
        .bind(now)
        .bind(credential_id)
        .bind(credential_id)
        .fetch_optional(self)
        .await?;
        row.as_ref().map(key_number_of).transpose()
    }

    /// Ends every key of the card that was shown and not yet answered, and
    /// returns their numbers: each counts as a wrong code (a card has at
    /// most one key outstanding). One statement, so concurrent callers each
    /// get a key once.
    pub async fn supersede_shown_keys(
        &mut self,
        credential_id: &str,
        now: i64,
    ) -> Result<Vec<u16>> {
        let rows = query(
            "UPDATE key_card_keys SET answered_at = $1 WHERE credential_id = $2 AND used_at IS NOT NULL AND answered_at IS NULL RETURNING key_number",
        )
        .bind(now)
        .bind(credential_id)
        .fetch_all(self)
        .await?;
        rows.iter().map(key_number_of).collect()
    }

    /// Marks a shown key answered: `false` if it was answered or superseded
    /// before (then it must not be accepted, nor counted again).
    pub async fn answer_key(
        &mut self,
        credential_id: &str,
        key_number: u16,
        now: i64,
    ) -> Result<bool> {
        let r = query(
            "UPDATE key_card_keys SET answered_at = $1 WHERE credential_id = $2 AND key_number = $3 AND used_at IS NOT NULL AND answered_at IS NULL",
        )
        .bind(now)
        .bind(credential_id)
        .bind(i64::from(key_number))
        .execute(self)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// A key-card credential with the code hash of one of its keys and the
    /// number of keys still unused: what checking a code needs, in one
    /// statement. `None` if the credential does not exist.
    pub async fn find_card_key(
        &mut self,
        credential_id: &str,
        key_number: u16,
    ) -> Result<Option<(CredentialRow, Option<Vec<u8>>, usize)>> {
        let sql = format!(
            "SELECT {CREDENTIAL_COLUMNS}, (SELECT k.code_hash FROM key_card_keys k WHERE k.credential_id = credentials.id AND k.key_number = $1) AS code_hash, (SELECT COUNT(*) FROM key_card_keys u WHERE u.credential_id = credentials.id AND u.used_at IS NULL) AS keys_left FROM credentials WHERE id = $2"
        );
        let row = query(sql)
            .bind(i64::from(key_number))
            .bind(credential_id)
            .fetch_optional(self)
            .await?;
        row.map(|r| {
            let left: i64 = r.try_get("keys_left")?;
            Ok((
                credential_from_row(&r)?,
                r.try_get("code_hash")?,
                usize::try_from(left).unwrap_or(0),
            ))
        })
        .transpose()
    }
}
