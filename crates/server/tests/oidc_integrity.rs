//! Findings of an outside security test, each as a black-box test over real
//! HTTP on both backends (one, the busy database, on SQLite only: see its
//! comment): a person blocked after a code or token was issued, a code
//! replayed after refreshes or after the sweep, introspection by a client
//! the token was not issued to, a pushed request burnt by another client,
//! a redirect URI with a control character, and a busy store at the OAuth
//! JSON endpoints.

mod common;
#[path = "common/rp.rs"]
mod rp;

use std::sync::Arc;

use common::TestServer;
use nyckel_core::credential::Actor;
use nyckel_oidc::client::{ClientAuthMethod, SubjectType};
use nyckel_service::clock::ManualClock;
use nyckel_service::{BlockTarget, Enrolled};
use nyckel_store::{Store, StoreOptions};
use nyckel_testkit::TestDb;
use rp::*;
use serde_json::json;

/// Logs in for `client` and returns the code and its PKCE verifier.
async fn code_and_verifier(
    s: &TestServer,
    e: &Enrolled,
    client: &Registered,
    extra: &[(&str, &str)],
) -> (String, String) {
    let (verifier, challenge) = pkce("integrity");
    let landed = login(
        &browser(s),
        e,
        &authorize_url(s, &client.id, &challenge, extra),
        Consent::Allow,
    )
    .await;
    (param(&landed.location, "code").expect("a code"), verifier)
}

async fn redeem(s: &TestServer, client: &Registered, code: &str, verifier: &str) -> Direct {
    post_form(
        s,
        "/token",
        Some(client),
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", CB),
            ("code_verifier", verifier),
        ],
    )
    .await
}

async fn refresh(s: &TestServer, client: &Registered, rt: &str) -> Direct {
    post_form(
        s,
        "/token",
        Some(client),
        &[("grant_type", "refresh_token"), ("refresh_token", rt)],
    )
    .await
}

async fn introspect(s: &TestServer, client: &Registered, token: &str) -> Direct {
    post_form(s, "/introspect", Some(client), &[("token", token)]).await
}

/// A token error: status 400 (401 for `invalid_client`), JSON, `no-store`,
/// and no token in the body.
fn assert_token_error(d: &Direct, error: &str) {
    let status = if error == "invalid_client" { 401 } else { 400 };
    assert_eq!(d.status, status, "{}", d.json);
    assert_eq!(d.error(), error, "{}", d.json);
    assert_eq!(d.headers["cache-control"], "no-store");
    for token in ["access_token", "id_token", "refresh_token"] {
        assert!(d.json.get(token).is_none(), "{}", d.json);
    }
}

/// UserInfo refuses the token: 401 `invalid_token`.
async fn assert_userinfo_refused(s: &TestServer, at: &str) {
    let ui = userinfo(s, at).await;
    assert_eq!(ui.status, 401, "{}", ui.json);
    assert_eq!(ui.error(), "invalid_token", "{}", ui.json);
}

/// An operator blocks the person's identity (*spærring*).
async fn block(s: &TestServer, e: &Enrolled) {
    s.nyckel
        .block(
            &e.identity_id,
            BlockTarget::Identity,
            Actor::Operator,
            "test",
            "reason",
        )
        .await
        .unwrap()
        .unwrap();
}

// ----- 3. a blocked person -----

#[tokio::test]
async fn a_code_issued_before_a_block_redeems_no_tokens() {
    for s in TestServer::each(common::test_config()).await {
        let e = ready(&s).await;
        let c = confidential(&s, "rp", false).await;
        let (code, verifier) = code_and_verifier(&s, &e, &c, &[]).await;
        block(&s, &e).await;
        let d = redeem(&s, &c, &code, &verifier).await;
        assert_token_error(&d, "invalid_grant");
    }
}

