//! What superiors see, across real nodes: the city's numbers are the sum of its
//! counties' numbers computed at each county; a rebuild of the query tables gives
//! byte-identical reports; time passing alone makes a case overdue everywhere
//! above it; bad questions get errors naming what is wrong.

use std::collections::BTreeMap;

use tonic::Code;
use xinfang_hub::Tier;
use xinfang_proto::v1 as pb;
use xinfang_proto::v1::reports_client::ReportsClient;
use xinfang_tests::*;

const COUNTY_2: &str = "441523";
const TOWN_2: &str = "441523100000";

/// A city with two counties, a town under each.
fn two_counties() -> Vec<(&'static str, &'static str, Tier, Option<&'static str>)> {
    vec![
        (CITY, "汕尾市", Tier::City, None),
        (COUNTY, "海丰县", Tier::County, Some(CITY)),
        (COUNTY_2, "陆河县", Tier::County, Some(CITY)),
        (TOWN_A, "海城镇", Tier::Township, Some(COUNTY)),
        (TOWN_2, "河田镇", Tier::Township, Some(COUNTY_2)),
    ]
}

async fn reports(fed: &Federation, at: &str) -> anyhow::Result<ReportsClient<Api>> {
    Ok(ReportsClient::new(fed.channel(at).await?))
}

fn req(unit: &str, from: &str, to: &str, by: &str) -> pb::ReportRequest {
    pb::ReportRequest {
        unit: unit.into(),
        from: from.into(),
        to: to.into(),
        by: by.into(),
        ..Default::default()
    }
}

/// Case `i`: channel, purpose and category cycle with `i`; petitioner `i` (by
/// identity number, so registering `i` again at the same unit is a repeat).
async fn register(fed: &Federation, unit: &str, i: usize) -> anyhow::Result<String> {
    let channels = ["visit", "letter", "online", "phone"];
    let purposes = ["advice", "appeal", "request", "accusation"];
    let categories = ["economy", "law", "labor", "education", "politics"];
    let v = fed
        .client(unit)
        .await?
        .register_case(pb::RegisterCaseRequest {
            unit: unit.into(),
            petitioner: format!("来访人{i}"),
            id_number: id_number(&format!("44152119800101{i:03}")),
            content: format!("诉求{i}"),
            channel: channels[i % channels.len()].into(),
            purpose: purposes[i % purposes.len()].into(),
            category: categories[i % categories.len()].into(),
            ..Default::default()
        })
        .await?
        .into_inner();
    Ok(v.case_no)
}

/// The counts column of a breakdown, by key.
fn counts(r: &pb::Report) -> BTreeMap<String, i64> {
    r.rows
        .iter()
        .map(|row| (row.key.clone(), row.cells[1].int))
        .collect()
}

/// Reads `unit`'s rollup tables, and sums its cases' entries from its per-case
/// rows ([`rollup::entries`]) for the units kept: the two must be the same.
async fn rollups_are_the_sum_of_their_cases(fed: &Federation, unit: &str) -> anyhow::Result<()> {
    use xinfang_node::report::rollup::{self, Anchors};
    use xinfang_node::report::rollup_store::{FACT_COLUMNS, FactsRow, RollupRows};
    let db = fed.db(unit).await?;
    let pool = db.pool();
    let me = code(unit);
    let anchors = Anchors::new(&fed.topology, &me);
    let rows: Vec<FactsRow> =
        sqlx::query_as(&format!("SELECT {FACT_COLUMNS} FROM node_case_facts"))
            .fetch_all(pool)
            .await?;
    assert!(!rows.is_empty());
    let mut expected = RollupRows::default();
    for (f, repeated) in rows.into_iter().map(FactsRow::into_facts) {
        let entries = rollup::entries(&f, repeated, &anchors);
        expected.add(entries.iter().map(|e| (e, 1)), &anchors);
    }
    let held = RollupRows::read(&mut *pool.acquire().await?).await?;
    db.close().await;
    assert_eq!(held.counts, expected.counts, "counts at {unit}");
    assert_eq!(held.rates, expected.rates, "rates at {unit}");
    assert_eq!(held.due, expected.due, "due at {unit}");
    assert!(!held.rates.is_empty(), "rates are kept at {unit}");
    Ok(())
}

