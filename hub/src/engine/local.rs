//! Local writes: each document edited under its own lock, outside the write lock,
//! then committed together with whatever else is ready (group commit: one
//! transaction, one fsync, for all).

use std::sync::atomic::Ordering;

use automerge::AutoCommit;
use tokio::sync::oneshot;

use super::{Create, Hub, HubError, UpdateError};
use crate::doc::{self, DocError, Heads, Seed};
use crate::journal::Origin;
use crate::store::{DocWrite, OwnWork, StoreError, TxStep, TxWork};

/// Stripes of per-document locks (two documents may share one; that only
/// serialises them).
pub(super) const DOC_LOCKS: usize = 256;

/// A local write prepared outside the write lock, waiting to be committed with
/// whatever else is ready (group commit: one transaction, one fsync, for all).
struct Pending {
    write: DocWrite,
    doc: AutoCommit,
    /// Whether the document had to be new (`Create::New`).
    new: bool,
    /// The stored document's feed position when it was loaded (None: it was not).
    base_seq: Option<u64>,
    /// Our feed head when it was loaded.
    loaded_at: u64,
    step: Option<OwnWork>,
    done: oneshot::Sender<Result<u64, HubError>>,
}

/// A transaction of the journal's own (no document), queued like a write and
/// committed with whatever else is ready: a node's audit and view entries share
/// the fsync of the writes around them instead of each paying its own.
struct JournalWork {
    work: OwnWork,
    done: oneshot::Sender<Result<(), HubError>>,
}

/// What a local write starts from.
enum Start {
    /// A new document, with its first content.
    New(Seed),
    Existing,
}

#[derive(Default)]
pub(super) struct Group {
    pending: Vec<Pending>,
    journal: Vec<JournalWork>,
    /// A committer is draining `pending` and `journal`.
    draining: bool,
}

impl Hub {
    /// Changes one document locally, atomically: `f` edits it (and must keep a
    /// non-empty `_scope`); nothing is written if `f` fails or changes nothing.
    pub async fn update<T, E>(
        &self,
        doc_id: &str,
        create: Create,
        f: impl FnOnce(&mut AutoCommit) -> Result<T, E>,
    ) -> Result<T, UpdateError<E>> {
        self.update_with(doc_id, create, |d| f(d).map(|out| (out, None)))
            .await
    }

    /// As `update`; `f` may also return work of the caller's own to run in the
    /// transaction that commits the document (its local rows that must exist
    /// exactly when the document does); work given as a [`crate::store::Foldable`]
    /// is written together with the items of its kind from the rest of the group.
    ///
    /// Concurrent updates of different documents are committed together, in one
    /// transaction (group commit: one fsync for all of them); updates of one
    /// document run one after the other.
    pub async fn update_with<T, E>(
        &self,
        doc_id: &str,
        create: Create,
        f: impl FnOnce(&mut AutoCommit) -> Result<(T, Option<OwnWork>), E>,
    ) -> Result<T, UpdateError<E>> {
        let start = match create {
            Create::New => Start::New(Seed::default()),
            Create::Existing => Start::Existing,
        };
        self.write_local(doc_id, start, f).await
    }

    /// As `update_with` for a document that must not exist yet, which starts with
    /// `seed` written in one batch before `f` edits it (see [`Seed`]).
    pub async fn create_with<T, E>(
        &self,
        doc_id: &str,
        seed: Seed,
        f: impl FnOnce(&mut AutoCommit) -> Result<(T, Option<OwnWork>), E>,
    ) -> Result<T, UpdateError<E>> {
        self.write_local(doc_id, Start::New(seed), f).await
    }

