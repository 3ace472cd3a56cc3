//! Authorization codes: issued after a completed login (and consent).

use nyckel_core::assurance::{AuthMethod, Loa};
use nyckel_core::audit::{AuditEvent, NewAuditEvent};
use nyckel_oidc::grant::CodeBinding;
use nyckel_oidc::request::AuthorizationRequest;
use nyckel_oidc::tokens::{self};

use super::*;
use crate::{Nyckel, Result};

impl Nyckel {
    // ----- authorization codes -----

    /// Issues a code for a completed login and returns the redirect URL.
    pub async fn issue_code(
        &self,
        req: &AuthorizationRequest,
        identity_id: &str,
        auth_time: i64,
        methods: &[AuthMethod],
        sid: Option<String>,
        ip: &str,
    ) -> Result<String> {
        let now = self.now();
        let level = nyckel_core::assurance::level(methods).unwrap_or(Loa::Low);
        let code = tokens::random_token(&mut rand::rng());
        let grant = Grant {
            binding: Some(CodeBinding::new(req, now / 1000)),
            request: req.clone(),
            identity_id: identity_id.to_owned(),
            auth_time,
            methods: methods.to_vec(),
            level,
            sid,
        };
        let data = serde_json::to_string(&grant).map_err(internal)?;
        let mut tx = self.store.write().await?;
        tx.insert_code(
            &tokens::token_hash(&code),
            &req.client_id,
            identity_id,
            &data,
            now,
            now + CODE_TTL * 1000,
        )
        .await?;
        let client = tx
            .find_client(&req.client_id)
            .await?
            .map(|c| c.name)
            .unwrap_or_default();
        tx.append_audit(
            &NewAuditEvent::new(
                "system",
                AuditEvent::LoginSucceeded {
                    service: client,
                    client_id: Some(req.client_id.clone()),
                    scope: Some(req.scope_string()),
                    amr: None,
                    loa: Some(level.as_str().into()),
                    ip: crate::ip_of(ip),
                },
            )
            .subject(identity_id.to_owned()),
            now,
        )
        .await?;
        tx.commit().await?;
        let issuer = self.issuer()?;
        Ok(nyckel_oidc::request::authorization_response_url(
            &req.redirect_uri,
            &code,
            req.state.as_deref(),
            &issuer,
        ))
    }
}
