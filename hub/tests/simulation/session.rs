//! What the tonic driver does around a link core (`net::drive`), done the same
//! way for every simulated session: frames delivered, storage work run (scans
//! carry the node's mark, applies run the engine, attestation work goes to the
//! node's attestor), a close that says a store went back begins its recovery,
//! a recovery ends every session of the node and completes as the node decides,
//! and time reaches every core.

use std::sync::atomic::Ordering;
use std::time::Duration;

use futures::executor::block_on;
use rand::Rng;
use xinfang_hub::core::{
    Action, Event, FEED_WENT_BACK, LEDGER_WENT_BACK, STORE_WENT_BACK, proves_we_went_back,
};
use xinfang_hub::doc::{self, Limits};
use xinfang_hub::journal::{Attestor, Verdict};
use xinfang_hub::pack;
use xinfang_proto::v1::sync_frame;

use super::disk::Durability;
use super::faults::Transport;
use super::world::{Sim, Work};

impl Sim {
    /// Handles actions produced by side `side` of session `pair`.
    pub(super) fn route_actions(
        &mut self,
        pair: (usize, usize),
        side: usize,
        actions: Vec<Action>,
    ) {
        let f = self.faults;
        let mut close = None;
        let Some(conn) = self.conns.get_mut(&pair) else {
            return;
        };
        let mut busy = false;
        for a in actions {
            let work = match a {
                Action::Send(mut frame) => {
                    // Packed as the transport's edge packs it.
                    pack::pack(&mut frame);
                    if conn.blackhole_since.is_some() {
                        self.stats.frames_lost += 1;
                        continue;
                    }
                    if f.transport == Transport::Datagram && self.rng.random_bool(f.dup) {
                        conn.queues[1 - side].push_back(frame.clone());
                    }
                    conn.queues[1 - side].push_back(frame);
                    busy = true;
                    continue;
                }
                Action::Scan {
                    generation,
                    after,
                    echo,
                    whole,
                } => Work::Scan {
                    generation,
                    after,
                    echo,
                    whole,
                },
                Action::Apply {
                    peer_epoch,
                    upto,
                    docs,
                    mark,
                } => Work::Apply {
                    epoch: peer_epoch,
                    upto,
                    docs,
                    mark,
                },
                Action::CheckMark { mark } => Work::CheckMark(mark),
                Action::Acked(upto) => Work::SaveAck(upto),
                Action::Ask { rebase } => Work::Ask(rebase),
                Action::Attest { ask } => Work::Attest(ask),
                Action::CheckAttestation { answer } => Work::Check(answer),
                Action::Close { error } => {
                    close = Some(error);
                    continue;
                }
            };
            conn.work.push_back((side, work));
            busy = true;
        }
        if busy {
            self.busy.insert(pair);
        }
        if let Some(error) = close {
            self.close(pair, side, error);
        }
    }

    /// Side `side` ended the session. The other side still reads what was
    /// sent before the close (the error frame naming why), as over a stream.
    fn close(&mut self, pair: (usize, usize), side: usize, error: Option<(String, String)>) {
        let Some(mut conn) = self.remove_conn(pair) else {
            return;
        };
        let other = 1 - side;
        let mut other_error = None;
        if conn.blackhole_since.is_none() {
            while let Some(frame) = conn.queues[other].pop_front() {
                for a in conn.cores[other].handle(self.now, Event::Frame(frame)) {
                    if let Action::Close { error: Some(e) } = a {
                        other_error = Some(e);
                    }
                }
            }
        }
        self.after_close(conn.nodes[side], conn.nodes[other], error);
        self.after_close(conn.nodes[other], conn.nodes[side], other_error);
    }

