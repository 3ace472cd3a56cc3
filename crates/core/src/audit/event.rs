//! What an audit entry says happened: one variant per kind of event, with
//! its parameters and a copy of what it names (a service provider's name
//! is copied into the entry, so that the holder's activity still names it
//! after `nyckel client delete`).
//!
//! The stored form is unchanged from the string events before it: the
//! variant's name is the entry's `action` (`login.failed`, …) and its
//! fields the JSON `detail`, so entries written before this type existed
//! read back as the same variants, and the hash chain covers exactly what
//! is stored. Renderers (the activity page, later in three languages)
//! match on the variant, never on strings; an entry whose action this
//! version does not know reads back as [`AuditEvent::Unknown`].

use serde::{Deserialize, Serialize};

/// Why a login attempt failed (the `reason` of `login.failed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LoginFailure {
    /// A name that matches nobody (the attempt is padded to a hash's time).
    UnknownUser,
    WrongPassword,
    WrongActivationCode,
    WrongKeyCard,
    /// A key shown and never answered (the login was left, or another
    /// login showed a key of the card since): it counts as a wrong code.
    UnansweredKeyCard,
    /// The credential was blocked or paused when the attempt came.
    Locked,
    /// The identity has no password or live activation code to try.
    NoCredential,
    /// A reason this version does not know (an entry from a newer nyckel).
    #[serde(other)]
    Other,
}

impl LoginFailure {
    /// The failure for a wrong secret of credential kind `kind`
    /// (`password`, `activation-code`, `key-card`).
    pub fn wrong(kind: &str) -> Self {
        match kind {
            "password" => Self::WrongPassword,
            "activation-code" => Self::WrongActivationCode,
            "key-card" => Self::WrongKeyCard,
            _ => Self::Other,
        }
    }
}

/// What a block or unblock acted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BlockedPart {
    Password,
    KeyCard,
    Identity,
    #[serde(other)]
    Other,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// An audited event. `#[serde(rename)]` is the stored `action`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", content = "detail")]
pub enum AuditEvent {
    // ----- enrollment and the register -----
    #[serde(rename = "enrollment.accepted")]
    EnrollmentAccepted {
        user_id: String,
        channel: String,
        #[serde(default)]
        documents: Vec<String>,
        #[serde(default)]
        witness: bool,
        #[serde(default)]
        letters: Vec<String>,
    },
    #[serde(rename = "enrollment.refused")]
    EnrollmentRefused {
        rule: String,
        channel: String,
        #[serde(default)]
        documents: Vec<String>,
    },
    #[serde(rename = "population.imported")]
    PopulationImported {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        file: Option<String>,
        source: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        format: Option<String>,
        rows: u64,
        inserted: u64,
        changed: u64,
        unchanged: u64,
    },
    /// The holder reported that the register's name or address is wrong.
    #[serde(rename = "register.reported")]
    RegisterReported { report: String },

    // ----- login -----
    #[serde(rename = "login.succeeded")]
    LoginSucceeded {
        /// A copy of the service's name ("My nyckel" or the provider's).
        service: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_id: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        scope: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        amr: Option<Vec<String>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        loa: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ip: Option<String>,
    },
    #[serde(rename = "login.failed")]
    LoginFailed {
        reason: LoginFailure,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        trust: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ip: Option<String>,
    },
    #[serde(rename = "password.set")]
    PasswordSet,
    /// A change of password from My nyckel: `sessions` other sessions
    /// ended and `tokens` tokens held by services revoked with it.
    #[serde(rename = "password.changed")]
    PasswordChanged { sessions: u64, tokens: u64 },
    #[serde(rename = "terms.accepted")]
    TermsAccepted { version: u32 },
    #[serde(rename = "identity.activated")]
    IdentityActivated,
    #[serde(rename = "alias.set")]
    AliasSet,

    // ----- credentials and blocking -----
    #[serde(rename = "credential.blocked")]
    CredentialBlocked {
        credential: String,
        credential_id: String,
        reason: String,
    },
    /// Logins from devices not trusted before are paused until `until`.
    #[serde(rename = "credential.untrusted-locked")]
    CredentialUntrustedLocked { credential: String, until: i64 },
    #[serde(rename = "key-card.ordered")]
    KeyCardOrdered {
        card_id: String,
        letter: String,
        keys_left_on_old_card: i64,
    },
    #[serde(rename = "block")]
    Blocked { what: BlockedPart, reason: String },
    #[serde(rename = "unblock")]
    Unblocked {
        what: BlockedPart,
        reason: String,
        #[serde(default)]
        letter: Option<String>,
    },

