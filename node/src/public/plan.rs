//! 领导接访安排公示: the quarter's reception plan as published (seed 002: 挂网
//! 公示 of each leader's reception time, place, form and the matters booked),
//! from the schedule service's published months. Nothing of any petitioner:
//! a booked matter is a count.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Datelike;
use maud::html;

use super::page::shell;
use super::words as w;
use crate::labels::Lang;
use crate::schedule::ruleset::weekday_name;
use crate::schedule::service::plan::PublishedPlan;

fn quarter_label(lang: Lang, q: crate::schedule::model::Quarter) -> String {
    match lang {
        Lang::Zh => q.label_zh(),
        Lang::En => q.label_en(),
    }
}

fn link(lang: Lang, q: crate::schedule::model::Quarter) -> String {
    match lang {
        Lang::Zh => format!("/plan?quarter={q}"),
        Lang::En => format!("/plan?quarter={q}&lang=en"),
    }
}

pub fn plan(lang: Lang, p: &PublishedPlan) -> Response {
    let heading = format!(
        "{}{}",
        p.unit_name,
        w::PLAN_TITLE
            .get(lang)
            .replace("{}", &quarter_label(lang, p.quarter))
    );
    let body = html! {
        section {
            h1 { (heading) }
            nav.quarters {
                a href=(link(lang, p.quarter.prev())) { "← " (quarter_label(lang, p.quarter.prev())) }
                " "
                a href=(link(lang, p.quarter.next())) { (quarter_label(lang, p.quarter.next())) " →" }
            }
            @if p.receptions.is_empty() {
                p #plan-none { (w::PLAN_NONE.get(lang)) }
            } @else {
                table #plan {
                    thead { tr {
                        th { (w::PLAN_DATE.get(lang)) }
                        th { (w::PLAN_TIME.get(lang)) }
                        th { (w::PLAN_LEADER.get(lang)) }
                        th { (w::PLAN_PORTFOLIO.get(lang)) }
                        th { (w::PLAN_PLACE.get(lang)) }
                        th { (w::PLAN_FORM.get(lang)) }
                        th { (w::PLAN_BOOKED.get(lang)) }
                    } }
                    tbody {
                        @for r in &p.receptions {
                            tr {
                                td { (r.date.to_string()) " " (match lang { Lang::Zh => weekday_name(r.date.weekday()).1, Lang::En => weekday_name(r.date.weekday()).0 }) }
                                td { (r.time.clone().unwrap_or_default()) }
                                td { (r.position) " " (r.leader) }
                                td { (r.portfolio) }
                                td { (r.place) }
                                td { (r.form) @if let Some(t) = &r.topic { "（" (t) "）" } }
                                td.booked { (r.booked) }
                            }
                        }
                    }
                }
            }
            p { a href={ "/" (super::page::suffix(lang)) } { (w::TITLE.get(lang)) } }
        }
    };
    (StatusCode::OK, shell(lang, body)).into_response()
}
