//! Small primitives shared by the modules, all on aws-lc-rs (one crypto
//! library for the crate; its HMAC and digest APIs cannot fail).

use aws_lc_rs::{digest, hmac};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

pub(crate) fn sha256(data: &[u8]) -> [u8; 32] {
    let d = digest::digest(&digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

/// HMAC-SHA256 under `key` over a domain label and length-prefixed parts, so
/// that no two different (label, parts) lists give the same input.
pub(crate) fn keyed_hash(key: &[u8], label: &str, parts: &[&[u8]]) -> [u8; 32] {
    keyed_hash_with(&hmac::Key::new(hmac::HMAC_SHA256, key), label, parts)
}

/// [`keyed_hash`] with the HMAC key prepared once (`hmac::Key::new` hashes
/// the padded key; a `Context` copies that state).
pub(crate) fn keyed_hash_with(key: &hmac::Key, label: &str, parts: &[&[u8]]) -> [u8; 32] {
    let mut ctx = hmac::Context::with_key(key);
    ctx.update(&(label.len() as u64).to_be_bytes());
    ctx.update(label.as_bytes());
    for p in parts {
        ctx.update(&(p.len() as u64).to_be_bytes());
        ctx.update(p);
    }
    let tag = ctx.sign();
    let mut out = [0u8; 32];
    out.copy_from_slice(tag.as_ref());
    out
}

/// Plain HMAC-SHA256 (no framing), for key derivation from a fixed label.
pub(crate) fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key);
    let tag = hmac::sign(&key, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(tag.as_ref());
    out
}

pub(crate) fn b64url(data: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(data)
}

pub(crate) fn random_bytes<const N: usize, R: rand::CryptoRng + ?Sized>(rng: &mut R) -> [u8; N] {
    let mut out = [0u8; N];
    rng.fill_bytes(&mut out);
    out
}
