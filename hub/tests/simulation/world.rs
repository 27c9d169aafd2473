//! The simulated federation: its nodes, their disks and hubs, and the live
//! sessions between them (what happens on a session is `session`'s).

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use futures::executor::block_on;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use xinfang_hub::core::{AttestRole, LinkCore, Recovering};
use xinfang_hub::store::Store;
use xinfang_hub::{Hub, HubConfig, Topology, UnitCode};
use xinfang_proto::v1::{DocEntry, SyncFrame};

use super::disk::{Durability, SimDisk, State};
use super::faults::{Faults, Stats, Transport, Write};
use super::ledger::SimLedger;
use super::tree::Shape;

/// A routing function deliberately wrong, for checking that the convergence
/// check catches it: given the unit at the root of the subtree a link shares and
/// a document's scope, whether the link carries the document.
pub type BrokenRouter = fn(&UnitCode, &BTreeSet<UnitCode>) -> bool;

pub(super) struct Node {
    pub unit: UnitCode,
    pub disk: Arc<SimDisk>,
    pub ledger: Arc<SimLedger>,
    pub hub: Option<Hub>,
    pub parent: Option<usize>,
    pub children: Vec<usize>,
    /// This node's wall clock minus the simulation's (ms).
    pub skew_ms: Arc<AtomicI64>,
    /// The last backup taken of the node's disk.
    pub backup: Option<State>,
    /// Writes made here and not yet flushed (indices into `Sim::writes`).
    pub unflushed: Vec<usize>,
}

pub(super) enum Work {
    CheckMark(Vec<u8>),
    Scan {
        generation: u64,
        after: u64,
        echo: bool,
        whole: Vec<String>,
    },
    Apply {
        epoch: String,
        upto: u64,
        docs: Vec<DocEntry>,
        mark: Vec<u8>,
    },
    SaveAck(u64),
    Ask(Option<xinfang_hub::journal::Rebase>),
    Attest(Vec<u8>),
    Check(Vec<u8>),
}

/// One live parent-child session. Side 0 is the parent, side 1 the child.
pub(super) struct Conn {
    pub nodes: [usize; 2],
    pub cores: [LinkCore; 2],
    /// `queues[s]` holds frames travelling towards side `s`.
    pub queues: [VecDeque<SyncFrame>; 2],
    pub work: VecDeque<(usize, Work)>,
    /// Each side's epoch when the session began.
    pub epochs: [String; 2],
    /// Since when the connection silently loses everything (a dead route).
    pub blackhole_since: Option<Duration>,
}

/// A set to pick from at random in O(1), in a deterministic order.
pub(super) struct Picker<K> {
    items: Vec<K>,
    pos: HashMap<K, usize>,
}

impl<K: Copy + Eq + std::hash::Hash> Picker<K> {
    pub fn new() -> Self {
        Picker {
            items: Vec::new(),
            pos: HashMap::new(),
        }
    }
    pub fn insert(&mut self, k: K) {
        if !self.pos.contains_key(&k) {
            self.pos.insert(k, self.items.len());
            self.items.push(k);
        }
    }
    pub fn remove(&mut self, k: &K) {
        if let Some(i) = self.pos.remove(k) {
            self.items.swap_remove(i);
            if let Some(moved) = self.items.get(i) {
                self.pos.insert(*moved, i);
            }
        }
    }
    pub fn pick(&self, rng: &mut StdRng) -> Option<K> {
        (!self.items.is_empty()).then(|| self.items[rng.random_range(0..self.items.len())])
    }
}

pub struct Sim {
    pub(super) seed: u64,
    pub(super) shape: Shape,
    pub(super) topo: Arc<Topology>,
    pub(super) nodes: Vec<Node>,
    /// Every parent-child pair of the tree, parent first.
    pub(super) pairs: Vec<(usize, usize)>,
    pub(super) conns: BTreeMap<(usize, usize), Conn>,
    /// Live sessions, and those with frames or work waiting (lazily pruned).
    pub(super) live: Picker<(usize, usize)>,
    pub(super) busy: Picker<(usize, usize)>,
    pub(super) rng: StdRng,
    /// Monotonic time, as the cores see it.
    pub(super) now: Duration,
    /// The simulation's wall clock (ms); each node adds its skew.
    pub(super) clock: Arc<AtomicI64>,
    pub(super) cfg: HubConfig,
    pub(super) faults: Faults,
    pub(super) writes: Vec<Write>,
    /// Chance per tick that a node syncing at checkpoints flushes: some seeds
    /// checkpoint often, others seldom (more is lost in a power loss).
    pub(super) checkpoint: f64,
    /// Chaos steps taken (for the replay command).
    pub(super) chaos_steps: u64,
    pub stats: Stats,
    /// When set, the sending side of every link filters what the engine scanned
    /// with this instead (the receiver's own checks still run).
    pub broken_router: Option<BrokenRouter>,
    /// When set, the nodes never check what their peers saw of them (no mark
    /// is found missing, no attestation gone back): the federation as it was
    /// before those checks, for showing that the simulation catches the loss.
    pub blind: bool,
    /// A unit whose events are printed (`XINFANG_SIM_TRACE`), for replays.
    pub(super) traced: Option<usize>,
}

