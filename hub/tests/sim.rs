//! Deterministic simulation of the hub: many nodes in a federation tree, each with the
//! real engine (merge, routing, feed) on an in-memory store and the real sans-IO link
//! core, over a simulated network that drops, duplicates and reorders frames,
//! partitions links and crashes nodes. Every run is fixed by its seed; a failure
//! prints the seed to replay with `XINFANG_SIM_SEED=<seed>`. The cores' attestation
//! decisions run too, against a trivial attestor: a child answers with its feed
//! head, a parent checks that the answer is one.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use automerge::transaction::Transactable;
use futures::executor::block_on;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use xinfang_hub::core::{Action, AttestRole, CoreConfig, Event, LinkCore};
use xinfang_hub::doc::{self, Heads, Limits};
use xinfang_hub::route::PeerRole;
use xinfang_hub::store::Store;
use xinfang_hub::store::mem::MemStore;
use xinfang_hub::{Create, Hub, HubConfig, Tier, Topology, Unit, UnitCode};
use xinfang_proto::v1::SyncFrame;

/// city → 2 counties → 2 townships each → 2 communities each (15 nodes).
fn topology() -> Topology {
    let mut units = vec![unit("441500", "city", Tier::City, None)];
    for c in 0..2 {
        let county = format!("4415{:02}", 21 + c);
        units.push(unit(&county, "county", Tier::County, Some("441500")));
        for t in 0..2 {
            let town = format!("{county}{:03}000", 101 + t);
            units.push(unit(&town, "town", Tier::Township, Some(&county)));
            for m in 0..2 {
                let comm = format!("{county}{:03}{:03}", 101 + t, 1 + m);
                units.push(unit(&comm, "community", Tier::Community, Some(&town)));
            }
        }
    }
    Topology::from_units(units).expect("valid topology")
}

fn unit(code: &str, name: &str, tier: Tier, parent: Option<&str>) -> Unit {
    Unit {
        code: code.parse().unwrap(),
        name: name.into(),
        tier,
        parent: parent.map(|p| p.parse().unwrap()),
        listen: "sim:1".into(),
        api: None,
        kind: Default::default(),
        attributes: Default::default(),
    }
}

#[derive(Clone, Copy)]
struct Faults {
    drop: f64,
    dup: f64,
    reorder: f64,
}

const CALM: Faults = Faults {
    drop: 0.0,
    dup: 0.0,
    reorder: 0.0,
};

struct Node {
    unit: UnitCode,
    store: Arc<MemStore>,
    hub: Option<Hub>,
}

enum Work {
    CheckMark,
    Scan {
        generation: u64,
        after: u64,
        echo: bool,
    },
    Apply {
        epoch: String,
        upto: u64,
        docs: Vec<xinfang_proto::v1::DocEntry>,
        mark: Vec<u8>,
    },
    SaveAck(u64),
    Ask,
    Attest(Vec<u8>),
    Check(Vec<u8>),
}

/// What the simulated attestors did.
#[derive(Debug, Default)]
struct Attested {
    asked: u64,
    answered: u64,
    checked: u64,
}

/// One live parent-child connection. Side 0 is the parent, side 1 the child.
struct Conn {
    nodes: [usize; 2],
    cores: [LinkCore; 2],
    /// `queues[s]` holds frames travelling towards side `s`.
    queues: [VecDeque<SyncFrame>; 2],
    work: VecDeque<(usize, Work)>,
}

/// A routing function deliberately wrong, for checking that the convergence
/// check catches it: given the unit at the root of the subtree a link shares and
/// a document's scope, whether the link carries the document.
type BrokenRouter = fn(&UnitCode, &BTreeSet<UnitCode>) -> bool;

struct Sim {
    topo: Arc<Topology>,
    /// Each node's parent, read off the units as `topology()` wrote them: the
    /// check of who must hold what walks this, never the topology's own subtree
    /// functions, which the router under test uses.
    parent_of: Vec<Option<usize>>,
    /// When set, the sending side of every link filters what the engine scanned
    /// with this instead (the receiver's own checks still run).
    broken_router: Option<BrokenRouter>,
    nodes: Vec<Node>,
    pairs: Vec<(usize, usize)>,
    conns: BTreeMap<(usize, usize), Conn>,
    rng: StdRng,
    now: Duration,
    clock: Arc<AtomicI64>,
    cfg: HubConfig,
    docs_created: u64,
    attested: Attested,
}

