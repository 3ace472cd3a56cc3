//! The OpenID provider's refusals over real HTTP, one test per rule, on
//! both backends: the exact OAuth error code and how it is delivered (a
//! JSON error with its HTTP status, a redirect to a registered URI with
//! `state` and `iss`, or a page when nyckel must not redirect).

mod common;
#[path = "common/rp.rs"]
mod rp;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::TestServer;
use nyckel_oidc::client::ClientAuthMethod;
use openidconnect::core::{CoreIdToken, CoreJsonWebKeySet};
use openidconnect::{ClaimsVerificationError, ClientId, IdTokenVerifier, IssuerUrl, Nonce};
use rp::*;
use serde_json::{Value, json};

/// A client that does not follow any redirect (to see exactly what nyckel answers).
fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .default_headers(common::english())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Logs in for `client` and returns the code and its PKCE verifier.
async fn code_and_verifier(
    s: &TestServer,
    b: &common::Browser,
    e: &nyckel_service::Enrolled,
    client: &Registered,
) -> (String, String) {
    let (verifier, challenge) = pkce("code");
    let landed = login(
        b,
        e,
        &authorize_url(s, &client.id, &challenge, &[]),
        Consent::Allow,
    )
    .await;
    (param(&landed.location, "code").expect("a code"), verifier)
}

async fn redeem(s: &TestServer, client: &Registered, form: &[(&str, &str)]) -> Direct {
    let mut f = vec![("grant_type", "authorization_code")];
    f.extend_from_slice(form);
    post_form(s, "/token", Some(client), &f).await
}

/// A token error: status 400 (401 for `invalid_client`), JSON, `no-store`.
fn assert_token_error(d: &Direct, error: &str) {
    let status = if error == "invalid_client" { 401 } else { 400 };
    assert_eq!(d.status, status, "{}", d.json);
    assert_eq!(d.error(), error, "{}", d.json);
    assert_eq!(d.headers["cache-control"], "no-store");
}

/// A redirect to the registered URI with `error`, our `state` and `iss`.
fn assert_redirect_error(s: &TestServer, location: &str, error: &str) {
    assert!(location.starts_with(CB), "{location}");
    assert_eq!(
        param(location, "error").as_deref(),
        Some(error),
        "{location}"
    );
    assert_eq!(
        param(location, "state").as_deref(),
        Some("st8"),
        "{location}"
    );
    assert_eq!(param(location, "iss").as_deref(), Some(s.url.as_str()));
    assert_eq!(param(location, "code"), None);
}

/// GET of an authorization request in `b`, expecting a redirect out of nyckel.
async fn redirected(b: &common::Browser, url: &str) -> String {
    match outcome(b.http.get(url).send().await.unwrap()).await {
        Outcome::Redirect(l) => l,
        Outcome::Page(p) => panic!("expected a redirect, got page {}: {}", p.status, p.body),
    }
}

/// GET of an authorization request that must end on nyckel's error page:
/// 400, no `Location`, never a redirect.
async fn error_page(url: &str) -> String {
    let r = no_redirects().get(url).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.headers().get("location").is_none());
    let body = r.text().await.unwrap();
    assert!(body.contains("login request is not valid"), "{body}");
    body
}

#[tokio::test]
async fn wrong_pkce_verifier_is_invalid_grant() {
    for s in TestServer::each(common::test_config()).await {
        let e = ready(&s).await;
        let c = confidential(&s, "rp", false).await;
        let (code, _) = code_and_verifier(&s, &browser(&s), &e, &c).await;
        let (other, _) = pkce("another-verifier");
        let d = redeem(
            &s,
            &c,
            &[
                ("code", &code),
                ("redirect_uri", CB),
                ("code_verifier", &other),
            ],
        )
        .await;
        assert_token_error(&d, "invalid_grant");
    }
}

#[tokio::test]
async fn missing_pkce_verifier_is_invalid_grant() {
    for s in TestServer::each(common::test_config()).await {
        let e = ready(&s).await;
        let c = confidential(&s, "rp", false).await;
        let (code, _) = code_and_verifier(&s, &browser(&s), &e, &c).await;
        let d = redeem(&s, &c, &[("code", &code), ("redirect_uri", CB)]).await;
        assert_token_error(&d, "invalid_grant");
    }
}

#[tokio::test]
async fn code_replay_is_invalid_grant_and_revokes_the_first_access_token() {
    for s in TestServer::each(common::test_config()).await {
        let e = ready(&s).await;
        let c = confidential(&s, "rp", false).await;
        let (code, verifier) = code_and_verifier(&s, &browser(&s), &e, &c).await;
        let form = [
            ("code", code.as_str()),
            ("redirect_uri", CB),
            ("code_verifier", &verifier),
        ];
        let first = redeem(&s, &c, &form).await;
        assert_eq!(first.status, 200, "{}", first.json);
        let at = first.json["access_token"].as_str().unwrap();
        assert_eq!(userinfo(&s, at).await.status, 200);
        assert_token_error(&redeem(&s, &c, &form).await, "invalid_grant");
        let ui = userinfo(&s, at).await;
        assert_eq!(ui.status, 401, "{}", ui.json);
        assert_eq!(ui.error(), "invalid_token");
        // The refresh token from the first exchange is revoked too.
        let rt = first.json["refresh_token"].as_str().unwrap();
        let d = post_form(
            &s,
            "/token",
            Some(&c),
            &[("grant_type", "refresh_token"), ("refresh_token", rt)],
        )
        .await;
        assert_token_error(&d, "invalid_grant");
    }
}

