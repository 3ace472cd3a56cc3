//! The imperative shell around nyckel's rules: enrollment, activation,
//! login steps, blocking. Used by the web handlers and by the operator CLI,
//! so that both do exactly the same thing (and audit it the same way).

use std::sync::Arc;

use hmac::{Hmac, KeyInit, Mac};
use nyckel_core::alias::LoginName;
use nyckel_core::assurance::AuthMethod;
use nyckel_core::audit::NewAuditEvent;
use nyckel_core::cpr::{Cpr, Date};
use nyckel_core::credential::{
    Actor, CredentialKind, CredentialStatus, IdentityStatus, TransitionError,
};
use nyckel_core::enrollment::{self, Channel, DocumentKind, EnrollmentRequest, Witness};
use nyckel_core::ids::UserId;
use nyckel_core::keycard::{self, KeyNumber, PrintedKeyCard};
use nyckel_core::lockout::{self, Trust};
use nyckel_core::password::{PasswordPolicy, PasswordRejection, check_password};
use nyckel_core::secret::{SecretString, ct_eq};
use nyckel_store::{
    CredentialRow, IdentityRow, NewCredential, NewEnrollment, NewLetter, PersonRow, Store,
    StoreError, Tx,
};
use rand::RngExt;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::clock::{Clock, local_date};
use crate::config::Config;
use crate::hashing::{HashError, PasswordHasher};

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Hash(#[from] HashError),
    #[error("{0}")]
    Invalid(String),
}

pub type Result<T, E = ServiceError> = std::result::Result<T, E>;

/// The server's secret key: keys the hashes of codes and cookies.
#[derive(Clone)]
pub struct SecretKey(Arc<[u8]>);

impl SecretKey {
    pub fn new(bytes: Vec<u8>) -> Result<Self> {
        if bytes.len() < 32 {
            return Err(ServiceError::Invalid(
                "the secret key must be at least 32 bytes".into(),
            ));
        }
        Ok(Self(bytes.into()))
    }

    pub fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// HMAC-SHA256 under the key, domain-separated by `purpose`.
    pub fn keyed_hash(&self, purpose: &str, parts: &[&str]) -> String {
        let mut mac = match Hmac::<Sha256>::new_from_slice(&self.0) {
            Ok(m) => m,
            Err(_) => return String::new(), // HMAC takes keys of any length
        };
        mac.update(purpose.as_bytes());
        for p in parts {
            mac.update(&(p.len() as u64).to_be_bytes());
            mac.update(p.as_bytes());
        }
        hex::encode(mac.finalize().into_bytes())
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(***)")
    }
}

/// SHA-256 hex of a cookie value: the database keys flows and sessions by it.
pub fn cookie_hash(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

/// A random token for cookies and CSRF: 256 bits, URL-safe hex.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill(&mut b);
    hex::encode(b)
}

/// nyckel's services over one store.
#[derive(Clone)]
pub struct Nyckel {
    pub store: Store,
    pub config: Arc<Config>,
    pub hasher: PasswordHasher,
    pub clock: Arc<dyn Clock>,
    secret: SecretKey,
    keys: Arc<crate::provider::KeyCache>,
}

/// An enrollment the rules accepted.
#[derive(Debug)]
pub struct Enrolled {
    pub identity_id: String,
    pub user_id: UserId,
    pub activation_code: SecretString,
    pub key_card: PrintedKeyCard,
    pub letters: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum EnrollError {
    #[error("refused ({rule}): {reason}")]
    Refused { rule: &'static str, reason: String },
    #[error(transparent)]
    Internal(#[from] ServiceError),
}

impl From<StoreError> for EnrollError {
    fn from(e: StoreError) -> Self {
        EnrollError::Internal(e.into())
    }
}

/// What an operator or holder blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockTarget {
    Password,
    KeyCard,
    Identity,
}

impl std::str::FromStr for BlockTarget {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "password" => Ok(Self::Password),
            "key-card" => Ok(Self::KeyCard),
            "identity" => Ok(Self::Identity),
            _ => Err("choose one of password, key-card, identity".into()),
        }
    }
}

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

fn holder(user_id: &UserId) -> String {
    format!("holder:{user_id}")
}

impl Nyckel {
    pub fn new(
        store: Store,
        config: Config,
        secret: SecretKey,
        clock: Arc<dyn Clock>,
    ) -> Result<Self> {
        let hasher = PasswordHasher::new(&config.argon2)?;
        Ok(Self {
            store,
            config: Arc::new(config),
            hasher,
            clock,
            secret,
            keys: Default::default(),
        })
    }

