//! The workflow of a unit's schedule for a month: drafted, reviewed by the leader in
//! charge, approved by the principal (which files it upward), published. Pure: the
//! states, the steps and which step each state allows.
//!
//! A draft and a reviewed draft live in the node's draft table; approval turns the
//! draft into the filed document, so an approved or published month is changed only
//! by adjustments and attendance records, never edited.

use std::fmt;
use std::str::FromStr;

/// Where a month's schedule stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum State {
    /// Being drawn up (any edit brings a reviewed draft back here).
    Draft,
    /// Reviewed by the leader in charge (分管领导审核), awaiting approval.
    Reviewed,
    /// Approved by the principal (主要领导审定) and filed upward.
    Approved,
    /// Approved and published to the hall and the portal.
    Published,
}

/// The state shown for a unit's month of which this node holds nothing (a superior
/// asking about a unit below that has filed nothing).
pub const NOT_HELD: &str = "none";

impl State {
    /// The code stored in the draft table and shown in views.
    pub fn code(self) -> &'static str {
        match self {
            State::Draft => "draft",
            State::Reviewed => "reviewed",
            State::Approved => "approved",
            State::Published => "published",
        }
    }

    /// Approved or published: the schedule is a filed document.
    pub fn is_filed(self) -> bool {
        matches!(self, State::Approved | State::Published)
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for State {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "draft" => State::Draft,
            "reviewed" => State::Reviewed,
            "approved" => State::Approved,
            "published" => State::Published,
            other => {
                return Err(format!(
                    "unknown schedule state {other:?}; known: draft, reviewed, approved, published"
                ));
            }
        })
    }
}

/// What someone does to a month's schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Start a draft, import a table, add or remove an entry.
    Edit,
    /// The leader in charge reviews the draft (again, after an edit).
    Review,
    /// The principal approves: the schedule is filed.
    Approve,
    /// Publish the approved schedule (again: nothing changes).
    Publish,
    /// Replace a leader or swap two days of the approved schedule.
    Adjust,
    /// Record whether a scheduled reception was held.
    RecordAttendance,
}

/// A step the state does not allow, each naming its rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// An approved schedule is filed: it changes by adjustment only.
    #[error("schedule.approved: the schedule is approved and filed; change it with an adjustment")]
    AlreadyApproved,
    /// Approval needs the leader in charge's review first.
    #[error("schedule.review_first: the draft must be reviewed before approval")]
    ReviewFirst,
    /// Publication, adjustments and attendance need an approved schedule.
    #[error("schedule.not_approved: the schedule is not approved yet")]
    NotApproved,
}

impl Refused {
    /// The rule's name, as errors and the documentation give it.
    pub fn rule(self) -> &'static str {
        match self {
            Refused::AlreadyApproved => "schedule.approved",
            Refused::ReviewFirst => "schedule.review_first",
            Refused::NotApproved => "schedule.not_approved",
        }
    }
}

/// The state after `step` from `from`, or the rule that refuses it.
pub fn next(from: State, step: Step) -> Result<State, Refused> {
    use State::*;
    use Step::*;
    match (from, step) {
        (Draft | Reviewed, Edit) => Ok(Draft),
        (Draft | Reviewed, Review) => Ok(Reviewed),
        (Reviewed, Approve) => Ok(Approved),
        (Draft, Approve) => Err(Refused::ReviewFirst),
        (Approved | Published, Edit | Review | Approve) => Err(Refused::AlreadyApproved),
        (Approved | Published, Publish) => Ok(Published),
        (s @ (Approved | Published), Adjust | RecordAttendance) => Ok(s),
        (Draft | Reviewed, Publish | Adjust | RecordAttendance) => Err(Refused::NotApproved),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATES: [State; 4] = [
        State::Draft,
        State::Reviewed,
        State::Approved,
        State::Published,
    ];

    #[test]
    fn the_way_through_draft_review_approval_publication() {
        let mut s = State::Draft;
        for (step, want) in [
            (Step::Edit, State::Draft),
            (Step::Review, State::Reviewed),
            (Step::Approve, State::Approved),
            (Step::Adjust, State::Approved),
            (Step::RecordAttendance, State::Approved),
            (Step::Publish, State::Published),
            (Step::Publish, State::Published),
            (Step::Adjust, State::Published),
            (Step::RecordAttendance, State::Published),
        ] {
            s = next(s, step).unwrap_or_else(|e| panic!("{step:?} from {s}: {e}"));
            assert_eq!(s, want, "{step:?}");
        }
    }

    #[test]
    fn an_edit_sends_a_reviewed_draft_back_for_review() {
        assert_eq!(next(State::Reviewed, Step::Edit), Ok(State::Draft));
        assert_eq!(next(State::Reviewed, Step::Review), Ok(State::Reviewed));
    }

    #[test]
    fn approval_without_review_is_refused_naming_the_rule() {
        let e = next(State::Draft, Step::Approve).unwrap_err();
        assert_eq!(e, Refused::ReviewFirst);
        assert_eq!(e.rule(), "schedule.review_first");
        assert!(e.to_string().starts_with("schedule.review_first"), "{e}");
    }

    #[test]
    fn a_filed_schedule_is_never_edited_reviewed_or_approved_again() {
        for s in [State::Approved, State::Published] {
            for step in [Step::Edit, Step::Review, Step::Approve] {
                let e = next(s, step).unwrap_err();
                assert_eq!(e.rule(), "schedule.approved", "{step:?} from {s}");
            }
        }
    }

    #[test]
    fn only_a_filed_schedule_is_published_adjusted_or_attended() {
        for s in [State::Draft, State::Reviewed] {
            for step in [Step::Publish, Step::Adjust, Step::RecordAttendance] {
                let e = next(s, step).unwrap_err();
                assert_eq!(e.rule(), "schedule.not_approved", "{step:?} from {s}");
            }
        }
    }

    #[test]
    fn filed_means_approved_or_published() {
        let filed: Vec<State> = STATES.into_iter().filter(|s| s.is_filed()).collect();
        assert_eq!(filed, [State::Approved, State::Published]);
    }

    #[test]
    fn codes_read_back() {
        for s in STATES {
            assert_eq!(s.code().parse::<State>(), Ok(s));
        }
        assert!(NOT_HELD.parse::<State>().is_err());
        assert!("Draft".parse::<State>().is_err());
    }
}
