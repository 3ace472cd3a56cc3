//! `Cpr::parse` and `Date` on arbitrary input. The first four bytes choose
//! "today"; the rest, if UTF-8, is the text parsed. Besides not panicking,
//! checks the invariants a caller relies on.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nyckel_cpr::{Cpr, CprError, Date, Sex};

fuzz_target!(|data: &[u8]| {
    let Some((head, rest)) = data.split_first_chunk::<4>() else {
        return;
    };
    let year = 1800 + i32::from(u16::from_le_bytes([head[0], head[1]]) % 400);
    let Some(today) = Date::new(year, head[2] % 12 + 1, head[3] % 31 + 1) else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };

    let trimmed = text.trim();
    let b = trimmed.as_bytes();
    let well_formed = (b.len() == 10 && b.iter().all(u8::is_ascii_digit))
        || (b.len() == 11 && b[6] == b'-' && b[..6].iter().chain(&b[7..]).all(u8::is_ascii_digit));

    match Cpr::parse(text, today) {
        Ok(cpr) => {
            assert!(well_formed);
            assert!(cpr.birth_date() <= today);
            let compact = cpr.compact();
            assert_eq!(compact, trimmed.replace('-', ""));
            assert_eq!(Cpr::parse(&compact, today), Ok(cpr));
            assert_eq!(Cpr::parse(&cpr.formatted(), today), Ok(cpr));
            let d: Vec<u32> = compact.bytes().map(|c| u32::from(c - b'0')).collect();
            let male = d[9] % 2 == 1;
            assert_eq!(cpr.sex() == Sex::Male, male);
            let weights = [4, 3, 2, 7, 6, 5, 4, 3, 2, 1];
            let sum: u32 = d.iter().zip(weights).map(|(x, w)| x * w).sum();
            assert_eq!(cpr.modulus11_ok(), sum.is_multiple_of(11));
            let born = cpr.birth_date();
            assert_eq!(u32::from(born.day()), d[0] * 10 + d[1]);
            assert_eq!(u32::from(born.month()), d[2] * 10 + d[3]);
            assert_eq!(born.year().rem_euclid(100) as u32, d[4] * 10 + d[5]);
            let had_birthday = (today.month(), today.day()) >= (born.month(), born.day());
            let age = today.year() - born.year() - i32::from(!had_birthday);
            assert_eq!(i64::from(born.age_on(today)), i64::from(age));
            assert!(!format!("{cpr:?}").contains(&compact));
        }
        Err(CprError::Format) => assert!(!well_formed),
        Err(CprError::InvalidDate | CprError::FutureBirthDate) => assert!(well_formed),
    }

    if let Some(date) = Date::parse_iso(text) {
        assert_eq!(date.to_string(), text);
        let later = Date::new(today.year() + 1, today.month(), today.day()).unwrap_or(today);
        assert!(date.age_on(today) <= date.age_on(later));
    }
});
