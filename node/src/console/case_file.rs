//! 案件 (一事一档): the case file — status, handling and lead unit by name, next
//! deadline, what blocks closing, the history in words with who did each step —
//! and a small form for each step the signed-in user's roles allow. A step is
//! written by `CaseService::act`, which checks the roles again and the rules;
//! its refusal comes back beside the form that asked.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Extension, Path, Query, State};
use axum::http::header::LOCATION;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;
use xinfang_proto::v1 as pb;

use super::Console;
use super::notices::{self, Issuing, NoticeRefusal};
use super::page::{self, Nav};
use super::receptions::{self, Posting, ReceptionRefusal, Receptions};
use super::refused::told;
use super::reply::Refused;
use super::session::{CSRF_FIELD, Session};
use super::steps::{self, Input};
use super::words as w;
use crate::case::labels;
use crate::case::record::Step;
use crate::error::NodeError;
use crate::labels::Lang;
use crate::notice::Issued;

#[derive(Deserialize, Default)]
pub struct Shown {
    #[serde(default)]
    registered: Option<String>,
    #[serde(default)]
    done: Option<String>,
    /// The document number of a notice just issued.
    #[serde(default)]
    issued: Option<String>,
    /// The query code just issued: shown in the registration's own answer only,
    /// never read from an address.
    #[serde(skip)]
    query_code: Option<String>,
}

/// A step's form that was refused: which, with what was typed and why.
struct Refusal {
    step: Step,
    typed: HashMap<String, String>,
    field: Option<&'static str>,
    message: String,
}

pub async fn page(
    State(c): State<Console>,
    Extension(lang): Extension<Lang>,
    headers: HeaderMap,
    Path(case_no): Path<String>,
    Query(shown): Query<Shown>,
) -> Response {
    let s = match c.session(&headers, lang).await {
        Ok(s) => s,
        Err(r) => return r.reply(lang, true),
    };
    match file(&c, &s, &case_no).await {
        Ok(f) => render(&c, &s, &f, &shown, Refusals::default()).into_response(),
        Err(e) => Refused::from(e).reply(lang, true),
    }
}

/// The refused form the case file shows open, if any: one at a time.
#[derive(Default)]
struct Refusals {
    step: Option<Refusal>,
    notice: Option<NoticeRefusal>,
    reception: Option<ReceptionRefusal>,
}

/// One of the reception-day forms (`receptions::post`); refused, the case file
/// again with that form open and the error beside its field.
pub async fn reception(
    State(c): State<Console>,
    Extension(lang): Extension<Lang>,
    headers: HeaderMap,
    Path((case_no, action)): Path<(String, String)>,
    Form(mut typed): Form<HashMap<String, String>>,
) -> Response {
    let csrf = typed.remove(CSRF_FIELD);
    let target = format!("{case_no} reception {action}");
    let s = match c.posted(&headers, lang, csrf.as_deref(), &target).await {
        Ok(s) => s,
        Err(r) => return r.reply(lang, false),
    };
    match receptions::post(&c, &s, &case_no, &action, typed).await {
        Posting::Done(page) => page,
        Posting::Refused(refusal) => match file(&c, &s, &case_no).await {
            Ok(f) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                render(
                    &c,
                    &s,
                    &f,
                    &Shown::default(),
                    Refusals {
                        reception: Some(refusal),
                        ..Refusals::default()
                    },
                ),
            )
                .into_response(),
            Err(e) => Refused::from(e).reply(lang, false),
        },
    }
}

/// Issues a notice from the case file's form (`notices::issue`); refused, the
/// case file again with the form open and the error beside its field.
pub async fn issue_notice(
    State(c): State<Console>,
    Extension(lang): Extension<Lang>,
    headers: HeaderMap,
    Path(case_no): Path<String>,
    Form(mut typed): Form<HashMap<String, String>>,
) -> Response {
    let csrf = typed.remove(CSRF_FIELD);
    let target = format!("{case_no} notice");
    let s = match c.posted(&headers, lang, csrf.as_deref(), &target).await {
        Ok(s) => s,
        Err(r) => return r.reply(lang, false),
    };
    match notices::issue(&c, &s, &case_no, typed).await {
        Issuing::Done(page) => page,
        Issuing::Refused(refusal) => refused_notice(&c, &s, &case_no, refusal).await,
    }
}

