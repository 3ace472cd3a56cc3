//! Identifiers. Parse, don't validate: a value of these types is well formed.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The 9-digit user ID (*bruger-id*, NemID number) printed on the activation letter.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UserId(u32);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a user ID is exactly 9 digits")]
pub struct InvalidUserId;

impl UserId {
    /// Draws a random user ID; the first digit is never 0 so that it stays 9
    /// digits when written as a number.
    pub fn random<R: rand::Rng + ?Sized>(rng: &mut R) -> Self {
        use rand::RngExt;
        Self(rng.random_range(100_000_000..=999_999_999))
    }

    pub fn parse(s: &str) -> Result<Self, InvalidUserId> {
        let s = s.trim();
        if s.len() != 9 || !s.bytes().all(|b| b.is_ascii_digit()) || s.starts_with('0') {
            return Err(InvalidUserId);
        }
        s.parse().map(Self).map_err(|_| InvalidUserId)
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:09}", self.0)
    }
}

impl fmt::Debug for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UserId({self})")
    }
}

impl TryFrom<String> for UserId {
    type Error = InvalidUserId;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<UserId> for String {
    fn from(u: UserId) -> String {
        u.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_id_round_trip() {
        let mut rng = rand::rng();
        for _ in 0..100 {
            let u = UserId::random(&mut rng);
            assert_eq!(UserId::parse(&u.to_string()), Ok(u));
        }
    }

    #[test]
    fn user_id_rejects() {
        for bad in [
            "",
            "12345678",
            "1234567890",
            "12345678a",
            "012345678",
            "-12345678",
        ] {
            assert_eq!(UserId::parse(bad), Err(InvalidUserId), "{bad}");
        }
    }
}