#[tokio::test]
async fn tokens_issued_before_a_block_are_refused_after_it() {
    for s in TestServer::each(common::test_config()).await {
        let e = ready(&s).await;
        let c = confidential(&s, "rp", false).await;
        let t = tokens_for(&s, &browser(&s), &e, &c, &[]).await;
        let at = t["access_token"].as_str().unwrap();
        let rt = t["refresh_token"].as_str().unwrap();
        assert_eq!(userinfo(&s, at).await.status, 200);
        for token in [at, rt] {
            let d = introspect(&s, &c, token).await;
            assert_eq!(d.json["active"], true, "{}", d.json);
        }
        block(&s, &e).await;
        assert_userinfo_refused(&s, at).await;
        for token in [at, rt] {
            let d = introspect(&s, &c, token).await;
            assert_eq!(d.status, 200, "{}", d.json);
            assert_eq!(d.json, json!({ "active": false }), "{token}");
        }
        assert_token_error(&refresh(&s, &c, rt).await, "invalid_grant");
        let r = reqwest::Client::new()
            .post(format!("{}/cpr-match", s.url))
            .bearer_auth(at)
            .form(&[("cpr", "0707614285")])
            .send()
            .await
            .unwrap();
        let d = Direct::read(r).await;
        assert_eq!(d.status, 401, "{}", d.json);
        assert_eq!(d.error(), "invalid_token", "{}", d.json);
    }
}

#[tokio::test]
async fn access_tokens_live_five_minutes() {
    for s in TestServer::each(common::test_config()).await {
        let e = ready(&s).await;
        let c = confidential(&s, "rp", false).await;
        let t = tokens_for(&s, &browser(&s), &e, &c, &[]).await;
        assert_eq!(t["expires_in"], 300, "{t}");
        let at = t["access_token"].as_str().unwrap();
        assert_eq!(jwt_json(at, 1)["exp"], now_secs(&s) + 300);
        let fresh = refresh(&s, &c, t["refresh_token"].as_str().unwrap()).await;
        assert_eq!(fresh.json["expires_in"], 300, "{}", fresh.json);
        s.clock.advance_secs(299);
        assert_eq!(userinfo(&s, at).await.status, 200);
        s.clock.advance_secs(2);
        assert_userinfo_refused(&s, at).await;
        let d = introspect(&s, &c, at).await;
        assert_eq!(d.json, json!({ "active": false }));
    }
}

// ----- 7. a replayed code -----

#[tokio::test]
async fn a_code_replay_revokes_the_tokens_refreshed_from_it() {
    for s in TestServer::each(common::test_config()).await {
        let e = ready(&s).await;
        let c = confidential(&s, "rp", false).await;
        let (code, verifier) = code_and_verifier(&s, &e, &c, &[]).await;
        let first = redeem(&s, &c, &code, &verifier).await;
        assert_eq!(first.status, 200, "{}", first.json);
        let second = refresh(&s, &c, first.json["refresh_token"].as_str().unwrap()).await;
        assert_eq!(second.status, 200, "{}", second.json);
        let at2 = second.json["access_token"].as_str().unwrap();
        let rt2 = second.json["refresh_token"].as_str().unwrap();
        assert_eq!(userinfo(&s, at2).await.status, 200);

        assert_token_error(&redeem(&s, &c, &code, &verifier).await, "invalid_grant");
        assert_userinfo_refused(&s, first.json["access_token"].as_str().unwrap()).await;
        assert_userinfo_refused(&s, at2).await;
        assert_token_error(&refresh(&s, &c, rt2).await, "invalid_grant");
    }
}

#[tokio::test]
async fn a_code_replay_after_the_sweep_still_revokes() {
    for s in TestServer::each(common::test_config()).await {
        let e = ready(&s).await;
        let c = confidential(&s, "rp", false).await;
        let (code, verifier) = code_and_verifier(&s, &e, &c, &[]).await;
        let first = redeem(&s, &c, &code, &verifier).await;
        assert_eq!(first.status, 200, "{}", first.json);
        let second = refresh(&s, &c, first.json["refresh_token"].as_str().unwrap()).await;
        assert_eq!(second.status, 200, "{}", second.json);
        let at2 = second.json["access_token"].as_str().unwrap();
        let rt2 = second.json["refresh_token"].as_str().unwrap();
        // The code has expired (60 s) and the sweep has run.
        s.clock.advance_secs(61);
        nyckel_server::web::sweep(&s.nyckel).await.unwrap();
        assert_eq!(userinfo(&s, at2).await.status, 200);

        assert_token_error(&redeem(&s, &c, &code, &verifier).await, "invalid_grant");
        assert_userinfo_refused(&s, at2).await;
        assert_token_error(&refresh(&s, &c, rt2).await, "invalid_grant");
    }
}

// ----- 8. introspection -----

