//! The OpenID Provider metadata document served at
//! `{issuer}/.well-known/openid-configuration` (OpenID Connect Discovery 1.0
//! §3, RFC 8414 §2, RFC 9126 §5, RFC 9207 §3).

use nyckel_core::assurance::Loa;
use serde_json::{Value, json};

use crate::Issuer;
use crate::client::ClientAuthMethod;
use crate::keys::SigningAlg;
use crate::request::KNOWN_SCOPES;
use crate::tokens::PERSON_CLAIMS;

/// Endpoint paths under the issuer.
pub mod paths {
    pub const DISCOVERY: &str = "/.well-known/openid-configuration";
    pub const AUTHORIZE: &str = "/authorize";
    pub const TOKEN: &str = "/token";
    pub const USERINFO: &str = "/userinfo";
    pub const JWKS: &str = "/jwks";
    pub const PAR: &str = "/par";
    pub const REVOKE: &str = "/revoke";
    pub const INTROSPECT: &str = "/introspect";
    pub const LOGOUT: &str = "/logout";
}

/// What varies between deployments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveryOptions {
    /// Algorithms ID tokens can be signed with (those with a current key).
    pub id_token_signing_algs: Vec<SigningAlg>,
    /// Languages the pages are offered in.
    pub ui_locales: Vec<String>,
    /// Whether every client must use PAR (RFC 9126 §5). Per-client
    /// requirements are in client metadata, not here.
    pub require_pushed_authorization_requests: bool,
}

impl Default for DiscoveryOptions {
    fn default() -> Self {
        Self {
            id_token_signing_algs: SigningAlg::ALL.to_vec(),
            ui_locales: vec!["da".into(), "en".into(), "sv".into()],
            require_pushed_authorization_requests: false,
        }
    }
}

/// Claims that can appear in ID tokens or UserInfo responses.
const PROTOCOL_CLAIMS: [&str; 12] = [
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "acr",
    "amr",
    "azp",
    "at_hash",
    "sid",
];

/// The discovery document.
pub fn discovery_document(issuer: &Issuer, options: &DiscoveryOptions) -> Value {
    let auth_methods: Vec<&str> = ClientAuthMethod::ALL.iter().map(|m| m.as_str()).collect();
    let id_token_algs: Vec<&str> = options
        .id_token_signing_algs
        .iter()
        .map(|a| a.as_str())
        .collect();
    let claims: Vec<&str> = PROTOCOL_CLAIMS
        .iter()
        .copied()
        .chain(PERSON_CLAIMS.iter().map(|(c, _)| *c))
        .collect();
    let acr: Vec<&str> = Loa::ALL.iter().map(|l| l.uri()).collect();
    // Client assertions may also use PS256 (RFC 7518 §3.5).
    let assertion_algs = ["ES256", "RS256", "PS256"];
    json!({
        "issuer": issuer.as_str(),
        "authorization_endpoint": issuer.endpoint(paths::AUTHORIZE),
        "token_endpoint": issuer.endpoint(paths::TOKEN),
        "userinfo_endpoint": issuer.endpoint(paths::USERINFO),
        "jwks_uri": issuer.endpoint(paths::JWKS),
        "pushed_authorization_request_endpoint": issuer.endpoint(paths::PAR),
        "revocation_endpoint": issuer.endpoint(paths::REVOKE),
        "introspection_endpoint": issuer.endpoint(paths::INTROSPECT),
        "end_session_endpoint": issuer.endpoint(paths::LOGOUT),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["public", "pairwise"],
        "id_token_signing_alg_values_supported": id_token_algs,
        "token_endpoint_auth_methods_supported": auth_methods,
        "token_endpoint_auth_signing_alg_values_supported": assertion_algs,
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "revocation_endpoint_auth_signing_alg_values_supported": assertion_algs,
        "introspection_endpoint_auth_methods_supported": auth_methods,
        "introspection_endpoint_auth_signing_alg_values_supported": assertion_algs,
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": KNOWN_SCOPES,
        "claims_supported": claims,
        "claim_types_supported": ["normal"],
        "acr_values_supported": acr,
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "claims_parameter_supported": true,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "require_pushed_authorization_requests": options.require_pushed_authorization_requests,
        "authorization_response_iss_parameter_supported": true,
        "ui_locales_supported": options.ui_locales,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document() {
        let iss = Issuer::parse("https://id.nyckel.dk").unwrap();
        let d = discovery_document(&iss, &DiscoveryOptions::default());
        let cases = [
            ("issuer", json!("https://id.nyckel.dk")),
            (
                "authorization_endpoint",
                json!("https://id.nyckel.dk/authorize"),
            ),
            ("token_endpoint", json!("https://id.nyckel.dk/token")),
            ("userinfo_endpoint", json!("https://id.nyckel.dk/userinfo")),
            ("jwks_uri", json!("https://id.nyckel.dk/jwks")),
            (
                "pushed_authorization_request_endpoint",
                json!("https://id.nyckel.dk/par"),
            ),
            ("revocation_endpoint", json!("https://id.nyckel.dk/revoke")),
            (
                "introspection_endpoint",
                json!("https://id.nyckel.dk/introspect"),
            ),
            ("end_session_endpoint", json!("https://id.nyckel.dk/logout")),
            ("response_types_supported", json!(["code"])),
            (
                "grant_types_supported",
                json!(["authorization_code", "refresh_token", "client_credentials"]),
            ),
            ("subject_types_supported", json!(["public", "pairwise"])),
            (
                "id_token_signing_alg_values_supported",
                json!(["ES256", "RS256"]),
            ),
            (
                "token_endpoint_auth_methods_supported",
                json!([
                    "client_secret_basic",
                    "client_secret_post",
                    "private_key_jwt",
                    "none"
                ]),
            ),
            (
                "token_endpoint_auth_signing_alg_values_supported",
                json!(["ES256", "RS256", "PS256"]),
            ),
            ("code_challenge_methods_supported", json!(["S256"])),
            ("scopes_supported", json!(["openid", "profile", "ssn"])),
            (
                "acr_values_supported",
                json!([
                    "https://data.gov.dk/concept/core/nsis/Low",
                    "https://data.gov.dk/concept/core/nsis/Substantial",
                    "https://data.gov.dk/concept/core/nsis/High",
                ]),
            ),
            (
                "prompt_values_supported",
                json!(["none", "login", "consent", "select_account"]),
            ),
            ("claims_parameter_supported", json!(true)),
            ("request_parameter_supported", json!(false)),
            ("request_uri_parameter_supported", json!(false)),
            ("require_pushed_authorization_requests", json!(false)),
            (
                "authorization_response_iss_parameter_supported",
                json!(true),
            ),
            ("ui_locales_supported", json!(["da", "en", "sv"])),
        ];
        for (member, want) in cases {
            assert_eq!(d[member], want, "{member}");
        }
        let claims = d["claims_supported"].as_array().unwrap();
        for c in [
            "sub",
            "acr",
            "amr",
            "auth_time",
            "name",
            "given_name",
            "family_name",
            "uuid",
            "dk.cpr",
        ] {
            assert!(claims.contains(&json!(c)), "{c}");
        }
    }
}