    /// What the driver does when a session of `node` with `peer` ended with
    /// `error`: only the failures a faulty network and disk explain are
    /// acceptable (`missing_base` too: changes on a version the receiver lost,
    /// quarantined or never got, asked for whole in its next Hello); a store
    /// found gone back begins its recovery.
    fn after_close(&mut self, node: usize, peer: usize, error: Option<(String, String)>) {
        self.note(node, || {
            format!("session with {} closed: {error:?}", self.nodes[peer].unit)
        });
        let Some((code, message)) = error else {
            return;
        };
        *self.stats.closes.entry(code.clone()).or_default() += 1;
        let bare = code.strip_prefix("peer_").unwrap_or(&code);
        let explained = matches!(
            bare,
            "storage"
                | "idle_timeout"
                | "missing_base"
                | STORE_WENT_BACK
                | LEDGER_WENT_BACK
                | FEED_WENT_BACK
        );
        assert!(
            explained,
            "seed {}: the session of {} with {} ended with {code}: {message}\n{}",
            self.seed,
            self.nodes[node].unit,
            self.nodes[peer].unit,
            self.replay()
        );
        if proves_we_went_back(&code, self.nodes[node].parent == Some(peer)) {
            self.begin_recovery(node, &message);
        }
    }

    /// The node's store went back in time: a new epoch, the mark, and every
    /// session starts again under it.
    pub(super) fn begin_recovery(&mut self, i: usize, reason: &str) {
        let Some(hub) = self.hub(i) else {
            return;
        };
        let was = hub.recovery().is_some();
        let m = block_on(hub.begin_recovery(reason)).expect("the simulated disk takes a mark");
        self.note(i, || format!("begins recovery: epoch {}", m.epoch));
        if !was {
            self.stats.recoveries_begun += 1;
        }
        self.drop_sessions_of(i);
    }

    /// The node's recovery completes, as the node decides (`node::recovery`):
    /// every link caught up both ways in a session under the new epoch.
    pub(super) fn maybe_finish_recovery(&mut self, i: usize) {
        let Some(hub) = self.hub(i) else {
            return;
        };
        let Some(mark) = hub.recovery() else {
            return;
        };
        let caught_up = |k: (usize, usize), side: usize| {
            self.conns
                .get(&k)
                .is_some_and(|c| c.epochs[side] == mark.epoch && c.cores[side].progress().in_sync)
        };
        let done = self.nodes[i].parent.is_none_or(|p| caught_up((p, i), 1))
            && self.nodes[i].children.iter().all(|&c| caught_up((i, c), 0));
        if done {
            block_on(hub.end_recovery()).expect("the simulated disk clears its mark");
            self.note(i, || format!("recovery complete (epoch {})", mark.epoch));
            self.stats.recoveries_completed += 1;
        }
    }

    pub(super) fn feed(&mut self, pair: (usize, usize), side: usize, ev: Event) {
        let now = self.now;
        let Some(conn) = self.conns.get_mut(&pair) else {
            return;
        };
        let acts = conn.cores[side].handle(now, ev);
        self.route_actions(pair, side, acts);
    }

    /// After node `i` committed: every session of `i` hears its new head.
    pub(super) fn head_moved(&mut self, i: usize) {
        let Some(head) = self.hub(i).map(|h| h.head()) else {
            return;
        };
        if let Some(p) = self.nodes[i].parent {
            self.feed((p, i), 1, Event::LocalHead(head));
        }
        for c in self.nodes[i].children.clone() {
            self.feed((i, c), 0, Event::LocalHead(head));
        }
    }

    /// One frame delivered or one piece of storage work done, on a session
    /// picked at random. False when nothing is waiting anywhere.
    pub(super) fn progress_one(&mut self) -> bool {
        loop {
            let Some(k) = self.busy.pick(&mut self.rng) else {
                return false;
            };
            let Some(conn) = self.conns.get(&k) else {
                self.busy.remove(&k);
                continue;
            };
            let frames: Vec<usize> = (0..2).filter(|&s| !conn.queues[s].is_empty()).collect();
            let has_work = !conn.work.is_empty();
            if frames.is_empty() && !has_work {
                self.busy.remove(&k);
                continue;
            }
            let choice = self
                .rng
                .random_range(0..frames.len() + usize::from(has_work));
            match frames.get(choice) {
                Some(&to) => self.deliver(k, to),
                None => self.work(k),
            }
            return true;
        }
    }

