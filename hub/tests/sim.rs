//! Deterministic simulation of the federation (see `simulation/`): generated
//! trees up to a whole city, the real engine and link cores with production
//! settings, and faults — dropped, duplicated and reordered frames, partitions
//! and dead routes, crashes and power losses that take unflushed commits,
//! restores of old backups (declared or put back by hand), full disks, and
//! clocks that are off and jump. Every seed must converge with identical heads
//! and no acknowledged write lost; a failing seed prints how to replay it.
//!
//! The whole city (1,629 nodes) runs with
//! `cargo test --release -p xinfang-hub --test sim -- --ignored --nocapture whole_city`.

mod simulation;

use std::collections::BTreeSet;
use std::time::Instant;

use futures::executor::block_on;
use simulation::{Faults, Shape, Sim, Transport};
use xinfang_hub::route::PeerRole;
use xinfang_hub::store::Store;

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().map(|v| {
        v.parse()
            .unwrap_or_else(|_| panic!("{name} must be a whole number, not {v:?}"))
    })
}

/// Runs one seed: `steps` chaos steps, then settle, then the checks. Returns
/// the line of its table.
fn run_seed(shape: Shape, seed: u64, transport: Transport, steps: u64) -> String {
    let began = Instant::now();
    let mut sim = Sim::new(shape, seed, Faults::all(transport));
    for _ in 0..steps {
        sim.chaos_step();
    }
    let report = match sim.settle() {
        Ok(r) => r,
        Err(e) => panic!(
            "seed {seed} ({}) did not converge: {e}\n{:?}\n{}",
            transport.name(),
            sim.stats,
            sim.replay()
        ),
    };
    let s = &sim.stats;
    assert!(s.writes > 0, "seed {seed}: nothing was written");
    assert!(
        s.asked > 0 && s.answered > 0 && s.checked > 0,
        "seed {seed}: attestations were asked, answered and checked: {s:?}"
    );
    assert!(
        s.sent_as_changes > 0 && s.sent_whole > 0 && s.packed > 0,
        "seed {seed}: documents went both as changes and whole, and batches packed: {s:?}"
    );
    format!(
        "{:>5} {:>9} {:>5} {:>6} {:>8} {:>6} {:>6} {:>6} {:>5} {:>5} {:>4} {:>5} {:>4} {:>5} {:>6} {:>6.1}",
        seed,
        transport.name(),
        report.nodes,
        report.documents,
        report.replicas,
        report.acknowledged_writes,
        s.lost_unflushed,
        s.lost_with_restore,
        s.crashes,
        s.power_losses,
        s.restores_declared + s.restores_by_hand,
        s.recoveries_completed,
        s.disks_filled,
        s.partitions + s.dead_routes,
        report.settle_secs,
        began.elapsed().as_secs_f64(),
    )
}

const HEADER: &str = " seed transport nodes   docs replicas  acked unfl'd restrd crash power rstr recov full  part settle   wall\n\
     (acked: writes on their node's disk, all found in place; unfl'd: writes a power loss took before\n\
     \x20their checkpoint, never acknowledged; restrd: acknowledged writes whose every durable copy went\n\
     \x20with restores of older backups; recov: recoveries completed; part: partitions and dead\n\
     \x20streams; settle: simulated seconds to converge once healed; wall: seconds)";

/// CI's run: eight seeds of a 127-node district and two of a 292-node
/// prefecture, each on both transports. `XINFANG_SIM_SEEDS` sets how many
/// district seeds, `XINFANG_SIM_STEPS` their steps (the prefecture runs twice
/// as many).
#[test]
fn simulated_federation_always_converges() {
    let seeds = env_u64("XINFANG_SIM_SEEDS").unwrap_or(8);
    let steps = env_u64("XINFANG_SIM_STEPS").unwrap_or(20_000);
    println!("{HEADER}");
    let both = [Transport::Stream, Transport::Datagram];
    for seed in 0..seeds {
        for transport in both {
            println!("{}", run_seed(Shape::DISTRICT, seed, transport, steps));
        }
    }
    for seed in [1000, 1001] {
        for transport in both {
            println!(
                "{}",
                run_seed(Shape::PREFECTURE, seed, transport, steps * 2)
            );
        }
    }
}

