//! The authorization request (RFC 6749 §4.1.1, OIDC Core §3.1.2.1), pushed
//! authorization requests (RFC 9126) and the authorization response
//! (RFC 6749 §4.1.2, RFC 9207).
//!
//! [`validate_authorize`] is the only way to make an
//! [`AuthorizationRequest`]: holding one proves the client is known, the
//! redirect URI is registered for it (exact string match), and every
//! parameter was checked. It checks in the order RFC 6749 §4.1.2.1 needs:
//! first what decides whether an error may be redirected at all (`client_id`,
//! `redirect_uri`), then everything else, whose errors go back to the client.
//!
//! Flow at the server:
//!
//! 1. Authorization endpoint: [`pushed_reference`]; if it returns a
//!    reference, load the pushed parameters stored under its `request_uri`
//!    (refusing an unknown, expired or used one with `invalid_request_uri`,
//!    not redirected) and validate them with [`Origin::Pushed`] and the
//!    client the reference names: parameters pushed by another client then
//!    fail as an unknown client (RFC 9126 §4). Otherwise read [`client_id`],
//!    look the client up, and validate the query with [`Origin::FrontChannel`].
//! 2. PAR endpoint: authenticate the client, validate the body with
//!    [`Origin::Pushed`], store the parameters under [`new_request_uri`] and
//!    answer [`par_response`] (status 201). Every error there is a JSON
//!    error response, redirectable or not (RFC 9126 §2.3).

use std::collections::BTreeMap;

use nyckel_core::assurance::Loa;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::Issuer;
use crate::crypto::{b64url, random_bytes};
use crate::error::{AuthorizeError, ErrorCode, OAuthError};
use crate::pkce;

pub const SCOPE_OPENID: &str = "openid";
/// Names and the person's stable UUID: `name`, `given_name`, `family_name`, `uuid`.
pub const SCOPE_PROFILE: &str = "profile";
/// The CPR number (`dk.cpr`): only for entitled clients, only after consent.
pub const SCOPE_SSN: &str = "ssn";
/// The scopes nyckel knows; others in a request are ignored (RFC 6749 §3.3
/// lets the server grant fewer scopes than asked).
pub const KNOWN_SCOPES: [&str; 3] = [SCOPE_OPENID, SCOPE_PROFILE, SCOPE_SSN];

/// Prefix of the `request_uri`s the PAR endpoint hands out (RFC 9126 §2.2).
pub const PAR_REQUEST_URI_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";

/// nyckel's limits on parameter sizes (the RFCs set none): enough for any
/// real client, small enough that nothing we store or echo grows large.
pub const MAX_STATE_LEN: usize = 1024;
pub const MAX_NONCE_LEN: usize = 512;
pub const MAX_HINT_LEN: usize = 256;
pub const MAX_ID_TOKEN_HINT_LEN: usize = 8192;
pub const MAX_CLAIMS_LEN: usize = 4096;
pub const MAX_UI_LOCALES: usize = 10;
/// `max_age` above this (about 10 years) is refused rather than overflowing arithmetic.
pub const MAX_MAX_AGE: u64 = 315_360_000;

/// What the authorization endpoint needs to know about the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientView {
    pub client_id: String,
    /// Registered redirect URIs, compared by exact string match.
    pub redirect_uris: Vec<String>,
    /// A public client (token endpoint auth method `none`): PKCE is required.
    pub public: bool,
    /// Accept only pushed authorization requests (RFC 9126 §6).
    pub require_par: bool,
    /// Scopes the client may ask for besides `openid` (always allowed).
    /// `ssn` belongs here only for clients entitled to the CPR number.
    pub allowed_scopes: Vec<String>,
    /// The level to demand when a request names none (RFC 7591 `default_acr_values`).
    pub default_acr: Option<Loa>,
}

/// Where the parameters came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The query (or form post) at the authorization endpoint.
    FrontChannel,
    /// A pushed authorization request (RFC 9126): the body at the PAR
    /// endpoint, or the stored parameters its `request_uri` refers to.
    Pushed,
}

