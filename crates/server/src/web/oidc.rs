//! The OpenID provider's endpoints (R-AUTH-2): discovery, JWKS, authorize
//! (with pushed requests), token, userinfo, revocation, introspection,
//! logout, CPR match. OAuth errors are JSON with RFC 6749 codes; the
//! authorization endpoint redirects errors only to registered URIs.

use std::net::SocketAddr;

use axum::Form;
use axum::extract::{
    ConnectInfo, FromRequest, FromRequestParts, RawForm, RawQuery, Request, State,
};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use nyckel_core::assurance::{AuthMethod, Loa};
use nyckel_oidc::error::{ErrorCode, OAuthError};
use nyckel_oidc::grant;
use nyckel_oidc::params::{self, Pairs};
use nyckel_oidc::request::{self, AuthorizationRequest, Origin};
use serde::Deserialize;
use serde_json::json;

use super::errors::oauth::{invalid_token, json_response, no_token, oauth_error, server_error};
use super::errors::page::not_redirectable;
use super::{AppState, FLOW_COOKIE, PageLang, SESSION_COOKIE, WebError, cookie, removal};
use nyckel_i18n::Tr;
use nyckel_service::provider::{AuthenticatedClient, Client};
use nyckel_service::{Authorized, ConsentOutcome, Continuation, ExpectConsent};

/// The highest level a nyckel login can reach today (password + key card).
const REACHABLE: Loa = Loa::Substantial;

/// An endpoint's parameters, read in one place
/// ([`nyckel_oidc::params::parse_urlencoded`]): a form body as `Form`
/// reads it (`RawForm`: the same content-type check, body limit and
/// rejections), or the query string of a GET.
pub(crate) struct OAuthForm(pub Pairs);

impl<S: Send + Sync> FromRequest<S> for OAuthForm {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Response> {
        match RawForm::from_request(req, state).await {
            Ok(RawForm(body)) => Ok(OAuthForm(params::parse_urlencoded(&body))),
            Err(rejection) => Err(rejection.into_response()),
        }
    }
}

/// The query string's parameters, read as [`OAuthForm`] reads a body.
pub(crate) struct OAuthQuery(pub Pairs);

impl<S: Send + Sync> FromRequestParts<S> for OAuthQuery {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let RawQuery(q) = RawQuery::from_request_parts(parts, state).await?;
        Ok(OAuthQuery(
            q.map(|q| params::parse_urlencoded(q.as_bytes()))
                .unwrap_or_default(),
        ))
    }
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
        Err(e) => server_error(e),
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
        Err(e) => server_error(e),
    }
}

pub(crate) fn redirect_error(s: &AppState, req: &AuthorizationRequest, e: &OAuthError) -> Response {
    match s.nyckel.issuer() {
        Ok(issuer) => Redirect::to(&request::error_response_url(
            &req.redirect_uri,
            e,
            req.state.as_deref(),
            &issuer,
        ))
        .into_response(),
        Err(err) => server_error(err),
    }
}

pub(crate) async fn authorize_get(
    State(s): State<AppState>,
    lang: PageLang,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    jar: CookieJar,
    OAuthQuery(params): OAuthQuery,
) -> Response {
    authorize(s, lang.tr(), peer, jar, params).await
}

pub(crate) async fn authorize_post(
    State(s): State<AppState>,
    lang: PageLang,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    jar: CookieJar,
    OAuthForm(params): OAuthForm,
) -> Response {
    authorize(s, lang.tr(), peer, jar, params).await
}

async fn authorize(
    s: AppState,
    t: Tr,
    peer: SocketAddr,
    jar: CookieJar,
    params: Pairs,
) -> Response {
    match authorize_inner(&s, t, peer, jar, params).await {
        Ok(r) => r,
        Err(e) => e.into_page(&s, t),
    }
}

