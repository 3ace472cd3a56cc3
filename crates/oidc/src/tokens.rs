//! What nyckel puts in tokens: ID token claims (OIDC Core §2, §3.1.3.6),
//! JWT access token claims (RFC 9068 §2.2), which person claims a request
//! asks for, and the opaque codes and refresh tokens.

use std::collections::BTreeSet;

use nyckel_core::assurance::{AuthMethod, Loa, amr_values};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::crypto::{b64url, random_bytes, sha256};
use crate::keys::SigningAlg;
use crate::request::{AuthorizationRequest, ClaimsRequest, SCOPE_PROFILE, SCOPE_SSN};

/// The name of the CPR number claim.
pub const CLAIM_CPR: &str = "dk.cpr";

/// Person claims nyckel can release, and the scope that releases each.
/// `dk.cpr` is released only with the `ssn` scope (which only entitled
/// clients may ask for) and only after the person's consent.
pub const PERSON_CLAIMS: [(&str, &str); 5] = [
    ("name", SCOPE_PROFILE),
    ("given_name", SCOPE_PROFILE),
    ("family_name", SCOPE_PROFILE),
    ("uuid", SCOPE_PROFILE),
    (CLAIM_CPR, SCOPE_SSN),
];

/// Claims about the person, shared by the ID token and the UserInfo
/// response. Absent ones are left out of the JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonClaims {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub given_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub family_name: Option<String>,
    /// The person's stable UUID.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub uuid: Option<Uuid>,
    /// The CPR number, `DDMMYYSSSS`.
    #[serde(rename = "dk.cpr", skip_serializing_if = "Option::is_none", default)]
    pub cpr: Option<String>,
}

/// Facts about the login an ID token reports (OIDC Core §2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginFacts {
    /// When the person actually authenticated, Unix seconds.
    pub auth_time: i64,
    /// The level reached (`acr`).
    pub level: Loa,
    /// The methods used (`amr`, RFC 8176 values via [`amr_values`]).
    pub methods: Vec<AuthMethod>,
}

/// ID token claims (OIDC Core §2). Optional members are left out when `None`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdTokenClaims {
    pub iss: String,
    pub sub: String,
    /// The client id (a single audience).
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub auth_time: i64,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub nonce: Option<String>,
    /// The NSIS level URI, e.g. `https://data.gov.dk/concept/core/nsis/Substantial`.
    pub acr: String,
    pub amr: Vec<String>,
    /// The authorized party: the client id (OIDC Core §2).
    pub azp: String,
    /// OIDC Core §3.1.3.6: set when an access token is issued with the ID token.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub at_hash: Option<String>,
    /// The login session id (OIDC Front-/Back-Channel Logout §2).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub sid: Option<String>,
    #[serde(flatten)]
    pub person: PersonClaims,
}

impl IdTokenClaims {
    /// An ID token for `client_id` about `sub`, issued at `now`, valid for
    /// `lifetime` seconds. `nonce`, `at_hash`, `sid` and the person claims
    /// are set by the caller.
    pub fn new(
        issuer: &str,
        sub: &str,
        client_id: &str,
        now: i64,
        lifetime: i64,
        login: &LoginFacts,
    ) -> Self {
        Self {
            iss: issuer.to_owned(),
            sub: sub.to_owned(),
            aud: client_id.to_owned(),
            exp: now.saturating_add(lifetime),
            iat: now,
            auth_time: login.auth_time,
            nonce: None,
            acr: login.level.uri().to_owned(),
            amr: amr_values(&login.methods)
                .into_iter()
                .map(str::to_owned)
                .collect(),
            azp: client_id.to_owned(),
            at_hash: None,
            sid: None,
            person: PersonClaims::default(),
        }
    }
}

/// JWT access token claims (RFC 9068 §2.2), signed with `typ: at+jwt`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessTokenClaims {
    pub iss: String,
    pub exp: i64,
    /// The resource the token is for; nyckel's own UserInfo endpoint is
    /// addressed by the issuer identifier.
    pub aud: String,
    /// The person's `sub` as the client sees it; for client credentials,
    /// the client id (RFC 9068 §2.2).
    pub sub: String,
    pub client_id: String,
    pub iat: i64,
    pub jti: String,
    /// Space-separated granted scopes.
    pub scope: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub auth_time: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub acr: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub amr: Option<Vec<String>>,
}

