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
use tokio::time::Instant;

use super::{Arg, Cell, Row};
use crate::{Result, StoreError};

/// How many prepared statements each connection keeps (the store has about
/// a hundred distinct statements; the login path uses about twenty).
const STATEMENT_CACHE: usize = 160;

/// How long a statement waits for another process's write lock. It waits
/// asynchronously ([`retry_busy`]), never in SQLite's busy handler,
/// which would hold a runtime thread.
const BUSY_WAIT: Duration = Duration::from_secs(10);

/// The longest pause between two attempts while another process writes.
const BUSY_PAUSE_MAX: Duration = Duration::from_millis(50);

/// How long a task waits for a free connection of the pool.
const ACQUIRE_WAIT: Duration = Duration::from_secs(30);

fn deadline(wait: Duration) -> Instant {
    Instant::now() + wait
}

/// Runs `op`; while another process holds the lock (SQLITE_BUSY: `op`
/// changed nothing), waits a little, asynchronously, and tries again until
/// `deadline`. `state` is what `op` works on (a connection), passed in
/// rather than captured so that no borrow of it lives across the pause.
async fn retry_busy<S, T>(
    state: &mut S,
    deadline: Instant,
    mut op: impl FnMut(&mut S) -> Result<T>,
) -> Result<T> {
    let mut pause = Duration::from_millis(1);
    loop {
        match op(state) {
            Err(StoreError::Sqlite(e)) if is_busy(&e) => {
                if Instant::now() + pause >= deadline {
                    return Err(StoreError::Busy(
                        "another process held the database too long",
                    ));
                }
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(BUSY_PAUSE_MAX);
            }
            other => return other,
        }
    }
}

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
    pub(crate) async fn open(url: &str, max_connections: u32) -> Result<Self> {
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
        // As in sqlx's SQLite URLs: the path may be percent-encoded.
        let path = percent_encoding::percent_decode_str(path)
            .decode_utf8()
            .map_err(|_| StoreError::UnsupportedUrl)?;
        if path.is_empty() || path == ":memory:" {
            // Each pooled connection would see its own empty database.
            return Err(StoreError::UnsupportedUrl);
        }
        let pool = Pool {
            inner: Arc::new(PoolInner {
                path: path.into_owned(),
                flags,
                idle: Mutex::new(Vec::new()),
                slots: Arc::new(Semaphore::new(max_connections.max(1) as usize)),
                gate: Arc::new(tokio::sync::Mutex::new(())),
            }),
        };
        let first = pool.connect_waiting(deadline(BUSY_WAIT)).await?;
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

    /// A new connection; while another process holds the file (WAL
    /// recovery, the last connection closing), tried again until `deadline`.
    async fn connect_waiting(&self, deadline: Instant) -> Result<Connection> {
        retry_busy(&mut (), deadline, |_| self.connect()).await
    }

    fn connect(&self) -> Result<Connection> {
        let conn = Connection::open_with_flags(&self.inner.path, self.inner.flags)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        // No busy handler: a statement that finds the file locked by another
        // process returns SQLITE_BUSY at once and is retried after an
        // asynchronous pause, so the runtime thread stays free.
        conn.busy_timeout(Duration::ZERO)?;
        // WAL lets readers go on while one writer writes, and a commit never
        // waits for readers; the safety of running statements in place
        // rests on it, so a file that cannot be in WAL mode is refused.
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        let read_only = self.inner.flags.contains(OpenFlags::SQLITE_OPEN_READ_ONLY);
        if !read_only && !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Unsupported(format!(
                "SQLite could not put {} in WAL mode (it stays in {mode} mode); use a local file system",
                self.inner.path
            )));
        }
        conn.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")?;
        Ok(conn)
    }

    /// A connection, waiting for a free slot (at most [`ACQUIRE_WAIT`]).
    pub(crate) async fn acquire(&self) -> Result<Lease> {
        let until = deadline(ACQUIRE_WAIT);
        let permit = tokio::time::timeout_at(until, self.inner.slots.clone().acquire_owned())
            .await
            .map_err(|_| StoreError::Busy("no database connection became free"))?
            .map_err(|_| StoreError::Closed)?;
        let idle = self.idle().pop();
        let conn = match idle {
            Some(c) => c,
            None => self.connect_waiting(until).await?,
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
    /// IMMEDIATE` to its end, and by a single writing statement. Waiting
    /// for it counts against the writer's `deadline`, so that writers queued
    /// behind one that waits for another process all give up in time.
    async fn gate(&self, deadline: Instant) -> Result<OwnedMutexGuard<()>> {
        tokio::time::timeout_at(deadline, self.inner.gate.clone().lock_owned())
            .await
            .map_err(|_| StoreError::Busy("another writer held the database too long"))
    }

    /// Closes the idle connections; no new ones are handed out, and those
    /// in use are closed when given back.
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
        if !conn.is_autocommit() || self.pool.inner.slots.is_closed() {
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
        let until = deadline(BUSY_WAIT);
        let sql = if write {
            self.gate = Some(self.pool.gate(until).await?);
            "BEGIN IMMEDIATE"
        } else {
            "BEGIN"
        };
        retry_busy(self, until, |l| Ok(l.conn()?.execute_batch(sql)?)).await?;
        self.in_tx = true;
        Ok(())
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
        let until = deadline(BUSY_WAIT);
        let gate = if self.in_tx {
            None
        } else {
            let readonly = self.conn()?.prepare_cached(sql)?.readonly();
            if readonly {
                None
            } else {
                Some(self.pool.gate(until).await?)
            }
        };
        let out = retry_busy(self, until, |l| run(l.conn()?, sql, args, want_rows)).await;
        drop(gate);
        out
    }

    /// Runs several statements without parameters (raw SQL for tests, a
    /// pragma, a migration inside its transaction). Not retried: outside a
    /// transaction the statements before a refused one have committed.
    pub(crate) async fn batch(&mut self, sql: &str) -> Result<u64> {
        let _gate = if self.in_tx {
            None
        } else {
            Some(self.pool.gate(deadline(BUSY_WAIT)).await?)
        };
        let conn = self.conn()?;
        conn.execute_batch(sql)?;
        Ok(conn.changes())
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
    let mut expected = 0;
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
            .ok_or(rusqlite::Error::InvalidParameterCount(args.len(), arg))?;
        stmt.raw_bind_parameter(index, value)?;
        expected = expected.max(arg);
    }
    if args.len() != expected {
        // More arguments than the statement uses: a mistake, as on PostgreSQL.
        return Err(rusqlite::Error::InvalidParameterCount(args.len(), expected).into());
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

/// Whether SQLite refused because another process holds the lock, so that
/// the same statement may succeed later. Not `SQLITE_BUSY_SNAPSHOT`: a
/// transaction whose snapshot is stale can never write, however long it waits.
fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(e.sqlite_error(), Some(err)
        if err.code == rusqlite::ErrorCode::DatabaseBusy
            && err.extended_code != rusqlite::ffi::SQLITE_BUSY_SNAPSHOT)
}

/// Whether a SQLite error is a unique-constraint violation.
pub(crate) fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error(),
        Some(err) if err.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
            || err.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
    )
}
