//! 登记: the registration form with the ledger's elements. The case service
//! checks everything; a refusal comes back as the form with every value kept and
//! the error beside the field it names. Before saving, what the petition matches
//! (重复信访, 越级访: `CaseService::earlier_cases`) is shown and the registrar
//! confirms; the identity number is checked as it is typed
//! (`CaseService::check_id_number`, asked by the page's script).

use axum::Form;
use axum::extract::{Extension, Query, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;
use xinfang_proto::v1 as pb;

use super::Console;
use super::page::{self, Nav};
use super::session::Session;
use super::words as w;
use crate::case::labels::{self, CHANNELS};
use crate::case::service::EarlierCases;
use crate::error::NodeError;
use crate::labels::Lang;

/// The form as typed (every field kept to show it again).
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct Typed {
    csrf: Option<String>,
    petitioner: String,
    id_number: String,
    phone: String,
    address: String,
    representatives: String,
    head_count: String,
    channel: String,
    purpose: String,
    category: String,
    subcategory: String,
    content: String,
    cause: String,
    place: String,
    receiving_leader: String,
    responsible_unit: String,
    /// The matches the registrar was shown and confirmed (`repeat|skip-level`
    /// case numbers): the registration is saved only if they are still what
    /// the petition matches.
    confirmed: String,
}

/// The matches as the confirmation field carries them.
fn fingerprint(m: &EarlierCases) -> String {
    format!(
        "{}|{}",
        m.repeat_of.as_deref().unwrap_or_default(),
        m.skip_level_of.as_deref().unwrap_or_default()
    )
}

/// A refusal to show: beside the field it names, or above the form.
struct Problem {
    field: Option<String>,
    message: String,
}

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

pub async fn submit(
    State(c): State<Console>,
    Extension(lang): Extension<Lang>,
    headers: HeaderMap,
    Form(t): Form<Typed>,
) -> Response {
    let s = match c
        .posted(&headers, lang, t.csrf.as_deref(), "register")
        .await
    {
        Ok(s) => s,
        Err(r) => return r.reply(lang, false),
    };
    let head_count = match t.head_count.trim() {
        "" => 0,
        n => match n.parse::<u32>() {
            Ok(n) => n,
            Err(_) => {
                let p = Problem {
                    field: Some("head_count".into()),
                    message: format!("{n:?} is not a whole number"),
                };
                return (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    render(&c, &s, &t, Some(p), None),
                )
                    .into_response();
            }
        },
    };
    let (me, _) = c.cases().hub_topology();
    let req = pb::RegisterCaseRequest {
        unit: me.to_string(),
        petitioner: t.petitioner.clone(),
        content: t.content.clone(),
        id_number: t.id_number.clone(),
        phone: t.phone.clone(),
        address: t.address.clone(),
        channel: t.channel.clone(),
        purpose: t.purpose.clone(),
        category: t.category.clone(),
        subcategory: t.subcategory.clone(),
        place: t.place.clone(),
        cause: t.cause.clone(),
        receiving_leader: t.receiving_leader.clone(),
        responsible_unit: t.responsible_unit.clone(),
        representatives: t
            .representatives
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect(),
        head_count,
        ..Default::default()
    };
    // What it matches, shown before saving until the registrar has confirmed
    // exactly these matches.
    let shown = match c.cases().earlier_cases(&s.who, &req).await {
        Ok(m) if m.any() && t.confirmed != fingerprint(&m) => Some(m),
        Ok(_) => None,
        Err(e) => return refused(&c, &s, &t, e),
    };
    if let Some(m) = shown {
        return render(&c, &s, &t, None, Some(&m)).into_response();
    }
    match c.cases().register(&s.who, req, lang).await {
        // The case file itself, not a redirect: the query code is shown in this
        // answer only, never in an address.
        Ok(view) => super::case_file::registered(&c, &s, &view.case_no, view.query_code).await,
        Err(e) => refused(&c, &s, &t, e),
    }
}

/// The form again after the service refused it: beside the field it names, or
/// above the form for a rule; anything else as a page.
fn refused(c: &Console, s: &Session, t: &Typed, e: NodeError) -> Response {
    let p = match e {
        NodeError::Invalid { field, rule } => Problem {
            field: Some(field.to_owned()),
            message: rule.get(s.lang).to_owned(),
        },
        e @ NodeError::Rule { .. } => Problem {
            field: None,
            message: super::refused::told(&e, s.lang),
        },
        e => return super::reply::Refused::from(e).reply(s.lang, false),
    };
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        render(c, s, t, Some(p), None),
    )
        .into_response()
}

