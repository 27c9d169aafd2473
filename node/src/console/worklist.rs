//! 我的待办: what the unit has to do, soonest deadline first, overdue on top and
//! due-soon highlighted; what was forwarded or assigned to us and not yet taken
//! up; search by case number or petitioner, filter by status; paged.

use axum::extract::{Extension, Query, State};
use axum::http::HeaderMap;
use axum::http::header::LOCATION;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;
use xinfang_proto::v1 as pb;

use super::Console;
use super::page::{self, Nav};
use super::session::Session;
use super::words as w;
use crate::case::labels::{self, STATUSES};
use crate::case::service::{DUE_SOON_WORKING_DAYS, ListQuery};
use crate::labels::Lang;

/// Rows on one page.
const PAGE_SIZE: u32 = 50;

pub async fn home() -> Response {
    (axum::http::StatusCode::SEE_OTHER, [(LOCATION, "/work")]).into_response()
}

#[derive(Deserialize, Default)]
pub struct Filter {
    #[serde(default)]
    q: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    category: String,
    /// A unit below us: only the cases of its subtree.
    #[serde(default)]
    unit: String,
    #[serde(default)]
    page: u32,
}

pub async fn page(
    State(c): State<Console>,
    Extension(lang): Extension<Lang>,
    headers: HeaderMap,
    Query(f): Query<Filter>,
) -> Response {
    match build(&c, &headers, lang, &f).await {
        Ok(m) => m.into_response(),
        Err(r) => r.reply(lang, true),
    }
}

async fn build(
    c: &Console,
    headers: &HeaderMap,
    lang: Lang,
    f: &Filter,
) -> Result<Markup, super::reply::Refused> {
    let s = c.session(headers, lang).await?;
    let cases = c.cases();
    let awaiting = cases
        .list(
            &s.who,
            &ListQuery {
                limit: PAGE_SIZE,
                routed_to_us: true,
                by_deadline: true,
                ..ListQuery::default()
            },
            lang,
        )
        .await?;
    let supervised = cases
        .list(
            &s.who,
            &ListQuery {
                limit: PAGE_SIZE,
                supervised_here: true,
                ..ListQuery::default()
            },
            lang,
        )
        .await?;
    let page_no = f.page.max(1);
    let mut open = cases
        .list(
            &s.who,
            &ListQuery {
                limit: PAGE_SIZE + 1,
                offset: (page_no - 1).saturating_mul(PAGE_SIZE),
                open_only: true,
                by_deadline: true,
                search: f.q.clone(),
                status: f.status.clone(),
                category: f.category.clone(),
                subtree: f.unit.clone(),
                ..ListQuery::default()
            },
            lang,
        )
        .await?;
    let more = open.len() > PAGE_SIZE as usize;
    open.truncate(PAGE_SIZE as usize);
    let field = |name: &str| {
        labels::registration_field(name)
            .map(|l| l.get(lang))
            .unwrap_or_default()
    };
    // The units below us, in tree order, to narrow the list to one's subtree.
    let (me, topology) = cases.hub_topology();
    let below: Vec<(String, String)> = topology
        .tree_order(me)
        .into_iter()
        .filter(|u| u != me)
        .filter_map(|u| topology.unit(&u).map(|x| (u.to_string(), x.name.clone())))
        .collect();
    let suggested = super::suggestions::section(c, &s).await?;
    let filings = super::filings_due::section(c, &s).await?;
    let title = w::MY_WORK.get(lang);
    let body = html! {
        h1 { (title) }
        (suggested)
        section aria-labelledby="awaiting" {
            h2 id="awaiting" { (w::AWAITING_US.get(lang)) " (" (awaiting.len()) ")" }
            (table(c, &s, &awaiting, "awaiting-cases"))
        }
        @if !supervised.is_empty() {
            section aria-labelledby="supervised" {
                h2 id="supervised" { (w::SUPERVISED.get(lang)) " (" (supervised.len()) ")" }
                (supervision_table(c, &s, &supervised))
            }
        }
        (filings)
        section aria-labelledby="open" {
            h2 id="open" { (w::OPEN_CASES.get(lang)) }
            form.filters method="get" action="/work" role="search" {
                div {
                    label for="q" { (w::SEARCH.get(lang)) } br;
                    input type="text" id="q" name="q" value=(f.q);
                }
                div {
                    label for="status" { (w::STATUS.get(lang)) } br;
                    select id="status" name="status" {
                        option value="" { (w::ANY.get(lang)) }
                        @for st in STATUSES.into_iter().filter(|s| s.is_open()) {
                            option value=(st.code()) selected[f.status == st.code()] { (labels::status(st).get(lang)) }
                        }
                    }
                }
                div {
                    label for="category" { (field("category")) } br;
                    select id="category" name="category" {
                        option value="" { (w::ANY.get(lang)) }
                        @for e in &cases.taxonomy().category {
                            option value=(e.code) selected[f.category == e.code] { (e.name) }
                        }
                    }
                }
                @if !below.is_empty() {
                    div {
                        label for="unit" { (w::UNIT_BELOW.get(lang)) } br;
                        select id="unit" name="unit" {
                            option value="" { (w::ANY.get(lang)) }
                            @for (code, name) in &below {
                                option value=(code) selected[&f.unit == code] { (name) }
                            }
                        }
                    }
                }
                button type="submit" { (w::FILTER.get(lang)) }
            }
            (table(c, &s, &open, "open-cases"))
            nav.pager aria-label=(w::PAGES.get(lang)) {
                @if page_no > 1 {
                    a rel="prev" href=(link(f, page_no - 1)) { (w::PREVIOUS.get(lang)) }
                }
                span { (w::PAGE.get(lang).replace("{}", &page_no.to_string())) }
                @if more {
                    a rel="next" href=(link(f, page_no + 1)) { (w::NEXT.get(lang)) }
                }
            }
        }
    };
    Ok(page::shell(c, &s, Nav::Work, title, body))
}

