//! SQLite through rusqlite, in place: a statement runs on the thread of the
//! task that asked for it, with no hand-off to a connection thread. A small
//! pool of connections (readers run side by side under WAL) and one write
//! gate per process, so that a writer waits asynchronously for another
//! writer of this process instead of blocking a runtime thread in SQLite's
//! busy handler (docs/architecture.md, departure 1).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OpenFlags, ToSql};
use tokio::sync::{OwnedMutexGuard, OwnedSemaphorePermit, Semaphore};

use super::{Arg, Cell, Row};
use crate::{Result, StoreError};

/// How many prepared statements each connection keeps (the store has about
/// a hundred distinct statements; the login path uses about twenty).
const STATEMENT_CACHE: usize = 160;

/// How long a statement waits for another process's write lock. It waits
/// asynchronously (`Lease::retry_busy`), never in SQLite's busy handler,
/// which would hold a runtime thread.
const BUSY_WAIT: Duration = Duration::from_secs(10);

/// The longest pause between two attempts while another process writes.
const BUSY_PAUSE_MAX: Duration = Duration::from_millis(50);

/// A pool of SQLite connections to one file.
#[derive(Clone)]
pub(crate) struct Pool {
    inner: Arc<PoolInner>,
}

struct PoolInner {
    path: String,
    flags: OpenFlags,
    idle: Mutex<Vec<Connection>>,
    slots: Arc<Semaphore>,
    gate: Arc<tokio::sync::Mutex<()>>,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("sqlite::Pool")
            .field("path", &self.inner.path)
            .finish_non_exhaustive()
    }
}

impl Pool {
    /// A pool for `url` (`sqlite://PATH`, `sqlite:PATH`, with an optional
    /// `?mode=ro|rw|rwc`; `rwc`, creating the file, by default). Opens one
    /// connection at once so that a bad path fails here.
    pub(crate) fn open(url: &str, max_connections: u32) -> Result<Self> {
        let rest = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .ok_or(StoreError::UnsupportedUrl)?;
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let mut flags = OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut mode = "rwc";
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("mode", m)) => mode = m,
                _ => return Err(StoreError::UnsupportedUrl),
            }
        }
        flags |= match mode {
            "ro" => OpenFlags::SQLITE_OPEN_READ_ONLY,
            "rw" => OpenFlags::SQLITE_OPEN_READ_WRITE,
            "rwc" => OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
            _ => return Err(StoreError::UnsupportedUrl),
        };
        if path.is_empty() || path == ":memory:" {
            // Each pooled connection would see its own empty database.
            return Err(StoreError::UnsupportedUrl);
        }
        let pool = Pool {
            inner: Arc::new(PoolInner {
                path: path.to_owned(),
                flags,
                idle: Mutex::new(Vec::new()),
                slots: Arc::new(Semaphore::new(max_connections.max(1) as usize)),
                gate: Arc::new(tokio::sync::Mutex::new(())),
            }),
        };
        let first = pool.connect()?;
        pool.idle().push(first);
        Ok(pool)
    }

    fn idle(&self) -> std::sync::MutexGuard<'_, Vec<Connection>> {
        // A panic while holding this lock cannot leave the list half-changed.
        self.inner
            .idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn connect(&self) -> Result<Connection> {
        let conn = Connection::open_with_flags(&self.inner.path, self.inner.flags)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        // No busy handler: a statement that finds the file locked by another
        // process returns SQLITE_BUSY at once and is retried after an
        // asynchronous pause, so the runtime thread stays free.
        conn.busy_timeout(Duration::ZERO)?;
        // WAL lets readers go on while one writer writes; writers take the
        // lock up front (BEGIN IMMEDIATE).
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
        )?;
        Ok(conn)
    }

    /// A connection, waiting for a free slot.
    pub(crate) async fn acquire(&self) -> Result<Lease> {
        let permit = self
            .inner
            .slots
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| StoreError::Closed)?;
        let idle = self.idle().pop();
        let conn = match idle {
            Some(c) => c,
            None => self.connect()?,
        };
        Ok(Lease {
            conn: Some(conn),
            pool: self.clone(),
            _permit: permit,
            gate: None,
            in_tx: false,
        })
    }

    /// The process's write gate: held by a write transaction from `BEGIN
    /// IMMEDIATE` to its end, and by a single writing statement.
    pub(crate) async fn gate(&self) -> OwnedMutexGuard<()> {
        self.inner.gate.clone().lock_owned().await
    }

    /// Closes the idle connections; no new ones are handed out.
    pub(crate) fn close(&self) {
        self.inner.slots.close();
        self.idle().clear();
    }
}

/// A pooled connection, back in the pool when dropped (rolled back first if
/// a transaction is still open).
pub(crate) struct Lease {
    conn: Option<Connection>,
    pool: Pool,
    _permit: OwnedSemaphorePermit,
    gate: Option<OwnedMutexGuard<()>>,
    in_tx: bool,
}

impl Drop for Lease {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else { return };
        if self.in_tx && conn.execute_batch("ROLLBACK").is_err() {
            // The connection's state is unknown: do not pool it.
            return;
        }
        if !conn.is_autocommit() {
            return;
        }
        self.pool.idle().push(conn);
    }
}

impl Lease {
    fn conn(&self) -> Result<&Connection> {
        self.conn.as_ref().ok_or(StoreError::Closed)
    }

