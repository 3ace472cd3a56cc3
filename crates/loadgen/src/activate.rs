//! `activate`: first logins over HTTP against a running server, as the
//! enrollment letters tell a new holder to do them.
//!
//! Each pending holder (`prepare --pending`) gets a browser of its own and
//! goes through the pages once: open the login page, give the user ID, give
//! the activation code as the password, choose a new password (twice), accept
//! the terms, type the code of the key shown, land on My nyckel. Choosing the
//! password is the step that hashes a *new* password (`PasswordHasher::hash`),
//! which a returning holder's login never does: this is the benchmark of what
//! first logins do to the server's memory (BENCHMARKS.md, "Memory: first
//! logins").
//!
//! Holders `--first-holder` … `--first-holder + --count − 1` of the file are
//! activated, `--concurrency` at a time (default: one after another). Each
//! holder can be activated once; a file activated already gives errors.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::bail;
use clap::Args;
use serde_json::json;

use crate::holders::{self, Holder};
use crate::login::{Failure, Page, expect_form, new_browser, page};
use crate::stats::Samples;
use crate::{proc_stat, write_json};

#[derive(Debug, Args)]
pub struct ActivateArgs {
    /// The server's base URL, e.g. http://127.0.0.1:8080.
    #[arg(long)]
    url: String,
    /// The pending holders file written by `prepare --pending-out`.
    #[arg(long, value_name = "FILE")]
    holders: PathBuf,
    /// The first holder of the file to activate.
    #[arg(long, default_value_t = 0)]
    first_holder: usize,
    /// Holders to activate (default: all from --first-holder on).
    #[arg(long)]
    count: Option<usize>,
    /// First logins in flight at once.
    #[arg(long, default_value_t = 1)]
    concurrency: usize,
    /// The server's process id: its CPU time and memory are reported too.
    #[arg(long, value_name = "PID")]
    server_pid: Option<u32>,
    /// Also write the summary as JSON here.
    #[arg(long, value_name = "FILE")]
    json_out: Option<PathBuf>,
}

/// How long each page took in one first login.
#[derive(Debug, Clone, Copy, Default)]
struct Steps {
    start: Duration,
    identify: Duration,
    activation_code: Duration,
    new_password: Duration,
    terms: Duration,
    keycard: Duration,
}

#[derive(Default)]
struct Record {
    total: Vec<Duration>,
    steps: Vec<Steps>,
    errors: BTreeMap<String, u64>,
}

