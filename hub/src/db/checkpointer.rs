//! SQLite's write-ahead log copied into the database file beside the writer
//! rather than inside its commits.
//!
//! Left to itself SQLite checkpoints in the commit that takes the log past
//! 1,000 pages: that commit copies the pages and syncs the file before it
//! returns, while the writer holds every other write back. A task here checkpoints
//! (`PASSIVE`: never waiting for the writer, never blocking it) on a reader's
//! connection several times a second, so the writer's own checkpoint finds the
//! log nearly copied and only resets it.

use std::time::Duration;

use sqlx::AnyPool;
use tokio::sync::oneshot;

/// How often the log is copied into the file while it grows.
const EVERY: Duration = Duration::from_millis(100);

/// The running task; it stops when this is dropped (with the last clone of its
/// `Db`) or when the pool is closed.
pub(super) struct Checkpointer {
    _stop: oneshot::Sender<()>,
}

impl Checkpointer {
    pub(super) fn start(pool: AnyPool) -> Checkpointer {
        let (stop, mut stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = &mut stopped => break,
                    _ = tick.tick() => {}
                }
                if pool.is_closed() {
                    break;
                }
                if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                    .execute(&pool)
                    .await
                {
                    // The writer's own checkpoints still keep the log bounded.
                    tracing::debug!(error = %e, "background checkpoint failed");
                    if pool.is_closed() {
                        break;
                    }
                }
            }
        });
        Checkpointer { _stop: stop }
    }
}
