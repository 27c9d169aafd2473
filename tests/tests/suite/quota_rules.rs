//! Quota rules as the seeds write them, judged by a real node: Shenzhen's rules by
//! post (a vice-mayor's quarter) and its yearly owned cases counted only once
//! resolved — closed, and no repeat petition within six months — from the node's
//! own case tables; a community's fixed Tuesday-morning slot, with the hours an
//! entry carries.

use std::collections::BTreeMap;

use serde_json::json;
use tonic::Code;
use xinfang_proto::v1 as pb;
use xinfang_tests::*;

fn month(unit: &str, m: &str) -> pb::MonthRequest {
    pb::MonthRequest {
        unit: unit.into(),
        month: m.into(),
    }
}

async fn leader(
    fed: &Federation,
    unit: &str,
    name: &str,
    position: &str,
    role: &str,
) -> anyhow::Result<()> {
    fed.schedules(unit)
        .await?
        .put_leader(pb::PutLeaderRequest {
            unit: unit.into(),
            leader: Some(pb::Leader {
                name: name.into(),
                position: position.into(),
                role: role.into(),
                active: true,
                ..Default::default()
            }),
        })
        .await?;
    Ok(())
}

async fn add(
    fed: &Federation,
    unit: &str,
    m: &str,
    date: &str,
    who: &str,
    time: &str,
) -> Result<pb::ScheduleView, tonic::Status> {
    let mut c = fed
        .schedules(unit)
        .await
        .map_err(|e| tonic::Status::internal(e.to_string()))?;
    c.add_entry(pb::AddEntryRequest {
        unit: unit.into(),
        month: m.into(),
        entry: Some(pb::ScheduleEntry {
            date: date.into(),
            leader: who.into(),
            place: "接访室".into(),
            time: time.into(),
            ..Default::default()
        }),
    })
    .await
    .map(tonic::Response::into_inner)
}

/// Petitioner `i`'s case at `unit` (the same `i` again is a repeat petition).
async fn register(fed: &Federation, unit: &str, i: usize) -> anyhow::Result<pb::CaseView> {
    Ok(fed
        .client(unit)
        .await?
        .register_case(pb::RegisterCaseRequest {
            unit: unit.into(),
            petitioner: format!("来访人{i}"),
            id_number: id_number(&format!("44030419800101{i:03}")),
            content: format!("诉求{i}"),
            channel: "visit".into(),
            purpose: "request".into(),
            category: "law".into(),
            ..Default::default()
        })
        .await?
        .into_inner())
}

/// Accepted, replied, rated, approved by its owner and closed.
async fn close(fed: &Federation, unit: &str, no: &str, owner: &str) -> anyhow::Result<()> {
    for step in [
        json!({"kind": "reply", "opinion": "support", "text": "已答复"}),
        json!({"kind": "rating", "acceptance": "satisfied", "handling": "satisfied"}),
        json!({"kind": "leader_approval", "leader": owner, "opinion": "同意结案"}),
        json!({"kind": "closure", "facts_clear": true, "handled_in_place": true, "file_complete": true}),
    ] {
        fed.act(unit, no, step).await?;
    }
    Ok(())
}

/// The violations of `rule` in the unit's December schedule, as of the node's today.
async fn december(fed: &Federation, rule: &str) -> anyhow::Result<Vec<pb::Violation>> {
    let v = fed
        .schedules(COUNTY)
        .await?
        .check(month(COUNTY, "2026-12"))
        .await?
        .into_inner();
    assert_eq!(v.rules, "shenzhen-city");
    Ok(v.violations
        .into_iter()
        .filter(|x| x.rule == rule)
        .collect())
}

