//! The month as an editable grid: a row a day, a box per leader on the roster,
//! the day's place, form, hours and topic. Sent whole to `ScheduleService::try_table`
//! (nothing saved: the rules' answer shown as typed, by the page's script or
//! the 检查 button) or `save_table` (the draft replaced). No rule is checked
//! here or in the script: the service answers.

use std::collections::{BTreeMap, BTreeSet};

use axum::Form;
use axum::extract::{Extension, State};
use axum::http::header::LOCATION;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, NaiveDate};
use maud::{Markup, html};
use xinfang_proto::v1 as pb;

use super::super::Console;
use super::super::page;
use super::super::reply::Refused;
use super::super::session::{CSRF_FIELD, Session};
use super::super::words as w;
use super::{Shown, load, render as render_page};
use crate::labels::{Label, Lang};
use crate::schedule::model::Month;
use crate::schedule::service::{DraftTable, Trial};

/// The header the page's script sends to get the rules' answer alone.
pub const FRAGMENT_HEADER: &str = "x-console-fragment";

/// One day of the grid as typed.
#[derive(Debug, Clone, Default)]
pub struct Row {
    leaders: BTreeSet<String>,
    place: String,
    form: String,
    /// The day's reception hours (接访时段), `HH:MM-HH:MM` or empty.
    time: String,
    topic: String,
    non_working_day: bool,
}

/// The grid as typed (every value kept to show it again).
#[derive(Debug, Clone, Default)]
pub struct Typed {
    month: String,
    /// The place of days whose own place is left empty.
    place: String,
    /// By date (YYYY-MM-DD, so in order).
    rows: BTreeMap<String, Row>,
}

impl Typed {
    /// The grid from a posted form: `on-DATE` once per leader ticked,
    /// `place-DATE`, `form-DATE`, `time-DATE`, `topic-DATE`, `nwd-DATE`; also the CSRF
    /// token and what was asked (`check` or `save`).
    fn from_pairs(pairs: Vec<(String, String)>) -> (Typed, Option<String>, String) {
        let mut t = Typed::default();
        let mut csrf = None;
        let mut intent = String::new();
        for (k, v) in pairs {
            match k.as_str() {
                CSRF_FIELD => csrf = Some(v),
                "intent" => intent = v,
                "month" => t.month = v.trim().to_owned(),
                "place" => t.place = v,
                _ => {
                    let Some((kind, date)) = k.split_once('-') else {
                        continue;
                    };
                    let row = t.rows.entry(date.to_owned()).or_default();
                    match kind {
                        "on" => {
                            row.leaders.insert(v);
                        }
                        "place" => row.place = v,
                        "form" => row.form = v,
                        "time" => row.time = v,
                        "topic" => row.topic = v,
                        "nwd" => row.non_working_day = true,
                        _ => {}
                    }
                }
            }
        }
        (t, csrf, intent)
    }

    /// The grid of a saved month (a day's place shown only where it differs
    /// from the month's most common one).
    pub fn from_view(month: &str, view: Option<&pb::ScheduleView>) -> Typed {
        let mut t = Typed {
            month: month.to_owned(),
            ..Default::default()
        };
        let Some(v) = view else {
            return t;
        };
        let mut places: BTreeMap<&str, usize> = BTreeMap::new();
        for e in &v.entries {
            *places.entry(e.place.as_str()).or_default() += 1;
        }
        t.place = places
            .iter()
            .max_by_key(|(_, n)| **n)
            .map(|(p, _)| (*p).to_owned())
            .unwrap_or_default();
        for e in &v.entries {
            let row = t.rows.entry(e.date.clone()).or_default();
            row.leaders.insert(e.leader.clone());
            if e.place != t.place {
                row.place = e.place.clone();
            }
            row.form = e.form.clone();
            if !e.topic.is_empty() {
                row.topic = e.topic.clone();
            }
            if !e.time.is_empty() {
                row.time = e.time.clone();
            }
            row.non_working_day |= e.non_working_day;
        }
        t
    }

    /// The table the service is asked about, and the date of each entry in it
    /// (a problem names its entry by index).
    fn table(&self, unit: &str) -> (DraftTable, Vec<String>) {
        let mut entries = Vec::new();
        let mut dates = Vec::new();
        for (date, row) in &self.rows {
            for leader in &row.leaders {
                let place = if row.place.trim().is_empty() {
                    &self.place
                } else {
                    &row.place
                };
                entries.push(pb::ScheduleEntry {
                    date: date.clone(),
                    leader: leader.clone(),
                    place: place.clone(),
                    form: row.form.clone(),
                    topic: row.topic.clone(),
                    non_working_day: row.non_working_day,
                    time: row.time.clone(),
                    ..Default::default()
                });
                dates.push(date.clone());
            }
        }
        let table = DraftTable {
            unit: unit.to_owned(),
            month: self.month.clone(),
            entries,
        };
        (table, dates)
    }
}

