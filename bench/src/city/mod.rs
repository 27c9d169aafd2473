//! The reports benchmark (`--city`): a realistic city for the reports (1 city, 8
//! counties, 120 townships, 1,500 communities; skewed: some townships ten times
//! busier), its cases spread over five years, ingested at the city node through
//! replication from the eight county nodes; then on-disk size per case, idle
//! memory and the latency of each report (median and p99 over 50 runs).

mod generate;
mod measure;

use std::path::Path;
use std::sync::Arc;

use xinfang_hub::{Tier, Topology, Unit, UnitCode};
use xinfang_node::layout::FederationDir;

use crate::federation::{Fed, ensure_pki, free_port, write_topology};
use crate::lang::Lang;
use crate::results::Row;

const CITY: &str = "441500";
const COUNTIES: usize = 8;
const TOWNS_PER_COUNTY: usize = 15;
const COMMUNITIES: usize = 1_500;

/// A county's towns, each with its communities.
type Towns = Vec<(UnitCode, Vec<UnitCode>)>;

fn city_topology() -> anyhow::Result<(Topology, Vec<Towns>)> {
    let mut units = vec![Unit {
        code: CITY.parse()?,
        name: "汕尾市".into(),
        tier: Tier::City,
        parent: None,
        listen: format!("127.0.0.1:{}", free_port()?),
        api: Some(format!("127.0.0.1:{}", free_port()?)),
        rules: None,
    }];
    let mut tree = Vec::new();
    let mut communities = 0;
    for c in 0..COUNTIES {
        let county: UnitCode = format!("4415{:02}", 21 + c).parse()?;
        units.push(Unit {
            code: county.clone(),
            name: format!("第{}县", c + 1),
            tier: Tier::County,
            parent: Some(CITY.parse()?),
            listen: format!("127.0.0.1:{}", free_port()?),
            api: Some(format!("127.0.0.1:{}", free_port()?)),
            rules: None,
        });
        let mut towns = Vec::new();
        for t in 0..TOWNS_PER_COUNTY {
            let town: UnitCode = format!("{county}{:03}000", 100 + t).parse()?;
            units.push(Unit {
                code: town.clone(),
                name: format!("第{}县第{}镇", c + 1, t + 1),
                tier: Tier::Township,
                parent: Some(county.clone()),
                listen: "127.0.0.1:1".into(),
                api: None,
                rules: None,
            });
            // 1,500 communities over 120 towns: 12 or 13 each.
            let n = COMMUNITIES / (COUNTIES * TOWNS_PER_COUNTY)
                + usize::from(
                    (c * TOWNS_PER_COUNTY + t) < COMMUNITIES % (COUNTIES * TOWNS_PER_COUNTY),
                );
            let mut comms = Vec::new();
            for k in 0..n {
                communities += 1;
                let code: UnitCode = format!("{county}{:03}{:03}", 100 + t, 1 + k).parse()?;
                units.push(Unit {
                    code: code.clone(),
                    name: format!("第{}县第{}镇第{}社区", c + 1, t + 1, k + 1),
                    tier: Tier::Community,
                    parent: Some(town.clone()),
                    listen: "127.0.0.1:1".into(),
                    api: None,
                    rules: None,
                });
                comms.push(code);
            }
            towns.push((town, comms));
        }
        tree.push((county, towns));
    }
    debug_assert_eq!(communities, COMMUNITIES);
    let counties = tree.into_iter().map(|(_, towns)| towns).collect();
    Ok((Topology::from_units(units)?, counties))
}

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
    let result = measure::measure(&mut fed, &running, &probes, cases, &layout, lang).await;
    fed.stop_all().await;
    result
}