both_stores! {
async fn the_city_is_the_sum_of_its_counties_and_a_rebuild_changes_nothing(backend: Backend) -> anyhow::Result<()> {
    let clock = TestClock::at("2026-03-02T09:00:00+08:00")?;
    let fed = Federation::start_at(backend, two_counties(), clock.clock(), BTreeMap::new()).await?;
    // Cases over two months at every unit below the city, some screened.
    let mut all = Vec::new();
    for (i, unit) in [TOWN_A, COUNTY, TOWN_2, COUNTY_2, TOWN_A, TOWN_2, TOWN_A]
        .iter()
        .cycle()
        .take(21)
        .enumerate()
    {
        if i == 11 {
            clock.set("2026-04-08T10:00:00+08:00")?;
        }
        let no = register(&fed, unit, i).await?;
        if i % 3 == 0 {
            fed.act(
                unit,
                &no,
                serde_json::json!({"kind": "screening", "decision": {"decision": "accept"}}),
            )
            .await?;
        }
        if i % 6 == 0 {
            let reply =
                serde_json::json!({"kind": "reply", "opinion": "support", "text": "已答复"});
            fed.act(unit, &no, reply).await?;
        }
        if i % 12 == 0 {
            let rating = serde_json::json!({"kind": "rating", "acceptance": "satisfied", "handling": "satisfied"});
            fed.act(unit, &no, rating).await?;
            let approval = serde_json::json!({"kind": "leader_approval", "leader": "分管领导", "opinion": "同意结案"});
            fed.act(unit, &no, approval).await?;
            let closure = serde_json::json!({"kind": "closure", "facts_clear": true, "handled_in_place": true, "file_complete": true});
            fed.act(unit, &no, closure).await?;
        }
        all.push((unit, no));
    }
    // Petitioners 0 and 12 (both closed) come back on the same matters: their cases
    // were not resolved at one time after all.
    for i in [0, 12] {
        let (unit, first) = all[i].clone();
        let again = register(&fed, unit, i).await?;
        let view = fed.case_at(unit, &again).await?;
        assert_eq!(view.map(|v| v.repeat_of), Some(first));
        all.push((unit, again));
    }
    // Every case at the city with every record (same heads as where it was written).
    for (unit, no) in &all {
        let here = fed.case_at(unit, no).await?.map(|c| c.heads);
        wait_for("the case's last record at the city", PATIENCE, || async {
            Ok(fed
                .case_at(CITY, no)
                .await?
                .filter(|c| Some(&c.heads) == here.as_ref())
                .map(|_| ()))
        })
        .await?;
    }
    let (from, to) = ("2026-03-01", "2026-04-30");
    let mut city = reports(&fed, CITY).await?;
    for by in ["unit", "channel", "purpose", "category", "status", "month"] {
        let at_city = counts(&city.breakdown(req(CITY, from, to, by)).await?.into_inner());
        let mut summed: BTreeMap<String, i64> = BTreeMap::new();
        for county in [COUNTY, COUNTY_2] {
            let r = reports(&fed, county)
                .await?
                .breakdown(req(county, from, to, by))
                .await?
                .into_inner();
            for (k, n) in counts(&r) {
                // By unit, each county's own breakdown is by its towns; at the city
                // the county is the row.
                let key = if by == "unit" { county.to_owned() } else { k };
                *summed.entry(key).or_insert(0) += n;
            }
        }
        let at_city: BTreeMap<String, i64> = at_city.into_iter().filter(|(_, n)| *n > 0).collect();
        let summed: BTreeMap<String, i64> = summed.into_iter().filter(|(_, n)| *n > 0).collect();
        assert_eq!(at_city, summed, "by {by}");
        assert_eq!(at_city.values().sum::<i64>(), all.len() as i64, "by {by}");
    }
    // Summary and rate numerators/denominators add up too.
    let city_summary = city.summary(req(CITY, from, to, "")).await?.into_inner();
    let city_rates = city.rates(req(CITY, from, to, "")).await?.into_inner();
    let mut summary_sum = vec![0i64; city_summary.rows.len()];
    let mut rates_sum = vec![(0i64, 0i64); city_rates.rows.len()];
    for county in [COUNTY, COUNTY_2] {
        let mut c = reports(&fed, county).await?;
        let s = c.summary(req(county, from, to, "")).await?.into_inner();
        for (i, row) in s.rows.iter().enumerate() {
            summary_sum[i] += row.cells[1].int;
        }
        let r = c.rates(req(county, from, to, "")).await?.into_inner();
        for (i, row) in r.rows.iter().enumerate() {
            rates_sum[i].0 += row.cells[1].int;
            rates_sum[i].1 += row.cells[2].int;
        }
    }
    let at_city: Vec<i64> = city_summary.rows.iter().map(|r| r.cells[1].int).collect();
    assert_eq!(at_city, summary_sum);
    assert_eq!(at_city[0], all.len() as i64);
    let at_city: Vec<(i64, i64)> = city_rates
        .rows
        .iter()
        .map(|r| (r.cells[1].int, r.cells[2].int))
        .collect();
    assert_eq!(at_city, rates_sum);
    // The rates' numbers (SQL) are the drill-down's cases (the pure definitions).
    let mut nonzero = 0;
    for row in &city_rates.rows {
        for (part, col) in [("numerator", 1), ("denominator", 2)] {
            let keys = city
                .cases(pb::ReportRequest {
                    rate: row.key.clone(),
                    part: part.into(),
                    ..req(CITY, from, to, "")
                })
                .await?
                .into_inner();
            assert_eq!(keys.total as i64, row.cells[col].int, "{} {part}", row.key);
            nonzero += i64::from(keys.total > 0);
        }
    }
    assert!(
        nonzero >= 8,
        "the test cases exercise the rates: {:?}",
        city_rates.rows
    );
    // The city asked about a county answers what the county answers itself.
    let a = city
        .breakdown(req(COUNTY, from, to, "category"))
        .await?
        .into_inner();
    let b = reports(&fed, COUNTY)
        .await?
        .breakdown(req(COUNTY, from, to, "category"))
        .await?
        .into_inner();
    assert_eq!(a.rows, b.rows);
    // Drill-down: the cases behind the city's count for one county.
    let keys = city
        .cases(pb::ReportRequest {
            value: COUNTY.into(),
            ..req(CITY, from, to, "unit")
        })
        .await?
        .into_inner();
    let county_total: i64 = counts(&b).values().sum();
    assert_eq!(keys.total as i64, county_total);

    // The rollups each node kept, case by case, are the sums of its cases' entries.
    for unit in [CITY, COUNTY, COUNTY_2] {
        rollups_are_the_sum_of_their_cases(&fed, unit).await?;
    }
    let closed = city.rates(req(CITY, from, to, "")).await?.into_inner();
    let one_time = closed
        .rows
        .iter()
        .find(|r| r.key == "one_time_resolution")
        .map(|r| (r.cells[1].int, r.cells[2].int));
    assert_eq!(one_time, Some((0, 2)), "both closed cases came back");
    // Periods that cut months (days from the per-case rows, whole months from the
    // rollups): cases came on 03-02 (11) and on 04-08 (10, and the 2 repeats).
    for (from, to, n) in [
        ("2026-03-02", "2026-04-08", all.len()),
        ("2026-03-03", "2026-04-30", 12),
        ("2026-02-15", "2026-03-02", 11),
        ("2026-04-09", "2026-05-31", 0),
    ] {
        let s = city.summary(req(CITY, from, to, "")).await?.into_inner();
        assert_eq!(s.rows[0].cells[1].int, n as i64, "{from} to {to}");
        let by_unit = city
            .breakdown(req(CITY, from, to, "unit"))
            .await?
            .into_inner();
        assert_eq!(
            counts(&by_unit).values().sum::<i64>(),
            n as i64,
            "{from} to {to}"
        );
    }

    // Every report, before and after rebuilding the query tables: byte-identical.
    // The instant a report was made is its only part that may differ.
    let json = |mut r: pb::Report| {
        r.as_of.clear();
        serde_json::to_string(&r)
    };
    let snapshot = |mut c: ReportsClient<Api>| async move {
        let mut out = Vec::new();
        out.push(json(
            c.summary(req(CITY, from, to, "")).await?.into_inner(),
        )?);
        for by in ["unit", "channel", "purpose", "category", "status", "month"] {
            out.push(json(
                c.breakdown(req(CITY, from, to, by)).await?.into_inner(),
            )?);
        }
        out.push(json(c.overdue(req(CITY, "", "", "")).await?.into_inner())?);
        out.push(json(c.rates(req(CITY, from, to, "")).await?.into_inner())?);
        out.push(json(
            c.rates(req(CITY, from, to, "unit")).await?.into_inner(),
        )?);
        out.push(json(
            c.trend(req(CITY, from, to, "tier")).await?.into_inner(),
        )?);
        out.push(json(
            c.trend(req(CITY, from, to, "category")).await?.into_inner(),
        )?);
        anyhow::Ok(out)
    };
    let before = snapshot(reports(&fed, CITY).await?).await?;
    // Rebuilding is node operations: the administrator's.
    let rebuilt = ReportsClient::new(fed.operator_channel(CITY).await?)
        .rebuild_projections(pb::RebuildRequest {})
        .await?
        .into_inner();
    assert_eq!(rebuilt.cases, all.len() as u64);
    let after = snapshot(reports(&fed, CITY).await?).await?;
    assert_eq!(before, after);
    rollups_are_the_sum_of_their_cases(&fed, CITY).await?;
    fed.shutdown().await;
    Ok(())
}
}

