//! The key card (*nøglekort*): 148 numbered one-time codes printed on paper.
//!
//! The login page shows a 4-digit key number chosen at random among the
//! holder's unused keys; the holder types the 6-digit code printed beside it.
//! A used key is never asked for again, and a new card is sent when few keys
//! are left (NemID: at 20).
//!
//! Pure functions: the caller passes the randomness in. The server keeps only
//! [`code_hash`] of each code once the card has been printed, so a copy of the
//! database alone does not give away the codes.

use std::collections::BTreeSet;
use std::fmt::{self, Write as _};

use hmac::digest::Key;
use hmac::{Hmac, KeyInit, Mac};
use rand::RngExt;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::html::escape;
use crate::ids::UserId;
use crate::secret::{SecretString, ct_eq};

/// How many keys one card holds.
pub const KEYS_PER_CARD: usize = 148;

/// A new card is ordered when this many unused keys are left (the holder may
/// choose another threshold).
pub const DEFAULT_REORDER_THRESHOLD: usize = 20;

/// Digits of a key-card code.
const CODE_DIGITS: usize = 6;

/// Columns of key/code pairs on the printed card.
const COLUMNS: usize = 4;

/// The number printed beside a code and shown on the login page:
/// `0001`–`9999`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct KeyNumber(u16);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a key number is 4 digits, 0001 to 9999")]
pub struct InvalidKeyNumber;

impl KeyNumber {
    pub const MIN: KeyNumber = KeyNumber(1);
    pub const MAX: KeyNumber = KeyNumber(9999);

    /// The key number `n`, if it is in `1..=9999`.
    pub fn new(n: u16) -> Option<Self> {
        (Self::MIN.0..=Self::MAX.0).contains(&n).then_some(Self(n))
    }

    pub fn get(self) -> u16 {
        self.0
    }

    /// Parses exactly 4 ASCII digits other than `0000`. No whitespace is
    /// accepted: the number comes from the server's own page, not from typing.
    pub fn parse(s: &str) -> Result<Self, InvalidKeyNumber> {
        if s.len() != 4 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(InvalidKeyNumber);
        }
        let n = s.parse().map_err(|_| InvalidKeyNumber)?;
        Self::new(n).ok_or(InvalidKeyNumber)
    }
}

impl fmt::Display for KeyNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}", self.0)
    }
}

impl fmt::Debug for KeyNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyNumber({self})")
    }
}

impl TryFrom<String> for KeyNumber {
    type Error = InvalidKeyNumber;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<KeyNumber> for String {
    fn from(k: KeyNumber) -> String {
        k.to_string()
    }
}

/// A freshly generated card with its codes in clear: it exists only between
/// generation and printing. Store [`PrintedKeyCard::hashed_codes`] instead.
#[derive(Debug, Clone)]
pub struct PrintedKeyCard {
    /// `KC` followed by 10 digits, printed on the card so that the holder and
    /// support can tell cards apart.
    pub card_id: String,
    /// [`KEYS_PER_CARD`] distinct key numbers in ascending order, each with
    /// its 6-digit code.
    pub keys: Vec<(KeyNumber, SecretString)>,
}

impl PrintedKeyCard {
    /// The code printed beside `key`, if the card has that key.
    pub fn code(&self, key: KeyNumber) -> Option<&SecretString> {
        self.keys
            .binary_search_by_key(&key, |(k, _)| *k)
            .ok()
            .and_then(|i| self.keys.get(i))
            .map(|(_, code)| code)
    }

