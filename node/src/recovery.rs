//! A node whose store went back in time recovers before it numbers cases again
//! (docs/operations.md, "Backup and restore"). The hub begins the recovery (a
//! restore marks the store; a parent that finds our ledger behind what it saw
//! ends the session with `store_went_back`) and carries it out: a new epoch, so
//! every peer sends everything again, including what came from us. This module
//! decides when it is complete and what completing it means here:
//!
//! - complete when every link, the parent's and each child's, has caught up
//!   both ways in a session under the new epoch: a child may hold what came from
//!   us and nobody else has (a case we forwarded down), and it sends that only
//!   while we say we recover; a child cut off for good is for an administrator's
//!   `end`;
//! - then the case-number counters are read again from what the node now holds,
//!   so the next number is past every number seen, and the mark is cleared;
//! - an administrator may end it for a node cut off for good (`end`), recorded
//!   in the ledger with their name and reason.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use xinfang_hub::Hub;
use xinfang_hub::db::Db;
use xinfang_hub::store::RecoveryMark;

use crate::case::numbering::CaseNumbers;
use crate::error::NodeError;
use crate::ledger::{EntryKind, Ledger, NewEntry};

/// How often the links are looked at while recovering.
const POLL: Duration = Duration::from_millis(200);

pub struct Recovery {
    hub: Hub,
    db: Db,
    ledger: Arc<Ledger>,
    numbers: Arc<CaseNumbers>,
}

impl Recovery {
    pub fn new(hub: Hub, db: Db, ledger: Arc<Ledger>, numbers: Arc<CaseNumbers>) -> Arc<Recovery> {
        Arc::new(Recovery {
            hub,
            db,
            ledger,
            numbers,
        })
    }

    /// Watches the recovery mark until `shutdown`; completes a recovery when its
    /// links say so.
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let mut marks = self.hub.watch_recovery();
        loop {
            let mark = marks.borrow_and_update().clone();
            let wait = match mark {
                Some(mark) if self.recovered(&mark) => {
                    if let Err(e) = self.finish(None).await {
                        tracing::error!(error = %e, "could not complete the recovery");
                    }
                    continue;
                }
                Some(_) => Some(POLL),
                None => None,
            };
            tokio::select! {
                _ = shutdown.changed() => return,
                changed = marks.changed() => if changed.is_err() { return },
                _ = tokio::time::sleep(wait.unwrap_or(Duration::MAX / 4)), if wait.is_some() => {}
            }
        }
    }

    /// Whether every peer has sent us everything, under `mark`'s epoch.
    fn recovered(&self, mark: &RecoveryMark) -> bool {
        self.hub.links().iter().all(|l| {
            self.hub.with_link_status(&l.peer, |s| {
                s.connected && s.in_sync && s.session_epoch == mark.epoch
            })
        })
    }

    /// Registrations that carry a case number an earlier registration holds.
    pub async fn number_collisions(&self) -> Result<u64, NodeError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM node_case_collisions")
            .fetch_one(self.db.pool())
            .await?;
        Ok(n as u64)
    }

    /// Ends the recovery: by the node when complete (`by` None), or by an
    /// administrator (`by`: their name and reason). Recorded in the ledger.
    pub async fn finish(&self, by: Option<(&str, &str)>) -> Result<(), NodeError> {
        let Some(mark) = self.hub.recovery() else {
            return Err(NodeError::Rule {
                rule: "node.recovering",
                message: "this node is not recovering; there is nothing to end".into(),
            });
        };
        self.numbers.forget().await;
        let (actor, detail) = match by {
            None => (
                String::new(),
                format!(
                    "recovery_complete: the parent sent back everything in this node's scope \
                     (recovering since {} ms: {})",
                    mark.since_ms, mark.reason
                ),
            ),
            Some((user, reason)) => (
                user.to_owned(),
                format!(
                    "recovery_ended_by_operator: {reason} (recovering since {} ms: {})",
                    mark.since_ms, mark.reason
                ),
            ),
        };
        self.ledger
            .append(
                vec![NewEntry {
                    kind: EntryKind::Audit,
                    doc_id: String::new(),
                    actor,
                    peer: String::new(),
                    detail,
                }],
                None,
            )
            .await?;
        self.hub.end_recovery().await?;
        tracing::info!(by = ?by.map(|b| b.0), "recovery complete: registrations are accepted again");
        Ok(())
    }
}
