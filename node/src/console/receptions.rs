//! 领导接待日: the case's bookings onto leaders' reception days on the case file —
//! each with its day, leader, responsible unit, the leader's decision and the
//! eight-copy form with who acknowledged; the four cards and the form to print;
//! and the small forms that book the case, record the outcome, send the form and
//! record an acknowledgement. Every check is the reception service's; a refusal
//! comes back beside the form that asked.

use std::collections::HashMap;

use axum::extract::{Extension, Path, Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE, LOCATION};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;
use xinfang_proto::v1 as pb;

use super::Console;
use super::page;
use super::refused::told;
use super::reply::Refused;
use super::session::Session;
use super::words as w;
use crate::auth::{Action, any_allowed};
use crate::case::labels;
use crate::case::record::Step;
use crate::error::NodeError;
use crate::labels::{Label, Lang};
use crate::schedule::model::Entry;

/// How far ahead the booking form offers reception days.
const BOOKABLE_DAYS: i64 = 60;

/// The forms of the section, by the path they post to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReceptionForm {
    Book,
    Outcome,
    Form,
    Ack,
}

impl ReceptionForm {
    fn code(self) -> &'static str {
        match self {
            ReceptionForm::Book => "book",
            ReceptionForm::Outcome => "outcome",
            ReceptionForm::Form => "form",
            ReceptionForm::Ack => "ack",
        }
    }

    fn from_code(s: &str) -> Option<ReceptionForm> {
        [
            ReceptionForm::Book,
            ReceptionForm::Outcome,
            ReceptionForm::Form,
            ReceptionForm::Ack,
        ]
        .into_iter()
        .find(|a| a.code() == s)
    }
}

/// A refused form: which, what was typed, and why (beside `field` when named).
pub struct ReceptionRefusal {
    pub action: ReceptionForm,
    pub typed: HashMap<String, String>,
    pub field: Option<String>,
    pub message: String,
}

/// What the section shows: the case's receptions and the days it may be booked on.
pub struct Receptions {
    pub list: pb::ReceptionList,
    pub days: Vec<Entry>,
}

pub async fn load(c: &Console, s: &Session, case_no: &str) -> Result<Receptions, NodeError> {
    Ok(Receptions {
        list: c.receptions().list(&s.who, case_no).await?,
        days: c.receptions().bookable_days(&s.who, BOOKABLE_DAYS).await?,
    })
}

const SECTION: Label = Label::new("领导接待日", "Leaders' reception days");
const DAY: Label = Label::new("接待日", "Reception day");
const RESPONSIBLE: Label = Label::new("责任单位", "Responsible unit");
const PLACE: Label = Label::new("接待地点（空：按排班）", "Place (empty: as scheduled)");
const INVITATION: Label = Label::new("约访通知补充内容", "Invitation adds");
const HELD: Label = Label::new("接待已进行", "The reception took place");
const LEADER_DECISION: Label = Label::new(
    "领导决定（未进行的写明原因）",
    "The leader's decision (or why it did not take place)",
);
const TASK_UNIT: Label = Label::new("承办事项单位", "Task: unit");
const TASK_DUTY: Label = Label::new("承办事项", "Task: what to do");
const TASK_DUE: Label = Label::new("完成时限", "Task: by");
const ASSIGN_TO: Label = Label::new("交办至", "Assign to");
const ASSIGN_DUE: Label = Label::new("交办期限", "Assigned, due");
const FORM_DUE: Label = Label::new("办结期限", "Close by");
const COPIES: Label = Label::new("督办单签收", "Form copies");
const RETURNED: Label = Label::new("已撤回存档", "Returned and filed");
const PRINT_CARDS: Label = Label::new("打印四卡", "Print the four cards");
const PRINT_FORM: Label = Label::new("打印八联单", "Print the supervision form");
const ACK: Label = Label::new("签收", "Acknowledge");
const NOT_HELD: Label = Label::new("未进行", "Did not take place");
const TO_COME: Label = Label::new("待接待", "To come");
const NO_DAYS: Label = Label::new(
    "本单位已备案的排班中没有可约的接待日",
    "No reception day to book in this unit's filed schedules",
);

