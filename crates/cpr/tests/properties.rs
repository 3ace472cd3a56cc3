//! Property tests for CPR numbers and dates. Each expected value is derived
//! here independently of the crate's own code (the century table as a table,
//! the calendar from its rules, modulus 11 as a check digit), so a mistake in
//! either shows as a disagreement.

use nyckel_cpr::{Cpr, CprError, Date, Sex};
use proptest::prelude::*;

/// The century table from DOMAIN.md, row by 7th digit, column by two-digit
/// year (00–36, 37–57, 58–99).
const CENTURY: [[i32; 3]; 10] = [
    [1900, 1900, 1900], // 0
    [1900, 1900, 1900], // 1
    [1900, 1900, 1900], // 2
    [1900, 1900, 1900], // 3
    [2000, 1900, 1900], // 4
    [2000, 2000, 1800], // 5
    [2000, 2000, 1800], // 6
    [2000, 2000, 1800], // 7
    [2000, 2000, 1800], // 8
    [2000, 1900, 1900], // 9
];

fn expected_year(seventh: u8, yy: u8) -> i32 {
    let column = match yy {
        0..=36 => 0,
        37..=57 => 1,
        _ => 2,
    };
    CENTURY[usize::from(seventh)][column] + i32::from(yy)
}

fn days_in_month(year: i32, month: u8) -> u8 {
    let leap = year % 400 == 0 || (year % 100 != 0 && year % 4 == 0);
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        1..=12 => 31,
        _ => 0,
    }
}

/// The check-digit form of modulus 11: the 10th digit must make the weighted
/// sum divisible by 11, which no digit can when the remainder asks for 10.
fn expected_modulus11(d: &[u8; 10]) -> bool {
    let weights = [4u32, 3, 2, 7, 6, 5, 4, 3, 2];
    let sum: u32 = d[..9]
        .iter()
        .zip(weights)
        .map(|(x, w)| u32::from(*x) * w)
        .sum();
    match 11 - sum % 11 {
        11 => d[9] == 0,
        10 => false,
        check => u32::from(d[9]) == check,
    }
}

/// Ten digits whose first four are biased towards plausible days and months.
fn digits() -> impl Strategy<Value = [u8; 10]> {
    (0u8..=35, 0u8..=13, 0u8..=99, prop::array::uniform4(0u8..=9)).prop_map(
        |(day, month, yy, [seventh, s8, s9, s10])| {
            [
                day / 10,
                day % 10,
                month / 10,
                month % 10,
                yy / 10,
                yy % 10,
                seventh,
                s8,
                s9,
                s10,
            ]
        },
    )
}

fn is_real_date(d: &[u8; 10]) -> bool {
    let (day, month) = (d[0] * 10 + d[1], d[2] * 10 + d[3]);
    let year = expected_year(d[6], d[4] * 10 + d[5]);
    (1..=days_in_month(year, month)).contains(&day)
}

/// Ten digits not starting with a real date: uniformly random ones (mostly a
/// month over 12) and near misses (day 0, 29–31 in short months, month 13).
fn impossible_date_digits() -> impl Strategy<Value = [u8; 10]> {
    prop_oneof![prop::array::uniform10(0u8..=9), digits()]
        .prop_filter("a real date", |d| !is_real_date(d))
}

fn text(d: &[u8; 10], dash: bool) -> String {
    let s: String = d.iter().map(|x| char::from(b'0' + x)).collect();
    if dash {
        format!("{}-{}", &s[..6], &s[6..])
    } else {
        s
    }
}

fn date() -> impl Strategy<Value = Date> {
    (1i32..=9999, 1u8..=12, 1u8..=31).prop_filter_map("not a date", |(y, m, d)| Date::new(y, m, d))
}

fn recent_date() -> impl Strategy<Value = Date> {
    (1850i32..=2100, 1u8..=12, 1u8..=31)
        .prop_filter_map("not a date", |(y, m, d)| Date::new(y, m, d))
}

