//! `nyckel-oidcbench`: the benchmark driver behind `scripts/bench-oidc.sh`
//! and BENCHMARKS-oidc.md — nyckel's OpenID provider under load, next to a
//! peer (node-oidc-provider) driven by the same `hey` command.
//!
//! - `sign`: ES256 signatures per second (raw, and the server's signing
//!   path), threads = CPUs: the bound of a token endpoint.
//! - `register`: the benchmark's clients through `Nyckel::add_client`.
//! - `cc`: client_credentials tokens/s from this tool's own client (a second
//!   opinion next to `hey`, with the server's CPU time per token).
//! - `inproc`: client_credentials through the service layer without HTTP,
//!   timed part by part: where a request's time goes.
//! - `grants`: code exchanges/s (codes made by real authorization requests)
//!   and refresh grants/s (a pool of live refresh tokens).
//! - `login`: full login flows/s: authorize, login pages, consent, code,
//!   token.
//!
//! A benchmark tool, not part of the product: it may depend on the server
//! crate, but nothing may depend on it. All traffic goes where `--url` says
//! (the script uses 127.0.0.1 only).
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cc;
mod grants;
mod inproc;
mod login;
mod register;
mod rp;
mod sign;
mod stats;

use nyckel_loadgen::holders;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};
use nyckel_service::SecretKey;
use nyckel_service::config::Config;
use nyckel_store::{Store, StoreOptions};

/// Where the benchmark's service says it receives codes. Nothing listens
/// there: the browser stops at the redirect and hands the code over.
pub const REDIRECT_URI: &str = "http://127.0.0.1:9/oidcbench/cb";

#[derive(Debug, Parser)]
#[command(
    name = "nyckel-oidcbench",
    about = "Benchmark driver for nyckel's OpenID provider"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// ES256 signatures per second on T threads (raw, and the server's path).
    Sign(sign::SignArgs),
    /// Registers the benchmark's clients (machine + service) in the database.
    Register(register::RegisterArgs),
    /// client_credentials tokens per second from this tool's own client.
    Cc(cc::CcArgs),
    /// client_credentials through the service layer without HTTP, by part.
    Inproc(inproc::InprocArgs),
    /// Code exchanges and refresh grants per second.
    Grants(grants::GrantsArgs),
    /// Full login flows per second (authorize → login → consent → token).
    Login(login::LoginArgs),
}

/// The service (relying party) that logs people in.
#[derive(Debug, Clone, Args)]
pub struct RpArgs {
    /// The server's base URL, e.g. http://127.0.0.1:18181.
    #[arg(long)]
    url: String,
    /// The service's client ID.
    #[arg(long)]
    client_id: String,
    /// The service's client secret.
    #[arg(long, env = "OIDCBENCH_RP_SECRET", hide_env_values = true)]
    client_secret: String,
    /// The service's registered redirect URI.
    #[arg(long, default_value = REDIRECT_URI)]
    redirect_uri: String,
    /// The scopes asked for.
    #[arg(long, default_value = "openid profile")]
    scope: String,
}

impl RpArgs {
    fn rp(&self) -> anyhow::Result<rp::Rp> {
        rp::Rp::new(
            &self.url,
            &self.client_id,
            &self.client_secret,
            &self.redirect_uri,
            &self.scope,
        )
    }
}

/// The server's database and key, for commands that work in process.
#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// The server's data dir (nyckel.db and secret.key).
    #[arg(long, value_name = "DIR")]
    data_dir: PathBuf,
    /// A database URL instead of DIR/nyckel.db.
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
    /// The server's public URL (the issuer).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    public_url: String,
}

impl StoreArgs {
    async fn open(&self) -> anyhow::Result<(Store, Config, SecretKey)> {
        let config = Config {
            data_dir: self.data_dir.clone(),
            database_url: self.database_url.clone(),
            public_url: self.public_url.clone(),
            ..Config::default()
        };
        let store = Store::open(
            &config.database_url(),
            &StoreOptions {
                max_connections: config.database_max_connections,
                ..StoreOptions::default()
            },
        )
        .await
        .context("cannot open the database")?;
        Ok((store, config, self.secret()?))
    }

    /// The key `nyckel serve` uses: `NYCKEL_SECRET_KEY` (hex), else
    /// DIR/secret.key (hex or raw), which must exist.
    fn secret(&self) -> anyhow::Result<SecretKey> {
        if let Ok(hex_key) = std::env::var("NYCKEL_SECRET_KEY") {
            let bytes = hex::decode(hex_key.trim()).context("NYCKEL_SECRET_KEY must be hex")?;
            return Ok(SecretKey::new(bytes)?);
        }
        let path = self.data_dir.join("secret.key");
        let bytes =
            std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let bytes = match std::str::from_utf8(&bytes)
            .ok()
            .and_then(|s| hex::decode(s.trim()).ok())
        {
            Some(decoded) => decoded,
            None => bytes,
        };
        Ok(SecretKey::new(bytes)?)
    }
}

/// Writes a JSON summary to `path`, if given.
pub fn write_json(path: Option<&PathBuf>, value: &serde_json::Value) -> anyhow::Result<()> {
    if let Some(path) = path {
        std::fs::write(path, format!("{value:#}\n"))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        // Plain threads: no runtime in the way of the signatures.
        Command::Sign(args) => sign::run(&args),
        command => match tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt.block_on(async move {
                match command {
                    Command::Register(args) => register::run(args).await,
                    Command::Cc(args) => cc::run(args).await,
                    Command::Inproc(args) => inproc::run(args).await,
                    Command::Grants(args) => grants::run(args).await,
                    Command::Login(args) => login::run(args).await,
                    Command::Sign(_) => Ok(()),
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
