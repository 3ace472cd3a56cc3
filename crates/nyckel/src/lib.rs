//! The `nyckel` binary: the server (`serve`), a self-contained demo (`demo`,
//! with a demo service provider that logs in through nyckel's OpenID
//! provider) and the operator's commands (population import, enrollment,
//! outbox, blocking, audit verification, OpenID clients and signing keys).
//!
//! Every command goes through the same services as the web tier
//! (`nyckel_service`) and the same store API, so that a block made
//! here is audited exactly like one made on a page. This crate must not hold
//! domain rules or SQL of its own: rules live in `nyckel-core`, queries in
//! `nyckel-store`.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod audit;
pub mod block;
pub mod cli;
pub mod client;
pub mod demo;
pub mod demo_sp;
pub mod enroll;
pub mod generate;
pub mod import;
pub mod json;
pub mod keys;
pub mod outbox;
pub mod serve;
pub mod settings;
pub mod synth;

use std::process::ExitCode;

/// Exit code of a command that failed (and said why on stderr).
pub const EXIT_FAILURE: u8 = 1;
/// Exit code of a usage error: flags that contradict each other (clap uses
/// the same code for flags it cannot parse).
pub const EXIT_USAGE: u8 = 2;
/// Exit code of an enrollment the rules refused.
pub const EXIT_REFUSED: u8 = 3;

/// Runs a parsed command line.
pub async fn run(cli: cli::Cli) -> anyhow::Result<ExitCode> {
    use cli::{
        AuditCommand, ClientCommand, Command, KeysCommand, OutboxCommand, PopulationCommand,
    };

    let global = &cli.global;
    match cli.command {
        Command::Serve {
            listen,
            dangerous_insecure_http,
        } => {
            let config = settings::load(global)?;
            if config.is_insecure_public_url() && !dangerous_insecure_http {
                anyhow::bail!(
                    "public_url {} is plain HTTP on a host other than loopback: holders' passwords, codes and cookies would cross the network in clear text. Give an https public_url (TLS at nyckel or a proxy in front), or --dangerous-insecure-http to serve it anyway",
                    config.public_url
                );
            }
            serve::serve(config, listen, global.log_format).await
        }
        Command::Demo { listen, sp_listen } => demo::run(global, listen, sp_listen).await,
        Command::Population(PopulationCommand::Import {
            file,
            format,
            source,
        }) => {
            let config = settings::load(global)?;
            import::run(&config, &file, format.map(Into::into), source).await
        }
        Command::Population(PopulationCommand::Generate { count, seed }) => {
            generate::run(count, seed)
        }
        Command::Enroll(args) => enroll::run(settings::load(global)?, args).await,
        Command::Outbox(OutboxCommand::List { all, json }) => {
            outbox::list(&settings::load(global)?, all, json).await
        }
        Command::Outbox(OutboxCommand::Print { id, format }) => {
            outbox::print(&settings::load(global)?, &id, format).await
        }
        Command::Outbox(OutboxCommand::Dispatched { id, by }) => {
            outbox::dispatched(&settings::load(global)?, &id, by.as_deref()).await
        }
        Command::Block(args) => block::block(settings::load(global)?, args).await,
        Command::Unblock(args) => block::unblock(settings::load(global)?, args).await,
        Command::Audit(AuditCommand::Verify) => audit::verify(&settings::load(global)?).await,
        Command::Client(ClientCommand::Add(args)) => {
            client::add(settings::load(global)?, args).await
        }
        Command::Client(ClientCommand::List { json }) => {
            client::list(&settings::load(global)?, json).await
        }
        Command::Client(ClientCommand::Show { id, json }) => {
            client::show(&settings::load(global)?, &id, json).await
        }
        Command::Client(ClientCommand::Disable(args)) => {
            client::set_status(&settings::load(global)?, args, client::Status::Disabled).await
        }
        Command::Client(ClientCommand::Enable(args)) => {
            client::set_status(&settings::load(global)?, args, client::Status::Active).await
        }
        Command::Client(ClientCommand::Delete(args)) => {
            client::delete(&settings::load(global)?, args).await
        }
        Command::Client(ClientCommand::RotateSecret { client: args, json }) => {
            client::rotate_secret(settings::load(global)?, args, json).await
        }
        Command::Keys(KeysCommand::Rotate { operator }) => {
            keys::rotate(settings::load(global)?, operator.as_deref()).await
        }
        Command::Keys(KeysCommand::List { json }) => {
            keys::list(&settings::load(global)?, json).await
        }
    }
}

/// Who the operator is: the name given, else `$USER`, else `cli`.
pub fn operator_name(given: Option<&str>) -> String {
    given
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .or_else(|| std::env::var("USER").ok().filter(|s| !s.trim().is_empty()))
        .unwrap_or_else(|| "cli".to_owned())
}

/// Today in Copenhagen, by the system clock: the date CPR numbers given on the
/// command line are checked against.
pub fn today() -> nyckel_core::cpr::Date {
    use nyckel_service::clock::{Clock, SystemClock, local_date};
    local_date(SystemClock.now_ms())
}

/// `2026-05-01 14:03` in Copenhagen time, for listings.
pub fn local_time(ms: i64) -> String {
    let utc = chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms).unwrap_or_default();
    nyckel_core::support::copenhagen_local(utc)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}