impl AccessTokenClaims {
    /// An access token on behalf of a person (authorization code and
    /// refresh grants). `jti` comes from [`random_jti`].
    #[allow(clippy::too_many_arguments)]
    pub fn for_person(
        issuer: &str,
        audience: &str,
        sub: &str,
        client_id: &str,
        scope: &str,
        now: i64,
        lifetime: i64,
        jti: String,
        login: &LoginFacts,
    ) -> Self {
        Self {
            iss: issuer.to_owned(),
            exp: now.saturating_add(lifetime),
            aud: audience.to_owned(),
            sub: sub.to_owned(),
            client_id: client_id.to_owned(),
            iat: now,
            jti,
            scope: scope.to_owned(),
            auth_time: Some(login.auth_time),
            acr: Some(login.level.uri().to_owned()),
            amr: Some(
                amr_values(&login.methods)
                    .into_iter()
                    .map(str::to_owned)
                    .collect(),
            ),
        }
    }

    /// An access token for a machine client (client credentials grant):
    /// `sub` is the client id, and there is no login.
    pub fn for_client(
        issuer: &str,
        audience: &str,
        client_id: &str,
        scope: &str,
        now: i64,
        lifetime: i64,
        jti: String,
    ) -> Self {
        Self {
            iss: issuer.to_owned(),
            exp: now.saturating_add(lifetime),
            aud: audience.to_owned(),
            sub: client_id.to_owned(),
            client_id: client_id.to_owned(),
            iat: now,
            jti,
            scope: scope.to_owned(),
            auth_time: None,
            acr: None,
            amr: None,
        }
    }
}

/// `at_hash` (OIDC Core §3.1.3.6): the left half of the hash of the ASCII
/// access token, with the hash of the ID token's `alg` (SHA-256 for both
/// ES256 and RS256), base64url.
pub fn at_hash(access_token: &str, alg: SigningAlg) -> String {
    match alg {
        SigningAlg::ES256 | SigningAlg::RS256 => {
            let digest = sha256(access_token.as_bytes());
            b64url(digest.get(..16).unwrap_or(&digest))
        }
    }
}

/// 256 random bits, base64url (43 characters): authorization codes,
/// refresh tokens, session ids. Store only [`token_hash`] of it.
pub fn random_token<R: rand::CryptoRng + ?Sized>(rng: &mut R) -> String {
    b64url(&random_bytes::<32, R>(rng))
}

/// A random `jti`: a UUID from 122 random bits of `rng`.
pub fn random_jti<R: rand::CryptoRng + ?Sized>(rng: &mut R) -> String {
    uuid::Builder::from_random_bytes(random_bytes::<16, R>(rng))
        .into_uuid()
        .to_string()
}

/// SHA-256, hex: how codes, refresh tokens and PAR request URIs are stored
/// and looked up. A plain hash suffices: the values have 256 bits of
/// entropy, so the hash cannot be reversed by guessing.
pub fn token_hash(token: &str) -> String {
    hex::encode(sha256(token.as_bytes()))
}

/// The person claims `scopes` release (OIDC Core §5.4), for a client
/// entitled to the CPR number or not: `dk.cpr` only with the `ssn` scope
/// *and* the entitlement. The one rule of what a scope gives: the ID token,
/// UserInfo, the consent screen and My nyckel's list of consents all ask
/// it, so that what a person is shown is what the client gets.
pub fn scope_claims<S: AsRef<str>>(scopes: &[S], cpr_entitled: bool) -> BTreeSet<&'static str> {
    PERSON_CLAIMS
        .iter()
        .filter(|(claim, scope)| {
            scopes.iter().any(|s| s.as_ref() == *scope) && (*claim != CLAIM_CPR || cpr_entitled)
        })
        .map(|(claim, _)| *claim)
        .collect()
}

/// Where a claim is to be returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimTarget {
    IdToken,
    UserInfo,
}

