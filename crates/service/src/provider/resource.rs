//! What resource servers and clients ask about tokens: bearer-token
//! verification, UserInfo, revocation (RFC 7009), introspection (RFC 7662).

use nyckel_oidc::client::ClientAuthMethod;
use nyckel_oidc::error::{ErrorCode, OAuthError};
use nyckel_oidc::keys::{self, Expected};
use nyckel_oidc::tokens::{self, AccessTokenClaims};
use nyckel_store::{IdentityRow, StoreError, Tx};
use serde_json::{Value, json};

use super::*;
use crate::blocking::may_act;
use crate::{Nyckel, Result};

impl Nyckel {
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
        // At UserInfo, everything the scopes release (OIDC Core §5.4).
        let req_scopes = tokens::scope_claims(&scopes, c.allow_cpr);
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
            if r.client_id == c.client().client_id {
                tx.revoke_tokens(Some(&r.family_id), None, now).await?;
            }
        } else if let Some(at) = access.filter(|at| at.client_id == c.client().client_id) {
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
        if c.client().auth_method == ClientAuthMethod::None {
            return Ok(Err(oauth(
                ErrorCode::InvalidClient,
                "introspection needs an authenticated confidential client",
            )));
        }
        let inactive = json!({ "active": false });
        if let Some(at) = self.verify_access_token(token).await? {
            if at.client_id != c.client().client_id {
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
            r.client_id == c.client().client_id
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
}