#[derive(Deserialize)]
pub struct IdTyped {
    #[serde(default)]
    value: String,
}

/// The identity number as typed, checked by the service's rule: an empty
/// answer when it holds, else the field's name and what is wrong (for the
/// page's script to show beside the field).
pub async fn check_id(
    State(c): State<Console>,
    Extension(lang): Extension<Lang>,
    headers: HeaderMap,
    Query(q): Query<IdTyped>,
) -> Response {
    let s = match c.session(&headers, lang).await {
        Ok(s) => s,
        Err(r) => return r.reply(lang, false),
    };
    let plain = [(CONTENT_TYPE, "text/plain; charset=utf-8")];
    match c.cases().check_id_number(&s.who, &q.value).await {
        Ok(()) => (plain, String::new()).into_response(),
        Err(NodeError::Invalid { field, rule }) => {
            (plain, format!("{}：{}", label(field, lang), rule.get(lang))).into_response()
        }
        Err(e) => super::reply::Refused::from(e).reply(lang, false),
    }
}

fn label(name: &str, lang: Lang) -> &'static str {
    labels::registration_field(name)
        .map(|l| l.get(lang))
        .unwrap_or("")
}

/// One labelled field: the label tied to its input, the error (if it is this
/// field's) right after it and named by the input.
fn field(name: &str, lang: Lang, problem: Option<&Problem>, input: Markup) -> Markup {
    let error = problem.filter(|p| p.field.as_deref() == Some(name));
    html! {
        div.field {
            label for=(name) { (label(name, lang)) }
            (input)
            @if let Some(p) = error {
                p.error id=(format!("{name}-error")) role="alert" {
                    (label(name, lang)) "：" (p.message)
                }
            }
        }
    }
}

fn text(name: &str, value: &str, problem: Option<&Problem>, required: bool) -> Markup {
    let bad = problem.is_some_and(|p| p.field.as_deref() == Some(name));
    html! {
        input type="text" id=(name) name=(name) value=(value) required[required]
            aria-invalid=[bad.then_some("true")]
            aria-describedby=[bad.then(|| format!("{name}-error"))];
    }
}

/// What the petition matches, for the registrar to confirm before saving.
fn matches(lang: Lang, m: &EarlierCases) -> Markup {
    html! {
        section.notice role="alert" id="matches" aria-labelledby="matches-h" {
            h2 id="matches-h" { (w::MATCHES_FOUND.get(lang)) }
            ul {
                @if let Some(no) = &m.repeat_of {
                    li #repeat-match { (w::REPEAT_OF.get(lang)) " " a href=(format!("/case/{no}")) { (no) } }
                }
                @if let Some(no) = &m.skip_level_of {
                    li #skip-level-match { (w::SKIP_LEVEL_OF.get(lang)) " " a href=(format!("/case/{no}")) { (no) } }
                }
            }
            p { (w::CONFIRM_HINT.get(lang)) }
        }
    }
}

