//! nyckel's domain: identities, credentials (password, key card, app device,
//! code token, passkey), enrollment and eligibility rules, identity documents,
//! assurance levels, blocking and lockout rules and audit events.
//!
//! Plain functions over plain data: no I/O, no async, no clock or randomness
//! read inside — callers pass them in. Must not depend on HTTP, SQL or tokio.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod alias;
pub mod assurance;
pub mod audit;
pub mod authn;
pub mod credential;
pub mod enrollment;
pub mod html;
pub mod ids;
pub mod keycard;
pub mod lang;
pub mod lockout;
pub mod password;
pub mod population;
pub mod secret;
pub mod support;
pub mod terms;

pub use nyckel_cpr as cpr;