#[tokio::test]
async fn expired_code_is_invalid_grant() {
    for s in TestServer::each(common::test_config()).await {
        let e = ready(&s).await;
        let c = confidential(&s, "rp", false).await;
        let (code, verifier) = code_and_verifier(&s, &browser(&s), &e, &c).await;
        s.clock.advance_secs(61);
        let d = redeem(
            &s,
            &c,
            &[
                ("code", &code),
                ("redirect_uri", CB),
                ("code_verifier", &verifier),
            ],
        )
        .await;
        assert_token_error(&d, "invalid_grant");
    }
}

#[tokio::test]
async fn unregistered_redirect_uri_at_authorize_is_a_page_not_a_redirect() {
    for s in TestServer::each(common::test_config()).await {
        let c = confidential(&s, "rp", false).await;
        let (_, challenge) = pkce("v");
        for evil in [
            "https://evil.example/cb",
            "https://rp.example/cb/",
            "https://rp.example/cb?x=1",
            "http://rp.example/cb",
        ] {
            let url = authorize_url(&s, &c.id, &challenge, &[]).replace(
                &format!("redirect_uri={}", urlencode(CB)),
                &format!("redirect_uri={}", urlencode(evil)),
            );
            assert!(url.contains(&urlencode(evil)));
            let body = error_page(&url).await;
            assert!(body.contains("invalid_request"), "{body}");
        }
    }
}

#[tokio::test]
async fn unknown_client_id_at_authorize_is_a_page() {
    for s in TestServer::each(common::test_config()).await {
        let (_, challenge) = pkce("v");
        let body = error_page(&authorize_url(&s, "nyckel-nobody", &challenge, &[])).await;
        assert!(body.contains("invalid_client"), "{body}");
        // Missing client_id: the same.
        let url = authorize_url(&s, "x", &challenge, &[]).replace("client_id=x&", "");
        error_page(&url).await;
    }
}

#[tokio::test]
async fn redirect_uri_mismatch_at_token_is_invalid_grant() {
    for s in TestServer::each(common::test_config()).await {
        let e = ready(&s).await;
        let c = s
            .nyckel
            .add_client(
                "two-uris",
                vec![CB.into(), "https://rp.example/other".into()],
                vec![],
                ClientAuthMethod::ClientSecretBasic,
                false,
                false,
                nyckel_oidc::client::SubjectType::Pairwise,
                None,
                None,
                vec!["authorization_code".into()],
                "operator:test",
            )
            .await
            .unwrap();
        let c = Registered {
            id: c.0,
            secret: c.1.map(|s| s.expose().to_owned()),
        };
        let b = browser(&s);
        let (code, verifier) = code_and_verifier(&s, &b, &e, &c).await;
        let d = redeem(
            &s,
            &c,
            &[
                ("code", &code),
                ("redirect_uri", "https://rp.example/other"),
                ("code_verifier", &verifier),
            ],
        )
        .await;
        assert_token_error(&d, "invalid_grant");
        // Leaving it out when the request named it: also refused (RFC 6749 §4.1.3).
        let (code, verifier) = code_and_verifier(&s, &b, &e, &c).await;
        let d = redeem(&s, &c, &[("code", &code), ("code_verifier", &verifier)]).await;
        assert_token_error(&d, "invalid_grant");
    }
}

#[tokio::test]
async fn wrong_client_secret_is_401_invalid_client_with_challenge() {
    for s in TestServer::each(common::test_config()).await {
        let e = ready(&s).await;
        let c = confidential(&s, "rp", false).await;
        let (code, verifier) = code_and_verifier(&s, &browser(&s), &e, &c).await;
        let wrong = Registered {
            id: c.id.clone(),
            secret: Some("not-the-secret".into()),
        };
        let form = [
            ("code", code.as_str()),
            ("redirect_uri", CB),
            ("code_verifier", &verifier),
        ];
        let d = redeem(&s, &wrong, &form).await;
        assert_token_error(&d, "invalid_client");
        let challenge = d.headers["www-authenticate"].to_str().unwrap();
        assert!(challenge.starts_with("Basic"), "{challenge}");
        // No secret at all for a confidential client: the same.
        let d = post_form(
            &s,
            "/token",
            None,
            &[
                ("grant_type", "authorization_code"),
                ("client_id", &c.id),
                ("code", &code),
                ("redirect_uri", CB),
                ("code_verifier", &verifier),
            ],
        )
        .await;
        assert_token_error(&d, "invalid_client");
        assert!(d.headers.contains_key("www-authenticate"));
        // The code was not spent by the refused requests.
        assert_eq!(redeem(&s, &c, &form).await.status, 200);
    }
}

/// Builds a JWT by hand from header and payload JSON and a signature.
fn jwt(header: &Value, payload: &Value, sign: impl Fn(&[u8]) -> Vec<u8>) -> String {
    let h = URL_SAFE_NO_PAD.encode(header.to_string());
    let p = URL_SAFE_NO_PAD.encode(payload.to_string());
    let input = format!("{h}.{p}");
    let sig = URL_SAFE_NO_PAD.encode(sign(input.as_bytes()));
    format!("{input}.{sig}")
}

fn hs256(key: &[u8], data: &[u8]) -> Vec<u8> {
    let k = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, key);
    aws_lc_rs::hmac::sign(&k, data).as_ref().to_vec()
}

