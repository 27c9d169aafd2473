//! Storage behind one interface. The hub's merge and routing logic lives above it
//! (in `engine`); a store only keeps rows durably and hands out feed positions.
//!
//! Contract every implementation keeps:
//! - `commit` is atomic: the documents and the cursor move together or not at all.
//! - `commit` gives each written document the next feed sequence number, in order;
//!   a document appears in the feed once, at its latest sequence number.
//! - Callers serialize `commit`s (the engine holds one write lock).

mod fold;
pub mod mem;
mod recent;
pub mod sql;
mod unsaved_acks;

use async_trait::async_trait;

use crate::core::InboundCursor;
// Defined with the database handle, which opens and migrates; re-exported here
// where every storage call returns it.
pub use crate::db::StoreError;
use crate::doc::Scope;
use crate::topology::UnitCode;
pub use fold::{Fold, Foldable, OwnWork, folded};

/// A document to write.
#[derive(Debug, Clone)]
pub struct DocWrite {
    pub doc_id: String,
    pub scope: Scope,
    pub heads: String,
    pub source: Option<UnitCode>,
    pub bytes: Vec<u8>,
}

/// A feed row without the document bytes (routing needs only this).
#[derive(Debug, Clone)]
pub struct FeedRow {
    pub doc_id: String,
    pub seq: u64,
    pub scope: Scope,
    pub source: Option<UnitCode>,
    /// The version this row replaced, if the document was held before.
    pub prior: Option<PriorVersion>,
}

/// The version of a document its latest write replaced: where it stood in the
/// feed, its heads and, where it differed, its scope. A peer whose position in
/// the feed is past `seq`, and to which that scope routes, was sent that version:
/// it is sent only the changes since.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriorVersion {
    pub seq: u64,
    /// As [`DocWrite::heads`].
    pub heads: String,
    /// `None`: the scope was what it is now.
    pub scope: Option<Scope>,
}

impl PriorVersion {
    /// What a write of a document with `new_scope` keeps of the row it replaces.
    pub fn replaced(seq: u64, heads: &str, scope: &Scope, new_scope: &Scope) -> PriorVersion {
        PriorVersion {
            seq,
            heads: heads.to_owned(),
            scope: (scope != new_scope).then(|| scope.clone()),
        }
    }
}

/// A stored document.
#[derive(Debug, Clone)]
pub struct StoredDoc {
    pub doc_id: String,
    pub seq: u64,
    pub heads: String,
    pub first_seen_ms: i64,
    pub bytes: Vec<u8>,
}

/// What we keep about a link.
#[derive(Debug, Clone, Default)]
pub struct LinkRecord {
    pub inbound: InboundCursor,
    pub acked_upto: u64,
    pub last_sync_ms: Option<i64>,
}

/// Work a node does inside the transaction that commits documents (its query
/// tables), so the tables change together with the documents or not at all. An
/// error rolls the whole commit back.
pub type TxWork = Box<
    dyn for<'c> FnOnce(
            &'c mut sqlx::AnyConnection,
        ) -> futures::future::BoxFuture<'c, Result<(), sqlx::Error>>
        + Send,
>;

/// A caller's own work to run in the transaction that commits its document (e.g.
/// the node's local rows that belong with a new case). Callable more than once:
/// a grouped commit that fails is retried one write at a time.
pub type TxStep = std::sync::Arc<
    dyn for<'c> Fn(
            &'c mut sqlx::AnyConnection,
        ) -> futures::future::BoxFuture<'c, Result<(), sqlx::Error>>
        + Send
        + Sync,
>;

/// The steps one after the other, as one step.
pub(crate) fn in_turn(steps: Vec<TxStep>) -> TxStep {
    std::sync::Arc::new(move |conn| {
        let steps = steps.clone();
        Box::pin(async move {
            for s in steps {
                s(&mut *conn).await?;
            }
            Ok(())
        })
    })
}

/// Why and since when a store is recovering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryMark {
    pub reason: String,
    pub since_ms: i64,
    /// The epoch the store took when the recovery began.
    pub epoch: String,
    /// An operator's restore began it (`xinfang admin restore`), rather than the
    /// store being found behind what a peer saw of it.
    pub declared: bool,
}

impl RecoveryMark {
    pub(crate) fn encode(&self) -> String {
        format!(
            "{}|{}|{}|{}",
            self.since_ms,
            self.epoch,
            u8::from(self.declared),
            self.reason
        )
    }

