//! The outbox (短信告知): at the registering unit's node — the only one holding
//! the petitioner's phone — every notice or change of status the petitioner is
//! owed is queued (which message, for which case, by text message), handed to
//! the office's gateway by a configured [`Sender`], retried with a growing wait,
//! and every attempt, delivered or failed, recorded in the case as a `delivery`
//! record that replicates like any other (so the handling unit and superiors see
//! that the petitioner was told).
//!
//! [`messages`] (pure) says what is owed; [`sender`] hands one message over;
//! [`worker`] follows the hub's feed to queue, and a timer to deliver, keeping
//! the queue in `node_outbox` (migration 10019). Delivery is at least once: a
//! node stopped between the gateway's answer and the record sends that message
//! again; the `about` field lets a gateway drop the repeat.

pub mod messages;
pub mod sender;
mod worker;

use std::time::Duration;

pub use sender::{Sender, SenderError};
pub use worker::{Outbox, OutboxCounts};

/// How the outbox runs.
#[derive(Debug, Clone)]
pub struct OutboxConfig {
    pub sender: Sender,
    /// The wait after the first failure; each further failure doubles it.
    pub first_retry: Duration,
    /// The longest wait between two attempts.
    pub max_retry: Duration,
    /// Attempts before a message is given up (recorded as failed for good).
    pub attempts: u32,
    /// How often queued messages are looked at (besides every change).
    pub every: Duration,
}

impl OutboxConfig {
    /// A minute after the first failure, doubling up to an hour, eight attempts
    /// (about four hours in all), looked at every five seconds.
    pub fn new(sender: Sender) -> OutboxConfig {
        OutboxConfig {
            sender,
            first_retry: Duration::from_secs(60),
            max_retry: Duration::from_secs(3600),
            attempts: 8,
            every: Duration::from_secs(5),
        }
    }

    /// The wait before attempt `n + 1` after `n` failed attempts.
    pub fn backoff(&self, failed: u32) -> Duration {
        let factor = 2u32.saturating_pow(failed.saturating_sub(1));
        self.first_retry.saturating_mul(factor).min(self.max_retry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_doubles_up_to_its_cap() {
        let c = OutboxConfig::new(Sender::Command {
            program: "/bin/true".into(),
            args: Vec::new(),
        });
        let waits: Vec<u64> = (1..=9).map(|n| c.backoff(n).as_secs()).collect();
        assert_eq!(waits, [60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
    }
}
