//! The holiday calendar as replicated data: a 2027 arrangement published at the
//! city reaches a community node three hops down, and a deadline across the
//! 2027 Spring Festival counts its days off and its adjusted working Saturday
//! there — in the case file and in the case list's query rows, and in the
//! working days of an objection window. A town's own publication wins for its subtree
//! and is ignored above it. A data file with two years, a day both off and
//! worked, or a date that is none is refused naming the field, nothing written.
//!
//! The arrangement below is this test's own, in the format of the State
//! Council's notice, not the notice itself.

use std::collections::BTreeMap;

use xinfang_proto::v1 as pb;
use xinfang_proto::v1::calendar_client::CalendarClient;
use xinfang_tests::*;

const CITY_2027: &str = r#"
[[year]]
year = 2027
source = "测试用2027年节假日安排（格式同国务院办公厅通知）"
off = ["2027-01-01", "2027-02-05..2027-02-12"]
work = ["2027-01-31", "2027-02-13"]
names = { new_year = "2027-01-01", spring_festival = "2027-02-05..2027-02-12" }
"#;

/// A town's own arrangement: the festival ends a day earlier.
const TOWN_2027: &str = r#"
[[year]]
year = 2027
source = "测试用：镇级安排"
off = ["2027-01-01", "2027-02-05..2027-02-11"]
"#;

async fn calendar(fed: &Federation, unit: &str) -> anyhow::Result<pb::CalendarView> {
    Ok(CalendarClient::new(fed.channel(unit).await?)
        .get_calendar(pb::GetCalendarRequest {})
        .await?
        .into_inner())
}

/// Published by the node's operator (an administrator: the calendar every
/// deadline below counts by is the system keeper's to publish).
async fn publish(
    fed: &Federation,
    unit: &str,
    toml: &str,
) -> Result<pb::CalendarView, tonic::Status> {
    let ch = fed
        .operator_channel(unit)
        .await
        .map_err(|e| tonic::Status::unavailable(e.to_string()))?;
    CalendarClient::new(ch)
        .publish_year(pb::PublishYearRequest { toml: toml.into() })
        .await
        .map(tonic::Response::into_inner)
}

fn issuer_of(v: &pb::CalendarView, year: i32) -> Option<String> {
    v.years
        .iter()
        .find(|y| y.year == year && y.origin == "published")
        .map(|y| y.issuer.clone())
}

/// The case's routing deadline at `unit`: in the case file (derived now) and
/// in the list's query row (derived when projected).
async fn route_due(fed: &Federation, unit: &str, no: &str) -> anyhow::Result<(String, String)> {
    let file = fed
        .case_at(unit, no)
        .await?
        .and_then(|c| c.next_deadline)
        .map(|d| d.due)
        .unwrap_or_default();
    let listed = fed
        .client(unit)
        .await?
        .list_cases(pb::ListCasesRequest {
            limit: 100,
            ..Default::default()
        })
        .await?
        .into_inner()
        .cases
        .into_iter()
        .find(|c| c.case_no == no)
        .and_then(|c| c.next_deadline)
        .map(|d| d.due)
        .unwrap_or_default();
    Ok((file, listed))
}

