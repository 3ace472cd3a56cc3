//! Flow storage: a login flow lives in `login_flows` under the SHA-256 of
//! an opaque cookie, with its CSRF token and its state
//! ([`Stored`], plus the request it continues into). Every step moves it
//! by compare-and-set against the state it read (`save_in`, `finish_in`,
//! `rekey_in`), in the step's own transaction.

use serde::{Deserialize, Serialize};

use super::*;

/// What a flow continues into after its last factor: My nyckel, or the
/// OpenID authorization request it serves (room for SAML and signing;
/// CIBA has no browser flow). Here, not in `nyckel-core`, because it
/// carries the protocol's request (`nyckel-oidc`), which core must not
/// know.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Continuation {
    My,
    Oidc(Box<AuthorizationRequest>),
    /// "Lost your key card?": the password alone, then the block of the
    /// card and the order of a new one; never a session.
    LostCard,
    /// A change of password from My nyckel: the current password and a
    /// key-card code, then the new password; no new session.
    ChangePassword,
}

/// A login flow as read from the database.
#[derive(Debug)]
pub(crate) struct Flow {
    pub(crate) id_hash: String,
    pub(crate) csrf: String,
    pub(crate) state: Stored,
    pub(crate) continuation: Continuation,
    /// The registered name of the service the login is for (an OpenID
    /// client's name, taken when the login starts), for the pages to say
    /// who asked and to offer the way back.
    pub(crate) service: Option<String>,
    /// For a change of password: the hash of the My nyckel session it was
    /// started from. The change is made only while that session lives
    /// (logging out ends it), and it ends the identity's other sessions.
    pub(crate) session: Option<String>,
    /// The state as read from (or last written to) the database: a step
    /// moves the flow on only from this state (compare-and-set), so that
    /// no step succeeds twice for one flow, however many requests carry
    /// it at once.
    loaded: String,
}

/// The stored JSON: the state's fields with its `step` tag, and the
/// request as `authz` (the format of earlier versions).
#[derive(Serialize, Deserialize)]
struct Record {
    #[serde(flatten)]
    state: Stored,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    authz: Option<AuthorizationRequest>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    service: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    lost_card: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    change_password: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    session: Option<String>,
}

impl Flow {
    fn json(&self) -> String {
        let authz = match &self.continuation {
            Continuation::Oidc(r) => Some((**r).clone()),
            Continuation::My | Continuation::LostCard | Continuation::ChangePassword => None,
        };
        serde_json::to_string(&Record {
            state: self.state.clone(),
            authz,
            service: self.service.clone(),
            lost_card: self.continuation == Continuation::LostCard,
            change_password: self.continuation == Continuation::ChangePassword,
            session: self.session.clone(),
        })
        .unwrap_or_else(|_| "{\"step\":\"identify\"}".into())
    }

    pub(crate) fn shown(&self, view: LoginView) -> Shown {
        let ui_locales = match &self.continuation {
            Continuation::Oidc(req) => req
                .ui_locales
                .iter()
                .find_map(|t| nyckel_core::lang::Lang::from_tag(t)),
            Continuation::My | Continuation::LostCard | Continuation::ChangePassword => None,
        };
        Shown {
            csrf: self.csrf.clone(),
            view,
            ui_locales,
            service: self.service.clone(),
            lost_card: self.continuation == Continuation::LostCard,
            change_password: self.continuation == Continuation::ChangePassword,
        }
    }
}

fn parse(state: &str) -> Option<Record> {
    serde_json::from_str(state).ok()
}

impl Nyckel {
    /// The flow of the cookie, read on the caller's connection.
    pub(crate) async fn load_flow_in(
        &self,
        tx: &mut Tx,
        cookie: Option<&str>,
    ) -> Result<Option<Flow>> {
        let Some(c) = cookie else { return Ok(None) };
        let id_hash = cookie_hash(c);
        let Some(row) = tx.find_flow(&id_hash, self.now()).await? else {
            return Ok(None);
        };
        Ok(parse(&row.state).map(|r| Flow {
            id_hash,
            csrf: row.csrf,
            state: r.state,
            continuation: match r.authz {
                Some(a) => Continuation::Oidc(Box::new(a)),
                None if r.lost_card => Continuation::LostCard,
                None if r.change_password => Continuation::ChangePassword,
                None => Continuation::My,
            },
            service: r.service,
            session: r.session,
            loaded: row.state,
        }))
    }

