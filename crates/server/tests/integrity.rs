//! Login integrity under hostile and concurrent use, over real HTTP on both
//! backends: one-time things stay one-time when posted at once, the lockout
//! holds against a burst, planted cookies gain nothing, a key shown and left
//! unanswered counts, one login is one entry in the holder's activity.
//!
//! Concurrency here is real: the requests are sent at the same time from
//! separate tasks, and on PostgreSQL they run in separate transactions.

mod common;
#[path = "common/rp.rs"]
mod rp;

use std::sync::Arc;

use common::{Browser, Page, TestServer, activate, code_for, test_config};
use nyckel_core::credential::{CredentialKind, CredentialStatus};
use reqwest::cookie::{CookieStore, Jar};
use rp::{Consent, PW};
use serde_json::Value;

async fn audit(s: &TestServer, identity_id: &str) -> Vec<(String, Value)> {
    let mut tx = s.store.read().await.unwrap();
    let events = tx.find_audit_by_subject(identity_id, 10_000).await.unwrap();
    tx.commit().await.unwrap();
    events
        .into_iter()
        .map(|e| {
            (
                e.action,
                serde_json::from_str(&e.detail).unwrap_or(Value::Null),
            )
        })
        .collect()
}

async fn count_action(s: &TestServer, identity_id: &str, action: &str) -> usize {
    audit(s, identity_id)
        .await
        .iter()
        .filter(|(a, _)| a == action)
        .count()
}

async fn count_failures(s: &TestServer, identity_id: &str, reason: &str) -> usize {
    audit(s, identity_id)
        .await
        .iter()
        .filter(|(a, d)| a == "login.failed" && d["reason"] == reason)
        .count()
}

/// A browser whose cookie jar the test can read and plant cookies in. It
/// follows redirects within nyckel only.
fn jar_browser(s: &TestServer) -> (Browser, Arc<Jar>) {
    let jar = Arc::new(Jar::default());
    let http = reqwest::Client::builder()
        .default_headers(common::english())
        .cookie_provider(jar.clone())
        .redirect(reqwest::redirect::Policy::custom(|a| {
            if a.url().host_str() == Some("127.0.0.1") {
                a.follow()
            } else {
                a.stop()
            }
        }))
        .build()
        .unwrap();
    (
        Browser {
            base: s.url.clone(),
            http,
        },
        jar,
    )
}

/// The value of the cookie whose name ends with `suffix` (`nyckel_flow`
/// matches `__Host-nyckel_flow` too).
fn cookie(s: &TestServer, jar: &Jar, suffix: &str) -> Option<(String, String)> {
    let url: url::Url = s.url.parse().unwrap();
    let header = jar.cookies(&url)?;
    header.to_str().unwrap().split("; ").find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        k.ends_with(suffix).then(|| (k.to_owned(), v.to_owned()))
    })
}

fn plant(s: &TestServer, jar: &Jar, name: &str, value: &str) {
    let url: url::Url = s.url.parse().unwrap();
    jar.add_cookie_str(&format!("{name}={value}; Path=/"), &url);
}

async fn enrolled_and_active(s: &TestServer) -> nyckel_service::Enrolled {
    let e = s.enroll_demo().await;
    activate(&s.client(), &e, PW).await;
    e
}

async fn page(r: reqwest::Response) -> Page {
    let status = r.status().as_u16();
    let url = r.url().path().to_owned();
    let body = r.text().await.unwrap();
    Page { status, url, body }
}

// ----- finding 1: one code posted at once makes one session -----

