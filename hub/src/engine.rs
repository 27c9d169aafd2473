//! The hub: one node's documents, feed, write path and the routing of its links.
//! Everything a link needs from storage goes through here, so the sans-IO core, the
//! tonic driver and the simulator all share one merge and routing implementation.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use automerge::{ActorId, AutoCommit};
use tokio::sync::{oneshot, watch};
use xinfang_proto::v1::DocEntry;

use crate::core::{CoreConfig, InboundCursor};
use crate::doc::{self, DocError, Heads, Limits, LoadedDoc};
use crate::journal::{Attestor, CommitJournal, Committed, Origin};
use crate::net::TransportConfig;
use crate::quarantine::{self, Refusal};
use crate::route::{Link, PeerRole};
use crate::store::{DocWrite, LinkRecord, Store, StoreError, TxStep, TxWork};
use crate::topology::{Topology, UnitCode};

#[derive(Debug, Clone)]
pub struct HubConfig {
    pub limits: Limits,
    pub core: CoreConfig,
    /// Most documents in one Batch frame.
    pub batch_max_docs: usize,
    /// Soft cap on document bytes in one Batch frame (a single larger document
    /// still goes alone; it is bounded by `limits.max_doc_bytes`).
    pub batch_max_bytes: usize,
    /// Feed rows examined per storage read while looking for routed documents.
    pub scan_rows: usize,
    /// Connection limits and timeouts of the links (keepalive, slow readers).
    pub transport: TransportConfig,
}

impl Default for HubConfig {
    fn default() -> Self {
        HubConfig {
            limits: Limits::default(),
            core: CoreConfig::default(),
            batch_max_docs: 512,
            batch_max_bytes: 2 << 20,
            scan_rows: 2048,
            transport: TransportConfig::default(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error(transparent)]
    Doc(#[from] DocError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("unit {0} is not in the topology")]
    UnknownUnit(UnitCode),
    #[error("document {0} does not exist here")]
    NotFound(String),
    #[error("document {0} already exists")]
    Exists(String),
    #[error("document {doc_id} from {peer}: {rule}")]
    Refused {
        doc_id: String,
        peer: UnitCode,
        rule: String,
    },
    #[error(
        "document {doc_id} from {peer}: scope {scope:?} does not touch the subtree this link carries"
    )]
    OutOfScope {
        doc_id: String,
        peer: UnitCode,
        scope: Vec<String>,
    },
}

impl HubError {
    /// The same error for another caller of one failed commit.
    fn again(&self) -> HubError {
        match self {
            HubError::Doc(e) => HubError::Doc(e.clone()),
            HubError::NotFound(id) => HubError::NotFound(id.clone()),
            HubError::Exists(id) => HubError::Exists(id.clone()),
            HubError::UnknownUnit(u) => HubError::UnknownUnit(u.clone()),
            other => HubError::Store(StoreError::Db(other.to_string())),
        }
    }

    /// A short machine-readable code for link errors.
    pub fn code(&self) -> &'static str {
        match self {
            HubError::Doc(DocError::TooLarge { .. }) => "document_too_large",
            HubError::Doc(_) => "bad_document",
            HubError::Store(_) => "storage",
            HubError::UnknownUnit(_) => "unknown_unit",
            HubError::NotFound(_) => "not_found",
            HubError::Exists(_) => "exists",
            HubError::OutOfScope { .. } => "out_of_scope",
            HubError::Refused { .. } => "refused_document",
        }
    }
}

/// An update either fails in the hub or in the caller's own rule.
#[derive(Debug, thiserror::Error)]
pub enum UpdateError<E> {
    #[error(transparent)]
    Hub(#[from] HubError),
    #[error(transparent)]
    Rule(E),
}

/// How `Hub::update` treats a missing or existing document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Create {
    /// The document must not exist yet.
    New,
    /// The document must exist.
    Existing,
}

