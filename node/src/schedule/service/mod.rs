//! The schedule workflow at one node: roster, drafts, checks, review, approval
//! (which files the schedule upward), publication, adjustments, attendance, the
//! filing board and the quarterly register. Storage is the hub's documents plus the
//! node's draft table; every rule it applies lives in the pure modules beside it
//! (the workflow's states and steps in [`super::workflow`]).
//!
//! One job a file: [`roster`], [`drafts`] (drafts and their edits), [`evaluation`]
//! (quota rules against what the node holds), [`grid`] (a month's table tried or
//! saved whole, as the console's grid sends it), [`approval`] (review and approval,
//! which files), [`records`] (publication, adjustments, attendance on the filed
//! schedule), [`views`] (the schedule as answered), [`export`], [`board`] (the
//! filing board and reception statistics), [`quarterly`] (the register), [`owed`]
//! (what this unit files and who below has not, for the worklist),
//! [`reception_day`] (whether a leader receives on a day, for bookings) and
//! [`plan`] (the quarter's published plan, for the public page).

mod approval;
mod board;
mod drafts;
mod duty;
mod evaluation;
mod export;
mod grid;
mod owed;
pub mod plan;
mod quarterly;
mod reception_day;
mod records;
mod roster;
mod views;
mod work_report;

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use tokio::sync::Mutex;
use xinfang_hub::db::Db;
use xinfang_hub::{Hub, Topology, UnitCode};

use super::docs::{self, FiledSchedule};
use super::filing;
use super::model::Month;
use super::ruleset::RuleSets;
use super::workflow::{self, Refused, State, Step};
use crate::auth::{Action, Actor, Guard};
use crate::error::NodeError;
use crate::labels::Said;
use crate::rules::CaseRules;

pub use drafts::EntryProblem;
pub use grid::{DraftTable, TableProblem, Trial};
pub use owed::{FilingsDue, MissingFiling, OwedFiling};
pub use views::violation_pb;

const MAX_NAME_CHARS: usize = 50;
const MAX_TEXT_CHARS: usize = 500;

pub struct ScheduleService {
    hub: Hub,
    db: Db,
    rules: Arc<CaseRules>,
    sets: Arc<RuleSets>,
    /// Draft edits are read-modify-write: one at a time.
    drafts: Mutex<()>,
    /// Every call from a front authorizes its caller here, whichever front asks.
    guard: Arc<Guard>,
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn text(field: &'static str, v: &str, max: usize) -> Result<String, NodeError> {
    let v = v.trim();
    if v.chars().count() > max {
        return Err(NodeError::invalid(
            field,
            Said::new(
                format!("不能超过{max}个字符"),
                format!("at most {max} characters"),
            ),
        ));
    }
    if v.chars().any(char::is_control) {
        return Err(NodeError::invalid(
            field,
            Said::new("不能含有控制字符", "no control characters"),
        ));
    }
    Ok(v.to_owned())
}

fn opt(v: &str) -> Option<String> {
    let v = v.trim();
    (!v.is_empty()).then(|| v.to_owned())
}

pub fn parse_month(v: &str) -> Result<Month, NodeError> {
    Month::read(v).map_err(|e| NodeError::invalid("month", e))
}

pub fn parse_date(field: &'static str, v: &str) -> Result<NaiveDate, NodeError> {
    NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").map_err(|_| NodeError::not_a_date(field, v))
}

impl ScheduleService {
    pub fn new(
        hub: Hub,
        db: Db,
        rules: Arc<CaseRules>,
        sets: Arc<RuleSets>,
        guard: Arc<Guard>,
    ) -> Self {
        ScheduleService {
            hub,
            db,
            rules,
            sets,
            drafts: Mutex::new(()),
            guard,
        }
    }

    /// The guard every call asks first (fronts name their caller with it).
    pub fn guard(&self) -> &Guard {
        &self.guard
    }

    /// Whether `who` may take `action` on schedules (refusals audited by the
    /// guard): every call that fronts make starts here.
    async fn authorize(&self, who: &Actor, action: Action) -> Result<(), NodeError> {
        self.guard.authorize(who, action, "").await
    }

    fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.hub.now_ms()).unwrap_or_else(Utc::now)
    }

    fn today(&self) -> NaiveDate {
        filing::local_day(self.now())
    }

    fn topology(&self) -> &Arc<Topology> {
        self.hub.topology()
    }

    /// A unit this node writes schedules for: only its own.
    fn own_unit(&self, unit: &str) -> Result<UnitCode, NodeError> {
        let code: UnitCode = unit
            .trim()
            .parse()
            .map_err(|e| NodeError::not_unit_code("unit", unit, &e))?;
        if &code != self.hub.me() {
            return Err(NodeError::Denied(format!(
                "unit {code}: this node keeps the schedules of {} only",
                self.hub.me()
            )));
        }
        Ok(code)
    }

    /// A unit this node may read: itself or any unit below it.
    fn visible_unit(&self, unit: &str) -> Result<UnitCode, NodeError> {
        if unit.trim().is_empty() {
            return Ok(self.hub.me().clone());
        }
        let code: UnitCode = unit
            .trim()
            .parse()
            .map_err(|e| NodeError::not_unit_code("unit", unit, &e))?;
        if !self.topology().contains(&code) {
            return Err(NodeError::invalid(
                "unit",
                Said::new(
                    format!("单位{code}不在本系统的单位层级中"),
                    format!("unit {code} is not in the topology"),
                ),
            ));
        }
        if !self.topology().in_subtree(self.hub.me(), &code) {
            return Err(NodeError::Denied(format!(
                "unit {code} is not below {}: not yours to see",
                self.hub.me()
            )));
        }
        Ok(code)
    }

    fn unit_name(&self, unit: &UnitCode) -> String {
        self.topology()
            .unit(unit)
            .map(|u| u.name.clone())
            .unwrap_or_default()
    }

    async fn filed(
        &self,
        unit: &UnitCode,
        month: Month,
    ) -> Result<Option<(FiledSchedule, DateTime<Utc>)>, NodeError> {
        let Some(h) = self.hub.get(&crate::docid::schedule(unit, month)).await? else {
            return Ok(None);
        };
        let f = docs::read_filed(&h.loaded.doc).ok_or_else(|| {
            NodeError::Internal(format!(
                "{} is not a readable schedule",
                crate::docid::schedule(unit, month)
            ))
        })?;
        let at = DateTime::from_timestamp_millis(h.first_seen_ms).unwrap_or_else(Utc::now);
        Ok(Some((f, at)))
    }

    /// The filed schedule a step on an approved month needs (publication, an
    /// adjustment, attendance), and its state: the workflow says which steps a
    /// filed schedule allows.
    async fn require_filed(
        &self,
        unit: &UnitCode,
        month: Month,
        step: Step,
    ) -> Result<(FiledSchedule, State), NodeError> {
        let Some((f, _)) = self.filed(unit, month).await? else {
            return Err(refusal(Refused::NotApproved, unit, month));
        };
        let state = filed_state(&f);
        workflow::next(state, step).map_err(|r| refusal(r, unit, month))?;
        Ok((f, state))
    }

    /// Runs the quarter-end duty now and then, and logs overdue filings below.
    pub async fn run(self: Arc<Self>, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        let mut reported: BTreeSet<(String, String)> = BTreeSet::new();
        loop {
            match self.quarter_end_duty().await {
                Ok(Some(q)) => {
                    tracing::info!(quarter = %q, "quarterly reception register generated and filed")
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "quarterly register"),
            }
            match self.missing_filings().await {
                Ok(rows) => {
                    for r in rows {
                        if reported.insert((r.unit.clone(), r.month.clone())) {
                            tracing::warn!(unit = %r.unit, name = %r.unit_name, month = %r.month, deadline = %r.deadline, "schedule filing missing past its deadline");
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "filing board"),
            }
            tokio::select! {
                _ = shutdown.wait_for(|s| *s) => return,
                _ = tokio::time::sleep(std::time::Duration::from_secs(600)) => {}
            }
        }
    }
}

/// Approved, or published once the publication is recorded.
fn filed_state(f: &FiledSchedule) -> State {
    if filing::published_at(f).is_some() {
        State::Published
    } else {
        State::Approved
    }
}

/// A step the workflow refuses, as the node's error naming the rule, the unit and
/// the month.
fn refusal(r: Refused, unit: &UnitCode, month: Month) -> NodeError {
    let message = match r {
        Refused::AlreadyApproved => format!(
            "the {month} schedule of {unit} is approved and filed; change it with `schedule adjust`"
        ),
        Refused::ReviewFirst => format!(
            "the {month} draft of {unit} must be reviewed by the leader in charge before approval"
        ),
        Refused::NotApproved => format!("the {month} schedule of {unit} is not approved yet"),
    };
    NodeError::Rule {
        rule: r.rule(),
        message,
    }
}
