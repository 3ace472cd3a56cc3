//! Login flows in progress, sessions and trusted devices. Keys are SHA-256
//! hashes of the cookie values, so a database read does not yield cookies.

use crate::db::query;

use crate::{Result, Tx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowRow {
    pub csrf: String,
    pub state: String,
    pub created_at: i64,
    pub expires_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub identity_id: String,
    pub csrf: String,
    pub auth_time: i64,
    pub amr: String,
    pub loa: String,
    pub expires_at: i64,
}

impl Tx {
    pub async fn insert_flow(
        &mut self,
        id_hash: &str,
        csrf: &str,
        state: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<()> {
        query("INSERT INTO login_flows (id_hash, csrf, state, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(id_hash)
            .bind(csrf)
            .bind(state)
            .bind(now)
            .bind(expires_at)
            .execute(self)
            .await?;
        Ok(())
    }

    /// The flow, if it exists and has not expired.
    pub async fn find_flow(&mut self, id_hash: &str, now: i64) -> Result<Option<FlowRow>> {
        let row = query("SELECT csrf, state, created_at, expires_at FROM login_flows WHERE id_hash = $1 AND expires_at > $2")
            .bind(id_hash)
            .bind(now)
            .fetch_optional(self)
            .await?;
        row.map(|r| {
            Ok(FlowRow {
                csrf: r.try_get("csrf")?,
                state: r.try_get("state")?,
                created_at: r.try_get("created_at")?,
                expires_at: r.try_get("expires_at")?,
            })
        })
        .transpose()
    }

    pub async fn update_flow(&mut self, id_hash: &str, state: &str) -> Result<()> {
        query("UPDATE login_flows SET state = $1 WHERE id_hash = $2")
            .bind(state)
            .bind(id_hash)
            .execute(self)
            .await?;
        Ok(())
    }

    /// Moves a flow on from the state it was read in: `false` if another
    /// request moved it first (or it is gone). The compare-and-set that
    /// makes a step succeed once per flow on both backends: on PostgreSQL a
    /// concurrent update waits for the first to commit and then finds the
    /// state changed.
    pub async fn replace_flow(
        &mut self,
        id_hash: &str,
        expected_state: &str,
        state: &str,
    ) -> Result<bool> {
        let r = query("UPDATE login_flows SET state = $1 WHERE id_hash = $2 AND state = $3")
            .bind(state)
            .bind(id_hash)
            .bind(expected_state)
            .execute(self)
            .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Ends a flow that is still in the state it was read in: `false` if
    /// another request moved or ended it first.
    pub async fn delete_flow_if(&mut self, id_hash: &str, expected_state: &str) -> Result<bool> {
        let r = query("DELETE FROM login_flows WHERE id_hash = $1 AND state = $2")
            .bind(id_hash)
            .bind(expected_state)
            .execute(self)
            .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Deletes a flow; returns its state if it was there (the caller may
    /// have to account for a step left half done).
    pub async fn delete_flow(&mut self, id_hash: &str) -> Result<Option<String>> {
        let row = query("DELETE FROM login_flows WHERE id_hash = $1 RETURNING state")
            .bind(id_hash)
            .fetch_optional(self)
            .await?;
        row.map(|r| r.try_get("state")).transpose()
    }

    /// Removes expired flows and sessions. Returns how many sessions went
    /// and the states of the flows that did: each deleted once, so that
    /// several server processes sweeping at once see each flow once.
    pub async fn delete_expired(&mut self, now: i64) -> Result<(u64, Vec<String>)> {
        let flows = query("DELETE FROM login_flows WHERE expires_at <= $1 RETURNING state")
            .bind(now)
            .fetch_all(self)
            .await?;
        let sessions = query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now)
            .execute(self)
            .await?;
        let states = flows
            .iter()
            .map(|r| r.try_get("state"))
            .collect::<Result<_, _>>()?;
        Ok((sessions.rows_affected(), states))
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn insert_session(
        &mut self,
        id_hash: &str,
        identity_id: &str,
        csrf: &str,
        amr: &str,
        loa: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<()> {
        query(
            "INSERT INTO sessions (id_hash, identity_id, csrf, auth_time, amr, loa, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id_hash)
        .bind(identity_id)
        .bind(csrf)
        .bind(now)
        .bind(amr)
        .bind(loa)
        .bind(now)
        .bind(expires_at)
        .execute(self)
        .await?;
        Ok(())
    }

    pub async fn find_session(&mut self, id_hash: &str, now: i64) -> Result<Option<SessionRow>> {
        let row = query(
            "SELECT identity_id, csrf, auth_time, amr, loa, expires_at FROM sessions WHERE id_hash = $1 AND expires_at > $2",
        )
        .bind(id_hash)
        .bind(now)
        .fetch_optional(self)
        .await?;
        row.map(|r| {
            Ok(SessionRow {
                identity_id: r.try_get("identity_id")?,
                csrf: r.try_get("csrf")?,
                auth_time: r.try_get("auth_time")?,
                amr: r.try_get("amr")?,
                loa: r.try_get("loa")?,
                expires_at: r.try_get("expires_at")?,
            })
        })
        .transpose()
    }

    pub async fn delete_session(&mut self, id_hash: &str) -> Result<()> {
        query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(self)
            .await?;
        Ok(())
    }

    /// Ends every session of an identity (on block).
    pub async fn delete_sessions_of(&mut self, identity_id: &str) -> Result<u64> {
        let r = query("DELETE FROM sessions WHERE identity_id = $1")
            .bind(identity_id)
            .execute(self)
            .await?;
        Ok(r.rows_affected())
    }

    /// Ends every session of an identity but `keep` (a change of
    /// password ends the others).
    pub async fn delete_other_sessions_of(&mut self, identity_id: &str, keep: &str) -> Result<u64> {
        let r = query("DELETE FROM sessions WHERE identity_id = $1 AND id_hash <> $2")
            .bind(identity_id)
            .bind(keep)
            .execute(self)
            .await?;
        Ok(r.rows_affected())
    }

    pub async fn insert_trusted_device(
        &mut self,
        device_hash: &str,
        identity_id: &str,
        now: i64,
    ) -> Result<()> {
        query(
            "INSERT INTO trusted_devices (device_hash, identity_id, created_at, last_seen_at) VALUES ($1, $2, $3, $4) ON CONFLICT (device_hash, identity_id) DO UPDATE SET last_seen_at = excluded.last_seen_at",
        )
        .bind(device_hash)
        .bind(identity_id)
        .bind(now)
        .bind(now)
        .execute(self)
        .await?;
        Ok(())
    }

    pub async fn is_trusted_device(
        &mut self,
        device_hash: &str,
        identity_id: &str,
    ) -> Result<bool> {
        let row = query(
            "SELECT 1 AS one FROM trusted_devices WHERE device_hash = $1 AND identity_id = $2",
        )
        .bind(device_hash)
        .bind(identity_id)
        .fetch_optional(self)
        .await?;
        Ok(row.is_some())
    }
}
