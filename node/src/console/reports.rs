//! 报表: the signed-in user's unit for a month (this month unless picked): the
//! summary against last month and last year, the assessment rates (each rate's
//! numerator and denominator a link to the cases behind it), the breakdowns by
//! unit below and by category, and the twelve months' trend, with charts drawn
//! in the page ([`charts`](super::charts)); each table downloads as the CLI
//! writes it (CSV, XLSX: `sheets`). Every figure, heading and label is
//! the report service's answer (`ReportService::summary`, `rates`,
//! `breakdown`, `trend`, `cases`: the calls the gRPC reports adapter makes,
//! authorized there); the console only lays them out.

use axum::extract::{Extension, Query, State};
use axum::http::HeaderMap;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;
use xinfang_proto::v1 as pb;

use super::Console;
use super::charts;
use super::page::{self, Nav};
use super::reply::Refused;
use super::words as w;
use crate::labels::Lang;
use crate::schedule::model::Month;
use crate::sheets::{self, ReportTable};

/// Cases listed behind a number (the service's own ceiling is higher).
const LIST: u32 = 1000;

#[derive(Deserialize, Default)]
pub struct Ask {
    /// YYYY-MM; empty: this month.
    #[serde(default)]
    month: String,
    #[serde(default)]
    rate: String,
    #[serde(default)]
    part: String,
    /// A download: which table (`summary`, `rates`, `unit`, `category`, `trend`).
    #[serde(default)]
    table: String,
    /// A download: `csv` or `xlsx`.
    #[serde(default)]
    format: String,
}

/// The tables of the page, by the name their downloads use.
const TABLES: [&str; 5] = ["summary", "rates", "unit", "category", "trend"];

impl Ask {
    /// The request for one of the page's tables.
    fn for_table(&self, table: &str) -> pb::ReportRequest {
        let mut req = pb::ReportRequest {
            rate: String::new(),
            part: String::new(),
            ..self.request()
        };
        match table {
            "unit" | "category" => req.by = table.to_owned(),
            // The twelve months up to the month picked (the service's own
            // default, the last twelve, when none is).
            "trend" => {
                if let Ok(m) = req.month.parse::<Month>() {
                    let mut first = m;
                    for _ in 0..11 {
                        first = first.prev();
                    }
                    req.month.clear();
                    req.from = first.first_day().to_string();
                    req.to = m.last_day().to_string();
                }
            }
            _ => {}
        }
        req
    }
}

/// One table of the page, asked of the report service.
async fn report(
    c: &Console,
    s: &super::session::Session,
    ask: &Ask,
    table: &str,
) -> Result<pb::Report, crate::error::NodeError> {
    let r = c.reports();
    let req = ask.for_table(table);
    match table {
        "summary" => r.summary(&s.who, req).await,
        "rates" => r.rates(&s.who, req).await,
        "unit" | "category" => r.breakdown(&s.who, req).await,
        "trend" => r.trend(&s.who, req).await,
        other => Err(crate::error::NodeError::invalid(
            "table",
            crate::labels::Said::new(
                format!("“{other}”不是可下载的表；可选：{}", TABLES.join("、")),
                format!("{other:?} is not one of {}", TABLES.join(", ")),
            ),
        )),
    }
}

/// The links that download `table` as the CLI writes it.
fn downloads(lang: Lang, month: &str, table: &str) -> Markup {
    html! {
        p.downloads data-table=(table) {
            (w::DOWNLOAD.get(lang)) "："
            a href=(format!("/reports/download?month={month}&table={table}&format=xlsx")) download { "XLSX" }
            " · "
            a href=(format!("/reports/download?month={month}&table={table}&format=csv")) download { "CSV" }
        }
    }
}