    /// What the server stores: each key number with [`code_hash`] of its code.
    pub fn hashed_codes(&self, pepper: &[u8]) -> Vec<(KeyNumber, [u8; 32])> {
        self.keys
            .iter()
            .map(|(key, code)| (*key, code_hash(pepper, &self.card_id, *key, code.expose())))
            .collect()
    }
}

/// Generates a card: a random card id, [`KEYS_PER_CARD`] distinct random key
/// numbers and a random 6-digit code for each.
pub fn generate<R: rand::CryptoRng + ?Sized>(rng: &mut R) -> PrintedKeyCard {
    let card_id = format!("KC{:010}", rng.random_range(0..10_000_000_000_u64));
    let mut numbers = BTreeSet::new();
    while numbers.len() < KEYS_PER_CARD {
        numbers.insert(KeyNumber(
            rng.random_range(KeyNumber::MIN.0..=KeyNumber::MAX.0),
        ));
    }
    let keys = numbers
        .into_iter()
        .map(|key| {
            let code = format!("{:06}", rng.random_range(0..1_000_000_u32));
            (key, SecretString::new(code))
        })
        .collect();
    PrintedKeyCard { card_id, keys }
}

/// The keyed hash the server stores for a code: HMAC-SHA256 under the server
/// pepper over a versioned, length-prefixed encoding of card id, key number
/// and code, so that no two different triples encode alike and a hash from
/// one card or key never verifies another.
pub fn code_hash(pepper: &[u8], card_id: &str, key: KeyNumber, code: &str) -> [u8; 32] {
    let mut mac = hmac_sha256(pepper);
    mac.update(b"nyckel/keycard-code/v1\0");
    for field in [card_id.as_bytes(), &key.0.to_be_bytes(), code.as_bytes()] {
        mac.update(&u64::try_from(field.len()).unwrap_or(u64::MAX).to_be_bytes());
        mac.update(field);
    }
    mac.finalize().into_bytes().into()
}

fn hmac_sha256(key: &[u8]) -> Hmac<Sha256> {
    match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mac) => mac,
        // HMAC takes keys of any length, so this arm is never taken; rather
        // than panic it applies RFC 2104's own rule (hash a long key, pad
        // with zeros to the block size), which gives the same MAC.
        Err(_) => {
            let mut block = Key::<Hmac<Sha256>>::default();
            let digest = Sha256::digest(key);
            let key = if key.len() > block.len() {
                &digest[..]
            } else {
                key
            };
            for (b, k) in block.iter_mut().zip(key) {
                *b = *k;
            }
            Hmac::<Sha256>::new(&block)
        }
    }
}

/// Whether `typed` is the code of `key` on card `card_id`, given the `stored`
/// [`code_hash`]. Spaces inside the typed code are ignored (people copy
/// `123 456`); anything but exactly 6 digits is wrong. Constant time in the
/// code's contents.
pub fn verify_code(
    pepper: &[u8],
    card_id: &str,
    key: KeyNumber,
    typed: &str,
    stored: &[u8],
) -> bool {
    let digits = SecretString::new(
        typed
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>(),
    );
    let code = digits.expose();
    if code.len() != CODE_DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    ct_eq(&code_hash(pepper, card_id, key, code), stored)
}

/// Whether to order a new card now: `remaining` unused keys are at or below
/// the holder's `threshold` and no new card is on its way yet.
pub fn needs_new_card(remaining: usize, threshold: usize, new_card_already_ordered: bool) -> bool {
    remaining <= threshold && !new_card_already_ordered
}

/// The words of a printed card, in the holder's language (from the
/// message catalogs, crate nyckel-i18n; `keycard-print-…`).
#[derive(Debug, Clone, Copy)]
pub struct CardTexts<'a> {
    /// The language's BCP 47 tag, for `<html lang>`.
    pub lang: &'a str,
    pub title: &'a str,
    pub card: &'a str,
    pub holder: &'a str,
    pub user_id: &'a str,
    pub warning: &'a str,
    pub how_to: &'a str,
    /// The table's caption, card number and count already in it.
    pub caption: &'a str,
    pub key: &'a str,
    pub code: &'a str,
}

/// The keys in reading order for the printed columns: row by row, each row
/// holding up to [`COLUMNS`] entries taken down the columns.
fn rows(card: &PrintedKeyCard) -> Vec<Vec<&(KeyNumber, SecretString)>> {
    let per_column = card.keys.len().div_ceil(COLUMNS);
    (0..per_column)
        .map(|row| {
            (0..COLUMNS)
                .filter_map(|col| card.keys.get(col * per_column + row))
                .collect()
        })
        .collect()
}

