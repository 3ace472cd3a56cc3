//! Clients (relying parties): how they authenticate at the token endpoint,
//! their secrets, their subject identifiers, and private-key JWT assertions.

use std::fmt;
use std::str::FromStr;

use jsonwebtoken::{Algorithm, DecodingKey};
use nyckel_core::secret::{SecretString, ct_eq};
use serde_json::Value;
use uuid::Uuid;

use crate::crypto::{b64url, keyed_hash, keyed_hash_with, random_bytes};
use crate::error::{Error, TokenError};
use crate::jwt;

/// Token endpoint client authentication methods (OIDC Core §9, RFC 7591 §2
/// registered names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientAuthMethod {
    /// HTTP Basic with the client id and secret (RFC 6749 §2.3.1).
    ClientSecretBasic,
    /// `client_id` and `client_secret` in the form body (RFC 6749 §2.3.1).
    ClientSecretPost,
    /// A JWT signed with the client's private key (RFC 7523 §2.2, OIDC Core §9).
    PrivateKeyJwt,
    /// No authentication: a public client (native or browser app), which
    /// must then use PKCE (RFC 7636, RFC 9700 §2.1.1).
    None,
}

impl ClientAuthMethod {
    pub const ALL: [ClientAuthMethod; 4] = [
        ClientAuthMethod::ClientSecretBasic,
        ClientAuthMethod::ClientSecretPost,
        ClientAuthMethod::PrivateKeyJwt,
        ClientAuthMethod::None,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ClientAuthMethod::ClientSecretBasic => "client_secret_basic",
            ClientAuthMethod::ClientSecretPost => "client_secret_post",
            ClientAuthMethod::PrivateKeyJwt => "private_key_jwt",
            ClientAuthMethod::None => "none",
        }
    }

    /// Whether a client using this method is public (has no credentials).
    pub fn is_public(self) -> bool {
        self == ClientAuthMethod::None
    }
}

impl fmt::Display for ClientAuthMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Not one of the four registered method names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown token endpoint auth method")]
pub struct UnknownAuthMethod;

impl FromStr for ClientAuthMethod {
    type Err = UnknownAuthMethod;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or(UnknownAuthMethod)
    }
}

/// A newly generated client secret: `plain` is shown to the client's
/// operator once; only `stored` is kept.
#[derive(Debug)]
pub struct GeneratedSecret {
    pub plain: SecretString,
    pub stored: String,
}

/// Client secrets.
///
/// nyckel generates every secret with 256 bits of entropy, so a slow
/// password hash would add nothing against guessing and would make each
/// token request cost an Argon2 run (a denial-of-service lever). They are
/// stored as a keyed fast hash instead: hex `HMAC-SHA256(server_key,
/// label || client_id || secret)`, so a stolen database alone does not even
/// allow offline checking of a guessed secret, and binding the client id
/// means a stored hash copied to another client does not work there.
pub mod secret {
    use super::*;

    const LABEL: &str = "nyckel/oidc-client-secret/v1";

    /// A new secret: 32 random bytes, base64url (43 characters).
    pub fn generate<R: rand::CryptoRng + ?Sized>(
        rng: &mut R,
        server_key: &[u8],
        client_id: &str,
    ) -> GeneratedSecret {
        let plain = SecretString::new(b64url(&random_bytes::<32, R>(rng)));
        let stored = hash(server_key, client_id, plain.expose());
        GeneratedSecret { plain, stored }
    }

    /// The stored form of `secret` for `client_id`.
    pub fn hash(server_key: &[u8], client_id: &str, secret: &str) -> String {
        hex::encode(keyed_hash(
            server_key,
            LABEL,
            &[client_id.as_bytes(), secret.as_bytes()],
        ))
    }

    /// Whether `presented` is the secret whose stored form is `stored`
    /// (constant-time comparison of the hashes).
    pub fn verify(server_key: &[u8], client_id: &str, stored: &str, presented: &str) -> bool {
        Verifier::new(server_key).verify(client_id, stored, presented)
    }

