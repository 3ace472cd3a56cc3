//! `nyckel outbox`: activation letters and key cards waiting to be posted.
//!
//! A letter's content is kept only until it is marked dispatched. Printing
//! one shows the operator a secret (an activation code, a key card), so it
//! is audited like every other operator action.

use std::process::ExitCode;

use nyckel_service::clock::{Clock as _, SystemClock};
use nyckel_service::config::Config;
use nyckel_service::letters::{self, Dispatched, Letter, Printed};
use serde::Serialize;

use crate::cli::LetterFormat;
use crate::{EXIT_FAILURE, json, local_time, operator_name, settings};

#[derive(Serialize)]
struct LetterJson<'a> {
    id: &'a str,
    kind: &'a str,
    recipient: &'a str,
    address: &'a str,
    identity_id: &'a str,
    /// Unix milliseconds.
    created_at: i64,
    dispatched: bool,
    dispatched_at: Option<i64>,
    dispatched_by: Option<&'a str>,
}

pub async fn list(config: &Config, all: bool, as_json: bool) -> anyhow::Result<ExitCode> {
    let store = settings::open_store(config).await?;
    let letters = letters::list(&store, all).await;
    store.close().await;
    let letters = letters?;

    if as_json {
        let rows: Vec<LetterJson<'_>> = letters
            .iter()
            .map(|l| LetterJson {
                id: &l.id,
                kind: &l.kind,
                recipient: &l.recipient,
                address: &l.address,
                identity_id: &l.identity_id,
                created_at: l.created_at,
                dispatched: l.dispatched_at.is_some(),
                dispatched_at: l.dispatched_at,
                dispatched_by: l.dispatched_by.as_deref(),
            })
            .collect();
        println!("{}", json::line(&rows)?);
        return Ok(ExitCode::SUCCESS);
    }
    if letters.is_empty() {
        println!(
            "{}",
            if all {
                "the outbox is empty"
            } else {
                "no letters waiting"
            }
        );
        return Ok(ExitCode::SUCCESS);
    }
    let width = letters
        .iter()
        .map(|l| l.recipient.chars().count())
        .max()
        .unwrap_or(0)
        .max("RECIPIENT".len());
    println!(
        "{:<11}  {:<17}  {:<width$}  {:<16}  DISPATCHED",
        "ID", "KIND", "RECIPIENT", "CREATED"
    );
    for l in &letters {
        let dispatched = match (l.dispatched_at, &l.dispatched_by) {
            (Some(at), Some(by)) => format!("{} by {by}", local_time(at)),
            (Some(at), None) => local_time(at),
            (None, _) => "no".to_owned(),
        };
        println!(
            "{:<11}  {:<17}  {:<width$}  {:<16}  {dispatched}",
            l.id,
            l.kind,
            l.recipient,
            local_time(l.created_at)
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn print(config: &Config, id: &str, format: LetterFormat) -> anyhow::Result<ExitCode> {
    let store = settings::open_store(config).await?;
    let (f, name) = match format {
        LetterFormat::Text => (letters::LetterFormat::Text, "text"),
        LetterFormat::Html => (letters::LetterFormat::Html, "HTML"),
    };
    let printed = letters::print(&store, id, f, &operator_name(None), SystemClock.now_ms()).await;
    store.close().await;
    match printed? {
        Printed::Content(content) => {
            print!("{content}");
            if !content.ends_with('\n') {
                println!();
            }
            Ok(ExitCode::SUCCESS)
        }
        Printed::NotFound => {
            eprintln!("error: no letter {id} in the outbox");
            Ok(ExitCode::from(EXIT_FAILURE))
        }
        Printed::Dispatched(letter) => {
            eprintln!(
                "error: letter {id} was dispatched{}: its content is no longer kept",
                dispatched_note(&letter)
            );
            Ok(ExitCode::from(EXIT_FAILURE))
        }
        Printed::NoSuchFormat(letter) => {
            eprintln!(
                "error: letter {id} ({}) has no {name} version; try --format text",
                letter.kind
            );
            Ok(ExitCode::from(EXIT_FAILURE))
        }
    }
}

pub async fn dispatched(config: &Config, id: &str, by: Option<&str>) -> anyhow::Result<ExitCode> {
    let by = operator_name(by);
    let store = settings::open_store(config).await?;
    let outcome = letters::mark_dispatched(&store, id, &by, SystemClock.now_ms()).await;
    store.close().await;
    match outcome? {
        Dispatched::Done(letter) => {
            println!(
                "letter {id} ({}, to {}) marked dispatched by {by}; its content is forgotten",
                letter.kind, letter.recipient
            );
            Ok(ExitCode::SUCCESS)
        }
        Dispatched::NotFound => {
            eprintln!("error: no letter {id} in the outbox");
            Ok(ExitCode::from(EXIT_FAILURE))
        }
        Dispatched::Already(letter) => {
            eprintln!(
                "error: letter {id} was already dispatched{}",
                dispatched_note(&letter)
            );
            Ok(ExitCode::from(EXIT_FAILURE))
        }
    }
}

/// ` on 2026-05-01 14:03 by anna`, as far as known.
fn dispatched_note(l: &Letter) -> String {
    let mut note = String::new();
    if let Some(at) = l.dispatched_at {
        note.push_str(&format!(" on {}", local_time(at)));
    }
    if let Some(by) = &l.dispatched_by {
        note.push_str(&format!(" by {by}"));
    }
    note
}
