//! The OpenID provider's endpoints (R-AUTH-2): discovery, JWKS, authorize
//! (with pushed requests), token, userinfo, revocation, introspection,
//! logout, CPR match. OAuth errors are JSON with RFC 6749 codes; the
//! authorization endpoint redirects errors only to registered URIs.

use std::net::SocketAddr;

use axum::Form;
use axum::extract::{ConnectInfo, FromRequest, Query, RawForm, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use nyckel_core::assurance::{AuthMethod, Loa};
use nyckel_oidc::error::{ErrorCode, OAuthError};
use nyckel_oidc::grant;
use nyckel_oidc::request::{self, AuthorizationRequest, Origin};
use nyckel_service::provider::Client;
use nyckel_store::StoreError;
use serde::Deserialize;
use serde_json::json;

use super::login::{Flow, Step, finish, save, start_with};
use super::{AppState, FLOW_COOKIE, SESSION_COOKIE, WebError, message, removal};
use nyckel_service::ServiceError;
use nyckel_service::hashing::HashError;
use nyckel_service::provider::{AuthenticatedClient, PAR_TTL};

type Params = Vec<(String, String)>;

/// The highest level a nyckel login can reach today (password + key card).
const REACHABLE: Loa = Loa::Substantial;

static APPLICATION_JSON: HeaderValue = HeaderValue::from_static("application/json");
static NO_STORE: HeaderValue = HeaderValue::from_static("no-store");
static NO_CACHE: HeaderValue = HeaderValue::from_static("no-cache");

/// A JSON response that no cache keeps. Its header map has room for the
/// security headers the outer layer adds, so that it is never reallocated.
fn json_response(status: StatusCode, body: &impl serde::Serialize) -> Response {
    let mut bytes = Vec::with_capacity(768);
    if let Err(e) = serde_json::to_writer(&mut bytes, body) {
        tracing::error!(error = %e, "JSON response not serializable");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    let mut headers = HeaderMap::with_capacity(8);
    headers.insert(header::CONTENT_TYPE, APPLICATION_JSON.clone());
    headers.insert(header::CACHE_CONTROL, NO_STORE.clone());
    headers.insert(header::PRAGMA, NO_CACHE.clone());
    let mut r = Response::new(axum::body::Body::from(bytes));
    *r.status_mut() = status;
    *r.headers_mut() = headers;
    r
}

fn oauth_error(e: &OAuthError) -> Response {
    let status = StatusCode::from_u16(e.code.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut r = json_response(status, &e.to_json());
    if e.code == ErrorCode::InvalidClient {
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"nyckel\""),
        );
    }
    r
}

/// How long a client is asked to wait when nyckel is busy (as the pages do).
static RETRY_AFTER: HeaderValue = HeaderValue::from_static("30");

/// The one place a failure of nyckel's own becomes an OAuth JSON error. A
/// busy store (another process held the database too long) or a full hashing
/// pool changed nothing: 503 `temporarily_unavailable` with `Retry-After`,
/// so that the client tries again. Anything else is a generic
/// `server_error`, its detail only in the log.
fn server_error(s: &AppState, e: impl Into<ServiceError>) -> Response {
    let _ = s;
    match e.into() {
        ServiceError::Store(StoreError::Busy(why)) => {
            tracing::warn!(reason = why, "OpenID endpoint busy");
            temporarily_unavailable()
        }
        ServiceError::Hash(HashError::Busy) => {
            tracing::warn!("OpenID endpoint busy: hashing pool full");
            temporarily_unavailable()
        }
        e => {
            tracing::error!(error = %e, "OpenID endpoint failed");
            oauth_error(&OAuthError::server_error())
        }
    }
}

fn temporarily_unavailable() -> Response {
    let mut r = oauth_error(&OAuthError::new(
        ErrorCode::TemporarilyUnavailable,
        "nyckel is busy: nothing was done, try again shortly",
    ));
    r.headers_mut()
        .insert(header::RETRY_AFTER, RETRY_AFTER.clone());
    r
}

pub(crate) async fn discovery(State(s): State<AppState>) -> Response {
    match s.nyckel.issuer() {
        Ok(issuer) => {
            let doc = nyckel_oidc::discovery::discovery_document(&issuer, &Default::default());
            let mut r = axum::Json(doc).into_response();
            r.headers_mut().insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            );
            r
        }
        Err(e) => server_error(&s, e),
    }
}

