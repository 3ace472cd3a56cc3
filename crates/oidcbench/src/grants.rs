//! `grants`: authorization-code exchanges and refresh-token grants per
//! second against a running server.
//!
//! Codes and refresh tokens are single-use, so no fixed request can be
//! replayed by a generic load generator. This command makes real ones:
//!
//! 1. `--sessions` people log in for real (login pages, key card, consent)
//!    in their own browsers; each then has a nyckel session.
//! 2. Each round, those browsers make `--codes` authorization requests
//!    between them. With the session and the consent already given, the
//!    server answers each straight away with a fresh code (single sign-on:
//!    the same `issue_code` as after a login, audited the same way). Then
//!    `--concurrency` workers exchange all of them at `/token` (client
//!    secret, PKCE, redirect URI): exchanges/s is measured over this phase
//!    only. Codes live 60 s, so a round must fit: keep `--codes` to what
//!    the server exchanges in well under a minute.
//! 3. The refresh tokens from the exchanges form a pool. For `--seconds`,
//!    `--concurrency` workers each take one, refresh it at `/token`, and put
//!    the rotated one back (no token is ever used twice, so reuse detection
//!    never fires): refreshes/s.

use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail};
use clap::Args;
use serde_json::json;

use crate::holders;
use crate::rp::{self, Failure, Steps};
use crate::stats::{CpuMeter, Samples, ms};
use crate::{RpArgs, write_json};

#[derive(Debug, Args)]
pub struct GrantsArgs {
    #[command(flatten)]
    rp: RpArgs,
    /// The holders file written by `nyckel-loadgen prepare`.
    #[arg(long, value_name = "FILE")]
    holders: PathBuf,
    /// Start with this holder of the file (one holder per session).
    #[arg(long, default_value_t = 0)]
    first_holder: usize,
    /// People logged in, whose browsers make the authorization requests.
    #[arg(long, default_value_t = 8)]
    sessions: usize,
    /// Codes made and exchanged per round.
    #[arg(long, default_value_t = 2000)]
    codes: usize,
    /// Rounds of codes.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Token requests in flight at once.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Seconds of refreshes measured.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Seconds of refreshes before measuring.
    #[arg(long, default_value_t = 3)]
    warmup: u64,
    /// The server's process id: its CPU time per grant is reported.
    #[arg(long, value_name = "PID")]
    server_pid: Option<u32>,
    /// Also write the summary as JSON here.
    #[arg(long, value_name = "FILE")]
    json_out: Option<PathBuf>,
}

type Errors = Arc<Mutex<BTreeMap<String, u64>>>;

fn count(errors: &Errors, kind: String) {
    if let Ok(mut e) = errors.lock() {
        *e.entry(kind).or_default() += 1;
    }
}

