//! `cc`: client_credentials tokens per second from this tool's own HTTP
//! client (reqwest, keep-alive), as a second opinion next to `hey`: the
//! figure that counts is `hey`'s (the same command for nyckel and the peer);
//! this one also reports the server's CPU time per token.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use clap::Args;
use serde_json::json;

use crate::stats::{CpuMeter, ms};
use crate::write_json;

#[derive(Debug, Args)]
pub struct CcArgs {
    /// The server's base URL, e.g. http://127.0.0.1:18181.
    #[arg(long)]
    url: String,
    /// The machine client's ID.
    #[arg(long)]
    client_id: String,
    /// The machine client's secret.
    #[arg(long, env = "OIDCBENCH_CC_SECRET", hide_env_values = true)]
    client_secret: String,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Seconds measured.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Seconds of load before measuring.
    #[arg(long, default_value_t = 2)]
    warmup: u64,
    /// The server's process id: its CPU time per token is reported.
    #[arg(long, value_name = "PID")]
    server_pid: Option<u32>,
    /// Also write the summary as JSON here.
    #[arg(long, value_name = "FILE")]
    json_out: Option<PathBuf>,
}

pub async fn run(args: CcArgs) -> anyhow::Result<()> {
    if args.concurrency == 0 || args.seconds == 0 {
        bail!("--concurrency and --seconds must be at least 1");
    }
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(args.concurrency)
        .build()
        .context("HTTP client")?;
    let url = format!("{}/token", args.url.trim_end_matches('/'));
    let ok = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let from = Instant::now() + Duration::from_secs(args.warmup);
    let until = from + Duration::from_secs(args.seconds);
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..args.concurrency {
        let (http, url, ok, failed) = (http.clone(), url.clone(), ok.clone(), failed.clone());
        let (id, secret) = (args.client_id.clone(), args.client_secret.clone());
        workers.spawn(async move {
            while Instant::now() < until {
                let r = http
                    .post(&url)
                    .basic_auth(&id, Some(&secret))
                    .form(&[("grant_type", "client_credentials")])
                    .send()
                    .await;
                let good = match r {
                    Ok(r) if r.status() == 200 => r.bytes().await.is_ok(),
                    _ => false,
                };
                let now = Instant::now();
                if now >= from && now <= until {
                    if good { &ok } else { &failed }.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
    }
    tokio::time::sleep_until(from.into()).await;
    let cpu = CpuMeter::start(args.server_pid);
    tokio::time::sleep_until(until.into()).await;
    let tokens = ok.load(Ordering::Relaxed) as usize;
    let (server_cpu, loadgen_cpu) = cpu.per_op_ms(tokens);
    while workers.join_next().await.is_some() {}
    let rate = tokens as f64 / args.seconds as f64;
    let failed = failed.load(Ordering::Relaxed);
    println!(
        "client_credentials (own client), concurrency {}: {tokens} tokens in {} s = {rate:.0}/s; CPU-ms per token: server {}, load generator {}; failed {failed}",
        args.concurrency,
        args.seconds,
        ms(server_cpu),
        ms(loadgen_cpu)
    );
    write_json(
        args.json_out.as_ref(),
        &json!({
            "kind": "client_credentials_own_client",
            "concurrency": args.concurrency,
            "seconds": args.seconds,
            "tokens": tokens,
            "tokens_per_sec": rate,
            "server_cpu_ms_per_token": server_cpu,
            "loadgen_cpu_ms_per_token": loadgen_cpu,
            "failed": failed,
        }),
    )
}