pub async fn submit(
    State(c): State<Console>,
    Extension(lang): Extension<Lang>,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (typed, csrf, intent) = Typed::from_pairs(pairs);
    let s = match c
        .posted(&headers, lang, csrf.as_deref(), "schedule.grid")
        .await
    {
        Ok(s) => s,
        Err(r) => return r.reply(lang, false),
    };
    let me = c.schedules().own_code().to_string();
    let (table, dates) = typed.table(&me);
    let trial = match c.schedules().try_table(&s.who, &table).await {
        Ok(t) => t,
        Err(e) => return Refused::from(e).reply(lang, false),
    };
    if headers.contains_key(FRAGMENT_HEADER) {
        return checked(lang, &trial, &dates).into_response();
    }
    let saving = intent == "save";
    if saving && trial.problems.is_empty() {
        match c.schedules().save_table(&s.who, &table).await {
            Ok(v) => {
                return (
                    StatusCode::SEE_OTHER,
                    [(LOCATION, format!("/schedules?month={}&done=saved", v.month))],
                )
                    .into_response();
            }
            // Refused after the trial passed (a step taken meanwhile): the
            // refusal page says which rule.
            Err(e) => return Refused::from(e).reply(lang, false),
        }
    }
    let view = match load(&c, &s, "", &typed.month).await {
        Ok(v) => v,
        Err(e) => return Refused::from(e).reply(lang, false),
    };
    let month = typed.month.clone();
    let shown = Shown {
        grid: Some(typed),
        trial: Some((trial, dates)),
        ..Default::default()
    };
    let status = if saving {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    match render_page(&c, &s, "", &month, view.as_ref(), shown).await {
        Ok(m) => (status, m).into_response(),
        Err(e) => Refused::from(e).reply(lang, false),
    }
}

/// The label of an entry's field, as the grid names it.
fn field_label(field: &str) -> Label {
    match field {
        "date" => w::DATE,
        "leader" => w::RECEPTION_LEADER,
        "place" => w::RECEPTION_PLACE,
        "form" => w::RECEPTION_FORM,
        "topic" => w::TOPIC,
        "time" => w::RECEPTION_HOURS,
        _ => w::ENTRIES,
    }
}

/// Each day's problems, as a person reads them.
fn problems_by_day(lang: Lang, trial: &Trial, dates: &[String]) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for p in &trial.problems {
        let day = dates.get(p.index).cloned().unwrap_or_default();
        let rule = match lang {
            Lang::Zh => &p.problem.zh,
            Lang::En => &p.problem.en,
        };
        let line = format!("{}：{rule}", field_label(p.problem.field).get(lang));
        let list = out.entry(day).or_default();
        if !list.contains(&line) {
            list.push(line);
        }
    }
    out
}

/// The rules' answer on a table not saved: what cannot stand, by day, and the
/// quota rules it breaks (also what the page's script puts in place).
pub fn checked(lang: Lang, trial: &Trial, dates: &[String]) -> Markup {
    let by_day = problems_by_day(lang, trial, dates);
    html! {
        p.hint #unsaved { (w::UNSAVED_CHECK.get(lang)) }
        @if !by_day.is_empty() {
            ul #problems {
                @for (day, lines) in &by_day {
                    @for l in lines { li data-date=(day) { (day) " " (l) } }
                }
            }
        }
        (super::violations(lang, &trial.violations, true))
    }
}

/// 一 … 日 (or Mon … Sun).
fn weekday(lang: Lang, d: NaiveDate) -> &'static str {
    let i = d.weekday().num_days_from_monday() as usize;
    match lang {
        Lang::Zh => ["一", "二", "三", "四", "五", "六", "日"][i],
        Lang::En => ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][i],
    }
}

