//! `xinfang bench --city`: a realistic city for the reports (1 city, 8 counties,
//! 120 townships, 1,500 communities; skewed: some townships ten times busier),
//! its cases spread over five years, ingested at the city node through
//! replication from the eight county nodes; then on-disk size per case, idle
//! memory and the latency of each report (median and p99 over 50 runs).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{NaiveDate, TimeZone, Utc};
use rand::{Rng, SeedableRng};
use xinfang_hub::db::{DbOptions, Durability};
use xinfang_hub::doc::{self, Heads};
use xinfang_hub::store::sql::SqlStore;
use xinfang_hub::store::{DocWrite, Store};
use xinfang_hub::{Tier, Topology, Unit, UnitCode};
use xinfang_node::case::{self, Channel, Details, Registration};
use xinfang_node::layout::FederationDir;
use xinfang_node::lifecycle::{Body, Opinion, Record, Satisfaction, Screening};
use xinfang_proto::v1 as pb;
use xinfang_proto::v1::reports_client::ReportsClient;

use crate::cmd_bench::{Fed, Row, free_port, peak_rss_mib, percentile, write_topology};
use crate::cmd_up::ensure_pki;
use crate::output::Lang;

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
        attributes: Default::default(),
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
            attributes: Default::default(),
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
                attributes: Default::default(),
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
                    attributes: Default::default(),
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

/// Picks an index with the given weights.
fn pick(rng: &mut impl Rng, cumulative: &[f64]) -> usize {
    let total = cumulative.last().copied().unwrap_or(1.0);
    let x = rng.random::<f64>() * total;
    cumulative
        .partition_point(|c| *c < x)
        .min(cumulative.len() - 1)
}

fn cumulative(weights: impl IntoIterator<Item = f64>) -> Vec<f64> {
    let mut acc = 0.0;
    weights
        .into_iter()
        .map(|w| {
            acc += w;
            acc
        })
        .collect()
}

