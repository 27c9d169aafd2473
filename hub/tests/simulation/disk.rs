//! A simulated disk: a [`Store`] that keeps, beside the documents and link
//! cursors, the node's hash-chained journal (one entry per committed document,
//! as the node's ledger keeps one) and, on a parent, what it last saw of each
//! child's journal. It can lose what was not yet flushed (a power loss under
//! `synchronous = NORMAL`), refuse commits (disk full), be copied (a backup) and
//! be put back from an older copy (a restore, declared or not).
//!
//! Every change since the last flush is kept as an undo entry, so a power loss
//! rolls the state back to exactly what was durable and a backup copies the
//! durable state, without copying the disk at every flush.

use std::collections::{BTreeMap, HashMap};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use xinfang_hub::UnitCode;
use xinfang_hub::core::InboundCursor;
use xinfang_hub::store::{
    DocWrite, FeedRow, LinkRecord, PriorVersion, RecoveryMark, Store, StoreError, StoredDoc,
};

/// How the node's database syncs its commits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Every commit is on the disk when it returns.
    Full,
    /// Commits reach the disk at the next flush (a checkpoint); a power loss
    /// before it takes them back.
    Normal,
}

#[derive(Debug, Clone)]
struct Row {
    seq: u64,
    write: DocWrite,
    first_seen_ms: i64,
    prior: Option<PriorVersion>,
}

/// Everything on the disk.
#[derive(Debug, Clone)]
pub struct State {
    docs: HashMap<String, Row>,
    by_seq: BTreeMap<u64, String>,
    /// Document ids in the order first stored (for picking one at random).
    ids: Vec<String>,
    links: HashMap<UnitCode, LinkRecord>,
    head: u64,
    epoch: String,
    /// Epochs this disk has taken (names the next one deterministically).
    epochs_taken: u64,
    /// Every epoch this disk has had, the current one last.
    epochs: Vec<String>,
    recovery: Option<RecoveryMark>,
    /// The journal: entry n's hash at index n-1.
    chain: Vec<u64>,
    /// As a parent: each child's journal as last seen (entries, head hash).
    seen: HashMap<UnitCode, (u64, u64)>,
}

enum Undo {
    Doc(String, Option<Row>),
    Seq(u64, Option<String>),
    IdsLen(usize),
    Link(UnitCode, Option<LinkRecord>),
    Head(u64),
    Epoch(String, u64),
    EpochsLen(usize),
    Recovery(Option<RecoveryMark>),
    ChainLen(usize),
    Seen(UnitCode, Option<(u64, u64)>),
}

struct Inner {
    name: String,
    state: State,
    undo: Vec<Undo>,
    durability: Durability,
    full: bool,
}

pub struct SimDisk(Mutex<Inner>);

/// One journal entry's hash: the previous hash, the feed position, the
/// document and its heads.
fn chain_hash(prev: u64, seq: u64, doc_id: &str, heads: &str) -> u64 {
    let mut h = DefaultHasher::new();
    (prev, seq, doc_id, heads).hash(&mut h);
    h.finish()
}

impl Inner {
    fn logged(&mut self, undo: Undo) {
        if self.durability == Durability::Normal {
            self.undo.push(undo);
        }
    }

    fn new_epoch(&mut self) -> String {
        let old = (self.state.epoch.clone(), self.state.epochs_taken);
        self.logged(Undo::Epoch(old.0, old.1));
        let len = self.state.epochs.len();
        self.logged(Undo::EpochsLen(len));
        self.state.epochs_taken += 1;
        self.state.epoch = format!("{}-e{}", self.name, self.state.epochs_taken);
        self.state.epochs.push(self.state.epoch.clone());
        self.state.epoch.clone()
    }

    fn set_recovery(&mut self, mark: Option<RecoveryMark>) {
        let old = std::mem::replace(&mut self.state.recovery, mark);
        self.logged(Undo::Recovery(old));
    }

