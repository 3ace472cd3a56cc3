//! One small query API over the two drivers: every statement of the store
//! is written once, `query(sql).bind(…).fetch_optional(tx)`, and runs on
//! SQLite through rusqlite, in place on the calling thread ([`sqlite`]), or
//! on PostgreSQL through sqlx ([`postgres`]). docs/architecture.md says why.
//!
//! The schema needs three value types: integers (times, counters, booleans),
//! text and bytes. Parameters are `$N` (or positional `?` on SQLite, for
//! large multi-row statements); rows are read by column name.

pub(crate) mod postgres;
pub(crate) mod sqlite;

use std::borrow::Cow;
use std::sync::Arc;

use crate::{Result, StoreError, Tx, corrupt};

/// A bound parameter. A `NULL` keeps its type: PostgreSQL must know it.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Int(Option<i64>),
    Text(Option<String>),
    Bytes(Option<Vec<u8>>),
}

impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::Int(Some(v))
    }
}
impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Self {
        Arg::Int(v)
    }
}
impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(Some(v.to_owned()))
    }
}
impl From<&String> for Arg {
    fn from(v: &String) -> Self {
        Arg::Text(Some(v.clone()))
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(Some(v))
    }
}
impl From<Option<String>> for Arg {
    fn from(v: Option<String>) -> Self {
        Arg::Text(v)
    }
}
impl From<Option<&str>> for Arg {
    fn from(v: Option<&str>) -> Self {
        Arg::Text(v.map(str::to_owned))
    }
}
impl From<Vec<u8>> for Arg {
    fn from(v: Vec<u8>) -> Self {
        Arg::Bytes(Some(v))
    }
}
impl From<Option<Vec<u8>>> for Arg {
    fn from(v: Option<Vec<u8>>) -> Self {
        Arg::Bytes(v)
    }
}

/// A value read from a row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Bytes(Vec<u8>),
}

impl Cell {
    fn kind(&self) -> &'static str {
        match self {
            Cell::Null => "NULL",
            Cell::Int(_) => "an integer",
            Cell::Real(_) => "a real number",
            Cell::Text(_) => "text",
            Cell::Bytes(_) => "bytes",
        }
    }
}

/// A Rust type a column can be read as.
pub(crate) trait FromCell: Sized {
    fn from_cell(cell: Cell) -> Option<Self>;
    const WANTED: &'static str;
}

impl FromCell for i64 {
    fn from_cell(cell: Cell) -> Option<Self> {
        match cell {
            Cell::Int(v) => Some(v),
            _ => None,
        }
    }
    const WANTED: &'static str = "an integer";
}
impl FromCell for bool {
    fn from_cell(cell: Cell) -> Option<Self> {
        match cell {
            Cell::Int(v) => Some(v != 0),
            _ => None,
        }
    }
    const WANTED: &'static str = "a boolean";
}
impl FromCell for String {
    fn from_cell(cell: Cell) -> Option<Self> {
        match cell {
            Cell::Text(v) => Some(v),
            _ => None,
        }
    }
    const WANTED: &'static str = "text";
}
impl FromCell for Vec<u8> {
    fn from_cell(cell: Cell) -> Option<Self> {
        match cell {
            Cell::Bytes(v) => Some(v),
            _ => None,
        }
    }
    const WANTED: &'static str = "bytes";
}
impl<T: FromCell> FromCell for Option<T> {
    fn from_cell(cell: Cell) -> Option<Self> {
        match cell {
            Cell::Null => Some(None),
            other => T::from_cell(other).map(Some),
        }
    }
    const WANTED: &'static str = T::WANTED;
}

/// One result row: its statement's column names and its values.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    columns: Arc<[String]>,
    cells: Vec<Cell>,
}

impl Row {
    pub(crate) fn new(columns: Arc<[String]>, cells: Vec<Cell>) -> Self {
        Self { columns, cells }
    }

    /// The value of column `name`, as `T`; a missing column or a value of
    /// another type is corrupt data, named in the error.
    pub(crate) fn try_get<T: FromCell>(&self, name: &str) -> Result<T> {
        let i = self
            .columns
            .iter()
            .position(|c| c == name)
            .ok_or_else(|| corrupt(format_args!("no column {name:?} in the row")))?;
        let cell = self.cells.get(i).cloned().unwrap_or(Cell::Null);
        let kind = cell.kind();
        T::from_cell(cell).ok_or_else(|| {
            corrupt(format_args!(
                "column {name:?} holds {kind}, expected {}",
                T::WANTED
            ))
        })
    }
}

/// What a statement that returns no rows did.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Done {
    rows_affected: u64,
}

impl Done {
    pub(crate) fn rows_affected(&self) -> u64 {
        self.rows_affected
    }
}

/// A statement and its parameters, run on a [`Tx`].
#[must_use = "a query does nothing until it is run on a Tx"]
pub(crate) struct Query<'q> {
    sql: Cow<'q, str>,
    args: Vec<Arg>,
}

/// A statement with `$N` parameters (or positional `?` on SQLite).
pub(crate) fn query<'q>(sql: impl Into<Cow<'q, str>>) -> Query<'q> {
    Query {
        sql: sql.into(),
        args: Vec::new(),
    }
}

