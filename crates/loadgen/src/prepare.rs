//! `prepare`: a data directory with N active holders, made through
//! [`Nyckel`]'s services — enroll, first login with the activation code,
//! choose a password, accept the terms, answer one key-card code, complete
//! the login — so that the database is exactly what real holders leave.
//!
//! With `--pending M`, M more persons are only enrolled (as a service
//! centre does: the letters with the user ID, the activation code and the
//! key card are in the outbox) and written to their own holders file with
//! their activation codes: `activate` makes their first logins over HTTP.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::{Context as _, anyhow, bail};
use clap::Args;
use nyckel_core::assurance::AuthMethod;
use nyckel_core::cpr::{Cpr, Date, PersonRecord, Residence};
use nyckel_core::enrollment::{Channel, DocumentKind};
use nyckel_core::lockout::Trust;
use nyckel_core::secret::SecretString;
use nyckel_service::clock::SystemClock;
use nyckel_service::config::{Argon2Config, Config};
use nyckel_service::{Enrolled, KeyCardStep, Nyckel, PasswordStep, SecretKey, random_token};
use nyckel_store::{IMPORT_CHUNK, Store, StoreOptions};
use rand::RngExt as _;

use crate::Argon2Args;
use crate::holders::Holder;

/// The key file `nyckel serve` reads from its data dir (crates/nyckel's
/// `settings::SECRET_KEY_FILE`), written the same way: 64 random bytes, hex,
/// newline, mode 0600.
const SECRET_KEY_FILE: &str = "secret.key";
const SECRET_KEY_BYTES: usize = 64;

const OFFICER: &str = "loadgen";
const IP: &str = "127.0.0.1";

#[derive(Debug, Args)]
pub struct PrepareArgs {
    /// The data dir `nyckel serve --data-dir` will use: nyckel.db and
    /// secret.key are created in it.
    #[arg(long, value_name = "DIR")]
    data_dir: PathBuf,
    /// A database URL instead of DIR/nyckel.db (e.g. postgres://…; the
    /// secret key still goes to DIR/secret.key).
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
    /// Active holders to create (as many persons are imported).
    #[arg(long, default_value_t = 200)]
    holders: usize,
    /// The holders file to write (JSON lines); needed if --holders is not 0.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Pending holders to create as well: enrolled, not activated (their
    /// first login is `activate`'s). As many more persons are imported.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pending: usize,
    /// The file for the pending holders (JSON lines, with each one's
    /// activation code and the password it will choose).
    #[arg(long, value_name = "FILE")]
    pending_out: Option<PathBuf>,
    /// Enrollments in flight at once.
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// The passwords are hashed with these parameters: a login verifies with
    /// the parameters stored in the hash, so they must be the server's.
    #[command(flatten)]
    params: Argon2Args,
}

