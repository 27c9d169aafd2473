//! Query tables derived from the documents (the documents are the truth).
//!
//! The projector follows the hub's change feed from its own persisted cursor, so it
//! resumes after a restart and can be rebuilt from scratch by resetting the cursor.
//! Reads that must see the latest writes call `catch_up` first.

use std::collections::{HashMap, HashSet};

use automerge::AutoCommit;
use sqlx::AnyConnection;
use tokio::sync::{Mutex, mpsc, watch};
use xinfang_hub::db::{Db, Sql};
use xinfang_hub::doc::{self};
use xinfang_hub::store::TxWork;
use xinfang_hub::{CommitObserver, Hub, StagedWork, parallel};

use std::sync::Arc;

use xinfang_hub::{Topology, UnitCode};

use crate::error::NodeError;
use crate::report::rollup::Anchors;
use crate::report::rollup_store::{self, Incoming, Presummed};
use crate::rules::CaseRules;

const CURSOR_KEY: &str = "projected_upto";
/// What the rollups were derived under (this node's unit and the tree): the
/// rollups count a case at the units above it, so a changed tree means deriving
/// them again.
const SHAPE_KEY: &str = "projected_shape";
const CHUNK: usize = 500;

mod queries;
mod row;

pub use queries::*;
pub use row::{EXCERPT_CHARS, Projected, excerpt, project};

/// The rows one commit produced, covering feed positions `(after, upto]`.
pub struct Committed {
    after: u64,
    upto: u64,
    cases: Vec<(u64, Projected)>,
}

/// Turns each commit's decoded documents into rows and hands them to the
/// projector. If the projector falls behind, commits are dropped here and the
/// projector notices the gap and reads the feed instead: nothing is lost.
pub struct Observer {
    tx: mpsc::Sender<Committed>,
    topology: Arc<Topology>,
    me: UnitCode,
    rules: Arc<CaseRules>,
}

impl Observer {
    /// Each document's row, if it is a case, in `docs`' order: derived on every
    /// core (each row is its own).
    fn derive(&self, docs: &mut [(String, AutoCommit)]) -> Vec<Option<Projected>> {
        let items: Vec<&mut (String, AutoCommit)> = docs.iter_mut().collect();
        let derived = parallel::map_ordered(items, |(id, d)| {
            Ok::<_, std::convert::Infallible>(project(d, id, &self.topology, &self.rules))
        });
        match derived {
            Ok(rows) => rows,
            Err(never) => match never {},
        }
    }
}

/// The rows of documents at feed positions `after + 1 ..`, in order.
fn positioned(after: u64, derived: Vec<Option<Projected>>) -> Vec<(u64, Projected)> {
    derived
        .into_iter()
        .zip(after + 1..)
        .filter_map(|(p, seq)| p.map(|p| (seq, p)))
        .collect()
}

/// One commit's rows, their rollup entries, and what the rollups are derived under.
struct CommitRows {
    after: u64,
    upto: u64,
    rows: Vec<(u64, Projected)>,
    presummed: Presummed,
    topology: Arc<Topology>,
    me: UnitCode,
    calendar: String,
}

impl CommitRows {
    /// Writes the rows in the commit's transaction if the tables are up to date
    /// with the feed up to this commit and derived under the same tree.
    async fn write(self, conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
        let meta: Vec<(String, String)> =
            sqlx::query_as("SELECT key, value FROM node_meta WHERE key IN ($1, $2)")
                .bind(CURSOR_KEY)
                .bind(SHAPE_KEY)
                .fetch_all(&mut *conn)
                .await?;
        let get = |k: &str| {
            meta.iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        let cursor = get(CURSOR_KEY)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0);
        let want = shape(&self.topology, &self.me, &self.calendar);
        match get(SHAPE_KEY) {
            _ if cursor != self.after => return Ok(()),
            Some(have) if have == want => {}
            // A new node's first commit: the tables start here.
            None if self.after == 0 => set_meta(conn, SHAPE_KEY, &want).await?,
            _ => return Ok(()),
        }
        let refs: Vec<(u64, &Projected)> = self.rows.iter().map(|(s, p)| (*s, p)).collect();
        let to_sqlx = |e: NodeError| sqlx::Error::Protocol(e.to_string());
        let anchors = Anchors::new(&self.topology, &self.me);
        Projector::upsert_many(conn, &refs, &anchors, Some(self.presummed))
            .await
            .map_err(to_sqlx)?;
        Projector::set_cursor(conn, self.upto)
            .await
            .map_err(to_sqlx)?;
        Ok(())
    }
}