/// The `prompt` values (OIDC Core §3.1.2.1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prompt {
    /// No page may be shown: fail with `login_required`/`consent_required`
    /// instead. Never combined with another value.
    pub none: bool,
    /// Re-authenticate even with a valid session.
    pub login: bool,
    /// Ask for consent even if given before.
    pub consent: bool,
    /// Let the person choose an account (nyckel has one account per person:
    /// treated as `login`).
    pub select_account: bool,
}

/// A request for one claim in the `claims` parameter (OIDC Core §5.5.1):
/// `null` (voluntary) or `{essential, value, values}`. `value` is stored as
/// a one-element `values`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimRequest {
    pub essential: bool,
    pub values: Option<Vec<Value>>,
}

/// The `claims` parameter (OIDC Core §5.5): which claims to return in the
/// ID token and from UserInfo. Other top-level members are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimsRequest {
    pub id_token: BTreeMap<String, ClaimRequest>,
    pub userinfo: BTreeMap<String, ClaimRequest>,
}

/// A validated authorization request. Only [`validate_authorize`] makes
/// one (or deserialising what the server itself stored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AuthorizationRequest {
    pub client_id: String,
    /// The redirect URI to answer at: registered for the client.
    pub redirect_uri: String,
    /// Whether the request named `redirect_uri` (rather than relying on the
    /// client's only registered one): then the token request must repeat it
    /// (RFC 6749 §4.1.3).
    pub redirect_uri_in_request: bool,
    /// Known scopes in request order, each once; always contains `openid`.
    pub scopes: Vec<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    /// The `S256` PKCE challenge (RFC 7636 §4.3), if any.
    pub code_challenge: Option<String>,
    pub prompt: Prompt,
    /// Seconds since the last active login after which the person must log
    /// in again (OIDC Core §3.1.2.1).
    pub max_age: Option<u64>,
    pub login_hint: Option<String>,
    /// Unverified: the server verifies it with `KeySet::verify` (expired
    /// tokens accepted) if it uses it.
    pub id_token_hint: Option<String>,
    /// Preferred UI languages in order (BCP 47 tags as given).
    pub ui_locales: Vec<String>,
    /// The `acr_values` as listed.
    pub acr_values: Vec<Loa>,
    /// The level the login must reach; see [`validate_authorize`] for the rule.
    pub requested_acr: Option<Loa>,
    pub claims: ClaimsRequest,
    /// Whether it came from a pushed authorization request.
    pub pushed: bool,
}

impl AuthorizationRequest {
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }

    /// The granted scope as a space-separated string (`scope` response and claim).
    pub fn scope_string(&self) -> String {
        self.scopes.join(" ")
    }

    /// Whether the person must log in now rather than reuse a session whose
    /// login happened at `session_auth_time` (Unix seconds; `None`: no
    /// session): `prompt=login` or `select_account`, or the session is older
    /// than `max_age` (OIDC Core §3.1.2.1; `max_age=0` always asks). A login
    /// performed within this authorization flow satisfies the request: do
    /// not ask this again after it.
    pub fn login_required(&self, session_auth_time: Option<i64>, now: i64) -> bool {
        let Some(auth_time) = session_auth_time else {
            return true;
        };
        if self.prompt.login || self.prompt.select_account {
            return true;
        }
        match self.max_age {
            Some(0) => true,
            Some(max) => now.saturating_sub(auth_time) > i64::try_from(max).unwrap_or(i64::MAX),
            None => false,
        }
    }

    /// The error to return when `prompt=none` and a page would be needed
    /// (OIDC Core §3.1.2.6): `login_required` before `consent_required`.
    pub fn prompt_none_error(
        &self,
        login_needed: bool,
        consent_needed: bool,
    ) -> Option<OAuthError> {
        if !self.prompt.none {
            return None;
        }
        if login_needed {
            Some(OAuthError::new(ErrorCode::LoginRequired, "login required"))
        } else if consent_needed {
            Some(OAuthError::new(
                ErrorCode::ConsentRequired,
                "consent required",
            ))
        } else {
            None
        }
    }

    /// Whether a login at level `reached` meets the requested level. Use it
    /// both before the login (with the highest level the person's
    /// credentials can reach: a request they cannot meet ends here, never
    /// with a lower level) and after it (with the level actually reached).
    /// The error is `unmet_authentication_requirements` (OpenID Connect
    /// Unmet Authentication Requirements 1.0 §4).
    pub fn check_acr(&self, reached: Option<Loa>) -> Result<(), OAuthError> {
        match (self.requested_acr, reached) {
            (None, _) => Ok(()),
            (Some(want), Some(got)) if got.satisfies(want) => Ok(()),
            (Some(want), _) => Err(OAuthError::new(
                ErrorCode::UnmetAuthenticationRequirements,
                format!("the login cannot reach the requested level {want}"),
            )),
        }
    }
}

