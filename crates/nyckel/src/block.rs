//! `nyckel block` / `nyckel unblock`: support blocks and lifts blocks
//! (R-BLOCK-1..3) through the same service as the web tier, which audits who,
//! when and why.

use std::process::ExitCode;

use nyckel_core::credential::{Actor, TransitionError};
use nyckel_core::ids::UserId;
use nyckel_service::config::Config;
use nyckel_service::{BlockTarget, Nyckel};
use nyckel_store::IdentityRow;

use crate::cli::{BlockArgs, What};
use crate::{EXIT_FAILURE, operator_name, settings};

pub async fn block(config: Config, args: BlockArgs) -> anyhow::Result<ExitCode> {
    let nyckel = settings::open_nyckel(config).await?;
    let Some(identity) = find(&nyckel, &args.user).await? else {
        return Ok(unknown(&args.user));
    };
    let who = format!("operator:{}", operator_name(args.operator.as_deref()));
    let result = nyckel
        .block(
            &identity.id,
            BlockTarget::from(args.what),
            Actor::Support,
            &who,
            &args.reason,
        )
        .await?;
    let what = describe(args.what);
    let result = match result {
        Err(TransitionError::NothingToBlock) => {
            let hint = if identity.activated_at.is_none() {
                " (the identity is not activated yet: block the identity instead)"
            } else {
                ""
            };
            eprintln!("error: user {} has no {what} to block{hint}", args.user);
            return Ok(ExitCode::from(EXIT_FAILURE));
        }
        other => other,
    };
    nyckel.store.close().await;
    match result {
        Ok(changed) => {
            let extra = match args.what {
                What::Identity => String::new(),
                _ if changed == 1 => " (1 credential)".to_owned(),
                _ => format!(" ({changed} credentials)"),
            };
            println!("blocked the {what} of user {}{extra}", args.user);
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("error: cannot block the {what} of user {}: {e}", args.user);
            Ok(ExitCode::from(EXIT_FAILURE))
        }
    }
}

pub async fn unblock(config: Config, args: BlockArgs) -> anyhow::Result<ExitCode> {
    let nyckel = settings::open_nyckel(config).await?;
    let Some(identity) = find(&nyckel, &args.user).await? else {
        return Ok(unknown(&args.user));
    };
    let who = format!("operator:{}", operator_name(args.operator.as_deref()));
    let result = nyckel
        .unblock(
            &identity.id,
            BlockTarget::from(args.what),
            Actor::Support,
            &who,
            &args.reason,
        )
        .await?;
    nyckel.store.close().await;
    let what = describe(args.what);
    match result {
        Ok(letter) => {
            println!("unblocked the {what} of user {}", args.user);
            if let Some(letter) = letter {
                println!(
                    "the old password no longer works: new activation letter {letter} is in the outbox"
                );
                println!("print it with `nyckel outbox print {letter}`");
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!(
                "error: cannot unblock the {what} of user {}: {e}",
                args.user
            );
            Ok(ExitCode::from(EXIT_FAILURE))
        }
    }
}

async fn find(nyckel: &Nyckel, user: &UserId) -> anyhow::Result<Option<IdentityRow>> {
    let mut tx = nyckel.store.read().await?;
    let identity = tx.find_identity_by_user_id(user).await?;
    tx.commit().await?;
    Ok(identity)
}

fn unknown(user: &UserId) -> ExitCode {
    eprintln!("error: no identity with user ID {user}");
    ExitCode::from(EXIT_FAILURE)
}

fn describe(what: What) -> &'static str {
    match what {
        What::Password => "password",
        What::KeyCard => "key card",
        What::Identity => "identity",
    }
}
