//! The demo service provider "borger.demo": a tiny web app that `nyckel demo`
//! runs beside nyckel and that logs people in through nyckel's OpenID
//! provider the way a real service would — authorization code flow with
//! PKCE S256, `state` and `nonce`, the code redeemed at the token endpoint
//! with its client secret, the ID token verified against the provider's
//! published keys, then UserInfo — and shows the claims it received.
//!
//! It is a relying party, so it knows nyckel only through the protocol:
//! the discovery document, the JWKS and the endpoints, over HTTP on
//! loopback. It must not call nyckel's services or store directly, and it
//! deliberately verifies tokens with `jsonwebtoken` rather than with
//! `nyckel-oidc`, the code that signed them. Pages are plain server-rendered
//! HTML, everything escaped, no JavaScript. Sessions live in memory and are
//! lost at restart.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use nyckel_core::html::escape;
use nyckel_core::secret::{SecretString, ct_eq};
use rand::RngExt as _;
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use tokio::sync::OnceCell;

/// The client's name, shown on nyckel's consent screen.
pub const CLIENT_NAME: &str = "borger.demo";

/// The scopes it asks for: it is entitled to the CPR number.
pub const SCOPE: &str = "openid profile ssn";

const SESSION_COOKIE: &str = "borger_demo_session";

/// How long an unused session (and a login started but not finished) lives.
const SESSION_TTL: Duration = Duration::from_secs(30 * 60);

/// At most this many sessions are kept; beyond it the oldest go first.
const MAX_SESSIONS: usize = 10_000;

/// Clock difference tolerated in the ID token's `exp` and `iat`.
const LEEWAY_SECS: u64 = 30;

/// What the demo service provider needs to know: where nyckel is and its
/// own registration there.
#[derive(Clone)]
pub struct SpConfig {
    /// nyckel's issuer identifier (its public URL, no trailing slash).
    pub issuer: String,
    /// Where this app is reached, no trailing slash (`http://127.0.0.1:8081`).
    pub base_url: String,
    pub client_id: String,
    pub client_secret: SecretString,
}

impl SpConfig {
    /// The redirect URI to register: `{base}/callback`.
    pub fn redirect_uri(base_url: &str) -> String {
        format!("{base_url}/callback")
    }

    /// The post-logout redirect URI to register: `{base}/`.
    pub fn post_logout_redirect_uri(base_url: &str) -> String {
        format!("{base_url}/")
    }
}

/// nyckel's endpoints, from its discovery document.
#[derive(Debug, Clone, Deserialize)]
struct Provider {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    userinfo_endpoint: String,
    jwks_uri: String,
    end_session_endpoint: String,
}

/// A login sent to nyckel and not yet back: what the callback must match.
struct Pending {
    state: String,
    nonce: String,
    /// The PKCE code verifier (RFC 7636); only its S256 hash went to the browser.
    verifier: SecretString,
}

/// A finished login: the ID token verified, UserInfo fetched.
struct Login {
    /// Kept for the logout request's `id_token_hint`.
    id_token: String,
    id_claims: IdClaims,
    id_token_json: Value,
    userinfo: Value,
}

struct Session {
    touched: Instant,
    pending: Option<Pending>,
    login: Option<Login>,
    /// The `state` sent with the logout request, to recognise the way back.
    logout_state: Option<String>,
}

impl Session {
    fn new() -> Self {
        Self {
            touched: Instant::now(),
            pending: None,
            login: None,
            logout_state: None,
        }
    }
}

struct Inner {
    config: SpConfig,
    http: reqwest::Client,
    provider: OnceCell<Provider>,
    sessions: Mutex<HashMap<String, Session>>,
}

#[derive(Clone)]
struct Sp(Arc<Inner>);

/// The ID token claims the demo checks and shows (OIDC Core §2).
#[derive(Debug, Clone, Deserialize)]
struct IdClaims {
    sub: String,
    exp: u64,
    iat: u64,
    auth_time: i64,
    nonce: Option<String>,
    acr: String,
    #[serde(default)]
    amr: Vec<String>,
    azp: Option<String>,
    at_hash: Option<String>,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    token_type: String,
    id_token: String,
}

