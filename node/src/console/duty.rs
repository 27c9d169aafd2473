//! 值班安排表: the unit's duty rosters for rest days and holidays of a year, and
//! one span's roster: while it is a draft (and the roles allow editing) a form of
//! the calendar's rest days, each with its duty leader from the roster and a
//! phone; then approval (which files it upward) and publication. Every check is
//! `ScheduleService`'s; a refusal comes back above the form with what was typed.

use std::collections::BTreeMap;

use axum::Form;
use axum::extract::{Extension, Path, Query, State};
use axum::http::header::LOCATION;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;
use xinfang_proto::v1 as pb;

use super::Console;
use super::page::{self, Nav};
use super::refused::told;
use super::reply::Refused;
use super::session::{CSRF_FIELD, Session};
use crate::auth::{Action, any_allowed};
use crate::error::NodeError;
use crate::labels::{Label, Lang};
use crate::schedule::duty::DutySpan;
use crate::schedule::labels;

/// A state's label in the page's language (the service answers codes).
fn state_label(code: &str, lang: Lang) -> String {
    labels::state_of_code(code).map_or_else(|| code.to_owned(), |l| l.get(lang).to_owned())
}

fn span_label(span: &str, zh: &str, lang: Lang) -> String {
    DutySpan::label_of(span, lang).unwrap_or_else(|| zh.to_owned())
}

// The words of this page alone (and of the link to it from the schedules page).
pub const LINK: Label = Label::new(
    "双休日节假日值班安排表",
    "Rest-day and holiday duty rosters",
);
const TITLE: Label = Label::new("值班安排表", "Duty rosters");
const SPAN: Label = Label::new(
    "时段（月份如 2026-10，或节日如 2026 国庆节）",
    "Span (a month such as 2026-10, or a holiday such as 2026 国庆节)",
);
const YEAR: Label = Label::new("年度", "Year");
const SHOW: Label = Label::new("查看", "Show");
const ROSTERS_OF_YEAR: Label = Label::new("本年度值班安排表", "This year's duty rosters");
const NONE_YET: Label = Label::new("本年度尚无值班安排表", "No duty roster this year yet");
const STATE: Label = Label::new("状态", "State");
const DAYS: Label = Label::new("值班天数", "Days");
const UNCOVERED: Label = Label::new("未排班休息日", "Rest days without a leader");
const PUBLISHED: Label = Label::new("公布时间", "Published");
const DATE: Label = Label::new("日期", "Date");
const LEADER: Label = Label::new("值班领导", "Duty leader");
const PHONE: Label = Label::new("联系电话", "Phone");
const SAVE: Label = Label::new("保存草稿", "Save draft");
const APPROVE: Label = Label::new("主要领导审定并报备", "Approve and file");
const PUBLISH: Label = Label::new("公布", "Publish");
const DONE: Label = Label::new("已保存", "Saved");
const BELOW: Label = Label::new("下级单位报备情况", "Filings of the units below");
const UNIT: Label = Label::new("单位", "Unit");
const FILED: Label = Label::new("报备", "Filed");
const RECEIVED: Label = Label::new("收到时间", "Received");
const YES: Label = Label::new("已报备", "filed");
const NO: Label = Label::new("未报备", "missing");
const REFUSED: Label = Label::new("未保存", "Not saved");

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Ask {
    span: String,
    year: String,
    done: String,
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
    let shown = Shown {
        done: !ask.done.is_empty(),
        ..Default::default()
    };
    match render(&c, &s, &ask.span, &ask.year, shown).await {
        Ok(m) => m.into_response(),
        Err(e) => Refused::from(e).reply(lang, true),
    }
}

/// What a page shows besides what the service answers.
#[derive(Default)]
struct Shown {
    done: bool,
    /// The days as typed (date → leader, phone) after a refused save.
    typed: Option<BTreeMap<String, (String, String)>>,
    problem: Option<String>,
}

