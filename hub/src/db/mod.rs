//! One database handle for both engines: SQLite (one file, the embedded default)
//! and PostgreSQL (for big nodes), selected by URL.
//!
//! Everything above this module speaks sqlx's `Any` driver with `$1, $2, …`
//! placeholders, which both engines accept (SQLite reads `$N` as the N-th
//! argument), and writes SQL both engines understand: upserts with `ON CONFLICT`,
//! integers for flags, `CAST(SUM(x) AS BIGINT)` where PostgreSQL would widen a sum
//! to NUMERIC. The few differences that remain (column types, `WITHOUT ROWID`)
//! live in the per-engine migration folders, which carry the same versions.

mod checkpointer;
mod from_row;
mod migrations;
pub mod scratch;
mod sql;

pub use migrations::{HUB_MIGRATIONS, Migration, MigrationFile, Migrations, migration_version};
pub use sql::{Row, Sql, SqlTarget};
/// For `from_row!` in other crates.
#[doc(hidden)]
pub use sqlx as __sqlx;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyConnection, AnyPool, Connection, Executor};

/// Why storage failed: opening or migrating a database, a query, or a stored
/// document that no longer decodes.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database {url}: {message}")]
    Open { url: String, message: String },
    #[error("database {url}: cannot bring the schema up to date (nothing was changed): {message}")]
    Migrate { url: String, message: String },
    #[error("database: {0}")]
    Db(String),
    #[error("stored document {doc_id} is unreadable: {message}")]
    Corrupt { doc_id: String, message: String },
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::Db(e.to_string())
    }
}

/// How long opening a database may take before it is an error.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Which database engine a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    /// The engine a database URL names, by its scheme.
    pub fn of_url(url: &str) -> Option<Engine> {
        let scheme = url.split(':').next().unwrap_or_default();
        match scheme {
            "sqlite" => Some(Engine::Sqlite),
            "postgres" | "postgresql" => Some(Engine::Postgres),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Engine::Sqlite => "sqlite",
            Engine::Postgres => "postgres",
        }
    }
}

/// How hard SQLite flushes on commit (PostgreSQL follows its server's settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// fsync the WAL on every commit: survives power loss.
    #[default]
    Full,
    /// fsync at checkpoints only: survives a crashed or killed process, may lose the
    /// last commits on power loss (peers resend them: cursors roll back with data).
    Normal,
}

/// Options for opening a database.
#[derive(Debug, Clone, Copy)]
pub struct DbOptions {
    pub durability: Durability,
    /// Pool size (None: 4 for SQLite, whose write transactions have a connection
    /// of their own besides; 8 for PostgreSQL).
    pub max_connections: Option<u32>,
}

impl Default for DbOptions {
    fn default() -> Self {
        DbOptions {
            durability: Durability::Full,
            max_connections: None,
        }
    }
}

/// A database URL with its password replaced by `***`, fit for logs and errors.
pub fn redact(url: &str) -> String {
    // `scheme://user:password@host…`: hide what sits between the first ':' after
    // the authority start and the '@'.
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = match rest.find(['/', '?']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// How much of SQLite's write-ahead log stays on disk after a checkpoint: about
/// what SQLite lets it grow to between automatic checkpoints (1,000 pages).
pub const WAL_KEPT_BYTES: i64 = 4 << 20;

/// What the writing connection sets beside every connection's pragmas. Its
/// statement journals (kept while a multi-row upsert runs, to undo that statement
/// alone if it fails) stay in memory: SQLite spills them to a temporary file past
/// 64 KiB, and a city's first sync spent a twentieth of its time writing them
/// there, on the writer's thread, inside the write lock (`perf`). They live for one
/// statement, so what they hold is at most the pages one statement changes.
const WRITER_PRAGMAS: &str = "PRAGMA temp_store = MEMORY;";

/// The URL of a SQLite file, created when missing.
pub fn sqlite_url(path: &Path) -> String {
    let opts = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true);
    sqlx::ConnectOptions::to_url_lossy(&opts).to_string()
}

/// A pool on one database, SQLite or PostgreSQL. Cheap to clone.
#[derive(Clone)]
pub struct Db {
    pool: AnyPool,
    /// Where write transactions run. On SQLite, one connection of its own (SQLite
    /// has one writer at a time anyway): a commit never waits for a connection
    /// behind the readers, who may be preparing the next batches. On PostgreSQL,
    /// the pool.
    writer: AnyPool,
    /// On SQLite, copies the write-ahead log into the file beside the writer.
    _checkpointer: Option<std::sync::Arc<checkpointer::Checkpointer>>,
    engine: Engine,
    shown: std::sync::Arc<str>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db").field("url", &self.shown).finish()
    }
}

