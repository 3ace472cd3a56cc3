//! Login steps (R-AUTH-1): name, password (reserved before the hash,
//! settled after), activation code, new password, terms, key card and
//! completion, each in the transaction that moves its flow.

use nyckel_core::alias::LoginName;
use nyckel_core::assurance::AuthMethod;
use nyckel_core::audit::NewAuditEvent;
use nyckel_core::credential::{CredentialKind, CredentialStatus, IdentityStatus};
use nyckel_core::keycard::{self, KeyNumber};
use nyckel_core::lockout::{self, Trust};
use nyckel_core::password::{PasswordPolicy, PasswordRejection, check_password};
use nyckel_core::secret::{SecretString, ct_eq};
use nyckel_store::{CredentialRow, IdentityRow, NewCredential, StoreError, Tx};
use serde_json::json;

use crate::*;

/// The outcome of the password step.
#[derive(Debug)]
pub enum PasswordStep {
    /// The password was right.
    Password(IdentityRow),
    /// The activation code was right: the holder must choose a password.
    ActivationCode(IdentityRow),
    /// Right password, but the identity is blocked.
    IdentityBlocked(IdentityStatus),
    /// Wrong user or password, or not allowed to try now: one answer for all.
    Refused,
}

/// What the password step reads before it hashes (see
/// [`Nyckel::password_context`]). Empty for a name that matched nobody.
#[derive(Debug)]
pub struct PasswordContext {
    pub identity: Option<IdentityRow>,
    pub trust: Trust,
    /// The identity's credentials that are not retired or revoked.
    pub credentials: Vec<CredentialRow>,
}

impl Default for PasswordContext {
    fn default() -> Self {
        Self {
            identity: None,
            trust: Trust::Untrusted,
            credentials: Vec::new(),
        }
    }
}

/// The outcome of the key-card step.
#[derive(Debug)]
pub enum KeyCardStep {
    Accepted,
    Wrong,
    /// Too many wrong codes: the card is now blocked.
    Blocked,
    /// The key is no longer outstanding: a key shown since (in another
    /// login) superseded it, and it was counted as a wrong code then.
    Superseded,
}

/// Which entry a completed login writes in the holder's activity: its own
/// for My nyckel; none when it serves a provider, whose code issuance
/// writes the one entry ("Logged in to <provider>").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginEntry {
    MyNyckel,
    Provider,
}

/// What [`Nyckel::complete_login_in`] made: the session's CSRF token and
/// the device cookie to set (the one brought, if already trusted, or a new one).
#[derive(Debug)]
pub struct CompletedLogin {
    pub csrf: String,
    pub device: String,
}

/// A key-card challenge: the key shown to the holder (already consumed).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Challenge {
    pub credential_id: String,
    pub card_id: String,
    pub key_number: KeyNumber,
}

/// Proof that a holder passed both factors: only [`Nyckel::check_key_code`]
/// makes one, and only [`Nyckel::complete_login`] consumes it.
#[derive(Debug)]
pub struct Authenticated {
    identity_id: String,
    methods: Vec<AuthMethod>,
}

impl Authenticated {
    pub fn identity_id(&self) -> &str {
        &self.identity_id
    }

    pub fn methods(&self) -> &[AuthMethod] {
        &self.methods
    }
}

impl Nyckel {
    // ----- login (R-AUTH-1) -----

    /// The identity a login name points to, if any. Unknown names are not an
    /// error: the flow goes on to the password step all the same.
    pub async fn resolve_login_name(&self, name: &LoginName) -> Result<Option<IdentityRow>> {
        let mut tx = self.store.read().await?;
        let identity = self.resolve_login_name_in(&mut tx, name).await?;
        tx.commit().await?;
        Ok(identity)
    }

    /// [`Nyckel::resolve_login_name`] inside the caller's transaction.
    pub async fn resolve_login_name_in(
        &self,
        tx: &mut Tx,
        name: &LoginName,
    ) -> Result<Option<IdentityRow>> {
        let identity = match name {
            LoginName::UserId(u) => tx.find_identity_by_user_id(u).await?,
            LoginName::Alias(a) => tx.find_identity_by_alias(a.as_str()).await?,
            LoginName::Cpr(c) => match tx.find_person_by_cpr(c).await? {
                Some(p) => tx.find_live_identity_of_person(&p.id).await?,
                None => None,
            },
        };
        Ok(identity.filter(|i| i.status != IdentityStatus::Revoked))
    }

