//! The OpenID provider's shell (R-AUTH-2): signing keys from the database,
//! clients, authorization codes, tokens, consent. The protocol rules are in
//! `nyckel-oidc`; this module stores and looks up what they need.

use std::sync::Arc;

use nyckel_core::assurance::{AuthMethod, Loa};
use nyckel_core::audit::NewAuditEvent;
use nyckel_core::secret::SecretString;
use nyckel_oidc::Issuer;
use nyckel_oidc::client::{self, ClientAuthMethod, SubjectType};
use nyckel_oidc::error::{ErrorCode, OAuthError};
use nyckel_oidc::grant::{CodeBinding, PresentedClient, TokenRequest};
use nyckel_oidc::keys::{self, Expected, KeySet, SigningAlg, SigningKey};
use nyckel_oidc::request::{AuthorizationRequest, ClientView};
use nyckel_oidc::tokens::{
    self, AccessTokenClaims, ClaimTarget, IdTokenClaims, LoginFacts, PersonClaims,
};
use nyckel_store::{ClientRow, IdentityRow, NewToken, Redeemed, SigningKeyRow, StoreError, Tx};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::Mutex;

use crate::service::{Nyckel, Result, ServiceError};

/// Seconds tokens live.
pub const CODE_TTL: i64 = 60;
/// Five minutes: an access token is checked against blocks and revocations
/// at UserInfo, but a resource server that only verifies its signature
/// honours it until it expires.
pub const ACCESS_TTL: i64 = 300;
pub const ID_TOKEN_TTL: i64 = 600;
pub const REFRESH_TTL: i64 = 30 * 86_400;
pub const PAR_TTL: i64 = 90;
/// How often a server re-reads the signing keys (another process may have rotated them).
const KEY_RELOAD_SECS: i64 = 30;

/// The scopes nyckel knows.
pub const SCOPES: [&str; 3] = ["openid", "profile", "ssn"];

/// The keys, loaded lazily and re-read now and then; and recently used
/// clients, so that the token endpoint's hot path need not read the database.
#[derive(Default)]
pub struct KeyCache {
    /// The key set and when it was loaded. A std lock: it is only held to
    /// copy the `Arc` (a tokio `RwLock` takes a mutex on every release).
    inner: std::sync::RwLock<Option<(Arc<KeySet>, i64)>>,
    /// One reload at a time.
    reload: Mutex<()>,
    clients: std::sync::RwLock<std::collections::HashMap<String, (Arc<ClientRow>, i64)>>,
    issuer: std::sync::OnceLock<Issuer>,
    /// The server key prepared for checking client secrets.
    secret_verifier: std::sync::OnceLock<client::secret::Verifier>,
}

/// Seconds a client read from the database is reused: disabling or deleting
/// a client takes effect on every server process within this time.
pub const CLIENT_CACHE_SECS: i64 = 5;

/// What a code or refresh token was granted for.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Grant {
    pub binding: Option<CodeBinding>,
    pub request: AuthorizationRequest,
    pub identity_id: String,
    pub auth_time: i64,
    pub methods: Vec<AuthMethod>,
    pub level: Loa,
    pub sid: Option<String>,
}

impl Grant {
    fn facts(&self) -> LoginFacts {
        LoginFacts {
            auth_time: self.auth_time,
            level: self.level,
            methods: self.methods.clone(),
        }
    }
}

/// A successful token response (RFC 6749 §5.1; OIDC Core §3.1.3.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
}

impl TokenResponse {
    fn bearer(access_token: String, scope: Option<String>) -> Self {
        Self {
            access_token,
            token_type: "Bearer",
            expires_in: ACCESS_TTL,
            scope,
            refresh_token: None,
            id_token: None,
        }
    }
}

/// A client that proved who it is (the cached row, shared).
#[derive(Debug, Clone)]
pub struct AuthenticatedClient(pub Arc<ClientRow>);

fn oauth(code: ErrorCode, d: &str) -> OAuthError {
    OAuthError::new(code, d)
}

/// A grant for a person who may no longer act ([`may_act`]).
fn blocked() -> OAuthError {
    oauth(ErrorCode::InvalidGrant, "the person's identity is blocked")
}

