//! Clients: registration, the short cache the token endpoint reads, secret
//! rotation, client authentication.

use std::sync::Arc;

use nyckel_core::audit::NewAuditEvent;
use nyckel_core::secret::SecretString;
use nyckel_oidc::client::{self, ClientAuthMethod, SubjectType};
use nyckel_oidc::error::{ErrorCode, OAuthError};
use nyckel_oidc::grant::PresentedClient;
use nyckel_oidc::keys::SigningAlg;
use nyckel_oidc::request::ClientView;
use nyckel_store::ClientRow;
use serde_json::{Value, json};

use super::*;
use crate::{Nyckel, Result, ServiceError};

impl Nyckel {
    // ----- clients -----

    pub async fn find_active_client(&self, client_id: &str) -> Result<Option<ClientRow>> {
        let mut tx = self.store.read().await?;
        let c = tx.find_client(client_id).await?;
        tx.commit().await?;
        Ok(c.filter(|c| c.status == "active"))
    }

    pub fn client_view(c: &ClientRow) -> ClientView {
        let mut scopes = vec!["openid".to_owned(), "profile".to_owned()];
        if c.allow_cpr {
            scopes.push("ssn".to_owned());
        }
        ClientView {
            client_id: c.client_id.clone(),
            redirect_uris: c.redirect_uris.clone(),
            public: c.auth_method == "none",
            require_par: c.require_par,
            allowed_scopes: scopes,
            default_acr: None,
        }
    }

    /// Registers a client. Returns the plain secret once (none for public clients).
    #[allow(clippy::too_many_arguments)]
    pub async fn add_client(
        &self,
        name: &str,
        redirect_uris: Vec<String>,
        post_logout_redirect_uris: Vec<String>,
        auth_method: ClientAuthMethod,
        allow_cpr: bool,
        require_par: bool,
        subject_type: SubjectType,
        jwks: Option<String>,
        jwks_uri: Option<String>,
        grant_types: Vec<String>,
        who: &str,
    ) -> Result<(String, Option<SecretString>)> {
        let public = auth_method == ClientAuthMethod::None;
        for uri in redirect_uris.iter().chain(&post_logout_redirect_uris) {
            nyckel_oidc::request::check_redirect_uri(uri, public)
                .map_err(|e| ServiceError::Invalid(format!("redirect URI {uri:?}: {e}")))?;
        }
        if redirect_uris.is_empty() && grant_types.iter().any(|g| g == "authorization_code") {
            return Err(ServiceError::Invalid(
                "a client that logs people in needs a redirect URI".into(),
            ));
        }
        if auth_method == ClientAuthMethod::PrivateKeyJwt {
            let Some(j) = &jwks else {
                return Err(ServiceError::Invalid(
                    "private_key_jwt needs the client's public keys (--jwks FILE)".into(),
                ));
            };
            let v: Value = serde_json::from_str(j)
                .map_err(|_| ServiceError::Invalid("the JWKS is not JSON".into()))?;
            client::check_client_jwks(&v)
                .map_err(|e| ServiceError::Invalid(format!("the JWKS: {e}")))?;
        }
        if public && (allow_cpr || grant_types.iter().any(|g| g == "client_credentials")) {
            return Err(ServiceError::Invalid(
                "a public client can neither receive CPR numbers nor use client_credentials".into(),
            ));
        }
        let now = self.now();
        let client_id = format!(
            "nyckel-{}",
            &uuid::Uuid::new_v4().simple().to_string()[..20]
        );
        let (secret, stored) = match auth_method {
            ClientAuthMethod::ClientSecretBasic | ClientAuthMethod::ClientSecretPost => {
                let g =
                    client::secret::generate(&mut rand::rng(), self.secret().bytes(), &client_id);
                (Some(g.plain), Some(g.stored))
            }
            _ => (None, None),
        };
        let row = ClientRow {
            client_id: client_id.clone(),
            name: name.to_owned(),
            secret_hash: stored,
            auth_method: auth_method.as_str().to_owned(),
            redirect_uris,
            post_logout_redirect_uris,
            grant_types,
            allow_cpr,
            require_par,
            subject_type: subject_type.as_str().to_owned(),
            id_token_alg: "ES256".into(),
            jwks_uri,
            jwks,
            status: "active".into(),
            created_at: now,
        };
        let mut tx = self.store.write().await?;
        tx.insert_client(&row).await?;
        tx.append_audit(
            &NewAuditEvent::new(who, "oidc.client.added")
                .subject(format!("client:{client_id}"))
                .detail(json!({
                    "name": name, "auth_method": auth_method.as_str(), "allow_cpr": allow_cpr,
                })),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok((client_id, secret))
    }

    /// An active client, from the cache when it is fresh enough.
    pub async fn cached_active_client(&self, client_id: &str) -> Result<Option<Arc<ClientRow>>> {
        let now = self.now() / 1000;
        if let Ok(map) = self.key_cache().clients.read()
            && let Some((c, at)) = map.get(client_id)
            && now - at < CLIENT_CACHE_SECS
        {
            return Ok(Some(c.clone()));
        }
        let Some(c) = self.find_active_client(client_id).await? else {
            if let Ok(mut map) = self.key_cache().clients.write() {
                map.remove(client_id);
            }
            return Ok(None);
        };
        let c = Arc::new(c);
        if let Ok(mut map) = self.key_cache().clients.write() {
            if map.len() > 10_000 {
                map.clear();
            }
            map.insert(client_id.to_owned(), (c.clone(), now));
        }
        Ok(Some(c))
    }

    /// Chooses the algorithm of a client's ID tokens (ES256 by default; RS256
    /// for relying parties that only support RSA).
    pub async fn set_id_token_alg(
        &self,
        client_id: &str,
        alg: SigningAlg,
        who: &str,
    ) -> Result<()> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        tx.update_client_id_token_alg(client_id, alg.as_str())
            .await?;
        tx.append_audit(
            &NewAuditEvent::new(who, "oidc.client.changed")
                .subject(format!("client:{client_id}"))
                .detail(json!({ "id_token_alg": alg.as_str() })),
            now,
        )
        .await?;
        tx.commit().await?;
        if let Ok(mut map) = self.key_cache().clients.write() {
            map.remove(client_id);
        }
        Ok(())
    }

