//! The relying party's side of the OpenID tests: the `openidconnect` crate
//! driven over the workspace's reqwest (its own `reqwest` feature would
//! bring a second reqwest, hyper and TLS stack), a browser that stops at the
//! redirect back to the relying party, the login pages walked the way a
//! person does, clients registered through `Nyckel::add_client`, and
//! client assertions signed with a key made here (aws-lc-rs).
#![allow(dead_code)]

use std::future::Future;
use std::pin::Pin;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use nyckel_oidc::client::{ClientAuthMethod, SubjectType};
use nyckel_service::Enrolled;
use nyckel_service::clock::Clock;
use openidconnect::core::CoreClient;
use openidconnect::{
    AdditionalClaims, AsyncHttpClient, EndpointMaybeSet, EndpointNotSet, EndpointSet,
    HttpClientError, HttpRequest, HttpResponse,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::common::{Browser, Page, TestServer, activate, code_for};

pub const PW: &str = "Tusind-Tak-Aarhus-7";
pub const CB: &str = "https://rp.example/cb";
pub const BYE: &str = "https://rp.example/bye";
pub const NSIS_SUBSTANTIAL: &str = "https://data.gov.dk/concept/core/nsis/Substantial";
pub const NSIS_HIGH: &str = "https://data.gov.dk/concept/core/nsis/High";
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A client as `openidconnect` builds it from the discovery document.
pub type Rp = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// nyckel's own claims at UserInfo.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NyckelClaims {
    #[serde(rename = "dk.cpr", default, skip_serializing_if = "Option::is_none")]
    pub cpr: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
}

impl AdditionalClaims for NyckelClaims {}

/// `openidconnect`'s HTTP client over reqwest 0.13. Redirects are never
/// followed (the library's advice: a provider's endpoint must not bounce
/// the client's credentials elsewhere).
pub struct RpHttp(reqwest::Client);

impl RpHttp {
    pub fn new() -> Self {
        Self(
            reqwest::Client::builder()
                .default_headers(crate::common::english())
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        )
    }
}

impl Default for RpHttp {
    fn default() -> Self {
        Self::new()
    }
}

type RpFuture<'c> = Pin<
    Box<dyn Future<Output = Result<HttpResponse, HttpClientError<reqwest::Error>>> + Send + 'c>,
>;

impl<'c> AsyncHttpClient<'c> for RpHttp {
    type Error = HttpClientError<reqwest::Error>;
    type Future = RpFuture<'c>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let response = self
                .0
                .request(parts.method, parts.uri.to_string())
                .headers(parts.headers)
                .body(body)
                .send()
                .await
                .map_err(Box::new)?;
            let mut builder = openidconnect::http::Response::builder().status(response.status());
            for (name, value) in response.headers() {
                builder = builder.header(name, value);
            }
            let body = response.bytes().await.map_err(Box::new)?;
            Ok(builder.body(body.to_vec())?)
        })
    }
}

/// The harness clock as `openidconnect` wants it: the provider's tokens
/// are dated by that clock, not by the machine's.
pub fn clock_fn(s: &TestServer) -> impl Fn() -> DateTime<Utc> + Send + Sync + 'static {
    let clock = s.clock.clone();
    move || DateTime::from_timestamp_millis(clock.now_ms()).unwrap()
}

/// The harness clock, Unix seconds.
pub fn now_secs(s: &TestServer) -> i64 {
    s.clock.now_ms() / 1000
}

/// A browser with its own cookies that follows redirects within nyckel and
/// stops at the redirect back to the relying party (rp.example).
pub fn browser(s: &TestServer) -> Browser {
    let http = reqwest::Client::builder()
        .default_headers(crate::common::english())
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::custom(|a| {
            if a.url().host_str() == Some("127.0.0.1") {
                a.follow()
            } else {
                a.stop()
            }
        }))
        .build()
        .unwrap();
    Browser {
        base: s.url.clone(),
        http,
    }
}

/// Enrolls the demo person and runs their first login (activation code,
/// new password [`PW`], terms) in a browser of its own.
pub async fn ready(s: &TestServer) -> Enrolled {
    let e = s.enroll_demo().await;
    activate(&s.client(), &e, PW).await;
    e
}

/// The person's stable UUID (the public `sub`), from the store.
pub async fn person_uuid(s: &TestServer, e: &Enrolled) -> String {
    let mut tx = s.store.read().await.unwrap();
    let identity = tx.find_identity(&e.identity_id).await.unwrap().unwrap();
    tx.commit().await.unwrap();
    identity.person_id
}

/// A registered client.
#[derive(Debug, Clone)]
pub struct Registered {
    pub id: String,
    pub secret: Option<String>,
}