/// Live view of one link, for `status`.
#[derive(Debug, Clone, Default)]
pub struct LinkStatus {
    pub connected: bool,
    pub acked: u64,
    pub received: u64,
    /// The peer's feed head as it last told us (Hello or Batch); None until a
    /// session has heard from the peer. `peer_head - received` is how far we are
    /// behind the peer's feed, in its feed entries.
    pub peer_head: Option<u64>,
    /// When a batch or an ack last moved the link, or it was last seen in sync
    /// (see `last_in_sync_ms`, which also counts being in sync now).
    pub last_sync_ms: Option<i64>,
    /// Both directions are caught up right now (a live session only).
    pub in_sync: bool,
    pub last_error: Option<String>,
    pub bytes_sent: u64,
    pub bytes_received: u64,
    pub frames_sent: u64,
    pub frames_received: u64,
    /// Frame bytes moved in the current (or last) session, each way.
    pub session_bytes_sent: u64,
    pub session_bytes_received: u64,
    /// Milliseconds from the session's start until both directions had caught up.
    pub catch_up_ms: Option<u64>,
    pub sessions: u64,
    /// Batches from the peer refused whole (bad document, out of scope, too
    /// large), and the documents refused: those batches carried, and those
    /// quarantined alone. Nothing of them was stored.
    pub refused_batches: u64,
    pub refused_docs: u64,
    /// Sessions the peer ended with a `LinkError` (it refused something of ours).
    pub errors_from_peer: u64,
    /// Attestation frames sent (a parent's asks, a child's answers).
    pub attestations_sent: u64,
    /// Documents from the peer refused by the domain's authorship rules and
    /// quarantined (the rest of their batches applied), and the last refusal.
    pub quarantined_docs: u64,
    pub last_quarantined: Option<String>,
}

impl LinkStatus {
    /// When the link was last known to be in sync: `now_ms` while it is, else the
    /// last time it was (or a batch or an ack moved it); None if never.
    pub fn last_in_sync_ms(&self, now_ms: i64) -> Option<i64> {
        if self.connected && self.in_sync {
            Some(now_ms)
        } else {
            self.last_sync_ms
        }
    }
}

/// A document as held here.
pub struct HeldDoc {
    pub loaded: LoadedDoc,
    pub seq: u64,
    /// When this node first stored the document (its own clock, ms since epoch).
    pub first_seen_ms: i64,
}

/// Milliseconds since the epoch; tests and the simulator supply their own.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// Told about every commit, in commit order, with the documents it wrote already
/// decoded — so the node's projections need not load them again. Called while the
/// hub's write lock is held: keep it quick and never block.
pub trait CommitObserver: Send + Sync {
    /// `docs` got feed positions `after + 1 ..= after + docs.len()`, in order.
    fn committed(&self, after: u64, docs: &mut [(String, AutoCommit)]);

    /// Work to run inside the commit's transaction for `docs` (which will get
    /// positions `after + 1 ..`); when given, `committed` is not called for them.
    fn in_commit(&self, after: u64, docs: &mut [(String, AutoCommit)]) -> Option<TxWork> {
        let _ = (after, docs);
        None
    }
}

/// Stripes of per-document locks (two documents may share one; that only
/// serialises them).
const DOC_LOCKS: usize = 256;

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
    step: Option<TxStep>,
    done: oneshot::Sender<Result<u64, HubError>>,
}

#[derive(Default)]
struct Group {
    pending: Vec<Pending>,
    /// A committer is draining `pending`.
    draining: bool,
}

/// The domain's rules for documents that arrive from a peer (the hub itself knows
/// no kinds). Checked for every document of a batch, after its size, `_id` and
/// scope, before anything of the batch is written.
pub trait DocumentCheck: Send + Sync {
    /// `Err(rule)` refuses the whole batch; `rule` names the field and the rule.
    fn check(&self, doc_id: &str, doc: &AutoCommit) -> Result<(), String>;

