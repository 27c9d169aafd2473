//! The labels of a schedule's codes, Chinese and English: workflow states,
//! filing statuses and the workflow's refusals. The one table the schedule views carry and every front shows.
//!
//! Pure: no IO.

use super::filing::{FilingStatus, OwedKind};
use super::workflow::{NOT_HELD, State};
use crate::labels::Label;

pub fn state(s: State) -> Label {
    match s {
        State::Draft => Label::new("草稿", "draft"),
        State::Reviewed => Label::new("已审核", "reviewed"),
        State::Approved => Label::new("已审定并报备", "approved and filed"),
        State::Published => Label::new("已公布", "published"),
    }
}

/// A state code as views carry it, including [`NOT_HELD`] (nothing filed here).
pub fn state_of_code(code: &str) -> Option<Label> {
    if code == NOT_HELD {
        return Some(Label::new("未报备", "not filed"));
    }
    code.parse::<State>().ok().map(state)
}

pub const FILING_STATUSES: [FilingStatus; 4] = [
    FilingStatus::OnTime,
    FilingStatus::Late,
    FilingStatus::Missing,
    FilingStatus::Pending,
];

pub fn filing(f: FilingStatus) -> Label {
    match f {
        FilingStatus::OnTime => Label::new("按时报备", "on time"),
        FilingStatus::Late => Label::new("逾期报备", "late"),
        FilingStatus::Missing => Label::new("未报备（已逾期）", "missing (overdue)"),
        FilingStatus::Pending => Label::new("未到报备期限", "not due yet"),
    }
}

/// What a unit files upward, by kind.
pub fn owed_kind(k: OwedKind) -> Label {
    match k {
        OwedKind::Schedule => Label::new("领导接访安排表", "reception schedule"),
        OwedKind::Quarterly => Label::new("季度接访登记表", "quarterly register"),
    }
}

/// Where an owed filing stands: a schedule as the filing rule says; a register,
/// which the node generates at quarter end, generated or not yet.
pub fn owed(k: OwedKind, f: FilingStatus) -> Label {
    match (k, f) {
        (OwedKind::Quarterly, FilingStatus::OnTime | FilingStatus::Late) => {
            Label::new("已生成并报备", "generated and filed")
        }
        (OwedKind::Quarterly, _) => Label::new("季末自动生成", "generated at quarter end"),
        (OwedKind::Schedule, f) => filing(f),
    }
}

/// A filing status code (`on_time`, `late`, …).
pub fn filing_of_code(code: &str) -> Option<Label> {
    FILING_STATUSES
        .into_iter()
        .find(|f| f.code() == code)
        .map(filing)
}

/// The schedule workflow's refusals by rule code, for people: what a front
/// shows beside the field a refused step concerns (the service's message,
/// in English, carries the details).
pub const RULES: [(&str, Label); 9] = [
    (
        "schedule.override_required",
        Label::new(
            "安排违反接访规则，须填写审定理由方可审定报备",
            "the schedule breaks the unit's rules: approval needs an override reason",
        ),
    ),
    (
        "schedule.review_first",
        Label::new(
            "须先经分管领导审核，方可审定",
            "the leader in charge must review it before approval",
        ),
    ),
    (
        "schedule.approved",
        Label::new(
            "本月安排已审定报备，只能调整",
            "the month is approved and filed: adjust it instead",
        ),
    ),
    (
        "schedule.not_approved",
        Label::new("本月安排尚未审定", "the month is not approved yet"),
    ),
    (
        "schedule.empty",
        Label::new("草稿中没有任何安排", "the draft has no entries"),
    ),
    (
        "schedule.approver_role",
        Label::new("审定须由主要领导作出", "approval is the principal leader's"),
    ),
    (
        "schedule.reviewer_role",
        Label::new("审核须由分管领导作出", "review is the leader in charge's"),
    ),
    (
        "adjust.before_the_day",
        Label::new(
            "调整须在接访日之前登记；当日未接访请登记为缺岗",
            "adjustments are recorded before the day; an absence is recorded as attendance",
        ),
    ),
    (
        "attendance.not_yet",
        Label::new("接访日尚未到，不能登记到岗情况", "the day has not come yet"),
    ),
];

/// The label of a workflow refusal's rule code.
pub fn rule_of_code(code: &str) -> Option<Label> {
    RULES.iter().find(|(c, _)| *c == code).map(|(_, l)| *l)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_label() {
        for code in ["draft", "reviewed", "approved", "published", NOT_HELD] {
            assert!(state_of_code(code).is_some(), "{code}");
        }
        for f in FILING_STATUSES {
            assert_eq!(filing_of_code(f.code()), Some(filing(f)));
        }
        for r in [
            crate::schedule::workflow::Refused::AlreadyApproved,
            crate::schedule::workflow::Refused::ReviewFirst,
            crate::schedule::workflow::Refused::NotApproved,
        ] {
            assert!(rule_of_code(r.rule()).is_some(), "{}", r.rule());
        }
    }
}
