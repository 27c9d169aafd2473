//! The schedule workflow's steps as small forms: review (分管领导审核), approval
//! with the override reason (主要领导审定, which files the month upward),
//! publication, adjustments (调整) and attendance on the day (到岗 / 缺岗).
//! Offered by the roles table and the month's state; taken by
//! `ScheduleService`, which authorizes and checks again; a refusal comes back
//! beside the field it concerns with what was typed kept.

use axum::Form;
use axum::extract::{Extension, Path, State};
use axum::http::header::LOCATION;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;
use xinfang_proto::v1 as pb;

use super::super::Console;
use super::super::page;
use super::super::reply::Refused;
use super::super::session::Session;
use super::super::words as w;
use super::{Problem, Shown, load, render as render_page};
use crate::auth::{Action, any_allowed};
use crate::labels::{Label, Lang};

/// A step's form as typed.
#[derive(Deserialize, Default, Clone, Debug)]
#[serde(default)]
pub struct Typed {
    csrf: Option<String>,
    month: String,
    #[serde(rename = "override")]
    override_reason: String,
    date: String,
    leader: String,
    from_leader: String,
    swap_date: String,
    reason: String,
    outcome: String,
    visitors: String,
}

/// The steps, each with the action the roles table names and its button.
const STEPS: [(&str, Action, Label); 5] = [
    ("review", Action::ReviewSchedule, w::REVIEW),
    ("approve", Action::ApproveSchedule, w::APPROVE),
    ("publish", Action::PublishSchedule, w::PUBLISH),
    ("adjust", Action::AdjustSchedule, w::ADJUST),
    ("attendance", Action::RecordAttendance, w::ATTENDANCE),
];

/// Which steps the month's state offers.
fn open_in(state: &str, step: &str) -> bool {
    match step {
        "review" => state == "draft",
        "approve" => state == "reviewed",
        "publish" => state == "approved",
        "adjust" | "attendance" => matches!(state, "approved" | "published"),
        _ => false,
    }
}

/// The field a refused rule concerns.
fn field_of_rule(rule: &str) -> Option<&'static str> {
    match rule {
        "schedule.override_required" => Some("override"),
        "adjust.before_the_day" | "attendance.not_yet" => Some("date"),
        _ => None,
    }
}

pub async fn act(
    State(c): State<Console>,
    Extension(lang): Extension<Lang>,
    headers: HeaderMap,
    Path(step): Path<String>,
    Form(t): Form<Typed>,
) -> Response {
    let target = format!("schedule {} {step}", t.month);
    let s = match c.posted(&headers, lang, t.csrf.as_deref(), &target).await {
        Ok(s) => s,
        Err(r) => return r.reply(lang, false),
    };
    if !STEPS.iter().any(|(k, _, _)| *k == step) {
        return Refused::NotFound(format!("no step {step:?}")).reply(lang, false);
    }
    let unit = c.schedules().own_code().to_string();
    let month = t.month.trim().to_owned();
    let decision = || pb::DecisionRequest {
        unit: unit.clone(),
        month: month.clone(),
        by: String::new(),
        override_reason: t.override_reason.clone(),
    };
    let sched = c.schedules();
    let result = match step.as_str() {
        "review" => sched.review(&s.who, decision()).await,
        "approve" => sched.approve(&s.who, decision()).await,
        "publish" => {
            let req = pb::MonthRequest {
                unit: unit.clone(),
                month: month.clone(),
            };
            sched.publish(&s.who, req).await
        }
        "adjust" => {
            let req = pb::AdjustRequest {
                unit: unit.clone(),
                month: month.clone(),
                date: t.date.clone(),
                leader: t.leader.clone(),
                swap_date: t.swap_date.clone(),
                from_leader: t.from_leader.clone(),
                reason: t.reason.clone(),
            };
            sched.adjust(&s.who, req).await
        }
        _ => {
            let visitors = match t.visitors.trim() {
                "" => 0,
                n => match n.parse::<u32>() {
                    Ok(n) => n,
                    Err(_) => {
                        let p = Problem {
                            field: Some("visitors".into()),
                            message: format!("{n:?} 不是整数"),
                        };
                        return refused(&c, &s, &step, &month, t, p).await;
                    }
                },
            };
            let req = pb::AttendanceRequest {
                unit: unit.clone(),
                date: t.date.clone(),
                leader: t.leader.clone(),
                held: t.outcome != "missed",
                visitors,
                cases: Vec::new(),
                resolved_on_spot: 0,
                reason: t.reason.clone(),
            };
            sched.record_attendance(&s.who, req).await
        }
    };
    match result {
        Ok(v) => (
            StatusCode::SEE_OTHER,
            [(
                LOCATION,
                format!("/schedules?month={}&done={step}", v.month),
            )],
        )
            .into_response(),
        Err(e) => match Problem::of(&e, lang, field_of_rule) {
            Some(p) => refused(&c, &s, &step, &month, t, p).await,
            None => Refused::from(e).reply(lang, false),
        },
    }
}

/// The page again with the refused step's form open, its values and the error.
async fn refused(
    c: &Console,
    s: &Session,
    step: &str,
    month: &str,
    t: Typed,
    p: Problem,
) -> Response {
    let lang = s.lang;
    let view = match load(c, s, "", month).await {
        Ok(v) => v,
        Err(e) => return Refused::from(e).reply(lang, false),
    };
    let shown = Shown {
        step: Some((step.to_owned(), t, p)),
        ..Default::default()
    };
    match render_page(c, s, "", month, view.as_ref(), shown).await {
        Ok(m) => (StatusCode::UNPROCESSABLE_ENTITY, m).into_response(),
        Err(e) => Refused::from(e).reply(lang, false),
    }
}

