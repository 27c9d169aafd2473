//! Chaos at process level: the example federation's shape (a city, its county,
//! two towns and a community), each unit its own `xinfang node run` process,
//! under a bounded write load while node processes are killed with SIGKILL and
//! restarted at random for a bounded time. Afterwards every registration a
//! node acknowledged is at the city, and every node that holds a case holds
//! the same heads of it.
//!
//! `XINFANG_CHAOS_SECS` (default 20) bounds the chaos; `XINFANG_CHAOS_SEED`
//! replays a run (the seed is printed).

mod support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;
use support::*;

const CITY: &str = "441500";
const COUNTY_: &str = "441521";
const TOWN_A: &str = "441521115000";
const TOWN_B: &str = "441521101000";
const COMMUNITY: &str = "441521115001";

const UNITS: [(&str, &str, &str, Option<&str>); 5] = [
    (CITY, "汕尾市", "city", None),
    (COUNTY_, "海丰县", "county", Some(CITY)),
    (TOWN_A, "海城镇", "township", Some(COUNTY_)),
    (TOWN_B, "梅陇镇", "township", Some(COUNTY_)),
    (COMMUNITY, "海城镇某社区", "community", Some(TOWN_A)),
];

/// Where registrations are made: the units below the county.
const WRITERS: [&str; 3] = [TOWN_A, TOWN_B, COMMUNITY];

/// The units that hold a case registered at `unit`: it and its superiors.
fn holders(unit: &str) -> Vec<&'static str> {
    let mut out = Vec::new();
    let mut cur = Some(unit);
    while let Some(u) = cur {
        let (code, _, _, parent) = UNITS.iter().find(|x| x.0 == u).expect("a unit");
        out.push(*code);
        cur = *parent;
    }
    out
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

/// The heads of `case_no` at `unit`, if it holds the case.
fn heads(f: &Fixture, unit: &str, case_no: &str) -> Option<Vec<String>> {
    let out = f.at(unit, &["case", "show", case_no]);
    if !out.status.success() {
        return None;
    }
    let v: Value = serde_json::from_slice(&out.stdout).ok()?;
    let mut h: Vec<String> = v["heads"]
        .as_array()?
        .iter()
        .filter_map(|x| x.as_str().map(str::to_owned))
        .collect();
    h.sort();
    Some(h)
}

#[test]
fn killing_nodes_at_random_loses_no_acknowledged_registration() {
    let secs = env_u64("XINFANG_CHAOS_SECS").unwrap_or(20);
    let seed = env_u64("XINFANG_CHAOS_SEED").unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(1)
    });
    println!("chaos: {secs} s, seed {seed} (XINFANG_CHAOS_SEED={seed} replays the choices)");
    let mut rng = StdRng::seed_from_u64(seed);

    let f = Fixture::with_units(&UNITS);
    let codes: Vec<&str> = UNITS.iter().map(|u| u.0).collect();
    f.init_pki(&codes);
    let mut running: BTreeMap<&str, Killed> = BTreeMap::new();
    for u in &codes {
        running.insert(u, f.spawn_node(u));
    }
    for u in &codes {
        f.ready(u);
    }

    // Registrations the nodes acknowledged, by the unit that registered them.
    let mut acked: Vec<(String, &str)> = Vec::new();
    let (mut kills, mut refused) = (0, 0);
    let until = Instant::now() + Duration::from_secs(secs);
    let mut i = 0;
    while Instant::now() < until {
        i += 1;
        let roll: u32 = rng.random_range(0..10);
        if roll < 7 {
            let unit = WRITERS[rng.random_range(0..WRITERS.len())];
            let out = f.at(
                unit,
                &[
                    "case",
                    "register",
                    "--petitioner",
                    "混沌",
                    "--content",
                    &format!("事项{i}"),
                ],
            );
            match serde_json::from_slice::<Value>(&out.stdout) {
                Ok(v) if out.status.success() => {
                    let no = v["case_no"].as_str().expect("case_no").to_owned();
                    acked.push((no, unit));
                }
                // Not acknowledged (the node is down or starting): nothing is owed.
                _ => refused += 1,
            }
        } else {
            let unit = codes[rng.random_range(0..codes.len())];
            match running.remove(unit) {
                // SIGKILL: no shutdown, whatever was in flight is cut.
                Some(node) => {
                    signal(node.0.id(), nix::sys::signal::Signal::SIGKILL);
                    drop(node);
                    kills += 1;
                }
                None => {
                    running.insert(unit, f.spawn_node(unit));
                }
            }
        }
    }
    println!(
        "chaos: {} registrations acknowledged, {refused} not, {kills} nodes killed",
        acked.len()
    );
    assert!(!acked.is_empty(), "the load registered nothing");

    // Every node back; then everything acknowledged reaches the city.
    for u in &codes {
        running.entry(u).or_insert_with(|| f.spawn_node(u));
    }
    for u in &codes {
        f.ready(u);
    }
    for (no, at) in &acked {
        wait_for(
            &format!("{no} (registered at {at}) at the city"),
            Duration::from_secs(120),
            || heads(&f, CITY, no).is_some(),
        );
    }
    // And every holder holds the same heads of each.
    for (no, at) in &acked {
        let want =
            heads(&f, at, no).unwrap_or_else(|| panic!("{no} lost at {at}, which acknowledged it"));
        for holder in holders(at) {
            wait_for(
                &format!("{no}'s heads at {holder}"),
                Duration::from_secs(60),
                || heads(&f, holder, no).as_ref() == Some(&want),
            );
        }
    }
    drop(running);
}
