//! `import`: the store's population import with a chosen chunk size — an
//! experiment, not a replacement for `nyckel population import`.
//!
//! It found why SQLite imports were slow: with `$N` parameters, sqlx's
//! SQLite driver looks up the name of every bound parameter and SQLite finds
//! a `$N` name by a linear scan, so a 500-row chunk (4 500 parameters) cost
//! O(parameters²). The store binds `?` on SQLite since; this command stays
//! to measure what the chunk size costs on either backend (see
//! BENCHMARKS.md).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context as _, bail};
use clap::Args;
use nyckel_core::cpr::Date;
use nyckel_core::population::{ImportFormat, records};
use nyckel_store::{IMPORT_CHUNK, ImportStats, Store, StoreOptions};
use serde_json::json;

use crate::write_json;

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// sqlite://PATH (created) or postgres://… (an empty database).
    #[arg(long, value_name = "URL")]
    database_url: String,
    /// A population CSV (`nyckel population generate`).
    #[arg(long, value_name = "FILE")]
    file: PathBuf,
    /// Rows per statement (at most the store's IMPORT_CHUNK, 500).
    #[arg(long, default_value_t = IMPORT_CHUNK)]
    chunk: usize,
    /// Also write the summary as JSON here.
    #[arg(long, value_name = "FILE")]
    json_out: Option<PathBuf>,
}

pub async fn run(args: ImportArgs) -> anyhow::Result<()> {
    if args.chunk == 0 || args.chunk > IMPORT_CHUNK {
        bail!("--chunk must be 1–{IMPORT_CHUNK}");
    }
    let file = std::fs::File::open(&args.file)
        .with_context(|| format!("cannot open {}", args.file.display()))?;
    let today = Date::new(2026, 1, 1).ok_or_else(|| anyhow::anyhow!("calendar"))?;
    let started = Instant::now();
    let store = Store::open(&args.database_url, &StoreOptions::default())
        .await
        .context("cannot open the database")?;
    let mut tx = store.write().await?;
    let mut stats = ImportStats::default();
    let mut chunk = Vec::with_capacity(args.chunk);
    let now = 1_767_225_600_000; // 2026-01-01, as the import's timestamp
    for item in records(std::io::BufReader::new(file), ImportFormat::Csv, today) {
        let (_, record) = item.map_err(|e| anyhow::anyhow!("{}: {e}", args.file.display()))?;
        chunk.push(record);
        if chunk.len() == args.chunk {
            stats.add(tx.upsert_persons(&chunk, now, "loadgen").await?);
            chunk.clear();
        }
    }
    if !chunk.is_empty() {
        stats.add(tx.upsert_persons(&chunk, now, "loadgen").await?);
    }
    tx.commit().await?;
    store.close().await;
    let secs = started.elapsed().as_secs_f64();
    let rows = stats.inserted + stats.changed + stats.unchanged;
    let rate = rows as f64 / secs;
    println!(
        "chunk {}: {rows} rows ({} new, {} changed, {} unchanged) in {secs:.1} s = {rate:.0} rows/s",
        args.chunk, stats.inserted, stats.changed, stats.unchanged
    );
    write_json(
        args.json_out.as_ref(),
        &json!({
            "chunk": args.chunk,
            "rows": rows,
            "inserted": stats.inserted,
            "seconds": secs,
            "rows_per_sec": rate,
        }),
    )
}