/// Replays one seed: `XINFANG_SIM_SEED`, with `XINFANG_SIM_SHAPE` (small,
/// district, prefecture, city) and `XINFANG_SIM_TRANSPORT` (stream,
/// datagram). Without a seed it runs seed 0 of the district.
#[test]
fn replay_one_seed() {
    let seed = env_u64("XINFANG_SIM_SEED").unwrap_or(0);
    let shape = std::env::var("XINFANG_SIM_SHAPE")
        .ok()
        .map(|s| simulation::shape_named(&s).unwrap_or_else(|| panic!("no shape {s:?}")))
        .unwrap_or(Shape::DISTRICT);
    let transport = std::env::var("XINFANG_SIM_TRANSPORT")
        .ok()
        .map(|s| Transport::parse(&s).unwrap_or_else(|| panic!("no transport {s:?}")))
        .unwrap_or(Transport::Stream);
    let steps = env_u64("XINFANG_SIM_STEPS").unwrap_or(20_000);
    println!("{HEADER}");
    println!("{}", run_seed(shape, seed, transport, steps));
}

/// The whole city: 1 city, 8 counties, 120 townships, 1,320 communities and
/// 180 departments, every fault, both transports.
#[test]
#[ignore = "the whole city takes minutes: run it with --release --ignored"]
fn whole_city() {
    let seeds = env_u64("XINFANG_SIM_SEEDS").unwrap_or(2);
    let steps = env_u64("XINFANG_SIM_STEPS").unwrap_or(1_000_000);
    println!("{HEADER}");
    for seed in 0..seeds {
        for transport in [Transport::Stream, Transport::Datagram] {
            println!("{}", run_seed(Shape::CITY, seed, transport, steps));
        }
    }
}