    /// What the password step needs to know, read on the caller's
    /// connection: the identity (if the name matched one), whether this
    /// device has logged in to it before, and its live credentials.
    pub async fn password_context(
        &self,
        tx: &mut Tx,
        identity_id: Option<&str>,
        device_cookie: Option<&str>,
    ) -> Result<PasswordContext> {
        let Some(id) = identity_id else {
            return Ok(PasswordContext::default());
        };
        let Some(identity) = tx.find_identity(id).await? else {
            return Ok(PasswordContext::default());
        };
        let device = device_cookie.map(cookie_hash);
        let (credentials, trusted) = tx
            .find_login_credentials(&identity.id, device.as_deref())
            .await?;
        Ok(PasswordContext {
            identity: Some(identity),
            trust: if trusted {
                Trust::TrustedDevice
            } else {
                Trust::Untrusted
            },
            credentials,
        })
    }

    pub async fn is_trusted_device(
        &self,
        device_cookie: Option<&str>,
        identity_id: &str,
    ) -> Result<bool> {
        let Some(cookie) = device_cookie else {
            return Ok(false);
        };
        let mut tx = self.store.read().await?;
        let t = tx
            .is_trusted_device(&cookie_hash(cookie), identity_id)
            .await?;
        tx.commit().await?;
        Ok(t)
    }

    /// Checks the password (or the activation code) of the identity the
    /// holder named. Every failure looks the same and costs one Argon2id
    /// verification, whether or not the user exists.
    pub async fn check_password_step(
        &self,
        identity: Option<&IdentityRow>,
        input: &SecretString,
        trust: Trust,
        ip: &str,
    ) -> Result<PasswordStep> {
        let credentials = match identity {
            Some(i) => {
                let mut tx = self.store.read().await?;
                let c = tx.find_all_live_credentials(&i.id).await?;
                tx.commit().await?;
                c
            }
            None => Vec::new(),
        };
        self.verify_password_step(identity, &credentials, input, trust, ip)
            .await
    }

    /// [`Nyckel::check_password_step`] with the identity's live credentials
    /// already read (see [`Nyckel::password_context`]).
    ///
    /// The attempt is first reserved (an atomic increment in its own short
    /// transaction, the limit judged on the updated row); the hash runs
    /// outside any transaction; the outcome settles the reservation. So a
    /// burst of attempts sent at once is checked at most up to the limit,
    /// and a success clears only the failures reserved before it.
    pub async fn verify_password_step(
        &self,
        identity: Option<&IdentityRow>,
        credentials: &[CredentialRow],
        input: &SecretString,
        trust: Trust,
        ip: &str,
    ) -> Result<PasswordStep> {
        let Some(identity) = identity else {
            self.hasher.pad(input).await?;
            self.audit_anonymous(
                "login.failed",
                json!({ "reason": "unknown-user", "ip": ip }),
            )
            .await?;
            return Ok(PasswordStep::Refused);
        };
        let now = self.now();
        let of = |kind: CredentialKind| {
            credentials
                .iter()
                .filter(move |c| c.kind == kind && c.identity_id == identity.id)
        };
        let password = of(CredentialKind::Password).next().cloned();
        let code = of(CredentialKind::ActivationCode)
            .find(|c| c.expires_at.is_none_or(|e| e > now))
            .cloned();
        // Failures count against the credential the holder is expected to use.
        let Some(counted) = password.clone().or_else(|| code.clone()) else {
            self.hasher.pad(input).await?;
            self.audit_login_failure(identity, "no-credential", trust, ip)
                .await?;
            return Ok(PasswordStep::Refused);
        };
        if counted.status.is_blocked() {
            self.hasher.pad(input).await?;
            self.audit_login_failure(identity, "locked", trust, ip)
                .await?;
            return Ok(PasswordStep::Refused);
        }
        let Some(reservation) = self.reserve_attempt(identity, &counted, trust, ip).await? else {
            self.hasher.pad(input).await?;
            return Ok(PasswordStep::Refused);
        };
        // The check itself, outside any transaction. Should it fail (the
        // pool is busy), the reservation is given back: nothing was tried.
        let checked = match self
            .check_secret(identity, password.as_ref(), code.as_ref(), input)
            .await
        {
            Ok(c) => c,
            Err(e) => {
                self.settle_success(&counted, trust, 1, false).await?;
                return Err(e);
            }
        };
        match checked {
            Some(kind) => {
                if identity.status.is_blocked() {
                    self.settle_success(&counted, trust, 1, false).await?;
                    return Ok(PasswordStep::IdentityBlocked(identity.status));
                }
                self.settle_success(&counted, trust, reservation.number, true)
                    .await?;
                Ok(match kind {
                    CredentialKind::ActivationCode => {
                        PasswordStep::ActivationCode(identity.clone())
                    }
                    _ => PasswordStep::Password(identity.clone()),
                })
            }
            None => {
                let mut tx = self.store.write().await?;
                let reason = format!("wrong-{}", counted.kind.as_str());
                self.settle_failure_in(&mut tx, identity, &counted, &reservation, ip, &reason)
                    .await?;
                tx.commit().await?;
                Ok(PasswordStep::Refused)
            }
        }
    }

