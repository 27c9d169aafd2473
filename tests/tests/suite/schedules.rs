//! Leaders' reception schedules across real nodes: import of the Haifeng fixture,
//! quota rules, approval filing upward with arrival times, the filing board at
//! county and city, adjustments, attendance, publication in headless Chromium and
//! the quarterly register.

use std::collections::{BTreeMap, BTreeSet};

use tonic::Code;
use xinfang_proto::v1 as pb;
use xinfang_tests::*;

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/haifeng-2016-04-schedule.csv"
);

fn fixture() -> Vec<u8> {
    std::fs::read(FIXTURE).unwrap_or_else(|e| panic!("fixture {FIXTURE}: {e}"))
}

fn rules() -> BTreeMap<&'static str, &'static str> {
    BTreeMap::from([
        (COUNTY, "haifeng-county"),
        (TOWN_A, "haifeng-big-town"),
        (TOWN_B, "haifeng-big-town"),
    ])
}

fn month(unit: &str, m: &str) -> pb::MonthRequest {
    pb::MonthRequest {
        unit: unit.into(),
        month: m.into(),
    }
}

fn decide(unit: &str, m: &str, override_reason: &str) -> pb::DecisionRequest {
    pb::DecisionRequest {
        unit: unit.into(),
        month: m.into(),
        by: String::new(),
        override_reason: override_reason.into(),
    }
}

async fn leader(fed: &Federation, unit: &str, name: &str, role: &str) -> anyhow::Result<()> {
    fed.schedules(unit)
        .await?
        .put_leader(pb::PutLeaderRequest {
            unit: unit.into(),
            leader: Some(pb::Leader {
                name: name.into(),
                position: format!("{name}的职务"),
                portfolio: String::new(),
                role: role.into(),
                active: true,
                ..Default::default()
            }),
        })
        .await?;
    Ok(())
}

/// Adds `who` on every working day of `m` (weekdays; these months have no holidays
/// on weekdays other than those skipped by the caller).
async fn add_days(
    fed: &Federation,
    unit: &str,
    m: &str,
    days: &[&str],
    who: &[&str],
) -> anyhow::Result<pb::ScheduleView> {
    let mut c = fed.schedules(unit).await?;
    let mut last = None;
    for d in days {
        for w in who {
            last = Some(
                c.add_entry(pb::AddEntryRequest {
                    unit: unit.into(),
                    month: m.into(),
                    entry: Some(pb::ScheduleEntry {
                        date: (*d).into(),
                        leader: (*w).into(),
                        place: "镇信访办接访室".into(),
                        ..Default::default()
                    }),
                })
                .await?
                .into_inner(),
            );
        }
    }
    last.ok_or_else(|| anyhow::anyhow!("no days"))
}

/// Working days of a month per the shipped calendar.
fn working_days(m: &str) -> Vec<String> {
    let cal = xinfang_node::rules::calendar::HolidayCalendar::official().expect("calendar");
    let m: xinfang_node::schedule::model::Month = m.parse().expect("month");
    m.days()
        .filter(|d| cal.is_working_day(*d))
        .map(|d| d.to_string())
        .collect()
}

