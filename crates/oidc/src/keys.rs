//! Token signing keys, the published key set (JWKS), signing and verifying
//! nyckel's own JWTs, and wrapping private keys for storage.
//!
//! - ES256 (ECDSA P-256, RFC 7518 §3.4) is the default; RS256 (RSASSA-PKCS1
//!   v1.5 with SHA-256, RFC 7518 §3.3) is offered for clients that cannot do
//!   EC. All key generation and signing is aws-lc-rs (through jsonwebtoken's
//!   `aws_lc_rs` backend): never the `rsa` crate (RUSTSEC-2023-0071).
//! - Rotation (`nyckel keys rotate`): [`KeySet::rotate`] makes a new key the
//!   current one for its algorithm and keeps the old one as a retired,
//!   verify-only key that is still published in the JWKS. The server drops a
//!   retired key once everything it signed has expired: after
//!   `retired_at + the longest ID/access token lifetime + clock leeway`.
//! - Private keys are stored in the database wrapped with AES-256-GCM under a
//!   master key that is not in the database ([`encrypt_private_key`]).

use std::fmt;
use std::str::FromStr;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der};
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _, RsaKeyPair,
};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use zeroize::Zeroizing;

use crate::crypto::{b64url, hmac_sha256, random_bytes, sha256};
use crate::error::{Error, Result, TokenError};
use crate::jwt;

/// The algorithms nyckel signs its tokens with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SigningAlg {
    /// ECDSA P-256 SHA-256: the default.
    ES256,
    /// RSASSA-PKCS1-v1_5 SHA-256 with a 2048-bit (or larger) key.
    RS256,
}

impl SigningAlg {
    pub const ALL: [SigningAlg; 2] = [SigningAlg::ES256, SigningAlg::RS256];

    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlg::ES256 => "ES256",
            SigningAlg::RS256 => "RS256",
        }
    }

    pub(crate) fn jwt_alg(self) -> Algorithm {
        match self {
            SigningAlg::ES256 => Algorithm::ES256,
            SigningAlg::RS256 => Algorithm::RS256,
        }
    }
}

impl fmt::Display for SigningAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SigningAlg {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "ES256" => Ok(SigningAlg::ES256),
            "RS256" => Ok(SigningAlg::RS256),
            _ => Err(Error::Key("unsupported signing algorithm (ES256 or RS256)")),
        }
    }
}

#[derive(Clone, PartialEq, Eq)]
enum PublicMaterial {
    /// P-256 affine coordinates, 32 bytes each.
    Ec { x: Vec<u8>, y: Vec<u8> },
    /// Modulus and exponent, big-endian without leading zeros.
    Rsa { n: Vec<u8>, e: Vec<u8> },
}

/// A public key that verifies nyckel's tokens: a current signing key's
/// public half, or a retired key still published until its tokens expire.
#[derive(Clone, PartialEq, Eq)]
pub struct VerifyingKey {
    kid: String,
    alg: SigningAlg,
    material: PublicMaterial,
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish()
    }
}

impl VerifyingKey {
    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub fn alg(&self) -> SigningAlg {
        self.alg
    }

    /// The public JWK (RFC 7517 §4, RFC 7518 §6): `kty`, `crv`/`x`/`y` or
    /// `n`/`e`, and `kid`, `alg`, `use: "sig"`.
    pub fn public_jwk(&self) -> Value {
        match &self.material {
            PublicMaterial::Ec { x, y } => json!({
                "kty": "EC", "crv": "P-256", "x": b64url(x), "y": b64url(y),
                "kid": self.kid, "alg": self.alg.as_str(), "use": "sig",
            }),
            PublicMaterial::Rsa { n, e } => json!({
                "kty": "RSA", "n": b64url(n), "e": b64url(e),
                "kid": self.kid, "alg": self.alg.as_str(), "use": "sig",
            }),
        }
    }

    /// The RFC 7638 JWK thumbprint (SHA-256, base64url): the default `kid`.
    pub fn thumbprint(&self) -> String {
        thumbprint(&self.material)
    }

    fn decoding_key(&self) -> DecodingKey {
        match &self.material {
            PublicMaterial::Ec { x, y } => {
                let mut point = Vec::with_capacity(65);
                point.push(0x04);
                point.extend_from_slice(x);
                point.extend_from_slice(y);
                DecodingKey::from_ec_der(&point)
            }
            PublicMaterial::Rsa { n, e } => DecodingKey::from_rsa_raw_components(n, e),
        }
    }
}

fn thumbprint(material: &PublicMaterial) -> String {
    // RFC 7638 §3.2: the required members only, in lexicographic order, no whitespace.
    let canonical = match material {
        PublicMaterial::Ec { x, y } => format!(
            r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
            b64url(x),
            b64url(y)
        ),
        PublicMaterial::Rsa { n, e } => {
            format!(r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#, b64url(e), b64url(n))
        }
    };
    b64url(&sha256(canonical.as_bytes()))
}

/// A private signing key with its key id. Does not print its contents; the
/// PKCS#8 bytes are zeroized on drop.
pub struct SigningKey {
    pkcs8: Zeroizing<Vec<u8>>,
    encoding: EncodingKey,
    /// ES256 only: the parsed key pair, so that signing does not parse the
    /// PKCS#8 document again for every token (jsonwebtoken does).
    ecdsa: Option<aws_lc_rs::signature::EcdsaKeyPair>,
    /// ES256 only: the base64url JWS header for each of [`typ`]'s values,
    /// made once; the same bytes [`SigningKey::sign`] would make each time.
    jws_headers: Vec<(&'static str, String)>,
    public: VerifyingKey,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.public.kid)
            .field("alg", &self.public.alg)
            .finish_non_exhaustive()
    }
}