use crate::params::Params;

fn not_redirectable(code: ErrorCode, description: &str) -> AuthorizeError {
    AuthorizeError::NotRedirectable(OAuthError::new(code, description))
}

/// The request's `client_id`, to look the client up before
/// [`validate_authorize`]. Missing or repeated: not redirectable.
pub fn client_id(params: &[(String, String)]) -> Result<&str, AuthorizeError> {
    let p = Params::new(params);
    if p.is_duplicated("client_id") {
        return Err(not_redirectable(
            ErrorCode::InvalidRequest,
            "client_id given more than once",
        ));
    }
    p.get("client_id")
        .ok_or_else(|| not_redirectable(ErrorCode::InvalidRequest, "client_id missing"))
}

/// A reference to a pushed authorization request at the authorization endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushedReference {
    pub client_id: String,
    pub request_uri: String,
}

/// If the front-channel request refers to a pushed request (`request_uri`,
/// RFC 9126 §4), the reference; other parameters are then ignored, the
/// pushed ones count. Errors are not redirectable: the redirect URI is in
/// the pushed request, which is not known yet.
pub fn pushed_reference(
    params: &[(String, String)],
) -> Result<Option<PushedReference>, AuthorizeError> {
    let p = Params::new(params);
    let Some(request_uri) = p.get("request_uri") else {
        return Ok(None);
    };
    if p.is_duplicated("request_uri") {
        return Err(not_redirectable(
            ErrorCode::InvalidRequest,
            "request_uri given more than once",
        ));
    }
    let client_id = client_id(params)?;
    if !request_uri.starts_with(PAR_REQUEST_URI_PREFIX) || request_uri.len() > 256 {
        // OIDC Core §6.2 request_uri by reference to a client's URL is not supported.
        return Err(not_redirectable(
            ErrorCode::InvalidRequestUri,
            "request_uri is not one nyckel issued",
        ));
    }
    Ok(Some(PushedReference {
        client_id: client_id.to_owned(),
        request_uri: request_uri.to_owned(),
    }))
}

/// A fresh `request_uri` for a pushed request: the RFC 9126 URN prefix and
/// 256 random bits. Store it hashed (`tokens::token_hash`), single use.
pub fn new_request_uri<R: rand::CryptoRng + ?Sized>(rng: &mut R) -> String {
    format!(
        "{PAR_REQUEST_URI_PREFIX}{}",
        b64url(&random_bytes::<32, R>(rng))
    )
}

/// The PAR endpoint's success body (RFC 9126 §2.2), sent with status 201.
pub fn par_response(request_uri: &str, expires_in: u64) -> Value {
    json!({ "request_uri": request_uri, "expires_in": expires_in })
}

/// `state` is `1*VSCHAR` (RFC 6749 Appendix A.5), here also at most
/// [`MAX_STATE_LEN`] bytes.
fn valid_state(s: &str) -> bool {
    s.len() <= MAX_STATE_LEN && s.bytes().all(|b| (0x20..=0x7e).contains(&b))
}