    /// Whether what `incoming` adds to `prior` (what we hold, if anything) may come
    /// from `peer`. Called under the write lock, after `check` passed for the whole
    /// batch. A refusal quarantines this document alone: nothing of it is merged,
    /// the rest of the batch applies and the cursor moves past it.
    fn authorize(
        &self,
        peer: &UnitCode,
        doc_id: &str,
        prior: Option<&mut AutoCommit>,
        incoming: &mut AutoCommit,
    ) -> Result<(), Refusal> {
        let _ = (peer, doc_id, prior, incoming);
        Ok(())
    }
}

struct Inner {
    me: UnitCode,
    topology: Arc<Topology>,
    store: Arc<dyn Store>,
    cfg: HubConfig,
    actor: ActorId,
    write_lock: tokio::sync::Mutex<()>,
    /// Local updates of one document run one at a time, from loading it until its
    /// write is committed; updates of different documents overlap and are
    /// committed together (`group`).
    doc_locks: Vec<tokio::sync::Mutex<()>>,
    group: Mutex<Group>,
    /// The feed head after the last commit of documents from a peer: a local
    /// update loaded before it may have to merge what the peer brought.
    remote_upto: AtomicU64,
    head_tx: watch::Sender<u64>,
    links: Mutex<BTreeMap<UnitCode, LinkStatus>>,
    clock: Clock,
    observer: Mutex<Option<Arc<dyn CommitObserver>>>,
    check: Mutex<Option<Arc<dyn DocumentCheck>>>,
    journal: Mutex<Option<Arc<dyn CommitJournal>>>,
    attestor: Mutex<Option<Arc<dyn Attestor>>>,
}

/// Cheap to clone; all clones share one node's state.
#[derive(Clone)]
pub struct Hub(Arc<Inner>);

