//! What goes wrong in the simulated city, and the bookkeeping of the writes the
//! nodes acknowledged: a write is acknowledged once its commit is on its node's
//! disk (at once under full durability, at the next checkpoint otherwise). An
//! acknowledged write must end up at every holder of its document, unless every
//! durable copy of it was replaced by restores of older backups (counted apart:
//! that is what restoring an old copy means).

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ReadDoc};
use futures::executor::block_on;
use rand::Rng;
use xinfang_hub::doc::{self, DocError};
use xinfang_hub::{Create, HubError, UnitCode, UpdateError};

use super::disk::Durability;
use super::world::Sim;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// A stream (gRPC over TCP): frames arrive in order or the connection dies,
    /// perhaps silently (then the idle timeout or the keepalive ends it).
    Stream,
    /// A lossy transport: frames are dropped, duplicated and reordered; the
    /// cores resend what was not acknowledged.
    Datagram,
}

impl Transport {
    pub fn name(self) -> &'static str {
        match self {
            Transport::Stream => "stream",
            Transport::Datagram => "datagram",
        }
    }

    pub fn parse(s: &str) -> Option<Transport> {
        match s {
            "stream" => Some(Transport::Stream),
            "datagram" => Some(Transport::Datagram),
            _ => None,
        }
    }
}

/// Which faults a run injects.
#[derive(Debug, Clone, Copy)]
pub struct Faults {
    pub transport: Transport,
    /// Per frame, on a datagram transport.
    pub drop: f64,
    pub dup: f64,
    pub reorder: f64,
    /// Crashes, power losses, restores, full disks, partitions, dead routes.
    pub chaos: bool,
    /// Each node's clock off by up to ten minutes, and clocks that jump.
    pub clock_skew: bool,
}

impl Faults {
    pub const CALM: Faults = Faults {
        transport: Transport::Stream,
        drop: 0.0,
        dup: 0.0,
        reorder: 0.0,
        chaos: false,
        clock_skew: false,
    };

    pub fn all(transport: Transport) -> Faults {
        let lossy = transport == Transport::Datagram;
        Faults {
            transport,
            drop: if lossy { 0.05 } else { 0.0 },
            dup: if lossy { 0.05 } else { 0.0 },
            reorder: if lossy { 0.1 } else { 0.0 },
            chaos: true,
            clock_skew: true,
        }
    }
}

