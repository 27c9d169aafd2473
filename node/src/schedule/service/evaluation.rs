//! A month's schedule judged by the unit's quota rules, with what the rules need
//! from the node: the neighbouring months' entries and the cases leaders own, with
//! their closure and repeat petitions (the rule decides which count).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use xinfang_hub::UnitCode;

use super::ScheduleService;
use crate::error::NodeError;
use crate::schedule::filing;
use crate::schedule::model::{Entry, Month, Quarter};
use crate::schedule::quota::{self, OwnedCase, QuotaInput};
use crate::schedule::ruleset::RuleKind;

impl ScheduleService {
    /// The entries in force for a month of a unit: filed (with adjustments) if
    /// approved, else the draft when the node holds it.
    async fn entries_of(&self, unit: &UnitCode, month: Month) -> Result<Vec<Entry>, NodeError> {
        if let Some((f, _)) = self.filed(unit, month).await? {
            return Ok(filing::effective(&f));
        }
        if unit == self.hub.me() {
            return Ok(self
                .load_draft(unit, month)
                .await?
                .map(|d| d.entries)
                .unwrap_or_default());
        }
        Ok(Vec::new())
    }

    /// Evaluates `entries` as `unit`'s schedule for `month`.
    pub(super) async fn evaluate(
        &self,
        unit: &UnitCode,
        month: Month,
        entries: &[Entry],
    ) -> Result<quota::Evaluation, NodeError> {
        let roster = self.roster(unit).await?;
        // Neighbouring months for weeks that straddle a month boundary; at a
        // quarter's end, the months of the year for quarter, half-year and year rules.
        let mut months = vec![month.prev(), month.next()];
        if Quarter::of(month).months()[2] == month {
            months.extend((1..month.month).filter_map(|m| Month::new(month.year, m)));
        }
        months.sort();
        months.dedup();
        let mut other = Vec::new();
        for m in months.into_iter().filter(|m| *m != month) {
            other.extend(self.entries_of(unit, m).await?);
        }
        let set = self.sets.of(unit);
        // Owned cases are judged in December only: read them only then.
        let owned = if month.month == 12 && set.rules.iter().any(|r| r.kind == RuleKind::OwnedCases)
        {
            self.owned_cases(unit).await?
        } else {
            Vec::new()
        };
        Ok(quota::evaluate(&QuotaInput {
            rules: set,
            month,
            roster: &roster,
            entries,
            other_months: &other,
            owned_cases: &owned,
            today: self.today(),
            calendar: &self.rules.calendar,
        }))
    }

    /// The cases the unit's leaders own, with what makes one resolved (化解): the
    /// day it was closed, if it stands closed now (a case reopened for review is
    /// not), and the days later petitions linked to it as repeats were received.
    async fn owned_cases(&self, unit: &UnitCode) -> Result<Vec<OwnedCase>, NodeError> {
        let rows: Vec<(String, String, String, Option<String>)> = sqlx::query_as(
            "SELECT c.case_no, c.owner, c.status, f.closed_on FROM node_cases c
             LEFT JOIN node_case_facts f ON f.case_no = c.case_no
             WHERE c.owner_unit = $1 AND c.owner IS NOT NULL
             ORDER BY c.case_no",
        )
        .bind(unit.as_str())
        .fetch_all(self.db.pool())
        .await?;
        let repeats: Vec<(String, String)> = sqlx::query_as(
            "SELECT r.repeat_of, f.received FROM node_cases r
             JOIN node_case_facts f ON f.case_no = r.case_no
             WHERE r.repeat_of IN
               (SELECT case_no FROM node_cases WHERE owner_unit = $1 AND owner IS NOT NULL)",
        )
        .bind(unit.as_str())
        .fetch_all(self.db.pool())
        .await?;
        let mut later: BTreeMap<String, Vec<NaiveDate>> = BTreeMap::new();
        for (of, received) in repeats {
            if let Some(d) = day(&received) {
                later.entry(of).or_default().push(d);
            }
        }
        Ok(rows
            .into_iter()
            .map(|(case_no, leader, status, closed_on)| {
                let closed = matches!(status.as_str(), "closed" | "archived");
                OwnedCase {
                    repeats: later.remove(&case_no).unwrap_or_default(),
                    closed_on: closed_on.as_deref().and_then(day).filter(|_| closed),
                    case_no,
                    leader,
                }
            })
            .collect())
    }
}

/// A `YYYY-MM-DD` day of the case tables.
fn day(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.get(..10)?, "%Y-%m-%d").ok()
}