#[tokio::test]
async fn one_key_card_code_posted_eight_times_at_once_makes_one_session() {
    for s in TestServer::each(test_config()).await {
        let e = enrolled_and_active(&s).await;
        let before = count_action(&s, &e.identity_id, "login.succeeded").await;
        let b = s.client();
        let p = b.identify_and_password(&e.user_id.to_string(), PW).await;
        let key = p.key_number().expect("a key-card challenge");
        let code = code_for(&e, &key);
        let csrf = p.csrf();
        let mut posts = tokio::task::JoinSet::new();
        for _ in 0..8 {
            let http = b.http.clone();
            let url = format!("{}/login/keycard", s.url);
            let form = [("csrf", csrf.clone()), ("code", code.clone())];
            posts
                .spawn(async move { page(http.post(url).form(&form).send().await.unwrap()).await });
        }
        let pages = posts.join_all().await;
        let logged_in = pages.iter().filter(|p| p.url == "/my").count();
        assert_eq!(
            logged_in,
            1,
            "{:?} on {:?}",
            pages.iter().map(|p| (&p.url, p.status)).collect::<Vec<_>>(),
            s.backend
        );
        let after = count_action(&s, &e.identity_id, "login.succeeded").await;
        assert_eq!(after - before, 1, "sessions made on {:?}", s.backend);
    }
}

// ----- finding 2: the lockout holds against a burst -----

#[tokio::test]
async fn a_burst_of_wrong_passwords_with_the_right_one_among_them_leaves_the_lockout_engaged() {
    for s in TestServer::each(test_config()).await {
        let e = enrolled_and_active(&s).await;
        let uid = e.user_id.to_string();
        // 24 strangers' browsers, each at the password page.
        let mut ready = Vec::new();
        for _ in 0..24 {
            let b = s.client();
            let p = b.get("/login?restart=1").await;
            let p = b
                .post(
                    "/login/identify",
                    &[("csrf", &p.csrf()), ("login_name", &uid)],
                )
                .await;
            ready.push((b, p.csrf()));
        }
        let mut posts = tokio::task::JoinSet::new();
        for (i, (b, csrf)) in ready.into_iter().enumerate() {
            let password = if i == 12 {
                PW.to_owned()
            } else {
                format!("Wrong-Guess-{i}-x")
            };
            let url = format!("{}/login/password", s.url);
            posts.spawn(async move {
                let r = b
                    .http
                    .post(url)
                    .form(&[("csrf", csrf), ("password", password)])
                    .send()
                    .await
                    .unwrap();
                r.status().as_u16()
            });
        }
        let statuses = posts.join_all().await;
        // Nothing failed on the way (a deadlock between settlements on
        // PostgreSQL answered 500 and lost the failure it was recording).
        assert!(!statuses.contains(&500), "{statuses:?} on {:?}", s.backend);
        let evaluated = count_failures(&s, &e.identity_id, "wrong-password").await;
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
        // Policy: 5 untrusted failures, then a pause. The right password may
        // clear the failures reserved before it, once.
        assert!(
            evaluated <= 5 + workers + 5,
            "{evaluated} wrong passwords were checked on {:?} ({statuses:?})",
            s.backend
        );
        // Strangers are paused now, even with the right password, and told so…
        let p = s.client().identify_and_password(&uid, PW).await;
        assert_eq!(p.status, 429, "{}", p.body);
        assert!(p.has("is paused until"), "{}", p.body);
        let mut tx = s.store.read().await.unwrap();
        let pw = tx
            .find_live_credentials(&e.identity_id, CredentialKind::Password)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert!(
            pw[0].counters.untrusted_locked_until.is_some(),
            "{:?} on {:?} ({statuses:?}): {:?}",
            pw[0].counters,
            s.backend,
            audit(&s, &e.identity_id).await
        );
    }
}

// ----- finding 4: a planted flow cookie gains nothing -----

