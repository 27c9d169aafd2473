//! Batches of the peer's feed prepared as they arrive.
//!
//! The core applies one batch at a time, in order, and a batch's commit is the
//! database's one writer at work. Decoding, judging and staging the next batch
//! needs no writer, so it starts as the batch arrives and runs while the one
//! before it commits; the apply then commits what was prepared. The engine checks
//! under its write lock what a prepared batch was judged against and judges it
//! again if a commit since wrote one of its documents, so starting early never
//! loses a change.

use std::collections::VecDeque;

use tokio::sync::{OwnedSemaphorePermit, oneshot};
use tokio::task::JoinHandle;
use xinfang_proto::v1::Batch;

use crate::engine::{Hub, HubError, Prepared};
use crate::route::Link;

/// A preparation's outcome, with the node's place for it
/// (`Hub::place_to_prepare_ahead`), held until the batch is committed.
type Outcome = (Result<Prepared, HubError>, OwnedSemaphorePermit);

/// The preparations started for one session's link, oldest first, each with the
/// feed position its batch ends at.
pub(super) struct EarlyBatches<T = Outcome> {
    started: VecDeque<(u64, JoinHandle<T>)>,
    /// Ends when the latest preparation started has ended: the next waits for it.
    latest: Option<oneshot::Receiver<()>>,
}

impl<T> Default for EarlyBatches<T> {
    fn default() -> Self {
        EarlyBatches {
            started: VecDeque::new(),
            latest: None,
        }
    }
}

impl EarlyBatches {
    /// Starts preparing batch `b` of `link`'s peer once the link's batch before
    /// it is prepared, if it carries documents and the node has a place free
    /// (else it is prepared at its apply, as it would have been). One at a time,
    /// in order: two at once would share the cores and hold back the earlier
    /// one's commit, which is what the later one should overlap.
    pub(super) fn start(&mut self, hub: &Hub, link: &Link, b: &Batch) {
        if b.docs.is_empty() {
            return;
        }
        let Some(place) = hub.place_to_prepare_ahead() else {
            return;
        };
        let (done, next) = oneshot::channel::<()>();
        let before = self.latest.replace(next);
        let (hub, link, docs) = (hub.clone(), link.clone(), b.docs.clone());
        let task = tokio::spawn(async move {
            if let Some(before) = before {
                // Ended, failed or stopped alike.
                let _ = before.await;
            }
            let prepared = hub.prepare_from(&link, docs).await;
            drop(done);
            (prepared, place)
        });
        self.started.push_back((b.upto, task));
    }
}

impl<T> EarlyBatches<T> {
    /// The task started for the batch that ends at `upto`, if one was. Those
    /// started for earlier batches are stopped: the core applies in order, so
    /// it will not ask for them.
    pub(super) fn take(&mut self, upto: u64) -> Option<JoinHandle<T>> {
        while let Some((at, task)) = self.started.pop_front() {
            if at == upto {
                return Some(task);
            }
            if at > upto {
                self.started.push_front((at, task));
                return None;
            }
            task.abort();
        }
        None
    }
}

/// The prepared batch [`EarlyBatches::take`] gave, once ready, with its place:
/// `None` if none was started or it failed (a failure is met again, against
/// what is held then, when the batch is prepared at its apply).
pub(super) async fn ready(
    task: Option<JoinHandle<Outcome>>,
) -> Option<(Prepared, OwnedSemaphorePermit)> {
    match task?.await {
        Ok((Ok(prepared), place)) => Some((prepared, place)),
        Ok((Err(e), _)) => {
            tracing::debug!(error = %e, "a batch prepared early failed; preparing it again");
            None
        }
        Err(_) => None,
    }
}

impl<T> Drop for EarlyBatches<T> {
    fn drop(&mut self) {
        for (_, task) in &self.started {
            task.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A task that runs until it is stopped, and what tells whether it was.
    fn endless() -> (JoinHandle<()>, tokio::task::AbortHandle) {
        let task = tokio::spawn(std::future::pending::<()>());
        let handle = task.abort_handle();
        (task, handle)
    }

    async fn stopped(handle: &tokio::task::AbortHandle) -> bool {
        for _ in 0..100 {
            if handle.is_finished() {
                return true;
            }
            tokio::task::yield_now().await;
        }
        false
    }

    #[tokio::test]
    async fn a_batch_gets_what_was_started_for_it_and_earlier_ones_stop() {
        let mut early = EarlyBatches::default();
        let (five, five_h) = endless();
        let (nine, nine_h) = endless();
        early.started.push_back((5, five));
        early.started.push_back((9, nine));
        assert!(early.take(3).is_none(), "nothing started for it");
        let got = early.take(9).expect("started for 9");
        assert!(
            stopped(&five_h).await,
            "the one for 5 will not be asked for"
        );
        assert!(!nine_h.is_finished());
        got.abort();
        assert!(early.take(9).is_none(), "taken once");
    }

    #[tokio::test]
    async fn the_rest_stop_with_the_session() {
        let mut early = EarlyBatches::default();
        let (task, handle) = endless();
        early.started.push_back((1, task));
        drop(early);
        assert!(stopped(&handle).await);
    }
}
