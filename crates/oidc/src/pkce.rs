//! Proof Key for Code Exchange (RFC 7636), `S256` only.
//!
//! The `plain` method is not supported: it protects nothing against an
//! attacker who can read the authorization request, and RFC 9700 §2.1.1
//! recommends `S256`. Discovery advertises `code_challenge_methods_supported:
//! ["S256"]`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use nyckel_core::secret::ct_eq;

use crate::crypto::sha256;

/// The only `code_challenge_method` nyckel accepts.
pub const S256: &str = "S256";

/// Whether `s` is a well-formed `S256` challenge: BASE64URL (no padding) of a
/// 32-byte SHA-256 value, i.e. exactly 43 characters that decode canonically
/// (RFC 7636 §4.2).
pub fn valid_challenge(s: &str) -> bool {
    s.len() == 43 && matches!(URL_SAFE_NO_PAD.decode(s), Ok(bytes) if bytes.len() == 32)
}

/// Whether `s` is a well-formed code verifier: 43–128 characters of the
/// unreserved set `[A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~"` (RFC 7636 §4.1).
pub fn valid_verifier(s: &str) -> bool {
    (43..=128).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// `BASE64URL(SHA256(ASCII(verifier)))` (RFC 7636 §4.2).
pub fn s256_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(sha256(verifier.as_bytes()))
}

/// RFC 7636 §4.6: the token request's `code_verifier` matches the stored
/// `S256` challenge. A malformed verifier never matches; the comparison of
/// the transformed verifier with the challenge is constant-time.
pub fn verify_s256(verifier: &str, challenge: &str) -> bool {
    valid_verifier(verifier) && ct_eq(s256_challenge(verifier).as_bytes(), challenge.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 7636 Appendix B.
    const RFC_VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const RFC_CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn verify() {
        let long = "a".repeat(128);
        let too_long = "a".repeat(129);
        let cases: &[(&str, &str, &str, bool)] = &[
            ("ok/rfc7636-appendix-b", RFC_VERIFIER, RFC_CHALLENGE, true),
            ("ok/max-length", &long, &s256_challenge(&long), true),
            (
                "fail/wrong-verifier",
                &RFC_VERIFIER.replace('d', "e"),
                RFC_CHALLENGE,
                false,
            ),
            (
                "fail/plain-method-would-match",
                RFC_VERIFIER,
                RFC_VERIFIER,
                false,
            ),
            ("fail/too-short", "abc", &s256_challenge("abc"), false),
            (
                "fail/too-long",
                &too_long,
                &s256_challenge(&too_long),
                false,
            ),
            (
                "fail/bad-char",
                "dBjftJeZ4CVP+mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
                &s256_challenge("dBjftJeZ4CVP+mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
                false,
            ),
            ("fail/empty-challenge", RFC_VERIFIER, "", false),
        ];
        for (name, verifier, challenge, want) in cases {
            assert_eq!(verify_s256(verifier, challenge), *want, "{name}");
        }
    }

    #[test]
    fn challenges() {
        let cases = [
            ("ok/rfc", RFC_CHALLENGE, true),
            (
                "fail/short",
                "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-c",
                false,
            ),
            (
                "fail/padded",
                "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM=",
                false,
            ),
            (
                "fail/standard-alphabet",
                "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM",
                false,
            ),
            // Last character carries bits beyond the 256: not canonical.
            (
                "fail/non-canonical",
                "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cN",
                false,
            ),
            ("fail/empty", "", false),
        ];
        for (name, s, want) in cases {
            assert_eq!(valid_challenge(s), want, "{name}");
        }
    }
}