/// The person claims a request asks for at `target`:
///
/// - at UserInfo, those its scopes release (OIDC Core §5.4: the code flow
///   issues an access token, so scope claims come from UserInfo);
/// - at either target, those the `claims` parameter names for it (§5.5),
///   but only among those its scopes grant: the parameter routes claims, it
///   never widens what the holder consented to.
///
/// `dk.cpr` is the exception: it is asked for only when the `ssn` scope was
/// granted — which only entitled clients may request — never through the
/// `claims` parameter alone. The server releases the result only with the
/// person's consent.
pub fn requested_claims(req: &AuthorizationRequest, target: ClaimTarget) -> BTreeSet<&'static str> {
    requested_claims_for(&req.scopes, &req.claims, target)
}

fn requested_claims_for(
    scopes: &[String],
    claims: &ClaimsRequest,
    target: ClaimTarget,
) -> BTreeSet<&'static str> {
    let granted = |scope: &str| scopes.iter().any(|s| s == scope);
    let named = match target {
        ClaimTarget::IdToken => &claims.id_token,
        ClaimTarget::UserInfo => &claims.userinfo,
    };
    PERSON_CLAIMS
        .iter()
        .filter(|(claim, scope)| {
            let by_scope = target == ClaimTarget::UserInfo && granted(scope);
            // The claims parameter only says where a claim goes; it never
            // releases a claim whose scope (and so the consent screen) did
            // not cover it.
            let by_name = named.contains_key(*claim) && granted(scope);
            by_scope || by_name
        })
        .map(|(claim, _)| *claim)
        .collect()
}

#[cfg(test)]
mod tests {

    #[test]
    fn scope_claims_table() {
        let none: [&str; 0] = [];
        for (name, scopes, entitled, want) in [
            ("ok/openid-only", &["openid"][..], true, &none[..]),
            (
                "ok/profile",
                &["openid", "profile"][..],
                false,
                &["family_name", "given_name", "name", "uuid"][..],
            ),
            (
                "ok/ssn-entitled",
                &["openid", "ssn"][..],
                true,
                &[CLAIM_CPR][..],
            ),
            (
                "fail/ssn-not-entitled",
                &["openid", "ssn"][..],
                false,
                &none[..],
            ),
            ("fail/unknown-scope", &["email"][..], true, &none[..]),
        ] {
            let got: Vec<_> = scope_claims(scopes, entitled).into_iter().collect();
            assert_eq!(got, want, "{name}");
        }
    }
    use super::*;
    use crate::request::ClaimRequest;
    use rand::SeedableRng;
    use rand::rngs::StdRng;
    use serde_json::json;
    use sha2::Digest;

    fn login() -> LoginFacts {
        LoginFacts {
            auth_time: 1_799_999_990,
            level: Loa::Substantial,
            methods: vec![AuthMethod::Password, AuthMethod::KeyCard],
        }
    }

    #[test]
    fn at_hash_vectors() {
        // OIDC Core §A.3 example: access token and its at_hash (RS256).
        assert_eq!(
            at_hash(
                "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y",
                SigningAlg::RS256
            ),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
        // Independently computed with RustCrypto's SHA-256.
        let token = "SlAV32hkKG";
        let digest = sha2::Sha256::digest(token.as_bytes());
        let want = base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            &digest[..16],
        );
        assert_eq!(at_hash(token, SigningAlg::ES256), want);
        assert_eq!(at_hash(token, SigningAlg::RS256), want);
        assert_eq!(want.len(), 22);
    }

    #[test]
    fn id_token_claims_shape() {
        let mut c = IdTokenClaims::new(
            "https://id.nyckel.dk",
            "sub-1",
            "rp",
            1_800_000_000,
            300,
            &login(),
        );
        c.nonce = Some("n-1".into());
        let v = serde_json::to_value(&c).unwrap();
        assert_eq!(
            v,
            json!({
                "iss": "https://id.nyckel.dk", "sub": "sub-1", "aud": "rp",
                "exp": 1_800_000_300, "iat": 1_800_000_000, "auth_time": 1_799_999_990,
                "nonce": "n-1", "acr": "https://data.gov.dk/concept/core/nsis/Substantial",
                "amr": ["pwd", "otp", "mfa"], "azp": "rp",
            })
        );
        c.at_hash = Some("x".into());
        c.person = PersonClaims {
            name: Some("Jens Jensen".into()),
            uuid: Some(Uuid::from_u128(7)),
            cpr: Some("0101701234".into()),
            ..PersonClaims::default()
        };
        let v = serde_json::to_value(&c).unwrap();
        assert_eq!(v["dk.cpr"], "0101701234");
        assert_eq!(v["uuid"], "00000000-0000-0000-0000-000000000007");
        assert_eq!(v["name"], "Jens Jensen");
        assert!(v.get("given_name").is_none() && v.get("sid").is_none());
        let back: IdTokenClaims = serde_json::from_value(v).unwrap();
        assert_eq!(back, c);
    }

