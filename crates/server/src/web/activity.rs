//! The holder's activity (My nyckel): what an audit entry about them says,
//! in words, from the typed event — never its stored action name.
//! The texts are in the message catalogs (`act-…`).

use nyckel_core::audit::{AuditEvent, BlockedPart, LoginFailure};
use nyckel_i18n::Tr;

/// One line of the activity list, in the holder's language.
pub(crate) fn text(t: Tr, event: &AuditEvent) -> String {
    use AuditEvent::*;
    match event {
        // No client: the login was to My nyckel itself (the entry keeps
        // its English name), named in the page's language.
        LoginSucceeded {
            client_id: None, ..
        } => t.arg("act-logged-in", "service", t.get("nav-my")),
        LoginSucceeded { service, .. } => t.arg("act-logged-in", "service", service),
        LoginFailed { reason, .. } => t.get(match reason {
            LoginFailure::WrongKeyCard => "act-wrong-key-card",
            LoginFailure::UnansweredKeyCard => "act-unanswered-key-card",
            LoginFailure::WrongPassword | LoginFailure::WrongActivationCode => "act-wrong-password",
            LoginFailure::Locked => "act-locked",
            LoginFailure::UnknownUser | LoginFailure::NoCredential | LoginFailure::Other => {
                "act-failed"
            }
        }),
        Blocked { what, .. } => t.arg("act-blocked", "part", part(*what)),
        Unblocked { what, .. } => t.arg("act-unblocked", "part", part(*what)),
        CredentialBlocked { credential, .. } => {
            t.arg("act-credential-locked", "credential", credential)
        }
        CredentialUntrustedLocked { .. } => t.get("act-untrusted-locked"),
        PasswordSet => t.get("act-password-set"),
        PasswordChanged { .. } => t.get("act-password-changed"),
        TermsAccepted { .. } => t.get("act-terms-accepted"),
        IdentityActivated => t.get("act-activated"),
        EnrollmentAccepted { .. } => t.get("act-issued"),
        EnrollmentRefused { .. } => t.get("act-refused"),
        KeyCardOrdered { .. } => t.get("act-card-ordered"),
        AliasSet => t.get("act-alias-set"),
        ConsentGiven { service, .. } => match service {
            Some(name) => t.arg("act-consent-given", "service", name),
            None => t.get("act-consent-given-unnamed"),
        },
        ConsentWithdrawn { service, .. } => match service {
            Some(name) => t.arg("act-consent-withdrawn", "service", name),
            None => t.get("act-consent-withdrawn-unnamed"),
        },
        RegisterReported { .. } => t.get("act-register-reported"),
        LetterPrinted { kind, .. } => t.arg("act-letter-printed", "kind", kind),
        LetterDispatched { kind, .. } => t.arg("act-letter-sent", "kind", kind),
        CodeReplayed { .. } | RefreshReused { .. } => t.get("act-replayed"),
        CprMatch { .. } => t.get("act-cpr-match"),
        PopulationImported { .. } => t.get("act-imported"),
        KeysRotated { .. }
        | ClientAdded { .. }
        | ClientChanged { .. }
        | ClientSecretRotated
        | ClientDisabled { .. }
        | ClientEnabled { .. }
        | ClientDeleted { .. }
        | Unknown { .. } => t.get("act-other"),
    }
}

/// Where it happened from, when the entry says (the address of a login).
pub(crate) fn place(event: &AuditEvent) -> String {
    match event {
        AuditEvent::LoginSucceeded { ip, .. } | AuditEvent::LoginFailed { ip, .. } => {
            ip.clone().unwrap_or_default()
        }
        _ => String::new(),
    }
}

/// The select key of a blocked part in the catalogs.
fn part(what: BlockedPart) -> &'static str {
    match what {
        BlockedPart::Password => "password",
        BlockedPart::KeyCard => "key-card",
        BlockedPart::Identity => "identity",
        BlockedPart::Other => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ok_no_line_is_a_stored_action_name() {
        for (action, detail) in [
            (
                "outbox.printed",
                r#"{"letter":"l","kind":"key-card","format":"text"}"#,
            ),
            (
                "oidc.consent.given",
                r#"{"client_id":"bank","scope":"openid profile"}"#,
            ),
            (
                "credential.blocked",
                r#"{"credential":"key-card","credential_id":"c","reason":"x"}"#,
            ),
            ("approval.granted", "{}"),
        ] {
            for lang in nyckel_i18n::Lang::ALL {
                let line = text(Tr::new(lang), &AuditEvent::from_stored(action, detail));
                assert!(!line.contains(action), "{line}");
                assert!(!line.contains('.') && !line.contains('-'), "{line}");
            }
        }
    }

    #[test]
    fn ok_a_consent_names_the_service_copied_into_the_entry() {
        let e = AuditEvent::ConsentGiven {
            client_id: "bank".into(),
            service: Some("Danske Bank".into()),
            scope: "openid profile ssn".into(),
        };
        assert_eq!(
            text(Tr::new(nyckel_i18n::Lang::En), &e),
            "Allowed Danske Bank to get your details"
        );
        for lang in nyckel_i18n::Lang::ALL {
            assert!(text(Tr::new(lang), &e).contains("Danske Bank"));
        }
    }
}