impl Sim {
    fn new(seed: u64) -> Sim {
        let topo = Arc::new(topology());
        let units: Vec<UnitCode> = topo.units().map(|u| u.code.clone()).collect();
        let index = |c: &UnitCode| units.iter().position(|u| u == c).unwrap();
        let parent_of: Vec<Option<usize>> = topo
            .units()
            .map(|u| u.parent.as_ref().map(&index))
            .collect();
        let pairs = parent_of
            .iter()
            .enumerate()
            .filter_map(|(child, p)| p.map(|p| (p, child)))
            .collect();
        // Small batches and scans so that multi-batch paths are exercised.
        let cfg = HubConfig {
            core: CoreConfig {
                window: 3,
                hello_retry: Duration::from_millis(800),
                retransmit_after: Some(Duration::from_millis(1500)),
                // Partitions here are meant to heal within a session.
                idle_timeout: None,
                ..CoreConfig::default()
            },
            batch_max_docs: 4,
            scan_rows: 5,
            limits: Limits::default(),
            ..HubConfig::default()
        };
        let clock = Arc::new(AtomicI64::new(1_700_000_000_000));
        let mut sim = Sim {
            nodes: units
                .iter()
                .enumerate()
                .map(|(i, u)| Node {
                    unit: u.clone(),
                    store: Arc::new(MemStore::new(format!("epoch-{i}"))),
                    hub: None,
                })
                .collect(),
            topo,
            parent_of,
            broken_router: None,
            pairs,
            conns: BTreeMap::new(),
            rng: StdRng::seed_from_u64(seed),
            now: Duration::ZERO,
            clock,
            cfg,
            docs_created: 0,
            attested: Attested::default(),
        };
        for i in 0..sim.nodes.len() {
            sim.start_node(i);
        }
        sim
    }

    fn start_node(&mut self, i: usize) {
        let clock = self.clock.clone();
        let store: Arc<dyn Store> = self.nodes[i].store.clone();
        let hub = Hub::with_clock(
            self.nodes[i].unit.clone(),
            self.topo.clone(),
            store,
            self.cfg.clone(),
            Arc::new(move || clock.load(Ordering::SeqCst)),
        )
        .unwrap();
        self.nodes[i].hub = Some(hub);
    }

    fn crash_node(&mut self, i: usize) {
        self.conns.retain(|_, c| !c.nodes.contains(&i));
        self.nodes[i].hub = None;
    }

    fn connect(&mut self, pair: (usize, usize)) {
        let (p, c) = pair;
        let (Some(hp), Some(hc)) = (self.nodes[p].hub.clone(), self.nodes[c].hub.clone()) else {
            return;
        };
        if self.conns.contains_key(&pair) {
            return;
        }
        let start = |hub: &Hub, peer: &UnitCode, now| {
            let stored = block_on(hub.link_record(peer)).unwrap().map(|r| r.inbound);
            LinkCore::start(
                hub.config().core.clone(),
                hub.me().clone(),
                hub.epoch(),
                hub.recovery()
                    .map(|_| xinfang_hub::core::Recovering::WentBack),
                peer.clone(),
                stored,
                hub.head(),
                now,
            )
        };
        let (mut core_p, mut acts_p) = start(&hp, &self.nodes[c].unit, self.now);
        let (mut core_c, mut acts_c) = start(&hc, &self.nodes[p].unit, self.now);
        acts_p.extend(core_p.start_attesting(AttestRole::Ask, self.now));
        acts_c.extend(core_c.start_attesting(AttestRole::Answer, self.now));
        self.conns.insert(
            pair,
            Conn {
                nodes: [p, c],
                cores: [core_p, core_c],
                queues: [VecDeque::new(), VecDeque::new()],
                work: VecDeque::new(),
            },
        );
        self.route_actions(pair, 0, acts_p, CALM);
        self.route_actions(pair, 1, acts_c, CALM);
    }