    fn revert(state: &mut State, undo: Undo) {
        match undo {
            Undo::Doc(id, row) => match row {
                Some(row) => {
                    state.docs.insert(id, row);
                }
                None => {
                    state.docs.remove(&id);
                }
            },
            Undo::Seq(seq, id) => match id {
                Some(id) => {
                    state.by_seq.insert(seq, id);
                }
                None => {
                    state.by_seq.remove(&seq);
                }
            },
            Undo::IdsLen(n) => state.ids.truncate(n),
            Undo::Link(peer, rec) => match rec {
                Some(rec) => {
                    state.links.insert(peer, rec);
                }
                None => {
                    state.links.remove(&peer);
                }
            },
            Undo::Head(h) => state.head = h,
            Undo::Epoch(e, n) => {
                state.epoch = e;
                state.epochs_taken = n;
            }
            Undo::EpochsLen(n) => state.epochs.truncate(n),
            Undo::Recovery(m) => state.recovery = m,
            Undo::ChainLen(n) => state.chain.truncate(n),
            Undo::Seen(child, s) => match s {
                Some(s) => {
                    state.seen.insert(child, s);
                }
                None => {
                    state.seen.remove(&child);
                }
            },
        }
    }
}

impl SimDisk {
    pub fn new(name: &str, durability: Durability) -> SimDisk {
        SimDisk(Mutex::new(Inner {
            name: name.to_owned(),
            state: State {
                docs: HashMap::new(),
                by_seq: BTreeMap::new(),
                ids: Vec::new(),
                links: HashMap::new(),
                head: 0,
                epoch: format!("{name}-e0"),
                epochs_taken: 0,
                epochs: vec![format!("{name}-e0")],
                recovery: None,
                chain: Vec::new(),
                seen: HashMap::new(),
            },
            undo: Vec::new(),
            durability,
            full: false,
        }))
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn durability(&self) -> Durability {
        self.lock().durability
    }

    /// Everything committed reaches the disk (a checkpoint).
    pub fn flush(&self) {
        self.lock().undo.clear();
    }

    /// The power fails: what was not flushed is gone. Returns how many changes
    /// were lost.
    pub fn power_loss(&self) -> usize {
        let mut g = self.lock();
        let lost = g.undo.len();
        while let Some(u) = g.undo.pop() {
            Inner::revert(&mut g.state, u);
        }
        lost
    }

    /// Whether a power loss now would take something.
    pub fn has_unflushed(&self) -> bool {
        !self.lock().undo.is_empty()
    }

    pub fn set_full(&self, full: bool) {
        self.lock().full = full;
    }

    pub fn is_full(&self) -> bool {
        self.lock().full
    }

    /// A copy of what is on the disk (a backup: what was flushed).
    pub fn backup(&self) -> State {
        let g = self.lock();
        let mut copy = g.state.clone();
        for u in g.undo.iter().rev() {
            Inner::revert(&mut copy, clone_undo(u));
        }
        copy
    }

    /// Puts `copy` back. `declared`: by the restore command, which marks the
    /// store as recovering under a new epoch; otherwise the copy is put back by
    /// hand and keeps the epoch it had (the peers must find out).
    pub fn restore(&self, copy: State, declared: bool, now_ms: i64) {
        let mut g = self.lock();
        g.undo.clear();
        g.state = copy;
        if declared {
            let epoch = g.new_epoch();
            g.set_recovery(Some(RecoveryMark {
                reason: "restored from a backup".into(),
                since_ms: now_ms,
                epoch,
                declared: true,
            }));
        }
        g.undo.clear();
    }

    /// The document's bytes as the disk holds them durably.
    pub fn durable_bytes(&self, doc_id: &str) -> Option<Vec<u8>> {
        let g = self.lock();
        let logged = g.undo.iter().find_map(|u| match u {
            Undo::Doc(id, row) if id == doc_id => Some(row.as_ref().map(|r| r.write.bytes.clone())),
            _ => None,
        });
        match logged {
            Some(before_flush) => before_flush,
            None => g.state.docs.get(doc_id).map(|r| r.write.bytes.clone()),
        }
    }

    /// Every document held: (id, heads, scope).
    pub fn rows(&self) -> Vec<(String, String, Vec<UnitCode>)> {
        let g = self.lock();
        g.state
            .docs
            .iter()
            .map(|(id, r)| {
                (
                    id.clone(),
                    r.write.heads.clone(),
                    r.write.scope.iter().cloned().collect(),
                )
            })
            .collect()
    }

    pub fn heads(&self, doc_id: &str) -> Option<String> {
        self.lock()
            .state
            .docs
            .get(doc_id)
            .map(|r| r.write.heads.clone())
    }

    pub fn bytes(&self, doc_id: &str) -> Option<Vec<u8>> {
        self.lock()
            .state
            .docs
            .get(doc_id)
            .map(|r| r.write.bytes.clone())
    }

    /// A document held here, picked by `pick(count)`.
    pub fn pick_id(&self, pick: impl FnOnce(usize) -> usize) -> Option<String> {
        let g = self.lock();
        if g.state.ids.is_empty() {
            return None;
        }
        let i = pick(g.state.ids.len());
        g.state.ids.get(i).cloned()
    }

    pub fn doc_count(&self) -> usize {
        self.lock().state.docs.len()
    }

    // The journal, as the node's ledger keeps it (see `ledger`).

    /// (entries, head hash).
    pub fn journal_head(&self) -> (u64, u64) {
        let g = self.lock();
        (
            g.state.chain.len() as u64,
            g.state.chain.last().copied().unwrap_or(0),
        )
    }

    /// Entry `n`'s hash, if the journal has it (entry 0 is the empty journal).
    pub fn journal_entry(&self, n: u64) -> Option<u64> {
        let g = self.lock();
        match n {
            0 => Some(0),
            n => g.state.chain.get(n as usize - 1).copied(),
        }
    }

    pub fn seen(&self, child: &UnitCode) -> Option<(u64, u64)> {
        self.lock().state.seen.get(child).copied()
    }

    pub fn set_seen(&self, child: &UnitCode, seen: Option<(u64, u64)>) {
        let mut g = self.lock();
        let old = match seen {
            Some(s) => g.state.seen.insert(child.clone(), s),
            None => g.state.seen.remove(child),
        };
        g.logged(Undo::Seen(child.clone(), old));
    }
}

fn clone_undo(u: &Undo) -> Undo {
    match u {
        Undo::Doc(a, b) => Undo::Doc(a.clone(), b.clone()),
        Undo::Seq(a, b) => Undo::Seq(*a, b.clone()),
        Undo::IdsLen(n) => Undo::IdsLen(*n),
        Undo::Link(a, b) => Undo::Link(a.clone(), b.clone()),
        Undo::Head(h) => Undo::Head(*h),
        Undo::Epoch(e, n) => Undo::Epoch(e.clone(), *n),
        Undo::EpochsLen(n) => Undo::EpochsLen(*n),
        Undo::Recovery(m) => Undo::Recovery(m.clone()),
        Undo::ChainLen(n) => Undo::ChainLen(*n),
        Undo::Seen(a, b) => Undo::Seen(a.clone(), *b),
    }
}

fn disk_full() -> StoreError {
    StoreError::Db("database or disk is full".into())
}

#[async_trait]
impl Store for SimDisk {
    fn epoch(&self) -> String {
        self.lock().state.epoch.clone()
    }

