//! The login flow as typed states (R-AUTH-1), in the manner of rustls:
//! one type per state, named for what it waits for; a transition consumes
//! its state and returns the next. Identify → password (or activation
//! code) → (first time: a new password) → (new terms: accept) → key-card
//! code → done (or, for an OpenID login that needs it, consent).
//!
//! [`Stored`] is what the database keeps for a flow: only states, never a
//! proof. The one proof, [`Authentication`], is made only by
//! [`AnsweringKey::verify`] — the check of the last factor — and has no
//! public constructor and no `Deserialize`, so no stored or posted value
//! can stand in for a login.
//!
//! Room for more factors: `ExpectAppApproval`, `ExpectTotp`,
//! `ExpectPasskey` join [`Stored`] and the `Next…` enums when they arrive.

use serde::{Deserialize, Serialize};

use crate::assurance::{self, AuthMethod, Loa};
use crate::keycard::{self, KeyNumber};

/// A key-card challenge: the key shown to the holder (consumed when shown).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Challenge {
    pub credential_id: String,
    pub card_id: String,
    pub key_number: KeyNumber,
}

/// Waits for a login name (user ID, CPR number or username).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct ExpectIdentify {}

/// Waits for the password, or the activation code of a new holder.
/// `identity_id` is `None` for a name that matches nobody: the flow goes on
/// exactly as for a real holder, so that nobody learns who exists.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ExpectPassword {
    pub identity_id: Option<String>,
    /// The name as shown back (a CPR number masked).
    pub login_name: String,
    /// The keyed hash of the normalised name (never the name itself):
    /// for a name that matches nobody, or a holder whose password is
    /// blocked or missing, failures are counted and paused under it as a
    /// real holder's are, so that the pause tells nobody which it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_key: Option<String>,
}

/// Waits for the password the holder chooses after an activation code.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ExpectNewPassword {
    pub identity_id: String,
    pub login_name: String,
}

/// Waits for the holder to accept the current terms of use (or report
/// that the register's details shown are wrong, and then accept).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ExpectTerms {
    pub identity_id: String,
    pub reported: bool,
    /// Reached by choosing a password with the letter's activation code
    /// (the first login): the register's name and address, which the
    /// letter went to, are shown in full to be checked. Reached by the
    /// password alone (new terms), only the given names and the postcode
    /// and town are: a guessed password must not reveal where somebody
    /// lives.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub after_letter: bool,
}

/// Waits for the code of the key shown. `challenge` is `None` until a key
/// is shown (and again after a wrong code, until the next is shown).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ExpectKeyCode {
    pub identity_id: String,
    pub challenge: Option<Challenge>,
    /// Ask from a new card the holder says has arrived.
    pub prefer_new: bool,
}

/// The password of a holder who lost the key card was right; waits for
/// them to confirm the block of their card (and the order of a new one).
/// Reached only from [`ExpectPassword::lost_card_ok`]: one factor is
/// enough to block (a protective act) and to order a card to the address
/// in the register, never to log in.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ExpectCardBlock {
    pub identity_id: String,
    /// The credential (password or activation code) that was proven: the
    /// block is made only while it is still live, so that a confirmation
    /// opened with an old password dies with that password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proven_with: Option<String>,
}

/// Logged in; waits for the holder to allow (or decline) that a provider
/// gets their data. What it keeps is a record of the login for the code
/// to be issued, not a proof: it is reached only from an
/// [`Authentication`] or a live session.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ExpectConsent {
    pub identity_id: String,
    /// Seconds since the epoch.
    pub auth_time: i64,
    pub methods: Vec<AuthMethod>,
    /// The session's public id (`sid` claim).
    pub sid: Option<String>,
}

/// What is persisted for a flow: the state it is in. The JSON is the
/// stored format of `login_flows.state` (a `step` tag), unchanged from
/// earlier versions so that flows in progress survive an upgrade.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "step", rename_all = "kebab-case")]
pub enum Stored {
    Identify(ExpectIdentify),
    Password(ExpectPassword),
    #[serde(rename = "choose-password")]
    NewPassword(ExpectNewPassword),
    Terms(ExpectTerms),
    KeyCard(ExpectKeyCode),
    Consent(ExpectConsent),
    LostCard(ExpectCardBlock),
}

