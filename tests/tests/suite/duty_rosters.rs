//! Duty rosters for rest days and holidays (值班安排表, seed 000) and the yearly
//! summary and quarterly plan (seed 002) across real nodes: the 2026 National Day
//! roster covers exactly the calendar's rest days and reaches the county; bad
//! rosters are refused by field, date and rule with nothing written; the summary
//! of a town with two filed months, a reception held and one missed counts them,
//! in its XLSX (read back with calamine) and its PDF (read back with pdftotext).

use std::io::Cursor;
use std::process::Command;

use calamine::{Data, Reader, Xlsx};
use tonic::Code;
use xinfang_node::rules::calendar::HolidayCalendar;
use xinfang_node::rules::holiday::Holiday;
use xinfang_proto::v1 as pb;
use xinfang_tests::skip::{Dependency, skip};
use xinfang_tests::*;

const NATIONAL_DAY: &str = "2026 国庆节";

async fn leader(fed: &Federation, unit: &str, name: &str, role: &str) -> anyhow::Result<()> {
    fed.schedules(unit)
        .await?
        .put_leader(pb::PutLeaderRequest {
            unit: unit.into(),
            leader: Some(pb::Leader {
                name: name.into(),
                position: format!("{name}的职务"),
                role: role.into(),
                active: true,
                ..Default::default()
            }),
        })
        .await?;
    Ok(())
}

async fn town_roster(fed: &Federation) -> anyhow::Result<()> {
    for (n, r) in [("林书记", "principal"), ("陈副书记", "in_charge")] {
        leader(fed, TOWN_A, n, r).await?;
    }
    Ok(())
}

fn span(s: &str) -> pb::DutySpanRequest {
    pb::DutySpanRequest {
        unit: TOWN_A.into(),
        span: s.into(),
    }
}

/// A day and its leader.
fn day(date: &str, name: &str) -> pb::DutyDay {
    pb::DutyDay {
        date: date.into(),
        leaders: vec![pb::DutyLeader {
            name: name.into(),
            phone: "0660-6612345".into(),
            ..Default::default()
        }],
    }
}

fn draft(days: Vec<pb::DutyDay>) -> pb::DutyDraftRequest {
    pb::DutyDraftRequest {
        unit: TOWN_A.into(),
        span: NATIONAL_DAY.into(),
        days,
    }
}

/// The holiday's days off as the shipped calendar gives them.
fn calendar_days() -> Vec<String> {
    HolidayCalendar::official()
        .expect("calendar")
        .holiday_period(2026, Holiday::NationalDay)
        .expect("2026 National Day")
        .iter()
        .map(ToString::to_string)
        .collect()
}

fn complete() -> Vec<pb::DutyDay> {
    calendar_days()
        .iter()
        .enumerate()
        .map(|(i, d)| {
            day(
                d,
                if i % 2 == 0 {
                    "林书记"
                } else {
                    "陈副书记"
                },
            )
        })
        .collect()
}

/// A refusal naming the field, the date or name, and the rule.
fn assert_refused(err: &tonic::Status, code: Code, words: &[&str]) {
    assert_eq!(err.code(), code, "{}", err.message());
    for w in words {
        assert!(err.message().contains(w), "{w:?} in {}", err.message());
    }
}

