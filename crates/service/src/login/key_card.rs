use super::flow::{Flow, finish_in, save_in};
use super::*;

impl Nyckel {
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
        self.record_failure_because(tx, &identity, &card, "", LoginFailure::UnansweredKeyCard)
            .await?;
        Ok(())
    }

    /// Counts a wrong key-card code (or a key left unanswered) in the
    /// caller's write transaction: reserved and settled at once, as the
    /// check is already done. The key card is behind a correct password,
    /// so every failure counts as trusted: five block the card.
    pub(crate) async fn record_failure_because(
        &self,
        tx: &mut Tx,
        identity: &IdentityRow,
        credential: &CredentialRow,
        ip: &str,
        reason: LoginFailure,
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
                    .record_failure_because(tx, identity, card, "", LoginFailure::UnansweredKeyCard)
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
    ) -> Result<(KeyCardStep, Option<Authentication>)> {
        let mut tx = self.store.write().await?;
        let key = AnsweringKey::claim(identity.id.clone(), challenge.clone());
        let result = self
            .check_key_code_in(&mut tx, identity, key, typed, methods, ip)
            .await?;
        tx.commit().await?;
        Ok(result)
    }

    /// [`Nyckel::check_key_code`] inside the caller's write transaction,
    /// for a key claimed from its flow. `methods` are the factors proven
    /// before; a right code makes the [`Authentication`].
    pub async fn check_key_code_in(
        &self,
        tx: &mut Tx,
        identity: &IdentityRow,
        key: AnsweringKey,
        typed: &str,
        methods: &[AuthMethod],
        ip: &str,
    ) -> Result<(KeyCardStep, Option<Authentication>)> {
        let now = self.now();
        let challenge = key.challenge().clone();
        if key.identity_id() != identity.id {
            return Ok((KeyCardStep::Blocked, None));
        }
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
        let verified = key.verify(
            self.secret.bytes(),
            typed,
            stored.as_deref(),
            methods,
            now / 1000,
        );
        let Ok(auth) = verified else {
            // The key card is behind a correct password: count every failure
            // as trusted, so that five wrong codes block the card.
            let settlement = self
                .record_failure_because(tx, identity, &card, ip, LoginFailure::WrongKeyCard)
                .await?;
            return Ok((
                match settlement {
                    lockout::Settlement::Counted { remaining } => KeyCardStep::Wrong { remaining },
                    _ => KeyCardStep::Blocked,
                },
                None,
            ));
        };
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
                    .issue_key_card(tx, identity, &person, CredentialStatus::Pending, None, now)
                    .await?;
                tx.append_audit(
                    &NewAuditEvent::new(
                        "system",
                        AuditEvent::KeyCardOrdered {
                            card_id: new_card.card_id.clone(),
                            letter,
                            keys_left_on_old_card: remaining as i64,
                        },
                    )
                    .subject(identity.id.clone()),
                    now,
                )
                .await?;
            }
        }
        Ok((KeyCardStep::Accepted, Some(auth)))
    }
}

/// A new card that has arrived but is not yet in use, unless the key
/// shown is already from it.
fn pending_card_of(credentials: &[CredentialRow], shown: &Challenge) -> Option<String> {
    credentials
        .iter()
        .find(|c| c.kind == CredentialKind::KeyCard && c.status == CredentialStatus::Pending)
        .and_then(|c| c.label.clone())
        .filter(|p| *p != shown.card_id)
}

pub(crate) fn key_view(credentials: &[CredentialRow], c: &Challenge) -> LoginView {
    LoginView::KeyCode {
        key_number: c.key_number,
        card_id: c.card_id.clone(),
        pending_card: pending_card_of(credentials, c),
    }
}

impl Nyckel {
    /// The key-card page: the key shown, or a key shown now (consumed, and
    /// one shown before for the card counted), in one write transaction
    /// with the flow's move. No usable card ends the login.
    pub(crate) async fn show_key(&self, flow: &mut Flow) -> Result<Outcome, LoginError> {
        let Stored::KeyCard(state) = flow.state.clone() else {
            return Err(LoginError::Expired);
        };
        let needs_key = state.challenge.is_none();
        let mut tx = if needs_key {
            self.store.write().await?
        } else {
            self.store.read().await?
        };
        let cards = tx
            .find_live_credentials(&state.identity_id, CredentialKind::KeyCard)
            .await?;
        let challenge = match state.challenge.clone() {
            Some(c) => {
                drop(tx);
                c
            }
            None => {
                let identity = tx
                    .find_identity(&state.identity_id)
                    .await?
                    .ok_or(LoginError::Expired)?;
                let prefer_new = state.prefer_new;
                let Some(c) = self
                    .start_key_challenge_in(&mut tx, &identity, &cards, prefer_new)
                    .await?
                else {
                    finish_in(&mut tx, flow).await?;
                    tx.commit().await?;
                    return Ok(Outcome::Ended(no_usable_card(&cards)));
                };
                flow.state = Stored::KeyCard(state.shown(c.clone()));
                save_in(&mut tx, flow).await?;
                tx.commit().await?;
                c
            }
        };
        Ok(Outcome::Show(flow.shown(key_view(&cards, &challenge))))
    }

