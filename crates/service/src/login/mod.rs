//! Login steps (R-AUTH-1): name, password (reserved before the hash,
//! settled after), activation code, new password, terms, key card and
//! completion, each in the transaction that moves its flow.
//!
//! One module per step; each step is one service function that reads the
//! flow, checks that it is at the step (`core::authn::flow`: the state's
//! transition refuses otherwise), does the step's work and moves the flow
//! on by compare-and-set in the same transaction, and returns what the
//! browser is to be shown ([`Outcome`]). `flow` stores the states
//! (load, save, re-key, finish, abandon); the web tier never sees a
//! transaction or the store.

use nyckel_core::alias::LoginName;
use nyckel_core::assurance::AuthMethod;
use nyckel_core::audit::{AuditEvent, LoginFailure, NewAuditEvent};
use nyckel_core::authn::flow::{AnsweringKey, Stored};
use nyckel_core::credential::{CredentialKind, CredentialStatus, IdentityStatus};
use nyckel_core::keycard::{self, KeyNumber};
use nyckel_core::lockout::{self, Trust};
use nyckel_core::password::{PasswordPolicy, PasswordRejection, check_password};
use nyckel_core::secret::{SecretString, ct_eq};
use nyckel_oidc::request::AuthorizationRequest;
use nyckel_store::{CredentialRow, IdentityRow, NewCredential, StoreError, Tx};

use crate::*;

mod complete;
mod flow;
mod identify;
mod key_card;
mod new_password;
mod password;
mod terms;

pub use complete::{Authorized, ConsentOutcome};
pub use flow::{Continuation, count_if_abandoned};
pub use nyckel_core::authn::flow::{Authentication, Challenge, ExpectConsent};

/// The outcome of the password step.
#[derive(Debug)]
pub enum PasswordStep {
    /// The password was right.
    Password(IdentityRow),
    /// The activation code was right: the holder must choose a password.
    ActivationCode(IdentityRow),
    /// Right password, but the identity is blocked.
    IdentityBlocked(IdentityStatus),
    /// Wrong user or password, or not allowed to try now: one answer for
    /// all, but for the end of a pause of untrusted attempts, which a
    /// name that matches nobody gets after the same failures.
    Refused { paused_until: Option<i64> },
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
    /// Wrong; `remaining` more wrong codes block the card.
    Wrong {
        remaining: u32,
    },
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
    /// This was the holder's first login: the nyckel is activated now.
    pub activated: bool,
}

fn trust_name(t: Trust) -> &'static str {
    match t {
        Trust::TrustedDevice => "trusted-device",
        Trust::Untrusted => "untrusted",
    }
}

/// Why a login step could not run: the flow is gone or the form not its
/// own, or another request moved it first; or nyckel failed.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// The flow cookie is missing or the flow expired.
    #[error("the login flow is missing or expired")]
    Expired,
    /// A form's CSRF token did not match the flow's.
    #[error("the form does not belong to the login flow")]
    Csrf,
    /// Another request moved the flow on first: this one did nothing
    /// (its transaction rolled back).
    #[error("another request moved the login flow first")]
    Moved,
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<StoreError> for LoginError {
    fn from(e: StoreError) -> Self {
        LoginError::Service(e.into())
    }
}

impl From<crate::hashing::HashError> for LoginError {
    fn from(e: crate::hashing::HashError) -> Self {
        LoginError::Service(e.into())
    }
}

/// The page for the step a flow is at, with what it needs.
#[derive(Debug)]
pub struct Shown {
    /// The flow's CSRF token, for the page's form.
    pub csrf: String,
    pub view: LoginView,
    /// The first language of the provider's `ui_locales` that nyckel
    /// speaks: the page's language unless the holder chose one.
    pub ui_locales: Option<nyckel_core::lang::Lang>,
    /// The registered name of the service that asked for the login, if
    /// a service did (else the login is for My nyckel).
    pub service: Option<String>,
    /// The flow blocks a lost key card: the password only, no login.
    pub lost_card: bool,
    /// The flow changes the password of a holder logged in.
    pub change_password: bool,
}