pub(crate) async fn jwks(State(s): State<AppState>) -> Response {
    match s.nyckel.jwks().await {
        Ok(j) => {
            let mut r = axum::Json(j).into_response();
            r.headers_mut().insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=60"),
            );
            r
        }
        Err(e) => server_error(&s, e),
    }
}

/// An error page for a request we must not redirect (unknown client, bad redirect URI).
fn not_redirectable(s: &AppState, e: &OAuthError) -> Response {
    message(
        s,
        StatusCode::BAD_REQUEST,
        "The service's login request is not valid",
        format!(
            "The service you came from sent nyckel a login request that cannot be accepted ({}: {}). Go back to the service and try again; if it keeps happening, tell the service.",
            e.code.as_str(),
            e.description
        ),
        None,
        false,
    )
}

fn redirect_error(s: &AppState, req: &AuthorizationRequest, e: &OAuthError) -> Response {
    match s.nyckel.issuer() {
        Ok(issuer) => Redirect::to(&request::error_response_url(
            &req.redirect_uri,
            e,
            req.state.as_deref(),
            &issuer,
        ))
        .into_response(),
        Err(err) => server_error(s, err),
    }
}

pub(crate) async fn authorize_get(
    State(s): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    jar: CookieJar,
    Query(params): Query<Params>,
) -> Response {
    authorize(s, peer, jar, params).await
}

pub(crate) async fn authorize_post(
    State(s): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    jar: CookieJar,
    Form(params): Form<Params>,
) -> Response {
    authorize(s, peer, jar, params).await
}

async fn authorize(s: AppState, peer: SocketAddr, jar: CookieJar, params: Params) -> Response {
    match authorize_inner(&s, peer, jar, params).await {
        Ok(r) => r,
        Err(e) => e.into_page(&s),
    }
}

async fn authorize_inner(
    s: &AppState,
    peer: SocketAddr,
    jar: CookieJar,
    params: Params,
) -> Result<Response, WebError> {
    let issuer = s.nyckel.issuer()?;
    // A pushed request (RFC 9126): fetch the parameters pushed earlier.
    let (params, origin) = match request::pushed_reference(&params) {
        Err(e) => return Ok(not_redirectable(s, e.error())),
        Ok(None) => (params, Origin::FrontChannel),
        Ok(Some(r)) => {
            let mut tx = s.nyckel.store.write().await?;
            // Only the client that pushed it takes it: another client's
            // attempt leaves it usable by its owner.
            let pushed = tx
                .take_par(&r.request_uri, &r.client_id, s.nyckel.now())
                .await?;
            tx.commit().await?;
            match pushed {
                Some(stored) => {
                    let p: Params = serde_json::from_str(&stored).unwrap_or_default();
                    (p, Origin::Pushed)
                }
                None => {
                    return Ok(not_redirectable(
                        s,
                        &OAuthError::new(
                            ErrorCode::InvalidRequestUri,
                            "request_uri unknown, used or expired",
                        ),
                    ));
                }
            }
        }
    };
    let client = match request::client_id(&params) {
        Ok(id) => s.nyckel.find_active_client(id).await?,
        Err(e) => return Ok(not_redirectable(s, e.error())),
    };
    let view = client.as_ref().map(nyckel_service::Nyckel::client_view);
    let req = match request::validate_authorize(&params, view.as_ref(), origin) {
        Ok(r) => r,
        Err(e) => {
            return Ok(match e.redirect_url(&issuer) {
                Some(url) => Redirect::to(&url).into_response(),
                None => not_redirectable(s, e.error()),
            });
        }
    };
    // A level nyckel cannot reach ends here, never with a lower level.
    if let Err(e) = req.check_acr(Some(REACHABLE)) {
        return Ok(redirect_error(s, &req, &e));
    }
    // Single sign-on: an existing session that satisfies the request.
    let now_s = s.nyckel.now() / 1000;
    let session = super::live_session(s, &jar).await?.map(|l| {
        let sid = super::login::sid_of_hash(&l.hash);
        (l.row, l.identity, sid)
    });
    // A hint names the person the provider expects: a session of someone
    // else does not do (with prompt=none that is login_required).
    let session = match &req.id_token_hint {
        Some(hint) => {
            let Some(client) = s.nyckel.find_active_client(&req.client_id).await? else {
                return Ok(not_redirectable(
                    s,
                    &OAuthError::new(ErrorCode::InvalidClient, "unknown client"),
                ));
            };
            let person = session.as_ref().map(|(_, i, _)| i.person_id.as_str());
            match s.nyckel.id_token_hint_names(hint, &client, person).await? {
                None => {
                    return Ok(redirect_error(
                        s,
                        &req,
                        &OAuthError::new(
                            ErrorCode::InvalidRequest,
                            "id_token_hint is not an ID token nyckel issued to this client",
                        ),
                    ));
                }
                Some(true) => session,
                Some(false) => None,
            }
        }
        None => session,
    };
    let usable = session.filter(|(r, _, _)| !req.login_required(Some(r.auth_time / 1000), now_s));
    match usable {
        Some((row, identity, sid)) => {
            let methods: Vec<AuthMethod> = serde_json::from_str(&row.amr).unwrap_or_default();
            let level = nyckel_core::assurance::level(&methods);
            if req.check_acr(level).is_err() {
                if req.prompt.none {
                    return Ok(redirect_error(
                        s,
                        &req,
                        &OAuthError::new(ErrorCode::LoginRequired, "a stronger login is required"),
                    ));
                }
                return start_login(s, jar, req).await;
            }
            continue_authorization(
                s,
                jar,
                None,
                req,
                &identity.id,
                row.auth_time / 1000,
                methods,
                Some(sid),
                &peer.ip().to_string(),
            )
            .await
        }
        None => {
            if let Some(e) = req.prompt_none_error(true, false) {
                return Ok(redirect_error(s, &req, &e));
            }
            start_login(s, jar, req).await
        }
    }
}