/// Writes one county's share of the city's cases straight into its store.
async fn generate_county(
    layout: &FederationDir,
    topology: &Arc<Topology>,
    county: &UnitCode,
    towns: &[(UnitCode, Vec<UnitCode>)],
    n: usize,
    seed: u64,
    bar: &indicatif::ProgressBar,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(layout.data(county))?;
    let db = xinfang_node::schema::open(
        &xinfang_hub::db::sqlite_url(&layout.data(county).join("xinfang.db")),
        DbOptions {
            durability: Durability::Normal,
            max_connections: None,
        },
    )
    .await?;
    let store = SqlStore::open(db.clone()).await?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    // Skew: a few townships ten times busier than the rest.
    let town_w = cumulative((0..towns.len()).map(|i| if i % 7 == 0 { 10.0 } else { 1.0 }));
    let channels = [
        Channel::Visit,
        Channel::Letter,
        Channel::Online,
        Channel::Phone,
    ];
    let channel_w = cumulative([0.35, 0.15, 0.4, 0.1]);
    let purposes = ["advice", "appeal", "request", "accusation", "other"];
    let categories = [
        "economy",
        "law",
        "labor",
        "education",
        "politics",
        "industry",
        "discipline",
        "publicity",
    ];
    let category_w = cumulative([5.0, 3.0, 2.5, 1.5, 1.0, 1.0, 0.6, 0.4]);
    let start = NaiveDate::from_ymd_opt(2021, 11, 1).context("date")?;
    let days = 5 * 365;
    let content = "反映本村道路年久失修、雨季积水严重，影响村民出行，请求协调资金尽快修缮。";
    let mut seq: std::collections::HashMap<(UnitCode, i32), u64> = Default::default();
    let mut batch = Vec::with_capacity(1000);
    for i in 0..n {
        let (town, comms) = &towns[pick(&mut rng, &town_w)];
        let roll: f64 = rng.random();
        let unit = if roll < 0.7 && !comms.is_empty() {
            comms[rng.random_range(0..comms.len())].clone()
        } else if roll < 0.93 {
            town.clone()
        } else {
            county.clone()
        };
        let day = start + chrono::Duration::days(rng.random_range(0..days));
        let at = Utc
            .from_local_datetime(
                &day.and_hms_opt(2, rng.random_range(0..8), 0)
                    .context("time")?,
            )
            .single()
            .context("time")?;
        let year = chrono::Datelike::year(&day);
        let s = seq.entry((unit.clone(), year)).or_insert(0);
        *s += 1;
        let no = case::case_number(&unit, year, *s);
        let reg = Registration {
            unit: unit.clone(),
            petitioner: format!("信访人{i}"),
            content: content.into(),
            details: Details {
                channel: channels[pick(&mut rng, &channel_w)],
                purpose: Some(purposes[rng.random_range(0..purposes.len())].into()),
                category: Some(categories[pick(&mut rng, &category_w)].into()),
                ..Default::default()
            },
            by: Some("bench".into()),
        };
        let actor = doc::unit_actor(&unit);
        let mut d = doc::new_doc(&no, actor)?;
        case::write_registration(
            &mut d,
            &no,
            &reg,
            &at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        )?;
        // Most cases were screened; many answered and rated; the recent ones open.
        let mut t = at;
        let mut record =
            |d: &mut automerge::AutoCommit, days: i64, body: Body| -> anyhow::Result<()> {
                t += chrono::Duration::days(days);
                let r = Record {
                    id: format!("{unit}-{}", uuid::Uuid::new_v4().simple()),
                    unit: unit.clone(),
                    at: t,
                    body,
                    by: Some("bench".into()),
                };
                case::add_record(d, &no, &r)?;
                Ok(())
            };
        if rng.random::<f64>() < 0.9 {
            record(
                &mut d,
                rng.random_range(0..20),
                Body::Screening {
                    decision: Screening::Accept,
                },
            )?;
            if rng.random::<f64>() < 0.75 {
                record(
                    &mut d,
                    rng.random_range(5..75),
                    Body::Reply {
                        opinion: Opinion::Support,
                        text: "已答复".into(),
                    },
                )?;
                if rng.random::<f64>() < 0.6 {
                    let handling = if rng.random::<f64>() < 0.85 {
                        Satisfaction::Satisfied
                    } else {
                        Satisfaction::Unsatisfied
                    };
                    record(
                        &mut d,
                        3,
                        Body::Rating {
                            acceptance: Satisfaction::Satisfied,
                            handling,
                        },
                    )?;
                }
            }
        }
        let heads = Heads::of(&mut d);
        batch.push(DocWrite {
            doc_id: no.clone(),
            scope: doc::read_scope(&no, &d)?,
            heads: heads.encode(),
            source: None,
            bytes: d.save(),
        });
        if batch.len() == 1000 || i + 1 == n {
            let k = batch.len() as u64;
            store
                .commit(
                    std::mem::take(&mut batch),
                    None,
                    xinfang_hub::engine::wall_clock_ms(),
                )
                .await?;
            bar.inc(k);
        }
    }
    let store: Arc<dyn Store> = Arc::new(store);
    let hub = xinfang_hub::Hub::new(county.clone(), topology.clone(), store, Default::default())?;
    let rules = Arc::new(xinfang_node::rules::CaseRules::official()?);
    xinfang_node::projection::Projector::new(hub, db.clone(), rules)
        .catch_up()
        .await?;
    db.close().await;
    Ok(())
}

