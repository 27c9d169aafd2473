//! A peer's Hello: where each side stands, and the proofs that a store went
//! back in time that only a Hello can show (a mark no longer held, an epoch
//! never had, a feed shorter than what was applied of it).

use std::time::Duration;

use xinfang_proto::PROTOCOL_VERSION;
use xinfang_proto::v1::Hello;

use super::{Action, FEED_WENT_BACK, InboundCursor, LinkCore, Rebase, STORE_WENT_BACK};

impl LinkCore {
    pub(super) fn on_hello(&mut self, now: Duration, h: Hello, out: &mut Vec<Action>) {
        if h.protocol != PROTOCOL_VERSION {
            return self.fail(
                "protocol_version",
                format!(
                    "peer speaks protocol {}, this node speaks {}",
                    h.protocol, PROTOCOL_VERSION
                ),
                out,
            );
        }
        if h.unit != self.peer.as_str() {
            return self.fail(
                "wrong_unit",
                format!(
                    "Hello names unit {:?} but this link is with {}",
                    h.unit, self.peer
                ),
                out,
            );
        }
        if h.epoch.is_empty() {
            return self.fail("malformed_frame", "Hello without an epoch", out);
        }
        // The peer holds our feed under an epoch our store never had: it knew a
        // newer store of ours (we were put back behind it from an older copy, or
        // rebuilt). What it got from that store would never come back (it is not
        // sent to where it came from) and our feed positions would be skipped:
        // recover first. Every Hello is looked at: on a lossy transport the
        // peer's reply may overtake its first. Its position in our feed is not:
        // a recovering peer reads our feed from the start, yet what it holds
        // from that other store it holds. A recovering store of ours says so in
        // its Hello and is sent everything anyway.
        if let Some(own) = &self.own_epochs
            && !self.recovering
            && !h.known_epoch.is_empty()
            && !own.contains(&h.known_epoch)
        {
            return self.fail(
                STORE_WENT_BACK,
                format!(
                    "{} holds the feed of {} under epoch {}, which this store never \
                     had: it was put back from an older copy or rebuilt, and recovers \
                     before it syncs again",
                    self.peer, self.me, h.known_epoch
                ),
                out,
            );
        }
        match &self.peer_epoch {
            Some(e) if *e != h.epoch => {
                return self.fail(
                    "epoch_changed",
                    "peer changed its feed epoch within one session",
                    out,
                );
            }
            Some(_) => {
                // A retransmitted Hello: the peer may have missed ours. On a lossy
                // transport it may be the peer's first, overtaken by its reply:
                // a mark it names is checked all the same.
                if self.marks
                    && h.known_epoch == self.my_epoch
                    && !h.known_mark.is_empty()
                    && h.known_mark != self.mark_asked
                {
                    self.verifying = true;
                    self.mark_asked = h.known_mark.clone();
                    out.push(Action::CheckMark {
                        mark: h.known_mark.clone(),
                    });
                }
                let theirs = self.their_since(&h);
                if theirs > self.acked && !self.echo {
                    self.advance_acked(theirs);
                }
            }
            None => {
                self.peer_epoch = Some(h.epoch.clone());
                // A peer whose store was replaced or restored (a new epoch), or
                // that says it is recovering, may have lost what it sent us:
                // send it that too.
                let replaced = !self.inbound.epoch.is_empty() && self.inbound.epoch != h.epoch;
                self.echo = h.recovering || replaced;
                // A recovering peer's ledger is read afresh too: its recovery is
                // the record of its going back, and where we hold no cursor naming
                // its old epoch nothing else would tell our attestor (which would
                // find it gone back again, session after session).
                if replaced || h.recovering {
                    self.attest.rebase(if h.recovering && h.restored {
                        Rebase::Restored
                    } else {
                        Rebase::Replaced
                    });
                }
                // Our cursor beyond the peer's head under the same epoch: its store
                // went back in time (positions of one epoch only grow). Starting
                // over would lose that proof with our next saved cursor, and what
                // it lost that came from it would never come back: it recovers.
                if self.inbound.epoch == h.epoch && self.inbound.upto > h.head {
                    return self.fail(
                        FEED_WENT_BACK,
                        format!(
                            "the feed of {} ends at {} under epoch {}, but {} applied it up \
                             to {}: its store went back in time and recovers before it syncs \
                             again",
                            self.peer, h.head, h.epoch, self.me, self.inbound.upto
                        ),
                        out,
                    );
                }
                // A cursor for another epoch (the peer's store was recreated or
                // recovers): start over.
                if self.inbound.epoch != h.epoch {
                    self.inbound = InboundCursor {
                        epoch: h.epoch.clone(),
                        upto: 0,
                        mark: Vec::new(),
                    };
                }
                // The peer saw our store at a mark: check we still hold it before
                // anything of our feed goes out (a store put back from an older
                // copy reuses feed positions the peer's cursor has passed).
                if self.marks && h.known_epoch == self.my_epoch && !h.known_mark.is_empty() {
                    self.verifying = true;
                    self.mark_asked = h.known_mark.clone();
                    out.push(Action::CheckMark {
                        mark: h.known_mark.clone(),
                    });
                }
                // What came from the peer was never sent to it: a resend that
                // includes it starts from the beginning of our feed.
                self.acked = if self.echo { 0 } else { self.their_since(&h) };
                self.sent = self.acked;
                self.in_flight.clear();
                self.ready = true;
            }
        }
        // Documents the peer lacks the base of go whole (a retransmitted Hello
        // may name more: the peer's list only grows within a session).
        for id in &h.whole {
            if !self.whole_asked.contains(id) {
                self.whole_asked.push(id.clone());
            }
        }
        self.peer_head = self.peer_head.max(h.head);
        if !h.reply {
            self.send_hello(true, now, out);
        }
        self.maybe_scan(out);
    }

    /// How far the peer says it has our feed, trusting it only for our epoch and
    /// never beyond our head (a restored store must resend, not skip).
    fn their_since(&self, h: &Hello) -> u64 {
        if h.known_epoch == self.my_epoch && h.since <= self.head {
            h.since
        } else {
            0
        }
    }
}
