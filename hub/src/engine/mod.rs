//! The hub: one node's documents, feed, write path and the routing of its links.
//! Everything a link needs from storage goes through here, so the sans-IO core, the
//! tonic driver and the simulator all share one merge and routing implementation.
//!
//! - [`local`]: local writes, prepared outside the write lock and committed together.
//! - [`peer`]: scanning the feed for a link and applying a peer's batches.
//! - [`status`]: the live status of each link.

mod acks;
mod local;
mod peer;
mod recovery;
mod status;

#[cfg(test)]
pub(crate) use local::group_commit;
use local::{DOC_LOCKS, Group};
pub(crate) use peer::Prepared;
pub use peer::{DocumentCheck, InvalidDocument};
pub use status::LinkStatus;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};

use automerge::{ActorId, AutoCommit};
use tokio::sync::watch;

use crate::core::CoreConfig;
use crate::doc::{self, DocError, Limits, LoadedDoc};
use crate::journal::{Attestor, CommitJournal, Committed, Origin};
use crate::route::Link;
use crate::store::{DocWrite, Store, StoreError, TxWork};
use crate::topology::{Topology, UnitCode};
use crate::transport::TransportConfig;

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
        rule: InvalidDocument,
    },
    #[error(
        "document {doc_id} from {peer}: scope {scope:?} does not touch the subtree this link carries"
    )]
    OutOfScope {
        doc_id: String,
        peer: UnitCode,
        scope: Vec<String>,
    },
    #[error(
        "documents {} from {peer} came as changes on a version not held here; \
         they are asked for whole when the link starts again",
        doc_ids.join(", ")
    )]
    MissingBase {
        peer: UnitCode,
        doc_ids: Vec<String>,
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
            HubError::MissingBase { .. } => "missing_base",
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

/// A document as held here.
pub struct HeldDoc {
    pub loaded: LoadedDoc,
    pub seq: u64,
    /// When this node first stored the document (its own clock, ms since epoch).
    pub first_seen_ms: i64,
}

/// Milliseconds since the epoch; tests and the simulator supply their own.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// Work for documents derived before their feed positions are known: given
/// `after` (they get positions `after + 1 ..`), the work to run inside the commit's
/// transaction. Deriving it is the costly part (it reads every document), so it is
/// done before the hub's write lock is taken where it can be.
pub type StagedWork = Box<dyn FnOnce(u64) -> TxWork + Send>;

/// Told about every commit, in commit order, with the documents it wrote already
/// decoded — so the node's projections need not load them again.
pub trait CommitObserver: Send + Sync {
    /// `docs` got feed positions `after + 1 ..= after + docs.len()`, in order.
    /// Called while the hub's write lock is held: keep it quick and never block.
    fn committed(&self, after: u64, docs: &mut [(String, AutoCommit)]);

    /// Work to run inside the transaction that commits `docs`, in this order;
    /// when given, `committed` is not called for them. May be called outside the
    /// write lock, before the positions are known, so it must depend on nothing
    /// but `docs` (what is in the store is read by the work, in the transaction).
    fn stage(&self, docs: &mut [(String, AutoCommit)]) -> Option<StagedWork> {
        let _ = docs;
        None
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
    /// The store's recovery mark as last read or set (`recovery.rs`); sessions
    /// end when it is set, so that they start again under the new epoch.
    recovery_tx: watch::Sender<Option<crate::store::RecoveryMark>>,
    links: Mutex<BTreeMap<UnitCode, LinkStatus>>,
    /// Per peer, documents that came as changes on a version we do not hold:
    /// asked for whole in our next Hello to it (`Hub::wanted_whole`). Memory
    /// only: after a restart the same changes are refused again and asked again.
    wanted_whole: Mutex<BTreeMap<UnitCode, BTreeSet<String>>>,
    /// Per peer, how far it had applied our feed as of which of our positions
    /// (`acks`): whether it holds the version a write replaced. Memory only:
    /// after a restart, what was rewritten before goes whole once.
    acks: Mutex<BTreeMap<UnitCode, acks::AckLog>>,
    clock: Clock,
    observer: Mutex<Option<Arc<dyn CommitObserver>>>,
    check: Mutex<Option<Arc<dyn DocumentCheck>>>,
    journal: Mutex<Option<Arc<dyn CommitJournal>>>,
    attestor: Mutex<Option<Arc<dyn Attestor>>>,
    /// Places for peers' batches prepared ahead of their apply (`peer.rs`).
    prepared_ahead: Arc<tokio::sync::Semaphore>,
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
            recovery_tx: watch::channel(None).0,
            links: Mutex::new(BTreeMap::new()),
            wanted_whole: Mutex::new(BTreeMap::new()),
            prepared_ahead: Arc::new(tokio::sync::Semaphore::new(peer::PREPARED_AHEAD)),
            acks: Mutex::new(BTreeMap::new()),
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

    fn observer(&self) -> Option<Arc<dyn CommitObserver>> {
        self.0
            .observer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The in-transaction work for `docs` (written as `writes`, at positions
    /// `after + 1 ..`): the observer's, if it has any, then the journal's. The flag
    /// says whether the observer's is in it (else it is told with `committed`
    /// afterwards).
    fn work_for(
        &self,
        after: u64,
        docs: &mut [(String, AutoCommit)],
        origin: Origin<'_>,
        writes: &[DocWrite],
    ) -> (Option<TxWork>, bool) {
        let staged = self.stage(docs);
        self.staged_work_for(after, staged, origin, writes)
    }

    /// The observer's work for `docs`, staged (see [`CommitObserver::stage`]).
    fn stage(&self, docs: &mut [(String, AutoCommit)]) -> Option<StagedWork> {
        if docs.is_empty() {
            return None;
        }
        self.observer().and_then(|o| o.stage(docs))
    }

    /// As [`Hub::work_for`], with the observer's part staged beforehand.
    fn staged_work_for(
        &self,
        after: u64,
        staged: Option<StagedWork>,
        origin: Origin<'_>,
        writes: &[DocWrite],
    ) -> (Option<TxWork>, bool) {
        if writes.is_empty() {
            return (None, false);
        }
        let observed = staged.map(|s| s(after));
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

    pub fn epoch(&self) -> String {
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

    /// Ids of the documents held whose id begins with `prefix` (at most `limit`).
    pub async fn ids_with_prefix(
        &self,
        prefix: &str,
        limit: usize,
    ) -> Result<Vec<String>, HubError> {
        Ok(self.0.store.ids_with_prefix(prefix, limit).await?)
    }

    /// Which of `doc_ids` are held, with when each was first stored here (ms).
    pub async fn held(&self, doc_ids: &[String]) -> Result<Vec<(String, i64)>, HubError> {
        Ok(self.0.store.held(doc_ids).await?)
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
}