both_stores! {
async fn haifeng_april_2016_imports_and_passes_the_county_rules(backend: Backend) -> anyhow::Result<()> {
    let clock = TestClock::at("2016-03-05T09:00:00+08:00")?;
    let fed = Federation::start_at(backend, county_and_town(), clock.clock(), rules()).await?;
    let mut c = fed.schedules(COUNTY).await?;
    let v = c
        .import(pb::ImportRequest {
            unit: COUNTY.into(),
            month: "2016-04".into(),
            format: "csv".into(),
            content: fixture(),
            create_roster: true,
        })
        .await?
        .into_inner();
    assert_eq!(v.entries.len(), 20);
    let days: BTreeSet<&str> = v.entries.iter().map(|e| e.date.as_str()).collect();
    assert_eq!(days.len(), 20, "20 distinct days");
    let expected: BTreeSet<String> = working_days("2016-04").into_iter().collect();
    assert_eq!(
        days.iter().map(|d| d.to_string()).collect::<BTreeSet<_>>(),
        expected,
        "exactly the working days of April 2016"
    );
    assert!(!days.contains("2016-04-04"), "Qingming was a holiday");
    let leaders: BTreeSet<&str> = v.entries.iter().map(|e| e.leader.as_str()).collect();
    assert_eq!(leaders.len(), 15);
    assert!(
        v.entries
            .iter()
            .all(|e| e.form == "fixed" && e.form_name == "定点接访")
    );
    assert_eq!(v.rules, "haifeng-county");
    assert!(v.violations.is_empty(), "{:?}", v.violations);
    assert!(
        v.warnings.is_empty(),
        "2016 is in the calendar: {:?}",
        v.warnings
    );
    let roster = c
        .get_roster(pb::UnitRequest {
            unit: COUNTY.into(),
        })
        .await?
        .into_inner();
    assert_eq!(
        roster.leaders.len(),
        15,
        "--create-roster added the 15 leaders"
    );

    // A 16th leader who is never scheduled breaks "each county leader a day a month".
    leader(&fed, COUNTY, "张新来", "member").await?;
    let v = c.check(month(COUNTY, "2016-04")).await?.into_inner();
    assert_eq!(v.violations.len(), 1, "{:?}", v.violations);
    assert!(v.violations[0].message.contains("张新来"));
    fed.shutdown().await;
    Ok(())
}
}

both_stores! {
async fn a_big_town_with_one_leader_on_a_day_breaks_the_two_leader_rule(backend: Backend) -> anyhow::Result<()> {
    let clock = TestClock::at("2026-03-02T09:00:00+08:00")?;
    let fed = Federation::start_at(backend, county_and_town(), clock.clock(), rules()).await?;
    for (n, r) in [
        ("林书记", "principal"),
        ("陈副书记", "in_charge"),
        ("黄委员", "member"),
    ] {
        leader(&fed, TOWN_A, n, r).await?;
    }
    let days = working_days("2026-04");
    let refs: Vec<&str> = days.iter().map(String::as_str).collect();
    // Two leaders every working day but the 8th; on the 8th only one.
    let (before, after) = refs.split_at(5);
    add_days(&fed, TOWN_A, "2026-04", before, &["林书记", "陈副书记"]).await?;
    add_days(&fed, TOWN_A, "2026-04", &after[..1], &["黄委员"]).await?;
    let v = add_days(
        &fed,
        TOWN_A,
        "2026-04",
        &after[1..],
        &["陈副书记", "黄委员"],
    )
    .await?;
    let one_day = after[0];
    let daily: Vec<&pb::Violation> = v.violations.iter().filter(|x| x.date == one_day).collect();
    assert_eq!(daily.len(), 1, "{:?}", v.violations);
    assert_eq!(daily[0].required, 2);
    assert_eq!(daily[0].actual, 1);
    assert!(daily[0].message.contains(one_day), "{}", daily[0].message);
    // Approval without an override reason is refused, naming the rule.
    let mut c = fed.schedules(TOWN_A).await?;
    c.review(decide(TOWN_A, "2026-04", "")).await?;
    let err = c
        .approve(decide(TOWN_A, "2026-04", ""))
        .await
        .expect_err("violations need an override");
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert!(err.message().contains("override"), "{}", err.message());
    assert!(err.message().contains(one_day), "{}", err.message());
    fed.shutdown().await;
    Ok(())
}
}

async fn board(
    fed: &Federation,
    at: &str,
    m: &str,
) -> anyhow::Result<BTreeMap<String, pb::FilingRow>> {
    let b = fed
        .schedules(at)
        .await?
        .filings(pb::FilingsRequest {
            month: m.into(),
            unit: String::new(),
        })
        .await?
        .into_inner();
    Ok(b.rows.into_iter().map(|r| (r.unit.clone(), r)).collect())
}