#[tokio::test]
async fn introspection_is_active_only_for_the_client_the_token_was_issued_to() {
    for s in TestServer::each(common::test_config()).await {
        let e = ready(&s).await;
        let c = confidential(&s, "rp", false).await;
        let other = confidential(&s, "other", false).await;
        let t = tokens_for(&s, &browser(&s), &e, &c, &[]).await;
        let at = t["access_token"].as_str().unwrap();
        let rt = t["refresh_token"].as_str().unwrap();
        for token in [at, rt] {
            let d = introspect(&s, &other, token).await;
            assert_eq!(d.status, 200, "{}", d.json);
            assert_eq!(d.json, json!({ "active": false }), "{token}");
            let d = introspect(&s, &c, token).await;
            assert_eq!(d.json["active"], true, "{}", d.json);
            assert_eq!(d.json["client_id"], c.id.as_str(), "{}", d.json);
        }
        // A machine's token (client credentials): the same rule.
        let (machine, secret) = s
            .nyckel
            .add_client(
                "machine",
                vec![],
                vec![],
                ClientAuthMethod::ClientSecretBasic,
                false,
                false,
                SubjectType::Public,
                None,
                None,
                vec!["client_credentials".into()],
                "operator:test",
            )
            .await
            .unwrap();
        let machine = Registered {
            id: machine,
            secret: secret.map(|s| s.expose().to_owned()),
        };
        let d = post_form(
            &s,
            "/token",
            Some(&machine),
            &[("grant_type", "client_credentials")],
        )
        .await;
        assert_eq!(d.status, 200, "{}", d.json);
        let mt = d.json["access_token"].as_str().unwrap();
        let d = introspect(&s, &c, mt).await;
        assert_eq!(d.json, json!({ "active": false }));
        let d = introspect(&s, &machine, mt).await;
        assert_eq!(d.json["active"], true, "{}", d.json);
    }
}

#[tokio::test]
async fn introspection_by_a_public_client_is_invalid_client() {
    for s in TestServer::each(common::test_config()).await {
        let e = ready(&s).await;
        let c = confidential(&s, "rp", false).await;
        let public = register(&s, NewClient::new("app.demo", ClientAuthMethod::None)).await;
        let t = tokens_for(&s, &browser(&s), &e, &c, &[]).await;
        for token in [
            t["access_token"].as_str().unwrap(),
            t["refresh_token"].as_str().unwrap(),
            "no-such-token",
        ] {
            let d = post_form(
                &s,
                "/introspect",
                None,
                &[("client_id", &public.id), ("token", token)],
            )
            .await;
            assert_eq!(d.status, 401, "{}", d.json);
            assert_eq!(d.error(), "invalid_client", "{}", d.json);
            assert!(d.json.get("active").is_none(), "{}", d.json);
        }
    }
}

#[tokio::test]
async fn introspection_without_client_authentication_is_invalid_client() {
    for s in TestServer::each(common::test_config()).await {
        let e = ready(&s).await;
        let c = confidential(&s, "rp", false).await;
        let t = tokens_for(&s, &browser(&s), &e, &c, &[]).await;
        let d = post_form(
            &s,
            "/introspect",
            None,
            &[("token", t["access_token"].as_str().unwrap())],
        )
        .await;
        assert_eq!(d.status, 401, "{}", d.json);
        assert_eq!(d.error(), "invalid_client", "{}", d.json);
        assert!(d.json.get("active").is_none(), "{}", d.json);
    }
}

// ----- 9. pushed requests and redirect URIs -----