both_stores! {
async fn the_national_day_roster_covers_exactly_the_rest_days_and_reaches_the_county(backend: Backend) -> anyhow::Result<()> {
    let clock = TestClock::at("2026-09-01T09:00:00+08:00")?;
    let fed = Federation::start_at(backend, county_and_town(), clock.clock(), Default::default()).await?;
    town_roster(&fed).await?;
    let mut c = fed.schedules(TOWN_A).await?;

    // The calendar's answer for the named holiday.
    let days = c.duty_days(span(NATIONAL_DAY)).await?.into_inner();
    assert_eq!(days.span, "2026-national_day");
    assert_eq!(days.span_label, "2026年国庆节");
    assert_eq!(days.dates, calendar_days());
    assert_eq!(days.dates.first().map(String::as_str), Some("2026-10-01"));
    assert_eq!(days.dates.last().map(String::as_str), Some("2026-10-07"));

    // The adjusted working Saturday after the holiday is refused by its date.
    let mut with_working = complete();
    with_working.push(day("2026-10-10", "林书记"));
    let err = c.draft_duty(draft(with_working)).await.expect_err("a working day");
    assert_refused(&err, Code::InvalidArgument, &["day.date", "2026-10-10", "duty.rest_day"]);
    // So is the adjusted working Sunday before it.
    let err = c
        .draft_duty(draft(vec![day("2026-09-20", "林书记")]))
        .await
        .expect_err("a working Sunday");
    assert_refused(&err, Code::InvalidArgument, &["day.date", "2026-09-20", "duty.rest_day"]);
    // Nothing was written.
    let err = c.get_duty(span(NATIONAL_DAY)).await.expect_err("no draft");
    assert_eq!(err.code(), Code::NotFound, "{}", err.message());

    // A roster missing one rest day is a draft that cannot be approved.
    let mut missing = complete();
    missing.retain(|d| d.date != "2026-10-04");
    let v = c.draft_duty(draft(missing)).await?.into_inner();
    assert_eq!(v.state, "draft");
    assert_eq!(v.uncovered, ["2026-10-04"]);
    let err = c
        .approve_duty(pb::DutyDecisionRequest {
            unit: TOWN_A.into(),
            span: NATIONAL_DAY.into(),
            by: String::new(),
        })
        .await
        .expect_err("a rest day without a leader");
    assert_refused(&err, Code::InvalidArgument, &["2026-10-04", "duty.leader_each_day"]);

    // Complete, it is approved (filed), published, and reaches the county.
    let v = c.draft_duty(draft(complete())).await?.into_inner();
    assert!(v.uncovered.is_empty(), "{:?}", v.uncovered);
    let v = c
        .approve_duty(pb::DutyDecisionRequest {
            unit: TOWN_A.into(),
            span: NATIONAL_DAY.into(),
            by: String::new(),
        })
        .await?
        .into_inner();
    assert_eq!(v.state, "approved");
    assert_eq!(v.approved_by, "林书记");
    let dates: Vec<&str> = v.days.iter().map(|d| d.date.as_str()).collect();
    assert_eq!(dates, calendar_days());
    assert_eq!(v.days[0].leaders[0].position, "林书记的职务");
    let v = c.publish_duty(span(NATIONAL_DAY)).await?.into_inner();
    assert_eq!(v.state, "published");
    // Filed, it is no longer a draft to change.
    let err = c.draft_duty(draft(complete())).await.expect_err("filed");
    assert_refused(&err, Code::FailedPrecondition, &["duty.already_approved"]);

    let at_county = wait_for("the duty roster at the county", PATIENCE, || async {
        let req = pb::DutySpanRequest {
            unit: TOWN_A.into(),
            span: "2026-national_day".into(),
        };
        match fed.schedules(COUNTY).await?.get_duty(req).await {
            Ok(r) if !r.get_ref().published_at.is_empty() => Ok(Some(r.into_inner())),
            Ok(_) => Ok(None),
            Err(s) if s.code() == Code::NotFound => Ok(None),
            Err(s) => Err(s.into()),
        }
    })
    .await?;
    assert_eq!(at_county.days.len(), 7);
    assert!(at_county.received_at.starts_with("2026-09-01"), "{}", at_county.received_at);
    let board = fed
        .schedules(COUNTY)
        .await?
        .duty_board(pb::DutySpanRequest {
            unit: String::new(),
            span: NATIONAL_DAY.into(),
        })
        .await?
        .into_inner();
    let row = board.rows.iter().find(|r| r.unit == TOWN_A).expect("the town's row");
    assert!(row.filed && !row.received_at.is_empty() && !row.published_at.is_empty(), "{row:?}");
    let list = c
        .list_duty(pb::DutyListRequest {
            unit: TOWN_A.into(),
            year: 2026,
        })
        .await?
        .into_inner();
    assert_eq!(list.rosters.len(), 1);
    // The printed table, read back at the county.
    let xlsx = fed
        .schedules(COUNTY)
        .await?
        .export_duty(span(NATIONAL_DAY))
        .await?
        .into_inner();
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(xlsx.content))?;
    let sheet = book.worksheet_range("值班安排表")?;
    assert_eq!(cell(&sheet, 0, 0), "海城镇2026年国庆节双休日节假日值班安排表");
    assert_eq!(cell(&sheet, 2, 0), "2026-10-01");
    assert_eq!(cell(&sheet, 2, 1), "星期四");
    assert_eq!(cell(&sheet, 2, 2), "林书记");
    assert_eq!(cell(&sheet, 8, 0), "2026-10-07");
    fed.shutdown().await;
    Ok(())
}
}