/// What happened in a run.
#[derive(Debug, Default)]
pub struct Stats {
    pub writes: u64,
    pub creates_refused_recovering: u64,
    pub writes_refused_disk_full: u64,
    pub disk_full_refusals: u64,
    pub lost_unflushed: u64,
    pub lost_with_restore: u64,
    pub sessions: u64,
    pub frames: u64,
    pub frames_lost: u64,
    pub partitions: u64,
    pub dead_routes: u64,
    pub keepalive_closes: u64,
    pub crashes: u64,
    pub power_losses: u64,
    pub backups: u64,
    pub restores_declared: u64,
    pub restores_by_hand: u64,
    pub disks_filled: u64,
    pub clock_jumps: u64,
    pub recoveries_begun: u64,
    pub recoveries_completed: u64,
    pub asked: u64,
    pub answered: u64,
    pub checked: u64,
    pub went_back_found: u64,
    /// Documents scanned for a peer that went as changes, and whole.
    pub sent_as_changes: u64,
    pub sent_whole: u64,
    /// Batches delivered packed (`Batch.packed`).
    pub packed: u64,
    /// Sessions that ended with an error, by its code.
    pub closes: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteState {
    /// Committed, not yet on the disk.
    Unflushed,
    Acknowledged,
    /// Lost in a power loss before it was flushed (never acknowledged).
    LostUnflushed,
    /// Every durable copy was replaced by an older backup.
    LostWithRestore,
}

/// One local write: key `key` set in document `doc` at node `node`.
#[derive(Debug, Clone)]
pub struct Write {
    pub node: usize,
    pub doc: String,
    pub key: String,
    pub state: WriteState,
}

impl Sim {
    /// One step of a run: progress on some session, or a write, or time, or a
    /// fault.
    pub fn chaos_step(&mut self) {
        self.chaos_steps += 1;
        let chaos = self.faults.chaos;
        let roll = self.rng.random_range(0..1000);
        match roll {
            0..600 => {
                self.progress_one();
            }
            600..700 => self.local_write(),
            700..800 => {
                let by = Duration::from_millis(self.rng.random_range(50..700));
                self.tick(by);
            }
            800..900 => self.reconnect_some(),
            900..930 if chaos => {
                if let Some(k) = self.live.pick(&mut self.rng) {
                    self.remove_conn(k);
                    self.stats.partitions += 1;
                }
            }
            930..940 if chaos => {
                if let Some(k) = self.live.pick(&mut self.rng)
                    && let Some(c) = self.conns.get_mut(&k)
                    && c.blackhole_since.is_none()
                {
                    c.blackhole_since = Some(self.now);
                    c.queues = Default::default();
                    self.stats.dead_routes += 1;
                }
            }
            940..950 if chaos => {
                let i = self.rng.random_range(0..self.nodes.len());
                if self.nodes[i].hub.is_some() {
                    self.stop_node(i);
                    self.stats.crashes += 1;
                }
            }
            950..955 if chaos => {
                // Half the time where it hurts: a node with commits not yet
                // on its disk.
                let exposed: Vec<usize> = if self.rng.random_bool(0.5) {
                    (0..self.nodes.len())
                        .filter(|&i| self.nodes[i].disk.has_unflushed())
                        .collect()
                } else {
                    Vec::new()
                };
                let i = match exposed.len() {
                    0 => self.rng.random_range(0..self.nodes.len()),
                    n => exposed[self.rng.random_range(0..n)],
                };
                self.power_loss(i);
            }
            955..975 => {
                let i = self.rng.random_range(0..self.nodes.len());
                self.start_node(i);
            }
            975..982 if chaos => {
                let i = self.rng.random_range(0..self.nodes.len());
                self.nodes[i].backup = Some(self.nodes[i].disk.backup());
                self.stats.backups += 1;
            }
            982..985 if chaos => {
                let i = self.rng.random_range(0..self.nodes.len());
                let declared = self.rng.random_bool(0.5);
                self.restore(i, declared);
            }
            985..990 if chaos => {
                let i = self.rng.random_range(0..self.nodes.len());
                let disk = &self.nodes[i].disk;
                let full = !disk.is_full();
                disk.set_full(full);
                self.stats.disks_filled += u64::from(full);
            }
            990..1000 if self.faults.clock_skew => {
                let i = self.rng.random_range(0..self.nodes.len());
                let jump = self.rng.random_range(-300_000..=300_000);
                self.nodes[i]
                    .skew_ms
                    .fetch_add(jump, std::sync::atomic::Ordering::SeqCst);
                self.stats.clock_jumps += 1;
            }
            _ => {
                self.progress_one();
            }
        }
    }

    /// A child dials its parent again (a few tries at a pair that is down).
    fn reconnect_some(&mut self) {
        for _ in 0..4 {
            let pair = self.pairs[self.rng.random_range(0..self.pairs.len())];
            if !self.conns.contains_key(&pair) {
                self.connect(pair);
                return;
            }
        }
    }

    /// A local write at a running node picked at random: a new document (of
    /// its own unit, sometimes another unit too, as a forward adds one) or a
    /// new key in one it holds. A recovering node registers nothing new.
    pub fn local_write(&mut self) {
        let i = self.rng.random_range(0..self.nodes.len());
        let create = self.nodes[i].disk.doc_count() == 0 || self.rng.random_bool(0.3);
        self.write(i, create);
    }

    /// A new document written at node `i`; false when it was refused (the
    /// node is recovering, or its disk is full) or the node is down.
    pub fn write_at(&mut self, i: usize) -> bool {
        self.write(i, true)
    }

    fn write(&mut self, i: usize, create: bool) -> bool {
        let Some(hub) = self.hub(i) else {
            return false;
        };
        let disk = self.nodes[i].disk.clone();
        if create && hub.recovery().is_some() {
            self.stats.creates_refused_recovering += 1;
            return false;
        }
        let extra = self.rng.random_bool(0.3).then(|| {
            let u = self.rng.random_range(0..self.nodes.len());
            self.nodes[u].unit.clone()
        });
        let n = self.writes.len();
        let key = format!("w{n}");
        let me = self.nodes[i].unit.clone();
        let put = |id: &str, d: &mut AutoCommit, key: &str| {
            d.put(automerge::ROOT, key, n as i64)
                .map_err(|e| DocError::automerge(id, e))
        };
        let (id, result) = if create {
            let id = format!("d{me}-{n}");
            let r = block_on(hub.update(&id, Create::New, |d| {
                doc::extend_scope(&id, d, [&me].into_iter().chain(extra.as_ref()))?;
                put(&id, d, &key)
            }));
            (id, r)
        } else {
            let Some(id) = disk.pick_id(|len| self.rng.random_range(0..len)) else {
                return false;
            };
            let r = block_on(hub.update(&id, Create::Existing, |d| {
                if let Some(u) = &extra {
                    doc::extend_scope(&id, d, [u])?;
                }
                put(&id, d, &key)
            }));
            (id, r)
        };
        match result {
            Ok(()) => {}
            Err(UpdateError::Hub(HubError::Store(_))) => {
                self.stats.writes_refused_disk_full += 1;
                return false;
            }
            Err(e) => panic!(
                "seed {}: a local write at {me} failed: {e}\n{}",
                self.seed,
                self.replay()
            ),
        }
        self.stats.writes += 1;
        self.note(i, || {
            format!(
                "writes {key} in {id} at {} heads {:.8}",
                hub.head(),
                disk.heads(&id).unwrap_or_default()
            )
        });
        let state = match disk.durability() {
            Durability::Full => WriteState::Acknowledged,
            Durability::Normal => {
                self.nodes[i].unflushed.push(n);
                WriteState::Unflushed
            }
        };
        self.writes.push(Write {
            node: i,
            doc: id,
            key,
            state,
        });
        self.head_moved(i);
        true
    }