    #[test]
    fn access_token_claims_shape() {
        let a = AccessTokenClaims::for_person(
            "https://id.nyckel.dk",
            "https://id.nyckel.dk",
            "sub-1",
            "rp",
            "openid profile",
            100,
            600,
            "j".into(),
            &login(),
        );
        let v = serde_json::to_value(&a).unwrap();
        for member in [
            "iss",
            "exp",
            "aud",
            "sub",
            "client_id",
            "iat",
            "jti",
            "scope",
            "auth_time",
            "acr",
            "amr",
        ] {
            assert!(v.get(member).is_some(), "{member}");
        }
        assert_eq!(v["exp"], 700);
        let m = AccessTokenClaims::for_client(
            "https://id.nyckel.dk",
            "https://api.example",
            "machine",
            "",
            100,
            600,
            "j".into(),
        );
        let v = serde_json::to_value(&m).unwrap();
        assert_eq!(v["sub"], "machine");
        assert!(v.get("auth_time").is_none() && v.get("acr").is_none() && v.get("amr").is_none());
    }

    #[test]
    fn tokens_and_hashes() {
        let mut rng = StdRng::seed_from_u64(9);
        let a = random_token(&mut rng);
        let b = random_token(&mut rng);
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let jti = random_jti(&mut rng);
        assert_eq!(Uuid::parse_str(&jti).unwrap().get_version_num(), 4);
    }

    #[test]
    fn claims_requested() {
        let scopes = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let mut named = ClaimsRequest::default();
        named
            .id_token
            .insert("name".into(), ClaimRequest::default());
        named.id_token.insert(
            CLAIM_CPR.into(),
            ClaimRequest {
                essential: true,
                values: None,
            },
        );
        named
            .userinfo
            .insert(CLAIM_CPR.into(), ClaimRequest::default());
        let none = ClaimsRequest::default();
        let set = |v: &[&'static str]| v.iter().copied().collect::<BTreeSet<_>>();
        let cases = [
            (
                "ok/openid-only",
                scopes(&["openid"]),
                &none,
                ClaimTarget::UserInfo,
                set(&[]),
            ),
            (
                "ok/profile-userinfo",
                scopes(&["openid", "profile"]),
                &none,
                ClaimTarget::UserInfo,
                set(&["name", "given_name", "family_name", "uuid"]),
            ),
            (
                "ok/profile-id-token-needs-claims-param",
                scopes(&["openid", "profile"]),
                &none,
                ClaimTarget::IdToken,
                set(&[]),
            ),
            (
                "ok/profile-id-token-named",
                scopes(&["openid", "profile"]),
                &named,
                ClaimTarget::IdToken,
                set(&["name"]),
            ),
            (
                "ok/named-without-scope-releases-nothing",
                scopes(&["openid"]),
                &named,
                ClaimTarget::IdToken,
                set(&[]),
            ),
            (
                "fail/cpr-without-ssn-scope",
                scopes(&["openid"]),
                &named,
                ClaimTarget::UserInfo,
                set(&[]),
            ),
            (
                "ok/cpr-with-ssn-scope-but-no-name-without-profile",
                scopes(&["openid", "ssn"]),
                &named,
                ClaimTarget::IdToken,
                set(&[CLAIM_CPR]),
            ),
            (
                "ok/ssn-userinfo",
                scopes(&["openid", "ssn"]),
                &none,
                ClaimTarget::UserInfo,
                set(&[CLAIM_CPR]),
            ),
        ];
        for (name, s, c, target, want) in cases {
            assert_eq!(requested_claims_for(&s, c, target), want, "{name}");
        }
    }
}