/// What a login page shows.
#[derive(Debug)]
pub enum LoginView {
    Identify,
    Password {
        login_name: String,
    },
    NewPassword {
        login_name: String,
    },
    Terms {
        name: String,
        address: String,
        reported: bool,
    },
    /// The key shown (consumed), and a new card that has arrived but is
    /// not yet in use, unless the key is from it.
    KeyCode {
        key_number: KeyNumber,
        card_id: String,
        pending_card: Option<String>,
    },
    Consent {
        request: Box<AuthorizationRequest>,
        client: Box<crate::provider::Client>,
    },
    /// Confirm the block of the usable `cards` (their numbers); a new card
    /// goes to `address`, the register's.
    /// The block of a lost card, to be confirmed: what it would do.
    LostCard(crate::CardBlockPreview),
}

/// What was wrong with a form that is shown again.
#[derive(Debug)]
pub enum Problem {
    /// Not a user ID, CPR number or username (the parser's reason).
    InvalidName(String),
    /// Wrong user, password or activation code, or not allowed to try
    /// now: one answer for all.
    WrongUserOrPassword,
    /// Attempts from browsers this holder has not logged in with are
    /// paused after repeated failures, until `until` (unix seconds): the
    /// password was not checked. Said alike for names that match nobody.
    Paused {
        until: i64,
    },
    PasswordsDiffer,
    /// Changing the password: the new one is the current one.
    PasswordUnchanged,
    PasswordRejected(PasswordRejection),
    TermsNotAccepted,
    ReportInvalid,
    /// The code of this key was wrong; a new key is shown. `remaining`
    /// more wrong codes block the card (the holder is warned at one).
    WrongCode {
        key: KeyNumber,
        remaining: u32,
    },
}

/// Why a login ended without a session. The flow is gone.
#[derive(Debug)]
pub enum Ending {
    /// Too many attempts from the browser's network (the soft throttle).
    Throttled,
    IdentityBlocked,
    /// No key card can ask for a code: `blocked` when a card is blocked
    /// (by the holder, support or wrong codes), else the cards are used up
    /// or none was issued.
    NoUsableCard {
        blocked: bool,
    },
    CardBlocked,
    /// Another login showed a key of this card since: this one ends.
    Superseded(KeyNumber),
    /// The activation code this login passed has been used since (by
    /// another login that chose a password with it): this one ends.
    ActivationCodeUsed,
}

/// A completed login: the cookies to set and what the flow continues into.
#[derive(Debug)]
pub struct LoggedIn {
    pub session_cookie: String,
    pub device_cookie: String,
    pub continuation: Continuation,
    /// A record of the login for the provider's code (not the proof,
    /// which opened the session and is gone).
    pub login: ExpectConsent,
    /// The first login: the nyckel became ready with it.
    pub activated: bool,
}

/// What a step tells the browser.
#[derive(Debug)]
pub enum Outcome {
    /// The form is not for the step the flow is at: show that step.
    Elsewhere,
    /// The flow moved on: show the step it is at now (`GET /login`).
    Next,
    /// The next step's page, at once.
    Show(Shown),
    /// The same step again, saying what was wrong.
    Again(Shown, Problem),
    /// A factor was proven: the flow goes on under a new cookie (and CSRF
    /// token), with the next page at once or by `GET /login`.
    Rekeyed {
        flow_cookie: String,
        shown: Option<Shown>,
    },
    Ended(Ending),
    LoggedIn(Box<LoggedIn>),
    /// The password was changed (from My nyckel); the flow has ended.
    PasswordChanged,
}

/// A short public id of a session (the `sid` claim): not the cookie.
pub fn session_id(session_cookie: &str) -> String {
    sid_of_hash(&cookie_hash(session_cookie))
}

/// [`session_id`] from the session's key (the cookie's SHA-256).
pub fn sid_of_hash(session_hash: &str) -> String {
    session_hash.get(..22).unwrap_or(session_hash).to_owned()
}

/// Why no key card could ask for a code, from the identity's live cards.
pub(crate) fn no_usable_card(cards: &[nyckel_store::CredentialRow]) -> Ending {
    Ending::NoUsableCard {
        blocked: cards
            .iter()
            .any(|c| c.kind == CredentialKind::KeyCard && c.status.is_blocked()),
    }
}
