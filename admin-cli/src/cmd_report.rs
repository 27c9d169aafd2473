//! `xinfang report …`: what superiors look at, as tables for people, JSON for
//! scripts, and CSV/XLSX/PNG files a bureau can hand in as they are.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use xinfang_proto::v1 as pb;
use xinfang_proto::v1::reports_client::ReportsClient;

use crate::conn::{ConnArgs, status_error};
use crate::output::{Lang, print_json, table};
use crate::report_render::chart;
use xinfang_node::sheets::{self as rtable, Cell, ReportTable};

#[derive(Debug, Subcommand)]
pub enum ReportCmd {
    /// This period against the one before and the same period last year
    Summary(ReportArgs),
    /// Counts by unit (the units directly below), channel, purpose, category, status or month
    Breakdown(ReportArgs),
    /// Open cases past their next deadline, as of now
    Overdue(ReportArgs),
    /// The assessment rates (definitions: docs/reports.md)
    Rates(ReportArgs),
    /// Monthly counts by tier, unit, category or channel (default: the last 12 months)
    Trend(ReportArgs),
    /// Leaders' receptions from the filed schedules
    Leaders(ReportArgs),
    /// Schedule filing compliance of the units below
    Filings(ReportArgs),
    /// Visits to higher authorities (赴省进京上访) by unit below
    HigherVisits(ReportArgs),
    /// Circulated notices (通报表扬 / 通报批评) by unit below
    Bulletins(ReportArgs),
    /// The cases leaders own (包案), for publication (no personal data)
    OwnedCases(ReportArgs),
    /// Group petitions (集体访, five or more people) by unit below
    GroupPetitions(ReportArgs),
    /// The cases behind a number: --by DIM --value V, or --rate CODE --part numerator|denominator
    Cases(ReportArgs),
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    conn: ConnArgs,
    /// Ask this unit's node (with --topology); --unit is then the unit reported on
    #[arg(long)]
    at: Option<String>,
    /// Month, YYYY-MM (default: this month)
    #[arg(long, default_value = "")]
    month: String,
    /// First day, YYYY-MM-DD (with --to)
    #[arg(long, default_value = "")]
    from: String,
    /// Last day, YYYY-MM-DD (with --from)
    #[arg(long, default_value = "")]
    to: String,
    /// Dimension: unit, channel, purpose, category, status, month (trend: tier, unit, category, channel)
    #[arg(long, default_value = "")]
    by: String,
    /// Rates charged to "office" (petition offices) or "responsible" (responsible units)
    #[arg(long, default_value = "")]
    charged: String,
    /// Drill-down: the dimension value
    #[arg(long, default_value = "")]
    value: String,
    /// Drill-down: the rate code (timely_acceptance, on_time_reply, …)
    #[arg(long, default_value = "")]
    rate: String,
    /// Drill-down into a rate: numerator or denominator
    #[arg(long, default_value = "")]
    part: String,
    /// Most cases listed
    #[arg(long, default_value_t = 0)]
    limit: u32,
    /// Also write the table as XLSX
    #[arg(long)]
    xlsx: Option<PathBuf>,
    /// Also write the table as CSV (UTF-8 with BOM, opens in Excel)
    #[arg(long)]
    csv: Option<PathBuf>,
    /// Also draw a chart (trend: lines; breakdown: bars)
    #[arg(long)]
    png: Option<PathBuf>,
}

pub(crate) async fn client(conn: &ConnArgs) -> anyhow::Result<ReportsClient<crate::conn::Api>> {
    Ok(ReportsClient::new(conn.channel().await?).max_decoding_message_size(64 << 20))
}

