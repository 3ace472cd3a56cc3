//! Interop: nyckel as the OpenID provider of a real relying-party library
//! (`openidconnect` 4), on both backends. The library discovers the
//! provider, builds the authorization request (PKCE S256, nonce, state),
//! redeems the code, verifies the ID token (signature, `iss`, `aud`, `exp`,
//! nonce), calls UserInfo and refreshes; what it does not check (`at_hash`,
//! `azp`) and nyckel's own claims (`acr`, `amr`, `auth_time`, subjects) are
//! checked here. Client authentication: `client_secret_basic`,
//! `client_secret_post`, `none` (public, PKCE required) and
//! `private_key_jwt` with assertions signed by a key made in the test.

mod common;
#[path = "common/rp.rs"]
mod rp;

use common::TestServer;
use nyckel_oidc::client::{ClientAuthMethod, SubjectType};
use nyckel_oidc::keys::SigningAlg;
use nyckel_oidc::tokens as nyckel_tokens;
use nyckel_service::Enrolled;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreErrorResponseType, CoreGenderClaim, CoreIdTokenClaims,
    CoreJwsSigningAlgorithm, CoreProviderMetadata, CoreTokenResponse,
};
use openidconnect::{
    AccessTokenHash, AuthType, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl,
    Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl,
    RequestTokenError, Scope, SubjectIdentifier, TokenResponse, UserInfoClaims,
};
use rp::*;

async fn discover(s: &TestServer, http: &RpHttp) -> CoreProviderMetadata {
    let issuer = IssuerUrl::new(s.url.clone()).unwrap();
    CoreProviderMetadata::discover_async(issuer, http)
        .await
        .unwrap()
}

/// The library's client for a registered nyckel client.
fn rp_client(meta: &CoreProviderMetadata, c: &Registered, auth: AuthType) -> Rp {
    Rp::from_provider_metadata(
        meta.clone(),
        ClientId::new(c.id.clone()),
        c.secret.clone().map(ClientSecret::new),
    )
    .set_auth_type(auth)
    .set_redirect_uri(RedirectUrl::new(CB.into()).unwrap())
}

/// An authorization request the library built, and what it must remember.
struct Started {
    url: String,
    state: CsrfToken,
    nonce: Nonce,
    verifier: Option<PkceCodeVerifier>,
}

fn start(client: &Rp, scopes: &[&str], with_pkce: bool) -> Started {
    let mut req = client.authorize_url(
        CoreAuthenticationFlow::AuthorizationCode,
        CsrfToken::new_random,
        Nonce::new_random,
    );
    for s in scopes {
        req = req.add_scope(Scope::new((*s).into()));
    }
    let mut verifier = None;
    if with_pkce {
        let (challenge, v) = PkceCodeChallenge::new_random_sha256();
        req = req.set_pkce_challenge(challenge);
        verifier = Some(v);
    }
    let (url, state, nonce) = req.url();
    if with_pkce {
        assert_eq!(
            param(url.as_str(), "code_challenge_method").as_deref(),
            Some("S256")
        );
    }
    Started {
        url: url.to_string(),
        state,
        nonce,
        verifier,
    }
}

/// The code from the redirect back, after checking `state` and `iss` (RFC 9207).
fn code_from(s: &TestServer, started: &Started, location: &str) -> AuthorizationCode {
    assert!(location.starts_with(CB), "{location}");
    assert_eq!(
        param(location, "state").as_deref(),
        Some(started.state.secret().as_str()),
        "{location}"
    );
    assert_eq!(param(location, "iss").as_deref(), Some(s.url.as_str()));
    AuthorizationCode::new(param(location, "code").expect("a code"))
}

