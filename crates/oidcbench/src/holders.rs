//! The holders file that `nyckel-loadgen prepare` writes: one JSON object
//! per line with a holder's user ID, password and key-card codes (secrets in
//! clear, for throwaway benchmark databases only). Read here, never written.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context as _;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct Holder {
    pub user_id: String,
    pub password: String,
    /// The card the codes are from: a challenge from another card (one the
    /// server ordered when this one ran low) cannot be answered.
    #[serde(default)]
    pub card_id: Option<String>,
    /// Key number (as the page shows it) → code.
    pub codes: BTreeMap<String, String>,
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
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| {
            serde_json::from_str(l).with_context(|| format!("{}: line {}", path.display(), n + 1))
        })
        .collect()
}
