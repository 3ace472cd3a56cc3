//! The holders file: one JSON object per line with what a holder knows —
//! user ID, password and the codes of the key card in their drawer. Secrets
//! in clear: for benchmarks against throwaway databases only.
//!
//! A *pending* holder (`prepare --pending`) is enrolled but not activated:
//! it also has the activation code of its letter, and `password` is the
//! password it will choose at its first login (`activate`); after that it
//! is an active holder like any other (one key of its card used).

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader};
use std::path::Path;

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Holder {
    pub user_id: String,
    pub password: String,
    /// The card the codes are from (`KC…`): a challenge from another card
    /// (a new one the server ordered) cannot be answered.
    #[serde(default)]
    pub card_id: Option<String>,
    /// Key number (4 digits, as the page shows it) → 6-digit code.
    pub codes: BTreeMap<String, String>,
    /// The activation code from the enrollment letter, for a holder not yet
    /// activated: given as the password at the first login.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activation_code: Option<String>,
}

impl Holder {
    /// Logins this holder can still do: every key but the one `prepare`'s
    /// activation used (conservative: an attempt counts whether or not it
    /// used a key).
    pub fn logins(&self) -> usize {
        self.codes.len().saturating_sub(1)
    }
}

pub fn read(path: &Path) -> anyhow::Result<Vec<Holder>> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut holders = Vec::new();
    for (n, line) in BufReader::new(file).lines().enumerate() {
        let line = line.with_context(|| format!("cannot read {}", path.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        let holder: Holder = serde_json::from_str(&line)
            .with_context(|| format!("{}: line {}", path.display(), n + 1))?;
        holders.push(holder);
    }
    Ok(holders)
}
