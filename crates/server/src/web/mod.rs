//! The axum application: routes, pages, cookies, CSRF, throttling.
//!
//! Every form carries a CSRF token bound to the login flow or the session
//! and compared in constant time; cookies are opaque random values whose
//! SHA-256 keys the database rows, so flows and sessions survive a restart
//! and are shared by several server processes.

mod activity;
mod errors;
mod lang;
mod login;
mod my;
mod oidc;
mod pages;

pub(crate) use errors::page::WebError;
pub(crate) use lang::PageLang;

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum_extra::extract::cookie::{Cookie, SameSite};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tower_http::set_header::SetResponseHeaderLayer;

use nyckel_i18n::{Arg, Markup, Tr};
use nyckel_service::{LiveSession, Nyckel, ServiceError};

/// What `nyckel demo` shows on the start page so that a newcomer can log in.
#[derive(Debug, Clone, Default)]
pub struct DemoInfo {
    pub user_id: String,
    pub password: String,
    /// (key number, code) pairs of the demo holder's key card.
    pub key_card: Vec<(String, String)>,
}

/// The handlers' state: one `Arc`, because axum clones the state for every
/// request (twice), and `Nyckel` is several `Arc`s whose counts the
/// cores would otherwise fight over.
#[derive(Clone)]
pub(crate) struct AppState(Arc<AppStateInner>);

impl std::ops::Deref for AppState {
    type Target = AppStateInner;
    fn deref(&self) -> &AppStateInner {
        &self.0
    }
}

pub(crate) struct AppStateInner {
    pub nyckel: Nyckel,
    pub demo: Option<Arc<DemoInfo>>,
    /// Whether cookies are `Secure` and `__Host-` named.
    pub secure_cookies: bool,
    /// Login attempts per client address. In-process: N servers allow N×
    /// this, which is fine for a soft throttle (account lockout is in the database).
    pub ip_limiter: Arc<DefaultKeyedRateLimiter<IpAddr>>,
}

impl AppStateInner {
    pub fn phone(&self) -> &str {
        &self.nyckel.config.support.phone
    }
}

/// The session the browser's cookie names, if live and its holder may act
/// now (single sign-on, logout, My nyckel).
pub(crate) async fn live_session(
    s: &AppState,
    jar: &axum_extra::extract::CookieJar,
) -> Result<Option<LiveSession>, ServiceError> {
    s.nyckel
        .live_session(s.cookie_value(jar, SESSION_COOKIE))
        .await
}

/// nyckel's cookies. Over HTTPS their names carry the `__Host-` prefix:
/// the browser then accepts them only with `Secure`, `Path=/` and no
/// `Domain`, so a sibling subdomain (or a man in the middle on plain HTTP)
/// cannot set or overwrite them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CookieName {
    /// The login flow in progress.
    Flow,
    /// The My nyckel session (single sign-on).
    Session,
    /// The device: minted by the server at a completed login only.
    Device,
    /// The language the holder chose on the language switch.
    Lang,
}

impl CookieName {
    pub(crate) fn as_str(self, secure: bool) -> &'static str {
        match (self, secure) {
            (CookieName::Flow, false) => "nyckel_flow",
            (CookieName::Session, false) => "nyckel_session",
            (CookieName::Device, false) => "nyckel_device",
            (CookieName::Lang, false) => "nyckel_lang",
            (CookieName::Flow, true) => "__Host-nyckel_flow",
            (CookieName::Session, true) => "__Host-nyckel_session",
            (CookieName::Device, true) => "__Host-nyckel_device",
            (CookieName::Lang, true) => "__Host-nyckel_lang",
        }
    }
}

pub(crate) use CookieName::{
    Device as DEVICE_COOKIE, Flow as FLOW_COOKIE, Session as SESSION_COOKIE,
};

impl AppStateInner {
    /// The value of one of nyckel's cookies the browser brought.
    pub(crate) fn cookie_value<'j>(
        &self,
        jar: &'j axum_extra::extract::CookieJar,
        name: CookieName,
    ) -> Option<&'j str> {
        jar.get(name.as_str(self.secure_cookies))
            .map(axum_extra::extract::cookie::Cookie::value)
    }
}

