//! Query tables derived from the documents (the documents are the truth).
//!
//! The projector follows the hub's change feed from its own persisted cursor, so it
//! resumes after a restart and can be rebuilt from scratch by resetting the cursor.
//! Reads that must see the latest writes call `catch_up` first.

use std::collections::HashMap;

use automerge::AutoCommit;
use sqlx::{QueryBuilder, Sqlite, SqlitePool, Transaction};
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

    /// Writes rows in multi-row statements (one round trip per 100 rows).
    async fn upsert_many(
        tx: &mut Transaction<'_, Sqlite>,
        rows: &[(u64, &CaseView)],
    ) -> Result<(), NodeError> {
        for chunk in rows.chunks(100) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO node_cases (case_no, unit, petitioner, content, registered_at, notes, seq) ",
            );
            q.push_values(chunk, |mut b, (seq, v)| {
                b.push_bind(&v.case_no)
                    .push_bind(&v.unit)
                    .push_bind(&v.petitioner)
                    .push_bind(&v.content)
                    .push_bind(&v.registered_at)
                    .push_bind(v.notes.len() as i64)
                    .push_bind(*seq as i64);
            });
            q.push(
                " ON CONFLICT (case_no) DO UPDATE SET unit = excluded.unit,
                  petitioner = excluded.petitioner, content = excluded.content,
                  registered_at = excluded.registered_at, notes = excluded.notes, seq = excluded.seq",
            );
            q.build().execute(&mut **tx).await?;
        }
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
        let rows: Vec<(u64, &CaseView)> = c.cases.iter().map(|(s, v)| (*s, v)).collect();
        Self::upsert_many(&mut tx, &rows).await?;
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

    /// Drops every projected row and projects again from the documents.
    pub async fn rebuild(&self) -> Result<u64, NodeError> {
        {
            let _guard = self.lock.lock().await;
            let mut tx = self.pool.begin().await?;
            sqlx::query("DELETE FROM node_cases")
                .execute(&mut *tx)
                .await?;
            Self::set_cursor(&mut tx, 0).await?;
            tx.commit().await?;
        }
        self.catch_up().await
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use xinfang_hub::store::Store;
    use xinfang_hub::store::sqlite::{Durability, SqliteStore};
    use xinfang_hub::{Create, HubConfig, Tier, Topology, Unit};

    use super::*;
    use crate::case::Registration;

    async fn rows(pool: &SqlitePool) -> Vec<(String, String, i64, i64)> {
        sqlx::query_as("SELECT case_no, petitioner, notes, seq FROM node_cases ORDER BY case_no")
            .fetch_all(pool)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn observed_commits_and_a_rebuild_from_documents_agree() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("t.db"), Durability::Normal)
            .await
            .unwrap();
        let pool = store.pool().clone();
        let mut m = sqlx::migrate!("./migrations/sqlite");
        m.set_ignore_missing(true);
        m.run(&pool).await.unwrap();
        let unit: xinfang_hub::UnitCode = "441521".parse().unwrap();
        let topo = Topology::from_units(vec![Unit {
            code: unit.clone(),
            name: "海丰县".into(),
            tier: Tier::County,
            parent: None,
            listen: "127.0.0.1:1".into(),
            rules: None,
        }])
        .unwrap();
        let store: Arc<dyn Store> = Arc::new(store);
        let hub = Hub::new(unit.clone(), Arc::new(topo), store, HubConfig::default()).unwrap();
        let projector = Projector::new(hub.clone(), pool.clone());
        let (stop_tx, stop_rx) = watch::channel(false);
        let p = projector.clone();
        let task = tokio::spawn(async move { p.run(stop_rx).await });
        for i in 0..20u64 {
            let no = case::case_number(&unit, 2026, i + 1);
            let reg = Registration::validate(&unit, "441521", &format!("人{i}"), "诉求").unwrap();
            hub.update(&no, Create::New, |d| {
                case::write_registration(d, &no, &reg, "2026-01-01T00:00:00.000Z")
            })
            .await
            .unwrap();
            if i % 3 == 0 {
                hub.update(&no, Create::Existing, |d| {
                    let note = case::progress(&unit, "进展", chrono::Utc::now())?;
                    case::add_record(d, &no, &note)
                })
                .await
                .unwrap();
            }
        }
        // Wait (bounded) until the observer path has projected everything.
        let head = hub.head();
        for _ in 0..500 {
            if projector.cursor().await.unwrap() == head {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert_eq!(projector.cursor().await.unwrap(), head);
        let observed = rows(&pool).await;
        assert_eq!(observed.len(), 20);
        assert_eq!(observed.iter().filter(|r| r.2 == 1).count(), 7);
        assert_eq!(projector.rebuild().await.unwrap(), head);
        assert_eq!(rows(&pool).await, observed);
        stop_tx.send(true).unwrap();
        task.await.unwrap();
    }
}
