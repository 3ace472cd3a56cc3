//! `login`: full logins over HTTP against a running server.
//!
//! Each virtual user is one holder with its own cookie jar (its own browser)
//! doing, in a loop, what a person does: open the login page, give the user
//! ID, give the password, read the key number shown, type its code, land on
//! My nyckel. A login is counted when its last page is `/my`.
//!
//! Key cards run out: a card has 148 keys (one is used by `prepare`); when
//! 20 are left the server orders a new card (that login also generates and
//! stores the new card: realistic, once per 128 logins), and the new card is
//! asked from once the old one is used up. The holders file knows only the
//! first card, so a user retires its holder after as many logins as the card
//! has keys left and takes the next unused holder from the file (with a new
//! browser). Should the server still ask from another card — the holder was
//! used by an earlier run — the attempt is counted as `cards_used_up`, not
//! as an error, and the user moves on likewise. Runs one after another
//! should therefore start where the previous one stopped: pass the
//! `next_holder` a run reports as the next run's `--first-holder`. Each run
//! needs about (logins / 147 + concurrency) holders.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::bail;
use clap::Args;
use serde_json::json;

use crate::holders::{self, Holder};
use crate::stats::Samples;
use crate::{proc_stat, write_json};

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// The server's base URL, e.g. http://127.0.0.1:8080.
    #[arg(long)]
    url: String,
    /// The holders file written by `prepare`.
    #[arg(long, value_name = "FILE")]
    holders: PathBuf,
    /// Virtual users: logins in flight at once.
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// Seconds to measure.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Seconds of load before measuring (connections, caches, the pool).
    #[arg(long, default_value_t = 2)]
    warmup: u64,
    /// Start with this holder of the file (so that runs one after another
    /// can use different holders).
    #[arg(long, default_value_t = 0)]
    first_holder: usize,
    /// The server's process id: its CPU time and memory are reported too.
    #[arg(long, value_name = "PID")]
    server_pid: Option<u32>,
    /// Database server processes (PostgreSQL backends serving the server's
    /// pool): their CPU time is reported as the database's share.
    #[arg(long, value_name = "PID", value_delimiter = ',')]
    db_pids: Vec<u32>,
    /// Also write the summary as JSON here.
    #[arg(long, value_name = "FILE")]
    json_out: Option<PathBuf>,
}

/// Why a login did not land on My nyckel.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The holder's key card is used up (or a new card is being asked from).
    CardUsedUp,
    /// Anything else, by step and kind: counted as an error.
    Error(String),
}

/// How long each step took in one login.
#[derive(Debug, Clone, Copy, Default)]
struct Steps {
    start: Duration,
    identify: Duration,
    password: Duration,
    keycard: Duration,
}

/// What the virtual users record, shared.
#[derive(Default)]
struct Record {
    total: Vec<Duration>,
    steps: Vec<Steps>,
    errors: BTreeMap<String, u64>,
    cards_used_up: u64,
}

/// The holders not yet given to a virtual user.
struct Pool {
    holders: Vec<Holder>,
    next: AtomicUsize,
}

impl Pool {
    fn take(&self) -> Option<Holder> {
        let i = self.next.fetch_add(1, Ordering::SeqCst);
        self.holders.get(i).cloned()
    }

    /// The first holder no user has taken.
    fn next_unused(&self) -> usize {
        self.next.load(Ordering::SeqCst).min(self.holders.len())
    }
}

