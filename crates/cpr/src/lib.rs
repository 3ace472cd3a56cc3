//! Danish CPR numbers (*personnummer*) and the population-register records
//! nyckel keeps about persons.
//!
//! Standard library only: this crate sits at the bottom of the dependency
//! graph and must not depend on anything else of nyckel's.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod date;
mod number;
mod person;

pub use date::Date;
pub use number::{Cpr, CprError, Sex};
pub use person::{PersonRecord, Residence, UnknownResidence, postal_area};
