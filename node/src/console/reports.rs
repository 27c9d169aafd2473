//! 报表: the signed-in user's unit for a month (this month unless picked): the
//! summary against last month and last year, and the assessment rates, each
//! rate's numerator and denominator a link to the cases behind it. Every figure,
//! heading and label is the report service's answer (`ReportService::summary`,
//! `rates`, `cases`: the calls the gRPC reports adapter makes, authorized there);
//! the console only lays them out.

use axum::extract::{Extension, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;
use xinfang_proto::v1 as pb;

use super::Console;
use super::page::{self, Nav};
use super::reply::Refused;
use super::words as w;
use crate::labels::Lang;

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

/// Bars of this month's summary figures, drawn in the page (no script, nothing
/// fetched): one bar a row, its length against the largest.
fn bars(r: &pb::Report) -> Markup {
    let figures: Vec<(String, i64)> = r
        .rows
        .iter()
        .filter_map(|row| match (row.cells.first(), row.cells.get(1)) {
            (Some(l), Some(n)) if n.kind == "int" => Some((cell(l), n.int)),
            _ => None,
        })
        .collect();
    let top = figures.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    let height = 22 * figures.len() as i64;
    html! {
        svg.bars role="img" aria-label=(r.title) width="480" height=(height) viewBox=(format!("0 0 480 {height}")) {
            @for (i, (label, n)) in figures.iter().enumerate() {
                @let y = 22 * i as i64;
                text x="0" y=(y + 15) font-size="13" { (label) }
                rect x="110" y=(y + 3) height="15" width=(1 + 300 * n / top) fill="#2b5797" {}
                text x=(116 + 300 * n / top) y=(y + 15) font-size="13" { (n) }
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
    let req = pb::ReportRequest {
        rate: String::new(),
        part: String::new(),
        ..ask.request()
    };
    let reports = c.reports();
    let (summary, rates) = match (
        reports.summary(&s.who, req.clone()).await,
        reports.rates(&s.who, req).await,
    ) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return Refused::from(e).reply(lang, true),
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
        (table(&summary, "summary", |row| html! {
            tr data-key=(row.key) {
                @for (i, c) in row.cells.iter().enumerate() {
                    @if i == 0 { th scope="row" { (cell(c)) } } @else { td.num { (cell(c)) } }
                }
            }
        }))
        (bars(&summary))
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
