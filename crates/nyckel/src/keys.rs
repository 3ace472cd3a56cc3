//! `nyckel keys`: the keys nyckel signs ID tokens and access tokens with.
//!
//! Rotation goes through `Nyckel::rotate_keys`, which retires the current
//! key of each algorithm (still published in the JWKS until everything it
//! signed has expired), makes a new one and audits. A running server re-reads
//! the keys every 30 seconds, so it starts signing with the new keys within
//! that time; tokens it signs meanwhile with a retired key still verify.

use std::process::ExitCode;

use nyckel_service::clock::{Clock as _, SystemClock};
use nyckel_service::config::Config;
use serde::Serialize;

use crate::{json, local_time, operator_name, settings};

pub async fn rotate(config: Config, operator: Option<&str>) -> anyhow::Result<ExitCode> {
    let who = format!("operator:{}", operator_name(operator));
    let nyckel = settings::open_nyckel(config).await?;
    let kids = nyckel.rotate_keys(&who).await;
    nyckel.store.close().await;
    let kids = kids?;
    println!("new signing keys (running servers use them within 30 seconds):");
    for kid in kids {
        println!("  {kid}");
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Serialize)]
struct KeyJson<'a> {
    kid: &'a str,
    alg: &'a str,
    /// Whether the key signs new tokens (else it only verifies old ones).
    current: bool,
    /// Unix milliseconds.
    created_at: i64,
    retired_at: Option<i64>,
    /// Until when a retired key stays in the JWKS.
    publish_until: Option<i64>,
}

pub async fn list(config: &Config, as_json: bool) -> anyhow::Result<ExitCode> {
    let store = settings::open_store(config).await?;
    let mut tx = store.read().await?;
    let keys = tx.find_signing_keys(SystemClock.now_ms()).await?;
    tx.commit().await?;
    store.close().await;

    if as_json {
        let rows: Vec<KeyJson<'_>> = keys
            .iter()
            .map(|k| KeyJson {
                kid: &k.kid,
                alg: &k.alg,
                current: k.retired_at.is_none(),
                created_at: k.created_at,
                retired_at: k.retired_at,
                publish_until: k.publish_until,
            })
            .collect();
        println!("{}", json::line(&rows)?);
        return Ok(ExitCode::SUCCESS);
    }
    if keys.is_empty() {
        println!("no signing keys yet: the server makes them when it first signs a token");
        return Ok(ExitCode::SUCCESS);
    }
    let width = keys
        .iter()
        .map(|k| k.kid.len())
        .max()
        .unwrap_or(0)
        .max("KID".len());
    println!(
        "{:<width$}  {:<5}  {:<16}  {:<16}  PUBLISH UNTIL",
        "KID", "ALG", "CREATED", "RETIRED"
    );
    let time = |t: Option<i64>| t.map_or_else(|| "-".to_owned(), local_time);
    for k in &keys {
        println!(
            "{:<width$}  {:<5}  {:<16}  {:<16}  {}",
            k.kid,
            k.alg,
            local_time(k.created_at),
            time(k.retired_at),
            time(k.publish_until)
        );
    }
    Ok(ExitCode::SUCCESS)
}
