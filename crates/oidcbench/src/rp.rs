//! The relying party and the browser: what a service provider's back end
//! sends to the token endpoint, and what a person's browser does between
//! the authorization request and the code.
//!
//! The browser is a cookie-keeping HTTP client that follows redirects only
//! within the server (the authorization response's redirect to the
//! service's `redirect_uri` is stopped and read, as a service's callback
//! would), and reads the pages the way the tests do: the CSRF field, the
//! key number, the consent form.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde_json::Value;

use crate::holders::Holder;

/// The PKCE verifier of every authorization request (a fixed one: the
/// benchmark measures the server, not the client's randomness).
const VERIFIER: &str = "nyckel-oidcbench-pkce-verifier-0123456789-abcdefghijklmnop";

/// A confidential client (client_secret_basic) that logs people in.
#[derive(Debug, Clone)]
pub struct Rp {
    pub base: String,
    pub client_id: String,
    pub secret: String,
    pub redirect_uri: String,
    pub scope: String,
    challenge: String,
    /// The back channel: no cookies, keep-alive connections.
    http: reqwest::Client,
}

/// What the token endpoint gave.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub refresh_token: Option<String>,
    pub has_id_token: bool,
}

impl Rp {
    pub fn new(
        base: &str,
        client_id: &str,
        secret: &str,
        redirect_uri: &str,
        scope: &str,
    ) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .pool_max_idle_per_host(1024)
            .build()
            .context("HTTP client")?;
        Ok(Self {
            base: base.trim_end_matches('/').to_owned(),
            client_id: client_id.to_owned(),
            secret: secret.to_owned(),
            redirect_uri: redirect_uri.to_owned(),
            scope: scope.to_owned(),
            challenge: nyckel_oidc::pkce::s256_challenge(VERIFIER),
            http,
        })
    }

    /// The authorization request (code flow, PKCE S256, state and nonce).
    pub fn authorize_url(&self, state: &str, prompt_consent: bool) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        q.append_pair("response_type", "code")
            .append_pair("client_id", &self.client_id)
            .append_pair("redirect_uri", &self.redirect_uri)
            .append_pair("scope", &self.scope)
            .append_pair("state", state)
            .append_pair("nonce", state)
            .append_pair("code_challenge", &self.challenge)
            .append_pair("code_challenge_method", "S256");
        if prompt_consent {
            q.append_pair("prompt", "consent");
        }
        format!("{}/authorize?{}", self.base, q.finish())
    }

    /// A token request with client_secret_basic; the JSON body of a 200,
    /// else an error kind (`HTTP 400 invalid_grant`, `connect`, …).
    pub async fn token(&self, form: &[(&str, &str)]) -> Result<Value, String> {
        let r = self
            .http
            .post(format!("{}/token", self.base))
            .basic_auth(&self.client_id, Some(&self.secret))
            .form(form)
            .send()
            .await
            .map_err(|e| request_kind(&e))?;
        let status = r.status().as_u16();
        let body: Value = r.json().await.map_err(|e| request_kind(&e))?;
        if status == 200 {
            Ok(body)
        } else {
            Err(format!(
                "HTTP {status} {}",
                body["error"].as_str().unwrap_or("?")
            ))
        }
    }

    /// Authorization code → tokens (with the PKCE verifier and redirect URI).
    pub async fn exchange(&self, code: &str) -> Result<Tokens, String> {
        let body = self
            .token(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", &self.redirect_uri),
                ("code_verifier", VERIFIER),
            ])
            .await?;
        tokens(&body)
    }

    /// Refresh token → new tokens (rotated refresh token).
    pub async fn refresh(&self, refresh_token: &str) -> Result<Tokens, String> {
        let body = self
            .token(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
            ])
            .await?;
        tokens(&body)
    }
}

fn tokens(body: &Value) -> Result<Tokens, String> {
    if !body["access_token"].is_string() {
        return Err("no access_token".into());
    }
    Ok(Tokens {
        refresh_token: body["refresh_token"].as_str().map(str::to_owned),
        has_id_token: body["id_token"].is_string(),
    })
}

pub fn request_kind(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect"
    } else if e.is_body() || e.is_decode() {
        "body"
    } else if e.is_redirect() {
        "redirect"
    } else {
        "request"
    }
    .to_owned()
}

/// A browser for `base`: its own cookie jar; follows redirects within the
/// server only.
pub fn browser(base: &str) -> anyhow::Result<reqwest::Client> {
    let server = url::Url::parse(base).context("--url")?;
    let (host, port) = (
        server.host_str().unwrap_or_default().to_owned(),
        server.port_or_known_default(),
    );
    let policy = reqwest::redirect::Policy::custom(move |a| {
        let same =
            a.url().host_str() == Some(host.as_str()) && a.url().port_or_known_default() == port;
        if same && a.previous().len() < 10 {
            a.follow()
        } else {
            a.stop()
        }
    });
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(policy)
        .default_headers(reqwest::header::HeaderMap::from_iter([(
            reqwest::header::ACCEPT_LANGUAGE,
            reqwest::header::HeaderValue::from_static("en"),
        )]))
        .timeout(Duration::from_secs(60))
        .build()
        .context("browser")
}

/// Why a login did not give a code.
#[derive(Debug)]
pub enum Failure {
    /// The holder's key card is used up, or the server asks from a new card.
    CardUsedUp,
    /// Anything else, by step and kind.
    Error(String),
}

