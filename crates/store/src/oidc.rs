//! The OpenID provider's records: clients, signing keys, authorization
//! codes, pushed requests, refresh tokens, revocations, consents.

use crate::db::{Row, query};

use crate::{Result, StoreError, Tx, corrupt};

/// A registered client (relying party).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientRow {
    pub client_id: String,
    pub name: String,
    pub secret_hash: Option<String>,
    pub auth_method: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub grant_types: Vec<String>,
    pub allow_cpr: bool,
    pub require_par: bool,
    pub subject_type: String,
    /// The algorithm of this client's ID tokens (`ES256` by default, or `RS256`).
    pub id_token_alg: String,
    /// Seconds this client's access tokens live (the service keeps it in 60..=3600).
    pub access_token_lifetime: i64,
    pub jwks_uri: Option<String>,
    pub jwks: Option<String>,
    pub status: String,
    pub created_at: i64,
}

fn json_list(s: &str) -> Result<Vec<String>> {
    serde_json::from_str(s).map_err(|_| corrupt("bad JSON list"))
}

fn list_json(v: &[String]) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

fn client_from_row(r: &Row) -> Result<ClientRow> {
    let redirect: String = r.try_get("redirect_uris")?;
    let logout: String = r.try_get("post_logout_redirect_uris")?;
    let grants: String = r.try_get("grant_types")?;
    let allow_cpr: i64 = r.try_get("allow_cpr")?;
    let require_par: i64 = r.try_get("require_par")?;
    Ok(ClientRow {
        client_id: r.try_get("client_id")?,
        name: r.try_get("name")?,
        secret_hash: r.try_get("secret_hash")?,
        auth_method: r.try_get("auth_method")?,
        redirect_uris: json_list(&redirect)?,
        post_logout_redirect_uris: json_list(&logout)?,
        grant_types: json_list(&grants)?,
        allow_cpr: allow_cpr != 0,
        require_par: require_par != 0,
        subject_type: r.try_get("subject_type")?,
        id_token_alg: r.try_get("id_token_alg")?,
        access_token_lifetime: r.try_get("access_token_lifetime")?,
        jwks_uri: r.try_get("jwks_uri")?,
        jwks: r.try_get("jwks")?,
        status: r.try_get("status")?,
        created_at: r.try_get("created_at")?,
    })
}

/// A token signing key as stored (private key encrypted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningKeyRow {
    pub kid: String,
    pub alg: String,
    pub private_key: Vec<u8>,
    pub public_jwk: String,
    pub created_at: i64,
    pub retired_at: Option<i64>,
    pub publish_until: Option<i64>,
}

/// An authorization code or refresh token's grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeRow {
    pub client_id: String,
    pub identity_id: String,
    pub grant_data: String,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    /// The token family the code started (set when it was redeemed).
    pub family_id: Option<String>,
}

/// A holder's consent to a client, as My nyckel lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentRow {
    pub client_id: String,
    pub client_name: String,
    /// Whether the client is entitled to the CPR number.
    pub client_allow_cpr: bool,
    /// Space-separated scopes consented to.
    pub scopes: String,
    pub granted_at: i64,
}

/// What redeeming a code found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redeemed {
    /// First use: the code is now spent.
    Fresh(CodeRow),
    /// The code was used before: a replay.
    Replayed(CodeRow),
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRow {
    pub id: String,
    pub kind: String,
    pub family_id: String,
    pub code_hash: Option<String>,
    pub client_id: String,
    pub identity_id: Option<String>,
    pub grant_data: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

fn token_from_row(r: &Row) -> Result<TokenRow> {
    Ok(TokenRow {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        family_id: r.try_get("family_id")?,
        code_hash: r.try_get("code_hash")?,
        client_id: r.try_get("client_id")?,
        identity_id: r.try_get("identity_id")?,
        grant_data: r.try_get("grant_data")?,
        created_at: r.try_get("created_at")?,
        expires_at: r.try_get("expires_at")?,
        used_at: r.try_get("used_at")?,
        revoked_at: r.try_get("revoked_at")?,
    })
}

/// A new access or refresh token record.
#[derive(Debug, Clone)]
pub struct NewToken<'a> {
    pub id: &'a str,
    pub kind: &'a str,
    pub token_hash: Option<&'a str>,
    pub family_id: &'a str,
    pub code_hash: Option<&'a str>,
    pub client_id: &'a str,
    pub identity_id: Option<&'a str>,
    pub grant_data: &'a str,
    pub expires_at: i64,
}