#[tokio::test]
async fn a_planted_flow_cookie_does_not_let_the_planter_allow_the_victims_consent() {
    for s in TestServer::each(test_config()).await {
        let e = enrolled_and_active(&s).await;
        let client = rp::confidential(&s, "borger.example", false).await;
        let (_, challenge) = rp::pkce("planted");
        let url = rp::authorize_url(&s, &client.id, &challenge, &[]);
        // The attacker starts a login for the provider and keeps its cookie.
        let (attacker, attacker_jar) = jar_browser(&s);
        let p = page(attacker.http.get(&url).send().await.unwrap()).await;
        let attacker_csrf = p.csrf();
        let (name, flow) = cookie(&s, &attacker_jar, "nyckel_flow").expect("a flow cookie");
        // …and plants it in the victim's browser, who then logs in.
        let (victim, victim_jar) = jar_browser(&s);
        plant(&s, &victim_jar, &name, &flow);
        let p = victim.get("/login").await;
        let p = victim
            .post(
                "/login/identify",
                &[("csrf", &p.csrf()), ("login_name", &e.user_id.to_string())],
            )
            .await;
        let p = victim
            .post("/login/password", &[("csrf", &p.csrf()), ("password", PW)])
            .await;
        let key = p.key_number().expect("key card");
        let r = victim
            .http
            .post(format!("{}/login/keycard", s.url))
            .form(&[("csrf", p.csrf()), ("code", code_for(&e, &key))])
            .send()
            .await
            .unwrap();
        let p = page(r).await;
        assert!(p.has("action=\"/login/consent\""), "{}", p.body);
        // The planter presses "Allow" on the victim's consent page.
        let r = attacker
            .http
            .post(format!("{}/login/consent", s.url))
            .form(&[("csrf", attacker_csrf.as_str()), ("decision", "allow")])
            .send()
            .await
            .unwrap();
        let location = r
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_owned());
        assert!(
            !location.as_deref().unwrap_or("").contains("code="),
            "the planter got a code on {:?}: {location:?}",
            s.backend
        );
        // The victim's own "Allow" still works.
        let r = victim
            .http
            .post(format!("{}/login/consent", s.url))
            .form(&[("csrf", p.csrf().as_str()), ("decision", "allow")])
            .send()
            .await
            .unwrap();
        let location = r.headers()["location"].to_str().unwrap().to_owned();
        assert!(
            location.starts_with(rp::CB) && location.contains("code="),
            "{location}"
        );
    }
}

// ----- finding 5: a planted device cookie gains nothing -----

#[tokio::test]
async fn a_planted_device_cookie_neither_becomes_trusted_nor_locks_the_holder_out() {
    for s in TestServer::each(test_config()).await {
        let e = s.enroll_demo().await;
        let planted = "ab".repeat(32);
        let (holder, holder_jar) = jar_browser(&s);
        plant(&s, &holder_jar, "nyckel_device", &planted);
        activate(&holder, &e, PW).await;
        let (_, minted) = cookie(&s, &holder_jar, "nyckel_device").expect("a device cookie");
        assert_ne!(
            minted, planted,
            "the server adopted a device cookie it did not mint"
        );
        // The planter, with the planted value, guesses passwords.
        let (attacker, attacker_jar) = jar_browser(&s);
        plant(&s, &attacker_jar, "nyckel_device", &planted);
        for i in 0..6 {
            let p = attacker
                .identify_and_password(&e.user_id.to_string(), &format!("Guess-Number-{i}"))
                .await;
            // Counted as a stranger's: paused from the fifth, never a block.
            assert_eq!(p.status, if i < 4 { 401 } else { 429 }, "attempt {i}");
        }
        let mut tx = s.store.read().await.unwrap();
        let pw = tx
            .find_live_credentials(&e.identity_id, CredentialKind::Password)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(pw[0].status, CredentialStatus::Active, "{:?}", s.backend);
        assert_eq!(
            pw[0].counters.failures, 0,
            "counted as the holder's own device"
        );
        // The holder, on their own device, logs in as usual.
        let p = holder
            .identify_and_password(&e.user_id.to_string(), PW)
            .await;
        assert!(p.key_number().is_some(), "{}", p.body);
    }
}

// ----- finding 6: a key shown and not answered counts -----