pub async fn run(args: GrantsArgs) -> anyhow::Result<()> {
    if args.sessions == 0 || args.concurrency == 0 || args.codes == 0 {
        bail!("--sessions, --concurrency and --codes must be at least 1");
    }
    let rp = Arc::new(args.rp.rp()?);
    let all = holders::read(&args.holders)?;
    let people = all
        .get(args.first_holder..args.first_holder + args.sessions)
        .ok_or_else(|| anyhow!("the holders file has too few holders for --sessions"))?;

    // 1. Real logins, one browser each.
    let started = Instant::now();
    let mut logins = tokio::task::JoinSet::new();
    for (i, h) in people.iter().cloned().enumerate() {
        let rp = rp.clone();
        logins.spawn(async move {
            let browser = rp::browser(&rp.base)?;
            let mut steps = Steps::default();
            let code = rp::login_for_code(&browser, &rp, &h, &format!("s{i}"), false, &mut steps)
                .await
                .map_err(|f| match f {
                    Failure::CardUsedUp => anyhow!("holder {}: key card used up", h.user_id),
                    Failure::Error(e) => anyhow!("holder {}: {e}", h.user_id),
                })?;
            let t = rp
                .exchange(&code)
                .await
                .map_err(|e| anyhow!("first exchange: {e}"))?;
            Ok::<_, anyhow::Error>((browser, t.refresh_token))
        });
    }
    let mut browsers = Vec::new();
    let mut refresh_pool = VecDeque::new();
    while let Some(done) = logins.join_next().await {
        let (b, rt) = done??;
        browsers.push(b);
        refresh_pool.extend(rt);
    }
    eprintln!(
        "{} people logged in (with consent) in {:.1} s",
        browsers.len(),
        started.elapsed().as_secs_f64()
    );

    // 2. Rounds: make codes by single sign-on, then exchange them all.
    let errors: Errors = Arc::default();
    let mut mint_secs = 0.0;
    let mut minted = 0usize;
    let mut exchange_secs = 0.0;
    let mut exchanged = 0usize;
    let mut exchange_latency = Vec::new();
    let mut exchange_cpu = (0.0, 0.0, true);
    for round in 0..args.rounds {
        let t = Instant::now();
        let mut makers = tokio::task::JoinSet::new();
        let per = args.codes.div_ceil(browsers.len());
        for (i, b) in browsers.iter().cloned().enumerate() {
            let (rp, errors) = (rp.clone(), errors.clone());
            let n = per.min(args.codes.saturating_sub(i * per));
            makers.spawn(async move {
                let mut codes = Vec::with_capacity(n);
                for k in 0..n {
                    match rp::sso_code(&b, &rp, &format!("r{round}-{i}-{k}")).await {
                        Ok(c) => codes.push(c),
                        Err(Failure::Error(e)) => count(&errors, e),
                        Err(Failure::CardUsedUp) => count(&errors, "sso: card used up".into()),
                    }
                }
                codes
            });
        }
        let mut codes = Vec::with_capacity(args.codes);
        while let Some(done) = makers.join_next().await {
            codes.extend(done?);
        }
        let made = t.elapsed().as_secs_f64();
        mint_secs += made;
        minted += codes.len();

        let queue = Arc::new(Mutex::new(codes));
        let out = Arc::new(Mutex::new((Vec::new(), Vec::new())));
        let cpu = CpuMeter::start(args.server_pid);
        let t = Instant::now();
        let mut workers = tokio::task::JoinSet::new();
        for _ in 0..args.concurrency {
            let (rp, queue, out, errors) = (rp.clone(), queue.clone(), out.clone(), errors.clone());
            workers.spawn(async move {
                while let Some(code) = queue.lock().ok().and_then(|mut q| q.pop()) {
                    let s = Instant::now();
                    match rp.exchange(&code).await {
                        Ok(tokens) if tokens.has_id_token => {
                            if let Ok(mut o) = out.lock() {
                                o.0.push(s.elapsed());
                                o.1.extend(tokens.refresh_token);
                            }
                        }
                        Ok(_) => count(&errors, "exchange: no id_token".into()),
                        Err(e) => count(&errors, format!("exchange: {e}")),
                    }
                }
            });
        }
        while workers.join_next().await.is_some() {}
        let secs = t.elapsed().as_secs_f64();
        let (lat, rts) = std::mem::take(&mut *out.lock().map_err(|_| anyhow!("poisoned"))?);
        let (server, loadgen) = cpu.per_op_ms(lat.len());
        if let (Some(s), Some(l)) = (server, loadgen) {
            exchange_cpu.0 += s * lat.len() as f64;
            exchange_cpu.1 += l * lat.len() as f64;
        } else {
            exchange_cpu.2 = false;
        }
        eprintln!(
            "round {}: {} codes made by SSO in {made:.2} s ({:.0}/s); {} exchanged in {secs:.2} s ({:.0}/s)",
            round + 1,
            args.codes,
            args.codes as f64 / made,
            lat.len(),
            lat.len() as f64 / secs
        );
        exchange_secs += secs;
        exchanged += lat.len();
        exchange_latency.extend(lat);
        refresh_pool.extend(rts);
    }
    let exchange_rate = exchanged as f64 / exchange_secs;
    let mint_rate = minted as f64 / mint_secs;
    let exchange_latency = Samples::new(exchange_latency);
    let per_exchange = |total: f64| exchange_cpu.2.then(|| total / exchanged.max(1) as f64);
    let (ex_server_cpu, ex_loadgen_cpu) =
        (per_exchange(exchange_cpu.0), per_exchange(exchange_cpu.1));

    // 3. Refreshes from a pool of live refresh tokens.
    if refresh_pool.len() < args.concurrency {
        bail!(
            "only {} refresh tokens for {} workers: make more codes",
            refresh_pool.len(),
            args.concurrency
        );
    }
    let pool_size = refresh_pool.len();
    let pool = Arc::new(Mutex::new(refresh_pool));
    let samples = Arc::new(Mutex::new(Vec::new()));
    let from = Instant::now() + Duration::from_secs(args.warmup);
    let until = from + Duration::from_secs(args.seconds);
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..args.concurrency {
        let (rp, pool, samples, errors) =
            (rp.clone(), pool.clone(), samples.clone(), errors.clone());
        workers.spawn(async move {
            while Instant::now() < until {
                let Some(rt) = pool.lock().ok().and_then(|mut p| p.pop_front()) else {
                    break;
                };
                let s = Instant::now();
                let r = rp.refresh(&rt).await;
                let e = Instant::now();
                match r {
                    Ok(t) => {
                        if let (Some(next), Ok(mut p)) = (t.refresh_token, pool.lock()) {
                            p.push_back(next);
                        }
                        if s >= from
                            && e <= until
                            && let Ok(mut v) = samples.lock()
                        {
                            v.push(e - s);
                        }
                    }
                    Err(kind) => count(&errors, format!("refresh: {kind}")),
                }
            }
        });
    }
    tokio::time::sleep_until(from.into()).await;
    let cpu = CpuMeter::start(args.server_pid);
    tokio::time::sleep_until(until.into()).await;
    let refreshed = samples.lock().map(|v| v.len()).unwrap_or_default();
    let (rf_server_cpu, rf_loadgen_cpu) = cpu.per_op_ms(refreshed);
    while workers.join_next().await.is_some() {}
    let refresh_latency = Samples::new(std::mem::take(
        &mut *samples.lock().map_err(|_| anyhow!("poisoned"))?,
    ));
    let refresh_rate = refreshed as f64 / args.seconds as f64;
    let errors = std::mem::take(&mut *errors.lock().map_err(|_| anyhow!("poisoned"))?);

    println!(
        "code exchanges, concurrency {}: {exchanged} in {exchange_secs:.2} s = {exchange_rate:.0}/s; latency {}; CPU-ms per exchange: server {}, load generator {}",
        args.concurrency,
        exchange_latency.summary(),
        ms(ex_server_cpu),
        ms(ex_loadgen_cpu),
    );
    println!(
        "  (codes made by SSO authorization requests, {} browsers: {minted} in {mint_secs:.2} s = {mint_rate:.0}/s)",
        browsers.len()
    );
    println!(
        "refresh grants, concurrency {} over a pool of {pool_size} refresh tokens: {refreshed} in {} s = {refresh_rate:.0}/s; latency {}; CPU-ms per refresh: server {}, load generator {}",
        args.concurrency,
        args.seconds,
        refresh_latency.summary(),
        ms(rf_server_cpu),
        ms(rf_loadgen_cpu),
    );
    println!("errors: {errors:?}");
    write_json(
        args.json_out.as_ref(),
        &json!({
            "kind": "grants",
            "concurrency": args.concurrency,
            "sessions": browsers.len(),
            "codes_per_round": args.codes,
            "rounds": args.rounds,
            "sso_codes": minted,
            "sso_codes_per_sec": mint_rate,
            "exchanges": exchanged,
            "exchanges_per_sec": exchange_rate,
            "exchange_latency_ms": exchange_latency.json(),
            "exchange_server_cpu_ms": ex_server_cpu,
            "exchange_loadgen_cpu_ms": ex_loadgen_cpu,
            "refresh_pool": pool_size,
            "refresh_seconds": args.seconds,
            "refreshes": refreshed,
            "refreshes_per_sec": refresh_rate,
            "refresh_latency_ms": refresh_latency.json(),
            "refresh_server_cpu_ms": rf_server_cpu,
            "refresh_loadgen_cpu_ms": rf_loadgen_cpu,
            "errors": errors,
        }),
    )
}