    /// Gives a client that authenticates with a secret a new one and
    /// returns it (shown once; only its keyed hash is kept). The old secret
    /// stops working at once in this process and within the client cache's
    /// 5 seconds in others. `Ok(None)`: unknown client; `Invalid` for a
    /// client without a secret (public, or `private_key_jwt`).
    pub async fn rotate_client_secret(
        &self,
        client_id: &str,
        who: &str,
    ) -> Result<Option<SecretString>> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        let Some(c) = tx.find_client(client_id).await? else {
            return Ok(None);
        };
        if c.secret_hash.is_none() {
            return Err(ServiceError::Invalid(format!(
                "client {client_id} authenticates with {}, not with a secret",
                c.auth_method
            )));
        }
        let g = client::secret::generate(&mut rand::rng(), self.secret().bytes(), client_id);
        tx.update_client_secret_hash(client_id, &g.stored).await?;
        tx.append_audit(
            &NewAuditEvent::new(who, "oidc.client.secret-rotated")
                .subject(format!("client:{client_id}")),
            now,
        )
        .await?;
        tx.commit().await?;
        if let Ok(mut map) = self.key_cache().clients.write() {
            map.remove(client_id);
        }
        Ok(Some(g.plain))
    }

    /// Checks the client's credentials at the token, revocation and introspection endpoints.
    pub async fn authenticate_client(
        &self,
        presented: &PresentedClient,
        endpoint: &str,
    ) -> Result<Result<AuthenticatedClient, OAuthError>> {
        let bad = || {
            Ok(Err(oauth(
                ErrorCode::InvalidClient,
                "client authentication failed",
            )))
        };
        let Some(c) = self.cached_active_client(presented.client_id()).await? else {
            return bad();
        };
        if c.auth_method != presented.method().as_str() {
            return bad();
        }
        match presented {
            PresentedClient::Secret { secret, .. } => {
                let verifier = self
                    .key_cache()
                    .secret_verifier
                    .get_or_init(|| client::secret::Verifier::new(self.secret().bytes()));
                let ok = c
                    .secret_hash
                    .as_deref()
                    .is_some_and(|stored| verifier.verify(&c.client_id, stored, secret.expose()));
                if !ok {
                    return bad();
                }
            }
            PresentedClient::Assertion { assertion, .. } => {
                let Some(jwks) = c
                    .jwks
                    .as_deref()
                    .and_then(|j| serde_json::from_str::<Value>(j).ok())
                else {
                    return bad();
                };
                let issuer = self.issuer()?;
                let now = self.now() / 1000;
                let Ok(a) = client::verify_client_assertion(
                    assertion,
                    &c.client_id,
                    &jwks,
                    &issuer.endpoint(endpoint),
                    issuer.as_str(),
                    now,
                ) else {
                    return bad();
                };
                let mut tx = self.store.write().await?;
                let fresh = tx
                    .insert_assertion_jti(&c.client_id, &a.jti, a.exp * 1000)
                    .await?;
                tx.commit().await?;
                if !fresh {
                    return Ok(Err(oauth(
                        ErrorCode::InvalidClient,
                        "client assertion replayed",
                    )));
                }
            }
            PresentedClient::Public { .. } => {}
        }
        Ok(Ok(AuthenticatedClient(c)))
    }
}