/// Control characters in a name would break the printed layout (a newline
/// could fake a line of the card): show them as spaces.
fn printable(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// A print-ready plain-text card: header, instructions, then the keys in
/// columns of `NNNN  CCCCCC`, read downwards.
pub fn render_text(
    card: &PrintedKeyCard,
    holder_name: &str,
    user_id: &UserId,
    t: &CardTexts<'_>,
) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(out, "{}", t.title);
    let _ = writeln!(out, "{}: {}", t.card, printable(&card.card_id));
    let _ = writeln!(out, "{}: {}", t.holder, printable(holder_name));
    let _ = writeln!(out, "{}: {user_id}", t.user_id);
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", t.warning);
    let _ = writeln!(out, "{}", t.how_to);
    let _ = writeln!(out);
    for row in rows(card) {
        let line = row
            .iter()
            .map(|(key, code)| format!("{key}  {}", code.expose()))
            .collect::<Vec<_>>()
            .join("    ");
        let _ = writeln!(out, "{line}");
    }
    out
}

/// A standalone, print-ready HTML5 page for the card (A4, no scripts, no
/// outside resources), the printable key card of requirement R-CRED-2.
pub fn render_html(
    card: &PrintedKeyCard,
    holder_name: &str,
    user_id: &UserId,
    t: &CardTexts<'_>,
) -> String {
    let card_id = escape(&card.card_id);
    let holder = escape(&printable(holder_name));
    let user_id = escape(&user_id.to_string());
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<title>{title} {card_id}</title>
<style>
@page {{ size: A4; margin: 15mm; }}
body {{ font-family: sans-serif; font-size: 11pt; color: #000; background: #fff; }}
h1 {{ font-size: 16pt; margin: 0 0 4mm; }}
dl {{ display: grid; grid-template-columns: max-content auto; gap: 1mm 4mm; margin: 0 0 4mm; }}
dt {{ font-weight: bold; }}
dd {{ margin: 0; }}
.warning {{ font-weight: bold; border: 1px solid #000; padding: 2mm; }}
table {{ border-collapse: collapse; margin-top: 4mm; }}
caption {{ text-align: left; font-weight: bold; padding-bottom: 2mm; }}
th, td {{ font-family: monospace; font-size: 10.5pt; line-height: 1.2; padding: 0.3mm 3mm; text-align: left; }}
td.code {{ border-right: 1px solid #999; }}
tr {{ break-inside: avoid; }}
</style>
</head>
<body>
<main>
<h1>{title}</h1>
<dl>
<dt>{card_label}</dt><dd>{card_id}</dd>
<dt>{holder_label}</dt><dd>{holder}</dd>
<dt>{user_id_label}</dt><dd>{user_id}</dd>
</dl>
<p class="warning">{warning}</p>
<p>{how_to}</p>
<table>
<caption>{caption}</caption>
<thead>
<tr>"#,
        lang = escape(t.lang),
        title = escape(t.title),
        card_label = escape(t.card),
        holder_label = escape(t.holder),
        user_id_label = escape(t.user_id),
        warning = escape(t.warning),
        how_to = escape(t.how_to),
        caption = escape(t.caption),
    );
    for _ in 0..COLUMNS {
        let _ = write!(
            out,
            r#"<th scope="col">{}</th><th scope="col">{}</th>"#,
            escape(t.key),
            escape(t.code)
        );
    }
    out.push_str("</tr>\n</thead>\n<tbody>\n");
    for row in rows(card) {
        out.push_str("<tr>");
        for (key, code) in row {
            let _ = write!(
                out,
                r#"<th scope="row">{}</th><td class="code">{}</td>"#,
                escape(&key.to_string()),
                escape(code.expose()),
            );
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n</main>\n</body>\n</html>\n");
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap (no clippy.toml allows it in tests yet)
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    const PEPPER: &[u8] = b"test pepper, 32 bytes or so.....";

    fn card() -> PrintedKeyCard {
        generate(&mut StdRng::seed_from_u64(7))
    }

    fn key(s: &str) -> KeyNumber {
        KeyNumber::parse(s).unwrap()
    }

    fn user() -> UserId {
        UserId::parse("123456789").unwrap()
    }

    #[test]
    fn key_number_parse_table() {
        let cases: &[(&str, &str, Option<u16>)] = &[
            ("ok_first", "0001", Some(1)),
            ("ok_last", "9999", Some(9999)),
            ("ok_leading_zeros", "0042", Some(42)),
            ("ok_no_zeros", "1234", Some(1234)),
            ("fail_zero", "0000", None),
            ("fail_empty", "", None),
            ("fail_three_digits", "123", None),
            ("fail_five_digits", "01234", None),
            ("fail_space", " 123", None),
            ("fail_trailing_newline", "0123\n", None),
            ("fail_sign", "+123", None),
            ("fail_letter", "12a4", None),
            ("fail_fullwidth_digits", "１２３４", None),
        ];
        for (name, input, want) in cases {
            let got = KeyNumber::parse(input).ok().map(KeyNumber::get);
            assert_eq!(got, *want, "{name}");
        }
    }

    #[test]
    fn key_number_display_and_serde() {
        assert_eq!(key("0007").to_string(), "0007");
        assert_eq!(format!("{:?}", key("0007")), "KeyNumber(0007)");
        assert_eq!(serde_json::to_string(&key("0042")).unwrap(), "\"0042\"");
        assert_eq!(
            serde_json::from_str::<KeyNumber>("\"0042\"").unwrap(),
            key("0042")
        );
        assert!(serde_json::from_str::<KeyNumber>("\"0000\"").is_err());
        assert!(serde_json::from_str::<KeyNumber>("42").is_err());
        assert_eq!(KeyNumber::new(0), None);
        assert_eq!(KeyNumber::new(10_000), None);
        assert!(key("0009") < key("0010"));
    }

    #[test]
    fn ok_generate_has_148_unique_sorted_keys_with_6_digit_codes() {
        let card = card();
        assert_eq!(card.keys.len(), KEYS_PER_CARD);
        assert!(card.keys.windows(2).all(|w| w[0].0 < w[1].0));
        for (_, code) in &card.keys {
            let code = code.expose();
            assert_eq!(code.len(), 6, "{code}");
            assert!(code.bytes().all(|b| b.is_ascii_digit()), "{code}");
        }
        assert_eq!(card.card_id.len(), 12);
        assert!(card.card_id.starts_with("KC"));
        assert!(card.card_id[2..].bytes().all(|b| b.is_ascii_digit()));
    }

    #[test]
    fn ok_generate_differs_per_draw() {
        let mut rng = rand::rng();
        let a = generate(&mut rng);
        let b = generate(&mut rng);
        assert_ne!(a.card_id, b.card_id);
        let numbers = |c: &PrintedKeyCard| c.keys.iter().map(|(k, _)| *k).collect::<Vec<_>>();
        assert_ne!(numbers(&a), numbers(&b));
    }

    #[test]
    fn ok_code_lookup() {
        let card = card();
        let (k, c) = &card.keys[17];
        assert_eq!(card.code(*k).map(SecretString::expose), Some(c.expose()));
        let absent = (1..=9999)
            .filter_map(KeyNumber::new)
            .find(|k| card.code(*k).is_none())
            .unwrap();
        assert!(card.code(absent).is_none());
    }

    #[test]
    fn verify_code_table() {
        let card = card();
        let (k, code) = &card.keys[3];
        let (other_key, other_code) = &card.keys[4];
        let code = code.expose().to_string();
        let stored = code_hash(PEPPER, &card.card_id, *k, &code);
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        let padded = format!(" \t{code}\n");
        let fullwidth: String = code
            .chars()
            .map(|c| char::from_u32(u32::from(c) - u32::from('0') + 0xFF10).unwrap())
            .collect();
        let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000);
        let long = format!("{code}0");
        let own = card.card_id.as_str();
        /// (name, pepper, card id, key, typed, want)
        type Case<'a> = (&'a str, &'a [u8], &'a str, KeyNumber, &'a str, bool);
        let cases: &[Case] = &[
            ("ok_exact", PEPPER, own, *k, &code, true),
            ("ok_space_inside", PEPPER, own, *k, &spaced, true),
            ("ok_surrounding_whitespace", PEPPER, own, *k, &padded, true),
            ("fail_wrong_code", PEPPER, own, *k, &wrong, false),
            ("fail_short", PEPPER, own, *k, &code[..5], false),
            ("fail_long", PEPPER, own, *k, &long, false),
            ("fail_empty", PEPPER, own, *k, "", false),
            ("fail_non_digit", PEPPER, own, *k, "12a456", false),
            ("fail_fullwidth_digits", PEPPER, own, *k, &fullwidth, false),
            ("fail_other_key", PEPPER, own, *other_key, &code, false),
            ("fail_other_card", PEPPER, "KC0000000000", *k, &code, false),
            (
                "fail_other_pepper",
                b"another pepper",
                own,
                *k,
                &code,
                false,
            ),
            (
                "fail_code_of_other_key",
                PEPPER,
                own,
                *k,
                other_code.expose(),
                false,
            ),
        ];
        for (name, pepper, card_id, key, typed, want) in cases {
            assert_eq!(
                verify_code(pepper, card_id, *key, typed, &stored),
                *want,
                "{name}"
            );
        }
    }

    #[test]
    fn fail_verify_against_truncated_or_empty_hash() {
        let card = card();
        let (k, code) = &card.keys[0];
        let stored = code_hash(PEPPER, &card.card_id, *k, code.expose());
        assert!(!verify_code(
            PEPPER,
            &card.card_id,
            *k,
            code.expose(),
            &stored[..31]
        ));
        assert!(!verify_code(PEPPER, &card.card_id, *k, code.expose(), &[]));
    }

    #[test]
    fn ok_hashed_codes_verify() {
        let card = card();
        let hashed = card.hashed_codes(PEPPER);
        assert_eq!(hashed.len(), KEYS_PER_CARD);
        for ((k, code), (hk, hash)) in card.keys.iter().zip(&hashed) {
            assert_eq!(k, hk);
            assert!(verify_code(PEPPER, &card.card_id, *k, code.expose(), hash));
        }
    }

    #[test]
    fn code_hash_encoding_is_unambiguous() {
        // Moving bytes between fields must change the hash.
        let k = key("0001");
        assert_ne!(
            code_hash(PEPPER, "KC1", k, "23456"),
            code_hash(PEPPER, "KC12", k, "3456")
        );
        assert_ne!(
            code_hash(PEPPER, "KC1", k, "123456"),
            code_hash(PEPPER, "KC1", key("0002"), "123456")
        );
    }

    #[test]
    fn ok_code_hash_matches_reference_vectors() {
        // Stored hashes must not change between releases. Computed with
        // Python's hmac module: HMAC-SHA256(pepper, "nyckel/keycard-code/v1\0"
        // || for each field: u64 big-endian length || field), the key number
        // as a u16 big-endian.
        let k = key("0042");
        let cases: [(&str, &[u8], &str); 2] = [
            (
                "ok_short_pepper",
                b"pepper",
                "231cebadf29cf00b9b7fe5d738ebc778fbbd8e9f99869feb741d8e6159bac712",
            ),
            (
                "ok_long_pepper_hashed_first",
                &[b'x'; 200],
                "52327a5f7b0cb398148199e661256a054d286956d95596927d9579d363f783d2",
            ),
        ];
        for (name, pepper, want) in cases {
            let got = hex::encode(code_hash(pepper, "KC0123456789", k, "123456"));
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn needs_new_card_table() {
        let cases = [
            ("ok_above_threshold", 21, 20, false, false),
            ("ok_at_threshold", 20, 20, false, true),
            ("ok_below_threshold", 19, 20, false, true),
            ("ok_used_up", 0, 20, false, true),
            ("fail_already_ordered_at_threshold", 20, 20, true, false),
            ("fail_already_ordered_used_up", 0, 20, true, false),
            ("ok_zero_threshold_used_up", 0, 0, false, true),
            ("ok_zero_threshold_one_left", 1, 0, false, false),
            ("ok_full_card_threshold_148", 148, 148, false, true),
        ];
        for (name, remaining, threshold, ordered, want) in cases {
            assert_eq!(
                needs_new_card(remaining, threshold, ordered),
                want,
                "{name}"
            );
        }
    }

    #[test]
    fn ok_render_text_lists_every_key() {
        let card = card();
        let text = render_text(&card, "Jens Hansen", &user(), &TEXTS);
        assert!(text.contains(&card.card_id));
        assert!(text.contains("Jens Hansen"));
        assert!(text.contains("123456789"));
        assert!(text.contains("Never give your codes to anyone"));
        assert!(text.contains(TEXTS.how_to));
        for (k, code) in &card.keys {
            assert!(text.contains(&format!("{k}  {}", code.expose())), "{k}");
        }
        // 148 keys in 4 columns of 37 rows.
        let key_lines = text
            .lines()
            .filter(|l| l.len() > 4 && l[..4].bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(key_lines.count(), 37);
    }

    #[test]
    fn ok_render_text_reads_down_the_columns() {
        let card = card();
        let text = render_text(&card, "X", &user(), &TEXTS);
        let first = text
            .lines()
            .find(|l| l.starts_with(&card.keys[0].0.to_string()))
            .unwrap();
        assert!(first.contains(&card.keys[37].0.to_string()));
        assert!(!first.contains(&format!("{}  ", card.keys[1].0)));
    }

    #[test]
    fn fail_render_text_newline_in_name_cannot_fake_a_line() {
        let text = render_text(&card(), "Eve\n0001  000000", &user(), &TEXTS);
        assert!(text.lines().all(|l| !l.starts_with("0001  000000")));
    }

    #[test]
    fn ok_render_html_is_a_standalone_page() {
        let card = card();
        let html = render_html(&card, "Søren Ærø", &user(), &TEXTS);
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains(r#"<html lang="en">"#));
        assert!(html.contains("size: A4"));
        assert!(html.contains("<caption>"));
        assert!(html.contains("Søren Ærø"));
        assert!(html.contains(TEXTS.warning) && html.contains(TEXTS.how_to));
        assert!(!html.contains("<script"));
        assert!(!html.contains("http"));
        for (k, code) in &card.keys {
            assert!(
                html.contains(&format!(
                    r#"<th scope="row">{k}</th><td class="code">{}</td>"#,
                    code.expose()
                )),
                "{k}"
            );
        }
        assert_eq!(html.matches("<tr>").count(), 1 + 37);
    }

    /// Test words (the real ones are in the catalogs).
    const TEXTS: CardTexts<'static> = CardTexts {
        lang: "en",
        title: "Key card",
        card: "Card",
        holder: "Holder",
        user_id: "User ID",
        warning: "Never give your codes to anyone.",
        how_to: "Type the code beside the key number.",
        caption: "The codes",
        key: "Key",
        code: "Code",
    };

    #[test]
    fn render_escapes_table() {
        let cases = [
            (
                "fail_script",
                "<script>alert(1)</script>",
                "&lt;script&gt;alert(1)&lt;/script&gt;",
            ),
            (
                "fail_attribute_break",
                r#"" onload="x"#,
                "&quot; onload=&quot;x",
            ),
            ("fail_single_quote", "O'Brien", "O&#39;Brien"),
            ("fail_entity", "A&amp;B", "A&amp;amp;B"),
        ];
        for (name, holder, escaped) in cases {
            let html = render_html(&card(), holder, &user(), &TEXTS);
            assert!(html.contains(escaped), "{name}");
            assert!(!html.contains(holder), "{name}");
        }
        let mut card = card();
        card.card_id = "<b>".into();
        let html = render_html(&card, "x", &user(), &TEXTS);
        assert!(
            !html.contains("<b>") && html.contains("&lt;b&gt;"),
            "fail_card_id"
        );
    }

    proptest! {
        #[test]
        fn prop_key_number_display_parse_round_trip(n in 1u16..=9999) {
            let k = KeyNumber::new(n).unwrap();
            let shown = k.to_string();
            prop_assert_eq!(shown.len(), 4);
            prop_assert_eq!(KeyNumber::parse(&shown), Ok(k));
        }

        #[test]
        fn prop_key_number_parse_never_panics(s in any::<String>()) {
            if let Ok(k) = KeyNumber::parse(&s) {
                prop_assert_eq!(k.to_string(), s);
            }
        }

        #[test]
        fn prop_key_number_parse_four_digits(s in "[0-9]{4}") {
            prop_assert_eq!(KeyNumber::parse(&s).is_ok(), s != "0000");
        }

        #[test]
        fn prop_verify_never_panics(typed in any::<String>(), stored in proptest::collection::vec(any::<u8>(), 0..40)) {
            let _ = verify_code(PEPPER, "KC0000000001", KeyNumber::MIN, &typed, &stored);
        }
    }
}
