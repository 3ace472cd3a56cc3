//! `nyckel-loadgen`: the benchmark driver behind `scripts/bench-login.sh`
//! and BENCHMARKS.md.
//!
//! - `prepare` builds a data directory the real `nyckel serve` can serve: a
//!   SQLite database with synthetic persons and *active* holders (enrolled
//!   and activated through the same services the web tier uses), the secret
//!   key file, and a holders file with each holder's password and key card.
//!   With `--pending N` it also enrolls N holders that are not activated,
//!   in a file of their own with their activation codes.
//! - `activate` drives first logins over HTTP (activation code, new
//!   password, terms, key card), one browser per pending holder, and reports
//!   the server's CPU time and memory after them.
//! - `login` drives full logins over HTTP, one holder and one cookie jar per
//!   virtual user, and reports logins/s, latency percentiles and errors.
//! - `argon2` measures the bound: Argon2id verifications per second with the
//!   server's parameters, so that the two can be compared in one run.
//! - `import` runs the store's population import with a chosen chunk size:
//!   an experiment on what the import's statement size costs.
//!
//! A benchmark tool, not part of the product: it may depend on the server
//! crate's services, but nothing may depend on it.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod activate;
mod argon2_bound;
mod import;
mod login;
mod prepare;

use nyckel_loadgen::{holders, proc_stat, stats};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "nyckel-loadgen",
    about = "Benchmark driver for nyckel: prepare holders, drive logins, measure the Argon2id bound"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Argon2id parameters: the server's defaults (OWASP: m=19456 KiB, t=2, p=1).
#[derive(Debug, Clone, Copy, Args)]
pub struct Argon2Args {
    /// Memory cost in KiB (the server's `argon2.memory_kib`).
    #[arg(long, default_value_t = 19_456)]
    pub memory_kib: u32,
    /// Passes (the server's `argon2.iterations`).
    #[arg(long, default_value_t = 2)]
    pub iterations: u32,
    /// Lanes (the server's `argon2.parallelism`).
    #[arg(long, default_value_t = 1)]
    pub parallelism: u32,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Creates DIR/nyckel.db (or --database-url) with N active holders and
    /// DIR/secret.key, and writes the holders file (JSON lines with each
    /// holder's user ID, password and key-card codes: secrets, for
    /// benchmarks only).
    Prepare(prepare::PrepareArgs),
    /// Full logins in a loop against a running server.
    Login(login::LoginArgs),
    /// First logins (activation code, new password, terms, key card) of
    /// pending holders against a running server.
    Activate(activate::ActivateArgs),
    /// Argon2id verifications per second on T threads: the bound a login
    /// (exactly one verification) cannot beat.
    Argon2(argon2_bound::Argon2BoundArgs),
    /// Population import through the store with a chosen chunk size (an
    /// experiment on the import's cost per bound parameter).
    Import(import::ImportArgs),
}

/// Writes a JSON summary to `path`, if given.
pub fn write_json(path: Option<&PathBuf>, value: &serde_json::Value) -> anyhow::Result<()> {
    if let Some(path) = path {
        std::fs::write(path, format!("{value:#}\n"))
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        // The bound runs on plain threads: no runtime in the way.
        Command::Argon2(args) => argon2_bound::run(&args),
        command => match tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt.block_on(async move {
                match command {
                    Command::Prepare(args) => prepare::run(args).await,
                    Command::Login(args) => login::run(args).await,
                    Command::Activate(args) => activate::run(args).await,
                    Command::Import(args) => import::run(args).await,
                    // Ran above, without a runtime.
                    Command::Argon2(_) => Ok(()),
                }
            }),
            Err(e) => Err(e.into()),
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