/// A transition the state does not allow: the form belongs to another
/// step (the browser is then shown the step the flow is at), or the
/// transition's precondition does not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("the flow is at another step")]
    OtherStep,
    /// The factor was proven for another identity than the one named.
    #[error("the proven factor is not the named identity's")]
    OtherIdentity,
    /// A code was posted but no key is shown.
    #[error("no key is shown")]
    NoKeyShown,
}

/// After a password or a new password: the terms if the holder has not
/// accepted the current ones, else the key card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextAfterPassword {
    Terms(ExpectTerms),
    KeyCode(ExpectKeyCode),
}

impl From<NextAfterPassword> for Stored {
    fn from(n: NextAfterPassword) -> Self {
        match n {
            NextAfterPassword::Terms(t) => Stored::Terms(t),
            NextAfterPassword::KeyCode(k) => Stored::KeyCard(k),
        }
    }
}

fn after_password(
    identity_id: String,
    must_accept_terms: bool,
    after_letter: bool,
) -> NextAfterPassword {
    if must_accept_terms {
        NextAfterPassword::Terms(ExpectTerms {
            identity_id,
            reported: false,
            after_letter,
        })
    } else {
        NextAfterPassword::KeyCode(ExpectKeyCode::new(identity_id))
    }
}

impl Stored {
    /// A new flow.
    pub fn start() -> Self {
        Stored::Identify(ExpectIdentify {})
    }

    /// A login name was posted: accepted while the flow waits for a name
    /// or for the password (the holder corrects the name).
    pub fn identify(
        self,
        identity_id: Option<String>,
        login_name: String,
    ) -> Result<ExpectPassword, Refused> {
        match self {
            Stored::Identify(s) => Ok(s.identified(identity_id, login_name)),
            Stored::Password(_) => Ok(ExpectIdentify {}.identified(identity_id, login_name)),
            _ => Err(Refused::OtherStep),
        }
    }

    pub fn expect_password(self) -> Result<ExpectPassword, Refused> {
        match self {
            Stored::Password(s) => Ok(s),
            _ => Err(Refused::OtherStep),
        }
    }

    pub fn expect_new_password(self) -> Result<ExpectNewPassword, Refused> {
        match self {
            Stored::NewPassword(s) => Ok(s),
            _ => Err(Refused::OtherStep),
        }
    }

    pub fn expect_terms(self) -> Result<ExpectTerms, Refused> {
        match self {
            Stored::Terms(s) => Ok(s),
            _ => Err(Refused::OtherStep),
        }
    }

    pub fn expect_key_code(self) -> Result<ExpectKeyCode, Refused> {
        match self {
            Stored::KeyCard(s) => Ok(s),
            _ => Err(Refused::OtherStep),
        }
    }

    pub fn expect_card_block(self) -> Result<ExpectCardBlock, Refused> {
        match self {
            Stored::LostCard(s) => Ok(s),
            _ => Err(Refused::OtherStep),
        }
    }

    pub fn expect_consent(self) -> Result<ExpectConsent, Refused> {
        match self {
            Stored::Consent(s) => Ok(s),
            _ => Err(Refused::OtherStep),
        }
    }

    /// The key shown and not answered, if the flow is waiting for its
    /// code: a flow that ends so (abandoned, restarted, expired) counts it
    /// as a wrong code.
    pub fn unanswered_key(&self) -> Option<(&str, &Challenge)> {
        match self {
            Stored::KeyCard(ExpectKeyCode {
                identity_id,
                challenge: Some(c),
                ..
            }) => Some((identity_id, c)),
            _ => None,
        }
    }
}

impl ExpectIdentify {
    pub fn identified(self, identity_id: Option<String>, login_name: String) -> ExpectPassword {
        ExpectPassword {
            identity_id,
            login_name,
            name_key: None,
        }
    }
}