/// A CPR number valid on 31 December 2099 (every date the table can give).
fn valid_cpr() -> impl Strategy<Value = Cpr> {
    (digits(), any::<bool>()).prop_filter_map("not a valid CPR number", |(d, dash)| {
        Cpr::parse(&text(&d, dash), Date::new(2099, 12, 31)?).ok()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn parse_never_panics(s in any::<String>(), today in date()) {
        let _ = Cpr::parse(&s, today);
    }

    #[test]
    fn parse_never_panics_near_the_format(
        s in "[ \t]?[0-9０-９٠-٩a-]{5,7}[-–]?[0-9-]{3,5}[ \n]?",
        today in date(),
    ) {
        let _ = Cpr::parse(&s, today);
    }

    /// A full oracle: for any ten digits, with or without the dash, and any
    /// today, the outcome is what the table, the calendar and the clock say.
    #[test]
    fn parse_agrees_with_the_rules(d in digits(), dash in any::<bool>(), today in recent_date()) {
        let s = text(&d, dash);
        let (day, month, yy) = (d[0] * 10 + d[1], d[2] * 10 + d[3], d[4] * 10 + d[5]);
        let year = expected_year(d[6], yy);
        let real = is_real_date(&d);
        match Cpr::parse(&s, today) {
            Err(CprError::InvalidDate) => prop_assert!(!real, "{s}"),
            Err(CprError::FutureBirthDate) => {
                prop_assert!(real, "{s}");
                prop_assert!((year, month, day) > (today.year(), today.month(), today.day()), "{s}");
            }
            Err(CprError::Format) => prop_assert!(false, "{s} refused as malformed"),
            Ok(cpr) => {
                prop_assert!(real, "{s}");
                let born = cpr.birth_date();
                prop_assert_eq!((born.year(), born.month(), born.day()), (year, month, day), "{}", s);
                prop_assert!(born <= today);
                prop_assert_eq!(cpr.sex(), if d[9] % 2 == 1 { Sex::Male } else { Sex::Female });
                prop_assert_eq!(cpr.modulus11_ok(), expected_modulus11(&d), "{}", s);
            }
        }
    }

    /// An impossible date is `InvalidDate` whatever today is.
    #[test]
    fn impossible_date_is_invalid_date(d in impossible_date_digits(), dash in any::<bool>(), today in date()) {
        prop_assert_eq!(Cpr::parse(&text(&d, dash), today), Err(CprError::InvalidDate));
    }

    #[test]
    fn reparses_from_its_own_renderings(cpr in valid_cpr()) {
        let today = cpr.birth_date();
        let formatted = cpr.formatted();
        let compact = cpr.compact();
        prop_assert_eq!(formatted.len(), 11);
        prop_assert_eq!(&formatted[6..7], "-");
        prop_assert_eq!(compact.len(), 10);
        prop_assert!(compact.bytes().all(|b| b.is_ascii_digit()));
        prop_assert_eq!(formatted.replace('-', ""), compact.clone());
        prop_assert_eq!(Cpr::parse(&formatted, today), Ok(cpr));
        prop_assert_eq!(Cpr::parse(&compact, today), Ok(cpr));
        prop_assert_eq!(Cpr::parse(&format!(" {compact}\n"), today), Ok(cpr));
        prop_assert_eq!(cpr.to_string(), formatted.clone());
        prop_assert_eq!(cpr.masked(), format!("{}-XXXX", &compact[..6]));
        let debug = format!("{cpr:?}");
        prop_assert_eq!(debug, format!("Cpr({})", cpr.masked()));
    }

    #[test]
    fn future_birth_date_refused_until_the_day(cpr in valid_cpr()) {
        let born = cpr.birth_date();
        prop_assert_eq!(Cpr::parse(&cpr.compact(), born), Ok(cpr));
        let day_before = Date::new(born.year(), born.month(), born.day() - 1)
            .or_else(|| {
                let (y, m) = if born.month() == 1 { (born.year() - 1, 12) } else { (born.year(), born.month() - 1) };
                Date::new(y, m, days_in_month(y, m))
            });
        if let Some(day_before) = day_before {
            prop_assert!(day_before < born);
            prop_assert_eq!(Cpr::parse(&cpr.compact(), day_before), Err(CprError::FutureBirthDate));
        }
    }

    #[test]
    fn age_is_monotone_in_today(born in date(), a in date(), b in date()) {
        let (earlier, later) = if a <= b { (a, b) } else { (b, a) };
        prop_assert!(born.age_on(earlier) <= born.age_on(later));
    }

    #[test]
    fn age_counts_whole_years(born in recent_date(), years in 0i32..=120) {
        prop_assert_eq!(born.age_on(born), 0);
        // On the birthday `years` later (1 March for 29 February in a common year).
        let birthday = Date::new(born.year() + years, born.month(), born.day())
            .or_else(|| Date::new(born.year() + years, 3, 1));
        if let Some(birthday) = birthday {
            prop_assert_eq!(born.age_on(birthday), u32::try_from(years).unwrap());
        }
    }

    #[test]
    fn date_exists_iff_the_calendar_says(y in -400i32..=10_400, m in 0u8..=14, d in 0u8..=33) {
        let exists = (1..=days_in_month(y, m)).contains(&d);
        prop_assert_eq!(Date::new(y, m, d).is_some(), exists);
    }

    #[test]
    fn iso_round_trip(date in date()) {
        prop_assert_eq!(Date::parse_iso(&date.to_string()), Some(date));
    }
}

#[test]
fn century_table_corners() {
    let cases = [
        ("010100-0000", 1900),
        ("010136-4000", 2036),
        ("010137-4000", 1937),
        ("010157-5000", 2057),
        ("010158-5000", 1858),
        ("010199-9000", 1999),
        ("010136-9000", 2036),
    ];
    let far = Date::new(2100, 1, 1).unwrap();
    for (s, year) in cases {
        assert_eq!(Cpr::parse(s, far).unwrap().birth_date().year(), year, "{s}");
        let d: Vec<u8> = s
            .bytes()
            .filter(u8::is_ascii_digit)
            .map(|b| b - b'0')
            .collect();
        assert_eq!(expected_year(d[6], d[4] * 10 + d[5]), year, "{s}");
    }
}