impl Db {
    /// Connects to `url` (`sqlite://PATH` or `postgres://…`). Nothing is created in
    /// the database here; `migrate` brings the schema up to date.
    pub async fn open(url: &str, opts: DbOptions) -> Result<Db, StoreError> {
        sqlx::any::install_default_drivers();
        let shown = redact(url);
        let open_err = |message: String| StoreError::Open {
            url: shown.clone(),
            message,
        };
        let engine = Engine::of_url(url).ok_or_else(|| {
            open_err("unsupported database URL: use sqlite://FILE or postgres://…".into())
        })?;
        let mut url = url.to_owned();
        if engine == Engine::Sqlite && !url.contains("mode=") {
            url.push(if url.contains('?') { '&' } else { '?' });
            url.push_str("mode=rwc");
        }
        let any_opts = AnyConnectOptions::from_str(&url).map_err(|e| open_err(e.to_string()))?;
        // One attempt first, so an unreachable or misconfigured database is an
        // error now, not after the pool's retries run out.
        match tokio::time::timeout(CONNECT_TIMEOUT, AnyConnection::connect_with(&any_opts)).await {
            Ok(Ok(conn)) => {
                let _ = conn.close().await;
            }
            Ok(Err(e)) => return Err(open_err(e.to_string())),
            Err(_) => {
                return Err(open_err(format!(
                    "no answer within {} s",
                    CONNECT_TIMEOUT.as_secs()
                )));
            }
        }
        let sqlite = |connections: u32, extra: &'static str| {
            let sync = match opts.durability {
                Durability::Full => "FULL",
                Durability::Normal => "NORMAL",
            };
            AnyPoolOptions::new()
                .max_connections(connections)
                .acquire_timeout(Duration::from_secs(30))
                // A file's connection does not go stale as a socket's may, and
                // the check is a round trip to its worker thread on every
                // acquire: one more per transaction, inside the write lock.
                .test_before_acquire(false)
                .after_connect(move |conn, _meta| {
                    Box::pin(async move {
                        conn.execute(
                            // The log is cut back to WAL_KEPT_BYTES after each
                            // checkpoint: left alone it keeps the size of the
                            // largest burst it ever held (a first sync's).
                            format!(
                                "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL;
                                     PRAGMA synchronous = {sync}; PRAGMA foreign_keys = ON;
                                     PRAGMA journal_size_limit = {WAL_KEPT_BYTES}; {extra}"
                            )
                            .as_str(),
                        )
                        .await?;
                        Ok(())
                    })
                })
                .connect_with(any_opts.clone())
        };
        let (pool, writer, checkpointer) = match engine {
            Engine::Sqlite => {
                let pool = sqlite(opts.max_connections.unwrap_or(4), "")
                    .await
                    .map_err(|e| open_err(e.to_string()))?;
                let writer = sqlite(1, WRITER_PRAGMAS)
                    .await
                    .map_err(|e| open_err(e.to_string()))?;
                let checkpointer = checkpointer::Checkpointer::start(pool.clone());
                (pool, writer, Some(std::sync::Arc::new(checkpointer)))
            }
            Engine::Postgres => {
                let max = opts.max_connections.unwrap_or(8);
                let pool = AnyPoolOptions::new()
                    .max_connections(max)
                    // A new PostgreSQL connection costs a backend process and a
                    // few milliseconds; keep some open so the first burst after a
                    // quiet spell (a peer reconnecting) does not pay for them.
                    .min_connections(max.min(4))
                    .acquire_timeout(Duration::from_secs(30))
                    .connect_with(any_opts)
                    .await
                    .map_err(|e| open_err(e.to_string()))?;
                (pool.clone(), pool, None)
            }
        };
        Ok(Db {
            pool,
            writer,
            _checkpointer: checkpointer,
            engine,
            shown: shown.into(),
        })
    }

    /// Opens a SQLite file (created when missing).
    pub async fn open_sqlite(path: &Path, durability: Durability) -> Result<Db, StoreError> {
        Self::open(
            &sqlite_url(path),
            DbOptions {
                durability,
                max_connections: None,
            },
        )
        .await
    }

    /// Where reads run, and transactions that only read.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Where a write of one statement runs (several go in `begin_write`'s
    /// transaction). On SQLite it is the writer's own connection: a write on a
    /// reader's connection meets SQLite's lock and waits by sleeping and
    /// retrying (`busy_timeout`), over a second at a time while a peer's batches
    /// commit one after another, and takes the lock from under the next of them.
    pub fn writes(&self) -> &AnyPool {
        &self.writer
    }

    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// A transaction that will write. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`): a deferred transaction that reads first and writes
    /// later fails outright (SQLITE_BUSY_SNAPSHOT, no busy wait) when another
    /// connection wrote in between.
    pub async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        match self.engine {
            Engine::Sqlite => self.writer.begin_with("BEGIN IMMEDIATE").await,
            Engine::Postgres => self.writer.begin().await,
        }
    }

    /// The URL with any password hidden.
    pub fn url(&self) -> &str {
        &self.shown
    }

    pub async fn close(&self) {
        self.pool.close().await;
        self.writer.close().await;
    }

    /// On SQLite, moves everything in the write-ahead log into the database file
    /// and empties the log, so that the file alone holds the node (a copy of it
    /// made after a clean stop is whole). Nothing to do on PostgreSQL.
    pub async fn checkpoint(&self) -> Result<(), sqlx::Error> {
        if matches!(self.engine, Engine::Sqlite) {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn passwords_never_show() {
        assert_eq!(
            redact("postgres://root:s3cret@127.0.0.1:5432/test"),
            "postgres://root:***@127.0.0.1:5432/test"
        );
        assert_eq!(
            redact("postgres://root@127.0.0.1/test?sslmode=require"),
            "postgres://root@127.0.0.1/test?sslmode=require"
        );
        assert_eq!(redact("postgres://u:p@h"), "postgres://u:***@h");
        assert_eq!(redact("sqlite:///tmp/x.db"), "sqlite:///tmp/x.db");
        assert_eq!(redact("not a url"), "not a url");
    }

    /// The writer keeps its statement journals in memory; the readers, which
    /// write none, keep SQLite's default.
    #[tokio::test]
    async fn the_writer_journals_statements_in_memory() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open_sqlite(&dir.path().join("t.db"), Durability::Normal)
            .await
            .unwrap();
        async fn temp_store(pool: &AnyPool) -> i64 {
            sqlx::query_scalar("PRAGMA temp_store")
                .fetch_one(pool)
                .await
                .unwrap()
        }
        // 2 is MEMORY, 0 the default.
        assert_eq!(temp_store(db.writes()).await, 2);
        assert_eq!(temp_store(db.pool()).await, 0);
    }

    /// A burst four times the kept size grows the log; once checkpointed, the
    /// next write cuts it back instead of leaving it at the burst's size.
    #[tokio::test]
    async fn the_write_ahead_log_is_cut_back_after_a_burst() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let db = Db::open_sqlite(&path, Durability::Normal).await.unwrap();
        let mut conn = db.pool().acquire().await.unwrap();
        sqlx::raw_sql(
            "CREATE TABLE t (b BLOB);
             BEGIN;
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 4096)
             INSERT INTO t SELECT randomblob(4000) FROM n;
             COMMIT;",
        )
        .execute(&mut *conn)
        .await
        .unwrap();
        let wal = || {
            std::fs::metadata(path.with_extension("db-wal"))
                .map(|m| m.len())
                .unwrap_or(0)
        };
        assert!(
            wal() > 4 * WAL_KEPT_BYTES as u64,
            "the burst went through the log"
        );
        // The checkpointer beside the writer may be copying at the same moment
        // (a write then finds the log not yet wholly copied and appends): FULL
        // waits for it, and the next write after a whole copy cuts the log back.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            sqlx::query("PRAGMA wal_checkpoint(FULL)")
                .execute(&mut *conn)
                .await
                .unwrap();
            sqlx::query("INSERT INTO t VALUES (x'00')")
                .execute(&mut *conn)
                .await
                .unwrap();
            if wal() <= WAL_KEPT_BYTES as u64 {
                break;
            }
            assert!(Instant::now() < deadline, "the log kept {} bytes", wal());
        }
    }

    /// A commit that leaves its pages in the log (its connection does not
    /// checkpoint) finds them copied into the database file soon after, by the
    /// task beside the writer.
    #[tokio::test]
    async fn the_log_is_copied_into_the_file_beside_the_writer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let db = Db::open_sqlite(&path, Durability::Normal).await.unwrap();
        let mut tx = db.begin_write().await.unwrap();
        sqlx::raw_sql(
            "PRAGMA wal_autocheckpoint = 0;
             CREATE TABLE t (b BLOB);
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1024)
             INSERT INTO t SELECT randomblob(4000) FROM n;",
        )
        .execute(&mut *tx)
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let file = || std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        let deadline = Instant::now() + Duration::from_secs(10);
        while file() < 4 << 20 {
            assert!(
                Instant::now() < deadline,
                "the file still holds {} bytes after 10 s",
                file()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    #[test]
    fn engines_by_scheme() {
        assert_eq!(Engine::of_url("sqlite:///a.db"), Some(Engine::Sqlite));
        assert_eq!(Engine::of_url("postgres://h/db"), Some(Engine::Postgres));
        assert_eq!(Engine::of_url("postgresql://h/db"), Some(Engine::Postgres));
        assert_eq!(Engine::of_url("mysql://h/db"), None);
    }
}