/// Printable text without control characters, at most `max` bytes.
fn valid_text(s: &str, max: usize) -> bool {
    s.len() <= max && !s.chars().any(char::is_control)
}

/// `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )` (RFC 6749 §3.3).
fn valid_scope_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b))
}

/// Validates an authorization request (RFC 6749 §4.1.1, OIDC Core
/// §3.1.2.1–2, RFC 7636, RFC 9126). `client` is the client the server found
/// for [`client_id`] (`None`: unknown).
///
/// Not redirectable (RFC 6749 §4.1.2.1): `client_id` missing, repeated or
/// unknown; `redirect_uri` repeated, not exactly one of the client's
/// registered URIs, or missing while the client has several registered.
///
/// Redirected with `state` and `iss`, in this order of checks:
/// - any parameter given twice: `invalid_request` (RFC 6749 §3.1);
/// - `state` not VSCHAR or too long: `invalid_request` (not echoed);
/// - `request`: `request_not_supported` (OIDC Core §6, request objects are
///   not supported);
/// - `request_uri` in a front-channel request the server did not resolve:
///   `invalid_request_uri`; inside a pushed request: `invalid_request`
///   (RFC 9126 §2.1);
/// - a client that requires PAR sending a front-channel request:
///   `invalid_request` (RFC 9126 §6);
/// - `response_type` missing: `invalid_request`; not `code`:
///   `unsupported_response_type`; `response_mode` other than `query`:
///   `invalid_request`;
/// - `scope` without `openid`, with a malformed token, or with a known scope
///   the client may not use: `invalid_scope`; unknown scopes are dropped;
/// - PKCE (RFC 7636 §4.4.1): `code_challenge_method` other than `S256`
///   (including `plain` and a challenge without a method, which means
///   `plain`), a malformed challenge, a method without a challenge, or no
///   challenge from a public client: `invalid_request`;
/// - `nonce`, `login_hint`, `id_token_hint`, `ui_locales` malformed or too
///   long, `prompt` with an unknown value or `none` with another value,
///   `max_age` not a non-negative decimal integer: `invalid_request`;
/// - `acr_values` or an `acr` claim request with a value other than the
///   three NSIS URIs (`https://data.gov.dk/concept/core/nsis/{Low,
///   Substantial,High}`): `invalid_request`;
/// - `claims` not a JSON object of the OIDC Core §5.5 shape: `invalid_request`.
///
/// The requested level ([`AuthorizationRequest::requested_acr`]): NSIS
/// levels are ordered and a higher level satisfies a lower one
/// ([`Loa::satisfies`]), so a list of acceptable levels is met exactly when
/// the lowest of them is: with several `acr_values` the login must reach at
/// least the lowest one listed. An `acr` request in the `claims` parameter
/// (essential or not) is read the same way; if both are present the higher
/// of the two applies. With neither, the client's `default_acr`. The `acr`
/// in the ID token is the level actually reached, which may be higher.
/// Unknown `acr` values are refused rather than ignored: a relying party
/// that asks for a level nyckel does not know must not get a login it did
/// not ask for.
pub fn validate_authorize(
    params: &[(String, String)],
    client: Option<&ClientView>,
    origin: Origin,
) -> Result<AuthorizationRequest, AuthorizeError> {
    let p = Params::new(params);

    // 1. What decides whether we may redirect at all.
    let client_id = client_id(params)?;
    let client = match client {
        Some(c) if c.client_id == client_id => c,
        _ => {
            return Err(not_redirectable(
                ErrorCode::InvalidClient,
                "unknown client_id",
            ));
        }
    };
    if p.is_duplicated("redirect_uri") {
        return Err(not_redirectable(
            ErrorCode::InvalidRequest,
            "redirect_uri given more than once",
        ));
    }
    let (redirect_uri, redirect_uri_in_request) = match p.get("redirect_uri") {
        Some(uri) => match client.redirect_uris.iter().find(|r| r.as_str() == uri) {
            Some(registered) => (registered.as_str(), true),
            None => {
                return Err(not_redirectable(
                    ErrorCode::InvalidRequest,
                    "redirect_uri is not registered for this client",
                ));
            }
        },
        None => match client.redirect_uris.as_slice() {
            [only] => (only.as_str(), false),
            [] => {
                return Err(not_redirectable(
                    ErrorCode::InvalidRequest,
                    "the client has no registered redirect_uri",
                ));
            }
            _ => {
                return Err(not_redirectable(
                    ErrorCode::InvalidRequest,
                    "redirect_uri missing (the client has several registered)",
                ));
            }
        },
    };
    if check_redirect_uri(redirect_uri, client.public).is_err() {
        // Registration should have refused it; never send a person there.
        return Err(not_redirectable(
            ErrorCode::InvalidRequest,
            "the registered redirect_uri is not usable",
        ));
    }

    // 2. From here on, errors go back to the client.
    let state = p
        .get("state")
        .filter(|s| !p.is_duplicated("state") && valid_state(s));
    let fail = |code: ErrorCode, description: &str| AuthorizeError::Redirect {
        error: OAuthError::new(code, description),
        redirect_uri: redirect_uri.to_owned(),
        state: state.map(str::to_owned),
    };
    use ErrorCode::*;

    if let Some(name) = p.first_duplicated() {
        return Err(fail(
            InvalidRequest,
            &format!("parameter {} given more than once", truncate(name, 40)),
        ));
    }
    if p.get("state").is_some() && state.is_none() {
        return Err(fail(InvalidRequest, "state is malformed or too long"));
    }
    if p.get("request").is_some() {
        return Err(fail(
            RequestNotSupported,
            "request objects are not supported; use pushed authorization requests",
        ));
    }
    if p.get("request_uri").is_some() {
        return Err(match origin {
            Origin::FrontChannel => fail(InvalidRequestUri, "request_uri is not usable here"),
            Origin::Pushed => fail(
                InvalidRequest,
                "request_uri is not allowed in a pushed authorization request",
            ),
        });
    }
    if client.require_par && origin == Origin::FrontChannel {
        return Err(fail(
            InvalidRequest,
            "this client must use pushed authorization requests",
        ));
    }

    match p.get("response_type") {
        None => return Err(fail(InvalidRequest, "response_type missing")),
        Some("code") => {}
        Some(_) => {
            return Err(fail(
                UnsupportedResponseType,
                "only response_type=code is supported",
            ));
        }
    }
    match p.get("response_mode") {
        None | Some("query") => {}
        Some(_) => {
            return Err(fail(
                InvalidRequest,
                "only response_mode=query is supported",
            ));
        }
    }

    let scopes = parse_scope(p.get("scope"), client).map_err(|d| fail(InvalidScope, d))?;

    let code_challenge = match (p.get("code_challenge"), p.get("code_challenge_method")) {
        (None, None) if client.public => {
            return Err(fail(
                InvalidRequest,
                "PKCE code_challenge required for public clients",
            ));
        }
        (None, None) => None,
        (None, Some(_)) => {
            return Err(fail(
                InvalidRequest,
                "code_challenge_method without code_challenge",
            ));
        }
        (Some(_), method) if method != Some(pkce::S256) => {
            return Err(fail(InvalidRequest, "code_challenge_method must be S256"));
        }
        (Some(c), _) if !pkce::valid_challenge(c) => {
            return Err(fail(
                InvalidRequest,
                "code_challenge is not a S256 challenge",
            ));
        }
        (Some(c), _) => Some(c.to_owned()),
    };

    let nonce = p.get("nonce");
    if nonce.is_some_and(|n| !valid_text(n, MAX_NONCE_LEN)) {
        return Err(fail(InvalidRequest, "nonce is malformed or too long"));
    }
    let prompt = parse_prompt(p.get("prompt")).map_err(|d| fail(InvalidRequest, d))?;
    let max_age = match p.get("max_age") {
        None => None,
        Some(s) => Some(
            parse_max_age(s)
                .ok_or_else(|| fail(InvalidRequest, "max_age must be a non-negative integer"))?,
        ),
    };
    let login_hint = p.get("login_hint");
    if login_hint.is_some_and(|h| !valid_text(h, MAX_HINT_LEN)) {
        return Err(fail(InvalidRequest, "login_hint is malformed or too long"));
    }
    let id_token_hint = p.get("id_token_hint");
    if id_token_hint.is_some_and(|h| !valid_text(h, MAX_ID_TOKEN_HINT_LEN)) {
        return Err(fail(
            InvalidRequest,
            "id_token_hint is malformed or too long",
        ));
    }
    let ui_locales = parse_ui_locales(p.get("ui_locales")).map_err(|d| fail(InvalidRequest, d))?;
    let acr_values = match p.get("acr_values") {
        None => Vec::new(),
        Some(s) => parse_acr_values(s).map_err(|d| fail(InvalidRequest, d))?,
    };
    let claims = match p.get("claims") {
        None => ClaimsRequest::default(),
        Some(s) => parse_claims(s).map_err(|d| fail(InvalidRequest, d))?,
    };
    let claims_acr = claims_acr(&claims).map_err(|d| fail(InvalidRequest, d))?;
    let requested_acr = match (acr_values.iter().min().copied(), claims_acr) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b).or(client.default_acr),
    };

    Ok(AuthorizationRequest {
        client_id: client.client_id.clone(),
        redirect_uri: redirect_uri.to_owned(),
        redirect_uri_in_request,
        scopes,
        state: state.map(str::to_owned),
        nonce: nonce.map(str::to_owned),
        code_challenge,
        prompt,
        max_age,
        login_hint: login_hint.map(str::to_owned),
        id_token_hint: id_token_hint.map(str::to_owned),
        ui_locales,
        acr_values,
        requested_acr,
        claims,
        pushed: origin == Origin::Pushed,
    })
}

