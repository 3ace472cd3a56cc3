//! The authorization code grant (RFC 6749 §4.1.3, OIDC Core §3.1.3): the
//! code is spent atomically, checked against its binding (client, redirect
//! URI, PKCE: `nyckel_oidc::grant`), and the person must still be allowed
//! to act ([`may_act`]). A replayed code revokes the token family it
//! started (§4.1.2).

use nyckel_core::audit::{AuditEvent, NewAuditEvent};
use nyckel_oidc::client::GrantType;
use nyckel_oidc::error::{ErrorCode, OAuthError};
use nyckel_oidc::keys::KeySet;
use nyckel_oidc::tokens;
use nyckel_store::Redeemed;

use super::super::{Client, Grant, TokenResponse, blocked, internal, oauth};
use crate::blocking::may_act;
use crate::{Nyckel, Result};

pub(in crate::provider) async fn handle(
    nyckel: &Nyckel,
    c: &Client,
    keys: &KeySet,
    code: &str,
    redirect_uri: Option<&str>,
    code_verifier: Option<&str>,
) -> Result<Result<TokenResponse, OAuthError>> {
    if let Err(e) = super::allowed(c, GrantType::AuthorizationCode) {
        return Ok(Err(e));
    }
    let now = nyckel.now();
    let code_hash = tokens::token_hash(code);
    // The family of the tokens this code issues, recorded on the code when
    // it is spent: a replay finds it there however long ago the tokens
    // that carry the code's hash expired.
    let family = uuid::Uuid::new_v4().to_string();
    let mut tx = nyckel.store.write().await?;
    let redeemed = tx.redeem_code(&code_hash, &family, now).await?;
    let row = match redeemed {
        Redeemed::Fresh(row) => row,
        Redeemed::Replayed(row) => {
            // A replayed code revokes what it issued (RFC 6749 §4.1.2).
            let n = tx
                .revoke_tokens(row.family_id.as_deref(), Some(&code_hash), now)
                .await?;
            tx.append_audit(
                &NewAuditEvent::new(
                    format!("client:{}", c.client_id),
                    AuditEvent::CodeReplayed { revoked_tokens: n },
                )
                .subject(row.identity_id.clone()),
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
        Some(b) => b.check_redemption(&c.client_id, redirect_uri, code_verifier, now / 1000),
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
    let body = nyckel
        .issue_person_tokens(
            &mut tx,
            keys,
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