impl CommitObserver for Observer {
    /// The query rows are written in the transaction that commits the documents,
    /// when the tables are up to date with the feed; otherwise nothing is written
    /// there and the projector catches up from the feed (the cursor says so). The
    /// rows and their rollup entries are derived here, before the positions are
    /// known (and before the write lock).
    fn stage(&self, docs: &mut [(String, AutoCommit)]) -> Option<StagedWork> {
        let derived = self.derive(docs);
        let presummed = Presummed::new(
            derived.iter().flatten().filter_map(|p| p.facts.as_ref()),
            &Anchors::new(&self.topology, &self.me),
        );
        let count = docs.len() as u64;
        let (topology, me) = (self.topology.clone(), self.me.clone());
        let calendar = self.rules.calendar.fingerprint();
        Some(Box::new(move |after: u64| -> TxWork {
            let commit = CommitRows {
                after,
                upto: after + count,
                rows: positioned(after, derived),
                presummed,
                topology,
                me,
                calendar,
            };
            Box::new(move |conn: &mut AnyConnection| Box::pin(commit.write(conn)))
        }))
    }

    fn committed(&self, after: u64, docs: &mut [(String, AutoCommit)]) {
        let _ = self.tx.try_send(Committed {
            after,
            upto: after + docs.len() as u64,
            cases: positioned(after, self.derive(docs)),
        });
    }
}

pub struct Projector {
    hub: Hub,
    db: Db,
    rules: Arc<CaseRules>,
    lock: Mutex<()>,
    rx: Mutex<Option<mpsc::Receiver<Committed>>>,
}

impl Projector {
    /// A projector for `hub`, registered as its commit observer.
    pub fn new(hub: Hub, db: Db, rules: Arc<CaseRules>) -> Arc<Self> {
        let (tx, rx) = mpsc::channel(256);
        hub.set_observer(Arc::new(Observer {
            tx,
            topology: hub.topology().clone(),
            me: hub.me().clone(),
            rules: rules.clone(),
        }));
        Arc::new(Projector {
            hub,
            db,
            rules,
            lock: Mutex::new(()),
            rx: Mutex::new(Some(rx)),
        })
    }

