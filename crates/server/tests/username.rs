//! The username over real HTTP on SQLite and PostgreSQL: shown as the
//! holder typed it, matched by its key (Unicode NFC, lower case), so a
//! login in another case or with a decomposed accent finds the holder and
//! a second holder cannot take a variant, also when both ask at the same
//! moment; and My nyckel's activity and username on a phone, in a real
//! browser.

#[allow(dead_code)] // the helpers this file does not use serve browser.rs
#[path = "common/browser.rs"]
mod browser_support;
mod common;

use std::sync::Arc;

use common::*;
use nyckel_core::alias::Alias;
use nyckel_core::lang::Lang;
use nyckel_service::Enrolled;

const PW: &str = "Tusind-Tak-Aarhus-7";

/// The username as My nyckel shows it (`None`: "none").
fn shown_username(p: &Page) -> Option<String> {
    let start = p.body.find("<dd class=\"username\">")?;
    let rest = &p.body[start..];
    let dd = &rest[..rest.find("</dd>")?];
    let i = dd.find("<span translate=\"no\">")? + "<span translate=\"no\">".len();
    let j = dd[i..].find("</span>")? + i;
    Some(dd[i..j].to_owned())
}

async fn set_username(b: &Browser, name: &str) -> Page {
    let my = b.get("/my").await;
    b.post("/my/alias", &[("csrf", &my.csrf()), ("alias", name)])
        .await
}

/// Logs in with `name` as the login name: password, then the key card.
async fn log_in_as(s: &TestServer, e: &Enrolled, name: &str) -> Page {
    let b = s.client();
    let p = b.identify_and_password(name, PW).await;
    assert!(p.key_number().is_some(), "{name}: {}", p.body);
    b.answer_key(&p, e).await
}

#[tokio::test]
async fn username_shown_as_typed_and_matched_by_its_key() {
    for s in TestServer::each(test_config()).await {
        eprintln!("backend {:?}", s.backend);
        let e = s.enroll_demo().await;
        let b = s.client();
        let my = activate(&b, &e, PW).await;
        assert_eq!(shown_username(&my), None);
        assert!(my.has("<em>none</em>"), "{}", my.body);
        assert!(my.has("Choose a username"), "{}", my.body);
        assert!(!my.has("Change your username"));

        // Saved as typed: the notice page and the page after show it,
        // offer to change it and fill the field with it.
        let p = set_username(&b, "  Mette.Hansen ").await;
        assert_eq!(p.url, "/my", "{}", p.body);
        assert!(p.has("Your username has been saved"), "{}", p.body);
        for p in [p, b.get("/my").await] {
            assert_eq!(shown_username(&p).as_deref(), Some("Mette.Hansen"));
            assert!(p.has("Change your username"), "{}", p.body);
            assert!(!p.has("Choose a username"), "{}", p.body);
            assert!(p.has("value=\"Mette.Hansen\""), "{}", p.body);
            assert!(!p.has("mette.hansen"), "the key is never shown");
        }

        // Any case logs in.
        for name in ["METTE.HANSEN", "mette.hansen", "Mette.Hansen"] {
            let p = log_in_as(&s, &e, name).await;
            assert_eq!(p.url, "/my", "{name}: {}", p.body);
            assert_eq!(shown_username(&p).as_deref(), Some("Mette.Hansen"));
        }

        // Changing only the case of one's own username is no conflict.
        let p = set_username(&b, "mette.HANSEN").await;
        assert!(p.has("Your username has been saved"), "{}", p.body);
        assert_eq!(shown_username(&p).as_deref(), Some("mette.HANSEN"));

        // A decomposed accent is composed: shown composed, found by either.
        let p = set_username(&b, "Mette.A\u{30a}berg").await;
        assert!(p.has("Your username has been saved"), "{}", p.body);
        assert_eq!(shown_username(&p).as_deref(), Some("Mette.Åberg"));
        for name in ["mette.åberg", "METTE.A\u{30a}BERG"] {
            let p = log_in_as(&s, &e, name).await;
            assert_eq!(p.url, "/my", "{name}: {}", p.body);
        }
        let row = {
            let mut tx = s.store.read().await.unwrap();
            let row = tx.find_identity(&e.identity_id).await.unwrap().unwrap();
            tx.commit().await.unwrap();
            row
        };
        assert_eq!(row.alias.as_deref(), Some("Mette.Åberg"));
        assert_eq!(row.alias_key.as_deref(), Some("mette.åberg"));
    }
}