    /// Handles actions produced by side `side` of connection `pair`.
    fn route_actions(
        &mut self,
        pair: (usize, usize),
        side: usize,
        actions: Vec<Action>,
        f: Faults,
    ) {
        let mut close = false;
        let dup = self.rng.random_bool(f.dup);
        let Some(conn) = self.conns.get_mut(&pair) else {
            return;
        };
        for a in actions {
            match a {
                Action::Send(frame) => {
                    if dup {
                        conn.queues[1 - side].push_back(frame.clone());
                    }
                    conn.queues[1 - side].push_back(frame);
                }
                Action::Scan {
                    generation,
                    after,
                    echo,
                } => conn.work.push_back((
                    side,
                    Work::Scan {
                        generation,
                        after,
                        echo,
                    },
                )),
                Action::Apply {
                    peer_epoch,
                    upto,
                    docs,
                    mark,
                } => conn.work.push_back((
                    side,
                    Work::Apply {
                        epoch: peer_epoch,
                        upto,
                        docs,
                        mark,
                    },
                )),
                Action::CheckMark { .. } => conn.work.push_back((side, Work::CheckMark)),
                Action::Acked(upto) => conn.work.push_back((side, Work::SaveAck(upto))),
                Action::Ask { .. } => conn.work.push_back((side, Work::Ask)),
                Action::Attest { ask } => conn.work.push_back((side, Work::Attest(ask))),
                Action::CheckAttestation { answer } => {
                    conn.work.push_back((side, Work::Check(answer)))
                }
                Action::Close { error } => {
                    assert!(error.is_none(), "a link closed with an error: {error:?}");
                    close = true;
                }
            }
        }
        if close {
            self.conns.remove(&pair);
        }
    }

    fn feed(&mut self, pair: (usize, usize), side: usize, ev: Event, f: Faults) {
        let now = self.now;
        let Some(conn) = self.conns.get_mut(&pair) else {
            return;
        };
        let acts = conn.cores[side].handle(now, ev);
        self.route_actions(pair, side, acts, f);
    }

    /// After node `i` committed: tell every core on `i`'s side its new head.
    fn head_moved(&mut self, i: usize, f: Faults) {
        let Some(head) = self.nodes[i].hub.as_ref().map(Hub::head) else {
            return;
        };
        let keys: Vec<_> = self.conns.keys().copied().collect();
        for k in keys {
            let Some(conn) = self.conns.get(&k) else {
                continue;
            };
            if let Some(side) = conn.nodes.iter().position(|&n| n == i) {
                self.feed(k, side, Event::LocalHead(head), f);
            }
        }
    }

    fn deliver_one(&mut self, f: Faults) -> bool {
        let busy: Vec<((usize, usize), usize)> = self
            .conns
            .iter()
            .flat_map(|(k, c)| {
                (0..2)
                    .filter(|&s| !c.queues[s].is_empty())
                    .map(move |s| (*k, s))
            })
            .collect();
        if busy.is_empty() {
            return false;
        }
        let (k, to) = busy[self.rng.random_range(0..busy.len())];
        let reorder = self.rng.random_bool(f.reorder);
        let drop = self.rng.random_bool(f.drop);
        let conn = self.conns.get_mut(&k).unwrap();
        let q = &mut conn.queues[to];
        let idx = if reorder {
            self.rng.random_range(0..q.len().min(3))
        } else {
            0
        };
        let frame = q.remove(idx).unwrap();
        if !drop {
            self.feed(k, to, Event::Frame(frame), f);
        }
        true
    }