both_stores! {
async fn time_alone_makes_a_case_overdue_at_its_unit_and_every_superior(backend: Backend) -> anyhow::Result<()> {
    let clock = TestClock::at("2026-03-02T09:00:00+08:00")?;
    let fed = Federation::start_at(backend, haifeng(), clock.clock(), BTreeMap::new()).await?;
    let no = register(&fed, TOWN_A, 0).await?;
    wait_for("the case at the city", PATIENCE, || async {
        fed.case_at(CITY, &no).await
    })
    .await?;
    let overdue = |unit: &'static str| {
        let fed = &fed;
        async move {
            let r = reports(fed, unit)
                .await?
                .overdue(req(unit, "", "", ""))
                .await?
                .into_inner();
            anyhow::Ok(r.rows.iter().map(|row| row.key.clone()).collect::<Vec<_>>())
        }
    };
    for unit in [TOWN_A, COUNTY, CITY] {
        assert!(
            overdue(unit).await?.is_empty(),
            "nothing is overdue yet at {unit}"
        );
    }
    // A month later, with nothing written anywhere: the screening is overdue.
    let head = fed.hub(CITY).head();
    clock.set("2026-04-02T09:00:00+08:00")?;
    for unit in [TOWN_A, COUNTY, CITY] {
        assert_eq!(overdue(unit).await?, vec![no.clone()], "at {unit}");
    }
    assert_eq!(fed.hub(CITY).head(), head, "no write made it overdue");
    // The sibling town does not see it.
    assert!(overdue(TOWN_B).await?.is_empty());
    fed.shutdown().await;
    Ok(())
}
}

