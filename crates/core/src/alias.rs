//! The self-chosen username (*selvvalgt bruger-id*) and the login name a
//! person types: user ID, CPR number or username.
//!
//! A username always contains a letter, so it can never be read as a CPR
//! number, a 9-digit user ID or any other number: [`LoginName::parse`] can
//! tell the three apart from the text alone.

use std::fmt;

use nyckel_cpr::{Cpr, Date};
use serde::{Deserialize, Serialize};

use crate::ids::UserId;

/// A username, normalized: trimmed, lowercase, inner whitespace collapsed to
/// one space. Two usernames that differ only in case or spacing are the same.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Alias(String);

/// Why a username is refused. Messages never repeat the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AliasRejection {
    #[error("a username must be at least 5 characters long")]
    TooShort,
    #[error("a username can be at most 48 characters long")]
    TooLong,
    #[error("a username may contain only letters, digits, spaces and the characters - _ . @ '")]
    InvalidCharacter,
    #[error("a username must contain at least one letter")]
    NoLetter,
}

impl Alias {
    pub const MIN_LEN: usize = 5;
    pub const MAX_LEN: usize = 48;

    /// Normalizes `s` and checks it: 5–48 characters (after normalizing) of
    /// letters, ASCII digits, space and `- _ . @ '`, at least one a letter.
    ///
    /// Letters are Unicode letters as they come: decomposed accents (a letter
    /// followed by a combining mark) are refused, since browsers send the
    /// composed form.
    pub fn parse(s: &str) -> Result<Self, AliasRejection> {
        let normalized = s
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase();
        let len = normalized.chars().count();
        if len < Self::MIN_LEN {
            return Err(AliasRejection::TooShort);
        }
        if len > Self::MAX_LEN {
            return Err(AliasRejection::TooLong);
        }
        if !normalized.chars().all(allowed) {
            return Err(AliasRejection::InvalidCharacter);
        }
        if !normalized.chars().any(char::is_alphabetic) {
            return Err(AliasRejection::NoLetter);
        }
        Ok(Self(normalized))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn allowed(c: char) -> bool {
    c.is_alphabetic() || c.is_ascii_digit() || matches!(c, ' ' | '-' | '_' | '.' | '@' | '\'')
}

impl fmt::Display for Alias {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Alias {
    type Error = AliasRejection;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Alias> for String {
    fn from(a: Alias) -> String {
        a.0
    }
}

/// What a person typed in the login field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginName {
    UserId(UserId),
    Cpr(Cpr),
    Alias(Alias),
}

/// The login field holds neither a user ID, a CPR number nor a username.
/// One message for all cases: the login page need not teach the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("enter your user ID, CPR number or username")]
pub struct LoginNameError;

impl LoginName {
    /// Reads a login name: 9 digits are a user ID, 10 digits or
    /// `DDMMYY-SSSS` a CPR number (checked against `today`), anything with a
    /// letter a username. Spaces inside a number are ignored (`123 456 789`).
    pub fn parse(input: &str, today: Date) -> Result<Self, LoginNameError> {
        let input = input.trim();
        if input.chars().any(char::is_alphabetic) {
            return Alias::parse(input)
                .map(Self::Alias)
                .map_err(|_| LoginNameError);
        }
        let number: String = input.chars().filter(|c| !c.is_whitespace()).collect();
        let b = number.as_bytes();
        let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
        match b.len() {
            9 if digits(b) => UserId::parse(&number)
                .map(Self::UserId)
                .map_err(|_| LoginNameError),
            10 if digits(b) => Self::cpr(&number, today),
            11 if b[6] == b'-' && digits(&b[..6]) && digits(&b[7..]) => Self::cpr(&number, today),
            _ => Err(LoginNameError),
        }
    }

    fn cpr(number: &str, today: Date) -> Result<Self, LoginNameError> {
        Cpr::parse(number, today)
            .map(Self::Cpr)
            .map_err(|_| LoginNameError)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap (no clippy.toml allows it in tests yet)
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn today() -> Date {
        Date::new(2026, 11, 25).unwrap()
    }

    #[test]
    fn alias_parse_table() {
        let cases: &[(&str, &str, Result<&str, AliasRejection>)] = &[
            ("ok_plain", "jensh", Ok("jensh")),
            ("ok_lowercased", "JensH", Ok("jensh")),
            ("ok_danish_letters", "Søren Ærø Åby", Ok("søren ærø åby")),
            ("ok_trimmed", "  jens.hansen \n", Ok("jens.hansen")),
            (
                "ok_inner_space_collapsed",
                "jens \t  hansen",
                Ok("jens hansen"),
            ),
            (
                "ok_punctuation",
                "o'brien-smith_2@dk.",
                Ok("o'brien-smith_2@dk."),
            ),
            ("ok_one_letter", "1234567890a", Ok("1234567890a")),
            ("ok_other_script", "Ωmega", Ok("ωmega")),
            ("ok_exactly_5", "abcde", Ok("abcde")),
            ("ok_exactly_48", &"a".repeat(48), Ok(&"a".repeat(48))),
            ("fail_empty", "", Err(AliasRejection::TooShort)),
            ("fail_4_chars", "abcd", Err(AliasRejection::TooShort)),
            (
                "fail_short_after_trim",
                "  abcd  ",
                Err(AliasRejection::TooShort),
            ),
            (
                "fail_short_after_collapse",
                "a     b",
                Err(AliasRejection::TooShort),
            ),
            (
                "fail_49_chars",
                &"a".repeat(49),
                Err(AliasRejection::TooLong),
            ),
            (
                "fail_cpr_digits",
                "0707614285",
                Err(AliasRejection::NoLetter),
            ),
            (
                "fail_cpr_dash",
                "070761-4285",
                Err(AliasRejection::NoLetter),
            ),
            ("fail_user_id", "123456789", Err(AliasRejection::NoLetter)),
            (
                "fail_punctuation_only",
                "..-@_",
                Err(AliasRejection::NoLetter),
            ),
            (
                "fail_slash",
                "jens/hansen",
                Err(AliasRejection::InvalidCharacter),
            ),
            (
                "fail_angle",
                "<script>",
                Err(AliasRejection::InvalidCharacter),
            ),
            (
                "fail_emoji",
                "jens🙂h",
                Err(AliasRejection::InvalidCharacter),
            ),
            (
                "fail_fullwidth_digit",
                "jens１２",
                Err(AliasRejection::InvalidCharacter),
            ),
            (
                "fail_control",
                "jens\u{0}hansen",
                Err(AliasRejection::InvalidCharacter),
            ),
            (
                "fail_decomposed_accent",
                "ma\u{30a}nen",
                Err(AliasRejection::InvalidCharacter),
            ),
        ];
        for (name, input, want) in cases {
            let got = Alias::parse(input);
            assert_eq!(
                got.as_ref().map(Alias::as_str).map_err(|e| *e),
                *want,
                "{name}"
            );
        }
    }

    #[test]
    fn ok_alias_display_and_serde() {
        let a = Alias::parse("Jens Hansen").unwrap();
        assert_eq!(a.to_string(), "jens hansen");
        assert_eq!(serde_json::to_string(&a).unwrap(), "\"jens hansen\"");
        assert_eq!(
            serde_json::from_str::<Alias>("\" JENS  Hansen\"").unwrap(),
            a
        );
        assert!(serde_json::from_str::<Alias>("\"1234567\"").is_err());
    }

    #[test]
    fn ok_messages_do_not_echo_input() {
        for e in [
            AliasRejection::TooShort,
            AliasRejection::TooLong,
            AliasRejection::InvalidCharacter,
            AliasRejection::NoLetter,
        ] {
            assert!(e.to_string().starts_with("a username"));
        }
        assert_eq!(
            LoginNameError.to_string(),
            "enter your user ID, CPR number or username"
        );
    }

    #[test]
    fn login_name_table() {
        let user = |s: &str| LoginName::UserId(UserId::parse(s).unwrap());
        let cpr = |s: &str| LoginName::Cpr(Cpr::parse(s, today()).unwrap());
        let alias = |s: &str| LoginName::Alias(Alias::parse(s).unwrap());
        let cases: &[(&str, &str, Result<LoginName, LoginNameError>)] = &[
            ("ok_user_id", "482913576", Ok(user("482913576"))),
            ("ok_user_id_trimmed", " 482913576 ", Ok(user("482913576"))),
            ("ok_user_id_spaced", "482 913 576", Ok(user("482913576"))),
            ("ok_cpr_compact", "0707614285", Ok(cpr("070761-4285"))),
            ("ok_cpr_dash", "070761-4285", Ok(cpr("070761-4285"))),
            ("ok_cpr_spaced", "070761 4285", Ok(cpr("070761-4285"))),
            ("ok_alias", "Jens.Hansen", Ok(alias("jens.hansen"))),
            (
                "ok_alias_with_digits",
                "jens1234567890",
                Ok(alias("jens1234567890")),
            ),
            (
                "ok_alias_nine_digits_and_letter",
                "a482913576",
                Ok(alias("a482913576")),
            ),
            ("fail_empty", "", Err(LoginNameError)),
            ("fail_blank", "   ", Err(LoginNameError)),
            (
                "fail_user_id_leading_zero",
                "012345678",
                Err(LoginNameError),
            ),
            ("fail_8_digits", "12345678", Err(LoginNameError)),
            ("fail_11_digits", "12345678901", Err(LoginNameError)),
            ("fail_cpr_bad_date", "310403-1234", Err(LoginNameError)),
            ("fail_cpr_future", "010150-5234", Err(LoginNameError)),
            (
                "fail_cpr_dash_misplaced",
                "07076-14285",
                Err(LoginNameError),
            ),
            ("fail_short_alias", "jens", Err(LoginNameError)),
            ("fail_bad_alias", "jens/hansen", Err(LoginNameError)),
            (
                "fail_fullwidth_digits",
                "４８２９１３５７６",
                Err(LoginNameError),
            ),
            ("fail_punctuation", "-----", Err(LoginNameError)),
        ];
        for (name, input, want) in cases {
            assert_eq!(LoginName::parse(input, today()), *want, "{name}");
        }
    }

    proptest! {
        #[test]
        fn prop_valid_alias_reparses_to_itself(s in "[a-zA-ZæøåÆØÅ][a-zA-ZæøåÆØÅ0-9._@'-]{4,40}( [a-zæøå0-9]{1,5})?") {
            let a = Alias::parse(&s).unwrap();
            prop_assert_eq!(Alias::parse(a.as_str()), Ok(a.clone()));
            prop_assert_eq!(LoginName::parse(a.as_str(), today()), Ok(LoginName::Alias(a)));
        }

        #[test]
        fn prop_any_accepted_alias_is_stable_and_never_a_number(s in any::<String>()) {
            if let Ok(a) = Alias::parse(&s) {
                prop_assert_eq!(Alias::parse(a.as_str()), Ok(a.clone()));
                prop_assert_eq!(LoginName::parse(a.as_str(), today()), Ok(LoginName::Alias(a)));
            }
        }

        #[test]
        fn prop_login_name_never_panics(s in any::<String>()) {
            let _ = LoginName::parse(&s, today());
        }

        #[test]
        fn prop_digits_are_never_an_alias(s in "[0-9 -]{0,60}") {
            prop_assert!(!matches!(LoginName::parse(&s, today()), Ok(LoginName::Alias(_))));
        }
    }
}
