//! `nyckel population import`: a population-register file into the store, in
//! one transaction — every row or none.
//!
//! The file is parsed on a blocking thread while the async side writes the
//! previous chunk, so that parsing and the database overlap. The first bad
//! row stops both and rolls the transaction back.

use std::fs::File;
use std::io::{IsTerminal as _, Read as _, Seek as _, SeekFrom};
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressStyle};
use nyckel_core::audit::{AuditEvent, NewAuditEvent};
use nyckel_core::cpr::{Date, PersonRecord};
use nyckel_core::population::{ImportError, ImportFormat, records};
use nyckel_service::clock::{Clock as _, SystemClock, local_date};
use nyckel_service::config::Config;
use nyckel_store::{Dialect, IMPORT_CHUNK, ImportStats};
use tokio::sync::mpsc;

use crate::{EXIT_FAILURE, operator_name, settings};

/// Chunks parsed ahead of the database.
const CHUNKS_AHEAD: usize = 32;

/// Rows per `upsert_persons` call: the store's [`IMPORT_CHUNK`] on both
/// backends. (On SQLite the store binds `?` parameters: sqlx resolves `$N`
/// there by a linear scan, which made 500-row statements quadratic and led
/// to 50-row chunks before.)
fn chunk_size(_dialect: Dialect) -> usize {
    IMPORT_CHUNK
}

/// What the parser thread hands over.
enum Parsed {
    Chunk(Vec<PersonRecord>),
    Failed(ImportError),
}

pub async fn run(
    config: &Config,
    path: &Path,
    format: Option<ImportFormat>,
    source: Option<String>,
) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let mut file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let format = match format.or_else(|| ImportFormat::from_path(path)) {
        Some(f) => f,
        None => sniff(&mut file).with_context(|| format!("cannot read {}", path.display()))?,
    };
    let file_size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let source = source.unwrap_or_else(|| file_name.clone());

    let store = settings::open_store(config).await?;
    let now = SystemClock.now_ms();
    let today = local_date(now);

    let progress = progress_bar(file_size);
    let (sender, mut receiver) = mpsc::channel(CHUNKS_AHEAD);
    let parser = {
        let reader = progress.wrap_read(file);
        let size = chunk_size(store.dialect());
        tokio::task::spawn_blocking(move || parse(reader, format, today, size, &sender))
    };

    let mut tx = store.write().await?;
    tx.prepare_bulk_load().await?;
    let mut stats = ImportStats::default();
    while let Some(parsed) = receiver.recv().await {
        match parsed {
            Parsed::Chunk(chunk) => {
                let done = tx.upsert_persons(&chunk, now, &source).await?;
                stats.add(done);
            }
            Parsed::Failed(e) => {
                progress.finish_and_clear();
                tx.rollback().await?;
                eprintln!("error: {}: {e}", path.display());
                eprintln!("nothing was imported");
                return Ok(ExitCode::from(EXIT_FAILURE));
            }
        }
    }
    parser.await?;
    progress.finish_and_clear();

    let rows = stats.inserted + stats.changed + stats.unchanged;
    tx.append_audit(
        &NewAuditEvent::new(
            format!("operator:{}", operator_name(None)),
            AuditEvent::PopulationImported {
                file: Some(file_name.to_string()),
                source: source.to_string(),
                format: Some(format_name(format).to_string()),
                rows,
                inserted: stats.inserted,
                changed: stats.changed,
                unchanged: stats.unchanged,
            },
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    store.close().await;

    let secs = started.elapsed().as_secs_f64();
    let rate = if secs > 0.0 {
        (rows as f64 / secs).round()
    } else {
        0.0
    };
    println!(
        "imported {rows} persons ({} new, {} changed, {} unchanged) in {secs:.1} s ({rate} rows/s)",
        stats.inserted, stats.changed, stats.unchanged
    );
    Ok(ExitCode::SUCCESS)
}

/// Runs on a blocking thread: parses and sends chunks until the end, the
/// first error, or the receiver going away (the database failed).
fn parse<R: std::io::Read>(
    reader: R,
    format: ImportFormat,
    today: Date,
    size: usize,
    sender: &mpsc::Sender<Parsed>,
) {
    let mut chunk = Vec::with_capacity(size);
    for item in records(reader, format, today) {
        match item {
            Ok((_line, record)) => {
                chunk.push(record);
                if chunk.len() == size {
                    let full = std::mem::replace(&mut chunk, Vec::with_capacity(size));
                    if sender.blocking_send(Parsed::Chunk(full)).is_err() {
                        return;
                    }
                }
            }
            Err(e) => {
                let _ = sender.blocking_send(Parsed::Failed(e));
                return;
            }
        }
    }
    if !chunk.is_empty() {
        let _ = sender.blocking_send(Parsed::Chunk(chunk));
    }
}

/// Guesses the format from the first bytes and rewinds.
fn sniff(file: &mut File) -> std::io::Result<ImportFormat> {
    let mut head = Vec::with_capacity(512);
    file.by_ref().take(512).read_to_end(&mut head)?;
    file.seek(SeekFrom::Start(0))?;
    Ok(ImportFormat::sniff(&head))
}

fn format_name(f: ImportFormat) -> &'static str {
    match f {
        ImportFormat::Csv => "csv",
        ImportFormat::JsonLines => "jsonl",
    }
}

/// A bar by bytes read, drawn only when stderr is a terminal.
fn progress_bar(size: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(size);
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} importing [{bar:40}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta} left)",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}
