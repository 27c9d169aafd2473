//! Responsibility letters (责任书) and the year's assessment across real nodes: a
//! letter set at the city reaches the county (not the towns), the county
//! acknowledges it, and the city's assessment scores the county against exactly
//! the letter's targets from the county's cases, as computed by hand here; bad
//! letters are refused by name and write nothing.

use std::collections::BTreeMap;
use std::process::Command;

use calamine::{Reader, Xlsx};

use tonic::Code;
use xinfang_proto::v1 as pb;
use xinfang_proto::v1::letters_client::LettersClient;
use xinfang_tests::skip::{Dependency, skip};
use xinfang_tests::*;

async fn letters(fed: &Federation, unit: &str) -> anyhow::Result<LettersClient<Api>> {
    Ok(LettersClient::new(fed.channel(unit).await?))
}

async fn held(fed: &Federation, unit: &str, prefix: &str) -> anyhow::Result<usize> {
    Ok(fed.hub(unit).ids_with_prefix(prefix, 100).await?.len())
}

fn rate(code: &str, threshold: f64) -> pb::LetterTarget {
    pb::LetterTarget {
        kind: "rate".into(),
        code: code.into(),
        threshold,
        ceiling: 0,
    }
}

fn skip_level(ceiling: u32) -> pb::LetterTarget {
    pb::LetterTarget {
        kind: "skip_level".into(),
        ceiling,
        ..Default::default()
    }
}

fn letter(unit: &str, targets: Vec<pb::LetterTarget>) -> pb::DraftLetterRequest {
    pb::DraftLetterRequest {
        unit: unit.into(),
        year: 2026,
        targets,
        measures: "未完成目标的，年度考核不得评为先进，并予通报批评。".into(),
    }
}

fn petition(unit: &str, name: &str, id: &str) -> pb::RegisterCaseRequest {
    pb::RegisterCaseRequest {
        unit: unit.into(),
        petitioner: name.into(),
        content: "征地补偿款未足额发放".into(),
        id_number: id.into(),
        channel: "visit".into(),
        purpose: "request".into(),
        category: "land".into(),
        ..Default::default()
    }
}

const ACCEPT: &str = r#"{"kind": "screening", "decision": {"decision": "accept"}}"#;

both_stores! {
async fn bad_letters_name_the_field_and_the_rule_and_write_nothing(backend: Backend) -> anyhow::Result<()> {
    let fed = Federation::start(backend, haifeng()).await?;
    let mut city = letters(&fed, CITY).await?;
    let e = city
        .draft(letter(COUNTY, vec![rate("speed", 95.0)]))
        .await
        .expect_err("no such rate");
    assert_eq!(e.code(), Code::FailedPrecondition, "{e:?}");
    assert!(e.message().contains("letter.known_rate") && e.message().contains("targets.rate"), "{}", e.message());
    let e = city
        .draft(letter(COUNTY, vec![rate("timely_acceptance", 120.0)]))
        .await
        .expect_err("over 100 %");
    assert!(e.message().contains("letter.threshold_percent") && e.message().contains("targets.threshold"), "{}", e.message());
    let e = city
        .draft(letter(COUNTY, vec![pb::LetterTarget { kind: "praise".into(), ..Default::default() }]))
        .await
        .expect_err("no such target");
    assert_eq!(e.code(), Code::InvalidArgument, "{e:?}");
    assert!(e.message().contains("targets.kind"), "{}", e.message());
    // Outside the subtree: the county sets no letter for the city, nor for itself.
    let mut county = letters(&fed, COUNTY).await?;
    for unit in [CITY, COUNTY] {
        let e = county
            .draft(letter(unit, vec![rate("timely_acceptance", 95.0)]))
            .await
            .expect_err("not below the county");
        assert!(e.message().contains("letter.below_issuer") && e.message().contains("unit"), "{}", e.message());
    }
    for unit in [CITY, COUNTY] {
        assert_eq!(held(&fed, unit, "letter/").await?, 0, "a refused letter wrote nothing at {unit}");
    }
    fed.shutdown().await;
    Ok(())
}
}