/// A fuzz- and property-test-friendly entry: parses `query` as
/// `application/x-www-form-urlencoded` and validates it against `client`.
pub fn validate_authorize_query(
    query: &str,
    client: Option<&ClientView>,
    origin: Origin,
) -> Result<AuthorizationRequest, AuthorizeError> {
    let params: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    validate_authorize(&params, client, origin)
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

fn parse_scope(scope: Option<&str>, client: &ClientView) -> Result<Vec<String>, &'static str> {
    let scope = scope.ok_or("scope missing (must contain openid)")?;
    let mut scopes: Vec<String> = Vec::new();
    for token in scope.split(' ').filter(|t| !t.is_empty()) {
        if !valid_scope_token(token) {
            return Err("scope is malformed");
        }
        if !KNOWN_SCOPES.contains(&token) || scopes.iter().any(|s| s == token) {
            continue;
        }
        if token != SCOPE_OPENID && !client.allowed_scopes.iter().any(|s| s == token) {
            return Err("scope not allowed for this client");
        }
        scopes.push(token.to_owned());
    }
    if !scopes.iter().any(|s| s == SCOPE_OPENID) {
        return Err("scope must contain openid");
    }
    Ok(scopes)
}

fn parse_prompt(prompt: Option<&str>) -> Result<Prompt, &'static str> {
    let mut p = Prompt::default();
    let Some(prompt) = prompt else { return Ok(p) };
    let mut count = 0;
    for value in prompt.split(' ').filter(|t| !t.is_empty()) {
        count += 1;
        match value {
            "none" => p.none = true,
            "login" => p.login = true,
            "consent" => p.consent = true,
            "select_account" => p.select_account = true,
            _ => return Err("prompt has an unsupported value"),
        }
    }
    if p.none && count > 1 {
        return Err("prompt=none cannot be combined with other values");
    }
    Ok(p)
}

