//! The password policy (MitID's rules): 8–64 characters, not containing the
//! holder's user ID, CPR number or username, not 10 digits in a row, not the
//! word "password" (in English, Danish or Swedish), not a commonly used
//! password or word — nor one with only a few digits, symbols or a year put
//! around it or swapped in ("Sommer2024!", "s0mmer#1") — and not a row of
//! neighbouring keys on the keyboard ("asdfghjklæø", "1qaz2wsx").
//!
//! `common-passwords.txt` is the `passwords` frequency list of zxcvbn 4.4.28
//! (PyPI `zxcvbn`, Daniel Wolf's port of Dropbox's zxcvbn, MIT licence),
//! lowercased, deduplicated and sorted: 30,000 entries.
//! `common-words-nordic.txt` is written by hand for nyckel: Danish and
//! Swedish first names, months, weekdays, seasons, football clubs, cities
//! and everyday words (see its header), which the English-centred zxcvbn
//! list misses.
//!
//! Checking stays cheap (microseconds): the lists are loaded once, and a
//! password is looked up a few dozen times at most.
//!
//! A passphrase that contains a common word among other words is fine; only
//! a common word with nothing but decorations is refused. Decorations are
//! the digits and symbols before the first letter and after the last one,
//! and only those that cracking rules try first count (see
//! `simple_decoration`): "sommer58302917" is not refused, "sommer2024" is.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use nyckel_cpr::Cpr;
use zeroize::Zeroizing;

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
///
/// A rule that found a word names it, as written in our lists: the field is
/// a `&'static str`, so it can only hold a bundled list entry, never text
/// taken from the password.
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
    /// `word` is the one of `PASSWORD_WORDS` found, also when written
    /// with look-alike digits ("p4ssw0rd" names "password").
    #[error("the password must not contain the word \"{word}\"")]
    ContainsWord { word: &'static str },
    #[error("the password must not contain 10 digits in a row")]
    TenDigits,
    /// The whole password is on a list (perhaps with look-alike digits). No
    /// word is named: it would be the password.
    #[error("this password is too common: it is among the first ones attackers try")]
    Common,
    /// A listed word with only simple decorations around it, perhaps with
    /// look-alike digits swapped in. `word` is the list's entry.
    #[error(
        "the password is the common word \"{word}\" with only a few digits or symbols added or swapped in: attackers try those first"
    )]
    CommonWithDecoration { word: &'static str },
    /// Mostly a row or column of neighbouring keys (see `is_keyboard_walk`).
    #[error(
        "the password is a row of neighbouring keys on the keyboard: attackers try those first"
    )]
    KeyboardWalk,
    #[error("the password must not begin or end with a space")]
    LeadingOrTrailingSpace,
    #[error("the password must not contain line breaks, tabs or other control characters")]
    ControlCharacter,
}

/// "Password" in the languages our users write in, lowercase, Swedish also
/// as typed without `ö`.
const PASSWORD_WORDS: [&str; 5] = ["password", "adgangskode", "kodeord", "lösenord", "losenord"];

/// A decorated word must have at least this many characters to count, so
/// that "Xq7!vR2m" is not read as "q" or "vr" with decorations. (The zxcvbn
/// list has no entries shorter than 4; the Nordic list's are 3 or more.)
const MIN_BASE: usize = 3;

/// A decorated word is widened over at most this many look-alike digits at
/// each end, which also bounds the lookups ("1111111a1111111").
const MAX_LEET_END: usize = 3;

/// A keyboard walk is at least this many keys in all…
const MIN_WALK: usize = 6;
/// …in straight runs of at least this many ("1qaz" "2wsx", "qwe" "asd").
const MIN_WALK_RUN: usize = 3;

/// The bundled zxcvbn list of common passwords, lowercase, one per line.
fn common_passwords() -> &'static HashSet<&'static str> {
    static LIST: OnceLock<HashSet<&'static str>> = OnceLock::new();
    LIST.get_or_init(|| {
        include_str!("common-passwords.txt")
            .lines()
            .filter(|line| !line.is_empty())
            .collect()
    })
}

