//! Pure rules, testable exhaustively: the holiday calendar and deadlines, the legal
//! time limits, identity numbers, the petition classification.

pub mod calendar;
pub mod divisions;
pub mod higher_visits;
pub mod holiday;
pub mod identity;
pub mod limits;
#[cfg(test)]
pub mod seeds;
pub mod taxonomy;

use calendar::{CalendarError, HolidayCalendar};
use limits::TimeLimits;
use taxonomy::{Taxonomy, TaxonomyError};

/// The rules a node applies to cases, loaded once at start.
pub struct CaseRules {
    pub calendar: HolidayCalendar,
    pub limits: TimeLimits,
    pub taxonomy: Taxonomy,
    /// Each unit's rules for visits to higher authorities (from its rule set).
    pub higher_visits: higher_visits::HigherVisitPolicies,
    /// The area's divisions, where a problem may arise (问题发生地).
    pub divisions: divisions::Divisions,
}

#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error(transparent)]
    Calendar(#[from] CalendarError),
    #[error(transparent)]
    Taxonomy(#[from] TaxonomyError),
    #[error(transparent)]
    Divisions(#[from] divisions::DivisionsError),
}

impl CaseRules {
    /// The shipped calendar and classification, Reg-2022 time limits.
    pub fn official() -> Result<CaseRules, RulesError> {
        Ok(CaseRules {
            calendar: HolidayCalendar::official()?,
            limits: TimeLimits::default(),
            taxonomy: Taxonomy::official()?,
            higher_visits: Default::default(),
            divisions: divisions::Divisions::official()?,
        })
    }
}
