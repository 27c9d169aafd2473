//! The reports benchmark's measurements: ingest through replication, disk per
//! case, idle memory, then each report timed over 50 runs.

use std::path::Path;
use std::time::{Duration, Instant};

use xinfang_hub::UnitCode;
use xinfang_node::layout::FederationDir;
use xinfang_proto::v1 as pb;
use xinfang_proto::v1::reports_client::ReportsClient;

use super::topology::CITY;
use crate::federation::Fed;
use crate::lang::Lang;
use crate::results::Row;
use crate::stats::{peak_rss_mib, percentile, vm_rss_mib};

pub async fn measure(
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
    let mut reports = ReportsClient::new(fed.channel(CITY).await?);
    let whole = |from: &str, to: &str, by: &str| pb::ReportRequest {
        unit: CITY.into(),
        from: from.into(),
        to: to.into(),
        by: by.into(),
        ..Default::default()
    };
    // Done when every document is held and projected (the summary counts all).
    // A report first projects what is held and not yet projected, so while the
    // city is still ingesting one may outlast the client's deadline: that is
    // "not yet" (the projection keeps what it did), not a failure.
    loop {
        let s = match fed.client(CITY).await?.status(pb::StatusRequest {}).await {
            Ok(s) => s.into_inner(),
            Err(e) if past_deadline(&e) => {
                eprintln!(
                    "{}",
                    lang.t("市级节点繁忙，稍后再问…", "The city is busy; asking again…")
                );
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        if s.documents as usize >= cases {
            match reports.summary(whole("2000-01-01", "2099-12-31", "")).await {
                Ok(r) => {
                    if r.into_inner()
                        .rows
                        .first()
                        .and_then(|row| row.cells.get(1))
                        .map(|c| c.int)
                        == Some(cases as i64)
                    {
                        break;
                    }
                }
                Err(e) if past_deadline(&e) => {
                    eprintln!(
                        "{}",
                        lang.t("市级节点仍在投影…", "The city is still projecting…")
                    );
                }
                Err(e) => return Err(e.into()),
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
        what: lang.t(
            "市级接收全部案件（8 条链路）",
            "city ingests every case (8 links)",
        ),
        value: cases as f64 / ingest,
        unit: "docs/s",
        detail: format!("{cases} cases in {ingest:.0} s, documents and query tables"),
        aim: "—",
    }];
    let data = dir_bytes(&layout.data(&city));
    rows.push(Row {
        key: "city_disk",
        what: lang.t("市级节点每件磁盘占用", "city disk per case"),
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
            what: lang.t("市级节点空闲常驻内存", "city idle resident memory"),
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
            lang.t("summary 一个月", "summary, one month"),
            whole(month.0, month.1, ""),
        ),
        (
            "report_breakdown_unit",
            lang.t(
                "breakdown --by unit 一个月",
                "breakdown --by unit, one month",
            ),
            whole(month.0, month.1, "unit"),
        ),
        (
            "report_breakdown_category",
            lang.t(
                "breakdown --by category 一个月",
                "breakdown --by category, one month",
            ),
            whole(month.0, month.1, "category"),
        ),
        (
            "report_breakdown_channel_year",
            lang.t(
                "breakdown --by channel 一年",
                "breakdown --by channel, one year",
            ),
            whole(year.0, year.1, "channel"),
        ),
        (
            "report_rates_month",
            lang.t("rates 一个月", "rates, one month"),
            whole(month.0, month.1, ""),
        ),
        (
            "report_rates_unit_month",
            lang.t("rates --by unit 一个月", "rates --by unit, one month"),
            whole(month.0, month.1, "unit"),
        ),
        (
            "report_rates_year",
            lang.t("rates 一年", "rates, one year"),
            whole(year.0, year.1, ""),
        ),
        (
            "report_trend_5y",
            lang.t("trend --by tier 五年", "trend --by tier, five years"),
            whole("2021-11-01", "2026-10-31", "tier"),
        ),
        (
            "report_overdue",
            lang.t("overdue（全市）", "overdue, whole city"),
            whole("", "", ""),
        ),
        (
            "report_county_summary",
            lang.t("summary 一个县一个月", "summary of one county, one month"),
            pb::ReportRequest {
                unit: running[1].to_string(),
                ..whole(month.0, month.1, "")
            },
        ),
        (
            "report_rates_town_year",
            lang.t(
                "rates 最忙乡镇一年",
                "rates of the busiest township, one year",
            ),
            pb::ReportRequest {
                unit: probes[0].to_string(),
                ..whole(year.0, year.1, "")
            },
        ),
        (
            "report_summary_community_year",
            lang.t(
                "summary 一个村（社区）一年",
                "summary of one community, one year",
            ),
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

/// The staff console's worklist and a case file at the city, as a browser asks
/// for them (`pages`): 50 times each.
pub async fn console_pages(
    fed: &Fed,
    port: u16,
    layout: &FederationDir,
    lang: Lang,
) -> anyhow::Result<Vec<Row>> {
    let city: UnitCode = CITY.parse()?;
    let token = fed
        .token(CITY)
        .ok_or_else(|| anyhow::anyhow!("the benchmark user is not signed in at the city"))?;
    let mut c = super::pages::Console::open(
        port,
        &xinfang_ca::unit_dns_name(&city),
        &layout.pki(),
        token,
    )
    .await?;
    let (_, work) = c.get("/work").await?;
    // A case the worklist lists, as a clerk would open it.
    let case_no = work
        .split("data-case=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("the city's worklist lists no case"))?;
    let pages: [(&'static str, &'static str, String, &str); 3] = [
        (
            "console_worklist",
            lang.t(
                "控制台 我的待办（第一页）",
                "console: my work (我的待办), first page",
            ),
            "/work".into(),
            "我的待办",
        ),
        (
            "console_worklist_page_20",
            lang.t("控制台 我的待办（第 20 页）", "console: my work, page 20"),
            "/work?page=20".into(),
            "我的待办",
        ),
        (
            "console_case_file",
            lang.t(
                "控制台 案件页（一事一档）",
                "console: a case file (一事一档)",
            ),
            format!("/case/{case_no}"),
            case_no.as_str(),
        ),
    ];
    let mut rows = Vec::new();
    for (key, what, path, must) in pages {
        let ms = c.time(&path, 50, must).await?;
        rows.push(Row {
            key,
            what,
            value: percentile(&ms, 0.5),
            unit: "ms",
            detail: super::pages::spread(&ms),
            aim: "< 100 ms",
        });
    }
    Ok(rows)
}

/// A reply that did not come within the client's deadline: the city is busy
/// ingesting, not failing; asked again.
fn past_deadline(e: &tonic::Status) -> bool {
    matches!(
        e.code(),
        tonic::Code::Cancelled | tonic::Code::DeadlineExceeded
    )
}