async fn render(
    c: &Console,
    s: &Session,
    span: &str,
    year: &str,
    shown: Shown,
) -> Result<Markup, NodeError> {
    let lang = s.lang;
    let svc = c.schedules();
    let me = svc.own_code().to_string();
    let may = |a: Action| any_allowed(&s.who.roles, a);
    let span = span.trim();
    let year_n: i32 = year
        .trim()
        .parse()
        .ok()
        .or_else(|| span.get(..4).and_then(|y| y.parse().ok()))
        .unwrap_or_default();
    let list = svc
        .list_duty(
            &s.who,
            pb::DutyListRequest {
                unit: me.clone(),
                year: year_n,
            },
        )
        .await?;
    let req = pb::DutySpanRequest {
        unit: me.clone(),
        span: span.to_owned(),
    };
    // The span's rest days and roster, when one is asked for.
    let (days, view, span_problem) = if span.is_empty() {
        (None, None, None)
    } else {
        match svc.duty_days(&s.who, req.clone()).await {
            Ok(d) => {
                let view = match svc.get_duty(&s.who, req.clone()).await {
                    Ok(v) => Some(v),
                    Err(NodeError::NotFound(_)) => None,
                    Err(e) => return Err(e),
                };
                (Some(d), view, None)
            }
            Err(e @ (NodeError::Invalid { .. } | NodeError::Rule { .. })) => {
                (None, None, Some(told(&e, s.lang)))
            }
            Err(e) => return Err(e),
        }
    };
    // At a superior: which units below filed this span's roster, and when.
    let board = match &days {
        Some(_) => Some(svc.duty_board(&s.who, req.clone()).await?).filter(|b| !b.rows.is_empty()),
        None => None,
    };
    let state = view.as_ref().map_or("none", |v| v.state.as_str());
    let editable = matches!(state, "none" | "draft") && may(Action::EditSchedule);
    let roster = svc.get_roster(&s.who, &me).await?.leaders;
    let typed: BTreeMap<String, (String, String)> = shown.typed.clone().unwrap_or_else(|| {
        view.iter()
            .flat_map(|v| &v.days)
            .filter_map(|d| {
                d.leaders
                    .first()
                    .map(|l| (d.date.clone(), (l.name.clone(), l.phone.clone())))
            })
            .collect()
    });
    let title = TITLE.get(lang);
    let body = html! {
        h1 { (title) @if let Some(d) = &days { " · " (span_label(&d.span, &d.span_label, lang)) } }
        form.filters method="get" action="/duty" {
            div {
                label for="span" { (SPAN.get(lang)) } br;
                input type="text" id="span" name="span" value=(span);
            }
            div {
                label for="year" { (YEAR.get(lang)) } br;
                input type="number" id="year" name="year" value=(if year_n > 0 { year_n.to_string() } else { String::new() });
            }
            button type="submit" { (SHOW.get(lang)) }
        }
        @if shown.done { p.notice #done role="status" { (DONE.get(lang)) } }
        @if let Some(p) = span_problem.as_ref().or(shown.problem.as_ref()) {
            p.error #problem role="alert" { (REFUSED.get(lang)) "：" (p) }
        }
        @if let Some(d) = &days {
            dl.facts {
                dt { (STATE.get(lang)) }
                dd #state data-state=(state) {
                    (view.as_ref().map_or_else(|| "—".to_owned(), |v| state_label(&v.state, lang)))
                }
                @if let Some(v) = &view {
                    @if !v.uncovered.is_empty() {
                        dt { (UNCOVERED.get(lang)) } dd #uncovered { (v.uncovered.join("、")) }
                    }
                    @if !v.published_at.is_empty() {
                        dt { (PUBLISHED.get(lang)) } dd #published { (page::local_time(&v.published_at)) }
                    }
                }
            }
            @if editable {
                form #duty-draft method="post" action="/duty/draft" {
                    (page::csrf(s))
                    input type="hidden" name="span" value=(span);
                    table #duty-days {
                        thead { tr {
                            th scope="col" { (DATE.get(lang)) }
                            th scope="col" { (LEADER.get(lang)) }
                            th scope="col" { (PHONE.get(lang)) }
                        } }
                        tbody {
                            @for date in &d.dates {
                                @let (chosen, phone) = typed.get(date).cloned().unwrap_or_default();
                                tr data-date=(date) {
                                    td.nowrap { label for={"leader-" (date)} { (date) } }
                                    td {
                                        select id={"leader-" (date)} name={"leader-" (date)} {
                                            option value="" { "—" }
                                            @for l in roster.iter().filter(|l| l.active) {
                                                option value=(l.name) selected[l.name == chosen] { (l.name) " · " (l.position) }
                                            }
                                        }
                                    }
                                    td { input type="tel" name={"phone-" (date)} value=(phone) aria-label=(PHONE.get(lang)); }
                                }
                            }
                        }
                    }
                    button type="submit" { (SAVE.get(lang)) }
                }
            } @else if let Some(v) = &view {
                (days_table(lang, v))
            }
            @if state == "draft" && may(Action::ApproveSchedule) {
                (step_form(s, span, "approve", APPROVE.get(lang)))
            }
            @if state == "approved" && may(Action::PublishSchedule) {
                (step_form(s, span, "publish", PUBLISH.get(lang)))
            }
        }
        @if let Some(b) = &board {
            h2 { (BELOW.get(lang)) }
            table #duty-board {
                thead { tr {
                    th scope="col" { (UNIT.get(lang)) }
                    th scope="col" { (FILED.get(lang)) }
                    th scope="col" { (RECEIVED.get(lang)) }
                    th scope="col" { (PUBLISHED.get(lang)) }
                } }
                tbody {
                    @for r in &b.rows {
                        tr data-unit=(r.unit) data-filed=(r.filed) {
                            td { (r.unit_name) }
                            td { (if r.filed { YES.get(lang) } else { NO.get(lang) }) }
                            td { (if r.received_at.is_empty() { "—".to_owned() } else { page::local_time(&r.received_at) }) }
                            td { (if r.published_at.is_empty() { "—".to_owned() } else { page::local_time(&r.published_at) }) }
                        }
                    }
                }
            }
        }
        h2 { (ROSTERS_OF_YEAR.get(lang)) }
        @if list.rosters.is_empty() {
            p #no-rosters { (NONE_YET.get(lang)) }
        } @else {
            table #duty-rosters {
                thead { tr {
                    th scope="col" { (SPAN.get(lang)) }
                    th scope="col" { (STATE.get(lang)) }
                    th scope="col" { (DAYS.get(lang)) }
                    th scope="col" { (UNCOVERED.get(lang)) }
                    th scope="col" { (PUBLISHED.get(lang)) }
                } }
                tbody {
                    @for r in &list.rosters {
                        tr data-span=(r.span) data-state=(r.state) {
                            td { a href={"/duty?span=" (r.span)} { (span_label(&r.span, &r.span_label, lang)) } }
                            td { (state_label(&r.state, lang)) }
                            td { (r.days.len()) }
                            td { (r.uncovered.len()) }
                            td { (if r.published_at.is_empty() { "—".to_owned() } else { page::local_time(&r.published_at) }) }
                        }
                    }
                }
            }
        }
    };
    Ok(page::shell(c, s, Nav::Schedules, title, body))
}