/// What to register.
pub struct NewClient<'a> {
    pub name: &'a str,
    pub method: ClientAuthMethod,
    pub allow_cpr: bool,
    pub require_par: bool,
    pub subject: SubjectType,
    pub jwks: Option<Value>,
}

impl NewClient<'_> {
    pub fn new(name: &str, method: ClientAuthMethod) -> NewClient<'_> {
        NewClient {
            name,
            method,
            allow_cpr: false,
            require_par: false,
            subject: SubjectType::Pairwise,
            jwks: None,
        }
    }
}

/// Registers a client for the code flow (with refresh tokens), redirect
/// URI [`CB`] and post-logout URI [`BYE`].
pub async fn register(s: &TestServer, c: NewClient<'_>) -> Registered {
    let (id, secret) = s
        .nyckel
        .add_client(
            c.name,
            vec![CB.into()],
            vec![BYE.into()],
            c.method,
            c.allow_cpr,
            c.require_par,
            c.subject,
            c.jwks.map(|j| j.to_string()),
            None,
            vec!["authorization_code".into(), "refresh_token".into()],
            "operator:test",
        )
        .await
        .unwrap();
    Registered {
        id,
        secret: secret.map(|s| s.expose().to_owned()),
    }
}

/// A client with `client_secret_basic`, pairwise subjects.
pub async fn confidential(s: &TestServer, name: &str, allow_cpr: bool) -> Registered {
    register(
        s,
        NewClient {
            allow_cpr,
            ..NewClient::new(name, ClientAuthMethod::ClientSecretBasic)
        },
    )
    .await
}

/// What the person does on the consent screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consent {
    Allow,
    Deny,
    /// The screen must not appear (fails the test if it does).
    NotExpected,
}

/// How a login through the pages ended.
pub struct Landed {
    /// The `Location` of the redirect back to the relying party.
    pub location: String,
    pub consent_shown: bool,
    /// The consent page's HTML, if it was shown.
    pub consent_page: Option<String>,
    /// Whether the password page was shown (false: single sign-on).
    pub logged_in: bool,
}

/// A page, or the redirect that leaves nyckel.
pub enum Outcome {
    Redirect(String),
    Page(Page),
}

pub async fn outcome(r: reqwest::Response) -> Outcome {
    if r.status().is_redirection() {
        let location = r.headers()["location"].to_str().unwrap().to_owned();
        return Outcome::Redirect(location);
    }
    let status = r.status().as_u16();
    let url = r.url().path().to_owned();
    let body = r.text().await.unwrap();
    Outcome::Page(Page { status, url, body })
}

/// Opens `url` (an authorization request) and walks the pages it leads to —
/// identify, password, key card, consent — until nyckel redirects back to
/// the relying party. Panics on any other page.
pub async fn login(b: &Browser, e: &Enrolled, url: &str, consent: Consent) -> Landed {
    let mut consent_page = None;
    let mut logged_in = false;
    let mut r = b.http.get(url).send().await.unwrap();
    for _ in 0..8 {
        let p = match outcome(r).await {
            Outcome::Redirect(location) => {
                return Landed {
                    location,
                    consent_shown: consent_page.is_some(),
                    consent_page,
                    logged_in,
                };
            }
            Outcome::Page(p) => p,
        };
        let post = |path: &str, form: Vec<(&'static str, String)>| {
            b.http.post(format!("{}{path}", b.base)).form(&form).send()
        };
        r = if p.has("name=\"login_name\"") {
            post(
                "/login/identify",
                vec![("csrf", p.csrf()), ("login_name", e.user_id.to_string())],
            )
            .await
            .unwrap()
        } else if p.has("autocomplete=\"current-password\"") {
            logged_in = true;
            post(
                "/login/password",
                vec![("csrf", p.csrf()), ("password", PW.into())],
            )
            .await
            .unwrap()
        } else if let Some(key) = p.key_number() {
            post(
                "/login/keycard",
                vec![("csrf", p.csrf()), ("code", code_for(e, &key))],
            )
            .await
            .unwrap()
        } else if p.has("action=\"/login/consent\"") {
            consent_page = Some(p.body.clone());
            let decision = match consent {
                Consent::Allow => "allow",
                Consent::Deny => "deny",
                Consent::NotExpected => panic!("consent screen shown again: {}", p.body),
            };
            post(
                "/login/consent",
                vec![("csrf", p.csrf()), ("decision", decision.into())],
            )
            .await
            .unwrap()
        } else {
            panic!("unexpected page {} at {}: {}", p.status, p.url, p.body);
        };
    }
    panic!("the login did not end in a redirect to the relying party");
}

/// The query parameters of a URL.
pub fn query(url: &str) -> Vec<(String, String)> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