impl ExpectPassword {
    /// The password of `identity_id` was right.
    pub fn password_ok(
        self,
        identity_id: &str,
        must_accept_terms: bool,
    ) -> Result<NextAfterPassword, Refused> {
        self.check(identity_id)?;
        Ok(after_password(
            identity_id.to_owned(),
            must_accept_terms,
            false,
        ))
    }

    /// The password (or activation code) of `identity_id` was right in a
    /// flow for a lost key card: the block is to be confirmed next.
    pub fn lost_card_ok(
        self,
        identity_id: &str,
        credential_id: &str,
    ) -> Result<ExpectCardBlock, Refused> {
        self.check(identity_id)?;
        Ok(ExpectCardBlock {
            identity_id: identity_id.to_owned(),
            proven_with: Some(credential_id.to_owned()),
        })
    }

    /// The activation code of `identity_id` was right: the holder chooses
    /// a password next.
    pub fn activation_code_ok(self, identity_id: &str) -> Result<ExpectNewPassword, Refused> {
        self.check(identity_id)?;
        Ok(ExpectNewPassword {
            identity_id: identity_id.to_owned(),
            login_name: self.login_name,
        })
    }

    fn check(&self, identity_id: &str) -> Result<(), Refused> {
        match &self.identity_id {
            Some(named) if named == identity_id => Ok(()),
            _ => Err(Refused::OtherIdentity),
        }
    }
}

impl ExpectNewPassword {
    /// The new password was accepted and stored.
    pub fn password_set(self, must_accept_terms: bool) -> NextAfterPassword {
        after_password(self.identity_id, must_accept_terms, true)
    }
}

impl ExpectTerms {
    pub fn accepted(self) -> ExpectKeyCode {
        ExpectKeyCode::new(self.identity_id)
    }

    /// The holder reported that the register's details are wrong; the
    /// terms are still to be accepted.
    pub fn reported(self) -> ExpectTerms {
        ExpectTerms {
            reported: true,
            ..self
        }
    }
}

impl ExpectKeyCode {
    /// Waiting for a key to be shown.
    pub fn new(identity_id: String) -> Self {
        Self {
            identity_id,
            challenge: None,
            prefer_new: false,
        }
    }

    /// A key was shown (and consumed).
    pub fn shown(self, challenge: Challenge) -> ExpectKeyCode {
        ExpectKeyCode {
            challenge: Some(challenge),
            ..self
        }
    }

    /// The holder has a new card and wants to be asked from it: the key
    /// shown (if any) is dropped, and the next comes from the new card.
    pub fn switch_to_new_card(self) -> ExpectKeyCode {
        ExpectKeyCode {
            identity_id: self.identity_id,
            challenge: None,
            prefer_new: true,
        }
    }

    /// A code was posted. Claims the key: the flow goes on without it
    /// (returned state, to be stored first, so that of several posts one
    /// answers), and the key is to be verified once.
    pub fn answer(self) -> Result<(AnsweringKey, ExpectKeyCode), Refused> {
        let Some(challenge) = self.challenge else {
            return Err(Refused::NoKeyShown);
        };
        let next = ExpectKeyCode {
            identity_id: self.identity_id.clone(),
            challenge: None,
            prefer_new: self.prefer_new,
        };
        Ok((
            AnsweringKey {
                identity_id: self.identity_id,
                challenge,
            },
            next,
        ))
    }
}

/// A key claimed for answering: verified once, by [`AnsweringKey::verify`].
#[derive(Debug)]
pub struct AnsweringKey {
    identity_id: String,
    challenge: Challenge,
}

impl AnsweringKey {
    /// A key claimed outside a stored flow (the demo and the benchmarks
    /// log in without pages): verifying it is the same check.
    pub fn claim(identity_id: String, challenge: Challenge) -> Self {
        Self {
            identity_id,
            challenge,
        }
    }

    pub fn identity_id(&self) -> &str {
        &self.identity_id
    }

