//! Checks one month's reception schedule against a unit's quota rules. Pure: no IO,
//! no clock; the same input always gives the same [`Evaluation`], whatever the order
//! of the entries.
//!
//! Semantics:
//! - The facts are `entries` (the checked month's effective schedule; entries dated
//!   outside the month are ignored with a warning) plus `other_months` entries dated
//!   outside the checked month (those inside it are superseded drafts or versions, so
//!   `entries` alone speaks for the month).
//! - A leader's *days* in a period are the distinct dates with at least one entry for
//!   that leader, whatever the day's kind (a Saturday reception counts).
//! - Rules bind the roster's **active** leaders whose role is in the rule's `roles`.
//!   Unit-wide counts (`daily_leaders`, `form_required` per unit) count entries of any
//!   roster leader with a bound role; entries naming someone missing from the roster
//!   count only when the rule binds every role, and are warned about.
//! - `daily_leaders`: every working day of the month (holiday calendar, so adjusted
//!   working weekend days 调休 are included and holidays are not) needs at least `min`
//!   distinct leaders.
//! - `leader_days`, period `week`: an ISO week belongs to the month containing its
//!   Thursday; the checked month's weeks are judged, counting days across the whole
//!   week (the neighbouring months' days come from `other_months`). A week requires
//!   `min(min, working days in the week)`: a week without working days requires
//!   nothing.
//! - Period `month` is judged for the checked month. `quarter`, `half_year` and `year`
//!   are judged only in the period's last month (earlier months cannot fail yet),
//!   counting all of the period's months.
//! - `form_required`: like `leader_days`, counting only entries of the rule's form;
//!   per `unit` counts the unit's days with such an entry by any bound leader.
//! - Rules bind by role and, where they name `classes`, by post class
//!   (`Leader::class`): a leader is bound when both are named.
//! - `unit_days`: like `form_required` per unit without a form: the unit's days
//!   with any reception by a bound leader, per period.
//! - `fixed_slot`: see [`slots`]: entries off the slot's weekday (or week of the
//!   month, or hours) are violations, and so is a working slot day without `min`
//!   leaders. `turns`: presence as `daily_leaders` (no period) or `unit_days`
//!   (week), plus the rotation ([`slots`]).
//! - `owned_cases`: judged in December only: each bound leader's owned cases
//!   resolved in the year ([`owned`]: closed, and no repeat petition within the
//!   rule's months, which have passed by `today`) against `min`.
//! - Violations come by rule order, then date, then period, then leader name.
//! - Warnings: a year the calendar has no data for (working days then counted by
//!   weekends only), entries outside the month, leaders missing from the roster or
//!   inactive but scheduled.

//!
//! One job a file: this module the input, the answer and the evaluation's order;
//! [`periods`] (the spans of days each period judges) and [`counting`] (each
//! kind of rule counted against the facts).

mod counting;
mod owned;
mod periods;
mod slots;

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use self::counting::Ctx;
use super::model::{Entry, Leader, Month};
use super::ruleset::{RuleKind, RuleSet};
use crate::rules::calendar::{HolidayCalendar, MissingYear};

pub use owned::{OwnedCase, Resolution, resolution};

pub struct QuotaInput<'a> {
    pub rules: &'a RuleSet,
    /// The month being checked.
    pub month: Month,
    /// Active leaders are bound by the rules.
    pub roster: &'a [Leader],
    /// This month's (effective) entries.
    pub entries: &'a [Entry],
    /// Entries of other months this node holds (week spill-over, quarter, half-year,
    /// year).
    pub other_months: &'a [Entry],
    /// The unit's owned cases (包案), whatever their year: which count is the
    /// rule's business.
    pub owned_cases: &'a [OwnedCase],
    /// The day of the evaluation: a case's months without a repeat must have passed.
    pub today: NaiveDate,
    pub calendar: &'a HolidayCalendar,
}