    fn work_one(&mut self, f: Faults) -> bool {
        let busy: Vec<(usize, usize)> = self
            .conns
            .iter()
            .filter(|(_, c)| !c.work.is_empty())
            .map(|(k, _)| *k)
            .collect();
        if busy.is_empty() {
            return false;
        }
        let k = busy[self.rng.random_range(0..busy.len())];
        let conn = self.conns.get_mut(&k).unwrap();
        let (side, work) = conn.work.pop_front().unwrap();
        let node = conn.nodes[side];
        let peer_node = conn.nodes[1 - side];
        let hub = self.nodes[node].hub.clone().unwrap();
        let link = hub.link_with(&self.nodes[peer_node].unit).unwrap();
        match work {
            Work::Scan {
                generation,
                after,
                echo,
            } => {
                let (upto, mut docs) = block_on(hub.scan_for(&link, after, echo)).unwrap();
                if let Some(route) = self.broken_router {
                    let shared = if self.parent_of[node] == Some(peer_node) {
                        &self.nodes[node].unit
                    } else {
                        &self.nodes[peer_node].unit
                    };
                    docs.retain(|d| {
                        let l = doc::decode(&d.doc_id, &d.automerge, &Limits::default()).unwrap();
                        route(shared, &l.scope)
                    });
                }
                self.feed(
                    k,
                    side,
                    Event::Scanned {
                        generation,
                        upto,
                        docs,
                        mark: Vec::new(),
                    },
                    f,
                );
            }
            Work::Apply {
                epoch,
                upto,
                docs,
                mark,
            } => {
                let before = hub.head();
                block_on(hub.apply_from(&link, &epoch, upto, docs, mark)).unwrap();
                self.feed(k, side, Event::Applied { upto }, f);
                if hub.head() != before {
                    self.head_moved(node, f);
                }
            }
            // The simulated stores never go back in time.
            Work::CheckMark => self.feed(k, side, Event::MarkChecked { holds: true }, f),
            Work::SaveAck(upto) => {
                block_on(hub.note_acked(&link.peer, upto)).unwrap();
                self.feed(k, side, Event::AckSaved, f);
            }
            Work::Ask => {
                self.attested.asked += 1;
                let ask = b"head?".to_vec();
                self.feed(k, side, Event::AskReady(Some(ask)), f);
            }
            Work::Attest(ask) => {
                assert_eq!(ask, b"head?", "an ask reaches the child whole");
                self.attested.answered += 1;
                let answer = hub.head().to_be_bytes().to_vec();
                self.feed(k, side, Event::Attested(Some(answer)), f);
            }
            Work::Check(answer) => {
                assert_eq!(answer.len(), 8, "an answer reaches the parent whole");
                self.attested.checked += 1;
                self.feed(k, side, Event::AttestationChecked { went_back: None }, f);
            }
        }
        true
    }

    fn local_write(&mut self, f: Faults) {
        let up: Vec<usize> = (0..self.nodes.len())
            .filter(|&i| self.nodes[i].hub.is_some())
            .collect();
        if up.is_empty() {
            return;
        }
        let i = up[self.rng.random_range(0..up.len())];
        let hub = self.nodes[i].hub.clone().unwrap();
        let held: Vec<String> = block_on(hub.store().scan(0, usize::MAX))
            .unwrap()
            .into_iter()
            .map(|r| r.doc_id)
            .collect();
        let all: Vec<UnitCode> = self.topo.units().map(|u| u.code.clone()).collect();
        let extra = self
            .rng
            .random_bool(0.3)
            .then(|| all[self.rng.random_range(0..all.len())].clone());
        let key = format!("k{}", self.rng.random_range(0..5));
        let value: i64 = self.rng.random_range(0..1000);
        let me = self.nodes[i].unit.clone();
        if held.is_empty() || self.rng.random_bool(0.3) {
            self.docs_created += 1;
            let id = format!("d{}-{}", me, self.docs_created);
            block_on(hub.update(&id, Create::New, |d| {
                doc::extend_scope(&id, d, [&me].into_iter().chain(extra.as_ref()))?;
                d.put(automerge::ROOT, key.as_str(), value)
                    .map_err(|e| doc::DocError::Automerge {
                        doc_id: id.clone(),
                        reason: e.to_string(),
                    })
            }))
            .unwrap();
        } else {
            let id = held[self.rng.random_range(0..held.len())].clone();
            block_on(hub.update(&id, Create::Existing, |d| {
                if let Some(u) = &extra {
                    doc::extend_scope(&id, d, [u])?;
                }
                d.put(automerge::ROOT, key.as_str(), value)
                    .map_err(|e| doc::DocError::Automerge {
                        doc_id: id.clone(),
                        reason: e.to_string(),
                    })
            }))
            .unwrap();
        }
        self.head_moved(i, f);
    }

