//! ID token hints at the authorization and logout endpoints.

use nyckel_oidc::keys::{self, Expected};
use nyckel_oidc::tokens::IdTokenClaims;

use crate::{Nyckel, Result};

impl Nyckel {
    /// An `id_token_hint` sent to the authorization endpoint (OIDC Core
    /// §3.1.2.1): `None` unless it is an ID token nyckel issued to this
    /// client (signature, issuer, audience, `typ`; expiry ignored, as a hint
    /// may be old). Otherwise whether it names `person_id`, the holder of
    /// the browser's session (`false` without a session).
    pub async fn id_token_hint_names(
        &self,
        hint: &str,
        client: &super::Client,
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
}
