//! Clients: registration, the short cache the token endpoint reads, secret
//! rotation, client authentication.

use std::sync::Arc;

use nyckel_core::audit::{AuditEvent, NewAuditEvent};
use nyckel_core::secret::SecretString;
use nyckel_oidc::client::{self, AccessTokenLifetime, ClientAuthMethod, GrantType, SubjectType};
use nyckel_oidc::error::{ErrorCode, OAuthError};
use nyckel_oidc::grant::PresentedClient;
use nyckel_oidc::keys::SigningAlg;
use nyckel_oidc::request::ClientView;
use nyckel_store::ClientRow;
use serde_json::Value;

use super::*;
use crate::{Nyckel, Result, ServiceError};

/// An active client (relying party) as the service and the web see it: its
/// settings are enums, parsed once from the stored row
/// ([`Client::from_row`]); a row nyckel cannot read is corrupt, never a
/// silent default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    pub client_id: String,
    pub name: String,
    /// The keyed hash of its secret, for the methods that use one.
    pub(crate) secret_hash: Option<String>,
    pub auth_method: ClientAuthMethod,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub grant_types: Vec<GrantType>,
    /// Entitled to the CPR number (the `ssn` scope).
    pub allow_cpr: bool,
    pub require_par: bool,
    pub subject_type: SubjectType,
    pub id_token_alg: SigningAlg,
    pub access_token_lifetime: AccessTokenLifetime,
    pub(crate) jwks: Option<String>,
}

impl Client {
    /// The stored row's settings, parsed; `None` for a client that is not active.
    pub(crate) fn from_row(r: ClientRow) -> Result<Option<Client>> {
        if r.status != "active" {
            return Ok(None);
        }
        let bad = |what: &str| {
            ServiceError::Store(nyckel_store::StoreError::Corrupt(format!(
                "client {}: {what}",
                r.client_id
            )))
        };
        let auth_method = r
            .auth_method
            .parse()
            .map_err(|_| bad("unknown auth method"))?;
        let subject_type = r
            .subject_type
            .parse()
            .map_err(|_| bad("unknown subject type"))?;
        let id_token_alg = r
            .id_token_alg
            .parse()
            .map_err(|_| bad("unknown ID-token algorithm"))?;
        let access_token_lifetime = AccessTokenLifetime::from_secs(r.access_token_lifetime)
            .map_err(|_| bad("access-token lifetime out of bounds"))?;
        let grant_types = r
            .grant_types
            .iter()
            .map(|g| g.parse::<GrantType>())
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|_| bad("unknown grant type"))?;
        Ok(Some(Client {
            client_id: r.client_id,
            name: r.name,
            secret_hash: r.secret_hash,
            auth_method,
            redirect_uris: r.redirect_uris,
            post_logout_redirect_uris: r.post_logout_redirect_uris,
            grant_types,
            allow_cpr: r.allow_cpr,
            require_par: r.require_par,
            subject_type,
            id_token_alg,
            access_token_lifetime,
            jwks: r.jwks,
        }))
    }

    /// Whether the client is registered for `grant`.
    pub fn may_use(&self, grant: GrantType) -> bool {
        self.grant_types.contains(&grant)
    }

    /// What the authorization request's validation needs to know.
    pub fn view(&self) -> ClientView {
        let mut scopes = vec!["openid".to_owned(), "profile".to_owned()];
        if self.allow_cpr {
            scopes.push("ssn".to_owned());
        }
        ClientView {
            client_id: self.client_id.clone(),
            redirect_uris: self.redirect_uris.clone(),
            public: self.auth_method.is_public(),
            require_par: self.require_par,
            allowed_scopes: scopes,
            default_acr: None,
        }
    }
}