/// Calm network, writes only: no node holds a document none of whose units is
/// itself or below it.
#[test]
fn siblings_never_see_each_other() {
    let mut sim = Sim::new(Shape::SMALL, 7, Faults::CALM);
    for _ in 0..40 {
        sim.local_write();
        while sim.progress() {}
    }
    sim.settle().unwrap();
    for i in 0..sim.node_count() {
        let rows = block_on(sim.disk(i).scan(0, usize::MAX)).unwrap();
        for r in rows {
            let scope: BTreeSet<_> = r.scope.iter().cloned().collect();
            assert!(
                sim.must_hold(&scope).contains(&i),
                "node {i} holds {} with scope {:?}",
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
/// the real router converges.
#[test]
fn a_broken_router_fails_the_convergence_check() {
    for broken in [true, false] {
        let mut sim = Sim::new(Shape::SMALL, 7, Faults::CALM);
        if broken {
            sim.broken_router = Some(|root, scope| scope.contains(root));
        }
        for _ in 0..40 {
            sim.local_write();
            while sim.progress() {}
        }
        match (broken, sim.settle()) {
            (true, Err(e)) => assert!(e.contains("expected"), "{e}"),
            (true, Ok(_)) => panic!("a broken router passed the convergence check"),
            (false, r) => {
                r.expect("the real router converges on the same seed");
            }
        }
    }
}

/// The last community writes five documents, is backed up, writes five more,
/// and all ten reach the city: the scene of the restore tests. Returns it.
fn backed_up_after_five_then_five_more(sim: &mut Sim) -> usize {
    let community = sim.node_count() - 1;
    for _ in 0..5 {
        sim.write_at(community);
    }
    sim.settle().expect("calm");
    sim.take_backup(community);
    for _ in 0..5 {
        sim.write_at(community);
    }
    sim.settle().expect("calm");
    community
}

/// A community's disk put back from an older copy, by hand or by the restore
/// command: it recovers, holds everything it wrote before and after the copy,
/// and nothing acknowledged is lost — on a stream and on a lossy transport.
#[test]
fn a_restored_node_recovers_everything_it_sent_up() {
    for (declared, transport) in [
        (true, Transport::Stream),
        (false, Transport::Stream),
        (false, Transport::Datagram),
    ] {
        let mut faults = Faults::CALM;
        faults.transport = transport;
        let mut sim = Sim::new(Shape::SMALL, 11, faults);
        let community = backed_up_after_five_then_five_more(&mut sim);
        let held = sim.disk(community).doc_count();
        assert!(held >= 10, "ten documents of its own: {held}");
        sim.restore(community, declared);
        assert!(sim.disk(community).doc_count() < held, "the copy is older");
        // The restored node registers before it reconnects: refused while a
        // declared restore recovers, accepted where nobody said (and then
        // carried up like any other).
        sim.start(community);
        let wrote = sim.write_at(community);
        assert_eq!(wrote, !declared, "a declared restore registers nothing new");
        sim.settle()
            .unwrap_or_else(|e| panic!("declared {declared}: {e}"));
        assert_eq!(
            sim.disk(community).doc_count(),
            held + usize::from(wrote),
            "all it sent up came back"
        );
        assert_eq!(sim.stats.recoveries_begun, 1, "{:?}", sim.stats);
        assert_eq!(sim.stats.recoveries_completed, 1, "{:?}", sim.stats);
        if !declared {
            assert!(
                ["store_went_back", "feed_went_back"]
                    .iter()
                    .any(|c| sim.stats.closes.contains_key(*c))
                    || sim.stats.went_back_found > 0,
                "the copy put back by hand was found: {:?}",
                sim.stats
            );
        }
    }
}

/// The checks are what save the registrations: with nodes that never check
/// what their peers saw of them, a copy put back by hand that then registers
/// past where its parent's cursor stood reuses feed positions the parent has
/// passed, and those registrations never leave it (the loss the operator
/// found). With the checks, the same run converges.
#[test]
fn without_its_checks_a_restore_by_hand_loses_registrations() {
    for blind in [true, false] {
        let mut sim = Sim::new(Shape::SMALL, 11, Faults::CALM);
        sim.blind = blind;
        let community = backed_up_after_five_then_five_more(&mut sim);
        sim.restore(community, false);
        sim.start(community);
        for _ in 0..6 {
            assert!(sim.write_at(community), "nobody told it");
        }
        match (blind, sim.settle()) {
            (true, Err(e)) => assert!(e.contains("expected"), "{e}"),
            (true, Ok(_)) => panic!("a restore by hand without checks passed the simulation"),
            (false, r) => {
                r.expect("with the checks the restored node recovers");
            }
        }
    }
}

/// A node syncing at checkpoints loses its unflushed commits in a power loss
/// after its parent applied them: its feed numbers are reused for other
/// documents, the parent's mark shows the store went back, and it recovers.
#[test]
fn a_power_loss_after_the_parent_applied_is_found_and_recovered() {
    let mut sim = Sim::new(Shape::SMALL, 3, Faults::CALM);
    let community = (0..sim.node_count())
        .rev()
        .find(|&i| sim.is_normal(i))
        .expect("some node syncs at checkpoints");
    sim.flush_all();
    for _ in 0..4 {
        sim.write_at(community);
    }
    while sim.progress() {}
    sim.power_loss(community);
    sim.start(community);
    for _ in 0..4 {
        sim.write_at(community);
    }
    sim.settle().expect("converges");
    assert_eq!(sim.stats.recoveries_begun, 1, "{:?}", sim.stats);
    assert_eq!(
        sim.disk(community).doc_count(),
        8,
        "what the power took came back"
    );
}

#[test]
fn link_roles_match_topology() {
    let sim = Sim::new(Shape::SMALL, 1, Faults::CALM);
    let hub = sim.hub_of(0);
    assert!(hub.links().iter().all(|l| l.role == PeerRole::Child));
    assert!(block_on(hub.get("missing")).unwrap().is_none());
}
