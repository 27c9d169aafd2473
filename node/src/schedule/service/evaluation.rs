//! A month's schedule judged by the unit's quota rules, with what the rules need
//! from the node: the neighbouring months' entries and the cases leaders own.

use std::collections::BTreeMap;

use xinfang_hub::UnitCode;

use super::ScheduleService;
use crate::error::NodeError;
use crate::schedule::filing;
use crate::schedule::model::{Entry, Month, Quarter};
use crate::schedule::quota::{self, QuotaInput};

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
        let owned = self.owned_cases(unit, month.year).await?;
        let set = self.sets.of(unit);
        Ok(quota::evaluate(&QuotaInput {
            rules: set,
            month,
            roster: &roster,
            entries,
            other_months: &other,
            owned_cases: &owned,
            calendar: &self.rules.calendar,
        }))
    }

    async fn owned_cases(
        &self,
        unit: &UnitCode,
        year: i32,
    ) -> Result<BTreeMap<String, u32>, NodeError> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT owner, COUNT(*) FROM node_cases
             WHERE owner_unit = $1 AND owner IS NOT NULL AND substr(owned_at, 1, 4) = $2
             GROUP BY owner",
        )
        .bind(unit.as_str())
        .bind(format!("{year:04}"))
        .fetch_all(self.db.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(k, n)| (k, u32::try_from(n).unwrap_or(u32::MAX)))
            .collect())
    }
}
