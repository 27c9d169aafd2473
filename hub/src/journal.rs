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
    ///
    /// `rebase`: the child speaks under a new epoch; what was seen of its ledger
    /// before no longer binds it, and the attestor records that it starts again:
    /// as a restore the child's operator declared, or as a replacement nobody
    /// declared (worth a flag: a copy put back by hand, or a rewrite).
    async fn ask(&self, child: &UnitCode, rebase: Option<Rebase>) -> Option<Vec<u8>>;
    /// Child side: the answer to the parent's ask.
    async fn attest(&self, parent: &UnitCode, ask: &[u8]) -> Result<Vec<u8>, AttestationError>;
    /// Parent side: checks `child`'s answer and records the outcome itself (an
    /// answer that does not hold is recorded, not an error). `Err` is logged and
    /// the link goes on; `Verdict::WentBack` ends the session so that the child
    /// recovers.
    async fn check(&self, child: &UnitCode, answer: &[u8]) -> Result<Verdict, AttestationError>;

    /// Either side: a mark of this node's store as it stands (sent with each
    /// batch; the peer keeps the last and names it in its next Hello). `None`:
    /// no mark.
    async fn mark(&self) -> Option<Vec<u8>> {
        None
    }

    /// Either side: whether this node's store still holds `mark` (one of its own
    /// marks, as a peer saw it). `false` means the store went back in time.
    async fn holds(&self, mark: &[u8]) -> Result<bool, AttestationError> {
        let _ = mark;
        Ok(true)
    }
}

pub use crate::core::Rebase;

/// What a child's answer shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Its ledger extends what was seen (or the answer was to an older ask).
    Holds,
    /// Its ledger no longer holds what was seen (why): the store went back in
    /// time (restored from a copy, or rewritten).
    WentBack(String),
}

/// Why an attestation could not be given or checked. Either way the link goes on.
#[derive(Debug, thiserror::Error)]
pub enum AttestationError {
    /// The frame from the peer is not an ask or an answer this node can read.
    #[error("{0}")]
    Malformed(String),
    /// The node's own journal could not be read or written.
    #[error("{0}")]
    Journal(String),
}

#[cfg(test)]
mod tests {
    //! The journal's promise: an entry exactly for every committed document, in
    //! the commit's transaction, and none for a commit that rolled back.
    use std::sync::Arc;

    use automerge::ROOT;
    use automerge::transaction::Transactable;

    use super::*;
    use crate::engine::Create;
    use crate::store::TxStep;

    struct Rows;

    impl CommitJournal for Rows {
        fn in_commit(&self, origin: Origin<'_>, docs: &[Committed<'_>]) -> TxWork {
            let origin = match origin {
                Origin::Local => "local".to_owned(),
                Origin::Peer(p) => p.to_string(),
            };
            let rows: Vec<(i64, String, String)> = docs
                .iter()
                .map(|d| (d.seq as i64, d.doc_id.to_owned(), d.heads.to_owned()))
                .collect();
            Box::new(move |conn| {
                Box::pin(async move {
                    for (seq, doc, heads) in rows {
                        sqlx::query(
                            "INSERT INTO journal (seq, doc, heads, origin) VALUES ($1, $2, $3, $4)",
                        )
                        .bind(seq)
                        .bind(doc)
                        .bind(heads)
                        .bind(origin.clone())
                        .execute(&mut *conn)
                        .await?;
                    }
                    Ok(())
                })
            })
        }
    }

    /// A step that fails: its whole commit rolls back.
    fn failing() -> TxStep {
        Arc::new(|conn| {
            Box::pin(async move {
                sqlx::query("SELECT no_such_column FROM journal")
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            })
        })
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_committed_document_has_its_entry_and_a_rolled_back_one_none() {
        let (_dir, hub, db) = crate::engine::group_commit::county_hub(
            "CREATE TABLE journal (seq INTEGER, doc TEXT, heads TEXT, origin TEXT)",
        )
        .await;
        let unit = hub.me().clone();
        hub.set_journal(Arc::new(Rows));
        let ids = ["a", "b", "bad!", "c", "d", "e"];
        let mut tasks = Vec::new();
        for id in ids {
            let (hub, unit) = (hub.clone(), unit.clone());
            tasks.push(tokio::spawn(async move {
                hub.update_with(id, Create::New, move |d| {
                    crate::doc::extend_scope(id, d, [&unit]).map_err(|e| e.to_string())?;
                    d.put(ROOT, "n", 1i64).map_err(|e| e.to_string())?;
                    let step = id.ends_with('!').then(|| failing().into());
                    Ok::<_, String>(((), step))
                })
                .await
            }));
        }
        for (id, t) in ids.iter().zip(tasks) {
            let r = t.await.expect("task");
            assert_eq!(r.is_err(), id.ends_with('!'), "{id}");
        }
        // The journal holds exactly the stored documents, at their feed positions
        // and heads, all local.
        let journal: Vec<(i64, String, String, String)> =
            sqlx::query_as("SELECT seq, doc, heads, origin FROM journal ORDER BY seq")
                .fetch_all(db.pool())
                .await
                .expect("journal");
        let stored: Vec<(i64, String, String)> =
            sqlx::query_as("SELECT seq, doc_id, heads FROM hub_docs ORDER BY seq")
                .fetch_all(db.pool())
                .await
                .expect("docs");
        assert_eq!(stored.len(), 5);
        assert_eq!(
            journal
                .iter()
                .map(|(s, d, h, _)| (*s, d.clone(), h.clone()))
                .collect::<Vec<_>>(),
            stored
        );
        assert!(journal.iter().all(|j| j.3 == "local"));
    }
}
