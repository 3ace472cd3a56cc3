//! The OpenID provider over real HTTP: a full code flow with PKCE and
//! consent, tokens, userinfo, refresh rotation, replay, on both backends.

mod common;

use common::*;
use nyckel_oidc::client::{ClientAuthMethod, SubjectType};
use serde_json::Value;

const PW: &str = "Tusind-Tak-Aarhus-7";
const CB: &str = "https://rp.example/cb";

/// A browser that does not follow redirects to the provider (rp.example).
fn browser(s: &TestServer) -> Browser {
    let http = reqwest::Client::builder()
        .default_headers(common::english())
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::custom(|a| {
            if a.url().host_str() == Some("127.0.0.1") {
                a.follow()
            } else {
                a.stop()
            }
        }))
        .build()
        .unwrap();
    Browser {
        base: s.url.clone(),
        http,
    }
}

fn query(url: &str) -> Vec<(String, String)> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn param(url: &str, name: &str) -> Option<String> {
    query(url)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

#[tokio::test]
async fn code_flow_with_pkce_consent_refresh_and_replay() {
    for s in TestServer::each(test_config()).await {
        let e = s.enroll_demo().await;
        activate(&s.client(), &e, PW).await;
        let (client_id, secret) = s
            .nyckel
            .add_client(
                "borger.demo",
                vec![CB.into()],
                vec!["https://rp.example/bye".into()],
                ClientAuthMethod::ClientSecretBasic,
                true,
                false,
                SubjectType::Pairwise,
                None,
                None,
                vec!["authorization_code".into(), "refresh_token".into()],
                "operator:test",
            )
            .await
            .unwrap();
        let secret = secret.unwrap();
        let verifier = "x".repeat(50);
        let challenge = nyckel_oidc::pkce::s256_challenge(&verifier);
        let b = browser(&s);
        let url = format!(
            "{}/authorize?response_type=code&client_id={client_id}&redirect_uri={}&scope=openid%20profile%20ssn&state=st8&nonce=n0nce&code_challenge={challenge}&code_challenge_method=S256",
            s.url,
            urlencode(CB)
        );
        let p = b.get_raw(&url).await;
        assert_eq!(p.url, "/login", "{}", p.body);
        let p = b
            .post(
                "/login/identify",
                &[("csrf", &p.csrf()), ("login_name", &e.user_id.to_string())],
            )
            .await;
        let p = b
            .post("/login/password", &[("csrf", &p.csrf()), ("password", PW)])
            .await;
        let p = b.answer_key(&p, &e).await;
        assert!(p.has("borger.demo asks for your details"), "{}", p.body);
        assert!(p.has("Your CPR number"));
        let r = b
            .http
            .post(format!("{}/login/consent", s.url))
            .form(&[("csrf", p.csrf().as_str()), ("decision", "allow")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let location = r.headers()["location"].to_str().unwrap().to_owned();
        assert!(location.starts_with(CB), "{location}");
        assert_eq!(param(&location, "state").as_deref(), Some("st8"));
        assert_eq!(param(&location, "iss").as_deref(), Some(s.url.as_str()));
        let code = param(&location, "code").unwrap();

        // Token exchange.
        let http = reqwest::Client::new();
        let token = |form: Vec<(&'static str, String)>| {
            let http = http.clone();
            let url = format!("{}/token", s.url);
            let (id, sec) = (client_id.clone(), secret.expose().to_owned());
            async move {
                http.post(url)
                    .basic_auth(id, Some(sec))
                    .form(&form)
                    .send()
                    .await
                    .unwrap()
            }
        };
        let r = token(vec![
            ("grant_type", "authorization_code".into()),
            ("code", code.clone()),
            ("redirect_uri", CB.into()),
            ("code_verifier", verifier.clone()),
        ])
        .await;
        assert_eq!(r.status(), 200);
        let t: Value = r.json().await.unwrap();
        assert!(
            t["id_token"].is_string()
                && t["access_token"].is_string()
                && t["refresh_token"].is_string(),
            "{t}"
        );

        // UserInfo releases the CPR number to this entitled client.
        let ui: Value = http
            .get(format!("{}/userinfo", s.url))
            .bearer_auth(t["access_token"].as_str().unwrap())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(ui["dk.cpr"], "0707614285", "{ui}");
        assert_eq!(ui["name"], "Anne Marie Hansen");

        // Code replay: refused, and the tokens it issued are revoked.
        let r = token(vec![
            ("grant_type", "authorization_code".into()),
            ("code", code.clone()),
            ("redirect_uri", CB.into()),
            ("code_verifier", verifier.clone()),
        ])
        .await;
        assert_eq!(r.status(), 400);
        assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_grant");
        let r = http
            .get(format!("{}/userinfo", s.url))
            .bearer_auth(t["access_token"].as_str().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            401,
            "the access token from a replayed code is revoked"
        );

        // Second login through SSO: no password, no consent screen.
        let r = b.http.get(&url).send().await.unwrap();
        assert_eq!(r.status(), 303);
        let location = r.headers()["location"].to_str().unwrap().to_owned();
        let code2 = param(&location, "code").expect("a code without asking again");
        let t2: Value = token(vec![
            ("grant_type", "authorization_code".into()),
            ("code", code2),
            ("redirect_uri", CB.into()),
            ("code_verifier", verifier.clone()),
        ])
        .await
        .json()
        .await
        .unwrap();
        let rt = t2["refresh_token"].as_str().unwrap().to_owned();
        let r = token(vec![
            ("grant_type", "refresh_token".into()),
            ("refresh_token", rt.clone()),
        ])
        .await;
        assert_eq!(r.status(), 200);
        let t3: Value = r.json().await.unwrap();
        assert_ne!(t3["refresh_token"], t2["refresh_token"], "rotated");
        // Reusing the old refresh token revokes the family.
        let r = token(vec![
            ("grant_type", "refresh_token".into()),
            ("refresh_token", rt),
        ])
        .await;
        assert_eq!(r.status(), 400);
        let r = token(vec![
            ("grant_type", "refresh_token".into()),
            (
                "refresh_token",
                t3["refresh_token"].as_str().unwrap().into(),
            ),
        ])
        .await;
        assert_eq!(r.status(), 400, "the whole family is revoked after reuse");

        // A client may have RS256 ID tokens instead of ES256.
        s.nyckel
            .set_id_token_alg(
                &client_id,
                nyckel_oidc::keys::SigningAlg::RS256,
                "operator:test",
            )
            .await
            .unwrap();
        let r = b.http.get(&url).send().await.unwrap();
        let code3 = param(r.headers()["location"].to_str().unwrap(), "code").unwrap();
        let t4: Value = token(vec![
            ("grant_type", "authorization_code".into()),
            ("code", code3),
            ("redirect_uri", CB.into()),
            ("code_verifier", verifier.clone()),
        ])
        .await
        .json()
        .await
        .unwrap();
        let id_token = t4["id_token"].as_str().unwrap();
        let header = jwt_part(id_token, 0);
        assert_eq!(header["alg"], "RS256", "{header}");
        let jwks: Value = http
            .get(format!("{}/jwks", s.url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(
            jwks["keys"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k["kid"] == header["kid"] && k["kty"] == "RSA")
        );
        let claims = jwt_part(id_token, 1);
        assert_eq!(
            claims["at_hash"],
            nyckel_oidc::tokens::at_hash(
                t4["access_token"].as_str().unwrap(),
                nyckel_oidc::keys::SigningAlg::RS256
            )
        );
        assert_eq!(
            claims["acr"],
            "https://data.gov.dk/concept/core/nsis/Substantial"
        );

        // My nyckel lists the service; withdrawing consent makes it ask again.
        let my = b.get("/my").await;
        assert!(
            my.has("Services that get your details") && my.has("borger.demo"),
            "{}",
            my.body
        );
        assert!(my.has("your CPR number"));
        let p = b
            .post(
                "/my/consent",
                &[("csrf", &my.csrf()), ("client_id", &client_id)],
            )
            .await;
        assert!(p.has("no longer gets your details"), "{}", p.body);
        let p = b.get_raw(&url).await;
        assert!(p.has("borger.demo asks for your details"), "{}", p.body);
    }
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn jwt_part(jwt: &str, i: usize) -> Value {
    use base64::Engine as _;
    let part = jwt.split('.').nth(i).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(part)
            .unwrap(),
    )
    .unwrap()
}