/// How long each step of one login took.
#[derive(Debug, Clone, Copy, Default)]
pub struct Steps {
    pub authorize: Duration,
    pub identify: Duration,
    pub password: Duration,
    pub keycard: Duration,
    pub consent: Duration,
}

/// A response as the browser ends up with it.
struct Page {
    status: u16,
    path: String,
    location: Option<String>,
    body: String,
}

impl Page {
    fn attr(&self, prefix: &str) -> Option<&str> {
        let i = self.body.find(prefix)? + prefix.len();
        let j = self.body.get(i..)?.find('"')? + i;
        self.body.get(i..j)
    }
    fn csrf(&self, step: &str) -> Result<String, Failure> {
        if self.status != 200 {
            return Err(Failure::Error(format!("{step}: HTTP {}", self.status)));
        }
        self.attr("name=\"csrf\" value=\"")
            .map(str::to_owned)
            .ok_or_else(|| Failure::Error(format!("{step}: no form on {}", self.path)))
    }
    fn card_id(&self) -> Option<&str> {
        let prefix = "on card <strong>";
        let i = self.body.find(prefix)? + prefix.len();
        let j = self.body.get(i..)?.find('<')? + i;
        self.body.get(i..j)
    }
    fn is_consent(&self) -> bool {
        self.body.contains("name=\"decision\" value=\"allow\"")
    }
    /// The code of an authorization response this page is a redirect to.
    fn code(&self, step: &str) -> Result<String, Failure> {
        let loc = self
            .location
            .as_deref()
            .filter(|_| (300..400).contains(&self.status))
            .ok_or_else(|| {
                Failure::Error(format!(
                    "{step}: HTTP {} at {}, no redirect",
                    self.status, self.path
                ))
            })?;
        let u =
            url::Url::parse(loc).map_err(|_| Failure::Error(format!("{step}: bad Location")))?;
        let pairs: Vec<(String, String)> = u.query_pairs().into_owned().collect();
        if let Some((_, code)) = pairs.iter().find(|(k, _)| k == "code") {
            return Ok(code.clone());
        }
        let error = pairs
            .iter()
            .find(|(k, _)| k == "error")
            .map_or("no code", |(_, v)| v.as_str());
        Err(Failure::Error(format!("{step}: {error}")))
    }
}

async fn send(step: &str, r: reqwest::RequestBuilder) -> Result<Page, Failure> {
    let r = r
        .send()
        .await
        .map_err(|e| Failure::Error(format!("{step}: {}", request_kind(&e))))?;
    let status = r.status().as_u16();
    let path = r.url().path().to_owned();
    let location = r
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = r
        .text()
        .await
        .map_err(|e| Failure::Error(format!("{step}: {}", request_kind(&e))))?;
    Ok(Page {
        status,
        path,
        location,
        body,
    })
}

/// A full login in `browser` (which should hold no session): the
/// authorization request, the login pages (user ID, password, key card),
/// the consent screen if the server shows it, and the redirect back with
/// the code. Returns the code.
pub async fn login_for_code(
    browser: &reqwest::Client,
    rp: &Rp,
    h: &Holder,
    state: &str,
    prompt_consent: bool,
    steps: &mut Steps,
) -> Result<String, Failure> {
    let base = &rp.base;
    let t = Instant::now();
    let p = send(
        "authorize",
        browser.get(rp.authorize_url(state, prompt_consent)),
    )
    .await?;
    let csrf = p.csrf("authorize")?;
    steps.authorize = t.elapsed();

    let t = Instant::now();
    let p = send(
        "identify",
        browser
            .post(format!("{base}/login/identify"))
            .form(&[("csrf", csrf.as_str()), ("login_name", h.user_id.as_str())]),
    )
    .await?;
    let csrf = p.csrf("identify")?;
    steps.identify = t.elapsed();

    let t = Instant::now();
    let p = send(
        "password",
        browser
            .post(format!("{base}/login/password"))
            .form(&[("csrf", csrf.as_str()), ("password", h.password.as_str())]),
    )
    .await?;
    steps.password = t.elapsed();
    if p.body.contains("No usable key card") {
        return Err(Failure::CardUsedUp);
    }
    let csrf = p.csrf("password")?;
    let Some(key) = p.attr("data-key-number=\"") else {
        return Err(Failure::Error("password: no key-card challenge".into()));
    };
    if h.card_id.as_deref().is_some_and(|c| p.card_id() != Some(c)) {
        return Err(Failure::CardUsedUp);
    }
    let Some(code) = h.codes.get(key) else {
        return Err(Failure::CardUsedUp);
    };

    let t = Instant::now();
    let p = send(
        "key card",
        browser
            .post(format!("{base}/login/keycard"))
            .form(&[("csrf", csrf.as_str()), ("code", code.as_str())]),
    )
    .await?;
    steps.keycard = t.elapsed();
    if !p.is_consent() {
        return p.code("key card");
    }

    let t = Instant::now();
    let csrf = p.csrf("consent")?;
    let p = send(
        "consent",
        browser
            .post(format!("{base}/login/consent"))
            .form(&[("csrf", csrf.as_str()), ("decision", "allow")]),
    )
    .await?;
    steps.consent = t.elapsed();
    p.code("consent")
}

/// An authorization request in a browser with a session (single sign-on,
/// consent given before): straight back with a code, no page shown.
pub async fn sso_code(browser: &reqwest::Client, rp: &Rp, state: &str) -> Result<String, Failure> {
    let p = send("sso authorize", browser.get(rp.authorize_url(state, false))).await?;
    p.code("sso authorize")
}