    fn deliver(&mut self, k: (usize, usize), to: usize) {
        let f = self.faults;
        let datagram = f.transport == Transport::Datagram;
        let reorder = datagram && self.rng.random_bool(f.reorder);
        let drop = datagram && self.rng.random_bool(f.drop);
        let pick = self.rng.random_range(0..3usize);
        let Some(conn) = self.conns.get_mut(&k) else {
            return;
        };
        let q = &mut conn.queues[to];
        let idx = if reorder { pick.min(q.len() - 1) } else { 0 };
        let Some(mut frame) = q.remove(idx) else {
            return;
        };
        if drop {
            self.stats.frames_lost += 1;
            return;
        }
        self.stats.frames += 1;
        if let Some(sync_frame::Kind::Batch(b)) = &frame.kind {
            self.stats.packed += u64::from(!b.packed.is_empty());
        }
        pack::unpack(&mut frame, Limits::default().max_frame_bytes)
            .expect("a packed batch unpacks");
        let (at, from) = if to == 1 { (k.1, k.0) } else { (k.0, k.1) };
        match &frame.kind {
            Some(sync_frame::Kind::Hello(h)) => self.note(at, || {
                format!(
                    "hears Hello: epoch {} known {} since {} head {} mark {:?} recovering {}",
                    h.epoch, h.known_epoch, h.since, h.head, h.known_mark, h.recovering
                )
            }),
            Some(sync_frame::Kind::Batch(b)) if self.traces(at, from) => {
                let ids: Vec<&str> = b.docs.iter().map(|d| d.doc_id.as_str()).collect();
                let (who, whom) = (&self.nodes[from].unit, &self.nodes[at].unit);
                self.note(at, || {
                    format!("hears Batch from {who} ({}..{}] {ids:?}", b.from, b.upto)
                });
                self.note(from, || {
                    format!("batch to {whom} delivered ({}..{}] {ids:?}", b.from, b.upto)
                });
            }
            _ => {}
        }
        self.feed(k, to, Event::Frame(frame));
        self.after_event(k);
    }