    async fn write_local<T, E>(
        &self,
        doc_id: &str,
        start: Start,
        f: impl FnOnce(&mut AutoCommit) -> Result<(T, Option<OwnWork>), E>,
    ) -> Result<T, UpdateError<E>> {
        let new = matches!(start, Start::New(_));
        let limits = &self.0.cfg.limits;
        doc::check_id(doc_id, limits).map_err(HubError::from)?;
        let _doc_guard = self.doc_lock(doc_id).lock().await;
        let loaded_at = self.0.store.head();
        let existing = self.get(doc_id).await?;
        let base_seq = existing.as_ref().map(|h| h.seq);
        let (mut doc, before) = match (start, existing) {
            (Start::New(_), Some(_)) => return Err(HubError::Exists(doc_id.to_owned()).into()),
            (Start::Existing, None) => return Err(HubError::NotFound(doc_id.to_owned()).into()),
            (Start::New(seed), None) => (
                seed.into_doc(doc_id, self.0.actor.clone())
                    .map_err(HubError::from)?,
                Heads::default(),
            ),
            (Start::Existing, Some(held)) => {
                let mut d = held.loaded.doc;
                d.set_actor(self.0.actor.clone());
                (d, held.loaded.heads)
            }
        };
        let (out, step) = f(&mut doc).map_err(UpdateError::Rule)?;
        let scope = doc::read_scope(doc_id, &doc).map_err(HubError::from)?;
        let heads = Heads::of(&mut doc);
        if heads == before {
            return Ok(out);
        }
        let write = self.prepared(doc_id, &mut doc, scope, heads)?;
        let (done, rx) = oneshot::channel();
        self.enqueue(|g| {
            g.pending.push(Pending {
                write,
                doc,
                new,
                base_seq,
                loaded_at,
                step,
                done,
            })
        })
        .await;
        rx.await.map_err(|_| interrupted())??;
        Ok(out)
    }

    /// Runs `work` in a transaction writing no document (the journal's own
    /// entries), serialised with every commit and committed together with
    /// whatever else is ready. `work` may run twice: a group that fails is
    /// retried one by one, so each caller hears its own outcome.
    pub async fn journal_only(&self, work: OwnWork) -> Result<(), HubError> {
        let (done, rx) = oneshot::channel();
        self.enqueue(|g| g.journal.push(JournalWork { work, done }))
            .await;
        rx.await.map_err(|_| interrupted())?
    }

    fn doc_lock(&self, doc_id: &str) -> &tokio::sync::Mutex<()> {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        doc_id.hash(&mut h);
        &self.0.doc_locks[(h.finish() as usize) % DOC_LOCKS]
    }

    /// The write for a document edited here: saved bytes within the size limit.
    fn prepared(
        &self,
        doc_id: &str,
        doc: &mut AutoCommit,
        scope: doc::Scope,
        heads: Heads,
    ) -> Result<DocWrite, HubError> {
        let limit = self.0.cfg.limits.max_doc_bytes;
        let bytes = doc.save();
        if bytes.len() > limit {
            return Err(HubError::Doc(DocError::TooLarge {
                doc_id: doc_id.to_owned(),
                size: bytes.len(),
                limit,
            }));
        }
        Ok(DocWrite {
            doc_id: doc_id.to_owned(),
            scope,
            heads: heads.encode(),
            source: None,
            bytes,
        })
    }

    /// Queues a write (`put` adds it to the group) and starts the committer if
    /// none is draining the queue.
    async fn enqueue(&self, put: impl FnOnce(&mut Group)) {
        let committer = {
            let mut g = self.0.group.lock().unwrap_or_else(|e| e.into_inner());
            put(&mut g);
            !std::mem::replace(&mut g.draining, true)
        };
        if !committer {
            return;
        }
        let hub = self.clone();
        match tokio::runtime::Handle::try_current() {
            // Its own task: a caller that goes away (a client hanging up)
            // cannot abandon the writes of the others.
            Ok(rt) => {
                rt.spawn(async move { hub.drain().await });
            }
            // No runtime (the simulator's executor): commit in the caller.
            Err(_) => hub.drain().await,
        }
    }

    /// Commits queued writes, everything that is ready at once, until none are left.
    async fn drain(&self) {
        loop {
            // The lock first: writes keep queueing while another commit holds it,
            // and then go together.
            let _guard = self.0.write_lock.lock().await;
            let (batch, journal) = {
                let mut g = self.0.group.lock().unwrap_or_else(|e| e.into_inner());
                if g.pending.is_empty() && g.journal.is_empty() {
                    g.draining = false;
                    return;
                }
                (
                    std::mem::take(&mut g.pending),
                    std::mem::take(&mut g.journal),
                )
            };
            if batch.len() + journal.len() == 1 {
                self.commit_one(batch, journal).await;
                continue;
            }
            // Together; if that fails, one by one, so each caller hears its own
            // outcome (one bad write must not fail the others).
            let mut batch = self.reconcile(batch).await;
            let steps = journal.iter().map(|j| j.work.clone()).collect();
            match self.commit_pending(&mut batch, steps).await {
                Ok(head) => {
                    for p in batch {
                        let _ = p.done.send(Ok(head));
                    }
                    for j in journal {
                        let _ = j.done.send(Ok(()));
                    }
                }
                Err(e) => {
                    let n = batch.len() + journal.len();
                    tracing::debug!(error = %e, n, "group commit failed; committing one by one");
                    for p in batch {
                        self.commit_one(vec![p], Vec::new()).await;
                    }
                    for j in journal {
                        self.commit_one(Vec::new(), vec![j]).await;
                    }
                }
            }
        }
    }