    pub fn now(&self) -> i64 {
        self.clock.now_ms()
    }

    pub fn today(&self) -> Date {
        local_date(self.now())
    }

    pub fn secret(&self) -> &SecretKey {
        &self.secret
    }

    pub(crate) fn key_cache(&self) -> &crate::provider::KeyCache {
        &self.keys
    }

    // ----- enrollment (R-ENR) -----

    pub async fn enroll(
        &self,
        cpr: &Cpr,
        channel: Channel,
        documents: &[DocumentKind],
        witness_cpr: Option<&Cpr>,
        officer: &str,
    ) -> Result<Enrolled, EnrollError> {
        let now = self.now();
        let today = self.today();
        let mut tx = self.store.write().await?;
        let docs: Vec<String> = documents.iter().map(|d| d.as_str().to_owned()).collect();
        let actor = format!("operator:{officer}");

        let Some(person) = tx.find_person_by_cpr(cpr).await? else {
            return self
                .refuse(
                    tx,
                    None,
                    channel,
                    &docs,
                    None,
                    officer,
                    "R-CPR-2 population register",
                    "no person with this CPR number is in the population register",
                    now,
                )
                .await;
        };
        let witness = match witness_cpr {
            None => None,
            Some(w) => {
                let row = tx.find_person_by_cpr(w).await?;
                Some((
                    row.as_ref().map(|r| r.id.clone()),
                    Witness {
                        cpr: *w,
                        known_in_register: row.is_some(),
                        residence: row.as_ref().map(|r| r.record.residence),
                        age: w.birth_date().age_on(today),
                        sworn_statement: true,
                    },
                ))
            }
        };
        let has_active_identity = tx.find_live_identity_of_person(&person.id).await?.is_some();
        let req = EnrollmentRequest {
            birth_date: cpr.birth_date(),
            residence: person.record.residence,
            has_active_identity,
            channel,
            documents: documents.to_vec(),
            witness: witness.as_ref().map(|(_, w)| w.clone()),
            applicant_cpr: *cpr,
            today,
        };
        let witness_person = witness.as_ref().and_then(|(id, _)| id.clone());
        if let Err(refusal) = enrollment::check_eligibility(&req) {
            return self
                .refuse(
                    tx,
                    Some(&person.id),
                    channel,
                    &docs,
                    witness_person.as_deref(),
                    officer,
                    refusal.rule(),
                    &refusal.to_string(),
                    now,
                )
                .await;
        }

        // A fresh user ID: check before inserting, as a failed INSERT would
        // abort a PostgreSQL transaction.
        let mut user_id = UserId::random(&mut rand::rng());
        while tx.find_identity_by_user_id(&user_id).await?.is_some() {
            user_id = UserId::random(&mut rand::rng());
        }
        let mut identity = tx.insert_identity(&person.id, &user_id, now).await?;
        let threshold = i64::try_from(self.config.key_card_reorder_threshold).unwrap_or(20);
        if threshold != identity.key_card_threshold {
            tx.update_identity_key_card_threshold(&identity.id, threshold)
                .await?;
            identity.key_card_threshold = threshold;
        }
        let (activation_code, letter1) = self
            .issue_activation_code(&mut tx, &identity, &person, now)
            .await?;
        let (key_card, letter2) = self
            .issue_key_card(&mut tx, &identity, &person, CredentialStatus::Active, now)
            .await?;
        tx.insert_enrollment(
            &NewEnrollment {
                person_id: Some(&person.id),
                identity_id: Some(&identity.id),
                channel: channel.as_str(),
                documents: &docs,
                witness_person_id: witness_person.as_deref(),
                refusal_rule: None,
                officer,
            },
            now,
        )
        .await?;
        tx.append_audit(
            &NewAuditEvent::new(actor, "enrollment.accepted")
                .subject(identity.id.clone())
                .detail(json!({
                    "user_id": user_id.to_string(),
                    "channel": channel.as_str(),
                    "documents": docs,
                    "witness": witness_person.is_some(),
                    "letters": [letter1.clone(), letter2.clone()],
                })),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(Enrolled {
            identity_id: identity.id,
            user_id,
            activation_code,
            key_card,
            letters: vec![letter1, letter2],
        })
    }

    #[allow(clippy::too_many_arguments)]
    async fn refuse(
        &self,
        mut tx: Tx,
        person_id: Option<&str>,
        channel: Channel,
        docs: &[String],
        witness_person_id: Option<&str>,
        officer: &str,
        rule: &'static str,
        reason: &str,
        now: i64,
    ) -> Result<Enrolled, EnrollError> {
        tx.insert_enrollment(
            &NewEnrollment {
                person_id,
                identity_id: None,
                channel: channel.as_str(),
                documents: docs,
                witness_person_id,
                refusal_rule: Some(rule),
                officer,
            },
            now,
        )
        .await?;
        let mut event = NewAuditEvent::new(format!("operator:{officer}"), "enrollment.refused")
            .detail(json!({ "rule": rule, "channel": channel.as_str(), "documents": docs }));
        if let Some(p) = person_id {
            event = event.subject(format!("person:{p}"));
        }
        tx.append_audit(&event, now).await?;
        tx.commit().await?;
        Err(EnrollError::Refused {
            rule,
            reason: reason.to_owned(),
        })
    }

    /// Retires any outstanding activation code, issues a new one and puts the
    /// letter in the outbox. Returns the code and the letter id.
    pub async fn issue_activation_code(
        &self,
        tx: &mut Tx,
        identity: &IdentityRow,
        person: &PersonRow,
        now: i64,
    ) -> Result<(SecretString, String)> {
        tx.retire_credentials(&identity.id, CredentialKind::ActivationCode, now)
            .await?;
        let code = SecretString::new(format!("{:06}", rand::rng().random_range(0..1_000_000u32)));
        let hash = self.activation_hash(&identity.id, code.expose());
        let expires = now + self.config.activation_code_days * 86_400_000;
        tx.insert_credential(
            &NewCredential {
                identity_id: &identity.id,
                kind: CredentialKind::ActivationCode,
                status: CredentialStatus::Active,
                label: None,
                secret_hash: Some(&hash),
                data: None,
                expires_at: Some(expires),
            },
            now,
        )
        .await?;
        let until = local_date(expires);
        let name = person.record.full_name();
        let body = format!(
            "nyckel — your activation letter\n\n{name}\n{address}\n\nYour user ID:          {uid}\nYour activation code:  {code}   (valid until {until})\n\nTo activate your key, go to {url}/login, enter your user ID and press Next,\nthen enter the activation code as your password. You will choose your own\npassword, accept the terms of use and enter a code from your key card.\n\nKeep this letter and your key card apart. Never give your codes to anyone:\nnyckel never asks for a code by phone or e-mail.\n",
            address = person.record.address,
            uid = identity.user_id,
            code = code.expose(),
            url = self.config.public_url,
        );
        let letter = tx
            .insert_letter(
                &NewLetter {
                    identity_id: &identity.id,
                    kind: "activation-letter",
                    recipient: &name,
                    address: &person.record.address,
                    body: &json!({ "text": body }).to_string(),
                },
                now,
            )
            .await?;
        Ok((code, letter))
    }

    fn activation_hash(&self, identity_id: &str, code: &str) -> String {
        self.secret
            .keyed_hash("nyckel/activation-code/v1", &[identity_id, code])
    }

    /// Generates a key card, stores its codes as keyed hashes and puts the
    /// printable card in the outbox.
    pub async fn issue_key_card(
        &self,
        tx: &mut Tx,
        identity: &IdentityRow,
        person: &PersonRow,
        status: CredentialStatus,
        now: i64,
    ) -> Result<(PrintedKeyCard, String)> {
        let card = keycard::generate(&mut rand::rng());
        let id = tx
            .insert_credential(
                &NewCredential {
                    identity_id: &identity.id,
                    kind: CredentialKind::KeyCard,
                    status,
                    label: Some(&card.card_id),
                    secret_hash: None,
                    data: None,
                    expires_at: None,
                },
                now,
            )
            .await?;
        let hashes: Vec<(u16, [u8; 32])> = card
            .hashed_codes(self.secret.bytes())
            .into_iter()
            .map(|(k, h)| (k.get(), h))
            .collect();
        tx.insert_key_card_keys(&id, &hashes).await?;
        let name = person.record.full_name();
        let body = json!({
            "text": keycard::render_text(&card, &name, &identity.user_id),
            "html": keycard::render_html(&card, &name, &identity.user_id),
        });
        let letter = tx
            .insert_letter(
                &NewLetter {
                    identity_id: &identity.id,
                    kind: "key-card",
                    recipient: &name,
                    address: &person.record.address,
                    body: &body.to_string(),
                },
                now,
            )
            .await?;
        Ok((card, letter))
    }

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

    // ----- blocking (R-BLOCK) -----

    /// Blocks a credential kind or the identity. Returns what changed.
    pub async fn block(
        &self,
        identity_id: &str,
        target: BlockTarget,
        actor: Actor,
        who: &str,
        reason: &str,
    ) -> Result<Result<usize, TransitionError>> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        let identity = tx
            .find_identity(identity_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let mut changed = 0;
        match target {
            BlockTarget::Identity => match identity.status.block(actor) {
                Ok(s) => {
                    tx.update_identity_status(&identity.id, s, Some(reason), now)
                        .await?;
                    tx.delete_sessions_of(&identity.id).await?;
                    changed = 1;
                }
                Err(e) => return Ok(Err(e)),
            },
            BlockTarget::Password | BlockTarget::KeyCard => {
                let kind = if target == BlockTarget::Password {
                    CredentialKind::Password
                } else {
                    CredentialKind::KeyCard
                };
                let creds = tx.find_live_credentials(&identity.id, kind).await?;
                let mut last_err = TransitionError::NotBlocked;
                for c in &creds {
                    match c.status.block(actor) {
                        Ok(s) => {
                            tx.update_credential_status(&c.id, s, Some(reason), now)
                                .await?;
                            changed += 1;
                        }
                        Err(e) => last_err = e,
                    }
                }
                if changed == 0 {
                    return Ok(Err(if creds.is_empty() {
                        TransitionError::NothingToBlock
                    } else {
                        last_err
                    }));
                }
            }
        }
        tx.append_audit(
            &NewAuditEvent::new(who, "block")
                .subject(identity.id.clone())
                .detail(json!({
                    "what": target_name(target),
                    "reason": reason,
                })),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(Ok(changed))
    }

    /// Lifts a block. Unblocking the password issues a new activation code
    /// by letter (R-BLOCK-2): the old password no longer works.
    pub async fn unblock(
        &self,
        identity_id: &str,
        target: BlockTarget,
        actor: Actor,
        who: &str,
        reason: &str,
    ) -> Result<Result<Option<String>, TransitionError>> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        let identity = tx
            .find_identity(identity_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let mut letter = None;
        match target {
            BlockTarget::Identity => match identity
                .status
                .unblock(actor, identity.activated_at.is_some())
            {
                Ok(s) => {
                    tx.update_identity_status(&identity.id, s, Some(reason), now)
                        .await?
                }
                Err(e) => return Ok(Err(e)),
            },
            BlockTarget::KeyCard => {
                let mut any = false;
                for c in tx
                    .find_live_credentials(&identity.id, CredentialKind::KeyCard)
                    .await?
                {
                    if let Ok(s) = c.status.unblock(actor) {
                        let s = if c.activated_at.is_none() {
                            CredentialStatus::Pending
                        } else {
                            s
                        };
                        tx.update_credential_status(&c.id, s, Some(reason), now)
                            .await?;
                        tx.update_credential_counters(&c.id, &Default::default())
                            .await?;
                        any = true;
                    }
                }
                if !any {
                    return Ok(Err(TransitionError::NotBlocked));
                }
            }
            BlockTarget::Password => {
                let passwords = tx
                    .find_live_credentials(&identity.id, CredentialKind::Password)
                    .await?;
                let codes = tx
                    .find_live_credentials(&identity.id, CredentialKind::ActivationCode)
                    .await?;
                let blocked: Vec<_> = passwords
                    .iter()
                    .chain(&codes)
                    .filter(|c| c.status.is_blocked())
                    .collect();
                if blocked.is_empty() {
                    return Ok(Err(TransitionError::NotBlocked));
                }
                if !matches!(actor, Actor::Support | Actor::Operator) {
                    return Ok(Err(TransitionError::NeedsSupport));
                }
                tx.retire_credentials(&identity.id, CredentialKind::Password, now)
                    .await?;
                let person = tx
                    .find_person(&identity.person_id)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                let (_, l) = self
                    .issue_activation_code(&mut tx, &identity, &person, now)
                    .await?;
                letter = Some(l);
            }
        }
        tx.append_audit(
            &NewAuditEvent::new(who, "unblock")
                .subject(identity.id.clone())
                .detail(json!({
                    "what": target_name(target),
                    "reason": reason,
                    "letter": letter,
                })),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(Ok(letter))
    }
}

fn target_name(t: BlockTarget) -> &'static str {
    match t {
        BlockTarget::Password => "password",
        BlockTarget::KeyCard => "key-card",
        BlockTarget::Identity => "identity",
    }
}

fn trust_name(t: Trust) -> &'static str {
    match t {
        Trust::TrustedDevice => "trusted-device",
        Trust::Untrusted => "untrusted",
    }
}