/// RFC 6750 §3.1: a request without any token gets the bare challenge, no
/// error code; a bad token gets `invalid_token`.
#[tokio::test]
async fn userinfo_without_a_token_gets_a_challenge_without_an_error_code() {
    let db = std::sync::Arc::new(nyckel_testkit::TestDb::sqlite());
    let s = TestServer::start(db, common::test_config()).await;
    let http = reqwest::Client::new();
    for path in ["/userinfo", "/cpr-match"] {
        let r = http
            .post(format!("{}{path}", s.url))
            .form(&[("cpr", "0101701234")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 401, "{path}");
        let challenge = r.headers()["www-authenticate"].to_str().unwrap().to_owned();
        assert_eq!(challenge, "Bearer", "{path}");
        assert!(r.text().await.unwrap().is_empty(), "{path}: no error body");
        let r = http
            .post(format!("{}{path}", s.url))
            .form(&[("cpr", "0101701234")])
            .bearer_auth("not-a-token")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 401, "{path}");
        let challenge = r.headers()["www-authenticate"].to_str().unwrap().to_owned();
        assert!(
            challenge.contains("error=\"invalid_token\""),
            "{path}: {challenge}"
        );
    }
}

#[tokio::test]
async fn alg_none_and_hs256_with_the_public_key_are_refused_at_userinfo() {
    for s in TestServer::each(common::test_config()).await {
        let e = ready(&s).await;
        let c = confidential(&s, "rp", false).await;
        let t = tokens_for(&s, &browser(&s), &e, &c, &[]).await;
        let real = t["access_token"].as_str().unwrap();
        assert_eq!(userinfo(&s, real).await.status, 200);
        let header = jwt_json(real, 0);
        let payload = jwt_json(real, 1);
        let kid = header["kid"].as_str().unwrap();

        let mut forged = Vec::new();
        // alg none, with and without an (empty) signature.
        let none = json!({ "alg": "none", "typ": "at+jwt", "kid": kid });
        let unsigned = jwt(&none, &payload, |_| Vec::new());
        forged.push(("none", unsigned.clone()));
        forged.push(("none-no-dot", unsigned.trim_end_matches('.').to_owned()));
        forged.push((
            "None",
            jwt(&json!({ "alg": "None", "typ": "at+jwt" }), &payload, |_| {
                Vec::new()
            }),
        ));
        // HS256 "signed" with the provider's public keys, as published.
        let jwks: Value = reqwest::get(format!("{}/jwks", s.url))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for k in jwks["keys"].as_array().unwrap() {
            let kid = k["kid"].as_str().unwrap();
            let hs = json!({ "alg": "HS256", "typ": "at+jwt", "kid": kid });
            let mut secrets: Vec<Vec<u8>> = vec![k.to_string().into_bytes()];
            for member in ["x", "y", "n"] {
                if let Some(v) = k[member].as_str() {
                    secrets.push(v.as_bytes().to_vec());
                    secrets.push(URL_SAFE_NO_PAD.decode(v).unwrap());
                }
            }
            if let (Some(x), Some(y)) = (k["x"].as_str(), k["y"].as_str()) {
                let mut point = vec![4u8];
                point.extend(URL_SAFE_NO_PAD.decode(x).unwrap());
                point.extend(URL_SAFE_NO_PAD.decode(y).unwrap());
                secrets.push(point);
            }
            for secret in secrets {
                forged.push(("HS256", jwt(&hs, &payload, |d| hs256(&secret, d))));
            }
        }
        for (what, token) in forged {
            let d = userinfo(&s, &token).await;
            assert_eq!(d.status, 401, "{what}: {}", d.json);
            assert_eq!(d.error(), "invalid_token", "{what}");
            let challenge = d.headers["www-authenticate"].to_str().unwrap();
            assert!(
                challenge.starts_with("Bearer") && challenge.contains("invalid_token"),
                "{challenge}"
            );
        }
        // The ID token is not an access token either.
        let d = userinfo(&s, t["id_token"].as_str().unwrap()).await;
        assert_eq!(d.status, 401);
    }
}

#[tokio::test]
async fn nonce_mismatch_is_caught_by_the_rp_library() {
    for s in TestServer::each(common::test_config()).await {
        let e = ready(&s).await;
        let c = confidential(&s, "rp", false).await;
        let t = tokens_for(&s, &browser(&s), &e, &c, &[]).await;
        let id_token: CoreIdToken = t["id_token"].as_str().unwrap().parse().unwrap();
        let jwks: CoreJsonWebKeySet = reqwest::get(format!("{}/jwks", s.url))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let verifier = IdTokenVerifier::new_confidential_client(
            ClientId::new(c.id.clone()),
            openidconnect::ClientSecret::new(c.secret.clone().unwrap()),
            IssuerUrl::new(s.url.clone()).unwrap(),
            jwks,
        )
        .set_allowed_algs([openidconnect::core::CoreJwsSigningAlgorithm::EcdsaP256Sha256])
        .set_time_fn(clock_fn(&s));
        // The request's nonce (authorize_url sends n0nce) passes…
        id_token
            .claims(&verifier, &Nonce::new("n0nce".into()))
            .unwrap();
        // …a tampered expectation does not.
        let err = id_token
            .claims(&verifier, &Nonce::new("n0nce-tampered".into()))
            .expect_err("nonce mismatch");
        assert!(
            matches!(err, ClaimsVerificationError::InvalidNonce(_)),
            "{err:?}"
        );
    }
}

#[tokio::test]
async fn prompt_none_without_a_session_is_login_required() {
    for s in TestServer::each(common::test_config()).await {
        let c = confidential(&s, "rp", false).await;
        let (_, challenge) = pkce("v");
        let url = authorize_url(&s, &c.id, &challenge, &[("prompt", "none")]);
        let location = redirected(&browser(&s), &url).await;
        assert_redirect_error(&s, &location, "login_required");
    }
}

