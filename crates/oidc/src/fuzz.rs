//! Entry points for fuzz targets and property tests: each takes arbitrary
//! bytes, runs one parser or verifier of untrusted input, and must never
//! panic. The results are returned so a target can also assert invariants.

use std::sync::OnceLock;

use serde_json::{Value, json};

use crate::keys::{Expected, KeySet, SigningAlg, SigningKey};
use crate::request::{self, ClientView, Origin};
use crate::{client, grant};

/// The issuer the fixed key set's tokens claim.
pub const ISSUER: &str = "https://fuzz.nyckel.test";
/// The fixed time the entry points verify at.
pub const NOW: i64 = 1_800_000_000;

/// A client with two registered redirect URIs, `profile` allowed.
pub fn client() -> ClientView {
    ClientView {
        client_id: "rp".into(),
        redirect_uris: vec![
            "https://rp.example/cb".into(),
            "https://rp.example/cb2?x=1".into(),
        ],
        public: false,
        require_par: false,
        allowed_scopes: vec!["profile".into()],
        default_acr: None,
    }
}

/// One ES256 and one RS256 key, generated once per process (`None` if key
/// generation failed, which then makes the JWT entry points no-ops).
pub fn key_set() -> Option<&'static KeySet> {
    static KEYS: OnceLock<Option<KeySet>> = OnceLock::new();
    KEYS.get_or_init(|| {
        let es = SigningKey::generate(SigningAlg::ES256).ok()?;
        let rs = SigningKey::generate(SigningAlg::RS256).ok()?;
        KeySet::new(vec![es, rs], vec![]).ok()
    })
    .as_ref()
}

/// A valid token from [`key_set`], as a seed to mutate.
pub fn valid_token(alg: SigningAlg) -> Option<String> {
    let claims = json!({"iss": ISSUER, "sub": "s", "aud": "rp", "exp": NOW + 60, "iat": NOW});
    key_set()?.sign(alg, &claims, crate::keys::typ::JWT).ok()
}

/// The authorization endpoint's validation on a raw query string.
pub fn authorize_query(data: &[u8]) -> bool {
    let query = String::from_utf8_lossy(data);
    let c = client();
    let front = request::validate_authorize_query(&query, Some(&c), Origin::FrontChannel).is_ok();
    let pushed = request::validate_authorize_query(&query, Some(&c), Origin::Pushed).is_ok();
    let params: Vec<(String, String)> = url::form_urlencoded::parse(data).into_owned().collect();
    let _ = request::pushed_reference(&params);
    front || pushed
}

/// The `claims` parameter parser.
pub fn claims_parameter(data: &[u8]) -> bool {
    request::parse_claims(&String::from_utf8_lossy(data)).is_ok()
}

/// [`KeySet::verify`] on an arbitrary token.
pub fn jwt_verify(data: &[u8]) -> bool {
    let Some(keys) = key_set() else { return false };
    let token = String::from_utf8_lossy(data);
    let expected = Expected {
        issuer: ISSUER,
        audience: Some("rp"),
        typ: None,
        now: NOW,
        leeway: 0,
        accept_expired: false,
    };
    keys.verify::<Value>(&token, &expected).is_ok()
}

/// [`client::verify_client_assertion`] against the fixed key set's public
/// keys as the client's JWK set.
pub fn client_assertion(data: &[u8]) -> bool {
    let Some(keys) = key_set() else { return false };
    let token = String::from_utf8_lossy(data);
    client::verify_client_assertion(
        &token,
        "rp",
        &keys.jwks(),
        "https://fuzz.nyckel.test/token",
        ISSUER,
        NOW,
    )
    .is_ok()
}

/// The token endpoint's request and client-credential readers. The first
/// line (if any) is taken as the `Authorization` header, the rest as the form.
pub fn token_request(data: &[u8]) -> bool {
    let text = String::from_utf8_lossy(data);
    let (header, body) = match text.split_once('\n') {
        Some((h, b)) => (Some(h), b),
        None => (None, text.as_ref()),
    };
    let params: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let a = grant::parse_token_request(&params).is_ok();
    let b = grant::presented_client(header, &params).is_ok();
    a && b
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ok_seeds_pass() {
        for alg in SigningAlg::ALL {
            let t = valid_token(alg).unwrap();
            assert!(jwt_verify(t.as_bytes()), "{alg}");
            assert!(
                !client_assertion(t.as_bytes()),
                "not an assertion: iss is not the client"
            );
        }
        assert!(authorize_query(b"client_id=rp&redirect_uri=https%3A%2F%2Frp.example%2Fcb&response_type=code&scope=openid"));
        assert!(claims_parameter(br#"{"id_token":{"acr":null}}"#));
        assert!(token_request(
            b"Basic cnA6eA==\ngrant_type=client_credentials"
        ));
    }

    /// A valid token of each algorithm, signed once.
    fn seed(es: bool) -> String {
        static SEEDS: OnceLock<(String, String)> = OnceLock::new();
        let (e, r) = SEEDS.get_or_init(|| {
            (
                valid_token(SigningAlg::ES256).unwrap(),
                valid_token(SigningAlg::RS256).unwrap(),
            )
        });
        if es { e.clone() } else { r.clone() }
    }

    /// Replaces `len` bytes at `at` (both taken modulo the token) with `with`.
    fn mutate(token: &str, at: usize, len: usize, with: &[u8]) -> Vec<u8> {
        let mut bytes = token.as_bytes().to_vec();
        let at = at % (bytes.len() + 1);
        let end = (at + len).min(bytes.len());
        bytes.splice(at..end, with.iter().copied());
        bytes
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        #[test]
        fn prop_verify_never_panics_on_bytes(data in prop::collection::vec(any::<u8>(), 0..600)) {
            let _ = jwt_verify(&data);
            let _ = client_assertion(&data);
            let _ = token_request(&data);
            let _ = authorize_query(&data);
            let _ = claims_parameter(&data);
        }

        /// Mutated valid tokens never panic, and any change to a token is
        /// refused unless it leaves the token's meaning intact.
        #[test]
        fn prop_verify_mutated_tokens(es in any::<bool>(), at in any::<usize>(), len in 0usize..8, with in prop::collection::vec(any::<u8>(), 0..8)) {
            let token = seed(es);
            let mutated = mutate(&token, at, len, &with);
            let ok = jwt_verify(&mutated);
            let _ = client_assertion(&mutated);
            if ok && mutated != token.as_bytes() {
                // Only base64url's trailing unused bits may change without
                // changing the decoded header, payload or signature.
                let m = String::from_utf8_lossy(&mutated);
                let dec = |s: &str| -> Vec<Vec<u8>> {
                    s.split('.').map(|p| base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, p).unwrap_or_default()).collect()
                };
                prop_assert_eq!(dec(&m), dec(&token));
            }
        }

        #[test]
        fn prop_token_strings_never_panic(s in "\\PC{0,400}") {
            let _ = jwt_verify(s.as_bytes());
            let _ = client_assertion(s.as_bytes());
            let _ = token_request(s.as_bytes());
        }
    }
}