/// Production settings, with the one difference a lossy transport needs: it
/// resends what was not acknowledged (a gRPC stream never loses a frame; it
/// fails instead, and the session ends).
pub fn config_for(transport: Transport) -> HubConfig {
    let mut cfg = HubConfig::default();
    if transport == Transport::Datagram {
        cfg.core.retransmit_after = Some(Duration::from_millis(1500));
    }
    cfg
}

impl Sim {
    pub fn new(shape: Shape, seed: u64, faults: Faults) -> Sim {
        Sim::with_config(shape, seed, faults, config_for(faults.transport))
    }

    pub fn with_config(shape: Shape, seed: u64, faults: Faults, cfg: HubConfig) -> Sim {
        let topo = Arc::new(shape.topology());
        let units: Vec<UnitCode> = shape.units().into_iter().map(|u| u.code).collect();
        let index: HashMap<&UnitCode, usize> =
            units.iter().enumerate().map(|(i, u)| (u, i)).collect();
        // Parents read off the generated units, never the topology's subtree
        // functions, which the router under test uses.
        let parent_of: Vec<Option<usize>> = shape
            .units()
            .iter()
            .map(|u| u.parent.as_ref().map(|p| index[p]))
            .collect();
        let mut rng = StdRng::seed_from_u64(seed);
        let nodes: Vec<Node> = units
            .iter()
            .enumerate()
            .map(|(i, u)| {
                // Half the nodes sync every commit, half at checkpoints.
                let durability = if rng.random_bool(0.5) {
                    Durability::Full
                } else {
                    Durability::Normal
                };
                let skew = if faults.clock_skew {
                    rng.random_range(-600_000..=600_000)
                } else {
                    0
                };
                let disk = Arc::new(SimDisk::new(u.as_str(), durability));
                Node {
                    unit: u.clone(),
                    ledger: Arc::new(SimLedger { disk: disk.clone() }),
                    disk,
                    hub: None,
                    parent: parent_of[i],
                    children: (0..units.len())
                        .filter(|&c| parent_of[c] == Some(i))
                        .collect(),
                    skew_ms: Arc::new(AtomicI64::new(skew)),
                    backup: None,
                    unflushed: Vec::new(),
                }
            })
            .collect();
        let pairs = parent_of
            .iter()
            .enumerate()
            .filter_map(|(child, p)| p.map(|p| (p, child)))
            .collect();
        let checkpoint = if rng.random_bool(0.5) { 0.3 } else { 0.04 };
        let mut sim = Sim {
            seed,
            shape,
            topo,
            nodes,
            pairs,
            conns: BTreeMap::new(),
            live: Picker::new(),
            busy: Picker::new(),
            rng,
            now: Duration::ZERO,
            clock: Arc::new(AtomicI64::new(1_790_000_000_000)),
            cfg,
            faults,
            writes: Vec::new(),
            checkpoint,
            chaos_steps: 0,
            stats: Stats::default(),
            broken_router: None,
            blind: false,
            traced: None,
        };
        if let Ok(code) = std::env::var("XINFANG_SIM_TRACE") {
            sim.traced = sim.nodes.iter().position(|n| n.unit.as_str() == code);
        }
        for i in 0..sim.nodes.len() {
            sim.start_node(i);
        }
        for pair in sim.pairs.clone() {
            sim.connect(pair);
        }
        sim
    }

    // Handles for focused tests.

    pub fn hub_of(&self, i: usize) -> Hub {
        self.hub(i).expect("the node runs")
    }

    pub fn disk(&self, i: usize) -> &Arc<SimDisk> {
        &self.nodes[i].disk
    }

    pub fn is_normal(&self, i: usize) -> bool {
        self.nodes[i].disk.durability() == Durability::Normal
    }

    /// Starts node `i` (if down) and dials its links.
    pub fn start(&mut self, i: usize) {
        self.start_node(i);
    }

    pub fn take_backup(&mut self, i: usize) {
        self.nodes[i].backup = Some(self.nodes[i].disk.backup());
        self.stats.backups += 1;
    }

    pub fn flush_all(&mut self) {
        for i in 0..self.nodes.len() {
            self.flush(i);
        }
    }

    /// Delivers one frame or does one piece of storage work; false when
    /// nothing waits.
    pub fn progress(&mut self) -> bool {
        self.progress_one()
    }

    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    pub(super) fn hub(&self, i: usize) -> Option<Hub> {
        self.nodes[i].hub.clone()
    }