/// The bundled Nordic word list: every word under its own spelling and its
/// spellings without `æøåäö` (see [`fold`]), each mapped to the list's
/// spelling. Comment lines (`#`) and blank lines are skipped.
fn nordic_words() -> &'static HashMap<String, &'static str> {
    static LIST: OnceLock<HashMap<String, &'static str>> = OnceLock::new();
    LIST.get_or_init(|| {
        let mut map = HashMap::new();
        for word in include_str!("common-words-nordic.txt")
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
        {
            for spelling in [word.to_owned(), fold(word, false), fold(word, true)] {
                map.entry(spelling).or_insert(word);
            }
        }
        map
    })
}

/// `word` written without `æøåäö`: as `ae`, `oe`, `aa`, `ae`, `oe`, or, if
/// `short`, as `ae`, `o`, `a`, `a`, `o` ("brondby", "losenord").
fn fold(word: &str, short: bool) -> String {
    let mut out = String::with_capacity(word.len() + 4);
    for c in word.chars() {
        match (c, short) {
            ('æ', _) | ('ä', false) => out.push_str("ae"),
            ('ø' | 'ö', false) => out.push_str("oe"),
            ('å', false) => out.push_str("aa"),
            ('ø' | 'ö', true) => out.push('o'),
            ('å' | 'ä', true) => out.push('a'),
            _ => out.push(c),
        }
    }
    out
}

/// The list entry `s` (lowercase) is, Nordic list first so that "brondby"
/// is named "brøndby".
fn listed(s: &str) -> Option<&'static str> {
    nordic_words()
        .get(s)
        .copied()
        .or_else(|| common_passwords().get(s).copied())
}

/// The letter a look-alike digit or symbol stands for; `1` stands for `one`
/// (`i` or `l`).
fn leet_letter(c: char, one: char) -> Option<char> {
    Some(match c {
        '0' => 'o',
        '1' => one,
        '3' => 'e',
        '4' | '@' => 'a',
        '5' | '$' => 's',
        '7' => 't',
        _ => return None,
    })
}

fn is_leet(c: char) -> bool {
    leet_letter(c, 'i').is_some()
}

/// The first answer of `f` for `s` as written, then as read with look-alike
/// digits and symbols as letters (`1` once as `i`, once as `l`).
fn any_reading<T>(s: &str, mut f: impl FnMut(&str) -> Option<T>) -> Option<T> {
    if let Some(found) = f(s) {
        return Some(found);
    }
    if !s.chars().any(is_leet) {
        return None;
    }
    let ones: &[char] = if s.contains('1') { &['i', 'l'] } else { &['i'] };
    for &one in ones {
        let read = SecretString::new(
            s.chars()
                .map(|c| leet_letter(c, one).unwrap_or(c))
                .collect::<String>(),
        );
        if let Some(found) = f(read.expose()) {
            return Some(found);
        }
    }
    None
}

/// Whether `side` (the digits and symbols before or after a word) is what
/// cracking rules add first: at most five characters ("2024", "123", "!",
/// "#1", "2024!"), one character repeated ("!!!!!!", "0000000"), or a run of
/// digits counting up or down ("123456789", "987654") with at most two
/// symbols. Longer, irregular digits ("58302917") are not a decoration.
fn simple_decoration(side: &[char]) -> bool {
    let Some(&first) = side.first() else {
        return true;
    };
    if side.len() <= 5 || side.iter().all(|&c| c == first) {
        return true;
    }
    let mut digits = side.iter().filter_map(|c| c.to_digit(10)).map(i64::from);
    let symbols = side.iter().filter(|c| !c.is_ascii_digit()).count();
    let (Some(mut prev), Some(next)) = (digits.next(), digits.next()) else {
        return false;
    };
    let step = next - prev;
    if symbols > 2 || step.abs() > 1 {
        return false;
    }
    prev = next;
    for d in digits {
        if d - prev != step {
            return false;
        }
        prev = d;
    }
    true
}

