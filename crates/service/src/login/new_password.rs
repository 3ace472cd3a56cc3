use super::flow::{Flow, finish_in, save_in};
use super::*;

impl Nyckel {
    /// Sets the holder's chosen password after the activation code (or a
    /// change from My nyckel). The activation code is used up.
    pub async fn set_password(
        &self,
        identity: &IdentityRow,
        new: &SecretString,
    ) -> Result<Result<(), PasswordRejection>> {
        let phc = match self.prepare_password(identity, new).await? {
            Ok(phc) => phc,
            Err(r) => return Ok(Err(r)),
        };
        let mut tx = self.store.write().await?;
        self.store_password_in(&mut tx, identity, &phc).await?;
        tx.commit().await?;
        Ok(Ok(()))
    }

    /// Whether `password` is the holder's current one (one hash).
    async fn is_current_password(
        &self,
        identity: &IdentityRow,
        password: &SecretString,
    ) -> Result<bool> {
        let mut tx = self.store.read().await?;
        let current = tx
            .find_live_credentials(&identity.id, CredentialKind::Password)
            .await?;
        tx.commit().await?;
        let phc = current
            .iter()
            .find(|c| c.status == CredentialStatus::Active)
            .and_then(|c| c.secret_hash.clone());
        Ok(match phc {
            Some(phc) => self.hasher.verify(Some(&phc), password).await?,
            None => false,
        })
    }