#[tokio::test]
async fn new_card_without_a_new_card_keeps_the_key_and_parallel_flows_count_the_key_before() {
    for s in TestServer::each(test_config()).await {
        let e = enrolled_and_active(&s).await;
        let uid = e.user_id.to_string();
        // "New card" pressed again and again shows no other key.
        let b = s.client();
        let mut p = b.identify_and_password(&uid, PW).await;
        let first = p.key_number().unwrap();
        for _ in 0..12 {
            p = b.post("/login/new-card", &[("csrf", &p.csrf())]).await;
            assert_eq!(
                p.key_number().as_deref(),
                Some(first.as_str()),
                "{}",
                p.body
            );
        }
        assert_eq!(b.answer_key(&p, &e).await.url, "/my");
        assert_eq!(
            count_failures(&s, &e.identity_id, "unanswered-key-card").await,
            0
        );
        // Two logins at once: the second key shown makes the first count.
        let one = s.client();
        let two = s.client();
        let p1 = one.identify_and_password(&uid, PW).await;
        let p2 = two.identify_and_password(&uid, PW).await;
        assert_ne!(p1.key_number(), p2.key_number());
        assert_eq!(
            count_failures(&s, &e.identity_id, "unanswered-key-card").await,
            1,
            "{:?}",
            s.backend
        );
        // The first key is no longer valid, even with its right code.
        let r1 = one.answer_key(&p1, &e).await;
        assert_ne!(r1.url, "/my", "{}", r1.body);
        assert_eq!(two.answer_key(&p2, &e).await.url, "/my");
        // Six logins at once, each shown a key: five count, and the card is blocked.
        let mut pages = Vec::new();
        for _ in 0..6 {
            let b = s.client();
            let p = b.identify_and_password(&uid, PW).await;
            pages.push((b, p));
        }
        let mut tx = s.store.read().await.unwrap();
        let cards = tx
            .find_live_credentials(&e.identity_id, CredentialKind::KeyCard)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert!(cards.iter().all(|c| c.status.is_blocked()), "{cards:?}");
    }
}

// ----- finding 10: one login at a provider is one entry -----

#[tokio::test]
async fn one_login_at_a_provider_is_one_entry_in_the_activity() {
    for s in TestServer::each(test_config()).await {
        let e = enrolled_and_active(&s).await;
        let client = rp::confidential(&s, "borger.example", false).await;
        let before = count_action(&s, &e.identity_id, "login.succeeded").await;
        let (_, challenge) = rp::pkce("one-entry");
        let b = rp::browser(&s);
        let landed = rp::login(
            &b,
            &e,
            &rp::authorize_url(&s, &client.id, &challenge, &[]),
            Consent::Allow,
        )
        .await;
        assert!(landed.location.contains("code="));
        let after = count_action(&s, &e.identity_id, "login.succeeded").await;
        assert_eq!(after - before, 1, "{:?}", audit(&s, &e.identity_id).await);
    }
}

// ----- finding 12: cookies over HTTPS -----

#[tokio::test]
async fn over_https_cookies_are_secure_host_cookies_and_hsts_is_sent() {
    let config = nyckel_service::config::Config {
        public_url: "https://nyckel.example.dk".into(),
        ..test_config()
    };
    for s in TestServer::each(config).await {
        let r = reqwest::get(format!("{}/login", s.url)).await.unwrap();
        assert_eq!(
            r.headers()["strict-transport-security"],
            "max-age=31536000",
            "{:?}",
            s.backend
        );
        let set: Vec<&str> = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect();
        assert_eq!(set.len(), 1, "{set:?}");
        let flow = set[0];
        assert!(flow.starts_with("__Host-nyckel_flow="), "{flow}");
        for attribute in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
            assert!(flow.contains(attribute), "{attribute} missing: {flow}");
        }
        assert!(!flow.contains("Domain"), "{flow}");
    }
    // Plain HTTP on loopback (development): no HSTS, plain names.
    let s = TestServer::start(Arc::new(nyckel_testkit::TestDb::sqlite()), test_config()).await;
    let r = reqwest::get(format!("{}/login", s.url)).await.unwrap();
    assert!(r.headers().get("strict-transport-security").is_none());
    let flow = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        flow.starts_with("nyckel_flow=") && !flow.contains("Secure"),
        "{flow}"
    );
}