/// One table of the page as a file: CSV (with BOM) or XLSX, the CLI's writer.
pub async fn download(
    State(c): State<Console>,
    Extension(lang): Extension<Lang>,
    headers: HeaderMap,
    Query(ask): Query<Ask>,
) -> Response {
    let s = match c.session(&headers, lang).await {
        Ok(s) => s,
        Err(r) => return r.reply(lang, true),
    };
    let r = match report(&c, &s, &ask, ask.table.trim()).await {
        Ok(r) => r,
        Err(e) => return Refused::from(e).reply(lang, true),
    };
    let t = ReportTable::of(&r);
    let (bytes, mime, ext) = match ask.format.trim() {
        "csv" => (sheets::to_csv(&t), "text/csv; charset=utf-8", "csv"),
        "xlsx" => match sheets::to_xlsx(std::slice::from_ref(&t)) {
            Ok(b) => (
                b,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "xlsx",
            ),
            Err(e) => return Refused::Internal(e.to_string()).reply(lang, true),
        },
        other => {
            return Refused::BadRequest(format!("format {other:?} is not one of csv, xlsx"))
                .reply(lang, true);
        }
    };
    let name = format!("report-{}-{}.{ext}", ask.table.trim(), month_of(&r));
    (
        [
            (CONTENT_TYPE, mime.to_owned()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

impl Ask {
    fn request(&self) -> pb::ReportRequest {
        pb::ReportRequest {
            month: self.month.trim().to_owned(),
            rate: self.rate.trim().to_owned(),
            part: self.part.trim().to_owned(),
            limit: LIST,
            ..Default::default()
        }
    }
}

/// A cell as read: counts as they are, rates as percentages, nothing as a dash.
fn cell(c: &pb::Cell) -> String {
    match c.kind.as_str() {
        "int" => c.int.to_string(),
        "rate" => format!("{:.1}%", c.rate * 100.0),
        "text" => c.text.clone(),
        _ => "—".to_owned(),
    }
}

/// The month a report covers (YYYY-MM of its first day), for the picker and links.
fn month_of(r: &pb::Report) -> &str {
    r.from.get(..7).unwrap_or_default()
}

fn drill(month: &str, rate: &str, part: &str) -> String {
    format!("/reports/cases?month={month}&rate={rate}&part={part}")
}

fn table(r: &pb::Report, id: &str, body: impl Fn(&pb::ReportRow) -> Markup) -> Markup {
    html! {
        section aria-labelledby=(format!("{id}-title")) {
            h2 id=(format!("{id}-title")) { (r.title) }
            table id=(id) {
                thead { tr { @for h in &r.headers { th scope="col" { (h) } } } }
                tbody { @for row in &r.rows { (body(row)) } }
            }
            @for n in &r.notes { p.hint { (n) } }
        }
    }
}

/// A row of counts: the first cell its heading.
fn plain_row(row: &pb::ReportRow) -> Markup {
    html! {
        tr data-key=(row.key) {
            @for (i, c) in row.cells.iter().enumerate() {
                @if i == 0 { th scope="row" { (cell(c)) } } @else { td.num { (cell(c)) } }
            }
        }
    }
}

pub async fn page(
    State(c): State<Console>,
    Extension(lang): Extension<Lang>,
    headers: HeaderMap,
    Query(ask): Query<Ask>,
) -> Response {
    let s = match c.session(&headers, lang).await {
        Ok(s) => s,
        Err(r) => return r.reply(lang, true),
    };
    let mut got = Vec::new();
    for t in TABLES {
        match report(&c, &s, &ask, t).await {
            Ok(r) => got.push(r),
            Err(e) => return Refused::from(e).reply(lang, true),
        }
    }
    let [summary, rates, by_unit, by_category, trend] = match <[pb::Report; 5]>::try_from(got) {
        Ok(all) => all,
        Err(_) => return Refused::Internal("a report is missing".into()).reply(lang, true),
    };
    let month = month_of(&summary).to_owned();
    let title = w::REPORTS.get(lang);
    let body = html! {
        h1 { (title) " · " (summary.unit_name) }
        form.filters method="get" action="/reports" {
            div {
                label for="month" { (w::MONTH.get(lang)) } br;
                input type="month" id="month" name="month" value=(month) required;
            }
            button type="submit" { (w::SHOW.get(lang)) }
        }
        (table(&summary, "summary", plain_row))
        (charts::bars(&summary, "summary-chart"))
        (downloads(lang, &month, "summary"))
        (table(&rates, "rates", |row| html! {
            tr data-rate=(row.key) {
                @for (i, c) in row.cells.iter().enumerate() {
                    @match i {
                        0 => th scope="row" { (cell(c)) },
                        1 => td.num { a.numerator href=(drill(&month, &row.key, "numerator")) { (cell(c)) } },
                        2 => td.num { a.denominator href=(drill(&month, &row.key, "denominator")) { (cell(c)) } },
                        _ => td.num { (cell(c)) },
                    }
                }
            }
        }))
        p.hint { (w::RATE_DRILL.get(lang)) }
        (downloads(lang, &month, "rates"))
        @for (id, r) in [("unit", &by_unit), ("category", &by_category)] {
            (table(r, &format!("by-{id}"), plain_row))
            (charts::bars(r, &format!("by-{id}-chart")))
            (downloads(lang, &month, id))
        }
        (table(&trend, "trend", plain_row))
        (charts::months(&trend, "trend-chart"))
        (downloads(lang, &month, "trend"))
    };
    page::shell(&c, &s, Nav::Reports, title, body).into_response()
}

/// The cases behind one rate's numerator or denominator, each a link to its file.
pub async fn cases(
    State(c): State<Console>,
    Extension(lang): Extension<Lang>,
    headers: HeaderMap,
    Query(ask): Query<Ask>,
) -> Response {
    let s = match c.session(&headers, lang).await {
        Ok(s) => s,
        Err(r) => return r.reply(lang, true),
    };
    let reports = c.reports();
    let plain = pb::ReportRequest {
        rate: String::new(),
        part: String::new(),
        ..ask.request()
    };
    let (keys, rates) = match (
        reports.cases(&s.who, ask.request()).await,
        reports.rates(&s.who, plain).await,
    ) {
        (Ok(k), Ok(r)) => (k, r),
        (Err(e), _) | (_, Err(e)) => return Refused::from(e).reply(lang, true),
    };
    // The rate's name and the part's heading, as the rates report gives them.
    let row = rates.rows.iter().find(|r| r.key == ask.rate.trim());
    let name = row
        .and_then(|r| r.cells.first())
        .map(cell)
        .unwrap_or_else(|| ask.rate.clone());
    let part = rates
        .headers
        .get(if ask.part.trim() == "denominator" {
            2
        } else {
            1
        })
        .cloned()
        .unwrap_or_default();
    let month = month_of(&rates).to_owned();
    let title = w::CASES_BEHIND.get(lang);
    let body = html! {
        h1 { (title) }
        p #behind { (rates.unit_name) " · " (month) " · " (name) " · " (part) " · "
            (w::TOTAL.get(lang)) " " span #total { (keys.total) } }
        @if keys.case_nos.is_empty() {
            p { (w::NONE.get(lang)) }
        } @else {
            ol #cases {
                @for no in &keys.case_nos {
                    li { a href=(format!("/case/{no}")) data-case=(no) { (no) } }
                }
            }
        }
        p { a href=(format!("/reports?month={month}")) { (w::BACK_TO_REPORTS.get(lang)) } }
    };
    page::shell(&c, &s, Nav::Reports, title, body).into_response()
}
