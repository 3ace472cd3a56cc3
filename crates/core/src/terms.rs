//! Terms of use (R-ENR-6): versioned; the holder accepts the current version at
//! activation and again at the next login after it changes.

/// The current terms. Bump `VERSION` when the text changes: every holder is
/// then asked to accept again at their next login.
pub const VERSION: u32 = 1;

/// How many rules the current terms have. Their text is in the message
/// catalogs (`terms-v1-rule-1`…, crate nyckel-i18n), in every language.
pub const RULES: usize = 4;

/// Whether a holder who accepted `accepted` must accept the current terms.
pub fn must_accept(accepted: Option<u32>) -> bool {
    accepted.is_none_or(|v| v < VERSION)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ok_acceptance() {
        assert!(must_accept(None));
        assert!(must_accept(Some(VERSION - 1)));
        assert!(!must_accept(Some(VERSION)));
    }
}
