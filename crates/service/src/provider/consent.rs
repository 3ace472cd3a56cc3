//! Consent: whether the holder must be asked, recording and withdrawing it.

use nyckel_core::audit::{AuditEvent, NewAuditEvent};
use nyckel_oidc::request::AuthorizationRequest;

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
        // A copy of the provider's name: the entry names it after the
        // client is deleted.
        let service = tx.find_client(&req.client_id).await?.map(|c| c.name);
        tx.append_audit(
            &NewAuditEvent::new(
                who,
                AuditEvent::ConsentGiven {
                    client_id: req.client_id.clone(),
                    service,
                    scope: req.scope_string(),
                },
            )
            .subject(identity_id.to_owned()),
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
            let service = tx.find_client(client_id).await?.map(|c| c.name);
            tx.append_audit(
                &NewAuditEvent::new(
                    who,
                    AuditEvent::ConsentWithdrawn {
                        client_id: client_id.to_owned(),
                        service,
                    },
                )
                .subject(identity_id.to_owned()),
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(removed)
    }
}
