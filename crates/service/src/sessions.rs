//! Sessions: a browser's completed login to nyckel, behind My nyckel and
//! single sign-on. The database keeps only the SHA-256 of the cookie; a
//! session counts only while its holder may act ([`may_act`]: the one
//! check every grant, endpoint and page calls), so a block ends it at
//! once even where its row is still there.

use nyckel_core::assurance::AuthMethod;

use crate::blocking::may_act;
use crate::{Nyckel, Result, cookie_hash};

pub use nyckel_store::{IdentityRow, SessionRow};

/// A live session: its holder may act now.
#[derive(Debug, Clone)]
pub struct LiveSession {
    /// The SHA-256 of the session cookie: the row's key.
    pub hash: String,
    pub row: SessionRow,
    pub identity: IdentityRow,
}

impl LiveSession {
    /// How the holder logged in (the `amr` of the session).
    pub fn methods(&self) -> Vec<AuthMethod> {
        serde_json::from_str(&self.row.amr).unwrap_or_default()
    }

    /// When the holder logged in, in seconds.
    pub fn auth_time_secs(&self) -> i64 {
        self.row.auth_time / 1000
    }

    /// The session id given to providers (`sid`, OIDC Front-Channel
    /// Logout): a prefix of the cookie's hash, so not the cookie.
    pub fn sid(&self) -> String {
        self.hash.get(..22).unwrap_or(&self.hash).to_owned()
    }
}

impl Nyckel {
    // ----- sessions -----

    /// The session a browser's cookie names, if it is live and its holder
    /// may act now.
    pub async fn live_session(&self, cookie: Option<&str>) -> Result<Option<LiveSession>> {
        let Some(cookie) = cookie else {
            return Ok(None);
        };
        let hash = cookie_hash(cookie);
        let mut tx = self.store.read().await?;
        let Some(row) = tx.find_session(&hash, self.now()).await? else {
            return Ok(None);
        };
        let Some(identity) = may_act(&mut tx, &row.identity_id).await? else {
            return Ok(None);
        };
        Ok(Some(LiveSession {
            hash,
            row,
            identity,
        }))
    }

    /// Ends a session (logout): its row goes, so the cookie is worth
    /// nothing, here and on every other server process.
    pub async fn end_session(&self, session: &LiveSession) -> Result<()> {
        let mut tx = self.store.conn().await?;
        tx.delete_session(&session.hash).await?;
        Ok(())
    }

    /// One sweep of what has expired: login flows (a key-card challenge
    /// left unanswered in one counts as a wrong code), sessions, OpenID
    /// codes and pushed requests. One transaction: a flow is gone only
    /// together with its count. Returns how many rows went.
    pub async fn sweep_expired(&self) -> Result<u64> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        let (sessions, flows) = tx.delete_expired(now).await?;
        let oidc = tx
            .delete_expired_oidc(now, crate::provider::REFRESH_TTL * 1000)
            .await?;
        for state in &flows {
            crate::login::count_if_abandoned(self, &mut tx, state).await?;
        }
        // Unknown names' counts are forgotten a month after their last
        // attempt, unless a pause still runs.
        let names = tx
            .delete_stale_name_attempts(now - NAME_ATTEMPTS_KEPT_MS, now / 1000)
            .await?;
        tx.commit().await?;
        Ok(sessions + oidc + names + flows.len() as u64)
    }
}

/// How long wrong passwords under a name that matches nobody are
/// remembered after the last one: 30 days.
const NAME_ATTEMPTS_KEPT_MS: i64 = 30 * 86_400 * 1000;
