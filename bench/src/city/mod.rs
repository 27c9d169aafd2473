//! The reports benchmark (`--city`): a realistic city for the reports (1 city, 8
//! counties, 120 townships, 1,500 communities; skewed: some townships ten times
//! busier), its cases spread over five years, ingested at the city node through
//! replication from the eight county nodes; then on-disk size per case, idle
//! memory and the latency of each report (median and p99 over 50 runs).

mod generate;
mod measure;
mod pages;
mod topology;

use std::path::Path;
use std::sync::Arc;

use xinfang_hub::{Topology, UnitCode};
use xinfang_node::layout::FederationDir;

use self::topology::{CITY, COUNTIES, city_topology};
use crate::federation::{Fed, ensure_pki, write_topology};
use crate::lang::Lang;
use crate::results::Row;

pub async fn run(root: &Path, cases: usize, lang: Lang) -> anyhow::Result<Vec<Row>> {
    let layout = FederationDir::new(root.join("fed"));
    let (topo, counties) = city_topology()?;
    let topo_path = root.join("topology.toml");
    write_topology(&topo, &topo_path)?;
    // Certificates only for the nine nodes that run.
    let running: Vec<UnitCode> = std::iter::once(CITY.parse::<UnitCode>())
        .chain((0..COUNTIES).map(|c| format!("4415{:02}", 21 + c).parse()))
        .collect::<Result<_, _>>()?;
    let nine = Topology::from_units(
        topo.units()
            .filter(|u| running.contains(&u.code))
            .cloned()
            .collect(),
    )?;
    ensure_pki(&nine, &layout)?;
    let topo = Arc::new(topo);
    eprintln!(
        "{}",
        lang.t("生成全市案件…", "Generating the city's cases…")
    );
    let weights = [3.0, 2.0, 1.5, 1.0, 1.0, 0.8, 0.4, 0.3];
    let total_w: f64 = weights.iter().sum();
    let bar = indicatif::ProgressBar::new(cases as u64).with_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {per_sec}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let mut assigned = 0;
    for (c, towns) in counties.iter().enumerate() {
        let n = if c + 1 == COUNTIES {
            cases - assigned
        } else {
            (cases as f64 * weights[c] / total_w) as usize
        };
        assigned += n;
        generate::generate_county(
            &layout,
            &topo,
            &running[c + 1],
            towns,
            n,
            7 + c as u64,
            &bar,
        )
        .await?;
    }
    bar.finish_and_clear();
    let mut fed = Fed::new(topo_path, (*topo).clone(), layout.clone())?;
    let console = fed.serve_console(CITY)?;
    // The busiest township (the first of the first county, ten times the weight)
    // and one of its communities: reports below the county.
    let busy_town = counties
        .first()
        .and_then(|towns| towns.first())
        .ok_or_else(|| anyhow::anyhow!("the generated city has no township"))?;
    let probes = [
        busy_town.0.clone(),
        busy_town
            .1
            .first()
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("the township has no community"))?,
    ];
    let mut result = measure::measure(&mut fed, &running, &probes, cases, &layout, lang).await;
    if let Ok(rows) = &mut result {
        match measure::console_pages(&fed, console, &layout, lang).await {
            Ok(more) => rows.extend(more),
            Err(e) => result = Err(e),
        }
    }
    fed.stop_all().await;
    result
}