#[tokio::test]
async fn acr_high_is_unmet_authentication_requirements() {
    for s in TestServer::each(common::test_config()).await {
        let e = ready(&s).await;
        let c = confidential(&s, "rp", false).await;
        let (_, challenge) = pkce("v");
        let url = authorize_url(&s, &c.id, &challenge, &[("acr_values", NSIS_HIGH)]);
        // Without a session: refused before any page.
        let b = browser(&s);
        let location = redirected(&b, &url).await;
        assert_redirect_error(&s, &location, "unmet_authentication_requirements");
        // With a Substantial session: refused too, never answered with a lower level.
        login(
            &b,
            &e,
            &authorize_url(&s, &c.id, &challenge, &[]),
            Consent::Allow,
        )
        .await;
        let location = redirected(&b, &url).await;
        assert_redirect_error(&s, &location, "unmet_authentication_requirements");
    }
}

#[tokio::test]
async fn refresh_token_reuse_is_invalid_grant_and_revokes_the_family() {
    for s in TestServer::each(common::test_config()).await {
        let e = ready(&s).await;
        let c = confidential(&s, "rp", false).await;
        let t = tokens_for(&s, &browser(&s), &e, &c, &[]).await;
        let refresh = |rt: String| {
            let s = &s;
            let c = &c;
            async move {
                post_form(
                    s,
                    "/token",
                    Some(c),
                    &[("grant_type", "refresh_token"), ("refresh_token", &rt)],
                )
                .await
            }
        };
        let rt1 = t["refresh_token"].as_str().unwrap().to_owned();
        let second = refresh(rt1.clone()).await;
        assert_eq!(second.status, 200, "{}", second.json);
        let at2 = second.json["access_token"].as_str().unwrap();
        let rt2 = second.json["refresh_token"].as_str().unwrap().to_owned();
        assert_eq!(userinfo(&s, at2).await.status, 200);
        // Reuse of the rotated token.
        assert_token_error(&refresh(rt1).await, "invalid_grant");
        // The family is revoked: the newest refresh token and the access tokens.
        assert_token_error(&refresh(rt2.clone()).await, "invalid_grant");
        assert_eq!(userinfo(&s, at2).await.status, 401);
        assert_eq!(
            userinfo(&s, t["access_token"].as_str().unwrap())
                .await
                .status,
            401
        );
        let d = post_form(&s, "/introspect", Some(&c), &[("token", &rt2)]).await;
        assert_eq!(d.json["active"], false, "{}", d.json);
    }
}

#[tokio::test]
async fn missing_openid_scope_is_invalid_scope() {
    for s in TestServer::each(common::test_config()).await {
        let c = confidential(&s, "rp", false).await;
        let (_, challenge) = pkce("v");
        let url = authorize_url(&s, &c.id, &challenge, &[("scope", "profile")]);
        let location = redirected(&browser(&s), &url).await;
        assert_redirect_error(&s, &location, "invalid_scope");
    }
}

#[tokio::test]
async fn ssn_scope_for_a_client_not_entitled_is_invalid_scope() {
    for s in TestServer::each(common::test_config()).await {
        let c = confidential(&s, "rp", false).await;
        let (_, challenge) = pkce("v");
        let url = authorize_url(&s, &c.id, &challenge, &[("scope", "openid profile ssn")]);
        let location = redirected(&browser(&s), &url).await;
        assert_redirect_error(&s, &location, "invalid_scope");
    }
}

#[tokio::test]
async fn consent_denied_is_access_denied() {
    for s in TestServer::each(common::test_config()).await {
        let e = ready(&s).await;
        let c = confidential(&s, "rp", false).await;
        let (_, challenge) = pkce("v");
        let b = browser(&s);
        let landed = login(
            &b,
            &e,
            &authorize_url(&s, &c.id, &challenge, &[]),
            Consent::Deny,
        )
        .await;
        assert!(landed.consent_shown);
        assert_redirect_error(&s, &landed.location, "access_denied");
        // Declining is not remembered as consent: asked again next time.
        let landed = login(
            &b,
            &e,
            &authorize_url(&s, &c.id, &challenge, &[]),
            Consent::Allow,
        )
        .await;
        assert!(landed.consent_shown);
        assert!(param(&landed.location, "code").is_some());
    }
}

fn par_form<'a>(client_id: &'a str, challenge: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", CB),
        ("scope", "openid profile"),
        ("state", "st8"),
        ("nonce", "n0nce"),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
    ]
}

#[tokio::test]
async fn par_request_uri_works_once() {
    for s in TestServer::each(common::test_config()).await {
        let e = ready(&s).await;
        let c = confidential(&s, "rp", false).await;
        let (verifier, challenge) = pkce("par");
        // Without client authentication: refused.
        let anonymous = post_form(&s, "/par", None, &par_form(&c.id, &challenge)).await;
        assert_eq!(anonymous.status, 401, "{}", anonymous.json);
        assert_eq!(anonymous.error(), "invalid_client");
        let d = post_form(&s, "/par", Some(&c), &par_form(&c.id, &challenge)).await;
        assert_eq!(d.status, 201, "{}", d.json);
        let request_uri = d.json["request_uri"].as_str().unwrap();
        assert!(request_uri.starts_with("urn:ietf:params:oauth:request_uri:"));
        assert!(d.json["expires_in"].as_u64().unwrap() > 0);
        let url = format!(
            "{}/authorize?client_id={}&request_uri={}",
            s.url,
            c.id,
            urlencode(request_uri)
        );
        let b = browser(&s);
        let landed = login(&b, &e, &url, Consent::Allow).await;
        assert_eq!(param(&landed.location, "state").as_deref(), Some("st8"));
        let code = param(&landed.location, "code").unwrap();
        let t = redeem(
            &s,
            &c,
            &[
                ("code", &code),
                ("redirect_uri", CB),
                ("code_verifier", &verifier),
            ],
        )
        .await;
        assert_eq!(t.status, 200, "{}", t.json);
        // Second use, even by the same browser with a session: a page.
        let body = error_page(&url).await;
        assert!(body.contains("invalid_request_uri"), "{body}");
        let r = b.http.get(&url).send().await.unwrap();
        assert_eq!(r.status(), 400);

        // A pushed request unused for longer than expires_in: refused.
        let d = post_form(&s, "/par", Some(&c), &par_form(&c.id, &challenge)).await;
        assert_eq!(d.status, 201, "{}", d.json);
        s.clock
            .advance_secs(d.json["expires_in"].as_i64().unwrap() + 1);
        let url = format!(
            "{}/authorize?client_id={}&request_uri={}",
            s.url,
            c.id,
            urlencode(d.json["request_uri"].as_str().unwrap())
        );
        error_page(&url).await;
        // Another client cannot use this client's request_uri.
        let d = post_form(&s, "/par", Some(&c), &par_form(&c.id, &challenge)).await;
        let other = confidential(&s, "other", false).await;
        let url = format!(
            "{}/authorize?client_id={}&request_uri={}",
            s.url,
            other.id,
            urlencode(d.json["request_uri"].as_str().unwrap())
        );
        error_page(&url).await;
    }
}