    fn work(&mut self, k: (usize, usize)) {
        let Some(conn) = self.conns.get_mut(&k) else {
            return;
        };
        let Some((side, work)) = conn.work.pop_front() else {
            return;
        };
        let node = conn.nodes[side];
        let peer_node = conn.nodes[1 - side];
        let hub = self.hub(node).expect("a live session's nodes run");
        let ledger = self.nodes[node].ledger.clone();
        let peer = self.nodes[peer_node].unit.clone();
        let link = hub
            .link_with(&peer)
            .expect("a session's peer is a neighbour");
        let event = match work {
            Work::Scan {
                generation,
                after,
                echo,
                whole,
            } => match block_on(hub.scan_for(&link, after, echo, &whole)) {
                Ok((upto, mut docs)) => {
                    if let Some(route) = self.broken_router {
                        let shared = if self.nodes[node].parent == Some(peer_node) {
                            &self.nodes[node].unit
                        } else {
                            &peer
                        };
                        docs.retain(|d| {
                            // Changes carry no scope of their own: the sender's
                            // document says it.
                            let scope = if d.changes.is_empty() {
                                doc::decode(&d.doc_id, &d.automerge, &Limits::default())
                                    .expect("a scanned document decodes")
                                    .scope
                            } else {
                                block_on(hub.get(&d.doc_id))
                                    .expect("the sender reads its document")
                                    .expect("the sender holds what it scanned")
                                    .loaded
                                    .scope
                            };
                            route(shared, &scope)
                        });
                    }
                    let as_changes = docs.iter().filter(|d| !d.changes.is_empty()).count();
                    self.stats.sent_as_changes += as_changes as u64;
                    self.stats.sent_whole += (docs.len() - as_changes) as u64;
                    // The mark is read after the scan: it covers what it sent.
                    let mark = block_on(ledger.mark()).unwrap_or_default();
                    Event::Scanned {
                        generation,
                        upto,
                        docs,
                        mark,
                    }
                }
                Err(e) => Event::Failed {
                    code: e.code().into(),
                    message: e.to_string(),
                },
            },
            Work::Apply {
                epoch,
                upto,
                docs,
                mark,
            } => {
                let before = hub.head();
                // Each document with the heads it arrives with, decoded only
                // when one of the two nodes is traced.
                let incoming = self.traces(node, peer_node).then(|| {
                    let ids: Vec<(String, String)> = docs
                        .iter()
                        .map(|d| {
                            let heads = doc::decode(&d.doc_id, &d.automerge, &Limits::default())
                                .map(|l| l.heads.encode())
                                .unwrap_or_default();
                            (d.doc_id.clone(), heads)
                        })
                        .collect();
                    let line = format!("upto {upto} epoch {epoch} {ids:?} mark {mark:?}");
                    self.note(node, || format!("applies from {peer} {line}"));
                    self.note(peer_node, || {
                        format!("{} applies our {line}", self.nodes[node].unit)
                    });
                    ids
                });
                match block_on(hub.apply_from(&link, &epoch, upto, docs, mark)) {
                    Ok(_) => {
                        if let Some(incoming) = &incoming {
                            let disk = &self.nodes[node].disk;
                            self.note(node, || {
                                let heads: Vec<String> = incoming
                                    .iter()
                                    .map(|(id, inc)| {
                                        let held = disk.heads(id).unwrap_or_default();
                                        format!("{id}: in {inc:.8} now {held:.8}")
                                    })
                                    .collect();
                                format!("applied: {heads:?}")
                            });
                        }
                        self.feed(k, side, Event::Applied { upto });
                        if hub.head() != before {
                            self.head_moved(node);
                        }
                        self.after_event(k);
                        return;
                    }
                    Err(e) => {
                        if matches!(e, xinfang_hub::HubError::Store(_)) {
                            self.stats.disk_full_refusals += 1;
                        }
                        Event::Failed {
                            code: e.code().into(),
                            message: e.to_string(),
                        }
                    }
                }
            }
            Work::CheckMark(mark) => Event::MarkChecked {
                // Unsure is not proof of going back, as in the driver.
                holds: self.blind || block_on(ledger.holds(&mark)).unwrap_or(true),
            },
            Work::SaveAck(upto) => {
                // Status only: a failed save costs a stale lag figure.
                let _ = block_on(hub.note_acked(&peer, upto));
                Event::AckSaved
            }
            Work::Ask(rebase) => {
                self.stats.asked += 1;
                Event::AskReady(block_on(ledger.ask(&peer, rebase)))
            }
            Work::Attest(ask) => {
                self.stats.answered += 1;
                Event::Attested(block_on(ledger.attest(&peer, &ask)).ok())
            }
            Work::Check(answer) => {
                self.stats.checked += 1;
                let went_back = match block_on(ledger.check(&peer, &answer)) {
                    Ok(Verdict::WentBack(why)) if !self.blind => {
                        self.stats.went_back_found += 1;
                        Some(why)
                    }
                    Ok(_) | Err(_) => None,
                };
                Event::AttestationChecked { went_back }
            }
        };
        self.feed(k, side, event);
        self.after_event(k);
    }

    /// A node of session `k` may have completed its recovery.
    fn after_event(&mut self, k: (usize, usize)) {
        self.maybe_finish_recovery(k.0);
        self.maybe_finish_recovery(k.1);
    }

    /// Time passes: every core hears it, dead connections are found by the
    /// transport's keepalive, and checkpoints flush some nodes' disks.
    pub(super) fn tick(&mut self, by: Duration) {
        self.now += by;
        self.clock
            .fetch_add(by.as_millis() as i64, Ordering::SeqCst);
        let keepalive =
            self.cfg.transport.keepalive_interval + self.cfg.transport.keepalive_timeout;
        let keys: Vec<_> = self.conns.keys().copied().collect();
        for k in keys {
            let dead = self.conns[&k]
                .blackhole_since
                .is_some_and(|t| self.now.saturating_sub(t) >= keepalive);
            if dead {
                self.remove_conn(k);
                self.stats.keepalive_closes += 1;
                continue;
            }
            self.feed(k, 0, Event::Tick);
            self.feed(k, 1, Event::Tick);
        }
        for i in 0..self.nodes.len() {
            if self.nodes[i].disk.durability() == Durability::Normal
                && self.rng.random_bool(self.checkpoint)
            {
                self.flush(i);
            }
        }
    }
}
