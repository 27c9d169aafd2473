//! The live status of each link (traffic, refusals, last sync), merged with what
//! storage keeps for `status`.

use super::{Hub, HubError};
use crate::route::{Link, PeerRole};
use crate::store::LinkRecord;
use crate::topology::UnitCode;

/// Live view of one link, for `status`.
#[derive(Debug, Clone, Default)]
pub struct LinkStatus {
    pub connected: bool,
    /// The peer's wall clock minus ours (ms), measured at its last Hello.
    pub clock_offset_ms: Option<i64>,
    /// Our epoch when the current (or last) session began.
    pub session_epoch: String,
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
    /// From the session's start until both directions had caught up.
    pub catch_up: Option<std::time::Duration>,
    pub sessions: u64,
    /// Batches from the peer refused whole (bad document, out of scope, too
    /// large), and the documents refused: those batches carried, and those
    /// quarantined alone. Nothing of them was stored.
    pub refused_batches: u64,
    pub refused_docs: u64,
    /// Sessions the peer ended with a `LinkError` (it refused something of ours).
    pub errors_from_peer: u64,
    /// Attestation frames sent (a parent's asks, a child's answers).
    pub attestations_sent: u64,
    /// Documents from the peer refused by the domain's authorship rules and
    /// quarantined (the rest of their batches applied), and the last refusal.
    pub quarantined_docs: u64,
    pub last_quarantined: Option<String>,
}

/// A clock offset beyond this is worth an operator's attention: deadlines and the
/// order of what each side writes start to differ.
pub const CLOCK_ALERT_MS: i64 = 60_000;

impl LinkStatus {
    /// Whether the measured clock offset is beyond [`CLOCK_ALERT_MS`].
    pub fn clock_alert(&self) -> bool {
        self.clock_offset_ms
            .is_some_and(|o| o.abs() > CLOCK_ALERT_MS)
    }

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

impl Hub {
    pub async fn link_record(&self, peer: &UnitCode) -> Result<Option<LinkRecord>, HubError> {
        Ok(self.0.store.link(peer).await?)
    }

    /// The peer has durably applied our feed up to `upto`: kept for status, and
    /// (in memory) as of our head now, for what may go to it as changes.
    pub async fn note_acked(&self, peer: &UnitCode, upto: u64) -> Result<(), HubError> {
        let (epoch, head) = (self.epoch(), self.head());
        self.0
            .acks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(peer.clone())
            .or_default()
            .note(&epoch, head, upto);
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