/// Serves until ctrl-c / SIGTERM, then finishes requests in flight.
pub async fn run(
    nyckel: Nyckel,
    listener: tokio::net::TcpListener,
    demo: Option<DemoInfo>,
) -> anyhow::Result<()> {
    let app = router(nyckel.clone(), demo);
    let sweeper = tokio::spawn(sweep_expired(nyckel));
    let served = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await;
    sweeper.abort();
    served?;
    Ok(())
}

/// Deletes expired login flows and sessions once a minute.
async fn sweep_expired(nyckel: Nyckel) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(60));
    loop {
        every.tick().await;
        match sweep(&nyckel).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(removed = n, "expired flows and sessions removed"),
            Err(e) => tracing::warn!(error = %e, "could not remove expired flows"),
        }
    }
}

/// One sweep of what has expired ([`Nyckel::sweep_expired`]).
pub async fn sweep(nyckel: &Nyckel) -> Result<u64, ServiceError> {
    nyckel.sweep_expired().await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}

/// The application. Needs `into_make_service_with_connect_info::<SocketAddr>()`.
pub fn router(nyckel: Nyckel, demo: Option<DemoInfo>) -> Router {
    let per_minute =
        NonZeroU32::new(nyckel.config.ip_attempts_per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
    let secure_cookies = nyckel.config.secure_cookies();
    let hsts = (nyckel.config.is_https() && nyckel.config.hsts_max_age_secs > 0)
        .then(|| HeaderValue::from_str(&format!("max-age={}", nyckel.config.hsts_max_age_secs)))
        .and_then(Result::ok);
    let state = AppState(Arc::new(AppStateInner {
        secure_cookies,
        nyckel,
        demo: demo.map(Arc::new),
        ip_limiter: Arc::new(RateLimiter::keyed(Quota::per_minute(per_minute))),
    }));
    let pages = Router::new()
        .route("/", get(index))
        .route("/help", get(help))
        .route("/lang", post(lang::switch))
        .route("/login", get(login::show))
        .route("/login/identify", post(login::identify))
        .route("/login/password", post(login::password))
        .route("/login/new-password", post(login::new_password))
        .route("/login/terms", post(login::terms))
        .route("/login/report", post(login::report))
        .route("/login/keycard", post(login::keycard))
        .route("/login/new-card", post(login::new_card))
        .route("/login/cancel", post(login::cancel))
        .route("/lost-card", get(login::lost_card_start))
        .route("/login/lost-card", post(login::lost_card))
        .route("/login/consent", post(oidc::consent))
        .route("/my", get(my::show))
        .route("/my/block", post(my::block))
        .route("/my/order-card", post(my::order_card))
        .route("/my/password", post(login::change_password_start))
        .route("/my/alias", post(my::alias))
        .route("/my/language", post(my::language))
        .route("/my/report", post(my::report))
        .route("/my/consent", post(my::withdraw))
        // GET: RP-initiated logout; POST: the logout button in My nyckel.
        .route("/logout", get(oidc::logout).post(my::logout))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ));
    let provider = Router::new()
        .route(
            nyckel_oidc::discovery::paths::DISCOVERY,
            get(oidc::discovery),
        )
        .route(nyckel_oidc::discovery::paths::JWKS, get(oidc::jwks))
        .route(
            nyckel_oidc::discovery::paths::AUTHORIZE,
            get(oidc::authorize_get).post(oidc::authorize_post),
        )
        .route(nyckel_oidc::discovery::paths::TOKEN, post(oidc::token))
        .route(nyckel_oidc::discovery::paths::PAR, post(oidc::par))
        .route(
            nyckel_oidc::discovery::paths::USERINFO,
            get(oidc::userinfo).post(oidc::userinfo),
        )
        .route(nyckel_oidc::discovery::paths::REVOKE, post(oidc::revoke))
        .route(
            nyckel_oidc::discovery::paths::INTROSPECT,
            post(oidc::introspect),
        )
        .route("/cpr-match", post(oidc::cpr_match));
    Router::new()
        .merge(pages)
        .merge(provider)
        .route("/static/style.css", get(style))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .fallback(not_found)
        // One layer, so one boxed service per route: every `Router::layer`
        // call wraps each route in another boxed service, cloned and called
        // for every request. Outermost first.
        .layer(
            tower::ServiceBuilder::new()
                .layer(tower::util::MapResponseLayer::new(move |r| {
                    security_headers(r, hsts.as_ref())
                }))
                .layer(tower_http::trace::TraceLayer::new_for_http())
                .layer(tower_http::timeout::TimeoutLayer::with_status_code(
                    StatusCode::SERVICE_UNAVAILABLE,
                    std::time::Duration::from_secs(30),
                ))
                .layer(tower_http::limit::RequestBodyLimitLayer::new(64 * 1024)),
        )
        .with_state(state)
}

