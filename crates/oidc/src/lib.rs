//! nyckel's OpenID Connect provider, as protocol logic: authorization
//! requests and responses (RFC 6749, OIDC Core, RFC 7636 PKCE, RFC 9126 PAR,
//! RFC 9207 `iss`), client authentication (secrets, RFC 7523 private-key
//! JWTs), signing keys and nyckel's own JWTs (RFC 7515/7517/7519, RFC 9068
//! access tokens), token claims, and the discovery document.
//!
//! Pure functions over plain data: no HTTP framework, no SQL, no clock or
//! randomness read inside (callers pass `now` and an RNG; only key pair
//! generation uses aws-lc-rs's own random source). The server crate calls
//! it from its handlers and stores what must be stored (codes, refresh
//! tokens, PAR requests, used `jti`s) in the database.
//!
//! Cryptography is aws-lc-rs only, directly and through jsonwebtoken's
//! `aws_lc_rs` backend. This crate must not depend on the `rsa` crate
//! (RUSTSEC-2023-0071) nor on `ring`.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod crypto;
mod jwt;

pub mod client;
pub mod discovery;
pub mod error;
pub mod fuzz;
pub mod grant;
pub mod issuer;
pub mod keys;
pub mod params;
pub mod pkce;
pub mod request;
pub mod tokens;

pub use error::{AuthorizeError, Error, ErrorCode, OAuthError, TokenError};
pub use issuer::Issuer;
pub use jwt::MAX_TOKEN_LEN;
