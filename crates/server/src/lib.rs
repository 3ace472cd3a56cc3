//! nyckel's web tier: login pages that work without JavaScript, My nyckel,
//! the OpenID provider's endpoints, help, health. What happens behind a
//! page is `nyckel-service`'s.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod web;