fn render(
    c: &Console,
    s: &Session,
    t: &Typed,
    problem: Option<Problem>,
    found: Option<&EarlierCases>,
) -> Markup {
    let lang = s.lang;
    let p = problem.as_ref();
    let taxonomy = c.cases().taxonomy();
    let (_, topology) = c.cases().hub_topology();
    let units: Vec<(String, String)> = topology
        .units()
        .map(|u| (u.code.to_string(), u.name.clone()))
        .collect();
    let unit_select = |name: &str, value: &str| {
        html! {
            select id=(name) name=(name) {
                option value="" { (w::PICK.get(lang)) }
                @for (code, uname) in &units {
                    option value=(code) selected[value == code] { (uname) " " (code) }
                }
            }
        }
    };
    let title = w::REGISTER_TITLE.get(lang);
    let body = html! {
        h1 { (title) }
        @if let Some(pr) = p {
            p.notice.bad role="alert" id="form-error" {
                (w::FIX_BELOW.get(lang))
                @if pr.field.as_deref().and_then(labels::registration_field).is_none() { " " (pr.message) }
            }
        }
        @if let Some(m) = found { (matches(lang, m)) }
        form method="post" action="/register" novalidate {
            (page::csrf(s))
            @if let Some(m) = found {
                input type="hidden" name="confirmed" value=(fingerprint(m));
            }
            (field("petitioner", lang, p, text("petitioner", &t.petitioner, p, true)))
            (field("id_number", lang, p, html! {
                (text("id_number", &t.id_number, p, false))
                // Filled by the script as the number is typed (the service's check).
                span.error id="id_number-check" role="status" aria-live="polite" data-check-id="/register/id-number" {}
            }))
            (field("phone", lang, p, text("phone", &t.phone, p, false)))
            (field("address", lang, p, text("address", &t.address, p, false)))
            (field("representatives", lang, p, html! {
                textarea id="representatives" name="representatives" rows="3"
                    aria-describedby="representatives-hint" { (t.representatives) }
                span.hint id="representatives-hint" { (w::ONE_PER_LINE.get(lang)) }
            }))
            (field("head_count", lang, p, html! {
                input type="number" min="0" id="head_count" name="head_count" value=(t.head_count)
                    aria-invalid=[p.is_some_and(|p| p.field.as_deref() == Some("head_count")).then_some("true")];
            }))
            (field("channel", lang, p, html! {
                select id="channel" name="channel" {
                    @for ch in CHANNELS {
                        option value=(ch.code()) selected[t.channel == ch.code()] { (labels::channel(ch).get(lang)) }
                    }
                }
            }))
            (field("purpose", lang, p, html! {
                select id="purpose" name="purpose" {
                    option value="" { (w::PICK.get(lang)) }
                    @for e in &taxonomy.purpose {
                        option value=(e.code) selected[t.purpose == e.code] { (e.name) }
                    }
                }
            }))
            (field("category", lang, p, html! {
                select id="category" name="category" {
                    option value="" { (w::PICK.get(lang)) }
                    @for e in &taxonomy.category {
                        option value=(e.code) selected[t.category == e.code] { (e.name) }
                    }
                }
            }))
            (field("subcategory", lang, p, html! {
                select id="subcategory" name="subcategory" {
                    option value="" { (w::PICK.get(lang)) }
                    @for e in &taxonomy.category {
                        optgroup label=(e.name) data-category=(e.code) {
                            @for sub in &e.subcategories {
                                option value=(sub) selected[t.category == e.code && &t.subcategory == sub] { (sub) }
                            }
                        }
                    }
                }
            }))
            (field("content", lang, p, html! {
                textarea id="content" name="content" rows="4" required
                    aria-invalid=[p.is_some_and(|p| p.field.as_deref() == Some("content")).then_some("true")] { (t.content) }
            }))
            (field("cause", lang, p, text("cause", &t.cause, p, false)))
            (field("place", lang, p, unit_select("place", &t.place)))
            (field("receiving_leader", lang, p, text("receiving_leader", &t.receiving_leader, p, false)))
            (field("responsible_unit", lang, p, unit_select("responsible_unit", &t.responsible_unit)))
            button type="submit" {
                @if found.is_some() { (w::CONFIRM_SAVE.get(lang)) } @else { (w::SAVE.get(lang)) }
            }
        }
    };
    page::shell(c, s, Nav::Register, title, body)
}
