//! `inproc`: where a client_credentials request's time goes *inside* the
//! server, with no HTTP: the same calls `/token` makes
//! (crates/server/src/web/oidc.rs `token`), on a `Nyckel` over the same
//! database, timed part by part:
//!
//! 1. `presented_client`: the Authorization header and form → credentials;
//! 2. `authenticate_client`: the client from the 5-s cache (the shared
//!    row) and the keyed hash of the secret (the server key prepared once);
//! 3. `parse_token_request` + `Nyckel::token`: the key set from its cache,
//!    the claims, the ES256 JWT;
//! 4. the response body as JSON bytes.
//!
//! The difference between its rate and the HTTP figure is what HTTP
//! (hyper, axum, tower layers, form parsing, the load generator sharing
//! the CPUs) costs. Run it while no server is loaded.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail};
use base64::Engine as _;
use clap::Args;
use nyckel_oidc::grant;
use nyckel_service::Nyckel;
use nyckel_service::clock::SystemClock;
use serde_json::json;

use crate::{StoreArgs, write_json};

#[derive(Debug, Args)]
pub struct InprocArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// The machine client's ID.
    #[arg(long)]
    client_id: String,
    /// The machine client's secret.
    #[arg(long, env = "OIDCBENCH_CC_SECRET", hide_env_values = true)]
    client_secret: String,
    /// Tasks calling at once.
    #[arg(long, default_value_t = 32)]
    tasks: usize,
    /// Seconds measured (after 1 s of warm-up).
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Also write the summary as JSON here.
    #[arg(long, value_name = "FILE")]
    json_out: Option<PathBuf>,
}

/// Nanoseconds spent per part, and requests done.
#[derive(Default)]
struct Parts {
    presented: AtomicU64,
    authenticate: AtomicU64,
    token: AtomicU64,
    json: AtomicU64,
    done: AtomicU64,
    failed: AtomicU64,
}

pub async fn run(args: InprocArgs) -> anyhow::Result<()> {
    if args.tasks == 0 || args.seconds == 0 {
        bail!("--tasks and --seconds must be at least 1");
    }
    let (store, config, secret) = args.store.open().await?;
    let nyckel = Nyckel::new(store, config, secret, Arc::new(SystemClock))?;
    let header = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", args.client_id, args.client_secret))
    );
    let params: Vec<(String, String)> = vec![("grant_type".into(), "client_credentials".into())];
    // One request first: it must work, and it loads the keys and the client.
    one(&nyckel, &header, &params, None).await?;

    let parts = Arc::new(Parts::default());
    let warm = Instant::now() + Duration::from_secs(1);
    let until = warm + Duration::from_secs(args.seconds);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..args.tasks {
        let (nyckel, header, params, parts) = (
            nyckel.clone(),
            header.clone(),
            params.clone(),
            parts.clone(),
        );
        tasks.spawn(async move {
            loop {
                let now = Instant::now();
                if now >= until {
                    break;
                }
                let record = (now >= warm).then_some(&*parts);
                if one(&nyckel, &header, &params, record).await.is_err()
                    && let Some(p) = record
                {
                    p.failed.fetch_add(1, Ordering::Relaxed);
                }
                tokio::task::yield_now().await;
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    let done = parts.done.load(Ordering::Relaxed);
    let rate = done as f64 / args.seconds as f64;
    let us = |a: &AtomicU64| a.load(Ordering::Relaxed) as f64 / 1000.0 / done.max(1) as f64;
    let breakdown = json!({
        "presented_client": us(&parts.presented),
        "authenticate_client": us(&parts.authenticate),
        "token_and_sign": us(&parts.token),
        "response_json": us(&parts.json),
    });
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "client_credentials in process (no HTTP), {} tasks on {threads} threads: {done} in {} s = {rate:.0}/s; µs per request (wall, summed over tasks / requests): {breakdown}; failed {}",
        args.tasks,
        args.seconds,
        parts.failed.load(Ordering::Relaxed)
    );
    write_json(
        args.json_out.as_ref(),
        &json!({
            "kind": "client_credentials_in_process",
            "tasks": args.tasks,
            "threads": threads,
            "seconds": args.seconds,
            "tokens": done,
            "tokens_per_sec": rate,
            "us_per_request": breakdown,
        }),
    )
}

/// One client_credentials request through the service layer.
async fn one(
    nyckel: &Nyckel,
    header: &str,
    params: &[(String, String)],
    parts: Option<&Parts>,
) -> anyhow::Result<()> {
    let t0 = Instant::now();
    let presented =
        grant::presented_client(Some(header), params).map_err(|e| anyhow!("credentials: {e:?}"))?;
    let t1 = Instant::now();
    let client = nyckel
        .authenticate_client(&presented, nyckel_oidc::discovery::paths::TOKEN)
        .await?
        .map_err(|e| anyhow!("client: {e:?}"))?;
    let t2 = Instant::now();
    let req = grant::parse_token_request(params).map_err(|e| anyhow!("request: {e:?}"))?;
    let body = nyckel
        .token(&client, req)
        .await?
        .map_err(|e| anyhow!("token: {e:?}"))?;
    let t3 = Instant::now();
    let bytes = serde_json::to_vec(&body)?;
    let t4 = Instant::now();
    std::hint::black_box(bytes);
    if let Some(p) = parts {
        let ns = |a: Instant, b: Instant| (b - a).as_nanos() as u64;
        p.presented.fetch_add(ns(t0, t1), Ordering::Relaxed);
        p.authenticate.fetch_add(ns(t1, t2), Ordering::Relaxed);
        p.token.fetch_add(ns(t2, t3), Ordering::Relaxed);
        p.json.fetch_add(ns(t3, t4), Ordering::Relaxed);
        p.done.fetch_add(1, Ordering::Relaxed);
    }
    Ok(())
}
