//! The self-chosen username (*selvvalgt bruger-id*) and the login name a
//! person types: user ID, CPR number or username.
//!
//! A username always contains a letter, so it can never be read as a CPR
//! number, a 9-digit user ID or any other number: [`LoginName::parse`] can
//! tell the three apart from the text alone.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

use nyckel_cpr::{Cpr, Date};
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::ids::UserId;

/// A username in two forms: as the holder typed it, for people to read
/// ([`Alias::display`]: trimmed, inner whitespace collapsed to one space,
/// case kept, Unicode NFC), and the key it is matched and kept unique by
/// ([`Alias::as_str`]: the display form lowercased, NFC).
///
/// Two usernames with the same key are the same username: `Mette.Hansen`,
/// `METTE.HANSEN` and `mette.hansen` log in the same holder, and only one
/// holder can have it. Equality, ordering and hashing are by the key.
/// Serialized as the display form; deserializing parses again.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Alias {
    display: String,
    key: String,
}

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

    /// Normalizes `s` and checks it: 5–48 characters (of the display form)
    /// of letters, ASCII digits, space and `- _ . @ '`, at least one a
    /// letter.
    ///
    /// The text is composed first (NFC), so a decomposed accent (`a` and a
    /// combining ring, as some keyboards and pasted text send it) is the
    /// same letter as the composed one (`å`), counts as one character and
    /// gives the same key. A combining mark that composes with nothing is
    /// not a letter and is refused.
    pub fn parse(s: &str) -> Result<Self, AliasRejection> {
        let composed: String = s.nfc().collect();
        let display = composed.split_whitespace().collect::<Vec<_>>().join(" ");
        let len = display.chars().count();
        if len < Self::MIN_LEN {
            return Err(AliasRejection::TooShort);
        }
        if len > Self::MAX_LEN {
            return Err(AliasRejection::TooLong);
        }
        if !display.chars().all(allowed) {
            return Err(AliasRejection::InvalidCharacter);
        }
        if !display.chars().any(char::is_alphabetic) {
            return Err(AliasRejection::NoLetter);
        }
        let key = key_of(&display);
        Ok(Self { display, key })
    }

    /// The match key: what the store keeps unique and what a login name
    /// typed as a username is looked up by.
    pub fn as_str(&self) -> &str {
        &self.key
    }

    /// The username as the holder typed it (normalized as above), for
    /// people to read.
    pub fn display(&self) -> &str {
        &self.display
    }
}

/// The match key of a display form: lowercased, then composed again (a
/// few lowercase letters decompose, `İ` → `i` and a combining dot).
///
/// Lowercase, not full Unicode case folding: `ß` stays `ß` (`ẞ`, the
/// capital, lowercases to it), so `strauß` and `strauss` are two
/// usernames, as they are two spellings; `Å`, `Ø`, `Æ` match `å`, `ø`,
/// `æ`, and the Ångström and Kelvin signs are their letters after NFC. The
/// one folding added is Greek final sigma: `ς` is matched as `σ`, since
/// lowercasing writes one or the other by the letter's place in the word.
fn key_of(display: &str) -> String {
    display
        .to_lowercase()
        .chars()
        .map(|c| if c == 'ς' { 'σ' } else { c })
        .nfc()
        .collect()
}

fn allowed(c: char) -> bool {
    c.is_alphabetic() || c.is_ascii_digit() || matches!(c, ' ' | '-' | '_' | '.' | '@' | '\'')
}

impl PartialEq for Alias {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for Alias {}

impl Hash for Alias {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.key.hash(state);
    }
}

impl PartialOrd for Alias {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Alias {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key.cmp(&other.key)
    }
}

/// The display form: what people read.
impl fmt::Display for Alias {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display)
    }
}