pub async fn run(args: ActivateArgs) -> anyhow::Result<()> {
    let all = holders::read(&args.holders)?;
    let end = args
        .count
        .map_or(all.len(), |n| args.first_holder.saturating_add(n));
    if args.concurrency == 0 || end <= args.first_holder || end > all.len() {
        bail!(
            "the holders file has {} holders: cannot activate {}..{} at concurrency {}",
            all.len(),
            args.first_holder,
            end,
            args.concurrency
        );
    }
    if let Some(i) = (args.first_holder..end).find(|&i| all[i].activation_code.is_none()) {
        bail!("holder {i} of the file has no activation code: use `prepare --pending`'s file");
    }
    let holders = Arc::new(all[args.first_holder..end].to_vec());
    let next = Arc::new(AtomicUsize::new(0));
    let base = args.url.trim_end_matches('/').to_owned();
    let record = Arc::new(Mutex::new(Record::default()));

    let server = args.server_pid.map(|p| p.to_string());
    let hash_cpu = || {
        server
            .as_deref()
            .and_then(|p| proc_stat::threads_cpu_time(p, "nyckel-argon2"))
    };
    let at_start = (
        proc_stat::cpu_time("self"),
        server.as_deref().and_then(proc_stat::cpu_time),
        hash_cpu(),
    );
    let began = Instant::now();
    let mut users = tokio::task::JoinSet::new();
    for _ in 0..args.concurrency.min(holders.len()) {
        let (holders, next, record, base) =
            (holders.clone(), next.clone(), record.clone(), base.clone());
        users.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(h) = holders.get(i) else { break };
                let started = Instant::now();
                let outcome = match new_browser() {
                    Ok(b) => activate(&b, &base, h).await,
                    Err(e) => Err(format!("client: {e}")),
                };
                let took = started.elapsed();
                if let Ok(mut r) = record.lock() {
                    match outcome {
                        Ok(steps) => {
                            r.total.push(took);
                            r.steps.push(steps);
                        }
                        Err(kind) => *r.errors.entry(kind).or_default() += 1,
                    }
                }
            }
        });
    }
    while users.join_next().await.is_some() {}
    let wall = began.elapsed();
    let at_end = (
        proc_stat::cpu_time("self"),
        server.as_deref().and_then(proc_stat::cpu_time),
        hash_cpu(),
    );
    let rss = server.as_deref().and_then(|p| {
        Some((
            proc_stat::status_kib(p, "VmRSS")?,
            proc_stat::status_kib(p, "VmHWM")?,
        ))
    });

    let record = std::mem::take(&mut *record.lock().map_err(|_| anyhow::anyhow!("poisoned"))?);
    let done = record.total.len();
    let errors: u64 = record.errors.values().sum();
    let total = Samples::new(record.total);
    let step = |f: fn(&Steps) -> Duration| {
        Samples::new(record.steps.iter().map(f).collect()).percentile_ms(50.0)
    };
    let per_activation = |a: Option<Duration>, b: Option<Duration>| {
        a.zip(b)
            .map(|(a, b)| a.saturating_sub(b).as_secs_f64() * 1000.0 / done.max(1) as f64)
    };
    let server_cpu = per_activation(at_end.1, at_start.1);
    let loadgen_cpu = per_activation(at_end.0, at_start.0);
    let hash_cpu = per_activation(at_end.2, at_start.2).filter(|h| *h > 0.0);

    let ms = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.1}"));
    println!(
        "{done} first logins (holders {}..{end}) in {:.1} s at concurrency {}; latency ms p50 {} p95 {} max {}",
        args.first_holder,
        wall.as_secs_f64(),
        args.concurrency,
        ms(total.percentile_ms(50.0)),
        ms(total.percentile_ms(95.0)),
        ms(total.percentile_ms(100.0)),
    );
    println!(
        "  step p50 ms: login page {}, identify {}, activation code {}, new password {}, terms {}, key card {}",
        ms(step(|s| s.start)),
        ms(step(|s| s.identify)),
        ms(step(|s| s.activation_code)),
        ms(step(|s| s.new_password)),
        ms(step(|s| s.terms)),
        ms(step(|s| s.keycard)),
    );
    println!(
        "  CPU-ms per first login: server {} (its Argon2id workers {}), loadgen {}; server RSS {}",
        ms(server_cpu),
        ms(hash_cpu),
        ms(loadgen_cpu),
        rss.map_or_else(
            || "-".to_owned(),
            |(now, peak)| format!("{now} KiB (peak {peak} KiB)")
        ),
    );
    println!(
        "  errors {errors}{}",
        if record.errors.is_empty() {
            String::new()
        } else {
            format!(" {:?}", record.errors)
        }
    );
    write_json(
        args.json_out.as_ref(),
        &json!({
            "first_holder": args.first_holder,
            "next_holder": end,
            "concurrency": args.concurrency,
            "activations": done,
            "seconds": wall.as_secs_f64(),
            "latency_ms": {
                "p50": total.percentile_ms(50.0),
                "p95": total.percentile_ms(95.0),
                "max": total.percentile_ms(100.0),
            },
            "step_p50_ms": {
                "login_page": step(|s| s.start),
                "identify": step(|s| s.identify),
                "activation_code": step(|s| s.activation_code),
                "new_password": step(|s| s.new_password),
                "terms": step(|s| s.terms),
                "keycard": step(|s| s.keycard),
            },
            "server_cpu_ms_per_activation": server_cpu,
            "server_hash_cpu_ms_per_activation": hash_cpu,
            "loadgen_cpu_ms_per_activation": loadgen_cpu,
            "server_rss_kib": rss.map(|r| r.0),
            "server_peak_rss_kib": rss.map(|r| r.1),
            "errors": record.errors,
            "error_count": errors,
        }),
    )?;
    if errors > 0 {
        bail!("{errors} of {} first logins failed", done as u64 + errors);
    }
    Ok(())
}

