//! Letters (the outbox): activation letters and key cards waiting to be
//! posted. A letter's content is kept only until it is marked dispatched;
//! printing one shows the operator a secret, so it is audited like every
//! other operator action. The letters themselves are written by the step
//! that issues what they carry (enrollment, unblocking, a new card).
//!
//! These take the store rather than a [`crate::Nyckel`]: the operator's
//! outbox commands need no secret key, hash pool or signing keys.

use nyckel_core::audit::{AuditEvent, NewAuditEvent};
pub use nyckel_store::OutboxRow as Letter;
use nyckel_store::{Store, StoreError};

use crate::Result;

/// The format a letter is printed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LetterFormat {
    Text,
    Html,
}

impl LetterFormat {
    fn key(self) -> &'static str {
        match self {
            LetterFormat::Text => "text",
            LetterFormat::Html => "html",
        }
    }
}

/// What printing a letter gave.
#[derive(Debug)]
pub enum Printed {
    /// The content, to be printed; the print is audited.
    Content(String),
    NotFound,
    /// Dispatched already: the content is no longer kept.
    Dispatched(Letter),
    /// The letter has no version in this format.
    NoSuchFormat(Letter),
}

/// What marking a letter dispatched gave.
#[derive(Debug)]
pub enum Dispatched {
    /// Marked; its content is forgotten.
    Done(Letter),
    NotFound,
    /// Someone marked it before (at once or earlier).
    Already(Letter),
}

/// The letters waiting (or, with `all`, every letter kept).
pub async fn list(store: &Store, all: bool) -> Result<Vec<Letter>> {
    let mut tx = store.read().await?;
    let letters = tx.find_letters(all).await?;
    tx.commit().await?;
    Ok(letters)
}

/// A letter's content in `format`, audited as printed by `operator`.
pub async fn print(
    store: &Store,
    id: &str,
    format: LetterFormat,
    operator: &str,
    now: i64,
) -> Result<Printed> {
    let mut tx = store.write().await?;
    let Some(letter) = tx.find_letter(id).await? else {
        return Ok(Printed::NotFound);
    };
    let Some(body) = &letter.body else {
        return Ok(Printed::Dispatched(letter));
    };
    let body: serde_json::Value = serde_json::from_str(body)
        .map_err(|_| crate::ServiceError::Invalid(format!("letter {id} has a corrupt body")))?;
    let Some(content) = body.get(format.key()).and_then(|v| v.as_str()) else {
        return Ok(Printed::NoSuchFormat(letter));
    };
    let content = content.to_owned();
    tx.append_audit(
        &NewAuditEvent::new(
            format!("operator:{operator}"),
            AuditEvent::LetterPrinted {
                letter: letter.id.clone(),
                kind: letter.kind.clone(),
                format: format.key().into(),
            },
        )
        .subject(letter.identity_id.clone()),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Printed::Content(content))
}

/// Marks a letter dispatched by `by` and forgets its content: once,
/// however many operators press at once.
pub async fn mark_dispatched(store: &Store, id: &str, by: &str, now: i64) -> Result<Dispatched> {
    let mut tx = store.write().await?;
    let Some(letter) = tx.find_letter(id).await? else {
        return Ok(Dispatched::NotFound);
    };
    match tx.update_letter_dispatched(id, by, now).await {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => return Ok(Dispatched::Already(letter)),
        Err(e) => return Err(e.into()),
    }
    tx.append_audit(
        &NewAuditEvent::new(
            format!("operator:{by}"),
            AuditEvent::LetterDispatched {
                letter: letter.id.clone(),
                kind: letter.kind.clone(),
            },
        )
        .subject(letter.identity_id.clone()),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Dispatched::Done(letter))
}