pub async fn run(args: LoginArgs) -> anyhow::Result<()> {
    if args.concurrency == 0 || args.seconds == 0 {
        bail!("--concurrency and --seconds must be at least 1");
    }
    let all = holders::read(&args.holders)?;
    if all.len() <= args.first_holder {
        bail!(
            "the holders file has {} holders; --first-holder is {}",
            all.len(),
            args.first_holder
        );
    }
    let pool = Arc::new(Pool {
        holders: all,
        next: AtomicUsize::new(args.first_holder),
    });
    let base = args.url.trim_end_matches('/').to_owned();
    let record = Arc::new(Mutex::new(Record::default()));

    let begin = Instant::now();
    let measure_from = begin + Duration::from_secs(args.warmup);
    let measure_to = measure_from + Duration::from_secs(args.seconds);

    let mut users = tokio::task::JoinSet::new();
    for _ in 0..args.concurrency {
        let (pool, record, base) = (pool.clone(), record.clone(), base.clone());
        users.spawn(user(pool, record, base, measure_from, measure_to));
    }

    let server = args.server_pid.map(|p| p.to_string());
    tokio::time::sleep_until(measure_from.into()).await;
    let db_cpu = || -> Option<Duration> {
        if args.db_pids.is_empty() {
            return None;
        }
        args.db_pids
            .iter()
            .map(|p| proc_stat::cpu_time(&p.to_string()))
            .sum()
    };
    // The server's Argon2id workers by thread name: their CPU time is the
    // hashes' cost inside the server, measured at the same moments as the
    // whole process, so their ratio does not move with the machine's load.
    let hash_cpu = || {
        server
            .as_deref()
            .and_then(|p| proc_stat::threads_cpu_time(p, "nyckel-argon2"))
    };
    let cpu_at_start = (
        proc_stat::cpu_time("self"),
        server.as_deref().and_then(proc_stat::cpu_time),
        db_cpu(),
        hash_cpu(),
    );
    tokio::time::sleep_until(measure_to.into()).await;
    let cpu_at_end = (
        proc_stat::cpu_time("self"),
        server.as_deref().and_then(proc_stat::cpu_time),
        db_cpu(),
        hash_cpu(),
    );
    let rss = server.as_deref().and_then(|p| {
        Some((
            proc_stat::status_kib(p, "VmRSS")?,
            proc_stat::status_kib(p, "VmHWM")?,
        ))
    });
    let mut users_out_of_holders = 0;
    while let Some(done) = users.join_next().await {
        if matches!(done, Ok(Exhausted::Yes)) {
            users_out_of_holders += 1;
        }
    }

    let record = std::mem::take(&mut *record.lock().map_err(|_| anyhow::anyhow!("poisoned"))?);
    let logins = record.total.len();
    let secs = args.seconds as f64;
    let rate = logins as f64 / secs;
    let total = Samples::new(record.total);
    let step = |f: fn(&Steps) -> Duration| {
        Samples::new(record.steps.iter().map(f).collect()).percentile_ms(50.0)
    };
    let cpu_ms_per_login = |a: Option<Duration>, b: Option<Duration>| {
        a.zip(b)
            .map(|(a, b)| a.saturating_sub(b).as_secs_f64() * 1000.0 / logins.max(1) as f64)
    };
    let server_cpu = cpu_ms_per_login(cpu_at_end.1, cpu_at_start.1);
    let loadgen_cpu = cpu_ms_per_login(cpu_at_end.0, cpu_at_start.0);
    let db_cpu = cpu_ms_per_login(cpu_at_end.2, cpu_at_start.2);
    let hash_cpu = cpu_ms_per_login(cpu_at_end.3, cpu_at_start.3).filter(|h| *h > 0.0);
    let errors: u64 = record.errors.values().sum();

    let ms = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.1}"));
    println!(
        "concurrency {}: {logins} logins in {secs:.0} s = {rate:.1} logins/s; latency ms p50 {} p95 {} p99 {} (mean {})",
        args.concurrency,
        ms(total.percentile_ms(50.0)),
        ms(total.percentile_ms(95.0)),
        ms(total.percentile_ms(99.0)),
        ms(total.mean_ms()),
    );
    println!(
        "  step p50 ms: login page {}, identify {}, password {}, key card {}",
        ms(step(|s| s.start)),
        ms(step(|s| s.identify)),
        ms(step(|s| s.password)),
        ms(step(|s| s.keycard)),
    );
    println!(
        "  CPU-ms per login: server {} (its Argon2id workers {}), database {}, loadgen {}; server RSS {}",
        ms(server_cpu),
        ms(hash_cpu),
        ms(db_cpu),
        ms(loadgen_cpu),
        rss.map_or_else(
            || "-".to_owned(),
            |(now, peak)| format!("{now} KiB (peak {peak} KiB)")
        ),
    );
    println!(
        "  errors {errors}{}; cards used up {}; next unused holder {}{}",
        if record.errors.is_empty() {
            String::new()
        } else {
            format!(" {:?}", record.errors)
        },
        record.cards_used_up,
        pool.next_unused(),
        if users_out_of_holders > 0 {
            format!("; {users_out_of_holders} users stopped early: no unused holders left")
        } else {
            String::new()
        },
    );
    write_json(
        args.json_out.as_ref(),
        &json!({
            "concurrency": args.concurrency,
            "seconds": args.seconds,
            "logins": logins,
            "logins_per_sec": rate,
            "latency_ms": {
                "p50": total.percentile_ms(50.0),
                "p95": total.percentile_ms(95.0),
                "p99": total.percentile_ms(99.0),
                "mean": total.mean_ms(),
            },
            "step_p50_ms": {
                "login_page": step(|s| s.start),
                "identify": step(|s| s.identify),
                "password": step(|s| s.password),
                "keycard": step(|s| s.keycard),
            },
            "server_cpu_ms_per_login": server_cpu,
            "loadgen_cpu_ms_per_login": loadgen_cpu,
            "db_cpu_ms_per_login": db_cpu,
            "server_hash_cpu_ms_per_login": hash_cpu,
            "server_rss_kib": rss.map(|r| r.0),
            "server_peak_rss_kib": rss.map(|r| r.1),
            "errors": record.errors,
            "error_count": errors,
            "cards_used_up": record.cards_used_up,
            "users_out_of_holders": users_out_of_holders,
            "next_holder": pool.next_unused(),
        }),
    )
}