    /// The flow a form belongs to, checking its CSRF token.
    pub(crate) async fn load_for_post_in(
        &self,
        tx: &mut Tx,
        cookie: Option<&str>,
        csrf: &str,
    ) -> Result<Flow, LoginError> {
        let flow = self
            .load_flow_in(tx, cookie)
            .await?
            .ok_or(LoginError::Expired)?;
        if !ct_eq(flow.csrf.as_bytes(), csrf.as_bytes()) {
            return Err(LoginError::Csrf);
        }
        Ok(flow)
    }

    /// Starts a flow in `state`, continuing into `continuation`. The flow
    /// of `old_cookie`, if any, ends (and a key it showed and nobody
    /// answered counts as a wrong code), in the same transaction.
    /// Returns the new flow's cookie.
    pub(crate) async fn start_flow(
        &self,
        old_cookie: Option<&str>,
        state: Stored,
        continuation: Continuation,
        service: Option<String>,
    ) -> Result<(String, Flow)> {
        let flow = Flow {
            id_hash: String::new(),
            csrf: String::new(),
            state,
            continuation,
            service,
            session: None,
            loaded: String::new(),
        };
        self.begin_flow(old_cookie, flow).await
    }

    /// Stores `flow` as a new flow, ending the one of `old_cookie`.
    async fn begin_flow(&self, old_cookie: Option<&str>, mut flow: Flow) -> Result<(String, Flow)> {
        // Replacing a flow deletes it and, if it was waiting for a
        // key-card code, counts that in one transaction; a fresh start is
        // one statement.
        let mut tx = match old_cookie {
            Some(_) => self.store.write().await?,
            None => self.store.conn().await?,
        };
        if let Some(old) = old_cookie
            && let Some(state) = tx.delete_flow(&cookie_hash(old)).await?
        {
            count_if_abandoned(self, &mut tx, &state).await?;
        }
        let token = self.insert_keyed(&mut tx, &mut flow).await?;
        tx.commit().await?;
        Ok((token, flow))
    }

    /// Stores `flow` under a new id and CSRF token; returns the cookie value.
    async fn insert_keyed(&self, tx: &mut Tx, flow: &mut Flow) -> Result<String> {
        let token = random_token();
        flow.id_hash = cookie_hash(&token);
        flow.csrf = random_token();
        flow.loaded = flow.json();
        let now = self.now();
        let ttl = self.config.flow_ttl_secs;
        tx.insert_flow(
            &flow.id_hash,
            &flow.csrf,
            &flow.loaded,
            now,
            now + ttl * 1000,
        )
        .await?;
        Ok(token)
    }

    /// Re-keys the flow after the holder proved a factor: the old id and
    /// CSRF token end (only if the flow is still in the state it was read
    /// in) and the flow goes on, in its new state, under new ones that
    /// only this response's browser gets. A flow cookie planted in the
    /// holder's browser, or copied from it before, is worth nothing from
    /// here on. Returns the new cookie.
    pub(crate) async fn rekey_in(
        &self,
        tx: &mut Tx,
        flow: &mut Flow,
    ) -> Result<String, LoginError> {
        if !tx.delete_flow_if(&flow.id_hash, &flow.loaded).await? {
            return Err(LoginError::Moved);
        }
        Ok(self.insert_keyed(tx, flow).await?)
    }
}

/// Moves the flow on (to `flow.state`) from the state it was read in, or
/// fails with [`LoginError::Moved`] if another request moved it first
/// (the caller's transaction is then dropped, and rolled back, with
/// everything it did).
pub(crate) async fn save_in(tx: &mut Tx, flow: &mut Flow) -> Result<(), LoginError> {
    let next = flow.json();
    if !tx.replace_flow(&flow.id_hash, &flow.loaded, &next).await? {
        return Err(LoginError::Moved);
    }
    flow.loaded = next;
    Ok(())
}

