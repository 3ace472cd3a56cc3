//! The CPR number itself: `DDMMYY-SSSS`.

use std::fmt;

use crate::Date;

/// Sex as encoded by the parity of the last digit (odd male, even female).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sex {
    Female,
    Male,
}

/// A CPR number whose birth date is a real calendar date not in the future.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cpr {
    digits: [u8; 10],
    birth_date: Date,
}

/// Why a string is not a CPR number. Messages never repeat the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CprError {
    /// Not 10 digits, optionally with a dash after the sixth.
    Format,
    /// The first six digits are not a date in the calendar.
    InvalidDate,
    /// The birth date encoded lies after today.
    FutureBirthDate,
}

impl fmt::Display for CprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CprError::Format => "a CPR number is 10 digits, written DDMMYY-SSSS or DDMMYYSSSS",
            CprError::InvalidDate => "the CPR number does not start with a real date (DDMMYY)",
            CprError::FutureBirthDate => "the CPR number's birth date lies in the future",
        })
    }
}

impl std::error::Error for CprError {}

/// The century of a CPR number from its 7th digit and two-digit year, per the
/// official table (CPR-kontoret).
fn full_year(seventh: u8, yy: u8) -> i32 {
    let yy = i32::from(yy);
    let century = match (seventh, yy) {
        (0..=3, _) => 1900,
        (4 | 9, 0..=36) => 2000,
        (4 | 9, _) => 1900,
        (_, 0..=57) => 2000, // 5–8
        (_, _) => 1800,      // 5–8 with 58–99
    };
    century + yy
}

impl Cpr {
    /// Parses `DDMMYY-SSSS` or `DDMMYYSSSS` (surrounding whitespace ignored)
    /// and checks the birth date against `today`.
    pub fn parse(s: &str, today: Date) -> Result<Self, CprError> {
        let s = s.trim();
        let bytes = s.as_bytes();
        let raw: Vec<u8> = match bytes.len() {
            10 => bytes.to_vec(),
            11 if bytes[6] == b'-' => bytes[..6].iter().chain(&bytes[7..]).copied().collect(),
            _ => return Err(CprError::Format),
        };
        if !raw.iter().all(u8::is_ascii_digit) {
            return Err(CprError::Format);
        }
        let mut digits = [0u8; 10];
        for (d, c) in digits.iter_mut().zip(&raw) {
            *d = c - b'0';
        }
        let day = digits[0] * 10 + digits[1];
        let month = digits[2] * 10 + digits[3];
        let yy = digits[4] * 10 + digits[5];
        let year = full_year(digits[6], yy);
        let birth_date = Date::new(year, month, day).ok_or(CprError::InvalidDate)?;
        if birth_date > today {
            return Err(CprError::FutureBirthDate);
        }
        Ok(Self { digits, birth_date })
    }

    pub fn birth_date(&self) -> Date {
        self.birth_date
    }

    pub fn sex(&self) -> Sex {
        if self.digits[9] % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// Whether the number passes the modulus-11 check. Numbers issued since
    /// 1 October 2007 need not, so this is reported, never required.
    pub fn modulus11_ok(&self) -> bool {
        const WEIGHTS: [u32; 10] = [4, 3, 2, 7, 6, 5, 4, 3, 2, 1];
        let sum: u32 = self
            .digits
            .iter()
            .zip(WEIGHTS)
            .map(|(d, w)| u32::from(*d) * w)
            .sum();
        sum.is_multiple_of(11)
    }

    /// The ten digits without a dash, as stored.
    pub fn compact(&self) -> String {
        self.digits.iter().map(|d| char::from(b'0' + d)).collect()
    }

    /// `DDMMYY-SSSS`.
    pub fn formatted(&self) -> String {
        let c = self.compact();
        format!("{}-{}", &c[..6], &c[6..])
    }

    /// `DDMMYY-XXXX`: for logs and screens that need to hint at a person.
    pub fn masked(&self) -> String {
        let c = self.compact();
        format!("{}-XXXX", &c[..6])
    }
}

/// Displays the full number: CPR numbers are personal data, so callers that
/// log should use [`Cpr::masked`].
impl fmt::Display for Cpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.formatted())
    }
}

impl fmt::Debug for Cpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cpr({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> Date {
        Date::new(2026, 11, 25).unwrap()
    }

    #[test]
    fn century_table() {
        // (7th digit, yy) -> year
        let cases = [
            (0, 0, 1900),
            (3, 99, 1999),
            (4, 0, 2000),
            (4, 36, 2036),
            (4, 37, 1937),
            (9, 36, 2036),
            (9, 37, 1937),
            (9, 99, 1999),
            (5, 0, 2000),
            (8, 57, 2057),
            (5, 58, 1858),
            (8, 99, 1899),
        ];
        for (seventh, yy, year) in cases {
            assert_eq!(full_year(seventh, yy), year, "{seventh} {yy}");
        }
    }

    #[test]
    fn parses_with_and_without_dash() {
        let a = Cpr::parse("010203-1234", today()).unwrap();
        let b = Cpr::parse("0102031234", today()).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.birth_date(), Date::new(1903, 2, 1).unwrap());
        assert_eq!(a.formatted(), "010203-1234");
        assert_eq!(a.sex(), Sex::Female);
        assert_eq!(Cpr::parse("010203-1235", today()).unwrap().sex(), Sex::Male);
    }

    #[test]
    fn rejects() {
        assert_eq!(Cpr::parse("", today()), Err(CprError::Format));
        assert_eq!(Cpr::parse("01020312345", today()), Err(CprError::Format));
        assert_eq!(Cpr::parse("010203 1234", today()), Err(CprError::Format));
        assert_eq!(Cpr::parse("01020-31234", today()), Err(CprError::Format));
        assert_eq!(
            Cpr::parse("０１０２０３１２３４", today()),
            Err(CprError::Format)
        );
        assert_eq!(
            Cpr::parse("310403-1234", today()),
            Err(CprError::InvalidDate)
        );
        assert_eq!(
            Cpr::parse("290200-4234", today()),
            Ok(Cpr::parse("2902004234", today()).unwrap())
        );
        assert_eq!(
            Cpr::parse("290200-0234", today()),
            Err(CprError::InvalidDate)
        ); // 1900 not leap
        assert_eq!(
            Cpr::parse("010150-5234", today()),
            Err(CprError::FutureBirthDate)
        ); // 2050
    }

    #[test]
    fn modulus11() {
        // 070761-4285 is the well-known valid example (weights 4,3,2,7,6,5,4,3,2,1).
        assert!(Cpr::parse("070761-4285", today()).unwrap().modulus11_ok());
        assert!(!Cpr::parse("070761-4286", today()).unwrap().modulus11_ok());
    }
}
