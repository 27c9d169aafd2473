//! 接访安排: a unit's reception schedule for a month (next month unless picked).
//! Its own unit's month while it can still be edited is a grid (date × leader,
//! place, form) whose violations of the unit's quota rules are shown as it is
//! typed ([`grid`]); an import of the office's CSV/XLSX table ([`import`]); the
//! workflow's steps the signed-in roles may take (review, approval with the
//! override reason, publication, adjustments, attendance: [`steps`]). A unit
//! below, reached from the filing board, is shown read-only as it filed it.
//!
//! Every check, rule and permission is `ScheduleService`'s: the console draws
//! what it answers and offers only what the roles table allows.

pub mod grid;
pub mod import;
pub mod steps;

use axum::extract::{Extension, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;
use xinfang_proto::v1 as pb;

use super::Console;
use super::page::{self, Nav};
use super::reply::Refused;
use super::session::Session;
use super::words as w;
use crate::auth::{Action, any_allowed};
use crate::error::NodeError;
use crate::labels::{Label, Lang};
use crate::schedule::labels;
use crate::schedule::service::Trial;

#[derive(Deserialize, Default)]
pub struct Ask {
    #[serde(default)]
    month: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    done: String,
}

/// A refusal to show beside the field it names (the service's field name), or
/// above the form when it names none.
#[derive(Debug, Clone)]
pub struct Problem {
    pub field: Option<String>,
    pub message: String,
}

impl Problem {
    /// The service's refusal as a person reads it: a rule by its label and
    /// code, bad input by its rule; `None` when it is no refusal of the input
    /// (permission, storage…), which the refusal page tells instead.
    pub fn of(
        e: &NodeError,
        lang: Lang,
        field_of_rule: fn(&str) -> Option<&'static str>,
    ) -> Option<Problem> {
        match e {
            NodeError::Invalid { field, rule } => Some(Problem {
                field: Some((*field).to_owned()),
                message: rule.get(lang).to_owned(),
            }),
            NodeError::Rule { rule, message } => Some(Problem {
                field: field_of_rule(rule).map(str::to_owned),
                message: match labels::rule_of_code(rule) {
                    Some(l) => format!("{}（{rule}）", l.get(lang)),
                    None => message.clone(),
                },
            }),
            _ => None,
        }
    }
}

/// What a page shows besides the month as the service answers it.
#[derive(Default)]
pub struct Shown {
    /// The grid as typed (after a check or a refused save), else as saved.
    pub grid: Option<grid::Typed>,
    /// The rules' answer on the typed grid, with the date of each entry tried.
    pub trial: Option<(Trial, Vec<String>)>,
    /// A step's form refused: which, what was typed, why.
    pub step: Option<(String, steps::Typed, Problem)>,
    pub import: Option<Problem>,
    pub done: Option<Label>,
}

/// The month asked for, or the service's next month.
fn month_or_next(c: &Console, month: &str) -> String {
    let m = month.trim();
    if m.is_empty() {
        c.schedules().next_month().to_string()
    } else {
        m.to_owned()
    }
}

/// The month of `unit` (empty: this node's own) as the service answers it; its
/// own month that has nothing yet is `None` (the grid starts empty).
pub async fn load(
    c: &Console,
    s: &Session,
    unit: &str,
    month: &str,
) -> Result<Option<pb::ScheduleView>, NodeError> {
    let req = pb::MonthRequest {
        unit: unit.to_owned(),
        month: month.to_owned(),
    };
    let own = unit.is_empty() || unit == c.schedules().own_code().as_str();
    match c.schedules().get(&s.who, req).await {
        Ok(v) => Ok(Some(v)),
        Err(NodeError::NotFound(_)) if own => Ok(None),
        Err(e) => Err(e),
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
    let month = month_or_next(&c, &ask.month);
    let unit = ask.unit.trim();
    let view = match load(&c, &s, unit, &month).await {
        Ok(v) => v,
        Err(e) => return Refused::from(e).reply(lang, true),
    };
    let shown = Shown {
        done: done_label(&ask.done),
        ..Default::default()
    };
    match render(&c, &s, unit, &month, view.as_ref(), shown).await {
        Ok(m) => m.into_response(),
        Err(e) => Refused::from(e).reply(lang, true),
    }
}

fn done_label(done: &str) -> Option<Label> {
    Some(match done {
        "saved" => w::DRAFT_SAVED,
        "imported" => w::IMPORTED,
        "" => return None,
        _ => w::STEP_DONE,
    })
}

/// Whether the month can still be edited: nothing yet, a draft, a reviewed draft.
fn editable(view: Option<&pb::ScheduleView>) -> bool {
    view.is_none_or(|v| matches!(v.state.as_str(), "draft" | "reviewed"))
}

/// The page: the month's facts, the grid or the filed table, the rules' answer,
/// the steps offered.
pub async fn render(
    c: &Console,
    s: &Session,
    unit: &str,
    month: &str,
    view: Option<&pb::ScheduleView>,
    shown: Shown,
) -> Result<Markup, NodeError> {
    let lang = s.lang;
    let me = c.schedules().own_code().to_string();
    let own = unit.is_empty() || unit == me;
    let may = |a: Action| any_allowed(&s.who.roles, a);
    let grid_here = own && editable(view) && may(Action::EditSchedule);
    let unit_name = view.map(|v| v.unit_name.clone()).unwrap_or_default();
    let state = view.map_or("none", |v| v.state.as_str());
    let title = w::SCHEDULES.get(lang);
    let roster = if grid_here || (own && view.is_some()) {
        c.schedules().get_roster(&s.who, &me).await?.leaders
    } else {
        Vec::new()
    };
    let body = html! {
        h1 { (title) " · " (unit_name) " · " (month) }
        form.filters method="get" action="/schedules" {
            @if !own { input type="hidden" name="unit" value=(unit); }
            div {
                label for="month" { (w::MONTH.get(lang)) } br;
                input type="month" id="month" name="month" value=(month) required;
            }
            button type="submit" { (w::SHOW.get(lang)) }
        }
        @if !own { p { a href={"/filings?month=" (month)} { (w::BACK_TO_FILINGS.get(lang)) } } }
        @if own { p { a #duty-link href="/duty" { (super::duty::LINK.get(lang)) } } }
        @if let Some(d) = shown.done { p.notice #done role="status" { (d.get(lang)) } }
        (facts(lang, view))
        @if grid_here {
            @let typed = shown.grid.clone().unwrap_or_else(|| grid::Typed::from_view(month, view));
            (grid::render(c, s, &typed, &roster, shown.trial.as_ref()))
        } @else if let Some(v) = view.filter(|v| !v.entries.is_empty()) {
            (entries_table(lang, v))
        } @else if !own {
            p #nothing { (w::NOTHING_FILED.get(lang)) }
        }
        section #checked aria-live="polite" {
            @match &shown.trial {
                Some((t, dates)) => (grid::checked(lang, t, dates)),
                None => (violations(lang, view.map(|v| v.violations.as_slice()).unwrap_or_default(), view.is_some())),
            }
        }
        @if own {
            (steps::render(c, s, month, state, view, &roster, shown.step.as_ref()))
            @if grid_here { (import::render(s, month, shown.import.as_ref())) }
        }
        @if let Some(v) = view { (records(lang, v)) }
    };
    Ok(page::shell(c, s, Nav::Schedules, title, body))
}

fn facts(lang: Lang, view: Option<&pb::ScheduleView>) -> Markup {
    let state = view.map_or("none", |v| v.state.as_str());
    let state_label =
        labels::state_of_code(state).map_or(state.to_owned(), |l| l.get(lang).to_owned());
    html! {
        dl.facts {
            dt { (w::SCHEDULE_STATE.get(lang)) } dd #state data-state=(state) { (state_label) }
            @if let Some(v) = view {
                dt { (w::RULE_SET.get(lang)) } dd { (v.rules) }
                dt { (w::FILING_DEADLINE.get(lang)) } dd { (v.deadline) }
                @if !v.received_at.is_empty() {
                    dt { (w::FILING_STATUS.get(lang)) }
                    dd #filing-status data-status=(v.filing_status) {
                        (labels::filing_of_code(&v.filing_status).map_or(v.filing_status.as_str(), |l| l.get(lang)))
                        " · " (page::local_time(&v.received_at))
                    }
                }
                @if let Some(r) = &v.review {
                    dt { (w::REVIEWED_BY.get(lang)) } dd #review { (r.by) " " (r.recorded_by) " " (page::local_time(&r.at)) }
                }
                @if let Some(a) = &v.approval {
                    dt { (w::APPROVED_ON.get(lang)) }
                    dd #approval { (a.by) " " (a.recorded_by) " " (page::local_time(&a.at))
                        @if !a.override_reason.is_empty() { " · " (w::OVERRIDE_REASON.get(lang)) "：" (a.override_reason) } }
                }
                @if !v.published_at.is_empty() {
                    dt { (w::PUBLISHED_AT.get(lang)) } dd #published { (page::local_time(&v.published_at)) }
                }
            }
        }
    }
}

/// The quota rules' answer on what is saved (or filed).
pub fn violations(lang: Lang, list: &[pb::Violation], any: bool) -> Markup {
    html! {
        @if !list.is_empty() {
            h2 { (w::RULES_BROKEN.get(lang)) " (" (list.len()) ")" }
            ul #violations {
                @for v in list {
                    li data-rule=(v.rule) data-date=(v.date) data-leader=(v.leader) {
                        (match lang { Lang::Zh => &v.message, Lang::En => &v.message_en })
                    }
                }
            }
        } @else if any {
            p #no-violations { (w::RULES_PASS.get(lang)) }
        }
    }
}

/// A filed (or read-only) month's entries.
fn entries_table(lang: Lang, v: &pb::ScheduleView) -> Markup {
    html! {
        h2 { (w::SCHEDULE_OF.get(lang)) }
        table #entries {
            thead { tr {
                th scope="col" { (w::DATE.get(lang)) }
                th scope="col" { (w::RECEPTION_LEADER.get(lang)) }
                th scope="col" { (w::RECEPTION_PLACE.get(lang)) }
                th scope="col" { (w::RECEPTION_FORM.get(lang)) }
                th scope="col" { (w::RECEPTION_HOURS.get(lang)) }
                th scope="col" { (w::TOPIC.get(lang)) }
            } }
            tbody {
                @for e in &v.entries {
                    tr data-date=(e.date) data-leader=(e.leader) {
                        td.nowrap { (e.date) }
                        td { (e.leader) @if !e.position.is_empty() { " · " (e.position) } }
                        td { (e.place) }
                        td { (if e.form_name.is_empty() { &e.form } else { &e.form_name }) }
                        td.nowrap { (e.time) }
                        td { (e.topic) }
                    }
                }
            }
        }
    }
}

/// Adjustments and attendance recorded on a filed month.
fn records(lang: Lang, v: &pb::ScheduleView) -> Markup {
    html! {
        @if !v.adjustments.is_empty() {
            h2 { (w::ADJUSTMENTS.get(lang)) }
            ul #adjustments {
                @for a in &v.adjustments {
                    li data-kind=(a.kind) {
                        (a.date) " " (a.from_leader) " → " (a.to_leader)
                        @if !a.swap_date.is_empty() { " ⇄ " (a.swap_date) }
                        "（" (a.reason) "）"
                    }
                }
            }
        }
        @if !v.attendance.is_empty() {
            h2 { (w::ATTENDANCE_RECORDS.get(lang)) }
            ul #attendance {
                @for a in &v.attendance {
                    li data-date=(a.date) data-outcome=(a.outcome) {
                        (a.date) " " (a.leader) " "
                        (if a.outcome == "held" { w::HELD.get(lang) } else { w::MISSED.get(lang) })
                        @if a.visitors > 0 { " · " (w::VISITORS.get(lang)) " " (a.visitors) }
                        @if !a.reason.is_empty() { "（" (a.reason) "）" }
                    }
                }
            }
        }
    }
}