fn failure(f: Failure) -> String {
    match f {
        Failure::CardUsedUp => "card used up".to_owned(),
        Failure::Error(e) => e,
    }
}

/// A page that must be 200 and hold a form posting to `action`.
fn expect_step(step: &str, p: &Page, action: &str) -> Result<String, String> {
    let csrf = expect_form(step, p).map_err(failure)?;
    if !p.body.contains(&format!("action=\"{action}\"")) {
        return Err(format!("{step}: no {action} form on {}", p.path));
    }
    Ok(csrf)
}

/// One first login, page by page, ending on My nyckel.
async fn activate(http: &reqwest::Client, base: &str, h: &Holder) -> Result<Steps, String> {
    let mut steps = Steps::default();
    let code = h.activation_code.as_deref().unwrap_or_default();

    let t = Instant::now();
    let p = page("login page", http.get(format!("{base}/login?restart=1")))
        .await
        .map_err(failure)?;
    let csrf = expect_step("login page", &p, "/login/identify")?;
    steps.start = t.elapsed();

    let t = Instant::now();
    let p = page(
        "identify",
        http.post(format!("{base}/login/identify"))
            .form(&[("csrf", csrf.as_str()), ("login_name", h.user_id.as_str())]),
    )
    .await
    .map_err(failure)?;
    let csrf = expect_step("identify", &p, "/login/password")?;
    steps.identify = t.elapsed();

    let t = Instant::now();
    let p = page(
        "activation code",
        http.post(format!("{base}/login/password"))
            .form(&[("csrf", csrf.as_str()), ("password", code)]),
    )
    .await
    .map_err(failure)?;
    let csrf = expect_step("activation code", &p, "/login/new-password")?;
    steps.activation_code = t.elapsed();

    let t = Instant::now();
    let p = page(
        "new password",
        http.post(format!("{base}/login/new-password")).form(&[
            ("csrf", csrf.as_str()),
            ("new_password", h.password.as_str()),
            ("confirm", h.password.as_str()),
        ]),
    )
    .await
    .map_err(failure)?;
    steps.new_password = t.elapsed();

    // A new holder has terms to accept; should it not, the key card is next.
    let p = if p.body.contains("action=\"/login/terms\"") {
        let csrf = expect_step("new password", &p, "/login/terms")?;
        let t = Instant::now();
        let p = page(
            "terms",
            http.post(format!("{base}/login/terms"))
                .form(&[("csrf", csrf.as_str()), ("accept", "yes")]),
        )
        .await
        .map_err(failure)?;
        steps.terms = t.elapsed();
        p
    } else {
        p
    };
    let csrf = expect_step("terms", &p, "/login/keycard")?;
    let Some(key) = p.key_number() else {
        return Err("terms: no key-card challenge".into());
    };
    if h.card_id.as_deref().is_some_and(|c| p.card_id() != Some(c)) {
        return Err("terms: a key from another card".into());
    }
    let Some(key_code) = h.codes.get(key) else {
        return Err("terms: a key not on the card".into());
    };

    let t = Instant::now();
    let p = page(
        "key card",
        http.post(format!("{base}/login/keycard"))
            .form(&[("csrf", csrf.as_str()), ("code", key_code.as_str())]),
    )
    .await
    .map_err(failure)?;
    steps.keycard = t.elapsed();
    if p.status != 200 || p.path != "/my" {
        return Err(format!("key card: HTTP {} at {}", p.status, p.path));
    }
    Ok(steps)
}
