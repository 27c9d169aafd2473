//! The city's cases: each county's share written straight into its store, with
//! screenings, replies and ratings as a city's five years would have them, its
//! query tables brought up to date as on a running node.

use std::sync::Arc;

use anyhow::Context;
use chrono::{NaiveDate, TimeZone, Utc};
use rand::{Rng, SeedableRng};
use xinfang_hub::db::{DbOptions, Durability};
use xinfang_hub::doc::{self, Heads};
use xinfang_hub::store::sql::SqlStore;
use xinfang_hub::store::{DocWrite, Store};
use xinfang_hub::{Topology, UnitCode};
use xinfang_node::case::{self, Channel, Details, Registration};
use xinfang_node::case::{Body, Opinion, Record, Satisfaction, Screening};
use xinfang_node::layout::FederationDir;

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
pub async fn generate_county(
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
    let now = Utc::now();
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
                // A step that would fall after today has not happened yet: the
                // case stays open there (the nodes refuse records from the future).
                if t > now {
                    return Ok(());
                }
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