fn chart_png(kind: &str, r: &pb::Report) -> anyhow::Result<Vec<u8>> {
    let font = chart::find_cjk_font()?;
    let value = |c: &pb::Cell| match c.kind.as_str() {
        "int" => c.int as f64,
        "rate" => c.rate * 100.0,
        _ => 0.0,
    };
    let png = match kind {
        "trend" => {
            // Columns between 月份 and 合计 are the series.
            let n = r.headers.len().saturating_sub(2);
            let series: Vec<chart::Series> = (0..n)
                .map(|i| chart::Series {
                    name: r.headers[i + 1].clone(),
                    points: r
                        .rows
                        .iter()
                        .map(|row| {
                            (
                                row.key.clone(),
                                row.cells.get(i + 1).map(value).unwrap_or(0.0),
                            )
                        })
                        .collect(),
                })
                .collect();
            chart::line_chart(&r.title, "件数", &series, &font)?
        }
        "breakdown" => {
            let bars: Vec<(String, f64)> = r
                .rows
                .iter()
                .map(|row| {
                    (
                        row.cells
                            .first()
                            .map(|c| c.text.clone())
                            .unwrap_or_default(),
                        row.cells.get(1).map(value).unwrap_or(0.0),
                    )
                })
                .collect();
            chart::bar_chart(&r.title, "件数", &bars, &font)?
        }
        other => anyhow::bail!("--png draws trend and breakdown reports, not {other}"),
    };
    Ok(png)
}

pub async fn run(cmd: ReportCmd, json: bool, lang: Lang) -> anyhow::Result<()> {
    let (kind, a) = match cmd {
        ReportCmd::Summary(a) => ("summary", a),
        ReportCmd::Breakdown(a) => ("breakdown", a),
        ReportCmd::Overdue(a) => ("overdue", a),
        ReportCmd::Rates(a) => ("rates", a),
        ReportCmd::Trend(a) => ("trend", a),
        ReportCmd::Leaders(a) => ("leaders", a),
        ReportCmd::Filings(a) => ("filings", a),
        ReportCmd::HigherVisits(a) => ("higher_visits", a),
        ReportCmd::Bulletins(a) => ("bulletins", a),
        ReportCmd::OwnedCases(a) => ("owned_cases", a),
        ReportCmd::GroupPetitions(a) => ("group_petitions", a),
        ReportCmd::Cases(a) => ("cases", a),
    };
    let mut conn = a.conn.clone();
    let unit = a.conn.unit.clone().unwrap_or_default();
    if let Some(at) = &a.at {
        conn.unit = Some(at.clone());
    }
    let req = pb::ReportRequest {
        unit,
        from: a.from.clone(),
        to: a.to.clone(),
        month: a.month.clone(),
        by: a.by.clone(),
        charged: a.charged.clone(),
        value: a.value.clone(),
        rate: a.rate.clone(),
        part: a.part.clone(),
        limit: a.limit,
    };
    let mut c = client(&conn).await?;
    if kind == "cases" {
        let keys = c.cases(req).await.map_err(status_error)?.into_inner();
        if json {
            return print_json(&keys);
        }
        println!("{}：{}", lang.t("件数", "cases"), keys.total);
        for k in &keys.case_nos {
            println!("{k}");
        }
        return Ok(());
    }
    let r = match kind {
        "summary" => c.summary(req).await,
        "breakdown" => c.breakdown(req).await,
        "overdue" => c.overdue(req).await,
        "rates" => c.rates(req).await,
        "trend" => c.trend(req).await,
        "leaders" => c.leaders(req).await,
        "higher_visits" => c.higher_visits(req).await,
        "bulletins" => c.bulletins(req).await,
        "owned_cases" => c.owned_cases(req).await,
        "group_petitions" => c.group_petitions(req).await,
        _ => c.filings(req).await,
    }
    .map_err(status_error)?
    .into_inner();
    let t = ReportTable::of(&r);
    if let Some(path) = &a.xlsx {
        let bytes = rtable::to_xlsx(std::slice::from_ref(&t))?;
        std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
    }
    if let Some(path) = &a.csv {
        std::fs::write(path, rtable::to_csv(&t))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    if let Some(path) = &a.png {
        std::fs::write(path, chart_png(kind, &r)?)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    if json {
        return print_json(&r);
    }
    println!("{}", r.title);
    let mut out = table(r.headers.iter().map(String::as_str).collect());
    for row in r.rows.iter().chain(r.totals.iter()) {
        out.add_row(
            row.cells
                .iter()
                .map(|c| Cell::of(c).display())
                .collect::<Vec<_>>(),
        );
    }
    println!("{out}");
    for n in &r.notes {
        println!("{n}");
    }
    Ok(())
}