// No `form-action`: browsers apply it to the redirect that follows a form
// post, and the end of a login redirects to the provider.
static CSP: HeaderValue = HeaderValue::from_static(
    "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'",
);
static DENY: HeaderValue = HeaderValue::from_static("DENY");
static NOSNIFF: HeaderValue = HeaderValue::from_static("nosniff");
static NO_REFERRER: HeaderValue = HeaderValue::from_static("no-referrer");

/// The headers every response carries, error responses of the layers
/// (timeout, body limit) included; they replace any the handler set.
fn security_headers<B>(
    mut r: axum::http::Response<B>,
    hsts: Option<&HeaderValue>,
) -> axum::http::Response<B> {
    let h = r.headers_mut();
    h.reserve(5);
    if let Some(v) = hsts {
        h.insert(header::STRICT_TRANSPORT_SECURITY, v.clone());
    }
    h.insert(header::CONTENT_SECURITY_POLICY, CSP.clone());
    h.insert(header::X_FRAME_OPTIONS, DENY.clone());
    h.insert(header::X_CONTENT_TYPE_OPTIONS, NOSNIFF.clone());
    h.insert(header::REFERRER_POLICY, NO_REFERRER.clone());
    r
}

async fn style() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/style.css"),
    )
}

async fn readyz(State(s): State<AppState>) -> Response {
    match s.nyckel.ping().await {
        Ok(()) => "ready".into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

async fn index(State(s): State<AppState>, lang: PageLang) -> Response {
    render(
        StatusCode::OK,
        &pages::Index {
            support_phone: s.phone(),
            t: lang.tr(),
            here: "/",
            demo: s.demo.as_deref(),
        },
    )
}

async fn help(State(s): State<AppState>, lang: PageLang) -> Response {
    let t = lang.tr();
    let schedule = &s.nyckel.config.support;
    let now =
        chrono::DateTime::<chrono::Utc>::from_timestamp_millis(s.nyckel.now()).unwrap_or_default();
    let status = schedule.status(now);
    let fmt = |h: Option<nyckel_core::support::Hours>| {
        h.map_or_else(|| t.get("hours-closed"), |h| h.to_string())
    };
    let special_days = schedule
        .special_days
        .iter()
        .map(|d| {
            let date = t.day_month(d.day, d.month);
            let hours = fmt(d.hours);
            t.with(
                "help-special-day",
                &[("date", Arg::Text(&date)), ("hours", Arg::Text(&hours))],
            )
        })
        .collect();
    let page = pages::Help {
        support_phone: s.phone(),
        t,
        here: "/help",
        open_now: status.open_now,
        today_hours: status.today_hours.map(|h| h.to_string()),
        next_open: status.next_open.map(|l| t.weekday_date_time(&l)),
        weekday_hours: fmt(schedule.weekday),
        weekend_hours: fmt(schedule.weekend_and_holiday),
        special_days,
    };
    render(StatusCode::OK, &page)
}

async fn not_found(State(s): State<AppState>, lang: PageLang) -> Response {
    let t = lang.tr();
    message(
        &s,
        t,
        StatusCode::NOT_FOUND,
        &t.get("not-found-heading"),
        t.get("not-found-text"),
        None,
        false,
    )
}

pub(crate) fn render(status: StatusCode, t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

/// A page that says what happened (`heading`, `message`) and what to do
/// next; `ok` for a confirmation, else an error that offers to start again.
pub(crate) fn message(
    s: &AppState,
    t: Tr,
    status: StatusCode,
    heading: &str,
    message: String,
    next: Option<Markup>,
    ok: bool,
) -> Response {
    render(
        status,
        &pages::Message {
            support_phone: s.phone(),
            t,
            here: if ok { "/my" } else { "/login" },
            heading: heading.to_owned(),
            message,
            next,
            is_error: !ok,
            link: if ok { "/my" } else { "/login?restart=1" },
            link_text: t.get(if ok { "link-my" } else { "link-start-again" }),
        },
    )
}

/// A page that confirms something done, for someone no longer logged in.
pub(crate) fn logged_out(
    s: &AppState,
    t: Tr,
    heading: &str,
    message: String,
    next: Option<Markup>,
) -> Response {
    render(
        StatusCode::OK,
        &pages::Message {
            support_phone: s.phone(),
            t,
            here: "/",
            heading: heading.to_owned(),
            message,
            next,
            is_error: false,
            link: "/login?restart=1",
            link_text: t.get("link-log-in-again"),
        },
    )
}

/// What to do next, with the support line and whether it is open now.
pub(crate) fn support_hint(s: &AppState, t: Tr) -> Markup {
    let line = support_line(s, t);
    t.html("hint-support-html", &[("line", Arg::Markup(&line))])
}

/// What to do after a wrong key-card code.
pub(crate) fn key_card_hint(s: &AppState, t: Tr) -> Markup {
    let line = support_line(s, t);
    t.html("hint-key-card-html", &[("line", Arg::Markup(&line))])
}

/// What to do without a usable key card: order a new one on "Lost your
/// key card?", or call support.
pub(crate) fn new_card_hint(s: &AppState, t: Tr) -> Markup {
    let line = support_line(s, t);
    t.html("hint-new-card-html", &[("line", Arg::Markup(&line))])
}

/// "call support on <a href=tel:…>…</a> (open now)".
fn support_line(s: &AppState, t: Tr) -> Markup {
    let now =
        chrono::DateTime::<chrono::Utc>::from_timestamp_millis(s.nyckel.now()).unwrap_or_default();
    let status = s.nyckel.config.support.status(now);
    let phone = s.phone();
    let tel = tel(phone);
    let number = [("tel", Arg::Text(&tel)), ("phone", Arg::Text(phone))];
    if status.open_now {
        return t.html("support-line-open-html", &number);
    }
    match status.next_open {
        Some(l) => {
            let when = t.weekday_time(&l);
            let [a, b] = number;
            t.html(
                "support-line-opens-html",
                &[a, b, ("when", Arg::Text(&when))],
            )
        }
        None => t.html("support-line-closed-html", &number),
    }
}

/// The support number as a `tel:` target: no spaces.
pub(crate) fn tel(phone: &str) -> String {
    phone.chars().filter(|c| !c.is_whitespace()).collect()
}

pub(crate) fn cookie(
    s: &AppState,
    name: CookieName,
    value: String,
    max_age_secs: i64,
) -> Cookie<'static> {
    let mut c = Cookie::new(name.as_str(s.secure_cookies), value);
    c.set_http_only(true);
    c.set_same_site(SameSite::Lax);
    c.set_path("/");
    c.set_secure(s.secure_cookies);
    c.set_max_age(cookie_time(max_age_secs));
    c
}

fn cookie_time(secs: i64) -> cookie::time::Duration {
    cookie::time::Duration::seconds(secs)
}

pub(crate) fn removal(s: &AppState, name: CookieName) -> Cookie<'static> {
    let mut c = Cookie::new(name.as_str(s.secure_cookies), "");
    c.set_path("/");
    c.set_secure(s.secure_cookies);
    c.make_removal();
    c
}
