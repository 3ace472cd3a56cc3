//! One module per grant type (RFC 6749 §4.1, §4.4, §6): each exports its
//! `handle`, which [`Nyckel::token`](crate::Nyckel::token) calls once the
//! client is authenticated, the request parsed
//! (`nyckel_oidc::grant::parse_token_request`) and the signing keys loaded.
//! A grant checks that the client is registered for it, owns the
//! transactions it needs, and issues tokens through `token.rs`.

pub(super) mod authorization_code;
pub(super) mod client_credentials;
pub(super) mod refresh_token;

use nyckel_oidc::client::GrantType;
use nyckel_oidc::error::{ErrorCode, OAuthError};

use super::{Client, oauth};

/// `unauthorized_client` unless `c` is registered for `grant`.
fn allowed(c: &Client, grant: GrantType) -> Result<(), OAuthError> {
    if c.may_use(grant) {
        Ok(())
    } else {
        Err(oauth(
            ErrorCode::UnauthorizedClient,
            &format!("{grant} not allowed for this client"),
        ))
    }
}