    async fn commit_one(&self, batch: Vec<Pending>, journal: Vec<JournalWork>) {
        let mut batch = self.reconcile(batch).await;
        let steps = journal.iter().map(|j| j.work.clone()).collect();
        let result = self.commit_pending(&mut batch, steps).await;
        for p in batch {
            let _ = p
                .done
                .send(result.as_ref().map(|h| *h).map_err(HubError::again));
        }
        for j in journal {
            let _ = j
                .done
                .send(result.as_ref().map(|_| ()).map_err(HubError::again));
        }
    }

    /// A write prepared before a peer's commit of the same document is merged
    /// with what is stored now (caller holds the write lock). Writes that can no
    /// longer be made are answered here and dropped from the batch.
    async fn reconcile(&self, batch: Vec<Pending>) -> Vec<Pending> {
        let remote = self.0.remote_upto.load(Ordering::SeqCst);
        let mut out = Vec::with_capacity(batch.len());
        for mut p in batch {
            if remote <= p.loaded_at {
                out.push(p);
                continue;
            }
            match self.rebase(&mut p).await {
                Ok(()) => out.push(p),
                Err(e) => {
                    let _ = p.done.send(Err(e));
                }
            }
        }
        out
    }

    async fn rebase(&self, p: &mut Pending) -> Result<(), HubError> {
        let id = p.write.doc_id.clone();
        let Some(now) = self.get(&id).await? else {
            return Ok(());
        };
        if Some(now.seq) == p.base_seq {
            return Ok(());
        }
        if p.new {
            return Err(HubError::Exists(id));
        }
        let mut stored = now.loaded.doc;
        stored
            .merge(&mut p.doc)
            .map_err(|e| DocError::automerge(&id, e))?;
        stored.set_actor(self.0.actor.clone());
        let scope = doc::read_scope(&id, &stored)?;
        let heads = Heads::of(&mut stored);
        p.write = self.prepared(&id, &mut stored, scope, heads)?;
        p.doc = stored;
        Ok(())
    }

    /// Commits `batch` in one transaction with the observer's work, each
    /// caller's own and the journal's (`journal`, after the rest; caller holds
    /// the write lock). Returns the new head.
    async fn commit_pending(
        &self,
        batch: &mut [Pending],
        journal: Vec<OwnWork>,
    ) -> Result<u64, HubError> {
        // Each caller's own work, then the journal's, items of a kind folded.
        let steps =
            crate::store::folded(batch.iter().filter_map(|p| p.step.clone()).chain(journal));
        if batch.is_empty() {
            if !steps.is_empty() {
                self.0
                    .store
                    .commit_with(Vec::new(), None, self.now_ms(), Some(run_all(steps)))
                    .await?;
            }
            return Ok(self.0.store.head());
        }
        let after = self.0.store.head();
        let mut docs: Vec<(String, AutoCommit)> = batch
            .iter_mut()
            .map(|p| (p.write.doc_id.clone(), std::mem::take(&mut p.doc)))
            .collect();
        let writes: Vec<DocWrite> = batch.iter().map(|p| p.write.clone()).collect();
        let (observed, in_tx) = self.work_for(after, &mut docs, Origin::Local, &writes);
        let work: Option<TxWork> = if observed.is_none() && steps.is_empty() {
            None
        } else {
            Some(Box::new(move |conn| {
                Box::pin(async move {
                    if let Some(w) = observed {
                        w(&mut *conn).await?;
                    }
                    crate::store::in_turn(steps)(&mut *conn).await
                })
            }))
        };
        let result = self
            .0
            .store
            .commit_with(writes, None, self.now_ms(), work)
            .await;
        // Give the documents back (a failed group is retried one by one).
        for (p, (_, d)) in batch.iter_mut().zip(docs.iter_mut()) {
            p.doc = std::mem::take(d);
        }
        let head = result?;
        if !in_tx {
            let mut docs: Vec<(String, AutoCommit)> = batch
                .iter_mut()
                .map(|p| (p.write.doc_id.clone(), p.doc.clone()))
                .collect();
            self.notify(after, &mut docs);
        }
        self.0.head_tx.send_replace(head);
        Ok(head)
    }
}