#[tokio::test]
async fn client_that_requires_par_refuses_a_plain_request() {
    for s in TestServer::each(common::test_config()).await {
        let e = ready(&s).await;
        let c = register(
            &s,
            NewClient {
                require_par: true,
                ..NewClient::new("par-only", ClientAuthMethod::ClientSecretBasic)
            },
        )
        .await;
        let (_, challenge) = pkce("par");
        let location = redirected(&browser(&s), &authorize_url(&s, &c.id, &challenge, &[])).await;
        assert_redirect_error(&s, &location, "invalid_request");
        // Pushed, it works.
        let d = post_form(&s, "/par", Some(&c), &par_form(&c.id, &challenge)).await;
        assert_eq!(d.status, 201, "{}", d.json);
        let url = format!(
            "{}/authorize?client_id={}&request_uri={}",
            s.url,
            c.id,
            urlencode(d.json["request_uri"].as_str().unwrap())
        );
        let landed = login(&browser(&s), &e, &url, Consent::Allow).await;
        assert!(
            param(&landed.location, "code").is_some(),
            "{}",
            landed.location
        );
    }
}

#[tokio::test]
async fn revoked_tokens_introspect_as_inactive() {
    for s in TestServer::each(common::test_config()).await {
        let e = ready(&s).await;
        let c = confidential(&s, "rp", false).await;
        let t = tokens_for(&s, &browser(&s), &e, &c, &[]).await;
        let at = t["access_token"].as_str().unwrap();
        let rt = t["refresh_token"].as_str().unwrap();
        for token in [at, rt] {
            let d = post_form(&s, "/introspect", Some(&c), &[("token", token)]).await;
            assert_eq!(d.json["active"], true, "{}", d.json);
            let d = post_form(&s, "/revoke", Some(&c), &[("token", token)]).await;
            assert_eq!(d.status, 200, "{}", d.json);
            let d = post_form(&s, "/introspect", Some(&c), &[("token", token)]).await;
            assert_eq!(d.status, 200);
            assert_eq!(d.json, json!({ "active": false }));
        }
        assert_eq!(userinfo(&s, at).await.status, 401);
        let d = post_form(
            &s,
            "/token",
            Some(&c),
            &[("grant_type", "refresh_token"), ("refresh_token", rt)],
        )
        .await;
        assert_token_error(&d, "invalid_grant");
        // Revoking a refresh token revokes the access tokens of its grant (RFC 7009 §2.1).
        let t = tokens_for(&s, &browser(&s), &e, &c, &[]).await;
        let at = t["access_token"].as_str().unwrap();
        assert_eq!(userinfo(&s, at).await.status, 200);
        let rt = t["refresh_token"].as_str().unwrap();
        let d = post_form(&s, "/revoke", Some(&c), &[("token", rt)]).await;
        assert_eq!(d.status, 200);
        assert_eq!(userinfo(&s, at).await.status, 401);
        let d = post_form(&s, "/introspect", Some(&c), &[("token", at)]).await;
        assert_eq!(d.json, json!({ "active": false }));
        // Another client cannot revoke this client's tokens.
        let other = confidential(&s, "other", false).await;
        let t = tokens_for(&s, &browser(&s), &e, &c, &[]).await;
        let at = t["access_token"].as_str().unwrap();
        for token in [at, t["refresh_token"].as_str().unwrap()] {
            let d = post_form(&s, "/revoke", Some(&other), &[("token", token)]).await;
            assert_eq!(d.status, 200);
            let d = post_form(&s, "/introspect", Some(&c), &[("token", token)]).await;
            assert_eq!(d.json["active"], true, "{}", d.json);
        }
        // Revoking an unknown token is not an error (RFC 7009 §2.2).
        let d = post_form(&s, "/revoke", Some(&c), &[("token", "no-such-token")]).await;
        assert_eq!(d.status, 200);
        // Revocation needs client authentication.
        let d = post_form(&s, "/revoke", None, &[("token", at)]).await;
        assert_eq!(d.status, 401);
    }
}