    async fn begin_recovery(&self, reason: &str, now_ms: i64) -> Result<String, StoreError> {
        let mut g = self.lock();
        let epoch = g.new_epoch();
        g.set_recovery(Some(RecoveryMark {
            reason: reason.to_owned(),
            since_ms: now_ms,
            epoch: epoch.clone(),
            declared: false,
        }));
        Ok(epoch)
    }

    async fn epochs(&self) -> Result<Vec<String>, StoreError> {
        Ok(self.lock().state.epochs.clone())
    }

    async fn recovery(&self) -> Result<Option<RecoveryMark>, StoreError> {
        Ok(self.lock().state.recovery.clone())
    }

    async fn end_recovery(&self) -> Result<(), StoreError> {
        self.lock().set_recovery(None);
        Ok(())
    }

    fn head(&self) -> u64 {
        self.lock().state.head
    }

    async fn get(&self, doc_ids: &[String]) -> Result<Vec<StoredDoc>, StoreError> {
        let g = self.lock();
        Ok(doc_ids
            .iter()
            .filter_map(|id| {
                g.state.docs.get(id).map(|r| StoredDoc {
                    doc_id: id.clone(),
                    seq: r.seq,
                    heads: r.write.heads.clone(),
                    first_seen_ms: r.first_seen_ms,
                    bytes: r.write.bytes.clone(),
                })
            })
            .collect())
    }