    /// The server key prepared once for [`verify`], for a server that
    /// checks secrets on every token request. Does not print the key.
    pub struct Verifier(aws_lc_rs::hmac::Key);

    impl fmt::Debug for Verifier {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("Verifier")
        }
    }

    impl Verifier {
        pub fn new(server_key: &[u8]) -> Self {
            Self(aws_lc_rs::hmac::Key::new(
                aws_lc_rs::hmac::HMAC_SHA256,
                server_key,
            ))
        }

        /// [`verify`] with the prepared key: the same result.
        pub fn verify(&self, client_id: &str, stored: &str, presented: &str) -> bool {
            let tag = keyed_hash_with(
                &self.0,
                LABEL,
                &[client_id.as_bytes(), presented.as_bytes()],
            );
            let mut hex = [0u8; 64];
            // Cannot fail: 64 is exactly twice the tag's length.
            if hex::encode_to_slice(tag, &mut hex).is_err() {
                return false;
            }
            ct_eq(&hex, stored.as_bytes())
        }
    }
}

/// How a client sees a person's `sub` (OIDC Core §8): a client setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubjectType {
    /// The person's stable UUID, the same for every client.
    Public,
    /// A different, unlinkable value per client ([`pairwise_sub`]).
    Pairwise,
}

impl SubjectType {
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectType::Public => "public",
            SubjectType::Pairwise => "pairwise",
        }
    }

    /// The `sub` for `person` as seen by a client whose pairwise sector is
    /// `sector` (see [`pairwise_sub`]).
    pub fn subject(self, server_key: &[u8], sector: &str, person: Uuid) -> String {
        match self {
            SubjectType::Public => person.to_string(),
            SubjectType::Pairwise => pairwise_sub(server_key, sector, person),
        }
    }
}

/// Neither `public` nor `pairwise`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("subject type must be public or pairwise")]
pub struct UnknownSubjectType;

impl FromStr for SubjectType {
    type Err = UnknownSubjectType;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "public" => Ok(SubjectType::Public),
            "pairwise" => Ok(SubjectType::Pairwise),
            _ => Err(UnknownSubjectType),
        }
    }
}

/// The grant types a client may be registered for (RFC 6749 §4, §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GrantType {
    AuthorizationCode,
    RefreshToken,
    ClientCredentials,
}

impl GrantType {
    pub const ALL: [GrantType; 3] = [
        GrantType::AuthorizationCode,
        GrantType::RefreshToken,
        GrantType::ClientCredentials,
    ];

    /// The registered name (`grant_type` value).
    pub fn as_str(self) -> &'static str {
        match self {
            GrantType::AuthorizationCode => "authorization_code",
            GrantType::RefreshToken => "refresh_token",
            GrantType::ClientCredentials => "client_credentials",
        }
    }
}

impl fmt::Display for GrantType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Not a grant type nyckel supports.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("grant type must be authorization_code, refresh_token or client_credentials")]
pub struct UnknownGrantType;

impl FromStr for GrantType {
    type Err = UnknownGrantType;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|g| g.as_str() == s)
            .ok_or(UnknownGrantType)
    }
}

/// How long a client's access tokens live: a client setting, in seconds,
/// within [`AccessTokenLifetime::MIN`]..=[`AccessTokenLifetime::MAX`].
/// Short, because a resource server that only checks the signature honours
/// a token until it expires, however the person's nyckel changed since; at
/// least a minute, so that a token outlives the request that uses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AccessTokenLifetime(u32);

impl AccessTokenLifetime {
    pub const MIN: u32 = 60;
    pub const MAX: u32 = 3600;
    /// Five minutes, the lifetime before it was a setting.
    pub const DEFAULT: AccessTokenLifetime = AccessTokenLifetime(300);