    /// A checkpoint: node `i`'s commits reach its disk; its writes are
    /// acknowledged.
    pub(super) fn flush(&mut self, i: usize) {
        self.nodes[i].disk.flush();
        for w in std::mem::take(&mut self.nodes[i].unflushed) {
            self.writes[w].state = WriteState::Acknowledged;
        }
    }

    /// The power fails at node `i`: the process is gone and so is what its
    /// disk had not flushed.
    pub fn power_loss(&mut self, i: usize) {
        self.stop_node(i);
        let lost = self.nodes[i].disk.power_loss();
        self.note(i, || format!("power loss: {lost} changes lost"));
        self.stats.power_losses += 1;
        for w in std::mem::take(&mut self.nodes[i].unflushed) {
            self.writes[w].state = WriteState::LostUnflushed;
            self.stats.lost_unflushed += 1;
        }
    }

    /// Node `i` is stopped and its last backup put back: by the restore
    /// command (`declared`), or by hand. The node stays down until restarted.
    pub fn restore(&mut self, i: usize, declared: bool) {
        let Some(copy) = self.nodes[i].backup.clone() else {
            return;
        };
        self.stop_node(i);
        let now_ms = self.clock.load(std::sync::atomic::Ordering::SeqCst);
        self.nodes[i].disk.restore(copy, declared, now_ms);
        self.note(i, || format!("restored (declared {declared})"));
        if declared {
            // The restore command marks the store: its recovery begins here.
            self.stats.restores_declared += 1;
            self.stats.recoveries_begun += 1;
        } else {
            self.stats.restores_by_hand += 1;
        }
        for w in std::mem::take(&mut self.nodes[i].unflushed) {
            self.writes[w].state = WriteState::LostUnflushed;
            self.stats.lost_unflushed += 1;
        }
        self.forget_writes_only_the_restore_held(i);
    }

    /// Acknowledged writes made in `i`'s subtree of which no durable copy is
    /// left on the way from their node up to the root: they went with the
    /// restore.
    fn forget_writes_only_the_restore_held(&mut self, i: usize) {
        let mut docs: HashMap<(usize, String), Option<AutoCommit>> = HashMap::new();
        for w in 0..self.writes.len() {
            let write = &self.writes[w];
            if write.state != WriteState::Acknowledged || !self.is_within(write.node, i) {
                continue;
            }
            let mut at = Some(write.node);
            let mut held = false;
            while let Some(n) = at {
                let doc = docs.entry((n, write.doc.clone())).or_insert_with(|| {
                    self.nodes[n]
                        .disk
                        .durable_bytes(&write.doc)
                        .and_then(|b| AutoCommit::load(&b).ok())
                });
                if doc.as_ref().is_some_and(|d| {
                    d.get(automerge::ROOT, write.key.as_str())
                        .ok()
                        .flatten()
                        .is_some()
                }) {
                    held = true;
                    break;
                }
                at = self.nodes[n].parent;
            }
            if !held {
                self.writes[w].state = WriteState::LostWithRestore;
                self.stats.lost_with_restore += 1;
            }
        }
    }

    /// Whether node `n` is `root` or below it.
    pub(super) fn is_within(&self, n: usize, root: usize) -> bool {
        let mut at = Some(n);
        while let Some(x) = at {
            if x == root {
                return true;
            }
            at = self.nodes[x].parent;
        }
        false
    }

    pub(super) fn unit(&self, i: usize) -> &UnitCode {
        &self.nodes[i].unit
    }
}
