use nyckel_core::authn::flow::NextAfterPassword;

use super::flow::{Flow, finish_in};
use super::*;

impl Nyckel {
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
        let (step, success) = self
            .verify_password_attempt(identity, credentials, input, trust, ip, None)
            .await?;
        if let Some(s) = success {
            self.settle_success(&s.credential, s.trust, s.number, true)
                .await?;
        }
        Ok(step)
    }

    /// [`Nyckel::verify_password_step`], except that a success is not yet
    /// settled: the [`SuccessToSettle`] returned is settled by the caller in
    /// the transaction that moves its flow on (one write transaction fewer
    /// per login), or on its own if that transaction does not commit.
    ///
    /// `name_key` is the keyed hash of the login name when it matched
    /// nobody: its failures are counted and paused like a real holder's
    /// untrusted ones, so that the pause tells nobody whether the name
    /// exists.
    pub(crate) async fn verify_password_attempt(
        &self,
        identity: Option<&IdentityRow>,
        credentials: &[CredentialRow],
        input: &SecretString,
        trust: Trust,
        ip: &str,
        name_key: Option<&str>,
    ) -> Result<(PasswordStep, Option<SuccessToSettle>)> {
        let Some(identity) = identity else {
            let paused_until = match name_key {
                Some(key) => self.count_unknown_name(key).await?,
                None => None,
            };
            self.hasher.pad(input).await?;
            self.audit_anonymous(AuditEvent::LoginFailed {
                reason: LoginFailure::UnknownUser,
                trust: None,
                ip: crate::ip_of(ip),
            })
            .await?;
            return Ok((PasswordStep::Refused { paused_until }, None));
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
        // Without a password that can be tried (none, or blocked), the
        // attempt is counted and paused as for a name that matches nobody:
        // under the typed name's key (or, without one, the identity's), so
        // that the pause is the same whatever the reason.
        let refused_as_unknown = |reason: LoginFailure| async move {
            let key = name_key
                .map(str::to_owned)
                .unwrap_or_else(|| self.identity_name_key(&identity.id));
            let paused_until = self.count_unknown_name(&key).await?;
            self.hasher.pad(input).await?;
            self.audit_login_failure(identity, reason, trust, ip)
                .await?;
            let done: Result<(PasswordStep, Option<SuccessToSettle>)> =
                Ok((PasswordStep::Refused { paused_until }, None));
            done
        };
        let Some(counted) = password.clone().or_else(|| code.clone()) else {
            return refused_as_unknown(LoginFailure::NoCredential).await;
        };
        if counted.status.is_blocked() {
            return refused_as_unknown(LoginFailure::Locked).await;
        }
        let reservation = match self.reserve_attempt(identity, &counted, trust, ip).await? {
            Ok(r) => r,
            Err(paused_until) => {
                self.hasher.pad(input).await?;
                return Ok((PasswordStep::Refused { paused_until }, None));
            }
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
                    return Ok((PasswordStep::IdentityBlocked(identity.status), None));
                }
                let step = match kind {
                    CredentialKind::ActivationCode => {
                        PasswordStep::ActivationCode(identity.clone())
                    }
                    _ => PasswordStep::Password(identity.clone()),
                };
                let settle = SuccessToSettle {
                    credential: counted,
                    trust,
                    number: reservation.number,
                };
                Ok((step, Some(settle)))
            }
            None => {
                let mut tx = self.store.write().await?;
                let reason = LoginFailure::wrong(counted.kind.as_str());
                let settlement = self
                    .settle_failure_in(&mut tx, identity, &counted, &reservation, ip, reason)
                    .await?;
                tx.commit().await?;
                let paused_until = match settlement {
                    lockout::Settlement::LockUntrusted { until, .. } => Some(until),
                    _ => None,
                };
                Ok((PasswordStep::Refused { paused_until }, None))
            }
        }
    }

    /// Reserves one attempt on `counted` in its own short transaction:
    /// `Err` (and the reservation given back, the refusal audited) when
    /// the limit is already reached, with the end of the pause for
    /// untrusted attempts (none when the credential is blocked).
    pub(crate) async fn reserve_attempt(
        &self,
        identity: &IdentityRow,
        counted: &CredentialRow,
        trust: Trust,
        ip: &str,
    ) -> Result<Result<lockout::Reservation, Option<i64>>> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        let Some(after) = tx.reserve_attempt(&counted.id, trust).await? else {
            return Ok(Err(None));
        };
        match lockout::judge_reservation(&self.config.lockout, &after.counters, trust, now / 1000) {
            Ok(r) if !after.status.is_blocked() => {
                tx.commit().await?;
                Ok(Ok(r))
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
                let mut paused_until = match (trust, &refused) {
                    (Trust::Untrusted, Err(until)) if *until != lockout::BLOCKED_UNTIL => {
                        Some(*until)
                    }
                    _ => None,
                };
                if over {
                    let settlement = lockout::settle_over_limit(
                        &self.config.lockout,
                        trust,
                        after.counters.untrusted_locks,
                        secs,
                    );
                    if let lockout::Settlement::LockUntrusted { until, .. } = settlement {
                        paused_until = Some(until);
                    }
                    self.apply_settlement(&mut tx, identity, counted, settlement)
                        .await?;
                }
                tx.append_audit(
                    &NewAuditEvent::new(
                        "anonymous",
                        AuditEvent::LoginFailed {
                            reason: LoginFailure::Locked,
                            trust: Some(trust_name(trust).into()),
                            ip: crate::ip_of(ip),
                        },
                    )
                    .subject(identity.id.clone()),
                    now,
                )
                .await?;
                tx.commit().await?;
                Ok(Err(paused_until))
            }
        }
    }

    /// Counts a password tried under a login name that matches nobody
    /// (`name_key`, its keyed hash), as an untrusted failure of a real
    /// holder counts, in its own short transaction. Returns the end of
    /// the pause the name is in (started by this attempt or running).
    pub(crate) async fn count_unknown_name(&self, name_key: &str) -> Result<Option<i64>> {
        let now = self.now();
        let secs = now / 1000;
        let policy = &self.config.lockout;
        let mut tx = self.store.write().await?;
        let after = tx.reserve_name_attempt(name_key, now).await?;
        let paused = match lockout::judge_reservation(policy, &after, Trust::Untrusted, secs) {
            Ok(reservation) => match lockout::settle_failure(policy, &reservation, secs) {
                lockout::Settlement::LockUntrusted { locks, until } => {
                    tx.lock_name(name_key, locks, until).await?;
                    Some(until)
                }
                _ => None,
            },
            Err(until) => {
                tx.release_name_attempt(name_key).await?;
                Some(until)
            }
        };
        tx.commit().await?;
        Ok(paused)
    }

    /// Checks the typed secret: the activation code (a keyed hash, valid
    /// until used or expired) or the password (Argon2id on the pool).
    /// Returns the kind that matched.
    pub(crate) async fn check_secret(
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
    pub(crate) async fn settle_success(
        &self,
        credential: &CredentialRow,
        trust: Trust,
        n: u32,
        succeeded: bool,
    ) -> Result<()> {
        let mut tx = self.store.write().await?;
        settle_success_in(&mut tx, credential, trust, n, succeeded).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Settles a reserved attempt that failed: audited, and the block or
    /// the untrusted pause it leads to recorded, in the caller's transaction.
    pub(crate) async fn settle_failure_in(
        &self,
        tx: &mut Tx,
        identity: &IdentityRow,
        credential: &CredentialRow,
        reservation: &lockout::Reservation,
        ip: &str,
        reason: LoginFailure,
    ) -> Result<lockout::Settlement> {
        let now = self.now();
        let settlement = lockout::settle_failure(&self.config.lockout, reservation, now / 1000);
        // The credential's row before the audit head, in every transaction
        // that writes both: the same lock order everywhere, so that two
        // settlements on PostgreSQL never deadlock.
        self.apply_settlement(tx, identity, credential, settlement)
            .await?;
        tx.append_audit(
            &NewAuditEvent::new(
                "anonymous",
                AuditEvent::LoginFailed {
                    reason,
                    trust: Some(trust_name(reservation.trust).into()),
                    ip: crate::ip_of(ip),
                },
            )
            .subject(identity.id.clone()),
            now,
        )
        .await?;
        Ok(settlement)
    }

    /// Records what a failure led to: the block, or the untrusted pause
    /// (only if none is running), each with its audit entry.
    pub(crate) async fn apply_settlement(
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
                    &NewAuditEvent::new(
                        "system",
                        AuditEvent::CredentialBlocked {
                            credential: credential.kind.as_str().into(),
                            credential_id: credential.id.clone(),
                            reason: "too many wrong attempts".into(),
                        },
                    )
                    .subject(identity.id.clone()),
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
                        &NewAuditEvent::new(
                            "system",
                            AuditEvent::CredentialUntrustedLocked {
                                credential: credential.kind.as_str().into(),
                                until,
                            },
                        )
                        .subject(identity.id.clone()),
                        now,
                    )
                    .await?;
                }
            }
            lockout::Settlement::Counted { .. } => {}
        }
        Ok(())
    }

    pub(crate) async fn audit_login_failure(
        &self,
        identity: &IdentityRow,
        reason: LoginFailure,
        trust: Trust,
        ip: &str,
    ) -> Result<()> {
        let mut tx = self.store.write().await?;
        tx.append_audit(
            &NewAuditEvent::new(
                "anonymous",
                AuditEvent::LoginFailed {
                    reason,
                    trust: Some(trust_name(trust).into()),
                    ip: crate::ip_of(ip),
                },
            )
            .subject(identity.id.clone()),
            self.now(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn audit_anonymous(&self, event: AuditEvent) -> Result<()> {
        let mut tx = self.store.write().await?;
        tx.append_audit(&NewAuditEvent::new("anonymous", event), self.now())
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

impl Nyckel {
    /// `POST /login/password`: the password (or activation code) of the
    /// name the flow holds. The attempt is reserved, hashed outside any
    /// transaction and settled ([`Nyckel::verify_password_step`]); a
    /// proven factor re-keys the flow in one write transaction with what
    /// the next step needs (straight on to the key card: a key shown now,
    /// and its page). `throttled` is asked only for an untrusted browser
    /// (the per-address limit, which trusted devices are exempt from).
    pub async fn password_step(
        &self,
        cookie: Option<&str>,
        csrf: &str,
        password: String,
        device_cookie: Option<&str>,
        ip: &str,
        throttled: impl FnOnce() -> bool,
    ) -> Result<Outcome, LoginError> {
        let mut tx = self.store.conn().await?;
        let mut flow = self.load_for_post_in(&mut tx, cookie, csrf).await?;
        let Ok(state) = flow.state.clone().expect_password() else {
            return Ok(Outcome::Elsewhere);
        };
        let context = self
            .password_context(&mut tx, state.identity_id.as_deref(), device_cookie)
            .await?;
        // Not held while hashing: the pool is for requests that are not waiting.
        drop(tx);
        let (identity, trust) = (context.identity.as_ref(), context.trust);
        if trust == Trust::Untrusted && throttled() {
            return Ok(Outcome::Ended(Ending::Throttled));
        }
        // Very long input is never a password: refuse without hashing it.
        let input = SecretString::new(if password.chars().count() > 128 {
            String::new()
        } else {
            password
        });
        let (outcome, success) = self
            .verify_password_attempt(
                identity,
                &context.credentials,
                &input,
                trust,
                ip,
                state.name_key.as_deref(),
            )
            .await?;
        if let PasswordStep::Refused { paused_until } = outcome {
            let view = LoginView::Password {
                login_name: state.login_name,
            };
            let problem = match paused_until {
                Some(until) => Problem::Paused { until },
                None => Problem::WrongUserOrPassword,
            };
            return Ok(Outcome::Again(flow.shown(view), problem));
        }
        // A success is settled in the transaction that moves the flow on;
        // should that not commit (another request moved the flow, the store
        // is busy), on its own, so that a right password never counts.
        let mut tx = self.store.write().await?;
        let moved = async {
            if let Some(s) = &success {
                settle_success_in(&mut tx, &s.credential, s.trust, s.number, true).await?;
            }
            let outcome = self
                .advance_after_password(
                    &mut tx,
                    outcome,
                    state,
                    &mut flow,
                    &context,
                    success.as_ref().map(|s| s.credential.id.as_str()),
                )
                .await?;
            tx.commit().await?;
            Ok::<_, LoginError>(outcome)
        }
        .await;
        if moved.is_err()
            && let Some(s) = success
        {
            self.settle_success(&s.credential, s.trust, s.number, true)
                .await?;
        }
        moved
    }

    /// Moves the flow on after a right password or activation code (or
    /// ends it for a blocked identity), in the caller's transaction.
    async fn advance_after_password(
        &self,
        tx: &mut Tx,
        outcome: PasswordStep,
        state: nyckel_core::authn::flow::ExpectPassword,
        flow: &mut Flow,
        context: &PasswordContext,
        proven: Option<&str>,
    ) -> Result<Outcome, LoginError> {
        if flow.continuation == Continuation::LostCard {
            // A lost card: the password (or the letter's activation code)
            // is enough to block the card and order a new one; the flow
            // goes on to the confirmation, never to a session.
            let identity = match outcome {
                PasswordStep::Password(i) | PasswordStep::ActivationCode(i) => i,
                PasswordStep::IdentityBlocked(_) => {
                    finish_in(tx, flow).await?;
                    return Ok(Outcome::Ended(Ending::IdentityBlocked));
                }
                PasswordStep::Refused { .. } => return Err(LoginError::Moved),
            };
            let next = state
                .lost_card_ok(&identity.id, proven.ok_or(LoginError::Moved)?)
                .map_err(|_| LoginError::Moved)?;
            flow.state = Stored::LostCard(next);
            let flow_cookie = self.rekey_in(tx, flow).await?;
            return Ok(Outcome::Rekeyed {
                flow_cookie,
                shown: None,
            });
        }
        // Changing the password, the letter's activation code stands for
        // the current password: the key card follows all the same.
        let outcome = match outcome {
            PasswordStep::ActivationCode(i)
                if flow.continuation == Continuation::ChangePassword =>
            {
                PasswordStep::Password(i)
            }
            o => o,
        };
        let next = match outcome {
            PasswordStep::Password(identity) => {
                let must_accept = nyckel_core::terms::must_accept(identity.terms_version);
                match state.password_ok(&identity.id, must_accept) {
                    Ok(NextAfterPassword::KeyCode(waiting)) => {
                        // Straight on to the key card: show a key and its page now.
                        let challenge = self
                            .start_key_challenge_in(tx, &identity, &context.credentials, false)
                            .await?;
                        let Some(challenge) = challenge else {
                            finish_in(tx, flow).await?;
                            return Ok(Outcome::Ended(no_usable_card(&context.credentials)));
                        };
                        flow.state = Stored::KeyCard(waiting.shown(challenge.clone()));
                        let flow_cookie = self.rekey_in(tx, flow).await?;
                        let view = super::key_card::key_view(&context.credentials, &challenge);
                        return Ok(Outcome::Rekeyed {
                            flow_cookie,
                            shown: Some(flow.shown(view)),
                        });
                    }
                    Ok(next) => Stored::from(next),
                    Err(_) => return Err(LoginError::Moved),
                }
            }
            PasswordStep::ActivationCode(identity) => {
                match state.activation_code_ok(&identity.id) {
                    Ok(next) => Stored::NewPassword(next),
                    Err(_) => return Err(LoginError::Moved),
                }
            }
            PasswordStep::IdentityBlocked(_) => {
                finish_in(tx, flow).await?;
                return Ok(Outcome::Ended(Ending::IdentityBlocked));
            }
            PasswordStep::Refused { .. } => return Err(LoginError::Moved),
        };
        flow.state = next;
        let flow_cookie = self.rekey_in(tx, flow).await?;
        Ok(Outcome::Rekeyed {
            flow_cookie,
            shown: None,
        })
    }
}

/// A right password or activation code whose reservation is yet to be
/// settled (see [`Nyckel::verify_password_attempt`]).
#[derive(Debug)]
pub(crate) struct SuccessToSettle {
    credential: CredentialRow,
    trust: Trust,
    number: u32,
}

/// Gives back `n` reservations that did not fail, in the caller's
/// transaction (see [`Nyckel::settle_success`]).
async fn settle_success_in(
    tx: &mut Tx,
    credential: &CredentialRow,
    trust: Trust,
    n: u32,
    succeeded: bool,
) -> Result<()> {
    let forget = succeeded && trust == Trust::TrustedDevice;
    tx.release_attempts(&credential.id, trust, n, forget, None)
        .await?;
    Ok(())
}