/// A minimal legal big-town schedule: two leaders on every working day.
async fn file_town_schedule(
    fed: &Federation,
    unit: &str,
    m: &str,
) -> anyhow::Result<pb::ScheduleView> {
    for (n, r) in [("林书记", "principal"), ("陈副书记", "in_charge")] {
        leader(fed, unit, n, r).await?;
    }
    let days = working_days(m);
    let refs: Vec<&str> = days.iter().map(String::as_str).collect();
    add_days(fed, unit, m, &refs, &["林书记", "陈副书记"]).await?;
    let mut c = fed.schedules(unit).await?;
    c.review(decide(unit, m, "")).await?;
    Ok(c.approve(decide(unit, m, "")).await?.into_inner())
}

both_stores! {
async fn approval_files_upward_and_the_board_shows_on_time_late_and_missing(backend: Backend) -> anyhow::Result<()>
{
    let clock = TestClock::at("2026-03-05T10:00:00+08:00")?;
    let fed = Federation::start_at(backend, haifeng(), clock.clock(), rules()).await?;

    // On the 5th: 海城镇 files April on time.
    let v = file_town_schedule(&fed, TOWN_A, "2026-04").await?;
    assert_eq!(v.state, "approved");
    assert!(v.violations.is_empty(), "{:?}", v.violations);
    for at in [COUNTY, CITY] {
        let row = wait_for("April filing at the superior", PATIENCE, || async {
            let b = board(&fed, at, "2026-04").await?;
            Ok(b.get(TOWN_A).filter(|r| !r.received_at.is_empty()).cloned())
        })
        .await?;
        assert_eq!(row.status, "on_time", "at {at}");
        assert!(
            row.received_at.starts_with("2026-03-05"),
            "{}",
            row.received_at
        );
        assert_eq!(row.deadline, "2026-03-10");
    }

    // On the 11th: May's schedule is late; 梅陇镇 never filed April: missing.
    clock.set("2026-04-11T09:30:00+08:00")?;
    file_town_schedule(&fed, TOWN_A, "2026-05").await?;
    for at in [COUNTY, CITY] {
        let row = wait_for("May filing at the superior", PATIENCE, || async {
            let b = board(&fed, at, "2026-05").await?;
            Ok(b.get(TOWN_A).filter(|r| !r.received_at.is_empty()).cloned())
        })
        .await?;
        assert_eq!(row.status, "late", "at {at}: {row:?}");
        assert!(
            row.received_at.starts_with("2026-04-11"),
            "{}",
            row.received_at
        );
        let april = board(&fed, at, "2026-04").await?;
        assert_eq!(april[TOWN_B].status, "missing", "at {at}");
        assert!(april[TOWN_B].received_at.is_empty());
        assert_eq!(april[TOWN_A].status, "on_time");
        assert_eq!(april[COMM_A].status, "missing", "communities file too");
    }
    let city = board(&fed, CITY, "2026-04").await?;
    assert!(city.contains_key(COUNTY), "the city sees its county");
    assert!(city.contains_key(COMM_B), "and the units below it");
    let county = board(&fed, COUNTY, "2026-04").await?;
    assert!(
        !county.contains_key(COUNTY) && !county.contains_key(CITY),
        "only units below"
    );
    // A month not yet due is pending, not missing.
    let june = board(&fed, COUNTY, "2026-06").await?;
    assert_eq!(june[TOWN_B].status, "pending");

    // The county may not look at the city's board; the town not at its sibling.
    let err = fed
        .schedules(COUNTY)
        .await?
        .filings(pb::FilingsRequest {
            month: "2026-04".into(),
            unit: CITY.into(),
        })
        .await
        .expect_err("not below the county");
    assert_eq!(err.code(), Code::PermissionDenied);
    let err = fed
        .schedules(TOWN_A)
        .await?
        .get(month(TOWN_B, "2026-04"))
        .await
        .expect_err("a sibling's schedule");
    assert_eq!(err.code(), Code::PermissionDenied);
    fed.shutdown().await;
    Ok(())
}
}

