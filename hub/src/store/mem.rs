//! An in-memory store, for unit tests and the fuzzers (the simulation has a disk of
//! its own that can also lose unflushed commits and be put back from a copy:
//! `hub/tests/simulation/disk.rs`).

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;

use super::{
    DocWrite, FeedRow, LinkRecord, PriorVersion, RecoveryMark, Store, StoreError, StoredDoc,
};
use crate::core::InboundCursor;
use crate::topology::UnitCode;

/// A document held: its feed position, its write, when first seen, and the
/// version it replaced.
type Row = (u64, DocWrite, i64, Option<PriorVersion>);

#[derive(Default, Clone)]
struct Inner {
    epochs: Vec<String>,
    docs: HashMap<String, Row>,
    by_seq: BTreeMap<u64, String>,
    links: HashMap<UnitCode, LinkRecord>,
}

pub struct MemStore {
    epoch: Mutex<String>,
    recovery: Mutex<Option<RecoveryMark>>,
    head: AtomicU64,
    inner: Mutex<Inner>,
}

impl MemStore {
    pub fn new(epoch: impl Into<String>) -> Self {
        let epoch = epoch.into();
        MemStore {
            epoch: Mutex::new(epoch.clone()),
            recovery: Mutex::new(None),
            head: AtomicU64::new(0),
            inner: Mutex::new(Inner {
                epochs: vec![epoch],
                ..Inner::default()
            }),
        }
    }

    /// A copy of everything held, as a backup of a disk would be: a hub opened
    /// on it later is a node put back from that backup.
    pub fn snapshot(&self) -> MemStore {
        MemStore {
            epoch: Mutex::new(self.epoch()),
            recovery: Mutex::new(
                self.recovery
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .clone(),
            ),
            head: AtomicU64::new(self.head.load(Ordering::SeqCst)),
            inner: Mutex::new(self.lock().clone()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[async_trait]
impl Store for MemStore {
    fn epoch(&self) -> String {
        self.epoch.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    async fn begin_recovery(&self, reason: &str, now_ms: i64) -> Result<String, StoreError> {
        let epoch = super::new_epoch();
        *self.epoch.lock().unwrap_or_else(|p| p.into_inner()) = epoch.clone();
        self.lock().epochs.push(epoch.clone());
        *self.recovery.lock().unwrap_or_else(|p| p.into_inner()) = Some(RecoveryMark {
            reason: reason.to_owned(),
            since_ms: now_ms,
            epoch: epoch.clone(),
            declared: false,
        });
        Ok(epoch)
    }

    async fn epochs(&self) -> Result<Vec<String>, StoreError> {
        Ok(self.lock().epochs.clone())
    }

    async fn recovery(&self) -> Result<Option<RecoveryMark>, StoreError> {
        Ok(self
            .recovery
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone())
    }

    async fn end_recovery(&self) -> Result<(), StoreError> {
        *self.recovery.lock().unwrap_or_else(|p| p.into_inner()) = None;
        Ok(())
    }

    fn head(&self) -> u64 {
        self.head.load(Ordering::SeqCst)
    }

    async fn get(&self, doc_ids: &[String]) -> Result<Vec<StoredDoc>, StoreError> {
        let inner = self.lock();
        Ok(doc_ids
            .iter()
            .filter_map(|id| {
                inner.docs.get(id).map(|(seq, w, first, _)| StoredDoc {
                    doc_id: id.clone(),
                    seq: *seq,
                    heads: w.heads.clone(),
                    first_seen_ms: *first,
                    bytes: w.bytes.clone(),
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
        let mut inner = self.lock();
        let mut head = self.head.load(Ordering::SeqCst);
        for w in writes {
            head += 1;
            let (first, prior) = match inner.docs.get(&w.doc_id) {
                Some((old, was, first, _)) => {
                    let prior = PriorVersion::replaced(*old, &was.heads, &was.scope, &w.scope);
                    let (old, first) = (*old, *first);
                    inner.by_seq.remove(&old);
                    (first, Some(prior))
                }
                None => (now_ms, None),
            };
            inner.by_seq.insert(head, w.doc_id.clone());
            inner.docs.insert(w.doc_id.clone(), (head, w, first, prior));
        }
        if let Some((peer, c)) = cursor {
            let rec = inner.links.entry(peer).or_default();
            rec.inbound = c;
            rec.last_sync_ms = Some(now_ms);
        }
        self.head.store(head, Ordering::SeqCst);
        Ok(head)
    }

    async fn scan(&self, after: u64, limit: usize) -> Result<Vec<FeedRow>, StoreError> {
        let inner = self.lock();
        Ok(inner
            .by_seq
            .range(after + 1..)
            .take(limit)
            .filter_map(|(seq, id)| {
                inner.docs.get(id).map(|(_, w, _, prior)| FeedRow {
                    doc_id: id.clone(),
                    seq: *seq,
                    scope: w.scope.clone(),
                    source: w.source.clone(),
                    prior: prior.clone(),
                })
            })
            .collect())
    }

    async fn link(&self, peer: &UnitCode) -> Result<Option<LinkRecord>, StoreError> {
        Ok(self.lock().links.get(peer).cloned())
    }

    async fn save_acked(&self, peer: &UnitCode, upto: u64, now_ms: i64) -> Result<(), StoreError> {
        let mut inner = self.lock();
        let rec = inner.links.entry(peer.clone()).or_default();
        rec.acked_upto = upto;
        rec.last_sync_ms = Some(now_ms);
        Ok(())
    }

    async fn count_docs(&self) -> Result<u64, StoreError> {
        Ok(self.lock().docs.len() as u64)
    }

    async fn count_after(&self, after: u64) -> Result<u64, StoreError> {
        Ok(self.lock().by_seq.range(after + 1..).count() as u64)
    }

    async fn held(&self, doc_ids: &[String]) -> Result<Vec<(String, i64)>, StoreError> {
        let g = self.lock();
        Ok(doc_ids
            .iter()
            .filter_map(|id| g.docs.get(id).map(|(_, _, first, _)| (id.clone(), *first)))
            .collect())
    }

    async fn written_since(&self, after: u64, doc_ids: &[String]) -> Result<bool, StoreError> {
        let g = self.lock();
        Ok(doc_ids
            .iter()
            .any(|id| g.docs.get(id).is_some_and(|(seq, ..)| *seq > after)))
    }

    async fn ids_with_prefix(&self, prefix: &str, limit: usize) -> Result<Vec<String>, StoreError> {
        let mut ids: Vec<String> = self
            .lock()
            .docs
            .keys()
            .filter(|id| id.starts_with(prefix))
            .cloned()
            .collect();
        ids.sort();
        ids.truncate(limit);
        Ok(ids)
    }
}
