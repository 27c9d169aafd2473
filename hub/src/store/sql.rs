//! The store on a SQL database: a SQLite file (the embedded default, WAL mode) or
//! PostgreSQL, through one implementation (see [`crate::db`]).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use sqlx::{AnyConnection, Row};

use super::{
    DocWrite, FeedRow, LinkRecord, PriorVersion, RecoveryMark, Store, StoreError, StoredDoc,
    TxWork, scope_from_text, scope_to_text,
};
use crate::core::InboundCursor;
use crate::db::{Db, HUB_MIGRATIONS, Sql};
use crate::topology::UnitCode;

use super::recent::RecentWrites;
use super::unsaved_acks::{self, Ack, UnsavedAcks};

/// Rows per multi-row INSERT (8 parameters each, well under both engines' limits).
const ROWS_PER_STATEMENT: usize = 200;

/// How long a peer's acknowledgement waits for a commit to carry it before it is
/// written on its own.
const ACK_WAIT: std::time::Duration = std::time::Duration::from_millis(250);

/// The `hub_meta` key of the recovery mark (`RecoveryMark::encode`). Written by
/// `xinfang admin restore` too, in a stopped node's database.
pub const RECOVERY_KEY: &str = "recovering";

/// The `hub_meta` key of every epoch the store has had (comma-separated, the
/// current one last).
const EPOCHS_KEY: &str = "epochs";