async fn start_login(
    s: &AppState,
    jar: CookieJar,
    req: AuthorizationRequest,
) -> Result<Response, WebError> {
    let (jar, _flow) = start_with(s, jar, Step::Identify, Some(req)).await?;
    Ok((jar, Redirect::to("/login")).into_response())
}

/// After a login (or with a session): ask for consent if needed, else
/// issue the code and send the browser back to the provider.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn continue_authorization(
    s: &AppState,
    jar: CookieJar,
    flow: Option<Flow>,
    req: AuthorizationRequest,
    identity_id: &str,
    auth_time: i64,
    methods: Vec<AuthMethod>,
    sid: Option<String>,
    ip: &str,
) -> Result<Response, WebError> {
    let level = nyckel_core::assurance::level(&methods);
    if let Err(e) = req.check_acr(level) {
        if let Some(f) = &flow {
            finish(s, f).await?;
        }
        return Ok((
            jar.remove(removal(s, FLOW_COOKIE)),
            redirect_error(s, &req, &e),
        )
            .into_response());
    }
    if s.nyckel.consent_needed(identity_id, &req).await? {
        if let Some(e) = req.prompt_none_error(false, true) {
            return Ok((jar, redirect_error(s, &req, &e)).into_response());
        }
        let step = Step::Consent {
            identity_id: identity_id.to_owned(),
            auth_time,
            methods,
            sid,
        };
        let jar = match flow {
            Some(mut f) => {
                f.step = step;
                save(s, &mut f).await?;
                jar
            }
            None => start_with(s, jar, step, Some(req)).await?.0,
        };
        return Ok((jar, Redirect::to("/login")).into_response());
    }
    if let Some(f) = &flow {
        finish(s, f).await?;
    }
    let url = s
        .nyckel
        .issue_code(&req, identity_id, auth_time, &methods, sid, ip)
        .await?;
    Ok((jar.remove(removal(s, FLOW_COOKIE)), Redirect::to(&url)).into_response())
}

/// What the consent screen lists: exactly what the provider will receive.
pub(crate) fn shared_items(req: &AuthorizationRequest, client: &Client) -> Vec<String> {
    let mut items = vec![
        "A pseudonymous identifier for you, the same each time you use this service".to_owned(),
    ];
    if req.has_scope("profile") {
        items.push("Your name".into());
        items.push("Your personal nyckel UUID".into());
    }
    if req.has_scope("ssn") && client.allow_cpr {
        items.push("Your CPR number".into());
    }
    items.push(
        "When you logged in, and how (password and key card: assurance level Substantial)".into(),
    );
    items
}

#[derive(Deserialize)]
pub(crate) struct ConsentForm {
    csrf: String,
    decision: String,
}