/// The section of the case file.
pub fn section(
    c: &Console,
    s: &Session,
    case_no: &str,
    r: &Receptions,
    refusal: Option<&ReceptionRefusal>,
) -> Markup {
    let lang = s.lang;
    let may = |step: Step| any_allowed(&s.who.roles, Action::Step(step));
    let (me, topology) = c.cases().hub_topology();
    let mine = |a: ReceptionForm| refusal.filter(|x| x.action == a);
    let typed = |a: ReceptionForm, name: &str| {
        mine(a)
            .and_then(|x| x.typed.get(name))
            .cloned()
            .unwrap_or_default()
    };
    // Beside the field the service named (its label first), or above the form.
    let error = |a: ReceptionForm, field: Option<(&str, Label)>| -> Markup {
        match mine(a) {
            Some(x) if x.field.as_deref() == field.map(|(f, _)| f) => html! {
                p.error role="alert" id=(format!("reception-{}-error", a.code())) {
                    (field.map_or(w::REFUSED, |(_, l)| l).get(lang)) "：" (x.message)
                }
            },
            _ => html! {},
        }
    };
    let action = |a: ReceptionForm| format!("/case/{case_no}/reception/{}", a.code());
    let units = |a: ReceptionForm, name: &str| {
        html! {
            select id=(format!("reception-{}-{name}", a.code())) name=(name) {
                option value="" { (w::PICK.get(lang)) }
                @for u in topology.units() {
                    @let code = u.code.to_string();
                    option value=(code) selected[typed(a, name) == code] { (u.name) " " (code) }
                }
            }
        }
    };
    html! {
        section aria-labelledby="receptions-h" #receptions {
            h2 id="receptions-h" { (SECTION.get(lang)) }
            @if !r.list.receptions.is_empty() {
                table #reception-list {
                    thead { tr {
                        th { (DAY.get(lang)) } th { (w::LEADER.get(lang)) } th { (RESPONSIBLE.get(lang)) }
                        th { (LEADER_DECISION.get(lang)) } th { (COPIES.get(lang)) } th {}
                    } }
                    tbody {
                        @for b in &r.list.receptions {
                            tr data-booking=(b.booking) {
                                td { (b.date) } td { (b.position) (b.leader) } td { (b.responsible_name) }
                                td {
                                    @if b.outcome.is_empty() { (TO_COME.get(lang)) }
                                    @else if !b.held { (NOT_HELD.get(lang)) "：" (b.decision) }
                                    @else {
                                        (b.decision)
                                        @if !b.assign_to.is_empty() { "；" (w::TO_UNIT.get(lang)) " " (b.assign_to_name) " " (b.assign_due) }
                                    }
                                }
                                td {
                                    @if !b.form.is_empty() {
                                        ul.copies {
                                            @for copy in &b.copies {
                                                li data-copy=(copy.key) {
                                                    (copy.title) " "
                                                    @if copy.acknowledged_on.is_empty() {
                                                        @if may(Step::FormAck) && (b.office == me.as_str() || copy.key == me.as_str()) {
                                                            form.inline method="post" action=(action(ReceptionForm::Ack)) {
                                                                (page::csrf(s))
                                                                input type="hidden" name="form" value=(b.form);
                                                                input type="hidden" name="recipient" value=(copy.key);
                                                                button type="submit" { (ACK.get(lang)) }
                                                            }
                                                        }
                                                    } @else { "✓ " (copy.acknowledged_on) }
                                                }
                                            }
                                        }
                                        @if !b.form_returned_on.is_empty() { p { (RETURNED.get(lang)) " " (b.form_returned_on) } }
                                    }
                                }
                                td {
                                    a href=(format!("/case/{case_no}/reception-paper/cards?booking={}", b.booking)) { (PRINT_CARDS.get(lang)) }
                                    @if !b.form.is_empty() {
                                        br; a href=(format!("/case/{case_no}/reception-paper/form?booking={}", b.booking)) { (PRINT_FORM.get(lang)) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            (error(ReceptionForm::Ack, None))
            @for b in r.list.receptions.iter().filter(|b| b.office == me.as_str()) {
                @if b.outcome.is_empty() && may(Step::ReceptionOutcome) {
                    details.step open[mine(ReceptionForm::Outcome).is_some()] data-step="reception_outcome" {
                        summary { (labels::step(Step::ReceptionOutcome).get(lang)) " · " (b.date) }
                        (error(ReceptionForm::Outcome, None))
                        form method="post" action=(action(ReceptionForm::Outcome)) {
                            (page::csrf(s))
                            input type="hidden" name="booking" value=(b.booking);
                            div.field { label for="reception-outcome-held" { (HELD.get(lang)) }
                                input type="checkbox" id="reception-outcome-held" name="held" checked[mine(ReceptionForm::Outcome).is_none() || !typed(ReceptionForm::Outcome, "held").is_empty()]; }
                            div.field { label for="reception-outcome-decision" { (LEADER_DECISION.get(lang)) }
                                textarea id="reception-outcome-decision" name="decision" rows="2" { (typed(ReceptionForm::Outcome, "decision")) }
                                (error(ReceptionForm::Outcome, Some(("decision", LEADER_DECISION)))) }
                            div.field { label for="reception-outcome-task_unit" { (TASK_UNIT.get(lang)) } (units(ReceptionForm::Outcome, "task_unit")) }
                            div.field { label for="reception-outcome-task_duty" { (TASK_DUTY.get(lang)) }
                                input type="text" id="reception-outcome-task_duty" name="task_duty" value=(typed(ReceptionForm::Outcome, "task_duty")); }
                            div.field { label for="reception-outcome-task_due" { (TASK_DUE.get(lang)) }
                                input type="date" id="reception-outcome-task_due" name="task_due" value=(typed(ReceptionForm::Outcome, "task_due")); }
                            div.field { label for="reception-outcome-assign_to" { (ASSIGN_TO.get(lang)) } (units(ReceptionForm::Outcome, "assign_to"))
                                (error(ReceptionForm::Outcome, Some(("assign_to", ASSIGN_TO)))) }
                            div.field { label for="reception-outcome-assign_due" { (ASSIGN_DUE.get(lang)) }
                                input type="date" id="reception-outcome-assign_due" name="assign_due" value=(typed(ReceptionForm::Outcome, "assign_due"));
                                (error(ReceptionForm::Outcome, Some(("assign_due", ASSIGN_DUE)))) }
                            button type="submit" { (labels::step(Step::ReceptionOutcome).get(lang)) }
                        }
                    }
                }
                @if b.held && b.form.is_empty() && may(Step::SupervisionForm) {
                    details.step open[mine(ReceptionForm::Form).is_some()] data-step="supervision_form" {
                        summary { (labels::step(Step::SupervisionForm).get(lang)) " · " (b.date) }
                        (error(ReceptionForm::Form, None))
                        form method="post" action=(action(ReceptionForm::Form)) {
                            (page::csrf(s))
                            input type="hidden" name="booking" value=(b.booking);
                            div.field { label for="reception-form-due" { (FORM_DUE.get(lang)) }
                                input type="date" id="reception-form-due" name="due" value=(typed(ReceptionForm::Form, "due"));
                                (error(ReceptionForm::Form, Some(("due", FORM_DUE)))) }
                            div.field { label for="reception-form-demand" { (w::DEMAND.get(lang)) }
                                textarea id="reception-form-demand" name="demand" rows="2" { (typed(ReceptionForm::Form, "demand")) }
                                (error(ReceptionForm::Form, Some(("demand", w::DEMAND)))) }
                            button type="submit" { (labels::step(Step::SupervisionForm).get(lang)) }
                        }
                    }
                }
            }
            @if may(Step::Booking) {
                details.step open[mine(ReceptionForm::Book).is_some()] data-step="booking" {
                    summary { (labels::step(Step::Booking).get(lang)) }
                    (error(ReceptionForm::Book, None))
                    @if r.days.is_empty() {
                        p.hint #no-reception-days { (NO_DAYS.get(lang)) }
                    } @else {
                        form method="post" action=(action(ReceptionForm::Book)) {
                            (page::csrf(s))
                            div.field { label for="reception-book-slot" { (DAY.get(lang)) }
                                select id="reception-book-slot" name="slot" {
                                    @for e in &r.days {
                                        @let v = format!("{}|{}", e.date, e.leader);
                                        option value=(v) selected[typed(ReceptionForm::Book, "slot") == v] { (e.date) " " (e.position) (e.leader) " " (e.place) }
                                    }
                                }
                                (error(ReceptionForm::Book, Some(("date", DAY)))) }
                            div.field { label for="reception-book-responsible" { (RESPONSIBLE.get(lang)) } (units(ReceptionForm::Book, "responsible"))
                                (error(ReceptionForm::Book, Some(("responsible", RESPONSIBLE)))) }
                            div.field { label for="reception-book-place" { (PLACE.get(lang)) }
                                input type="text" id="reception-book-place" name="place" value=(typed(ReceptionForm::Book, "place")); }
                            div.field { label for="reception-book-invitation" { (INVITATION.get(lang)) }
                                textarea id="reception-book-invitation" name="invitation" rows="2" { (typed(ReceptionForm::Book, "invitation")) } }
                            button type="submit" { (labels::step(Step::Booking).get(lang)) }
                        }
                    }
                }
            }
        }
    }
}

/// What posting one of the section's forms came to.
pub enum Posting {
    /// The page to show: back to the case file, or a refusal with no form to
    /// stand beside.
    Done(Response),
    /// The form again, with why (the case file draws it).
    Refused(ReceptionRefusal),
}

/// Sends one of the section's forms to the reception service as the signed-in user.
pub async fn post(
    c: &Console,
    s: &Session,
    case_no: &str,
    action: &str,
    typed: HashMap<String, String>,
) -> Posting {
    let lang = s.lang;
    let Some(a) = ReceptionForm::from_code(action) else {
        return Posting::Done(
            Refused::NotFound(format!("no reception form {action:?}")).reply(lang, false),
        );
    };
    let field = |name: &str| typed.get(name).cloned().unwrap_or_default();
    let case_no_s = case_no.to_owned();
    let service = c.receptions();
    let result = match a {
        ReceptionForm::Book => {
            let slot = field("slot");
            let (date, leader) = slot.split_once('|').unwrap_or((slot.as_str(), ""));
            service
                .book(
                    &s.who,
                    pb::BookRequest {
                        case_no: case_no_s,
                        date: date.to_owned(),
                        leader: leader.to_owned(),
                        responsible: field("responsible"),
                        place: field("place"),
                        invitation: field("invitation"),
                    },
                    lang,
                )
                .await
        }
        ReceptionForm::Outcome => {
            let task =
                (!field("task_unit").is_empty() || !field("task_duty").is_empty()).then(|| {
                    pb::ReceptionTask {
                        unit: field("task_unit"),
                        duty: field("task_duty"),
                        due: field("task_due"),
                        ..Default::default()
                    }
                });
            service
                .record_outcome(
                    &s.who,
                    pb::OutcomeRequest {
                        case_no: case_no_s,
                        booking: field("booking"),
                        held: !field("held").is_empty(),
                        decision: field("decision"),
                        tasks: task.into_iter().collect(),
                        assign_to: field("assign_to"),
                        assign_due: field("assign_due"),
                    },
                    lang,
                )
                .await
        }
        ReceptionForm::Form => {
            service
                .send_form(
                    &s.who,
                    pb::SupervisionFormRequest {
                        case_no: case_no_s,
                        booking: field("booking"),
                        recipients: Vec::new(),
                        due: field("due"),
                        demand: field("demand"),
                    },
                    lang,
                )
                .await
        }
        ReceptionForm::Ack => {
            service
                .acknowledge(
                    &s.who,
                    pb::AcknowledgeFormRequest {
                        case_no: case_no_s,
                        form: field("form"),
                        recipient: field("recipient"),
                    },
                    lang,
                )
                .await
        }
    };
    let step = match a {
        ReceptionForm::Book => Step::Booking,
        ReceptionForm::Outcome => Step::ReceptionOutcome,
        ReceptionForm::Form => Step::SupervisionForm,
        ReceptionForm::Ack => Step::FormAck,
    };
    match result {
        Ok(_) => Posting::Done(
            (
                StatusCode::SEE_OTHER,
                [(LOCATION, format!("/case/{case_no}?done={}", step.kind()))],
            )
                .into_response(),
        ),
        Err(NodeError::Invalid { field, rule }) => Posting::Refused(ReceptionRefusal {
            action: a,
            field: Some(field.to_owned()),
            message: rule.get(lang).to_owned(),
            typed,
        }),
        // A rule names its field in its message (`field `date`: …`): beside it.
        Err(e @ NodeError::Rule { .. }) => {
            let message = e.to_string();
            let field = [
                "date",
                "responsible",
                "decision",
                "assign_to",
                "assign_due",
                "due",
                "demand",
            ]
            .into_iter()
            .find(|f| message.contains(&format!("field `{f}`")))
            .map(str::to_owned);
            Posting::Refused(ReceptionRefusal {
                action: a,
                field,
                message: told(&e, lang),
                typed,
            })
        }
        Err(e) => Posting::Done(Refused::from(e).reply(lang, false)),
    }
}

#[derive(Deserialize)]
pub struct Which {
    booking: String,
}

/// The four cards, or the supervision form, of a booking as PDF.
pub async fn paper(
    State(c): State<Console>,
    Extension(lang): Extension<Lang>,
    headers: HeaderMap,
    Path((case_no, which)): Path<(String, String)>,
    Query(q): Query<Which>,
) -> Response {
    let s = match c.session(&headers, lang).await {
        Ok(s) => s,
        Err(r) => return r.reply(lang, true),
    };
    let drawn = match which.as_str() {
        "cards" => c.receptions().cards(&s.who, &case_no, &q.booking).await,
        "form" => {
            c.receptions()
                .form_papers(&s.who, &case_no, &q.booking)
                .await
        }
        other => {
            return Refused::NotFound(format!("no reception paper {other:?}")).reply(lang, true);
        }
    };
    match drawn {
        Ok(p) => (
            StatusCode::OK,
            [
                (CONTENT_TYPE, "application/pdf".to_owned()),
                (
                    CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{case_no}-reception-{which}.pdf\""),
                ),
            ],
            p.pdf,
        )
            .into_response(),
        Err(e) => Refused::from(e).reply(lang, true),
    }
}