pub fn wall_clock_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl Hub {
    pub fn new(
        me: UnitCode,
        topology: Arc<Topology>,
        store: Arc<dyn Store>,
        cfg: HubConfig,
    ) -> Result<Hub, HubError> {
        Self::with_clock(me, topology, store, cfg, Arc::new(wall_clock_ms))
    }

    /// As `new`, with the wall clock supplied (the simulator's is virtual).
    pub fn with_clock(
        me: UnitCode,
        topology: Arc<Topology>,
        store: Arc<dyn Store>,
        cfg: HubConfig,
        clock: Clock,
    ) -> Result<Hub, HubError> {
        if !topology.contains(&me) {
            return Err(HubError::UnknownUnit(me));
        }
        let (head_tx, _) = watch::channel(store.head());
        Ok(Hub(Arc::new(Inner {
            actor: doc::unit_actor(&me),
            me,
            topology,
            store,
            cfg,
            write_lock: tokio::sync::Mutex::new(()),
            doc_locks: (0..DOC_LOCKS)
                .map(|_| tokio::sync::Mutex::new(()))
                .collect(),
            group: Mutex::new(Group::default()),
            remote_upto: AtomicU64::new(0),
            head_tx,
            links: Mutex::new(BTreeMap::new()),
            clock,
            observer: Mutex::new(None),
            check: Mutex::new(None),
            journal: Mutex::new(None),
            attestor: Mutex::new(None),
        })))
    }

    /// Registers the observer told about every commit (one at a time).
    pub fn set_observer(&self, observer: Arc<dyn CommitObserver>) {
        *self.0.observer.lock().unwrap_or_else(|p| p.into_inner()) = Some(observer);
    }

    /// Registers the domain's rules for documents from peers.
    pub fn set_document_check(&self, check: Arc<dyn DocumentCheck>) {
        *self.0.check.lock().unwrap_or_else(|p| p.into_inner()) = Some(check);
    }

    /// Registers the node's journal, given every commit's documents in its
    /// transaction (see `journal`).
    pub fn set_journal(&self, journal: Arc<dyn CommitJournal>) {
        *self.0.journal.lock().unwrap_or_else(|p| p.into_inner()) = Some(journal);
    }

    /// Registers the node's attestor, which the link driver consults.
    pub fn set_attestor(&self, attestor: Arc<dyn Attestor>) {
        *self.0.attestor.lock().unwrap_or_else(|p| p.into_inner()) = Some(attestor);
    }

    pub fn attestor(&self) -> Option<Arc<dyn Attestor>> {
        self.0
            .attestor
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Runs `work` in a transaction of its own, serialised with every commit (under
    /// the write lock), writing no document: the journal's own entries.
    pub async fn journal_only(&self, work: TxWork) -> Result<(), HubError> {
        let _guard = self.0.write_lock.lock().await;
        self.0
            .store
            .commit_with(Vec::new(), None, self.now_ms(), Some(work))
            .await?;
        Ok(())
    }

    fn observer(&self) -> Option<Arc<dyn CommitObserver>> {
        self.0
            .observer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The in-transaction work for `docs` (written as `writes`): the observer's,
    /// if it has any, then the journal's. The flag says whether the observer's
    /// is in it (else it is told with `committed` afterwards).
    fn work_for(
        &self,
        after: u64,
        docs: &mut [(String, AutoCommit)],
        origin: Origin<'_>,
        writes: &[DocWrite],
    ) -> (Option<TxWork>, bool) {
        if docs.is_empty() {
            return (None, false);
        }
        let observed = self.observer().and_then(|o| o.in_commit(after, docs));
        let in_tx = observed.is_some();
        let journal = self
            .0
            .journal
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let Some(journal) = journal else {
            return (observed, in_tx);
        };
        let committed: Vec<Committed<'_>> = writes
            .iter()
            .enumerate()
            .map(|(i, w)| Committed {
                seq: after + 1 + i as u64,
                doc_id: &w.doc_id,
                heads: &w.heads,
            })
            .collect();
        let journaled = journal.in_commit(origin, &committed);
        let work: TxWork = Box::new(move |conn| {
            Box::pin(async move {
                if let Some(w) = observed {
                    w(&mut *conn).await?;
                }
                journaled(&mut *conn).await
            })
        });
        (Some(work), in_tx)
    }

    fn notify(&self, after: u64, docs: &mut [(String, AutoCommit)]) {
        if docs.is_empty() {
            return;
        }
        if let Some(o) = self.observer() {
            o.committed(after, docs);
        }
    }

    pub fn me(&self) -> &UnitCode {
        &self.0.me
    }

    pub fn topology(&self) -> &Arc<Topology> {
        &self.0.topology
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.0.store
    }

    pub fn config(&self) -> &HubConfig {
        &self.0.cfg
    }

    pub fn epoch(&self) -> &str {
        self.0.store.epoch()
    }

    pub fn head(&self) -> u64 {
        self.0.store.head()
    }

    pub fn now_ms(&self) -> i64 {
        (self.0.clock)()
    }

    /// Watch our feed's head (moves on every committed change).
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.0.head_tx.subscribe()
    }

    /// This node's links per the topology.
    pub fn links(&self) -> Vec<Link> {
        Link::all_for(&self.0.topology, &self.0.me)
    }

    /// The link with `peer`, if the topology has one.
    pub fn link_with(&self, peer: &UnitCode) -> Option<Link> {
        self.links().into_iter().find(|l| &l.peer == peer)
    }

    pub async fn get(&self, doc_id: &str) -> Result<Option<HeldDoc>, HubError> {
        let mut rows = self.0.store.get(&[doc_id.to_owned()]).await?;
        let Some(row) = rows.pop() else {
            return Ok(None);
        };
        let loaded = doc::decode(doc_id, &row.bytes, &self.0.cfg.limits)?;
        Ok(Some(HeldDoc {
            loaded,
            seq: row.seq,
            first_seen_ms: row.first_seen_ms,
        }))
    }

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
    /// exactly when the document does).
    ///
    /// Concurrent updates of different documents are committed together, in one
    /// transaction (group commit: one fsync for all of them); updates of one
    /// document run one after the other.
    pub async fn update_with<T, E>(
        &self,
        doc_id: &str,
        create: Create,
        f: impl FnOnce(&mut AutoCommit) -> Result<(T, Option<TxStep>), E>,
    ) -> Result<T, UpdateError<E>> {
        let limits = &self.0.cfg.limits;
        doc::check_id(doc_id, limits).map_err(HubError::from)?;
        let _doc_guard = self.doc_lock(doc_id).lock().await;
        let loaded_at = self.0.store.head();
        let existing = self.get(doc_id).await?;
        let base_seq = existing.as_ref().map(|h| h.seq);
        let (mut doc, before) = match (create, existing) {
            (Create::New, Some(_)) => return Err(HubError::Exists(doc_id.to_owned()).into()),
            (Create::Existing, None) => return Err(HubError::NotFound(doc_id.to_owned()).into()),
            (Create::New, None) => (
                doc::new_doc(doc_id, self.0.actor.clone()).map_err(HubError::from)?,
                Heads::default(),
            ),
            (Create::Existing, Some(held)) => {
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
        let committer = self.enqueue(Pending {
            write,
            doc,
            new: create == Create::New,
            base_seq,
            loaded_at,
            step,
            done,
        });
        if committer {
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
        rx.await
            .map_err(|_| HubError::Store(StoreError::Db("the commit was interrupted".into())))??;
        Ok(out)
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

    /// Queues a prepared write. True if the caller must start the committer (no
    /// committer is draining the queue).
    fn enqueue(&self, p: Pending) -> bool {
        let mut g = self.0.group.lock().unwrap_or_else(|e| e.into_inner());
        g.pending.push(p);
        !std::mem::replace(&mut g.draining, true)
    }

    /// Commits queued writes, everything that is ready at once, until none are left.
    async fn drain(&self) {
        loop {
            // The lock first: writes keep queueing while another commit holds it,
            // and then go together.
            let _guard = self.0.write_lock.lock().await;
            let batch = {
                let mut g = self.0.group.lock().unwrap_or_else(|e| e.into_inner());
                if g.pending.is_empty() {
                    g.draining = false;
                    return;
                }
                std::mem::take(&mut g.pending)
            };
            if batch.len() == 1 {
                self.commit_one(batch).await;
                continue;
            }
            // Together; if that fails, one by one, so each caller hears its own
            // outcome (one bad write must not fail the others).
            let mut batch = self.reconcile(batch).await;
            match self.commit_pending(&mut batch).await {
                Ok(head) => {
                    for p in batch {
                        let _ = p.done.send(Ok(head));
                    }
                }
                Err(e) => {
                    tracing::debug!(error = %e, n = batch.len(), "group commit failed; committing one by one");
                    for p in batch {
                        self.commit_one(vec![p]).await;
                    }
                }
            }
        }
    }

    async fn commit_one(&self, batch: Vec<Pending>) {
        let mut batch = self.reconcile(batch).await;
        let result = self.commit_pending(&mut batch).await;
        for p in batch {
            let _ = p
                .done
                .send(result.as_ref().map(|h| *h).map_err(HubError::again));
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
        stored.merge(&mut p.doc).map_err(|e| DocError::Automerge {
            doc_id: id.clone(),
            reason: e.to_string(),
        })?;
        stored.set_actor(self.0.actor.clone());
        let scope = doc::read_scope(&id, &stored)?;
        let heads = Heads::of(&mut stored);
        p.write = self.prepared(&id, &mut stored, scope, heads)?;
        p.doc = stored;
        Ok(())
    }

    /// Commits `batch` in one transaction with the observer's work and each
    /// caller's own (caller holds the write lock). Returns the new head.
    async fn commit_pending(&self, batch: &mut [Pending]) -> Result<u64, HubError> {
        if batch.is_empty() {
            return Ok(self.0.store.head());
        }
        let after = self.0.store.head();
        let mut docs: Vec<(String, AutoCommit)> = batch
            .iter_mut()
            .map(|p| (p.write.doc_id.clone(), std::mem::take(&mut p.doc)))
            .collect();
        let writes: Vec<DocWrite> = batch.iter().map(|p| p.write.clone()).collect();
        let (observed, in_tx) = self.work_for(after, &mut docs, Origin::Local, &writes);
        let steps: Vec<TxStep> = batch.iter().filter_map(|p| p.step.clone()).collect();
        let work: Option<TxWork> = if observed.is_none() && steps.is_empty() {
            None
        } else {
            Some(Box::new(move |conn| {
                Box::pin(async move {
                    if let Some(w) = observed {
                        w(&mut *conn).await?;
                    }
                    for s in steps {
                        s(&mut *conn).await?;
                    }
                    Ok(())
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

    /// Reads our feed after `after` and returns the documents routed over `link`,
    /// with the feed position the batch covers. Never echoes a document to the
    /// peer it came from unchanged.
    pub async fn scan_for(
        &self,
        link: &Link,
        after: u64,
    ) -> Result<(u64, Vec<DocEntry>), HubError> {
        let cfg = &self.0.cfg;
        let store = &self.0.store;
        let head_at_start = store.head();
        let mut pos = after;
        let mut picked: Vec<(u64, String)> = Vec::new();
        // Bound the work per call: at most 16 storage reads of unrouted rows.
        for _ in 0..16 {
            let rows = store.scan(pos, cfg.scan_rows).await?;
            let exhausted = rows.len() < cfg.scan_rows;
            for row in rows {
                pos = row.seq;
                if row.source.as_ref() != Some(&link.peer)
                    && link.sends(&self.0.topology, &row.scope)
                {
                    picked.push((row.seq, row.doc_id));
                    if picked.len() >= cfg.batch_max_docs {
                        break;
                    }
                }
            }
            if picked.len() >= cfg.batch_max_docs {
                break;
            }
            if exhausted {
                pos = pos.max(head_at_start);
                break;
            }
        }
        if picked.is_empty() {
            return Ok((pos, Vec::new()));
        }
        let ids: Vec<String> = picked.iter().map(|(_, id)| id.clone()).collect();
        let mut bytes: HashMap<String, Vec<u8>> = store
            .get(&ids)
            .await?
            .into_iter()
            .map(|d| (d.doc_id, d.bytes))
            .collect();
        let mut docs = Vec::with_capacity(picked.len());
        let mut total = 0usize;
        let last_seq = picked.last().map(|(s, _)| *s).unwrap_or(pos);
        let mut upto = pos.max(last_seq);
        for (seq, id) in picked {
            let Some(b) = bytes.remove(&id) else { continue };
            if !docs.is_empty() && total + b.len() > cfg.batch_max_bytes {
                // Stop before this document; the next batch starts with it.
                upto = seq - 1;
                break;
            }
            total += b.len();
            docs.push(DocEntry {
                doc_id: id,
                automerge: b.into(),
            });
        }
        Ok((upto, docs))
    }

    /// Validates and merges a batch from `link.peer`, then moves its cursor, in one
    /// transaction. Nothing is written unless every document in the batch is valid.
    pub async fn apply_from(
        &self,
        link: &Link,
        peer_epoch: &str,
        upto: u64,
        docs: Vec<DocEntry>,
    ) -> Result<u64, HubError> {
        let limits = &self.0.cfg.limits;
        let check = self
            .0
            .check
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let mut incoming: Vec<(String, LoadedDoc, prost::bytes::Bytes)> =
            Vec::with_capacity(docs.len());
        for entry in docs {
            let loaded = doc::decode(&entry.doc_id, &entry.automerge, limits)?;
            if !link.accepts(&self.0.topology, &loaded.scope) {
                return Err(HubError::OutOfScope {
                    doc_id: entry.doc_id,
                    peer: link.peer.clone(),
                    scope: loaded.scope.iter().map(ToString::to_string).collect(),
                });
            }
            if let Some(check) = &check
                && let Err(rule) = check.check(&entry.doc_id, &loaded.doc)
            {
                return Err(HubError::Refused {
                    doc_id: entry.doc_id,
                    peer: link.peer.clone(),
                    rule,
                });
            }
            incoming.push((entry.doc_id, loaded, entry.automerge));
        }
        let _guard = self.0.write_lock.lock().await;
        let ids: Vec<String> = incoming.iter().map(|(id, ..)| id.clone()).collect();
        let mut existing: HashMap<String, LoadedDoc> = HashMap::new();
        for row in self.0.store.get(&ids).await? {
            let loaded = doc::decode(&row.doc_id, &row.bytes, limits)?;
            existing.insert(row.doc_id, loaded);
        }
        let mut writes: Vec<DocWrite> = Vec::new();
        let mut merged_docs: Vec<(String, AutoCommit)> = Vec::new();
        let mut merged_here: HashMap<String, usize> = HashMap::new();
        let mut refused: Vec<quarantine::NewEntry> = Vec::new();
        for (id, mut inc, raw) in incoming {
            // A batch may name a document twice: merge into what we just produced.
            let mut prior = match merged_here.get(&id) {
                Some(&i) => Some(doc::decode(&id, &writes[i].bytes, limits)?),
                None => existing.remove(&id),
            };
            if let Some(check) = &check
                && let Err(refusal) = check.authorize(
                    &link.peer,
                    &id,
                    prior.as_mut().map(|p| &mut p.doc),
                    &mut inc.doc,
                )
            {
                if let Some(p) = prior
                    && !merged_here.contains_key(&id)
                {
                    existing.insert(id.clone(), p);
                }
                refused.push(quarantine::NewEntry {
                    peer: link.peer.clone(),
                    doc_id: id,
                    refusal,
                    received_ms: self.now_ms(),
                    bytes: raw.to_vec(),
                });
                continue;
            }
            let is_new = prior.is_none();
            let mut m = doc::merge(&id, prior, inc)?;
            if !m.changed {
                continue;
            }
            // A document new to us is stored as received: those bytes just decoded
            // and verified, so saving them again would only cost time.
            let bytes = if is_new { raw.to_vec() } else { m.doc.save() };
            let write = DocWrite {
                doc_id: id.clone(),
                scope: m.scope,
                heads: m.heads.encode(),
                source: m.same_as_incoming.then(|| link.peer.clone()),
                bytes,
            };
            match merged_here.get(&id) {
                Some(&i) => {
                    writes[i] = write;
                    merged_docs[i].1 = m.doc;
                }
                None => {
                    merged_here.insert(id.clone(), writes.len());
                    writes.push(write);
                    merged_docs.push((id, m.doc));
                }
            }
        }
        let changed = !writes.is_empty();
        let after = self.0.store.head();
        let cursor = InboundCursor {
            epoch: peer_epoch.to_owned(),
            upto,
        };
        let (work, in_tx) = if changed {
            self.work_for(after, &mut merged_docs, Origin::Peer(&link.peer), &writes)
        } else {
            (None, false)
        };
        let kept: Vec<(String, String)> = refused
            .iter()
            .map(|e| (e.doc_id.clone(), e.refusal.to_string()))
            .collect();
        let work = if refused.is_empty() {
            work
        } else {
            quarantine::chain(Some(quarantine::insert_work(refused)), work)
        };
        let head = self
            .0
            .store
            .commit_with(
                writes,
                Some((link.peer.clone(), cursor)),
                self.now_ms(),
                work,
            )
            .await?;
        if changed {
            self.0.remote_upto.store(head, Ordering::SeqCst);
            if !in_tx {
                self.notify(after, &mut merged_docs);
            }
            self.0.head_tx.send_replace(head);
        }
        if let Some((doc_id, why)) = kept.last() {
            for (doc_id, why) in &kept {
                tracing::warn!(peer = %link.peer, %doc_id, "document refused and quarantined: {why}");
            }
            let last = format!("document {doc_id} from {}: {why}", link.peer);
            self.with_link_status(&link.peer, |s| {
                s.quarantined_docs += kept.len() as u64;
                s.refused_docs += kept.len() as u64;
                s.last_quarantined = Some(last);
            });
        }
        Ok(head)
    }

    pub async fn link_record(&self, peer: &UnitCode) -> Result<Option<LinkRecord>, HubError> {
        Ok(self.0.store.link(peer).await?)
    }

    pub async fn note_acked(&self, peer: &UnitCode, upto: u64) -> Result<(), HubError> {
        Ok(self.0.store.save_acked(peer, upto, self.now_ms()).await?)
    }

    /// Updates the live status of the link with `peer`.
    pub fn with_link_status<R>(&self, peer: &UnitCode, f: impl FnOnce(&mut LinkStatus) -> R) -> R {
        let mut links = self.0.links.lock().unwrap_or_else(|p| p.into_inner());
        f(links.entry(peer.clone()).or_default())
    }

    /// Status of every configured link, live where connected, else from storage.
    pub async fn link_statuses(&self) -> Result<Vec<(Link, LinkStatus, u64)>, HubError> {
        let mut out = Vec::new();
        for link in self.links() {
            let mut st = self.with_link_status(&link.peer, |s| s.clone());
            if let Some(rec) = self.link_record(&link.peer).await? {
                st.acked = st.acked.max(rec.acked_upto);
                st.received = st.received.max(rec.inbound.upto);
                st.last_sync_ms = st.last_sync_ms.max(rec.last_sync_ms);
            }
            let lag = self.0.store.count_after(st.acked).await?;
            out.push((link, st, lag));
        }
        Ok(out)
    }

    pub fn role_of(&self, peer: &UnitCode) -> Option<PeerRole> {
        self.link_with(peer).map(|l| l.role)
    }
}

#[cfg(test)]
mod tests {
    use super::LinkStatus;

    #[test]
    fn a_link_in_sync_was_last_in_sync_now() {
        let mut s = LinkStatus {
            last_sync_ms: Some(1_000),
            ..Default::default()
        };
        assert_eq!(s.last_in_sync_ms(5_000), Some(1_000));
        s.connected = true;
        assert_eq!(s.last_in_sync_ms(5_000), Some(1_000), "connected, behind");
        s.in_sync = true;
        assert_eq!(s.last_in_sync_ms(5_000), Some(5_000));
        s.connected = false;
        assert_eq!(s.last_in_sync_ms(5_000), Some(1_000), "a stale flag");
        assert_eq!(LinkStatus::default().last_in_sync_ms(5_000), None);
    }
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
    use crate::store::sql::SqlStore;
    use crate::topology::{Tier, Unit};

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
            rules: None,
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

    async fn wait_pending(hub: &Hub, n: usize) {
        for _ in 0..2_000 {
            let have = hub.0.group.lock().map(|g| g.pending.len()).unwrap_or(0);
            if have >= n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        panic!("{n} writes never queued");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn writes_queued_together_commit_together_and_fail_alone() {
        let (_dir, hub, db) = hub().await;
        let ids = ["a", "b", "bad!", "c", "d"];
        // Hold the write lock so every write queues, then let them go as one group.
        let lock = hub.0.write_lock.lock().await;
        let mut tasks = Vec::new();
        for id in ids {
            let hub = hub.clone();
            tasks.push(tokio::spawn(async move {
                hub.update_with(id, Create::New, |d| {
                    scoped(d, id)?;
                    d.put(ROOT, "n", 1i64).map_err(|e| e.to_string())?;
                    Ok::<_, String>(((), Some(side_step(id))))
                })
                .await
            }));
        }
        wait_pending(&hub, ids.len()).await;
        drop(lock);
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
        // Exactly the good writes, each with its own step, nothing of the bad one.
        let side: Vec<String> = sqlx::query_scalar("SELECT doc FROM side ORDER BY doc")
            .fetch_all(db.pool())
            .await
            .expect("side");
        assert_eq!(side, vec!["a", "b", "c", "d"]);
        assert!(hub.get("bad!").await.expect("get").is_none());
        assert_eq!(hub.head(), 4);
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
        wait_pending(&hub, 1).await;
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