pub(crate) async fn consent(
    State(s): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    jar: CookieJar,
    Form(f): Form<ConsentForm>,
) -> Response {
    async {
        let flow = super::login::load_for_post(&s, &jar, &f.csrf).await?;
        let Step::Consent {
            identity_id,
            auth_time,
            methods,
            sid,
        } = flow.step.clone()
        else {
            return Ok(Redirect::to("/login").into_response());
        };
        let Some(req) = flow.authz.clone() else {
            return Err(WebError::FlowExpired);
        };
        finish(&s, &flow).await?;
        let jar = jar.remove(removal(&s, FLOW_COOKIE));
        if f.decision != "allow" {
            let e = OAuthError::new(
                ErrorCode::AccessDenied,
                "the person declined to share their details",
            );
            return Ok((jar, redirect_error(&s, &req, &e)).into_response());
        }
        let mut tx = s.nyckel.store.read().await?;
        let who = tx
            .find_identity(&identity_id)
            .await?
            .map(|i| format!("holder:{}", i.user_id))
            .unwrap_or_default();
        tx.commit().await?;
        s.nyckel.record_consent(&identity_id, &req, &who).await?;
        let url = s
            .nyckel
            .issue_code(
                &req,
                &identity_id,
                auth_time,
                &methods,
                sid,
                &peer.ip().to_string(),
            )
            .await?;
        Ok::<_, WebError>((jar, Redirect::to(&url)).into_response())
    }
    .await
    .unwrap_or_else(|e| e.into_page(&s))
}

fn authorization_header(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
}

/// Authenticates the client of a back-channel request.
async fn client_of(
    s: &AppState,
    authorization: Option<&str>,
    params: &Params,
    endpoint: &str,
) -> Result<AuthenticatedClient, Response> {
    let presented = grant::presented_client(authorization, params).map_err(|e| oauth_error(&e))?;
    match s.nyckel.authenticate_client(&presented, endpoint).await {
        Ok(Ok(c)) => Ok(c),
        Ok(Err(e)) => Err(oauth_error(&e)),
        Err(e) => Err(server_error(s, e)),
    }
}

/// Parameters without the client's own credentials.
fn without_client_auth(params: &Params) -> Params {
    params
        .iter()
        .filter(|(k, _)| {
            !matches!(
                k.as_str(),
                "client_secret" | "client_assertion" | "client_assertion_type"
            )
        })
        .cloned()
        .collect()
}

/// The token endpoint. It takes the request whole rather than a cloned
/// `HeaderMap`: the Authorization header is the only one it reads. The form
/// is read as `Form<Params>` reads it (`RawForm`: the same content-type
/// check, body limit and rejections; then the same `form_urlencoded`
/// pairs), without serde, which cannot fail for a list of string pairs.
pub(crate) async fn token(State(s): State<AppState>, mut request: Request) -> Response {
    let authorization = request.headers_mut().remove(header::AUTHORIZATION);
    let params: Params = match RawForm::from_request(request, &s).await {
        Ok(RawForm(body)) => url::form_urlencoded::parse(&body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect(),
        Err(rejection) => return rejection.into_response(),
    };
    let authorization = authorization.as_ref().and_then(|v| v.to_str().ok());
    let client = match client_of(
        &s,
        authorization,
        &params,
        nyckel_oidc::discovery::paths::TOKEN,
    )
    .await
    {
        Ok(c) => c,
        Err(r) => return r,
    };
    // The credentials need not be taken out first (as `without_client_auth`
    // does): `parse_token_request` reads only the grant's own parameters,
    // and `presented_client` has already refused repeated ones.
    let req = match grant::parse_token_request(&params) {
        Ok(r) => r,
        Err(e) => return oauth_error(&e),
    };
    match s.nyckel.token(&client, req).await {
        Ok(Ok(body)) => json_response(StatusCode::OK, &body),
        Ok(Err(e)) => oauth_error(&e),
        Err(e) => server_error(&s, e),
    }
}

pub(crate) async fn par(
    State(s): State<AppState>,
    headers: HeaderMap,
    Form(params): Form<Params>,
) -> Response {
    let client = match client_of(
        &s,
        authorization_header(&headers),
        &params,
        nyckel_oidc::discovery::paths::PAR,
    )
    .await
    {
        Ok(c) => c,
        Err(r) => return r,
    };
    let mut params = without_client_auth(&params);
    if params.iter().any(|(k, _)| k == "request_uri") {
        return oauth_error(&OAuthError::new(
            ErrorCode::InvalidRequest,
            "request_uri is not allowed in a pushed request",
        ));
    }
    if !params.iter().any(|(k, _)| k == "client_id") {
        params.push(("client_id".into(), client.0.client_id.clone()));
    }
    let view = nyckel_service::Nyckel::client_view(&client.0);
    if let Err(e) = request::validate_authorize(&params, Some(&view), Origin::Pushed) {
        return oauth_error(e.error());
    }
    let uri = request::new_request_uri(&mut rand::rng());
    let stored = serde_json::to_string(&params).unwrap_or_default();
    let result = async {
        let mut tx = s.nyckel.store.write().await?;
        tx.insert_par(
            &uri,
            &client.0.client_id,
            &stored,
            s.nyckel.now() + PAR_TTL * 1000,
        )
        .await?;
        tx.commit().await
    }
    .await;
    match result {
        Ok(()) => json_response(
            StatusCode::CREATED,
            &request::par_response(&uri, PAR_TTL as u64),
        ),
        Err(e) => server_error(&s, e),
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = authorization_header(headers)?;
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

/// A request with no bearer token at all: RFC 6750 §3.1 asks for the
/// challenge without an error code (the client may simply not have known).
fn no_token() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))],
    )
        .into_response()
}