pub fn param(url: &str, name: &str) -> Option<String> {
    query(url)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

pub fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A PKCE verifier of 43 characters and its S256 challenge (computed with
/// nyckel-oidc: the library's own is used in the interop tests).
pub fn pkce(seed: &str) -> (String, String) {
    let verifier = format!("{seed:-<43}");
    let challenge = nyckel_oidc::pkce::s256_challenge(&verifier);
    (verifier, challenge)
}

/// An authorization request URL for the code flow with PKCE, redirect URI
/// [`CB`], state `st8` and nonce `n0nce`; `extra` parameters are appended
/// (and `scope` replaced if given).
pub fn authorize_url(
    s: &TestServer,
    client_id: &str,
    challenge: &str,
    extra: &[(&str, &str)],
) -> String {
    let mut pairs: Vec<(&str, &str)> = vec![
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", CB),
        ("state", "st8"),
        ("nonce", "n0nce"),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
    ];
    if !extra.iter().any(|(k, _)| *k == "scope") {
        pairs.push(("scope", "openid profile"));
    }
    pairs.extend_from_slice(extra);
    let mut ser = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        ser.append_pair(k, v);
    }
    format!("{}/authorize?{}", s.url, ser.finish())
}

/// A direct response: status, headers, JSON body (or `null`).
pub struct Direct {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub json: Value,
}

impl Direct {
    pub async fn read(r: reqwest::Response) -> Self {
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap();
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Self {
            status,
            headers,
            json,
        }
    }

    pub fn error(&self) -> &str {
        self.json["error"].as_str().unwrap_or("")
    }
}

/// POSTs a form to a back-channel endpoint, with HTTP Basic client
/// authentication if `basic` is given.
pub async fn post_form(
    s: &TestServer,
    path: &str,
    basic: Option<&Registered>,
    form: &[(&str, &str)],
) -> Direct {
    let mut req = reqwest::Client::new()
        .post(format!("{}{path}", s.url))
        .form(form);
    if let Some(c) = basic {
        req = req.basic_auth(&c.id, c.secret.as_deref());
    }
    Direct::read(req.send().await.unwrap()).await
}

/// GET /userinfo with a bearer token.
pub async fn userinfo(s: &TestServer, token: &str) -> Direct {
    let r = reqwest::Client::new()
        .get(format!("{}/userinfo", s.url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    Direct::read(r).await
}

/// Logs in for `client` (PKCE with `verifier`'s challenge) and redeems the
/// code with HTTP Basic: the token response.
pub async fn tokens_for(
    s: &TestServer,
    b: &Browser,
    e: &Enrolled,
    client: &Registered,
    extra: &[(&str, &str)],
) -> Value {
    let (verifier, challenge) = pkce("tokens");
    let landed = login(
        b,
        e,
        &authorize_url(s, &client.id, &challenge, extra),
        Consent::Allow,
    )
    .await;
    let code = param(&landed.location, "code").expect("a code");
    let t = post_form(
        s,
        "/token",
        Some(client),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CB),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    assert_eq!(t.status, 200, "{}", t.json);
    t.json
}

/// An EC P-256 key a `private_key_jwt` client signs its assertions with.
pub struct ClientKey {
    pub kid: String,
    encoding: jsonwebtoken::EncodingKey,
    x: String,
    y: String,
}

impl ClientKey {
    pub fn generate(kid: &str) -> Self {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let pair =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref()).unwrap();
        // The public key is the uncompressed point 04 || x || y.
        let point = pair.public_key().as_ref();
        assert_eq!(point.len(), 65);
        Self {
            kid: kid.to_owned(),
            encoding: jsonwebtoken::EncodingKey::from_ec_der(pkcs8.as_ref()),
            x: URL_SAFE_NO_PAD.encode(&point[1..33]),
            y: URL_SAFE_NO_PAD.encode(&point[33..]),
        }
    }

    /// The public JWK set to register.
    pub fn jwks(&self) -> Value {
        json!({ "keys": [{
            "kty": "EC", "crv": "P-256", "x": self.x, "y": self.y,
            "kid": self.kid, "alg": "ES256", "use": "sig",
        }] })
    }

    /// A client assertion (RFC 7523) for the endpoint `aud`, valid for a
    /// minute from the harness clock, with a fresh `jti`.
    pub fn assertion(&self, s: &TestServer, client_id: &str, aud: &str) -> String {
        let now = now_secs(s);
        let claims = json!({
            "iss": client_id, "sub": client_id, "aud": aud,
            "iat": now, "exp": now + 60, "jti": uuid::Uuid::new_v4().to_string(),
        });
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, &claims, &self.encoding).unwrap()
    }
}

/// A JWT's parts, decoded without any check (to read what a test built).
pub fn jwt_json(token: &str, part: usize) -> Value {
    let seg = token.split('.').nth(part).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(seg).unwrap()).unwrap()
}