#[tokio::test]
async fn live_access_token_introspects_as_active_with_scope_and_client() {
    for s in TestServer::each(common::test_config()).await {
        let e = ready(&s).await;
        let c = confidential(&s, "rp", false).await;
        let t = tokens_for(&s, &browser(&s), &e, &c, &[]).await;
        let at = t["access_token"].as_str().unwrap();
        let d = post_form(&s, "/introspect", Some(&c), &[("token", at)]).await;
        assert_eq!(d.status, 200, "{}", d.json);
        assert_eq!(d.json["active"], true);
        assert_eq!(d.json["scope"], "openid profile");
        assert_eq!(d.json["client_id"], c.id.as_str());
        assert_eq!(d.json["token_type"], "Bearer");
        assert_eq!(d.json["iss"], s.url.as_str());
        assert!(d.json["exp"].as_i64().unwrap() > now_secs(&s));
        assert_eq!(
            d.json["sub"],
            jwt_json(t["id_token"].as_str().unwrap(), 1)["sub"]
        );
        // Unauthenticated introspection is refused.
        let d = post_form(&s, "/introspect", None, &[("token", at)]).await;
        assert_eq!(d.status, 401);
        assert_eq!(d.error(), "invalid_client");
        // After expiry: inactive.
        s.clock.advance_secs(601);
        let d = post_form(&s, "/introspect", Some(&c), &[("token", at)]).await;
        assert_eq!(d.json["active"], false, "{}", d.json);
    }
}

#[tokio::test]
async fn rp_initiated_logout() {
    for s in TestServer::each(common::test_config()).await {
        let e = ready(&s).await;
        let c = confidential(&s, "rp", false).await;
        let b = browser(&s);
        let t = tokens_for(&s, &b, &e, &c, &[]).await;
        let hint = t["id_token"].as_str().unwrap();
        let (_, challenge) = pkce("v");
        let silent = authorize_url(&s, &c.id, &challenge, &[("prompt", "none")]);
        // The session is there: prompt=none gives a code.
        assert!(param(&redirected(&b, &silent).await, "code").is_some());

        // Registered post_logout_redirect_uri: redirect there with state.
        let url = format!(
            "{}/logout?id_token_hint={hint}&post_logout_redirect_uri={}&state=bye-st8",
            s.url,
            urlencode(BYE)
        );
        let location = redirected(&b, &url).await;
        assert!(location.starts_with(BYE), "{location}");
        assert_eq!(param(&location, "state").as_deref(), Some("bye-st8"));
        // The session is gone.
        let location = redirected(&b, &silent).await;
        assert_redirect_error(&s, &location, "login_required");

        // Unregistered: the logged-out page, no redirect.
        let t = tokens_for(&s, &b, &e, &c, &[]).await;
        let hint = t["id_token"].as_str().unwrap();
        for evil in ["https://evil.example/bye", CB] {
            let url = format!(
                "{}/logout?id_token_hint={hint}&post_logout_redirect_uri={}&state=x",
                s.url,
                urlencode(evil)
            );
            let r = b.http.get(&url).send().await.unwrap();
            assert_eq!(r.status(), 200);
            assert!(r.headers().get("location").is_none());
            let body = r.text().await.unwrap();
            assert!(body.contains("You are logged out"), "{body}");
        }
        let location = redirected(&b, &silent).await;
        assert_redirect_error(&s, &location, "login_required");
    }
}

/// RP-Initiated Logout §2: without an ID token hint naming the holder, any
/// page could send the browser to /logout, so nyckel asks first; the
/// holder's confirmation then logs out and goes back to the provider.
#[tokio::test]
async fn logout_without_a_hint_asks_the_holder_first() {
    for s in TestServer::each(common::test_config()).await {
        let e = ready(&s).await;
        let c = confidential(&s, "rp", false).await;
        let b = browser(&s);
        tokens_for(&s, &b, &e, &c, &[]).await;
        let (_, challenge) = pkce("v");
        let silent = authorize_url(&s, &c.id, &challenge, &[("prompt", "none")]);
        let url = format!(
            "{}/logout?client_id={}&post_logout_redirect_uri={}&state=bye-st8",
            s.url,
            c.id,
            urlencode(BYE)
        );
        let p = match outcome(b.http.get(&url).send().await.unwrap()).await {
            Outcome::Page(p) => p,
            Outcome::Redirect(l) => panic!("logged out without asking: {l}"),
        };
        assert_eq!(p.status, 200);
        assert!(p.body.contains("Log out of nyckel?"), "{}", p.body);
        assert!(p.body.contains("action=\"/logout\""), "{}", p.body);
        // Nothing happened yet: the session still signs on silently.
        assert!(param(&redirected(&b, &silent).await, "code").is_some());
        // A forged confirmation (no CSRF token of the session) does nothing.
        let forged = b
            .http
            .post(format!("{}/logout", s.url))
            .form(&[("csrf", "forged"), ("client_id", c.id.as_str())])
            .send()
            .await
            .unwrap();
        assert_ne!(forged.status(), 200);
        assert!(param(&redirected(&b, &silent).await, "code").is_some());
        // The holder confirms: logged out, back to the provider with state.
        let prefix = "name=\"csrf\" value=\"";
        let at = p.body.find(prefix).unwrap() + prefix.len();
        let csrf = &p.body[at..at + p.body[at..].find('"').unwrap()];
        let r = b
            .http
            .post(format!("{}/logout", s.url))
            .form(&[
                ("csrf", csrf),
                ("client_id", c.id.as_str()),
                ("post_logout_redirect_uri", BYE),
                ("state", "bye-st8"),
            ])
            .send()
            .await
            .unwrap();
        let Outcome::Redirect(location) = outcome(r).await else {
            panic!("no redirect back to the provider")
        };
        assert!(location.starts_with(BYE), "{location}");
        assert_eq!(param(&location, "state").as_deref(), Some("bye-st8"));
        let location = redirected(&b, &silent).await;
        assert_redirect_error(&s, &location, "login_required");
    }
}