pub async fn run(args: PrepareArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    if args.holders == 0 && args.pending == 0 {
        bail!("--holders or --pending must be at least 1");
    }
    if args.holders > 0 && args.out.is_none() {
        bail!("--out FILE is needed for the active holders");
    }
    if args.pending > 0 && args.pending_out.is_none() {
        bail!("--pending-out FILE is needed with --pending");
    }
    std::fs::create_dir_all(&args.data_dir)
        .with_context(|| format!("cannot create {}", args.data_dir.display()))?;
    let db_file = args.data_dir.join("nyckel.db");
    if args.database_url.is_none() && db_file.exists() {
        bail!(
            "{} exists: prepare makes a fresh database, remove the old one first",
            db_file.display()
        );
    }
    let config = Config {
        data_dir: args.data_dir.clone(),
        database_url: args.database_url.clone(),
        argon2: Argon2Config {
            memory_kib: args.params.memory_kib,
            iterations: args.params.iterations,
            parallelism: args.params.parallelism,
            ..Argon2Config::default()
        },
        ..Config::default()
    };
    let secret = secret_key(&args.data_dir)?;
    let store = Store::open(
        &config.database_url(),
        &StoreOptions {
            max_connections: config.database_max_connections,
            ..StoreOptions::default()
        },
    )
    .await
    .context("cannot open the database")?;
    let nyckel = Nyckel::new(store.clone(), config, secret, Arc::new(SystemClock))?;

    let today = nyckel.today();
    let persons: Vec<PersonRecord> = (0..args.holders + args.pending)
        .map(|i| person(i, today))
        .collect::<anyhow::Result<_>>()?;
    let mut tx = store.write().await?;
    for chunk in persons.chunks(IMPORT_CHUNK) {
        tx.upsert_persons(chunk, nyckel.now(), "nyckel-loadgen")
            .await?;
    }
    tx.commit().await?;
    eprintln!(
        "imported {} persons in {:.1} s",
        persons.len(),
        started.elapsed().as_secs_f64()
    );

    let persons = Arc::new(persons);
    let pending = enroll_pending(&nyckel, &persons[args.holders..], args.concurrency).await?;
    if let Some(path) = &args.pending_out {
        write_holders(path, &pending)?;
        eprintln!(
            "{} pending holders (enrolled, not activated) in {:.1} s; holders file {}",
            pending.len(),
            started.elapsed().as_secs_f64(),
            path.display()
        );
    }
    if args.holders == 0 {
        store.close().await;
        return Ok(());
    }
    let persons = Arc::new(persons[..args.holders].to_vec());
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..args.concurrency.max(1) {
        let (nyckel, persons, next) = (nyckel.clone(), persons.clone(), next.clone());
        tasks.spawn(async move {
            let mut made = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(p) = persons.get(i) else { break };
                let holder = enroll_and_activate(&nyckel, &p.cpr)
                    .await
                    .with_context(|| format!("holder {i}"))?;
                if (i + 1) % 100 == 0 {
                    eprintln!("{} holders active", i + 1);
                }
                made.push((i, holder));
            }
            Ok::<_, anyhow::Error>(made)
        });
    }
    let mut holders = Vec::with_capacity(args.holders);
    while let Some(done) = tasks.join_next().await {
        holders.extend(done??);
    }
    holders.sort_by_key(|(i, _)| *i);
    store.close().await;

    let holders: Vec<Holder> = holders.into_iter().map(|(_, h)| h).collect();
    let out = args.out.as_deref().ok_or_else(|| anyhow!("no --out"))?;
    write_holders(out, &holders)?;
    eprintln!(
        "{} active holders in {:.1} s; holders file {}",
        holders.len(),
        started.elapsed().as_secs_f64(),
        out.display()
    );
    Ok(())
}

fn write_holders(path: &Path, holders: &[Holder]) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::new(
        std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
    );
    for h in holders {
        writeln!(out, "{}", serde_json::to_string(h)?)?;
    }
    out.flush()?;
    Ok(())
}

/// Enrolls `persons` and nothing more: each is a holder with the letters of
/// a new enrollment (user ID and activation code, key card), in order.
async fn enroll_pending(
    nyckel: &Nyckel,
    persons: &[PersonRecord],
    concurrency: usize,
) -> anyhow::Result<Vec<Holder>> {
    let persons = Arc::new(persons.to_vec());
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency.max(1) {
        let (nyckel, persons, next) = (nyckel.clone(), persons.clone(), next.clone());
        tasks.spawn(async move {
            let mut made = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(p) = persons.get(i) else { break };
                let enrolled = enroll(&nyckel, &p.cpr)
                    .await
                    .with_context(|| format!("pending holder {i}"))?;
                let mut holder = holder_of(&enrolled, new_password());
                holder.activation_code = Some(enrolled.activation_code.expose().to_owned());
                made.push((i, holder));
            }
            Ok::<_, anyhow::Error>(made)
        });
    }
    let mut holders = Vec::with_capacity(persons.len());
    while let Some(done) = tasks.join_next().await {
        holders.extend(done??);
    }
    holders.sort_by_key(|(i, _)| *i);
    Ok(holders.into_iter().map(|(_, h)| h).collect())
}

/// A password the rules accept (none of the holder's own data in it).
fn new_password() -> String {
    format!("Bench-{}-Tak", hex::encode(rand::rng().random::<[u8; 4]>()))
}

async fn enroll(nyckel: &Nyckel, cpr: &Cpr) -> anyhow::Result<Enrolled> {
    Ok(nyckel
        .enroll(
            cpr,
            Channel::ServiceCentre,
            &[DocumentKind::DanishPassport],
            None,
            nyckel_core::lang::Lang::Da,
            OFFICER,
        )
        .await?)
}

/// What the holder's letters tell: user ID, key card (and `password`).
fn holder_of(enrolled: &Enrolled, password: String) -> Holder {
    let codes: BTreeMap<String, String> = enrolled
        .key_card
        .keys
        .iter()
        .map(|(k, c)| (k.to_string(), c.expose().to_owned()))
        .collect();
    Holder {
        user_id: enrolled.user_id.to_string(),
        password,
        card_id: Some(enrolled.key_card.card_id.clone()),
        codes,
        activation_code: None,
    }
}

