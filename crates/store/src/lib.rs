//! nyckel's persistence: one store API over SQLite (the embedded default) and
//! PostgreSQL (production, several server processes).
//!
//! Every query of nyckel lives here. Both backends run the same SQL through
//! one small query API ([`db`]): rusqlite, in place, for SQLite; sqlx for
//! PostgreSQL. The SQL is kept to the dialects' common subset, times are Unix
//! milliseconds and identifiers text, and each dialect has its own migrations
//! folder. Depends on `nyckel-core` for its types; knows nothing of HTTP.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod audit;
mod credentials;
pub(crate) mod db;
mod identities;
mod name_attempts;
mod oidc;
mod outbox;
mod persons;
mod sessions;

use std::str::FromStr;

use sqlx::pool::PoolConnection;
use sqlx::postgres::PgPoolOptions;
use sqlx::{PgPool, Postgres, Transaction};

pub use audit::VerifyReport;
pub use credentials::{CredentialRow, NewCredential};
pub use identities::{IdentityRow, NewEnrollment};
pub use oidc::{ClientRow, CodeRow, ConsentRow, NewToken, Redeemed, SigningKeyRow, TokenRow};
pub use outbox::{NewLetter, OutboxRow};
pub use persons::{IMPORT_CHUNK, ImportStats, PersonRow};
pub use sessions::{FlowRow, SessionRow};