impl TryFrom<String> for Alias {
    type Error = AliasRejection;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

/// The display form (serde writes this; parsing it gives the alias back).
impl From<Alias> for String {
    fn from(a: Alias) -> String {
        a.display
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
        // (name, input, Ok((display, key)) or the refusal)
        let a48 = "a".repeat(48);
        type Case<'a> = (&'a str, &'a str, Result<(&'a str, &'a str), AliasRejection>);
        let cases: &[Case] = &[
            ("ok_plain", "jensh", Ok(("jensh", "jensh"))),
            ("ok_case_kept_key_lower", "JensH", Ok(("JensH", "jensh"))),
            (
                "ok_danish_letters",
                "Søren Ærø Åby",
                Ok(("Søren Ærø Åby", "søren ærø åby")),
            ),
            (
                "ok_trimmed",
                "  Jens.Hansen \n",
                Ok(("Jens.Hansen", "jens.hansen")),
            ),
            (
                "ok_inner_space_collapsed",
                "Jens \t  Hansen",
                Ok(("Jens Hansen", "jens hansen")),
            ),
            (
                "ok_punctuation",
                "O'Brien-Smith_2@dk.",
                Ok(("O'Brien-Smith_2@dk.", "o'brien-smith_2@dk.")),
            ),
            (
                "ok_one_letter",
                "1234567890a",
                Ok(("1234567890a", "1234567890a")),
            ),
            ("ok_other_script", "Ωmega", Ok(("Ωmega", "ωmega"))),
            ("ok_exactly_5", "abcde", Ok(("abcde", "abcde"))),
            ("ok_exactly_48", &a48, Ok((&a48, &a48))),
            (
                "ok_decomposed_accent_composed",
                "Ma\u{30a}nen",
                Ok(("Månen", "månen")),
            ),
            (
                "ok_decomposed_capital_composed",
                "A\u{30a}by 12",
                Ok(("Åby 12", "åby 12")),
            ),
            // Five characters once composed, though six code points were typed.
            (
                "ok_decomposed_counts_composed",
                "a\u{30a}bcde",
                Ok(("åbcde", "åbcde")),
            ),
            (
                "ok_angstrom_sign_is_a_ring",
                "\u{212b}sa 1",
                Ok(("Åsa 1", "åsa 1")),
            ),
            (
                "ok_kelvin_sign_is_k",
                "\u{212a}arin",
                Ok(("Karin", "karin")),
            ),
            ("ok_sharp_s_kept", "Strauß", Ok(("Strauß", "strauß"))),
            ("ok_capital_sharp_s", "STRAUẞ", Ok(("STRAUẞ", "strauß"))),
            (
                "ok_ss_is_not_sharp_s",
                "STRAUSS",
                Ok(("STRAUSS", "strauss")),
            ),
            ("ok_slashed_o", "ØRSTED", Ok(("ØRSTED", "ørsted"))),
            ("ok_final_sigma", "ΟΔΟΣ 1", Ok(("ΟΔΟΣ 1", "οδοσ 1"))),
            (
                "ok_dotted_capital_i",
                "İstanbul",
                Ok(("İstanbul", "i\u{307}stanbul")),
            ),
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
                "fail_short_once_composed",
                "a\u{30a}bc",
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
            // A combining mark with no composed form is no letter.
            (
                "fail_mark_composes_with_nothing",
                "jensq\u{30a}",
                Err(AliasRejection::InvalidCharacter),
            ),
            (
                "fail_lone_mark",
                "\u{30a}jensh",
                Err(AliasRejection::InvalidCharacter),
            ),
        ];
        for (name, input, want) in cases {
            let got = Alias::parse(input);
            assert_eq!(
                got.as_ref()
                    .map(|a| (a.display(), a.as_str()))
                    .map_err(|e| *e),
                *want,
                "{name}"
            );
        }
    }

    #[test]
    fn ok_variants_are_one_username() {
        let want = Alias::parse("Mette.Hansen").unwrap();
        for variant in [
            "mette.hansen",
            "METTE.HANSEN",
            "  Mette.Hansen ",
            "mEtTe.hAnSeN",
        ] {
            let a = Alias::parse(variant).unwrap();
            assert_eq!(a, want, "{variant}");
            assert_eq!(a.as_str(), "mette.hansen", "{variant}");
        }
        assert_eq!(
            Alias::parse("A\u{30a}se Ørsted").unwrap(),
            Alias::parse("åse ørsted").unwrap()
        );
        assert_ne!(
            Alias::parse("Strauß").unwrap(),
            Alias::parse("Strauss").unwrap()
        );
    }

