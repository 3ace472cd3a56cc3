//! `register`: the benchmark's two clients, registered through
//! `Nyckel::add_client` (validated and audited like `nyckel client add`,
//! for trees where that command is not there): a machine client for
//! client_credentials and a service that logs people in. Prints
//! `{"machine": {"client_id", "client_secret"}, "rp": {…}}`.

use std::sync::Arc;

use anyhow::anyhow;
use clap::Args;
use nyckel_oidc::client::{ClientAuthMethod, SubjectType};
use nyckel_service::Nyckel;
use nyckel_service::clock::SystemClock;
use serde_json::json;

use crate::StoreArgs;

#[derive(Debug, Args)]
pub struct RegisterArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// The service's redirect URI.
    #[arg(long, default_value = crate::REDIRECT_URI)]
    redirect_uri: String,
}

pub async fn run(args: RegisterArgs) -> anyhow::Result<()> {
    let (store, config, secret) = args.store.open().await?;
    let nyckel = Nyckel::new(store.clone(), config, secret, Arc::new(SystemClock))?;
    let (machine, machine_secret) = nyckel
        .add_client(
            "oidcbench machine",
            Vec::new(),
            Vec::new(),
            ClientAuthMethod::ClientSecretBasic,
            false,
            false,
            SubjectType::Pairwise,
            None,
            None,
            vec!["client_credentials".into()],
            "nyckel-oidcbench",
        )
        .await?;
    let (rp, rp_secret) = nyckel
        .add_client(
            "oidcbench service",
            vec![args.redirect_uri.clone()],
            Vec::new(),
            ClientAuthMethod::ClientSecretBasic,
            false,
            false,
            SubjectType::Pairwise,
            None,
            None,
            vec!["authorization_code".into(), "refresh_token".into()],
            "nyckel-oidcbench",
        )
        .await?;
    store.close().await;
    let secret = |s: Option<nyckel_core::secret::SecretString>| -> anyhow::Result<String> {
        s.map(|s| s.expose().to_owned())
            .ok_or_else(|| anyhow!("no secret generated"))
    };
    println!(
        "{}",
        json!({
            "machine": { "client_id": machine, "client_secret": secret(machine_secret)? },
            "rp": { "client_id": rp, "client_secret": secret(rp_secret)?, "redirect_uri": args.redirect_uri },
        })
    );
    Ok(())
}
