//! How far each peer had applied our feed, as of which of our feed positions:
//! what tells whether a peer holds the version of a document that a later write
//! replaced, so that only the changes since need to go to it.
//!
//! A peer past position `p` of our feed does not by that alone hold the version
//! that stood at `p`: a document rewritten before the peer's scan reached `p`
//! had left `p` already (it sits once in the feed, at its latest position), and
//! the peer never saw that version. It holds it if it had applied our feed past
//! `p` before the rewrite: an acknowledgement noted while our head was below the
//! rewrite's position, covering `p`.

use std::collections::VecDeque;

/// Checkpoints kept per link; older ones are dropped (documents rewritten
/// before the oldest kept then go whole, which is always correct).
const KEPT: usize = 64;

/// One link's checkpoints: `(our head when noted, how far the peer had durably
/// applied our feed)`, both growing, under one epoch of our store (positions of
/// another epoch say nothing).
#[derive(Debug, Clone, Default)]
pub(crate) struct AckLog {
    epoch: String,
    marks: VecDeque<(u64, u64)>,
}

impl AckLog {
    /// The peer had applied our feed up to `acked` when our head was at most
    /// `head`.
    pub(crate) fn note(&mut self, epoch: &str, head: u64, acked: u64) {
        if self.epoch != epoch {
            self.epoch = epoch.to_owned();
            self.marks.clear();
        }
        match self.marks.back_mut() {
            Some((h, a)) if *h == head => {
                *a = (*a).max(acked);
                return;
            }
            // Nothing the peer did not have by an earlier head.
            Some((_, a)) if *a >= acked => return,
            _ => {}
        }
        self.marks.push_back((head, acked));
        if self.marks.len() > KEPT {
            self.marks.pop_front();
        }
    }

    /// How far the peer had applied our feed before our feed reached `seq`
    /// (0: not known).
    pub(crate) fn held_before(&self, epoch: &str, seq: u64) -> u64 {
        if self.epoch != epoch {
            return 0;
        }
        self.marks
            .iter()
            .rev()
            .find(|(head, _)| *head < seq)
            .map_or(0, |(_, acked)| *acked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_the_peer_had_before_a_position_counts_for_it() {
        let mut log = AckLog::default();
        assert_eq!(log.held_before("e1", 10), 0);
        // During a first sync our head stands at 100 while the peer catches up.
        log.note("e1", 100, 40);
        log.note("e1", 100, 100);
        // Rewritten before those acknowledgements: the peer may never have
        // seen the version it replaced.
        assert_eq!(log.held_before("e1", 90), 0);
        assert_eq!(log.held_before("e1", 100), 0);
        // Rewritten after: it had everything up to 100.
        assert_eq!(log.held_before("e1", 101), 100);
        log.note("e1", 105, 103);
        assert_eq!(log.held_before("e1", 104), 100);
        assert_eq!(log.held_before("e1", 106), 103);
        // An acknowledgement that adds nothing keeps the earlier checkpoint.
        log.note("e1", 110, 103);
        assert_eq!(log.held_before("e1", 107), 103);
        // Another epoch of our store: positions start over, nothing known.
        assert_eq!(log.held_before("e2", 200), 0);
        log.note("e2", 5, 5);
        assert_eq!(log.held_before("e1", 200), 0);
        assert_eq!(log.held_before("e2", 6), 5);
        // Only the latest checkpoints are kept.
        for i in 0..(KEPT as u64 + 10) {
            log.note("e2", 10 + i, 10 + i);
        }
        assert_eq!(log.held_before("e2", 12), 0, "dropped: not known");
        assert_eq!(log.held_before("e2", 200), 10 + KEPT as u64 + 9);
    }
}