    /// Reserves one attempt on `counted` in its own short transaction:
    /// `None` (and the reservation given back, the refusal audited) when
    /// the limit is already reached.
    async fn reserve_attempt(
        &self,
        identity: &IdentityRow,
        counted: &CredentialRow,
        trust: Trust,
        ip: &str,
    ) -> Result<Option<lockout::Reservation>> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        let Some(after) = tx.reserve_attempt(&counted.id, trust).await? else {
            return Ok(None);
        };
        match lockout::judge_reservation(&self.config.lockout, &after.counters, trust, now / 1000) {
            Ok(r) if !after.status.is_blocked() => {
                tx.commit().await?;
                Ok(Some(r))
            }
            refused => {
                tx.release_attempts(&counted.id, trust, 1, false, None)
                    .await?;
                // Over the limit with nothing recorded yet: record it now.
                let secs = now / 1000;
                let over = match (trust, refused) {
                    (Trust::TrustedDevice, _) => !after.status.is_blocked(),
                    (Trust::Untrusted, Err(until)) => until == secs,
                    _ => false,
                };
                if over {
                    let settlement = lockout::settle_over_limit(
                        &self.config.lockout,
                        trust,
                        after.counters.untrusted_locks,
                        secs,
                    );
                    self.apply_settlement(&mut tx, identity, counted, settlement)
                        .await?;
                }
                tx.append_audit(
                    &NewAuditEvent::new("anonymous", "login.failed")
                        .subject(identity.id.clone())
                        .detail(
                            json!({ "reason": "locked", "trust": trust_name(trust), "ip": ip }),
                        ),
                    now,
                )
                .await?;
                tx.commit().await?;
                Ok(None)
            }
        }
    }

    /// Checks the typed secret: the activation code (a keyed hash, valid
    /// until used or expired) or the password (Argon2id on the pool).
    /// Returns the kind that matched.
    async fn check_secret(
        &self,
        identity: &IdentityRow,
        password: Option<&CredentialRow>,
        code: Option<&CredentialRow>,
        input: &SecretString,
    ) -> Result<Option<CredentialKind>> {
        if let Some(code) = code {
            let typed: String = input
                .expose()
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            let expected = self.activation_hash(&identity.id, &typed);
            if code.status == CredentialStatus::Active
                && code
                    .secret_hash
                    .as_deref()
                    .is_some_and(|h| ct_eq(h.as_bytes(), expected.as_bytes()))
            {
                return Ok(Some(CredentialKind::ActivationCode));
            }
        }
        let ok = match password {
            Some(p) if p.status == CredentialStatus::Active => {
                self.hasher.verify(p.secret_hash.as_deref(), input).await?
            }
            _ => {
                self.hasher.pad(input).await?;
                false
            }
        };
        Ok(ok.then_some(CredentialKind::Password))
    }

    /// Settles reservations that did not fail: `n` are given back (a
    /// success gives back its own number, clearing the failures reserved
    /// before it; an attempt not made gives back one).
    async fn settle_success(
        &self,
        credential: &CredentialRow,
        trust: Trust,
        n: u32,
        succeeded: bool,
    ) -> Result<()> {
        let mut tx = self.store.write().await?;
        let forget = succeeded && trust == Trust::TrustedDevice;
        tx.release_attempts(&credential.id, trust, n, forget, None)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A key-card challenge shown and never answered (the login was
    /// abandoned, restarted or expired) counts as a wrong code, as NemID
    /// counted it (DOMAIN.md). Nothing if the key was answered or
    /// superseded meanwhile (it counted then), or the card is gone.
    pub async fn count_unanswered_challenge(
        &self,
        tx: &mut Tx,
        identity_id: &str,
        challenge: &Challenge,
    ) -> Result<()> {
        let Some(identity) = tx.find_identity(identity_id).await? else {
            return Ok(());
        };
        let Some(card) = tx.find_credential(&challenge.credential_id).await? else {
            return Ok(());
        };
        if card.identity_id != identity.id || !card.status.is_usable() {
            return Ok(());
        }
        if !tx
            .answer_key(&card.id, challenge.key_number.get(), self.now())
            .await?
        {
            return Ok(());
        }
        self.record_failure_because(tx, &identity, &card, "", "unanswered-key-card")
            .await?;
        Ok(())
    }

    /// Counts a wrong key-card code (or a key left unanswered) in the
    /// caller's write transaction: reserved and settled at once, as the
    /// check is already done. The key card is behind a correct password,
    /// so every failure counts as trusted: five block the card.
    async fn record_failure_because(
        &self,
        tx: &mut Tx,
        identity: &IdentityRow,
        credential: &CredentialRow,
        ip: &str,
        reason: &str,
    ) -> Result<lockout::Settlement> {
        let trust = Trust::TrustedDevice;
        let now = self.now();
        let Some(after) = tx.reserve_attempt(&credential.id, trust).await? else {
            return Err(StoreError::NotFound.into());
        };
        let Ok(reservation) =
            lockout::judge_reservation(&self.config.lockout, &after.counters, trust, now / 1000)
        else {
            // Already over the limit: blocked by an earlier failure, or to
            // be blocked now if nothing recorded it.
            tx.release_attempts(&credential.id, trust, 1, false, None)
                .await?;
            if after.status.is_usable() {
                self.apply_settlement(tx, identity, credential, lockout::Settlement::Block)
                    .await?;
            }
            return Ok(lockout::Settlement::Block);
        };
        self.settle_failure_in(tx, identity, credential, &reservation, ip, reason)
            .await
    }

    /// Settles a reserved attempt that failed: audited, and the block or
    /// the untrusted pause it leads to recorded, in the caller's transaction.
    async fn settle_failure_in(
        &self,
        tx: &mut Tx,
        identity: &IdentityRow,
        credential: &CredentialRow,
        reservation: &lockout::Reservation,
        ip: &str,
        reason: &str,
    ) -> Result<lockout::Settlement> {
        let now = self.now();
        let settlement = lockout::settle_failure(&self.config.lockout, reservation, now / 1000);
        // The credential's row before the audit head, in every transaction
        // that writes both: the same lock order everywhere, so that two
        // settlements on PostgreSQL never deadlock.
        self.apply_settlement(tx, identity, credential, settlement)
            .await?;
        tx.append_audit(
            &NewAuditEvent::new("anonymous", "login.failed")
                .subject(identity.id.clone())
                .detail(json!({
                    "reason": reason,
                    "trust": trust_name(reservation.trust),
                    "ip": ip,
                })),
            now,
        )
        .await?;
        Ok(settlement)
    }

    /// Records what a failure led to: the block, or the untrusted pause
    /// (only if none is running), each with its audit entry.
    async fn apply_settlement(
        &self,
        tx: &mut Tx,
        identity: &IdentityRow,
        credential: &CredentialRow,
        settlement: lockout::Settlement,
    ) -> Result<()> {
        let now = self.now();
        match settlement {
            lockout::Settlement::Block => {
                tx.update_credential_status(
                    &credential.id,
                    CredentialStatus::LockedByFailures,
                    Some("too many wrong attempts"),
                    now,
                )
                .await?;
                tx.append_audit(
                    &NewAuditEvent::new("system", "credential.blocked")
                        .subject(identity.id.clone())
                        .detail(json!({
                            "credential": credential.kind.as_str(),
                            "credential_id": credential.id,
                            "reason": "too many wrong attempts",
                        })),
                    now,
                )
                .await?;
            }
            lockout::Settlement::LockUntrusted { locks, until } => {
                if tx
                    .lock_untrusted(&credential.id, locks, until, now / 1000)
                    .await?
                {
                    tx.append_audit(
                        &NewAuditEvent::new("system", "credential.untrusted-locked")
                            .subject(identity.id.clone())
                            .detail(json!({
                                "credential": credential.kind.as_str(),
                                "until": until,
                            })),
                        now,
                    )
                    .await?;
                }
            }
            lockout::Settlement::Counted { .. } => {}
        }
        Ok(())
    }

    async fn audit_login_failure(
        &self,
        identity: &IdentityRow,
        reason: &str,
        trust: Trust,
        ip: &str,
    ) -> Result<()> {
        let mut tx = self.store.write().await?;
        tx.append_audit(
            &NewAuditEvent::new("anonymous", "login.failed")
                .subject(identity.id.clone())
                .detail(json!({ "reason": reason, "trust": trust_name(trust), "ip": ip })),
            self.now(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn audit_anonymous(&self, action: &str, detail: serde_json::Value) -> Result<()> {
        let mut tx = self.store.write().await?;
        tx.append_audit(
            &NewAuditEvent::new("anonymous", action).detail(detail),
            self.now(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

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
        tx.retire_credentials(&identity.id, CredentialKind::Password, now)
            .await?;
        tx.retire_credentials(&identity.id, CredentialKind::ActivationCode, now)
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
            &NewAuditEvent::new(holder(&identity.user_id), "password.set")
                .subject(identity.id.clone()),
            now,
        )
        .await?;
        Ok(())
    }

    pub async fn accept_terms(&self, identity: &IdentityRow) -> Result<()> {
        let mut tx = self.store.write().await?;
        self.accept_terms_in(&mut tx, identity).await?;
        tx.commit().await.map_err(Into::into)
    }

    /// [`Nyckel::accept_terms`] in the caller's write transaction.
    pub async fn accept_terms_in(&self, tx: &mut Tx, identity: &IdentityRow) -> Result<()> {
        let now = self.now();
        let current = tx
            .find_identity(&identity.id)
            .await?
            .ok_or(StoreError::NotFound)?;
        if nyckel_core::terms::must_accept(current.terms_version) {
            tx.insert_terms_acceptance(&identity.id, nyckel_core::terms::VERSION, now)
                .await?;
            tx.append_audit(
                &NewAuditEvent::new(holder(&identity.user_id), "terms.accepted")
                    .subject(identity.id.clone())
                    .detail(json!({ "version": nyckel_core::terms::VERSION })),
                now,
            )
            .await?;
        }
        Ok(())
    }

    /// Shows a key from the holder's card: consumed now, answered right or
    /// wrong. `prefer_new` asks from a new card that has arrived.
    pub async fn start_key_challenge(
        &self,
        identity: &IdentityRow,
        prefer_new: bool,
    ) -> Result<Option<Challenge>> {
        let mut tx = self.store.write().await?;
        let cards = tx
            .find_live_credentials(&identity.id, CredentialKind::KeyCard)
            .await?;
        let challenge = self
            .start_key_challenge_in(&mut tx, identity, &cards, prefer_new)
            .await?;
        tx.commit().await?;
        Ok(challenge)
    }

    /// [`Nyckel::start_key_challenge`] inside the caller's write
    /// transaction, given the identity's live credentials (other kinds are
    /// ignored; a card blocked since they were read is refused when the
    /// code is checked).
    pub async fn start_key_challenge_in(
        &self,
        tx: &mut Tx,
        identity: &IdentityRow,
        credentials: &[CredentialRow],
        prefer_new: bool,
    ) -> Result<Option<Challenge>> {
        let now = self.now();
        // The card in use first, a new card on its way after it (or first,
        // when the holder says it has arrived).
        let mut usable: Vec<&CredentialRow> = credentials
            .iter()
            .filter(|c| {
                c.kind == CredentialKind::KeyCard
                    && c.identity_id == identity.id
                    && c.status.is_usable()
            })
            .collect();
        usable.sort_by_key(|c| (c.status == CredentialStatus::Active) == prefer_new);
        for card in usable {
            // A card has at most one key outstanding: one shown before and
            // not answered (in another login) counts as a wrong code now.
            let mut blocked = false;
            for key in tx.supersede_shown_keys(&card.id, now).await? {
                let _ = key;
                let settlement = self
                    .record_failure_because(tx, identity, card, "", "unanswered-key-card")
                    .await?;
                blocked |= settlement == lockout::Settlement::Block;
            }
            if blocked {
                continue;
            }
            // One of the card's unused keys, picked by the database at random.
            let Some(key) = tx
                .consume_random_key(&card.id, now)
                .await?
                .and_then(KeyNumber::new)
            else {
                continue;
            };
            return Ok(Some(Challenge {
                credential_id: card.id.clone(),
                card_id: card.label.clone().unwrap_or_default(),
                key_number: key,
            }));
        }
        Ok(None)
    }

    /// Whether the holder has a new card waiting to be taken into use.
    pub async fn pending_card(&self, identity_id: &str) -> Result<Option<String>> {
        let mut tx = self.store.read().await?;
        let cards = tx
            .find_live_credentials(identity_id, CredentialKind::KeyCard)
            .await?;
        tx.commit().await?;
        Ok(cards
            .into_iter()
            .find(|c| c.status == CredentialStatus::Pending)
            .and_then(|c| c.label))
    }

    pub async fn check_key_code(
        &self,
        identity: &IdentityRow,
        challenge: &Challenge,
        typed: &str,
        methods: &[AuthMethod],
        ip: &str,
    ) -> Result<(KeyCardStep, Option<Authenticated>)> {
        let mut tx = self.store.write().await?;
        let result = self
            .check_key_code_in(&mut tx, identity, challenge, typed, methods, ip)
            .await?;
        tx.commit().await?;
        Ok(result)
    }

    /// [`Nyckel::check_key_code`] inside the caller's write transaction.
    pub async fn check_key_code_in(
        &self,
        tx: &mut Tx,
        identity: &IdentityRow,
        challenge: &Challenge,
        typed: &str,
        methods: &[AuthMethod],
        ip: &str,
    ) -> Result<(KeyCardStep, Option<Authenticated>)> {
        let now = self.now();
        let (card, stored, remaining) = tx
            .find_card_key(&challenge.credential_id, challenge.key_number.get())
            .await?
            .ok_or(StoreError::NotFound)?;
        if card.identity_id != identity.id || !card.status.is_usable() {
            return Ok((KeyCardStep::Blocked, None));
        }
        // The key must still be the card's outstanding one: a key shown in
        // another login since then superseded it (and counted it).
        if !tx
            .answer_key(&card.id, challenge.key_number.get(), now)
            .await?
        {
            return Ok((KeyCardStep::Superseded, None));
        }
        let ok = stored.is_some_and(|h| {
            keycard::verify_code(
                self.secret.bytes(),
                &challenge.card_id,
                challenge.key_number,
                typed,
                &h,
            )
        });
        if !ok {
            // The key card is behind a correct password: count every failure
            // as trusted, so that five wrong codes block the card.
            let settlement = self
                .record_failure_because(tx, identity, &card, ip, "wrong-key-card")
                .await?;
            return Ok((
                if matches!(settlement, lockout::Settlement::Block) {
                    KeyCardStep::Blocked
                } else {
                    KeyCardStep::Wrong
                },
                None,
            ));
        }
        // Clears the failures counted before this success, no others.
        tx.release_attempts(
            &card.id,
            Trust::TrustedDevice,
            card.counters.failures,
            true,
            Some(now),
        )
        .await?;
        if card.status == CredentialStatus::Pending {
            // A new card becomes active when first used; the old one retires.
            for old in tx
                .find_live_credentials(&identity.id, CredentialKind::KeyCard)
                .await?
            {
                if old.id != card.id && old.status == CredentialStatus::Active {
                    tx.update_credential_status(
                        &old.id,
                        CredentialStatus::Retired,
                        Some("replaced by a new card"),
                        now,
                    )
                    .await?;
                }
            }
            tx.update_credential_status(&card.id, CredentialStatus::Active, None, now)
                .await?;
        }
        // Order a new card when few keys are left (R-CRED-2).
        let threshold = usize::try_from(identity.key_card_threshold)
            .unwrap_or(self.config.key_card_reorder_threshold);
        if keycard::needs_new_card(remaining, threshold, false) {
            let cards = tx
                .find_live_credentials(&identity.id, CredentialKind::KeyCard)
                .await?;
            let ordered = cards
                .iter()
                .any(|c| c.id != card.id && c.status == CredentialStatus::Pending);
            if keycard::needs_new_card(remaining, threshold, ordered) {
                let person = tx
                    .find_person(&identity.person_id)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                let (new_card, letter) = self
                    .issue_key_card(tx, identity, &person, CredentialStatus::Pending, now)
                    .await?;
                tx.append_audit(
                    &NewAuditEvent::new("system", "key-card.ordered")
                        .subject(identity.id.clone())
                        .detail(json!({
                            "card_id": new_card.card_id,
                            "letter": letter,
                            "keys_left_on_old_card": remaining,
                        })),
                    now,
                )
                .await?;
            }
        }
        let mut methods = methods.to_vec();
        methods.push(AuthMethod::KeyCard);
        Ok((
            KeyCardStep::Accepted,
            Some(Authenticated {
                identity_id: identity.id.clone(),
                methods,
            }),
        ))
    }

    /// Ends a login: activates a new identity, trusts the device, opens a
    /// session. Returns the session's CSRF token.
    pub async fn complete_login(
        &self,
        auth: Authenticated,
        session_cookie: &str,
        device_cookie: &str,
        ip: &str,
    ) -> Result<String> {
        let mut tx = self.store.write().await?;
        let identity = tx
            .find_identity(&auth.identity_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let done = self
            .complete_login_in(
                &mut tx,
                &identity,
                auth,
                session_cookie,
                Some(device_cookie),
                ip,
                LoginEntry::MyNyckel,
            )
            .await?;
        tx.commit().await?;
        Ok(done.csrf)
    }

    /// [`Nyckel::complete_login`] inside the caller's write transaction, for
    /// the identity the caller read in it.
    ///
    /// The device cookie the browser brought is kept only if this identity
    /// logged in with it before; any other value (planted, or another
    /// holder's) is replaced by one the server mints now, so that nobody
    /// can make a device trusted by handing its cookie to the holder.
    #[allow(clippy::too_many_arguments)]
    pub async fn complete_login_in(
        &self,
        tx: &mut Tx,
        identity: &IdentityRow,
        auth: Authenticated,
        session_cookie: &str,
        presented_device: Option<&str>,
        ip: &str,
        entry: LoginEntry,
    ) -> Result<CompletedLogin> {
        if auth.identity_id != identity.id {
            return Err(StoreError::NotFound.into());
        }
        let now = self.now();
        if identity.status == IdentityStatus::PendingActivation {
            tx.update_identity_activated(&identity.id, now).await?;
            tx.append_audit(
                &NewAuditEvent::new(holder(&identity.user_id), "identity.activated")
                    .subject(identity.id.clone()),
                now,
            )
            .await?;
        }
        if auth.methods.contains(&AuthMethod::Password) {
            tx.update_credentials_used(&identity.id, CredentialKind::Password, now)
                .await?;
        }
        let device = match presented_device {
            Some(d) if tx.is_trusted_device(&cookie_hash(d), &identity.id).await? => d.to_owned(),
            _ => random_token(),
        };
        tx.insert_trusted_device(&cookie_hash(&device), &identity.id, now)
            .await?;
        let csrf = random_token();
        let loa = nyckel_core::assurance::level(&auth.methods)
            .map(|l| l.as_str())
            .unwrap_or("none");
        let amr: Vec<&str> = nyckel_core::assurance::amr_values(&auth.methods);
        tx.insert_session(
            &cookie_hash(session_cookie),
            &identity.id,
            &csrf,
            // The methods themselves, so that single sign-on can tell a provider how.
            &serde_json::to_string(&auth.methods).unwrap_or_else(|_| "[]".into()),
            loa,
            now,
            now + self.config.session_ttl_secs * 1000,
        )
        .await?;
        if entry == LoginEntry::MyNyckel {
            tx.append_audit(
                &NewAuditEvent::new(holder(&identity.user_id), "login.succeeded")
                    .subject(identity.id.clone())
                    .detail(json!({ "amr": amr, "loa": loa, "ip": ip, "service": "My nyckel" })),
                now,
            )
            .await?;
        }
        Ok(CompletedLogin { csrf, device })
    }
}

fn trust_name(t: Trust) -> &'static str {
    match t {
        Trust::TrustedDevice => "trusted-device",
        Trust::Untrusted => "untrusted",
    }
}
