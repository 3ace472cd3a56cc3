//! The page's language (R-SELF-3, issue 9): the holder's choice on the
//! language switch (a cookie), then the provider's `ui_locales` (carried by
//! the login flow), then the browser's `Accept-Language`, then Danish.
//!
//! The switch is a form on every page posting `lang` and the page to return
//! to (`back`, one of nyckel's own pages: the login comes back to the step
//! its flow is at). It changes nothing but the cookie, and a cross-site
//! post of it is refused, so another site cannot switch a holder's
//! language.

use axum::Form;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use nyckel_i18n::{Lang, Tr};
use serde::Deserialize;

use super::{AppState, CookieName, cookie, message};

/// How long the choice is kept: a year.
const KEEP_SECS: i64 = 365 * 86_400;

/// What a request says about its language.
#[derive(Debug, Clone)]
pub(crate) struct PageLang {
    /// The holder's own choice (the language cookie), if valid.
    chosen: Option<Lang>,
    accept: Option<String>,
}

impl PageLang {
    /// The language of a page outside a provider's login.
    pub(crate) fn tr(&self) -> Tr {
        self.tr_for(None)
    }

    /// The language of a login page, whose flow may carry `ui_locales`.
    pub(crate) fn tr_for(&self, ui_locales: Option<Lang>) -> Tr {
        Tr::new(
            self.chosen
                .or(ui_locales)
                .or_else(|| self.accept.as_deref().and_then(Lang::from_accept_language))
                .unwrap_or_default(),
        )
    }

    fn from_parts(s: &AppState, headers: &HeaderMap) -> PageLang {
        let jar = CookieJar::from_headers(headers);
        PageLang {
            chosen: s
                .cookie_value(&jar, CookieName::Lang)
                .and_then(|v| v.parse().ok()),
            accept: headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.chars().take(256).collect()),
        }
    }
}

impl FromRequestParts<AppState> for PageLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Self::Rejection> {
        Ok(PageLang::from_parts(s, &parts.headers))
    }
}

/// The pages the switch may return to; anything else returns to the start.
const BACK: [&str; 4] = ["/", "/help", "/my", "/login"];

#[derive(Deserialize)]
pub(crate) struct SwitchForm {
    lang: String,
    back: Option<String>,
}

/// `POST /lang`: keeps the holder's choice and returns to the page.
pub(crate) async fn switch(
    State(s): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    Form(f): Form<SwitchForm>,
) -> Response {
    let current = PageLang::from_parts(&s, &headers);
    if cross_site(&headers) {
        return message(
            &s,
            current.tr(),
            StatusCode::FORBIDDEN,
            &current.tr().get("csrf-heading"),
            current.tr().get("csrf-text"),
            None,
            false,
        );
    }
    let Ok(lang) = f.lang.parse::<Lang>() else {
        return message(
            &s,
            current.tr(),
            StatusCode::BAD_REQUEST,
            &current.tr().get("not-found-heading"),
            current.tr().get("not-found-text"),
            None,
            false,
        );
    };
    let back = f
        .back
        .as_deref()
        .and_then(|b| BACK.iter().find(|p| **p == b))
        .copied()
        .unwrap_or("/");
    let c = cookie(&s, CookieName::Lang, lang.code().to_owned(), KEEP_SECS);
    (jar.add(c), Redirect::to(back)).into_response()
}

/// Whether the browser says the form came from another site. Browsers
/// send `Sec-Fetch-Site`; older ones send `Origin` on a cross-site post,
/// compared with `Host`.
fn cross_site(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return !matches!(site, "same-origin" | "none");
    }
    match (
        headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
        headers.get(header::HOST).and_then(|v| v.to_str().ok()),
    ) {
        (Some(origin), Some(host)) => {
            let origin_host = origin.split_once("://").map_or(origin, |(_, h)| h);
            origin == "null" || !origin_host.eq_ignore_ascii_case(host)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn h(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for (k, v) in pairs {
            m.insert(*k, HeaderValue::from_static(v));
        }
        m
    }

    #[test]
    fn ok_cross_site_is_told_apart() {
        assert!(!cross_site(&h(&[("sec-fetch-site", "same-origin")])));
        assert!(cross_site(&h(&[("sec-fetch-site", "cross-site")])));
        assert!(cross_site(&h(&[("sec-fetch-site", "same-site")])));
        assert!(!cross_site(&h(&[
            ("origin", "http://127.0.0.1:80"),
            ("host", "127.0.0.1:80")
        ])));
        assert!(cross_site(&h(&[
            ("origin", "https://evil.example"),
            ("host", "nyckel.dk")
        ])));
        assert!(cross_site(&h(&[("origin", "null"), ("host", "nyckel.dk")])));
        assert!(!cross_site(&h(&[])));
    }
}
