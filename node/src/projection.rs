//! Query tables derived from the documents (the documents are the truth).
//!
//! The projector follows the hub's change feed from its own persisted cursor, so it
//! resumes after a restart and can be rebuilt from scratch by resetting the cursor.
//! Reads that must see the latest writes call `catch_up` first.

use std::collections::HashMap;

use automerge::AutoCommit;
use sqlx::{Sqlite, SqlitePool, Transaction};
use tokio::sync::{Mutex, mpsc, watch};
use xinfang_hub::doc::{self};
use xinfang_hub::{CommitObserver, Hub};

use crate::case::{self, CaseView};
use crate::error::NodeError;

const CURSOR_KEY: &str = "projected_upto";
const CHUNK: usize = 500;

/// The rows one commit produced, covering feed positions `(after, upto]`.
pub struct Committed {
    after: u64,
    upto: u64,
    cases: Vec<(u64, CaseView)>,
}

/// Turns each commit's decoded documents into rows and hands them to the
/// projector. If the projector falls behind, commits are dropped here and the
/// projector notices the gap and reads the feed instead: nothing is lost.
pub struct Observer {
    tx: mpsc::Sender<Committed>,
}

impl CommitObserver for Observer {
    fn committed(&self, after: u64, docs: &mut [(String, AutoCommit)]) {
        let mut cases = Vec::new();
        for (i, (id, d)) in docs.iter_mut().enumerate() {
            if case::is_case(d)
                && let Ok(v) = case::read(d, id)
            {
                cases.push((after + 1 + i as u64, v));
            }
        }
        let _ = self.tx.try_send(Committed {
            after,
            upto: after + docs.len() as u64,
            cases,
        });
    }
}

pub struct Projector {
    hub: Hub,
    pool: SqlitePool,
    lock: Mutex<()>,
    rx: Mutex<Option<mpsc::Receiver<Committed>>>,
}

impl Projector {
    /// A projector for `hub`, registered as its commit observer.
    pub fn new(hub: Hub, pool: SqlitePool) -> std::sync::Arc<Self> {
        let (tx, rx) = mpsc::channel(256);
        hub.set_observer(std::sync::Arc::new(Observer { tx }));
        std::sync::Arc::new(Projector {
            hub,
            pool,
            lock: Mutex::new(()),
            rx: Mutex::new(Some(rx)),
        })
    }