/// The case file again with a refused notice form open, its error beside the field.
async fn refused_notice(
    c: &Console,
    s: &Session,
    case_no: &str,
    refusal: NoticeRefusal,
) -> Response {
    match file(c, s, case_no).await {
        Ok(f) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            render(
                c,
                s,
                &f,
                &Shown::default(),
                Refusals {
                    notice: Some(refusal),
                    ..Refusals::default()
                },
            ),
        )
            .into_response(),
        Err(e) => Refused::from(e).reply(s.lang, false),
    }
}

/// The answer to a registration: the new case file with the petitioner's
/// query code, shown this once (the node keeps only its hash).
pub async fn registered(c: &Console, s: &Session, case_no: &str, query_code: String) -> Response {
    let shown = Shown {
        registered: Some("1".into()),
        done: None,
        issued: None,
        query_code: Some(query_code),
    };
    match file(c, s, case_no).await {
        Ok(f) => render(c, s, &f, &shown, Refusals::default()).into_response(),
        Err(e) => Refused::from(e).reply(s.lang, true),
    }
}

pub async fn act(
    State(c): State<Console>,
    Extension(lang): Extension<Lang>,
    headers: HeaderMap,
    Path((case_no, kind)): Path<(String, String)>,
    Form(mut typed): Form<HashMap<String, String>>,
) -> Response {
    let csrf = typed.remove(CSRF_FIELD);
    let target = format!("{case_no} {kind}");
    let s = match c.posted(&headers, lang, csrf.as_deref(), &target).await {
        Ok(s) => s,
        Err(r) => return r.reply(lang, false),
    };
    let Some(step) = Step::from_kind(&kind).filter(|s| steps::OFFERED.contains(s)) else {
        return Refused::NotFound(format!("no step {kind:?}")).reply(lang, false);
    };
    let refused = |field: Option<&'static str>, message: String, typed| Refusal {
        step,
        typed,
        field,
        message,
    };
    let refusal = match steps::record(step, &typed) {
        Err(u) => refused(Some(u.field), u.message.get(lang).to_owned(), typed),
        Ok(record) => {
            match c
                .cases()
                .act(&s.who, &case_no, &record.to_string(), lang)
                .await
            {
                Ok(_) => {
                    return (
                        StatusCode::SEE_OTHER,
                        [(LOCATION, format!("/case/{case_no}?done={}", step.kind()))],
                    )
                        .into_response();
                }
                // The service named the field: beside it; a rule: above the form.
                Err(NodeError::Invalid { field, rule }) => {
                    let known = steps::fields(step)
                        .iter()
                        .find(|f| f.name == field)
                        .map(|f| f.name);
                    refused(known, rule.get(lang).to_owned(), typed)
                }
                Err(e @ NodeError::Rule { .. }) => refused(None, told(&e, lang), typed),
                Err(e) => return Refused::from(e).reply(lang, false),
            }
        }
    };
    match file(&c, &s, &case_no).await {
        // A step the page does not offer (a crafted form) has no form to show
        // its refusal beside: the refusal is the page.
        Ok(f) if !f.offered.contains(&refusal.step) => {
            Refused::BadRequest(refusal.message).reply(lang, false)
        }
        Ok(f) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            render(
                &c,
                &s,
                &f,
                &Shown::default(),
                Refusals {
                    step: Some(refusal),
                    ..Refusals::default()
                },
            ),
        )
            .into_response(),
        Err(e) => Refused::from(e).reply(lang, false),
    }
}

/// What the case file page shows: the case as the service shows it to the
/// user, the steps to offer them on it, and the notices issued.
struct File {
    view: pb::CaseView,
    offered: Vec<Step>,
    issued: Vec<Issued>,
    receptions: Receptions,
}

async fn file(c: &Console, s: &Session, case_no: &str) -> Result<File, NodeError> {
    let view = c.cases().get(&s.who, case_no, s.lang).await?;
    let offered = c
        .cases()
        .steps_open_to(&s.who, case_no, &steps::OFFERED)
        .await?;
    let issued = c.notices().issued(&s.who, &view.case_no).await?;
    let receptions = receptions::load(c, s, &view.case_no).await?;
    Ok(File {
        view,
        offered,
        issued,
        receptions,
    })
}

