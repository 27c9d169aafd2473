//! After the faults: heal everything, let the federation settle, and check what
//! must hold — every document held by exactly its scope's units and those above
//! them, with identical heads everywhere; no node left recovering; and every
//! acknowledged write in its document.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use automerge::AutoCommit;
use automerge::ReadDoc;
use xinfang_hub::UnitCode;
use xinfang_hub::doc::Heads;

use super::faults::WriteState;
use super::tree::Shape;
use super::world::Sim;

/// What a settled run shows.
#[derive(Debug)]
pub struct Report {
    pub nodes: usize,
    pub documents: usize,
    pub replicas: usize,
    pub acknowledged_writes: usize,
    /// Simulated seconds the calm network took to converge.
    pub settle_secs: u64,
}

/// How long a calm network may take to converge (simulated time).
const SETTLE_LIMIT: Duration = Duration::from_secs(3600);

pub fn shape_name(shape: &Shape) -> &'static str {
    match shape.nodes() {
        n if n == Shape::CITY.nodes() => "city",
        n if n == Shape::PREFECTURE.nodes() => "prefecture",
        n if n == Shape::DISTRICT.nodes() => "district",
        _ => "small",
    }
}

pub fn shape_named(name: &str) -> Option<Shape> {
    match name {
        "city" => Some(Shape::CITY),
        "prefecture" => Some(Shape::PREFECTURE),
        "district" => Some(Shape::DISTRICT),
        "small" => Some(Shape::SMALL),
        _ => None,
    }
}

impl Sim {
    /// Heals everything (nodes restarted, disks emptied and flushed, dead
    /// routes found) and runs a calm network until the federation converges.
    pub fn settle(&mut self) -> Result<Report, String> {
        self.faults.drop = 0.0;
        self.faults.dup = 0.0;
        self.faults.reorder = 0.0;
        self.faults.chaos = false;
        for i in 0..self.nodes.len() {
            self.nodes[i].disk.set_full(false);
            self.flush(i);
            self.start_node(i);
        }
        let dead: Vec<_> = self
            .conns
            .iter()
            .filter(|(_, c)| c.blackhole_since.is_some())
            .map(|(k, _)| *k)
            .collect();
        for k in dead {
            self.remove_conn(k);
        }
        let started = self.now;
        // In sync everywhere yet different: nothing more will move.
        let mut stuck = 0;
        while self.now.saturating_sub(started) < SETTLE_LIMIT && stuck < 30 {
            // Children dial again whatever closed.
            for pair in self.pairs.clone() {
                self.connect(pair);
            }
            let mut steps = 0u64;
            while self.progress_one() {
                steps += 1;
                assert!(
                    steps < 50_000_000,
                    "seed {}: a calm network never goes quiet\n{}",
                    self.seed,
                    self.replay()
                );
            }
            if self.quiet() && self.recovering().is_empty() {
                if self.converged().is_ok() {
                    return self.confirm(self.now.saturating_sub(started));
                }
                stuck += 1;
            }
            self.tick(Duration::from_secs(1));
        }
        let recovering: Vec<String> = self
            .recovering()
            .iter()
            .map(|&i| self.unit(i).to_string())
            .collect();
        match self.converged() {
            Err(e) if stuck > 0 => Err(format!("every session in sync, yet {e}")),
            Err(e) => Err(e),
            Ok(_) if !recovering.is_empty() => Err(format!("still recovering: {recovering:?}")),
            Ok(_) => Err("sessions never came into sync".into()),
        }
    }

    /// Every session is live and in sync both ways.
    fn quiet(&self) -> bool {
        self.pairs.iter().all(|k| {
            self.conns
                .get(k)
                .is_some_and(|c| c.cores.iter().all(|core| core.progress().in_sync))
        })
    }