    pub fn challenge(&self) -> &Challenge {
        &self.challenge
    }

    /// Checks the typed code against the key's stored keyed hash. A right
    /// code completes the authentication: `prior` are the factors proven
    /// before (the password), `at_secs` the time of the login.
    pub fn verify(
        self,
        pepper: &[u8],
        typed: &str,
        stored: Option<&[u8]>,
        prior: &[AuthMethod],
        at_secs: i64,
    ) -> Result<Authentication, WrongCode> {
        let c = &self.challenge;
        let ok = stored
            .is_some_and(|h| keycard::verify_code(pepper, &c.card_id, c.key_number, typed, h));
        if !ok {
            return Err(WrongCode {
                key_number: c.key_number,
            });
        }
        let mut methods = prior.to_vec();
        methods.push(AuthMethod::KeyCard);
        Ok(Authentication::new(self.identity_id, methods, at_secs))
    }
}

/// The code typed was not the key's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WrongCode {
    pub key_number: KeyNumber,
}

/// A completed authentication: who, by which methods, at which level,
/// when. Only [`AnsweringKey::verify`] makes one (the constructor is
/// private to this module) and it is never deserialised; the service
/// consumes it to open a session.
#[derive(Debug)]
pub struct Authentication {
    identity_id: String,
    methods: Vec<AuthMethod>,
    level: Option<Loa>,
    auth_time: i64,
}

impl Authentication {
    fn new(identity_id: String, methods: Vec<AuthMethod>, auth_time: i64) -> Self {
        let level = assurance::level(&methods);
        Self {
            identity_id,
            methods,
            level,
            auth_time,
        }
    }

    pub fn identity_id(&self) -> &str {
        &self.identity_id
    }

    pub fn methods(&self) -> &[AuthMethod] {
        &self.methods
    }

    /// The assurance level the methods reach, if any.
    pub fn level(&self) -> Option<Loa> {
        self.level
    }

    /// Seconds since the epoch.
    pub fn auth_time(&self) -> i64 {
        self.auth_time
    }

    /// A change of password from My nyckel, proven with both factors
    /// now: the new password is chosen next. Only a proof leads there.
    pub fn change_password(self, login_name: String) -> ExpectNewPassword {
        ExpectNewPassword {
            identity_id: self.identity_id,
            login_name,
        }
    }