    async fn commit(
        &self,
        writes: Vec<DocWrite>,
        cursor: Option<(UnitCode, InboundCursor)>,
        now_ms: i64,
    ) -> Result<u64, StoreError> {
        let mut g = self.lock();
        if g.full {
            return Err(disk_full());
        }
        let head = g.state.head;
        g.logged(Undo::Head(head));
        let chain_len = g.state.chain.len();
        g.logged(Undo::ChainLen(chain_len));
        let ids_len = g.state.ids.len();
        g.logged(Undo::IdsLen(ids_len));
        let mut head = head;
        for w in writes {
            head += 1;
            let old = g.state.docs.get(&w.doc_id).cloned();
            let (first_seen_ms, prior) = match &old {
                Some(old) => {
                    let prev = g.state.by_seq.remove(&old.seq);
                    g.logged(Undo::Seq(old.seq, prev));
                    let prior = PriorVersion::replaced(
                        old.seq,
                        &old.write.heads,
                        &old.write.scope,
                        &w.scope,
                    );
                    (old.first_seen_ms, Some(prior))
                }
                None => {
                    g.state.ids.push(w.doc_id.clone());
                    (now_ms, None)
                }
            };
            let prev_hash = g.state.chain.last().copied().unwrap_or(0);
            let entry = chain_hash(prev_hash, head, &w.doc_id, &w.heads);
            g.state.chain.push(entry);
            let prev = g.state.by_seq.insert(head, w.doc_id.clone());
            g.logged(Undo::Seq(head, prev));
            g.logged(Undo::Doc(w.doc_id.clone(), old));
            g.state.docs.insert(
                w.doc_id.clone(),
                Row {
                    seq: head,
                    write: w,
                    first_seen_ms,
                    prior,
                },
            );
        }
        if let Some((peer, c)) = cursor {
            let old = g.state.links.get(&peer).cloned();
            g.logged(Undo::Link(peer.clone(), old.clone()));
            let mut rec = old.unwrap_or_default();
            rec.inbound = c;
            rec.last_sync_ms = Some(now_ms);
            g.state.links.insert(peer, rec);
        }
        g.state.head = head;
        Ok(head)
    }

    async fn scan(&self, after: u64, limit: usize) -> Result<Vec<FeedRow>, StoreError> {
        let g = self.lock();
        Ok(g.state
            .by_seq
            .range(after + 1..)
            .take(limit)
            .filter_map(|(seq, id)| {
                g.state.docs.get(id).map(|r| FeedRow {
                    doc_id: id.clone(),
                    seq: *seq,
                    scope: r.write.scope.clone(),
                    source: r.write.source.clone(),
                    prior: r.prior.clone(),
                })
            })
            .collect())
    }

    async fn link(&self, peer: &UnitCode) -> Result<Option<LinkRecord>, StoreError> {
        Ok(self.lock().state.links.get(peer).cloned())
    }

    async fn save_acked(&self, peer: &UnitCode, upto: u64, now_ms: i64) -> Result<(), StoreError> {
        let mut g = self.lock();
        if g.full {
            return Err(disk_full());
        }
        let old = g.state.links.get(peer).cloned();
        g.logged(Undo::Link(peer.clone(), old.clone()));
        let mut rec = old.unwrap_or_default();
        rec.acked_upto = upto;
        rec.last_sync_ms = Some(now_ms);
        g.state.links.insert(peer.clone(), rec);
        Ok(())
    }

    async fn count_docs(&self) -> Result<u64, StoreError> {
        Ok(self.lock().state.docs.len() as u64)
    }

    async fn count_after(&self, after: u64) -> Result<u64, StoreError> {
        Ok(self.lock().state.by_seq.range(after + 1..).count() as u64)
    }

    async fn ids_with_prefix(&self, prefix: &str, limit: usize) -> Result<Vec<String>, StoreError> {
        let mut ids: Vec<String> = self
            .lock()
            .state
            .docs
            .keys()
            .filter(|id| id.starts_with(prefix))
            .cloned()
            .collect();
        ids.sort();
        ids.truncate(limit);
        Ok(ids)
    }

    async fn held(&self, doc_ids: &[String]) -> Result<Vec<(String, i64)>, StoreError> {
        let g = self.lock();
        Ok(doc_ids
            .iter()
            .filter_map(|id| g.state.docs.get(id).map(|r| (id.clone(), r.first_seen_ms)))
            .collect())
    }

    async fn written_since(&self, after: u64, doc_ids: &[String]) -> Result<bool, StoreError> {
        let g = self.lock();
        Ok(doc_ids
            .iter()
            .any(|id| g.state.docs.get(id).is_some_and(|r| r.seq > after)))
    }
}