    fn tick(&mut self, by: Duration, f: Faults) {
        self.now += by;
        self.clock
            .fetch_add(by.as_millis() as i64, Ordering::SeqCst);
        let keys: Vec<_> = self.conns.keys().copied().collect();
        for k in keys {
            self.feed(k, 0, Event::Tick, f);
            self.feed(k, 1, Event::Tick, f);
        }
    }

    fn chaos_step(&mut self, f: Faults) {
        let roll = self.rng.random_range(0..100);
        match roll {
            0..=39 => {
                if !self.deliver_one(f) {
                    self.work_one(f);
                }
            }
            40..=64 => {
                if !self.work_one(f) {
                    self.deliver_one(f);
                }
            }
            65..=76 => self.local_write(f),
            77..=86 => {
                let by = Duration::from_millis(self.rng.random_range(50..700));
                self.tick(by, f);
            }
            87..=90 => {
                // Partition a live link.
                let keys: Vec<_> = self.conns.keys().copied().collect();
                if !keys.is_empty() {
                    let k = keys[self.rng.random_range(0..keys.len())];
                    self.conns.remove(&k);
                }
            }
            91..=96 => {
                let pair = self.pairs[self.rng.random_range(0..self.pairs.len())];
                self.connect(pair);
            }
            97 => {
                let i = self.rng.random_range(0..self.nodes.len());
                self.crash_node(i);
            }
            _ => {
                let down: Vec<usize> = (0..self.nodes.len())
                    .filter(|&i| self.nodes[i].hub.is_none())
                    .collect();
                if !down.is_empty() {
                    let i = down[self.rng.random_range(0..down.len())];
                    self.start_node(i);
                }
            }
        }
    }

    /// Heals everything and runs a calm network until the federation converges.
    fn settle(&mut self) -> Result<(), String> {
        for i in 0..self.nodes.len() {
            if self.nodes[i].hub.is_none() {
                self.start_node(i);
            }
        }
        for pair in self.pairs.clone() {
            self.connect(pair);
        }
        for round in 0..400 {
            let mut progressed = true;
            let mut steps = 0;
            while progressed && steps < 100_000 {
                progressed = self.deliver_one(CALM) | self.work_one(CALM);
                steps += 1;
            }
            if self.converged().is_ok() {
                return Ok(());
            }
            if round % 10 == 9 {
                // A link may have closed (never with an error): reconnect.
                for pair in self.pairs.clone() {
                    self.connect(pair);
                }
            }
            self.tick(Duration::from_millis(1000), CALM);
        }
        self.converged()
    }

    /// Every document is held by exactly the units of its scope and those above
    /// them (`must_hold`), and all of them hold identical heads.
    fn converged(&self) -> Result<(), String> {
        let mut replicas: BTreeMap<String, Vec<(usize, Heads, BTreeSet<UnitCode>)>> =
            BTreeMap::new();
        for (i, n) in self.nodes.iter().enumerate() {
            let rows = block_on(n.store.scan(0, usize::MAX)).unwrap();
            let ids: Vec<String> = rows.iter().map(|r| r.doc_id.clone()).collect();
            for stored in block_on(n.store.get(&ids)).unwrap() {
                let l = doc::decode(&stored.doc_id, &stored.bytes, &Limits::default()).unwrap();
                replicas
                    .entry(stored.doc_id)
                    .or_default()
                    .push((i, l.heads, l.scope));
            }
        }
        for (id, reps) in &replicas {
            let scope: BTreeSet<UnitCode> = reps.iter().flat_map(|r| r.2.iter().cloned()).collect();
            let holders: BTreeSet<usize> = reps.iter().map(|r| r.0).collect();
            let expected = self.must_hold(&scope);
            if holders != expected {
                return Err(format!("{id}: held by {holders:?}, expected {expected:?}"));
            }
            let first = &reps[0].1;
            if reps.iter().any(|r| &r.1 != first) {
                return Err(format!("{id}: replicas differ: {reps:?}"));
            }
        }
        Ok(())
    }