/// The steps one after the other, as one piece of a transaction's work.
fn run_all(steps: Vec<TxStep>) -> TxWork {
    let step = crate::store::in_turn(steps);
    Box::new(move |conn| step(conn))
}

fn interrupted() -> HubError {
    HubError::Store(StoreError::Db("the commit was interrupted".into()))
}

#[cfg(test)]
pub(crate) mod group_commit {
    //! Local writes committed together: what each caller is promised.
    use std::sync::Arc;
    use std::time::Duration;

    use automerge::transaction::Transactable;
    use automerge::{ROOT, ReadDoc};

    use super::*;
    use crate::db::{Db, Durability};
    use crate::engine::HubConfig;
    use crate::store::sql::SqlStore;
    use crate::topology::{Tier, Topology, Unit, UnitCode};

    async fn hub() -> (tempfile::TempDir, Hub, Db) {
        county_hub("CREATE TABLE side (doc TEXT PRIMARY KEY NOT NULL)").await
    }

    /// A one-county hub on a fresh SQLite file, with a table of the test's own
    /// (`ddl`) beside the hub's.
    pub(crate) async fn county_hub(ddl: &str) -> (tempfile::TempDir, Hub, Db) {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = Db::open_sqlite(&dir.path().join("h.db"), Durability::Normal)
            .await
            .expect("db");
        sqlx::query(ddl)
            .execute(db.pool())
            .await
            .expect("the test's table");
        let store = SqlStore::open(db.clone()).await.expect("store");
        let unit: UnitCode = "441521".parse().expect("code");
        let topo = Topology::from_units(vec![Unit {
            code: unit.clone(),
            name: "县".into(),
            tier: Tier::County,
            parent: None,
            listen: "127.0.0.1:1".into(),
            api: None,
            kind: Default::default(),
            attributes: Default::default(),
        }])
        .expect("topology");
        let hub =
            Hub::new(unit, Arc::new(topo), Arc::new(store), HubConfig::default()).expect("hub");
        (dir, hub, db)
    }

    fn scoped(d: &mut AutoCommit, id: &str) -> Result<(), String> {
        let unit: UnitCode = "441521".parse().map_err(|_| "code".to_owned())?;
        doc::extend_scope(id, d, [&unit]).map_err(|e| e.to_string())?;
        Ok(())
    }

    /// A step that records the document in `side`, failing for ids ending in "!".
    fn side_step(id: &str) -> TxStep {
        let id = id.to_owned();
        Arc::new(move |conn| {
            let id = id.clone();
            Box::pin(async move {
                if id.ends_with('!') {
                    sqlx::query("SELECT no_such_column FROM side")
                        .execute(&mut *conn)
                        .await?;
                }
                sqlx::query("INSERT INTO side (doc) VALUES ($1)")
                    .bind(id)
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            })
        })
    }