    /// `POST /login/keycard`: one write transaction — the flow claimed
    /// first (compare-and-set), the key answered, the code checked, the
    /// card's counters, a new card order, the session, the audit entry
    /// and the end of the flow commit together.
    pub async fn key_code_step(
        &self,
        cookie: Option<&str>,
        csrf: &str,
        typed: &str,
        device_cookie: Option<&str>,
        ip: &str,
    ) -> Result<Outcome, LoginError> {
        let mut tx = self.store.write().await?;
        let mut flow = self.load_for_post_in(&mut tx, cookie, csrf).await?;
        let Ok(state) = flow.state.clone().expect_key_code() else {
            return Ok(Outcome::Elsewhere);
        };
        let Ok((key, claimed)) = state.answer() else {
            return Ok(Outcome::Elsewhere);
        };
        let key_number = key.challenge().key_number;
        // Claim the flow first: of several posts of one code, one moves it
        // on (on PostgreSQL the others wait here, then find it moved).
        // Unless the code is right, the flow goes on to a new key.
        flow.state = Stored::KeyCard(claimed);
        save_in(&mut tx, &mut flow).await?;
        let identity = tx
            .find_identity(key.identity_id())
            .await?
            .ok_or(LoginError::Expired)?;
        if !identity.status.may_log_in() {
            tx.delete_flow(&flow.id_hash).await?;
            tx.commit().await?;
            return Ok(Outcome::Ended(Ending::IdentityBlocked));
        }
        let code: String = typed.chars().take(16).collect();
        let (step, auth) = self
            .check_key_code_in(&mut tx, &identity, key, &code, &[AuthMethod::Password], ip)
            .await?;
        match (step, auth) {
            // A change of password: both factors proven, the new password
            // is chosen next, under a new flow id; no session.
            (KeyCardStep::Accepted, Some(auth))
                if flow.continuation == Continuation::ChangePassword =>
            {
                let login_name = identity
                    .alias
                    .clone()
                    .unwrap_or_else(|| identity.user_id.to_string());
                flow.state = Stored::NewPassword(auth.change_password(login_name));
                let flow_cookie = self.rekey_in(&mut tx, &mut flow).await?;
                tx.commit().await?;
                Ok(Outcome::Rekeyed {
                    flow_cookie,
                    shown: None,
                })
            }
            (KeyCardStep::Accepted, Some(auth)) => {
                tx.delete_flow(&flow.id_hash).await?;
                let session = random_token();
                let entry = match flow.continuation {
                    Continuation::My => LoginEntry::MyNyckel,
                    _ => LoginEntry::Provider,
                };
                let sid = match flow.continuation {
                    Continuation::My => None,
                    _ => Some(crate::session_id(&session)),
                };
                let login = auth.consent(sid);
                let done = self
                    .complete_login_in(&mut tx, &identity, auth, &session, device_cookie, ip, entry)
                    .await?;
                tx.commit().await?;
                Ok(Outcome::LoggedIn(Box::new(LoggedIn {
                    session_cookie: session,
                    device_cookie: done.device,
                    continuation: flow.continuation,
                    login,
                    activated: done.activated,
                })))
            }
            (KeyCardStep::Blocked, _) => {
                tx.delete_flow(&flow.id_hash).await?;
                tx.commit().await?;
                Ok(Outcome::Ended(Ending::CardBlocked))
            }
            // Another login showed a key of this card since: this one ends
            // (showing yet another key would end that one in turn).
            (KeyCardStep::Superseded, _) => {
                tx.delete_flow(&flow.id_hash).await?;
                tx.commit().await?;
                Ok(Outcome::Ended(Ending::Superseded(key_number)))
            }
            (KeyCardStep::Wrong { remaining }, _) => {
                tx.commit().await?;
                // The next key, shown now.
                Ok(match self.show(&mut flow).await? {
                    Outcome::Show(shown) => Outcome::Again(
                        shown,
                        Problem::WrongCode {
                            key: key_number,
                            remaining,
                        },
                    ),
                    other => other,
                })
            }
            (KeyCardStep::Accepted, None) => Err(LoginError::Moved),
        }
    }

    /// `POST /login/new-card`: the holder has received a new key card and
    /// wants to be asked from it. Without a new card on its way the key
    /// shown stays: showing another would count this one as a wrong code.
    pub async fn new_card_step(
        &self,
        cookie: Option<&str>,
        csrf: &str,
    ) -> Result<Outcome, LoginError> {
        let mut tx = self.store.write().await?;
        let mut flow = self.load_for_post_in(&mut tx, cookie, csrf).await?;
        let Ok(state) = flow.state.clone().expect_key_code() else {
            return Ok(Outcome::Elsewhere);
        };
        let cards = tx
            .find_live_credentials(&state.identity_id, CredentialKind::KeyCard)
            .await?;
        let switch = match &state.challenge {
            Some(c) => pending_card_of(&cards, c).is_some(),
            None => false,
        };
        if !switch {
            drop(tx);
            return self.show(&mut flow).await;
        }
        if let Some(c) = &state.challenge {
            self.count_unanswered_challenge(&mut tx, &state.identity_id, c)
                .await?;
        }
        flow.state = Stored::KeyCard(state.switch_to_new_card());
        save_in(&mut tx, &mut flow).await?;
        tx.commit().await?;
        Ok(Outcome::Next)
    }
}
