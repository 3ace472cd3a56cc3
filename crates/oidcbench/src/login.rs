//! `login`: full OpenID login flows per second against a running server —
//! what a person and a service do together, end to end: the service sends
//! the browser to `/authorize`; the person gives user ID, password and a
//! key-card code on the login pages and allows sharing on the consent
//! screen; the browser comes back to the service with a code, which the
//! service exchanges at `/token` (client_secret_basic, PKCE) for an ID
//! token, an access token and a refresh token. A flow is counted when the
//! token response has an ID token.
//!
//! Every flow runs in a new browser (no session, so no single sign-on) and
//! asks `prompt=consent` (unless `--no-prompt-consent`), so that every flow
//! shows the consent screen. Each costs exactly one Argon2id verification:
//! the login's bound is the server's Argon2id rate (`nyckel-loadgen argon2`).
//! Key cards run out as in `nyckel-loadgen login`: a holder is retired after
//! as many flows as its card has keys and the next unused one is taken.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::bail;
use clap::Args;
use serde_json::json;

use crate::holders::{self, Holder};
use crate::rp::{self, Failure, Rp, Steps};
use crate::stats::{CpuMeter, Samples, ms};
use crate::{RpArgs, write_json};

#[derive(Debug, Args)]
pub struct LoginArgs {
    #[command(flatten)]
    rp: RpArgs,
    /// The holders file written by `nyckel-loadgen prepare`.
    #[arg(long, value_name = "FILE")]
    holders: PathBuf,
    /// Start with this holder of the file.
    #[arg(long, default_value_t = 0)]
    first_holder: usize,
    /// Flows in flight at once (virtual people).
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Seconds measured.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Seconds of load before measuring.
    #[arg(long, default_value_t = 3)]
    warmup: u64,
    /// Do not send prompt=consent (the consent screen then shows only at a
    /// holder's first flow).
    #[arg(long)]
    no_prompt_consent: bool,
    /// The server's process id: its CPU time per flow is reported.
    #[arg(long, value_name = "PID")]
    server_pid: Option<u32>,
    /// Also write the summary as JSON here.
    #[arg(long, value_name = "FILE")]
    json_out: Option<PathBuf>,
}

#[derive(Default)]
struct Record {
    total: Vec<Duration>,
    steps: Vec<(Steps, Duration)>,
    errors: BTreeMap<String, u64>,
    cards_used_up: u64,
}

struct Pool {
    holders: Vec<Holder>,
    next: AtomicUsize,
}

impl Pool {
    fn take(&self) -> Option<Holder> {
        self.holders
            .get(self.next.fetch_add(1, Ordering::SeqCst))
            .cloned()
    }
    fn next_unused(&self) -> usize {
        self.next.load(Ordering::SeqCst).min(self.holders.len())
    }
}

