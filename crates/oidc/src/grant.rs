//! The token endpoint's protocol rules: reading the request (RFC 6749 §3.2,
//! §4.1.3, §4.4.2, §6), reading client credentials (RFC 6749 §2.3, RFC 7523
//! §2.2), and redeeming an authorization code (RFC 6749 §4.1.3, RFC 7636
//! §4.6, RFC 9700 §2.1.1).
//!
//! What needs the database stays with the server: single use of codes (a
//! replayed code is refused and revokes what it issued), refresh token
//! rotation and reuse detection, `jti` replay for client assertions.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use nyckel_core::secret::SecretString;
use serde::{Deserialize, Serialize};

use crate::client::{ClientAuthMethod, JWT_BEARER_ASSERTION_TYPE};
use crate::error::{ErrorCode, OAuthError};
use crate::pkce;
use crate::request::AuthorizationRequest;

/// Longest lifetime of an authorization code: RFC 6749 §4.1.2 recommends at
/// most 10 minutes; nyckel uses one.
pub const CODE_LIFETIME: i64 = 60;

/// A token request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenRequest {
    /// RFC 6749 §4.1.3.
    AuthorizationCode {
        code: String,
        redirect_uri: Option<String>,
        code_verifier: Option<String>,
    },
    /// RFC 6749 §6. `scope`, if given, may only narrow the original grant.
    RefreshToken {
        refresh_token: String,
        scope: Option<String>,
    },
    /// RFC 6749 §4.4.2.
    ClientCredentials { scope: Option<String> },
}

fn invalid_request(description: &str) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidRequest, description)
}

/// RFC 6749 §3.1 / §3.2 rules for form parameters: empty values are
/// absent, repeated names are refused ([`crate::params`]).
fn form_map(params: &[(String, String)]) -> Result<BTreeMap<&str, &str>, OAuthError> {
    crate::params::Params::strict(params)
}

/// Reads the grant from the token request's form body.
pub fn parse_token_request(params: &[(String, String)]) -> Result<TokenRequest, OAuthError> {
    let p = form_map(params)?;
    let owned = |name: &str| p.get(name).map(|s| (*s).to_owned());
    match p.get("grant_type").copied() {
        None => Err(invalid_request("grant_type missing")),
        Some("authorization_code") => Ok(TokenRequest::AuthorizationCode {
            code: owned("code").ok_or_else(|| invalid_request("code missing"))?,
            redirect_uri: owned("redirect_uri"),
            code_verifier: owned("code_verifier"),
        }),
        Some("refresh_token") => Ok(TokenRequest::RefreshToken {
            refresh_token: owned("refresh_token")
                .ok_or_else(|| invalid_request("refresh_token missing"))?,
            scope: owned("scope"),
        }),
        Some("client_credentials") => Ok(TokenRequest::ClientCredentials {
            scope: owned("scope"),
        }),
        Some(_) => Err(OAuthError::new(
            ErrorCode::UnsupportedGrantType,
            "grant_type not supported",
        )),
    }
}

/// How the client presented itself at the token, revocation or
/// introspection endpoint. The server looks the client up by `client_id`,
/// checks that the method is the client's registered one, and then checks
/// the secret or assertion.
#[derive(Debug, Clone)]
pub enum PresentedClient {
    Secret {
        method: ClientAuthMethod,
        client_id: String,
        secret: SecretString,
    },
    /// `private_key_jwt`. `client_id` is the form's, or else the assertion's
    /// (unverified) `iss`, to find the key set; the verification checks it.
    Assertion {
        client_id: String,
        assertion: String,
    },
    /// A public client naming itself.
    Public { client_id: String },
}

impl PresentedClient {
    pub fn client_id(&self) -> &str {
        match self {
            PresentedClient::Secret { client_id, .. }
            | PresentedClient::Assertion { client_id, .. }
            | PresentedClient::Public { client_id } => client_id,
        }
    }

    pub fn method(&self) -> ClientAuthMethod {
        match self {
            PresentedClient::Secret { method, .. } => *method,
            PresentedClient::Assertion { .. } => ClientAuthMethod::PrivateKeyJwt,
            PresentedClient::Public { .. } => ClientAuthMethod::None,
        }
    }
}

fn invalid_client(description: &str) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidClient, description)
}

