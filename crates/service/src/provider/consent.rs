//! Consent: whether the holder must be asked, recording and withdrawing it.

use nyckel_core::audit::NewAuditEvent;
use nyckel_oidc::request::AuthorizationRequest;
use serde_json::json;

use crate::{Nyckel, Result};

impl Nyckel {
    // ----- consent -----

    /// Whether the holder must be asked before the client gets these scopes.
    pub async fn consent_needed(
        &self,
        identity_id: &str,
        req: &AuthorizationRequest,
    ) -> Result<bool> {
        if req.prompt.consent {
            return Ok(true);
        }
        let mut tx = self.store.read().await?;
        let given = tx.find_consent(identity_id, &req.client_id).await?;
        tx.commit().await?;
        let Some(given) = given else { return Ok(true) };
        let given: Vec<&str> = given.split(' ').collect();
        Ok(!req.scopes.iter().all(|s| given.contains(&s.as_str())))
    }

    pub async fn record_consent(
        &self,
        identity_id: &str,
        req: &AuthorizationRequest,
        who: &str,
    ) -> Result<()> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        tx.upsert_consent(identity_id, &req.client_id, &req.scope_string(), now)
            .await?;
        tx.append_audit(
            &NewAuditEvent::new(who, "oidc.consent.given")
                .subject(identity_id.to_owned())
                .detail(json!({ "client_id": req.client_id, "scope": req.scope_string() })),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn withdraw_consent(
        &self,
        identity_id: &str,
        client_id: &str,
        who: &str,
    ) -> Result<bool> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        let removed = tx.delete_consent(identity_id, client_id).await?;
        if removed {
            tx.append_audit(
                &NewAuditEvent::new(who, "oidc.consent.withdrawn")
                    .subject(identity_id.to_owned())
                    .detail(json!({ "client_id": client_id })),
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(removed)
    }
}
