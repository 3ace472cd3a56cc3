//! JWT verification steps shared by [`crate::keys::KeySet::verify`] (our own
//! tokens) and [`crate::client::verify_client_assertion`] (clients' tokens).
//!
//! The header is read by nyckel before any key is chosen, so the decision
//! which algorithm and which key to use is ours (RFC 8725 §3.1): the header's
//! `alg` must be on the caller's allow-list and must be the algorithm of the
//! key its `kid` names. Keys embedded in the header (`jwk`, `jku`, `x5u`,
//! `x5c`) are never used. Signature checking is jsonwebtoken's (on
//! aws-lc-rs); every claim check is nyckel's, against a `now` passed in.

use std::collections::HashSet;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};

use crate::error::TokenError;

/// Longest compact JWT nyckel will look at. An RS256 ID token with every
/// claim is well under 4 KiB; this bounds the work an attacker can ask for.
pub const MAX_TOKEN_LEN: usize = 16 * 1024;

/// The parts of a JOSE header nyckel acts on (RFC 7515 §4.1).
#[derive(Debug, Clone)]
pub(crate) struct JoseHeader {
    pub alg: String,
    pub kid: Option<String>,
    pub typ: Option<String>,
    pub crit: bool,
}

/// Splits a compact JWS and reads its header. Does not verify anything.
pub(crate) fn read_header(token: &str) -> Result<JoseHeader, TokenError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(TokenError::TooLarge);
    }
    let mut parts = token.split('.');
    let (Some(header), Some(_payload), Some(_sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed);
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(header)
        .map_err(|_| TokenError::Malformed)?;
    let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(&bytes) else {
        return Err(TokenError::Malformed);
    };
    let string = |name: &str| -> Result<Option<String>, TokenError> {
        match map.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(TokenError::Malformed),
        }
    };
    let alg = string("alg")?.ok_or(TokenError::Malformed)?;
    Ok(JoseHeader {
        alg,
        kid: string("kid")?,
        typ: string("typ")?,
        crit: map.contains_key("crit"),
    })
}

/// RFC 7515 §4.1.9: `typ` compares case-insensitively and may omit the
/// `application/` prefix; RFC 8725 §3.11 explicit typing.
pub(crate) fn typ_matches(got: Option<&str>, expected: &str) -> bool {
    let Some(got) = got else { return false };
    let strip = |s: &str| {
        let lower = s.to_ascii_lowercase();
        match lower.strip_prefix("application/") {
            Some(rest) => rest.to_owned(),
            None => lower,
        }
    };
    strip(got) == strip(expected)
}

/// Checks the signature with `key` for `alg` (already decided by the caller)
/// and returns the claims as a JSON object. No claim is checked here.
pub(crate) fn verify_signature(
    token: &str,
    key: &DecodingKey,
    alg: Algorithm,
) -> Result<Map<String, Value>, TokenError> {
    let mut validation = Validation::new(alg);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims = HashSet::new();
    validation.leeway = 0;
    match jsonwebtoken::decode::<Value>(token, key, &validation) {
        Ok(data) => match data.claims {
            Value::Object(map) => Ok(map),
            _ => Err(TokenError::InvalidClaims),
        },
        Err(e) => Err(match e.kind() {
            jsonwebtoken::errors::ErrorKind::InvalidSignature => TokenError::BadSignature,
            jsonwebtoken::errors::ErrorKind::InvalidAlgorithm => TokenError::KeyAlgorithmMismatch,
            jsonwebtoken::errors::ErrorKind::Json(_) => TokenError::InvalidClaims,
            _ => TokenError::Malformed,
        }),
    }
}

/// A NumericDate claim (RFC 7519 §2): an integer number of seconds. nyckel
/// never issues fractions; a fractional value from a client is truncated.
pub(crate) fn numeric_date(
    claims: &Map<String, Value>,
    name: &'static str,
) -> Result<Option<i64>, TokenError> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => Ok(Some(i)),
            (None, Some(f)) if f.is_finite() && f.abs() < 1e15 => Ok(Some(f.trunc() as i64)),
            _ => Err(TokenError::InvalidClaims),
        },
        Some(_) => Err(TokenError::InvalidClaims),
    }
}

pub(crate) fn string_claim<'a>(
    claims: &'a Map<String, Value>,
    name: &'static str,
) -> Result<Option<&'a str>, TokenError> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(TokenError::InvalidClaims),
    }
}

/// The `aud` claim as a list: a string or an array of strings (RFC 7519 §4.1.3).
pub(crate) fn audiences(claims: &Map<String, Value>) -> Result<Vec<&str>, TokenError> {
    match claims.get("aud") {
        None => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(vec![s.as_str()]),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().ok_or(TokenError::InvalidClaims))
            .collect(),
        Some(_) => Err(TokenError::InvalidClaims),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typ() {
        let cases = [
            ("ok/exact", Some("at+jwt"), "at+jwt", true),
            ("ok/prefix", Some("application/at+jwt"), "at+jwt", true),
            ("ok/case", Some("AT+JWT"), "at+jwt", true),
            ("ok/jwt", Some("JWT"), "JWT", true),
            ("fail/absent", None, "at+jwt", false),
            ("fail/other", Some("JWT"), "at+jwt", false),
        ];
        for (name, got, want, ok) in cases {
            assert_eq!(typ_matches(got, want), ok, "{name}");
        }
    }

    #[test]
    fn headers() {
        let enc = |s: &str| URL_SAFE_NO_PAD.encode(s);
        let ok = format!(
            "{}.e30.sig",
            enc(r#"{"alg":"ES256","kid":"k","typ":"JWT"}"#)
        );
        let h = read_header(&ok).unwrap();
        assert_eq!((h.alg.as_str(), h.kid.as_deref()), ("ES256", Some("k")));
        let cases = [
            ("fail/two-parts", "a.b".to_owned()),
            ("fail/four-parts", "a.b.c.d".to_owned()),
            ("fail/not-base64", "!!.e30.x".to_owned()),
            ("fail/not-object", format!("{}.e30.x", enc("[1]"))),
            ("fail/no-alg", format!("{}.e30.x", enc("{}"))),
            (
                "fail/alg-not-string",
                format!("{}.e30.x", enc(r#"{"alg":1}"#)),
            ),
            (
                "fail/kid-not-string",
                format!("{}.e30.x", enc(r#"{"alg":"ES256","kid":1}"#)),
            ),
        ];
        for (name, token) in cases {
            assert!(read_header(&token).is_err(), "{name}");
        }
        assert_eq!(
            read_header(&"a".repeat(MAX_TOKEN_LEN + 1)).unwrap_err(),
            TokenError::TooLarge
        );
    }
}