impl Query<'_> {
    pub(crate) fn bind(mut self, value: impl Into<Arg>) -> Self {
        self.args.push(value.into());
        self
    }

    /// Runs a statement, returning what it changed.
    pub(crate) async fn execute(self, tx: &mut Tx) -> Result<Done> {
        let (_, rows_affected) = tx.run(&self.sql, self.args, false).await?;
        Ok(Done { rows_affected })
    }

    pub(crate) async fn fetch_all(self, tx: &mut Tx) -> Result<Vec<Row>> {
        Ok(tx.run(&self.sql, self.args, true).await?.0)
    }

    pub(crate) async fn fetch_optional(self, tx: &mut Tx) -> Result<Option<Row>> {
        Ok(self.fetch_all(tx).await?.into_iter().next())
    }

    pub(crate) async fn fetch_one(self, tx: &mut Tx) -> Result<Row> {
        self.fetch_optional(tx).await?.ok_or(StoreError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use crate::{Store, StoreOptions};

    /// A store on a fresh SQLite file, removed with the returned guard.
    async fn sqlite() -> (Dir, Store) {
        let dir = Dir(std::env::temp_dir().join(format!("nyckel-db-{}", crate::new_id())));
        std::fs::create_dir_all(&dir.0).unwrap();
        let url = format!("sqlite://{}", dir.0.join("t.db").display());
        let store = Store::open(&url, &StoreOptions::default()).await.unwrap();
        (dir, store)
    }

    struct Dir(std::path::PathBuf);

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// `$N` names its argument wherever and however often it appears; a
    /// bare `?` takes the arguments in order.
    #[tokio::test]
    async fn parameters_bind_by_number() {
        let (_dir, store) = sqlite().await;
        let mut tx = store.read().await.unwrap();
        let row = query("SELECT $2 AS b, $1 AS a, $1 AS c, $3 AS n")
            .bind(1)
            .bind("two")
            .bind(None::<i64>)
            .fetch_one(&mut tx)
            .await
            .unwrap();
        assert_eq!(row.try_get::<String>("b").unwrap(), "two");
        assert_eq!(row.try_get::<i64>("a").unwrap(), 1);
        assert_eq!(row.try_get::<i64>("c").unwrap(), 1);
        assert_eq!(row.try_get::<Option<i64>>("n").unwrap(), None);
        let row = query("SELECT ? AS x, ? AS y")
            .bind(vec![1u8, 2])
            .bind(7)
            .fetch_one(&mut tx)
            .await
            .unwrap();
        assert_eq!(row.try_get::<Vec<u8>>("x").unwrap(), vec![1, 2]);
        assert!(row.try_get::<bool>("y").unwrap());
    }

    /// Too few arguments, an unknown column or a value of the wrong type is
    /// an error, never a silent NULL or a panic.
    #[tokio::test]
    async fn mismatches_are_errors() {
        let (_dir, store) = sqlite().await;
        let mut tx = store.read().await.unwrap();
        assert!(
            query("SELECT $2 AS b")
                .bind(1)
                .fetch_one(&mut tx)
                .await
                .is_err()
        );
        let row = query("SELECT 'text' AS t")
            .fetch_one(&mut tx)
            .await
            .unwrap();
        assert!(matches!(
            row.try_get::<i64>("t"),
            Err(StoreError::Corrupt(_))
        ));
        assert!(matches!(
            row.try_get::<String>("u"),
            Err(StoreError::Corrupt(_))
        ));
        assert!(matches!(
            query("SELECT 1 WHERE 0").fetch_one(&mut tx).await,
            Err(StoreError::NotFound)
        ));
    }

    /// A database URL the SQLite driver cannot serve is refused; a
    /// percent-encoded path is decoded, as sqlx did.
    #[tokio::test]
    async fn sqlite_urls() {
        for url in [
            "sqlite::memory:",
            "sqlite://",
            "sqlite://x.db?cache=shared",
            "sqlite://x.db?mode=bogus",
            "sqlite://%FF.db",
        ] {
            assert!(
                matches!(
                    sqlite::Pool::open(url, 1).await,
                    Err(StoreError::UnsupportedUrl)
                ),
                "{url}"
            );
        }
        let dir = Dir(std::env::temp_dir().join(format!("nyckel db {}", crate::new_id())));
        std::fs::create_dir_all(&dir.0).unwrap();
        let encoded = dir.0.display().to_string().replace(' ', "%20");
        let store = Store::open(
            &format!("sqlite://{encoded}/t.db"),
            &StoreOptions::default(),
        )
        .await
        .unwrap();
        store.close().await;
        assert!(dir.0.join("t.db").exists(), "the decoded path is used");
    }

    /// More arguments than the statement uses is a mistake on SQLite too,
    /// as PostgreSQL says.
    #[tokio::test]
    async fn extra_arguments_are_errors() {
        let (_dir, store) = sqlite().await;
        let mut tx = store.read().await.unwrap();
        assert!(
            query("SELECT $1 AS a")
                .bind(1)
                .bind(2)
                .fetch_one(&mut tx)
                .await
                .is_err()
        );
        assert!(
            query("SELECT 1 AS a")
                .bind(1)
                .fetch_one(&mut tx)
                .await
                .is_err()
        );
        assert!(
            query("SELECT $1 AS a")
                .bind(1)
                .fetch_one(&mut tx)
                .await
                .is_ok()
        );
    }
}