    /// The lifetime of `secs` seconds, if within the bounds.
    pub fn from_secs(secs: i64) -> Result<Self, LifetimeOutOfBounds> {
        u32::try_from(secs)
            .ok()
            .filter(|s| (Self::MIN..=Self::MAX).contains(s))
            .map(AccessTokenLifetime)
            .ok_or(LifetimeOutOfBounds(secs))
    }

    pub fn secs(self) -> i64 {
        i64::from(self.0)
    }
}

impl Default for AccessTokenLifetime {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// An access-token lifetime outside 60..=3600 seconds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "access-token lifetime {0} s is out of bounds: choose {min} to {max} seconds",
    min = AccessTokenLifetime::MIN,
    max = AccessTokenLifetime::MAX
)]
pub struct LifetimeOutOfBounds(pub i64);

/// A pairwise subject identifier (OIDC Core §8.1): base64url of
/// `HMAC-SHA256(server_key, label || sector || person UUID)`, 43 characters.
/// Stable for one (sector, person), unlinkable across sectors without the
/// server key. nyckel's sector is the client id (so two clients of one
/// organisation see different values); a shared `sector_identifier_uri`
/// host could be passed instead to give a group of clients one value.
/// Changing `server_key` changes every pairwise `sub`: never rotate it.
pub fn pairwise_sub(server_key: &[u8], sector: &str, person: Uuid) -> String {
    b64url(&keyed_hash(
        server_key,
        "nyckel/oidc-pairwise-sub/v1",
        &[sector.as_bytes(), person.as_bytes()],
    ))
}

/// `client_assertion_type` for private-key JWTs (RFC 7523 §2.2).
pub const JWT_BEARER_ASSERTION_TYPE: &str =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Longest time ahead an assertion's `exp` may be. RFC 7523 §3 lets the
/// server limit it; a short limit also bounds how long the caller must
/// remember `jti`s for replay protection.
pub const MAX_ASSERTION_LIFETIME: i64 = 300;

/// Clock difference tolerated for `exp`, `nbf` and `iat` in assertions.
pub const ASSERTION_LEEWAY: i64 = 30;

/// A verified client assertion. The caller must still refuse a `jti` it has
/// already seen from this client before `exp` (RFC 7523 §3 item 7), by
/// recording `(client_id, jti)` in the database until `exp`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAssertion {
    pub jti: String,
    pub exp: i64,
}