/// Marks the store in `db` as recovering under a new epoch, in one transaction.
/// What a running store does in `begin_recovery`, and what a restore does to a
/// stopped node's database.
pub async fn mark_recovering(
    db: &Db,
    reason: &str,
    now_ms: i64,
    declared: bool,
) -> Result<RecoveryMark, StoreError> {
    let mark = RecoveryMark {
        reason: reason.to_owned(),
        since_ms: now_ms,
        epoch: super::new_epoch(),
        declared,
    };
    let mut tx = db.begin_write().await?;
    // The history so far: the kept list, or (a stopped node's database from
    // before the list was kept) its one epoch.
    let mut epochs = Vec::new();
    for key in [EPOCHS_KEY, "epoch"] {
        let v: Option<String> = sqlx::query_scalar("SELECT value FROM hub_meta WHERE key = $1")
            .bind(key)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            epochs.push(v);
            break;
        }
    }
    epochs.push(mark.epoch.clone());
    let epochs = epochs.join(",");
    for (key, value) in [
        ("epoch", mark.epoch.clone()),
        (EPOCHS_KEY, epochs),
        (RECOVERY_KEY, mark.encode()),
    ] {
        sqlx::query(
            "INSERT INTO hub_meta (key, value) VALUES ($1, $2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(mark)
}

pub struct SqlStore {
    db: Db,
    epoch: std::sync::Mutex<String>,
    head: AtomicU64,
    /// The documents of the latest commits (`written_since` without a read).
    recent: std::sync::Mutex<RecentWrites>,
    /// Peers' acknowledgements waiting for the next commit.
    acks: UnsavedAcks,
}

impl SqlStore {
    /// The store on `db`, bringing the hub's tables up to date first (a node runs
    /// its own migrations together with the hub's before this, in one
    /// transaction; then there is nothing left to do here).
    pub async fn open(db: Db) -> Result<Self, StoreError> {
        db.migrate(&[&HUB_MIGRATIONS]).await?;
        let fresh = super::new_epoch();
        sqlx::query(
            "INSERT INTO hub_meta (key, value) VALUES ('epoch', $1) ON CONFLICT (key) DO NOTHING",
        )
        .bind(&fresh)
        .execute(db.writes())
        .await?;
        let epoch: String = sqlx::query_scalar("SELECT value FROM hub_meta WHERE key = 'epoch'")
            .fetch_one(db.pool())
            .await?;
        // Stores from before the history was kept start it with their epoch.
        sqlx::query(
            "INSERT INTO hub_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        )
        .bind(EPOCHS_KEY)
        .bind(&epoch)
        .execute(db.writes())
        .await?;
        let head: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM hub_docs")
            .fetch_one(db.pool())
            .await?;
        Ok(SqlStore {
            db,
            epoch: std::sync::Mutex::new(epoch),
            head: AtomicU64::new(head as u64),
            recent: std::sync::Mutex::new(RecentWrites::new(head as u64)),
            acks: UnsavedAcks::default(),
        })
    }

    pub fn db(&self) -> &Db {
        &self.db
    }
}

impl SqlStore {
    /// The writes of one commit, inside its transaction; returns the new head.
    async fn write_in(
        &self,
        tx: &mut AnyConnection,
        writes: &[DocWrite],
        cursor: Option<(UnitCode, InboundCursor)>,
        acks: &BTreeMap<UnitCode, Ack>,
        now_ms: i64,
        work: Option<TxWork>,
    ) -> Result<u64, StoreError> {
        let first = self.head.load(Ordering::SeqCst) + 1;
        let head = first + writes.len() as u64 - 1;
        // Many rows per statement: each statement is a round trip (to SQLite's
        // worker thread, or over the socket to PostgreSQL).
        for (chunk_no, chunk) in writes.chunks(ROWS_PER_STATEMENT).enumerate() {
            let base = first + (chunk_no * ROWS_PER_STATEMENT) as u64;
            let mut q = Sql::new(
                "INSERT INTO hub_docs (doc_id, seq, scope, heads, source, first_seen_ms, updated_ms, bytes) ",
            );
            q.values(chunk.iter().enumerate(), |r, (i, w)| {
                r.bind(w.doc_id.as_str())
                    .bind((base + i as u64) as i64)
                    .bind(scope_to_text(&w.scope))
                    .bind(w.heads.as_str())
                    .bind(w.source.as_ref().map(UnitCode::to_string))
                    .bind(now_ms)
                    .bind(now_ms)
                    .bind(w.bytes.as_slice());
            });
            q.push(
                // The version replaced is kept beside the new one (the right-hand
                // sides read the row as it was): a peer that holds it is sent the
                // changes since (`PriorVersion`).
                " ON CONFLICT (doc_id) DO UPDATE SET seq = excluded.seq, scope = excluded.scope,
                   heads = excluded.heads, source = excluded.source,
                   updated_ms = excluded.updated_ms, bytes = excluded.bytes,
                   prior_seq = hub_docs.seq, prior_heads = hub_docs.heads,
                   prior_scope = NULLIF(hub_docs.scope, excluded.scope)",
            );
            q.execute(&mut *tx).await?;
        }
        if let Some((peer, c)) = cursor {
            sqlx::query(
                "INSERT INTO hub_links (peer, peer_epoch, received_upto, last_sync_ms, peer_mark)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (peer) DO UPDATE SET peer_epoch = excluded.peer_epoch,
                   received_upto = excluded.received_upto, last_sync_ms = excluded.last_sync_ms,
                   peer_mark = excluded.peer_mark",
            )
            .bind(peer.as_str())
            .bind(&c.epoch)
            .bind(c.upto as i64)
            .bind(now_ms)
            .bind(c.mark.clone())
            .execute(&mut *tx)
            .await?;
        }
        unsaved_acks::write(&mut *tx, acks).await?;
        if let Some(work) = work {
            work(tx).await?;
        }
        Ok(head)
    }
}

fn opt_unit(s: Option<String>) -> Option<UnitCode> {
    s.and_then(|s| s.parse().ok())
}

#[async_trait]
impl Store for SqlStore {
    fn epoch(&self) -> String {
        self.epoch.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    async fn begin_recovery(&self, reason: &str, now_ms: i64) -> Result<String, StoreError> {
        let mark = mark_recovering(&self.db, reason, now_ms, false).await?;
        *self.epoch.lock().unwrap_or_else(|p| p.into_inner()) = mark.epoch.clone();
        Ok(mark.epoch)
    }

    async fn epochs(&self) -> Result<Vec<String>, StoreError> {
        let v: Option<String> = sqlx::query_scalar("SELECT value FROM hub_meta WHERE key = $1")
            .bind(EPOCHS_KEY)
            .fetch_optional(self.db.pool())
            .await?;
        let mut epochs: Vec<String> = v
            .unwrap_or_default()
            .split(',')
            .filter(|e| !e.is_empty())
            .map(str::to_owned)
            .collect();
        let current = self.epoch();
        if !epochs.contains(&current) {
            epochs.push(current);
        }
        Ok(epochs)
    }

    async fn recovery(&self) -> Result<Option<RecoveryMark>, StoreError> {
        let v: Option<String> = sqlx::query_scalar("SELECT value FROM hub_meta WHERE key = $1")
            .bind(RECOVERY_KEY)
            .fetch_optional(self.db.pool())
            .await?;
        Ok(v.as_deref().and_then(RecoveryMark::decode))
    }

    async fn end_recovery(&self) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM hub_meta WHERE key = $1")
            .bind(RECOVERY_KEY)
            .execute(self.db.writes())
            .await?;
        Ok(())
    }

    fn head(&self) -> u64 {
        self.head.load(Ordering::SeqCst)
    }

    async fn get(&self, doc_ids: &[String]) -> Result<Vec<StoredDoc>, StoreError> {
        let mut out = Vec::with_capacity(doc_ids.len());
        for chunk in doc_ids.chunks(500) {
            let mut q = Sql::new(
                "SELECT doc_id, seq, heads, first_seen_ms, bytes FROM hub_docs WHERE doc_id IN (",
            );
            q.bind_list(chunk.iter().map(String::as_str)).push(")");
            for row in q.fetch_all(self.db.pool()).await? {
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
        let mut tx = self.db.begin_write().await?;
        // Peers' acknowledgements waiting for a commit go with this one.
        let acks = self.acks.take();
        let committed = match self
            .write_in(&mut tx, &writes, cursor, &acks, now_ms, work)
            .await
        {
            Ok(head) => tx.commit().await.map(|()| head).map_err(StoreError::from),
            Err(e) => {
                // Now, not when the connection is next used: nothing stays locked.
                let _ = tx.rollback().await;
                Err(e)
            }
        };
        let head = committed.inspect_err(|_| self.acks.restore(acks))?;
        // Recorded before the head moves: a caller that sees the new head finds
        // its documents here.
        let first = head + 1 - writes.len() as u64;
        self.recent
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .record(first, writes.iter().map(|w| w.doc_id.as_str()));
        self.head.store(head, Ordering::SeqCst);
        Ok(head)
    }

    async fn scan(&self, after: u64, limit: usize) -> Result<Vec<FeedRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT doc_id, seq, scope, source, prior_seq, prior_heads, prior_scope FROM hub_docs
             WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(after as i64)
        .bind(limit as i64)
        .fetch_all(self.db.pool())
        .await?;
        rows.into_iter()
            .map(|row| {
                let doc_id: String = row.try_get(0)?;
                let scope: String = row.try_get(2)?;
                let prior = match (
                    row.try_get::<Option<i64>, _>(4)?,
                    row.try_get::<Option<String>, _>(5)?,
                ) {
                    (Some(seq), Some(heads)) => Some(PriorVersion {
                        seq: seq as u64,
                        heads,
                        scope: match row.try_get::<Option<String>, _>(6)? {
                            Some(text) => Some(scope_from_text(&doc_id, &text)?),
                            None => None,
                        },
                    }),
                    _ => None,
                };
                Ok(FeedRow {
                    scope: scope_from_text(&doc_id, &scope)?,
                    seq: row.try_get::<i64, _>(1)? as u64,
                    source: opt_unit(row.try_get(3)?),
                    prior,
                    doc_id,
                })
            })
            .collect()
    }

    async fn link(&self, peer: &UnitCode) -> Result<Option<LinkRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT peer_epoch, received_upto, acked_upto, last_sync_ms, peer_mark FROM hub_links
             WHERE peer = $1",
        )
        .bind(peer.as_str())
        .fetch_optional(self.db.pool())
        .await?;
        row.map(|row| {
            Ok(LinkRecord {
                inbound: InboundCursor {
                    epoch: row.try_get(0)?,
                    upto: row.try_get::<i64, _>(1)? as u64,
                    mark: row.try_get::<Option<Vec<u8>>, _>(4)?.unwrap_or_default(),
                },
                acked_upto: row.try_get::<i64, _>(2)? as u64,
                last_sync_ms: row.try_get(3)?,
            })
        })
        .transpose()
    }

    async fn save_acked(&self, peer: &UnitCode, upto: u64, now_ms: i64) -> Result<(), StoreError> {
        self.acks.note(
            peer,
            Ack {
                upto,
                at_ms: now_ms,
            },
        );
        // While documents arrive, a commit comes within this wait and takes the
        // acknowledgement along; only a quiet node writes it on its own.
        tokio::time::sleep(ACK_WAIT).await;
        if !self.acks.waiting(peer) {
            return Ok(());
        }
        let mut conn = self.db.writes().acquire().await?;
        let waiting = self.acks.take();
        if waiting.is_empty() {
            return Ok(());
        }
        if let Err(e) = unsaved_acks::write(&mut conn, &waiting).await {
            self.acks.restore(waiting);
            return Err(e.into());
        }
        Ok(())
    }

    async fn count_docs(&self) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM hub_docs")
            .fetch_one(self.db.pool())
            .await?;
        Ok(n as u64)
    }

    async fn count_after(&self, after: u64) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM hub_docs WHERE seq > $1")
            .bind(after as i64)
            .fetch_one(self.db.pool())
            .await?;
        Ok(n as u64)
    }

    async fn held(&self, doc_ids: &[String]) -> Result<Vec<(String, i64)>, StoreError> {
        let mut out = Vec::new();
        for chunk in doc_ids.chunks(500) {
            let mut q = Sql::new("SELECT doc_id, first_seen_ms FROM hub_docs WHERE doc_id IN (");
            q.bind_list(chunk.iter().map(String::as_str)).push(")");
            for row in q.fetch_all(self.db.pool()).await? {
                out.push((row.try_get(0)?, row.try_get(1)?));
            }
        }
        Ok(out)
    }

    async fn written_since(&self, after: u64, doc_ids: &[String]) -> Result<bool, StoreError> {
        let recent = self
            .recent
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .written_since(after, doc_ids);
        if let Some(answer) = recent {
            return Ok(answer);
        }
        for chunk in doc_ids.chunks(500) {
            let mut q = Sql::new("SELECT 1 FROM hub_docs WHERE seq > ");
            q.bind(after as i64).push(" AND doc_id IN (");
            q.bind_list(chunk.iter().map(String::as_str))
                .push(") LIMIT 1");
            if !q.fetch_all(self.db.pool()).await?.is_empty() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    async fn ids_with_prefix(&self, prefix: &str, limit: usize) -> Result<Vec<String>, StoreError> {
        // A range on the primary key (no LIKE: its wildcards vary), compared
        // byte by byte whatever the database's collation.
        let upper = format!("{prefix}\u{10FFFF}");
        let sql = match self.db.engine() {
            crate::db::Engine::Sqlite => {
                "SELECT doc_id FROM hub_docs WHERE doc_id >= $1 AND doc_id < $2
                 ORDER BY doc_id LIMIT $3"
            }
            crate::db::Engine::Postgres => {
                "SELECT doc_id FROM hub_docs WHERE doc_id COLLATE \"C\" >= $1
                 AND doc_id COLLATE \"C\" < $2 ORDER BY doc_id COLLATE \"C\" LIMIT $3"
            }
        };
        let ids: Vec<String> = sqlx::query_scalar(sql)
            .bind(prefix)
            .bind(upper)
            .bind(limit as i64)
            .fetch_all(self.db.pool())
            .await?;
        Ok(ids)
    }
}