both_stores! {
async fn bad_rosters_are_refused_by_field_and_rule_with_nothing_written(backend: Backend) -> anyhow::Result<()> {
    let clock = TestClock::at("2026-09-01T09:00:00+08:00")?;
    let fed = Federation::start_at(backend, county_and_town(), clock.clock(), Default::default()).await?;
    town_roster(&fed).await?;
    let mut c = fed.schedules(TOWN_A).await?;

    let mut stranger = complete();
    stranger[2] = day("2026-10-03", "赵六");
    let err = c.draft_duty(draft(stranger)).await.expect_err("not on the roster");
    assert_refused(&err, Code::InvalidArgument, &["day.leader", "赵六", "duty.on_roster"]);

    let err = c
        .draft_duty(pb::DutyDraftRequest {
            unit: TOWN_A.into(),
            span: "2026 重阳节".into(),
            days: vec![day("2026-10-18", "林书记")],
        })
        .await
        .expect_err("no such holiday");
    assert_refused(&err, Code::InvalidArgument, &["span", "重阳节", "duty.holiday_name"]);
    let err = c.duty_days(span("2026 重阳节")).await.expect_err("no such holiday");
    assert_refused(&err, Code::InvalidArgument, &["span", "duty.holiday_name"]);

    // A year the calendar has no data for.
    let err = c.duty_days(span("2031 国庆节")).await.expect_err("no data");
    assert_refused(&err, Code::FailedPrecondition, &["duty.calendar_data", "2031"]);

    let err = c.get_duty(span(NATIONAL_DAY)).await.expect_err("nothing written");
    assert_eq!(err.code(), Code::NotFound, "{}", err.message());
    let list = c
        .list_duty(pb::DutyListRequest {
            unit: TOWN_A.into(),
            year: 2026,
        })
        .await?
        .into_inner();
    assert!(list.rosters.is_empty(), "{:?}", list.rosters);
    fed.shutdown().await;
    Ok(())
}
}

fn working_days(m: &str) -> Vec<String> {
    let cal = HolidayCalendar::official().expect("calendar");
    let m: xinfang_node::schedule::model::Month = m.parse().expect("month");
    m.days()
        .filter(|d| cal.is_working_day(*d))
        .map(|d| d.to_string())
        .collect()
}

/// Files a month of the town: 林书记 on every working day.
async fn file_month(fed: &Federation, m: &str) -> anyhow::Result<usize> {
    let mut c = fed.schedules(TOWN_A).await?;
    let days = working_days(m);
    for d in &days {
        c.add_entry(pb::AddEntryRequest {
            unit: TOWN_A.into(),
            month: m.into(),
            entry: Some(pb::ScheduleEntry {
                date: d.clone(),
                leader: "林书记".into(),
                place: "镇信访办接访室".into(),
                ..Default::default()
            }),
        })
        .await?;
    }
    let decide = pb::DecisionRequest {
        unit: TOWN_A.into(),
        month: m.into(),
        by: String::new(),
        // The town's default rules may ask for more than one leader a day.
        override_reason: "测试：每日一名领导".into(),
    };
    c.review(decide.clone()).await?;
    c.approve(decide).await?;
    Ok(days.len())
}