pub async fn run(args: LoginArgs) -> anyhow::Result<()> {
    if args.concurrency == 0 || args.seconds == 0 {
        bail!("--concurrency and --seconds must be at least 1");
    }
    let rp = Arc::new(args.rp.rp()?);
    let pool = Arc::new(Pool {
        holders: holders::read(&args.holders)?,
        next: AtomicUsize::new(args.first_holder),
    });
    let record = Arc::new(Mutex::new(Record::default()));
    let from = Instant::now() + Duration::from_secs(args.warmup);
    let until = from + Duration::from_secs(args.seconds);
    let consent = !args.no_prompt_consent;
    let mut users = tokio::task::JoinSet::new();
    for u in 0..args.concurrency {
        let (rp, pool, record) = (rp.clone(), pool.clone(), record.clone());
        users.spawn(user(u, rp, pool, record, consent, from, until));
    }
    tokio::time::sleep_until(from.into()).await;
    let cpu = CpuMeter::start(args.server_pid);
    tokio::time::sleep_until(until.into()).await;
    let record = std::mem::take(&mut *record.lock().map_err(|_| anyhow::anyhow!("poisoned"))?);
    let (server_cpu, loadgen_cpu) = cpu.per_op_ms(record.total.len());
    let mut out_of_holders = 0;
    while let Some(done) = users.join_next().await {
        if matches!(done, Ok(false)) {
            out_of_holders += 1;
        }
    }

    let flows = record.total.len();
    let rate = flows as f64 / args.seconds as f64;
    let total = Samples::new(record.total);
    let step = |f: fn(&(Steps, Duration)) -> Duration| {
        Samples::new(record.steps.iter().map(f).collect()).percentile_ms(50.0)
    };
    let errors: u64 = record.errors.values().sum();
    let p = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.1}"));
    println!(
        "login flows, concurrency {}: {flows} in {} s = {rate:.1} flows/s; latency {}",
        args.concurrency,
        args.seconds,
        total.summary()
    );
    println!(
        "  step p50 ms: authorize→login page {}, identify {}, password {}, key card {}, consent {}, token {}",
        p(step(|s| s.0.authorize)),
        p(step(|s| s.0.identify)),
        p(step(|s| s.0.password)),
        p(step(|s| s.0.keycard)),
        p(step(|s| s.0.consent)),
        p(step(|s| s.1)),
    );
    println!(
        "  CPU-ms per flow: server {}, load generator {}; errors {errors} {:?}; cards used up {}; next unused holder {}{}",
        ms(server_cpu),
        ms(loadgen_cpu),
        record.errors,
        record.cards_used_up,
        pool.next_unused(),
        if out_of_holders > 0 {
            format!("; {out_of_holders} users ran out of holders")
        } else {
            String::new()
        }
    );
    write_json(
        args.json_out.as_ref(),
        &json!({
            "kind": "login_flows",
            "concurrency": args.concurrency,
            "seconds": args.seconds,
            "prompt_consent": consent,
            "flows": flows,
            "flows_per_sec": rate,
            "latency_ms": total.json(),
            "step_p50_ms": {
                "authorize": step(|s| s.0.authorize),
                "identify": step(|s| s.0.identify),
                "password": step(|s| s.0.password),
                "keycard": step(|s| s.0.keycard),
                "consent": step(|s| s.0.consent),
                "token": step(|s| s.1),
            },
            "server_cpu_ms_per_flow": server_cpu,
            "loadgen_cpu_ms_per_flow": loadgen_cpu,
            "errors": record.errors,
            "error_count": errors,
            "cards_used_up": record.cards_used_up,
            "users_out_of_holders": out_of_holders,
            "next_holder": pool.next_unused(),
        }),
    )
}

/// One virtual person after another: flows in a loop until `until`; only
/// flows that start and end inside the window are recorded. False if it
/// ran out of holders.
async fn user(
    u: usize,
    rp: Arc<Rp>,
    pool: Arc<Pool>,
    record: Arc<Mutex<Record>>,
    consent: bool,
    from: Instant,
    until: Instant,
) -> bool {
    let Some(mut holder) = pool.take() else {
        return false;
    };
    let mut left = holder.logins();
    let mut n = 0u64;
    while Instant::now() < until {
        if left == 0 {
            match pool.take() {
                Some(h) => {
                    holder = h;
                    left = holder.logins();
                }
                None => return false,
            }
        }
        n += 1;
        let started = Instant::now();
        let outcome = flow(&rp, &holder, &format!("u{u}-{n}"), consent).await;
        let ended = Instant::now();
        left = left.saturating_sub(1);
        let used_up = matches!(outcome, Err(Failure::CardUsedUp));
        let failed = matches!(outcome, Err(Failure::Error(_)));
        if started >= from
            && ended <= until
            && let Ok(mut r) = record.lock()
        {
            match outcome {
                Ok(steps) => {
                    r.total.push(ended - started);
                    r.steps.push(steps);
                }
                Err(Failure::CardUsedUp) => r.cards_used_up += 1,
                Err(Failure::Error(kind)) => *r.errors.entry(kind).or_default() += 1,
            }
        }
        if used_up {
            left = 0;
        } else if failed {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    true
}

async fn flow(
    rp: &Rp,
    h: &Holder,
    state: &str,
    consent: bool,
) -> Result<(Steps, Duration), Failure> {
    let browser = rp::browser(&rp.base).map_err(|e| Failure::Error(format!("browser: {e}")))?;
    let mut steps = Steps::default();
    let code = rp::login_for_code(&browser, rp, h, state, consent, &mut steps).await?;
    let t = Instant::now();
    let tokens = rp
        .exchange(&code)
        .await
        .map_err(|e| Failure::Error(format!("token: {e}")))?;
    if !tokens.has_id_token {
        return Err(Failure::Error("token: no id_token".into()));
    }
    Ok((steps, t.elapsed()))
}