#[derive(Deserialize)]
struct OAuthErrorBody {
    error: String,
    #[serde(default)]
    error_description: String,
}

/// Why a login did not work, as the page tells it.
#[derive(Debug)]
enum SpError {
    /// No login was started in this browser, or its callback came already.
    NoPendingLogin,
    /// The person chose not to share their details.
    Declined,
    /// nyckel answered with an OAuth error.
    Provider { error: String, description: String },
    /// nyckel could not be reached or answered something unreadable.
    Unreachable(String),
    /// A check on nyckel's answer failed: the login is not accepted.
    Rejected(String),
}

impl SpError {
    /// The error page. Being a demo, it shows nyckel's `error_description`
    /// and what failed; a real service logs those and tells the person only
    /// what to do next.
    fn page(&self) -> Response {
        let (status, title, text) = match self {
            SpError::NoPendingLogin => (
                StatusCode::BAD_REQUEST,
                "No login in progress",
                "This browser has no login to borger.demo in progress (it may have expired, or \
                 this page was opened twice). Start again."
                    .to_owned(),
            ),
            SpError::Declined => (
                StatusCode::OK,
                "Not logged in",
                "You chose not to share your details with borger.demo, so you are not logged in."
                    .to_owned(),
            ),
            SpError::Provider { error, description } => (
                StatusCode::BAD_GATEWAY,
                "nyckel refused the login",
                format!("nyckel answered {error}: {description}"),
            ),
            SpError::Unreachable(e) => (
                StatusCode::BAD_GATEWAY,
                "nyckel could not be reached",
                format!("borger.demo could not talk to nyckel: {e}"),
            ),
            SpError::Rejected(e) => (
                StatusCode::BAD_GATEWAY,
                "The login was not accepted",
                format!("borger.demo did not accept nyckel's answer: {e}"),
            ),
        };
        if status != StatusCode::OK {
            tracing::warn!(error = ?self, "borger.demo: login failed");
        }
        let body = format!(
            "<h1>{}</h1>\n<p>{}</p>\n<p><a class=\"button\" href=\"/\">Back to borger.demo</a></p>",
            escape(title),
            escape(&text)
        );
        (status, page(title, &body)).into_response()
    }
}

fn unreachable(e: impl std::fmt::Display) -> SpError {
    SpError::Unreachable(e.to_string())
}

/// The app, ready to serve.
pub fn router(config: SpConfig) -> anyhow::Result<Router> {
    let http = reqwest::Client::builder()
        // A provider's endpoint must never bounce the client's credentials elsewhere.
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()?;
    let sp = Sp(Arc::new(Inner {
        config,
        http,
        provider: OnceCell::new(),
        sessions: Mutex::new(HashMap::new()),
    }));
    Ok(Router::new()
        .route("/", get(home))
        .route("/login", get(login))
        .route("/callback", get(callback))
        .route("/logout", get(logout))
        .route("/style.css", get(style))
        .layer(axum::middleware::map_response(security_headers))
        .with_state(sp))
}

/// Serves until the task is dropped or aborted.
pub async fn serve(listener: tokio::net::TcpListener, config: SpConfig) -> anyhow::Result<()> {
    axum::serve(listener, router(config)?).await?;
    Ok(())
}

async fn security_headers(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    // The callback URL carries the code: never send it on as a Referer.
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    r
}

impl Sp {
    fn config(&self) -> &SpConfig {
        &self.0.config
    }

    /// The discovery document, fetched once (OIDC Discovery §4; its
    /// `issuer` must be the one configured, §4.3).
    async fn provider(&self) -> Result<&Provider, SpError> {
        self.0
            .provider
            .get_or_try_init(|| async {
                let url = format!("{}/.well-known/openid-configuration", self.config().issuer);
                let p: Provider = self
                    .get_json(self.0.http.get(&url))
                    .await
                    .map_err(|e| unreachable(format!("discovery: {e}")))?;
                if p.issuer != self.config().issuer {
                    return Err(SpError::Rejected(format!(
                        "the discovery document names issuer {:?}, not {:?}",
                        p.issuer,
                        self.config().issuer
                    )));
                }
                Ok(p)
            })
            .await
    }

