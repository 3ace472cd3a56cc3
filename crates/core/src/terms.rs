//! Terms of use (R-ENR-6): versioned; the holder accepts the current version at
//! activation and again at the next login after it changes.

/// The current terms. Bump `VERSION` when the text changes: every holder is
/// then asked to accept again at their next login.
pub const VERSION: u32 = 1;

/// The terms, one rule a paragraph.
pub const PARAGRAPHS: &[&str] = &[
    "Keep your password, user ID and codes to yourself. Never share them with anyone — not with family, not with your bank, not with anyone who phones or writes claiming to be nyckel. nyckel never asks for a code by phone or e-mail.",
    "Using your key binds you just as your handwritten signature does: whatever you approve or sign with it is your act.",
    "Block your key at once if you suspect that someone else knows your password, has your key card or your device: from My nyckel, or by calling support.",
    "Only approve a login, payment or signature that you started yourself and whose text you have read.",
];

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
