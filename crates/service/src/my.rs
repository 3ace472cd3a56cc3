//! My nyckel (R-SELF-1): what the holder's own page shows and what the
//! holder may do there — the page's data, the username, a report of wrong
//! register details, withdrawing a consent (blocking is in `blocking`).
//! Each action is one transaction with its audit entry; the web tier
//! checks the session and the form's CSRF token, then calls these.

use nyckel_core::lang::Lang;
use std::collections::BTreeSet;

use nyckel_core::alias::Alias;
use nyckel_core::audit::{AuditEvent, NewAuditEvent};
use nyckel_store::StoreError;

use crate::{Nyckel, Result};

pub use nyckel_core::audit::AuditEntry;
pub use nyckel_store::{CredentialRow, IdentityRow, PersonRow};

/// How many of the holder's audit entries the page lists.
const ACTIVITY: i64 = 20;

/// What My nyckel shows.
#[derive(Debug, Clone)]
pub struct MyPage {
    pub person: PersonRow,
    pub credentials: Vec<CredentialRow>,
    /// Unused keys of each usable key card, by credential id.
    pub keys_left: std::collections::HashMap<String, i64>,
    /// The newest entries about the holder, newest first.
    pub activity: Vec<AuditEntry>,
    pub consents: Vec<MyConsent>,
}

/// A service the holder allowed to receive their details.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MyConsent {
    pub client_id: String,
    pub client_name: String,
    /// The person claims the consent releases to the client today
    /// ([`nyckel_oidc::tokens::scope_claims`]).
    pub claims: BTreeSet<&'static str>,
    pub since: i64,
}

/// The outcome of choosing a username.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AliasSet {
    Saved,
    /// Another identity has it.
    Taken,
}

impl Nyckel {
    // ----- My nyckel -----

    /// The page's data for a holder; `None` if the person is gone.
    pub async fn my_page(&self, identity: &IdentityRow) -> Result<Option<MyPage>> {
        let mut tx = self.store.read().await?;
        let Some(person) = tx.find_person(&identity.person_id).await? else {
            return Ok(None);
        };
        let credentials = tx.find_credentials(&identity.id).await?;
        let mut keys_left = std::collections::HashMap::new();
        for c in &credentials {
            if c.kind == nyckel_core::credential::CredentialKind::KeyCard && c.status.is_usable() {
                keys_left.insert(c.id.clone(), tx.count_unused_keys(&c.id).await?);
            }
        }
        let activity = tx.find_audit_by_subject(&identity.id, ACTIVITY).await?;
        let consents = tx
            .find_consents_of(&identity.id)
            .await?
            .into_iter()
            .map(|c| {
                let scopes: Vec<&str> = c.scopes.split(' ').collect();
                MyConsent {
                    claims: nyckel_oidc::tokens::scope_claims(&scopes, c.client_allow_cpr),
                    client_id: c.client_id,
                    client_name: c.client_name,
                    since: c.granted_at,
                }
            })
            .collect();
        tx.commit().await?;
        Ok(Some(MyPage {
            person,
            credentials,
            keys_left,
            activity,
            consents,
        }))
    }

    /// Sets the holder's username (an alias to log in with), kept as typed
    /// and matched by its key: [`AliasSet::Taken`] if another identity has
    /// the key, whatever its case. The holder's own username in another
    /// case is saved (the same key, a new display form).
    pub async fn set_alias(&self, identity: &IdentityRow, alias: &Alias) -> Result<AliasSet> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        match tx.update_identity_alias(&identity.id, Some(alias)).await {
            Err(StoreError::Conflict(_)) => {
                tx.rollback().await?;
                return Ok(AliasSet::Taken);
            }
            r => r?,
        }
        tx.append_audit(
            &NewAuditEvent::new(format!("holder:{}", identity.user_id), AuditEvent::AliasSet)
                .subject(identity.id.clone()),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(AliasSet::Saved)
    }

    /// Sets the holder's language for letters, key cards and the code app
    /// (the pages follow the language switch).
    pub async fn set_language(&self, identity: &IdentityRow, language: Lang) -> Result<()> {
        let mut tx = self.store.write().await?;
        tx.update_identity_language(&identity.id, language).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records a holder's report that the register's details are wrong
    /// (R-SELF-1). `false` if the identity is gone.
    pub async fn report_register(&self, identity_id: &str, note: &str) -> Result<bool> {
        let mut tx = self.store.write().await?;
        if !self.report_register_in(&mut tx, identity_id, note).await? {
            return Ok(false);
        }
        tx.commit().await?;
        Ok(true)
    }

    /// [`Nyckel::report_register`] in the caller's transaction (the login
    /// flow's terms step records it with the step).
    pub async fn report_register_in(
        &self,
        tx: &mut nyckel_store::Tx,
        identity_id: &str,
        note: &str,
    ) -> Result<bool> {
        let now = self.now();
        let Some(identity) = tx.find_identity(identity_id).await? else {
            return Ok(false);
        };
        let id = tx
            .insert_register_report(&identity.id, &identity.person_id, note, now)
            .await?;
        tx.append_audit(
            &NewAuditEvent::new(
                format!("holder:{}", identity.user_id),
                AuditEvent::RegisterReported { report: id },
            )
            .subject(identity.id.clone()),
            now,
        )
        .await?;
        Ok(true)
    }
}