/// A non-negative decimal integer (OIDC Core §3.1.2.1): digits only, no
/// sign, at most [`MAX_MAX_AGE`].
fn parse_max_age(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 20 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<u64>().ok().filter(|v| *v <= MAX_MAX_AGE)
}

fn parse_ui_locales(s: Option<&str>) -> Result<Vec<String>, &'static str> {
    let Some(s) = s else { return Ok(Vec::new()) };
    let mut locales = Vec::new();
    for tag in s.split(' ').filter(|t| !t.is_empty()) {
        let ok = tag.len() <= 35
            && tag.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !tag.starts_with('-');
        if !ok {
            return Err("ui_locales is malformed");
        }
        if locales.len() == MAX_UI_LOCALES {
            return Err("ui_locales lists too many languages");
        }
        locales.push(tag.to_owned());
    }
    Ok(locales)
}

/// Space-separated NSIS level URIs, in the listed order (duplicates kept once).
pub fn parse_acr_values(s: &str) -> Result<Vec<Loa>, &'static str> {
    let mut levels = Vec::new();
    for value in s.split(' ').filter(|t| !t.is_empty()) {
        let loa = Loa::from_uri(value).ok_or("acr_values has a value nyckel does not know")?;
        if !levels.contains(&loa) {
            levels.push(loa);
        }
    }
    if levels.is_empty() {
        return Err("acr_values is empty");
    }
    Ok(levels)
}