/// A listed word, as written in the list, that is the password with only
/// simple decorations before and after it (see [`simple_decoration`]).
///
/// The word is everything from the first letter to the last, or that
/// widened over look-alike digits at its ends ("4nders" in "4nders!",
/// "mette1" in "mette1!"). The whole password is no such word: that is
/// [`PasswordRejection::Common`], which names no word.
fn decorated_word(chars: &[char]) -> Option<&'static str> {
    let first = chars.iter().position(|c| c.is_alphabetic())?;
    let last = chars.iter().rposition(|c| c.is_alphabetic())?;
    let mut widest_start = first;
    while widest_start > 0
        && first - widest_start < MAX_LEET_END
        && is_leet(chars[widest_start - 1])
    {
        widest_start -= 1;
    }
    let mut widest_end = last + 1;
    while widest_end < chars.len()
        && widest_end - last <= MAX_LEET_END
        && is_leet(chars[widest_end])
    {
        widest_end += 1;
    }
    for start in (widest_start..=first).rev() {
        for end in last + 1..=widest_end {
            if (start == 0 && end == chars.len())
                || end - start < MIN_BASE
                || !simple_decoration(&chars[..start])
                || !simple_decoration(&chars[end..])
            {
                continue;
            }
            let base = SecretString::new(chars[start..end].iter().collect::<String>());
            if let Some(word) = any_reading(base.expose(), listed) {
                return Some(word);
            }
        }
    }
    None
}

/// Keyboard layouts our users type on: US/UK, Danish, Norwegian, Swedish
/// (also Finnish). The number, top, home and bottom rows are lined up so
/// that a column ("1qaz", "2wsx", "0pæ-" on the Danish one) has one index.
const KEYBOARDS: [[&str; 4]; 4] = [
    [
        "1234567890-=",
        "qwertyuiop[]",
        "asdfghjkl;'\\",
        "zxcvbnm,./",
    ],
    ["1234567890+´", "qwertyuiopå¨", "asdfghjklæø'", "zxcvbnm,.-"],
    [
        "1234567890+\\",
        "qwertyuiopå¨",
        "asdfghjkløæ'",
        "zxcvbnm,.-",
    ],
    ["1234567890+´", "qwertyuiopå¨", "asdfghjklöä'", "zxcvbnm,.-"],
];

/// Where a key is on one layout: (layout, row, column).
type KeyPosition = (usize, i32, i32);

/// Where each key is, on every layout that has it.
fn keys() -> &'static HashMap<char, Vec<KeyPosition>> {
    static KEYS: OnceLock<HashMap<char, Vec<KeyPosition>>> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut keys: HashMap<char, Vec<KeyPosition>> = HashMap::new();
        for (layout, rows) in (0..).zip(KEYBOARDS) {
            for (row, keys_in_row) in (0..).zip(rows) {
                for (column, key) in (0..).zip(keys_in_row.chars()) {
                    keys.entry(key).or_default().push((layout, row, column));
                }
            }
        }
        keys
    })
}

/// The four ways a walk goes: along a row (right, left) or a column (down, up).
const DIRECTIONS: [(i32, i32); 4] = [(0, 1), (0, -1), (1, 0), (-1, 0)];

/// Whether `b` is the key next to `a` in `direction` on some layout.
fn is_step(a: char, b: char, (rows, columns): (i32, i32)) -> bool {
    let keys = keys();
    let (Some(from), Some(to)) = (keys.get(&a), keys.get(&b)) else {
        return false;
    };
    from.iter()
        .any(|&(layout, row, column)| to.contains(&(layout, row + rows, column + columns)))
}

/// Whether `chars` (lowercase) is mostly a keyboard walk: straight runs of
/// at least [`MIN_WALK_RUN`] neighbouring keys, forwards or backwards along
/// a row or a column, at least [`MIN_WALK`] keys in all and at least half
/// the password, with every letter in a run — what is left is digits and
/// symbols ("qwerty2024!", "1qaz2wsx", "ølkjhgfdsa").
fn is_keyboard_walk(chars: &[char]) -> bool {
    let mut walked = 0;
    let mut i = 0;
    while i < chars.len() {
        let run = DIRECTIONS
            .iter()
            .map(|&d| {
                1 + chars[i..]
                    .windows(2)
                    .take_while(|pair| is_step(pair[0], pair[1], d))
                    .count()
            })
            .max()
            .unwrap_or(1);
        if run >= MIN_WALK_RUN {
            walked += run;
            i += run;
        } else if chars[i].is_alphabetic() {
            return false;
        } else {
            i += 1;
        }
    }
    walked >= MIN_WALK && walked * 2 >= chars.len()
}