/// Verifies a `private_key_jwt` client assertion (RFC 7523 §3, OIDC Core §9):
///
/// - header `alg` is ES256, RS256 or PS256 (never `none` or HMAC) and is the
///   algorithm of the key chosen from the client's registered JWK set by
///   `kid` (without a `kid`, the set must hold exactly one key usable for
///   that algorithm); keys in the header are never used;
/// - `iss` and `sub` are both the client id;
/// - `aud` contains the token endpoint URL or the issuer;
/// - `exp` is present, in the future, and at most
///   [`MAX_ASSERTION_LIFETIME`] ahead; `nbf`/`iat`, if present, not in the
///   future (all with [`ASSERTION_LEEWAY`]);
/// - `jti` is present (OIDC Core §9 makes it required).
pub fn verify_client_assertion(
    assertion: &str,
    client_id: &str,
    client_jwks: &Value,
    token_endpoint: &str,
    issuer: &str,
    now: i64,
) -> Result<ClientAssertion, Error> {
    let header = jwt::read_header(assertion)?;
    let alg = match header.alg.as_str() {
        "ES256" => Algorithm::ES256,
        "RS256" => Algorithm::RS256,
        "PS256" => Algorithm::PS256,
        other => return Err(TokenError::AlgorithmNotAllowed(other.to_owned()).into()),
    };
    if header.crit {
        return Err(TokenError::CriticalHeader.into());
    }
    let key = client_key(client_jwks, header.kid.as_deref(), alg)?;
    let claims = jwt::verify_signature(assertion, &key, alg)?;

    let iss = jwt::string_claim(&claims, "iss")?.ok_or(TokenError::MissingClaim("iss"))?;
    if iss != client_id {
        return Err(TokenError::WrongIssuer.into());
    }
    let sub = jwt::string_claim(&claims, "sub")?.ok_or(TokenError::MissingClaim("sub"))?;
    if sub != client_id {
        return Err(TokenError::WrongSubject.into());
    }
    let auds = jwt::audiences(&claims)?;
    if !auds.iter().any(|a| *a == token_endpoint || *a == issuer) {
        return Err(TokenError::WrongAudience.into());
    }
    let exp = jwt::numeric_date(&claims, "exp")?.ok_or(TokenError::MissingClaim("exp"))?;
    if now >= exp.saturating_add(ASSERTION_LEEWAY) {
        return Err(TokenError::Expired.into());
    }
    if exp > now.saturating_add(MAX_ASSERTION_LIFETIME + ASSERTION_LEEWAY) {
        return Err(TokenError::LifetimeTooLong.into());
    }
    for name in ["nbf", "iat"] {
        if jwt::numeric_date(&claims, name)?
            .is_some_and(|t| t > now.saturating_add(ASSERTION_LEEWAY))
        {
            return Err(TokenError::NotYetValid.into());
        }
    }
    let jti = jwt::string_claim(&claims, "jti")?.ok_or(TokenError::MissingClaim("jti"))?;
    if jti.is_empty() || jti.len() > 256 {
        return Err(TokenError::InvalidClaims.into());
    }
    Ok(ClientAssertion {
        jti: jti.to_owned(),
        exp,
    })
}

/// Whether a registered client JWK set is usable: a `keys` array of at
/// least one public EC P-256 or RSA signature key, none carrying private
/// parameters. For client registration (the server refuses a bad set then
/// rather than at the first token request).
pub fn check_client_jwks(jwks: &Value) -> Result<(), Error> {
    let keys = jwks
        .get("keys")
        .and_then(Value::as_array)
        .ok_or(TokenError::BadClientKeys)?;
    if keys.is_empty() {
        return Err(TokenError::BadClientKeys.into());
    }
    for k in keys {
        if ["d", "p", "q", "dp", "dq", "qi", "k"]
            .iter()
            .any(|m| k.get(m).is_some())
        {
            return Err(TokenError::BadClientKeys.into());
        }
        let usable = [Algorithm::ES256, Algorithm::RS256]
            .into_iter()
            .any(|alg| jwk_decoding_key(k, alg).is_some());
        if !usable {
            return Err(TokenError::BadClientKeys.into());
        }
    }
    Ok(())
}

fn client_key(jwks: &Value, kid: Option<&str>, alg: Algorithm) -> Result<DecodingKey, Error> {
    let keys = jwks
        .get("keys")
        .and_then(Value::as_array)
        .ok_or(TokenError::BadClientKeys)?;
    match kid {
        Some(kid) => {
            let jwk = keys
                .iter()
                .find(|k| k.get("kid").and_then(Value::as_str) == Some(kid))
                .ok_or(TokenError::UnknownKey)?;
            jwk_decoding_key(jwk, alg).ok_or_else(|| TokenError::KeyAlgorithmMismatch.into())
        }
        None => {
            let mut usable = keys.iter().filter_map(|k| jwk_decoding_key(k, alg));
            match (usable.next(), usable.next()) {
                (Some(key), None) => Ok(key),
                _ => Err(TokenError::UnknownKey.into()),
            }
        }
    }
}