fn internal<E: std::fmt::Display>(e: E) -> ServiceError {
    ServiceError::Invalid(format!("oidc: {e}"))
}

/// May this identity act now: the one check of a person's status behind
/// every grant, UserInfo, CPR match and introspection. `None` if the
/// identity is unknown or may not log in (blocked, revoked): a code, refresh
/// token or access token issued before a block is worth nothing after it.
pub async fn may_act(tx: &mut Tx, identity_id: &str) -> Result<Option<IdentityRow>> {
    Ok(tx
        .find_identity(identity_id)
        .await?
        .filter(|i| i.status.may_log_in()))
}

impl Nyckel {
    /// The issuer, from `public_url`: parsed once, it is on every token's path.
    pub fn issuer(&self) -> Result<Issuer> {
        self.issuer_ref().cloned()
    }

    /// [`Nyckel::issuer`] without the copy.
    pub fn issuer_ref(&self) -> Result<&Issuer> {
        if let Some(issuer) = self.key_cache().issuer.get() {
            return Ok(issuer);
        }
        let issuer = Issuer::parse(&self.config.public_url).map_err(internal)?;
        Ok(self.key_cache().issuer.get_or_init(|| issuer))
    }

    /// The current key set; creates the first ES256 and RS256 keys if none exist.
    pub async fn keys(&self) -> Result<Arc<KeySet>> {
        let now = self.now() / 1000;
        if let Some(set) = self.fresh_keys(now) {
            return Ok(set);
        }
        let _one = self.key_cache().reload.lock().await;
        // Another task may have reloaded them while this one waited.
        if let Some(set) = self.fresh_keys(now) {
            return Ok(set);
        }
        let set = Arc::new(self.load_keys(true).await?);
        if let Ok(mut slot) = self.key_cache().inner.write() {
            *slot = Some((set.clone(), now));
        }
        Ok(set)
    }

    fn fresh_keys(&self, now: i64) -> Option<Arc<KeySet>> {
        let slot = self.key_cache().inner.read().ok()?;
        let (set, loaded) = slot.as_ref()?;
        (now - loaded < KEY_RELOAD_SECS).then(|| set.clone())
    }

    async fn load_keys(&self, create: bool) -> Result<KeySet> {
        let now = self.now();
        let mut rows = self.store.read().await?.find_signing_keys(now).await?;
        let missing = |rows: &[SigningKeyRow], alg: SigningAlg| {
            !rows
                .iter()
                .any(|r| r.alg == alg.as_str() && r.retired_at.is_none())
        };
        let needed: Vec<SigningAlg> = SigningAlg::ALL
            .into_iter()
            .filter(|alg| create && missing(&rows, *alg))
            .collect();
        if !needed.is_empty() {
            // Generated before the write transaction: an RSA key takes a
            // while, and the transaction holds the database's write lock.
            let fresh = needed
                .iter()
                .map(|alg| self.new_key_row(*alg, now))
                .collect::<Result<Vec<_>>>()?;
            let mut tx = self.store.write().await?;
            // Another process may have created keys meanwhile: theirs win.
            rows = tx.find_signing_keys(now).await?;
            for (alg, row) in needed.into_iter().zip(fresh) {
                if missing(&rows, alg) {
                    tx.insert_signing_key(&row).await?;
                    rows.insert(0, row);
                }
            }
            tx.commit().await?;
        }
        let mut signing = Vec::new();
        let mut retired = Vec::new();
        for r in rows {
            let alg = match r.alg.as_str() {
                "ES256" => SigningAlg::ES256,
                "RS256" => SigningAlg::RS256,
                _ => continue,
            };
            let der = keys::decrypt_private_key(self.secret().bytes(), &r.kid, &r.private_key)
                .map_err(internal)?;
            let key = SigningKey::from_pkcs8_der(r.kid.clone(), alg, &der).map_err(internal)?;
            if r.retired_at.is_none() && !signing.iter().any(|k: &SigningKey| k.alg() == alg) {
                signing.push(key);
            } else {
                retired.push(key.verifying_key().clone());
            }
        }
        KeySet::new(signing, retired).map_err(internal)
    }