fn days_table(lang: Lang, v: &pb::DutyRosterView) -> Markup {
    html! {
        table #duty-days {
            thead { tr {
                th scope="col" { (DATE.get(lang)) }
                th scope="col" { (LEADER.get(lang)) }
                th scope="col" { (PHONE.get(lang)) }
            } }
            tbody {
                @for d in &v.days {
                    @for l in &d.leaders {
                        tr data-date=(d.date) {
                            td.nowrap { (d.date) }
                            td { (l.name) @if !l.position.is_empty() { " · " (l.position) } }
                            td { (l.phone) }
                        }
                    }
                }
            }
        }
    }
}

fn step_form(s: &Session, span: &str, step: &str, label: &str) -> Markup {
    html! {
        form.step data-step=(step) method="post" action={"/duty/step/" (step)} {
            (page::csrf(s))
            input type="hidden" name="span" value=(span);
            button type="submit" { (label) }
        }
    }
}

/// The draft form's fields: the span, and per rest day `leader-DATE`, `phone-DATE`.
fn typed_days(fields: &[(String, String)]) -> BTreeMap<String, (String, String)> {
    let mut out: BTreeMap<String, (String, String)> = BTreeMap::new();
    for (k, v) in fields {
        if let Some(date) = k.strip_prefix("leader-") {
            out.entry(date.to_owned()).or_default().0 = v.trim().to_owned();
        } else if let Some(date) = k.strip_prefix("phone-") {
            out.entry(date.to_owned()).or_default().1 = v.trim().to_owned();
        }
    }
    out
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

pub async fn draft(
    State(c): State<Console>,
    Extension(lang): Extension<Lang>,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let span = field(&fields, "span").unwrap_or_default().trim().to_owned();
    let s = match c
        .posted(
            &headers,
            lang,
            field(&fields, CSRF_FIELD),
            &format!("duty {span} draft"),
        )
        .await
    {
        Ok(s) => s,
        Err(r) => return r.reply(lang, false),
    };
    let typed = typed_days(&fields);
    let days = typed
        .iter()
        .filter(|(_, (leader, _))| !leader.is_empty())
        .map(|(date, (leader, phone))| pb::DutyDay {
            date: date.clone(),
            leaders: vec![pb::DutyLeader {
                name: leader.clone(),
                phone: phone.clone(),
                ..Default::default()
            }],
        })
        .collect();
    let req = pb::DutyDraftRequest {
        unit: c.schedules().own_code().to_string(),
        span: span.clone(),
        days,
    };
    match c.schedules().draft_duty(&s.who, req).await {
        Ok(v) => done(&v.span),
        Err(e) => refused(&c, &s, &span, e, Some(typed)).await,
    }
}

pub async fn step(
    State(c): State<Console>,
    Extension(lang): Extension<Lang>,
    headers: HeaderMap,
    Path(step): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let span = field(&fields, "span").unwrap_or_default().trim().to_owned();
    let s = match c
        .posted(
            &headers,
            lang,
            field(&fields, CSRF_FIELD),
            &format!("duty {span} {step}"),
        )
        .await
    {
        Ok(s) => s,
        Err(r) => return r.reply(lang, false),
    };
    let unit = c.schedules().own_code().to_string();
    let result = match step.as_str() {
        "approve" => {
            let req = pb::DutyDecisionRequest {
                unit,
                span: span.clone(),
                by: String::new(),
            };
            c.schedules().approve_duty(&s.who, req).await
        }
        "publish" => {
            let req = pb::DutySpanRequest {
                unit,
                span: span.clone(),
            };
            c.schedules().publish_duty(&s.who, req).await
        }
        _ => return Refused::NotFound(format!("no step {step:?}")).reply(lang, false),
    };
    match result {
        Ok(v) => done(&v.span),
        Err(e) => refused(&c, &s, &span, e, None).await,
    }
}

fn done(span: &str) -> Response {
    (
        StatusCode::SEE_OTHER,
        [(LOCATION, format!("/duty?span={span}&done=1"))],
    )
        .into_response()
}

/// A refusal of the input shown above the form with what was typed; any other
/// error as the refusal page.
async fn refused(
    c: &Console,
    s: &Session,
    span: &str,
    e: NodeError,
    typed: Option<BTreeMap<String, (String, String)>>,
) -> Response {
    let lang = s.lang;
    if !matches!(e, NodeError::Invalid { .. } | NodeError::Rule { .. }) {
        return Refused::from(e).reply(lang, false);
    }
    let shown = Shown {
        typed,
        problem: Some(told(&e, lang)),
        ..Default::default()
    };
    match render(c, s, span, "", shown).await {
        Ok(m) => (StatusCode::UNPROCESSABLE_ENTITY, m).into_response(),
        Err(e) => Refused::from(e).reply(lang, false),
    }
}