/// The common-password rules, on the lowercased password: on a list, a
/// keyboard walk, or a listed word with decorations.
fn commonness(lower: &str) -> Option<PasswordRejection> {
    if any_reading(lower, listed).is_some() {
        return Some(PasswordRejection::Common);
    }
    let chars = Zeroizing::new(lower.chars().collect::<Vec<char>>());
    if is_keyboard_walk(&chars) {
        return Some(PasswordRejection::KeyboardWalk);
    }
    decorated_word(&chars).map(|word| PasswordRejection::CommonWithDecoration { word })
}

/// Whether `password` is common, ignoring case: on one of the bundled lists
/// (perhaps with look-alike digits), a keyboard walk, or a listed word with
/// only digits, symbols or a year around it — the rules
/// [`check_password`] refuses as [`PasswordRejection::Common`],
/// [`PasswordRejection::KeyboardWalk`] and
/// [`PasswordRejection::CommonWithDecoration`].
pub fn is_common(password: &str) -> bool {
    let lower = SecretString::new(password.to_lowercase());
    commonness(lower.expose()).is_some()
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
/// reported, in this order: length, control characters, spaces at the ends,
/// user ID, CPR number, username, the word "password", ten digits, on a
/// list, keyboard walk, decorated common word.
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
    let word = any_reading(lower.expose(), |s| {
        PASSWORD_WORDS.iter().find(|w| s.contains(*w)).copied()
    });
    if let Some(word) = word {
        return Err(PasswordRejection::ContainsWord { word });
    }
    if has_digit_run(pw, 10) {
        return Err(PasswordRejection::TenDigits);
    }
    match commonness(lower.expose()) {
        Some(rejection) => Err(rejection),
        None => Ok(()),
    }
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
                Err(ContainsWord { word: "password" }),
            ),
            (
                "fail_word_password_upper",
                "xxPASSWORDxx",
                None,
                Err(ContainsWord { word: "password" }),
            ),
            (
                "fail_word_adgangskode",
                "MinAdgangskode1",
                None,
                Err(ContainsWord {
                    word: "adgangskode",
                }),
            ),
            (
                "fail_word_kodeord",
                "mitkodeord77",
                None,
                Err(ContainsWord { word: "kodeord" }),
            ),
            (
                "fail_word_kodeord_capital",
                "Kodeord1",
                None,
                Err(ContainsWord { word: "kodeord" }),
            ),
            (
                "fail_word_losenord_with_o_umlaut",
                "Lösenord1",
                None,
                Err(ContainsWord { word: "lösenord" }),
            ),
            (
                "fail_word_losenord_without_umlaut",
                "losenord",
                None,
                Err(ContainsWord { word: "losenord" }),
            ),
            (
                "fail_word_password_leetspeak",
                "p4ssw0rd",
                None,
                Err(ContainsWord { word: "password" }),
            ),
            (
                "fail_word_password_decorated",
                "Password123!",
                None,
                Err(ContainsWord { word: "password" }),
            ),
            (
                "fail_word_losenord_leetspeak_one_as_l",
                "1ösen0rd!",
                None,
                Err(ContainsWord { word: "lösenord" }),
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
            ("fail_common_walk_on_list", "qwertyuiop", None, Err(Common)),
            (
                "fail_common_walk_digits_on_list",
                "asdfgh123",
                None,
                Err(Common),
            ),
            (
                "fail_common_columns_on_list",
                "1qaz2wsx3edc",
                None,
                Err(Common),
            ),
            ("fail_common_nordic_exact", "København", None, Err(Common)),
            ("fail_common_nordic_folded", "kobenhavn", None, Err(Common)),
            ("fail_common_leetspeak_whole", "f00tb4ll", None, Err(Common)),
            (
                "fail_common_leetspeak_one_as_i",
                "Pr1nc3ss",
                None,
                Err(Common),
            ),
            (
                "fail_decorated_leetspeak_with_digits",
                "dr4g0n12",
                None,
                Err(CommonWithDecoration { word: "dragon" }),
            ),
            (
                "fail_decorated_year",
                "sommer2024",
                None,
                Err(CommonWithDecoration { word: "sommer" }),
            ),
            (
                "fail_decorated_capital_year_symbol",
                "Sommer2024!",
                None,
                Err(CommonWithDecoration { word: "sommer" }),
            ),
            (
                "fail_decorated_year_before",
                "2024sommer",
                None,
                Err(CommonWithDecoration { word: "sommer" }),
            ),
            (
                "fail_decorated_both_sides",
                "2024sommer!",
                None,
                Err(CommonWithDecoration { word: "sommer" }),
            ),
            (
                "fail_decorated_symbol_digit",
                "sommer#1",
                None,
                Err(CommonWithDecoration { word: "sommer" }),
            ),
            (
                "fail_decorated_leetspeak",
                "s0mmer2024",
                None,
                Err(CommonWithDecoration { word: "sommer" }),
            ),
            (
                "fail_decorated_leetspeak_at_the_start",
                "4nders!!",
                None,
                Err(CommonWithDecoration { word: "anders" }),
            ),
            (
                "fail_decorated_name_birth_year",
                "mette1985",
                None,
                Err(CommonWithDecoration { word: "mette" }),
            ),
            (
                "fail_decorated_leetspeak_name",
                "M3tte!2024",
                None,
                Err(CommonWithDecoration { word: "mette" }),
            ),
            (
                "fail_decorated_club",
                "brøndby1964",
                None,
                Err(CommonWithDecoration { word: "brøndby" }),
            ),
            (
                "fail_decorated_club_folded",
                "Brondby1964",
                None,
                Err(CommonWithDecoration { word: "brøndby" }),
            ),
            (
                "fail_decorated_folded_aa",
                "kaerlighed<3",
                None,
                Err(CommonWithDecoration { word: "kærlighed" }),
            ),
            (
                "fail_decorated_swedish_folded",
                "Malmo2024!",
                None,
                Err(CommonWithDecoration { word: "malmö" }),
            ),
            (
                "fail_decorated_short_nordic_word",
                "hej12345",
                None,
                Err(CommonWithDecoration { word: "hej" }),
            ),
            (
                "fail_decorated_digit_run",
                "vinter123456789",
                None,
                Err(CommonWithDecoration { word: "vinter" }),
            ),
            (
                "fail_decorated_repeated_symbol",
                "sommer!!!!!!!",
                None,
                Err(CommonWithDecoration { word: "sommer" }),
            ),
            (
                "fail_decorated_zxcvbn_word",
                "Dragon2024!",
                None,
                Err(CommonWithDecoration { word: "dragon" }),
            ),
            (
                "fail_walk_danish_row",
                "asdfghjklæø",
                None,
                Err(KeyboardWalk),
            ),
            (
                "fail_walk_swedish_row",
                "asdfghjklöä",
                None,
                Err(KeyboardWalk),
            ),
            ("fail_walk_reversed", "ølkjhgfdsa", None, Err(KeyboardWalk)),
            (
                "fail_walk_with_year",
                "Zxcvbnm2024!",
                None,
                Err(KeyboardWalk),
            ),
            ("fail_walk_columns", "5tgb6yhn7ujm", None, Err(KeyboardWalk)),
            (
                "fail_walk_columns_upwards",
                "mju7nhy6",
                None,
                Err(KeyboardWalk),
            ),
            (
                "fail_walk_short_runs",
                "rtyfghvbn!",
                None,
                Err(KeyboardWalk),
            ),
            (
                "ok_passphrase_with_common_words",
                "mette elsker sommer i juli",
                None,
                Ok(()),
            ),
            (
                "ok_common_word_with_irregular_digits",
                "sommer58302917",
                None,
                Ok(()),
            ),
            (
                "ok_two_words_joined",
                "Sommerfugl-Vinterbad-7",
                None,
                Ok(()),
            ),
            (
                "ok_walk_inside_a_sentence",
                "mit asdfgh er godt",
                None,
                Ok(()),
            ),
            ("ok_random_with_digits", "Kfjq8271!", None, Ok(())),
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
            ContainsWord { word: "password" },
            TenDigits,
            Common,
            CommonWithDecoration { word: "sommer" },
            KeyboardWalk,
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
        assert!(is_common("Sommer2024!"));
        assert!(is_common("asdfghjklæø"));
        assert!(!is_common("rødgrød med fløde"));
    }

    #[test]
    fn ok_nordic_list_is_lowercase_without_duplicates() {
        let lines: Vec<&str> = include_str!("common-words-nordic.txt")
            .lines()
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .collect();
        assert!(lines.len() > 300, "{} words", lines.len());
        let mut seen = HashSet::new();
        for word in &lines {
            assert_eq!(*word, word.trim(), "{word:?}");
            assert_eq!(*word, word.to_lowercase(), "{word}");
            assert!(word.chars().all(char::is_alphabetic), "{word}");
            assert!(word.chars().count() >= MIN_BASE, "{word}");
            assert!(seen.insert(*word), "{word} twice");
        }
        let words = nordic_words();
        for (spelling, word) in [
            ("lösenord", "lösenord"),
            ("losenord", "lösenord"),
            ("loesenord", "lösenord"),
            ("brondby", "brøndby"),
            ("broendby", "brøndby"),
            ("kaerlighed", "kærlighed"),
            ("koebenhavn", "københavn"),
            ("goteborg", "göteborg"),
            ("aarhus", "aarhus"),
        ] {
            assert_eq!(words.get(spelling), Some(&word), "{spelling}");
        }
    }

    #[test]
    fn ok_simple_decorations() {
        let cases = [
            ("", true),
            ("2024!", true),
            ("!!!!!!!!", true),
            ("123456789", true),
            ("#987654!", true),
            ("000000000", true),
            ("58302917", false),
            ("135791", false),
            ("12345!!!", false),
        ];
        for (side, want) in cases {
            let chars: Vec<char> = side.chars().collect();
            assert_eq!(simple_decoration(&chars), want, "{side}");
        }
    }

    /// Alphabetic words of both lists, to decorate.
    fn listed_words() -> Vec<&'static str> {
        let mut words: Vec<&'static str> = nordic_words().values().copied().collect();
        words.extend(
            common_passwords()
                .iter()
                .filter(|w| w.chars().all(|c| c.is_ascii_lowercase())),
        );
        words.sort_unstable();
        words.dedup();
        words
    }

    /// Runs of at least six keys along a row of one of the keyboards,
    /// either way.
    fn walks() -> Vec<String> {
        let mut walks = vec![];
        for rows in KEYBOARDS {
            for row in rows {
                let keys: Vec<char> = row.chars().collect();
                for start in 0..keys.len() {
                    for end in start + MIN_WALK..=keys.len() {
                        let walk: String = keys[start..end].iter().collect();
                        walks.push(walk.chars().rev().collect());
                        walks.push(walk);
                    }
                }
            }
        }
        walks
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
        fn prop_refuses_a_common_word_with_a_year(
            word in proptest::sample::select(listed_words()),
            year in 1950u32..2030,
            before in proptest::bool::ANY,
            capital in proptest::bool::ANY,
            symbol in proptest::option::of(proptest::sample::select(vec!['!', '#', '?', '.', '*', '-', '_', '@', '$', '&'])),
        ) {
            let mut shown_word: String = word.to_owned();
            if capital {
                shown_word = shown_word.chars().enumerate().map(|(i, c)| if i == 0 { c.to_ascii_uppercase() } else { c }).collect();
            }
            let mut pw = if before { format!("{year}{shown_word}") } else { format!("{shown_word}{year}") };
            pw.extend(symbol);
            let err = check(&pw, None);
            prop_assert!(err.is_err(), "{pw} accepted");
            let err = err.unwrap_err();
            if pw.chars().count() >= 8 {
                prop_assert!(
                    matches!(err, Common | CommonWithDecoration { .. } | ContainsWord { .. } | KeyboardWalk),
                    "{pw}: {err:?}"
                );
            }
            // Neither the message nor the debug form gives away the
            // decorations, let alone the whole password.
            let shown = format!("{err} {err:?}").to_lowercase();
            prop_assert!(!shown.contains(&year.to_string()), "{shown}");
            prop_assert!(!shown.contains(&pw.to_lowercase()), "{shown}");
        }

        #[test]
        fn prop_refuses_a_keyboard_walk(
            walk in proptest::sample::select(walks()),
            year in proptest::option::of(1950u32..2030),
        ) {
            let mut pw = walk;
            pw.extend(year.map(|y| y.to_string()));
            let chars: Vec<char> = pw.chars().collect();
            prop_assert!(is_keyboard_walk(&chars), "{pw}");
            prop_assert!(check(&pw, None).is_err(), "{pw} accepted");
        }

        #[test]
        fn prop_never_accepts_the_cpr(prefix in "[a-zæøå ]{0,20}", dash in proptest::bool::ANY) {
            let written = if dash { cpr().formatted() } else { cpr().compact() };
            let pw = format!("{prefix}{written}");
            prop_assert!(check(&pw, None).is_err());
        }
    }
}