/// A verification key from a public JWK for `alg`, or `None` if the JWK is
/// not a signature key of the right type: `kty` EC with `crv` P-256 and
/// 32-byte coordinates for ES256, `kty` RSA for RS256/PS256 (aws-lc-rs
/// refuses moduli under 2048 bits at verification); `use`, if present, is
/// `sig`; `alg`, if present, is `alg`.
fn jwk_decoding_key(jwk: &Value, alg: Algorithm) -> Option<DecodingKey> {
    let field = |name: &str| jwk.get(name).and_then(Value::as_str);
    if jwk.get("use").is_some() && field("use") != Some("sig") {
        return None;
    }
    if let Some(a) = jwk.get("alg") {
        let name = match alg {
            Algorithm::ES256 => "ES256",
            Algorithm::RS256 => "RS256",
            Algorithm::PS256 => "PS256",
            _ => return None,
        };
        if a.as_str() != Some(name) {
            return None;
        }
    }
    match (field("kty")?, alg) {
        ("EC", Algorithm::ES256) => {
            if field("crv")? != "P-256" {
                return None;
            }
            let (x, y) = (field("x")?, field("y")?);
            let coordinate = |s: &str| {
                use base64::Engine;
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(s)
                    .is_ok_and(|b| b.len() == 32)
            };
            if !coordinate(x) || !coordinate(y) {
                return None;
            }
            DecodingKey::from_ec_components(x, y).ok()
        }
        ("RSA", Algorithm::RS256 | Algorithm::PS256) => {
            DecodingKey::from_rsa_components(field("n")?, field("e")?).ok()
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn access_token_lifetime_bounds() {
        for (name, secs, ok) in [
            ("fail/zero", 0, false),
            ("fail/negative", -300, false),
            ("fail/below-min", 59, false),
            ("ok/min", 60, true),
            ("ok/default", 300, true),
            ("ok/max", 3600, true),
            ("fail/above-max", 3601, false),
            ("fail/huge", i64::from(u32::MAX) + 1, false),
        ] {
            let r = AccessTokenLifetime::from_secs(secs);
            assert_eq!(r.is_ok(), ok, "{name}");
            if let Ok(l) = r {
                assert_eq!(l.secs(), secs, "{name}");
            }
        }
        assert_eq!(AccessTokenLifetime::default().secs(), 300);
    }

    #[test]
    fn grant_type_names_round_trip() {
        for g in GrantType::ALL {
            assert_eq!(g.as_str().parse::<GrantType>(), Ok(g));
        }
        assert!("password".parse::<GrantType>().is_err());
    }
    use super::*;
    use crate::keys::{SigningAlg, SigningKey};
    use jsonwebtoken::{EncodingKey, Header};
    use rand::SeedableRng;
    use rand::rngs::StdRng;
    use serde_json::json;
    use std::sync::OnceLock;

    const NOW: i64 = 1_800_000_000;
    const TOKEN_EP: &str = "https://id.nyckel.test/token";
    const ISS: &str = "https://id.nyckel.test";

    #[test]
    fn ok_auth_method_names() {
        for m in ClientAuthMethod::ALL {
            assert_eq!(m.as_str().parse::<ClientAuthMethod>(), Ok(m));
            assert_eq!(m.to_string(), m.as_str());
        }
        assert!(ClientAuthMethod::None.is_public());
        assert!(!ClientAuthMethod::PrivateKeyJwt.is_public());
        assert_eq!(
            "client_secret_jwt".parse::<ClientAuthMethod>(),
            Err(UnknownAuthMethod)
        );
        assert_eq!("pairwise".parse::<SubjectType>(), Ok(SubjectType::Pairwise));
    }

    #[test]
    fn secrets() {
        let key = b"server key for client secrets......";
        let mut rng = StdRng::seed_from_u64(3);
        let g = secret::generate(&mut rng, key, "client-1");
        assert_eq!(g.plain.expose().len(), 43);
        assert_eq!(g.stored.len(), 64);
        assert_eq!(format!("{:?}", g.plain), "SecretString(***)");
        let other = secret::generate(&mut rng, key, "client-1");
        assert_ne!(g.plain.expose(), other.plain.expose());

        // Independent HMAC: label and parts length-prefixed.
        use hmac::{Hmac, KeyInit, Mac};
        let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key).unwrap();
        for part in [
            "nyckel/oidc-client-secret/v1".as_bytes(),
            b"client-1",
            g.plain.expose().as_bytes(),
        ] {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        assert_eq!(g.stored, hex::encode(mac.finalize().into_bytes()));

        let p = g.plain.expose();
        let cases: &[(&str, &[u8], &str, &str, bool)] = &[
            ("ok/right-secret", key, "client-1", p, true),
            ("fail/wrong-secret", key, "client-1", "x", false),
            ("fail/other-client", key, "client-2", p, false),
            (
                "fail/other-server-key",
                b"another key",
                "client-1",
                p,
                false,
            ),
            ("fail/empty", key, "client-1", "", false),
        ];
        for (name, k, client, presented, want) in cases {
            assert_eq!(
                secret::verify(k, client, &g.stored, presented),
                *want,
                "{name}"
            );
            assert_eq!(
                secret::Verifier::new(k).verify(client, &g.stored, presented),
                *want,
                "{name} (prepared key)"
            );
        }
    }

    #[test]
    fn pairwise() {
        let key = b"pairwise key";
        let p1 = Uuid::from_u128(1);
        let p2 = Uuid::from_u128(2);
        let a = pairwise_sub(key, "client-a", p1);
        assert_eq!(a, pairwise_sub(key, "client-a", p1), "stable");
        assert_eq!(a.len(), 43);
        assert_ne!(
            a,
            pairwise_sub(key, "client-b", p1),
            "differs across clients"
        );
        assert_ne!(
            a,
            pairwise_sub(key, "client-a", p2),
            "differs across persons"
        );
        assert_ne!(a, pairwise_sub(b"other key", "client-a", p1));
        assert_ne!(a, p1.to_string());
        assert_eq!(
            SubjectType::Public.subject(key, "client-a", p1),
            p1.to_string()
        );
        assert_eq!(SubjectType::Pairwise.subject(key, "client-a", p1), a);
    }

    struct ClientKeys {
        es: SigningKey,
        rs: SigningKey,
    }

    fn client_keys() -> &'static ClientKeys {
        static K: OnceLock<ClientKeys> = OnceLock::new();
        K.get_or_init(|| ClientKeys {
            es: SigningKey::generate(SigningAlg::ES256).unwrap(),
            rs: SigningKey::generate(SigningAlg::RS256).unwrap(),
        })
    }

    fn jwks() -> Value {
        let k = client_keys();
        let mut rs = k.rs.public_jwk();
        // Registered without alg, so PS256 may use it too.
        rs.as_object_mut().unwrap().remove("alg");
        json!({ "keys": [k.es.public_jwk(), rs] })
    }

    fn claims() -> Value {
        json!({
            "iss": "client-1", "sub": "client-1", "aud": TOKEN_EP,
            "exp": NOW + 60, "iat": NOW, "jti": "jti-1",
        })
    }

    fn sign(alg: Algorithm, kid: Option<&str>, claims: &Value) -> String {
        let k = client_keys();
        let (der, kid_default) = match alg {
            Algorithm::ES256 => (k.es.to_pkcs8_der(), k.es.kid()),
            _ => (k.rs.to_pkcs8_der(), k.rs.kid()),
        };
        let key = match alg {
            Algorithm::ES256 => EncodingKey::from_ec_der(der),
            _ => EncodingKey::from_rsa_pem(crate::keys::pkcs8_pem(der).as_bytes()).unwrap(),
        };
        let mut h = Header::new(alg);
        h.kid = kid.map(str::to_owned).or(Some(kid_default.to_owned()));
        jsonwebtoken::encode(&h, claims, &key).unwrap()
    }

    fn with(f: impl FnOnce(&mut serde_json::Map<String, Value>)) -> Value {
        let mut c = claims();
        f(c.as_object_mut().unwrap());
        c
    }

    #[test]
    fn client_assertions() {
        let es_kid = client_keys().es.kid().to_owned();
        let rs_kid = client_keys().rs.kid().to_owned();
        let hs = {
            let mut h = Header::new(Algorithm::HS256);
            h.kid = Some(es_kid.clone());
            jsonwebtoken::encode(&h, &claims(), &EncodingKey::from_secret(b"secret")).unwrap()
        };
        let cases: Vec<(&str, String, Result<ClientAssertion, Error>)> = vec![
            (
                "ok/es256",
                sign(Algorithm::ES256, None, &claims()),
                Ok(ClientAssertion {
                    jti: "jti-1".into(),
                    exp: NOW + 60,
                }),
            ),
            (
                "ok/rs256",
                sign(Algorithm::RS256, None, &claims()),
                Ok(ClientAssertion {
                    jti: "jti-1".into(),
                    exp: NOW + 60,
                }),
            ),
            (
                "ok/ps256",
                sign(Algorithm::PS256, None, &claims()),
                Ok(ClientAssertion {
                    jti: "jti-1".into(),
                    exp: NOW + 60,
                }),
            ),
            (
                "ok/aud-issuer-in-array",
                sign(
                    Algorithm::ES256,
                    None,
                    &with(|c| {
                        c.insert("aud".into(), json!(["x", ISS]));
                    }),
                ),
                Ok(ClientAssertion {
                    jti: "jti-1".into(),
                    exp: NOW + 60,
                }),
            ),
            (
                "ok/within-leeway",
                sign(
                    Algorithm::ES256,
                    None,
                    &with(|c| {
                        c.insert("exp".into(), json!(NOW - 5));
                    }),
                ),
                Ok(ClientAssertion {
                    jti: "jti-1".into(),
                    exp: NOW - 5,
                }),
            ),
            (
                "fail/expired",
                sign(
                    Algorithm::ES256,
                    None,
                    &with(|c| {
                        c.insert("exp".into(), json!(NOW - 60));
                    }),
                ),
                Err(TokenError::Expired.into()),
            ),
            (
                "fail/exp-too-far-ahead",
                sign(
                    Algorithm::ES256,
                    None,
                    &with(|c| {
                        c.insert("exp".into(), json!(NOW + 3600));
                    }),
                ),
                Err(TokenError::LifetimeTooLong.into()),
            ),
            (
                "fail/no-exp",
                sign(
                    Algorithm::ES256,
                    None,
                    &with(|c| {
                        c.remove("exp");
                    }),
                ),
                Err(TokenError::MissingClaim("exp").into()),
            ),
            (
                "fail/wrong-aud",
                sign(
                    Algorithm::ES256,
                    None,
                    &with(|c| {
                        c.insert("aud".into(), json!("https://other.test/token"));
                    }),
                ),
                Err(TokenError::WrongAudience.into()),
            ),
            (
                "fail/no-aud",
                sign(
                    Algorithm::ES256,
                    None,
                    &with(|c| {
                        c.remove("aud");
                    }),
                ),
                Err(TokenError::WrongAudience.into()),
            ),
            (
                "fail/wrong-iss",
                sign(
                    Algorithm::ES256,
                    None,
                    &with(|c| {
                        c.insert("iss".into(), json!("client-2"));
                    }),
                ),
                Err(TokenError::WrongIssuer.into()),
            ),
            (
                "fail/wrong-sub",
                sign(
                    Algorithm::ES256,
                    None,
                    &with(|c| {
                        c.insert("sub".into(), json!("client-2"));
                    }),
                ),
                Err(TokenError::WrongSubject.into()),
            ),
            (
                "fail/no-jti",
                sign(
                    Algorithm::ES256,
                    None,
                    &with(|c| {
                        c.remove("jti");
                    }),
                ),
                Err(TokenError::MissingClaim("jti").into()),
            ),
            (
                "fail/iat-future",
                sign(
                    Algorithm::ES256,
                    None,
                    &with(|c| {
                        c.insert("iat".into(), json!(NOW + 120));
                    }),
                ),
                Err(TokenError::NotYetValid.into()),
            ),
            (
                "fail/unknown-kid",
                sign(Algorithm::ES256, Some("nope"), &claims()),
                Err(TokenError::UnknownKey.into()),
            ),
            (
                "fail/kid-of-other-type",
                sign(Algorithm::ES256, Some(&rs_kid), &claims()),
                Err(TokenError::KeyAlgorithmMismatch.into()),
            ),
            (
                "fail/hs256",
                hs,
                Err(TokenError::AlgorithmNotAllowed("HS256".into()).into()),
            ),
            (
                "fail/garbage",
                "x.y.z".into(),
                Err(TokenError::Malformed.into()),
            ),
        ];
        for (name, assertion, want) in cases {
            let got = verify_client_assertion(&assertion, "client-1", &jwks(), TOKEN_EP, ISS, NOW);
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn fail_assertion_tampered_and_key_choice() {
        let token = sign(Algorithm::ES256, None, &claims());
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        parts[1] = b64url(
            with(|c| {
                c.insert("sub".into(), json!("client-1"));
                c.insert("jti".into(), json!("other"));
            })
            .to_string()
            .as_bytes(),
        );
        let tampered = parts.join(".");
        assert_eq!(
            verify_client_assertion(&tampered, "client-1", &jwks(), TOKEN_EP, ISS, NOW),
            Err(TokenError::BadSignature.into())
        );
        // Without a kid, a set with one usable key for the alg is fine; two are ambiguous.
        let k = client_keys();
        let mut h = Header::new(Algorithm::ES256);
        h.kid = None;
        let no_kid = jsonwebtoken::encode(
            &h,
            &claims(),
            &EncodingKey::from_ec_der(k.es.to_pkcs8_der()),
        )
        .unwrap();
        assert!(verify_client_assertion(&no_kid, "client-1", &jwks(), TOKEN_EP, ISS, NOW).is_ok());
        let two = json!({"keys": [k.es.public_jwk(), k.es.public_jwk()]});
        assert_eq!(
            verify_client_assertion(&no_kid, "client-1", &two, TOKEN_EP, ISS, NOW),
            Err(TokenError::UnknownKey.into())
        );
        // A JWK marked for encryption is not used for signatures.
        let mut enc = k.es.public_jwk();
        enc["use"] = json!("enc");
        let token = sign(Algorithm::ES256, None, &claims());
        assert_eq!(
            verify_client_assertion(
                &token,
                "client-1",
                &json!({"keys": [enc]}),
                TOKEN_EP,
                ISS,
                NOW
            ),
            Err(TokenError::KeyAlgorithmMismatch.into())
        );
        assert_eq!(
            verify_client_assertion(&token, "client-1", &json!({}), TOKEN_EP, ISS, NOW),
            Err(TokenError::BadClientKeys.into())
        );
    }

    #[test]
    fn client_jwks_checks() {
        let k = client_keys();
        let mut private = k.es.public_jwk();
        private["d"] = json!("AAAA");
        let cases = [
            ("ok/ec-and-rsa", jwks(), true),
            ("fail/no-keys-member", json!({}), false),
            ("fail/empty", json!({"keys": []}), false),
            ("fail/private-parameters", json!({"keys": [private]}), false),
            (
                "fail/symmetric",
                json!({"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}),
                false,
            ),
            (
                "fail/p384",
                json!({"keys": [{"kty": "EC", "crv": "P-384", "x": "AA", "y": "AA"}]}),
                false,
            ),
        ];
        for (name, set, ok) in cases {
            assert_eq!(check_client_jwks(&set).is_ok(), ok, "{name}");
        }
    }
}