    /// Starts a transaction: `BEGIN IMMEDIATE` after taking the write gate
    /// (`write`), or a deferred `BEGIN` for a read snapshot.
    pub(crate) async fn begin(&mut self, write: bool) -> Result<()> {
        let sql = if write {
            self.gate = Some(self.pool.gate().await);
            "BEGIN IMMEDIATE"
        } else {
            "BEGIN"
        };
        self.retry_busy(|c| Ok(c.execute_batch(sql)?)).await?;
        self.in_tx = true;
        Ok(())
    }

    /// Runs `op` on the connection; while another process holds the lock
    /// (SQLITE_BUSY, which means `op` changed nothing), waits a little,
    /// asynchronously, and tries again, for at most [`BUSY_WAIT`].
    async fn retry_busy<T>(&mut self, mut op: impl FnMut(&Connection) -> Result<T>) -> Result<T> {
        let deadline = tokio::time::Instant::now() + BUSY_WAIT;
        let mut pause = Duration::from_millis(1);
        loop {
            let outcome = op(self.conn()?);
            match outcome {
                Err(StoreError::Sqlite(e))
                    if is_busy(&e) && tokio::time::Instant::now() + pause < deadline =>
                {
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(BUSY_PAUSE_MAX);
                }
                other => return other,
            }
        }
    }

    /// Ends the transaction (`COMMIT` or `ROLLBACK`) and opens the gate.
    pub(crate) fn finish(&mut self, commit: bool) -> Result<()> {
        if self.in_tx {
            let sql = if commit { "COMMIT" } else { "ROLLBACK" };
            let r = self.conn()?.execute_batch(sql);
            if r.is_ok() || !commit {
                self.in_tx = false;
            }
            r?;
        }
        self.gate = None;
        Ok(())
    }

    /// Runs one statement in place. Outside a transaction, a statement that
    /// writes takes the write gate for its duration.
    pub(crate) async fn run(
        &mut self,
        sql: &str,
        args: &[Arg],
        want_rows: bool,
    ) -> Result<(Vec<Row>, u64)> {
        let gate = if self.in_tx {
            None
        } else {
            let readonly = self.conn()?.prepare_cached(sql)?.readonly();
            if readonly {
                None
            } else {
                Some(self.pool.gate().await)
            }
        };
        let out = self.retry_busy(|c| run(c, sql, args, want_rows)).await;
        drop(gate);
        out
    }

    /// Runs several statements without parameters (migrations, raw SQL).
    pub(crate) async fn batch(&mut self, sql: &str) -> Result<u64> {
        let _gate = if self.in_tx {
            None
        } else {
            Some(self.pool.gate().await)
        };
        self.retry_busy(|c| {
            c.execute_batch(sql)?;
            Ok(c.changes())
        })
        .await
    }
}

impl ToSql for Arg {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Arg::Int(Some(v)) => ValueRef::Integer(*v),
            Arg::Text(Some(v)) => ValueRef::Text(v.as_bytes()),
            Arg::Bytes(Some(v)) => ValueRef::Blob(v),
            Arg::Int(None) | Arg::Text(None) | Arg::Bytes(None) => ValueRef::Null,
        }))
    }
}

fn run(conn: &Connection, sql: &str, args: &[Arg], want_rows: bool) -> Result<(Vec<Row>, u64)> {
    let mut stmt = conn.prepare_cached(sql)?;
    for index in 1..=stmt.parameter_count() {
        // `$N` and `?N` name their argument; a bare `?` takes the next one.
        let arg = match stmt.parameter_name(index) {
            Some(name) => name
                .get(1..)
                .and_then(|n| n.parse::<usize>().ok())
                .ok_or_else(|| rusqlite::Error::InvalidParameterName(name.to_owned()))?,
            None => index,
        };
        let value = args
            .get(arg.wrapping_sub(1))
            .ok_or(rusqlite::Error::InvalidParameterCount(arg, args.len()))?;
        stmt.raw_bind_parameter(index, value)?;
    }
    let columns: Arc<[String]> = if want_rows {
        stmt.column_names().into_iter().map(str::to_owned).collect()
    } else {
        Arc::from(Vec::new())
    };
    let width = stmt.column_count();
    let mut rows = Vec::new();
    let mut cursor = stmt.raw_query();
    while let Some(r) = cursor.next()? {
        if !want_rows {
            continue;
        }
        let mut cells = Vec::with_capacity(width);
        for i in 0..width {
            cells.push(match r.get_ref(i)? {
                ValueRef::Null => Cell::Null,
                ValueRef::Integer(v) => Cell::Int(v),
                ValueRef::Real(v) => Cell::Real(v),
                ValueRef::Text(t) => Cell::Text(
                    std::str::from_utf8(t)
                        .map_err(|_| crate::corrupt("text that is not UTF-8"))?
                        .to_owned(),
                ),
                ValueRef::Blob(b) => Cell::Bytes(b.to_vec()),
            });
        }
        rows.push(Row::new(columns.clone(), cells));
    }
    drop(cursor);
    Ok((rows, conn.changes()))
}

/// Whether SQLite refused because another process holds the lock.
fn is_busy(e: &rusqlite::Error) -> bool {
    e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy)
}

/// Whether a SQLite error is a unique-constraint violation.
pub(crate) fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error(),
        Some(err) if err.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
            || err.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
    )
}