#[tokio::test]
async fn a_second_holder_is_refused_every_variant() {
    for s in TestServer::each(test_config()).await {
        eprintln!("backend {:?}", s.backend);
        let first = s.enroll_demo().await;
        let second = s.enroll_second().await;
        let b1 = s.client();
        activate(&b1, &first, PW).await;
        let b2 = s.client();
        activate(&b2, &second, PW).await;

        let p = set_username(&b1, "Mette.Hånsen").await;
        assert!(p.has("Your username has been saved"), "{}", p.body);
        for variant in [
            "mette.hånsen",
            "METTE.HÅNSEN",
            "Mette.Ha\u{30a}nsen",
            " mette.hånsen ",
        ] {
            let p = set_username(&b2, variant).await;
            assert_eq!(p.status, 409, "{variant}: {}", p.body);
            assert!(p.has("That username is taken"), "{variant}: {}", p.body);
            assert_eq!(shown_username(&p), None, "{variant}");
            assert!(p.has("Choose a username"), "{variant}");
        }
        // The first holder keeps it, as typed; the login still finds them.
        assert_eq!(
            shown_username(&b1.get("/my").await).as_deref(),
            Some("Mette.Hånsen")
        );
        let p = log_in_as(&s, &first, "METTE.HA\u{30a}NSEN").await;
        assert_eq!(p.url, "/my");
        assert!(p.has(&first.user_id.to_string()), "the first holder");
        // Another username is the second holder's to take.
        let p = set_username(&b2, "Jens.Nielsen").await;
        assert!(p.has("Your username has been saved"), "{}", p.body);
    }
}

/// Two holders asking for variants of one username at the same moment:
/// exactly one has it (the unique index on the key decides), the other is
/// told it is taken. Several rounds, each a new username and variant pair.
#[tokio::test]
async fn two_holders_racing_for_variants_exactly_one_wins() {
    for s in TestServer::each(test_config()).await {
        eprintln!("backend {:?}", s.backend);
        let first = s.enroll_demo().await;
        let second = s.enroll_second().await;
        let (b1, b2) = (s.client(), s.client());
        activate(&b1, &first, PW).await;
        activate(&b2, &second, PW).await;
        let rounds = [
            ("Mette.Hansen", "METTE.HANSEN"),
            ("Ma\u{30a}ns.Berg", "måns.berg"),
            ("søren ærø", "SØREN  ÆRØ"),
            ("Åsa.Lind", "A\u{30a}SA.LIND"),
        ];
        for (one, other) in rounds {
            let (csrf1, csrf2) = (b1.get("/my").await.csrf(), b2.get("/my").await.csrf());
            let form1 = [("csrf", csrf1.as_str()), ("alias", one)];
            let form2 = [("csrf", csrf2.as_str()), ("alias", other)];
            let (p1, p2) =
                tokio::join!(b1.post("/my/alias", &form1), b2.post("/my/alias", &form2),);
            let won = |p: &Page| p.status == 200 && p.has("Your username has been saved");
            let lost = |p: &Page| p.status == 409 && p.has("That username is taken");
            assert!(
                (won(&p1) && lost(&p2)) || (lost(&p1) && won(&p2)),
                "{one} / {other}: {} {}",
                p1.status,
                p2.status
            );
            let (winner, typed) = if won(&p1) {
                (&first, one)
            } else {
                (&second, other)
            };
            let key = Alias::parse(one).unwrap();
            let mut tx = s.store.read().await.unwrap();
            let row = tx.find_identity_by_alias(&key).await.unwrap().unwrap();
            assert_eq!(row.id, winner.identity_id, "{one}");
            assert_eq!(
                row.alias.as_deref(),
                Some(Alias::parse(typed).unwrap().display())
            );
            tx.commit().await.unwrap();
        }
    }
}

