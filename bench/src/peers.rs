//! The peers' figures from the same run (the peer benchmark's `results/pouch.jsonl`,
//! one JSON object per run) beside ours, each row as a ratio to the best peer
//! configuration: how many times xinfang is ahead (above 1) or behind (below 1).

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, bail};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use serde::Serialize;

use crate::lang::Lang;
use crate::results::{Measured, num};

/// Which way is better for a figure.
#[derive(Debug, Clone, Copy)]
enum Better {
    Higher,
    Lower,
}

/// Our row, the peer's figure it compares with, and which way is better.
struct Pairing {
    ours: &'static str,
    scenario: &'static str,
    theirs: &'static str,
    better: Better,
    /// Scale the peer's figure to ours (per 100,000 documents for disk).
    per_100k: bool,
}

const PAIRINGS: &[Pairing] = &[
    Pairing {
        ours: "first_sync_docs_per_s",
        scenario: "hop",
        theirs: "initial_docs_per_s",
        better: Better::Higher,
        per_100k: false,
    },
    Pairing {
        ours: "zero_change_reconnect_ms",
        scenario: "hop",
        theirs: "noop_ms",
        better: Better::Lower,
        per_100k: false,
    },
    Pairing {
        ours: "incremental_ms",
        scenario: "hop",
        theirs: "incr_ms",
        better: Better::Lower,
        per_100k: false,
    },
    Pairing {
        ours: "three_hop_ms",
        scenario: "chain",
        theirs: "median_ms",
        better: Better::Lower,
        per_100k: false,
    },
    Pairing {
        ours: "peak_rss_city",
        scenario: "hop",
        theirs: "dst_rss_mb",
        better: Better::Lower,
        per_100k: false,
    },
    Pairing {
        ours: "receiver_disk_mib_per_100k",
        scenario: "hop",
        theirs: "dst_disk_mb",
        better: Better::Lower,
        per_100k: true,
    },
];

/// One row compared.
#[derive(Debug, Serialize)]
pub struct Compared {
    pub key: &'static str,
    pub what: &'static str,
    pub unit: &'static str,
    /// Each peer configuration's median, by its tag.
    pub peers: BTreeMap<String, f64>,
    pub best_peer: String,
    pub xinfang: f64,
    /// How many times xinfang is ahead of the best peer configuration.
    pub advantage: f64,
}

/// The peers' runs: figure medians by configuration tag, for hop runs of `n`
/// documents and for chain runs.
fn read_runs(path: &Path, n: usize) -> anyhow::Result<BTreeMap<(String, String), Vec<f64>>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("--peers {}: cannot read", path.display()))?;
    let mut figures: BTreeMap<(String, String), Vec<f64>> = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(line)
            .with_context(|| format!("--peers {} line {}: not JSON", path.display(), i + 1))?;
        let (Some(scenario), Some(tag)) = (v["scenario"].as_str(), v["tag"].as_str()) else {
            bail!(
                "--peers {} line {}: a run names its scenario and tag",
                path.display(),
                i + 1
            );
        };
        if scenario == "hop" && v["n"].as_u64() != Some(n as u64) {
            continue;
        }
        for p in PAIRINGS.iter().filter(|p| p.scenario == scenario) {
            if let Some(x) = v[p.theirs].as_f64() {
                let x = if p.per_100k {
                    x * 100_000.0 / n.max(1) as f64
                } else {
                    x
                };
                figures
                    .entry((p.ours.to_owned(), format!("pouchdb {tag}")))
                    .or_default()
                    .push(x);
            }
        }
    }
    if figures.is_empty() {
        bail!(
            "--peers {}: no run of {n} documents in it (run the peers with the same N)",
            path.display()
        );
    }
    Ok(figures)
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// Our SQLite rows beside the peers' runs in `path` of as many documents.
pub fn compare(path: &Path, ours: &[Measured]) -> anyhow::Result<Vec<Compared>> {
    let n = ours.first().map_or(0, |m| m.docs);
    let runs = read_runs(path, n)?;
    let mut out = Vec::new();
    for p in PAIRINGS {
        let Some(m) = ours
            .iter()
            .find(|m| m.key == p.ours && m.engine == "sqlite")
        else {
            continue;
        };
        let peers: BTreeMap<String, f64> = runs
            .iter()
            .filter(|((key, _), _)| key == p.ours)
            .map(|((_, tag), xs)| (tag.clone(), median(xs.clone())))
            .collect();
        let best = peers.iter().max_by(|a, b| match p.better {
            Better::Higher => a.1.total_cmp(b.1),
            Better::Lower => b.1.total_cmp(a.1),
        });
        let Some((best_peer, &best)) = best else {
            continue;
        };
        let advantage = match p.better {
            Better::Higher => m.value / best,
            Better::Lower => best / m.value,
        };
        out.push(Compared {
            key: p.ours,
            what: m.what,
            unit: m.unit,
            best_peer: best_peer.clone(),
            peers,
            xinfang: m.value,
            advantage,
        });
    }
    Ok(out)
}

pub fn print(rows: &[Compared], lang: Lang) {
    let mut tags: Vec<&String> = rows.iter().flat_map(|r| r.peers.keys()).collect();
    tags.sort();
    tags.dedup();
    let mut header: Vec<String> = vec![lang.t("项目", "Measurement").into()];
    header.extend(tags.iter().map(|t| t.to_string()));
    header.push("xinfang (SQLite)".into());
    header.push(
        lang.t("领先倍数（对最佳配置）", "× ahead of the best config")
            .into(),
    );
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    t.set_header(header);
    for r in rows {
        let mut cells = vec![r.what.to_owned()];
        for tag in &tags {
            cells.push(
                r.peers
                    .get(*tag)
                    .map(|v| format!("{} {}", num(*v), r.unit))
                    .unwrap_or_else(|| "—".into()),
            );
        }
        cells.push(format!("{} {}", num(r.xinfang), r.unit));
        cells.push(format!("{:.2}×", r.advantage));
        t.add_row(cells);
    }
    println!("{t}");
}
