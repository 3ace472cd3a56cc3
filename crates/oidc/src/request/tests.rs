use super::*;
use proptest::prelude::*;

/// Request parameters as the server reads them.
type Params = Vec<(String, String)>;
/// A check on an accepted request.
type Check = fn(&AuthorizationRequest) -> bool;

const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const CB: &str = "https://rp.example/cb";
const LOW: &str = "https://data.gov.dk/concept/core/nsis/Low";
const SUBSTANTIAL: &str = "https://data.gov.dk/concept/core/nsis/Substantial";
const HIGH: &str = "https://data.gov.dk/concept/core/nsis/High";

fn client() -> ClientView {
    ClientView {
        client_id: "rp".into(),
        redirect_uris: vec![CB.into(), "https://rp.example/other?x=1".into()],
        public: false,
        require_par: false,
        allowed_scopes: vec!["profile".into()],
        default_acr: None,
    }
}

fn public_client() -> ClientView {
    ClientView {
        public: true,
        ..client()
    }
}

fn base() -> Vec<(String, String)> {
    [
        ("client_id", "rp"),
        ("redirect_uri", CB),
        ("response_type", "code"),
        ("scope", "openid profile"),
        ("state", "st-1"),
        ("nonce", "n-1"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// `base()` with `name` set to `value` (replacing it), or removed for `None`.
fn with(changes: &[(&str, Option<&str>)]) -> Vec<(String, String)> {
    let mut p = base();
    for (name, value) in changes {
        p.retain(|(k, _)| k != name);
        if let Some(v) = value {
            p.push((name.to_string(), v.to_string()));
        }
    }
    p
}

fn plus(extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut p = base();
    p.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    p
}

fn validate(p: &[(String, String)]) -> Result<AuthorizationRequest, AuthorizeError> {
    validate_authorize(p, Some(&client()), Origin::FrontChannel)
}

/// What a failure must look like: its code, and whether it redirects.
fn assert_fails(
    name: &str,
    got: Result<AuthorizationRequest, AuthorizeError>,
    code: ErrorCode,
    redirect: bool,
) {
    let err = got.expect_err(name);
    assert_eq!(err.error().code, code, "{name}: {err:?}");
    assert_eq!(err.is_redirectable(), redirect, "{name}: {err:?}");
    if let AuthorizeError::Redirect { redirect_uri, .. } = &err {
        assert!(
            client().redirect_uris.contains(redirect_uri),
            "{name}: redirect to unregistered URI"
        );
    }
}

#[test]
fn ok_requests() {
    let r = validate(&base()).unwrap();
    assert_eq!(r.client_id, "rp");
    assert_eq!(r.redirect_uri, CB);
    assert!(r.redirect_uri_in_request);
    assert_eq!(r.scopes, vec!["openid", "profile"]);
    assert_eq!(r.state.as_deref(), Some("st-1"));
    assert_eq!(r.nonce.as_deref(), Some("n-1"));
    assert_eq!(r.code_challenge, None);
    assert_eq!(r.prompt, Prompt::default());
    assert_eq!(r.requested_acr, None);
    assert!(!r.pushed);

    let cases: Vec<(&str, Params, Check)> = vec![
        (
            "ok/pkce-confidential-honoured",
            plus(&[
                ("code_challenge", CHALLENGE),
                ("code_challenge_method", "S256"),
            ]),
            |r| r.code_challenge.as_deref() == Some(CHALLENGE),
        ),
        (
            "ok/registered-uri-with-query",
            with(&[("redirect_uri", Some("https://rp.example/other?x=1"))]),
            |r| r.redirect_uri == "https://rp.example/other?x=1",
        ),
        (
            "ok/unknown-scope-dropped",
            with(&[("scope", Some("openid email profile"))]),
            |r| r.scopes == ["openid", "profile"],
        ),
        (
            "ok/repeated-scope-once",
            with(&[("scope", Some("profile openid  openid"))]),
            |r| r.scopes == ["profile", "openid"],
        ),
        ("ok/empty-value-is-absent", plus(&[("nonce", "")]), |r| {
            r.nonce.as_deref() == Some("n-1")
        }),
        ("ok/no-state", with(&[("state", None)]), |r| {
            r.state.is_none()
        }),
        (
            "ok/unknown-parameter-ignored",
            plus(&[("foo", "bar")]),
            |_| true,
        ),
        (
            "ok/response-mode-query",
            plus(&[("response_mode", "query")]),
            |_| true,
        ),
        (
            "ok/prompt-login-consent",
            plus(&[("prompt", "login consent")]),
            |r| r.prompt.login && r.prompt.consent && !r.prompt.none,
        ),
        ("ok/prompt-none", plus(&[("prompt", "none")]), |r| {
            r.prompt.none
        }),
        (
            "ok/prompt-select-account",
            plus(&[("prompt", "select_account")]),
            |r| r.prompt.select_account,
        ),
        ("ok/max-age-zero", plus(&[("max_age", "0")]), |r| {
            r.max_age == Some(0)
        }),
        ("ok/max-age", plus(&[("max_age", "3600")]), |r| {
            r.max_age == Some(3600)
        }),
        ("ok/login-hint", plus(&[("login_hint", "alias-1")]), |r| {
            r.login_hint.as_deref() == Some("alias-1")
        }),
        ("ok/ui-locales", plus(&[("ui_locales", "da en-GB")]), |r| {
            r.ui_locales == ["da", "en-GB"]
        }),
        ("ok/acr-one", plus(&[("acr_values", SUBSTANTIAL)]), |r| {
            r.requested_acr == Some(Loa::Substantial)
        }),
        (
            "ok/acr-several-lowest-counts",
            plus(&[("acr_values", &format!("{HIGH} {SUBSTANTIAL}"))]),
            |r| {
                r.requested_acr == Some(Loa::Substantial)
                    && r.acr_values == [Loa::High, Loa::Substantial]
            },
        ),
        ("ok/acr-low", plus(&[("acr_values", LOW)]), |r| {
            r.requested_acr == Some(Loa::Low)
        }),
        (
            "ok/claims-acr-essential",
            plus(&[(
                "claims",
                &format!(r#"{{"id_token":{{"acr":{{"essential":true,"values":["{HIGH}"]}}}}}}"#),
            )]),
            |r| r.requested_acr == Some(Loa::High) && r.claims.id_token["acr"].essential,
        ),
        (
            "ok/claims-and-acr-values-higher-wins",
            plus(&[
                ("acr_values", LOW),
                (
                    "claims",
                    &format!(r#"{{"id_token":{{"acr":{{"value":"{SUBSTANTIAL}"}}}}}}"#),
                ),
            ]),
            |r| r.requested_acr == Some(Loa::Substantial),
        ),
        (
            "ok/claims-null-and-unknown-members",
            plus(&[(
                "claims",
                r#"{"userinfo":{"name":null,"dk.cpr":{"essential":true,"x":1}},"other":5}"#,
            )]),
            |r| {
                r.claims.userinfo.len() == 2
                    && r.claims.userinfo["dk.cpr"].essential
                    && r.claims.id_token.is_empty()
            },
        ),
        (
            "ok/id-token-hint",
            plus(&[("id_token_hint", "a.b.c")]),
            |r| r.id_token_hint.as_deref() == Some("a.b.c"),
        ),
    ];
    for (name, params, check) in cases {
        let r = validate(&params).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert!(check(&r), "{name}: {r:?}");
    }
}

#[test]
fn ok_single_registered_uri_may_be_omitted() {
    let one = ClientView {
        redirect_uris: vec![CB.into()],
        ..client()
    };
    let r = validate_authorize(
        &with(&[("redirect_uri", None)]),
        Some(&one),
        Origin::FrontChannel,
    )
    .unwrap();
    assert_eq!(r.redirect_uri, CB);
    assert!(!r.redirect_uri_in_request);
}

#[test]
fn ok_public_client_with_pkce_and_default_acr() {
    let c = ClientView {
        default_acr: Some(Loa::Substantial),
        ..public_client()
    };
    let p = plus(&[
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ]);
    let r = validate_authorize(&p, Some(&c), Origin::FrontChannel).unwrap();
    assert_eq!(r.code_challenge.as_deref(), Some(CHALLENGE));
    assert_eq!(r.requested_acr, Some(Loa::Substantial));
    let p = plus(&[
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
        ("acr_values", LOW),
    ]);
    let r = validate_authorize(&p, Some(&c), Origin::FrontChannel).unwrap();
    assert_eq!(
        r.requested_acr,
        Some(Loa::Low),
        "an explicit request overrides the default"
    );
}

#[test]
fn fail_not_redirectable() {
    let unknown = ClientView {
        client_id: "other".into(),
        ..client()
    };
    let cases: Vec<(&str, Params, Option<ClientView>, ErrorCode)> = vec![
        (
            "fail/unknown-client",
            base(),
            None,
            ErrorCode::InvalidClient,
        ),
        (
            "fail/client-mismatch",
            base(),
            Some(unknown),
            ErrorCode::InvalidClient,
        ),
        (
            "fail/no-client-id",
            with(&[("client_id", None)]),
            Some(client()),
            ErrorCode::InvalidRequest,
        ),
        (
            "fail/duplicated-client-id",
            plus(&[("client_id", "rp")]),
            Some(client()),
            ErrorCode::InvalidRequest,
        ),
        (
            "fail/redirect-uri-mismatch",
            with(&[("redirect_uri", Some("https://evil.example/cb"))]),
            Some(client()),
            ErrorCode::InvalidRequest,
        ),
        (
            "fail/redirect-uri-prefix",
            with(&[("redirect_uri", Some("https://rp.example/cb/x"))]),
            Some(client()),
            ErrorCode::InvalidRequest,
        ),
        (
            "fail/redirect-uri-trailing-slash",
            with(&[("redirect_uri", Some("https://rp.example/cb/"))]),
            Some(client()),
            ErrorCode::InvalidRequest,
        ),
        (
            "fail/redirect-uri-case",
            with(&[("redirect_uri", Some("https://RP.example/cb"))]),
            Some(client()),
            ErrorCode::InvalidRequest,
        ),
        (
            "fail/redirect-uri-extra-query",
            with(&[("redirect_uri", Some("https://rp.example/cb?a=b"))]),
            Some(client()),
            ErrorCode::InvalidRequest,
        ),
        (
            "fail/duplicated-redirect-uri",
            plus(&[("redirect_uri", CB)]),
            Some(client()),
            ErrorCode::InvalidRequest,
        ),
        (
            "fail/redirect-uri-omitted-several-registered",
            with(&[("redirect_uri", None)]),
            Some(client()),
            ErrorCode::InvalidRequest,
        ),
        // Even an otherwise broken request is not redirected to a bad URI.
        (
            "fail/mismatch-wins-over-bad-response-type",
            with(&[
                ("redirect_uri", Some("https://evil.example/")),
                ("response_type", Some("token")),
            ]),
            Some(client()),
            ErrorCode::InvalidRequest,
        ),
    ];
    for (name, params, c, code) in cases {
        assert_fails(
            name,
            validate_authorize(&params, c.as_ref(), Origin::FrontChannel),
            code,
            false,
        );
    }
    let none_registered = ClientView {
        redirect_uris: vec![],
        ..client()
    };
    assert_fails(
        "fail/no-uri-registered",
        validate_authorize(
            &with(&[("redirect_uri", None)]),
            Some(&none_registered),
            Origin::FrontChannel,
        ),
        ErrorCode::InvalidRequest,
        false,
    );
    let bad_registered = ClientView {
        redirect_uris: vec!["http://rp.example/cb".into()],
        ..client()
    };
    assert_fails(
        "fail/registered-uri-unusable",
        validate_authorize(
            &with(&[("redirect_uri", Some("http://rp.example/cb"))]),
            Some(&bad_registered),
            Origin::FrontChannel,
        ),
        ErrorCode::InvalidRequest,
        false,
    );
}

#[test]
fn fail_redirectable() {
    use ErrorCode::*;
    let long_state = "s".repeat(MAX_STATE_LEN + 1);
    let long_nonce = "n".repeat(MAX_NONCE_LEN + 1);
    let cases: Vec<(&str, Params, ErrorCode)> = vec![
        (
            "fail/duplicated-scope",
            plus(&[("scope", "openid")]),
            InvalidRequest,
        ),
        (
            "fail/duplicated-nonce",
            plus(&[("nonce", "n-2")]),
            InvalidRequest,
        ),
        (
            "fail/duplicated-response-type",
            plus(&[("response_type", "code")]),
            InvalidRequest,
        ),
        (
            "fail/missing-openid-scope",
            with(&[("scope", Some("profile"))]),
            InvalidScope,
        ),
        ("fail/missing-scope", with(&[("scope", None)]), InvalidScope),
        (
            "fail/scope-not-allowed-ssn",
            with(&[("scope", Some("openid ssn"))]),
            InvalidScope,
        ),
        (
            "fail/scope-malformed",
            with(&[("scope", Some("openid \"x\""))]),
            InvalidScope,
        ),
        (
            "fail/response-type-token",
            with(&[("response_type", Some("token"))]),
            UnsupportedResponseType,
        ),
        (
            "fail/response-type-hybrid",
            with(&[("response_type", Some("code id_token"))]),
            UnsupportedResponseType,
        ),
        (
            "fail/response-type-missing",
            with(&[("response_type", None)]),
            InvalidRequest,
        ),
        (
            "fail/response-mode-form-post",
            plus(&[("response_mode", "form_post")]),
            InvalidRequest,
        ),
        (
            "fail/pkce-plain",
            plus(&[
                ("code_challenge", CHALLENGE),
                ("code_challenge_method", "plain"),
            ]),
            InvalidRequest,
        ),
        (
            "fail/pkce-no-method-means-plain",
            plus(&[("code_challenge", CHALLENGE)]),
            InvalidRequest,
        ),
        (
            "fail/pkce-method-without-challenge",
            plus(&[("code_challenge_method", "S256")]),
            InvalidRequest,
        ),
        (
            "fail/pkce-bad-challenge",
            plus(&[
                ("code_challenge", "short"),
                ("code_challenge_method", "S256"),
            ]),
            InvalidRequest,
        ),
        (
            "fail/prompt-none-and-login",
            plus(&[("prompt", "none login")]),
            InvalidRequest,
        ),
        (
            "fail/prompt-unknown",
            plus(&[("prompt", "create")]),
            InvalidRequest,
        ),
        (
            "fail/max-age-negative",
            plus(&[("max_age", "-1")]),
            InvalidRequest,
        ),
        (
            "fail/max-age-not-number",
            plus(&[("max_age", "abc")]),
            InvalidRequest,
        ),
        (
            "fail/max-age-plus-sign",
            plus(&[("max_age", "+5")]),
            InvalidRequest,
        ),
        (
            "fail/max-age-fraction",
            plus(&[("max_age", "1.5")]),
            InvalidRequest,
        ),
        (
            "fail/max-age-huge",
            plus(&[("max_age", "99999999999999999999999")]),
            InvalidRequest,
        ),
        (
            "fail/acr-unknown",
            plus(&[("acr_values", "urn:mace:incommon:iap:silver")]),
            InvalidRequest,
        ),
        (
            "fail/acr-saml-form",
            plus(&[(
                "acr_values",
                "https://data.gov.dk/concept/core/nsis/loa/High",
            )]),
            InvalidRequest,
        ),
        (
            "fail/acr-one-known-one-unknown",
            plus(&[("acr_values", &format!("{HIGH} urn:x"))]),
            InvalidRequest,
        ),
        (
            "fail/acr-spaces-only",
            plus(&[("acr_values", "  ")]),
            InvalidRequest,
        ),
        (
            "fail/claims-not-json",
            plus(&[("claims", "{not json")]),
            InvalidRequest,
        ),
        (
            "fail/claims-array",
            plus(&[("claims", "[]")]),
            InvalidRequest,
        ),
        (
            "fail/claims-member-not-object",
            plus(&[("claims", r#"{"id_token":[]}"#)]),
            InvalidRequest,
        ),
        (
            "fail/claims-request-string",
            plus(&[("claims", r#"{"userinfo":{"name":"yes"}}"#)]),
            InvalidRequest,
        ),
        (
            "fail/claims-essential-not-bool",
            plus(&[("claims", r#"{"userinfo":{"name":{"essential":"true"}}}"#)]),
            InvalidRequest,
        ),
        (
            "fail/claims-values-not-array",
            plus(&[("claims", r#"{"userinfo":{"name":{"values":"x"}}}"#)]),
            InvalidRequest,
        ),
        (
            "fail/claims-acr-unknown",
            plus(&[("claims", r#"{"id_token":{"acr":{"values":["urn:x"]}}}"#)]),
            InvalidRequest,
        ),
        (
            "fail/claims-too-long",
            plus(&[(
                "claims",
                &format!(
                    r#"{{"userinfo":{{"name":"{}"}}}}"#,
                    "x".repeat(MAX_CLAIMS_LEN)
                ),
            )]),
            InvalidRequest,
        ),
        (
            "fail/request-object",
            plus(&[("request", "eyJhbGciOiJub25lIn0.e30.")]),
            RequestNotSupported,
        ),
        (
            "fail/request-uri-front-channel",
            plus(&[("request_uri", "urn:ietf:params:oauth:request_uri:abc")]),
            InvalidRequestUri,
        ),
        (
            "fail/state-too-long",
            with(&[("state", Some(&long_state))]),
            InvalidRequest,
        ),
        (
            "fail/state-control-char",
            with(&[("state", Some("a\nb"))]),
            InvalidRequest,
        ),
        (
            "fail/nonce-too-long",
            with(&[("nonce", Some(&long_nonce))]),
            InvalidRequest,
        ),
        (
            "fail/login-hint-too-long",
            plus(&[("login_hint", &"h".repeat(MAX_HINT_LEN + 1))]),
            InvalidRequest,
        ),
        (
            "fail/ui-locales-malformed",
            plus(&[("ui_locales", "da <script>")]),
            InvalidRequest,
        ),
    ];
    for (name, params, code) in cases {
        assert_fails(name, validate(&params), code, true);
    }
}

#[test]
fn fail_public_client_without_pkce() {
    assert_fails(
        "fail/public-no-pkce",
        validate_authorize(&base(), Some(&public_client()), Origin::FrontChannel),
        ErrorCode::InvalidRequest,
        true,
    );
    assert_fails(
        "fail/public-plain",
        validate_authorize(
            &plus(&[
                ("code_challenge", CHALLENGE),
                ("code_challenge_method", "plain"),
            ]),
            Some(&public_client()),
            Origin::FrontChannel,
        ),
        ErrorCode::InvalidRequest,
        true,
    );
}

#[test]
fn state_is_echoed_unless_invalid() {
    let err = validate(&with(&[("response_type", Some("token"))])).unwrap_err();
    let AuthorizeError::Redirect {
        state,
        redirect_uri,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(state.as_deref(), Some("st-1"));
    assert_eq!(redirect_uri, CB);
    let err = validate(&plus(&[("state", "st-2")])).unwrap_err();
    let AuthorizeError::Redirect { state, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(*state, None, "a duplicated state is not echoed");
    let err = validate(&with(&[("state", Some("a\u{7f}"))])).unwrap_err();
    let AuthorizeError::Redirect { state, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(*state, None);
}

#[test]
fn par() {
    let par_only = ClientView {
        require_par: true,
        ..client()
    };
    assert_fails(
        "fail/require-par-plain-request",
        validate_authorize(&base(), Some(&par_only), Origin::FrontChannel),
        ErrorCode::InvalidRequest,
        true,
    );
    let r = validate_authorize(&base(), Some(&par_only), Origin::Pushed).unwrap();
    assert!(r.pushed);
    assert_fails(
        "fail/request-uri-inside-pushed-request",
        validate_authorize(
            &plus(&[("request_uri", "urn:ietf:params:oauth:request_uri:x")]),
            Some(&client()),
            Origin::Pushed,
        ),
        ErrorCode::InvalidRequest,
        true,
    );

    let q = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let uri = "urn:ietf:params:oauth:request_uri:abc";
    assert_eq!(pushed_reference(&base()).unwrap(), None);
    assert_eq!(
        pushed_reference(&q(&[("client_id", "rp"), ("request_uri", uri)])).unwrap(),
        Some(PushedReference {
            client_id: "rp".into(),
            request_uri: uri.into()
        })
    );
    let cases = [
        (
            "fail/no-client-id",
            q(&[("request_uri", uri)]),
            ErrorCode::InvalidRequest,
        ),
        (
            "fail/foreign-uri",
            q(&[
                ("client_id", "rp"),
                ("request_uri", "https://rp.example/req.jwt"),
            ]),
            ErrorCode::InvalidRequestUri,
        ),
        (
            "fail/duplicated",
            q(&[
                ("client_id", "rp"),
                ("request_uri", uri),
                ("request_uri", uri),
            ]),
            ErrorCode::InvalidRequest,
        ),
    ];
    for (name, params, code) in cases {
        let err = pushed_reference(&params).unwrap_err();
        assert_eq!(err.error().code, code, "{name}");
        assert!(!err.is_redirectable(), "{name}");
    }

    use rand::SeedableRng;
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    let a = new_request_uri(&mut rng);
    assert!(a.starts_with(PAR_REQUEST_URI_PREFIX));
    assert_eq!(a.len(), PAR_REQUEST_URI_PREFIX.len() + 43);
    assert_ne!(a, new_request_uri(&mut rng));
    assert_eq!(
        par_response(&a, 60),
        json!({"request_uri": a, "expires_in": 60})
    );
}

#[test]
fn response_urls() {
    let iss = Issuer::parse("https://id.nyckel.dk").unwrap();
    let cases = [
        (
            "ok/plain",
            "https://rp.example/cb",
            Some("xyz"),
            "https://rp.example/cb?code=C1&state=xyz&iss=https%3A%2F%2Fid.nyckel.dk",
        ),
        (
            "ok/no-state",
            "https://rp.example/cb",
            None,
            "https://rp.example/cb?code=C1&iss=https%3A%2F%2Fid.nyckel.dk",
        ),
        (
            "ok/existing-query-kept",
            "https://rp.example/cb?tenant=a%20b&x=1",
            Some("s"),
            "https://rp.example/cb?tenant=a%20b&x=1&code=C1&state=s&iss=https%3A%2F%2Fid.nyckel.dk",
        ),
        (
            "ok/state-encoded",
            "https://rp.example/cb",
            Some("a b&c=d/é"),
            "https://rp.example/cb?code=C1&state=a+b%26c%3Dd%2F%C3%A9&iss=https%3A%2F%2Fid.nyckel.dk",
        ),
        (
            "ok/trailing-question-mark",
            "https://rp.example/cb?",
            None,
            "https://rp.example/cb?code=C1&iss=https%3A%2F%2Fid.nyckel.dk",
        ),
        (
            "ok/native-scheme",
            "dk.nyckel.app:/cb",
            None,
            "dk.nyckel.app:/cb?code=C1&iss=https%3A%2F%2Fid.nyckel.dk",
        ),
    ];
    for (name, uri, state, want) in cases {
        assert_eq!(
            authorization_response_url(uri, "C1", state, &iss),
            want,
            "{name}"
        );
    }
    let e = OAuthError::new(ErrorCode::AccessDenied, "the person declined");
    assert_eq!(
        error_response_url("https://rp.example/cb?x=1", &e, Some("s"), &iss),
        "https://rp.example/cb?x=1&error=access_denied&error_description=the+person+declined&state=s&iss=https%3A%2F%2Fid.nyckel.dk"
    );
    // Through AuthorizeError, the URL is the validated, registered one.
    let err = validate(&with(&[("scope", Some("profile"))])).unwrap_err();
    let url = err.redirect_url(&iss).unwrap();
    assert!(
        url.starts_with("https://rp.example/cb?error=invalid_scope&error_description="),
        "{url}"
    );
    assert!(
        url.ends_with("&state=st-1&iss=https%3A%2F%2Fid.nyckel.dk"),
        "{url}"
    );
    assert_eq!(
        validate_authorize(&base(), None, Origin::FrontChannel)
            .unwrap_err()
            .redirect_url(&iss),
        None
    );
    // The query parses back to exactly the values put in.
    let u = url::Url::parse(&authorization_response_url(CB, "c&d", Some("a=b c"), &iss)).unwrap();
    let pairs: Vec<(String, String)> = u.query_pairs().into_owned().collect();
    assert_eq!(
        pairs,
        vec![
            ("code".into(), "c&d".into()),
            ("state".into(), "a=b c".into()),
            ("iss".into(), iss.to_string())
        ]
    );
}

#[test]
fn redirect_uri_registration() {
    let cases = [
        ("ok/https", "https://rp.example/cb", false, true),
        (
            "ok/https-query",
            "https://rp.example/cb?tenant=1",
            false,
            true,
        ),
        ("ok/loopback-http", "http://127.0.0.1:5000/cb", true, true),
        ("ok/localhost-http", "http://localhost/cb", false, true),
        ("ok/native-private-scheme", "dk.nyckel.app:/cb", true, true),
        (
            "fail/native-scheme-confidential",
            "dk.nyckel.app:/cb",
            false,
            false,
        ),
        ("fail/scheme-without-dot", "myapp:/cb", true, false),
        (
            "fail/http-public-host",
            "http://rp.example/cb",
            false,
            false,
        ),
        ("fail/fragment", "https://rp.example/cb#x", false, false),
        (
            "fail/empty-fragment",
            "https://rp.example/cb#",
            false,
            false,
        ),
        ("fail/relative", "/cb", false, false),
        (
            "fail/query-has-code",
            "https://rp.example/cb?code=1",
            false,
            false,
        ),
        (
            "fail/query-has-iss",
            "https://rp.example/cb?iss=1",
            false,
            false,
        ),
        ("fail/javascript", "javascript:alert(1)", true, false),
        ("fail/newline", "https://rp.example/cb\nX", false, false),
        (
            "fail/trailing-newline",
            "https://rp.example/cb\n",
            false,
            false,
        ),
        (
            "fail/carriage-return",
            "https://rp.example/cb\r\nX",
            false,
            false,
        ),
        ("fail/tab", "https://rp.example/c\tb", false, false),
        ("fail/nul", "https://rp.example/cb\0", false, false),
        ("fail/delete", "https://rp.example/cb\u{7f}", false, false),
        (
            "fail/c1-control",
            "https://rp.example/cb\u{85}",
            false,
            false,
        ),
        ("fail/space", "https://rp.example/c b", false, false),
        ("fail/leading-space", " https://rp.example/cb", false, false),
        (
            "fail/no-break-space",
            "https://rp.example/cb\u{a0}",
            false,
            false,
        ),
        ("fail/uppercase-host", "https://RP.example/cb", false, false),
        (
            "fail/default-port",
            "https://rp.example:443/cb",
            false,
            false,
        ),
        ("fail/no-path", "https://rp.example", false, false),
        (
            "fail/dot-segment",
            "https://rp.example/a/../cb",
            false,
            false,
        ),
        (
            "fail/unencoded-unicode",
            "https://rp.example/caf\u{e9}",
            false,
            false,
        ),
        ("ok/other-port", "https://rp.example:8443/cb", false, true),
        ("ok/root-path", "https://rp.example/", false, true),
        (
            "ok/percent-encoded",
            "https://rp.example/caf%C3%A9",
            false,
            true,
        ),
        ("ok/loopback-ipv6", "http://[::1]:8080/cb", true, true),
    ];
    for (name, uri, public, ok) in cases {
        assert_eq!(check_redirect_uri(uri, public).is_ok(), ok, "{name}");
    }
}

#[test]
fn login_and_prompt_rules() {
    let now = 1_000_000;
    let req = |extra: &[(&str, &str)]| validate(&plus(extra)).unwrap();
    let plain = req(&[]);
    assert!(plain.login_required(None, now), "no session");
    assert!(
        !plain.login_required(Some(now - 86_400), now),
        "any session will do"
    );
    assert!(req(&[("prompt", "login")]).login_required(Some(now), now));
    assert!(req(&[("max_age", "0")]).login_required(Some(now), now));
    let aged = req(&[("max_age", "600")]);
    assert!(!aged.login_required(Some(now - 600), now));
    assert!(aged.login_required(Some(now - 601), now));

    let none = req(&[("prompt", "none")]);
    assert_eq!(
        none.prompt_none_error(true, true).unwrap().code,
        ErrorCode::LoginRequired
    );
    assert_eq!(
        none.prompt_none_error(false, true).unwrap().code,
        ErrorCode::ConsentRequired
    );
    assert_eq!(none.prompt_none_error(false, false), None);
    assert_eq!(plain.prompt_none_error(true, true), None);

    let subst = req(&[("acr_values", SUBSTANTIAL)]);
    let cases = [
        ("ok/exact", Some(Loa::Substantial), true),
        ("ok/higher", Some(Loa::High), true),
        ("fail/lower", Some(Loa::Low), false),
        ("fail/none-reachable", None, false),
    ];
    for (name, reached, ok) in cases {
        let got = subst.check_acr(reached);
        assert_eq!(got.is_ok(), ok, "{name}");
        if let Err(e) = got {
            assert_eq!(e.code, ErrorCode::UnmetAuthenticationRequirements, "{name}");
        }
    }
    assert!(plain.check_acr(None).is_ok());
    assert_eq!(plain.scope_string(), "openid profile");
    assert!(plain.has_scope("profile") && !plain.has_scope("ssn"));
}

#[test]
fn ok_serde_round_trip_for_storage() {
    let r = validate(&plus(&[
        ("acr_values", HIGH),
        ("claims", r#"{"userinfo":{"name":{"essential":true}}}"#),
    ]))
    .unwrap();
    let json = serde_json::to_string(&r).unwrap();
    let back: AuthorizationRequest = serde_json::from_str(&json).unwrap();
    assert_eq!(back, r);
}

#[test]
fn ok_query_entry_point() {
    let q = "client_id=rp&redirect_uri=https%3A%2F%2Frp.example%2Fcb&response_type=code&scope=openid+profile&state=a%20b";
    let r = validate_authorize_query(q, Some(&client()), Origin::FrontChannel).unwrap();
    assert_eq!(r.state.as_deref(), Some("a b"));
    assert_eq!(r.scopes, vec!["openid", "profile"]);
}

fn param_strategy() -> impl Strategy<Value = (String, String)> {
    let names = prop::sample::select(vec![
        "client_id",
        "redirect_uri",
        "response_type",
        "scope",
        "state",
        "nonce",
        "prompt",
        "max_age",
        "login_hint",
        "ui_locales",
        "acr_values",
        "claims",
        "request",
        "request_uri",
        "code_challenge",
        "code_challenge_method",
        "response_mode",
        "id_token_hint",
        "other",
    ]);
    let values = prop_oneof![
        Just("rp".to_owned()),
        Just(CB.to_owned()),
        Just("code".to_owned()),
        Just("openid profile ssn".to_owned()),
        Just("none login".to_owned()),
        Just(CHALLENGE.to_owned()),
        Just("S256".to_owned()),
        Just(HIGH.to_owned()),
        Just(r#"{"id_token":{"acr":{"values":[1,null,{}]}}}"#.to_owned()),
        ".{0,40}",
        "\\PC{0,200}",
    ];
    (names, values).prop_map(|(n, v)| (n.to_owned(), v))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Never panics, and never redirects anywhere but a registered URI.
    #[test]
    fn prop_validate_never_panics(params in prop::collection::vec(param_strategy(), 0..14), public in any::<bool>(), par in any::<bool>()) {
        let c = ClientView { public, ..client() };
        let origin = if par { Origin::Pushed } else { Origin::FrontChannel };
        match validate_authorize(&params, Some(&c), origin) {
            Ok(r) => {
                prop_assert!(c.redirect_uris.contains(&r.redirect_uri));
                prop_assert!(r.has_scope("openid"));
                prop_assert!(!public || r.code_challenge.is_some());
            }
            Err(AuthorizeError::Redirect { redirect_uri, .. }) => prop_assert!(c.redirect_uris.contains(&redirect_uri)),
            Err(AuthorizeError::NotRedirectable(_)) => {}
        }
        let _ = pushed_reference(&params);
    }

    #[test]
    fn prop_query_never_panics(q in "\\PC{0,300}") {
        let _ = validate_authorize_query(&q, Some(&client()), Origin::FrontChannel);
    }

    #[test]
    fn prop_claims_never_panics(s in "\\PC{0,300}") {
        let _ = parse_claims(&s);
    }
}