    /// Checks a new password against the rules and hashes it (outside any
    /// transaction): the PHC string to store with [`Nyckel::store_password_in`].
    pub async fn prepare_password(
        &self,
        identity: &IdentityRow,
        new: &SecretString,
    ) -> Result<Result<String, PasswordRejection>> {
        let mut tx = self.store.read().await?;
        let person = tx
            .find_person(&identity.person_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        if let Err(r) = check_password(
            &PasswordPolicy::default(),
            new,
            &identity.user_id,
            &person.record.cpr,
            identity.alias.as_deref(),
        ) {
            return Ok(Err(r));
        }
        Ok(Ok(self.hasher.hash(new).await?))
    }

    /// Makes a prepared password the holder's, in the caller's write
    /// transaction: the old password and the activation code retire.
    pub async fn store_password_in(
        &self,
        tx: &mut Tx,
        identity: &IdentityRow,
        phc: &str,
    ) -> Result<()> {
        let now = self.now();
        tx.retire_credentials(&identity.id, CredentialKind::ActivationCode, now)
            .await?;
        self.replace_password_in(tx, identity, phc, AuditEvent::PasswordSet)
            .await
    }

    /// [`Nyckel::store_password_in`] for a password chosen with an
    /// activation code: `false`, and nothing changed, when the code is no
    /// longer live (another login chose a password with it first). The
    /// code is used up by a conditional update, so of two such logins at
    /// once exactly one sets its password.
    async fn store_password_after_code_in(
        &self,
        tx: &mut Tx,
        identity: &IdentityRow,
        phc: &str,
    ) -> Result<bool> {
        let now = self.now();
        if tx
            .retire_credentials(&identity.id, CredentialKind::ActivationCode, now)
            .await?
            == 0
        {
            return Ok(false);
        }
        self.replace_password_in(tx, identity, phc, AuditEvent::PasswordSet)
            .await?;
        Ok(true)
    }

    /// The old password retires and `phc` becomes the password, audited
    /// as `event`.
    async fn replace_password_in(
        &self,
        tx: &mut Tx,
        identity: &IdentityRow,
        phc: &str,
        event: AuditEvent,
    ) -> Result<()> {
        let now = self.now();
        tx.retire_credentials(&identity.id, CredentialKind::Password, now)
            .await?;
        tx.insert_credential(
            &NewCredential {
                identity_id: &identity.id,
                kind: CredentialKind::Password,
                status: CredentialStatus::Active,
                label: None,
                secret_hash: Some(phc),
                data: None,
                expires_at: None,
            },
            now,
        )
        .await?;
        tx.append_audit(
            &NewAuditEvent::new(holder(&identity.user_id), event).subject(identity.id.clone()),
            now,
        )
        .await?;
        Ok(())
    }
}

impl Nyckel {
    /// `POST /login/new-password`, after an activation code: the password
    /// is checked and hashed outside any transaction, and stored with the
    /// flow's move, so that two posts at once set one password.
    pub async fn new_password_step(
        &self,
        cookie: Option<&str>,
        csrf: &str,
        new: &SecretString,
        confirm: &str,
    ) -> Result<Outcome, LoginError> {
        let mut tx = self.store.read().await?;
        let mut flow = self.load_for_post_in(&mut tx, cookie, csrf).await?;
        let Ok(state) = flow.state.clone().expect_new_password() else {
            return Ok(Outcome::Elsewhere);
        };
        let identity = tx
            .find_identity(&state.identity_id)
            .await?
            .ok_or(LoginError::Expired)?;
        tx.commit().await?;
        let again = |flow: &Flow, problem| {
            let view = LoginView::NewPassword {
                login_name: state.login_name.clone(),
            };
            Ok(Outcome::Again(flow.shown(view), problem))
        };
        if !new.ct_eq(confirm) {
            return again(&flow, Problem::PasswordsDiffer);
        }
        let phc = match self.prepare_password(&identity, new).await? {
            Ok(phc) => phc,
            Err(rejection) => return again(&flow, Problem::PasswordRejected(rejection)),
        };
        if flow.continuation == Continuation::ChangePassword {
            if self.is_current_password(&identity, new).await? {
                return again(&flow, Problem::PasswordUnchanged);
            }
            // Both factors were proven in this flow: the password changes
            // with the flow's end, once, and only while the My nyckel
            // session it was started from lives (a flow left open after
            // logging out changes nothing). Whoever knew the old password
            // is logged out: the other sessions end and the tokens issued
            // to services are revoked, in the same transaction.
            let mut tx = self.store.write().await?;
            // Changes of one identity's password are made one after the
            // other (two sessions finishing at once leave one password).
            tx.lock_identity(&identity.id).await?;
            finish_in(&mut tx, &flow).await?;
            let now = self.now();
            let session = match &flow.session {
                Some(hash) => tx.find_session(hash, now).await?,
                None => None,
            };
            let Some(keep) = flow
                .session
                .as_deref()
                .filter(|_| session.is_some_and(|s| s.identity_id == identity.id))
            else {
                tx.commit().await?;
                return Err(LoginError::Expired);
            };
            // A letter's activation code that stood in for the current
            // password retires with it, as at every password set.
            tx.retire_credentials(&identity.id, CredentialKind::ActivationCode, now)
                .await?;
            let sessions = tx.delete_other_sessions_of(&identity.id, keep).await?;
            // Codes before tokens: a code being redeemed at this moment
            // holds its row until its tokens are committed, so the
            // revocation that follows sees them (a refresh is kept out by
            // the identity's lock, taken first).
            tx.spend_codes_of(&identity.id, now).await?;
            let tokens = tx.revoke_tokens_of(&identity.id, now).await?;
            let event = AuditEvent::PasswordChanged { sessions, tokens };
            self.replace_password_in(&mut tx, &identity, &phc, event)
                .await?;
            tx.commit().await?;
            return Ok(Outcome::PasswordChanged);
        }
        let must_accept = nyckel_core::terms::must_accept(identity.terms_version);
        flow.state = state.clone().password_set(must_accept).into();
        let mut tx = self.store.write().await?;
        // The activation code is one-time: this flow passed it, but only
        // the first password chosen with it is set.
        if !self
            .store_password_after_code_in(&mut tx, &identity, &phc)
            .await?
        {
            finish_in(&mut tx, &flow).await?;
            tx.commit().await?;
            return Ok(Outcome::Ended(Ending::ActivationCodeUsed));
        }
        save_in(&mut tx, &mut flow).await?;
        tx.commit().await?;
        Ok(Outcome::Next)
    }
}
