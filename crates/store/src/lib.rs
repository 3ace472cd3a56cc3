//! nyckel's persistence: one store API over SQLite (the embedded default) and
//! PostgreSQL (production, several server processes).
//!
//! Every query of nyckel lives here. Both backends run the same SQL through
//! sqlx's `Any` driver: the SQL is kept to the dialects' common subset, times
//! are Unix milliseconds and identifiers text, and each dialect has its own
//! migrations folder. Depends on `nyckel-core` for its types; knows nothing of
//! HTTP.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod audit;
mod credentials;
mod identities;
mod oidc;
mod outbox;
mod persons;
mod sessions;

use std::str::FromStr;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyPool, Executor, Transaction};

pub use audit::VerifyReport;
pub use credentials::{CredentialRow, NewCredential};
pub use identities::{IdentityRow, NewEnrollment};
pub use oidc::{ClientRow, CodeRow, NewToken, Redeemed, SigningKeyRow, TokenRow};
pub use outbox::{NewLetter, OutboxRow};
pub use persons::{IMPORT_CHUNK, ImportStats, PersonRow};
pub use sessions::{FlowRow, SessionRow};

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("unsupported database URL (use sqlite:… or postgres://…)")]
    UnsupportedUrl,
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(&'static str),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// The store: a connection pool and its dialect.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    dialect: Dialect,
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Options for opening the store.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    pub max_connections: u32,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self { max_connections: 8 }
    }
}

impl Store {
    /// Opens (creating a SQLite file if needed) and migrates the database.
    pub async fn open(url: &str, options: &StoreOptions) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let dialect = if url.starts_with("sqlite:") {
            Dialect::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Dialect::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl);
        };
        let url = match dialect {
            Dialect::Sqlite if !url.contains("mode=") => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}mode=rwc")
            }
            _ => url.to_owned(),
        };
        let connect = AnyConnectOptions::from_str(&url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(options.max_connections.max(1))
            // A ping before every checkout guards against a PostgreSQL
            // server that dropped the connection; an embedded SQLite file
            // cannot, and there the ping is one more thread hand-off.
            .test_before_acquire(dialect == Dialect::Postgres)
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if dialect == Dialect::Sqlite {
                        // WAL lets readers go on while one writer writes; writers
                        // take the lock up front (BEGIN IMMEDIATE) and wait for it.
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                        conn.execute("PRAGMA busy_timeout = 10000").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                    }
                    Ok(())
                })
            })
            .connect_with(connect)
            .await?;
        let store = Self { pool, dialect };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<()> {
        match self.dialect {
            Dialect::Sqlite => SQLITE_MIGRATIONS.run(&self.pool).await?,
            Dialect::Postgres => POSTGRES_MIGRATIONS.run(&self.pool).await?,
        }
        Ok(())
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// A transaction that will write. On SQLite it takes the write lock at
    /// once, so that two writers never deadlock upgrading a read lock.
    pub async fn write(&self) -> Result<Tx> {
        let tx = match self.dialect {
            Dialect::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Dialect::Postgres => self.pool.begin().await?,
        };
        Ok(Tx {
            tx: Inner::Tx(tx),
            dialect: self.dialect,
        })
    }

    /// A connection that only reads, without a transaction: each statement
    /// sees the database as of its own start. Saves the `BEGIN` and
    /// `COMMIT` round trips (on SQLite each statement is a hand-off to the
    /// connection's thread). Use [`Store::snapshot`] where several reads
    /// must agree with each other.
    pub async fn read(&self) -> Result<Tx> {
        self.conn().await
    }

    /// A connection without a transaction: each statement commits on its
    /// own. For a step whose writes are single statements that need not
    /// commit together (e.g. saving a login flow).
    pub async fn conn(&self) -> Result<Tx> {
        Ok(Tx {
            tx: Inner::Conn(self.pool.acquire().await?),
            dialect: self.dialect,
        })
    }

    /// A read-only transaction: all its reads see one snapshot.
    pub async fn snapshot(&self) -> Result<Tx> {
        Ok(Tx {
            tx: Inner::Tx(self.pool.begin().await?),
            dialect: self.dialect,
        })
    }

    /// A cheap round trip, for readiness probes.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Runs raw SQL: for tests that tamper with the database on purpose.
    #[doc(hidden)]
    pub async fn dangerous_execute_raw(&self, sql: &str) -> Result<u64> {
        let r = sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected())
    }
}

/// A transaction (or, from [`Store::read`], a plain reading connection).
/// Every query method of the store is on `Tx`, so that a change and the
/// audit entry describing it commit together.
pub struct Tx {
    tx: Inner,
    dialect: Dialect,
}

enum Inner {
    Tx(Transaction<'static, Any>),
    Conn(PoolConnection<Any>),
}

impl Tx {
    /// Commits; for a plain reading connection, gives it back to the pool.
    pub async fn commit(self) -> Result<()> {
        if let Inner::Tx(tx) = self.tx {
            tx.commit().await?;
        }
        Ok(())
    }

    pub async fn rollback(self) -> Result<()> {
        if let Inner::Tx(tx) = self.tx {
            tx.rollback().await?;
        }
        Ok(())
    }

    fn conn(&mut self) -> &mut sqlx::AnyConnection {
        match &mut self.tx {
            Inner::Tx(tx) => tx,
            Inner::Conn(c) => c,
        }
    }

    /// The `i`-th (1-based) bind parameter in this dialect. SQLite gets `?`:
    /// sqlx resolves `$N` on SQLite by scanning, which is quadratic in the
    /// number of parameters of large multi-row statements.
    pub(crate) fn param(&self, i: usize) -> String {
        match self.dialect {
            Dialect::Sqlite => "?".to_owned(),
            Dialect::Postgres => format!("${i}"),
        }
    }

    /// Tunes this connection for a bulk load (a larger page cache, so that
    /// a long import transaction need not spill pages). SQLite only.
    pub async fn prepare_bulk_load(&mut self) -> Result<()> {
        if self.dialect == Dialect::Sqlite {
            sqlx::query("PRAGMA cache_size = -262144")
                .execute(self.conn())
                .await?;
        }
        Ok(())
    }
}

pub(crate) fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

pub(crate) fn parse<T: FromStr>(s: &str, what: &str) -> Result<T> {
    s.parse()
        .map_err(|_| corrupt(format_args!("bad {what}: {s:?}")))
}

/// A new random identifier.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Whether an error is a unique-constraint violation.
pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(d) => {
            d.is_unique_violation()
                || d.message().contains("UNIQUE constraint failed")
                || d.code().as_deref() == Some("23505")
        }
        _ => false,
    }
}
