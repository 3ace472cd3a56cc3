//! The support line's opening hours, for the help page (R-SELF-4): the phone
//! number and whether support is open right now.
//!
//! The schedule is configurable; the default is the seed's: Monday–Friday
//! 08:30–20:00; weekends and Danish public holidays 10:00–16:00; 24 and 31
//! December 10:00–14:00. Hours are Copenhagen wall-clock time, which
//! [`copenhagen_local`] computes from UTC without a time-zone database.

use std::fmt;
use std::str::FromStr;

use chrono::{
    DateTime, Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Utc, Weekday,
};
use serde::{Deserialize, Serialize};

/// Opening hours within one day: open from `open` (inclusive) to `close`
/// (exclusive), `open < close`. Written `HH:MM-HH:MM` in configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Hours {
    pub open: NaiveTime,
    pub close: NaiveTime,
}

/// Not `HH:MM-HH:MM` with opening before closing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "opening hours are written HH:MM-HH:MM, opening before closing on the same day, or \"closed\""
)]
pub struct InvalidHours;

const fn hm(hour: u32, min: u32) -> NaiveTime {
    match NaiveTime::from_hms_opt(hour, min, 0) {
        Some(t) => t,
        None => NaiveTime::MIN,
    }
}

impl Hours {
    /// Hours from `open` to `close`, if `open` is before `close`.
    pub fn new(open: NaiveTime, close: NaiveTime) -> Option<Hours> {
        (open < close).then_some(Hours { open, close })
    }

    /// Whether `time` lies within the hours (`open ≤ time < close`).
    pub fn contains(&self, time: NaiveTime) -> bool {
        self.open <= time && time < self.close
    }
}

impl fmt::Display for Hours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}-{}",
            self.open.format("%H:%M"),
            self.close.format("%H:%M")
        )
    }
}

/// Parses `HH:MM-HH:MM` (seconds allowed; an en dash too).
impl FromStr for Hours {
    type Err = InvalidHours;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (open, close) = s.trim().split_once(['-', '–']).ok_or(InvalidHours)?;
        let open = open.trim().parse().map_err(|_| InvalidHours)?;
        let close = close.trim().parse().map_err(|_| InvalidHours)?;
        Hours::new(open, close).ok_or(InvalidHours)
    }
}

impl TryFrom<String> for Hours {
    type Error = InvalidHours;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Hours> for String {
    fn from(h: Hours) -> String {
        h.to_string()
    }
}

/// A day's hours in configuration: `"HH:MM-HH:MM"` or `"closed"` (`None`).
mod day_hours {
    use serde::{Deserialize, Deserializer, Serializer};

    use super::Hours;

