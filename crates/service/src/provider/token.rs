//! The token endpoint: the grants, and the tokens and claims they issue.

use nyckel_core::audit::NewAuditEvent;
use nyckel_oidc::client::SubjectType;
use nyckel_oidc::error::{ErrorCode, OAuthError};
use nyckel_oidc::grant::TokenRequest;
use nyckel_oidc::keys::{self, KeySet, SigningAlg};
use nyckel_oidc::tokens::{self, AccessTokenClaims, ClaimTarget, IdTokenClaims, PersonClaims};
use nyckel_store::{ClientRow, IdentityRow, NewToken, Redeemed, Tx};
use serde_json::json;

use super::*;
use crate::blocking::may_act;
use crate::{Nyckel, Result};

impl Nyckel {
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

    pub(crate) fn subject(&self, c: &ClientRow, person_id: &str) -> Result<String> {
        let uuid = uuid::Uuid::parse_str(person_id).map_err(internal)?;
        let st: SubjectType = c.subject_type.parse().unwrap_or(SubjectType::Pairwise);
        Ok(st.subject(self.secret().bytes(), &c.client_id, uuid))
    }

    /// The person claims the client may have: names with `profile`, the
    /// UUID, and the CPR number only to entitled clients with the `ssn`
    /// scope (consent was given at the consent screen).
    pub(crate) fn person_claims(
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
}