/// The i-th synthetic person: a resident born 1950–1999 (7th digit 0–3, so
/// the 1900s), unique for i below 67 200 000.
fn person(i: usize, today: Date) -> anyhow::Result<PersonRecord> {
    let day = 1 + i % 28;
    let month = 1 + (i / 28) % 12;
    let yy = 50 + (i / 336) % 50;
    let serial = (i / 16_800) % 4000;
    let digits = format!("{day:02}{month:02}{yy:02}{serial:04}");
    let cpr = Cpr::parse(&digits, today).map_err(|e| anyhow!("synthetic CPR {digits}: {e}"))?;
    Ok(PersonRecord {
        cpr,
        given_names: if serial % 2 == 1 { "Peter" } else { "Anna" }.into(),
        surname: "Benchsen".into(),
        address: format!("Målevej {}, 8000 Aarhus C", i + 1),
        residence: Residence::Resident,
    })
}

/// Enrollment and first login, as a holder does it on the pages.
async fn enroll_and_activate(nyckel: &Nyckel, cpr: &Cpr) -> anyhow::Result<Holder> {
    let enrolled = enroll(nyckel, cpr).await?;
    let mut tx = nyckel.store.read().await?;
    let identity = tx
        .find_identity(&enrolled.identity_id)
        .await?
        .ok_or_else(|| anyhow!("the enrolled identity is missing"))?;
    tx.commit().await?;

    let identity = match nyckel
        .check_password_step(
            Some(&identity),
            &enrolled.activation_code,
            Trust::Untrusted,
            IP,
        )
        .await?
    {
        PasswordStep::ActivationCode(identity) => identity,
        other => bail!("the activation code was not accepted: {other:?}"),
    };
    let password = new_password();
    nyckel
        .set_password(&identity, &SecretString::new(password.clone()))
        .await?
        .map_err(|r| anyhow!("password refused: {r}"))?;
    nyckel.accept_terms(&identity).await?;
    let challenge = nyckel
        .start_key_challenge(&identity, false)
        .await?
        .ok_or_else(|| anyhow!("no key to ask for"))?;
    let code = enrolled
        .key_card
        .code(challenge.key_number)
        .ok_or_else(|| anyhow!("the challenge is not on the card"))?;
    let (step, auth) = nyckel
        .check_key_code(
            &identity,
            &challenge,
            code.expose(),
            &[AuthMethod::Password],
            IP,
        )
        .await?;
    let auth = match (step, auth) {
        (KeyCardStep::Accepted, Some(auth)) => auth,
        (step, _) => bail!("the key-card code was not accepted: {step:?}"),
    };
    nyckel
        .complete_login(auth, &random_token(), &random_token(), IP)
        .await?;

    Ok(holder_of(&enrolled, password))
}

/// The key the server will use: `NYCKEL_SECRET_KEY` (hex) if set, else
/// DIR/secret.key (hex or raw), created as `nyckel serve` would.
fn secret_key(dir: &Path) -> anyhow::Result<SecretKey> {
    if let Ok(hex_key) = std::env::var("NYCKEL_SECRET_KEY") {
        let bytes = hex::decode(hex_key.trim()).context("NYCKEL_SECRET_KEY must be hex")?;
        return Ok(SecretKey::new(bytes)?);
    }
    let path = dir.join(SECRET_KEY_FILE);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => match std::str::from_utf8(&bytes)
            .ok()
            .and_then(|s| hex::decode(s.trim()).ok())
        {
            Some(decoded) => decoded,
            None => bytes,
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut key = vec![0u8; SECRET_KEY_BYTES];
            rand::rng().fill(&mut key[..]);
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt as _;
                options.mode(0o600);
            }
            let mut file = options
                .open(&path)
                .with_context(|| format!("cannot create {}", path.display()))?;
            file.write_all(format!("{}\n", hex::encode(&key)).as_bytes())?;
            file.sync_all()?;
            key
        }
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    Ok(SecretKey::new(bytes)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ok_synthetic_persons_are_unique_adults() {
        let today = Date::new(2026, 1, 1).unwrap();
        let mut seen = std::collections::HashSet::new();
        for i in (0..200_000).chain([67_199_999]) {
            let p = person(i, today).unwrap();
            assert!(seen.insert(p.cpr.compact()), "person {i} repeats");
            assert!(p.cpr.birth_date().age_on(today) >= 18);
        }
    }
}