fn facts(lang: Lang, v: &pb::CaseView) -> Markup {
    let field = |name: &str| {
        labels::registration_field(name)
            .map(|l| l.get(lang))
            .unwrap_or_default()
    };
    html! {
        dl.facts {
            dt { (w::STATUS.get(lang)) } dd #status { (v.status_label) }
            dt { (w::HANDLING_UNIT.get(lang)) } dd #handling-unit { (v.handling_unit_name) }
            @if !v.lead_unit_name.is_empty() {
                dt { (w::LEAD_UNIT.get(lang)) } dd #lead-unit { (v.lead_unit_name) }
            }
            dt { (w::NEXT_DEADLINE.get(lang)) }
            dd #next-deadline {
                @if let Some(d) = &v.next_deadline {
                    (d.kind_label) " " (d.due) " (" (d.unit_name) ")"
                    @if d.overdue { " " span.late { (w::OVERDUE.get(lang)) } }
                }
            }
            dt { (w::REGISTERED_AT.get(lang)) } dd { (v.unit_name) " " (page::local_time(&v.registered_at)) }
            dt { (field("petitioner")) } dd #petitioner { (v.petitioner) }
            @if !v.id_number.is_empty() || !v.id_masked.is_empty() {
                dt { (field("id_number")) }
                dd { @if v.id_number.is_empty() { (v.id_masked) } @else { (v.id_number) } }
            }
            @if !v.phone.is_empty() || !v.phone_masked.is_empty() {
                dt { (field("phone")) }
                dd { @if v.phone.is_empty() { (v.phone_masked) } @else { (v.phone) } }
            }
            dt { (field("channel")) } dd { (v.channel_label) }
            @if !v.category_label.is_empty() {
                dt { (field("category")) } dd { (v.category_label) @if !v.subcategory_label.is_empty() { " / " (v.subcategory_label) } }
            }
            dt { (field("content")) } dd #content { (v.content) }
            @if !v.repeat_of.is_empty() {
                dt { (w::REPEAT_OF.get(lang)) } dd { a href=(format!("/case/{}", v.repeat_of)) { (v.repeat_of) } }
            }
            @if !v.skip_level_of.is_empty() {
                dt { (w::SKIP_LEVEL_OF.get(lang)) } dd { a href=(format!("/case/{}", v.skip_level_of)) { (v.skip_level_of) } }
            }
        }
    }
}

fn timeline(lang: Lang, v: &pb::CaseView) -> Markup {
    html! {
        ol.timeline #timeline {
            @for r in &v.records {
                li data-kind=(r.kind) {
                    span.when { (page::local_time(&r.at)) " · " (r.unit_name)
                        @if !r.by.is_empty() { " · " (w::BY.get(lang)) " " (r.by) } }
                    br;
                    strong { (r.step_label) } " " (r.detail)
                }
            }
        }
    }
}

fn step_form(
    c: &Console,
    s: &Session,
    v: &pb::CaseView,
    step: Step,
    refusal: Option<&Refusal>,
) -> Markup {
    let lang = s.lang;
    let mine = refusal.filter(|r| r.step == step);
    let id = |name: &str| format!("{}-{name}", step.kind());
    let typed = |name: &str| {
        mine.and_then(|r| r.typed.get(name))
            .cloned()
            .unwrap_or_default()
    };
    let (_, topology) = c.cases().hub_topology();
    html! {
        details.step open[mine.is_some()] data-step=(step.kind()) {
            summary { (labels::step(step).get(lang)) }
            @if let Some(r) = mine.filter(|r| r.field.is_none()) {
                p.error role="alert" id=(id("error")) { (w::REFUSED.get(lang)) "：" (r.message) }
            }
            form method="post" action=(format!("/case/{}/step/{}", v.case_no, step.kind())) {
                (page::csrf(s))
                @for f in steps::fields(step) {
                    @let bad = mine.is_some_and(|r| r.field == Some(f.name));
                    div.field {
                        label for=(id(f.name)) { (f.label.get(lang)) }
                        @match &f.input {
                            Input::Text | Input::Names => input type="text" id=(id(f.name)) name=(f.name) value=(typed(f.name)) aria-invalid=[bad.then_some("true")];,
                            Input::LongText => textarea id=(id(f.name)) name=(f.name) rows="2" aria-invalid=[bad.then_some("true")] { (typed(f.name)) },
                            Input::Date => input type="date" id=(id(f.name)) name=(f.name) value=(typed(f.name)) aria-invalid=[bad.then_some("true")];,
                            Input::Days => input type="number" min="1" id=(id(f.name)) name=(f.name) value=(typed(f.name)) aria-invalid=[bad.then_some("true")];,
                            Input::Check => input type="checkbox" id=(id(f.name)) name=(f.name) checked[!typed(f.name).is_empty()];,
                            Input::Verdict { yes, no } => select id=(id(f.name)) name=(f.name) aria-invalid=[bad.then_some("true")] {
                                option value="" { (w::PICK.get(lang)) }
                                option value="yes" selected[typed(f.name) == "yes"] { (yes.get(lang)) }
                                option value="no" selected[typed(f.name) == "no"] { (no.get(lang)) }
                            },
                            Input::Unit => select id=(id(f.name)) name=(f.name) aria-invalid=[bad.then_some("true")] {
                                option value="" { (w::PICK.get(lang)) }
                                @for u in topology.units() {
                                    @let code = u.code.to_string();
                                    option value=(code) selected[typed(f.name) == code] { (u.name) " " (code) }
                                }
                            },
                            Input::Choice(choices) => select id=(id(f.name)) name=(f.name) aria-invalid=[bad.then_some("true")] {
                                @for (code, label) in choices {
                                    option value=(code) selected[&typed(f.name) == code] { (label.get(lang)) }
                                }
                            },
                        }
                        @if bad {
                            @if let Some(r) = mine {
                                p.error role="alert" id=(id(&format!("{}-error", f.name))) { (f.label.get(lang)) "：" (r.message) }
                            }
                        }
                    }
                }
                button type="submit" { (labels::step(step).get(lang)) }
            }
        }
    }
}