/// Reads the client's credentials from the `Authorization` header and the
/// form (RFC 6749 §2.3.1: HTTP Basic with form-urlencoded id and secret, or
/// `client_id`/`client_secret` in the body; RFC 7523 §2.2:
/// `client_assertion_type` + `client_assertion`). More than one method in a
/// request is refused (RFC 6749 §2.3), as is a `client_id` in the body that
/// differs from the one in the header or assertion.
pub fn presented_client(
    authorization: Option<&str>,
    params: &[(String, String)],
) -> Result<PresentedClient, OAuthError> {
    let p = form_map(params)?;
    let form_id = p.get("client_id").copied();
    let form_secret = p.get("client_secret").copied();
    let assertion = p.get("client_assertion").copied();
    let assertion_type = p.get("client_assertion_type").copied();
    let basic = match authorization {
        None => None,
        Some(h) => {
            Some(parse_basic(h).ok_or_else(|| invalid_client("malformed Authorization header"))?)
        }
    };
    let methods = usize::from(basic.is_some())
        + usize::from(form_secret.is_some())
        + usize::from(assertion.is_some() || assertion_type.is_some());
    if methods > 1 {
        return Err(invalid_request(
            "more than one client authentication method",
        ));
    }
    if let Some((id, secret)) = basic {
        if form_id.is_some_and(|f| f != id) {
            return Err(invalid_request(
                "client_id differs from the Authorization header",
            ));
        }
        return Ok(PresentedClient::Secret {
            method: ClientAuthMethod::ClientSecretBasic,
            client_id: id,
            secret,
        });
    }
    if let Some(secret) = form_secret {
        let id = form_id.ok_or_else(|| invalid_request("client_id missing"))?;
        return Ok(PresentedClient::Secret {
            method: ClientAuthMethod::ClientSecretPost,
            client_id: id.to_owned(),
            secret: SecretString::new(secret),
        });
    }
    if assertion.is_some() || assertion_type.is_some() {
        if assertion_type != Some(JWT_BEARER_ASSERTION_TYPE) {
            return Err(invalid_request("client_assertion_type not supported"));
        }
        let assertion = assertion.ok_or_else(|| invalid_request("client_assertion missing"))?;
        let iss = unverified_iss(assertion)
            .ok_or_else(|| invalid_client("client_assertion is malformed"))?;
        if form_id.is_some_and(|f| f != iss) {
            return Err(invalid_client(
                "client_id differs from the assertion's issuer",
            ));
        }
        return Ok(PresentedClient::Assertion {
            client_id: iss,
            assertion: assertion.to_owned(),
        });
    }
    match form_id {
        Some(id) => Ok(PresentedClient::Public {
            client_id: id.to_owned(),
        }),
        None => Err(invalid_client("client authentication missing")),
    }
}

/// `Basic base64(urlencode(id) ":" urlencode(secret))` (RFC 6749 §2.3.1,
/// RFC 7617 §2). The scheme name is case-insensitive.
fn parse_basic(header: &str) -> Option<(String, SecretString)> {
    let (scheme, rest) = header.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = zeroize::Zeroizing::new(STANDARD.decode(rest.trim()).ok()?);
    let text = std::str::from_utf8(&decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    let id = form_decode(id)?;
    if id.is_empty() {
        return None;
    }
    Some((id, SecretString::new(form_decode(secret)?)))
}

/// `application/x-www-form-urlencoded` decoding of one value: `+` is a
/// space, `%XX` a byte; a `%` not followed by two hex digits is refused.
fn form_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                if !hex.iter().all(u8::is_ascii_hexdigit) {
                    return None;
                }
                let hex = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            _ => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// The `iss` of a JWT, without verifying anything: only to find whose keys
/// to verify it with.
fn unverified_iss(jwt: &str) -> Option<String> {
    if jwt.len() > crate::MAX_TOKEN_LEN {
        return None;
    }
    let payload = jwt.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    v.get("iss")?.as_str().map(str::to_owned)
}

/// What an authorization code is bound to; the server stores it with the
/// code (keyed by `tokens::token_hash`), together with the login and the
/// request's scopes, nonce and claims.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeBinding {
    pub client_id: String,
    pub redirect_uri: String,
    pub redirect_uri_in_request: bool,
    pub code_challenge: Option<String>,
    /// Unix seconds; the code is refused from this moment on.
    pub expires_at: i64,
}

impl CodeBinding {
    pub fn new(req: &AuthorizationRequest, now: i64) -> Self {
        Self {
            client_id: req.client_id.clone(),
            redirect_uri: req.redirect_uri.clone(),
            redirect_uri_in_request: req.redirect_uri_in_request,
            code_challenge: req.code_challenge.clone(),
            expires_at: now.saturating_add(CODE_LIFETIME),
        }
    }