const MAX_KID_LEN: usize = 128;

impl SigningKey {
    /// Generates a new key: P-256 for ES256, 2048-bit RSA for RS256, both by
    /// aws-lc-rs from its own system random source (key generation cannot
    /// take an outside RNG). The `kid` is the key's RFC 7638 thumbprint:
    /// unique per key, and stable across export and import.
    pub fn generate(alg: SigningAlg) -> Result<Self> {
        let der: Zeroizing<Vec<u8>> = match alg {
            SigningAlg::ES256 => {
                let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
                    .map_err(|_| Error::Key("EC key generation failed"))?;
                let doc = pair
                    .to_pkcs8v1()
                    .map_err(|_| Error::Key("EC key export failed"))?;
                Zeroizing::new(doc.as_ref().to_vec())
            }
            SigningAlg::RS256 => {
                let pair = RsaKeyPair::generate(KeySize::Rsa2048)
                    .map_err(|_| Error::Key("RSA key generation failed"))?;
                let doc: Pkcs8V1Der<'static> = pair
                    .as_der()
                    .map_err(|_| Error::Key("RSA key export failed"))?;
                Zeroizing::new(doc.as_ref().to_vec())
            }
        };
        let material = public_material(alg, &der)?;
        Self::from_pkcs8_der(thumbprint(&material), alg, &der)
    }

    /// Loads a key exported with [`SigningKey::to_pkcs8_der`]. Refuses a key
    /// of the wrong type for `alg`, an RSA key under 2048 or over 8192 bits,
    /// and a `kid` that is empty, longer than 128 bytes or not printable
    /// ASCII. The key signs and verifies a test message before it is accepted.
    pub fn from_pkcs8_der(kid: impl Into<String>, alg: SigningAlg, der: &[u8]) -> Result<Self> {
        let kid = kid.into();
        if kid.is_empty() || kid.len() > MAX_KID_LEN || !kid.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Error::Key("kid must be 1-128 printable ASCII characters"));
        }
        let material = public_material(alg, der)?;
        let encoding = match alg {
            SigningAlg::ES256 => EncodingKey::from_ec_der(der),
            // jsonwebtoken's aws-lc-rs RSA signer takes a PKCS#1
            // RSAPrivateKey; its PEM reader unwraps PKCS#8 to exactly that.
            SigningAlg::RS256 => EncodingKey::from_rsa_pem(pkcs8_pem(der).as_bytes())
                .map_err(|_| Error::Key("RSA key not readable as PKCS#8"))?,
        };
        let ecdsa = match alg {
            SigningAlg::ES256 => Some(
                aws_lc_rs::signature::EcdsaKeyPair::from_pkcs8(
                    &aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                    der,
                )
                .map_err(|_| Error::Key("EC key not readable as PKCS#8"))?,
            ),
            SigningAlg::RS256 => None,
        };
        let mut key = Self {
            pkcs8: Zeroizing::new(der.to_vec()),
            encoding,
            ecdsa,
            jws_headers: Vec::new(),
            public: VerifyingKey { kid, alg, material },
        };
        if key.ecdsa.is_some() {
            key.jws_headers = [typ::JWT, typ::ACCESS_TOKEN]
                .into_iter()
                .map(|t| Ok((t, b64url(&serde_json::to_vec(&key.header(t))?))))
                .collect::<std::result::Result<_, serde_json::Error>>()
                .map_err(|_| Error::Key("JWS header not serializable"))?;
        }
        key.self_test()?;
        Ok(key)
    }

    fn header(&self, typ: &str) -> Header {
        let mut header = Header::new(self.public.alg.jwt_alg());
        header.kid = Some(self.public.kid.clone());
        header.typ = Some(typ.to_owned());
        header
    }

    /// Signs and verifies a fixed message, so that a key whose private and
    /// public halves do not belong together is never used.
    fn self_test(&self) -> Result<()> {
        let alg = self.public.alg.jwt_alg();
        let sig = jsonwebtoken::crypto::sign(b"nyckel key self-test", &self.encoding, alg)
            .map_err(|_| Error::Key("key cannot sign"))?;
        match jsonwebtoken::crypto::verify(
            &sig,
            b"nyckel key self-test",
            &self.public.decoding_key(),
            alg,
        ) {
            Ok(true) => Ok(()),
            _ => Err(Error::Key("key fails its sign/verify self-test")),
        }
    }

    /// The PKCS#8 v1 DER of the private key, for [`encrypt_private_key`].
    pub fn to_pkcs8_der(&self) -> &[u8] {
        &self.pkcs8
    }

    pub fn kid(&self) -> &str {
        &self.public.kid
    }

    pub fn alg(&self) -> SigningAlg {
        self.public.alg
    }

    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.public
    }

    pub fn public_jwk(&self) -> Value {
        self.public.public_jwk()
    }

    fn sign<T: Serialize>(&self, claims: &T, typ: &str) -> Result<String> {
        let Some(pair) = &self.ecdsa else {
            return jsonwebtoken::encode(&self.header(typ), claims, &self.encoding)
                .map_err(|e| Error::Signing(e.to_string()));
        };
        // ES256 (RFC 7515 §A.3): the JWS signing input, signed with the
        // cached key pair; the fixed-length r‖s form is JWS's format.
        let payload = serde_json::to_vec(claims).map_err(|e| Error::Signing(e.to_string()))?;
        let made;
        let header = match self.jws_headers.iter().find(|(t, _)| *t == typ) {
            Some((_, h)) => h.as_str(),
            None => {
                made = b64url(
                    &serde_json::to_vec(&self.header(typ))
                        .map_err(|e| Error::Signing(e.to_string()))?,
                );
                made.as_str()
            }
        };
        // Header, payload and the 64-byte signature, base64url, two dots.
        let mut jws = String::with_capacity(header.len() + payload.len().div_ceil(3) * 4 + 88);
        jws.push_str(header);
        jws.push('.');
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode_string(&payload, &mut jws);
        let sig = pair
            .sign(&aws_lc_rs::rand::SystemRandom::new(), jws.as_bytes())
            .map_err(|_| Error::Signing("ES256 signing failed".into()))?;
        jws.push('.');
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode_string(sig.as_ref(), &mut jws);
        Ok(jws)
    }
}