/// A client to register ([`Nyckel::register_client`]).
#[derive(Debug, Clone)]
pub struct NewClient {
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub auth_method: ClientAuthMethod,
    pub allow_cpr: bool,
    pub require_par: bool,
    pub subject_type: SubjectType,
    pub jwks: Option<String>,
    pub jwks_uri: Option<String>,
    pub grant_types: Vec<GrantType>,
    pub access_token_lifetime: AccessTokenLifetime,
}

impl Nyckel {
    // ----- clients -----

    pub async fn find_active_client(&self, client_id: &str) -> Result<Option<Client>> {
        let mut tx = self.store.read().await?;
        let c = tx.find_client(client_id).await?;
        tx.commit().await?;
        match c {
            Some(row) => Client::from_row(row),
            None => Ok(None),
        }
    }

    pub fn client_view(c: &Client) -> ClientView {
        c.view()
    }

    /// Registers a client with the default access-token lifetime (see
    /// [`Nyckel::register_client`]). Returns the plain secret once (none
    /// for public clients).
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
        let grant_types = grant_types
            .iter()
            .map(|g| g.parse::<GrantType>())
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| ServiceError::Invalid(e.to_string()))?;
        self.register_client(
            &NewClient {
                name: name.to_owned(),
                redirect_uris,
                post_logout_redirect_uris,
                auth_method,
                allow_cpr,
                require_par,
                subject_type,
                jwks,
                jwks_uri,
                grant_types,
                access_token_lifetime: AccessTokenLifetime::DEFAULT,
            },
            who,
        )
        .await
    }

    /// Registers a client. Returns the plain secret once (none for public clients).
    pub async fn register_client(
        &self,
        new: &NewClient,
        who: &str,
    ) -> Result<(String, Option<SecretString>)> {
        let NewClient {
            name,
            redirect_uris,
            post_logout_redirect_uris,
            auth_method,
            allow_cpr,
            require_par,
            subject_type,
            jwks,
            jwks_uri,
            grant_types,
            access_token_lifetime,
        } = new.clone();
        let public = auth_method == ClientAuthMethod::None;
        for uri in redirect_uris.iter().chain(&post_logout_redirect_uris) {
            nyckel_oidc::request::check_redirect_uri(uri, public)
                .map_err(|e| ServiceError::Invalid(format!("redirect URI {uri:?}: {e}")))?;
        }
        if redirect_uris.is_empty() && grant_types.contains(&GrantType::AuthorizationCode) {
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
        if public && (allow_cpr || grant_types.contains(&GrantType::ClientCredentials)) {
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
            name: name.clone(),
            secret_hash: stored,
            auth_method: auth_method.as_str().to_owned(),
            redirect_uris,
            post_logout_redirect_uris,
            grant_types: grant_types.iter().map(|g| g.as_str().to_owned()).collect(),
            allow_cpr,
            require_par,
            subject_type: subject_type.as_str().to_owned(),
            id_token_alg: SigningAlg::ES256.as_str().into(),
            access_token_lifetime: access_token_lifetime.secs(),
            jwks_uri,
            jwks,
            status: "active".into(),
            created_at: now,
        };
        let mut tx = self.store.write().await?;
        tx.insert_client(&row).await?;
        tx.append_audit(
            &NewAuditEvent::new(
                who,
                AuditEvent::ClientAdded {
                    name: name.to_owned(),
                    auth_method: auth_method.as_str().into(),
                    allow_cpr,
                    access_token_lifetime: Some(access_token_lifetime.secs()),
                },
            )
            .subject(format!("client:{client_id}")),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok((client_id, secret))
    }

    /// An active client, from the cache when it is fresh enough.
    pub async fn cached_active_client(&self, client_id: &str) -> Result<Option<Arc<Client>>> {
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
            &NewAuditEvent::new(
                who,
                AuditEvent::ClientChanged {
                    id_token_alg: alg.as_str().into(),
                },
            )
            .subject(format!("client:{client_id}")),
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
            &NewAuditEvent::new(who, AuditEvent::ClientSecretRotated)
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
        if c.auth_method != presented.method() {
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