async fn cpr_match(s: &TestServer, token: &str, cpr: &str) -> Direct {
    let r = reqwest::Client::new()
        .post(format!("{}/cpr-match", s.url))
        .bearer_auth(token)
        .form(&[("cpr", cpr)])
        .send()
        .await
        .unwrap();
    Direct::read(r).await
}

#[tokio::test]
async fn cpr_match_answers_yes_or_no_three_times_per_quarter_hour() {
    for s in TestServer::each(common::test_config()).await {
        let e = ready(&s).await;
        let c = confidential(&s, "not-entitled", false).await;
        let t = tokens_for(&s, &browser(&s), &e, &c, &[]).await;
        let at = t["access_token"].as_str().unwrap();
        // The client gets no CPR number itself.
        assert!(userinfo(&s, at).await.json.get("dk.cpr").is_none());

        // Without a number, or with two: invalid_request, and no try used.
        for form in [vec![], vec![("cpr", "0707614285"), ("cpr", "1502851234")]] {
            let r = reqwest::Client::new()
                .post(format!("{}/cpr-match", s.url))
                .bearer_auth(at)
                .form(&form)
                .send()
                .await
                .unwrap();
            let d = Direct::read(r).await;
            assert_eq!((d.status, d.error()), (400, "invalid_request"), "{form:?}");
        }

        let d = cpr_match(&s, at, "0707614285").await;
        assert_eq!((d.status, &d.json), (200, &json!({ "match": true })));
        let d = cpr_match(&s, at, "1502851234").await;
        assert_eq!((d.status, &d.json), (200, &json!({ "match": false })));
        let d = cpr_match(&s, at, "0707614285").await;
        assert_eq!(d.json, json!({ "match": true }));
        let d = cpr_match(&s, at, "0707614285").await;
        assert_eq!(d.status, 429, "{}", d.json);
        // 14 minutes on: still limited.
        s.clock.advance_secs(14 * 60);
        let rt = t["refresh_token"].as_str().unwrap();
        let fresh = post_form(
            &s,
            "/token",
            Some(&c),
            &[("grant_type", "refresh_token"), ("refresh_token", rt)],
        )
        .await;
        assert_eq!(fresh.status, 200, "{}", fresh.json);
        let at = fresh.json["access_token"].as_str().unwrap();
        assert_eq!(cpr_match(&s, at, "0707614285").await.status, 429);
        // 16 minutes after the tries: allowed again.
        s.clock.advance_secs(2 * 60);
        let d = cpr_match(&s, at, "0707614285").await;
        assert_eq!((d.status, &d.json), (200, &json!({ "match": true })));
        // Without a valid token: 401.
        assert_eq!(cpr_match(&s, "nope", "0707614285").await.status, 401);
    }
}

#[tokio::test]
async fn withdrawn_consent_is_asked_for_again() {
    for s in TestServer::each(common::test_config()).await {
        let e = ready(&s).await;
        let c = confidential(&s, "rp", false).await;
        let (_, challenge) = pkce("v");
        let url = authorize_url(&s, &c.id, &challenge, &[]);
        let b = browser(&s);
        let first = login(&b, &e, &url, Consent::Allow).await;
        assert!(first.consent_shown && first.logged_in);
        let again = login(&b, &e, &url, Consent::NotExpected).await;
        assert!(!again.consent_shown && !again.logged_in);
        assert!(param(&again.location, "code").is_some());

        assert!(
            s.nyckel
                .withdraw_consent(&e.identity_id, &c.id, "holder:test")
                .await
                .unwrap()
        );
        // prompt=none cannot show the screen: consent_required.
        let silent = authorize_url(&s, &c.id, &challenge, &[("prompt", "none")]);
        let location = redirected(&b, &silent).await;
        assert_redirect_error(&s, &location, "consent_required");
        let after = login(&b, &e, &url, Consent::Allow).await;
        assert!(after.consent_shown, "the consent screen is shown again");
        assert!(!after.logged_in, "the session still counts");
        assert!(param(&after.location, "code").is_some());
    }
}