enum Exhausted {
    No,
    Yes,
}

/// One virtual user: one holder and one browser at a time, logins in a loop
/// until `until`. Only logins that end inside the window are recorded.
async fn user(
    pool: Arc<Pool>,
    record: Arc<Mutex<Record>>,
    base: String,
    from: Instant,
    until: Instant,
) -> Exhausted {
    let Some(mut holder) = pool.take() else {
        return Exhausted::Yes;
    };
    let mut browser = new_browser();
    let mut logins_left = keys_left(&holder);
    while Instant::now() < until {
        if logins_left == 0 {
            match pool.take() {
                Some(h) => {
                    holder = h;
                    logins_left = keys_left(&holder);
                    browser = new_browser();
                }
                None => return Exhausted::Yes,
            }
        }
        let started = Instant::now();
        let outcome = match &browser {
            Ok(b) => login(b, &base, &holder).await,
            Err(e) => Err(Failure::Error(format!("client: {e}"))),
        };
        let ended = Instant::now();
        let counted = started >= from && ended <= until;
        // Every attempt may have used a key (conservative: a holder may
        // retire a little early, never ask for a key it cannot answer).
        logins_left = logins_left.saturating_sub(1);
        let card_used_up = matches!(outcome, Err(Failure::CardUsedUp));
        let failed = matches!(outcome, Err(Failure::Error(_)));
        if counted && let Ok(mut r) = record.lock() {
            match outcome {
                Ok(steps) => {
                    r.total.push(ended - started);
                    r.steps.push(steps);
                }
                Err(Failure::CardUsedUp) => r.cards_used_up += 1,
                Err(Failure::Error(kind)) => *r.errors.entry(kind).or_default() += 1,
            }
        }
        if card_used_up {
            logins_left = 0;
        } else if failed {
            // Don't spin on a server that refuses everything.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    Exhausted::No
}

/// Logins a fresh holder from `prepare` has left on its card: every key
/// but the one its activation used.
fn keys_left(h: &Holder) -> usize {
    h.codes.len().saturating_sub(1)
}

/// A browser: a client with its own cookie jar that follows redirects.
pub(crate) fn new_browser() -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .cookie_store(true)
        .timeout(Duration::from_secs(60))
        .default_headers(reqwest::header::HeaderMap::from_iter([(
            reqwest::header::ACCEPT_LANGUAGE,
            reqwest::header::HeaderValue::from_static("en"),
        )]))
        .build()
}

/// A page as the user sees it after redirects.
pub(crate) struct Page {
    pub(crate) status: u16,
    pub(crate) path: String,
    pub(crate) body: String,
}

impl Page {
    pub(crate) fn attr(&self, prefix: &str) -> Option<&str> {
        let i = self.body.find(prefix)? + prefix.len();
        let j = self.body.get(i..)?.find('"')? + i;
        self.body.get(i..j)
    }
    pub(crate) fn csrf(&self) -> Option<&str> {
        self.attr("name=\"csrf\" value=\"")
    }
    pub(crate) fn key_number(&self) -> Option<&str> {
        self.attr("data-key-number=\"")
    }
    /// The card the key is on: `… on card <strong>KC…</strong>`.
    pub(crate) fn card_id(&self) -> Option<&str> {
        let prefix = "on card <strong>";
        let i = self.body.find(prefix)? + prefix.len();
        let j = self.body.get(i..)?.find('<')? + i;
        self.body.get(i..j)
    }
}

fn request_error(step: &str, e: &reqwest::Error) -> Failure {
    let kind = if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect"
    } else if e.is_body() || e.is_decode() {
        "body"
    } else if e.is_redirect() {
        "redirect"
    } else {
        "request"
    };
    Failure::Error(format!("{step}: {kind}"))
}

