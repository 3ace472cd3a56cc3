//! The password policy (MitID's rules): 8–64 characters, not containing the
//! holder's user ID, CPR number or username, not 10 digits in a row, not the
//! word "password", not a commonly used password.
//!
//! `common-passwords.txt` is the `passwords` frequency list of zxcvbn 4.4.28
//! (PyPI `zxcvbn`, Daniel Wolf's port of Dropbox's zxcvbn, MIT licence),
//! lowercased, deduplicated and sorted: 30,000 entries.

use std::collections::HashSet;
use std::sync::OnceLock;

use nyckel_cpr::Cpr;

use crate::ids::UserId;
use crate::secret::SecretString;

/// Length limits, counted in Unicode characters (not bytes), so that `æøå`
/// count as one each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordPolicy {
    pub min_len: usize,
    pub max_len: usize,
}

impl Default for PasswordPolicy {
    /// MitID: 8–64 characters.
    fn default() -> Self {
        Self {
            min_len: 8,
            max_len: 64,
        }
    }
}

/// Why a chosen password is refused. Messages are shown to the person
/// choosing it and never repeat the password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PasswordRejection {
    #[error("the password must be at least {min} characters long")]
    TooShort { min: usize },
    #[error("the password can be at most {max} characters long")]
    TooLong { max: usize },
    #[error("the password must not contain your user ID")]
    ContainsUserId,
    #[error("the password must not contain your CPR number")]
    ContainsCpr,
    #[error("the password must not contain your username")]
    ContainsAlias,
    #[error("the password must not contain the word \"password\"")]
    ContainsWordPassword,
    #[error("the password must not contain 10 digits in a row")]
    TenDigits,
    #[error("this password is too common: it is among the first ones attackers try")]
    Common,
    #[error("the password must not begin or end with a space")]
    LeadingOrTrailingSpace,
    #[error("the password must not contain line breaks, tabs or other control characters")]
    ControlCharacter,
}

/// "Password" in the languages our users write in, lowercase.
const PASSWORD_WORDS: [&str; 3] = ["password", "adgangskode", "kodeord"];

/// The bundled list of common passwords, lowercase, one per line.
fn common_passwords() -> &'static HashSet<&'static str> {
    static LIST: OnceLock<HashSet<&'static str>> = OnceLock::new();
    LIST.get_or_init(|| {
        include_str!("common-passwords.txt")
            .lines()
            .filter(|line| !line.is_empty())
            .collect()
    })
}

/// Whether `password` is on the bundled list of common passwords, ignoring case.
pub fn is_common(password: &str) -> bool {
    let lower = SecretString::new(password.to_lowercase());
    common_passwords().contains(lower.expose())
}

/// Whether `s` holds `n` ASCII digits in a row.
fn has_digit_run(s: &str, n: usize) -> bool {
    let mut run = 0;
    for b in s.bytes() {
        run = if b.is_ascii_digit() { run + 1 } else { 0 };
        if run >= n {
            return true;
        }
    }
    false
}

