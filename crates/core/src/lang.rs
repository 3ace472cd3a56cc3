//! The languages people read nyckel in (R-SELF-3): Danish, English and
//! Swedish, and how one is chosen for a page.
//!
//! Order of choice (issue 9): the holder's own choice on the language
//! switch, then the authorization request's `ui_locales`, then the
//! browser's `Accept-Language` (subtags matched to the base language), then
//! Danish. Everything without a browser (letters, key cards, the code app's
//! texts) uses the identity's stored language.

use std::fmt;
use std::str::FromStr;

/// A language nyckel speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub enum Lang {
    /// Danish: nyckel is a Danish system, and Danish is the default.
    #[default]
    Da,
    En,
    Sv,
}

/// A tag that is not one of nyckel's languages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a language nyckel speaks (da, en or sv)")]
pub struct UnknownLang;

impl Lang {
    /// Every language, in the order the language switch shows them.
    pub const ALL: [Lang; 3] = [Lang::Da, Lang::En, Lang::Sv];

    /// The BCP 47 tag (`da`, `en`, `sv`): `<html lang>`, cookies, forms.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Da => "da",
            Lang::En => "en",
            Lang::Sv => "sv",
        }
    }

    /// The language's name in itself, for the language switch.
    pub fn endonym(self) -> &'static str {
        match self {
            Lang::Da => "Dansk",
            Lang::En => "English",
            Lang::Sv => "Svenska",
        }
    }

    /// The language of one BCP 47 tag, by its primary subtag: `da-DK`,
    /// `en-GB`, `sv-FI` and `SV` all count. Norwegian Bokmål and Nynorsk
    /// read Danish more easily than English, but are not guessed: a tag
    /// nyckel does not speak is `None`.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?;
        match primary.to_ascii_lowercase().as_str() {
            "da" => Some(Lang::Da),
            "en" => Some(Lang::En),
            "sv" => Some(Lang::Sv),
            _ => None,
        }
    }

    /// The first of a space-separated `ui_locales` list (OpenID Connect
    /// Core §3.1.2.1, in order of preference) that nyckel speaks.
    pub fn from_ui_locales(ui_locales: &str) -> Option<Lang> {
        ui_locales.split_ascii_whitespace().find_map(Lang::from_tag)
    }

    /// The language of an `Accept-Language` header (RFC 9110 §12.5.4) that
    /// nyckel speaks with the highest weight; among equal weights the
    /// first. `q=0` means "not this one". Malformed entries are skipped.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut best: Option<(u16, Lang)> = None;
        for item in header.split(',').take(32) {
            let mut parts = item.split(';');
            let Some(lang) = parts.next().and_then(Lang::from_tag) else {
                continue;
            };
            let mut q = 1000u16;
            for p in parts {
                if let Some(v) = p.trim().strip_prefix("q=") {
                    match parse_qvalue(v) {
                        Some(v) => q = v,
                        None => q = 0,
                    }
                }
            }
            if q == 0 {
                continue;
            }
            if best.is_none_or(|(b, _)| q > b) {
                best = Some((q, lang));
            }
        }
        best.map(|(_, l)| l)
    }

    /// The page's language: the holder's choice, then `ui_locales`, then
    /// `Accept-Language`, then Danish.
    pub fn negotiate(
        chosen: Option<Lang>,
        ui_locales: Option<&str>,
        accept_language: Option<&str>,
    ) -> Lang {
        chosen
            .or_else(|| ui_locales.and_then(Lang::from_ui_locales))
            .or_else(|| accept_language.and_then(Lang::from_accept_language))
            .unwrap_or_default()
    }
}

/// An RFC 9110 qvalue (`0`, `0.5`, `1.000`) in thousandths.
fn parse_qvalue(v: &str) -> Option<u16> {
    let v = v.trim();
    let (int, frac) = v.split_once('.').unwrap_or((v, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let frac_value = format!("{frac:0<3}").parse::<u16>().ok()?;
    match int {
        "0" => Some(frac_value),
        "1" if frac_value == 0 => Some(1000),
        _ => None,
    }
}

impl FromStr for Lang {
    type Err = UnknownLang;

    /// Exactly `da`, `en` or `sv` (a stored value, a form field, a
    /// command-line option), in any case.
    fn from_str(s: &str) -> Result<Self, UnknownLang> {
        match s.to_ascii_lowercase().as_str() {
            "da" => Ok(Lang::Da),
            "en" => Ok(Lang::En),
            "sv" => Ok(Lang::Sv),
            _ => Err(UnknownLang),
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn tags_match_by_their_base_language() {
        for (tag, want) in [
            ("da", Some(Lang::Da)),
            ("da-DK", Some(Lang::Da)),
            ("EN-gb", Some(Lang::En)),
            ("sv_FI", Some(Lang::Sv)),
            ("nb-NO", None),
            ("de", None),
            ("", None),
            ("dan", None),
        ] {
            assert_eq!(Lang::from_tag(tag), want, "{tag}");
        }
    }

    #[test]
    fn ui_locales_take_the_first_spoken() {
        assert_eq!(Lang::from_ui_locales("de-DE sv-SE en"), Some(Lang::Sv));
        assert_eq!(Lang::from_ui_locales("fr ja"), None);
        assert_eq!(Lang::from_ui_locales(""), None);
    }

    #[test]
    fn accept_language_takes_the_highest_weight() {
        for (header, want) in [
            ("sv-SE,sv;q=0.9,en-US;q=0.8,en;q=0.7", Some(Lang::Sv)),
            ("de-DE, en;q=0.5, da;q=0.8", Some(Lang::Da)),
            ("en;q=0.5, sv;q=0.5", Some(Lang::En)),
            ("da;q=0, en", Some(Lang::En)),
            ("da;q=0", None),
            ("da;q=2, sv", Some(Lang::Sv)),
            ("*", None),
            ("fr-CH, fr;q=0.9", None),
            ("", None),
        ] {
            assert_eq!(Lang::from_accept_language(header), want, "{header}");
        }
    }

    #[test]
    fn choice_beats_ui_locales_beats_accept_language_beats_danish() {
        assert_eq!(
            Lang::negotiate(Some(Lang::En), Some("sv"), Some("da")),
            Lang::En
        );
        assert_eq!(Lang::negotiate(None, Some("sv"), Some("en")), Lang::Sv);
        assert_eq!(Lang::negotiate(None, Some("fr"), Some("en")), Lang::En);
        assert_eq!(Lang::negotiate(None, None, Some("fr")), Lang::Da);
        assert_eq!(Lang::negotiate(None, None, None), Lang::Da);
    }

    #[test]
    fn stored_codes_round_trip() {
        for l in Lang::ALL {
            assert_eq!(l.code().parse::<Lang>(), Ok(l));
            assert_eq!(l.to_string(), l.code());
        }
        assert!("da-DK".parse::<Lang>().is_err());
        assert!("".parse::<Lang>().is_err());
    }

    proptest! {
        #[test]
        fn any_header_is_answered_without_panic(h in ".{0,200}") {
            let _ = Lang::from_accept_language(&h);
            let _ = Lang::from_ui_locales(&h);
        }
    }
}