both_stores! {
async fn a_year_published_at_the_city_sets_a_communitys_deadlines(backend: Backend) -> anyhow::Result<()> {
    let clock = TestClock::at("2027-01-28T09:00:00+08:00")?;
    let mut fed = Federation::start_at(backend, haifeng(), clock.clock(), BTreeMap::new()).await?;
    // No 2027 data shipped: the community counts weekends only, and says so.
    let before = calendar(&fed, COMM_A).await?;
    assert!(before.missing.contains(&2027), "{before:?}");
    // Registered on Thursday 28 January: routing is due 15 days on, 12 February.
    let no = fed.register(COMM_A, "孙八", "春节前拖欠工资").await?.case_no;
    let due = || route_due(&fed, COMM_A, &no);
    assert_eq!(due().await?, ("2027-02-12".into(), "2027-02-12".into()));

    // Bad data: refused naming the field, nothing published.
    let two_years = format!("{CITY_2027}\n[[year]]\nyear = 2028\n");
    let both = CITY_2027.replace("work = [\"2027-01-31\"", "work = [\"2027-02-05\"");
    let malformed = CITY_2027.replace("2027-01-31", "2027-13-31");
    for (bad, says) in [
        (two_years.as_str(), "exactly one"),
        (both.as_str(), "both as a day off and as a working day"),
        (malformed.as_str(), "not a date"),
    ] {
        let e = publish(&fed, CITY, bad).await.expect_err("refused");
        assert_eq!(e.code(), tonic::Code::InvalidArgument, "{e:?}");
        assert!(e.message().contains("toml") && e.message().contains(says), "{e:?}");
    }
    assert_eq!(issuer_of(&calendar(&fed, CITY).await?, 2027), None, "nothing published");

    // Published at the city: it reaches the community through the county and its town, and
    // 12 February, a day off, rolls to Saturday the 13th, a working day by adjustment.
    let shown = publish(&fed, CITY, CITY_2027).await?;
    assert_eq!(issuer_of(&shown, 2027).as_deref(), Some(code(CITY).as_str()));
    wait_for("the city's 2027 at the community", PATIENCE, || async {
        Ok(issuer_of(&calendar(&fed, COMM_A).await?, 2027)  .filter(|i| *i == code(CITY).as_str()))
    })
    .await?;
    wait_for("the deadline counted by the 2027 holidays", PATIENCE, || async {
        let d = due().await?;
        Ok((d == ("2027-02-13".into(), "2027-02-13".into())).then_some(()))
    })
    .await?;
    assert!(!calendar(&fed, COMM_A).await?.missing.contains(&2027));

    // Working days count the adjusted working Saturday (调休上班) too: a case
    // forwarded to the town on Wednesday 3 February may be objected to within
    // five working days — the 4th, Saturday the 13th, the 15th, 16th and 17th.
    clock.set("2027-02-03T09:00:00+08:00")?;
    let sent = fed.register(COMM_A, "孙九", "节前工资").await?.case_no;
    fed.act(COMM_A, &sent, serde_json::json!({"kind": "screening", "decision": {"decision": "accept"}}))
        .await?;
    fed.act(COMM_A, &sent, serde_json::json!({"kind": "forward", "to": TOWN_A, "due": "2027-02-18"}))
        .await?;
    let object = wait_for("the objection window at the town", PATIENCE, || async {
        Ok(fed
            .case_at(TOWN_A, &sent)
            .await?
            .and_then(|c| c.next_deadline)
            .filter(|d| d.kind == "object"))
    })
    .await?;
    assert_eq!(object.due, "2027-02-17");

    // The town publishes its own 2027: its community follows the town (the
    // nearest publisher) and the festival's last day, the 12th, is worked
    // there; the county above the town keeps the city's.
    publish(&fed, TOWN_A, TOWN_2027).await?;
    wait_for("the town's 2027 at the community", PATIENCE, || async {
        Ok(issuer_of(&calendar(&fed, COMM_A).await?, 2027).filter(|i| *i == code(TOWN_A).as_str()))
    })
    .await?;
    wait_for("the deadline counted by the town's 2027", PATIENCE, || async {
        let d = due().await?;
        Ok((d == ("2027-02-12".into(), "2027-02-12".into())).then_some(()))
    })
    .await?;
    wait_for("the town's year held at the county", PATIENCE, || async {
        fed.hub(COUNTY)
            .get(&format!("calendar/{}/2027", code(TOWN_A)))
            .await
            .map(|h| h.map(drop))
            .map_err(Into::into)
    })
    .await?;
    assert_eq!(
        issuer_of(&calendar(&fed, COUNTY).await?, 2027).as_deref(),
        Some(code(CITY).as_str()),
        "a year published below is not followed above"
    );
    // Restarted, the community counts by the town's year from its first read.
    fed.stop_node(COMM_A).await?;
    fed.start_node(COMM_A).await?;
    assert_eq!(
        route_due(&fed, COMM_A, &no).await?,
        ("2027-02-12".into(), "2027-02-12".into())
    );
    assert_eq!(
        issuer_of(&calendar(&fed, COMM_A).await?, 2027).as_deref(),
        Some(code(TOWN_A).as_str())
    );
    fed.shutdown().await;
    Ok(())
}
}