/// What the consent screen lists is what the client receives: the
/// `claims` parameter (OIDC Core §5.5) must not release person claims the
/// person was not shown, neither at the first consent nor later through a
/// remembered consent for fewer claims.
///
/// Fails today: `issue_person_tokens` (provider.rs) releases every claim
/// `tokens::requested_claims` names — and that honours `claims` entries
/// without their scope (case "ok/named-without-scope") — while the consent
/// screen (`web/oidc.rs` `shared_items`) and the remembered consent
/// (`consent_needed`) look at scopes only.
#[tokio::test]
async fn claims_parameter_cannot_release_what_the_consent_screen_did_not_show() {
    for s in TestServer::each(common::test_config()).await {
        let e = ready(&s).await;
        let c = confidential(&s, "rp", false).await;
        let claims =
            r#"{"id_token":{"name":null,"given_name":null,"family_name":null,"uuid":null}}"#;
        let b = browser(&s);
        let (verifier, challenge) = pkce("claims");
        let redeem_id_token = |location: String| {
            let s = &s;
            let c = &c;
            let verifier = verifier.clone();
            async move {
                let code = param(&location, "code").expect("a code");
                let d = redeem(
                    s,
                    c,
                    &[
                        ("code", &code),
                        ("redirect_uri", CB),
                        ("code_verifier", &verifier),
                    ],
                )
                .await;
                assert_eq!(d.status, 200, "{}", d.json);
                jwt_json(d.json["id_token"].as_str().unwrap(), 1)
            }
        };
        let person = ["name", "given_name", "family_name", "uuid"];

        // 1. scope=openid with the claims parameter: the name must be on the
        //    consent screen if it is in the ID token.
        let url = authorize_url(
            &s,
            &c.id,
            &challenge,
            &[("scope", "openid"), ("claims", claims)],
        );
        let landed = login(&b, &e, &url, Consent::Allow).await;
        let page = landed.consent_page.clone().expect("the consent screen");
        let id = redeem_id_token(landed.location).await;
        let released: Vec<&str> = person
            .iter()
            .copied()
            .filter(|c| id.get(*c).is_some())
            .collect();
        assert!(
            released.is_empty() || page.contains("Your name"),
            "released {released:?} though the consent screen listed no name: {page}"
        );

        // 2. Consent remembered for scope=openid (a pseudonym only); a later
        //    request adds the claims parameter: asked again, or nothing more.
        let c2 = confidential(&s, "rp2", false).await;
        let plain = authorize_url(&s, &c2.id, &challenge, &[("scope", "openid")]);
        let landed = login(&b, &e, &plain, Consent::Allow).await;
        let page = landed.consent_page.clone().expect("the consent screen");
        assert!(!page.contains("Your name"), "{page}");
        let more = authorize_url(
            &s,
            &c2.id,
            &challenge,
            &[("scope", "openid"), ("claims", claims)],
        );
        let r = b.http.get(&more).send().await.unwrap();
        if let Outcome::Redirect(location) = outcome(r).await {
            let code = param(&location, "code").expect("a code");
            let d = redeem(
                &s,
                &c2,
                &[
                    ("code", &code),
                    ("redirect_uri", CB),
                    ("code_verifier", &verifier),
                ],
            )
            .await;
            let id = jwt_json(d.json["id_token"].as_str().unwrap(), 1);
            let released: Vec<&str> = person
                .iter()
                .copied()
                .filter(|c| id.get(*c).is_some())
                .collect();
            assert!(
                released.is_empty(),
                "released {released:?} without asking: the person consented to a pseudonym only"
            );
        }
    }
}

/// OIDC Core §3.1.2.1: an `id_token_hint` names the person the provider
/// expects. The holder of the session it names signs on without a page; a
/// session of someone else does not count (prompt=none: login_required);
/// a hint nyckel did not issue to this client is refused.
#[tokio::test]
async fn id_token_hint_must_name_the_holder_of_the_session() {
    for s in TestServer::each(common::test_config()).await {
        let anne = ready(&s).await;
        let bo = s
            .nyckel
            .enroll(
                &common::cpr("1502851234"),
                nyckel_core::enrollment::Channel::ServiceCentre,
                &[nyckel_core::enrollment::DocumentKind::DanishPassport],
                None,
                nyckel_core::lang::Lang::En,
                "test",
            )
            .await
            .unwrap();
        common::activate(&s.client(), &bo, PW).await;
        let c = confidential(&s, "rp", false).await;
        let other = confidential(&s, "other", false).await;
        let annes_browser = browser(&s);
        let t = tokens_for(&s, &annes_browser, &anne, &c, &[]).await;
        let annes_hint = t["id_token"].as_str().unwrap().to_owned();
        let t = tokens_for(&s, &browser(&s), &bo, &c, &[]).await;
        let bos_hint = t["id_token"].as_str().unwrap().to_owned();
        let t = tokens_for(&s, &annes_browser, &anne, &other, &[]).await;
        let hint_for_other = t["id_token"].as_str().unwrap().to_owned();
        let (_, challenge) = pkce("v");
        let url = |hint: &str| {
            authorize_url(
                &s,
                &c.id,
                &challenge,
                &[("prompt", "none"), ("id_token_hint", hint)],
            )
        };

        let location = redirected(&annes_browser, &url(&annes_hint)).await;
        assert!(param(&location, "code").is_some(), "{location}");
        let location = redirected(&annes_browser, &url(&bos_hint)).await;
        assert_redirect_error(&s, &location, "login_required");
        // Without prompt=none, someone else's hint asks for a login.
        let plain = authorize_url(&s, &c.id, &challenge, &[("id_token_hint", &bos_hint)]);
        match outcome(annes_browser.http.get(&plain).send().await.unwrap()).await {
            Outcome::Page(p) => assert!(p.body.contains("autocomplete=\"username\""), "{}", p.body),
            Outcome::Redirect(l) => panic!("expected the login page, got {l}"),
        }
        for bad in [hint_for_other.as_str(), "a.b.c"] {
            let location = redirected(&annes_browser, &url(bad)).await;
            assert_redirect_error(&s, &location, "invalid_request");
        }
    }
}

/// The CPR-match limit is a limit under concurrency too: ten tries sent at
/// once with one token get three answers and seven refusals.
#[tokio::test]
async fn ten_cpr_match_tries_at_once_get_three_answers() {
    for s in TestServer::each(common::test_config()).await {
        let e = ready(&s).await;
        let c = confidential(&s, "not-entitled", false).await;
        let t = tokens_for(&s, &browser(&s), &e, &c, &[]).await;
        let at = t["access_token"].as_str().unwrap().to_owned();
        let mut tries = tokio::task::JoinSet::new();
        for _ in 0..10 {
            let url = format!("{}/cpr-match", s.url);
            let at = at.clone();
            tries.spawn(async move {
                let r = reqwest::Client::new()
                    .post(url)
                    .bearer_auth(at)
                    .form(&[("cpr", "0707614285")])
                    .send()
                    .await
                    .unwrap();
                Direct::read(r).await
            });
        }
        let (mut answered, mut refused) = (0, 0);
        while let Some(d) = tries.join_next().await {
            let d = d.unwrap();
            match d.status {
                200 => answered += 1,
                429 => refused += 1,
                other => panic!("{other}: {}", d.json),
            }
        }
        assert_eq!((answered, refused), (3, 7));
    }
}