/// Public components from PKCS#8, with aws-lc-rs: the uncompressed P-256
/// point (`0x04 || x || y`), or the RSA modulus and exponent.
fn public_material(alg: SigningAlg, der: &[u8]) -> Result<PublicMaterial> {
    match alg {
        SigningAlg::ES256 => {
            let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der)
                .map_err(|_| Error::Key("not a PKCS#8 P-256 private key"))?;
            let point = pair.public_key().as_ref();
            match (
                point.first(),
                point.get(1..33),
                point.get(33..65),
                point.len(),
            ) {
                (Some(0x04), Some(x), Some(y), 65) => Ok(PublicMaterial::Ec {
                    x: x.to_vec(),
                    y: y.to_vec(),
                }),
                _ => Err(Error::Key("unexpected P-256 public key encoding")),
            }
        }
        SigningAlg::RS256 => {
            let pair = RsaKeyPair::from_pkcs8(der)
                .map_err(|_| Error::Key("not a PKCS#8 RSA private key"))?;
            if !(256..=1024).contains(&pair.public_modulus_len()) {
                return Err(Error::Key("RSA key must be 2048 to 8192 bits"));
            }
            let public = pair.public_key();
            Ok(PublicMaterial::Rsa {
                n: public.modulus().big_endian_without_leading_zero().to_vec(),
                e: public.exponent().big_endian_without_leading_zero().to_vec(),
            })
        }
    }
}

pub(crate) fn pkcs8_pem(der: &[u8]) -> Zeroizing<String> {
    let b64 = Zeroizing::new(STANDARD.encode(der));
    let mut pem = Zeroizing::new(String::with_capacity(b64.len() + b64.len() / 64 + 64));
    pem.push_str("-----BEGIN PRIVATE KEY-----\n");
    for line in b64.as_bytes().chunks(64) {
        pem.push_str(std::str::from_utf8(line).unwrap_or_default());
        pem.push('\n');
    }
    pem.push_str("-----END PRIVATE KEY-----\n");
    pem
}

/// The JWT type values nyckel signs with (`typ` header, RFC 7519 §5.1).
pub mod typ {
    /// ID tokens (and any other plain JWT).
    pub const JWT: &str = "JWT";
    /// Access tokens, RFC 9068 §2.1.
    pub const ACCESS_TOKEN: &str = "at+jwt";
}

/// What a token must satisfy besides its signature.
#[derive(Debug, Clone)]
pub struct Expected<'a> {
    /// `iss` must equal this.
    pub issuer: &'a str,
    /// If set, `aud` (a string or an array) must contain it.
    pub audience: Option<&'a str>,
    /// If set, the header `typ` must match (RFC 8725 §3.11; RFC 9068 §4 for
    /// `at+jwt`), so that an ID token is never taken for an access token.
    pub typ: Option<&'a str>,
    /// The current time, Unix seconds.
    pub now: i64,
    /// Allowed clock difference for `exp`, `nbf` and `iat`, in seconds.
    pub leeway: i64,
    /// Accept an expired token (only for `id_token_hint`, OIDC RP-Initiated
    /// Logout §2: the hint may have expired). `exp` must still be present.
    pub accept_expired: bool,
}

/// The signing keys (one current key per algorithm) and the retired keys
/// still published for verification.
#[derive(Debug, Default)]
pub struct KeySet {
    signing: Vec<SigningKey>,
    retired: Vec<VerifyingKey>,
}

impl KeySet {
    /// Refuses two current keys for one algorithm and any repeated `kid`.
    pub fn new(signing: Vec<SigningKey>, retired: Vec<VerifyingKey>) -> Result<Self> {
        for (i, k) in signing.iter().enumerate() {
            if signing[..i].iter().any(|o| o.alg() == k.alg()) {
                return Err(Error::Key("two current signing keys for one algorithm"));
            }
        }
        let mut kids: Vec<&str> = signing
            .iter()
            .map(|k| k.kid())
            .chain(retired.iter().map(|k| k.kid()))
            .collect();
        kids.sort_unstable();
        if kids.windows(2).any(|w| w[0] == w[1]) {
            return Err(Error::Key("duplicate kid in key set"));
        }
        Ok(Self { signing, retired })
    }

