//! The outbox: activation letters and key cards waiting to be posted. The
//! plain content is kept only until the operator marks a letter dispatched.

use crate::db::{Row, query};

use crate::{Dialect, Result, StoreError, Tx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRow {
    pub id: String,
    pub identity_id: String,
    pub kind: String,
    pub recipient: String,
    pub address: String,
    /// `None` once dispatched.
    pub body: Option<String>,
    pub created_at: i64,
    pub dispatched_at: Option<i64>,
    pub dispatched_by: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewLetter<'a> {
    pub identity_id: &'a str,
    /// `activation-letter` or `key-card`.
    pub kind: &'a str,
    pub recipient: &'a str,
    pub address: &'a str,
    pub body: &'a str,
}

fn letter_from_row(r: &Row) -> Result<OutboxRow> {
    Ok(OutboxRow {
        id: r.try_get("id")?,
        identity_id: r.try_get("identity_id")?,
        kind: r.try_get("kind")?,
        recipient: r.try_get("recipient")?,
        address: r.try_get("address")?,
        body: r.try_get("body")?,
        created_at: r.try_get("created_at")?,
        dispatched_at: r.try_get("dispatched_at")?,
        dispatched_by: r.try_get("dispatched_by")?,
    })
}

/// A short letter id an operator can type: `L` and 10 hex digits.
fn letter_id() -> String {
    let u = uuid::Uuid::new_v4();
    format!("L{}", &u.simple().to_string()[..10].to_uppercase())
}

impl Tx {
    pub async fn insert_letter(&mut self, l: &NewLetter<'_>, now: i64) -> Result<String> {
        let id = letter_id();
        query(
            "INSERT INTO outbox (id, identity_id, kind, recipient, address, body, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id.clone())
        .bind(l.identity_id)
        .bind(l.kind)
        .bind(l.recipient)
        .bind(l.address)
        .bind(l.body)
        .bind(now)
        .execute(self)
        .await?;
        Ok(id)
    }

    /// The order letters were made in: by time, then by insertion (two
    /// letters of one enrollment share a millisecond).
    fn letter_order(&self) -> &'static str {
        match self.dialect() {
            Dialect::Sqlite => "created_at, rowid",
            Dialect::Postgres => "created_at, seq",
        }
    }

    /// Letters, oldest first; only those not yet dispatched unless `all`.
    pub async fn find_letters(&mut self, all: bool) -> Result<Vec<OutboxRow>> {
        let filter = if all {
            ""
        } else {
            "WHERE dispatched_at IS NULL"
        };
        let sql = format!(
            "SELECT * FROM outbox {filter} ORDER BY {}",
            self.letter_order()
        );
        let rows = query(sql).fetch_all(self).await?;
        rows.iter().map(letter_from_row).collect()
    }

    pub async fn find_letter(&mut self, id: &str) -> Result<Option<OutboxRow>> {
        let row = query("SELECT * FROM outbox WHERE id = $1")
            .bind(id)
            .fetch_optional(self)
            .await?;
        row.as_ref().map(letter_from_row).transpose()
    }

    pub async fn find_letters_of(&mut self, identity_id: &str) -> Result<Vec<OutboxRow>> {
        let sql = format!(
            "SELECT * FROM outbox WHERE identity_id = $1 ORDER BY {}",
            self.letter_order()
        );
        let rows = query(sql).bind(identity_id).fetch_all(self).await?;
        rows.iter().map(letter_from_row).collect()
    }

    /// Marks a letter posted and forgets its plain content.
    pub async fn update_letter_dispatched(&mut self, id: &str, by: &str, now: i64) -> Result<()> {
        let r = query(
            "UPDATE outbox SET dispatched_at = $1, dispatched_by = $2, body = NULL WHERE id = $3 AND dispatched_at IS NULL",
        )
        .bind(now)
        .bind(by)
        .bind(id)
        .execute(self)
        .await?;
        if r.rows_affected() == 0 {
            return match self.find_letter(id).await? {
                None => Err(StoreError::NotFound),
                Some(_) => Err(StoreError::Conflict("already dispatched")),
            };
        }
        Ok(())
    }
}
