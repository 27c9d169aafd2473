//! 备案: the filing board, read-only: for a month (next month unless picked),
//! each unit below this one on time, late, missing or pending with its
//! schedule, from `ScheduleService::filings` (the call the gRPC adapter makes,
//! authorized there); statuses named by `schedule::labels`. Each unit's name
//! opens the table it filed (`/schedules?unit=…`, read-only).

use axum::extract::{Extension, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use maud::html;
use serde::Deserialize;
use xinfang_proto::v1 as pb;

use super::Console;
use super::page::{self, Nav};
use super::reply::Refused;
use super::words as w;
use crate::labels::Lang;
use crate::schedule::labels;

#[derive(Deserialize, Default)]
pub struct Ask {
    #[serde(default)]
    month: String,
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
    let req = pb::FilingsRequest {
        month: ask.month.trim().to_owned(),
        unit: String::new(),
    };
    let board = match c.schedules().filings(&s.who, req).await {
        Ok(b) => b,
        Err(e) => return Refused::from(e).reply(lang, true),
    };
    let when = |t: &str| {
        if t.is_empty() {
            "—".to_owned()
        } else {
            page::local_time(t)
        }
    };
    let title = w::FILINGS.get(lang);
    let body = html! {
        h1 { (title) " · " (board.month) }
        form.filters method="get" action="/filings" {
            div {
                label for="month" { (w::MONTH.get(lang)) } br;
                input type="month" id="month" name="month" value=(board.month) required;
            }
            button type="submit" { (w::SHOW.get(lang)) }
        }
        p.hint { (w::DRILL_UNIT.get(lang)) }
        @if board.rows.is_empty() {
            p { (w::NONE.get(lang)) }
        } @else {
            table #filings {
                thead { tr {
                    th scope="col" { (w::UNIT.get(lang)) }
                    th scope="col" { (w::STATUS.get(lang)) }
                    th scope="col" { (w::FILING_DEADLINE.get(lang)) }
                    th scope="col" { (w::RECEIVED_AT.get(lang)) }
                    th scope="col" { (w::VIOLATIONS.get(lang)) }
                } }
                tbody {
                    @for r in &board.rows {
                        tr data-unit=(r.unit) data-status=(r.status)
                            class=[(r.status == "late" || r.status == "missing").then_some("overdue")] {
                            th scope="row" {
                                a href={"/schedules?unit=" (r.unit) "&month=" (board.month)} { (r.unit_name) }
                            }
                            td { (labels::filing_of_code(&r.status).map_or(r.status.as_str(), |l| l.get(lang))) }
                            td.nowrap { (r.deadline) }
                            td.nowrap { (when(&r.received_at)) }
                            td.num { (r.violations.len()) }
                        }
                    }
                }
            }
        }
    };
    page::shell(&c, &s, Nav::Filings, title, body).into_response()
}
