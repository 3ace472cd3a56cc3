//! The client credentials grant (RFC 6749 §4.4): a token for the client
//! itself, never for a person; nothing is written to the database.

use nyckel_oidc::client::GrantType;
use nyckel_oidc::error::{ErrorCode, OAuthError};
use nyckel_oidc::keys::{self, KeySet, SigningAlg};
use nyckel_oidc::tokens::{self, AccessTokenClaims};

use super::super::{Client, TokenResponse, internal, oauth};
use crate::{Nyckel, Result};

pub(in crate::provider) fn handle(
    nyckel: &Nyckel,
    c: &Client,
    keys: &KeySet,
    scope: Option<String>,
) -> Result<Result<TokenResponse, OAuthError>> {
    if let Err(e) = super::allowed(c, GrantType::ClientCredentials) {
        return Ok(Err(e));
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
    let issuer = nyckel.issuer_ref()?;
    let claims = AccessTokenClaims::for_client(
        issuer.as_str(),
        issuer.as_str(),
        &c.client_id,
        &scope,
        nyckel.now() / 1000,
        c.access_token_lifetime.secs(),
        tokens::random_jti(&mut rand::rng()),
    );
    let at = keys
        .sign(SigningAlg::ES256, &claims, keys::typ::ACCESS_TOKEN)
        .map_err(internal)?;
    let scope = (!scope.is_empty()).then_some(scope);
    Ok(Ok(TokenResponse::bearer(
        at,
        scope,
        c.access_token_lifetime,
    )))
}