    /// The nodes that must hold a document of `scope`: each unit of the scope and
    /// every unit above it, walked up `parent_of` (independent of the router).
    fn must_hold(&self, scope: &BTreeSet<UnitCode>) -> BTreeSet<usize> {
        let mut out = BTreeSet::new();
        for code in scope {
            let mut at = self.nodes.iter().position(|n| &n.unit == code);
            while let Some(i) = at {
                out.insert(i);
                at = self.parent_of[i];
            }
        }
        out
    }

    fn total_docs(&self) -> usize {
        self.nodes
            .iter()
            .map(|n| block_on(n.store.count_docs()).unwrap() as usize)
            .sum()
    }
}

fn run_seed(seed: u64, steps: usize) {
    let mut sim = Sim::new(seed);
    let faults = Faults {
        drop: 0.05,
        dup: 0.05,
        reorder: 0.1,
    };
    for _ in 0..steps {
        sim.chaos_step(faults);
    }
    if let Err(e) = sim.settle() {
        panic!("seed {seed}: did not converge: {e}");
    }
    assert!(sim.total_docs() > 0, "seed {seed}: nothing was written");
    let a = &sim.attested;
    assert!(
        a.asked > 0 && a.answered > 0 && a.checked > 0,
        "seed {seed}: attestations were asked, answered and checked: {a:?}"
    );
}

#[test]
fn simulated_federation_always_converges() {
    if let Ok(seed) = std::env::var("XINFANG_SIM_SEED") {
        let seed: u64 = seed.parse().expect("XINFANG_SIM_SEED must be a number");
        run_seed(seed, 3000);
        return;
    }
    let seeds: u64 = std::env::var("XINFANG_SIM_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(24);
    for seed in 0..seeds {
        run_seed(seed, 1500);
    }
}

#[test]
fn siblings_never_see_each_other() {
    // Calm network, writes only at two sibling communities with their own scope.
    let mut sim = Sim::new(7);
    for pair in sim.pairs.clone() {
        sim.connect(pair);
    }
    for _ in 0..40 {
        sim.local_write(CALM);
        while sim.deliver_one(CALM) | sim.work_one(CALM) {}
    }
    sim.settle().unwrap();
    // `converged` already checks holders == the scope's units and those above
    // them; check each held row as well: no node holds a document none of whose
    // units is itself or below it.
    for (i, n) in sim.nodes.iter().enumerate() {
        let rows = block_on(n.store.scan(0, usize::MAX)).unwrap();
        for r in rows {
            let scope: BTreeSet<UnitCode> = r.scope.iter().cloned().collect();
            assert!(
                sim.must_hold(&scope).contains(&i),
                "node {i} ({}) holds {} with scope {:?}",
                n.unit,
                r.doc_id,
                r.scope
            );
        }
    }
}

/// The check is not the router's own: a router that carries a document across a
/// link only when the root of the subtree the link shares is itself in the scope
/// (forgetting the units below it) leaves communities' documents short of the
/// county and the city, and the convergence check names one. The same seed with
/// the real router converges (`siblings_never_see_each_other` runs it calm).
#[test]
fn a_broken_router_fails_the_convergence_check() {
    for broken in [true, false] {
        let mut sim = Sim::new(7);
        if broken {
            sim.broken_router = Some(|root, scope| scope.contains(root));
        }
        for pair in sim.pairs.clone() {
            sim.connect(pair);
        }
        for _ in 0..40 {
            sim.local_write(CALM);
            while sim.deliver_one(CALM) | sim.work_one(CALM) {}
        }
        match (broken, sim.settle()) {
            (true, Err(e)) => assert!(e.contains("expected"), "{e}"),
            (true, Ok(())) => panic!("a broken router passed the convergence check"),
            (false, r) => r.expect("the real router converges on the same seed"),
        }
    }
}

#[test]
fn link_roles_match_topology() {
    let sim = Sim::new(1);
    let hub = sim.nodes[0].hub.clone().unwrap();
    assert!(hub.links().iter().all(|l| l.role == PeerRole::Child));
    assert!(block_on(hub.get("missing")).unwrap().is_none());
}
