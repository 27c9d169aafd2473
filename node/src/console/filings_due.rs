//! 报备事项 on the worklist: this unit's reception schedules (this month and next)
//! and its quarterly register, each with its filing day and status; and, for a
//! superior, the units below whose schedule is missing, each opening the filing
//! board. Everything comes from `ScheduleService::filings_due`; the statuses are
//! the filing rule's, named by `schedule::labels`.

use maud::{Markup, html};

use super::Console;
use super::page;
use super::reply::Refused;
use super::session::Session;
use crate::auth::{Action, any_allowed};
use crate::labels::Label;
use crate::schedule::filing::{FilingStatus, OwedKind};
use crate::schedule::labels;

const HEADING: Label = Label::new("报备事项", "Filings");
const WHAT: Label = Label::new("事项", "What");
const PERIOD: Label = Label::new("期间", "Period");
const DUE: Label = Label::new("报备期限", "Due");
const STATUS: Label = Label::new("状态", "Status");
const FILED_AT: Label = Label::new("报备时间", "Filed");
const BELOW: Label = Label::new("下级未报备", "Missing below");
const MORE: Label = Label::new("另有 {} 个单位，见备案页", "{} more: see the filing board");
/// Units listed by name; the filing board has them all.
const SHOWN: usize = 20;
const OPEN_GRID: Label = Label::new("编制接访安排表", "Draft the schedule");

/// The worklist's section, for those who may read schedules (else empty).
pub async fn section(c: &Console, s: &Session) -> Result<Markup, Refused> {
    if !any_allowed(&s.who.roles, Action::ReadSchedules) {
        return Ok(html! {});
    }
    let lang = s.lang;
    let due = c.schedules().filings_due(&s.who).await?;
    if due.own.is_empty() && due.missing_below.is_empty() {
        return Ok(html! {});
    }
    Ok(html! {
        section aria-labelledby="filings-due-h" #filings-due {
            h2 id="filings-due-h" { (HEADING.get(lang)) }
            @if !due.own.is_empty() {
                table id="own-filings" {
                    thead { tr {
                        th scope="col" { (WHAT.get(lang)) }
                        th scope="col" { (PERIOD.get(lang)) }
                        th scope="col" { (DUE.get(lang)) }
                        th scope="col" { (STATUS.get(lang)) }
                        th scope="col" { (FILED_AT.get(lang)) }
                    } }
                    tbody {
                        @for f in &due.own {
                            @let class = match f.status {
                                FilingStatus::Missing => Some("overdue"),
                                FilingStatus::Pending if f.due.is_some() => Some("soon"),
                                _ => None,
                            };
                            tr class=[class] data-period=(f.period) {
                                td { (labels::owed_kind(f.kind).get(lang)) }
                                td {
                                    @if f.due.is_some() {
                                        a href=(format!("/schedules?month={}", f.period)) { (f.period) }
                                    } @else { (f.period) }
                                }
                                td { @if let Some(d) = f.due { (d) } }
                                td { (labels::owed(f.kind, f.status).get(lang)) }
                                td { @if let Some(t) = f.filed_at { (page::local_time(&t.to_rfc3339())) } }
                            }
                        }
                    }
                }
            }
            @if !due.missing_below.is_empty() {
                h3 { (BELOW.get(lang)) " (" (due.missing_below.len()) ")" }
                ul #missing-below {
                    @for m in due.missing_below.iter().take(SHOWN) {
                        li {
                            a href=(format!("/filings?month={}", m.month)) { (m.unit_name) }
                            " · " (m.month) " · " (DUE.get(lang)) " " (m.due)
                        }
                    }
                    @if due.missing_below.len() > SHOWN {
                        li { a href="/filings" { (MORE.get(lang).replace("{}", &(due.missing_below.len() - SHOWN).to_string())) } }
                    }
                }
            }
            @if due.own.iter().any(|f| f.kind == OwedKind::Schedule && f.status != FilingStatus::OnTime && f.status != FilingStatus::Late) {
                p.hint { a href="/schedules" { (OPEN_GRID.get(lang)) } }
            }
        }
    })
}