both_stores! {
async fn shenzhen_judges_a_vice_mayor_by_post_and_counts_owned_cases_once_resolved(backend: Backend) -> anyhow::Result<()> {
    let clock = TestClock::at("2026-01-05T09:00:00+08:00")?;
    let rules = BTreeMap::from([(COUNTY, "shenzhen-city")]);
    let fed = Federation::start_at(backend, county_and_town(), clock.clock(), rules).await?;
    leader(&fed, COUNTY, "王书记", "市委书记", "principal").await?;
    leader(&fed, COUNTY, "李副市长", "副市长", "in_charge").await?;

    // Four cases the vice-mayor owns (包案).
    let mut cases = Vec::new();
    for i in 0..4 {
        let no = register(&fed, COUNTY, i).await?.case_no;
        fed.act(COUNTY, &no, json!({"kind": "screening", "decision": {"decision": "accept"}})).await?;
        fed.act(COUNTY, &no, json!({"kind": "ownership", "leader": "李副市长"})).await?;
        cases.push(no);
    }
    // Three closed on 6 January…
    clock.set("2026-01-06T10:00:00+08:00")?;
    for no in &cases[..3] {
        close(&fed, COUNTY, no, "李副市长").await?;
    }
    // …the third petitioned again in March: not resolved.
    clock.set("2026-03-10T10:00:00+08:00")?;
    let again = register(&fed, COUNTY, 2).await?;
    assert_eq!(again.repeat_of, cases[2], "a repeat of the third case");
    // The fourth closed on 1 June: resolved on 1 December, if nobody comes back.
    clock.set("2026-06-01T10:00:00+08:00")?;
    close(&fed, COUNTY, &cases[3], "李副市长").await?;

    // In November the office drafts December: the secretary receives, the
    // vice-mayor does not. Q4 ends in December, so the quarter is judged.
    clock.set("2026-11-02T09:00:00+08:00")?;
    fed.schedules(COUNTY).await?.draft(month(COUNTY, "2026-12")).await?;
    add(&fed, COUNTY, "2026-12", "2026-12-09", "王书记", "").await?;
    let quarter = december(&fed, "leader-days-per-quarter").await?;
    assert_eq!(
        quarter.iter().map(|v| (v.leader.as_str(), v.period.as_str(), v.actual)).collect::<Vec<_>>(),
        [("李副市长", "2026Q4", 0)],
        "the vice-mayor (deputy_head) without a reception day in the quarter"
    );
    add(&fed, COUNTY, "2026-12", "2026-12-16", "李副市长", "").await?;
    assert!(december(&fed, "leader-days-per-quarter").await?.is_empty());

    // Owned cases: two resolved (closed in January, six months without a repeat),
    // the repeated one not, the June one not yet.
    let owned = december(&fed, "owned-cases-per-year").await?;
    assert_eq!(
        owned.iter().map(|v| (v.leader.as_str(), v.required, v.actual)).collect::<Vec<_>>(),
        [("李副市长", 3, 2)]
    );
    assert!(owned[0].message.contains("另有1宗已办结"), "{}", owned[0].message);
    // On 1 December the June case's six months have passed: three, the rule is met.
    clock.set("2026-12-01T09:00:00+08:00")?;
    assert!(
        december(&fed, "owned-cases-per-year").await?.is_empty(),
        "the fourth case counts once resolved"
    );
    fed.shutdown().await;
    Ok(())
}
}

both_stores! {
async fn a_community_receiving_on_a_thursday_instead_of_tuesday_morning_is_a_violation(backend: Backend) -> anyhow::Result<()> {
    let clock = TestClock::at("2026-02-10T09:00:00+08:00")?;
    let rules = BTreeMap::from([(COUNTY, "nanhu-community")]);
    let fed = Federation::start_at(backend, county_and_town(), clock.clock(), rules).await?;
    leader(&fed, COUNTY, "张主任", "社区主任", "principal").await?;
    fed.schedules(COUNTY).await?.draft(month(COUNTY, "2026-03")).await?;
    // March 2026's Tuesdays, the mornings; the 17th's moved to Thursday the 19th.
    for day in ["2026-03-03", "2026-03-10", "2026-03-24", "2026-03-31"] {
        add(&fed, COUNTY, "2026-03", day, "张主任", "8：30-11：30").await?;
    }
    let v = add(&fed, COUNTY, "2026-03", "2026-03-19", "张主任", "08:30-11:30").await?;
    let found: Vec<(&str, &str, &str)> = v
        .violations
        .iter()
        .map(|x| (x.rule.as_str(), x.leader.as_str(), x.date.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            ("tuesday-morning", "", "2026-03-17"),
            ("tuesday-morning", "张主任", "2026-03-19"),
        ]
    );
    // The hours travel with the entry.
    assert!(v.entries.iter().all(|e| e.time == "08:30-11:30"), "{:?}", v.entries);
    // Hours that are not hours are refused naming the field; nothing added.
    let err = add(&fed, COUNTY, "2026-03", "2026-03-17", "张主任", "上午").await.expect_err("bad hours");
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(err.message().contains("entry.time") && err.message().contains("HH:MM-HH:MM"), "{}", err.message());
    let v = fed.schedules(COUNTY).await?.get(month(COUNTY, "2026-03")).await?.into_inner();
    assert_eq!(v.entries.len(), 5);
    fed.shutdown().await;
    Ok(())
}
}