both_stores! {
async fn bad_questions_name_what_is_wrong(backend: Backend) -> anyhow::Result<()> {
    let fed = Federation::start(backend, haifeng()).await?;
    let mut county = reports(&fed, COUNTY).await?;
    let err = county
        .summary(req("441599", "", "", ""))
        .await
        .expect_err("unknown unit");
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(err.message().contains("441599"), "{}", err.message());
    let err = county
        .summary(req(CITY, "", "", ""))
        .await
        .expect_err("above me");
    assert_eq!(err.code(), Code::PermissionDenied);
    assert!(
        err.message().contains("not yours to see"),
        "{}",
        err.message()
    );
    let err = fed
        .channel(TOWN_A)
        .await
        .map(ReportsClient::new)?
        .summary(req(TOWN_B, "", "", ""))
        .await
        .expect_err("a sibling");
    assert_eq!(err.code(), Code::PermissionDenied);
    let err = county
        .summary(req(COUNTY, "2026-05-01", "2026-04-01", ""))
        .await
        .expect_err("reversed");
    assert!(err.message().contains("reversed"), "{}", err.message());
    let err = county
        .summary(req(COUNTY, "2026-05-01", "", ""))
        .await
        .expect_err("half a period");
    assert!(err.message().contains("to"), "{}", err.message());
    let err = county
        .summary(req(COUNTY, "2026-13-01", "2026-14-01", ""))
        .await
        .expect_err("not dates");
    assert!(err.message().contains("from"), "{}", err.message());
    let err = county
        .breakdown(req(COUNTY, "", "", "colour"))
        .await
        .expect_err("dimension");
    assert!(
        err.message().contains("colour") && err.message().contains("known"),
        "{}",
        err.message()
    );
    let err = county
        .cases(pb::ReportRequest {
            rate: "happiness".into(),
            ..req(COUNTY, "", "", "")
        })
        .await
        .expect_err("rate");
    assert!(err.message().contains("happiness"), "{}", err.message());
    fed.shutdown().await;
    Ok(())
}
}