fn dir_bytes(p: &Path) -> u64 {
    std::fs::read_dir(p)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

fn vm_rss_mib(pid: u32) -> Option<f64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = s.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
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
        generate_county(
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
    let mut fed = Fed::new(
        std::env::current_exe()?,
        topo_path,
        (*topo).clone(),
        layout.clone(),
    );
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
    let result = measure(&mut fed, &running, &probes, cases, &layout, lang).await;
    fed.stop_all().await;
    result
}

async fn measure(
    fed: &mut Fed,
    running: &[UnitCode],
    probes: &[UnitCode; 2],
    cases: usize,
    layout: &FederationDir,
    lang: Lang,
) -> anyhow::Result<Vec<Row>> {
    let city: UnitCode = CITY.parse()?;
    fed.start(CITY).await?;
    let t0 = Instant::now();
    for c in &running[1..] {
        fed.start(c.as_str()).await?;
    }
    eprintln!("{}", lang.t("市级节点接收中…", "The city is ingesting…"));
    let conn = fed.conn(CITY);
    let mut reports = ReportsClient::new(conn.channel().await?);
    let whole = |from: &str, to: &str, by: &str| pb::ReportRequest {
        unit: CITY.into(),
        from: from.into(),
        to: to.into(),
        by: by.into(),
        ..Default::default()
    };
    // Done when every document is held and projected (the summary counts all).
    loop {
        let s = fed.status(CITY).await?;
        if s.documents as usize >= cases {
            let r = reports
                .summary(whole("2000-01-01", "2099-12-31", ""))
                .await?
                .into_inner();
            if r.rows
                .first()
                .and_then(|row| row.cells.get(1))
                .map(|c| c.int)
                == Some(cases as i64)
            {
                break;
            }
        }
        if t0.elapsed() > Duration::from_secs(3600) {
            anyhow::bail!("the city did not ingest {cases} cases within an hour");
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let ingest = t0.elapsed().as_secs_f64();
    let mut rows = vec![Row {
        key: "city_ingest",
        what: "市级接收全部案件（8 条链路）",
        value: cases as f64 / ingest,
        unit: "docs/s",
        detail: format!("{cases} cases in {ingest:.0} s, documents and query tables"),
        aim: "—",
    }];
    let data = dir_bytes(&layout.data(&city));
    rows.push(Row {
        key: "city_disk",
        what: "市级节点每件磁盘占用",
        value: data as f64 / cases as f64,
        unit: "bytes",
        detail: format!(
            "{:.0} MiB in all (documents, feed, query tables, WAL)",
            data as f64 / 1048576.0
        ),
        aim: "—",
    });
    // Idle: let the node settle, then read its resident memory.
    tokio::time::sleep(Duration::from_secs(5)).await;
    if let Some(pid) = fed.pid(CITY) {
        rows.push(Row {
            key: "city_idle_rss",
            what: "市级节点空闲常驻内存",
            value: vm_rss_mib(pid).unwrap_or(f64::NAN),
            unit: "MiB",
            detail: format!(
                "peak during ingest {:.0} MiB",
                peak_rss_mib(pid).unwrap_or(f64::NAN)
            ),
            aim: "< 300 MB",
        });
    }
    let month = ("2026-10-01", "2026-10-31");
    let year = ("2025-11-01", "2026-10-31");
    let queries: Vec<(&'static str, &'static str, pb::ReportRequest)> = vec![
        (
            "report_summary_month",
            "summary 一个月",
            whole(month.0, month.1, ""),
        ),
        (
            "report_breakdown_unit",
            "breakdown --by unit 一个月",
            whole(month.0, month.1, "unit"),
        ),
        (
            "report_breakdown_category",
            "breakdown --by category 一个月",
            whole(month.0, month.1, "category"),
        ),
        (
            "report_breakdown_channel_year",
            "breakdown --by channel 一年",
            whole(year.0, year.1, "channel"),
        ),
        (
            "report_rates_month",
            "rates 一个月",
            whole(month.0, month.1, ""),
        ),
        (
            "report_rates_unit_month",
            "rates --by unit 一个月",
            whole(month.0, month.1, "unit"),
        ),
        ("report_rates_year", "rates 一年", whole(year.0, year.1, "")),
        (
            "report_trend_5y",
            "trend --by tier 五年",
            whole("2021-11-01", "2026-10-31", "tier"),
        ),
        ("report_overdue", "overdue（全市）", whole("", "", "")),
        (
            "report_county_summary",
            "summary 一个县一个月",
            pb::ReportRequest {
                unit: running[1].to_string(),
                ..whole(month.0, month.1, "")
            },
        ),
        (
            "report_rates_town_year",
            "rates 最忙乡镇一年",
            pb::ReportRequest {
                unit: probes[0].to_string(),
                ..whole(year.0, year.1, "")
            },
        ),
        (
            "report_summary_community_year",
            "summary 一个村（社区）一年",
            pb::ReportRequest {
                unit: probes[1].to_string(),
                ..whole(year.0, year.1, "")
            },
        ),
    ];
    for (key, what, req) in queries {
        let mut ms = Vec::with_capacity(50);
        for _ in 0..50 {
            let t = Instant::now();
            let r = match key {
                k if k.starts_with("report_summary") || k == "report_county_summary" => {
                    reports.summary(req.clone()).await
                }
                k if k.starts_with("report_breakdown") => reports.breakdown(req.clone()).await,
                k if k.starts_with("report_rates") => reports.rates(req.clone()).await,
                "report_trend_5y" => reports.trend(req.clone()).await,
                _ => reports.overdue(req.clone()).await,
            };
            r?;
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        ms.sort_by(f64::total_cmp);
        rows.push(Row {
            key,
            what,
            value: percentile(&ms, 0.5),
            unit: "ms",
            detail: format!("median of 50; p99 {:.1} ms", percentile(&ms, 0.99)),
            aim: if key.contains("summary") || key.contains("breakdown") || key.contains("rates") {
                "< 50 ms"
            } else {
                "—"
            },
        });
    }
    Ok(rows)
}