    /// `new` becomes the current key for its algorithm; the key it replaces
    /// is retired (verify-only, still published).
    pub fn rotate(&mut self, new: SigningKey) -> Result<()> {
        if self.verifying_key(new.kid()).is_some() {
            return Err(Error::Key("duplicate kid in key set"));
        }
        if let Some(i) = self.signing.iter().position(|k| k.alg() == new.alg()) {
            let old = self.signing.swap_remove(i);
            self.retired.push(old.public);
        }
        self.signing.push(new);
        Ok(())
    }

    /// Drops retired keys for which `keep` says no (e.g. retired longer ago
    /// than the longest token lifetime).
    pub fn retain_retired(&mut self, mut keep: impl FnMut(&VerifyingKey) -> bool) {
        self.retired.retain(|k| keep(k));
    }

    pub fn signing_key(&self, alg: SigningAlg) -> Option<&SigningKey> {
        self.signing.iter().find(|k| k.alg() == alg)
    }

    /// The algorithms there is a current signing key for.
    pub fn algorithms(&self) -> Vec<SigningAlg> {
        let mut algs: Vec<SigningAlg> = self.signing.iter().map(|k| k.alg()).collect();
        algs.sort_unstable();
        algs
    }

    pub fn retired(&self) -> &[VerifyingKey] {
        &self.retired
    }

    fn verifying_key(&self, kid: &str) -> Option<&VerifyingKey> {
        self.signing
            .iter()
            .map(|k| &k.public)
            .chain(self.retired.iter())
            .find(|k| k.kid == kid)
    }

    /// The JWK Set document (RFC 7517 §5): current keys first, then retired ones.
    pub fn jwks(&self) -> Value {
        let keys: Vec<Value> = self
            .signing
            .iter()
            .map(|k| k.public_jwk())
            .chain(self.retired.iter().map(|k| k.public_jwk()))
            .collect();
        json!({ "keys": keys })
    }

    /// Signs `claims` as a compact JWS with the current key for `alg`; the
    /// header carries its `kid` and `typ` ([`typ::JWT`] or [`typ::ACCESS_TOKEN`]).
    pub fn sign<T: Serialize>(&self, alg: SigningAlg, claims: &T, typ: &str) -> Result<String> {
        self.signing_key(alg)
            .ok_or(Error::NoSigningKey(alg.as_str()))?
            .sign(claims, typ)
    }

    /// Verifies one of nyckel's own tokens and returns its claims.
    ///
    /// Accepts only ES256 and RS256 and only keys of this set, chosen by the
    /// header's `kid` (which is required); the header `alg` must be that
    /// key's algorithm. So `alg: none`, any HMAC algorithm (including HS256
    /// "signed" with one of our public keys as the secret), keys embedded in
    /// the header and unknown `kid`s are all refused before any signature
    /// check. Then `iss` must be [`Expected::issuer`], `exp` must be present
    /// and (unless [`Expected::accept_expired`]) in the future, `nbf` and
    /// `iat` not in the future, and `aud`/`typ` as [`Expected`] says
    /// (RFC 7519 §7.2, RFC 8725 §3).
    pub fn verify<T: DeserializeOwned>(&self, token: &str, expected: &Expected<'_>) -> Result<T> {
        let header = jwt::read_header(token)?;
        let alg = match header.alg.as_str() {
            "ES256" => SigningAlg::ES256,
            "RS256" => SigningAlg::RS256,
            other => return Err(TokenError::AlgorithmNotAllowed(other.to_owned()).into()),
        };
        let key = header
            .kid
            .as_deref()
            .and_then(|kid| self.verifying_key(kid))
            .ok_or(TokenError::UnknownKey)?;
        if key.alg != alg {
            return Err(TokenError::KeyAlgorithmMismatch.into());
        }
        if header.crit {
            return Err(TokenError::CriticalHeader.into());
        }
        if let Some(want) = expected.typ
            && !jwt::typ_matches(header.typ.as_deref(), want)
        {
            return Err(TokenError::WrongType.into());
        }
        let claims = jwt::verify_signature(token, &key.decoding_key(), alg.jwt_alg())?;

        if jwt::string_claim(&claims, "iss")? != Some(expected.issuer) {
            return Err(TokenError::WrongIssuer.into());
        }
        if let Some(aud) = expected.audience
            && !jwt::audiences(&claims)?.contains(&aud)
        {
            return Err(TokenError::WrongAudience.into());
        }
        let exp = jwt::numeric_date(&claims, "exp")?.ok_or(TokenError::MissingClaim("exp"))?;
        if !expected.accept_expired && expected.now >= exp.saturating_add(expected.leeway) {
            return Err(TokenError::Expired.into());
        }
        let not_before = expected.now.saturating_add(expected.leeway);
        for name in ["nbf", "iat"] {
            if jwt::numeric_date(&claims, name)?.is_some_and(|t| t > not_before) {
                return Err(TokenError::NotYetValid.into());
            }
        }
        serde_json::from_value(Value::Object(claims)).map_err(|_| TokenError::InvalidClaims.into())
    }
}

const KEY_WRAP_LABEL: &[u8] = b"nyckel/oidc-key-wrap/v1";

fn wrap_key(master: &[u8]) -> Result<LessSafeKey> {
    if master.len() < 32 {
        return Err(Error::Key("master key must be at least 32 bytes"));
    }
    let key = Zeroizing::new(hmac_sha256(master, KEY_WRAP_LABEL));
    let unbound = UnboundKey::new(&AES_256_GCM, key.as_ref())
        .map_err(|_| Error::Key("AES-256-GCM key setup failed"))?;
    Ok(LessSafeKey::new(unbound))
}

