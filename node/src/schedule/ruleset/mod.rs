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

use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

pub use resolve::{
    RuleSets, UNIT_FIELD, UnitRulesError, UnknownUnitField, default_set, resolve, shipped,
    unit_rule_set,
};

use super::model::{Leader, LeaderRole, Month, PositionClass, ReceptionTime};

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
    /// Each bound leader resolves (包案化解) at least `min` owned cases a year: a
    /// case counts once closed and not petitioned again for `resolved_after_months`.
    OwnedCases,
    /// Receptions on a fixed weekday (of one week of the month), at fixed hours:
    /// each such working day has at least `min` bound leaders, and bound leaders
    /// receive on no other day or hours.
    FixedSlot,
    /// The unit as a whole receives on at least `min` days per period, in any form.
    UnitDays,
    /// Bound leaders take turns: every working day (no period) or every week at
    /// least `min` of them receive, and nobody's turn comes again before every
    /// other bound leader has had one.
    Turns,
}

impl RuleKind {
    pub fn code(self) -> &'static str {
        match self {
            RuleKind::LeaderDays => "leader_days",
            RuleKind::DailyLeaders => "daily_leaders",
            RuleKind::FormRequired => "form_required",
            RuleKind::OwnedCases => "owned_cases",
            RuleKind::FixedSlot => "fixed_slot",
            RuleKind::UnitDays => "unit_days",
            RuleKind::Turns => "turns",
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

/// Owned cases count as resolved (化解) when no repeat petition came within this
/// many months of closure, unless a rule says otherwise. The seeds name no number
/// (seed 002 says only 包案化解); six months is this project's choice.
pub const DEFAULT_RESOLVED_AFTER_MONTHS: u32 = 6;

/// When a `fixed_slot` rule's receptions are held: the weekday, in which week of
/// the month, at what hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Slot {
    #[serde(serialize_with = "weekday_code")]
    pub weekday: Weekday,
    /// The n-th such weekday of the month (1..=5): "the Wednesday of the second
    /// week" is read as the month's second Wednesday. None: every week.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub week_of_month: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<ReceptionTime>,
    /// The slot days' leaders take turns (每位局领导轮流安排接待).
    pub rotate: bool,
}

fn weekday_code<S: serde::Serializer>(w: &Weekday, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(weekday_name(*w).0)
}

/// The weekday's code in rule files and its Chinese name.
pub fn weekday_name(w: Weekday) -> (&'static str, &'static str) {
    match w {
        Weekday::Mon => ("monday", "星期一"),
        Weekday::Tue => ("tuesday", "星期二"),
        Weekday::Wed => ("wednesday", "星期三"),
        Weekday::Thu => ("thursday", "星期四"),
        Weekday::Fri => ("friday", "星期五"),
        Weekday::Sat => ("saturday", "星期六"),
        Weekday::Sun => ("sunday", "星期日"),
    }
}

impl Slot {
    /// Whether `date` is one of the slot's days (holidays included: the caller
    /// decides what a holiday excuses).
    pub fn on(&self, date: NaiveDate) -> bool {
        date.weekday() == self.weekday
            && self
                .week_of_month
                .is_none_or(|n| (date.day() - 1) / 7 + 1 == n)
    }

    /// `每月第2个星期三 15:00-17:00`, `每周星期二 08:30-11:30`.
    pub fn label_zh(&self) -> String {
        let day = weekday_name(self.weekday).1;
        let when = match self.week_of_month {
            Some(n) => format!("每月第{n}个{day}"),
            None => format!("每周{day}"),
        };
        match self.time {
            Some(t) => format!("{when} {t}"),
            None => when,
        }
    }

    pub fn label_en(&self) -> String {
        let day = weekday_name(self.weekday).0;
        let when = match self.week_of_month {
            Some(n) => format!("the {n}. {day} of each month"),
            None => format!("every {day}"),
        };
        match self.time {
            Some(t) => format!("{when}, {t}"),
            None => when,
        }
    }
}

/// One minimum. Loaded sets are validated: `period` is set exactly for the kinds that
/// take one, `form` only for `form_required`, `min >= 1`, `roles` not empty, a
/// `cite` on every rule.
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
    /// Which post classes it binds besides (None: any); a leader is bound when
    /// both their role and their class ([`Leader::class`]) are named.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub classes: Option<Vec<PositionClass>>,
    /// A `reception_form` code (form_required only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub form: Option<String>,
    pub per: Per,
    /// fixed_slot only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slot: Option<Slot>,
    /// owned_cases only: months after closure without a repeat petition before a
    /// case counts as resolved.
    pub resolved_after_months: u32,
    /// Chinese, shown to staff.
    pub description: String,
    /// The seed sentence the rule encodes, verbatim.
    pub cite: String,
}

impl QuotaRule {
    /// Whether the rule binds `leader` (their role and class).
    pub fn binds(&self, leader: &Leader) -> bool {
        self.roles.contains(&leader.role)
            && self
                .classes
                .as_ref()
                .is_none_or(|c| c.contains(&leader.class()))
    }

    /// Whether the rule binds every leader whatever their role and class (then
    /// entries naming leaders missing from the roster still count toward
    /// unit-wide numbers).
    pub fn binds_everyone(&self) -> bool {
        self.classes.is_none() && LeaderRole::ALL.iter().all(|r| self.roles.contains(r))
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
    /// Whom the supervision form (八联单) goes to; seed 004's posts unless the
    /// file says otherwise.
    pub supervision_form: SupervisionForm,
}

/// The posts a supervision form goes to when the office names nobody (the
/// responsible unit is added to every form), and the sentence that says so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SupervisionForm {
    pub posts: Vec<PositionClass>,
    pub cite: String,
}

impl Default for SupervisionForm {
    /// Seed 004's eight copies: six posts, the responsible unit, the office's stub.
    fn default() -> Self {
        SupervisionForm {
            posts: vec![
                PositionClass::PartySecretary,
                PositionClass::DeputySecretary,
                PositionClass::GovernmentHead,
                PositionClass::DeputyHead,
                PositionClass::DisciplineSecretary,
                PositionClass::OrganisationHead,
            ],
            cite: "在领导接访决策后，由信访部门填报“八单”，分别送达县委书记、主管副书记、\
                   县政府县长、主管副县长、纪检委书记、组织部长及责任单位（信访部门留存根）。"
                .to_owned(),
        }
    }
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
