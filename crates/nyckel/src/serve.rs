//! `nyckel serve`: logging, the store, the services and the web tier.

use std::io::IsTerminal as _;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use nyckel_service::Nyckel;
use nyckel_service::clock::SystemClock;
use nyckel_service::config::Config;
use tracing_subscriber::EnvFilter;

use crate::cli::LogFormat;
use crate::settings;

/// Logs to stderr (stdout stays for what a command prints), filtered by
/// `RUST_LOG` (default `info`), as JSON lines when asked.
pub fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

pub async fn serve(
    mut config: Config,
    listen: Option<SocketAddr>,
    log_format: LogFormat,
) -> anyhow::Result<ExitCode> {
    init_logging(log_format);
    if let Some(addr) = listen {
        config.listen = addr;
    }
    let store = settings::open_store(&config).await?;
    let secret = settings::secret_key(&config)?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let addr = listener.local_addr()?;
    let backend = format!("{:?}", store.dialect()).to_lowercase();
    let public_url = config.public_url.clone();
    let nyckel = Nyckel::new(store, config, secret, Arc::new(SystemClock))?;
    tracing::info!(%addr, %public_url, database = %backend, "nyckel listening on http://{addr}");
    nyckel_server::web::run(nyckel, listener, None).await?;
    Ok(ExitCode::SUCCESS)
}
