//! Peers' acknowledgements not yet written, carried by the next commit.
//!
//! A peer acknowledges our feed after every batch it applies, and during a sync
//! our head moves with every batch a peer sends us: each link acknowledges a few
//! times a second. Written on their own, these are a commit each (on SQLite, a
//! sync of the log to disk and the one writer's turn), between the commits of the
//! documents. So an acknowledgement is noted here, and whichever commit comes
//! next writes all that are waiting in its transaction; one that finds no commit
//! coming writes them itself. A stored acknowledgement only reports how far a peer
//! was (status after a restart): one lost with a failed commit costs nothing but
//! the line in the status, and it is put back for the next.

use std::collections::BTreeMap;

use sqlx::AnyConnection;

use crate::topology::UnitCode;

/// How far a peer had applied our feed, and when it said so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ack {
    pub upto: u64,
    pub at_ms: i64,
}

/// The latest acknowledgement of each peer not yet written.
#[derive(Debug, Default)]
pub(crate) struct UnsavedAcks(std::sync::Mutex<BTreeMap<UnitCode, Ack>>);

impl UnsavedAcks {
    /// Notes `ack` from `peer`, keeping the furthest one.
    pub(crate) fn note(&self, peer: &UnitCode, ack: Ack) {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let kept = map.entry(peer.clone()).or_insert(ack);
        if ack.upto >= kept.upto {
            *kept = ack;
        }
    }

    /// Whether an acknowledgement of `peer` waits.
    pub(crate) fn waiting(&self, peer: &UnitCode) -> bool {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains_key(peer)
    }

    /// Everything waiting, to be written by the caller.
    pub(crate) fn take(&self) -> BTreeMap<UnitCode, Ack> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Puts back what a failed write took, under anything noted since.
    pub(crate) fn restore(&self, taken: BTreeMap<UnitCode, Ack>) {
        for (peer, ack) in taken {
            self.note(&peer, ack);
        }
    }
}

/// Writes `acks` on `conn` (inside the caller's transaction, if any).
pub(crate) async fn write(
    conn: &mut AnyConnection,
    acks: &BTreeMap<UnitCode, Ack>,
) -> Result<(), sqlx::Error> {
    for (peer, ack) in acks {
        sqlx::query(
            "INSERT INTO hub_links (peer, acked_upto, last_sync_ms) VALUES ($1, $2, $3)
             ON CONFLICT (peer) DO UPDATE SET acked_upto = excluded.acked_upto,
               last_sync_ms = excluded.last_sync_ms",
        )
        .bind(peer.as_str())
        .bind(ack.upto as i64)
        .bind(ack.at_ms)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(code: &str) -> UnitCode {
        code.parse().expect("unit code")
    }

    #[test]
    fn the_furthest_acknowledgement_of_each_peer_waits() {
        let acks = UnsavedAcks::default();
        let (a, b) = (peer("441521"), peer("441522"));
        acks.note(&a, Ack { upto: 5, at_ms: 1 });
        acks.note(&a, Ack { upto: 9, at_ms: 2 });
        // An older one arriving late does not move it back.
        acks.note(&a, Ack { upto: 7, at_ms: 3 });
        acks.note(&b, Ack { upto: 1, at_ms: 4 });
        let taken = acks.take();
        assert_eq!(taken[&a], Ack { upto: 9, at_ms: 2 });
        assert_eq!(taken[&b], Ack { upto: 1, at_ms: 4 });
        assert!(acks.take().is_empty(), "taken once");
        // A failed write puts them back under what came since.
        acks.note(&a, Ack { upto: 12, at_ms: 5 });
        acks.restore(taken);
        let again = acks.take();
        assert_eq!(again[&a], Ack { upto: 12, at_ms: 5 });
        assert_eq!(again[&b], Ack { upto: 1, at_ms: 4 });
    }
}