    async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<T, String> {
        let r = request.send().await.map_err(|e| e.to_string())?;
        if !r.status().is_success() {
            return Err(format!("HTTP {}", r.status()));
        }
        r.json().await.map_err(|e| e.to_string())
    }

    /// Runs `f` on the browser's session, making one (and its cookie) if needed.
    fn with_session<T>(&self, jar: CookieJar, f: impl FnOnce(&mut Session) -> T) -> (CookieJar, T) {
        let mut sessions = self
            .0
            .sessions
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        sessions.retain(|_, s| now.duration_since(s.touched) < SESSION_TTL);
        let existing = jar
            .get(SESSION_COOKIE)
            .map(|c| c.value().to_owned())
            .filter(|id| sessions.contains_key(id));
        let (jar, id) = match existing {
            Some(id) => (jar, id),
            None => {
                if sessions.len() >= MAX_SESSIONS
                    && let Some(oldest) = sessions
                        .iter()
                        .min_by_key(|(_, s)| s.touched)
                        .map(|(id, _)| id.clone())
                {
                    sessions.remove(&oldest);
                }
                let id = random_b64();
                sessions.insert(id.clone(), Session::new());
                let cookie = Cookie::build((SESSION_COOKIE, id.clone()))
                    .path("/")
                    .http_only(true)
                    // Lax: the cookie must come along on the redirect back from nyckel.
                    .same_site(SameSite::Lax)
                    .build();
                (jar.add(cookie), id)
            }
        };
        let session = sessions.entry(id).or_insert_with(Session::new);
        session.touched = now;
        (jar, f(session))
    }

    /// Redeems the code, verifies the ID token and fetches UserInfo
    /// (OIDC Core §3.1.3).
    async fn finish_login(&self, pending: Pending, code: &str) -> Result<Login, SpError> {
        let provider = self.provider().await?;
        let config = self.config();
        let redirect_uri = SpConfig::redirect_uri(&config.base_url);
        let r = self
            .0
            .http
            .post(&provider.token_endpoint)
            .basic_auth(&config.client_id, Some(config.client_secret.expose()))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", redirect_uri.as_str()),
                ("code_verifier", pending.verifier.expose()),
            ])
            .send()
            .await
            .map_err(|e| unreachable(format!("token endpoint: {e}")))?;
        if !r.status().is_success() {
            let status = r.status();
            return Err(match r.json::<OAuthErrorBody>().await {
                Ok(e) => SpError::Provider {
                    error: e.error,
                    description: e.error_description,
                },
                Err(_) => unreachable(format!("token endpoint: HTTP {status}")),
            });
        }
        let tokens: TokenResponse = r
            .json()
            .await
            .map_err(|e| unreachable(format!("token response: {e}")))?;
        if !tokens.token_type.eq_ignore_ascii_case("bearer") {
            return Err(SpError::Rejected(format!(
                "token_type {:?} is not Bearer",
                tokens.token_type
            )));
        }

        let jwks: jsonwebtoken::jwk::JwkSet = self
            .get_json(self.0.http.get(&provider.jwks_uri))
            .await
            .map_err(|e| unreachable(format!("JWKS: {e}")))?;
        let (id_claims, id_token_json) = verify_id_token(
            &tokens.id_token,
            &jwks,
            &config.issuer,
            &config.client_id,
            now_secs(),
        )?;
        check_id_token(
            &id_claims,
            &pending.nonce,
            &config.client_id,
            &tokens.access_token,
        )?;

        let userinfo: Value = self
            .get_json(
                self.0
                    .http
                    .get(&provider.userinfo_endpoint)
                    .bearer_auth(&tokens.access_token),
            )
            .await
            .map_err(|e| unreachable(format!("UserInfo: {e}")))?;
        // OIDC Core §5.3.4: UserInfo must be about the person the ID token names.
        if userinfo["sub"].as_str() != Some(id_claims.sub.as_str()) {
            return Err(SpError::Rejected(
                "UserInfo names another sub than the ID token".into(),
            ));
        }
        Ok(Login {
            id_token: tokens.id_token,
            id_claims,
            id_token_json,
            userinfo,
        })
    }
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Checks the ID token's signature with the provider's published key named
/// by its `kid` (ES256 or RS256 only: never `none` or HMAC), and `iss`,
/// `aud`, `exp` and `iat` (OIDC Core §3.1.3.7 items 2, 3, 6, 9, 10).
fn verify_id_token(
    token: &str,
    jwks: &jsonwebtoken::jwk::JwkSet,
    issuer: &str,
    client_id: &str,
    now: u64,
) -> Result<(IdClaims, Value), SpError> {
    let reject = |what: &str| SpError::Rejected(format!("ID token: {what}"));
    let header = jsonwebtoken::decode_header(token).map_err(|_| reject("malformed"))?;
    if !matches!(header.alg, Algorithm::ES256 | Algorithm::RS256) {
        return Err(reject("signed with an algorithm nyckel does not use"));
    }
    let kid = header.kid.as_deref().ok_or_else(|| reject("no kid"))?;
    let jwk = jwks
        .find(kid)
        .ok_or_else(|| reject("signed with a key nyckel does not publish"))?;
    let key = DecodingKey::from_jwk(jwk).map_err(|_| reject("unusable key in the JWKS"))?;
    let mut validation = Validation::new(header.alg);
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[client_id]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    validation.leeway = LEEWAY_SECS;
    // `exp` is checked below against the `now` passed in, not the system clock.
    validation.validate_exp = false;
    let data = jsonwebtoken::decode::<Value>(token, &key, &validation)
        .map_err(|e| reject(&e.to_string()))?;
    let claims: IdClaims =
        serde_json::from_value(data.claims.clone()).map_err(|_| reject("claims missing"))?;
    if claims.exp.saturating_add(LEEWAY_SECS) <= now {
        return Err(reject("expired"));
    }
    if claims.iat > now.saturating_add(LEEWAY_SECS) {
        return Err(reject("issued in the future"));
    }
    Ok((claims, data.claims))
}