/// The client columns an operator changes one at a time.
enum ClientColumn {
    IdTokenAlg,
    SecretHash,
    Status,
}

impl Tx {
    // ----- clients -----

    pub async fn insert_client(&mut self, c: &ClientRow) -> Result<()> {
        let r = query(
            "INSERT INTO oidc_clients (client_id, name, secret_hash, auth_method, redirect_uris, post_logout_redirect_uris, grant_types, allow_cpr, require_par, subject_type, jwks_uri, jwks, status, created_at, id_token_alg, access_token_lifetime) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
        )
        .bind(c.client_id.clone())
        .bind(c.name.clone())
        .bind(c.secret_hash.clone())
        .bind(c.auth_method.clone())
        .bind(list_json(&c.redirect_uris))
        .bind(list_json(&c.post_logout_redirect_uris))
        .bind(list_json(&c.grant_types))
        .bind(i64::from(c.allow_cpr))
        .bind(i64::from(c.require_par))
        .bind(c.subject_type.clone())
        .bind(c.jwks_uri.clone())
        .bind(c.jwks.clone())
        .bind(c.status.clone())
        .bind(c.created_at)
        .bind(c.id_token_alg.clone())
        .bind(c.access_token_lifetime)
        .execute(self)
        .await;
        match r {
            Err(e) if e.is_unique_violation() => Err(StoreError::Conflict("client id taken")),
            Err(e) => Err(e),
            Ok(_) => Ok(()),
        }
    }

    pub async fn find_client(&mut self, client_id: &str) -> Result<Option<ClientRow>> {
        let row = query("SELECT * FROM oidc_clients WHERE client_id = $1")
            .bind(client_id)
            .fetch_optional(self)
            .await?;
        row.as_ref().map(client_from_row).transpose()
    }

    pub async fn find_clients(&mut self) -> Result<Vec<ClientRow>> {
        let rows = query("SELECT * FROM oidc_clients ORDER BY created_at, client_id")
            .fetch_all(self)
            .await?;
        rows.iter().map(client_from_row).collect()
    }

    pub async fn update_client_id_token_alg(&mut self, client_id: &str, alg: &str) -> Result<()> {
        self.update_client_column(client_id, ClientColumn::IdTokenAlg, alg)
            .await
    }

    /// Replaces a client's secret (its keyed hash).
    pub async fn update_client_secret_hash(&mut self, client_id: &str, hash: &str) -> Result<()> {
        self.update_client_column(client_id, ClientColumn::SecretHash, hash)
            .await
    }

    pub async fn update_client_status(&mut self, client_id: &str, status: &str) -> Result<()> {
        self.update_client_column(client_id, ClientColumn::Status, status)
            .await
    }

