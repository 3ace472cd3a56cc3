//! The token endpoint: it dispatches to the grant's module
//! (`grants/<grant>.rs`), and issues the tokens and claims the grants give.

use nyckel_oidc::client::GrantType;
use nyckel_oidc::error::{ErrorCode, OAuthError};
use nyckel_oidc::grant::TokenRequest;
use nyckel_oidc::keys::{self, KeySet, SigningAlg};
use nyckel_oidc::tokens::{self, AccessTokenClaims, ClaimTarget, IdTokenClaims, PersonClaims};
use nyckel_store::{IdentityRow, NewToken, Tx};

use super::grants;
use super::*;
use crate::{Nyckel, Result};

impl Nyckel {
    // ----- tokens -----

    /// The token endpoint after client authentication: one module per grant.
    pub async fn token(
        &self,
        client: &AuthenticatedClient,
        request: TokenRequest,
    ) -> Result<Result<TokenResponse, OAuthError>> {
        let c = client.client();
        // Before any transaction: loading keys may write (SQLite has one writer).
        let keys = self.keys().await?;
        match request {
            TokenRequest::ClientCredentials { scope } => {
                grants::client_credentials::handle(self, c, &keys, scope)
            }
            TokenRequest::AuthorizationCode {
                code,
                redirect_uri,
                code_verifier,
            } => {
                grants::authorization_code::handle(
                    self,
                    c,
                    &keys,
                    &code,
                    redirect_uri.as_deref(),
                    code_verifier.as_deref(),
                )
                .await
            }
            TokenRequest::RefreshToken {
                refresh_token,
                scope,
            } => {
                grants::refresh_token::handle(self, c, &keys, &refresh_token, scope.as_deref())
                    .await
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) async fn issue_person_tokens(
        &self,
        tx: &mut Tx,
        keys: &KeySet,
        c: &Client,
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
            c.access_token_lifetime.secs(),
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
                expires_at: now_ms + c.access_token_lifetime.secs() * 1000,
            },
            now_ms,
        )
        .await?;
        let mut body = TokenResponse::bearer(access, Some(scope), c.access_token_lifetime);
        if c.may_use(GrantType::RefreshToken) {
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
            let alg = c.id_token_alg;
            id.at_hash = Some(tokens::at_hash(&body.access_token, alg));
            body.id_token = Some(keys.sign(alg, &id, keys::typ::JWT).map_err(internal)?);
        }
        Ok(Ok(body))
    }

    pub(crate) fn subject(&self, c: &Client, person_id: &str) -> Result<String> {
        let uuid = uuid::Uuid::parse_str(person_id).map_err(internal)?;
        Ok(c.subject_type
            .subject(self.secret().bytes(), &c.client_id, uuid))
    }

    /// The person claims of `wanted` that `scopes` release to the client
    /// ([`tokens::scope_claims`]: names and the UUID with `profile`, the
    /// CPR number only to entitled clients with the `ssn` scope; consent
    /// was given at the consent screen).
    pub(crate) fn person_claims(
        c: &Client,
        person: &nyckel_store::PersonRow,
        wanted: &std::collections::BTreeSet<&'static str>,
        scopes: &[String],
    ) -> PersonClaims {
        let mut p = PersonClaims::default();
        let released = tokens::scope_claims(scopes, c.allow_cpr);
        let wanted: std::collections::BTreeSet<&str> =
            wanted.intersection(&released).copied().collect();
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
        if wanted.contains(tokens::CLAIM_CPR) {
            p.cpr = Some(person.record.cpr.compact());
        }
        p
    }
}