    // ----- letters -----
    #[serde(rename = "outbox.printed")]
    LetterPrinted {
        letter: String,
        kind: String,
        format: String,
    },
    #[serde(rename = "outbox.dispatched")]
    LetterDispatched { letter: String, kind: String },

    // ----- the OpenID provider -----
    #[serde(rename = "oidc.consent.given")]
    ConsentGiven {
        client_id: String,
        /// A copy of the provider's name when consent was given.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        service: Option<String>,
        scope: String,
    },
    #[serde(rename = "oidc.consent.withdrawn")]
    ConsentWithdrawn {
        client_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        service: Option<String>,
    },
    #[serde(rename = "oidc.code.replayed")]
    CodeReplayed { revoked_tokens: u64 },
    #[serde(rename = "oidc.refresh.reused")]
    RefreshReused { revoked_tokens: u64 },
    #[serde(rename = "oidc.cpr-match")]
    CprMatch { matched: bool },
    #[serde(rename = "oidc.keys.rotated")]
    KeysRotated { new_kids: Vec<String> },
    #[serde(rename = "oidc.client.added")]
    ClientAdded {
        name: String,
        auth_method: String,
        #[serde(default, skip_serializing_if = "is_false")]
        allow_cpr: bool,
        /// Seconds (absent in entries from before the setting existed).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        access_token_lifetime: Option<i64>,
    },
    #[serde(rename = "oidc.client.changed")]
    ClientChanged { id_token_alg: String },
    #[serde(rename = "oidc.client.secret-rotated")]
    ClientSecretRotated,
    #[serde(rename = "oidc.client.disabled")]
    ClientDisabled {
        name: String,
        previous_status: String,
    },
    #[serde(rename = "oidc.client.enabled")]
    ClientEnabled {
        name: String,
        previous_status: String,
    },
    #[serde(rename = "oidc.client.deleted")]
    ClientDeleted { name: String, status: String },

    /// An entry whose action this version does not know (written by a
    /// newer nyckel): kept, shown as its action. Never written.
    #[serde(skip)]
    Unknown { action: String },
}

