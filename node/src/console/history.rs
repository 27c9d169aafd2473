//! 信访人查询: every case of one petitioner this node holds, across its subtree,
//! found by identity number or phone through the federation's keyed hash, with
//! repeats linked to the cases they repeat. The numbers are posted in a form
//! (never put in an address, where history and logs would keep them), and the
//! case service audits each search.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use xinfang_proto::v1 as pb;

use super::Console;
use super::page::{self, Nav};
use super::session::{CSRF_FIELD, Session};
use super::words as w;
use crate::case::labels;
use crate::case::service::ListQuery;
use crate::error::NodeError;
use crate::labels::Lang;

/// At most this many cases are shown for one person.
const SHOWN: u32 = 500;

/// The search form.
pub async fn form(
    State(c): State<Console>,
    Extension(lang): Extension<Lang>,
    headers: HeaderMap,
) -> Response {
    match c.session(&headers, lang).await {
        Ok(s) => render(&c, &s, &Typed::default(), None, None).into_response(),
        Err(r) => r.reply(lang, true),
    }
}

/// The search: the cases found, or the form with the refusal beside the field.
pub async fn search(
    State(c): State<Console>,
    Extension(lang): Extension<Lang>,
    headers: HeaderMap,
    Form(mut typed): Form<HashMap<String, String>>,
) -> Response {
    let csrf = typed.remove(CSRF_FIELD);
    let s = match c
        .posted(&headers, lang, csrf.as_deref(), "petitioner history")
        .await
    {
        Ok(s) => s,
        Err(r) => return r.reply(lang, false),
    };
    let t = Typed {
        id_number: typed.remove("id_number").unwrap_or_default(),
        phone: typed.remove("phone").unwrap_or_default(),
    };
    if t.id_number.trim().is_empty() && t.phone.trim().is_empty() {
        let ask = w::HISTORY_ASK.get(lang);
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            render(&c, &s, &t, None, Some(("id_number", ask))),
        )
            .into_response();
    }
    let query = ListQuery {
        limit: SHOWN,
        id_number: t.id_number.clone(),
        phone: t.phone.clone(),
        ..ListQuery::default()
    };
    match c.cases().list(&s.who, &query, lang).await {
        Ok(found) => render(&c, &s, &t, Some(&found), None).into_response(),
        Err(NodeError::Invalid { field, rule }) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            render(&c, &s, &t, None, Some((field, rule.get(lang)))),
        )
            .into_response(),
        Err(e) => super::reply::Refused::from(e).reply(lang, false),
    }
}

/// What was typed, kept on the page.
#[derive(Default)]
struct Typed {
    id_number: String,
    phone: String,
}

fn render(
    c: &Console,
    s: &Session,
    typed: &Typed,
    found: Option<&[pb::CaseView]>,
    problem: Option<(&str, &str)>,
) -> Markup {
    let lang = s.lang;
    let title = w::PETITIONER_HISTORY.get(lang);
    let body = html! {
        h1 { (title) }
        p.hint { (w::HISTORY_HINT.get(lang)) }
        form.filters method="post" action="/history" role="search" {
            (page::csrf(s))
            (field(lang, "id_number", &typed.id_number, 18, problem))
            (field(lang, "phone", &typed.phone, 20, problem))
            button type="submit" { (w::HISTORY_SEARCH.get(lang)) }
        }
        @if let Some(rows) = found {
            h2 id="history-h" { (w::HISTORY_FOUND.get(lang)) " (" (rows.len()) ")" }
            (table(lang, rows))
        }
    };
    page::shell(c, s, Nav::History, title, body)
}

/// A labelled input, its error (if it is this field's) beside it.
fn field(lang: Lang, name: &str, value: &str, max: u32, problem: Option<(&str, &str)>) -> Markup {
    let label = labels::registration_field(name)
        .map(|l| l.get(lang))
        .unwrap_or_default();
    let error = problem.filter(|(f, _)| *f == name).map(|(_, m)| m);
    let error_id = format!("{name}-error");
    html! {
        div.field {
            label for=(name) { (label) }
            input type="text" id=(name) name=(name) value=(value)
                autocomplete="off" maxlength=(max)
                aria-invalid=[error.map(|_| "true")]
                aria-describedby=[error.map(|_| error_id.as_str())];
            @if let Some(m) = error {
                p.error id=(error_id) role="alert" { (label) "：" (m) }
            }
        }
    }
}

fn table(lang: Lang, rows: &[pb::CaseView]) -> Markup {
    if rows.is_empty() {
        return html! { p.hint id="history-cases" { (w::NONE.get(lang)) } };
    }
    let field = |name: &str| {
        labels::registration_field(name)
            .map(|l| l.get(lang))
            .unwrap_or_default()
    };
    html! {
        table id="history-cases" {
            thead { tr {
                th scope="col" { (w::CASE_NO.get(lang)) }
                th scope="col" { (field("petitioner")) }
                th scope="col" { (w::REGISTERED_ON.get(lang)) }
                th scope="col" { (w::REGISTERED_AT.get(lang)) }
                th scope="col" { (field("category")) }
                th scope="col" { (w::STATUS.get(lang)) }
                th scope="col" { (w::HANDLING_UNIT.get(lang)) }
                th scope="col" { (w::REPEAT_OF.get(lang)) }
            } }
            tbody {
                @for r in rows {
                    tr data-case=(r.case_no) {
                        td { a href=(format!("/case/{}", r.case_no)) { (r.case_no) } }
                        td { (r.petitioner) }
                        td { (page::local_time(&r.registered_at)) }
                        td { (r.unit_name) }
                        td { (r.category_label) }
                        td { (r.status_label) }
                        td { (r.handling_unit_name) }
                        td.repeat {
                            @if !r.repeat_of.is_empty() {
                                a href=(format!("/case/{}", r.repeat_of)) { (r.repeat_of) }
                            }
                        }
                    }
                }
            }
        }
    }
}