    pub(crate) fn decode(text: &str) -> Option<RecoveryMark> {
        let mut it = text.splitn(4, '|');
        let since_ms = it.next()?.parse().ok()?;
        let epoch = it.next()?.to_owned();
        let declared = it.next()? == "1";
        let reason = it.next()?.to_owned();
        Some(RecoveryMark {
            reason,
            since_ms,
            epoch,
            declared,
        })
    }
}

/// A fresh random epoch.
pub(crate) fn new_epoch() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Random id fixed when the store was created, and changed when it went back
    /// in time (restored, or found behind what a peer saw): a new one tells peers
    /// their cursors into our feed are void.
    fn epoch(&self) -> String;
    /// Every epoch this store has had, the current one last. A peer whose cursor
    /// names an epoch not among them knew a store this one is not (a newer copy
    /// this one was put back behind, or the store before a rebuild).
    async fn epochs(&self) -> Result<Vec<String>, StoreError>;
    /// Marks the store as recovering (`reason`) under a new epoch, durably; returns
    /// the new epoch. Peers send a recovering store everything in its scope,
    /// including what came from it.
    async fn begin_recovery(&self, reason: &str, now_ms: i64) -> Result<String, StoreError>;
    /// The recovery mark, if the store is recovering.
    async fn recovery(&self) -> Result<Option<RecoveryMark>, StoreError>;
    /// Clears the recovery mark.
    async fn end_recovery(&self) -> Result<(), StoreError>;
    /// The highest feed sequence number committed.
    fn head(&self) -> u64;
    async fn get(&self, doc_ids: &[String]) -> Result<Vec<StoredDoc>, StoreError>;
    /// Writes documents at new sequence numbers and, if given, moves a peer's inbound
    /// cursor, atomically. Returns the new head.
    async fn commit(
        &self,
        writes: Vec<DocWrite>,
        cursor: Option<(UnitCode, InboundCursor)>,
        now_ms: i64,
    ) -> Result<u64, StoreError>;
    /// As `commit`, running `work` in the same transaction where the store has one
    /// it can share (the SQL store); other stores commit and drop it.
    async fn commit_with(
        &self,
        writes: Vec<DocWrite>,
        cursor: Option<(UnitCode, InboundCursor)>,
        now_ms: i64,
        work: Option<TxWork>,
    ) -> Result<u64, StoreError> {
        let _ = work;
        self.commit(writes, cursor, now_ms).await
    }
    /// Feed rows with `seq > after`, in order, at most `limit`.
    async fn scan(&self, after: u64, limit: usize) -> Result<Vec<FeedRow>, StoreError>;
    async fn link(&self, peer: &UnitCode) -> Result<Option<LinkRecord>, StoreError>;
    async fn save_acked(&self, peer: &UnitCode, upto: u64, now_ms: i64) -> Result<(), StoreError>;
    async fn count_docs(&self) -> Result<u64, StoreError>;
    /// Feed rows with `seq > after` (how far behind a peer is).
    async fn count_after(&self, after: u64) -> Result<u64, StoreError>;
    /// Ids of the documents held whose id begins with `prefix`, in order, at most
    /// `limit`.
    async fn ids_with_prefix(&self, prefix: &str, limit: usize) -> Result<Vec<String>, StoreError>;
    /// Which of `doc_ids` are held, with when each was first stored here (ms),
    /// without reading a document.
    async fn held(&self, doc_ids: &[String]) -> Result<Vec<(String, i64)>, StoreError>;
    /// Whether any of `doc_ids` was written at a feed position after `after` (a
    /// batch judged before the write lock, checked under it).
    async fn written_since(&self, after: u64, doc_ids: &[String]) -> Result<bool, StoreError>;
}

pub(crate) fn scope_to_text(scope: &Scope) -> String {
    scope
        .iter()
        .map(UnitCode::as_str)
        .collect::<Vec<_>>()
        .join(",")
}

pub(crate) fn scope_from_text(doc_id: &str, text: &str) -> Result<Scope, StoreError> {
    text.split(',')
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse().map_err(|_| StoreError::Corrupt {
                doc_id: doc_id.to_owned(),
                message: format!("scope entry {s:?} is not a unit code"),
            })
        })
        .collect()
}