    async fn upsert(
        tx: &mut Transaction<'_, Sqlite>,
        seq: u64,
        v: &CaseView,
    ) -> Result<(), NodeError> {
        sqlx::query(
            "INSERT INTO node_cases (case_no, unit, petitioner, content, registered_at, notes, seq)
             VALUES (?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (case_no) DO UPDATE SET unit = excluded.unit,
               petitioner = excluded.petitioner, content = excluded.content,
               registered_at = excluded.registered_at, notes = excluded.notes, seq = excluded.seq",
        )
        .bind(&v.case_no)
        .bind(&v.unit)
        .bind(&v.petitioner)
        .bind(&v.content)
        .bind(&v.registered_at)
        .bind(v.notes.len() as i64)
        .bind(seq as i64)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    async fn set_cursor(tx: &mut Transaction<'_, Sqlite>, pos: u64) -> Result<(), NodeError> {
        sqlx::query(
            "INSERT INTO node_meta (key, value) VALUES (?, ?)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(CURSOR_KEY)
        .bind(pos.to_string())
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Applies one observed commit if it continues where we are; otherwise reads
    /// the feed.
    async fn apply_committed(&self, c: Committed) -> Result<(), NodeError> {
        let guard = self.lock.lock().await;
        let pos = self.cursor().await?;
        if c.upto <= pos {
            return Ok(());
        }
        if c.after != pos {
            drop(guard);
            self.catch_up().await?;
            return Ok(());
        }
        let mut tx = self.pool.begin().await?;
        for (seq, v) in &c.cases {
            Self::upsert(&mut tx, *seq, v).await?;
        }
        Self::set_cursor(&mut tx, c.upto).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn cursor(&self) -> Result<u64, NodeError> {
        let v: Option<String> = sqlx::query_scalar("SELECT value FROM node_meta WHERE key = ?")
            .bind(CURSOR_KEY)
            .fetch_optional(&self.pool)
            .await?;
        Ok(v.and_then(|v| v.parse().ok()).unwrap_or(0))
    }

    /// Projects every feed entry not yet projected. Returns the position reached.
    pub async fn catch_up(&self) -> Result<u64, NodeError> {
        let _guard = self.lock.lock().await;
        let mut pos = self.cursor().await?;
        loop {
            let rows = self
                .hub
                .store()
                .scan(pos, CHUNK)
                .await
                .map_err(|e| NodeError::Storage(e.to_string()))?;
            let Some(last) = rows.last().map(|r| r.seq) else {
                return Ok(pos);
            };
            let ids: Vec<String> = rows.iter().map(|r| r.doc_id.clone()).collect();
            let seqs: HashMap<String, u64> =
                rows.iter().map(|r| (r.doc_id.clone(), r.seq)).collect();
            let docs = self
                .hub
                .store()
                .get(&ids)
                .await
                .map_err(|e| NodeError::Storage(e.to_string()))?;
            let mut tx = self.pool.begin().await?;
            for stored in docs {
                let mut loaded =
                    doc::decode(&stored.doc_id, &stored.bytes, &self.hub.config().limits)
                        .map_err(|e| NodeError::Internal(e.to_string()))?;
                if !case::is_case(&loaded.doc) {
                    continue;
                }
                let v = case::read(&mut loaded.doc, &stored.doc_id)?;
                sqlx::query(
                    "INSERT INTO node_cases (case_no, unit, petitioner, content, registered_at, notes, seq)
                     VALUES (?, ?, ?, ?, ?, ?, ?)
                     ON CONFLICT (case_no) DO UPDATE SET unit = excluded.unit,
                       petitioner = excluded.petitioner, content = excluded.content,
                       registered_at = excluded.registered_at, notes = excluded.notes, seq = excluded.seq",
                )
                .bind(&stored.doc_id)
                .bind(&v.unit)
                .bind(&v.petitioner)
                .bind(&v.content)
                .bind(&v.registered_at)
                .bind(v.notes.len() as i64)
                .bind(seqs.get(&stored.doc_id).copied().unwrap_or(stored.seq) as i64)
                .execute(&mut *tx)
                .await?;
            }
            sqlx::query(
                "INSERT INTO node_meta (key, value) VALUES (?, ?)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )
            .bind(CURSOR_KEY)
            .bind(last.to_string())
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            pos = last;
        }
    }

    /// Keeps the projections current until `shutdown`: first from the feed (what
    /// happened while we were down), then from the observed commits.
    pub async fn run(&self, mut shutdown: watch::Receiver<bool>) {
        let Some(mut rx) = self.rx.lock().await.take() else {
            return;
        };
        if let Err(e) = self.catch_up().await {
            tracing::error!(error = %e, "projection catch-up failed");
        }
        loop {
            tokio::select! {
                c = rx.recv() => match c {
                    Some(c) => {
                        if let Err(e) = self.apply_committed(c).await {
                            tracing::error!(error = %e, "projection failed; reading the feed instead");
                            let _ = self.catch_up().await;
                        }
                    }
                    None => return,
                },
                _ = shutdown.changed() => return,
            }
        }
    }
}

/// One row of the case list.
#[derive(Debug, Clone)]
pub struct CaseRow {
    pub case_no: String,
    pub unit: String,
    pub petitioner: String,
    pub content: String,
    pub registered_at: String,
    pub notes: i64,
}

pub async fn list_cases(pool: &SqlitePool, limit: u32) -> Result<Vec<CaseRow>, NodeError> {
    let rows: Vec<(String, String, String, String, String, i64)> = sqlx::query_as(
        "SELECT case_no, unit, petitioner, content, registered_at, notes FROM node_cases
         ORDER BY registered_at DESC, case_no DESC LIMIT ?",
    )
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(case_no, unit, petitioner, content, registered_at, notes)| CaseRow {
                case_no,
                unit,
                petitioner,
                content,
                registered_at,
                notes,
            },
        )
        .collect())
}