    /// Starts node `i` on its disk, as `xinfang-node` starts: the recovery
    /// mark a restore left is read before any link runs.
    pub(super) fn start_node(&mut self, i: usize) {
        if self.nodes[i].hub.is_some() {
            return;
        }
        let (clock, skew) = (self.clock.clone(), self.nodes[i].skew_ms.clone());
        let store: Arc<dyn Store> = self.nodes[i].disk.clone();
        let hub = Hub::with_clock(
            self.nodes[i].unit.clone(),
            self.topo.clone(),
            store,
            self.cfg.clone(),
            Arc::new(move || clock.load(Ordering::SeqCst) + skew.load(Ordering::SeqCst)),
        )
        .expect("every generated unit is in the topology");
        block_on(hub.load_recovery()).expect("the simulated disk reads its mark");
        self.note(i, || {
            format!(
                "starts: epoch {} head {} recovering {:?}",
                hub.epoch(),
                hub.head(),
                hub.recovery().map(|m| m.epoch)
            )
        });
        self.nodes[i].hub = Some(hub);
    }

    /// The node's process is gone: its sessions end with it.
    pub(super) fn stop_node(&mut self, i: usize) {
        self.note(i, || "stops".into());
        self.drop_sessions_of(i);
        self.nodes[i].hub = None;
    }

    pub(super) fn drop_sessions_of(&mut self, i: usize) {
        let mut keys = Vec::new();
        if let Some(p) = self.nodes[i].parent {
            keys.push((p, i));
        }
        keys.extend(self.nodes[i].children.iter().map(|&c| (i, c)));
        for k in keys {
            self.remove_conn(k);
        }
    }

    pub(super) fn remove_conn(&mut self, k: (usize, usize)) -> Option<Conn> {
        self.live.remove(&k);
        self.busy.remove(&k);
        self.conns.remove(&k)
    }

    /// Opens a session on `pair` (the child dials, the parent accepts).
    pub fn connect(&mut self, pair: (usize, usize)) {
        let (p, c) = pair;
        let (Some(hp), Some(hc)) = (self.hub(p), self.hub(c)) else {
            return;
        };
        if self.conns.contains_key(&pair) {
            return;
        }
        let now = self.now;
        let start = |hub: &Hub, peer: &UnitCode, role: AttestRole| {
            let stored = block_on(hub.link_record(peer))
                .expect("the simulated disk reads link records")
                .map(|r| r.inbound);
            let recovering = hub.recovery().map(|m| {
                if m.declared {
                    Recovering::Restored
                } else {
                    Recovering::WentBack
                }
            });
            let (mut core, mut acts) = LinkCore::start(
                hub.config().core.clone(),
                hub.me().clone(),
                hub.epoch(),
                recovering,
                peer.clone(),
                stored,
                hub.wanted_whole(peer),
                hub.head(),
                now,
            );
            acts.extend(core.start_attesting(role, now));
            core.know_own_epochs(
                block_on(hub.store().epochs()).expect("the simulated disk reads its epochs"),
            );
            (core, acts, hub.epoch())
        };
        let (core_p, acts_p, epoch_p) = start(&hp, &self.nodes[c].unit, AttestRole::Ask);
        let (core_c, acts_c, epoch_c) = start(&hc, &self.nodes[p].unit, AttestRole::Answer);
        self.conns.insert(
            pair,
            Conn {
                nodes: [p, c],
                cores: [core_p, core_c],
                queues: [VecDeque::new(), VecDeque::new()],
                work: VecDeque::new(),
                epochs: [epoch_p, epoch_c],
                blackhole_since: None,
            },
        );
        self.live.insert(pair);
        self.stats.sessions += 1;
        self.route_actions(pair, 0, acts_p);
        self.route_actions(pair, 1, acts_c);
    }

    /// Prints what happened to the traced unit (a replay's aid).
    /// Whether either node is the traced one (what only the trace needs is
    /// worked out only then).
    pub(super) fn traces(&self, a: usize, b: usize) -> bool {
        self.traced.is_some_and(|t| t == a || t == b)
    }

    pub(super) fn note(&self, i: usize, what: impl FnOnce() -> String) {
        if self.traced == Some(i) {
            println!(
                "[{:>9.3}s] {}: {}",
                self.now.as_secs_f64(),
                self.nodes[i].unit,
                what()
            );
        }
    }

    /// The command that replays this run.
    pub fn replay(&self) -> String {
        format!(
            "replay: XINFANG_SIM_SEED={} XINFANG_SIM_STEPS={} XINFANG_SIM_SHAPE={} \
             XINFANG_SIM_TRANSPORT={} cargo test -p xinfang-hub --test sim -- --nocapture \
             replay_one_seed",
            self.seed,
            self.chaos_steps,
            super::check::shape_name(&self.shape),
            self.faults.transport.name()
        )
    }
}