    /// Waits until at least `journal` journal transactions and `pending` writes
    /// are queued.
    async fn wait_queued(hub: &Hub, journal: usize, pending: usize) {
        for _ in 0..2_000 {
            let queued = hub
                .0
                .group
                .lock()
                .map(|g| (g.journal.len(), g.pending.len()))
                .unwrap_or((0, 0));
            if queued.0 >= journal && queued.1 >= pending {
                return;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        panic!("{journal} journal transactions and {pending} writes never queued");
    }

    type Write = tokio::task::JoinHandle<Result<(), UpdateError<String>>>;

    /// A new document per id, each with its own work (`own`), all queued while
    /// the write lock is held and then let go as one group.
    async fn queued_as_one_group(
        hub: &Hub,
        ids: &[&'static str],
        own: fn(&str) -> OwnWork,
    ) -> Vec<Write> {
        let lock = hub.0.write_lock.lock().await;
        let mut tasks = Vec::new();
        for &id in ids {
            let hub = hub.clone();
            tasks.push(tokio::spawn(async move {
                hub.update_with(id, Create::New, |d| {
                    scoped(d, id)?;
                    d.put(ROOT, "n", 1i64).map_err(|e| e.to_string())?;
                    Ok::<_, String>(((), Some(own(id))))
                })
                .await
            }));
        }
        wait_queued(hub, 0, ids.len()).await;
        drop(lock);
        tasks
    }

    /// Of the writes `a`, `b`, `bad!`, `c`, `d`: exactly the good ones, each
    /// with its own row in `side`, nothing of the bad one.
    async fn only_the_good_writes_kept(hub: &Hub, db: &Db) {
        let side: Vec<String> = sqlx::query_scalar("SELECT doc FROM side ORDER BY doc")
            .fetch_all(db.pool())
            .await
            .expect("side");
        assert_eq!(side, vec!["a", "b", "c", "d"]);
        assert!(hub.get("bad!").await.expect("get").is_none());
        assert_eq!(hub.head(), 4);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn writes_queued_together_commit_together_and_fail_alone() {
        let (_dir, hub, db) = hub().await;
        let ids = ["a", "b", "bad!", "c", "d"];
        let tasks = queued_as_one_group(&hub, &ids, |id| side_step(id).into()).await;
        let mut ok = 0;
        for (id, t) in ids.iter().zip(tasks) {
            let r = t.await.expect("task");
            if id.ends_with('!') {
                assert!(r.is_err(), "the failing write reports its own failure");
            } else {
                r.unwrap_or_else(|e| panic!("{id}: {e}"));
                ok += 1;
            }
        }
        assert_eq!(ok, 4);
        only_the_good_writes_kept(&hub, &db).await;
    }

    /// A row of `side` handed over as data: the rows of a group are written by
    /// one statement; a row ending in "!" fails the statement it is in.
    struct SideRow(String);

    /// How many rows each fold was given, in order.
    static FOLD_SIZES: std::sync::Mutex<Vec<usize>> = std::sync::Mutex::new(Vec::new());

    impl crate::store::Fold for SideRow {
        fn fold(items: Vec<Arc<Self>>) -> TxStep {
            FOLD_SIZES
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(items.len());
            let ids: Vec<String> = items.iter().map(|r| r.0.clone()).collect();
            Arc::new(move |conn| {
                let ids = ids.clone();
                Box::pin(async move {
                    if ids.iter().any(|id| id.ends_with('!')) {
                        sqlx::query("SELECT no_such_column FROM side")
                            .execute(&mut *conn)
                            .await?;
                    }
                    let mut q = crate::db::Sql::new("INSERT INTO side (doc) ");
                    q.values(ids.iter(), |r, id| {
                        r.bind(id.clone());
                    });
                    q.execute(&mut *conn).await?;
                    Ok(())
                })
            })
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn folded_rows_of_a_group_are_written_by_one_fold_and_fail_alone() {
        let (_dir, hub, db) = hub().await;
        let ids = ["a", "b", "bad!", "c", "d"];
        let tasks = queued_as_one_group(&hub, &ids, |id| {
            crate::store::Foldable::of(SideRow(id.to_owned())).into()
        })
        .await;
        for (id, t) in ids.iter().zip(tasks) {
            let r = t.await.expect("task");
            assert_eq!(r.is_err(), id.ends_with('!'), "{id}: {r:?}");
        }
        // All five rows to one fold; that statement failed on the bad row, so
        // each write was committed alone, its row folded alone.
        assert_eq!(
            *FOLD_SIZES.lock().unwrap_or_else(|e| e.into_inner()),
            vec![5, 1, 1, 1, 1, 1]
        );
        only_the_good_writes_kept(&hub, &db).await;
    }

    /// A journal transaction that records `id` in `side` and counts its runs,
    /// failing for ids ending in "!".
    fn counted_journal(id: &str, runs: Arc<std::sync::atomic::AtomicUsize>) -> TxStep {
        let step = side_step(id);
        Arc::new(move |conn| {
            runs.fetch_add(1, Ordering::SeqCst);
            step(conn)
        })
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn journal_transactions_share_the_commit_of_the_writes_around_them_and_fail_alone() {
        use std::sync::atomic::AtomicUsize;
        let (_dir, hub, db) = hub().await;
        let lock = hub.0.write_lock.lock().await;
        let mut runs = Vec::new();
        let mut tasks = Vec::new();
        // Queued in this order (each waits for the one before).
        for (i, id) in ["j1", "j2", "bad!", "j3"].into_iter().enumerate() {
            let n = Arc::new(AtomicUsize::new(0));
            runs.push((id, n.clone()));
            let hub2 = hub.clone();
            let work = counted_journal(id, n);
            tasks.push(tokio::spawn(async move {
                hub2.journal_only(work.into())
                    .await
                    .map_err(|e| e.to_string())
            }));
            wait_queued(&hub, i + 1, 0).await;
        }
        let writer = {
            let hub = hub.clone();
            tokio::spawn(async move {
                hub.update_with("doc", Create::New, |d| {
                    scoped(d, "doc")?;
                    d.put(ROOT, "n", 1i64).map_err(|e| e.to_string())?;
                    Ok::<_, String>(((), Some(side_step("doc").into())))
                })
                .await
                .map_err(|e| e.to_string())
            })
        };
        wait_queued(&hub, 4, 1).await;
        drop(lock);
        let outcomes: Vec<Result<(), String>> = futures::future::join_all(tasks)
            .await
            .into_iter()
            .map(|t| t.expect("task"))
            .collect();
        writer.await.expect("task").expect("the document's write");
        // The document's step, then the journal's in their order: j1 and j2 ran
        // in the group the bad one failed (one transaction), then alone; the
        // group stopped before j3.
        let expected_runs = [2, 2, 2, 1];
        for (((id, n), outcome), want) in runs.iter().zip(&outcomes).zip(expected_runs) {
            if id.ends_with('!') {
                assert!(
                    outcome.is_err(),
                    "the failing transaction reports its own failure"
                );
            } else {
                outcome.as_ref().unwrap_or_else(|e| panic!("{id}: {e}"));
            }
            assert_eq!(n.load(Ordering::SeqCst), want, "runs of {id}");
        }
        let side: Vec<String> = sqlx::query_scalar("SELECT doc FROM side ORDER BY doc")
            .fetch_all(db.pool())
            .await
            .expect("side");
        assert_eq!(side, vec!["doc", "j1", "j2", "j3"]);
        assert_eq!(hub.head(), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn updates_of_one_document_never_lose_each_other() {
        let (_dir, hub, _db) = hub().await;
        hub.update("doc", Create::New, |d| {
            scoped(d, "doc")?;
            d.put(ROOT, "n", 0i64).map_err(|e| e.to_string())
        })
        .await
        .expect("create");
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let hub = hub.clone();
            tasks.push(tokio::spawn(async move {
                hub.update("doc", Create::Existing, |d| {
                    let n = match d.get(ROOT, "n") {
                        Ok(Some((automerge::Value::Scalar(s), _))) => s.as_i64().unwrap_or(0),
                        _ => 0,
                    };
                    d.put(ROOT, "n", n + 1).map_err(|e| e.to_string())
                })
                .await
            }));
        }
        for t in tasks {
            t.await.expect("task").expect("update");
        }
        let held = hub.get("doc").await.expect("get").expect("held");
        let n = match held.loaded.doc.get(ROOT, "n") {
            Ok(Some((automerge::Value::Scalar(s), _))) => s.as_i64(),
            _ => None,
        };
        assert_eq!(n, Some(20));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_local_write_merges_what_a_peer_committed_meanwhile() {
        let (_dir, hub, _db) = hub().await;
        hub.update("doc", Create::New, |d| {
            scoped(d, "doc")?;
            d.put(ROOT, "base", 1i64).map_err(|e| e.to_string())
        })
        .await
        .expect("create");
        let lock = hub.0.write_lock.lock().await;
        let local = {
            let hub = hub.clone();
            tokio::spawn(async move {
                hub.update("doc", Create::Existing, |d| {
                    d.put(ROOT, "local", 1i64).map_err(|e| e.to_string())
                })
                .await
            })
        };
        wait_queued(&hub, 0, 1).await;
        // Meanwhile a peer's version of the document is committed (as apply_from
        // does, under the write lock we hold).
        let mut held = hub.get("doc").await.expect("get").expect("held");
        let mut theirs = held.loaded.doc.fork();
        theirs.put(ROOT, "remote", 1i64).expect("put");
        let write = DocWrite {
            doc_id: "doc".into(),
            scope: held.loaded.scope.clone(),
            heads: Heads::of(&mut theirs).encode(),
            source: None,
            bytes: theirs.save(),
        };
        let head = hub
            .0
            .store
            .commit(vec![write], None, 1)
            .await
            .expect("peer commit");
        hub.0.remote_upto.store(head, Ordering::SeqCst);
        drop(lock);
        local.await.expect("task").expect("local update");
        let doc = hub.get("doc").await.expect("get").expect("held").loaded.doc;
        for key in ["base", "local", "remote"] {
            assert!(
                doc.get(ROOT, key).expect("read").is_some(),
                "{key} survived"
            );
        }
    }
}
