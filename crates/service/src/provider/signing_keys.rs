//! Signing keys: kept wrapped in the database, re-read every 30 s, rotated
//! by `nyckel keys rotate`; the JWKS.

use std::sync::Arc;

use nyckel_core::audit::{AuditEvent, NewAuditEvent};
use nyckel_oidc::Issuer;
use nyckel_oidc::keys::{self, KeySet, SigningAlg, SigningKey};
use nyckel_store::SigningKeyRow;
use serde_json::Value;

use super::*;
use crate::{Nyckel, Result};

impl Nyckel {
    /// The issuer, from `public_url`: parsed once, it is on every token's path.
    pub fn issuer(&self) -> Result<Issuer> {
        self.issuer_ref().cloned()
    }

    /// [`Nyckel::issuer`] without the copy.
    pub fn issuer_ref(&self) -> Result<&Issuer> {
        if let Some(issuer) = self.key_cache().issuer.get() {
            return Ok(issuer);
        }
        let issuer = Issuer::parse(&self.config.public_url).map_err(internal)?;
        Ok(self.key_cache().issuer.get_or_init(|| issuer))
    }

    /// The current key set; creates the first ES256 and RS256 keys if none exist.
    pub async fn keys(&self) -> Result<Arc<KeySet>> {
        let now = self.now() / 1000;
        if let Some(set) = self.fresh_keys(now) {
            return Ok(set);
        }
        let _one = self.key_cache().reload.lock().await;
        // Another task may have reloaded them while this one waited.
        if let Some(set) = self.fresh_keys(now) {
            return Ok(set);
        }
        let set = Arc::new(self.load_keys(true).await?);
        if let Ok(mut slot) = self.key_cache().inner.write() {
            *slot = Some((set.clone(), now));
        }
        Ok(set)
    }

    fn fresh_keys(&self, now: i64) -> Option<Arc<KeySet>> {
        let slot = self.key_cache().inner.read().ok()?;
        let (set, loaded) = slot.as_ref()?;
        (now - loaded < KEY_RELOAD_SECS).then(|| set.clone())
    }

    async fn load_keys(&self, create: bool) -> Result<KeySet> {
        let now = self.now();
        let mut rows = self.store.read().await?.find_signing_keys(now).await?;
        let missing = |rows: &[SigningKeyRow], alg: SigningAlg| {
            !rows
                .iter()
                .any(|r| r.alg == alg.as_str() && r.retired_at.is_none())
        };
        let needed: Vec<SigningAlg> = SigningAlg::ALL
            .into_iter()
            .filter(|alg| create && missing(&rows, *alg))
            .collect();
        if !needed.is_empty() {
            // Generated before the write transaction: an RSA key takes a
            // while, and the transaction holds the database's write lock.
            let fresh = needed
                .iter()
                .map(|alg| self.new_key_row(*alg, now))
                .collect::<Result<Vec<_>>>()?;
            let mut tx = self.store.write().await?;
            // Another process may have created keys meanwhile: theirs win.
            rows = tx.find_signing_keys(now).await?;
            for (alg, row) in needed.into_iter().zip(fresh) {
                if missing(&rows, alg) {
                    tx.insert_signing_key(&row).await?;
                    rows.insert(0, row);
                }
            }
            tx.commit().await?;
        }
        let mut signing = Vec::new();
        let mut retired = Vec::new();
        for r in rows {
            let alg = match r.alg.as_str() {
                "ES256" => SigningAlg::ES256,
                "RS256" => SigningAlg::RS256,
                _ => continue,
            };
            let der = keys::decrypt_private_key(self.secret().bytes(), &r.kid, &r.private_key)
                .map_err(internal)?;
            let key = SigningKey::from_pkcs8_der(r.kid.clone(), alg, &der).map_err(internal)?;
            if r.retired_at.is_none() && !signing.iter().any(|k: &SigningKey| k.alg() == alg) {
                signing.push(key);
            } else {
                retired.push(key.verifying_key().clone());
            }
        }
        KeySet::new(signing, retired).map_err(internal)
    }

    fn new_key_row(&self, alg: SigningAlg, now: i64) -> Result<SigningKeyRow> {
        let key = SigningKey::generate(alg).map_err(internal)?;
        let wrapped = keys::encrypt_private_key(
            self.secret().bytes(),
            key.kid(),
            key.to_pkcs8_der(),
            &mut rand::rng(),
        )
        .map_err(internal)?;
        Ok(SigningKeyRow {
            kid: key.kid().to_owned(),
            alg: alg.as_str().to_owned(),
            private_key: wrapped,
            public_jwk: key.public_jwk().to_string(),
            created_at: now,
            retired_at: None,
            publish_until: None,
        })
    }

    /// Rotates the signing key of each algorithm: the new key signs from now
    /// on; the old one stays in the JWKS until everything it signed expired.
    pub async fn rotate_keys(&self, who: &str) -> Result<Vec<String>> {
        let now = self.now();
        // The longest a client's access tokens may live, not the default:
        // a key must outlive every token it signed.
        let longest =
            i64::from(nyckel_oidc::client::AccessTokenLifetime::MAX).max(ID_TOKEN_TTL) * 1000;
        // Generated before the write transaction (an RSA key takes a while).
        let fresh = SigningAlg::ALL
            .into_iter()
            .map(|alg| Ok((alg, self.new_key_row(alg, now)?)))
            .collect::<Result<Vec<_>>>()?;
        let mut tx = self.store.write().await?;
        let mut kids = Vec::new();
        for (alg, row) in fresh {
            tx.retire_signing_keys(alg.as_str(), now, now + longest + 60_000)
                .await?;
            kids.push(row.kid.clone());
            tx.insert_signing_key(&row).await?;
        }
        tx.append_audit(
            &NewAuditEvent::new(
                who,
                AuditEvent::KeysRotated {
                    new_kids: kids.clone(),
                },
            ),
            now,
        )
        .await?;
        tx.commit().await?;
        // After any reload in progress, which may have read the old keys.
        let _one = self.key_cache().reload.lock().await;
        if let Ok(mut slot) = self.key_cache().inner.write() {
            *slot = None;
        }
        Ok(kids)
    }

    pub async fn jwks(&self) -> Result<Value> {
        Ok(self.keys().await?.jwks())
    }
}