/// The checks that bind the ID token to this login: `nonce` (§3.1.3.7 item
/// 11), `azp` (item 5) and `at_hash` (§3.1.3.8; nyckel always sends it).
fn check_id_token(
    claims: &IdClaims,
    nonce: &str,
    client_id: &str,
    access_token: &str,
) -> Result<(), SpError> {
    let reject = |what: &str| SpError::Rejected(format!("ID token: {what}"));
    if !claims
        .nonce
        .as_deref()
        .is_some_and(|n| ct_eq(n.as_bytes(), nonce.as_bytes()))
    {
        return Err(reject("nonce does not match this login"));
    }
    if claims.azp.as_deref().is_some_and(|a| a != client_id) {
        return Err(reject("azp names another client"));
    }
    match &claims.at_hash {
        Some(h) if *h == at_hash(access_token) => Ok(()),
        Some(_) => Err(reject("at_hash does not match the access token")),
        None => Err(reject("at_hash missing")),
    }
}

/// `at_hash` for ES256 and RS256: the left half of SHA-256, base64url.
fn at_hash(access_token: &str) -> String {
    let digest = Sha256::digest(access_token.as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..16])
}

/// The PKCE S256 challenge (RFC 7636 §4.2).
fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// 256 random bits, base64url: session ids, `state`, `nonce`, PKCE verifiers.
fn random_b64() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill(&mut bytes[..]);
    URL_SAFE_NO_PAD.encode(bytes)
}

#[derive(Deserialize)]
struct HomeQuery {
    state: Option<String>,
}

async fn home(State(sp): State<Sp>, jar: CookieJar, Query(q): Query<HomeQuery>) -> Response {
    let (jar, body) = sp.with_session(jar, |s| match &s.login {
        Some(login) => logged_in_page(login),
        None => {
            let back_from_logout = match (&q.state, &s.logout_state) {
                (Some(got), Some(want)) => ct_eq(got.as_bytes(), want.as_bytes()),
                _ => false,
            };
            if back_from_logout {
                s.logout_state = None;
            }
            welcome_page(back_from_logout)
        }
    });
    (jar, page(CLIENT_NAME, &body)).into_response()
}

