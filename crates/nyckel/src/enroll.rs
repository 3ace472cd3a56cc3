//! `nyckel enroll`: a registration officer's enrollment, through
//! [`Nyckel::enroll`](nyckel_service::Nyckel::enroll), which checks
//! the rules, records the decision and audits it.

use std::collections::BTreeMap;
use std::process::ExitCode;

use nyckel_core::enrollment::DocumentKind;
use nyckel_service::config::Config;
use nyckel_service::{EnrollError, Enrolled};
use serde::Serialize;

use crate::cli::EnrollArgs;
use crate::{EXIT_REFUSED, json, operator_name, settings};

/// The `--json` output.
#[derive(Serialize)]
struct EnrolledJson<'a> {
    user_id: String,
    activation_code: &'a str,
    key_card: KeyCardJson<'a>,
    identity_id: &'a str,
    /// Outbox letter ids: the activation letter, then the key card.
    letters: &'a [String],
}

#[derive(Serialize)]
struct KeyCardJson<'a> {
    card_id: &'a str,
    /// Key number (4 digits) → code (6 digits).
    codes: BTreeMap<String, &'a str>,
}

pub async fn run(config: Config, args: EnrollArgs) -> anyhow::Result<ExitCode> {
    let nyckel = settings::open_nyckel(config).await?;
    let officer = operator_name(args.officer.as_deref());
    let documents: Vec<DocumentKind> = args.documents.iter().map(|d| d.0).collect();
    let result = nyckel
        .enroll(
            &args.cpr,
            args.channel.0,
            &documents,
            args.witness_cpr.as_ref(),
            args.language,
            &officer,
        )
        .await;
    nyckel.store.close().await;
    match result {
        Ok(enrolled) => {
            if args.json {
                println!("{}", json::line(&as_json(&enrolled))?);
            } else {
                print_summary(&enrolled);
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(EnrollError::Refused { rule, reason }) => {
            eprintln!("refused ({rule}): {reason}");
            Ok(ExitCode::from(EXIT_REFUSED))
        }
        Err(EnrollError::Internal(e)) => Err(e.into()),
    }
}

fn as_json(e: &Enrolled) -> EnrolledJson<'_> {
    EnrolledJson {
        user_id: e.user_id.to_string(),
        activation_code: e.activation_code.expose(),
        key_card: KeyCardJson {
            card_id: &e.key_card.card_id,
            codes: e
                .key_card
                .keys
                .iter()
                .map(|(key, code)| (key.to_string(), code.expose()))
                .collect(),
        },
        identity_id: &e.identity_id,
        letters: &e.letters,
    }
}

/// The officer's summary: no secrets, they go by letter.
fn print_summary(e: &Enrolled) {
    println!("enrolled: user ID {}", e.user_id);
    println!("letters queued in the outbox:");
    // Nyckel::enroll queues the activation letter first, then the card.
    let kinds = [
        "activation letter".to_owned(),
        format!("key card {}", e.key_card.card_id),
    ];
    for (letter, kind) in e.letters.iter().zip(&kinds) {
        println!("  {letter}  {kind}");
    }
    println!(
        "print them with `nyckel outbox print ID`, then mark them `nyckel outbox dispatched ID`"
    );
}