    fn new_key_row(&self, alg: SigningAlg, now: i64) -> Result<SigningKeyRow> {
        let key = SigningKey::generate(alg).map_err(internal)?;
        let wrapped = keys::encrypt_private_key(
            self.secret().bytes(),
            key.kid(),
            key.to_pkcs8_der(),
            &mut rand::rng(),
        )
        .map_err(internal)?;
        Ok(SigningKeyRow {
            kid: key.kid().to_owned(),
            alg: alg.as_str().to_owned(),
            private_key: wrapped,
            public_jwk: key.public_jwk().to_string(),
            created_at: now,
            retired_at: None,
            publish_until: None,
        })
    }

    /// Rotates the signing key of each algorithm: the new key signs from now
    /// on; the old one stays in the JWKS until everything it signed expired.
    pub async fn rotate_keys(&self, who: &str) -> Result<Vec<String>> {
        let now = self.now();
        let longest = ACCESS_TTL.max(ID_TOKEN_TTL) * 1000;
        // Generated before the write transaction (an RSA key takes a while).
        let fresh = SigningAlg::ALL
            .into_iter()
            .map(|alg| Ok((alg, self.new_key_row(alg, now)?)))
            .collect::<Result<Vec<_>>>()?;
        let mut tx = self.store.write().await?;
        let mut kids = Vec::new();
        for (alg, row) in fresh {
            tx.retire_signing_keys(alg.as_str(), now, now + longest + 60_000)
                .await?;
            kids.push(row.kid.clone());
            tx.insert_signing_key(&row).await?;
        }
        tx.append_audit(
            &NewAuditEvent::new(who, "oidc.keys.rotated").detail(json!({ "new_kids": kids })),
            now,
        )
        .await?;
        tx.commit().await?;
        // After any reload in progress, which may have read the old keys.
        let _one = self.key_cache().reload.lock().await;
        if let Ok(mut slot) = self.key_cache().inner.write() {
            *slot = None;
        }
        Ok(kids)
    }

    pub async fn jwks(&self) -> Result<Value> {
        Ok(self.keys().await?.jwks())
    }

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
            &NewAuditEvent::new("system", "login.succeeded").subject(identity_id.to_owned()).detail(json!({
                "service": client, "client_id": req.client_id, "scope": req.scope_string(), "loa": level.as_str(), "ip": ip,
            })),
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

    // ----- tokens -----