both_stores! {
async fn adjustments_reach_the_superior_and_a_missed_day_is_flagged(backend: Backend) -> anyhow::Result<()> {
    let clock = TestClock::at("2026-04-01T09:00:00+08:00")?;
    let fed = Federation::start_at(backend, county_and_town(), clock.clock(), rules()).await?;
    file_town_schedule(&fed, TOWN_A, "2026-05").await?;
    leader(&fed, TOWN_A, "王委员", "member").await?;
    let mut c = fed.schedules(TOWN_A).await?;

    // Before the day: 林书记 cannot come on 12 May; 王委员 takes the day.
    let v = c
        .adjust(pb::AdjustRequest {
            unit: TOWN_A.into(),
            month: "2026-05".into(),
            date: "2026-05-12".into(),
            leader: "王委员".into(),
            from_leader: "林书记".into(),
            reason: "赴省参加会议，提前报告主要领导".into(),
            ..Default::default()
        })
        .await?
        .into_inner();
    assert_eq!(v.adjustments.len(), 1);
    assert!(
        v.entries
            .iter()
            .any(|e| e.date == "2026-05-12" && e.leader == "王委员")
    );
    assert!(
        !v.entries
            .iter()
            .any(|e| e.date == "2026-05-12" && e.leader == "林书记")
    );
    let row = wait_for("the adjustment at the county", PATIENCE, || async {
        Ok(board(&fed, COUNTY, "2026-05")
            .await?
            .remove(TOWN_A)
            .filter(|r| r.adjustments == 1))
    })
    .await?;
    assert_eq!(row.adjustments, 1);
    let at_county = fed
        .schedules(COUNTY)
        .await?
        .get(month(TOWN_A, "2026-05"))
        .await?
        .into_inner();
    assert!(
        at_county
            .entries
            .iter()
            .any(|e| e.date == "2026-05-12" && e.leader == "王委员")
    );

    // An adjustment on the day itself is refused: that is an absence, not a change.
    clock.set("2026-05-13T08:00:00+08:00")?;
    let err = c
        .adjust(pb::AdjustRequest {
            unit: TOWN_A.into(),
            month: "2026-05".into(),
            date: "2026-05-13".into(),
            leader: "王委员".into(),
            from_leader: "林书记".into(),
            reason: "临时有事".into(),
            ..Default::default()
        })
        .await
        .expect_err("too late to adjust");
    assert!(
        err.message().contains("adjust.before_the_day"),
        "{}",
        err.message()
    );

    // 11 May: 陈副书记 did not come and nobody adjusted: flagged at the county.
    c.record_attendance(pb::AttendanceRequest {
        unit: TOWN_A.into(),
        date: "2026-05-11".into(),
        leader: "陈副书记".into(),
        held: false,
        reason: "未到岗".into(),
        ..Default::default()
    })
    .await?;
    // 林书记 was adjusted off 12 May: his absence is excused.
    c.record_attendance(pb::AttendanceRequest {
        unit: TOWN_A.into(),
        date: "2026-05-12".into(),
        leader: "林书记".into(),
        held: false,
        reason: "赴省参加会议".into(),
        ..Default::default()
    })
    .await?;
    c.record_attendance(pb::AttendanceRequest {
        unit: TOWN_A.into(),
        date: "2026-05-12".into(),
        leader: "王委员".into(),
        held: true,
        visitors: 3,
        ..Default::default()
    })
    .await?;
    // Wait for every attendance record to reach the county (they replicate one
    // write at a time): the missed 11th, and 林书记's and 王委员's 12th recorded.
    let recorded_12th = |r: &pb::FilingRow| {
        !r.flags
            .iter()
            .any(|f| f.kind == "unrecorded" && f.date == "2026-05-12" && f.leader != "陈副书记")
    };
    let row = wait_for("the attendance records at the county", PATIENCE, || async {
        Ok(board(&fed, COUNTY, "2026-05")
            .await?
            .remove(TOWN_A)
            .filter(|r| r.flags.iter().any(|f| f.kind == "missed") && recorded_12th(r)))
    })
    .await?;
    let missed: Vec<&pb::Flag> = row.flags.iter().filter(|f| f.kind == "missed").collect();
    assert_eq!(missed.len(), 1, "{:?}", row.flags);
    assert_eq!(missed[0].date, "2026-05-11");
    assert_eq!(missed[0].leader, "陈副书记");
    // Days before the 13th with nothing recorded are flagged as unrecorded.
    assert!(
        row.flags
            .iter()
            .any(|f| f.kind == "unrecorded" && f.date == "2026-05-06")
    );
    // 林书记's absence on the 12th was adjusted in advance and 王委员 came: no flag.
    assert!(
        !row.flags
            .iter()
            .any(|f| f.date == "2026-05-12" && f.leader != "陈副书记"),
        "{:?}",
        row.flags
    );

    // Attendance for a day to come, or for someone not scheduled, is refused.
    let err = c
        .record_attendance(pb::AttendanceRequest {
            unit: TOWN_A.into(),
            date: "2026-05-20".into(),
            leader: "林书记".into(),
            held: true,
            ..Default::default()
        })
        .await
        .expect_err("future");
    assert!(
        err.message().contains("attendance.not_yet"),
        "{}",
        err.message()
    );
    let err = c
        .record_attendance(pb::AttendanceRequest {
            unit: TOWN_A.into(),
            date: "2026-05-11".into(),
            leader: "王委员".into(),
            held: true,
            ..Default::default()
        })
        .await
        .expect_err("not scheduled");
    assert_eq!(err.code(), Code::InvalidArgument);
    fed.shutdown().await;
    Ok(())
}
}