/// Redeems a code with the library; `extra` are more form parameters
/// (the client assertion of `private_key_jwt`).
async fn exchange(
    client: &Rp,
    http: &RpHttp,
    code: AuthorizationCode,
    verifier: Option<PkceCodeVerifier>,
    extra: &[(&'static str, String)],
) -> CoreTokenResponse {
    let mut req = client.exchange_code(code).unwrap();
    if let Some(v) = verifier {
        req = req.set_pkce_verifier(v);
    }
    for (k, v) in extra {
        req = req.add_extra_param(*k, v.clone());
    }
    match req.request_async(http).await {
        Ok(t) => t,
        Err(e) => panic!("code exchange failed: {e:?}"),
    }
}

fn library_alg(alg: SigningAlg) -> CoreJwsSigningAlgorithm {
    match alg {
        SigningAlg::ES256 => CoreJwsSigningAlgorithm::EcdsaP256Sha256,
        SigningAlg::RS256 => CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    }
}

/// Verifies the ID token (signed with `alg`) with the library, then what the library leaves
/// to the relying party and what nyckel promises. Returns the claims.
fn verify_id_token(
    s: &TestServer,
    client: &Rp,
    token: &CoreTokenResponse,
    nonce: &Nonce,
    alg: SigningAlg,
) -> CoreIdTokenClaims {
    let client_id = client.client_id().as_str();
    let id_token = token.id_token().expect("an ID token");
    let verifier = client.id_token_verifier().set_time_fn(clock_fn(s));
    let claims = id_token
        .claims(&verifier, nonce)
        .unwrap_or_else(|e| panic!("the library refused the ID token: {e:?}"))
        .clone();
    // at_hash (OIDC Core §3.1.3.6): computed by the library's own hash for
    // the token's algorithm and key, and by nyckel-oidc's.
    let signed = id_token.signing_alg().unwrap().clone();
    assert_eq!(signed, library_alg(alg));
    let key = id_token.signing_key(&verifier).unwrap();
    let want = AccessTokenHash::from_token(token.access_token(), &signed, key).unwrap();
    assert_eq!(claims.access_token_hash(), Some(&want), "at_hash");
    assert_eq!(
        want.as_str(),
        nyckel_tokens::at_hash(token.access_token().secret(), alg)
    );
    // azp: the client itself (a single audience).
    assert_eq!(
        claims.authorized_party().map(|a| a.as_str()),
        Some(client_id),
        "azp"
    );
    assert_eq!(
        claims
            .audiences()
            .iter()
            .map(|a| a.as_str())
            .collect::<Vec<_>>(),
        [client_id]
    );
    assert_eq!(
        claims.auth_context_ref().map(|a| a.as_str()),
        Some(NSIS_SUBSTANTIAL)
    );
    let amr: Vec<&str> = claims
        .auth_method_refs()
        .expect("amr")
        .iter()
        .map(|a| a.as_str())
        .collect();
    assert!(amr.contains(&"pwd") && amr.contains(&"otp"), "{amr:?}");
    let auth_time = claims.auth_time().expect("auth_time");
    assert!(auth_time.timestamp() <= now_secs(s));
    assert!(auth_time.timestamp() > now_secs(s) - 3600);
    claims
}

/// One login through the library: request, pages, code, tokens, ID token.
async fn library_login(
    s: &TestServer,
    b: &common::Browser,
    e: &Enrolled,
    client: &Rp,
    scopes: &[&str],
    http: &RpHttp,
    alg: SigningAlg,
) -> (CoreTokenResponse, CoreIdTokenClaims) {
    let started = start(client, scopes, true);
    let landed = login(b, e, &started.url, Consent::Allow).await;
    let code = code_from(s, &started, &landed.location);
    let token = exchange(client, http, code, started.verifier, &[]).await;
    let claims = verify_id_token(s, client, &token, &started.nonce, alg);
    (token, claims)
}

async fn library_userinfo(
    client: &Rp,
    http: &RpHttp,
    token: &CoreTokenResponse,
    sub: &SubjectIdentifier,
) -> UserInfoClaims<NyckelClaims, CoreGenderClaim> {
    client
        .user_info(token.access_token().clone(), Some(sub.clone()))
        .unwrap()
        .request_async(http)
        .await
        .unwrap_or_else(|e| panic!("UserInfo failed: {e:?}"))
}

#[tokio::test]
async fn es256_confidential_client_discovery_code_flow_userinfo_refresh() {
    for s in TestServer::each(common::test_config()).await {
        let e = ready(&s).await;
        let reg = confidential(&s, "borger.demo", true).await;
        let http = RpHttp::new();
        let meta = discover(&s, &http).await;
        assert_eq!(meta.issuer().as_str(), s.url);
        assert_eq!(
            meta.token_endpoint().unwrap().as_str(),
            format!("{}/token", s.url)
        );
        // The JWKS (fetched by discovery) has the keys of both algorithms.
        let algs: Vec<String> = meta
            .jwks()
            .keys()
            .iter()
            .map(|k| {
                serde_json::to_value(k).unwrap()["alg"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert!(
            algs.contains(&"ES256".into()) && algs.contains(&"RS256".into()),
            "{algs:?}"
        );

        let client = rp_client(&meta, &reg, AuthType::BasicAuth);
        let b = browser(&s);
        let (token, claims) = library_login(
            &s,
            &b,
            &e,
            &client,
            &["profile", "ssn"],
            &http,
            SigningAlg::ES256,
        )
        .await;
        let scope: Vec<String> = token
            .scopes()
            .unwrap()
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(scope, ["openid", "profile", "ssn"]);
        // Pairwise: not the person's UUID.
        assert_ne!(claims.subject().as_str(), person_uuid(&s, &e).await);

        // UserInfo through the library (which checks `sub` against the ID token's).
        let ui = library_userinfo(&client, &http, &token, claims.subject()).await;
        assert_eq!(ui.additional_claims().cpr.as_deref(), Some("0707614285"));
        assert_eq!(
            ui.additional_claims().uuid.as_deref(),
            Some(person_uuid(&s, &e).await.as_str())
        );
        let name = ui.name().and_then(|n| n.get(None)).map(|n| n.to_string());
        assert_eq!(name.as_deref(), Some("Anne Marie Hansen"));

        // Refresh through the library: a new access token and a rotated refresh token.
        let rt = token.refresh_token().expect("a refresh token").clone();
        let refreshed = client
            .exchange_refresh_token(&rt)
            .unwrap()
            .request_async(&http)
            .await
            .unwrap_or_else(|e| panic!("refresh failed: {e:?}"));
        assert_ne!(
            refreshed.access_token().secret(),
            token.access_token().secret()
        );
        let rt2 = refreshed.refresh_token().expect("a new refresh token");
        assert_ne!(rt2.secret(), rt.secret());
        let ui = library_userinfo(&client, &http, &refreshed, claims.subject()).await;
        assert_eq!(ui.additional_claims().cpr.as_deref(), Some("0707614285"));
    }
}

/// A client set to RS256 ID tokens (`Nyckel::set_id_token_alg`): the
/// library verifies them against the RS256 key in the JWKS, with the
/// RS256 `at_hash`; UserInfo and refresh work as for ES256.
#[tokio::test]
async fn rs256_client_id_tokens_verify_with_the_library() {
    for s in TestServer::each(common::test_config()).await {
        let e = ready(&s).await;
        let reg = confidential(&s, "rs256.demo", false).await;
        s.nyckel
            .set_id_token_alg(&reg.id, SigningAlg::RS256, "operator:test")
            .await
            .unwrap();
        let http = RpHttp::new();
        let meta = discover(&s, &http).await;
        assert!(
            meta.id_token_signing_alg_values_supported()
                .contains(&CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256)
        );
        let client = rp_client(&meta, &reg, AuthType::BasicAuth);
        let b = browser(&s);
        let (token, claims) =
            library_login(&s, &b, &e, &client, &["profile"], &http, SigningAlg::RS256).await;
        library_userinfo(&client, &http, &token, claims.subject()).await;
        // A library limited to RS256 (the library's own default) accepts it too.
        let id_token = token.id_token().unwrap();
        let rs_only = client
            .id_token_verifier()
            .set_allowed_algs([CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256])
            .set_time_fn(clock_fn(&s));
        id_token
            .claims(&rs_only, |_: Option<&Nonce>| Ok(()))
            .unwrap_or_else(|e| panic!("{e:?}"));
        // An ES256-only relying party refuses it: the algorithm is really RS256.
        let es_only = client
            .id_token_verifier()
            .set_allowed_algs([CoreJwsSigningAlgorithm::EcdsaP256Sha256])
            .set_time_fn(clock_fn(&s));
        assert!(
            id_token
                .claims(&es_only, |_: Option<&Nonce>| Ok(()))
                .is_err()
        );
        let rt = token.refresh_token().unwrap();
        client
            .exchange_refresh_token(rt)
            .unwrap()
            .request_async(&http)
            .await
            .unwrap_or_else(|e| panic!("refresh failed: {e:?}"));
    }
}

#[tokio::test]
async fn public_client_requires_pkce_and_gets_the_public_subject() {
    for s in TestServer::each(common::test_config()).await {
        let e = ready(&s).await;
        let reg = register(
            &s,
            NewClient {
                subject: SubjectType::Public,
                ..NewClient::new("app.demo", ClientAuthMethod::None)
            },
        )
        .await;
        assert!(reg.secret.is_none());
        let http = RpHttp::new();
        let meta = discover(&s, &http).await;
        let client = rp_client(&meta, &reg, AuthType::BasicAuth);
        let b = browser(&s);

        // Without PKCE: refused at once, back to the (registered) redirect URI.
        let started = start(&client, &["profile"], false);
        let r = b.http.get(&started.url).send().await.unwrap();
        let Outcome::Redirect(location) = outcome(r).await else {
            panic!("expected a redirect with an error")
        };
        assert!(location.starts_with(CB), "{location}");
        assert_eq!(
            param(&location, "error").as_deref(),
            Some("invalid_request")
        );
        assert_eq!(
            param(&location, "state").as_deref(),
            Some(started.state.secret().as_str())
        );

        // With PKCE, authenticating with `none` (client_id in the body).
        let (token, claims) =
            library_login(&s, &b, &e, &client, &["profile"], &http, SigningAlg::ES256).await;
        assert_eq!(claims.subject().as_str(), person_uuid(&s, &e).await);
        let ui = library_userinfo(&client, &http, &token, claims.subject()).await;
        assert_eq!(
            ui.additional_claims().cpr,
            None,
            "no CPR to a public client"
        );
    }
}

#[tokio::test]
async fn client_secret_post_client() {
    for s in TestServer::each(common::test_config()).await {
        let e = ready(&s).await;
        let reg = register(
            &s,
            NewClient::new("post.demo", ClientAuthMethod::ClientSecretPost),
        )
        .await;
        let http = RpHttp::new();
        let meta = discover(&s, &http).await;
        let client = rp_client(&meta, &reg, AuthType::RequestBody);
        let b = browser(&s);
        let (token, claims) =
            library_login(&s, &b, &e, &client, &["profile"], &http, SigningAlg::ES256).await;
        library_userinfo(&client, &http, &token, claims.subject()).await;

        // The registered method is the only one accepted: Basic is refused.
        let basic = rp_client(&meta, &reg, AuthType::BasicAuth);
        let rt = token.refresh_token().unwrap();
        let err = basic
            .exchange_refresh_token(rt)
            .unwrap()
            .request_async(&http)
            .await
            .expect_err("Basic for a client_secret_post client");
        let RequestTokenError::ServerResponse(r) = err else {
            panic!("{err:?}")
        };
        assert_eq!(*r.error(), CoreErrorResponseType::InvalidClient);
        // The refresh token was not used up by the refused request.
        client
            .exchange_refresh_token(rt)
            .unwrap()
            .request_async(&http)
            .await
            .unwrap_or_else(|e| panic!("refresh failed: {e:?}"));
    }
}

#[tokio::test]
async fn private_key_jwt_client_and_replayed_assertion() {
    for s in TestServer::each(common::test_config()).await {
        let e = ready(&s).await;
        let key = ClientKey::generate("rp-key-1");
        let reg = register(
            &s,
            NewClient {
                jwks: Some(key.jwks()),
                ..NewClient::new("jwt.demo", ClientAuthMethod::PrivateKeyJwt)
            },
        )
        .await;
        let http = RpHttp::new();
        let meta = discover(&s, &http).await;
        let token_endpoint = meta.token_endpoint().unwrap().to_string();
        let client = rp_client(&meta, &reg, AuthType::RequestBody);
        let assertion = |a: String| {
            [
                ("client_assertion_type", ASSERTION_TYPE.to_owned()),
                ("client_assertion", a),
            ]
        };

        let b = browser(&s);
        let started = start(&client, &["profile"], true);
        let landed = login(&b, &e, &started.url, Consent::Allow).await;
        let code = code_from(&s, &started, &landed.location);
        let first = key.assertion(&s, &reg.id, &token_endpoint);
        let token = exchange(
            &client,
            &http,
            code,
            started.verifier,
            &assertion(first.clone()),
        )
        .await;
        verify_id_token(&s, &client, &token, &started.nonce, SigningAlg::ES256);

        // The same assertion again (same jti): refused, refresh token untouched.
        let rt = token.refresh_token().unwrap();
        let refresh = |a: String| {
            let mut req = client.exchange_refresh_token(rt).unwrap();
            for (k, v) in assertion(a) {
                req = req.add_extra_param(k, v);
            }
            req.request_async(&http)
        };
        let err = refresh(first).await.expect_err("a replayed assertion");
        let RequestTokenError::ServerResponse(r) = err else {
            panic!("{err:?}")
        };
        assert_eq!(*r.error(), CoreErrorResponseType::InvalidClient);
        // A fresh assertion works.
        let fresh = key.assertion(&s, &reg.id, &token_endpoint);
        refresh(fresh)
            .await
            .unwrap_or_else(|e| panic!("refresh with a fresh assertion failed: {e:?}"));
        // An assertion from another key (same kid) is refused.
        let impostor = ClientKey::generate("rp-key-1").assertion(&s, &reg.id, &token_endpoint);
        let err = refresh(impostor).await.expect_err("a foreign key");
        assert!(
            matches!(err, RequestTokenError::ServerResponse(ref r) if *r.error() == CoreErrorResponseType::InvalidClient),
            "{err:?}"
        );
    }
}

#[tokio::test]
async fn pairwise_subjects_differ_between_clients_and_are_stable_across_logins() {
    for s in TestServer::each(common::test_config()).await {
        let e = ready(&s).await;
        let a = confidential(&s, "a.demo", false).await;
        let b_reg = confidential(&s, "b.demo", false).await;
        let http = RpHttp::new();
        let meta = discover(&s, &http).await;
        let ca = rp_client(&meta, &a, AuthType::BasicAuth);
        let cb = rp_client(&meta, &b_reg, AuthType::BasicAuth);

        let first = browser(&s);
        let (_, a1) =
            library_login(&s, &first, &e, &ca, &["profile"], &http, SigningAlg::ES256).await;
        let (_, b1) =
            library_login(&s, &first, &e, &cb, &["profile"], &http, SigningAlg::ES256).await;
        // A separate login (new browser, no session) for the same person.
        let second = browser(&s);
        let (_, a2) =
            library_login(&s, &second, &e, &ca, &["profile"], &http, SigningAlg::ES256).await;
        assert_eq!(a1.subject(), a2.subject(), "stable for one client");
        assert_ne!(a1.subject(), b1.subject(), "different between clients");
        let uuid = person_uuid(&s, &e).await;
        assert_ne!(a1.subject().as_str(), uuid);
        assert_ne!(b1.subject().as_str(), uuid);

        // A client with public subjects gets the UUID.
        let p = register(
            &s,
            NewClient {
                subject: SubjectType::Public,
                ..NewClient::new("public-sub.demo", ClientAuthMethod::ClientSecretBasic)
            },
        )
        .await;
        let cp = rp_client(&meta, &p, AuthType::BasicAuth);
        let (_, pc) =
            library_login(&s, &second, &e, &cp, &["openid"], &http, SigningAlg::ES256).await;
        assert_eq!(pc.subject().as_str(), uuid);
    }
}

/// After a key rotation the library, re-reading discovery and the JWKS,
/// verifies both a token signed before (old key still published) and one
/// signed after; the old access token still works at UserInfo.
#[tokio::test]
async fn key_rotation_keeps_issued_tokens_verifiable() {
    for s in TestServer::each(common::test_config()).await {
        let e = ready(&s).await;
        let reg = confidential(&s, "rotation.demo", false).await;
        let http = RpHttp::new();
        let meta = discover(&s, &http).await;
        let client = rp_client(&meta, &reg, AuthType::BasicAuth);
        let b = browser(&s);
        let started = start(&client, &["profile"], true);
        let landed = login(&b, &e, &started.url, Consent::Allow).await;
        let code = code_from(&s, &started, &landed.location);
        let before = exchange(&client, &http, code, started.verifier, &[]).await;
        let old_kid = jwt_json(&before.id_token().unwrap().to_string(), 0)["kid"].clone();

        s.nyckel.rotate_keys("operator:test").await.unwrap();
        let meta = discover(&s, &http).await;
        let client = rp_client(&meta, &reg, AuthType::BasicAuth);
        verify_id_token(&s, &client, &before, &started.nonce, SigningAlg::ES256);
        let (after, claims) =
            library_login(&s, &b, &e, &client, &["profile"], &http, SigningAlg::ES256).await;
        let new_kid = jwt_json(&after.id_token().unwrap().to_string(), 0)["kid"].clone();
        assert_ne!(old_kid, new_kid, "signed with the new key");
        library_userinfo(&client, &http, &before, claims.subject()).await;
    }
}
