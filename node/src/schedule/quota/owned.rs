//! Owned cases (包案) counted as resolved (化解): seed 002 asks each leader to
//! "每年包案化解 3 宗信访事项", resolved, not merely owned. A case is resolved when
//! it was closed and no repeat petition (重复信访: a later case the registry links
//! to it as `repeat_of`) came within the rule's `resolved_after_months` of the
//! closure; it is resolved on the day those months have passed, and counts in the
//! year of that day. Until the day has come it is not yet resolved, only pending.
//!
//! Why the day the months pass and not the closure's: a leader's year is judged in
//! December, and a case closed in the autumn cannot be known to be resolved by then;
//! counted in the year its resolution is known, every case counts once, in a year
//! whose judgement can see it.

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};

use super::Violation;
use super::counting::Ctx;
use crate::schedule::ruleset::QuotaRule;

/// One case a leader of the unit owns, as the node's case tables know it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnedCase {
    pub case_no: String,
    /// The owning leader's roster name.
    pub leader: String,
    /// The day the case was closed (办结), if it is closed now.
    pub closed_on: Option<NaiveDate>,
    /// The registration days of later petitions linked to it as repeats.
    pub repeats: Vec<NaiveDate>,
}

/// Where an owned case stands under a rule waiting `months` after closure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// Open, or closed and then petitioned again within the months.
    Unresolved,
    /// Closed, no repeat so far, the months not yet passed: resolved on this day
    /// unless a repeat comes first.
    Pending(NaiveDate),
    /// Resolved on this day.
    Resolved(NaiveDate),
}

/// The case's standing on `today`.
pub fn resolution(case: &OwnedCase, months: u32, today: NaiveDate) -> Resolution {
    let Some(closed) = case.closed_on else {
        return Resolution::Unresolved;
    };
    // A month-end closure plus months lands on the shorter month's end.
    let on = closed
        .checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX);
    // A repeat registered on the closure day or after, up to the day itself, undoes it.
    if case.repeats.iter().any(|r| closed <= *r && *r <= on) {
        return Resolution::Unresolved;
    }
    if on <= today {
        Resolution::Resolved(on)
    } else {
        Resolution::Pending(on)
    }
}

impl Ctx<'_> {
    /// `owned_cases`: judged in December, each bound leader's cases resolved in the
    /// year against `min`.
    pub(super) fn owned(&mut self, rule: &QuotaRule, out: &mut Vec<Violation>) {
        let month = self.input.month;
        if month.month != 12 {
            return;
        }
        let year = month.year;
        let months = rule.resolved_after_months;
        for leader in self.bound(rule) {
            let (mut resolved, mut pending) = (0u32, 0u32);
            for case in self.input.owned_cases.iter().filter(|c| c.leader == leader) {
                match resolution(case, months, self.input.today) {
                    Resolution::Resolved(on) if on.year() == year => resolved += 1,
                    Resolution::Pending(on) if on.year() == year => pending += 1,
                    _ => {}
                }
            }
            if resolved >= rule.min {
                continue;
            }
            let (pending_zh, pending_en) = if pending > 0 {
                (
                    format!("（另有{pending}宗已办结，满{months}个月未重复信访后计入）"),
                    format!(
                        " ({pending} more closed, counted once {months} months pass without a repeat petition)"
                    ),
                )
            } else {
                (String::new(), String::new())
            };
            out.push(Violation {
                rule: rule.id.clone(),
                message: format!(
                    "{leader} {year}年包案化解{resolved}宗信访事项{pending_zh}，规则要求每年至少{}宗",
                    rule.min
                ),
                message_en: format!(
                    "{leader} resolved {resolved} owned case(s) in {year}{pending_en}; the rule requires at least {}",
                    rule.min
                ),
                leader: Some(leader.to_owned()),
                date: None,
                period: year.to_string(),
                required: rule.min,
                actual: resolved,
            });
        }
    }
}