/// Starts a login: a fresh `state`, `nonce` and PKCE verifier in the
/// session, and the browser sent to nyckel's authorization endpoint.
async fn login(State(sp): State<Sp>, jar: CookieJar) -> Response {
    let provider = match sp.provider().await {
        Ok(p) => p,
        Err(e) => return e.page(),
    };
    let pending = Pending {
        state: random_b64(),
        nonce: random_b64(),
        verifier: SecretString::new(random_b64()),
    };
    let config = sp.config();
    let redirect_uri = SpConfig::redirect_uri(&config.base_url);
    let challenge = s256(pending.verifier.expose());
    let url = url::Url::parse_with_params(
        &provider.authorization_endpoint,
        [
            ("response_type", "code"),
            ("client_id", config.client_id.as_str()),
            ("redirect_uri", redirect_uri.as_str()),
            ("scope", SCOPE),
            ("state", pending.state.as_str()),
            ("nonce", pending.nonce.as_str()),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ],
    );
    let url = match url {
        Ok(u) => u,
        Err(e) => return unreachable(format!("authorization endpoint: {e}")).page(),
    };
    let (jar, ()) = sp.with_session(jar, |s| s.pending = Some(pending));
    (jar, Redirect::to(url.as_str())).into_response()
}

#[derive(Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    iss: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// The redirect back from nyckel (RFC 6749 §4.1.2, RFC 9207).
async fn callback(
    State(sp): State<Sp>,
    jar: CookieJar,
    Query(q): Query<CallbackQuery>,
) -> Response {
    // The pending login is taken out: a callback is accepted once.
    let (jar, pending) = sp.with_session(jar, |s| s.pending.take());
    let result = async {
        let pending = pending.ok_or(SpError::NoPendingLogin)?;
        let state_ok = q
            .state
            .as_deref()
            .is_some_and(|s| ct_eq(s.as_bytes(), pending.state.as_bytes()));
        if !state_ok {
            return Err(SpError::NoPendingLogin);
        }
        // nyckel announces `iss` in responses (RFC 9207 §2.4): one from another
        // issuer, or none, is a mix-up and is refused.
        if q.iss.as_deref() != Some(sp.config().issuer.as_str()) {
            return Err(SpError::Rejected(
                "the response does not come from the configured issuer".into(),
            ));
        }
        if let Some(error) = q.error {
            if error == "access_denied" {
                return Err(SpError::Declined);
            }
            return Err(SpError::Provider {
                error,
                description: q.error_description.unwrap_or_default(),
            });
        }
        let code = q
            .code
            .ok_or_else(|| SpError::Rejected("the response has no code".into()))?;
        sp.finish_login(pending, &code).await
    }
    .await;
    match result {
        Ok(login) => {
            tracing::info!(acr = %login.id_claims.acr, "borger.demo: a person logged in");
            let (jar, ()) = sp.with_session(jar, |s| {
                s.login = Some(login);
                s.logout_state = None;
            });
            // Post/redirect/get: reloading the page must not redeem the code again.
            (jar, Redirect::to("/")).into_response()
        }
        Err(e) => (jar, e.page()).into_response(),
    }
}

/// Logs out here and at nyckel (OpenID Connect RP-Initiated Logout 1.0).
async fn logout(State(sp): State<Sp>, jar: CookieJar) -> Response {
    let provider = match sp.provider().await {
        Ok(p) => p,
        Err(e) => return e.page(),
    };
    let state = random_b64();
    let (jar, login) = sp.with_session(jar, |s| {
        s.logout_state = Some(state.clone());
        s.pending = None;
        s.login.take()
    });
    let Some(login) = login else {
        return (jar, Redirect::to("/")).into_response();
    };
    let config = sp.config();
    let back = SpConfig::post_logout_redirect_uri(&config.base_url);
    let url = url::Url::parse_with_params(
        &provider.end_session_endpoint,
        [
            ("id_token_hint", login.id_token.as_str()),
            ("client_id", config.client_id.as_str()),
            ("post_logout_redirect_uri", back.as_str()),
            ("state", state.as_str()),
        ],
    );
    match url {
        Ok(u) => (jar, Redirect::to(u.as_str())).into_response(),
        Err(e) => (
            jar,
            unreachable(format!("end session endpoint: {e}")).page(),
        )
            .into_response(),
    }
}