both_stores! {
async fn bad_tables_and_entries_are_refused_by_row_and_rule_and_nothing_is_imported(backend: Backend)
-> anyhow::Result<()> {
    let clock = TestClock::at("2016-03-05T09:00:00+08:00")?;
    let fed = Federation::start_at(backend, county_and_town(), clock.clock(), rules()).await?;
    let mut c = fed.schedules(COUNTY).await?;
    let import = |content: Vec<u8>, create_roster: bool| pb::ImportRequest {
        unit: COUNTY.into(),
        month: "2016-04".into(),
        format: "csv".into(),
        content,
        create_roster,
    };
    // Unknown leader without --create-roster: names the row and the leader.
    let err = c
        .import(import(fixture(), false))
        .await
        .expect_err("unknown leaders");
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(
        err.message().contains("row 2") && err.message().contains("陈紫光"),
        "{}",
        err.message()
    );
    // A holiday (4 April, Qingming) without the override.
    let text = String::from_utf8(fixture())?;
    let holiday = text.replace("2016-04-05,卢雁慧", "2016-04-04,卢雁慧");
    let err = c
        .import(import(holiday.into_bytes(), true))
        .await
        .expect_err("holiday");
    assert!(
        err.message().contains("row 3") && err.message().contains("2016-04-04"),
        "{}",
        err.message()
    );
    assert!(
        err.message().contains("not a working day"),
        "{}",
        err.message()
    );
    // A date outside the month.
    let outside = text.replace("2016-04-29", "2016-05-02");
    let err = c
        .import(import(outside.into_bytes(), true))
        .await
        .expect_err("outside");
    assert!(
        err.message().contains("row 21") && err.message().contains("outside"),
        "{}",
        err.message()
    );
    // A malformed row.
    let malformed = text.replace(
        "7,2016-04-12,陈连郑,县委常委、政法委书记,县信访局接访大厅,定点接访,",
        "7,2016-04-12",
    );
    let err = c
        .import(import(malformed.into_bytes(), true))
        .await
        .expect_err("malformed");
    assert!(err.message().contains("row 8"), "{}", err.message());
    // Nothing of any of them was kept: no draft, no roster.
    let err = c.get(month(COUNTY, "2016-04")).await.expect_err("no draft");
    assert_eq!(err.code(), Code::NotFound);
    let roster = c
        .get_roster(pb::UnitRequest {
            unit: COUNTY.into(),
        })
        .await?
        .into_inner();
    assert!(roster.leaders.is_empty(), "{:?}", roster.leaders);

    // Entry by entry: unknown leader, outside the month, a weekend without override.
    leader(&fed, COUNTY, "陈紫光", "member").await?;
    let add = |date: &str, who: &str, nwd: bool| pb::AddEntryRequest {
        unit: COUNTY.into(),
        month: "2016-04".into(),
        entry: Some(pb::ScheduleEntry {
            date: date.into(),
            leader: who.into(),
            non_working_day: nwd,
            ..Default::default()
        }),
    };
    let err = c
        .add_entry(add("2016-04-05", "无名氏", false))
        .await
        .expect_err("unknown");
    assert!(err.message().contains("entry.leader"), "{}", err.message());
    let err = c
        .add_entry(add("2016-05-03", "陈紫光", false))
        .await
        .expect_err("outside");
    assert!(
        err.message().contains("entry.date") && err.message().contains("outside"),
        "{}",
        err.message()
    );
    let err = c
        .add_entry(add("2016-04-09", "陈紫光", false))
        .await
        .expect_err("saturday");
    assert!(
        err.message().contains("not a working day"),
        "{}",
        err.message()
    );
    let v = c
        .add_entry(add("2016-04-09", "陈紫光", true))
        .await?
        .into_inner();
    assert!(v.entries[0].non_working_day);
    // Writing another unit's schedule is refused.
    let err = c
        .draft(month(TOWN_A, "2016-04"))
        .await
        .expect_err("not the county's");
    assert_eq!(err.code(), Code::PermissionDenied);
    fed.shutdown().await;
    Ok(())
}
}