    pub(super) fn recovering(&self) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|&i| self.hub(i).is_some_and(|h| h.recovery().is_some()))
            .collect()
    }

    /// Every document is held by exactly the units of its scope and those above
    /// them (`must_hold`), and all of them hold identical heads (as stored).
    pub fn converged(&self) -> Result<(usize, usize), String> {
        type Replicas = Vec<(usize, String, BTreeSet<UnitCode>)>;
        let mut replicas: BTreeMap<String, Replicas> = BTreeMap::new();
        for (i, n) in self.nodes.iter().enumerate() {
            for (id, heads, scope) in n.disk.rows() {
                replicas
                    .entry(id)
                    .or_default()
                    .push((i, heads, scope.into_iter().collect()));
            }
        }
        let mut count = 0;
        for (id, reps) in &replicas {
            count += reps.len();
            let scope: BTreeSet<UnitCode> = reps.iter().flat_map(|r| r.2.iter().cloned()).collect();
            let holders: BTreeSet<usize> = reps.iter().map(|r| r.0).collect();
            let expected = self.must_hold(&scope);
            if holders != expected {
                let name = |s: &BTreeSet<usize>| -> Vec<String> {
                    s.iter().map(|&i| self.unit(i).to_string()).collect()
                };
                return Err(format!(
                    "{id}: held by {:?}, expected {:?}",
                    name(&holders),
                    name(&expected)
                ));
            }
            if reps.iter().any(|r| r.1 != reps[0].1) {
                let heads: Vec<(String, &String)> = reps
                    .iter()
                    .map(|r| (self.unit(r.0).to_string(), &r.1))
                    .collect();
                return Err(format!("{id}: replicas differ: {heads:?}"));
            }
        }
        Ok((replicas.len(), count))
    }

    /// The nodes that must hold a document of `scope`: each unit of the scope and
    /// every unit above it, walked up the generated parents (independent of the
    /// router).
    pub fn must_hold(&self, scope: &BTreeSet<UnitCode>) -> BTreeSet<usize> {
        let mut out = BTreeSet::new();
        for code in scope {
            let mut at = self.nodes.iter().position(|n| &n.unit == code);
            while let Some(i) = at {
                out.insert(i);
                at = self.nodes[i].parent;
            }
        }
        out
    }

    /// The converged federation holds every acknowledged write, and the root's
    /// copy of each document decodes to the heads stored for it.
    fn confirm(&self, took: Duration) -> Result<Report, String> {
        let (documents, replicas) = self.converged()?;
        let root = 0;
        let mut docs: HashMap<&str, AutoCommit> = HashMap::new();
        let mut acknowledged = 0;
        for w in &self.writes {
            if w.state != WriteState::Acknowledged {
                continue;
            }
            acknowledged += 1;
            if !docs.contains_key(w.doc.as_str()) {
                let Some(bytes) = self.nodes[root].disk.bytes(&w.doc) else {
                    return Err(format!(
                        "acknowledged write {} at {}: document {} is not at the root",
                        w.key,
                        self.unit(w.node),
                        w.doc
                    ));
                };
                let mut d = AutoCommit::load(&bytes).map_err(|e| format!("{}: {e}", w.doc))?;
                let stored = self.nodes[root].disk.heads(&w.doc).unwrap_or_default();
                let decoded = Heads::of(&mut d).encode();
                if decoded != stored {
                    return Err(format!(
                        "{}: stored heads {stored} but decodes to {decoded}",
                        w.doc
                    ));
                }
                docs.insert(&w.doc, d);
            }
            let d = &docs[w.doc.as_str()];
            if d.get(automerge::ROOT, w.key.as_str())
                .ok()
                .flatten()
                .is_none()
            {
                return Err(format!(
                    "acknowledged write {} at {} is missing from {}",
                    w.key,
                    self.unit(w.node),
                    w.doc
                ));
            }
        }
        Ok(Report {
            nodes: self.nodes.len(),
            documents,
            replicas,
            acknowledged_writes: acknowledged,
            settle_secs: took.as_secs(),
        })
    }
}