    /// Whether the authenticated `client_id` may redeem the code with this
    /// request. Every failure is `invalid_grant` (RFC 6749 §5.2):
    ///
    /// - the code expired;
    /// - it was issued to another client (RFC 6749 §4.1.3);
    /// - `redirect_uri` missing though the authorization request had one,
    ///   or different from it (§4.1.3);
    /// - PKCE: a challenge was given and the verifier is missing or does
    ///   not match (RFC 7636 §4.6); or no challenge was given but a verifier
    ///   is presented (RFC 9700 §2.1.1, PKCE downgrade).
    pub fn check_redemption(
        &self,
        client_id: &str,
        redirect_uri: Option<&str>,
        code_verifier: Option<&str>,
        now: i64,
    ) -> Result<(), OAuthError> {
        let fail = |d: &str| Err(OAuthError::new(ErrorCode::InvalidGrant, d));
        if now >= self.expires_at {
            return fail("code expired");
        }
        if client_id != self.client_id {
            return fail("code was issued to another client");
        }
        match redirect_uri {
            Some(uri) if uri != self.redirect_uri => return fail("redirect_uri does not match"),
            None if self.redirect_uri_in_request => return fail("redirect_uri missing"),
            _ => {}
        }
        match (&self.code_challenge, code_verifier) {
            (Some(challenge), Some(verifier)) if pkce::verify_s256(verifier, challenge) => Ok(()),
            (Some(_), Some(_)) => fail("code_verifier does not match"),
            (Some(_), None) => fail("code_verifier missing"),
            (None, Some(_)) => fail("code_verifier without code_challenge"),
            (None, None) => Ok(()),
        }
    }
}

