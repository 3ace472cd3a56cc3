//! Pushed authorization requests (RFC 9126): stored for [`PAR_TTL`]
//! seconds, taken once, and only by the client that pushed them.

use nyckel_oidc::error::{ErrorCode, OAuthError};
use nyckel_oidc::params::{self, Pairs};
use nyckel_oidc::request::{self, Origin};
use serde_json::Value;

use super::{AuthenticatedClient, PAR_TTL, oauth};
use crate::{Nyckel, Result};

impl Nyckel {
    // ----- pushed requests -----

    /// Validates and stores a pushed request of an authenticated client;
    /// returns the PAR response (`request_uri`, `expires_in`). The client's
    /// credentials are not stored with it.
    pub async fn push_request(
        &self,
        client: &AuthenticatedClient,
        pairs: &[(String, String)],
    ) -> Result<Result<Value, OAuthError>> {
        let mut pushed = params::without_client_auth(pairs);
        if params::has(&pushed, "request_uri") {
            return Ok(Err(oauth(
                ErrorCode::InvalidRequest,
                "request_uri is not allowed in a pushed request",
            )));
        }
        if !params::has(&pushed, "client_id") {
            pushed.push(("client_id".into(), client.client().client_id.clone()));
        }
        if let Err(e) =
            request::validate_authorize(&pushed, Some(&client.client().view()), Origin::Pushed)
        {
            return Ok(Err(e.error().clone()));
        }
        let uri = request::new_request_uri(&mut rand::rng());
        let stored = serde_json::to_string(&pushed).unwrap_or_default();
        let mut tx = self.store.write().await?;
        tx.insert_par(
            &uri,
            &client.client().client_id,
            &stored,
            self.now() + PAR_TTL * 1000,
        )
        .await?;
        tx.commit().await?;
        Ok(Ok(request::par_response(&uri, PAR_TTL as u64)))
    }

    /// The parameters `client_id` pushed under `request_uri`, taken (single
    /// use). `None` if unknown, used, expired — or pushed by another
    /// client, whose attempt leaves it usable by its owner.
    pub async fn take_pushed_request(
        &self,
        request_uri: &str,
        client_id: &str,
    ) -> Result<Option<Pairs>> {
        let mut tx = self.store.write().await?;
        let pushed = tx.take_par(request_uri, client_id, self.now()).await?;
        tx.commit().await?;
        Ok(pushed.map(|stored| serde_json::from_str(&stored).unwrap_or_default()))
    }
}
