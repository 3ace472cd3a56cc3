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
}