impl AuditEvent {
    /// The stored `action` and `detail` (a JSON object, `{}` when none).
    pub fn to_stored(&self) -> (String, serde_json::Value) {
        if let AuditEvent::Unknown { action } = self {
            return (action.clone(), serde_json::json!({}));
        }
        match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(mut m)) => {
                let action = match m.remove("action") {
                    Some(serde_json::Value::String(a)) => a,
                    _ => String::new(),
                };
                let detail = m
                    .remove("detail")
                    .filter(|d| d.is_object())
                    .unwrap_or_else(|| serde_json::json!({}));
                (action, detail)
            }
            _ => (String::new(), serde_json::json!({})),
        }
    }

    /// The event a stored entry records. An unknown action, or a detail
    /// this version cannot read, gives [`AuditEvent::Unknown`].
    pub fn from_stored(action: &str, detail: &str) -> Self {
        let detail: serde_json::Value =
            serde_json::from_str(detail).unwrap_or_else(|_| serde_json::json!({}));
        let unit = detail.as_object().is_some_and(|m| m.is_empty());
        let tagged = if unit {
            // Unit variants are stored with `{}`: try both shapes.
            serde_json::json!({ "action": action })
        } else {
            serde_json::json!({ "action": action, "detail": detail })
        };
        serde_json::from_value(tagged)
            .or_else(|_| {
                serde_json::from_value(serde_json::json!({ "action": action, "detail": detail }))
            })
            .unwrap_or(AuditEvent::Unknown {
                action: action.to_owned(),
            })
    }

    /// The stored action name.
    pub fn action(&self) -> String {
        self.to_stored().0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_variant() -> Vec<AuditEvent> {
        use AuditEvent::*;
        vec![
            EnrollmentAccepted {
                user_id: "123456789".into(),
                channel: "citizen-service".into(),
                documents: vec!["passport".into()],
                witness: false,
                letters: vec!["l1".into(), "l2".into()],
            },
            EnrollmentRefused {
                rule: "age".into(),
                channel: "bank".into(),
                documents: vec![],
            },
            PopulationImported {
                file: Some("cpr.csv".into()),
                source: "CPR".into(),
                format: Some("csv".into()),
                rows: 3,
                inserted: 2,
                changed: 1,
                unchanged: 0,
            },
            RegisterReported {
                report: "r1".into(),
            },
            LoginSucceeded {
                service: "Borger.dk".into(),
                client_id: Some("borger".into()),
                scope: Some("openid".into()),
                amr: Some(vec!["pwd".into(), "otp".into()]),
                loa: Some("substantial".into()),
                ip: Some("127.0.0.1".into()),
            },
            LoginFailed {
                reason: LoginFailure::WrongKeyCard,
                trust: Some("untrusted".into()),
                ip: None,
            },
            PasswordSet,
            PasswordChanged {
                sessions: 1,
                tokens: 2,
            },
            TermsAccepted { version: 1 },
            IdentityActivated,
            AliasSet,
            CredentialBlocked {
                credential: "key-card".into(),
                credential_id: "c1".into(),
                reason: "too many wrong attempts".into(),
            },
            CredentialUntrustedLocked {
                credential: "password".into(),
                until: 5,
            },
            KeyCardOrdered {
                card_id: "K1".into(),
                letter: "l".into(),
                keys_left_on_old_card: 10,
            },
            Blocked {
                what: BlockedPart::KeyCard,
                reason: "lost".into(),
            },
            Unblocked {
                what: BlockedPart::Password,
                reason: "found".into(),
                letter: Some("l".into()),
            },
            LetterPrinted {
                letter: "l".into(),
                kind: "key-card".into(),
                format: "text".into(),
            },
            LetterDispatched {
                letter: "l".into(),
                kind: "key-card".into(),
            },
            ConsentGiven {
                client_id: "c".into(),
                service: Some("Bank".into()),
                scope: "openid profile".into(),
            },
            ConsentWithdrawn {
                client_id: "c".into(),
                service: None,
            },
            CodeReplayed { revoked_tokens: 2 },
            RefreshReused { revoked_tokens: 1 },
            CprMatch { matched: true },
            KeysRotated {
                new_kids: vec!["k".into()],
            },
            ClientAdded {
                name: "Bank".into(),
                auth_method: "client_secret_basic".into(),
                allow_cpr: true,
                access_token_lifetime: Some(900),
            },
            ClientChanged {
                id_token_alg: "RS256".into(),
            },
            ClientSecretRotated,
            ClientDisabled {
                name: "Bank".into(),
                previous_status: "active".into(),
            },
            ClientEnabled {
                name: "Bank".into(),
                previous_status: "disabled".into(),
            },
            ClientDeleted {
                name: "Bank".into(),
                status: "active".into(),
            },
        ]
    }

    #[test]
    fn ok_every_event_reads_back_as_itself() {
        for e in every_variant() {
            let (action, detail) = e.to_stored();
            assert!(!action.is_empty(), "{e:?}");
            assert!(detail.is_object(), "{e:?}: detail is an object");
            assert_eq!(AuditEvent::from_stored(&action, &detail.to_string()), e);
        }
    }

    #[test]
    fn ok_entries_written_as_strings_before_read_as_events() {
        // As the string events of earlier versions stored them.
        let cases = [
            (
                "login.failed",
                r#"{"reason":"wrong-password","trust":"untrusted","ip":"10.0.0.1"}"#,
                AuditEvent::LoginFailed {
                    reason: LoginFailure::WrongPassword,
                    trust: Some("untrusted".into()),
                    ip: Some("10.0.0.1".into()),
                },
            ),
            ("password.set", "{}", AuditEvent::PasswordSet),
            ("alias.set", "{}", AuditEvent::AliasSet),
            (
                "oidc.consent.given",
                r#"{"client_id":"bank","scope":"openid"}"#,
                AuditEvent::ConsentGiven {
                    client_id: "bank".into(),
                    service: None,
                    scope: "openid".into(),
                },
            ),
            (
                "block",
                r#"{"what":"identity","reason":"holder"}"#,
                AuditEvent::Blocked {
                    what: BlockedPart::Identity,
                    reason: "holder".into(),
                },
            ),
        ];
        for (action, detail, want) in cases {
            assert_eq!(AuditEvent::from_stored(action, detail), want, "{action}");
        }
    }

    #[test]
    fn ok_unknown_actions_and_unreadable_details_are_kept_as_unknown() {
        for (action, detail) in [
            ("approval.granted", "{}"),
            ("login.failed", "not json"),
            ("login.failed", r#"{"trust":"untrusted"}"#),
        ] {
            assert_eq!(
                AuditEvent::from_stored(action, detail),
                AuditEvent::Unknown {
                    action: action.into()
                }
            );
        }
        assert_eq!(
            AuditEvent::from_stored("login.failed", r#"{"reason":"from-the-future"}"#),
            AuditEvent::LoginFailed {
                reason: LoginFailure::Other,
                trust: None,
                ip: None
            }
        );
    }
}