    async fn update_client_column(
        &mut self,
        client_id: &str,
        column: ClientColumn,
        value: &str,
    ) -> Result<()> {
        let column = match column {
            ClientColumn::IdTokenAlg => "id_token_alg",
            ClientColumn::SecretHash => "secret_hash",
            ClientColumn::Status => "status",
        };
        let sql = format!("UPDATE oidc_clients SET {column} = $1 WHERE client_id = $2");
        let r = query(sql)
            .bind(value.to_owned())
            .bind(client_id.to_owned())
            .execute(self)
            .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Deletes a client with its codes, tokens, pushed requests and consents.
    pub async fn delete_client(&mut self, client_id: &str) -> Result<()> {
        for sql in [
            "DELETE FROM authorization_codes WHERE client_id = $1",
            "DELETE FROM oauth_tokens WHERE client_id = $1",
            "DELETE FROM par_requests WHERE client_id = $1",
            "DELETE FROM consents WHERE client_id = $1",
            "DELETE FROM client_assertion_jtis WHERE client_id = $1",
            "DELETE FROM cpr_match_attempts WHERE client_id = $1",
        ] {
            query(sql).bind(client_id).execute(self).await?;
        }
        let r = query("DELETE FROM oidc_clients WHERE client_id = $1")
            .bind(client_id)
            .execute(self)
            .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    // ----- signing keys -----

    pub async fn insert_signing_key(&mut self, k: &SigningKeyRow) -> Result<()> {
        query(
            "INSERT INTO signing_keys (kid, alg, private_key, public_jwk, created_at, retired_at, publish_until) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(k.kid.clone())
        .bind(k.alg.clone())
        .bind(k.private_key.clone())
        .bind(k.public_jwk.clone())
        .bind(k.created_at)
        .bind(k.retired_at)
        .bind(k.publish_until)
        .execute(self)
        .await?;
        Ok(())
    }

    /// Keys still signing or still published at `now`, newest first.
    pub async fn find_signing_keys(&mut self, now: i64) -> Result<Vec<SigningKeyRow>> {
        let rows = query(
            "SELECT * FROM signing_keys WHERE publish_until IS NULL OR publish_until > $1 ORDER BY created_at DESC, kid",
        )
        .bind(now)
        .fetch_all(self)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SigningKeyRow {
                    kid: r.try_get("kid")?,
                    alg: r.try_get("alg")?,
                    private_key: r.try_get("private_key")?,
                    public_jwk: r.try_get("public_jwk")?,
                    created_at: r.try_get("created_at")?,
                    retired_at: r.try_get("retired_at")?,
                    publish_until: r.try_get("publish_until")?,
                })
            })
            .collect()
    }

    /// Retires the signing key(s) of `alg`: they stop signing now and stay
    /// published until `publish_until`.
    pub async fn retire_signing_keys(
        &mut self,
        alg: &str,
        now: i64,
        publish_until: i64,
    ) -> Result<u64> {
        let r = query(
            "UPDATE signing_keys SET retired_at = $1, publish_until = $2 WHERE alg = $3 AND retired_at IS NULL",
        )
        .bind(now)
        .bind(publish_until)
        .bind(alg)
        .execute(self)
        .await?;
        Ok(r.rows_affected())
    }

    // ----- authorization codes and pushed requests -----