/// The grid's form.
pub fn render(
    c: &Console,
    s: &Session,
    t: &Typed,
    roster: &[pb::Leader],
    trial: Option<&(Trial, Vec<String>)>,
) -> Markup {
    let lang = s.lang;
    let by_day = trial
        .map(|(t, d)| problems_by_day(lang, t, d))
        .unwrap_or_default();
    let leaders: Vec<&pb::Leader> = roster.iter().filter(|l| l.active).collect();
    let forms = c.schedules().reception_forms();
    let days: Vec<NaiveDate> = t
        .month
        .parse::<Month>()
        .map(|m| m.days().collect())
        .unwrap_or_default();
    let empty = Row::default();
    html! {
        h2 { (w::SCHEDULE_OF.get(lang)) }
        @if leaders.is_empty() {
            p.notice #no-roster { (w::NO_ROSTER.get(lang)) }
        } @else {
            @if !by_day.is_empty() {
                p.notice.bad #form-error role="alert" { (w::TABLE_REFUSED.get(lang)) }
            }
            form #grid method="post" action="/schedules/grid" {
                (page::csrf(s))
                input type="hidden" name="month" value=(t.month);
                div.field {
                    label for="place" { (w::DEFAULT_PLACE.get(lang)) }
                    input type="text" id="place" name="place" value=(t.place) aria-describedby="place-hint";
                    span.hint id="place-hint" { (w::DEFAULT_PLACE_HINT.get(lang)) }
                }
                div.scroll {
                table.grid {
                    thead { tr {
                        th scope="col" { (w::DATE.get(lang)) }
                        th scope="col" { (w::WEEKDAY.get(lang)) }
                        @for l in &leaders { th scope="col" title=(l.position) { (l.name) } }
                        th scope="col" { (w::RECEPTION_PLACE.get(lang)) }
                        th scope="col" { (w::RECEPTION_FORM.get(lang)) }
                        th scope="col" { (w::RECEPTION_HOURS.get(lang)) }
                        th scope="col" { (w::TOPIC.get(lang)) }
                    } }
                    tbody {
                        @for d in &days {
                            @let date = d.to_string();
                            @let row = t.rows.get(&date).unwrap_or(&empty);
                            @let working = c.schedules().is_working_day(*d);
                            @let errors = by_day.get(&date);
                            @let bad = errors.is_some().then_some("true");
                            @let described = errors.map(|_| format!("row-{date}-error"));
                            tr data-date=(date) class=[(!working).then_some("off")] {
                                th.nowrap scope="row" { (date) }
                                td { (weekday(lang, *d)) }
                                @for (i, l) in leaders.iter().enumerate() {
                                    @let id = format!("on-{date}-{i}");
                                    td.tick {
                                        label.sr for=(id) { (date) " " (l.name) }
                                        input type="checkbox" id=(id) name={"on-" (date)} value=(l.name)
                                            checked[row.leaders.contains(&l.name)]
                                            aria-invalid=[bad] aria-describedby=[described.clone()];
                                    }
                                }
                                td {
                                    label.sr for={"place-" (date)} { (date) " " (w::RECEPTION_PLACE.get(lang)) }
                                    input type="text" id={"place-" (date)} name={"place-" (date)} value=(row.place)
                                        placeholder=(t.place) aria-invalid=[bad] aria-describedby=[described.clone()];
                                }
                                td {
                                    label.sr for={"form-" (date)} { (date) " " (w::RECEPTION_FORM.get(lang)) }
                                    select id={"form-" (date)} name={"form-" (date)} {
                                        @for (code, name) in &forms {
                                            option value=(code) selected[row.form == *code] { (name) }
                                        }
                                    }
                                }
                                td {
                                    label.sr for={"time-" (date)} { (date) " " (w::RECEPTION_HOURS.get(lang)) }
                                    input type="text" id={"time-" (date)} name={"time-" (date)} value=(row.time)
                                        size="11" placeholder="08:30-11:30" aria-invalid=[bad] aria-describedby=[described.clone()];
                                }
                                td {
                                    label.sr for={"topic-" (date)} { (date) " " (w::TOPIC.get(lang)) }
                                    input type="text" id={"topic-" (date)} name={"topic-" (date)} value=(row.topic);
                                    @if !working {
                                        label.small for={"nwd-" (date)} {
                                            input type="checkbox" id={"nwd-" (date)} name={"nwd-" (date)} value="1"
                                                checked[row.non_working_day];
                                            " " (w::NON_WORKING_DAY.get(lang))
                                        }
                                    }
                                }
                            }
                            @if let Some(lines) = errors {
                                tr.row-problem {
                                    td colspan=(6 + leaders.len()) {
                                        p.error id={"row-" (date) "-error"} role="alert" {
                                            (date) " " (lines.join("；"))
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                }
                p.buttons {
                    button.secondary type="submit" name="intent" value="check" { (w::CHECK.get(lang)) }
                    " "
                    button type="submit" name="intent" value="save" { (w::SAVE_DRAFT.get(lang)) }
                }
            }
        }
    }
}