/// Parses the `claims` parameter (OIDC Core §5.5): a JSON object whose
/// `id_token` and `userinfo` members, if present, are objects mapping claim
/// names to `null` or `{ "essential": bool, "value": v, "values": [v…] }`.
/// Unknown top-level members and unknown members of a claim request are
/// ignored (§5.5: "MUST be ignored"); a wrong type anywhere is an error.
pub fn parse_claims(s: &str) -> Result<ClaimsRequest, &'static str> {
    if s.len() > MAX_CLAIMS_LEN {
        return Err("claims is too long");
    }
    let Ok(Value::Object(top)) = serde_json::from_str::<Value>(s) else {
        return Err("claims is not a JSON object");
    };
    let member = |name: &str| -> Result<BTreeMap<String, ClaimRequest>, &'static str> {
        let Some(v) = top.get(name) else {
            return Ok(BTreeMap::new());
        };
        let Value::Object(entries) = v else {
            return Err("claims member is not an object");
        };
        let mut out = BTreeMap::new();
        for (claim, req) in entries {
            let parsed = match req {
                Value::Null => ClaimRequest::default(),
                Value::Object(o) => {
                    let essential = match o.get("essential") {
                        None => false,
                        Some(Value::Bool(b)) => *b,
                        Some(_) => return Err("claims essential is not a boolean"),
                    };
                    let values = match (o.get("value"), o.get("values")) {
                        (Some(_), Some(_)) => return Err("claims has both value and values"),
                        (Some(v), None) => Some(vec![v.clone()]),
                        (None, Some(Value::Array(vs))) => Some(vs.clone()),
                        (None, Some(_)) => return Err("claims values is not an array"),
                        (None, None) => None,
                    };
                    ClaimRequest { essential, values }
                }
                _ => return Err("claim request is neither null nor an object"),
            };
            out.insert(claim.clone(), parsed);
        }
        Ok(out)
    };
    Ok(ClaimsRequest {
        id_token: member("id_token")?,
        userinfo: member("userinfo")?,
    })
}

/// The lowest level listed in an `acr` request in the `claims` parameter's
/// `id_token` member (OIDC Core §5.5.1.1), `None` if it names no values.
fn claims_acr(claims: &ClaimsRequest) -> Result<Option<Loa>, &'static str> {
    let Some(req) = claims.id_token.get("acr") else {
        return Ok(None);
    };
    let Some(values) = &req.values else {
        return Ok(None);
    };
    let mut lowest: Option<Loa> = None;
    for v in values {
        let loa = v
            .as_str()
            .and_then(Loa::from_uri)
            .ok_or("claims requests an acr value nyckel does not know")?;
        lowest = Some(lowest.map_or(loa, |l| l.min(loa)));
    }
    Ok(lowest)
}