/// One unmet minimum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// The rule's id.
    pub rule: String,
    /// Chinese, with the numbers; shown to staff.
    pub message: String,
    pub message_en: String,
    pub leader: Option<String>,
    /// The working day, for `daily_leaders`.
    pub date: Option<NaiveDate>,
    /// `2016-04`, `2016-W14`, `2016Q2`, `2016H1`, `2016`.
    pub period: String,
    pub required: u32,
    pub actual: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluation {
    pub violations: Vec<Violation>,
    pub warnings: Vec<String>,
}

impl Evaluation {
    pub fn passes(&self) -> bool {
        self.violations.is_empty()
    }
}

/// Checks `input.month` against every rule of `input.rules`.
pub fn evaluate(input: &QuotaInput) -> Evaluation {
    let month = input.month;
    let mut notes = BTreeSet::new();
    let mut facts: Vec<&Entry> = Vec::new();
    for e in input.entries {
        if month.contains(e.date) {
            facts.push(e);
        } else {
            notes.insert(format!(
                "{} 的接访安排（{}）不在{}内，已忽略 (entry of {} dated {} is outside {}: ignored)",
                e.date,
                e.leader,
                month.label_zh(),
                e.leader,
                e.date,
                month
            ));
        }
    }
    facts.extend(
        input
            .other_months
            .iter()
            .filter(|e| !month.contains(e.date)),
    );
    let mut roster = BTreeMap::new();
    for l in input.roster {
        roster.entry(l.name.as_str()).or_insert(l);
    }
    let scheduled: BTreeSet<&str> = facts
        .iter()
        .filter(|e| month.contains(e.date))
        .map(|e| e.leader.as_str())
        .collect();
    for name in scheduled {
        match roster.get(name) {
            None => {
                notes.insert(format!(
                    "{name} 不在领导名册上 ({name} is not on the roster)"
                ));
            }
            Some(l) if !l.active => {
                notes.insert(format!(
                    "{name} 在名册上已停用，却仍被安排接访 ({name} is inactive on the roster but scheduled)"
                ));
            }
            Some(_) => {}
        }
    }

    let mut ctx = Ctx {
        input,
        roster,
        facts,
        missing_years: BTreeSet::new(),
        warnings: Vec::new(),
    };
    if !input.calendar.has_year(month.year) {
        ctx.missing_years.insert(month.year);
    }
    let mut violations = Vec::new();
    for rule in &input.rules.rules {
        let mut found = Vec::new();
        match (rule.kind, rule.period) {
            (RuleKind::DailyLeaders, _) => ctx.daily(rule, &mut found),
            (RuleKind::OwnedCases, _) => ctx.owned(rule, &mut found),
            (RuleKind::FixedSlot, _) => ctx.fixed_slot(rule, &mut found),
            (RuleKind::Turns, _) => ctx.turns(rule, &mut found),
            (RuleKind::LeaderDays | RuleKind::FormRequired | RuleKind::UnitDays, Some(period)) => {
                ctx.period_days(rule, period, &mut found)
            }
            // Loaded sets never lack a period; a hand-built one is reported, not guessed.
            (RuleKind::LeaderDays | RuleKind::FormRequired | RuleKind::UnitDays, None) => {
                ctx.warnings.push(format!(
                    "规则 {} 未指定周期，已跳过 (rule {} has no period: skipped)",
                    rule.id, rule.id
                ));
            }
        }
        found.sort_by(|a, b| (a.date, &a.period, &a.leader).cmp(&(b.date, &b.period, &b.leader)));
        violations.extend(found);
    }

    let mut warnings: Vec<String> = ctx
        .missing_years
        .iter()
        .map(|&year| MissingYear { year }.to_string())
        .collect();
    warnings.extend(ctx.warnings);
    warnings.extend(notes);
    Evaluation {
        violations,
        warnings,
    }
}

#[cfg(test)]
mod tests;