// ----- an activation code sets one password -----

/// Six logins pass the same activation code (the letter is one-time: only
/// the first new password it leads to may be set); all six then post a new
/// password at once. One password is set, one flow goes on, the others are
/// sent back to log in.
#[tokio::test]
async fn one_activation_code_sets_one_password_when_six_flows_post_at_once() {
    for s in TestServer::each(test_config()).await {
        let e = s.enroll_demo().await;
        let mut flows = Vec::new();
        for _ in 0..6 {
            let b = s.client();
            let p = b
                .identify_and_password(&e.user_id.to_string(), e.activation_code.expose())
                .await;
            assert!(p.has("autocomplete=\"new-password\""), "{}", p.body);
            flows.push((b, p.csrf()));
        }
        let mut posts = tokio::task::JoinSet::new();
        for (i, (b, csrf)) in flows.into_iter().enumerate() {
            posts.spawn(async move {
                let pw = format!("Rødgrød-{i}-med-fløde");
                b.post(
                    "/login/new-password",
                    &[("csrf", &csrf), ("new_password", &pw), ("confirm", &pw)],
                )
                .await
            });
        }
        let mut went_on = 0;
        while let Some(p) = posts.join_next().await {
            let p = p.unwrap();
            assert!(p.status < 500, "{} {}", p.status, p.body);
            if p.has("Terms of use") {
                went_on += 1;
            } else {
                assert!(p.has("activation code has been used"), "{}", p.body);
            }
        }
        assert_eq!(went_on, 1, "one flow goes on to the terms");
        assert_eq!(count_action(&s, &e.identity_id, "password.set").await, 1);
        let mut tx = s.store.read().await.unwrap();
        let live = tx
            .find_live_credentials(&e.identity_id, CredentialKind::Password)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(live.len(), 1, "one password is set");
    }
}