fn invalid_token() -> Response {
    let e = OAuthError::new(ErrorCode::InvalidToken, "the access token is not valid");
    let mut r = json_response(StatusCode::UNAUTHORIZED, &e.to_json());
    if let Ok(v) = HeaderValue::from_str(&e.bearer_challenge()) {
        r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    r
}

/// The valid access token a resource request carries, or the answer to
/// give: the bare challenge without a token, `invalid_token` for a bad one.
async fn access_token_of(
    s: &AppState,
    headers: &HeaderMap,
) -> Result<nyckel_oidc::tokens::AccessTokenClaims, Response> {
    let Some(token) = bearer(headers) else {
        return Err(no_token());
    };
    match s.nyckel.verify_access_token(token).await {
        Ok(Some(at)) => Ok(at),
        Ok(None) => Err(invalid_token()),
        Err(e) => Err(server_error(s, e)),
    }
}

pub(crate) async fn userinfo(State(s): State<AppState>, headers: HeaderMap) -> Response {
    let at = match access_token_of(&s, &headers).await {
        Ok(at) => at,
        Err(r) => return r,
    };
    match s.nyckel.userinfo(&at).await {
        Ok(Some(v)) => json_response(StatusCode::OK, &v),
        Ok(None) => invalid_token(),
        Err(e) => server_error(&s, e),
    }
}

/// The authenticated client and the `token` parameter of a revocation or
/// introspection request, or the error response.
async fn client_and_token<'p>(
    s: &AppState,
    headers: &HeaderMap,
    params: &'p Params,
    endpoint: &str,
) -> Result<(AuthenticatedClient, &'p str), Response> {
    let client = client_of(s, authorization_header(headers), params, endpoint).await?;
    let Some((_, token)) = params.iter().find(|(k, _)| k == "token") else {
        return Err(oauth_error(&OAuthError::new(
            ErrorCode::InvalidRequest,
            "token missing",
        )));
    };
    Ok((client, token))
}

pub(crate) async fn revoke(
    State(s): State<AppState>,
    headers: HeaderMap,
    Form(params): Form<Params>,
) -> Response {
    let (client, token) = match client_and_token(
        &s,
        &headers,
        &params,
        nyckel_oidc::discovery::paths::REVOKE,
    )
    .await
    {
        Ok(ct) => ct,
        Err(r) => return r,
    };
    match s.nyckel.revoke(&client, token).await {
        // RFC 7009 §2.2: 200 whether or not the token was valid.
        Ok(()) => json_response(StatusCode::OK, &json!({})),
        Err(e) => server_error(&s, e),
    }
}

pub(crate) async fn introspect(
    State(s): State<AppState>,
    headers: HeaderMap,
    Form(params): Form<Params>,
) -> Response {
    let (client, token) = match client_and_token(
        &s,
        &headers,
        &params,
        nyckel_oidc::discovery::paths::INTROSPECT,
    )
    .await
    {
        Ok(ct) => ct,
        Err(r) => return r,
    };
    match s.nyckel.introspect(&client, token).await {
        Ok(Ok(v)) => json_response(StatusCode::OK, &v),
        Ok(Err(e)) => oauth_error(&e),
        Err(e) => server_error(&s, e),
    }
}

#[derive(Deserialize)]
pub(crate) struct LogoutParams {
    id_token_hint: Option<String>,
    post_logout_redirect_uri: Option<String>,
    state: Option<String>,
    client_id: Option<String>,
}

/// RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0). The
/// session ends at once only when an ID token hint names its holder;
/// otherwise (any page can send a browser here) the holder is asked first,
/// and the logout button posts to `/logout` (`my::logout`).
pub(crate) async fn logout(
    State(s): State<AppState>,
    jar: CookieJar,
    Query(q): Query<LogoutParams>,
) -> Response {
    async {
        let session = super::live_session(&s, &jar).await?;
        let hinted = match &q.id_token_hint {
            Some(h) => s.nyckel.id_token_hint_client(h).await?,
            None => None,
        };
        let client_id = match (&hinted, &q.client_id) {
            (Some(h), Some(c)) if h != c => None,
            (Some(h), _) => Some(h.clone()),
            (None, c) => c.clone(),
        };
        if let Some(super::LiveSession {
            hash,
            row,
            identity,
        }) = &session
        {
            let client = match &client_id {
                Some(id) => s.nyckel.find_active_client(id).await?,
                None => None,
            };
            let names_holder = match (&q.id_token_hint, &client) {
                (Some(h), Some(c)) => {
                    s.nyckel
                        .id_token_hint_names(h, c, Some(&identity.person_id))
                        .await?
                        == Some(true)
                }
                _ => false,
            };
            if !names_holder {
                return Ok(super::render(
                    StatusCode::OK,
                    &super::pages::ConfirmLogout {
                        support_phone: s.phone(),
                        csrf: &row.csrf,
                        client_name: client.map(|c| c.name.clone()),
                        client_id: client_id.as_deref(),
                        post_logout_redirect_uri: q.post_logout_redirect_uri.as_deref(),
                        state: q.state.as_deref(),
                    },
                ));
            }
            let mut tx = s.nyckel.store.conn().await?;
            tx.delete_session(hash).await?;
        }
        after_logout(
            &s,
            jar.remove(removal(&s, SESSION_COOKIE)),
            client_id.as_deref(),
            q.post_logout_redirect_uri.as_deref(),
            q.state.as_deref(),
        )
        .await
    }
    .await
    .unwrap_or_else(|e| e.into_page(&s))
}

/// After a logout: back to the provider's registered
/// `post_logout_redirect_uri` (exact match, with `state`), else nyckel's
/// own page.
pub(crate) async fn after_logout(
    s: &AppState,
    jar: CookieJar,
    client_id: Option<&str>,
    post_logout_redirect_uri: Option<&str>,
    state: Option<&str>,
) -> Result<Response, WebError> {
    if let (Some(uri), Some(client_id)) = (post_logout_redirect_uri, client_id) {
        let client = s.nyckel.find_active_client(client_id).await?;
        if client.is_some_and(|c| c.post_logout_redirect_uris.iter().any(|u| u == uri)) {
            let mut url = url_with(uri, "state", state);
            if url.is_empty() {
                url = uri.to_owned();
            }
            return Ok((jar, Redirect::to(&url)).into_response());
        }
    }
    Ok((
        jar,
        super::logged_out(
            s,
            "You are logged out",
            "You have been logged out of nyckel.".into(),
            None,
        ),
    )
        .into_response())
}

fn url_with(uri: &str, name: &str, value: Option<&str>) -> String {
    let Some(value) = value else {
        return uri.to_owned();
    };
    match url::Url::parse(uri) {
        Ok(mut u) => {
            u.query_pairs_mut().append_pair(name, value);
            u.to_string()
        }
        Err(_) => String::new(),
    }
}

#[derive(Deserialize)]
pub(crate) struct CprMatchForm {
    cpr: String,
}

/// A provider not entitled to the CPR number asks whether the number the
/// person typed is theirs: yes or no, 3 tries per 15 minutes.
pub(crate) async fn cpr_match(
    State(s): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<CprMatchForm>,
) -> Response {
    let at = match access_token_of(&s, &headers).await {
        Ok(at) => at,
        Err(r) => return r,
    };
    match s.nyckel.cpr_match(&at, &f.cpr).await {
        Ok(Ok(m)) => json_response(StatusCode::OK, &json!({ "match": m })),
        Ok(Err(e)) if e.code == ErrorCode::AccessDenied => {
            json_response(StatusCode::TOO_MANY_REQUESTS, &e.to_json())
        }
        Ok(Err(e)) => oauth_error(&e),
        Err(e) => server_error(&s, e),
    }
}