/// The owned-case list a superior publishes (包案案件公示): the town leader's
/// case with its work group (工作专班) on the case, listed at the county with
/// leader, unit and status, and nothing of the petitioner.
#[tokio::test]
async fn owned_cases_are_listed_for_publication_without_the_petitioner() -> anyhow::Result<()> {
    let fed = Federation::start(Backend::Sqlite, county_and_town()).await?;
    let no = fed
        .register(TOWN_A, "郑秀英", "郑秀英反映征地补偿款被截留")
        .await?
        .case_no;
    fed.act(
        TOWN_A,
        &no,
        serde_json::json!({"kind": "screening", "decision": {"decision": "accept"}}),
    )
    .await?;
    let owned = fed
        .act(
            TOWN_A,
            &no,
            serde_json::json!({"kind": "ownership", "leader": "陈镇长",
                "work_group": ["王科长（镇规划办）", "李干事（镇信访办）"]}),
        )
        .await?;
    let detail = &owned
        .records
        .iter()
        .find(|r| r.kind == "ownership")
        .expect("the ownership record")
        .detail;
    assert!(
        detail.contains("工作专班：王科长（镇规划办）、李干事（镇信访办）"),
        "{detail}"
    );
    let e = fed
        .act(
            TOWN_A,
            &no,
            serde_json::json!({"kind": "ownership", "leader": "陈镇长", "work_group": [" "]}),
        )
        .await
        .expect_err("a blank member");
    assert!(e.to_string().contains("ownership.work_group"), "{e}");
    // The China Standard Time day, as nodes count days (a UTC day would miss
    // the case between 16:00 and 24:00 UTC).
    let today = (chrono::Utc::now() + chrono::Duration::hours(8))
        .date_naive()
        .to_string();
    let list = wait_for("the owned case at the county", PATIENCE, || async {
        let r = xinfang_proto::v1::reports_client::ReportsClient::new(fed.channel(COUNTY).await?)
            .owned_cases(pb::ReportRequest {
                unit: COUNTY.into(),
                from: today.clone(),
                to: today.clone(),
                ..Default::default()
            })
            .await?
            .into_inner();
        Ok((!r.rows.is_empty()).then_some(r))
    })
    .await?;
    assert_eq!(list.rows.len(), 1);
    let cells: Vec<&str> = list.rows[0].cells.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(cells[0], no);
    assert_eq!(cells[2], "陈镇长");
    assert_eq!(cells[3], "海城镇");
    assert!(
        cells
            .iter()
            .all(|c| !c.contains("郑秀英") && !c.contains("截留")),
        "personal data in the published list: {cells:?}"
    );
    fed.shutdown().await;
    Ok(())
}