    pub fn serialize<S: Serializer>(hours: &Option<Hours>, s: S) -> Result<S::Ok, S::Error> {
        match hours {
            Some(h) => s.collect_str(h),
            None => s.serialize_str("closed"),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Hours>, D::Error> {
        let s = String::deserialize(d)?;
        if s.trim().eq_ignore_ascii_case("closed") {
            Ok(None)
        } else {
            s.parse().map(Some).map_err(serde::de::Error::custom)
        }
    }
}

/// A date every year with its own hours, taking precedence over weekday,
/// weekend and holiday hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawSpecialDay")]
pub struct SpecialDay {
    pub month: u32,
    pub day: u32,
    /// `None`: closed that day.
    #[serde(with = "day_hours")]
    pub hours: Option<Hours>,
}

#[derive(Deserialize)]
struct RawSpecialDay {
    month: u32,
    day: u32,
    #[serde(with = "day_hours")]
    hours: Option<Hours>,
}

/// A special day's month and day are not a date in a leap year.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a special day needs a month (1-12) and a day that exists in that month")]
pub struct InvalidSpecialDay;

impl TryFrom<RawSpecialDay> for SpecialDay {
    type Error = InvalidSpecialDay;
    fn try_from(raw: RawSpecialDay) -> Result<Self, Self::Error> {
        // 2000 is a leap year, so 29 February is allowed (it applies in leap years only).
        NaiveDate::from_ymd_opt(2000, raw.month, raw.day).ok_or(InvalidSpecialDay)?;
        Ok(SpecialDay {
            month: raw.month,
            day: raw.day,
            hours: raw.hours,
        })
    }
}

/// When the support line answers (R-SELF-4). Configuration may set only some
/// fields; the rest keep the defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SupportSchedule {
    /// Shown on the help page as given.
    pub phone: String,
    /// Monday to Friday, unless a holiday or a special day.
    #[serde(with = "day_hours")]
    pub weekday: Option<Hours>,
    /// Saturdays, Sundays and Danish public holidays, unless a special day.
    #[serde(with = "day_hours")]
    pub weekend_and_holiday: Option<Hours>,
    pub special_days: Vec<SpecialDay>,
}

impl Default for SupportSchedule {
    fn default() -> Self {
        let short = Some(Hours {
            open: hm(10, 0),
            close: hm(14, 0),
        });
        Self {
            phone: "+45 80 30 70 50".to_owned(),
            weekday: Some(Hours {
                open: hm(8, 30),
                close: hm(20, 0),
            }),
            weekend_and_holiday: Some(Hours {
                open: hm(10, 0),
                close: hm(16, 0),
            }),
            special_days: vec![
                SpecialDay {
                    month: 12,
                    day: 24,
                    hours: short,
                },
                SpecialDay {
                    month: 12,
                    day: 31,
                    hours: short,
                },
            ],
        }
    }
}

/// Whether support is open now, for the help page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SupportStatus {
    pub open_now: bool,
    /// Today's hours (Copenhagen date); `None` if closed all day.
    pub today_hours: Option<Hours>,
    /// The earliest Copenhagen local time at or after now when support is
    /// open: now itself while open. `None` only if the schedule never opens.
    pub next_open: Option<NaiveDateTime>,
}

/// How far [`SupportSchedule::status`] looks for the next opening: far enough
/// for a schedule open only on 29 February (8 years span 1896–1904 and
/// 2096–2104).
const LOOKAHEAD_DAYS: u32 = 366 * 8 + 1;

impl SupportSchedule {
    /// The hours on a Copenhagen calendar date: a special day's, else a
    /// weekend's or public holiday's, else a weekday's.
    pub fn hours_on(&self, date: NaiveDate) -> Option<Hours> {
        if let Some(special) = self
            .special_days
            .iter()
            .find(|s| s.month == date.month() && s.day == date.day())
        {
            return special.hours;
        }
        let weekend = matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
        if weekend || danish_public_holiday(date).is_some() {
            self.weekend_and_holiday
        } else {
            self.weekday
        }
    }

    /// Whether support is open at `now_utc`, today's hours and the next opening.
    pub fn status(&self, now_utc: DateTime<Utc>) -> SupportStatus {
        let local = copenhagen_local(now_utc);
        let today_hours = self.hours_on(local.date());
        SupportStatus {
            open_now: today_hours.is_some_and(|h| h.contains(local.time())),
            today_hours,
            next_open: self.next_open(local),
        }
    }

    /// The earliest local time at or after `local` when support is open.
    pub fn next_open(&self, local: NaiveDateTime) -> Option<NaiveDateTime> {
        let today = local.date();
        if let Some(h) = self.hours_on(today) {
            if local.time() < h.open {
                return Some(today.and_time(h.open));
            }
            if h.contains(local.time()) {
                return Some(local);
            }
        }
        let mut date = today;
        for _ in 0..LOOKAHEAD_DAYS {
            date = date.succ_opt()?;
            if let Some(h) = self.hours_on(date) {
                return Some(date.and_time(h.open));
            }
        }
        None
    }
}

/// A Danish public holiday (*helligdag*).
///
/// Great Prayer Day (*store bededag*) was abolished as a public holiday from
/// 2024 (law no. 140 of 28 February 2023), so it counts only up to 2023.
/// Constitution Day (5 June), Christmas Eve and New Year's Eve are not public
/// holidays, though many close then; the default schedule gives 24 and 31
/// December their own hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Holiday {
    NewYearsDay,
    MaundyThursday,
    GoodFriday,
    EasterSunday,
    EasterMonday,
    GreatPrayerDay,
    AscensionDay,
    WhitSunday,
    WhitMonday,
    ChristmasDay,
    BoxingDay,
}

