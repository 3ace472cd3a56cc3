//! `sign`: ES256 signatures per second on this machine, the bound a token
//! endpoint that signs one JWT per request cannot beat. On `--threads`
//! plain threads (default: the number of CPUs), each for `--seconds`:
//!
//! - `raw`: aws-lc-rs `EcdsaKeyPair::sign` with the key parsed once, over
//!   the signing input of a real client_credentials access token: the
//!   cryptography alone.
//! - `server_path`: `nyckel_oidc::keys::KeySet::sign` of an
//!   `AccessTokenClaims::for_client` with a fresh `jti`, exactly what
//!   `/token` does for client_credentials (claims to JSON, base64url, the
//!   JWS header, and jsonwebtoken's signer — which parses the PKCS#8 key
//!   again on every call).
//!
//! - `cached_key`: the same token (same header and claims, verified below
//!   with `KeySet::verify` as the server would) built by hand with the key
//!   parsed once: what the server's path would cost if `SigningKey` kept
//!   its parsed aws-lc-rs key instead of calling `jsonwebtoken::encode`.
//!
//! And, on one thread, the microseconds of each part: parsing the PKCS#8
//! key, the raw signature, `jsonwebtoken::encode`, the server's path, the
//! cached-key path.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clap::Args;
use nyckel_oidc::keys::{Expected, KeySet, SigningAlg, SigningKey, typ};
use nyckel_oidc::tokens::{AccessTokenClaims, random_jti};
use serde_json::json;

use crate::write_json;

#[derive(Debug, Args)]
pub struct SignArgs {
    /// Threads (default: the number of CPUs).
    #[arg(long)]
    threads: Option<usize>,
    /// Seconds per multi-threaded measurement.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Also write the summary as JSON here.
    #[arg(long, value_name = "FILE")]
    json_out: Option<PathBuf>,
}

const ISSUER: &str = "http://127.0.0.1:18181";
const CLIENT: &str = "nyckel-0123456789abcdef0123";

fn claims() -> AccessTokenClaims {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default();
    AccessTokenClaims::for_client(
        ISSUER,
        ISSUER,
        CLIENT,
        "",
        now,
        600,
        random_jti(&mut rand::rng()),
    )
}

/// Operations per second of `op` on `threads` threads for `secs`.
fn rate(threads: usize, secs: u64, op: &(dyn Fn() -> bool + Sync)) -> (f64, u64) {
    let stop = AtomicBool::new(false);
    let done = AtomicU64::new(0);
    let failed = AtomicU64::new(0);
    let started = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                let (mut n, mut bad) = (0u64, 0u64);
                while !stop.load(Ordering::Relaxed) {
                    if op() {
                        n += 1;
                    } else {
                        bad += 1;
                    }
                }
                done.fetch_add(n, Ordering::Relaxed);
                failed.fetch_add(bad, Ordering::Relaxed);
            });
        }
        std::thread::sleep(Duration::from_secs(secs));
        stop.store(true, Ordering::Relaxed);
    });
    let elapsed = started.elapsed().as_secs_f64();
    (
        done.load(Ordering::Relaxed) as f64 / elapsed,
        failed.load(Ordering::Relaxed),
    )
}

/// Microseconds per call of `op` on this thread (about half a second).
fn micros(op: &dyn Fn() -> bool) -> f64 {
    let mut n = 0u32;
    let started = Instant::now();
    while started.elapsed() < Duration::from_millis(500) {
        std::hint::black_box(op());
        n += 1;
    }
    started.elapsed().as_secs_f64() * 1e6 / f64::from(n.max(1))
}