/// My nyckel on a 375-pixel phone, in Danish (the longest dates): no
/// sideways scrolling, no date broken over two lines, a 48-letter username
/// inside the page. Screenshots in `target/screenshots/username-*`.
#[tokio::test]
async fn activity_and_username_fit_a_phone_in_a_real_browser() {
    use browser_support::{click, main_text, overflows_sideways, path, screenshot, type_into};
    use fantoccini::Locator;
    use nyckel_i18n::Tr;

    const PHONE_375: (u32, u32) = (375, 812);
    let Some(browser) = browser_support::Browser::launch().await else {
        return;
    };
    let s = TestServer::start(Arc::new(nyckel_testkit::TestDb::sqlite()), test_config()).await;
    let e = s.enroll_demo().await;
    let b = s.client();
    activate(&b, &e, PW).await;
    let long = "Anne-Marie.Vestergaard-Christiansen.Aarhus.Nord";
    let p = set_username(&b, long).await;
    assert!(p.has("Your username has been saved"), "{}", p.body);
    // A few logins for the activity.
    for _ in 0..3 {
        log_in_as(&s, &e, long).await;
    }

    let c = browser.client.clone();
    let (base, user_id) = (s.url.clone(), e.user_id.to_string());
    let code = |key: &str| code_for(&e, key);
    let codes: Vec<(String, String)> = e
        .key_card
        .keys
        .iter()
        .map(|(k, _)| (k.to_string(), code(&k.to_string())))
        .collect();
    let run = tokio::spawn(async move {
        let t = Tr::new(Lang::Da);
        c.goto(&format!("{base}/")).await.unwrap();
        click(&c, Lang::Da.endonym()).await;
        c.goto(&format!("{base}/login")).await.unwrap();
        type_into(&c, &t.get("login-name-label"), &user_id).await;
        click(&c, &t.get("action-next")).await;
        type_into(&c, &t.get("password-label"), PW).await;
        click(&c, &t.get("action-next")).await;
        let key = c
            .find(Locator::Css("[data-key-number]"))
            .await
            .unwrap()
            .attr("data-key-number")
            .await
            .unwrap()
            .unwrap();
        let code = &codes.iter().find(|(k, _)| *k == key).unwrap().1;
        type_into(&c, &t.arg("keycard-code-label", "key", &key), code).await;
        click(&c, &t.get("action-log-in")).await;
        assert_eq!(path(&c).await, "/my");
        assert!(main_text(&c).await.contains(long));

        screenshot(&c, "username-my-phone-375", PHONE_375).await;
        assert!(
            !overflows_sideways(&c, PHONE_375.0).await,
            "My nyckel scrolls sideways at 375 px"
        );
        // Lines each date takes: distinct tops of its text's line boxes.
        let lines = c
            .execute(
                "return Array.from(document.querySelectorAll('table.activity td.when')).map(td => {
                   const r = document.createRange(); r.selectNodeContents(td);
                   return new Set(Array.from(r.getClientRects()).map(x => Math.round(x.top))).size;
                 });",
                vec![],
            )
            .await
            .unwrap();
        let lines: Vec<u64> = serde_json::from_value(lines).unwrap();
        assert!(lines.len() >= 4, "{lines:?}");
        assert!(lines.iter().all(|&n| n == 1), "a date wraps: {lines:?}");
        let right = c
            .execute(
                "return Math.ceil(document.querySelector('dd.username').getBoundingClientRect().right);",
                vec![],
            )
            .await
            .unwrap();
        assert!(
            right.as_u64().unwrap() <= u64::from(PHONE_375.0),
            "the username sticks out: {right}"
        );
        // On a laptop the activity is a table again.
        screenshot(&c, "username-my-laptop", browser_support::LAPTOP).await;
        let display = c
            .execute(
                "return getComputedStyle(document.querySelector('table.activity td.when')).display;",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(display, "table-cell");
    });
    let outcome = run.await;
    browser.close().await;
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}