/// Ends the flow, once: [`LoginError::Moved`] if another request moved
/// or ended it first.
pub(crate) async fn finish_in(tx: &mut Tx, flow: &Flow) -> Result<(), LoginError> {
    if !tx.delete_flow_if(&flow.id_hash, &flow.loaded).await? {
        return Err(LoginError::Moved);
    }
    Ok(())
}

/// A flow that ends while a key-card challenge is shown and unanswered
/// (restarted, or expired: see the web tier's sweep) counts as a wrong
/// code. `state` is the stored JSON of the flow that ended.
pub async fn count_if_abandoned(nyckel: &Nyckel, tx: &mut Tx, state: &str) -> Result<()> {
    let Some(record) = parse(state) else {
        return Ok(());
    };
    let Some((identity_id, challenge)) = record.state.unanswered_key() else {
        return Ok(());
    };
    nyckel
        .count_unanswered_challenge(tx, identity_id, challenge)
        .await
}

impl Nyckel {
    /// Starts a login that continues into `continuation` (an OpenID
    /// request: `/authorize` without a usable session) for the service
    /// named `service` (its registered name, shown on every step). The
    /// flow of `old_cookie` ends. Returns the new flow's cookie.
    pub async fn start_login(
        &self,
        old_cookie: Option<&str>,
        continuation: Continuation,
        service: Option<String>,
    ) -> Result<String, LoginError> {
        let (token, _) = self
            .start_flow(old_cookie, Stored::start(), continuation, service)
            .await?;
        Ok(token)
    }

    /// `GET /lost-card`: starts a flow that asks for the login name and
    /// the password only, and then for the block of the key card (see
    /// [`Nyckel::lost_card_step`]). The flow of `old_cookie` ends.
    pub async fn start_lost_card(&self, old_cookie: Option<&str>) -> Result<String, LoginError> {
        let (token, _) = self
            .start_flow(old_cookie, Stored::start(), Continuation::LostCard, None)
            .await?;
        Ok(token)
    }

    /// `POST /my/password`: a change of password for the holder of a live
    /// session starts a flow of its own at the password step for that
    /// identity (no name asked), then a key-card code, then the new
    /// password. The flow of `old_cookie` ends.
    pub async fn start_change_password(
        &self,
        old_cookie: Option<&str>,
        holder: &LiveSession,
    ) -> Result<String, LoginError> {
        let identity = &holder.identity;
        let login_name = identity
            .alias
            .clone()
            .unwrap_or_else(|| identity.user_id.to_string());
        let state = Stored::Password(nyckel_core::authn::flow::ExpectPassword {
            identity_id: Some(identity.id.clone()),
            login_name,
            name_key: None,
        });
        let flow = Flow {
            id_hash: String::new(),
            csrf: String::new(),
            state,
            continuation: Continuation::ChangePassword,
            service: None,
            session: Some(holder.hash.clone()),
            loaded: String::new(),
        };
        let (token, _) = self.begin_flow(old_cookie, flow).await?;
        Ok(token)
    }

    /// `POST /login/lost-card`: the holder confirms the block. The flow
    /// ends (once: of presses at once one goes on) and the card is blocked
    /// and replaced ([`Nyckel::replace_key_card`]), in one transaction.
    /// `None` if the flow is at another step.
    pub async fn lost_card_step(
        &self,
        cookie: Option<&str>,
        csrf: &str,
    ) -> Result<Option<CardReplacement>, LoginError> {
        let mut tx = self.store.write().await?;
        let flow = self.load_for_post_in(&mut tx, cookie, csrf).await?;
        let Ok(block) = flow.state.clone().expect_card_block() else {
            return Ok(None);
        };
        finish_in(&mut tx, &flow).await?;
        // The password (or code) proven in this flow must still be live:
        // a confirmation left open across a change of password, or a
        // block of the password, blocks nothing.
        let proven = match &block.proven_with {
            Some(id) => tx.find_credential(id).await?,
            None => None,
        };
        if !proven.is_some_and(|c| {
            c.identity_id == block.identity_id
                && c.status == CredentialStatus::Active
                && c.expires_at.is_none_or(|e| e > self.now())
        }) {
            tx.commit().await?;
            return Err(LoginError::Expired);
        }
        let identity = tx
            .find_identity(&block.identity_id)
            .await?
            .ok_or(LoginError::Expired)?;
        let who = holder(&identity.user_id);
        let r = self
            .replace_key_card_in(
                &mut tx,
                &identity,
                nyckel_core::credential::Actor::Holder,
                &who,
                "lost: blocked by the holder with the password",
                true,
            )
            .await?;
        tx.commit().await?;
        Ok(Some(r))
    }