use db::{Arg, Row};

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("unsupported database URL (use sqlite://PATH or postgres://…)")]
    UnsupportedUrl,
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(&'static str),
    #[error("the store is closed")]
    Closed,
    #[error("the database is busy: {0}")]
    Busy(&'static str),
    #[error("unsupported database: {0}")]
    Unsupported(String),
}

/// A PostgreSQL pool that gave no connection within its acquire timeout
/// is busy, as a SQLite pool without a free connection is: nothing was
/// done, and the caller may try again (a 503, not a 500).
fn pg_acquire(e: sqlx::Error) -> StoreError {
    match e {
        sqlx::Error::PoolTimedOut => StoreError::Busy("no database connection became free"),
        e => StoreError::Database(e),
    }
}

impl StoreError {
    /// Whether this is a unique-constraint violation (on either backend).
    pub(crate) fn is_unique_violation(&self) -> bool {
        match self {
            StoreError::Database(e) => db::postgres::is_unique_violation(e),
            StoreError::Sqlite(e) => db::sqlite::is_unique_violation(e),
            _ => false,
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// The store: a connection pool of one of the two backends.
#[derive(Clone, Debug)]
pub struct Store {
    backend: Backend,
}

#[derive(Clone, Debug)]
enum Backend {
    Sqlite(db::sqlite::Pool),
    Postgres(PgPool),
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// A pooled PostgreSQL connection idle for longer than this is pinged
/// before it is handed out.
const PG_PING_AFTER_IDLE: std::time::Duration = std::time::Duration::from_secs(1);

/// Options for opening the store.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    pub max_connections: u32,
    /// How long a PostgreSQL statement waits for a free pooled connection
    /// before the store answers [`StoreError::Busy`] (sqlx's default, 30 s).
    pub acquire_timeout: std::time::Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            max_connections: 8,
            acquire_timeout: std::time::Duration::from_secs(30),
        }
    }
}

impl Store {
    /// Opens (creating a SQLite file if needed) and migrates the database.
    pub async fn open(url: &str, options: &StoreOptions) -> Result<Self> {
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite(db::sqlite::Pool::open(url, options.max_connections).await?)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = PgPoolOptions::new()
                .max_connections(options.max_connections.max(1))
                .acquire_timeout(options.acquire_timeout)
                // A ping guards against a server that dropped the connection
                // (a restart, a fail-over, an idle timeout), but costs a
                // round trip: ping only a connection that has been idle for
                // a while (as sqlx's documentation and HikariCP do), not one
                // that was in use a moment ago.
                .test_before_acquire(false)
                .before_acquire(|conn, meta| {
                    Box::pin(async move {
                        if meta.idle_for > PG_PING_AFTER_IDLE {
                            sqlx::Connection::ping(conn).await?;
                        }
                        Ok(true)
                    })
                })
                .connect(url)
                .await?;
            Backend::Postgres(pool)
        } else {
            return Err(StoreError::UnsupportedUrl);
        };
        let store = Self { backend };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<()> {
        match &self.backend {
            Backend::Sqlite(_) => {
                let mut tx = self.conn().await?;
                tx.migrate_sqlite(&SQLITE_MIGRATIONS).await?;
            }
            Backend::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await?,
        }
        Ok(())
    }

    pub fn dialect(&self) -> Dialect {
        match self.backend {
            Backend::Sqlite(_) => Dialect::Sqlite,
            Backend::Postgres(_) => Dialect::Postgres,
        }
    }

    /// A transaction that will write. On SQLite it takes the write lock at
    /// once (`BEGIN IMMEDIATE`, after the process's write gate), so that two
    /// writers never deadlock upgrading a read lock.
    pub async fn write(&self) -> Result<Tx> {
        self.begin(true).await
    }

    /// A connection that only reads, without a transaction: each statement
    /// sees the database as of its own start. Saves the `BEGIN` and
    /// `COMMIT` round trips. Use [`Store::snapshot`] where several reads
    /// must agree with each other.
    pub async fn read(&self) -> Result<Tx> {
        self.conn().await
    }

    /// A connection without a transaction: each statement commits on its
    /// own. For a step whose writes are single statements that need not
    /// commit together (e.g. saving a login flow).
    pub async fn conn(&self) -> Result<Tx> {
        let inner = match &self.backend {
            Backend::Sqlite(pool) => Inner::Sqlite(pool.acquire().await?),
            Backend::Postgres(pool) => Inner::PgConn(pool.acquire().await.map_err(pg_acquire)?),
        };
        Ok(Tx {
            inner,
            audit: Vec::new(),
        })
    }

    /// A read-only transaction: all its reads see one snapshot.
    pub async fn snapshot(&self) -> Result<Tx> {
        self.begin(false).await
    }

    /// A transaction on a pooled connection. On SQLite the connection comes
    /// first, then (for a writer) the write gate: every task takes the two
    /// in that order, so none can hold the gate while waiting for a
    /// connection that a task waiting for the gate holds.
    async fn begin(&self, write: bool) -> Result<Tx> {
        let inner = match &self.backend {
            Backend::Sqlite(pool) => {
                let mut lease = pool.acquire().await?;
                lease.begin(write).await?;
                Inner::Sqlite(lease)
            }
            Backend::Postgres(pool) => Inner::PgTx(pool.begin().await.map_err(pg_acquire)?),
        };
        Ok(Tx {
            inner,
            audit: Vec::new(),
        })
    }

    /// A cheap round trip, for readiness probes.
    pub async fn ping(&self) -> Result<()> {
        let mut tx = self.conn().await?;
        db::query("SELECT 1").fetch_all(&mut tx).await?;
        Ok(())
    }

    pub async fn close(&self) {
        match &self.backend {
            Backend::Sqlite(pool) => pool.close(),
            Backend::Postgres(pool) => pool.close().await,
        }
    }

    /// Runs raw SQL: for tests that tamper with the database on purpose.
    #[doc(hidden)]
    pub async fn dangerous_execute_raw(&self, sql: &str) -> Result<u64> {
        let mut tx = self.conn().await?;
        match &mut tx.inner {
            Inner::Sqlite(lease) => lease.batch(sql).await,
            Inner::PgConn(c) => {
                let r = sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
                    .execute(&mut **c)
                    .await?;
                Ok(r.rows_affected())
            }
            Inner::PgTx(_) => Err(StoreError::Closed),
        }
    }
}

/// A transaction (or, from [`Store::read`], a plain reading connection).
/// Every query method of the store is on `Tx`, so that a change and the
/// audit entry describing it commit together.
pub struct Tx {
    inner: Inner,
    /// Audit events appended in this transaction, written at commit: the
    /// chain's head is then always the last row a transaction locks, and is
    /// held only for the commit itself. So transactions that also lock a
    /// credential, a flow or a code never wait for each other in opposite
    /// orders (no deadlock on PostgreSQL), and appenders queue for the head
    /// as briefly as possible.
    audit: Vec<(nyckel_core::audit::NewAuditEvent, i64)>,
}

enum Inner {
    Sqlite(db::sqlite::Lease),
    PgTx(Transaction<'static, Postgres>),
    PgConn(PoolConnection<Postgres>),
}

impl Tx {
    /// Commits; for a plain reading connection, gives it back to the pool.
    pub async fn commit(mut self) -> Result<()> {
        for (event, at) in std::mem::take(&mut self.audit) {
            self.write_audit(&event, at).await?;
        }
        match self.inner {
            Inner::Sqlite(mut lease) => lease.finish(true),
            Inner::PgTx(tx) => Ok(tx.commit().await?),
            Inner::PgConn(_) => Ok(()),
        }
    }

    pub async fn rollback(self) -> Result<()> {
        match self.inner {
            Inner::Sqlite(mut lease) => lease.finish(false),
            Inner::PgTx(tx) => Ok(tx.rollback().await?),
            Inner::PgConn(_) => Ok(()),
        }
    }

    fn dialect(&self) -> Dialect {
        match self.inner {
            Inner::Sqlite(_) => Dialect::Sqlite,
            Inner::PgTx(_) | Inner::PgConn(_) => Dialect::Postgres,
        }
    }

    /// Runs one statement on this connection (the store's [`db::Query`]).
    async fn run(&mut self, sql: &str, args: Vec<Arg>, want_rows: bool) -> Result<(Vec<Row>, u64)> {
        match &mut self.inner {
            Inner::Sqlite(lease) => lease.run(sql, &args, want_rows).await,
            Inner::PgTx(tx) => db::postgres::run(tx, sql, args, want_rows).await,
            Inner::PgConn(c) => db::postgres::run(c, sql, args, want_rows).await,
        }
    }

    /// The `i`-th (1-based) bind parameter in this dialect. SQLite gets a
    /// positional `?`, which binds without looking up a name.
    pub(crate) fn param(&self, i: usize) -> String {
        match self.dialect() {
            Dialect::Sqlite => "?".to_owned(),
            Dialect::Postgres => format!("${i}"),
        }
    }

    /// Tunes this connection for a bulk load (a larger page cache, so that
    /// a long import transaction need not spill pages). SQLite only.
    pub async fn prepare_bulk_load(&mut self) -> Result<()> {
        if let Inner::Sqlite(lease) = &mut self.inner {
            lease.batch("PRAGMA cache_size = -262144").await?;
        }
        Ok(())
    }

    /// Applies the SQLite migrations not yet applied, each in its own
    /// transaction (unless it asks for none), recording them as sqlx does
    /// (`_sqlx_migrations`), so that databases made by earlier versions of
    /// nyckel open unchanged. Refused, as sqlx refuses: a migration that
    /// failed half-way (dirty), one applied that we do not know (a newer
    /// nyckel migrated this database), one whose SQL changed since.
    async fn migrate_sqlite(&mut self, migrator: &sqlx::migrate::Migrator) -> Result<()> {
        use sqlx::migrate::MigrateError;
        db::query(
            "CREATE TABLE IF NOT EXISTS _sqlx_migrations (
                version BIGINT PRIMARY KEY,
                description TEXT NOT NULL,
                installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
                success BOOLEAN NOT NULL,
                checksum BLOB NOT NULL,
                execution_time BIGINT NOT NULL
            )",
        )
        .execute(self)
        .await?;
        let ours: Vec<_> = migrator
            .iter()
            .filter(|m| !m.migration_type.is_down_migration())
            .collect();
        let mut applied = std::collections::HashSet::new();
        for row in db::query("SELECT version, success, checksum FROM _sqlx_migrations")
            .fetch_all(self)
            .await?
        {
            let version: i64 = row.try_get("version")?;
            if !row.try_get::<bool>("success")? {
                return Err(MigrateError::Dirty(version).into());
            }
            let Some(m) = ours.iter().find(|m| m.version == version) else {
                return Err(MigrateError::VersionMissing(version).into());
            };
            if row.try_get::<Vec<u8>>("checksum")?.as_slice() != &*m.checksum {
                return Err(MigrateError::VersionMismatch(version).into());
            }
            applied.insert(version);
        }
        for m in ours.into_iter().filter(|m| !applied.contains(&m.version)) {
            // Under the write lock, look again: another process opening the
            // same new database may have applied it meanwhile.
            self.sqlite()?.begin(true).await?;
            let done = db::query("SELECT 1 AS one FROM _sqlx_migrations WHERE version = $1")
                .bind(m.version)
                .fetch_optional(self)
                .await?
                .is_some();
            if !done {
                let started = std::time::Instant::now();
                if m.no_tx {
                    self.sqlite()?.finish(true)?;
                }
                self.sqlite()?.batch(m.sql.as_str()).await?;
                let nanos = i64::try_from(started.elapsed().as_nanos()).unwrap_or(i64::MAX);
                db::query("INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES ($1, $2, 1, $3, $4)")
                    .bind(m.version)
                    .bind(m.description.to_string())
                    .bind(m.checksum.to_vec())
                    .bind(nanos)
                    .execute(self)
                    .await?;
            }
            self.sqlite()?.finish(true)?;
        }
        Ok(())
    }

    /// The SQLite connection under this `Tx` (for what only SQLite needs).
    fn sqlite(&mut self) -> Result<&mut db::sqlite::Lease> {
        match &mut self.inner {
            Inner::Sqlite(lease) => Ok(lease),
            Inner::PgTx(_) | Inner::PgConn(_) => Err(StoreError::UnsupportedUrl),
        }
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