    /// Writes rows in multi-row statements (one round trip per 50 rows), and
    /// their rollups (`presummed`: their entries worked out beforehand).
    async fn upsert_many(
        tx: &mut AnyConnection,
        rows: &[(u64, &Projected)],
        anchors: &Anchors<'_>,
        presummed: Option<Presummed>,
    ) -> Result<(), NodeError> {
        let (standing, held) = Self::standing(tx, rows).await?;
        let rows: &[(u64, &Projected)] = &standing;
        for chunk in rows.chunks(50) {
            let mut q = Sql::new(
                "INSERT INTO node_cases (case_no, unit, petitioner, excerpt, registered_at, notes, seq,
                   id_hash, category, subcategory, status, handling_unit, next_due, repeat_of, skip_level_of,
                   owner, owner_unit, owned_at, doc_id, major_since, major_urgent, major_reason,
                   major_due, higher_visits, higher_visit_last, receptions, head_count,
                   supervision_due, supervised_by, phone_hash, library, same_petitioner) ",
            );
            q.values(chunk, |r, (seq, p)| {
                let v = &p.view;
                r.bind(v.case_no.as_str())
                    .bind(v.unit.as_str())
                    .bind(v.petitioner.as_str())
                    .bind(p.excerpt.as_str())
                    .bind(v.registered_at.as_str())
                    .bind(v.notes.len() as i64)
                    .bind(*seq as i64)
                    .bind(v.details.id_hash.as_deref())
                    .bind(v.details.category.as_deref())
                    .bind(v.details.subcategory.as_deref())
                    .bind(p.status.as_str())
                    .bind(p.handling_unit.as_str())
                    .bind(p.next_due.as_deref())
                    .bind(v.details.repeat_of.as_deref())
                    .bind(p.skip_level_of.as_deref())
                    .bind(p.owner.as_ref().map(|o| o.0.as_str()))
                    .bind(p.owner.as_ref().map(|o| o.1.as_str()))
                    .bind(p.owner.as_ref().map(|o| o.2.as_str()))
                    .bind(v.doc_id.as_str())
                    .bind(p.major.as_ref().map(|m| m.0.since.to_string()))
                    .bind(i64::from(p.major.as_ref().is_some_and(|m| m.0.urgent)))
                    .bind(p.major.as_ref().map(|m| m.0.reason.as_str()))
                    .bind(p.major.as_ref().and_then(|m| m.1).map(|d| d.to_string()))
                    .bind(p.higher_visits.0)
                    .bind(p.higher_visits.1.map(|d| d.to_string()))
                    .bind(p.receptions.as_deref())
                    .bind(i64::from(v.details.head_count))
                    .bind(p.supervision.as_ref().map(|s| s.1.to_string()))
                    .bind(p.supervision.as_ref().map(|s| s.0.as_str()))
                    .bind(v.details.phone_hash.as_deref())
                    .bind(p.library.as_deref())
                    .bind(p.same_petitioner.as_deref());
            });
            q.push(
                " ON CONFLICT (case_no) DO UPDATE SET unit = excluded.unit,
                  petitioner = excluded.petitioner, excerpt = excluded.excerpt,
                  registered_at = excluded.registered_at, notes = excluded.notes, seq = excluded.seq,
                  id_hash = excluded.id_hash, category = excluded.category,
                  subcategory = excluded.subcategory, status = excluded.status,
                  handling_unit = excluded.handling_unit, next_due = excluded.next_due,
                  repeat_of = excluded.repeat_of, skip_level_of = excluded.skip_level_of,
                  owner = excluded.owner, owner_unit = excluded.owner_unit, owned_at = excluded.owned_at,
                  doc_id = excluded.doc_id, major_since = excluded.major_since,
                  major_urgent = excluded.major_urgent, major_reason = excluded.major_reason,
                  major_due = excluded.major_due, higher_visits = excluded.higher_visits,
                  higher_visit_last = excluded.higher_visit_last, receptions = excluded.receptions,
                  head_count = excluded.head_count, supervision_due = excluded.supervision_due,
                  supervised_by = excluded.supervised_by, phone_hash = excluded.phone_hash,
                  library = excluded.library, same_petitioner = excluded.same_petitioner",
            );
            q.execute(&mut *tx).await?;
        }
        let batch: Vec<Incoming<'_>> = rows
            .iter()
            .filter_map(|(_, p)| {
                p.facts.as_ref().map(|facts| Incoming {
                    facts,
                    repeat_of: p.view.details.repeat_of.as_deref(),
                })
            })
            .collect();
        rollup_store::write(tx, &batch, &held, presummed, anchors).await?;
        Ok(())
    }

    /// The rows that stand under their case number: a number held by another
    /// registration stays with the earlier one (registration time, then document
    /// id); the later is listed in `node_case_collisions`, its document kept.
    /// Also the numbers of `rows` that were held before them.
    async fn standing<'a>(
        tx: &mut AnyConnection,
        rows: &[(u64, &'a Projected)],
    ) -> Result<(Vec<(u64, &'a Projected)>, HashSet<String>), NodeError> {
        if rows.is_empty() {
            return Ok((Vec::new(), HashSet::new()));
        }
        // Who holds each number now: (document id, registered at).
        let mut holders: HashMap<String, (String, String)> = HashMap::new();
        for chunk in rows.chunks(CHUNK) {
            let mut q = Sql::new(
                "SELECT case_no, doc_id, registered_at FROM node_cases WHERE case_no IN (",
            );
            q.bind_list(chunk.iter().map(|(_, p)| p.view.case_no.as_str()));
            q.push(")");
            let found: Vec<(String, Option<String>, String)> = q.fetch_all_as(&mut *tx).await?;
            for (no, doc, at) in found {
                let doc = doc.unwrap_or_else(|| no.clone());
                holders.insert(no, (doc, at));
            }
        }
        let held: HashSet<String> = holders.keys().cloned().collect();
        let now = xinfang_hub::engine::wall_clock_ms();
        let mut out = Vec::with_capacity(rows.len());
        let mut displaced: Vec<(String, String, String)> = Vec::new();
        let mut settled: Vec<String> = Vec::new();
        for &(seq, p) in rows {
            let v = &p.view;
            let mine = (v.doc_id.clone(), v.registered_at.clone());
            match holders.get(&v.case_no) {
                Some(h) if h.0 != mine.0 => {
                    if (&mine.1, &mine.0) < (&h.1, &h.0) {
                        displaced.push((h.0.clone(), v.case_no.clone(), h.1.clone()));
                    } else {
                        displaced.push((mine.0, v.case_no.clone(), mine.1));
                        continue;
                    }
                }
                _ => {}
            }
            holders.insert(v.case_no.clone(), mine.clone());
            settled.push(mine.0);
            out.push((seq, p));
        }
        for (doc_id, no, at) in &displaced {
            tracing::error!(case_no = %no, doc_id = %doc_id, "two registrations carry one case number; both kept, the earlier holds the number");
            sqlx::query(
                "INSERT INTO node_case_collisions (doc_id, case_no, registered_at, seen_ms)
                 VALUES ($1, $2, $3, $4) ON CONFLICT (doc_id) DO NOTHING",
            )
            .bind(doc_id)
            .bind(no)
            .bind(at)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        if !displaced.is_empty() {
            for doc_id in &settled {
                sqlx::query("DELETE FROM node_case_collisions WHERE doc_id = $1")
                    .bind(doc_id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        Ok((out, held))
    }

    async fn set_cursor(tx: &mut AnyConnection, pos: u64) -> Result<(), NodeError> {
        Ok(set_meta(tx, CURSOR_KEY, &pos.to_string()).await?)
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
        let mut tx = self.db.begin_write().await?;
        let rows: Vec<(u64, &Projected)> = c.cases.iter().map(|(s, v)| (*s, v)).collect();
        Self::upsert_many(&mut tx, &rows, &self.anchors(), None).await?;
        Self::set_cursor(&mut tx, c.upto).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn cursor(&self) -> Result<u64, NodeError> {
        let v: Option<String> = sqlx::query_scalar("SELECT value FROM node_meta WHERE key = $1")
            .bind(CURSOR_KEY)
            .fetch_optional(self.db.pool())
            .await?;
        Ok(v.and_then(|v| v.parse().ok()).unwrap_or(0))
    }

    /// Projects every feed entry not yet projected. Returns the position reached.
    pub async fn catch_up(&self) -> Result<u64, NodeError> {
        let _guard = self.lock.lock().await;
        self.check_shape().await?;
        let mut pos = self.cursor().await?;
        let storage = |e: xinfang_hub::store::StoreError| NodeError::Storage(e.to_string());
        loop {
            let rows = self.hub.store().scan(pos, CHUNK).await.map_err(storage)?;
            let Some(last) = rows.last().map(|r| r.seq) else {
                return Ok(pos);
            };
            let ids: Vec<String> = rows.iter().map(|r| r.doc_id.clone()).collect();
            let seqs: HashMap<String, u64> =
                rows.iter().map(|r| (r.doc_id.clone(), r.seq)).collect();
            let docs = self.hub.store().get(&ids).await.map_err(storage)?;
            let mut projected = Vec::with_capacity(docs.len());
            for stored in docs {
                let mut loaded =
                    doc::decode(&stored.doc_id, &stored.bytes, &self.hub.config().limits)
                        .map_err(|e| NodeError::Internal(e.to_string()))?;
                let topology = self.hub.topology();
                let Some(p) = project(&mut loaded.doc, &stored.doc_id, topology, &self.rules)
                else {
                    continue;
                };
                let seq = seqs.get(&stored.doc_id).copied().unwrap_or(stored.seq);
                projected.push((seq, p));
            }
            let mut tx = self.db.begin_write().await?;
            let rows: Vec<(u64, &Projected)> = projected.iter().map(|(s, p)| (*s, p)).collect();
            Self::upsert_many(&mut tx, &rows, &self.anchors(), None).await?;
            Self::set_cursor(&mut tx, last).await?;
            tx.commit().await?;
            pos = last;
        }
    }

    fn anchors(&self) -> Anchors<'_> {
        Anchors::new(self.hub.topology(), self.hub.me())
    }

    /// Empties every query table and sets the cursor to the start (in `tx`).
    async fn clear(tx: &mut AnyConnection) -> Result<(), NodeError> {
        sqlx::query("DELETE FROM node_cases")
            .execute(&mut *tx)
            .await?;
        rollup_store::clear(tx).await?;
        Self::set_cursor(tx, 0).await
    }

    /// Starts the query tables again when they were derived under another tree or
    /// unit (or by a version without the shape recorded). Caller holds the lock.
    async fn check_shape(&self) -> Result<(), NodeError> {
        let want = shape(
            self.hub.topology(),
            self.hub.me(),
            &self.rules.calendar.fingerprint(),
        );
        let have: Option<String> = sqlx::query_scalar("SELECT value FROM node_meta WHERE key = $1")
            .bind(SHAPE_KEY)
            .fetch_optional(self.db.pool())
            .await?;
        if have.as_deref() == Some(want.as_str()) {
            return Ok(());
        }
        if have.is_some() {
            tracing::warn!(
                "the tree of units or the holiday calendar changed: deriving the query tables again"
            );
        }
        let mut tx = self.db.begin_write().await?;
        Self::clear(&mut tx).await?;
        set_meta(&mut tx, SHAPE_KEY, &want).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Drops every projected row and projects again from the documents.
    pub async fn rebuild(&self) -> Result<u64, NodeError> {
        {
            let _guard = self.lock.lock().await;
            let mut tx = self.db.begin_write().await?;
            Self::clear(&mut tx).await?;
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

/// The report service asks the projector to bring the tables it reads up to date.
#[async_trait::async_trait]
impl crate::report::service::QueryTables for Projector {
    async fn catch_up(&self) -> Result<u64, NodeError> {
        Projector::catch_up(self).await
    }

    async fn rebuild(&self) -> Result<u64, NodeError> {
        Projector::rebuild(self).await
    }
}

async fn set_meta(conn: &mut AnyConnection, key: &str, value: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO node_meta (key, value) VALUES ($1, $2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .bind(key)
    .bind(value)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A digest of this node's unit and the tree of units (code and parent of each).
/// And of the holiday years published to it (`holidays`): deadlines count them.
fn shape(topology: &Topology, me: &UnitCode, calendar: &str) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(me.as_str());
    if !calendar.is_empty() {
        h.update(b"\ncalendar ");
        h.update(calendar);
    }
    let mut units: Vec<(String, String)> = topology
        .units()
        .map(|u| {
            let parent = u
                .parent
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default();
            (u.code.to_string(), parent)
        })
        .collect();
    units.sort();
    for (code, parent) in units {
        h.update(b"\n");
        h.update(code);
        h.update(b"<");
        h.update(parent);
    }
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests;
