//! 追责建议 on the worklist: the accountability cases the node suggests from the
//! evidence it holds (a leader's repeated empty posts, filings missing, cases long
//! overdue), each for a person to confirm — choosing the form it takes — or to
//! dismiss with a reason. Nothing is recorded against anyone until they do; the
//! accountability service suggests, checks and records.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Extension, State};
use axum::http::header::LOCATION;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use xinfang_proto::v1 as pb;

use super::Console;
use super::page;
use super::reply::Refused;
use super::session::{CSRF_FIELD, Session};
use crate::auth::{Action, any_allowed};
use crate::labels::{Label, Lang};

const HEADING: Label = Label::new("追责建议", "Suggested accountability");
const UNIT: Label = Label::new("单位", "Unit");
const PEOPLE: Label = Label::new("责任人", "People");
const SITUATION: Label = Label::new("情形", "Situation");
const EVIDENCE: Label = Label::new("依据", "Evidence");
const FORM: Label = Label::new("追责方式", "Form taken");
const CONFIRM: Label = Label::new("确认追责", "Confirm");
const NAMED: Label = Label::new(
    "责任人（领导姓名，以、分隔）",
    "People (leaders' names, separated by 、)",
);
const REASON: Label = Label::new("不予追责的理由", "Why not");
const DISMISS: Label = Label::new("不予追责", "Dismiss");

/// The worklist's section, for those who may record accountability (else empty).
pub async fn section(c: &Console, s: &Session) -> Result<Markup, Refused> {
    if !any_allowed(&s.who.roles, Action::RecordAccountability) {
        return Ok(html! {});
    }
    let lang = s.lang;
    let list = c.accountability().suggest(&s.who, lang).await?;
    let forms = c.accountability().situations(&s.who, lang).await?.forms;
    Ok(html! {
        section aria-labelledby="suggestions-h" #suggestions {
            h2 id="suggestions-h" { (HEADING.get(lang)) " (" (list.suggestions.len()) ")" }
            @for (i, sg) in list.suggestions.iter().enumerate() {
                article.suggestion data-key=(sg.key) {
                    dl.facts {
                        dt { (UNIT.get(lang)) } dd { (sg.unit_name) }
                        dt { (SITUATION.get(lang)) } dd { (sg.situation_label) }
                        @if !sg.people.is_empty() { dt { (PEOPLE.get(lang)) } dd { (sg.people.join("、")) } }
                        dt { (EVIDENCE.get(lang)) }
                        dd { ul { @for e in &sg.evidence { li { (e.text) } } } (sg.reason) }
                    }
                    form.inline method="post" action="/accountability/confirm" {
                        (page::csrf(s))
                        input type="hidden" name="key" value=(sg.key);
                        label for=(format!("suggestion-{i}-form")) { (FORM.get(lang)) }
                        select id=(format!("suggestion-{i}-form")) name="form" {
                            @for f in &forms { option value=(f.code) { (f.label) } }
                        }
                        @if sg.people.is_empty() {
                            label for=(format!("suggestion-{i}-people")) { (NAMED.get(lang)) }
                            input type="text" id=(format!("suggestion-{i}-people")) name="people";
                        }
                        button type="submit" { (CONFIRM.get(lang)) }
                    }
                    form.inline method="post" action="/accountability/dismiss" {
                        (page::csrf(s))
                        input type="hidden" name="key" value=(sg.key);
                        label for=(format!("suggestion-{i}-reason")) { (REASON.get(lang)) }
                        input type="text" id=(format!("suggestion-{i}-reason")) name="reason";
                        button type="submit" { (DISMISS.get(lang)) }
                    }
                }
            }
        }
    })
}

fn done(what: &str) -> Response {
    (
        StatusCode::SEE_OTHER,
        [(LOCATION, format!("/work?done={what}"))],
    )
        .into_response()
}

/// The session behind a posted form (its CSRF token checked) and the form's
/// fields by name (absent: empty), or the refusal to answer with.
async fn signed(
    c: &Console,
    lang: Lang,
    headers: &HeaderMap,
    mut typed: HashMap<String, String>,
    what: &str,
) -> Result<(Session, impl Fn(&str) -> String), Response> {
    let csrf = typed.remove(CSRF_FIELD);
    let s = c
        .posted(headers, lang, csrf.as_deref(), what)
        .await
        .map_err(|r| r.reply(lang, false))?;
    Ok((s, move |name: &str| {
        typed.get(name).cloned().unwrap_or_default()
    }))
}

/// Confirms a suggestion as an accountability case, with the form it takes.
pub async fn confirm(
    State(c): State<Console>,
    Extension(lang): Extension<Lang>,
    headers: HeaderMap,
    Form(typed): Form<HashMap<String, String>>,
) -> Response {
    let (s, field) = match signed(&c, lang, &headers, typed, "accountability confirm").await {
        Ok(x) => x,
        Err(r) => return r,
    };
    // Leaders of the unit by name, as the roster has them.
    let people = field("people")
        .split(['、', ',', '，'])
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| format!("leader:{n}"))
        .collect();
    let req = pb::ConfirmSuggestionRequest {
        key: field("key"),
        form: field("form"),
        people,
        ..Default::default()
    };
    match c.accountability().confirm(&s.who, req, lang).await {
        Ok(_) => done("accountability"),
        Err(e) => Refused::from(e).reply(lang, false),
    }
}

/// Dismisses a suggestion with its reason: it is not suggested again.
pub async fn dismiss(
    State(c): State<Console>,
    Extension(lang): Extension<Lang>,
    headers: HeaderMap,
    Form(typed): Form<HashMap<String, String>>,
) -> Response {
    let (s, field) = match signed(&c, lang, &headers, typed, "accountability dismiss").await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let req = pb::DismissSuggestionRequest {
        key: field("key"),
        reason: field("reason"),
    };
    match c.accountability().dismiss(&s.who, req).await {
        Ok(_) => done("dismissed"),
        Err(e) => Refused::from(e).reply(lang, false),
    }
}
