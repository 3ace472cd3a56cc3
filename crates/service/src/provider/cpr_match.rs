//! CPR match: yes/no for providers not entitled to the CPR number.

use nyckel_core::audit::{AuditEvent, NewAuditEvent};
use nyckel_oidc::error::{ErrorCode, OAuthError};
use nyckel_oidc::tokens::AccessTokenClaims;
use nyckel_store::StoreError;

use super::*;
use crate::blocking::may_act;
use crate::{Nyckel, Result};

impl Nyckel {
    /// CPR match for providers not entitled to the CPR number: yes/no, at
    /// most 3 tries per 15 minutes per person and provider.
    pub async fn cpr_match(
        &self,
        at: &AccessTokenClaims,
        typed: &str,
    ) -> Result<Result<bool, OAuthError>> {
        let now = self.now();
        // A disabled provider, or a token of another kind, learns nothing.
        if self.find_active_client(&at.client_id).await?.is_none() {
            return Ok(Err(oauth(
                ErrorCode::InvalidToken,
                "the client is not active",
            )));
        }
        let mut tx = self.store.write().await?;
        let Some(row) = tx.find_token(&at.jti).await? else {
            tx.commit().await?;
            return Ok(Err(oauth(ErrorCode::InvalidToken, "not a person's token")));
        };
        let Some(identity_id) = row.identity_id else {
            tx.commit().await?;
            return Ok(Err(oauth(ErrorCode::InvalidToken, "not a person's token")));
        };
        let Some(identity) = may_act(&mut tx, &identity_id).await? else {
            tx.commit().await?;
            return Ok(Err(oauth(
                ErrorCode::InvalidToken,
                "the person's identity is blocked",
            )));
        };
        // The count and the try it allows commit together: of tries sent
        // at once, the identity's row lets one count at a time.
        tx.lock_identity(&identity_id).await?;
        let tries = tx
            .count_cpr_match_attempts(&identity_id, &at.client_id, now - 15 * 60_000)
            .await?;
        if tries >= 3 {
            tx.commit().await?;
            return Ok(Err(oauth(
                ErrorCode::AccessDenied,
                "too many CPR match attempts: try again later",
            )));
        }
        tx.insert_cpr_match_attempt(&identity_id, &at.client_id, now)
            .await?;
        let person = tx
            .find_person(&identity.person_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let today = self.today();
        let matched =
            nyckel_core::cpr::Cpr::parse(typed, today).is_ok_and(|c| c == person.record.cpr);
        tx.append_audit(
            &NewAuditEvent::new(
                format!("client:{}", at.client_id),
                AuditEvent::CprMatch { matched },
            )
            .subject(identity_id.clone()),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(Ok(matched))
    }
}