async fn authorize_inner(
    s: &AppState,
    t: Tr,
    peer: SocketAddr,
    jar: CookieJar,
    params: Pairs,
) -> Result<Response, WebError> {
    let issuer = s.nyckel.issuer()?;
    // A pushed request (RFC 9126): fetch the parameters pushed earlier.
    let (params, origin) = match request::pushed_reference(&params) {
        Err(e) => return Ok(not_redirectable(s, t, e.error())),
        Ok(None) => (params, Origin::FrontChannel),
        Ok(Some(r)) => {
            // Only the client that pushed it takes it: another client's
            // attempt leaves it usable by its owner.
            match s
                .nyckel
                .take_pushed_request(&r.request_uri, &r.client_id)
                .await?
            {
                Some(p) => (p, Origin::Pushed),
                None => {
                    return Ok(not_redirectable(
                        s,
                        t,
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
        Err(e) => return Ok(not_redirectable(s, t, e.error())),
    };
    let view = client.as_ref().map(Client::view);
    // The name the login pages show: the client's registered name.
    let service = client.as_ref().map(|c| c.name.clone());
    let req = match request::validate_authorize(&params, view.as_ref(), origin) {
        Ok(r) => r,
        Err(e) => {
            return Ok(match e.redirect_url(&issuer) {
                Some(url) => Redirect::to(&url).into_response(),
                None => not_redirectable(s, t, e.error()),
            });
        }
    };
    // A level nyckel cannot reach ends here, never with a lower level.
    if let Err(e) = req.check_acr(Some(REACHABLE)) {
        return Ok(redirect_error(s, &req, &e));
    }
    // Single sign-on: an existing session that satisfies the request.
    let now_s = s.nyckel.now() / 1000;
    let session = super::live_session(s, &jar).await?;
    // A hint names the person the provider expects: a session of someone
    // else does not do (with prompt=none that is login_required).
    let session = match &req.id_token_hint {
        Some(hint) => {
            let Some(client) = s.nyckel.find_active_client(&req.client_id).await? else {
                return Ok(not_redirectable(
                    s,
                    t,
                    &OAuthError::new(ErrorCode::InvalidClient, "unknown client"),
                ));
            };
            let person = session.as_ref().map(|l| l.identity.person_id.as_str());
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
    let usable = session.filter(|l| !req.login_required(Some(l.auth_time_secs()), now_s));
    match usable {
        Some(live) => {
            let methods: Vec<AuthMethod> = live.methods();
            let level = nyckel_core::assurance::level(&methods);
            if req.check_acr(level).is_err() {
                if req.prompt.none {
                    return Ok(redirect_error(
                        s,
                        &req,
                        &OAuthError::new(ErrorCode::LoginRequired, "a stronger login is required"),
                    ));
                }
                return start_login(s, jar, req, service).await;
            }
            continue_authorization(
                s,
                jar,
                req,
                &live.identity.id,
                live.auth_time_secs(),
                methods,
                Some(live.sid()),
                &peer.ip().to_string(),
            )
            .await
        }
        None => {
            if let Some(e) = req.prompt_none_error(true, false) {
                return Ok(redirect_error(s, &req, &e));
            }
            start_login(s, jar, req, service).await
        }
    }
}

async fn start_login(
    s: &AppState,
    jar: CookieJar,
    req: AuthorizationRequest,
    service: Option<String>,
) -> Result<Response, WebError> {
    let token = s
        .nyckel
        .start_login(
            s.cookie_value(&jar, FLOW_COOKIE),
            Continuation::Oidc(Box::new(req)),
            service,
        )
        .await?;
    let jar = jar.add(cookie(s, FLOW_COOKIE, token, s.nyckel.config.flow_ttl_secs));
    Ok((jar, Redirect::to("/login")).into_response())
}

/// After a login (or with a session): ask for consent if needed, else
/// issue the code and send the browser back to the provider.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn continue_authorization(
    s: &AppState,
    jar: CookieJar,
    req: AuthorizationRequest,
    identity_id: &str,
    auth_time: i64,
    methods: Vec<AuthMethod>,
    sid: Option<String>,
    ip: &str,
) -> Result<Response, WebError> {
    let login = ExpectConsent {
        identity_id: identity_id.to_owned(),
        auth_time,
        methods,
        sid,
    };
    let old = s.cookie_value(&jar, FLOW_COOKIE);
    Ok(
        match s
            .nyckel
            .continue_authorization(old, &req, login, ip)
            .await?
        {
            Authorized::Refused(e) => (
                jar.remove(removal(s, FLOW_COOKIE)),
                redirect_error(s, &req, &e),
            )
                .into_response(),
            Authorized::ConsentRequired(e) => (jar, redirect_error(s, &req, &e)).into_response(),
            Authorized::Consent { flow_cookie } => {
                let ttl = s.nyckel.config.flow_ttl_secs;
                let jar = jar.add(cookie(s, FLOW_COOKIE, flow_cookie, ttl));
                (jar, Redirect::to("/login")).into_response()
            }
            Authorized::Code(url) => {
                (jar.remove(removal(s, FLOW_COOKIE)), Redirect::to(&url)).into_response()
            }
        },
    )
}

/// What the consent screen lists: exactly what the provider will receive
/// ([`nyckel_oidc::tokens::scope_claims`], the rule the tokens and
/// UserInfo follow).
pub(crate) fn shared_items(t: Tr, req: &AuthorizationRequest, client: &Client) -> Vec<String> {
    let claims = nyckel_oidc::tokens::scope_claims(&req.scopes, client.allow_cpr);
    let mut items = vec![t.get("shared-pairwise")];
    if claims.contains("name") {
        items.push(t.get("shared-name"));
    }
    if claims.contains("uuid") {
        items.push(t.get("shared-uuid"));
    }
    if claims.contains(nyckel_oidc::tokens::CLAIM_CPR) {
        items.push(t.get("shared-cpr"));
    }
    items.push(t.get("shared-login-substantial"));
    items
}

#[derive(Deserialize)]
pub(crate) struct ConsentForm {
    csrf: String,
    decision: String,
}

pub(crate) async fn consent(
    State(s): State<AppState>,
    lang: PageLang,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    jar: CookieJar,
    Form(f): Form<ConsentForm>,
) -> Response {
    async {
        let outcome = s
            .nyckel
            .consent_step(
                s.cookie_value(&jar, FLOW_COOKIE),
                &f.csrf,
                f.decision == "allow",
                &peer.ip().to_string(),
            )
            .await?;
        // The flow has ended unless it was at another step.
        let ended = jar.clone().remove(removal(&s, FLOW_COOKIE));
        Ok::<_, WebError>(match outcome {
            ConsentOutcome::Elsewhere => Redirect::to("/login").into_response(),
            ConsentOutcome::Declined(req) => {
                let e = OAuthError::new(
                    ErrorCode::AccessDenied,
                    "the person declined to share their details",
                );
                (ended, redirect_error(&s, &req, &e)).into_response()
            }
            ConsentOutcome::Code(url) => (ended, Redirect::to(&url)).into_response(),
        })
    }
    .await
    .unwrap_or_else(|e| e.into_page(&s, lang.tr()))
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
    params: &Pairs,
    endpoint: &str,
) -> Result<AuthenticatedClient, Response> {
    let presented = grant::presented_client(authorization, params).map_err(|e| oauth_error(&e))?;
    match s.nyckel.authenticate_client(&presented, endpoint).await {
        Ok(Ok(c)) => Ok(c),
        Ok(Err(e)) => Err(oauth_error(&e)),
        Err(e) => Err(server_error(e)),
    }
}

/// The token endpoint. It takes the request whole rather than a cloned
/// `HeaderMap`: the Authorization header is the only one it reads.
pub(crate) async fn token(State(s): State<AppState>, mut request: Request) -> Response {
    let authorization = request.headers_mut().remove(header::AUTHORIZATION);
    let params = match OAuthForm::from_request(request, &s).await {
        Ok(OAuthForm(p)) => p,
        Err(rejection) => return rejection,
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
    // The credentials need not be taken out first (as
    // `params::without_client_auth` does): `parse_token_request` reads only the grant's own parameters,
    // and `presented_client` has already refused repeated ones.
    let req = match grant::parse_token_request(&params) {
        Ok(r) => r,
        Err(e) => return oauth_error(&e),
    };
    match s.nyckel.token(&client, req).await {
        Ok(Ok(body)) => json_response(StatusCode::OK, &body),
        Ok(Err(e)) => oauth_error(&e),
        Err(e) => server_error(e),
    }
}

pub(crate) async fn par(
    State(s): State<AppState>,
    headers: HeaderMap,
    OAuthForm(params): OAuthForm,
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
    match s.nyckel.push_request(&client, &params).await {
        Ok(Ok(body)) => json_response(StatusCode::CREATED, &body),
        Ok(Err(e)) => oauth_error(&e),
        Err(e) => server_error(e),
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = authorization_header(headers)?;
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
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
        Err(e) => Err(server_error(e)),
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
        Err(e) => server_error(e),
    }
}

/// The authenticated client and the `token` parameter of a revocation or
/// introspection request, or the error response.
async fn client_and_token<'p>(
    s: &AppState,
    headers: &HeaderMap,
    params: &'p Pairs,
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
    OAuthForm(params): OAuthForm,
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
        Err(e) => server_error(e),
    }
}

pub(crate) async fn introspect(
    State(s): State<AppState>,
    headers: HeaderMap,
    OAuthForm(params): OAuthForm,
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
        Err(e) => server_error(e),
    }
}

/// The parameters of an RP-initiated logout request; a repeated one
/// counts as absent.
struct LogoutParams {
    id_token_hint: Option<String>,
    post_logout_redirect_uri: Option<String>,
    state: Option<String>,
    client_id: Option<String>,
}

impl LogoutParams {
    fn read(pairs: &[(String, String)]) -> Self {
        let p = params::Params::new(pairs);
        let one = |name: &str| {
            (!p.is_duplicated(name))
                .then(|| p.get(name))
                .flatten()
                .map(str::to_owned)
        };
        Self {
            id_token_hint: one("id_token_hint"),
            post_logout_redirect_uri: one("post_logout_redirect_uri"),
            state: one("state"),
            client_id: one("client_id"),
        }
    }
}

/// RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0). The
/// session ends at once only when an ID token hint names its holder;
/// otherwise (any page can send a browser here) the holder is asked first,
/// and the logout button posts to `/logout` (`my::logout`).
pub(crate) async fn logout(
    State(s): State<AppState>,
    lang: PageLang,
    jar: CookieJar,
    OAuthQuery(pairs): OAuthQuery,
) -> Response {
    let q = LogoutParams::read(&pairs);
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
        if let Some(live) = &session {
            let client = match &client_id {
                Some(id) => s.nyckel.find_active_client(id).await?,
                None => None,
            };
            let names_holder = match (&q.id_token_hint, &client) {
                (Some(h), Some(c)) => {
                    s.nyckel
                        .id_token_hint_names(h, c, Some(&live.identity.person_id))
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
                        t: lang.tr(),
                        here: "/my",
                        csrf: &live.row.csrf,
                        client_name: client.map(|c| c.name.clone()),
                        client_id: client_id.as_deref(),
                        post_logout_redirect_uri: q.post_logout_redirect_uri.as_deref(),
                        state: q.state.as_deref(),
                    },
                ));
            }
            s.nyckel.end_session(live).await?;
        }
        after_logout(
            &s,
            lang.tr(),
            jar.remove(removal(&s, SESSION_COOKIE)),
            client_id.as_deref(),
            q.post_logout_redirect_uri.as_deref(),
            q.state.as_deref(),
        )
        .await
    }
    .await
    .unwrap_or_else(|e| e.into_page(&s, lang.tr()))
}

/// After a logout: back to the provider's registered
/// `post_logout_redirect_uri` (exact match, with `state`), else nyckel's
/// own page.
pub(crate) async fn after_logout(
    s: &AppState,
    t: Tr,
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
            t,
            &t.get("logged-out-heading"),
            t.get("logged-out-text"),
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

/// A provider not entitled to the CPR number asks whether the number the
/// person typed is theirs: yes or no, 3 tries per 15 minutes.
pub(crate) async fn cpr_match(
    State(s): State<AppState>,
    headers: HeaderMap,
    OAuthForm(pairs): OAuthForm,
) -> Response {
    let at = match access_token_of(&s, &headers).await {
        Ok(at) => at,
        Err(r) => return r,
    };
    let cpr = match params::Params::strict(&pairs) {
        Ok(p) => p.get("cpr").copied().map(str::to_owned),
        Err(e) => return oauth_error(&e),
    };
    let Some(cpr) = cpr else {
        return oauth_error(&OAuthError::new(ErrorCode::InvalidRequest, "cpr missing"));
    };
    match s.nyckel.cpr_match(&at, &cpr).await {
        Ok(Ok(m)) => json_response(StatusCode::OK, &json!({ "match": m })),
        Ok(Err(e)) if e.code == ErrorCode::AccessDenied => {
            json_response(StatusCode::TOO_MANY_REQUESTS, &e.to_json())
        }
        Ok(Err(e)) => oauth_error(&e),
        Err(e) => server_error(e),
    }
}
