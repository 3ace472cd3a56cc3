//! The holder's activity (My nyckel): what an audit entry about them says,
//! in words, from the typed event — never its stored action name.
//! (Issue 9 moves these texts into the message catalogs.)

use nyckel_core::audit::{AuditEvent, BlockedPart, LoginFailure};

/// One line of the activity list.
pub(crate) fn text(event: &AuditEvent) -> String {
    use AuditEvent::*;
    match event {
        LoginSucceeded { service, .. } => format!("Logged in to {service}"),
        LoginFailed { reason, .. } => match reason {
            LoginFailure::WrongKeyCard => "Wrong key-card code entered".into(),
            LoginFailure::UnansweredKeyCard => {
                "A key-card code was asked for and not entered (counts as a wrong code)".into()
            }
            LoginFailure::WrongPassword | LoginFailure::WrongActivationCode => {
                "Wrong password entered".into()
            }
            LoginFailure::Locked => "Login attempt while your nyckel was paused or blocked".into(),
            LoginFailure::UnknownUser | LoginFailure::NoCredential | LoginFailure::Other => {
                "Failed login attempt".into()
            }
        },
        Blocked { what, .. } => format!("Blocked: {}", part(*what)),
        Unblocked { what, .. } => format!("Unblocked: {}", part(*what)),
        CredentialBlocked { credential, .. } => format!(
            "{} blocked after too many wrong attempts",
            credential_name(credential)
        ),
        CredentialUntrustedLocked { .. } => {
            "Logins from unknown devices paused after wrong attempts".into()
        }
        PasswordSet => "Password chosen".into(),
        TermsAccepted { .. } => "Terms of use accepted".into(),
        IdentityActivated => "nyckel activated".into(),
        EnrollmentAccepted { .. } => "nyckel issued".into(),
        EnrollmentRefused { .. } => "An application for nyckel was refused".into(),
        KeyCardOrdered { .. } => "New key card sent".into(),
        AliasSet => "Username changed".into(),
        ConsentGiven { service, .. } => format!(
            "Allowed {} to get your details",
            service.as_deref().unwrap_or("a service")
        ),
        ConsentWithdrawn { service, .. } => format!(
            "Withdrew {}'s access to your details",
            service.as_deref().unwrap_or("a service")
        ),
        RegisterReported { .. } => "Reported wrong name or address".into(),
        LetterPrinted { kind, .. } => format!("Letter printed: {}", letter_name(kind)),
        LetterDispatched { kind, .. } => format!("Letter sent: {}", letter_name(kind)),
        CodeReplayed { .. } | RefreshReused { .. } => {
            "A service's sign-in was used twice: its access was stopped".into()
        }
        CprMatch { .. } => "A service checked a CPR number against yours".into(),
        PopulationImported { .. } => "Your details were updated from the register".into(),
        KeysRotated { .. }
        | ClientAdded { .. }
        | ClientChanged { .. }
        | ClientSecretRotated
        | ClientDisabled { .. }
        | ClientEnabled { .. }
        | ClientDeleted { .. }
        | Unknown { .. } => "Other activity".into(),
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

fn part(what: BlockedPart) -> &'static str {
    match what {
        BlockedPart::Password => "password",
        BlockedPart::KeyCard => "key card",
        BlockedPart::Identity => "your whole nyckel",
        BlockedPart::Other => "a credential",
    }
}

fn credential_name(kind: &str) -> &'static str {
    match kind {
        "password" => "Password",
        "key-card" => "Key card",
        "activation-code" => "Activation code",
        _ => "A credential",
    }
}

fn letter_name(kind: &str) -> &'static str {
    match kind {
        "key-card" => "key card",
        "activation-letter" => "activation letter",
        _ => "letter",
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
            let line = text(&AuditEvent::from_stored(action, detail));
            assert!(!line.contains(action), "{line}");
            assert!(!line.contains('.') && !line.contains('-'), "{line}");
        }
    }

    #[test]
    fn ok_a_consent_names_the_service_copied_into_the_entry() {
        let e = AuditEvent::ConsentGiven {
            client_id: "bank".into(),
            service: Some("Danske Bank".into()),
            scope: "openid profile ssn".into(),
        };
        assert_eq!(text(&e), "Allowed Danske Bank to get your details");
    }
}
