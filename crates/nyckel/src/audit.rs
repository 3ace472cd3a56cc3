//! `nyckel audit verify`: walks the hash-chained audit log (R-OPS-4) and
//! names the first entry that does not verify.

use std::process::ExitCode;

use nyckel_core::audit::ChainError;
use nyckel_service::config::Config;

use crate::{EXIT_FAILURE, settings};

pub async fn verify(config: &Config) -> anyhow::Result<ExitCode> {
    let store = settings::open_store(config).await?;
    let report = store.verify_audit().await?;
    store.close().await;
    match report.result {
        Ok(()) => {
            println!("audit log OK: {} entries", report.entries);
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            println!("audit log BROKEN at entry {}: {e}", first_bad_entry(&e));
            Ok(ExitCode::from(EXIT_FAILURE))
        }
    }
}

/// The sequence number of the first entry that is edited, out of place or
/// missing.
pub fn first_bad_entry(e: &ChainError) -> i64 {
    match e {
        ChainError::Edited { seq } | ChainError::Broken { seq, .. } => *seq,
        ChainError::Gap { expected, .. } => *expected,
        ChainError::Truncated { last, .. } => last + 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ok_first_bad_entry() {
        assert_eq!(first_bad_entry(&ChainError::Edited { seq: 4 }), 4);
        assert_eq!(first_bad_entry(&ChainError::Broken { seq: 5, prev: 4 }), 5);
        let gap = ChainError::Gap {
            expected: 2,
            found: 3,
        };
        assert_eq!(first_bad_entry(&gap), 2);
        let cut = ChainError::Truncated { head: 9, last: 7 };
        assert_eq!(first_bad_entry(&cut), 8);
    }
}
