//! The refresh token grant (RFC 6749 §6, RFC 9700 §4.14.2): refresh tokens
//! rotate; the reuse of a rotated one means someone holds a copy, and
//! revokes its whole family. The scope may only narrow; the person must
//! still be allowed to act ([`may_act`]).

use nyckel_core::audit::{AuditEvent, NewAuditEvent};
use nyckel_oidc::client::GrantType;
use nyckel_oidc::error::{ErrorCode, OAuthError};
use nyckel_oidc::keys::KeySet;
use nyckel_oidc::tokens;

use super::super::{Client, Grant, TokenResponse, blocked, internal, oauth};
use crate::blocking::may_act;
use crate::{Nyckel, Result};

pub(in crate::provider) async fn handle(
    nyckel: &Nyckel,
    c: &Client,
    keys: &KeySet,
    refresh_token: &str,
    scope: Option<&str>,
) -> Result<Result<TokenResponse, OAuthError>> {
    if let Err(e) = super::allowed(c, GrantType::RefreshToken) {
        return Ok(Err(e));
    }
    let now = nyckel.now();
    let mut tx = nyckel.store.write().await?;
    let Some(row) = tx
        .find_refresh_token(&tokens::token_hash(refresh_token))
        .await?
    else {
        tx.commit().await?;
        return Ok(Err(oauth(ErrorCode::InvalidGrant, "unknown refresh token")));
    };
    if row.client_id != c.client_id || row.revoked_at.is_some() || row.expires_at <= now {
        tx.commit().await?;
        return Ok(Err(oauth(
            ErrorCode::InvalidGrant,
            "refresh token not valid",
        )));
    }
    // The identity's row first (the lock order of a change of password
    // and of a block): a refresh and a change or block of the same
    // identity happen one after the other, so the change's revocation
    // sees the token a refresh issued, and a refresh after it sees the
    // revocation or the block.
    if let Some(identity_id) = &row.identity_id {
        tx.lock_identity(identity_id).await?;
    }
    if !tx.update_token_used(&row.id, now).await? {
        // Reuse of a rotated refresh token: someone has a copy. Revoke the family.
        let n = tx.revoke_tokens(Some(&row.family_id), None, now).await?;
        tx.append_audit(
            &NewAuditEvent::new(
                format!("client:{}", c.client_id),
                AuditEvent::RefreshReused { revoked_tokens: n },
            )
            .subject(row.identity_id.clone().unwrap_or_default()),
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
    let scopes = match nyckel_oidc::grant::narrowed_scope(&grant.request.scopes, scope) {
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
    let body = nyckel
        .issue_person_tokens(
            &mut tx,
            keys,
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
