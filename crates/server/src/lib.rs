//! nyckel's web tier and the services behind it: login pages that work
//! without JavaScript, My nyckel, help, health. The services module is
//! shared with the operator CLI.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod clock;
pub mod config;
pub mod hashing;
pub mod provider;
pub mod service;
pub mod web;
