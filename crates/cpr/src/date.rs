//! A proleptic Gregorian calendar date, enough for birth dates and ages.

use std::fmt;

/// A calendar date. Only valid dates can be built.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: i32,
    month: u8,
    day: u8,
}

impl Date {
    /// The date, if it exists in the calendar.
    pub fn new(year: i32, month: u8, day: u8) -> Option<Self> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Self { year, month, day })
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn month(self) -> u8 {
        self.month
    }

    pub fn day(self) -> u8 {
        self.day
    }

    /// Completed years from `self` (a birth date) to `today`; 0 if `today` is earlier.
    /// Someone born on 29 February becomes a year older on 1 March in common years.
    pub fn age_on(self, today: Date) -> u32 {
        if today < self {
            return 0;
        }
        let mut years = today.year - self.year;
        if (today.month, today.day) < (self.month, self.day) {
            years -= 1;
        }
        u32::try_from(years).unwrap_or(0)
    }

    /// Parses `YYYY-MM-DD`.
    pub fn parse_iso(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let y = s.get(0..4)?.parse().ok()?;
        let m = s.get(5..7)?.parse().ok()?;
        let d = s.get(8..10)?.parse().ok()?;
        if !s[0..4]
            .bytes()
            .chain(s[5..7].bytes())
            .chain(s[8..10].bytes())
            .all(|c| c.is_ascii_digit())
        {
            return None;
        }
        Self::new(y, m, d)
    }
}

pub(crate) fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl fmt::Debug for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Date({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar() {
        assert!(Date::new(2000, 2, 29).is_some());
        assert!(Date::new(1900, 2, 29).is_none());
        assert!(Date::new(2024, 2, 29).is_some());
        assert!(Date::new(2023, 2, 29).is_none());
        assert!(Date::new(2023, 4, 31).is_none());
        assert!(Date::new(2023, 13, 1).is_none());
        assert!(Date::new(2023, 1, 0).is_none());
    }

    #[test]
    fn ages() {
        let born = Date::new(2010, 6, 15).unwrap();
        assert_eq!(born.age_on(Date::new(2025, 6, 14).unwrap()), 14);
        assert_eq!(born.age_on(Date::new(2025, 6, 15).unwrap()), 15);
        let leap = Date::new(2008, 2, 29).unwrap();
        assert_eq!(leap.age_on(Date::new(2023, 2, 28).unwrap()), 14);
        assert_eq!(leap.age_on(Date::new(2023, 3, 1).unwrap()), 15);
        assert_eq!(born.age_on(Date::new(2000, 1, 1).unwrap()), 0);
    }

    #[test]
    fn iso() {
        assert_eq!(Date::parse_iso("2024-02-29"), Date::new(2024, 2, 29));
        assert_eq!(Date::parse_iso("2023-02-29"), None);
        assert_eq!(Date::parse_iso("2023-2-29"), None);
        assert_eq!(Date::parse_iso("+023-02-01"), None);
    }
}