fn render(c: &Console, s: &Session, f: &File, shown: &Shown, refused: Refusals) -> Markup {
    let Refusals {
        step: refusal,
        notice: notice_refusal,
        reception: reception_refusal,
    } = refused;
    let lang = s.lang;
    let (v, offered) = (&f.view, &f.offered);
    let title = format!("{} {}", w::CASE_FILE.get(lang), v.case_no);
    let done = shown.done.as_deref().and_then(Step::from_kind);
    let body = html! {
        h1 { (w::CASE_FILE.get(lang)) " " span #case-no { (v.case_no) } }
        @if shown.registered.is_some() {
            p.notice role="status" id="registered" {
                (w::REGISTERED.get(lang)) " " (v.case_no) " "
                // Shown by the script; without it the browser's own Print does the same.
                button type="button" data-print hidden { (w::PRINT.get(lang)) }
            }
        }
        @if let Some(doc) = &shown.issued {
            p.notice role="status" id="issued" { (w::ISSUED.get(lang)) "：" (doc) }
        }
        @if let Some(code) = &shown.query_code {
            p.notice role="status" id="query-code" {
                (w::QUERY_CODE.get(lang)) " " strong #query-code-value { (code) }
                " " (w::QUERY_CODE_ONCE.get(lang))
                // The receipt with the code on it, for the petitioner to take away.
                form.inline method="post" action=(format!("/case/{}/receipt", v.case_no)) {
                    (page::csrf(s))
                    input type="hidden" name="query_code" value=(code);
                    button type="submit" { (w::PRINT_RECEIPT.get(lang)) }
                }
            }
        }
        @if let Some(step) = done {
            p.notice role="status" id="done" { (w::DONE.get(lang)) "：" (labels::step(step).get(lang)) }
        }
        (facts(lang, v))
        @if !v.closure_blockers.is_empty() {
            section aria-labelledby="blockers-h" {
                h2 id="blockers-h" { (w::BLOCKERS.get(lang)) }
                ul #blockers { @for b in &v.closure_blockers { li { (b) } } }
            }
        }
        section aria-labelledby="history-h" {
            h2 id="history-h" { (w::HISTORY.get(lang)) }
            (timeline(lang, v))
        }
        (notices::section(s, &v.case_no, &f.issued, notice_refusal.as_ref()))
        (receptions::section(c, s, &v.case_no, &f.receptions, reception_refusal.as_ref()))
        section aria-labelledby="actions-h" #actions {
            h2 id="actions-h" { (w::ACTIONS.get(lang)) }
            @if offered.is_empty() {
                p.hint { (w::NO_ACTIONS.get(lang)) }
            }
            @for step in offered {
                (step_form(c, s, v, *step, refusal.as_ref()))
            }
        }
    };
    page::shell(c, s, Nav::Other, &title, body)
}
