//! Functional departments (县直单位) as units of the federation: a county bureau runs
//! its own node, receives a case the county forwards, handles and replies to it;
//! the town and the county see the reply, the sibling bureau never sees the case;
//! the bureau's approved schedule is filed with the county under the department
//! rules.

use std::collections::BTreeMap;

use serde_json::json;
use tonic::Code;
use xinfang_proto::v1 as pb;
use xinfang_tests::*;

/// Waits until `unit` holds the case with a record of `kind`, and returns it.
async fn with_record(
    fed: &Federation,
    unit: &str,
    case_no: &str,
    kind: &str,
) -> anyhow::Result<pb::CaseView> {
    wait_for(&format!("{kind} at {unit}"), PATIENCE, || async {
        Ok(fed
            .case_at(unit, case_no)
            .await?
            .filter(|c| c.records.iter().any(|r| r.kind == kind)))
    })
    .await
}

both_stores! {
async fn the_county_forwards_to_its_housing_bureau_which_replies_and_the_sibling_bureau_sees_nothing(backend: Backend) -> anyhow::Result<()>
{
    let fed = Federation::start(backend, haifeng_with_departments()).await?;
    let no = fed
        .register(COMM_A, "王五", "小区加装电梯审批迟迟未办")
        .await?
        .case_no;
    fed.act(COMM_A, &no, json!({"kind": "screening", "decision": {"decision": "accept"}}))
        .await?;
    fed.act(COMM_A, &no, json!({"kind": "forward", "to": COUNTY, "due": in_days(10)}))
        .await?;
    with_record(&fed, COUNTY, &no, "forward").await?;
    fed.act(COUNTY, &no, json!({"kind": "screening", "decision": {"decision": "accept"}}))
        .await?;
    // 转送 to the competent organ: the county housing bureau's own node.
    fed.act(COUNTY, &no, json!({"kind": "forward", "to": HOUSING, "due": in_days(12)}))
        .await?;
    let at_bureau = wait_for("the forward at the bureau", PATIENCE, || async {
        Ok(fed
            .case_at(HOUSING, &no)
            .await?
            .filter(|c| c.handling_unit == HOUSING))
    })
    .await?;
    assert_eq!(at_bureau.status, "routed");
    fed.act(HOUSING, &no, json!({"kind": "screening", "decision": {"decision": "accept"}}))
        .await?;
    fed.act(HOUSING, &no, json!({"kind": "progress", "text": "已现场核查，指导小区完善加装电梯申请材料"}))
        .await?;
    let replied = fed
        .act(HOUSING, &no, json!({"kind": "reply", "opinion": "support", "text": "已受理加装电梯审批，20个工作日内办结"}))
        .await?;
    assert_eq!(replied.status, "replied");
    for u in [TOWN_A, COUNTY, CITY, COMM_A] {
        let v = with_record(&fed, u, &no, "reply").await?;
        assert_eq!(v.status, "replied", "at {u}");
        assert_eq!(v.handling_unit, HOUSING, "at {u}");
    }
    // The sibling bureau: not by number, not in its list, not in its store.
    assert!(fed.case_at(HR, &no).await?.is_none(), "the HR bureau sees the case");
    assert!(!fed.list(HR).await?.contains(&no));
    assert!(fed.list(HOUSING).await?.contains(&no));
    // The county's rates charged to responsible units have a row for the bureau
    // beside the towns (it handled the case, so it answers for it).
    let today = (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive();
    let rates = wait_for("the bureau's row in the county's rates", PATIENCE, || async {
        let r = xinfang_proto::v1::reports_client::ReportsClient::new(fed.channel(COUNTY).await?)
            .rates(pb::ReportRequest {
                unit: COUNTY.into(),
                from: (today - chrono::Duration::days(2)).to_string(),
                to: (today + chrono::Duration::days(2)).to_string(),
                by: "unit".into(),
                charged: "responsible".into(),
                ..Default::default()
            })
            .await?
            .into_inner();
        Ok(r.rows.iter().any(|row| row.key == HOUSING).then_some(r))
    })
    .await?;
    assert!(rates.rows.iter().any(|row| row.key == TOWN_A), "{:?}", rates.rows);
    let held = fed.hub(HR).ids_with_prefix(&no, 10).await?;
    assert!(held.is_empty(), "the case reached the sibling bureau: {held:?}");
    assert_eq!(fed.hub(HOUSING).ids_with_prefix(&no, 10).await?.len(), 1);
    fed.shutdown().await;
    Ok(())
}
}

both_stores! {
async fn the_housing_bureaus_approved_schedule_is_on_the_county_filing_board_under_department_rules(backend: Backend) -> anyhow::Result<()>
{
    let clock = TestClock::at("2026-03-05T10:00:00+08:00")?;
    let rules = BTreeMap::from([
        (COUNTY, "haifeng-county"),
        (HOUSING, "haifeng-department"),
        (HR, "haifeng-department"),
    ]);
    let fed = Federation::start_at(backend, haifeng_with_departments(), clock.clock(), rules).await?;
    let m = "2026-04";
    let mut s = fed.schedules(HOUSING).await?;
    s.put_leader(pb::PutLeaderRequest {
        unit: HOUSING.into(),
        leader: Some(pb::Leader {
            name: "黄局长".into(),
            position: "局长".into(),
            portfolio: String::new(),
            role: "principal".into(),
            active: true,
            ..Default::default()
        }),
    })
    .await?;
    let cal = xinfang_node::rules::calendar::HolidayCalendar::official()?;
    let month: xinfang_node::schedule::model::Month = m.parse().map_err(anyhow::Error::msg)?;
    for d in month.days().filter(|d| cal.is_working_day(*d)) {
        s.add_entry(pb::AddEntryRequest {
            unit: HOUSING.into(),
            month: m.into(),
            entry: Some(pb::ScheduleEntry {
                date: d.to_string(),
                leader: "黄局长".into(),
                place: "县住建局信访接待室".into(),
                ..Default::default()
            }),
        })
        .await?;
    }
    let decide = pb::DecisionRequest {
        unit: HOUSING.into(),
        month: m.into(),
        by: String::new(),
        override_reason: String::new(),
    };
    s.review(decide.clone()).await?;
    let v = s.approve(decide).await?.into_inner();
    assert_eq!(v.state, "approved");
    assert!(v.violations.is_empty(), "{:?}", v.violations);
    let row = wait_for("the bureau's filing at the county", PATIENCE, || async {
        let b = fed
            .schedules(COUNTY)
            .await?
            .filings(pb::FilingsRequest {
                month: m.into(),
                unit: String::new(),
            })
            .await?
            .into_inner();
        Ok(b.rows
            .into_iter()
            .find(|r| r.unit == HOUSING && !r.received_at.is_empty()))
    })
    .await?;
    assert_eq!(row.status, "on_time", "{row:?}");
    assert_eq!(row.rules, "haifeng-department");
    assert_eq!(row.deadline, "2026-03-10");
    assert_eq!(row.parent, COUNTY);
    assert_eq!(row.unit_name, "海丰县住房和城乡建设局");
    // The sibling bureau has not filed: missing after the 10th, on the same board.
    clock.set("2026-03-11T09:00:00+08:00")?;
    let b = fed
        .schedules(COUNTY)
        .await?
        .filings(pb::FilingsRequest {
            month: m.into(),
            unit: String::new(),
        })
        .await?
        .into_inner();
    let hr = b.rows.iter().find(|r| r.unit == HR).expect("HR on the board");
    assert_eq!(hr.status, "missing");
    // Siblings do not read each other's schedules.
    let err = fed
        .schedules(HR)
        .await?
        .get(pb::MonthRequest {
            unit: HOUSING.into(),
            month: m.into(),
        })
        .await
        .expect_err("a sibling bureau's schedule");
    assert_eq!(err.code(), Code::PermissionDenied);
    fed.shutdown().await;
    Ok(())
}
}