/// Wraps a private key (PKCS#8 DER) for storage: AES-256-GCM under
/// `HMAC-SHA256(master, "nyckel/oidc-key-wrap/v1")`, with a random 96-bit
/// nonce, output `nonce || ciphertext || tag`. The `kid` is the associated
/// data, so a wrapped key moved to another key's row does not open.
/// `master` (≥ 32 bytes) lives in configuration, never in the database.
pub fn encrypt_private_key<R: rand::CryptoRng + ?Sized>(
    master: &[u8],
    kid: &str,
    der: &[u8],
    rng: &mut R,
) -> Result<Vec<u8>> {
    let key = wrap_key(master)?;
    let nonce: [u8; NONCE_LEN] = random_bytes(rng);
    let mut sealed = der.to_vec();
    key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(kid.as_bytes()),
        &mut sealed,
    )
    .map_err(|_| Error::Key("AES-256-GCM seal failed"))?;
    let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// Opens what [`encrypt_private_key`] made. Fails with [`Error::KeyUnwrap`]
/// on a wrong master key, a different `kid`, or any change to the bytes.
pub fn decrypt_private_key(master: &[u8], kid: &str, wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    let key = wrap_key(master)?;
    let (Some(nonce), Some(sealed)) = (wrapped.get(..NONCE_LEN), wrapped.get(NONCE_LEN..)) else {
        return Err(Error::KeyUnwrap);
    };
    let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| Error::KeyUnwrap)?;
    let mut buf = Zeroizing::new(sealed.to_vec());
    let plain_len = key
        .open_in_place(nonce, Aad::from(kid.as_bytes()), &mut buf)
        .map_err(|_| Error::KeyUnwrap)?
        .len();
    buf.truncate(plain_len);
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;
    use serde::Deserialize;
    use std::sync::OnceLock;

    const ISS: &str = "https://id.nyckel.test";
    const NOW: i64 = 1_800_000_000;

    /// Whether an error is the expected one.
    type IsErr = fn(&Error) -> bool;

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    struct Claims {
        iss: String,
        sub: String,
        aud: String,
        exp: i64,
        iat: i64,
    }

    fn claims() -> Claims {
        Claims {
            iss: ISS.into(),
            sub: "person-1".into(),
            aud: "client-1".into(),
            exp: NOW + 300,
            iat: NOW,
        }
    }

    fn expected() -> Expected<'static> {
        Expected {
            issuer: ISS,
            audience: Some("client-1"),
            typ: Some(typ::JWT),
            now: NOW,
            leeway: 0,
            accept_expired: false,
        }
    }

    /// RSA key generation is slow in debug builds: one key of each kind for
    /// the whole module, exported and re-imported per test.
    fn der(alg: SigningAlg) -> &'static (String, Vec<u8>) {
        static EC: OnceLock<(String, Vec<u8>)> = OnceLock::new();
        static RSA: OnceLock<(String, Vec<u8>)> = OnceLock::new();
        let cell = match alg {
            SigningAlg::ES256 => &EC,
            SigningAlg::RS256 => &RSA,
        };
        cell.get_or_init(|| {
            let k = SigningKey::generate(alg).unwrap();
            (k.kid().to_owned(), k.to_pkcs8_der().to_vec())
        })
    }

    fn key(alg: SigningAlg) -> SigningKey {
        let (kid, der) = der(alg);
        SigningKey::from_pkcs8_der(kid.clone(), alg, der).unwrap()
    }

    fn keyset() -> KeySet {
        KeySet::new(vec![key(SigningAlg::ES256), key(SigningAlg::RS256)], vec![]).unwrap()
    }

    fn b64(v: &Value) -> String {
        b64url(v.to_string().as_bytes())
    }

    /// A token with a chosen header and payload and the signature of `signed`.
    fn forge(header: Value, payload: Value, sig: &str) -> String {
        format!("{}.{}.{}", b64(&header), b64(&payload), sig)
    }

    #[test]
    fn ok_sign_verify_round_trip_both_algs() {
        let ks = keyset();
        for alg in SigningAlg::ALL {
            let token = ks.sign(alg, &claims(), typ::JWT).unwrap();
            let header = jsonwebtoken::decode_header(&token).unwrap();
            assert_eq!(header.alg, alg.jwt_alg());
            assert_eq!(
                header.kid.as_deref(),
                Some(ks.signing_key(alg).unwrap().kid())
            );
            assert_eq!(header.typ.as_deref(), Some("JWT"));
            let back: Claims = ks.verify(&token, &expected()).unwrap();
            assert_eq!(back, claims(), "{alg}");
        }
    }

    #[test]
    fn ok_generate_kid_is_thumbprint_and_import_round_trips() {
        for alg in SigningAlg::ALL {
            let k = key(alg);
            assert_eq!(k.kid(), k.verifying_key().thumbprint());
            assert_eq!(k.kid().len(), 43);
            let again = SigningKey::from_pkcs8_der("other-kid", alg, k.to_pkcs8_der()).unwrap();
            assert_eq!(again.kid(), "other-kid");
            assert_eq!(again.verifying_key().thumbprint(), k.kid());
            assert!(!format!("{k:?}").contains("pkcs8"));
        }
    }

    #[test]
    fn ok_public_jwk_matches_jsonwebtoken() {
        for alg in SigningAlg::ALL {
            let k = key(alg);
            let jwk = k.public_jwk();
            assert_eq!(jwk["kid"], k.kid());
            assert_eq!(jwk["alg"], alg.as_str());
            assert_eq!(jwk["use"], "sig");
            assert!(jwk.get("d").is_none() && jwk.get("p").is_none());
            // jsonwebtoken computes the same components from the private key.
            let lib =
                jsonwebtoken::jwk::Jwk::from_encoding_key(&k.encoding, alg.jwt_alg()).unwrap();
            let lib = serde_json::to_value(&lib).unwrap();
            match alg {
                SigningAlg::ES256 => {
                    assert_eq!(jwk["kty"], "EC");
                    assert_eq!(jwk["crv"], "P-256");
                    assert_eq!(jwk["x"], lib["x"]);
                    assert_eq!(jwk["y"], lib["y"]);
                }
                SigningAlg::RS256 => {
                    assert_eq!(jwk["kty"], "RSA");
                    assert_eq!(jwk["e"], "AQAB");
                    assert_eq!(jwk["n"], lib["n"]);
                    let n = base64::engine::general_purpose::URL_SAFE_NO_PAD
                        .decode(jwk["n"].as_str().unwrap())
                        .unwrap();
                    assert_eq!(n.len(), 256, "2048-bit modulus");
                }
            }
            // And a JWK-built decoding key verifies our signature.
            let token = KeySet::new(vec![key(alg)], vec![])
                .unwrap()
                .sign(alg, &claims(), typ::JWT)
                .unwrap();
            let parsed: jsonwebtoken::jwk::Jwk = serde_json::from_value(jwk).unwrap();
            let dk = DecodingKey::from_jwk(&parsed).unwrap();
            let mut v = jsonwebtoken::Validation::new(alg.jwt_alg());
            v.set_audience(&["client-1"]);
            v.validate_exp = false;
            assert!(jsonwebtoken::decode::<Claims>(&token, &dk, &v).is_ok());
        }
    }

    #[test]
    fn fail_verify() {
        let ks = keyset();
        let es = ks.sign(SigningAlg::ES256, &claims(), typ::JWT).unwrap();
        let es_kid = ks.signing_key(SigningAlg::ES256).unwrap().kid().to_owned();
        let rs_kid = ks.signing_key(SigningAlg::RS256).unwrap().kid().to_owned();
        let payload = serde_json::to_value(claims()).unwrap();

        // HS256 "signed" with the RSA public key (the JWK's n) as the HMAC secret.
        let rs_jwk = ks.signing_key(SigningAlg::RS256).unwrap().public_jwk();
        let mut hs_header = jsonwebtoken::Header::new(Algorithm::HS256);
        hs_header.kid = Some(rs_kid.clone());
        let hs_with_public = jsonwebtoken::encode(
            &hs_header,
            &claims(),
            &EncodingKey::from_secret(rs_jwk["n"].as_str().unwrap().as_bytes()),
        )
        .unwrap();
        let mut hs_es = jsonwebtoken::Header::new(Algorithm::HS256);
        hs_es.kid = Some(es_kid.clone());
        let hs_with_point = jsonwebtoken::encode(
            &hs_es,
            &claims(),
            &EncodingKey::from_secret(
                ks.signing_key(SigningAlg::ES256)
                    .unwrap()
                    .public
                    .decoding_key()
                    .try_get_as_bytes()
                    .unwrap(),
            ),
        )
        .unwrap();

        let parts: Vec<&str> = es.split('.').collect();
        let mut tampered_payload = claims();
        tampered_payload.sub = "person-2".into();
        let tampered = format!(
            "{}.{}.{}",
            parts[0],
            b64(&serde_json::to_value(&tampered_payload).unwrap()),
            parts[2]
        );
        let none = forge(json!({"alg": "none", "kid": es_kid}), payload.clone(), "");
        let none_upper = forge(json!({"alg": "None", "kid": es_kid}), payload.clone(), "");
        let unknown_kid = forge(
            json!({"alg": "ES256", "kid": "nope", "typ": "JWT"}),
            payload.clone(),
            parts[2],
        );
        let no_kid = forge(
            json!({"alg": "ES256", "typ": "JWT"}),
            payload.clone(),
            parts[2],
        );
        let alg_swap = forge(
            json!({"alg": "RS256", "kid": es_kid, "typ": "JWT"}),
            payload.clone(),
            parts[2],
        );
        let crit = forge(
            json!({"alg": "ES256", "kid": es_kid, "typ": "JWT", "crit": ["exp"]}),
            payload.clone(),
            parts[2],
        );
        let other = SigningKey::generate(SigningAlg::ES256).unwrap();
        let foreign = KeySet::new(vec![other], vec![])
            .unwrap()
            .sign(SigningAlg::ES256, &claims(), typ::JWT)
            .unwrap();
        let mut exp = claims();
        exp.exp = NOW;
        let expired = ks.sign(SigningAlg::ES256, &exp, typ::JWT).unwrap();
        let mut future = claims();
        future.iat = NOW + 60;
        let issued_in_future = ks.sign(SigningAlg::ES256, &future, typ::JWT).unwrap();
        let mut wrong_iss = claims();
        wrong_iss.iss = "https://evil.test".into();
        let wrong_iss = ks.sign(SigningAlg::ES256, &wrong_iss, typ::JWT).unwrap();
        let mut wrong_aud = claims();
        wrong_aud.aud = "client-2".into();
        let wrong_aud = ks.sign(SigningAlg::ES256, &wrong_aud, typ::JWT).unwrap();
        let access = ks
            .sign(SigningAlg::ES256, &claims(), typ::ACCESS_TOKEN)
            .unwrap();
        let no_exp = ks
            .sign(
                SigningAlg::ES256,
                &json!({"iss": ISS, "aud": "client-1"}),
                typ::JWT,
            )
            .unwrap();

        let cases: Vec<(&str, String, IsErr)> = vec![
            (
                "fail/alg-none",
                none,
                |e| matches!(e, Error::Token(TokenError::AlgorithmNotAllowed(a)) if a == "none"),
            ),
            ("fail/alg-None", none_upper, |e| {
                matches!(e, Error::Token(TokenError::AlgorithmNotAllowed(_)))
            }),
            (
                "fail/hs256-rsa-public-as-secret",
                hs_with_public,
                |e| matches!(e, Error::Token(TokenError::AlgorithmNotAllowed(a)) if a == "HS256"),
            ),
            ("fail/hs256-ec-point-as-secret", hs_with_point, |e| {
                matches!(e, Error::Token(TokenError::AlgorithmNotAllowed(_)))
            }),
            ("fail/tampered-payload", tampered, |e| {
                *e == Error::Token(TokenError::BadSignature)
            }),
            ("fail/unknown-kid", unknown_kid, |e| {
                *e == Error::Token(TokenError::UnknownKey)
            }),
            ("fail/no-kid", no_kid, |e| {
                *e == Error::Token(TokenError::UnknownKey)
            }),
            ("fail/alg-swapped-for-key", alg_swap, |e| {
                *e == Error::Token(TokenError::KeyAlgorithmMismatch)
            }),
            ("fail/crit", crit, |e| {
                *e == Error::Token(TokenError::CriticalHeader)
            }),
            ("fail/foreign-key-same-alg", foreign, |e| {
                *e == Error::Token(TokenError::UnknownKey)
            }),
            ("fail/expired", expired, |e| {
                *e == Error::Token(TokenError::Expired)
            }),
            ("fail/iat-in-future", issued_in_future, |e| {
                *e == Error::Token(TokenError::NotYetValid)
            }),
            ("fail/wrong-issuer", wrong_iss, |e| {
                *e == Error::Token(TokenError::WrongIssuer)
            }),
            ("fail/wrong-audience", wrong_aud, |e| {
                *e == Error::Token(TokenError::WrongAudience)
            }),
            ("fail/access-token-as-id-token", access, |e| {
                *e == Error::Token(TokenError::WrongType)
            }),
            ("fail/no-exp", no_exp, |e| {
                *e == Error::Token(TokenError::MissingClaim("exp"))
            }),
            ("fail/garbage", "a.b.c".into(), |e| {
                *e == Error::Token(TokenError::Malformed)
            }),
            ("fail/empty", String::new(), |e| {
                *e == Error::Token(TokenError::Malformed)
            }),
        ];
        for (name, token, want) in cases {
            let err = ks.verify::<Value>(&token, &expected()).unwrap_err();
            assert!(want(&err), "{name}: {err:?}");
        }
    }

    #[test]
    fn ok_expiry_edges() {
        let ks = keyset();
        let token = ks.sign(SigningAlg::ES256, &claims(), typ::JWT).unwrap();
        let at = |now: i64, leeway: i64, accept_expired: bool| {
            let e = Expected {
                now,
                leeway,
                accept_expired,
                ..expected()
            };
            ks.verify::<Value>(&token, &e).is_ok()
        };
        assert!(at(NOW + 299, 0, false));
        assert!(!at(NOW + 300, 0, false), "exp is exclusive");
        assert!(at(NOW + 300, 30, false), "leeway");
        assert!(at(NOW + 10_000, 0, true), "id_token_hint may be expired");
        assert!(!at(NOW - 1, 0, false), "iat in the future");
        assert!(at(NOW - 1, 5, false));
    }

    #[test]
    fn ok_rotation_keeps_old_key_verifying() {
        let ks = keyset();
        let before = ks.sign(SigningAlg::ES256, &claims(), typ::JWT).unwrap();
        let old_kid = ks.signing_key(SigningAlg::ES256).unwrap().kid().to_owned();
        let new = SigningKey::generate(SigningAlg::ES256).unwrap();
        let new_kid = new.kid().to_owned();
        let mut ks = ks;
        ks.rotate(new).unwrap();
        let again = SigningKey::from_pkcs8_der(
            new_kid.clone(),
            SigningAlg::ES256,
            ks.signing_key(SigningAlg::ES256).unwrap().to_pkcs8_der(),
        )
        .unwrap();
        assert!(ks.rotate(again).is_err(), "a kid already in the set");
        assert_eq!(ks.retired().len(), 1, "a refused rotation changes nothing");
        assert_eq!(ks.signing_key(SigningAlg::ES256).unwrap().kid(), new_kid);
        assert_eq!(ks.retired().len(), 1);
        assert_eq!(ks.jwks()["keys"].as_array().unwrap().len(), 3);
        let after = ks.sign(SigningAlg::ES256, &claims(), typ::JWT).unwrap();
        assert_eq!(
            jsonwebtoken::decode_header(&after).unwrap().kid,
            Some(new_kid)
        );
        assert!(ks.verify::<Claims>(&before, &expected()).is_ok());
        assert!(ks.verify::<Claims>(&after, &expected()).is_ok());
        ks.retain_retired(|k| k.kid() != old_kid);
        assert_eq!(
            ks.verify::<Claims>(&before, &expected()).unwrap_err(),
            Error::Token(TokenError::UnknownKey)
        );
        assert_eq!(ks.algorithms(), vec![SigningAlg::ES256, SigningAlg::RS256]);
    }

    #[test]
    fn fail_key_sets_and_imports() {
        let dup_alg = KeySet::new(vec![key(SigningAlg::ES256), key(SigningAlg::ES256)], vec![]);
        assert!(dup_alg.is_err());
        let k = key(SigningAlg::ES256);
        let dup_kid = KeySet::new(
            vec![key(SigningAlg::ES256)],
            vec![k.verifying_key().clone()],
        );
        assert!(dup_kid.is_err());
        let (_, ec) = der(SigningAlg::ES256);
        let (_, rsa) = der(SigningAlg::RS256);
        let cases: &[(&str, &str, SigningAlg, &[u8])] = &[
            ("fail/ec-der-as-rs256", "k", SigningAlg::RS256, ec),
            ("fail/rsa-der-as-es256", "k", SigningAlg::ES256, rsa),
            ("fail/garbage", "k", SigningAlg::ES256, b"not a key"),
            (
                "fail/truncated",
                "k",
                SigningAlg::RS256,
                &rsa[..rsa.len() - 10],
            ),
            ("fail/empty-kid", "", SigningAlg::ES256, ec),
            ("fail/kid-with-space", "a b", SigningAlg::ES256, ec),
        ];
        for (name, kid, alg, der) in cases {
            assert!(
                SigningKey::from_pkcs8_der(*kid, *alg, der).is_err(),
                "{name}"
            );
        }
        assert!(
            KeySet::default()
                .sign(SigningAlg::ES256, &claims(), typ::JWT)
                .is_err()
        );
        assert_eq!("ES256".parse::<SigningAlg>().unwrap(), SigningAlg::ES256);
        assert!("HS256".parse::<SigningAlg>().is_err());
        assert!("none".parse::<SigningAlg>().is_err());
    }

    #[test]
    fn key_wrapping() {
        let mut rng = StdRng::seed_from_u64(1);
        let master = [7u8; 32];
        let (kid, der) = der(SigningAlg::ES256);
        let wrapped = encrypt_private_key(&master, kid, der, &mut rng).unwrap();
        assert_eq!(wrapped.len(), 12 + der.len() + 16);
        assert_ne!(&wrapped[12..12 + der.len()], der.as_slice());
        let opened = decrypt_private_key(&master, kid, &wrapped).unwrap();
        assert_eq!(opened.as_slice(), der.as_slice());
        let k = SigningKey::from_pkcs8_der(kid.clone(), SigningAlg::ES256, &opened).unwrap();
        assert_eq!(k.kid(), kid);
        // A fresh nonce each time.
        let again = encrypt_private_key(&master, kid, der, &mut rng).unwrap();
        assert_ne!(wrapped, again);

        let mut flipped_ct = wrapped.clone();
        flipped_ct[20] ^= 1;
        let mut flipped_nonce = wrapped.clone();
        flipped_nonce[0] ^= 1;
        let mut flipped_tag = wrapped.clone();
        *flipped_tag.last_mut().unwrap() ^= 0x80;
        let cases: Vec<(&str, [u8; 32], &str, Vec<u8>)> = vec![
            ("fail/wrong-master", [8u8; 32], kid, wrapped.clone()),
            ("fail/other-kid", master, "other", wrapped.clone()),
            ("fail/ciphertext-bit", master, kid, flipped_ct),
            ("fail/nonce-bit", master, kid, flipped_nonce),
            ("fail/tag-bit", master, kid, flipped_tag),
            (
                "fail/truncated",
                master,
                kid,
                wrapped[..wrapped.len() - 1].to_vec(),
            ),
            ("fail/short", master, kid, wrapped[..5].to_vec()),
            ("fail/empty", master, kid, vec![]),
        ];
        for (name, m, kid, bytes) in cases {
            assert_eq!(
                decrypt_private_key(&m, kid, &bytes).unwrap_err(),
                Error::KeyUnwrap,
                "{name}"
            );
        }
        assert!(
            encrypt_private_key(&[1u8; 16], kid, der, &mut rng).is_err(),
            "short master"
        );
    }

    #[test]
    fn ok_key_wrap_is_hmac_derived_aes_gcm() {
        // Independent check of the construction with RustCrypto's HMAC.
        use hmac::{Hmac, KeyInit, Mac};
        let master = [9u8; 32];
        let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(&master).unwrap();
        mac.update(b"nyckel/oidc-key-wrap/v1");
        let derived: [u8; 32] = mac.finalize().into_bytes().into();
        let mut rng = StdRng::seed_from_u64(2);
        let wrapped = encrypt_private_key(&master, "kid", b"secret", &mut rng).unwrap();
        let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &derived).unwrap());
        let mut buf = wrapped[12..].to_vec();
        let nonce = Nonce::try_assume_unique_for_key(&wrapped[..12]).unwrap();
        let plain = key
            .open_in_place(nonce, Aad::from(b"kid"), &mut buf)
            .unwrap();
        assert_eq!(plain, b"secret");
    }
}
