//! nyckel's message catalogs: every text people read — pages, errors, the
//! activity in My nyckel, letters and the printed key card — in Danish,
//! English and Swedish ([Project Fluent](https://projectfluent.org/)).
//!
//! The catalogs are `catalogs/{da,en,sv}.ftl`, compiled into the binary and
//! parsed once. A [`Tr`] is one language's view of them: plain text
//! ([`Tr::get`], [`Tr::arg`], [`Tr::with`]; templates escape it) or
//! [`Markup`] from the `-html` messages ([`Tr::html`]), whose text
//! arguments are escaped here. Dates are Copenhagen time with the zone
//! named. `tests/catalogs.rs` fails when a message is missing, unused, or
//! differs in its arguments between the languages.

use std::borrow::Cow;
use std::fmt;
use std::sync::OnceLock;

use chrono::{DateTime, Datelike, NaiveDateTime, Timelike, Utc};
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
pub use nyckel_core::lang::Lang;

/// The catalog source of one language.
pub fn source(lang: Lang) -> &'static str {
    match lang {
        Lang::Da => include_str!("../catalogs/da.ftl"),
        Lang::En => include_str!("../catalogs/en.ftl"),
        Lang::Sv => include_str!("../catalogs/sv.ftl"),
    }
}

type Bundle = FluentBundle<FluentResource>;

fn bundles() -> &'static [Bundle; 3] {
    static BUNDLES: OnceLock<[Bundle; 3]> = OnceLock::new();
    BUNDLES.get_or_init(|| Lang::ALL.map(build))
}

fn build(lang: Lang) -> Bundle {
    let id: unic_langid::LanguageIdentifier = lang.code().parse().unwrap_or_default();
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // No Unicode isolation marks around arguments: our arguments are
    // names, numbers and dates in the page's own script.
    bundle.set_use_isolating(false);
    let resource =
        FluentResource::try_new(source(lang).to_owned()).unwrap_or_else(|(r, errors)| {
            tracing::error!(
                lang = lang.code(),
                ?errors,
                "message catalog has syntax errors"
            );
            r
        });
    if let Err(errors) = bundle.add_resource(resource) {
        tracing::error!(
            lang = lang.code(),
            ?errors,
            "message catalog has duplicate messages"
        );
    }
    bundle
}

fn bundle(lang: Lang) -> &'static Bundle {
    let i = Lang::ALL.iter().position(|l| *l == lang).unwrap_or(0);
    &bundles()[i]
}

/// The literal texts of one language's messages: each run of text between
/// arguments, per message id, trimmed. Tests look for the English ones on
/// pages that must be in another language.
pub fn literal_texts(lang: Lang) -> Vec<(String, String)> {
    use fluent_syntax::ast::{Entry, Expression, Pattern, PatternElement};
    fn walk(id: &str, p: &Pattern<&str>, run: &mut String, out: &mut Vec<(String, String)>) {
        for e in &p.elements {
            match e {
                PatternElement::TextElement { value } => run.push_str(value),
                PatternElement::Placeable { expression } => {
                    flush(id, run, out);
                    if let Expression::Select { variants, .. } = expression {
                        for v in variants {
                            walk(id, &v.value, run, out);
                            flush(id, run, out);
                        }
                    }
                }
            }
        }
    }
    fn flush(id: &str, run: &mut String, out: &mut Vec<(String, String)>) {
        let t = run.trim();
        if !t.is_empty() {
            out.push((id.to_owned(), t.to_owned()));
        }
        run.clear();
    }
    let resource = match fluent_syntax::parser::parse(source(lang)) {
        Ok(r) | Err((r, _)) => r,
    };
    let mut out = vec![];
    for entry in &resource.body {
        if let Entry::Message(m) = entry
            && let Some(p) = &m.value
        {
            let mut run = String::new();
            walk(m.id.name, p, &mut run, &mut out);
            flush(m.id.name, &mut run, &mut out);
        }
    }
    out
}