    /// `POST /login/cancel`: the holder gives up the login ("cancel and
    /// go back to <service>"). The flow ends, once, and a key it showed
    /// and nobody answered counts as a wrong code, as when it is
    /// abandoned; the continuation returned says where the browser goes
    /// (an OpenID request is answered `access_denied`).
    pub async fn cancel_login(
        &self,
        cookie: Option<&str>,
        csrf: &str,
    ) -> Result<Continuation, LoginError> {
        let mut tx = self.store.write().await?;
        let flow = self.load_for_post_in(&mut tx, cookie, csrf).await?;
        finish_in(&mut tx, &flow).await?;
        if let Some((identity_id, challenge)) = flow.state.unanswered_key() {
            self.count_unanswered_challenge(&mut tx, identity_id, challenge)
                .await?;
        }
        tx.commit().await?;
        Ok(flow.continuation)
    }

    /// `GET /login`: the step the flow of `cookie` is at, or a new flow
    /// (also when `restart`). Returns the new flow's cookie, if one was
    /// started. Showing the key-card step shows (and consumes) a key.
    pub async fn login_page(
        &self,
        cookie: Option<&str>,
        restart: bool,
    ) -> Result<(Option<String>, Outcome), LoginError> {
        let existing = match cookie {
            Some(_) if !restart => {
                let mut tx = self.store.read().await?;
                self.load_flow_in(&mut tx, cookie).await?
            }
            _ => None,
        };
        let (token, mut flow) = match existing {
            Some(f) => (None, f),
            None => {
                let (t, f) = self
                    .start_flow(cookie, Stored::start(), Continuation::My, None)
                    .await?;
                (Some(t), f)
            }
        };
        Ok((token, self.show(&mut flow).await?))
    }

    /// The page of the step the flow is at: [`Outcome::Show`], or the end
    /// of the login if the key-card step has no key to show.
    pub(crate) async fn show(&self, flow: &mut Flow) -> Result<Outcome, LoginError> {
        let view = match &flow.state {
            Stored::Identify(_) => LoginView::Identify,
            Stored::Password(p) => LoginView::Password {
                login_name: p.login_name.clone(),
            },
            Stored::NewPassword(p) => LoginView::NewPassword {
                login_name: p.login_name.clone(),
            },
            Stored::Terms(t) => {
                let mut tx = self.store.read().await?;
                let identity = tx.find_identity(&t.identity_id).await?;
                let person = match &identity {
                    Some(i) => tx.find_person(&i.person_id).await?,
                    None => None,
                };
                tx.commit().await?;
                let person = person.ok_or(LoginError::Expired)?;
                // In full only after the letter's code (see ExpectTerms).
                let (name, address) = if t.after_letter {
                    (person.record.full_name(), person.record.address.clone())
                } else {
                    (
                        person.record.given_names.clone(),
                        person.record.postal_area().unwrap_or_default().to_owned(),
                    )
                };
                LoginView::Terms {
                    name,
                    address,
                    reported: t.reported,
                }
            }
            Stored::Consent(_) => {
                let Continuation::Oidc(req) = &flow.continuation else {
                    return Err(LoginError::Expired);
                };
                let client = self
                    .find_active_client(&req.client_id)
                    .await?
                    .ok_or(LoginError::Expired)?;
                LoginView::Consent {
                    request: req.clone(),
                    client: Box::new(client),
                }
            }
            Stored::KeyCard(_) => return self.show_key(flow).await,
            Stored::LostCard(b) => {
                LoginView::LostCard(self.card_block_preview(&b.identity_id).await?)
            }
        };
        Ok(Outcome::Show(flow.shown(view)))
    }
}
