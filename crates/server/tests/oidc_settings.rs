//! Client settings and the provider's error map over real HTTP, on both
//! backends: a client's access-token lifetime (`expires_in`, the JWT's
//! `exp`, and when UserInfo stops honouring the token), and a PostgreSQL
//! pool with no free connection answering 503 with `Retry-After` — a page
//! that says so, and `temporarily_unavailable` at the token endpoint.

mod common;
#[path = "common/rp.rs"]
mod rp;

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{TestServer, default_now, test_config};
use nyckel_oidc::client::{AccessTokenLifetime, ClientAuthMethod, GrantType, SubjectType};
use nyckel_service::clock::ManualClock;
use nyckel_service::provider::NewClient as ServiceClient;
use nyckel_store::{Store, StoreOptions};
use nyckel_testkit::TestDb;
use rp::*;
use serde_json::Value;

/// The payload of a JWT, unverified (the tests only read `iat`/`exp`).
fn payload(jwt: &str) -> Value {
    let part = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

fn client(name: &str, grants: Vec<GrantType>, lifetime: AccessTokenLifetime) -> ServiceClient {
    let logs_in = grants.contains(&GrantType::AuthorizationCode);
    ServiceClient {
        name: name.into(),
        redirect_uris: if logs_in { vec![CB.into()] } else { vec![] },
        post_logout_redirect_uris: vec![],
        auth_method: ClientAuthMethod::ClientSecretBasic,
        allow_cpr: false,
        require_par: false,
        subject_type: SubjectType::Pairwise,
        jwks: None,
        jwks_uri: None,
        grant_types: grants,
        access_token_lifetime: lifetime,
    }
}

async fn register_with(s: &TestServer, c: &ServiceClient) -> Registered {
    let (id, secret) = s.nyckel.register_client(c, "operator:test").await.unwrap();
    Registered {
        id,
        secret: secret.map(|s| s.expose().to_owned()),
    }
}

fn lifetime(secs: i64) -> AccessTokenLifetime {
    AccessTokenLifetime::from_secs(secs).unwrap()
}

#[tokio::test]
async fn access_token_lifetime_is_a_client_setting() {
    for s in TestServer::each(test_config()).await {
        // A machine client with 15 minutes, one with the default.
        let long = register_with(
            &s,
            &client("long", vec![GrantType::ClientCredentials], lifetime(900)),
        )
        .await;
        let default = register_with(
            &s,
            &client(
                "default",
                vec![GrantType::ClientCredentials],
                AccessTokenLifetime::default(),
            ),
        )
        .await;
        for (c, secs) in [(&long, 900), (&default, 300)] {
            let t = post_form(
                &s,
                "/token",
                Some(c),
                &[("grant_type", "client_credentials")],
            )
            .await;
            assert_eq!(t.status, 200, "{}", t.json);
            assert_eq!(t.json["expires_in"], secs, "{:?}", s.backend);
            let at = payload(t.json["access_token"].as_str().unwrap());
            assert_eq!(
                at["exp"].as_i64().unwrap() - at["iat"].as_i64().unwrap(),
                secs
            );
        }

        // A client that logs people in, with two minutes: the code's
        // access token says so, and UserInfo honours it exactly that long.
        let e = ready(&s).await;
        let short = register_with(
            &s,
            &client(
                "short",
                vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
                lifetime(120),
            ),
        )
        .await;
        let t = tokens_for(&s, &browser(&s), &e, &short, &[]).await;
        assert_eq!(t["expires_in"], 120, "{t}");
        let token = t["access_token"].as_str().unwrap();
        let at = payload(token);
        assert_eq!(at["exp"].as_i64().unwrap(), now_secs(&s) + 120);
        s.clock.advance_secs(119);
        assert_eq!(userinfo(&s, token).await.status, 200);
        s.clock.advance_secs(1);
        assert_eq!(userinfo(&s, token).await.status, 401, "expired at 120 s");
        // Refreshed tokens live as long.
        let r = post_form(
            &s,
            "/token",
            Some(&short),
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", t["refresh_token"].as_str().unwrap()),
            ],
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.json);
        assert_eq!(r.json["expires_in"], 120);
    }
}

/// PostgreSQL with one pooled connection, held by the test: whatever needs
/// the database waits the pool's acquire timeout, then answers 503 with
/// `Retry-After` — never 500 — and nothing changed.
#[tokio::test]
async fn busy_postgres_pool_answers_503() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let store = Store::open(
        &db.url,
        &StoreOptions {
            max_connections: 1,
            acquire_timeout: Duration::from_millis(300),
        },
    )
    .await
    .unwrap();
    let s = TestServer::start_on(
        Arc::new(db),
        store,
        test_config(),
        ManualClock::new(default_now()),
    )
    .await;
    let machine = register_with(
        &s,
        &client("machine", vec![GrantType::ClientCredentials], lifetime(300)),
    )
    .await;
    let person = register_with(
        &s,
        &client(
            "person",
            vec![GrantType::AuthorizationCode],
            AccessTokenLifetime::default(),
        ),
    )
    .await;

    let held = s.store.write().await.unwrap();

    // A page: the authorization request looks its client up.
    let (_, challenge) = pkce("busy");
    let r = reqwest::Client::new()
        .get(authorize_url(&s, &person.id, &challenge, &[]))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers()["retry-after"], "30");
    let body = r.text().await.unwrap();
    assert!(body.contains("nyckel is very busy"), "{body}");

    // The token endpoint: an OAuth error a client knows to retry.
    let t = post_form(
        &s,
        "/token",
        Some(&machine),
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(t.status, 503, "{}", t.json);
    assert_eq!(t.error(), "temporarily_unavailable");
    assert_eq!(t.headers["retry-after"], "30");
    assert!(
        !t.json["error_description"]
            .as_str()
            .unwrap_or("")
            .contains("pool"),
        "no internal detail: {}",
        t.json
    );

    // Once the connection is free again, the same request succeeds.
    held.rollback().await.unwrap();
    let t = post_form(
        &s,
        "/token",
        Some(&machine),
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(t.status, 200, "{}", t.json);
}