pub(crate) async fn page(step: &str, r: reqwest::RequestBuilder) -> Result<Page, Failure> {
    let r = r.send().await.map_err(|e| request_error(step, &e))?;
    let status = r.status().as_u16();
    let path = r.url().path().to_owned();
    let body = r.text().await.map_err(|e| request_error(step, &e))?;
    Ok(Page { status, path, body })
}

/// A page that must be 200 with a CSRF token; else an error named by step
/// and status (503 is the hashing pool saying it is full, 429 the throttle).
pub(crate) fn expect_form(step: &str, p: &Page) -> Result<String, Failure> {
    if p.status != 200 {
        return Err(Failure::Error(format!("{step}: HTTP {}", p.status)));
    }
    p.csrf()
        .map(str::to_owned)
        .ok_or_else(|| Failure::Error(format!("{step}: no form on {}", p.path)))
}

async fn login(http: &reqwest::Client, base: &str, h: &Holder) -> Result<Steps, Failure> {
    let mut steps = Steps::default();

    let t = Instant::now();
    let p = page("login page", http.get(format!("{base}/login?restart=1"))).await?;
    let csrf = expect_form("login page", &p)?;
    steps.start = t.elapsed();

    let t = Instant::now();
    let p = page(
        "identify",
        http.post(format!("{base}/login/identify"))
            .form(&[("csrf", csrf.as_str()), ("login_name", h.user_id.as_str())]),
    )
    .await?;
    let csrf = expect_form("identify", &p)?;
    steps.identify = t.elapsed();

    let t = Instant::now();
    let p = page(
        "password",
        http.post(format!("{base}/login/password"))
            .form(&[("csrf", csrf.as_str()), ("password", h.password.as_str())]),
    )
    .await?;
    steps.password = t.elapsed();
    if p.body.contains("No usable key card") {
        return Err(Failure::CardUsedUp);
    }
    let csrf = expect_form("password", &p)?;
    let Some(key) = p.key_number() else {
        return Err(Failure::Error("password: no key-card challenge".into()));
    };
    if h.card_id.as_deref().is_some_and(|c| p.card_id() != Some(c)) {
        return Err(Failure::CardUsedUp);
    }
    let Some(code) = h.codes.get(key) else {
        return Err(Failure::CardUsedUp);
    };

    let t = Instant::now();
    let p = page(
        "key card",
        http.post(format!("{base}/login/keycard"))
            .form(&[("csrf", csrf.as_str()), ("code", code.as_str())]),
    )
    .await?;
    steps.keycard = t.elapsed();
    if p.status != 200 || p.path != "/my" {
        return Err(Failure::Error(format!(
            "key card: HTTP {} at {}",
            p.status, p.path
        )));
    }
    Ok(steps)
}