impl Holiday {
    /// The English name.
    pub fn name(self) -> &'static str {
        match self {
            Holiday::NewYearsDay => "New Year's Day",
            Holiday::MaundyThursday => "Maundy Thursday",
            Holiday::GoodFriday => "Good Friday",
            Holiday::EasterSunday => "Easter Sunday",
            Holiday::EasterMonday => "Easter Monday",
            Holiday::GreatPrayerDay => "Great Prayer Day",
            Holiday::AscensionDay => "Ascension Day",
            Holiday::WhitSunday => "Whit Sunday",
            Holiday::WhitMonday => "Whit Monday",
            Holiday::ChristmasDay => "Christmas Day",
            Holiday::BoxingDay => "Boxing Day",
        }
    }

    /// The Danish name.
    pub fn danish_name(self) -> &'static str {
        match self {
            Holiday::NewYearsDay => "nytårsdag",
            Holiday::MaundyThursday => "skærtorsdag",
            Holiday::GoodFriday => "langfredag",
            Holiday::EasterSunday => "påskedag",
            Holiday::EasterMonday => "2. påskedag",
            Holiday::GreatPrayerDay => "store bededag",
            Holiday::AscensionDay => "Kristi himmelfartsdag",
            Holiday::WhitSunday => "pinsedag",
            Holiday::WhitMonday => "2. pinsedag",
            Holiday::ChristmasDay => "juledag",
            Holiday::BoxingDay => "2. juledag",
        }
    }
}

/// The last year Great Prayer Day was a public holiday.
const LAST_GREAT_PRAYER_DAY: i32 = 2023;

/// Easter Sunday in the Gregorian calendar, by the anonymous Gregorian
/// algorithm (Meeus/Jones/Butcher). `None` outside chrono's date range.
pub fn easter_sunday(year: i32) -> Option<NaiveDate> {
    let a = year.rem_euclid(19);
    let b = year.div_euclid(100);
    let c = year.rem_euclid(100);
    let d = b.div_euclid(4);
    let e = b.rem_euclid(4);
    let f = (b + 8).div_euclid(25);
    let g = (b - f + 1).div_euclid(3);
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let i = c.div_euclid(4);
    let k = c.rem_euclid(4);
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l).div_euclid(451);
    let n = h + l - 7 * m + 114;
    let month = u32::try_from(n.div_euclid(31)).ok()?;
    let day = u32::try_from(n.rem_euclid(31) + 1).ok()?;
    NaiveDate::from_ymd_opt(year, month, day)
}

/// Denmark's public holidays in `year`, in date order.
pub fn danish_public_holidays(year: i32) -> Vec<(NaiveDate, Holiday)> {
    let mut days = Vec::with_capacity(11);
    let fixed =
        |month, day, holiday| NaiveDate::from_ymd_opt(year, month, day).map(|d| (d, holiday));
    days.extend(fixed(1, 1, Holiday::NewYearsDay));
    if let Some(easter) = easter_sunday(year) {
        let mut movable = vec![
            (-3, Holiday::MaundyThursday),
            (-2, Holiday::GoodFriday),
            (0, Holiday::EasterSunday),
            (1, Holiday::EasterMonday),
            (39, Holiday::AscensionDay),
            (49, Holiday::WhitSunday),
            (50, Holiday::WhitMonday),
        ];
        if year <= LAST_GREAT_PRAYER_DAY {
            // The fourth Friday after Easter.
            movable.insert(4, (26, Holiday::GreatPrayerDay));
        }
        days.extend(movable.into_iter().filter_map(|(offset, holiday)| {
            easter
                .checked_add_signed(TimeDelta::days(offset))
                .map(|d| (d, holiday))
        }));
    }
    days.extend(fixed(12, 25, Holiday::ChristmasDay));
    days.extend(fixed(12, 26, Holiday::BoxingDay));
    days
}

/// The public holiday on `date`, if any.
pub fn danish_public_holiday(date: NaiveDate) -> Option<Holiday> {
    danish_public_holidays(date.year())
        .into_iter()
        .find(|(d, _)| *d == date)
        .map(|(_, h)| h)
}