/// Whether a refresh request's `scope` only narrows the granted scopes
/// (RFC 6749 §6: "MUST NOT include any scope not originally granted").
/// Returns the scopes to grant, or `invalid_scope`.
pub fn narrowed_scope(
    granted: &[String],
    requested: Option<&str>,
) -> Result<Vec<String>, OAuthError> {
    let Some(requested) = requested else {
        return Ok(granted.to_vec());
    };
    let mut out: Vec<String> = Vec::new();
    for s in requested.split(' ').filter(|s| !s.is_empty()) {
        if !granted.iter().any(|g| g == s) {
            return Err(OAuthError::new(
                ErrorCode::InvalidScope,
                "scope exceeds the original grant",
            ));
        }
        if !out.iter().any(|o| o == s) {
            out.push(s.to_owned());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::{ClientView, Origin, validate_authorize};

    type Form = Vec<(String, String)>;

    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn token_requests() {
        let cases: Vec<(&str, Form, Result<TokenRequest, ErrorCode>)> = vec![
            (
                "ok/code",
                form(&[
                    ("grant_type", "authorization_code"),
                    ("code", "c"),
                    ("code_verifier", "v"),
                ]),
                Ok(TokenRequest::AuthorizationCode {
                    code: "c".into(),
                    redirect_uri: None,
                    code_verifier: Some("v".into()),
                }),
            ),
            (
                "ok/refresh",
                form(&[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", "r"),
                    ("scope", "openid"),
                ]),
                Ok(TokenRequest::RefreshToken {
                    refresh_token: "r".into(),
                    scope: Some("openid".into()),
                }),
            ),
            (
                "ok/client-credentials",
                form(&[("grant_type", "client_credentials")]),
                Ok(TokenRequest::ClientCredentials { scope: None }),
            ),
            (
                "fail/no-grant-type",
                form(&[("code", "c")]),
                Err(ErrorCode::InvalidRequest),
            ),
            (
                "fail/implicit",
                form(&[("grant_type", "password")]),
                Err(ErrorCode::UnsupportedGrantType),
            ),
            (
                "fail/no-code",
                form(&[("grant_type", "authorization_code")]),
                Err(ErrorCode::InvalidRequest),
            ),
            (
                "fail/duplicate",
                form(&[
                    ("grant_type", "authorization_code"),
                    ("code", "a"),
                    ("code", "b"),
                ]),
                Err(ErrorCode::InvalidRequest),
            ),
        ];
        for (name, params, want) in cases {
            assert_eq!(
                parse_token_request(&params).map_err(|e| e.code),
                want,
                "{name}"
            );
        }
    }

    #[test]
    fn client_credentials_reading() {
        let basic = |s: &str| format!("Basic {}", STANDARD.encode(s));
        let jwt_payload =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r#"{"iss":"rp"}"#);
        let assertion = format!("e30.{jwt_payload}.sig");
        let ok = |name: &str,
                  auth: Option<&str>,
                  f: Vec<(String, String)>,
                  id: &str,
                  method: ClientAuthMethod| {
            let got = presented_client(auth, &f).unwrap_or_else(|e| panic!("{name}: {e:?}"));
            assert_eq!((got.client_id(), got.method()), (id, method), "{name}");
            got
        };
        let got = ok(
            "ok/basic",
            Some(&basic("rp:s3cret")),
            form(&[]),
            "rp",
            ClientAuthMethod::ClientSecretBasic,
        );
        assert!(
            matches!(got, PresentedClient::Secret { secret, .. } if secret.expose() == "s3cret")
        );
        let got = ok(
            "ok/basic-urlencoded",
            Some(&basic("r%3Ap:a%2Bb+c")),
            form(&[("client_id", "r:p")]),
            "r:p",
            ClientAuthMethod::ClientSecretBasic,
        );
        assert!(
            matches!(got, PresentedClient::Secret { secret, .. } if secret.expose() == "a+b c")
        );
        ok(
            "ok/basic-scheme-case",
            Some(&basic("rp:x").replace("Basic", "bAsIc")),
            form(&[]),
            "rp",
            ClientAuthMethod::ClientSecretBasic,
        );
        ok(
            "ok/post",
            None,
            form(&[("client_id", "rp"), ("client_secret", "x")]),
            "rp",
            ClientAuthMethod::ClientSecretPost,
        );
        ok(
            "ok/public",
            None,
            form(&[("client_id", "app")]),
            "app",
            ClientAuthMethod::None,
        );
        ok(
            "ok/assertion",
            None,
            form(&[
                ("client_assertion_type", JWT_BEARER_ASSERTION_TYPE),
                ("client_assertion", &assertion),
            ]),
            "rp",
            ClientAuthMethod::PrivateKeyJwt,
        );
        ok(
            "ok/assertion-with-client-id",
            None,
            form(&[
                ("client_id", "rp"),
                ("client_assertion_type", JWT_BEARER_ASSERTION_TYPE),
                ("client_assertion", &assertion),
            ]),
            "rp",
            ClientAuthMethod::PrivateKeyJwt,
        );

        let cases: Vec<(&str, Option<String>, Form, ErrorCode)> = vec![
            ("fail/nothing", None, form(&[]), ErrorCode::InvalidClient),
            (
                "fail/two-methods",
                Some(basic("rp:x")),
                form(&[("client_id", "rp"), ("client_secret", "x")]),
                ErrorCode::InvalidRequest,
            ),
            (
                "fail/basic-id-mismatch",
                Some(basic("rp:x")),
                form(&[("client_id", "other")]),
                ErrorCode::InvalidRequest,
            ),
            (
                "fail/basic-not-base64",
                Some("Basic !!!".into()),
                form(&[]),
                ErrorCode::InvalidClient,
            ),
            (
                "fail/basic-no-colon",
                Some(basic("rp")),
                form(&[]),
                ErrorCode::InvalidClient,
            ),
            (
                "fail/basic-bad-percent",
                Some(basic("rp:%+1")),
                form(&[]),
                ErrorCode::InvalidClient,
            ),
            (
                "fail/basic-truncated-percent",
                Some(basic("rp:ab%2")),
                form(&[]),
                ErrorCode::InvalidClient,
            ),
            (
                "fail/basic-empty-id",
                Some(basic(":x")),
                form(&[]),
                ErrorCode::InvalidClient,
            ),
            (
                "fail/bearer-scheme",
                Some("Bearer abc".into()),
                form(&[]),
                ErrorCode::InvalidClient,
            ),
            (
                "fail/post-without-id",
                None,
                form(&[("client_secret", "x")]),
                ErrorCode::InvalidRequest,
            ),
            (
                "fail/assertion-wrong-type",
                None,
                form(&[
                    ("client_assertion_type", "urn:x"),
                    ("client_assertion", &assertion),
                ]),
                ErrorCode::InvalidRequest,
            ),
            (
                "fail/assertion-missing",
                None,
                form(&[("client_assertion_type", JWT_BEARER_ASSERTION_TYPE)]),
                ErrorCode::InvalidRequest,
            ),
            (
                "fail/assertion-garbage",
                None,
                form(&[
                    ("client_assertion_type", JWT_BEARER_ASSERTION_TYPE),
                    ("client_assertion", "x"),
                ]),
                ErrorCode::InvalidClient,
            ),
            (
                "fail/assertion-id-mismatch",
                None,
                form(&[
                    ("client_id", "other"),
                    ("client_assertion_type", JWT_BEARER_ASSERTION_TYPE),
                    ("client_assertion", &assertion),
                ]),
                ErrorCode::InvalidClient,
            ),
            (
                "fail/assertion-and-secret",
                None,
                form(&[
                    ("client_id", "rp"),
                    ("client_secret", "x"),
                    ("client_assertion_type", JWT_BEARER_ASSERTION_TYPE),
                    ("client_assertion", &assertion),
                ]),
                ErrorCode::InvalidRequest,
            ),
        ];
        for (name, auth, params, code) in cases {
            let err = presented_client(auth.as_deref(), &params).unwrap_err();
            assert_eq!(err.code, code, "{name}: {err:?}");
        }
    }

    fn binding(challenge: Option<&str>, in_request: bool) -> CodeBinding {
        let client = ClientView {
            client_id: "rp".into(),
            redirect_uris: vec!["https://rp.example/cb".into()],
            public: false,
            require_par: false,
            allowed_scopes: vec![],
            default_acr: None,
        };
        let mut params = form(&[
            ("client_id", "rp"),
            ("response_type", "code"),
            ("scope", "openid"),
        ]);
        if in_request {
            params.push(("redirect_uri".into(), "https://rp.example/cb".into()));
        }
        if let Some(c) = challenge {
            params.push(("code_challenge".into(), c.into()));
            params.push(("code_challenge_method".into(), "S256".into()));
        }
        let req = validate_authorize(&params, Some(&client), Origin::FrontChannel).unwrap();
        CodeBinding::new(&req, 1000)
    }

    #[test]
    #[allow(clippy::type_complexity)] // one row per case
    fn code_redemption() {
        let cb = Some("https://rp.example/cb");
        let pkce = binding(Some(CHALLENGE), true);
        let plain = binding(None, false);
        let wrong = "x".repeat(43);
        let cases: Vec<(
            &str,
            &CodeBinding,
            &str,
            Option<&str>,
            Option<&str>,
            i64,
            bool,
        )> = vec![
            ("ok/pkce", &pkce, "rp", cb, Some(VERIFIER), 1000, true),
            (
                "ok/no-pkce-no-redirect-uri-needed",
                &plain,
                "rp",
                None,
                None,
                1059,
                true,
            ),
            (
                "ok/redirect-uri-repeated-anyway",
                &plain,
                "rp",
                cb,
                None,
                1000,
                true,
            ),
            ("fail/expired", &pkce, "rp", cb, Some(VERIFIER), 1060, false),
            (
                "fail/other-client",
                &pkce,
                "rp2",
                cb,
                Some(VERIFIER),
                1000,
                false,
            ),
            (
                "fail/redirect-uri-missing",
                &pkce,
                "rp",
                None,
                Some(VERIFIER),
                1000,
                false,
            ),
            (
                "fail/redirect-uri-different",
                &pkce,
                "rp",
                Some("https://rp.example/cb2"),
                Some(VERIFIER),
                1000,
                false,
            ),
            ("fail/verifier-missing", &pkce, "rp", cb, None, 1000, false),
            (
                "fail/verifier-wrong",
                &pkce,
                "rp",
                cb,
                Some(&wrong),
                1000,
                false,
            ),
            (
                "fail/plain-verifier-is-challenge",
                &pkce,
                "rp",
                cb,
                Some(CHALLENGE),
                1000,
                false,
            ),
            (
                "fail/pkce-downgrade",
                &plain,
                "rp",
                None,
                Some(VERIFIER),
                1000,
                false,
            ),
        ];
        for (name, b, client, uri, verifier, now, ok) in cases {
            let got = b.check_redemption(client, uri, verifier, now);
            assert_eq!(got.is_ok(), ok, "{name}: {got:?}");
            if let Err(e) = got {
                assert_eq!(e.code, ErrorCode::InvalidGrant, "{name}");
            }
        }
    }

    #[test]
    fn refresh_scope() {
        let granted: Vec<String> = vec!["openid".into(), "profile".into()];
        assert_eq!(narrowed_scope(&granted, None).unwrap(), granted);
        assert_eq!(
            narrowed_scope(&granted, Some("openid")).unwrap(),
            vec!["openid"]
        );
        assert_eq!(
            narrowed_scope(&granted, Some("openid ssn"))
                .unwrap_err()
                .code,
            ErrorCode::InvalidScope
        );
    }
}