    /// The consent state an OpenID login goes on to: a record of this
    /// authentication for the code, not the proof itself.
    pub fn consent(&self, sid: Option<String>) -> ExpectConsent {
        ExpectConsent {
            identity_id: self.identity_id.clone(),
            auth_time: self.auth_time,
            methods: self.methods.clone(),
            sid,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn challenge() -> Challenge {
        Challenge {
            credential_id: "cred".into(),
            card_id: "card".into(),
            key_number: KeyNumber::new(42).unwrap(),
        }
    }

    fn states() -> Vec<(&'static str, Stored)> {
        vec![
            ("identify", Stored::start()),
            (
                "password",
                Stored::Password(ExpectPassword {
                    identity_id: Some("id".into()),
                    login_name: "name".into(),
                    name_key: None,
                }),
            ),
            (
                "new-password",
                Stored::NewPassword(ExpectNewPassword {
                    identity_id: "id".into(),
                    login_name: "name".into(),
                }),
            ),
            (
                "terms",
                Stored::Terms(ExpectTerms {
                    identity_id: "id".into(),
                    reported: false,
                    after_letter: true,
                }),
            ),
            (
                "key-card",
                Stored::KeyCard(ExpectKeyCode::new("id".into()).shown(challenge())),
            ),
            (
                "consent",
                Stored::Consent(ExpectConsent {
                    identity_id: "id".into(),
                    auth_time: 1,
                    methods: vec![AuthMethod::Password, AuthMethod::KeyCard],
                    sid: None,
                }),
            ),
        ]
    }

    /// Every form against every state: the state the flow goes to, or the
    /// refusal.
    type Op = fn(Stored) -> Result<Stored, Refused>;

    fn ops() -> Vec<(&'static str, Op)> {
        vec![
            ("identify", |s| {
                s.identify(Some("id".into()), "name".into())
                    .map(Stored::Password)
            }),
            ("password", |s| {
                s.expect_password()?
                    .password_ok("id", false)
                    .map(Stored::from)
            }),
            ("activation-code", |s| {
                s.expect_password()?
                    .activation_code_ok("id")
                    .map(Stored::NewPassword)
            }),
            ("new-password", |s| {
                Ok(s.expect_new_password()?.password_set(true).into())
            }),
            ("terms", |s| {
                Ok(Stored::KeyCard(s.expect_terms()?.accepted()))
            }),
            ("report", |s| {
                Ok(Stored::Terms(s.expect_terms()?.reported()))
            }),
            ("key-code", |s| {
                s.expect_key_code()?
                    .answer()
                    .map(|(_, next)| Stored::KeyCard(next))
            }),
            ("consent", |s| s.expect_consent().map(Stored::Consent)),
        ]
    }

    #[test]
    fn each_form_is_accepted_only_at_its_step() {
        let allowed = [
            ("identify", "identify"),
            ("password", "identify"),
            ("password", "password"),
            ("password", "activation-code"),
            ("new-password", "new-password"),
            ("terms", "terms"),
            ("terms", "report"),
            ("key-card", "key-code"),
            ("consent", "consent"),
        ];
        for (state_name, state) in states() {
            for (op_name, op) in ops() {
                let got = op(state.clone());
                if allowed.contains(&(state_name, op_name)) {
                    assert!(got.is_ok(), "ok/{op_name} at {state_name}: {got:?}");
                } else {
                    assert_eq!(
                        got,
                        Err(Refused::OtherStep),
                        "fail/{op_name} at {state_name}"
                    );
                }
            }
        }
    }

    #[test]
    fn transitions() {
        let password = || ExpectPassword {
            identity_id: Some("id".into()),
            login_name: "name".into(),
            name_key: None,
        };
        let key = |id: &str| NextAfterPassword::KeyCode(ExpectKeyCode::new(id.into()));
        let terms = |id: &str, after_letter: bool| {
            NextAfterPassword::Terms(ExpectTerms {
                identity_id: id.into(),
                reported: false,
                after_letter,
            })
        };
        type Got = Result<NextAfterPassword, Refused>;
        let cases: Vec<(&str, Got, Got)> = vec![
            (
                "ok/password, terms accepted",
                password().password_ok("id", false),
                Ok(key("id")),
            ),
            (
                "ok/password, new terms",
                password().password_ok("id", true),
                Ok(terms("id", false)),
            ),
            (
                "fail/password of another identity",
                password().password_ok("other", false),
                Err(Refused::OtherIdentity),
            ),
            (
                "fail/password for a name that matched nobody",
                ExpectPassword {
                    identity_id: None,
                    login_name: "x".into(),
                    name_key: None,
                }
                .password_ok("id", false),
                Err(Refused::OtherIdentity),
            ),
            (
                "ok/new password, new terms",
                Ok(password()
                    .activation_code_ok("id")
                    .unwrap()
                    .password_set(true)),
                Ok(terms("id", true)),
            ),
            (
                "ok/new password, terms accepted",
                Ok(password()
                    .activation_code_ok("id")
                    .unwrap()
                    .password_set(false)),
                Ok(key("id")),
            ),
        ];
        for (name, got, want) in cases {
            assert_eq!(got, want, "{name}");
        }
        assert_eq!(
            password().activation_code_ok("other").unwrap_err(),
            Refused::OtherIdentity,
            "fail/activation code of another identity"
        );
        let new = password().activation_code_ok("id").unwrap();
        assert_eq!(new.login_name, "name", "ok/activation code keeps the name");
    }

    #[test]
    fn terms_and_report() {
        let t = ExpectTerms {
            identity_id: "id".into(),
            reported: false,
            after_letter: true,
        };
        let reported = t.clone().reported();
        assert!(reported.reported, "ok/report marks the terms page");
        assert!(reported.after_letter, "ok/report keeps how it was reached");
        assert_eq!(reported.accepted(), ExpectKeyCode::new("id".into()));
        assert_eq!(t.accepted(), ExpectKeyCode::new("id".into()));
    }

    #[test]
    fn key_code() {
        let waiting = ExpectKeyCode::new("id".into());
        assert_eq!(
            waiting.clone().answer().unwrap_err(),
            Refused::NoKeyShown,
            "fail/code with no key shown"
        );
        let shown = waiting.shown(challenge());
        let (answering, next) = shown.clone().answer().unwrap();
        assert_eq!(
            next,
            ExpectKeyCode::new("id".into()),
            "ok/claim drops the key"
        );
        assert_eq!(answering.challenge(), &challenge());
        let switched = shown.switch_to_new_card();
        assert!(
            switched.prefer_new && switched.challenge.is_none(),
            "ok/new card"
        );
        let (_, next) = switched.shown(challenge()).answer().unwrap();
        assert!(
            next.prefer_new,
            "ok/the new card stays preferred after a claim"
        );
    }

    #[test]
    fn only_the_right_code_authenticates() {
        let pepper = [7u8; 32];
        let card = keycard::generate(&mut rand::rng());
        let (key, code) = card.keys[0].clone();
        let c = Challenge {
            credential_id: "cred".into(),
            card_id: card.card_id.clone(),
            key_number: key,
        };
        let stored = keycard::code_hash(&pepper, &card.card_id, key, code.expose());
        let answering = || AnsweringKey::claim("id".into(), c.clone());
        let wrong = answering().verify(&pepper, "x", Some(&stored), &[AuthMethod::Password], 5);
        assert_eq!(
            wrong.unwrap_err().key_number,
            c.key_number,
            "fail/wrong code"
        );
        assert!(
            answering()
                .verify(&pepper, code.expose(), None, &[AuthMethod::Password], 5)
                .is_err(),
            "fail/no stored hash"
        );
        let auth = answering()
            .verify(
                &pepper,
                code.expose(),
                Some(&stored),
                &[AuthMethod::Password],
                5,
            )
            .unwrap();
        assert_eq!(auth.identity_id(), "id");
        assert_eq!(auth.methods(), &[AuthMethod::Password, AuthMethod::KeyCard]);
        assert_eq!(auth.level(), Some(Loa::Substantial));
        assert_eq!(auth.auth_time(), 5);
        let consent = auth.consent(Some("sid".into()));
        assert_eq!(
            consent.methods,
            auth.methods(),
            "ok/consent records the login"
        );
    }

    #[test]
    fn stored_format_is_unchanged() {
        let cases = [
            (r#"{"step":"identify"}"#, Stored::start()),
            (
                r#"{"step":"password","identity_id":null,"login_name":"n"}"#,
                Stored::Password(ExpectPassword {
                    identity_id: None,
                    login_name: "n".into(),
                    name_key: None,
                }),
            ),
            (
                r#"{"step":"choose-password","identity_id":"i","login_name":"n"}"#,
                Stored::NewPassword(ExpectNewPassword {
                    identity_id: "i".into(),
                    login_name: "n".into(),
                }),
            ),
            (
                r#"{"step":"key-card","identity_id":"i","challenge":null,"prefer_new":false}"#,
                Stored::KeyCard(ExpectKeyCode::new("i".into())),
            ),
        ];
        for (json, state) in cases {
            assert_eq!(
                serde_json::from_str::<Stored>(json).unwrap(),
                state,
                "{json}"
            );
            assert_eq!(serde_json::to_string(&state).unwrap(), json);
        }
        assert_eq!(
            Stored::KeyCard(ExpectKeyCode::new("i".into()).shown(challenge())).unanswered_key(),
            Some(("i", &challenge()))
        );
        assert_eq!(Stored::start().unanswered_key(), None);
    }
}