pub fn run(args: &SignArgs) -> anyhow::Result<()> {
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let key = SigningKey::generate(SigningAlg::ES256).map_err(|e| anyhow!("key: {e}"))?;
    let der = key.to_pkcs8_der().to_vec();
    let kid = key.kid().to_owned();
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &der)
        .map_err(|_| anyhow!("PKCS#8"))?;
    let set = KeySet::new(vec![key], Vec::new()).map_err(|e| anyhow!("key set: {e}"))?;
    // The signing input of a real token: header.claims.
    let token = set
        .sign(SigningAlg::ES256, &claims(), typ::ACCESS_TOKEN)
        .map_err(|e| anyhow!("sign: {e}"))?;
    let input = token
        .rsplit_once('.')
        .map(|(i, _)| i.as_bytes().to_vec())
        .context("a compact JWS")?;
    let rng = SystemRandom::new();
    let encoding = jsonwebtoken::EncodingKey::from_ec_der(&der);
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
    header.typ = Some(typ::ACCESS_TOKEN.into());
    header.kid = Some("kid".into());

    let header_b64 = URL_SAFE_NO_PAD.encode(serde_json::to_vec(
        &json!({ "typ": typ::ACCESS_TOKEN, "alg": "ES256", "kid": kid }),
    )?);
    let cached_token = || -> Option<String> {
        let claims = serde_json::to_vec(&claims()).ok()?;
        let mut jws = String::with_capacity(512);
        jws.push_str(&header_b64);
        jws.push('.');
        URL_SAFE_NO_PAD.encode_string(claims, &mut jws);
        let sig = pair.sign(&rng, jws.as_bytes()).ok()?;
        jws.push('.');
        URL_SAFE_NO_PAD.encode_string(sig.as_ref(), &mut jws);
        Some(jws)
    };
    // The hand-made token is one the server accepts.
    let check = cached_token().context("cached-key signing")?;
    let now = claims().iat;
    set.verify::<AccessTokenClaims>(
        &check,
        &Expected {
            issuer: ISSUER,
            audience: Some(ISSUER),
            typ: Some(typ::ACCESS_TOKEN),
            now,
            leeway: 0,
            accept_expired: false,
        },
    )
    .map_err(|e| anyhow!("the cached-key token does not verify: {e}"))?;
    let cached_key = || cached_token().is_some();
    let raw = || pair.sign(&rng, &input).is_ok();
    let server_path = || {
        set.sign(SigningAlg::ES256, &claims(), typ::ACCESS_TOKEN)
            .is_ok()
    };
    let parse = || EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &der).is_ok();
    let jwt_encode = || jsonwebtoken::encode(&header, &claims(), &encoding).is_ok();
    let claims_json = || serde_json::to_vec(&claims()).is_ok();

    let us = json!({
        "pkcs8_parse": micros(&parse),
        "raw_sign": micros(&raw),
        "claims_json": micros(&claims_json),
        "jsonwebtoken_encode": micros(&jwt_encode),
        "server_path": micros(&server_path),
        "cached_key": micros(&cached_key),
    });
    let (raw_rate, raw_failed) = rate(threads, args.seconds, &raw);
    let (path_rate, path_failed) = rate(threads, args.seconds, &server_path);
    let (cached_rate, cached_failed) = rate(threads, args.seconds, &cached_key);
    println!(
        "ES256 on {threads} threads: raw aws-lc-rs signatures {raw_rate:.0}/s; the server's signing path (KeySet::sign of an access token) {path_rate:.0}/s; the same token with the key parsed once {cached_rate:.0}/s"
    );
    println!("  one thread, µs per call: {us}");
    if raw_failed + path_failed + cached_failed > 0 {
        println!(
            "  failed: {raw_failed} raw, {path_failed} server path, {cached_failed} cached key"
        );
    }
    write_json(
        args.json_out.as_ref(),
        &json!({
            "kind": "es256_sign",
            "threads": threads,
            "seconds": args.seconds,
            "raw_signatures_per_sec": raw_rate,
            "server_path_tokens_per_sec": path_rate,
            "cached_key_tokens_per_sec": cached_rate,
            "single_thread_us": us,
            "failed": raw_failed + path_failed + cached_failed,
        }),
    )
}
