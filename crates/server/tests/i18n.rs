//! The three languages over real HTTP: pages in Danish and Swedish hold no
//! text of the English catalog; the language switch keeps the holder's
//! choice, returns to the page and refuses another site; a provider's
//! `ui_locales` chooses the login's language unless the holder chose.

mod common;
#[path = "common/rp.rs"]
mod rp;

use common::*;
use nyckel_i18n::{Lang, literal_texts};

const PW: &str = "Tusind-Tak-Aarhus-7";

/// What a person reads on a page: the text without tags, entities decoded.
fn visible(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The English texts a page in `lang` must not hold: every literal run of
/// the English catalog (tags cut out) of six characters or more that the
/// other catalog does not hold too.
fn english_texts(lang: Lang) -> Vec<(String, String)> {
    let theirs: Vec<String> = literal_texts(lang).into_iter().map(|(_, t)| t).collect();
    let mut out = vec![];
    for (id, text) in literal_texts(Lang::En) {
        for piece in visible(&text).split("  ") {
            let piece = piece
                .trim()
                .trim_matches(|c: char| c.is_ascii_punctuation())
                .trim();
            if piece.chars().count() >= 6 && !theirs.iter().any(|t| t.contains(piece)) {
                out.push((id.clone(), piece.to_owned()));
            }
        }
    }
    assert!(out.len() > 150, "{} English texts", out.len());
    out
}

fn assert_in(lang: Lang, what: &str, p: &Page, english: &[(String, String)]) {
    assert!(
        p.body.contains(&format!("<html lang=\"{}\">", lang.code())),
        "{what}: not lang={}: {}",
        lang.code(),
        p.body
    );
    let text = visible(&p.body);
    for (id, piece) in english {
        assert!(
            !text.contains(piece.as_str()),
            "{what} in {}: English text of {id} ({piece:?}) on the page:\n{text}",
            lang.code()
        );
    }
}

#[tokio::test]
async fn pages_in_danish_and_swedish_hold_no_english() {
    for s in TestServer::each(test_config()).await {
        let e = s.enroll_demo().await;
        for (lang, accept) in [(Lang::Da, "da-DK,da;q=0.9,en;q=0.5"), (Lang::Sv, "sv-FI")] {
            let english = english_texts(lang);
            let b = Browser::speaking(&s.url, accept);
            let check = |what: &str, p: &Page| assert_in(lang, what, p, &english);
            check("start page", &b.get("/").await);
            check("help", &b.get("/help").await);
            let p = b.get("/nowhere").await;
            assert_eq!(p.status, 404);
            check("not found", &p);
            let p = b.get("/login?restart=1").await;
            check("identify", &p);
            let p = b
                .post(
                    "/login/identify",
                    &[("csrf", &p.csrf()), ("login_name", "1")],
                )
                .await;
            assert_eq!(p.status, 400);
            check("bad login name", &p);
            let user_id = e.user_id.to_string();
            let p = b.identify_and_password(&user_id, "not-the-code").await;
            assert_eq!(p.status, 401, "{}", p.body);
            assert!(p.body.contains("href=\"tel:"), "{}", p.body);
            check("wrong password", &p);
            if lang == Lang::Sv {
                // The first language activated the identity: log in.
                let p = b.identify_and_password(&user_id, PW).await;
                check("key card", &p);
                let wrong = b
                    .post("/login/keycard", &[("csrf", &p.csrf()), ("code", "000000")])
                    .await;
                assert_eq!(wrong.status, 401);
                check("wrong code", &wrong);
                let p = b.answer_key(&wrong, &e).await;
                assert_eq!(p.url, "/my", "{}", p.body);
                check("My nyckel", &p);
            } else {
                let p = b
                    .identify_and_password(&user_id, e.activation_code.expose())
                    .await;
                check("choose password", &p);
                let p = b
                    .post(
                        "/login/new-password",
                        &[
                            ("csrf", &p.csrf()),
                            ("new_password", "sommer"),
                            ("confirm", "sommer"),
                        ],
                    )
                    .await;
                assert_eq!(p.status, 400);
                check("password refused", &p);
                let p = b
                    .post(
                        "/login/new-password",
                        &[("csrf", &p.csrf()), ("new_password", PW), ("confirm", PW)],
                    )
                    .await;
                check("terms", &p);
                let p = b.post("/login/terms", &[("csrf", &p.csrf())]).await;
                assert_eq!(p.status, 400);
                check("terms not accepted", &p);
                let p = b
                    .post("/login/terms", &[("csrf", &p.csrf()), ("accept", "yes")])
                    .await;
                check("key card", &p);
                let p = b.answer_key(&p, &e).await;
                assert_eq!(p.url, "/my", "{}", p.body);
                check("My nyckel", &p);
            }
            let my = b.get("/my?done=alias").await;
            check("My nyckel with a notice", &my);
            let p = b
                .post("/my/alias", &[("csrf", &my.csrf()), ("alias", "1234")])
                .await;
            assert_eq!(p.status, 400);
            check("username refused", &p);
            let p = b
                .post("/my/block", &[("csrf", &my.csrf()), ("what", "key-card")])
                .await;
            check("confirm block", &p);
            let p = b.post("/my/order-card", &[("csrf", &my.csrf())]).await;
            check("card ordered", &p);
            let p = b.post("/logout", &[("csrf", &my.csrf())]).await;
            check("logged out", &p);
            // A lost card, with the password alone (last: the card is
            // replaced, and the next language logs in with the old one).
            if lang != Lang::Sv {
                continue;
            }
            let p = b.get("/lost-card").await;
            check("lost card", &p);
            let p = b
                .post(
                    "/login/identify",
                    &[("csrf", &p.csrf()), ("login_name", &user_id)],
                )
                .await;
            let p = b
                .post("/login/password", &[("csrf", &p.csrf()), ("password", PW)])
                .await;
            check("lost card confirmation", &p);
            let p = b.post("/login/lost-card", &[("csrf", &p.csrf())]).await;
            check("lost card blocked", &p);
        }
    }
}

/// A client that does not follow redirects, to read `Set-Cookie`.
fn raw(accept: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(reqwest::header::HeaderMap::from_iter([(
            reqwest::header::ACCEPT_LANGUAGE,
            reqwest::header::HeaderValue::from_str(accept).unwrap(),
        )]))
        .build()
        .unwrap()
}

#[tokio::test]
async fn the_language_switch_keeps_the_choice_and_returns_to_the_page() {
    let s = TestServer::each(test_config()).await.remove(0);
    let b = Browser::speaking(&s.url, "da");
    assert!(b.get("/help").await.has("<html lang=\"da\">"));
    // Every page offers the three languages, without JavaScript.
    let p = b.get("/").await;
    for l in Lang::ALL {
        assert!(
            p.has(&format!("name=\"lang\" value=\"{}\"", l.code())),
            "{}",
            p.body
        );
    }
    let p = b.post("/lang", &[("lang", "sv"), ("back", "/help")]).await;
    assert_eq!((p.status, p.url.as_str()), (200, "/help"));
    assert!(p.has("<html lang=\"sv\">"), "{}", p.body);
    // The choice wins over the browser's language on every page after.
    assert!(b.get("/login").await.has("<html lang=\"sv\">"));

    let http = raw("da");
    let url = format!("{}/lang", s.url);
    let r = http
        .post(&url)
        .form(&[("lang", "en"), ("back", "/my")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/my");
    let set = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    for part in [
        "nyckel_lang=en",
        "HttpOnly",
        "SameSite=Lax",
        "Path=/",
        "Max-Age=31536000",
    ] {
        assert!(set.contains(part), "{set}");
    }
    // Only nyckel's own pages are returned to.
    for back in ["https://evil.example/", "//evil.example", "/my/../../x", ""] {
        let r = http
            .post(&url)
            .form(&[("lang", "en"), ("back", back)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()["location"], "/", "{back}");
    }
    // Another site cannot switch a holder's language; a language nyckel
    // does not speak changes nothing.
    for (headers, lang, status) in [
        (vec![("sec-fetch-site", "cross-site")], "en", 403),
        (vec![("origin", "https://evil.example")], "en", 403),
        (vec![], "xx", 400),
        (vec![], "en\r\nSet-Cookie: x=1", 400),
    ] {
        let mut req = http.post(&url).form(&[("lang", lang), ("back", "/")]);
        for (k, v) in headers {
            req = req.header(k, v);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), status, "{lang}");
        assert!(r.headers().get("set-cookie").is_none(), "{lang}");
        let body = r.text().await.unwrap();
        assert!(body.contains("<html lang=\"da\">"), "{body}");
    }
    // A planted cookie value that is no language is ignored.
    let r = http
        .get(format!("{}/help", s.url))
        .header("cookie", "nyckel_lang=klingon")
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("<html lang=\"da\">"));
}

#[tokio::test]
async fn ui_locales_chooses_the_login_language_unless_the_holder_chose() {
    let s = TestServer::each(test_config()).await.remove(0);
    let client = rp::confidential(&s, "Borger.dk", false).await;
    let (_, challenge) = rp::pkce("ui");
    let url = rp::authorize_url(&s, &client.id, &challenge, &[("ui_locales", "de sv-SE en")]);
    let b = Browser::speaking(&s.url, "da");
    let p = b.get_raw(&url).await;
    assert_eq!(p.url, "/login");
    assert!(p.has("<html lang=\"sv\">"), "{}", p.body);
    // Outside the provider's login, the browser's language.
    assert!(b.get("/help").await.has("<html lang=\"da\">"));
    // The holder's choice wins for the rest of the flow.
    let p = b.post("/lang", &[("lang", "en"), ("back", "/login")]).await;
    assert_eq!(p.url, "/login");
    assert!(p.has("<html lang=\"en\">"), "{}", p.body);
    let p = b
        .post(
            "/login/identify",
            &[("csrf", &p.csrf()), ("login_name", "123456789")],
        )
        .await;
    assert!(p.has("<html lang=\"en\">"), "{}", p.body);
}

#[tokio::test]
async fn the_holder_changes_the_language_of_their_letters_in_my_nyckel() {
    for s in TestServer::each(test_config()).await {
        let e = s.enroll_demo().await;
        let b = s.client();
        let my = activate(&b, &e, PW).await;
        assert!(my.has("lang=\"en\">English</dd>"), "{}", my.body);
        let stored = |s: &TestServer| {
            let store = s.store.clone();
            let id = e.identity_id.clone();
            async move {
                let mut tx = store.read().await.unwrap();
                let row = tx.find_identity(&id).await.unwrap().unwrap();
                tx.commit().await.unwrap();
                row.language
            }
        };
        // A forged form (no session's token) and a language nyckel does not
        // speak change nothing.
        let p = b
            .post("/my/language", &[("csrf", "forged"), ("language", "sv")])
            .await;
        assert_eq!(p.status, 403);
        let p = b
            .post("/my/language", &[("csrf", &my.csrf()), ("language", "de")])
            .await;
        assert_eq!(p.status, 400);
        assert_eq!(stored(&s).await, Lang::En);
        let p = b
            .post("/my/language", &[("csrf", &my.csrf()), ("language", "sv")])
            .await;
        assert_eq!(p.url, "/my");
        assert!(p.has("lang=\"sv\">Svenska</dd>"), "{}", p.body);
        assert!(
            p.has(&nyckel_i18n::Tr::new(Lang::En).get("notice-language")),
            "{}",
            p.body
        );
        assert_eq!(stored(&s).await, Lang::Sv);
    }
}