/// Checks a redirect URI at client registration (RFC 6749 §3.1.2, RFC 8252
/// §7, RFC 9700 §2.1): an absolute URI without fragment, with none of the
/// response parameters (`code`, `state`, `iss`, `error…`) in its query;
/// `https`, or `http` on a loopback host, or — for public (native) clients —
/// a private-use scheme containing a dot (reverse domain name).
///
/// It must also be exactly as a URL parser writes it. The parser silently
/// drops tabs and newlines, trims spaces and encodes what needs encoding;
/// a URI that does not round-trip would be matched, and redirected to, in a
/// form other than the one registered (a newline in a `Location` header is
/// a broken response). Control characters and whitespace are refused first,
/// by name.
pub fn check_redirect_uri(uri: &str, public: bool) -> Result<(), &'static str> {
    if uri.chars().any(char::is_control) {
        return Err("must not contain control characters");
    }
    if uri.chars().any(char::is_whitespace) {
        return Err("must not contain whitespace");
    }
    let url = url::Url::parse(uri).map_err(|_| "not an absolute URI")?;
    if url.fragment().is_some() || uri.contains('#') {
        return Err("must not have a fragment");
    }
    if url.as_str() != uri {
        return Err(
            "not in normal form (as a URL parser writes it: e.g. a lowercase host, a path, no default port, percent-encoding)",
        );
    }
    let loopback = matches!(
        url.host_str(),
        Some("localhost") | Some("127.0.0.1") | Some("[::1]")
    );
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => return Err("http only on loopback"),
        s if public && s.contains('.') => {}
        _ => return Err("scheme not allowed"),
    }
    const RESERVED: [&str; 5] = ["code", "state", "iss", "error", "error_description"];
    if url
        .query_pairs()
        .any(|(k, _)| RESERVED.contains(&k.as_ref()))
    {
        return Err("query must not contain response parameters");
    }
    Ok(())
}

/// Appends `pairs` to the redirect URI's query, keeping the URI exactly as
/// registered (RFC 6749 §3.1.2: the query component MUST be retained).
fn append_query(redirect_uri: &str, pairs: &[(&str, &str)]) -> String {
    let base = redirect_uri.split('#').next().unwrap_or(redirect_uri);
    let mut ser = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        ser.append_pair(k, v);
    }
    let query = ser.finish();
    let sep = if !base.contains('?') {
        "?"
    } else if base.ends_with('?') || base.ends_with('&') {
        ""
    } else {
        "&"
    };
    format!("{base}{sep}{query}")
}

/// The successful authorization response (RFC 6749 §4.1.2): `code`,
/// `state` if the request had one, and `iss` (RFC 9207 §2).
pub fn authorization_response_url(
    redirect_uri: &str,
    code: &str,
    state: Option<&str>,
    issuer: &Issuer,
) -> String {
    let mut pairs = vec![("code", code)];
    if let Some(s) = state {
        pairs.push(("state", s));
    }
    pairs.push(("iss", issuer.as_str()));
    append_query(redirect_uri, &pairs)
}

/// The error response (RFC 6749 §4.1.2.1): `error`, `error_description`,
/// `state` if the request had one, and `iss` (RFC 9207 §2). Only ever call
/// it with a redirect URI registered for the client.
pub fn error_response_url(
    redirect_uri: &str,
    error: &OAuthError,
    state: Option<&str>,
    issuer: &Issuer,
) -> String {
    let mut pairs = vec![("error", error.code.as_str())];
    if !error.description.is_empty() {
        pairs.push(("error_description", error.description.as_str()));
    }
    if let Some(s) = state {
        pairs.push(("state", s));
    }
    pairs.push(("iss", issuer.as_str()));
    append_query(redirect_uri, &pairs)
}

#[cfg(test)]
mod tests;