/// The step forms the signed-in roles and the month's state offer.
pub fn render(
    _c: &Console,
    s: &Session,
    month: &str,
    state: &str,
    view: Option<&pb::ScheduleView>,
    roster: &[pb::Leader],
    refused: Option<&(String, Typed, Problem)>,
) -> Markup {
    let lang = s.lang;
    let offered: Vec<&(&str, Action, Label)> = STEPS
        .iter()
        .filter(|(k, a, _)| open_in(state, k) && any_allowed(&s.who.roles, *a))
        .collect();
    let mut scheduled: Vec<&str> = view
        .map(|v| v.entries.iter().map(|e| e.leader.as_str()).collect())
        .unwrap_or_default();
    scheduled.sort_unstable();
    scheduled.dedup();
    html! {
        @if !offered.is_empty() {
            h2 { (w::ACTIONS.get(lang)) }
            div #actions {
                @for (step, _, label) in offered {
                    @let mine = refused.filter(|(k, _, _)| k == step);
                    @let typed = mine.map(|(_, t, _)| t.clone()).unwrap_or_default();
                    @let problem = mine.map(|(_, _, p)| p);
                    details.step data-step=(step) open[mine.is_some()] {
                        summary { (label.get(lang)) }
                        @if let Some(p) = problem.filter(|p| p.field.is_none()) {
                            p.error id={(step) "-error"} role="alert" { (p.message) }
                        }
                        form method="post" action={"/schedules/step/" (step)} novalidate {
                            (page::csrf(s))
                            input type="hidden" name="month" value=(month);
                            @match *step {
                                "approve" => {
                                    (field(step, "override", w::OVERRIDE_REASON, lang, problem, html! {
                                        textarea id="approve-override" name="override" rows="2"
                                            aria-describedby="approve-override-hint" { (typed.override_reason) }
                                        span.hint id="approve-override-hint" { (w::OVERRIDE_HINT.get(lang)) }
                                    }))
                                }
                                "adjust" => {
                                    (field(step, "date", w::ADJUST_DATE, lang, problem, date_input("adjust-date", "date", &typed.date)))
                                    (field(step, "from_leader", w::FROM_LEADER, lang, problem, pick("adjust-from_leader", "from_leader", &scheduled, &typed.from_leader, lang)))
                                    (field(step, "leader", w::TO_LEADER, lang, problem, pick("adjust-leader", "leader",
                                        &roster.iter().filter(|l| l.active).map(|l| l.name.as_str()).collect::<Vec<_>>(), &typed.leader, lang)))
                                    (field(step, "swap_date", w::SWAP_DATE, lang, problem, date_input("adjust-swap_date", "swap_date", &typed.swap_date)))
                                    p.hint { (w::ADJUST_HINT.get(lang)) }
                                    (field(step, "reason", w::REASON, lang, problem, html! {
                                        textarea id="adjust-reason" name="reason" rows="2" { (typed.reason) }
                                    }))
                                }
                                "attendance" => {
                                    (field(step, "date", w::ATTENDANCE_DATE, lang, problem, date_input("attendance-date", "date", &typed.date)))
                                    (field(step, "leader", w::RECEPTION_LEADER, lang, problem, pick("attendance-leader", "leader", &scheduled, &typed.leader, lang)))
                                    (field(step, "outcome", w::ATTENDED, lang, problem, html! {
                                        select id="attendance-outcome" name="outcome" {
                                            option value="held" selected[typed.outcome != "missed"] { (w::HELD.get(lang)) }
                                            option value="missed" selected[typed.outcome == "missed"] { (w::MISSED.get(lang)) }
                                        }
                                    }))
                                    (field(step, "visitors", w::VISITORS, lang, problem, html! {
                                        input type="number" min="0" id="attendance-visitors" name="visitors" value=(typed.visitors);
                                    }))
                                    (field(step, "reason", w::ABSENCE_REASON, lang, problem, html! {
                                        textarea id="attendance-reason" name="reason" rows="2" { (typed.reason) }
                                    }))
                                }
                                _ => {}
                            }
                            button type="submit" { (label.get(lang)) }
                        }
                    }
                }
            }
        }
    }
}

/// A labelled field of a step's form, its error beside it when it is this
/// field's (the input's id is `STEP-NAME`).
fn field(
    step: &str,
    name: &str,
    label: Label,
    lang: Lang,
    problem: Option<&Problem>,
    input: Markup,
) -> Markup {
    let id = format!("{step}-{name}");
    let error = problem.filter(|p| p.field.as_deref() == Some(name));
    html! {
        div.field {
            label for=(id) { (label.get(lang)) }
            (input)
            @if let Some(p) = error {
                p.error id=(format!("{id}-error")) role="alert" {
                    (label.get(lang)) "：" (p.message)
                }
            }
        }
    }
}

fn date_input(id: &str, name: &str, value: &str) -> Markup {
    html! { input type="date" id=(id) name=(name) value=(value); }
}

fn pick(id: &str, name: &str, names: &[&str], value: &str, lang: Lang) -> Markup {
    html! {
        select id=(id) name=(name) {
            option value="" { (w::PICK.get(lang)) }
            @for n in names { option value=(n) selected[*n == value] { (n) } }
        }
    }
}