both_stores! {
async fn a_city_letter_reaches_the_county_is_acknowledged_and_scored_as_by_hand(backend: Backend) -> anyhow::Result<()> {
    let clock = TestClock::at("2026-03-02T09:00:00+08:00")?;
    let fed = Federation::start_at(backend, haifeng(), clock.clock(), BTreeMap::new()).await?;
    let drafted = letters(&fed, CITY)
        .await?
        .draft(letter(COUNTY, vec![rate("timely_acceptance", 95.0), skip_level(3)]))
        .await?
        .into_inner();
    assert_eq!(drafted.targets[0].name, "及时受理率");
    assert_eq!(drafted.targets[0].bound, "≥ 95.0%");
    assert_eq!(drafted.targets[1].name, "越级访");

    // The county holds it without asking; the towns below do not.
    wait_for("the letter at the county", PATIENCE, || async {
        Ok((held(&fed, COUNTY, "letter/").await? == 1).then_some(()))
    })
    .await?;
    let acked = letters(&fed, COUNTY)
        .await?
        .acknowledge(pb::AcknowledgeLetterRequest { issuer: String::new(), year: 2026 })
        .await?
        .into_inner();
    assert_eq!(acked.id, drafted.id);
    assert_eq!(acked.acknowledged_by, TESTER);
    // The city sees the acknowledgement.
    wait_for("the acknowledgement at the city", PATIENCE, || async {
        let l = letters(&fed, CITY)
            .await?
            .list(pb::ListLettersRequest { unit: COUNTY.into(), year: 2026 })
            .await?
            .into_inner();
        Ok(l.letters.iter().any(|l| !l.acknowledged_at.is_empty()).then_some(()))
    })
    .await?;
    assert_eq!(held(&fed, TOWN_A, "letter/").await?, 0, "the town holds the county's letter");

    // The county's cases. Two petitioners are handled at town A; they come to the
    // county about the same matter while the town still handles it (越级访).
    // (case, screened on the day it was registered?) for 及时受理率.
    let mut timely: Vec<(String, Option<bool>)> = Vec::new();
    let mut town_cases = Vec::new();
    for (i, name) in ["孙七", "周八"].iter().enumerate() {
        let id = id_number(&format!("4415211980010112{i}"));
        let c = fed.client(TOWN_A).await?.register_case(petition(TOWN_A, name, &id)).await?.into_inner();
        fed.act(TOWN_A, &c.case_no, serde_json::from_str(ACCEPT)?).await?;
        timely.push((c.case_no.clone(), Some(true)));
        town_cases.push((name, id, c.case_no));
    }
    for (_, _, no) in &town_cases {
        wait_for("the town's case at the county", PATIENCE, || async {
            Ok(fed.case_at(COUNTY, no).await?.filter(|c| c.status == "accepted"))
        })
        .await?;
    }
    let mut skip_levels = 0;
    for (name, id, no) in &town_cases {
        let c = fed.client(COUNTY).await?.register_case(petition(COUNTY, name, id)).await?.into_inner();
        assert_eq!(&c.skip_level_of, no, "a skip-level petition");
        skip_levels += 1;
        // Never screened: overdue by the assessment.
        timely.push((c.case_no, None));
    }
    for (i, name) in ["赵一", "钱二", "李三"].iter().enumerate() {
        let c = fed.register(COUNTY, name, &format!("道路维修问题{i}")).await?;
        if i < 2 {
            fed.act(COUNTY, &c.case_no, serde_json::from_str(ACCEPT)?).await?;
            timely.push((c.case_no, Some(true)));
        } else {
            timely.push((c.case_no, Some(false)));
        }
    }
    // A month on, every acceptance deadline has passed; the last case is screened late.
    clock.set("2026-04-02T10:00:00+08:00")?;
    let late = timely.last().map(|(no, _)| no.clone()).unwrap_or_default();
    fed.act(COUNTY, &late, serde_json::from_str(ACCEPT)?).await?;
    for (no, _) in &timely {
        wait_for("the case at the city", PATIENCE, || async {
            Ok(fed.case_at(CITY, no).await?.filter(|c| no != &late || c.status == "accepted"))
        })
        .await?;
    }

    // By hand: every case is in the denominator (decided, or its 15 days passed);
    // the numerator is those screened on the day they came.
    let denominator = timely.len() as u64;
    let numerator = timely.iter().filter(|(_, t)| *t == Some(true)).count() as u64;
    assert_eq!((numerator, denominator), (4, 7));
    let pct = numerator as f64 * 100.0 / denominator as f64;
    let margin = ((pct - 95.0) * 1000.0).round() / 1000.0;

    let check = |targets: &[pb::TargetProgress], at: &str| {
        assert_eq!(targets.len(), 2, "exactly the letter's targets at {at}");
        let r = &targets[0];
        assert_eq!(r.target.as_ref().map(|t| t.target.as_ref().map(|t| t.code.clone())), Some(Some("timely_acceptance".into())));
        assert_eq!((r.numerator, r.denominator), (numerator, denominator), "at {at}");
        assert_eq!(r.verdict, "missed", "at {at}");
        assert!((r.margin - margin).abs() < 1e-9, "{} vs {margin} at {at}", r.margin);
        assert_eq!(r.value, format!("{pct:.1}% ({numerator}/{denominator})"));
        let s = &targets[1];
        assert_eq!(s.measured, skip_levels as f64, "at {at}");
        assert_eq!((s.verdict.as_str(), s.margin), ("met", 3.0 - skip_levels as f64), "at {at}");
    };
    let a = letters(&fed, CITY)
        .await?
        .assess(pb::AssessRequest { year: 2026, ..Default::default() })
        .await?
        .into_inner();
    assert_eq!((a.from.as_str(), a.to.as_str()), ("2026-01-01", "2026-04-02"));
    assert_eq!(a.units.len(), 1, "{a:?}");
    let county = &a.units[0];
    assert_eq!((county.unit.as_str(), county.rank, county.met, county.missed), (COUNTY, 1, 1, 1));
    assert!(county.acknowledged);
    check(&county.targets, "the city's assessment");
    // The county follows the same progress from its own node.
    let p = letters(&fed, COUNTY)
        .await?
        .progress(pb::LetterProgressRequest { issuer: CITY.into(), unit: String::new(), year: 2026 })
        .await?
        .into_inner();
    check(&p.targets, "the county's progress");

    // Filed, the assessment reaches the county (not the towns), which prints its table.
    let filed = letters(&fed, CITY)
        .await?
        .file(pb::AssessRequest { year: 2026, ..Default::default() })
        .await?
        .into_inner();
    assert!(!filed.filed_at.is_empty());
    wait_for("the filed assessment at the county", PATIENCE, || async {
        Ok((held(&fed, COUNTY, "assessment/").await? == 1).then_some(()))
    })
    .await?;
    assert_eq!(held(&fed, TOWN_A, "assessment/").await?, 0);
    let export = |format: &'static str| pb::ExportAssessmentRequest { issuer: CITY.into(), year: 2026, format: format.into() };
    let xlsx = letters(&fed, COUNTY).await?.export(export("xlsx")).await?.into_inner();
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx.content))?;
    let sheet = book.worksheet_range_at(0).ok_or_else(|| anyhow::anyhow!("no sheet"))??;
    let text: Vec<String> = sheet.rows().map(|r| r.iter().map(|c| c.to_string()).collect::<Vec<_>>().join("|")).collect();
    assert_eq!(text[0].split('|').next(), Some("汕尾市 2026年度 信访工作责任制考核结果"), "{text:?}");
    assert_eq!(text[1], "名次|单位|目标|要求|实际|结果|差距", "{text:?}");
    assert_eq!(text[2], format!("1|海丰县|及时受理率|≥ 95.0%|{pct:.1}% (4/7)|未完成|{margin:+}"), "{text:?}");
    assert_eq!(text[3], "1|海丰县|越级访|≤ 3|2|完成|+1", "{text:?}");
    if pdf_tools("a_city_letter_reaches_the_county_is_acknowledged_and_scored_as_by_hand") {
        let pdf = letters(&fed, COUNTY).await?.export(export("pdf")).await?.into_inner();
        assert_eq!(pdf.content_type, "application/pdf");
        let all = pdf_text(&pdf.content, &format!("assessment-{}", backend.name()))?;
        for want in ["汕尾市 2026年度 信访工作责任制考核结果", "海丰县", "及时受理率", "越级访", "未完成"] {
            assert!(all.contains(want), "{want} in {all}");
        }
    }
    fed.shutdown().await;
    Ok(())
}
}