/// The login pages name the service that asked; "cancel and go back"
/// ends the flow once, however many presses arrive at once, answers the
/// provider `access_denied` with its state, and the key shown and not
/// answered counts as a wrong code (once). A cancel with a token that is
/// not the flow's (planted, or another page's) ends nothing.
#[tokio::test]
async fn cancel_names_the_service_goes_back_once_and_counts_the_key() {
    for s in TestServer::each(test_config()).await {
        let e = rp::ready(&s).await;
        let client = rp::confidential(&s, "Skat & Told <Demo>", false).await;
        let (_, challenge) = rp::pkce("cancel");
        let url = rp::authorize_url(&s, &client.id, &challenge, &[]);
        let b = rp::browser(&s);
        let p = b.get_raw(&url).await;
        let named = "You are logging in to <strong class=\"service-name\">Skat &amp; Told &lt;Demo&gt;</strong>";
        assert!(p.has(named), "{}", p.body);
        assert!(
            p.has("Cancel and go back to Skat &#38; Told &#60;Demo&#62;"),
            "{}",
            p.body
        );
        let p = b
            .post(
                "/login/identify",
                &[("csrf", &p.csrf()), ("login_name", &e.user_id.to_string())],
            )
            .await;
        assert!(p.has(named), "password page: {}", p.body);
        let p = b
            .post("/login/password", &[("csrf", &p.csrf()), ("password", PW)])
            .await;
        assert!(p.key_number().is_some(), "{}", p.body);
        assert!(p.has(named), "key-card page: {}", p.body);

        // A planted or stale token: refused, the flow goes on.
        let r = b
            .http
            .post(format!("{}/login/cancel", s.url))
            .form(&[("csrf", "planted")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        assert_eq!(
            count_failures(&s, &e.identity_id, "unanswered-key-card").await,
            0
        );

        let csrf = p.csrf();
        let presses: Vec<_> = (0..8)
            .map(|_| {
                let http = b.http.clone();
                let url = format!("{}/login/cancel", s.url);
                let csrf = csrf.clone();
                tokio::spawn(async move {
                    http.post(url)
                        .form(&[("csrf", csrf.as_str())])
                        .send()
                        .await
                        .unwrap()
                })
            })
            .collect();
        let mut back = Vec::new();
        for t in presses {
            let r = t.await.unwrap();
            if r.status() == 303 {
                back.push(r.headers()["location"].to_str().unwrap().to_owned());
            }
        }
        assert_eq!(back.len(), 1, "{:?}: {back:?}", s.backend);
        assert!(back[0].starts_with(rp::CB), "{}", back[0]);
        assert_eq!(
            rp::param(&back[0], "error").as_deref(),
            Some("access_denied")
        );
        assert_eq!(rp::param(&back[0], "state").as_deref(), Some("st8"));
        assert_eq!(
            count_failures(&s, &e.identity_id, "unanswered-key-card").await,
            1,
            "{:?}",
            s.backend
        );

        // A login for My nyckel says so, and cancelling it goes home.
        let b = s.client();
        let p = b.get("/login").await;
        assert!(p.has("You are logging in to My nyckel."), "{}", p.body);
        let home = b.post("/login/cancel", &[("csrf", &p.csrf())]).await;
        assert_eq!(home.url, "/", "{}", home.body);
    }
}

/// Sends 16 wrong passwords at once under `name`, each from a browser of
/// its own: the statuses, sorted.
async fn wrong_burst(s: &TestServer, name: &str) -> (usize, usize) {
    let mut ready = Vec::new();
    for _ in 0..16 {
        let b = s.client();
        let p = b.get("/login?restart=1").await;
        let p = b
            .post(
                "/login/identify",
                &[("csrf", &p.csrf()), ("login_name", name)],
            )
            .await;
        ready.push((b, p.csrf()));
    }
    let mut posts = tokio::task::JoinSet::new();
    for (i, (b, csrf)) in ready.into_iter().enumerate() {
        let url = format!("{}/login/password", s.url);
        posts.spawn(async move {
            let r = b
                .http
                .post(url)
                .form(&[("csrf", csrf), ("password", format!("Wrong-Guess-{i}-x"))])
                .send()
                .await
                .unwrap();
            r.status().as_u16()
        });
    }
    let statuses = posts.join_all().await;
    let wrong = statuses.iter().filter(|&&c| c == 401).count();
    let paused = statuses.iter().filter(|&&c| c == 429).count();
    (wrong, paused)
}

/// A name that matches nobody is paused after the same failures as a real
/// holder's, also when the wrong passwords arrive at once: of 16 sent
/// together, 4 are answered "wrong", the rest (the fifth failure on) say
/// the pause (its count lives under a keyed hash of the normalised name).
#[tokio::test]
async fn a_burst_under_an_unknown_name_is_paused_like_a_real_one() {
    for s in TestServer::each(test_config()).await {
        let counts = wrong_burst(&s, "070761-4285").await;
        assert_eq!(counts, (4, 12), "on {:?}", s.backend);
        // The same name written another way is the same name.
        let p = s
            .client()
            .identify_and_password("0707614285", "Another-1-x")
            .await;
        assert_eq!(p.status, 429, "{}", p.body);
    }
}

/// A holder whose password is blocked is paused like anybody else: the
/// pause does not tell that the name exists and its password is blocked.
#[tokio::test]
async fn a_burst_under_a_blocked_password_is_paused_like_a_real_one() {
    use nyckel_core::credential::Actor;
    use nyckel_service::BlockTarget;
    for s in TestServer::each(test_config()).await {
        let e = s.enroll_demo().await;
        activate(&s.client(), &e, PW).await;
        s.nyckel
            .block(
                &e.identity_id,
                BlockTarget::Password,
                Actor::Support,
                "operator:test",
                "test",
            )
            .await
            .unwrap()
            .unwrap();
        let counts = wrong_burst(&s, "070761-4285").await;
        assert_eq!(counts, (4, 12), "on {:?}", s.backend);
        // Even the right password is told the pause, as it would be.
        let p = s.client().identify_and_password("0707614285", PW).await;
        assert_eq!(p.status, 429, "{}", p.body);
    }
}