/// Copenhagen wall-clock time at `utc`: CET (UTC+1), or CEST (UTC+2) from
/// the last Sunday of March 01:00 UTC until the last Sunday of October 01:00
/// UTC. This is the EU rule, in force in Denmark since 1996; earlier years
/// had other dates and get the EU rule anyway.
pub fn copenhagen_local(utc: DateTime<Utc>) -> NaiveDateTime {
    let naive = utc.naive_utc();
    let offset = TimeDelta::hours(if copenhagen_summer_time(utc) { 2 } else { 1 });
    naive.checked_add_signed(offset).unwrap_or(naive)
}

/// Whether Copenhagen keeps summer time (CEST, UTC+2) at `utc`: from 01:00
/// UTC on the last Sunday of March to 01:00 UTC on the last Sunday of
/// October; otherwise CET (UTC+1).
pub fn copenhagen_summer_time(utc: DateTime<Utc>) -> bool {
    let naive = utc.naive_utc();
    let year = naive.year();
    let switch = |month| last_sunday(year, month).map(|d| d.and_time(hm(1, 0)));
    match (switch(3), switch(10)) {
        (Some(start), Some(end)) => start <= naive && naive < end,
        _ => false,
    }
}

/// The last Sunday of a month that has 31 days (March, October).
fn last_sunday(year: i32, month: u32) -> Option<NaiveDate> {
    let last = NaiveDate::from_ymd_opt(year, month, 31)?;
    last.checked_sub_days(Days::new(u64::from(last.weekday().num_days_from_sunday())))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap (no clippy.toml allows it in tests yet)
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn local(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        date(y, m, d).and_hms_opt(h, min, 0).unwrap()
    }

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32, s: u32) -> DateTime<Utc> {
        date(y, m, d).and_hms_opt(h, min, s).unwrap().and_utc()
    }

    fn hours(s: &str) -> Hours {
        s.parse().unwrap()
    }

    #[test]
    fn ok_easter_sundays() {
        let cases = [
            (1818, 3, 22),
            (1943, 4, 25),
            (2000, 4, 23),
            (2019, 4, 21),
            (2023, 4, 9),
            (2024, 3, 31),
            (2025, 4, 20),
            (2026, 4, 5),
            (2027, 3, 28),
            (2038, 4, 25),
            (2285, 3, 22),
        ];
        for (y, m, d) in cases {
            assert_eq!(easter_sunday(y), Some(date(y, m, d)), "{y}");
        }
    }

    #[test]
    fn ok_holidays_2026() {
        let want = vec![
            (date(2026, 1, 1), Holiday::NewYearsDay),
            (date(2026, 4, 2), Holiday::MaundyThursday),
            (date(2026, 4, 3), Holiday::GoodFriday),
            (date(2026, 4, 5), Holiday::EasterSunday),
            (date(2026, 4, 6), Holiday::EasterMonday),
            (date(2026, 5, 14), Holiday::AscensionDay),
            (date(2026, 5, 24), Holiday::WhitSunday),
            (date(2026, 5, 25), Holiday::WhitMonday),
            (date(2026, 12, 25), Holiday::ChristmasDay),
            (date(2026, 12, 26), Holiday::BoxingDay),
        ];
        assert_eq!(danish_public_holidays(2026), want);
    }

    #[test]
    fn ok_great_prayer_day_until_2023_only() {
        let cases = [
            (
                "ok/2023-great-prayer-day",
                date(2023, 5, 5),
                Some(Holiday::GreatPrayerDay),
            ),
            ("ok/2024-abolished", date(2024, 4, 26), None),
            (
                "ok/2023-whit-monday",
                date(2023, 5, 29),
                Some(Holiday::WhitMonday),
            ),
            ("ok/constitution-day-no-holiday", date(2026, 6, 5), None),
            ("ok/christmas-eve-no-holiday", date(2026, 12, 24), None),
        ];
        for (name, d, want) in cases {
            assert_eq!(danish_public_holiday(d), want, "{name}");
        }
        let h2023 = danish_public_holidays(2023);
        assert_eq!(h2023.len(), 11);
        assert!(h2023.windows(2).all(|w| w[0].0 < w[1].0), "in date order");
    }

    #[test]
    fn ok_copenhagen_local_dst_2026() {
        let cases = [
            (
                "ok/winter",
                utc(2026, 1, 14, 12, 0, 0),
                local(2026, 1, 14, 13, 0),
            ),
            (
                "ok/summer",
                utc(2026, 6, 10, 12, 0, 0),
                local(2026, 6, 10, 14, 0),
            ),
            (
                "ok/last-second-of-cet-29-march",
                utc(2026, 3, 29, 0, 59, 59),
                date(2026, 3, 29).and_hms_opt(1, 59, 59).unwrap(),
            ),
            (
                "ok/cest-starts-29-march",
                utc(2026, 3, 29, 1, 0, 0),
                local(2026, 3, 29, 3, 0),
            ),
            (
                "ok/last-second-of-cest-25-october",
                utc(2026, 10, 25, 0, 59, 59),
                date(2026, 10, 25).and_hms_opt(2, 59, 59).unwrap(),
            ),
            (
                "ok/cet-resumes-25-october",
                utc(2026, 10, 25, 1, 0, 0),
                local(2026, 10, 25, 2, 0),
            ),
            (
                "ok/new-year-crossing",
                utc(2026, 12, 31, 23, 30, 0),
                local(2027, 1, 1, 0, 30),
            ),
            (
                "ok/2025-last-sunday-march-30",
                utc(2025, 3, 30, 1, 0, 0),
                local(2025, 3, 30, 3, 0),
            ),
            (
                "ok/2025-saturday-before-still-cet",
                utc(2025, 3, 29, 12, 0, 0),
                local(2025, 3, 29, 13, 0),
            ),
        ];
        for (name, at, want) in cases {
            assert_eq!(copenhagen_local(at), want, "{name}");
        }
    }

    #[test]
    fn ok_hours_on() {
        let s = SupportSchedule::default();
        let weekday = Some(hours("08:30-20:00"));
        let weekend = Some(hours("10:00-16:00"));
        let short = Some(hours("10:00-14:00"));
        let cases = [
            ("ok/wednesday", date(2026, 1, 14), weekday),
            ("ok/friday", date(2026, 1, 16), weekday),
            ("ok/saturday", date(2026, 1, 17), weekend),
            ("ok/sunday", date(2026, 1, 18), weekend),
            ("ok/easter-monday-2026", date(2026, 4, 6), weekend),
            ("ok/ascension-thursday", date(2026, 5, 14), weekend),
            ("ok/great-prayer-day-2023", date(2023, 5, 5), weekend),
            (
                "ok/great-prayer-day-abolished-2024",
                date(2024, 4, 26),
                weekday,
            ),
            ("ok/christmas-eve-thursday", date(2026, 12, 24), short),
            ("ok/christmas-eve-on-sunday", date(2028, 12, 24), short),
            ("ok/new-years-eve", date(2026, 12, 31), short),
            ("ok/christmas-day", date(2026, 12, 25), weekend),
            ("ok/new-years-day", date(2027, 1, 1), weekend),
        ];
        for (name, d, want) in cases {
            assert_eq!(s.hours_on(d), want, "{name}");
        }
    }

    #[test]
    fn ok_status() {
        let s = SupportSchedule::default();
        // (name, UTC instant, open now, next opening in Copenhagen time)
        let cases = [
            // Wednesday 14 January 2026, CET.
            (
                "fail/wednesday-08:29",
                utc(2026, 1, 14, 7, 29, 0),
                false,
                local(2026, 1, 14, 8, 30),
            ),
            (
                "ok/wednesday-08:30",
                utc(2026, 1, 14, 7, 30, 0),
                true,
                local(2026, 1, 14, 8, 30),
            ),
            (
                "ok/wednesday-19:59",
                utc(2026, 1, 14, 18, 59, 0),
                true,
                local(2026, 1, 14, 19, 59),
            ),
            (
                "fail/wednesday-20:00",
                utc(2026, 1, 14, 19, 0, 0),
                false,
                local(2026, 1, 15, 8, 30),
            ),
            // Wednesday 10 June 2026, CEST.
            (
                "fail/summer-wednesday-08:29",
                utc(2026, 6, 10, 6, 29, 0),
                false,
                local(2026, 6, 10, 8, 30),
            ),
            (
                "ok/summer-wednesday-08:30",
                utc(2026, 6, 10, 6, 30, 0),
                true,
                local(2026, 6, 10, 8, 30),
            ),
            (
                "fail/friday-20:00-next-saturday",
                utc(2026, 1, 16, 19, 0, 0),
                false,
                local(2026, 1, 17, 10, 0),
            ),
            (
                "fail/saturday-09:59",
                utc(2026, 1, 17, 8, 59, 0),
                false,
                local(2026, 1, 17, 10, 0),
            ),
            (
                "ok/saturday-10:00",
                utc(2026, 1, 17, 9, 0, 0),
                true,
                local(2026, 1, 17, 10, 0),
            ),
            (
                "fail/saturday-16:00",
                utc(2026, 1, 17, 15, 0, 0),
                false,
                local(2026, 1, 18, 10, 0),
            ),
            (
                "fail/sunday-evening-next-monday",
                utc(2026, 1, 18, 20, 0, 0),
                false,
                local(2026, 1, 19, 8, 30),
            ),
            // Easter 2026: Thursday 2 April to Monday 6 April are holidays.
            (
                "fail/wednesday-before-easter-late",
                utc(2026, 4, 1, 18, 0, 0),
                false,
                local(2026, 4, 2, 10, 0),
            ),
            (
                "fail/easter-monday-08:30",
                utc(2026, 4, 6, 6, 30, 0),
                false,
                local(2026, 4, 6, 10, 0),
            ),
            (
                "ok/easter-monday-10:00",
                utc(2026, 4, 6, 8, 0, 0),
                true,
                local(2026, 4, 6, 10, 0),
            ),
            (
                "fail/easter-monday-16:00",
                utc(2026, 4, 6, 14, 0, 0),
                false,
                local(2026, 4, 7, 8, 30),
            ),
            // Christmas and New Year 2026.
            (
                "ok/24-december-13:59",
                utc(2026, 12, 24, 12, 59, 0),
                true,
                local(2026, 12, 24, 13, 59),
            ),
            (
                "fail/24-december-14:00",
                utc(2026, 12, 24, 13, 0, 0),
                false,
                local(2026, 12, 25, 10, 0),
            ),
            (
                "fail/31-december-14:00",
                utc(2026, 12, 31, 13, 0, 0),
                false,
                local(2027, 1, 1, 10, 0),
            ),
            // DST: Sunday 29 March 2026 is the first CEST day.
            (
                "fail/28-march-cet-09:59",
                utc(2026, 3, 28, 8, 59, 0),
                false,
                local(2026, 3, 28, 10, 0),
            ),
            (
                "ok/28-march-cet-10:00",
                utc(2026, 3, 28, 9, 0, 0),
                true,
                local(2026, 3, 28, 10, 0),
            ),
            (
                "fail/29-march-cest-09:59",
                utc(2026, 3, 29, 7, 59, 0),
                false,
                local(2026, 3, 29, 10, 0),
            ),
            (
                "ok/29-march-cest-10:00",
                utc(2026, 3, 29, 8, 0, 0),
                true,
                local(2026, 3, 29, 10, 0),
            ),
            (
                "fail/29-march-cest-16:00",
                utc(2026, 3, 29, 14, 0, 0),
                false,
                local(2026, 3, 30, 8, 30),
            ),
            // DST: Sunday 25 October 2026 is the first CET day.
            (
                "ok/24-october-cest-10:00",
                utc(2026, 10, 24, 8, 0, 0),
                true,
                local(2026, 10, 24, 10, 0),
            ),
            (
                "fail/25-october-cet-09:59",
                utc(2026, 10, 25, 8, 59, 0),
                false,
                local(2026, 10, 25, 10, 0),
            ),
            (
                "ok/25-october-cet-10:00",
                utc(2026, 10, 25, 9, 0, 0),
                true,
                local(2026, 10, 25, 10, 0),
            ),
            (
                "ok/25-october-cet-15:59",
                utc(2026, 10, 25, 14, 59, 0),
                true,
                local(2026, 10, 25, 15, 59),
            ),
            (
                "fail/25-october-cet-16:00",
                utc(2026, 10, 25, 15, 0, 0),
                false,
                local(2026, 10, 26, 8, 30),
            ),
        ];
        for (name, at, open_now, next_open) in cases {
            let st = s.status(at);
            assert_eq!(st.open_now, open_now, "{name}: open_now");
            assert_eq!(st.next_open, Some(next_open), "{name}: next_open");
            assert_eq!(
                st.today_hours,
                s.hours_on(copenhagen_local(at).date()),
                "{name}"
            );
        }
    }

    #[test]
    fn ok_schedule_from_config() {
        let json = r#"{
            "phone": "+45 11 22 33 44",
            "weekend_and_holiday": "closed",
            "special_days": [
                { "month": 12, "day": 24, "hours": "closed" },
                { "month": 2, "day": 29, "hours": "09:00 - 12:00" }
            ]
        }"#;
        let s: SupportSchedule = serde_json::from_str(json).unwrap();
        assert_eq!(s.phone, "+45 11 22 33 44");
        assert_eq!(s.weekday, Some(hours("08:30-20:00")), "default kept");
        assert_eq!(s.weekend_and_holiday, None);
        assert_eq!(s.hours_on(date(2026, 12, 24)), None);
        assert_eq!(s.hours_on(date(2028, 2, 29)), Some(hours("09:00-12:00")));
        // Closed on Saturday: next opening is Monday.
        assert_eq!(
            s.status(utc(2026, 1, 17, 12, 0, 0)).next_open,
            Some(local(2026, 1, 19, 8, 30))
        );

        let empty: SupportSchedule = serde_json::from_str("{}").unwrap();
        assert_eq!(empty, SupportSchedule::default());
        let round = serde_json::to_string(&SupportSchedule::default()).unwrap();
        assert_eq!(
            serde_json::from_str::<SupportSchedule>(&round).unwrap(),
            SupportSchedule::default()
        );
        assert!(round.contains(r#""weekday":"08:30-20:00""#), "{round}");
    }

    #[test]
    fn fail_bad_config() {
        let cases = [
            ("fail/close-before-open", r#"{"weekday": "20:00-08:30"}"#),
            ("fail/empty-hours", r#"{"weekday": "10:00-10:00"}"#),
            ("fail/not-hours", r#"{"weekday": "mornings"}"#),
            ("fail/no-dash", r#"{"weekday": "08:30"}"#),
            ("fail/hour-25", r#"{"weekday": "08:30-25:00"}"#),
            (
                "fail/special-day-31-april",
                r#"{"special_days": [{"month": 4, "day": 31, "hours": "closed"}]}"#,
            ),
            (
                "fail/special-day-month-13",
                r#"{"special_days": [{"month": 13, "day": 1, "hours": "closed"}]}"#,
            ),
        ];
        for (name, json) in cases {
            assert!(
                serde_json::from_str::<SupportSchedule>(json).is_err(),
                "{name}"
            );
        }
    }

    #[test]
    fn ok_never_open_has_no_next_opening() {
        let s = SupportSchedule {
            weekday: None,
            weekend_and_holiday: None,
            special_days: vec![],
            ..SupportSchedule::default()
        };
        let st = s.status(utc(2026, 1, 14, 12, 0, 0));
        assert!(!st.open_now);
        assert_eq!(st.today_hours, None);
        assert_eq!(st.next_open, None);
    }

    #[test]
    fn ok_only_leap_day_open_found_years_ahead() {
        let s = SupportSchedule {
            weekday: None,
            weekend_and_holiday: None,
            special_days: vec![SpecialDay {
                month: 2,
                day: 29,
                hours: Some(hours("10:00-11:00")),
            }],
            ..SupportSchedule::default()
        };
        assert_eq!(
            s.status(utc(2097, 3, 1, 12, 0, 0)).next_open,
            Some(local(2104, 2, 29, 10, 0))
        );
    }

    #[test]
    fn ok_default_is_the_seed() {
        let s = SupportSchedule::default();
        assert_eq!(s.phone, "+45 80 30 70 50");
        assert_eq!(
            s.weekday.map(|h| h.to_string()).as_deref(),
            Some("08:30-20:00")
        );
        assert_eq!(
            s.weekend_and_holiday.map(|h| h.to_string()).as_deref(),
            Some("10:00-16:00")
        );
        assert_eq!(s.special_days.len(), 2);
    }
}