    /// The token endpoint after client authentication.
    pub async fn token(
        &self,
        client: &AuthenticatedClient,
        request: TokenRequest,
    ) -> Result<Result<TokenResponse, OAuthError>> {
        let c = &client.0;
        let allowed = |g: &str| c.grant_types.iter().any(|x| x == g);
        let now = self.now();
        // Before any transaction: loading keys may write (SQLite has one writer).
        let keys = self.keys().await?;
        match request {
            TokenRequest::ClientCredentials { scope } => {
                if !allowed("client_credentials") {
                    return Ok(Err(oauth(
                        ErrorCode::UnauthorizedClient,
                        "client_credentials not allowed for this client",
                    )));
                }
                let scope = scope.unwrap_or_default();
                if scope
                    .split(' ')
                    .any(|s| s == "openid" || s == "ssn" || s == "profile")
                {
                    return Ok(Err(oauth(
                        ErrorCode::InvalidScope,
                        "person scopes need a person",
                    )));
                }
                let issuer = self.issuer_ref()?;
                let claims = AccessTokenClaims::for_client(
                    issuer.as_str(),
                    issuer.as_str(),
                    &c.client_id,
                    &scope,
                    now / 1000,
                    ACCESS_TTL,
                    tokens::random_jti(&mut rand::rng()),
                );
                let at = keys
                    .sign(SigningAlg::ES256, &claims, keys::typ::ACCESS_TOKEN)
                    .map_err(internal)?;
                let scope = (!scope.is_empty()).then_some(scope);
                Ok(Ok(TokenResponse::bearer(at, scope)))
            }
            TokenRequest::AuthorizationCode {
                code,
                redirect_uri,
                code_verifier,
            } => {
                if !allowed("authorization_code") {
                    return Ok(Err(oauth(
                        ErrorCode::UnauthorizedClient,
                        "authorization_code not allowed for this client",
                    )));
                }
                let code_hash = tokens::token_hash(&code);
                let mut tx = self.store.write().await?;
                let redeemed = tx.redeem_code(&code_hash, now).await?;
                let row = match redeemed {
                    Redeemed::Fresh(row) => row,
                    Redeemed::Replayed(row) => {
                        // A replayed code revokes what it issued (RFC 6749 §4.1.2).
                        let n = tx.revoke_tokens(None, Some(&code_hash), now).await?;
                        tx.append_audit(
                            &NewAuditEvent::new(
                                format!("client:{}", c.client_id),
                                "oidc.code.replayed",
                            )
                            .subject(row.identity_id.clone())
                            .detail(json!({ "revoked_tokens": n })),
                            now,
                        )
                        .await?;
                        tx.commit().await?;
                        return Ok(Err(oauth(ErrorCode::InvalidGrant, "code already used")));
                    }
                    Redeemed::Unknown => {
                        tx.commit().await?;
                        return Ok(Err(oauth(ErrorCode::InvalidGrant, "unknown code")));
                    }
                };
                let grant: Grant = serde_json::from_str(&row.grant_data).map_err(internal)?;
                let check = match &grant.binding {
                    Some(b) => b.check_redemption(
                        &c.client_id,
                        redirect_uri.as_deref(),
                        code_verifier.as_deref(),
                        now / 1000,
                    ),
                    None => Err(oauth(ErrorCode::InvalidGrant, "not a code")),
                };
                if let Err(e) = check {
                    tx.commit().await?;
                    return Ok(Err(e));
                }
                // The code stays spent: it was issued before the block.
                let Some(identity) = may_act(&mut tx, &grant.identity_id).await? else {
                    tx.commit().await?;
                    return Ok(Err(blocked()));
                };
                let family = uuid::Uuid::new_v4().to_string();
                let body = self
                    .issue_person_tokens(
                        &mut tx,
                        &keys,
                        c,
                        &identity,
                        &grant,
                        &grant.request.scopes,
                        &family,
                        Some(&code_hash),
                        true,
                    )
                    .await?;
                tx.commit().await?;
                Ok(body)
            }
            TokenRequest::RefreshToken {
                refresh_token,
                scope,
            } => {
                if !allowed("refresh_token") {
                    return Ok(Err(oauth(
                        ErrorCode::UnauthorizedClient,
                        "refresh_token not allowed for this client",
                    )));
                }
                let mut tx = self.store.write().await?;
                let Some(row) = tx
                    .find_refresh_token(&tokens::token_hash(&refresh_token))
                    .await?
                else {
                    tx.commit().await?;
                    return Ok(Err(oauth(ErrorCode::InvalidGrant, "unknown refresh token")));
                };
                if row.client_id != c.client_id || row.revoked_at.is_some() || row.expires_at <= now
                {
                    tx.commit().await?;
                    return Ok(Err(oauth(
                        ErrorCode::InvalidGrant,
                        "refresh token not valid",
                    )));
                }
                if !tx.update_token_used(&row.id, now).await? {
                    // Reuse of a rotated refresh token: someone has a copy. Revoke the family.
                    let n = tx.revoke_tokens(Some(&row.family_id), None, now).await?;
                    tx.append_audit(
                        &NewAuditEvent::new(
                            format!("client:{}", c.client_id),
                            "oidc.refresh.reused",
                        )
                        .subject(row.identity_id.clone().unwrap_or_default())
                        .detail(json!({ "revoked_tokens": n })),
                        now,
                    )
                    .await?;
                    tx.commit().await?;
                    return Ok(Err(oauth(
                        ErrorCode::InvalidGrant,
                        "refresh token already used",
                    )));
                }
                let grant: Grant = serde_json::from_str(&row.grant_data).map_err(internal)?;
                let scopes = match nyckel_oidc::grant::narrowed_scope(
                    &grant.request.scopes,
                    scope.as_deref(),
                ) {
                    Ok(s) => s,
                    Err(e) => {
                        tx.rollback().await?;
                        return Ok(Err(e));
                    }
                };
                let Some(identity) = may_act(&mut tx, &grant.identity_id).await? else {
                    tx.commit().await?;
                    return Ok(Err(blocked()));
                };
                let body = self
                    .issue_person_tokens(
                        &mut tx,
                        &keys,
                        c,
                        &identity,
                        &grant,
                        &scopes,
                        &row.family_id,
                        None,
                        false,
                    )
                    .await?;
                tx.commit().await?;
                Ok(body)
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn issue_person_tokens(
        &self,
        tx: &mut Tx,
        keys: &KeySet,
        c: &ClientRow,
        identity: &IdentityRow,
        grant: &Grant,
        scopes: &[String],
        family: &str,
        code_hash: Option<&str>,
        with_id_token: bool,
    ) -> Result<Result<TokenResponse, OAuthError>> {
        let now_ms = self.now();
        let now = now_ms / 1000;
        let issuer = self.issuer()?;
        let Some(person) = tx.find_person(&identity.person_id).await? else {
            return Ok(Err(oauth(ErrorCode::InvalidGrant, "unknown person")));
        };
        let sub = self.subject(c, &person.id)?;
        let scope = scopes.join(" ");
        let jti = tokens::random_jti(&mut rand::rng());
        let facts = grant.facts();
        let at_claims = AccessTokenClaims::for_person(
            issuer.as_str(),
            issuer.as_str(),
            &sub,
            &c.client_id,
            &scope,
            now,
            ACCESS_TTL,
            jti.clone(),
            &facts,
        );
        let access = keys
            .sign(SigningAlg::ES256, &at_claims, keys::typ::ACCESS_TOKEN)
            .map_err(internal)?;
        tx.insert_token(
            &NewToken {
                id: &jti,
                kind: "access",
                token_hash: None,
                family_id: family,
                code_hash,
                client_id: &c.client_id,
                identity_id: Some(&identity.id),
                grant_data: "{}",
                expires_at: now_ms + ACCESS_TTL * 1000,
            },
            now_ms,
        )
        .await?;
        let mut body = TokenResponse::bearer(access, Some(scope));
        if c.grant_types.iter().any(|g| g == "refresh_token") {
            let refresh = tokens::random_token(&mut rand::rng());
            let mut g = grant.clone();
            g.binding = None;
            g.request.scopes = scopes.to_vec();
            let data = serde_json::to_string(&g).map_err(internal)?;
            tx.insert_token(
                &NewToken {
                    id: &uuid::Uuid::new_v4().to_string(),
                    kind: "refresh",
                    token_hash: Some(&tokens::token_hash(&refresh)),
                    family_id: family,
                    code_hash,
                    client_id: &c.client_id,
                    identity_id: Some(&identity.id),
                    grant_data: &data,
                    expires_at: now_ms + REFRESH_TTL * 1000,
                },
                now_ms,
            )
            .await?;
            body.refresh_token = Some(refresh);
        }
        if with_id_token {
            let mut id = IdTokenClaims::new(
                issuer.as_str(),
                &sub,
                &c.client_id,
                now,
                ID_TOKEN_TTL,
                &facts,
            );
            id.nonce = grant.request.nonce.clone();
            id.sid = grant.sid.clone();
            let wanted = tokens::requested_claims(&grant.request, ClaimTarget::IdToken);
            id.person = Self::person_claims(c, &person, &wanted, scopes);
            let alg = if c.id_token_alg == "RS256" {
                SigningAlg::RS256
            } else {
                SigningAlg::ES256
            };
            id.at_hash = Some(tokens::at_hash(&body.access_token, alg));
            body.id_token = Some(keys.sign(alg, &id, keys::typ::JWT).map_err(internal)?);
        }
        Ok(Ok(body))
    }

    fn subject(&self, c: &ClientRow, person_id: &str) -> Result<String> {
        let uuid = uuid::Uuid::parse_str(person_id).map_err(internal)?;
        let st: SubjectType = c.subject_type.parse().unwrap_or(SubjectType::Pairwise);
        Ok(st.subject(self.secret().bytes(), &c.client_id, uuid))
    }

    /// The person claims the client may have: names with `profile`, the
    /// UUID, and the CPR number only to entitled clients with the `ssn`
    /// scope (consent was given at the consent screen).
    fn person_claims(
        c: &ClientRow,
        person: &nyckel_store::PersonRow,
        wanted: &std::collections::BTreeSet<&'static str>,
        scopes: &[String],
    ) -> PersonClaims {
        let mut p = PersonClaims::default();
        let has = |s: &str| scopes.iter().any(|x| x == s);
        if wanted.contains("name") {
            p.name = Some(person.record.full_name());
        }
        if wanted.contains("given_name") {
            p.given_name = Some(person.record.given_names.clone());
        }
        if wanted.contains("family_name") {
            p.family_name = Some(person.record.surname.clone());
        }
        if wanted.contains("uuid") {
            p.uuid = uuid::Uuid::parse_str(&person.id).ok();
        }
        if wanted.contains("dk.cpr") && has("ssn") && c.allow_cpr {
            p.cpr = Some(person.record.cpr.compact());
        }
        p
    }

    /// Verifies an access token presented as a bearer token.
    pub async fn verify_access_token(&self, token: &str) -> Result<Option<AccessTokenClaims>> {
        let issuer = self.issuer()?;
        let keys = self.keys().await?;
        let expected = Expected {
            issuer: issuer.as_str(),
            audience: Some(issuer.as_str()),
            typ: Some(keys::typ::ACCESS_TOKEN),
            now: self.now() / 1000,
            leeway: 0,
            accept_expired: false,
        };
        let Ok(claims) = keys.verify::<AccessTokenClaims>(token, &expected) else {
            return Ok(None);
        };
        let mut tx = self.store.read().await?;
        let revoked = tx.is_jti_revoked(&claims.jti).await?;
        tx.commit().await?;
        Ok((!revoked).then_some(claims))
    }

    /// UserInfo (OIDC Core §5.3) for a verified access token.
    pub async fn userinfo(&self, at: &AccessTokenClaims) -> Result<Option<Value>> {
        let Some(c) = self.find_active_client(&at.client_id).await? else {
            return Ok(None);
        };
        if at.auth_time.is_none() {
            return Ok(None); // a machine token has no person
        }
        let mut tx = self.store.read().await?;
        let Some(identity) = self.person_of(&mut tx, at).await? else {
            tx.commit().await?;
            return Ok(None);
        };
        let person = tx
            .find_person(&identity.person_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        let scopes: Vec<String> = at
            .scope
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        let mut req_scopes = std::collections::BTreeSet::new();
        if scopes.iter().any(|s| s == "profile") {
            req_scopes.extend(["name", "given_name", "family_name", "uuid"]);
        }
        if scopes.iter().any(|s| s == "ssn") {
            req_scopes.insert("dk.cpr");
        }
        let p = Self::person_claims(&c, &person, &req_scopes, &scopes);
        let mut v = serde_json::to_value(&p).map_err(internal)?;
        v["sub"] = json!(at.sub);
        Ok(Some(v))
    }

    /// Token revocation (RFC 7009): refresh tokens revoke their family; access tokens their jti.
    pub async fn revoke(&self, c: &AuthenticatedClient, token: &str) -> Result<()> {
        let now = self.now();
        let access = self.verify_access_token(token).await?;
        let mut tx = self.store.write().await?;
        if let Some(r) = tx.find_refresh_token(&tokens::token_hash(token)).await? {
            if r.client_id == c.0.client_id {
                tx.revoke_tokens(Some(&r.family_id), None, now).await?;
            }
        } else if let Some(at) = access.filter(|at| at.client_id == c.0.client_id) {
            tx.insert_revoked_jti(&at.jti, at.exp * 1000).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The identity a person's access token speaks for, if it may act now
    /// (`None` also for a token without a record, such as a machine's).
    async fn person_of(&self, tx: &mut Tx, at: &AccessTokenClaims) -> Result<Option<IdentityRow>> {
        match tx.find_token(&at.jti).await?.and_then(|r| r.identity_id) {
            Some(identity_id) => may_act(tx, &identity_id).await,
            None => Ok(None),
        }
    }

    /// Token introspection (RFC 7662). Only for confidential clients
    /// (a public client proves nothing by presenting its id: `invalid_client`),
    /// and active only to the client the token was issued to: any other
    /// learns exactly `{"active": false}` (§2.2: no hint whether it exists).
    /// A person's token is inactive once the person may no longer act.
    pub async fn introspect(
        &self,
        c: &AuthenticatedClient,
        token: &str,
    ) -> Result<Result<Value, OAuthError>> {
        if c.0.auth_method == ClientAuthMethod::None.as_str() {
            return Ok(Err(oauth(
                ErrorCode::InvalidClient,
                "introspection needs an authenticated confidential client",
            )));
        }
        let inactive = json!({ "active": false });
        if let Some(at) = self.verify_access_token(token).await? {
            if at.client_id != c.0.client_id {
                return Ok(Ok(inactive));
            }
            if at.auth_time.is_some() {
                let mut tx = self.store.read().await?;
                let identity = self.person_of(&mut tx, &at).await?;
                tx.commit().await?;
                if identity.is_none() {
                    return Ok(Ok(inactive));
                }
            }
            let mut v = serde_json::to_value(&at).map_err(internal)?;
            v["active"] = json!(true);
            v["token_type"] = json!("Bearer");
            return Ok(Ok(v));
        }
        let now = self.now();
        let mut tx = self.store.read().await?;
        let r = tx.find_refresh_token(&tokens::token_hash(token)).await?;
        let Some(r) = r.filter(|r| {
            r.client_id == c.0.client_id
                && r.used_at.is_none()
                && r.revoked_at.is_none()
                && r.expires_at > now
        }) else {
            tx.commit().await?;
            return Ok(Ok(inactive));
        };
        let identity = match &r.identity_id {
            Some(i) => may_act(&mut tx, i).await?,
            None => None,
        };
        tx.commit().await?;
        if identity.is_none() {
            return Ok(Ok(inactive));
        }
        Ok(Ok(
            json!({ "active": true, "client_id": r.client_id, "exp": r.expires_at / 1000, "token_type": "refresh_token" }),
        ))
    }

    /// An `id_token_hint` sent to the authorization endpoint (OIDC Core
    /// §3.1.2.1): `None` unless it is an ID token nyckel issued to this
    /// client (signature, issuer, audience, `typ`; expiry ignored, as a hint
    /// may be old). Otherwise whether it names `person_id`, the holder of
    /// the browser's session (`false` without a session).
    pub async fn id_token_hint_names(
        &self,
        hint: &str,
        client: &ClientRow,
        person_id: Option<&str>,
    ) -> Result<Option<bool>> {
        let Some(claims) = self
            .verify_id_token_hint(hint, Some(&client.client_id), Some(keys::typ::JWT))
            .await?
        else {
            return Ok(None);
        };
        let same = match person_id {
            Some(p) => {
                let sub = self.subject(client, p)?;
                nyckel_core::secret::ct_eq(sub.as_bytes(), claims.sub.as_bytes())
            }
            None => false,
        };
        Ok(Some(same))
    }

    /// The ID token hint at logout: verified, expiry ignored. Returns the client id (aud).
    pub async fn id_token_hint_client(&self, hint: &str) -> Result<Option<String>> {
        Ok(self
            .verify_id_token_hint(hint, None, None)
            .await?
            .map(|c| c.aud))
    }

    /// An ID token nyckel signed, as a hint: issuer and signature always,
    /// audience and header `typ` when given; expiry ignored (a hint may be
    /// old). `None` if it does not verify.
    async fn verify_id_token_hint(
        &self,
        hint: &str,
        audience: Option<&str>,
        typ: Option<&str>,
    ) -> Result<Option<IdTokenClaims>> {
        let issuer = self.issuer()?;
        let keys = self.keys().await?;
        let expected = Expected {
            issuer: issuer.as_str(),
            audience,
            typ,
            now: self.now() / 1000,
            leeway: 0,
            accept_expired: true,
        };
        Ok(keys.verify::<IdTokenClaims>(hint, &expected).ok())
    }

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
            &NewAuditEvent::new(format!("client:{}", at.client_id), "oidc.cpr-match")
                .subject(identity_id.clone())
                .detail(json!({ "matched": matched })),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(Ok(matched))
    }
}