async fn style() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLE,
    )
        .into_response()
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;\
padding:0 1rem;line-height:1.5;color:#1b1b1b}\
header{border-bottom:3px solid #0b5394;margin-bottom:1.5rem}\
header p{margin:.2rem 0;color:#555}\
.button{display:inline-block;background:#0b5394;color:#fff;padding:.6rem 1.2rem;\
border-radius:.3rem;text-decoration:none;font-weight:600}\
.button:focus,.button:hover{background:#073763}\
table{border-collapse:collapse;margin:1rem 0}\
th,td{text-align:left;padding:.35rem .8rem .35rem 0;border-bottom:1px solid #ddd;vertical-align:top}\
pre{background:#f4f4f4;padding:.8rem;overflow-x:auto}\
.note{background:#eef5e9;padding:.6rem 1rem;border-left:4px solid #38761d}";

/// A whole page around `body` (already escaped HTML).
fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{} — borger.demo</title>\n<link rel=\"stylesheet\" href=\"/style.css\">\n</head>\n\
         <body>\n<header><p><strong>borger.demo</strong></p>\
         <p>A demo service provider that logs you in with nyckel</p></header>\n<main>\n{body}\n</main>\n\
         </body>\n</html>\n",
        escape(title)
    ))
}

fn welcome_page(back_from_logout: bool) -> String {
    let note = if back_from_logout {
        "<p class=\"note\" role=\"status\">You have logged out of borger.demo and of nyckel.</p>\n"
    } else {
        ""
    };
    format!(
        "{note}<h1>Welcome to borger.demo</h1>\n\
         <p>borger.demo is a made-up public service. It does not know who you are until you \
         log in with nyckel; it then receives your name, your CPR number and how you logged \
         in — after you have agreed to share them.</p>\n\
         <p><a class=\"button\" href=\"/login\">Log in with nyckel</a></p>"
    )
}

fn logged_in_page(login: &Login) -> String {
    let ui = &login.userinfo;
    let text = |v: &Value| v.as_str().unwrap_or("(not received)").to_owned();
    let name = text(&ui["name"]);
    let cpr = match ui["dk.cpr"].as_str() {
        Some(c) if c.len() == 10 && c.is_ascii() => format!("{}-{}", &c[..6], &c[6..]),
        Some(c) => c.to_owned(),
        None => "(not received)".to_owned(),
    };
    let c = &login.id_claims;
    let level = c
        .acr
        .rsplit('/')
        .next()
        .filter(|l| c.acr.starts_with("https://data.gov.dk/concept/core/nsis/") && !l.is_empty())
        .unwrap_or("unknown");
    let rows = [
        ("Name", name.clone()),
        ("CPR number", cpr),
        ("nyckel UUID", text(&ui["uuid"])),
        ("Your identifier here (sub)", c.sub.clone()),
        ("Level of assurance (acr)", format!("{level} — {}", c.acr)),
        ("How you logged in (amr)", c.amr.join(", ")),
        (
            "Logged in at (auth_time)",
            format!(
                "{} Copenhagen time ({})",
                crate::local_time(c.auth_time.saturating_mul(1000)),
                c.auth_time
            ),
        ),
    ];
    let mut table = String::from("<table>\n");
    for (label, value) in rows {
        table.push_str(&format!(
            "<tr><th scope=\"row\">{}</th><td>{}</td></tr>\n",
            escape(label),
            escape(&value)
        ));
    }
    table.push_str("</table>\n");
    let pretty = |v: &Value| serde_json::to_string_pretty(v).unwrap_or_default();
    format!(
        "<h1>Hello, {}</h1>\n<p>You are logged in to borger.demo with nyckel. This is what \
         borger.demo received:</p>\n{table}\
         <details><summary>The ID token's claims (signature, issuer, audience, nonce and at_hash checked)</summary>\
         <pre>{}</pre></details>\n\
         <details><summary>The UserInfo response</summary><pre>{}</pre></details>\n\
         <p><a class=\"button\" href=\"/logout\">Log out</a></p>",
        escape(&name),
        escape(&pretty(&login.id_token_json)),
        escape(&pretty(&login.userinfo)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use nyckel_oidc::keys::{KeySet, SigningAlg, SigningKey, typ};
    use serde_json::json;

    const ISS: &str = "http://127.0.0.1:8080";
    const NOW: u64 = 1_800_000_000;

    #[test]
    fn ok_pkce_and_at_hash_vectors() {
        // RFC 7636 appendix B.
        assert_eq!(
            s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        // OIDC Core appendix A.3.
        assert_eq!(
            at_hash("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
        assert_eq!(random_b64().len(), 43);
    }

    fn keys() -> KeySet {
        KeySet::new(
            vec![
                SigningKey::generate(SigningAlg::ES256).unwrap(),
                SigningKey::generate(SigningAlg::RS256).unwrap(),
            ],
            vec![],
        )
        .unwrap()
    }

    fn claims() -> Value {
        json!({
            "iss": ISS, "sub": "s-1", "aud": "client-1", "exp": NOW + 600, "iat": NOW,
            "auth_time": NOW - 5, "nonce": "n-1", "acr": "https://data.gov.dk/concept/core/nsis/Substantial",
            "amr": ["pwd", "otp", "mfa"], "azp": "client-1", "at_hash": at_hash("at-1"),
        })
    }

    fn jwks(ks: &KeySet) -> jsonwebtoken::jwk::JwkSet {
        serde_json::from_value(ks.jwks()).unwrap()
    }

    #[test]
    fn ok_id_token_from_nyckel_keys() {
        let ks = keys();
        for alg in SigningAlg::ALL {
            let token = ks.sign(alg, &claims(), typ::JWT).unwrap();
            let (c, raw) = verify_id_token(&token, &jwks(&ks), ISS, "client-1", NOW).unwrap();
            assert_eq!(c.sub, "s-1");
            assert_eq!(raw["acr"], claims()["acr"]);
            check_id_token(&c, "n-1", "client-1", "at-1").unwrap();
        }
    }

    #[test]
    fn fail_id_tokens() {
        let ks = keys();
        let other = keys();
        let with = |f: fn(&mut Value)| {
            let mut c = claims();
            f(&mut c);
            ks.sign(SigningAlg::ES256, &c, typ::JWT).unwrap()
        };
        let verify_cases: Vec<(&str, String)> = vec![
            (
                "fail/wrong-iss",
                with(|c| c["iss"] = json!("http://127.0.0.1:9")),
            ),
            ("fail/wrong-aud", with(|c| c["aud"] = json!("client-2"))),
            ("fail/expired", with(|c| c["exp"] = json!(NOW - 60))),
            ("fail/iat-future", with(|c| c["iat"] = json!(NOW + 600))),
            (
                "fail/no-sub",
                with(|c| {
                    c.as_object_mut().unwrap().remove("sub");
                }),
            ),
            (
                "fail/foreign-key",
                other.sign(SigningAlg::ES256, &claims(), typ::JWT).unwrap(),
            ),
            ("fail/garbage", "a.b.c".into()),
        ];
        for (name, token) in verify_cases {
            assert!(
                verify_id_token(&token, &jwks(&ks), ISS, "client-1", NOW).is_err(),
                "{name}"
            );
        }
        // alg none: the signature part is empty and the header says none.
        let good = ks.sign(SigningAlg::ES256, &claims(), typ::JWT).unwrap();
        let payload = good.split('.').nth(1).unwrap();
        let none = format!(
            "{}.{payload}.",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#)
        );
        assert!(verify_id_token(&none, &jwks(&ks), ISS, "client-1", NOW).is_err());

        let (c, _) = verify_id_token(&good, &jwks(&ks), ISS, "client-1", NOW).unwrap();
        let check_cases = [
            ("fail/nonce", "n-2", "client-1", "at-1"),
            ("fail/azp", "n-1", "client-2", "at-1"),
            ("fail/at-hash", "n-1", "client-1", "at-2"),
        ];
        for (name, nonce, client, at) in check_cases {
            assert!(check_id_token(&c, nonce, client, at).is_err(), "{name}");
        }
    }
}
