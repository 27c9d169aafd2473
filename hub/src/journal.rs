//! Hooks for a node's tamper-evident journal of commits and for attesting it to
//! the parent. The hub knows nothing of what a journal entry holds: it says where
//! each commit came from, runs the node's work inside the commit's transaction (so
//! an entry exists exactly when the commit does), and carries opaque attestations
//! over the link (`Attestation` frames), which never end a session.

use async_trait::async_trait;

use crate::store::TxWork;
use crate::topology::UnitCode;

/// Where the documents of one commit came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin<'a> {
    /// Written on this node (`Hub::update`).
    Local,
    /// Merged from a batch of this peer's.
    Peer(&'a UnitCode),
}

/// One document of a commit, as the journal sees it.
#[derive(Debug, Clone, Copy)]
pub struct Committed<'a> {
    /// The document's new feed position.
    pub seq: u64,
    pub doc_id: &'a str,
    /// The document's heads after the commit, as stored (`Heads::encode`).
    pub heads: &'a str,
}

/// The node's journal: work run in the transaction of every commit that writes
/// documents (an error rolls the commit back), and of `Hub::journal_only`.
pub trait CommitJournal: Send + Sync {
    fn in_commit(&self, origin: Origin<'_>, docs: &[Committed<'_>]) -> TxWork;
}

/// The node's attestation of its own history to its parent, and the parent's
/// check of it. Called by the link driver outside any transaction.
#[async_trait]
pub trait Attestor: Send + Sync {
    /// Parent side: what to ask `child` for at the start of a session and after
    /// its batches (opaque). `None` asks nothing.
    async fn ask(&self, child: &UnitCode) -> Option<Vec<u8>>;
    /// Child side: the answer to the parent's ask.
    async fn attest(&self, parent: &UnitCode, ask: &[u8]) -> Result<Vec<u8>, String>;
    /// Parent side: checks `child`'s answer and records the outcome itself. The
    /// link goes on either way; `Err` is logged.
    async fn check(&self, child: &UnitCode, answer: &[u8]) -> Result<(), String>;
}