/// The PDF's text as pdftotext gives it.
fn pdf_text(pdf: &[u8], name: &str) -> anyhow::Result<String> {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("assessments");
    std::fs::create_dir_all(&dir)?;
    let file = dir.join(format!("{name}.pdf"));
    std::fs::write(&file, pdf)?;
    let out = Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(&file)
        .arg("-")
        .output()?;
    anyhow::ensure!(out.status.success(), "pdftotext failed on {name}");
    Ok(String::from_utf8(out.stdout)?)
}

/// Whether this machine can read PDFs back and has a CJK font to print with.
fn pdf_tools(test: &str) -> bool {
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

fn group(unit: &str, head_count: u32) -> pb::RegisterCaseRequest {
    pb::RegisterCaseRequest {
        unit: unit.into(),
        petitioner: "王五等".into(),
        content: "集体反映拆迁安置问题".into(),
        channel: "visit".into(),
        representatives: vec!["王五".into(), "陈六".into()],
        head_count,
        ..Default::default()
    }
}

/// The report's int cell `col` in the row of `unit`.
fn cell(r: &pb::Report, unit: &str, col: usize) -> i64 {
    r.rows
        .iter()
        .find(|row| row.key == unit)
        .and_then(|row| row.cells.get(col))
        .map(|c| c.int)
        .unwrap_or(-1)
}

both_stores! {
async fn group_petitions_are_counted_by_unit_and_against_a_letters_ceiling(backend: Backend) -> anyhow::Result<()> {
    let fed = Federation::start(backend, haifeng()).await?;
    // Five or more people: a group petition (集体访); four are not.
    let mut registered = Vec::new();
    for (unit, n) in [(COUNTY, 6), (TOWN_A, 5), (TOWN_A, 4), (TOWN_B, 12)] {
        let c = fed.client(unit).await?.register_case(group(unit, n)).await?.into_inner();
        registered.push(c.case_no);
    }
    for no in &registered {
        wait_for("the case at the city", PATIENCE, || async { fed.case_at(CITY, no).await }).await?;
    }
    let today = (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive().to_string();
    let req = |unit: &str| pb::ReportRequest {
        unit: unit.into(),
        from: today.clone(),
        to: today.clone(),
        ..Default::default()
    };
    let at_county = xinfang_proto::v1::reports_client::ReportsClient::new(fed.channel(COUNTY).await?)
        .group_petitions(req(COUNTY))
        .await?
        .into_inner();
    assert_eq!(at_county.headers, ["单位", "批次", "人次"]);
    assert_eq!((cell(&at_county, COUNTY, 1), cell(&at_county, COUNTY, 2)), (1, 6), "{at_county:?}");
    assert_eq!((cell(&at_county, TOWN_A, 1), cell(&at_county, TOWN_A, 2)), (1, 5));
    assert_eq!((cell(&at_county, TOWN_B, 1), cell(&at_county, TOWN_B, 2)), (1, 12));
    let totals = at_county.totals.as_ref().map(|t| (t.cells[1].int, t.cells[2].int));
    assert_eq!(totals, Some((3, 23)));
    let at_city = xinfang_proto::v1::reports_client::ReportsClient::new(fed.channel(CITY).await?)
        .group_petitions(req(CITY))
        .await?
        .into_inner();
    assert_eq!((cell(&at_city, COUNTY, 1), cell(&at_city, COUNTY, 2)), (3, 23), "{at_city:?}");

    // A letter allowing the county at most two group petitions: three, missed by one.
    let year = today[..4].parse::<i32>()?;
    let mut l = letter(COUNTY, vec![
        pb::LetterTarget { kind: "group".into(), ceiling: 2, ..Default::default() },
        pb::LetterTarget { kind: "late_filings".into(), ceiling: 0, ..Default::default() },
    ]);
    l.year = year;
    letters(&fed, CITY).await?.draft(l).await?;
    let a = letters(&fed, CITY)
        .await?
        .assess(pb::AssessRequest { year, ..Default::default() })
        .await?
        .into_inner();
    let t = &a.units[0].targets[0];
    assert_eq!(t.target.as_ref().map(|v| v.name.as_str()), Some("集体访"));
    assert_eq!((t.measured, t.verdict.as_str(), t.margin), (3.0, "missed", -1.0));
    // Filings: the months of the year so far the city's filing board shows the
    // county late or missing (the county filed none).
    let mut late = 0;
    let this_month: u32 = today[5..7].parse()?;
    let mut schedules = fed.schedules(CITY).await?;
    for m in 1..=this_month {
        let board = schedules
            .filings(pb::FilingsRequest { month: format!("{year}-{m:02}"), unit: COUNTY.into() })
            .await?
            .into_inner();
        late += board.rows.iter().filter(|r| r.unit == COUNTY && (r.status == "late" || r.status == "missing")).count();
    }
    assert!(late > 0, "the county filed nothing: some month is missing");
    let f = &a.units[0].targets[1];
    assert_eq!(f.target.as_ref().map(|v| v.name.as_str()), Some("接访安排逾期未备案月数"));
    assert_eq!((f.measured, f.verdict.as_str()), (late as f64, "missed"));
    // The county's own node has no board row of its own: not assessed there.
    let p = letters(&fed, COUNTY)
        .await?
        .progress(pb::LetterProgressRequest { issuer: CITY.into(), unit: String::new(), year })
        .await?
        .into_inner();
    assert_eq!(p.targets[1].verdict, "not_assessed");
    fed.shutdown().await;
    Ok(())
}
}