/// Checks a password the holder is choosing against `policy` and the rules
/// above. `alias` is the holder's username, if any. The first rule broken is
/// reported.
///
/// Numbers are matched on the password's digits alone, so the CPR number
/// written `DDMMYY-SSSS`, `DDMMYY SSSS` or `DDMMYY/SSSS` and the user ID
/// written `123 456 789` are refused as well as the plain digits.
pub fn check_password(
    policy: &PasswordPolicy,
    password: &SecretString,
    user_id: &UserId,
    cpr: &Cpr,
    alias: Option<&str>,
) -> Result<(), PasswordRejection> {
    let pw = password.expose();
    let len = pw.chars().count();
    if len > policy.max_len {
        return Err(PasswordRejection::TooLong {
            max: policy.max_len,
        });
    }
    if pw.chars().any(char::is_control) {
        return Err(PasswordRejection::ControlCharacter);
    }
    if pw.starts_with(char::is_whitespace) || pw.ends_with(char::is_whitespace) {
        return Err(PasswordRejection::LeadingOrTrailingSpace);
    }
    if len < policy.min_len {
        return Err(PasswordRejection::TooShort {
            min: policy.min_len,
        });
    }

    let digits = SecretString::new(pw.chars().filter(char::is_ascii_digit).collect::<String>());
    if digits.expose().contains(&user_id.to_string()) {
        return Err(PasswordRejection::ContainsUserId);
    }
    if digits.expose().contains(&cpr.compact()) {
        return Err(PasswordRejection::ContainsCpr);
    }

    let lower = SecretString::new(pw.to_lowercase());
    let alias = alias.map(|a| a.trim().to_lowercase());
    // An empty alias is contained in every string: it is no alias.
    if let Some(alias) = alias.filter(|a| !a.is_empty())
        && lower.expose().contains(&alias)
    {
        return Err(PasswordRejection::ContainsAlias);
    }
    if PASSWORD_WORDS.iter().any(|w| lower.expose().contains(w)) {
        return Err(PasswordRejection::ContainsWordPassword);
    }
    if has_digit_run(pw, 10) {
        return Err(PasswordRejection::TenDigits);
    }
    if common_passwords().contains(lower.expose()) {
        return Err(PasswordRejection::Common);
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap (no clippy.toml allows it in tests yet)
mod tests {
    use super::*;
    use nyckel_cpr::Date;
    use proptest::prelude::*;

    use PasswordRejection::*;

    fn today() -> Date {
        Date::new(2026, 11, 25).unwrap()
    }

    fn user() -> UserId {
        UserId::parse("482913576").unwrap()
    }

    fn cpr() -> Cpr {
        Cpr::parse("070761-4285", today()).unwrap()
    }

    fn check(pw: &str, alias: Option<&str>) -> Result<(), PasswordRejection> {
        check_password(
            &PasswordPolicy::default(),
            &SecretString::new(pw),
            &user(),
            &cpr(),
            alias,
        )
    }

    #[test]
    fn check_password_table() {
        let long_ok = "kæmpe lang sætning om æbler og pærer i haven, ".repeat(2);
        let sixty_four = format!("{}x", "æ9Ø".repeat(21));
        /// (name, password, alias, want)
        type Case<'a> = (
            &'a str,
            &'a str,
            Option<&'a str>,
            Result<(), PasswordRejection>,
        );
        let cases: &[Case] = &[
            ("ok_sentence", "Sommerhus ved Vesterhavet", None, Ok(())),
            ("ok_danish_letters", "rødgrød med fløde", None, Ok(())),
            ("ok_exactly_8", "Xq7!vR2m", None, Ok(())),
            ("ok_exactly_64_chars", &sixty_four, None, Ok(())),
            (
                "ok_with_alias_elsewhere",
                "Brug en god sætning",
                Some("jens.h"),
                Ok(()),
            ),
            (
                "ok_nine_digits_not_user_id",
                "Hus 123456789 i byen",
                None,
                Ok(()),
            ),
            ("ok_birth_date_alone", "Født 070761 i Aarhus", None, Ok(())),
            (
                "ok_empty_alias_ignored",
                "Sommerhus ved Vesterhavet",
                Some("  "),
                Ok(()),
            ),
            ("fail_empty", "", None, Err(TooShort { min: 8 })),
            ("fail_too_short", "Xq7!vR2", None, Err(TooShort { min: 8 })),
            (
                "fail_too_short_in_chars_not_bytes",
                "æøåæøåæ",
                None,
                Err(TooShort { min: 8 }),
            ),
            (
                "fail_too_long",
                &long_ok[..],
                None,
                Err(TooLong { max: 64 }),
            ),
            (
                "fail_65_chars",
                &"a".repeat(65)[..],
                None,
                Err(TooLong { max: 64 }),
            ),
            (
                "fail_user_id",
                "mit id 482913576!",
                None,
                Err(ContainsUserId),
            ),
            (
                "fail_user_id_spaced",
                "mit id 482 913 576!",
                None,
                Err(ContainsUserId),
            ),
            ("fail_cpr_compact", "Cpr0707614285x", None, Err(ContainsCpr)),
            ("fail_cpr_dash", "Cpr070761-4285x", None, Err(ContainsCpr)),
            ("fail_cpr_space", "Cpr 070761 4285", None, Err(ContainsCpr)),
            ("fail_cpr_slash", "født 070761/4285", None, Err(ContainsCpr)),
            (
                "fail_alias",
                "hej Jens.Hansen 2024",
                Some("jens.hansen"),
                Err(ContainsAlias),
            ),
            (
                "fail_alias_case_insensitive",
                "hej jens.hansen 2024",
                Some(" Jens.Hansen "),
                Err(ContainsAlias),
            ),
            (
                "fail_word_password",
                "MyPassword!2024",
                None,
                Err(ContainsWordPassword),
            ),
            (
                "fail_word_password_upper",
                "xxPASSWORDxx",
                None,
                Err(ContainsWordPassword),
            ),
            (
                "fail_word_adgangskode",
                "MinAdgangskode1",
                None,
                Err(ContainsWordPassword),
            ),
            (
                "fail_word_kodeord",
                "mitkodeord77",
                None,
                Err(ContainsWordPassword),
            ),
            (
                "fail_ten_digits",
                "tal 1122334455 her",
                None,
                Err(TenDigits),
            ),
            ("fail_only_digits", "98765432101", None, Err(TenDigits)),
            ("fail_common", "trustno1", None, Err(Common)),
            (
                "fail_common_case_insensitive",
                "QwertyUiop",
                None,
                Err(Common),
            ),
            ("fail_common_iloveyou", "iloveyou", None, Err(Common)),
            (
                "fail_leading_space",
                " Sommerhus ved havet",
                None,
                Err(LeadingOrTrailingSpace),
            ),
            (
                "fail_trailing_space",
                "Sommerhus ved havet ",
                None,
                Err(LeadingOrTrailingSpace),
            ),
            (
                "fail_trailing_nbsp",
                "Sommerhus ved havet\u{a0}",
                None,
                Err(LeadingOrTrailingSpace),
            ),
            (
                "fail_newline",
                "Sommerhus\nved havet",
                None,
                Err(ControlCharacter),
            ),
            (
                "fail_tab",
                "Sommerhus\tved havet",
                None,
                Err(ControlCharacter),
            ),
            (
                "fail_nul",
                "Sommerhus\0ved havet",
                None,
                Err(ControlCharacter),
            ),
        ];
        for (name, pw, alias, want) in cases {
            assert_eq!(check(pw, *alias), *want, "{name}");
        }
    }

    #[test]
    fn ok_custom_policy() {
        let policy = PasswordPolicy {
            min_len: 12,
            max_len: 20,
        };
        let run = |pw: &str| check_password(&policy, &SecretString::new(pw), &user(), &cpr(), None);
        assert_eq!(run("Xq7!vR2m"), Err(TooShort { min: 12 }));
        assert_eq!(run("Xq7!vR2m Xq7!vR2m Xq7!"), Err(TooLong { max: 20 }));
        assert_eq!(run("Xq7!vR2m Xq7!"), Ok(()));
    }

    #[test]
    fn ok_messages_never_contain_the_password() {
        let rejections = [
            TooShort { min: 8 },
            TooLong { max: 64 },
            ContainsUserId,
            ContainsCpr,
            ContainsAlias,
            ContainsWordPassword,
            TenDigits,
            Common,
            LeadingOrTrailingSpace,
            ControlCharacter,
        ];
        for r in rejections {
            let msg = r.to_string();
            assert!(!msg.is_empty());
            assert!(
                !msg.contains("482913576") && !msg.contains("0707614285"),
                "{msg}"
            );
        }
        // The message for a real rejection does not echo it either.
        let err = check("Sommerhus ved havet 482913576", None).unwrap_err();
        assert!(!err.to_string().contains("Sommerhus"));
    }

    #[test]
    fn ok_common_list_is_loaded_lowercase() {
        let list = common_passwords();
        assert!(list.len() > 20_000);
        assert!(list.iter().all(|p| !p.is_empty() && *p == p.to_lowercase()));
        assert!(is_common("Dragon"));
        assert!(!is_common("rødgrød med fløde"));
    }

    proptest! {
        #[test]
        fn prop_never_panics(pw in any::<String>(), alias in proptest::option::of(any::<String>())) {
            let _ = check(&pw, alias.as_deref());
        }

        #[test]
        fn prop_never_accepts_the_user_id(prefix in any::<String>(), suffix in any::<String>()) {
            let pw = format!("{prefix}{}{suffix}", user());
            prop_assert!(check(&pw, None).is_err());
        }

        #[test]
        fn prop_never_accepts_the_cpr(prefix in "[a-zæøå ]{0,20}", dash in proptest::bool::ANY) {
            let written = if dash { cpr().formatted() } else { cpr().compact() };
            let pw = format!("{prefix}{written}");
            prop_assert!(check(&pw, None).is_err());
        }
    }
}