/// One argument of a message.
#[derive(Debug, Clone, Copy)]
pub enum Arg<'a> {
    /// Text: escaped when it goes into [`Markup`].
    Text(&'a str),
    /// A number: chooses the plural form.
    Number(i64),
    /// Markup made by [`Tr::html`] (a support line inside a hint).
    Markup(&'a Markup),
}

/// HTML that is safe to put into a page as it is: made from an `-html`
/// message with its text arguments escaped, or by [`Markup::text`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Markup(String);

impl Markup {
    /// Plain text, escaped.
    pub fn text(s: &str) -> Markup {
        Markup(nyckel_core::html::escape(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Markup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The catalogs in one language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tr {
    lang: Lang,
}

impl Tr {
    pub fn new(lang: Lang) -> Tr {
        Tr { lang }
    }

    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// The BCP 47 tag, for `<html lang>`.
    pub fn code(&self) -> &'static str {
        self.lang.code()
    }

    /// A message without arguments.
    pub fn get(&self, id: &str) -> String {
        self.format(id, None)
    }

    /// A message with one text argument.
    pub fn arg(&self, id: &str, name: &str, value: impl fmt::Display) -> String {
        let v = value.to_string();
        self.with(id, &[(name, Arg::Text(&v))])
    }

    /// A message with one number argument (plurals).
    pub fn count(&self, id: &str, name: &str, n: impl std::borrow::Borrow<i64>) -> String {
        self.with(id, &[(name, Arg::Number(*n.borrow()))])
    }

    /// Every language, for the language switch.
    pub fn langs(&self) -> [Lang; 3] {
        Lang::ALL
    }

    /// A message with any arguments, as plain text.
    pub fn with(&self, id: &str, args: &[(&str, Arg<'_>)]) -> String {
        self.format(id, Some(fluent_args(args, false)))
    }

    /// An `-html` message: its text arguments escaped, its markup kept.
    pub fn html(&self, id: &str, args: &[(&str, Arg<'_>)]) -> Markup {
        debug_assert!(id.ends_with("-html"), "{id} is not an -html message");
        Markup(self.format(id, Some(fluent_args(args, true))))
    }

    /// An `-html` message with one text argument (for templates).
    pub fn html1(&self, id: &str, name: &str, value: impl fmt::Display) -> Markup {
        let v = value.to_string();
        self.html(id, &[(name, Arg::Text(&v))])
    }

    /// An `-html` message with two text arguments (for templates).
    pub fn html2(
        &self,
        id: &str,
        n1: &str,
        v1: impl fmt::Display,
        n2: &str,
        v2: impl fmt::Display,
    ) -> Markup {
        let (v1, v2) = (v1.to_string(), v2.to_string());
        self.html(id, &[(n1, Arg::Text(&v1)), (n2, Arg::Text(&v2))])
    }

    fn format(&self, id: &str, args: Option<FluentArgs<'_>>) -> String {
        let b = bundle(self.lang);
        let Some(pattern) = b.get_message(id).and_then(|m| m.value()) else {
            debug_assert!(false, "message {id} missing in {}", self.lang.code());
            tracing::error!(id, lang = self.lang.code(), "message missing");
            return id.to_owned();
        };
        let mut errors = vec![];
        let text = b.format_pattern(pattern, args.as_ref(), &mut errors);
        if !errors.is_empty() {
            debug_assert!(false, "message {id} in {}: {errors:?}", self.lang.code());
            tracing::error!(
                id,
                lang = self.lang.code(),
                ?errors,
                "message did not format"
            );
        }
        text.into_owned()
    }

    /// "3. december 2026 kl. 17.49 (CET)": a moment in Copenhagen time,
    /// the zone named.
    pub fn date_time(&self, ms: i64) -> String {
        let (local, zone) = copenhagen(ms);
        let date = self.date_of(&local);
        let time = self.time(local.hour(), local.minute());
        self.with(
            "date-time",
            &[
                ("date", Arg::Text(&date)),
                ("time", Arg::Text(&time)),
                ("zone", Arg::Text(zone)),
            ],
        )
    }

    /// "3. december 2026": the day of a moment in Copenhagen.
    pub fn date(&self, ms: i64) -> String {
        self.date_of(&copenhagen(ms).0)
    }

    fn date_of(&self, local: &NaiveDateTime) -> String {
        let day = local.day().to_string();
        let month = self.month(local.month());
        let year = local.year().to_string();
        self.with(
            "date",
            &[
                ("day", Arg::Text(&day)),
                ("month", Arg::Text(&month)),
                ("year", Arg::Text(&year)),
            ],
        )
    }

    /// "24. december": a day of the year.
    pub fn day_month(&self, day: u32, month: u32) -> String {
        let (day, month) = (day.to_string(), self.month(month));
        self.with(
            "date-day-month",
            &[("day", Arg::Text(&day)), ("month", Arg::Text(&month))],
        )
    }

    /// A clock time, "17:49" or "17.49".
    pub fn time(&self, hour: u32, minute: u32) -> String {
        let (h, m) = (format!("{hour:02}"), format!("{minute:02}"));
        self.with(
            "time-of-day",
            &[("hour", Arg::Text(&h)), ("minute", Arg::Text(&m))],
        )
    }

    /// The month's name (1 = January).
    pub fn month(&self, month: u32) -> String {
        self.count("month-name", "month", i64::from(month.clamp(1, 12)))
    }

    /// The weekday's name.
    pub fn weekday(&self, d: chrono::Weekday) -> String {
        let key = match d {
            chrono::Weekday::Mon => "mon",
            chrono::Weekday::Tue => "tue",
            chrono::Weekday::Wed => "wed",
            chrono::Weekday::Thu => "thu",
            chrono::Weekday::Fri => "fri",
            chrono::Weekday::Sat => "sat",
            chrono::Weekday::Sun => "sun",
        };
        self.arg("weekday-name", "weekday", key)
    }

    /// "Monday 7 December at 08:00" (a Copenhagen local time).
    pub fn weekday_date_time(&self, local: &NaiveDateTime) -> String {
        let weekday = self.weekday(local.weekday());
        let date = self.day_month(local.day(), local.month());
        let time = self.time(local.hour(), local.minute());
        self.with(
            "weekday-date-time",
            &[
                ("weekday", Arg::Text(&weekday)),
                ("date", Arg::Text(&date)),
                ("time", Arg::Text(&time)),
            ],
        )
    }

    /// "Monday at 08:00" (a Copenhagen local time within the week).
    pub fn weekday_time(&self, local: &NaiveDateTime) -> String {
        let weekday = self.weekday(local.weekday());
        let time = self.time(local.hour(), local.minute());
        self.with(
            "weekday-time",
            &[("weekday", Arg::Text(&weekday)), ("time", Arg::Text(&time))],
        )
    }
}

/// Copenhagen local time of a moment, and the zone's name.
fn copenhagen(ms: i64) -> (NaiveDateTime, &'static str) {
    let utc = DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default();
    let zone = if nyckel_core::support::copenhagen_summer_time(utc) {
        "CEST"
    } else {
        "CET"
    };
    (nyckel_core::support::copenhagen_local(utc), zone)
}

fn fluent_args<'a>(args: &[(&'a str, Arg<'a>)], escape: bool) -> FluentArgs<'a> {
    let mut out = FluentArgs::with_capacity(args.len());
    for (name, v) in args {
        let value: FluentValue<'a> = match v {
            Arg::Text(t) if escape => FluentValue::String(Cow::Owned(nyckel_core::html::escape(t))),
            Arg::Text(t) => FluentValue::String(Cow::Borrowed(t)),
            Arg::Number(n) => FluentValue::from(*n),
            Arg::Markup(m) => FluentValue::String(Cow::Borrowed(m.as_str())),
        };
        out.set(*name, value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-12-03 16:49 UTC (winter) and 2026-07-01 10:00 UTC (summer).
    const WINTER: i64 = 1_796_316_540_000;
    const SUMMER: i64 = 1_782_900_000_000;

    #[test]
    fn ok_dates_per_language() {
        assert_eq!(
            Tr::new(Lang::En).date_time(WINTER),
            "3 December 2026, 17:49 (CET)"
        );
        assert_eq!(
            Tr::new(Lang::Da).date_time(WINTER),
            "3. december 2026 kl. 17.49 (CET)"
        );
        assert_eq!(
            Tr::new(Lang::Sv).date_time(WINTER),
            "3 december 2026 kl. 17.49 (CET)"
        );
        assert_eq!(
            Tr::new(Lang::En).date_time(SUMMER),
            "1 July 2026, 12:00 (CEST)"
        );
        assert_eq!(Tr::new(Lang::Da).date(SUMMER), "1. juli 2026");
    }

    #[test]
    fn ok_plural_per_language() {
        let en = Tr::new(Lang::En);
        assert!(
            en.count("demo-card-summary", "count", 1)
                .ends_with("(1 key)")
        );
        assert!(
            en.count("demo-card-summary", "count", 10)
                .ends_with("(10 keys)")
        );
    }

    #[test]
    fn ok_html_escapes_text_arguments_only() {
        let en = Tr::new(Lang::En);
        let m = en.html1("logout-asked-by-html", "service", "<b>&Bank");
        assert_eq!(
            m.as_str(),
            "<strong>&lt;b&gt;&amp;Bank</strong> asks nyckel to log you out."
        );
        let line = en.html(
            "support-line-open-html",
            &[("tel", Arg::Text("+4570")), ("phone", Arg::Text("+45 70"))],
        );
        let hint = en.html("hint-key-card-html", &[("line", Arg::Markup(&line))]);
        assert!(
            hint.as_str().contains("<a href=\"tel:+4570\">+45 70</a>"),
            "{hint}"
        );
    }

    #[test]
    fn ok_select_on_status_strings() {
        let da = Tr::new(Lang::Da);
        let en = Tr::new(Lang::En);
        assert_eq!(
            en.arg("credential-status", "status", "blocked-by-holder"),
            "blocked by you"
        );
        assert_ne!(da.arg("credential-status", "status", "active"), "active");
    }
}
