//! The embedded default store: one SQLite file in WAL mode.

use std::path::Path;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{QueryBuilder, Row, Sqlite, SqlitePool};

use super::{
    DocWrite, FeedRow, LinkRecord, Store, StoreError, StoredDoc, TxWork, scope_from_text,
    scope_to_text,
};
use crate::core::InboundCursor;
use crate::topology::UnitCode;

/// How hard SQLite flushes on commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// fsync the WAL on every commit: survives power loss.
    #[default]
    Full,
    /// fsync at checkpoints only: survives a crashed or killed process, may lose the
    /// last commits on power loss (peers resend them: cursors roll back with data).
    Normal,
}

/// Rows per multi-row INSERT (8 parameters each, well under SQLite's limit).
const ROWS_PER_STATEMENT: usize = 200;

pub struct SqliteStore {
    pool: SqlitePool,
    epoch: String,
    head: AtomicU64,
}

impl SqliteStore {
    /// Opens (creating if needed) `path` and brings its schema up to date.
    pub async fn open(path: &Path, durability: Durability) -> Result<Self, StoreError> {
        let url = format!("sqlite://{}", path.display());
        let open_err = |message: String| StoreError::Open {
            url: url.clone(),
            message,
        };
        let opts = SqliteConnectOptions::from_str(&url)
            .map_err(|e| open_err(e.to_string()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(match durability {
                Durability::Full => SqliteSynchronous::Full,
                Durability::Normal => SqliteSynchronous::Normal,
            })
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(opts)
            .await
            .map_err(|e| open_err(e.to_string()))?;
        Self::from_pool(pool).await
    }

    /// Uses an existing pool (shared with the node's own tables).
    pub async fn from_pool(pool: SqlitePool) -> Result<Self, StoreError> {
        // Versions 1..9999 are the hub's; the node's projections use their own range
        // in the same database, hence ignore_missing.
        let mut migrator = sqlx::migrate!("./migrations/sqlite");
        migrator.set_ignore_missing(true);
        migrator
            .run(&pool)
            .await
            .map_err(|e| StoreError::Db(format!("migrating hub tables: {e}")))?;
        let fresh = uuid::Uuid::new_v4().simple().to_string();
        sqlx::query("INSERT OR IGNORE INTO hub_meta (key, value) VALUES ('epoch', ?)")
            .bind(&fresh)
            .execute(&pool)
            .await?;
        let epoch: String = sqlx::query_scalar("SELECT value FROM hub_meta WHERE key = 'epoch'")
            .fetch_one(&pool)
            .await?;
        let head: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM hub_docs")
            .fetch_one(&pool)
            .await?;
        Ok(SqliteStore {
            pool,
            epoch,
            head: AtomicU64::new(head as u64),
        })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

fn opt_unit(s: Option<String>) -> Option<UnitCode> {
    s.and_then(|s| s.parse().ok())
}

#[async_trait]
impl Store for SqliteStore {
    fn epoch(&self) -> &str {
        &self.epoch
    }

    fn head(&self) -> u64 {
        self.head.load(Ordering::SeqCst)
    }

    async fn get(&self, doc_ids: &[String]) -> Result<Vec<StoredDoc>, StoreError> {
        let mut out = Vec::with_capacity(doc_ids.len());
        for chunk in doc_ids.chunks(500) {
            let placeholders = vec!["?"; chunk.len()].join(",");
            let sql = format!(
                "SELECT doc_id, seq, heads, first_seen_ms, bytes FROM hub_docs WHERE doc_id IN ({placeholders})"
            );
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(id);
            }
            for row in q.fetch_all(&self.pool).await? {
                out.push(StoredDoc {
                    doc_id: row.try_get(0)?,
                    seq: row.try_get::<i64, _>(1)? as u64,
                    heads: row.try_get(2)?,
                    first_seen_ms: row.try_get(3)?,
                    bytes: row.try_get(4)?,
                });
            }
        }
        Ok(out)
    }

    async fn commit(
        &self,
        writes: Vec<DocWrite>,
        cursor: Option<(UnitCode, InboundCursor)>,
        now_ms: i64,
    ) -> Result<u64, StoreError> {
        self.commit_with(writes, cursor, now_ms, None).await
    }

    async fn commit_with(
        &self,
        writes: Vec<DocWrite>,
        cursor: Option<(UnitCode, InboundCursor)>,
        now_ms: i64,
        work: Option<TxWork>,
    ) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin().await?;
        let first = self.head.load(Ordering::SeqCst) + 1;
        let head = first + writes.len() as u64 - 1;
        // Many rows per statement: each statement is a round trip to the SQLite
        // worker thread, which dominated the cost of applying a batch row by row.
        for (chunk_no, chunk) in writes.chunks(ROWS_PER_STATEMENT).enumerate() {
            let base = first + (chunk_no * ROWS_PER_STATEMENT) as u64;
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO hub_docs (doc_id, seq, scope, heads, source, first_seen_ms, updated_ms, bytes) ",
            );
            q.push_values(chunk.iter().enumerate(), |mut b, (i, w)| {
                b.push_bind(&w.doc_id)
                    .push_bind((base + i as u64) as i64)
                    .push_bind(scope_to_text(&w.scope))
                    .push_bind(&w.heads)
                    .push_bind(w.source.as_ref().map(UnitCode::as_str))
                    .push_bind(now_ms)
                    .push_bind(now_ms)
                    .push_bind(&w.bytes);
            });
            q.push(
                " ON CONFLICT (doc_id) DO UPDATE SET seq = excluded.seq, scope = excluded.scope,
                   heads = excluded.heads, source = excluded.source,
                   updated_ms = excluded.updated_ms, bytes = excluded.bytes",
            );
            q.build().execute(&mut *tx).await?;
        }
        if let Some((peer, c)) = cursor {
            sqlx::query(
                "INSERT INTO hub_links (peer, peer_epoch, received_upto, last_sync_ms) VALUES (?, ?, ?, ?)
                 ON CONFLICT (peer) DO UPDATE SET peer_epoch = excluded.peer_epoch,
                   received_upto = excluded.received_upto, last_sync_ms = excluded.last_sync_ms",
            )
            .bind(peer.as_str())
            .bind(&c.epoch)
            .bind(c.upto as i64)
            .bind(now_ms)
            .execute(&mut *tx)
            .await?;
        }
        if let Some(work) = work {
            work(&mut tx).await?;
        }
        tx.commit().await?;
        self.head.store(head, Ordering::SeqCst);
        Ok(head)
    }

    async fn scan(&self, after: u64, limit: usize) -> Result<Vec<FeedRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT doc_id, seq, scope, source FROM hub_docs WHERE seq > ? ORDER BY seq LIMIT ?",
        )
        .bind(after as i64)
        .bind(limit as i64)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|row| {
                let doc_id: String = row.try_get(0)?;
                let scope: String = row.try_get(2)?;
                Ok(FeedRow {
                    scope: scope_from_text(&doc_id, &scope)?,
                    seq: row.try_get::<i64, _>(1)? as u64,
                    source: opt_unit(row.try_get(3)?),
                    doc_id,
                })
            })
            .collect()
    }

    async fn link(&self, peer: &UnitCode) -> Result<Option<LinkRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT peer_epoch, received_upto, acked_upto, last_sync_ms FROM hub_links WHERE peer = ?",
        )
        .bind(peer.as_str())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(LinkRecord {
                inbound: InboundCursor {
                    epoch: row.try_get(0)?,
                    upto: row.try_get::<i64, _>(1)? as u64,
                },
                acked_upto: row.try_get::<i64, _>(2)? as u64,
                last_sync_ms: row.try_get(3)?,
            })
        })
        .transpose()
    }

    async fn save_acked(&self, peer: &UnitCode, upto: u64, now_ms: i64) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO hub_links (peer, acked_upto, last_sync_ms) VALUES (?, ?, ?)
             ON CONFLICT (peer) DO UPDATE SET acked_upto = excluded.acked_upto,
               last_sync_ms = excluded.last_sync_ms",
        )
        .bind(peer.as_str())
        .bind(upto as i64)
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn count_docs(&self) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM hub_docs")
            .fetch_one(&self.pool)
            .await?;
        Ok(n as u64)
    }

    async fn count_after(&self, after: u64) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM hub_docs WHERE seq > ?")
            .bind(after as i64)
            .fetch_one(&self.pool)
            .await?;
        Ok(n as u64)
    }
}
