//! Population-register records (*CPR-registret*).

use std::fmt;
use std::str::FromStr;

use crate::Cpr;

/// Residence status in the population register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Residence {
    Resident,
    /// Staying only a short period (needs a witness at a service centre).
    ShortTerm,
    Emigrated,
    Deceased,
    /// An open immigration case: not yet lawfully resident.
    ImmigrationCase,
}

impl Residence {
    pub const ALL: [Residence; 5] = [
        Residence::Resident,
        Residence::ShortTerm,
        Residence::Emigrated,
        Residence::Deceased,
        Residence::ImmigrationCase,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Residence::Resident => "resident",
            Residence::ShortTerm => "short-term",
            Residence::Emigrated => "emigrated",
            Residence::Deceased => "deceased",
            Residence::ImmigrationCase => "immigration-case",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownResidence;

impl fmt::Display for UnknownResidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "residence must be one of resident, short-term, emigrated, deceased, immigration-case",
        )
    }
}

impl std::error::Error for UnknownResidence {}

impl FromStr for Residence {
    type Err = UnknownResidence;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Residence::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or(UnknownResidence)
    }
}

impl fmt::Display for Residence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One person as the population register knows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonRecord {
    pub cpr: Cpr,
    pub given_names: String,
    pub surname: String,
    pub address: String,
    pub residence: Residence,
}

impl PersonRecord {
    pub fn full_name(&self) -> String {
        format!("{} {}", self.given_names, self.surname)
    }

    /// The postcode and town of the address ("8000 Aarhus C" of
    /// "Vestergade 12, 1. th, 8000 Aarhus C"): from the last four-digit
    /// word to the end. `None` when the address has no postcode: then
    /// nothing of it may be shown where the street must not be.
    pub fn postal_area(&self) -> Option<&str> {
        postal_area(&self.address)
    }
}

/// [`PersonRecord::postal_area`] of an address as text.
pub fn postal_area(address: &str) -> Option<&str> {
    let is_postcode = |w: &str| w.len() == 4 && w.bytes().all(|b| b.is_ascii_digit());
    let words: Vec<(usize, &str)> = address
        .split_whitespace()
        .map(|w| {
            let start = w.as_ptr() as usize - address.as_ptr() as usize;
            (start, w.trim_end_matches(','))
        })
        .collect();
    let (i, (start, _)) = words
        .iter()
        .enumerate()
        .rev()
        .find(|(_, (_, w))| is_postcode(w))?;
    // A postcode with no town after it is not an area.
    if i + 1 == words.len() {
        return None;
    }
    Some(address[*start..].trim())
}

#[cfg(test)]
mod postal_area_tests {
    use super::postal_area;

    #[test]
    fn postal_area_is_the_postcode_and_town() {
        let cases = [
            ("Vestergade 12, 1. th, 8000 Aarhus C", Some("8000 Aarhus C")),
            ("Nørregade 3 1165 København K", Some("1165 København K")),
            ("Algade 2", None),
            ("Algade 2, 4000", None),
            ("Strandvejen 1234, 2900 Hellerup", Some("2900 Hellerup")),
            ("", None),
        ];
        for (address, want) in cases {
            assert_eq!(postal_area(address), want, "{address}");
        }
    }
}