    #[test]
    fn ok_alias_display_and_serde() {
        let a = Alias::parse("Jens  Hansen").unwrap();
        assert_eq!(a.to_string(), "Jens Hansen");
        assert_eq!(String::from(a.clone()), "Jens Hansen");
        assert_eq!(serde_json::to_string(&a).unwrap(), "\"Jens Hansen\"");
        let back: Alias = serde_json::from_str("\" Jens  Hansen\"").unwrap();
        assert_eq!(back.display(), "Jens Hansen");
        assert_eq!(back.as_str(), "jens hansen");
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
                "ok_alias_decomposed",
                "Jens.A\u{30a}by",
                Ok(alias("jens.åby")),
            ),
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

    /// For any input that is accepted: the display form is a fixed point of
    /// parsing and the key one of keying, both are NFC, the decomposed
    /// input is the same username, and it reads as a username at login.
    fn accepted_is_stable(s: &str) -> Result<(), TestCaseError> {
        let Ok(a) = Alias::parse(s) else {
            return Ok(());
        };
        let again = Alias::parse(a.display()).unwrap();
        prop_assert_eq!(again.display(), a.display());
        prop_assert_eq!(again.as_str(), a.as_str());
        prop_assert_eq!(key_of(a.as_str()), a.as_str());
        prop_assert!(unicode_normalization::is_nfc(a.display()));
        prop_assert!(unicode_normalization::is_nfc(a.as_str()));
        let nfd: String = s.nfd().collect();
        let d = Alias::parse(&nfd).unwrap();
        prop_assert_eq!(d.display(), a.display());
        prop_assert_eq!(
            LoginName::parse(a.display(), today()),
            Ok(LoginName::Alias(a))
        );
        Ok(())
    }

    /// Usernames of the kind people type: Danish, Swedish, German and
    /// Greek letters in either case, digits, punctuation, inner spaces.
    const TYPED: &str = "[a-zA-ZæøåÆØÅäöÄÖüÜßẞéÉσςΣ][a-zA-ZæøåÆØÅäöÄÖüÜßẞéÉσςΣ0-9._@'-]{4,40}( [a-zA-ZæøåÆØÅ0-9]{1,5})?";

    proptest! {
        #[test]
        fn prop_valid_alias_reparses_to_itself(s in TYPED) {
            let a = Alias::parse(&s).unwrap();
            prop_assert_eq!(a.display(), s.as_str());
            let again = Alias::parse(a.display()).unwrap();
            prop_assert_eq!(again.display(), a.display());
            prop_assert_eq!(again.as_str(), a.as_str());
            prop_assert_eq!(LoginName::parse(a.display(), today()), Ok(LoginName::Alias(a.clone())));
            // The key typed as a login name finds the same username.
            prop_assert_eq!(LoginName::parse(a.as_str(), today()), Ok(LoginName::Alias(a)));
        }

        #[test]
        fn prop_case_variants_share_a_key(s in TYPED, flips in proptest::collection::vec(any::<bool>(), 48)) {
            let a = Alias::parse(&s).unwrap();
            // Each letter in the other case where that is one letter
            // (`ß` uppercases to `SS`, another spelling, not another case).
            let variant: String = s
                .chars()
                .zip(flips.iter().cycle())
                .map(|(c, &flip)| {
                    let other: Vec<char> = if c.is_uppercase() {
                        c.to_lowercase().collect()
                    } else {
                        c.to_uppercase().collect()
                    };
                    match other[..] {
                        [o] if flip => o,
                        _ => c,
                    }
                })
                .collect();
            let v = Alias::parse(&variant).unwrap();
            prop_assert_eq!(v.display(), variant.as_str());
            prop_assert_eq!(v.as_str(), a.as_str());
            prop_assert_eq!(v, a);
        }

        #[test]
        fn prop_decomposed_input_is_the_composed_username(s in TYPED) {
            let nfd: String = s.nfd().collect();
            let a = Alias::parse(&s).unwrap();
            let d = Alias::parse(&nfd).unwrap();
            prop_assert_eq!(d.display(), a.display());
            prop_assert_eq!(d.as_str(), a.as_str());
        }

        #[test]
        fn prop_any_accepted_alias_is_stable_and_never_a_number(s in any::<String>()) {
            accepted_is_stable(&s)?;
        }

        /// Letters of every script, some of which NFC changes (the
        /// Ångström sign, compatibility ideographs) and many decompose.
        #[test]
        fn prop_letters_of_any_script_are_stable(s in "[\\pL0-9 ._@'-]{0,50}") {
            accepted_is_stable(&s)?;
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