fn link(f: &Filter, page: u32) -> String {
    let enc = |v: &str| -> String {
        v.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                    char::from(b).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    };
    format!(
        "/work?q={}&status={}&category={}&unit={}&page={page}",
        enc(&f.q),
        enc(&f.status),
        enc(&f.category),
        enc(&f.unit)
    )
}

/// How near a row's deadline is: `overdue`, `soon` or nothing, and the working
/// days left.
fn urgency(c: &Console, d: Option<&pb::Deadline>) -> (Option<&'static str>, Option<i64>) {
    let Some(due) = d.and_then(|d| chrono::NaiveDate::parse_from_str(&d.due, "%Y-%m-%d").ok())
    else {
        return (None, None);
    };
    let left = c.cases().working_days_left(due);
    let class = if due < c.cases().today() {
        Some("overdue")
    } else if left <= DUE_SOON_WORKING_DAYS {
        Some("soon")
    } else {
        None
    };
    (class, Some(left))
}

/// Cases under a superior's supervision demand: who demanded it and by when.
fn supervision_table(c: &Console, s: &Session, rows: &[pb::CaseView]) -> Markup {
    let lang = s.lang;
    html! {
        table id="supervised-cases" {
            thead { tr {
                th scope="col" { (w::CASE_NO.get(lang)) }
                th scope="col" { (labels::registration_field("petitioner").map(|l| l.get(lang)).unwrap_or_default()) }
                th scope="col" { (w::STATUS.get(lang)) }
                th scope="col" { (w::SUPERVISED_BY.get(lang)) }
                th scope="col" { (w::SUPERVISION_DUE.get(lang)) }
                th scope="col" { (w::DAYS_LEFT.get(lang)) }
            } }
            tbody {
                @for r in rows {
                    @let (class, left) = urgency(c, r.supervision.as_ref());
                    tr class=[class] data-case=(r.case_no) {
                        td { a href=(format!("/case/{}", r.case_no)) { (r.case_no) } }
                        td { (r.petitioner) }
                        td { (r.status_label) }
                        td { @if let Some(d) = &r.supervision { (d.unit_name) } }
                        td { @if let Some(d) = &r.supervision { (d.due) } }
                        td.days {
                            @if let Some(n) = left {
                                (n)
                                @if class == Some("overdue") { " · " (w::OVERDUE.get(lang)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn table(c: &Console, s: &Session, rows: &[pb::CaseView], id: &str) -> Markup {
    let lang = s.lang;
    if rows.is_empty() {
        return html! { p.hint id=(id) { (w::NONE.get(lang)) } };
    }
    html! {
        table id=(id) {
            thead { tr {
                th scope="col" { (w::CASE_NO.get(lang)) }
                th scope="col" { (labels::registration_field("petitioner").map(|l| l.get(lang)).unwrap_or_default()) }
                th scope="col" { (w::STATUS.get(lang)) }
                th scope="col" { (w::HANDLING_UNIT.get(lang)) }
                th scope="col" { (w::REGISTERED_AT.get(lang)) }
                th scope="col" { (w::NEXT_DEADLINE.get(lang)) }
                th scope="col" { (w::DAYS_LEFT.get(lang)) }
            } }
            tbody {
                @for r in rows {
                    @let (class, left) = urgency(c, r.next_deadline.as_ref());
                    tr class=[class] data-case=(r.case_no) {
                        td { a href=(format!("/case/{}", r.case_no)) { (r.case_no) } }
                        td { (r.petitioner) }
                        td { (r.status_label) }
                        td { (r.handling_unit_name) }
                        td { (r.unit_name) }
                        td { @if let Some(d) = &r.next_deadline { (d.due) } }
                        td.days {
                            @if let Some(n) = left {
                                (n)
                                @match class {
                                    Some("overdue") => { " · " (w::OVERDUE.get(lang)) }
                                    Some("soon") => { " · " (w::DUE_SOON.get(lang)) }
                                    _ => {}
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