fn cell(range: &calamine::Range<Data>, row: u32, col: u32) -> String {
    match range.get_value((row, col)) {
        Some(Data::Float(f)) => format!("{f}"),
        Some(Data::Int(i)) => i.to_string(),
        Some(Data::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

/// The PDF's lines as pdftotext lays them out, each split into its words.
fn pdf_lines(pdf: &[u8], name: &str) -> anyhow::Result<Vec<Vec<String>>> {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("work-reports");
    std::fs::create_dir_all(&dir)?;
    let file = dir.join(format!("{name}.pdf"));
    std::fs::write(&file, pdf)?;
    let out = Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(&file)
        .arg("-")
        .output()?;
    anyhow::ensure!(out.status.success(), "pdftotext failed on {name}");
    Ok(String::from_utf8(out.stdout)?
        .lines()
        .map(|l| l.split_whitespace().map(str::to_owned).collect())
        .collect())
}

/// Whether this machine can read PDFs back and has a CJK font to print with.
fn tools_or_skip(test: &str) -> bool {
    if Command::new("pdftotext").arg("-v").output().is_err() {
        skip(
            test,
            Dependency::Poppler,
            "no pdftotext (install Debian's poppler-utils)",
        );
        return false;
    }
    let font = std::env::var_os("XINFANG_CJK_FONT").is_some()
        || std::path::Path::new("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc")
            .is_file()
        || std::path::Path::new("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc").is_file();
    if !font {
        skip(
            test,
            Dependency::Font,
            "no CJK font to print with (install Debian's fonts-noto-cjk)",
        );
        return false;
    }
    true
}

both_stores! {
async fn the_yearly_summary_counts_filed_months_attendance_and_a_missed_reception(backend: Backend) -> anyhow::Result<()> {
    let clock = TestClock::at("2026-03-02T09:00:00+08:00")?;
    let fed = Federation::start_at(backend, county_and_town(), clock.clock(), Default::default()).await?;
    town_roster(&fed).await?;
    let april = file_month(&fed, "2026-04").await?;
    let may = file_month(&fed, "2026-05").await?;
    let mut c = fed.schedules(TOWN_A).await?;
    clock.set("2026-04-08T17:00:00+08:00")?;
    c.record_attendance(pb::AttendanceRequest {
        unit: TOWN_A.into(),
        date: "2026-04-07".into(),
        leader: "林书记".into(),
        held: true,
        visitors: 5,
        ..Default::default()
    })
    .await?;
    c.record_attendance(pb::AttendanceRequest {
        unit: TOWN_A.into(),
        date: "2026-04-08".into(),
        leader: "林书记".into(),
        held: false,
        reason: "赴市开会".into(),
        ..Default::default()
    })
    .await?;

    clock.set("2026-12-20T09:00:00+08:00")?;
    let year = pb::WorkReportRequest {
        unit: TOWN_A.into(),
        period: "2026".into(),
    };
    let v = c.generate_work_report(year.clone()).await?.into_inner();
    assert_eq!(v.kind, "summary");
    assert_eq!(v.title, "海城镇2026年度领导干部接访下访包案工作总结");
    assert_eq!(v.months_filed, ["2026-04", "2026-05"]);
    let lin = v.leaders.iter().find(|l| l.leader == "林书记").expect("林书记");
    let scheduled = (april + may) as u32;
    assert_eq!(
        (lin.scheduled, lin.held, lin.missed, lin.visitors),
        (scheduled, 1, 1, 5)
    );

    // Filed upward: the county holds it.
    let at_county = wait_for("the summary at the county", PATIENCE, || async {
        match fed.schedules(COUNTY).await?.get_work_report(year.clone()).await {
            Ok(r) => Ok(Some(r.into_inner())),
            Err(s) if s.code() == Code::NotFound => Ok(None),
            Err(s) => Err(s.into()),
        }
    })
    .await?;
    assert_eq!(at_county.leaders, v.leaders);

    // The XLSX an office hands in.
    let xlsx = c
        .export_work_report(pb::WorkReportExportRequest {
            unit: TOWN_A.into(),
            period: "2026".into(),
            format: "xlsx".into(),
        })
        .await?
        .into_inner();
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(xlsx.content))?;
    let sheet = book.worksheet_range("汇总表")?;
    assert_eq!(cell(&sheet, 0, 0), v.title);
    assert_eq!(cell(&sheet, 1, 0), "领导姓名");
    assert_eq!(cell(&sheet, 1, 4), "缺岗");
    let row = (2..10)
        .find(|r| cell(&sheet, *r, 0) == "林书记")
        .expect("林书记's row");
    assert_eq!(cell(&sheet, row, 1), "林书记的职务");
    assert_eq!(cell(&sheet, row, 2), scheduled.to_string());
    assert_eq!(cell(&sheet, row, 3), "1");
    assert_eq!(cell(&sheet, row, 4), "1");
    assert_eq!(cell(&sheet, row, 5), "5");

    // The PDF, read back.
    let test = "the_yearly_summary_counts_filed_months_attendance_and_a_missed_reception";
    if tools_or_skip(test) {
        let pdf = c
            .export_work_report(pb::WorkReportExportRequest {
                unit: TOWN_A.into(),
                period: "2026".into(),
                format: "pdf".into(),
            })
            .await?
            .into_inner();
        assert_eq!(pdf.content_type, "application/pdf");
        let lines = pdf_lines(&pdf.content, &format!("summary-{}", backend.name()))?;
        let all: String = lines.iter().flatten().cloned().collect();
        assert!(all.contains("海城镇2026年度领导干部接访下访包案工作总结"), "{all}");
        assert!(all.contains("2026-04、2026-05"), "{all}");
        let lin = lines
            .iter()
            .find(|l| l.first().map(String::as_str) == Some("林书记"))
            .unwrap_or_else(|| panic!("林书记's line in {lines:?}"));
        let scheduled = scheduled.to_string();
        assert_eq!(
            lin.iter().map(String::as_str).collect::<Vec<_>>()[..6],
            ["林书记", "林书记的职务", scheduled.as_str(), "1", "1", "5"]
        );
    }

    // A bad period names its field.
    let err = c
        .generate_work_report(pb::WorkReportRequest {
            unit: TOWN_A.into(),
            period: "2026-13".into(),
        })
        .await
        .expect_err("bad period");
    assert_refused(&err, Code::InvalidArgument, &["period"]);
    fed.shutdown().await;
    Ok(())
}
}

both_stores! {
async fn the_quarterly_plan_lists_the_filed_receptions(backend: Backend) -> anyhow::Result<()> {
    let clock = TestClock::at("2026-03-02T09:00:00+08:00")?;
    let fed = Federation::start_at(backend, county_and_town(), clock.clock(), Default::default()).await?;
    town_roster(&fed).await?;
    let april = file_month(&fed, "2026-04").await?;
    let mut c = fed.schedules(TOWN_A).await?;
    let q = pb::WorkReportRequest {
        unit: TOWN_A.into(),
        period: "2026Q2".into(),
    };
    let v = c.generate_work_report(q.clone()).await?.into_inner();
    assert_eq!(v.kind, "plan");
    assert_eq!(v.title, "海城镇2026年第2季度领导干部接访下访工作安排");
    assert_eq!(v.planned.len(), april);
    assert_eq!(v.planned[0].place, "镇信访办接访室");
    assert_eq!(v.planned[0].form, "定点接访");
    let xlsx = c
        .export_work_report(pb::WorkReportExportRequest {
            unit: TOWN_A.into(),
            period: "2026Q2".into(),
            format: "xlsx".into(),
        })
        .await?
        .into_inner();
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(xlsx.content))?;
    let sheet = book.worksheet_range("接访安排")?;
    assert_eq!(cell(&sheet, 2, 0), v.planned[0].date);
    assert_eq!(cell(&sheet, 2, 1), "林书记");
    wait_for("the plan at the county", PATIENCE, || async {
        match fed.schedules(COUNTY).await?.get_work_report(q.clone()).await {
            Ok(r) => Ok(Some(r.into_inner())),
            Err(s) if s.code() == Code::NotFound => Ok(None),
            Err(s) => Err(s.into()),
        }
    })
    .await?;
    fed.shutdown().await;
    Ok(())
}
}