    pub async fn insert_code(
        &mut self,
        code_hash: &str,
        client_id: &str,
        identity_id: &str,
        grant_data: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<()> {
        query(
            "INSERT INTO authorization_codes (code_hash, client_id, identity_id, grant_data, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(code_hash)
        .bind(client_id)
        .bind(identity_id)
        .bind(grant_data)
        .bind(now)
        .bind(expires_at)
        .execute(self)
        .await?;
        Ok(())
    }

    /// Spends a code atomically, recording the token family its tokens
    /// will belong to, or reports that it was spent before (with the family
    /// it started, which a replay revokes).
    pub async fn redeem_code(
        &mut self,
        code_hash: &str,
        family_id: &str,
        now: i64,
    ) -> Result<Redeemed> {
        let row = query(
            "UPDATE authorization_codes SET used_at = $1, family_id = $3 WHERE code_hash = $2 AND used_at IS NULL RETURNING client_id, identity_id, grant_data, expires_at, used_at, family_id",
        )
        .bind(now)
        .bind(code_hash)
        .bind(family_id)
        .fetch_optional(self)
        .await?;
        let read = |r: &Row| -> Result<CodeRow> {
            Ok(CodeRow {
                client_id: r.try_get("client_id")?,
                identity_id: r.try_get("identity_id")?,
                grant_data: r.try_get("grant_data")?,
                expires_at: r.try_get("expires_at")?,
                used_at: r.try_get("used_at")?,
                family_id: r.try_get("family_id")?,
            })
        };
        if let Some(r) = row {
            return Ok(Redeemed::Fresh(read(&r)?));
        }
        let row = query(
            "SELECT client_id, identity_id, grant_data, expires_at, used_at, family_id FROM authorization_codes WHERE code_hash = $1",
        )
        .bind(code_hash)
        .fetch_optional(self)
        .await?;
        Ok(match row {
            Some(r) => Redeemed::Replayed(read(&r)?),
            None => Redeemed::Unknown,
        })
    }

    pub async fn insert_par(
        &mut self,
        request_uri: &str,
        client_id: &str,
        params: &str,
        expires_at: i64,
    ) -> Result<()> {
        query("INSERT INTO par_requests (request_uri, client_id, params, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(request_uri)
            .bind(client_id)
            .bind(params)
            .bind(expires_at)
            .execute(self)
            .await?;
        Ok(())
    }

    /// Takes a pushed request (single use) for the client that pushed it:
    /// its params if it exists, is `client_id`'s and has not expired. Another
    /// client presenting the request_uri takes nothing and leaves it usable.
    pub async fn take_par(
        &mut self,
        request_uri: &str,
        client_id: &str,
        now: i64,
    ) -> Result<Option<String>> {
        let row = query("DELETE FROM par_requests WHERE request_uri = $1 AND client_id = $2 RETURNING params, expires_at")
            .bind(request_uri)
            .bind(client_id)
            .fetch_optional(self)
            .await?;
        let Some(r) = row else { return Ok(None) };
        let expires: i64 = r.try_get("expires_at")?;
        if expires <= now {
            return Ok(None);
        }
        Ok(Some(r.try_get("params")?))
    }

    // ----- tokens -----

    pub async fn insert_token(&mut self, t: &NewToken<'_>, now: i64) -> Result<()> {
        query(
            "INSERT INTO oauth_tokens (id, kind, token_hash, family_id, code_hash, client_id, identity_id, grant_data, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(t.id)
        .bind(t.kind)
        .bind(t.token_hash)
        .bind(t.family_id)
        .bind(t.code_hash)
        .bind(t.client_id)
        .bind(t.identity_id)
        .bind(t.grant_data)
        .bind(now)
        .bind(t.expires_at)
        .execute(self)
        .await?;
        Ok(())
    }

    pub async fn find_refresh_token(&mut self, token_hash: &str) -> Result<Option<TokenRow>> {
        let row = query("SELECT * FROM oauth_tokens WHERE token_hash = $1 AND kind = 'refresh'")
            .bind(token_hash)
            .fetch_optional(self)
            .await?;
        row.as_ref().map(token_from_row).transpose()
    }

    pub async fn find_token(&mut self, id: &str) -> Result<Option<TokenRow>> {
        let row = query("SELECT * FROM oauth_tokens WHERE id = $1")
            .bind(id)
            .fetch_optional(self)
            .await?;
        row.as_ref().map(token_from_row).transpose()
    }

    /// Marks a refresh token used (rotated). `false` if it was used before: reuse.
    pub async fn update_token_used(&mut self, id: &str, now: i64) -> Result<bool> {
        let r = query("UPDATE oauth_tokens SET used_at = $1 WHERE id = $2 AND used_at IS NULL AND revoked_at IS NULL")
            .bind(now)
            .bind(id)
            .execute(self)
            .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Revokes every token of a family (refresh reuse), or of every family
    /// a code started (code replay): the tokens refreshed from the code's
    /// share its family but not its `code_hash`. Their access-token jtis go
    /// on the revocation list.
    pub async fn revoke_tokens(
        &mut self,
        family_id: Option<&str>,
        code_hash: Option<&str>,
        now: i64,
    ) -> Result<u64> {
        let rows = query(
            "UPDATE oauth_tokens SET revoked_at = $1 WHERE revoked_at IS NULL AND (family_id = $2 OR family_id IN (SELECT family_id FROM oauth_tokens WHERE code_hash = $3)) RETURNING id, kind, expires_at",
        )
        .bind(now)
        .bind(family_id.map(str::to_owned))
        .bind(code_hash.map(str::to_owned))
        .fetch_all(self)
        .await?;
        self.list_revoked_access(&rows).await
    }

    /// Revokes every live token issued for an identity (a change of
    /// password: services must log the holder in again); the access
    /// tokens' jtis go on the revocation list.
    pub async fn revoke_tokens_of(&mut self, identity_id: &str, now: i64) -> Result<u64> {
        let rows = query(
            "UPDATE oauth_tokens SET revoked_at = $1 WHERE revoked_at IS NULL AND identity_id = $2 AND expires_at > $1 RETURNING id, kind, expires_at",
        )
        .bind(now)
        .bind(identity_id)
        .fetch_all(self)
        .await?;
        self.list_revoked_access(&rows).await
    }

    /// Spends every unused authorization code of an identity (a change of
    /// password): a code issued before it redeems nothing after it.
    pub async fn spend_codes_of(&mut self, identity_id: &str, now: i64) -> Result<u64> {
        let r = query(
            "UPDATE authorization_codes SET used_at = $1 WHERE identity_id = $2 AND used_at IS NULL",
        )
        .bind(now)
        .bind(identity_id)
        .execute(self)
        .await?;
        Ok(r.rows_affected())
    }

    /// Puts the access tokens among `rows` (`RETURNING id, kind,
    /// expires_at` of a revocation) on the revocation list; the count of
    /// all rows revoked.
    async fn list_revoked_access(&mut self, rows: &[Row]) -> Result<u64> {
        for r in rows {
            let kind: String = r.try_get("kind")?;
            if kind == "access" {
                let id: String = r.try_get("id")?;
                let exp: i64 = r.try_get("expires_at")?;
                self.insert_revoked_jti(&id, exp).await?;
            }
        }
        Ok(rows.len() as u64)
    }

    pub async fn insert_revoked_jti(&mut self, jti: &str, expires_at: i64) -> Result<()> {
        query("INSERT INTO revoked_jtis (jti, expires_at) VALUES ($1, $2) ON CONFLICT (jti) DO NOTHING")
            .bind(jti)
            .bind(expires_at)
            .execute(self)
            .await?;
        Ok(())
    }

    pub async fn is_jti_revoked(&mut self, jti: &str) -> Result<bool> {
        let row = query("SELECT 1 AS one FROM revoked_jtis WHERE jti = $1")
            .bind(jti)
            .fetch_optional(self)
            .await?;
        Ok(row.is_some())
    }

    /// Records a client assertion's jti; `false` if it was seen before (replay).
    pub async fn insert_assertion_jti(
        &mut self,
        client_id: &str,
        jti: &str,
        expires_at: i64,
    ) -> Result<bool> {
        let r = query(
            "INSERT INTO client_assertion_jtis (client_id, jti, expires_at) VALUES ($1, $2, $3) ON CONFLICT (client_id, jti) DO NOTHING",
        )
        .bind(client_id)
        .bind(jti)
        .bind(expires_at)
        .execute(self)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Removes expired codes, pushed requests, revocations and assertion
    /// jtis. A used code is kept for `keep_used_codes` ms after its use (the
    /// longest a refresh token issued from it lives), and beyond that for as
    /// long as a token of the family it started lives (refresh tokens
    /// rotate, so a family can outlive its first tokens): a replay of it
    /// then still finds the family and revokes it. An unused code goes once
    /// expired.
    pub async fn delete_expired_oidc(&mut self, now: i64, keep_used_codes: i64) -> Result<u64> {
        let mut n = query(
            "DELETE FROM authorization_codes WHERE (used_at IS NULL AND expires_at <= $1) OR (used_at <= $2 AND NOT EXISTS (SELECT 1 FROM oauth_tokens t WHERE t.family_id = authorization_codes.family_id AND t.expires_at > $1))",
        )
        .bind(now)
        .bind(now.saturating_sub(keep_used_codes))
        .execute(self)
        .await?
        .rows_affected();
        for sql in [
            "DELETE FROM par_requests WHERE expires_at <= $1",
            "DELETE FROM revoked_jtis WHERE expires_at <= $1",
            "DELETE FROM client_assertion_jtis WHERE expires_at <= $1",
            "DELETE FROM oauth_tokens WHERE expires_at <= $1",
        ] {
            n += query(sql).bind(now).execute(self).await?.rows_affected();
        }
        Ok(n)
    }

    // ----- consent -----

    pub async fn upsert_consent(
        &mut self,
        identity_id: &str,
        client_id: &str,
        scopes: &str,
        now: i64,
    ) -> Result<()> {
        query(
            "INSERT INTO consents (identity_id, client_id, scopes, granted_at) VALUES ($1, $2, $3, $4) ON CONFLICT (identity_id, client_id) DO UPDATE SET scopes = excluded.scopes, granted_at = excluded.granted_at",
        )
        .bind(identity_id)
        .bind(client_id)
        .bind(scopes)
        .bind(now)
        .execute(self)
        .await?;
        Ok(())
    }

    /// The scopes a holder consented to for a client.
    pub async fn find_consent(
        &mut self,
        identity_id: &str,
        client_id: &str,
    ) -> Result<Option<String>> {
        let row = query("SELECT scopes FROM consents WHERE identity_id = $1 AND client_id = $2")
            .bind(identity_id)
            .bind(client_id)
            .fetch_optional(self)
            .await?;
        row.map(|r| r.try_get("scopes")).transpose()
    }

    /// (client_id, client name, scopes, granted_at) for My nyckel.
    /// The holder's consents, with the client's name and whether it is
    /// entitled to the CPR number (what the consent releases today).
    pub async fn find_consents_of(&mut self, identity_id: &str) -> Result<Vec<ConsentRow>> {
        let rows = query(
            "SELECT c.client_id, o.name, o.allow_cpr, c.scopes, c.granted_at FROM consents c JOIN oidc_clients o ON o.client_id = c.client_id WHERE c.identity_id = $1 ORDER BY o.name",
        )
        .bind(identity_id)
        .fetch_all(self)
        .await?;
        rows.iter()
            .map(|r| {
                let allow_cpr: i64 = r.try_get("allow_cpr")?;
                Ok(ConsentRow {
                    client_id: r.try_get("client_id")?,
                    client_name: r.try_get("name")?,
                    client_allow_cpr: allow_cpr != 0,
                    scopes: r.try_get("scopes")?,
                    granted_at: r.try_get("granted_at")?,
                })
            })
            .collect()
    }

    pub async fn delete_consent(&mut self, identity_id: &str, client_id: &str) -> Result<bool> {
        let r = query("DELETE FROM consents WHERE identity_id = $1 AND client_id = $2")
            .bind(identity_id)
            .bind(client_id)
            .execute(self)
            .await?;
        Ok(r.rows_affected() > 0)
    }

    // ----- CPR match -----

    pub async fn count_cpr_match_attempts(
        &mut self,
        identity_id: &str,
        client_id: &str,
        since: i64,
    ) -> Result<i64> {
        let row = query(
            "SELECT COUNT(*) AS n FROM cpr_match_attempts WHERE identity_id = $1 AND client_id = $2 AND at > $3",
        )
        .bind(identity_id)
        .bind(client_id)
        .bind(since)
        .fetch_one(self)
        .await?;
        row.try_get("n")
    }

    pub async fn insert_cpr_match_attempt(
        &mut self,
        identity_id: &str,
        client_id: &str,
        now: i64,
    ) -> Result<()> {
        query("INSERT INTO cpr_match_attempts (identity_id, client_id, at) VALUES ($1, $2, $3)")
            .bind(identity_id)
            .bind(client_id)
            .bind(now)
            .execute(self)
            .await?;
        Ok(())
    }
}
