//! The hub: one node's documents, feed, write path and the routing of its links.
//! Everything a link needs from storage goes through here, so the sans-IO core, the
//! tonic driver and the simulator all share one merge and routing implementation.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use automerge::{ActorId, AutoCommit};
use tokio::sync::watch;
use xinfang_proto::v1::DocEntry;

use crate::core::{CoreConfig, InboundCursor};
use crate::doc::{self, DocError, Heads, Limits, LoadedDoc};
use crate::net::TransportConfig;
use crate::route::{Link, PeerRole};
use crate::store::{DocWrite, LinkRecord, Store, StoreError, TxWork};
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
    /// large), and the documents they carried. Nothing of them was stored.
    pub refused_batches: u64,
    pub refused_docs: u64,
    /// Sessions the peer ended with a `LinkError` (it refused something of ours).
    pub errors_from_peer: u64,
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

/// The domain's rules for documents that arrive from a peer (the hub itself knows
/// no kinds). Checked for every document of a batch, after its size, `_id` and
/// scope, before anything of the batch is written.
pub trait DocumentCheck: Send + Sync {
    /// `Err(rule)` refuses the whole batch; `rule` names the field and the rule.
    fn check(&self, doc_id: &str, doc: &AutoCommit) -> Result<(), String>;
}

struct Inner {
    me: UnitCode,
    topology: Arc<Topology>,
    store: Arc<dyn Store>,
    cfg: HubConfig,
    actor: ActorId,
    write_lock: tokio::sync::Mutex<()>,
    head_tx: watch::Sender<u64>,
    links: Mutex<BTreeMap<UnitCode, LinkStatus>>,
    clock: Clock,
    observer: Mutex<Option<Arc<dyn CommitObserver>>>,
    check: Mutex<Option<Arc<dyn DocumentCheck>>>,
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
            head_tx,
            links: Mutex::new(BTreeMap::new()),
            clock,
            observer: Mutex::new(None),
            check: Mutex::new(None),
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

    fn observer(&self) -> Option<Arc<dyn CommitObserver>> {
        self.0
            .observer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The observer's in-transaction work for `docs`, if it has any.
    fn work_for(&self, after: u64, docs: &mut [(String, AutoCommit)]) -> Option<TxWork> {
        if docs.is_empty() {
            return None;
        }
        self.observer().and_then(|o| o.in_commit(after, docs))
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
        let limits = &self.0.cfg.limits;
        doc::check_id(doc_id, limits).map_err(HubError::from)?;
        let _guard = self.0.write_lock.lock().await;
        let existing = self.get(doc_id).await?;
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
        let out = f(&mut doc).map_err(UpdateError::Rule)?;
        let scope = doc::read_scope(doc_id, &doc).map_err(HubError::from)?;
        let heads = Heads::of(&mut doc);
        if heads == before {
            return Ok(out);
        }
        let bytes = doc.save();
        if bytes.len() > limits.max_doc_bytes {
            return Err(HubError::Doc(DocError::TooLarge {
                doc_id: doc_id.to_owned(),
                size: bytes.len(),
                limit: limits.max_doc_bytes,
            })
            .into());
        }
        let write = DocWrite {
            doc_id: doc_id.to_owned(),
            scope,
            heads: heads.encode(),
            source: None,
            bytes,
        };
        let after = self.0.store.head();
        let mut docs = [(doc_id.to_owned(), doc)];
        let work = self.work_for(after, &mut docs);
        let in_tx = work.is_some();
        let head = self
            .0
            .store
            .commit_with(vec![write], None, self.now_ms(), work)
            .await
            .map_err(HubError::from)?;
        if !in_tx {
            self.notify(after, &mut docs);
        }
        self.0.head_tx.send_replace(head);
        Ok(out)
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
        for (id, inc, raw) in incoming {
            // A batch may name a document twice: merge into what we just produced.
            let prior = match merged_here.get(&id) {
                Some(&i) => Some(doc::decode(&id, &writes[i].bytes, limits)?),
                None => existing.remove(&id),
            };
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
        let work = if changed {
            self.work_for(after, &mut merged_docs)
        } else {
            None
        };
        let in_tx = work.is_some();
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
            if !in_tx {
                self.notify(after, &mut merged_docs);
            }
            self.0.head_tx.send_replace(head);
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