both_stores! {
async fn the_published_page_shows_every_entry_in_headless_chromium(backend: Backend) -> anyhow::Result<()> {
    let test = format!("{}::{}", module_path!(), backend.name());
    if skip::chromium_or_skip(&test).is_none() {
        return Ok(());
    }
    let clock = TestClock::at("2016-03-05T09:00:00+08:00")?;
    let fed = Federation::start_at(backend, county_and_town(), clock.clock(), rules()).await?;
    let mut c = fed.schedules(COUNTY).await?;
    let v = c
        .import(pb::ImportRequest {
            unit: COUNTY.into(),
            month: "2016-04".into(),
            format: "csv".into(),
            content: fixture(),
            create_roster: true,
        })
        .await?
        .into_inner();
    // Not approved: there is no page to publish yet.
    let err = c
        .export(pb::ExportRequest {
            unit: COUNTY.into(),
            month: "2016-04".into(),
            format: "html".into(),
        })
        .await
        .expect_err("draft");
    assert_eq!(err.code(), Code::FailedPrecondition);
    c.review(decide(COUNTY, "2016-04", "")).await?;
    c.approve(decide(COUNTY, "2016-04", "")).await?;
    let p = c.publish(month(COUNTY, "2016-04")).await?.into_inner();
    assert_eq!(p.state, "published");
    let html = c
        .export(pb::ExportRequest {
            unit: COUNTY.into(),
            month: "2016-04".into(),
            format: "html".into(),
        })
        .await?
        .into_inner();
    // One folder per store: the two halves run side by side and must not remove
    // each other's screenshot.
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("schedule-page")
        .join(backend.name());
    std::fs::create_dir_all(&dir)?;
    let page = dir.join("441521-2016-04.html");
    std::fs::write(&page, &html.content)?;
    let dom = chromium::dump_dom(&page)?;
    assert!(dom.contains("2016年4月份海丰县领导干部接访安排表"), "title");
    let rows = dom.matches("class=\"entry\"").count();
    assert_eq!(rows, 20, "every entry is a row");
    for e in &v.entries {
        assert!(dom.contains(&e.leader), "{} missing", e.leader);
        assert!(
            dom.contains(&format!("data-date=\"{}\"", e.date)),
            "{} missing",
            e.date
        );
    }
    let png = dir.join("441521-2016-04.png");
    chromium::screenshot(&page, &png)?;
    let size = std::fs::metadata(&png)?.len();
    assert!(size > 10_000, "a screenshot with content ({size} bytes)");
    eprintln!("screenshot kept at {}", png.display());
    fed.shutdown().await;
    Ok(())
}
}

