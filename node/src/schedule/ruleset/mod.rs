//! Quota rule sets: how often a class of unit's leaders must receive petitioners and
//! when its monthly schedule is due upward. Minimums are local policy, not law (seed
//! 000 第三条, seed 001, seed 002, seed 003 第六条 each set their own), so they are
//! configuration: one TOML file per class of unit, `rules/NAME.toml` at the top of
//! the repository, also embedded in the binary so a node works anywhere.
//!
//! A unit names its set with `rules = "NAME"`; [`resolve`] looks for `NAME.toml` in
//! the given directories first (a local override), then among the shipped sets.
//! Evaluation against a schedule is in [`super::quota`].
//!
//! One job a file: this module the rule set's types, [`parse`] (a TOML file checked
//! and typed), [`resolve`] (shipped and local sets by name, and each unit's set).

mod parse;
mod resolve;

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

pub use resolve::{
    RuleSets, UNIT_FIELD, UnitRulesError, UnknownUnitField, default_set, resolve, shipped,
    unit_rule_set,
};

use super::model::{LeaderRole, Month};

/// Filing due day when a set says nothing: Haifeng's "每月10日前" (seed 000, notice 二),
/// the only deadline the seeds give.
pub const DEFAULT_DUE_DAY: u32 = 10;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleSetError {
    #[error("rule set {file}: cannot read: {message}")]
    Read { file: String, message: String },
    #[error("rule set {file}: not a valid rule set: {message}")]
    Parse { file: String, message: String },
    #[error("rule set {file}: field {field}: {problem}")]
    Field {
        file: String,
        field: &'static str,
        problem: String,
    },
    #[error("rule set {file}: rule {rule:?}, field {field}: {problem}")]
    Rule {
        file: String,
        rule: String,
        field: &'static str,
        problem: String,
    },
    #[error("rule set {file}: rule id {rule:?} is used more than once")]
    DuplicateId { file: String, rule: String },
    #[error("rule set {file}: name {name:?} must equal the file name {stem:?}")]
    NameMismatch {
        file: String,
        name: String,
        stem: String,
    },
    #[error("no rule set named {name:?} (looked in: {searched}); known: {known}")]
    Unknown {
        name: String,
        searched: String,
        known: String,
    },
}

/// What a rule counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    /// Each bound leader receives on at least `min` distinct days per period.
    LeaderDays,
    /// Every working day has at least `min` distinct leaders receiving.
    DailyLeaders,
    /// Like `leader_days`, counting only receptions of one form (e.g. 定点接访).
    FormRequired,
    /// Each bound leader owns (包案) at least `min` cases a year.
    OwnedCases,
}

impl RuleKind {
    pub fn code(self) -> &'static str {
        match self {
            RuleKind::LeaderDays => "leader_days",
            RuleKind::DailyLeaders => "daily_leaders",
            RuleKind::FormRequired => "form_required",
            RuleKind::OwnedCases => "owned_cases",
        }
    }
}

/// The span a count is taken over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    Week,
    Month,
    Quarter,
    HalfYear,
    Year,
}

impl Period {
    pub fn code(self) -> &'static str {
        match self {
            Period::Week => "week",
            Period::Month => "month",
            Period::Quarter => "quarter",
            Period::HalfYear => "half_year",
            Period::Year => "year",
        }
    }

    /// `每周`, `每月`, …
    pub fn label_zh(self) -> &'static str {
        match self {
            Period::Week => "每周",
            Period::Month => "每月",
            Period::Quarter => "每季度",
            Period::HalfYear => "每半年",
            Period::Year => "每年",
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Whom a `form_required` count is taken for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Per {
    /// Each bound leader separately.
    #[default]
    Leader,
    /// The unit as a whole: days on which any bound leader received in that form.
    Unit,
}

/// When the monthly schedule is filed upward (备案).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filing {
    /// Next month's schedule is due by this day of the month before (1..=28, so it
    /// exists in every month).
    #[serde(default = "default_due_day")]
    pub due_day: u32,
}

fn default_due_day() -> u32 {
    DEFAULT_DUE_DAY
}

impl Default for Filing {
    fn default() -> Self {
        Filing {
            due_day: DEFAULT_DUE_DAY,
        }
    }
}

impl Filing {
    /// The day `month`'s schedule is due: `due_day` of the month before.
    pub fn deadline_for(&self, month: Month) -> NaiveDate {
        let before = month.prev();
        // A hand-built Filing may carry a day the month lacks: clamp to its end.
        NaiveDate::from_ymd_opt(before.year, before.month, self.due_day)
            .unwrap_or_else(|| before.last_day())
    }
}

/// One minimum. Loaded sets are validated: `period` is set exactly for the kinds that
/// take one, `form` only for `form_required`, `min >= 1`, `roles` not empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuotaRule {
    pub id: String,
    pub kind: RuleKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
    pub min: u32,
    /// Which roster leaders the rule binds (or, for unit-wide counts, whose entries
    /// count).
    pub roles: Vec<LeaderRole>,
    /// A `reception_form` code (form_required only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub form: Option<String>,
    pub per: Per,
    /// Chinese, shown to staff.
    pub description: String,
}

impl QuotaRule {
    pub fn binds(&self, role: LeaderRole) -> bool {
        self.roles.contains(&role)
    }

    /// Whether the rule binds every role (then entries naming leaders missing from
    /// the roster still count toward unit-wide numbers).
    pub fn binds_all_roles(&self) -> bool {
        LeaderRole::ALL.iter().all(|r| self.binds(*r))
    }
}

/// A class of unit's quota rules and filing deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleSet {
    pub name: String,
    pub title: String,
    /// The document and article the rules reproduce.
    pub source: String,
    pub filing: Filing,
    #[serde(rename = "rule")]
    pub rules: Vec<QuotaRule>,
    /// Visits to higher authorities (赴省进京上访): who must own such a case; the
    /// case rules read it (`rules::higher_visits`). None: nothing required.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub higher_visits: Option<crate::rules::higher_visits::HigherVisitRules>,
}

impl RuleSet {
    pub fn rule(&self, id: &str) -> Option<&QuotaRule> {
        self.rules.iter().find(|r| r.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) const MINIMAL: &str = r#"
name = "test-set"
title = "测试"
source = "test"
"#;

    #[test]
    fn the_filing_deadline_is_in_the_month_before() {
        let f = Filing { due_day: 10 };
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(f.deadline_for("2016-05".parse().unwrap()), d("2016-04-10"));
        assert_eq!(f.deadline_for("2017-01".parse().unwrap()), d("2016-12-10"));
        assert_eq!(
            Filing { due_day: 28 }.deadline_for("2016-03".parse().unwrap()),
            d("2016-02-28")
        );
        // Out of range (never loaded from a file): clamped to the month's end.
        assert_eq!(
            Filing { due_day: 31 }.deadline_for("2016-03".parse().unwrap()),
            d("2016-02-29")
        );
    }
}
