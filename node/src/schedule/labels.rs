//! The labels of a schedule's codes, Chinese and English: workflow states and
//! filing statuses. The one table the schedule views carry and every front shows.
//!
//! Pure: no IO.

use super::filing::FilingStatus;
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

/// A filing status code (`on_time`, `late`, …).
pub fn filing_of_code(code: &str) -> Option<Label> {
    FILING_STATUSES
        .into_iter()
        .find(|f| f.code() == code)
        .map(filing)
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
    }
}