both_stores! {
async fn the_quarterly_register_counts_receptions_and_files_upward(backend: Backend) -> anyhow::Result<()> {
    let clock = TestClock::at("2026-03-02T09:00:00+08:00")?;
    let fed = Federation::start_at(backend, county_and_town(), clock.clock(), rules()).await?;
    file_town_schedule(&fed, TOWN_A, "2026-04").await?;
    // A reception on 7 April registers a case that day.
    clock.set("2026-04-07T10:00:00+08:00")?;
    let case = fed.register(TOWN_A, "李四", "宅基地纠纷，请求确权").await?;
    let mut c = fed.schedules(TOWN_A).await?;
    c.record_attendance(pb::AttendanceRequest {
        unit: TOWN_A.into(),
        date: "2026-04-07".into(),
        leader: "林书记".into(),
        held: true,
        visitors: 4,
        cases: vec![case.case_no.clone()],
        resolved_on_spot: 1,
        ..Default::default()
    })
    .await?;
    // A case from another day cannot be linked to this reception.
    let err = c
        .record_attendance(pb::AttendanceRequest {
            unit: TOWN_A.into(),
            date: "2026-04-06".into(),
            leader: "林书记".into(),
            held: true,
            visitors: 1,
            cases: vec![case.case_no.clone()],
            ..Default::default()
        })
        .await
        .expect_err("registered on another day");
    assert_eq!(err.code(), Code::InvalidArgument);
    c.record_attendance(pb::AttendanceRequest {
        unit: TOWN_A.into(),
        date: "2026-04-07".into(),
        leader: "陈副书记".into(),
        held: true,
        visitors: 2,
        ..Default::default()
    })
    .await?;
    let q = pb::QuarterRequest {
        unit: TOWN_A.into(),
        quarter: "2026Q2".into(),
    };
    let err = c
        .generate_quarterly(q.clone())
        .await
        .expect_err("quarter not over");
    assert!(
        err.message().contains("quarterly.after_quarter_end"),
        "{}",
        err.message()
    );
    clock.set("2026-07-01T09:00:00+08:00")?;
    let v = c.generate_quarterly(q.clone()).await?.into_inner();
    assert_eq!(v.receptions, 2);
    assert_eq!(v.visitors, 6);
    assert_eq!(v.cases, 1);
    assert_eq!(v.resolved_on_spot, 1);
    let lin = v
        .leaders
        .iter()
        .find(|l| l.leader == "林书记")
        .expect("林书记");
    assert_eq!((lin.held, lin.visitors, lin.cases), (1, 4, 1));
    assert_eq!(lin.scheduled as usize, working_days("2026-04").len());
    assert_eq!(v.register.len(), 1);
    assert_eq!(v.register[0].case_no, case.case_no);
    let at_county = wait_for("the register at the county", PATIENCE, || async {
        match fed.schedules(COUNTY).await?.get_quarterly(q.clone()).await {
            Ok(r) => Ok(Some(r.into_inner())),
            Err(s) if s.code() == Code::NotFound => Ok(None),
            Err(s) => Err(s.into()),
        }
    })
    .await?;
    assert_eq!(at_county.visitors, 6);
    assert!(at_county.received_at.starts_with("2026-07-01"));
    let xlsx = c.export_quarterly(q).await?.into_inner();
    assert!(xlsx.content.starts_with(b"PK"), "an XLSX (zip) file");
    fed.shutdown().await;
    Ok(())
}
}
