//! Which documents the latest commits wrote, by feed position, in memory: a
//! batch judged before the write lock asks under it whether any of its documents
//! was written since it read them, and for recent positions the answer needs no
//! read of the store (which would wait behind the readers preparing other batches).

use std::collections::{HashMap, VecDeque};

/// Positions kept: far more than the batches that can commit while one is
/// judged (one batch in flight per link, 512 documents each).
const KEPT: usize = 1 << 15;

/// Every write at a feed position after `from`, up to the last `KEPT`.
#[derive(Debug)]
pub struct RecentWrites {
    /// Every position after this one is recorded.
    from: u64,
    /// (position, document), oldest first.
    order: VecDeque<(u64, String)>,
    /// Each recorded document's latest position.
    latest: HashMap<String, u64>,
}

impl RecentWrites {
    /// Nothing recorded: everything at or before `head` was written before.
    pub fn new(head: u64) -> Self {
        RecentWrites {
            from: head,
            order: VecDeque::new(),
            latest: HashMap::new(),
        }
    }

    /// A commit wrote `ids` at positions `first`, `first + 1`, … (after every
    /// position recorded so far).
    pub fn record<'a>(&mut self, first: u64, ids: impl IntoIterator<Item = &'a str>) {
        for (seq, id) in (first..).zip(ids) {
            self.latest.insert(id.to_owned(), seq);
            self.order.push_back((seq, id.to_owned()));
        }
        while self.order.len() > KEPT {
            let Some((seq, id)) = self.order.pop_front() else {
                break;
            };
            if self.latest.get(&id) == Some(&seq) {
                self.latest.remove(&id);
            }
            self.from = seq;
        }
    }

    /// Whether any of `ids` was written after position `after`; None when
    /// positions that early are no longer kept.
    pub fn written_since(&self, after: u64, ids: &[String]) -> Option<bool> {
        if after < self.from {
            return None;
        }
        Some(
            ids.iter()
                .any(|id| self.latest.get(id).is_some_and(|seq| *seq > after)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn a_document_written_after_a_position_is_seen_and_one_before_is_not() {
        let mut r = RecentWrites::new(10);
        r.record(11, ["a", "b"]);
        r.record(13, ["c", "a"]);
        assert_eq!(r.written_since(10, &ids(&["b"])), Some(true));
        assert_eq!(r.written_since(12, &ids(&["b"])), Some(false));
        // "a" was written again at 14.
        assert_eq!(r.written_since(13, &ids(&["a"])), Some(true));
        assert_eq!(r.written_since(14, &ids(&["a", "b", "c"])), Some(false));
        assert_eq!(r.written_since(10, &ids(&["z"])), Some(false));
        // Before what was recorded: not known here.
        assert_eq!(r.written_since(9, &ids(&["z"])), None);
    }

    #[test]
    fn positions_no_longer_kept_are_not_answered() {
        let mut r = RecentWrites::new(0);
        let many: Vec<String> = (0..KEPT + 10).map(|i| format!("d{i}")).collect();
        r.record(1, many.iter().map(String::as_str));
        // Positions 1..=10 were let go: asking from before them is not answered.
        assert_eq!(r.written_since(5, &ids(&["d0"])), None);
        assert_eq!(r.written_since(10, &ids(&["d10"])), Some(true));
        assert_eq!(r.written_since(10, &ids(&["d0"])), Some(false));
        assert!(r.latest.len() <= KEPT && r.order.len() <= KEPT);
    }
}