#[tokio::test]
async fn another_client_presenting_a_request_uri_does_not_burn_it() {
    for s in TestServer::each(common::test_config()).await {
        let e = ready(&s).await;
        let c = confidential(&s, "rp", false).await;
        let other = confidential(&s, "other", false).await;
        let (_, challenge) = pkce("par");
        let form = [
            ("response_type", "code"),
            ("client_id", c.id.as_str()),
            ("redirect_uri", CB),
            ("scope", "openid profile"),
            ("state", "st8"),
            ("nonce", "n0nce"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ];
        let d = post_form(&s, "/par", Some(&c), &form).await;
        assert_eq!(d.status, 201, "{}", d.json);
        let request_uri = urlencode(d.json["request_uri"].as_str().unwrap());
        let by = |client_id: &str| {
            format!(
                "{}/authorize?client_id={client_id}&request_uri={request_uri}",
                s.url
            )
        };
        // The other client is refused, on a page (never a redirect).
        let r = reqwest::Client::builder()
            .default_headers(common::english())
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .get(by(&other.id))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        assert!(r.headers().get("location").is_none());
        let body = r.text().await.unwrap();
        assert!(body.contains("invalid_request_uri"), "{body}");
        // The owner's request_uri still works.
        let landed = login(&browser(&s), &e, &by(&c.id), Consent::Allow).await;
        assert!(
            param(&landed.location, "code").is_some(),
            "{}",
            landed.location
        );
    }
}

#[tokio::test]
async fn a_redirect_uri_with_control_characters_or_whitespace_is_refused_at_registration() {
    for s in TestServer::each(common::test_config()).await {
        for bad in [
            "https://rp.example/cb\nX",
            "https://rp.example/cb\r\nX",
            "https://rp.example/c\tb",
            "https://rp.example/c b",
            "https://rp.example/cb\u{7f}",
            " https://rp.example/cb",
            "https://rp.example/cb\n",
        ] {
            for (redirect, logout) in [
                (vec![bad.to_owned()], vec![]),
                (vec![CB.into()], vec![bad.to_owned()]),
            ] {
                let r = s
                    .nyckel
                    .add_client(
                        "rp",
                        redirect,
                        logout,
                        ClientAuthMethod::ClientSecretBasic,
                        false,
                        false,
                        SubjectType::Pairwise,
                        None,
                        None,
                        vec!["authorization_code".into()],
                        "operator:test",
                    )
                    .await;
                assert!(r.is_err(), "{bad:?} was registered");
            }
        }
        let mut tx = s.store.read().await.unwrap();
        assert!(tx.find_clients().await.unwrap().is_empty());
    }
}

// ----- 11. a busy store -----

/// Another process (here: a second store on the same file, as a CLI
/// command would be) holds SQLite's write lock for longer than the store
/// waits for it (10 s): the OAuth JSON endpoints that write answer 503
/// `temporarily_unavailable` with `Retry-After`, as the pages do. SQLite
/// only: on PostgreSQL nothing in the store gives up with `Busy` (a writer
/// waits on a row lock for as long as it takes), so it cannot be forced
/// there. Takes 10 s.
#[tokio::test]
async fn a_busy_store_answers_503_temporarily_unavailable_at_the_oauth_endpoints() {
    let db = Arc::new(TestDb::sqlite());
    let store = db.open().await;
    let s = TestServer::start_on(
        db.clone(),
        store,
        common::test_config(),
        ManualClock::new(common::default_now()),
    )
    .await;
    let e = ready(&s).await;
    let c = confidential(&s, "rp", false).await;
    let (code, verifier) = code_and_verifier(&s, &e, &c, &[]).await;
    let t = tokens_for(&s, &browser(&s), &e, &c, &[]).await;
    let rt = t["refresh_token"].as_str().unwrap();
    // The signing keys exist and the client is cached: nothing but the
    // requests' own writes waits for the lock.
    s.nyckel.jwks().await.unwrap();

    let other = Store::open(&db.url, &StoreOptions::default())
        .await
        .unwrap();
    let held = other.write().await.unwrap();
    let (_, challenge) = pkce("busy");
    let par_form = [
        ("response_type", "code"),
        ("client_id", c.id.as_str()),
        ("redirect_uri", CB),
        ("scope", "openid profile"),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
    ];
    let revoke_form = [("token", rt)];
    let (code_grant, refresh_grant, par, revoke) = tokio::join!(
        redeem(&s, &c, &code, &verifier),
        refresh(&s, &c, rt),
        post_form(&s, "/par", Some(&c), &par_form),
        post_form(&s, "/revoke", Some(&c), &revoke_form),
    );
    held.rollback().await.unwrap();
    for (name, d) in [
        ("token (code)", &code_grant),
        ("token (refresh)", &refresh_grant),
        ("par", &par),
        ("revoke", &revoke),
    ] {
        assert_eq!(d.status, 503, "{name}: {}", d.json);
        assert_eq!(d.error(), "temporarily_unavailable", "{name}: {}", d.json);
        assert!(d.headers.contains_key("retry-after"), "{name}");
        assert_eq!(d.headers["cache-control"], "no-store", "{name}");
    }
    // Nothing happened: once the lock is free, the code still redeems.
    let d = redeem(&s, &c, &code, &verifier).await;
    assert_eq!(d.status, 200, "{}", d.json);
}
