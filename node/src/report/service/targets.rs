//! The figures a responsibility letter's targets are measured on, for one unit's
//! subtree over a run of days: every rate as the rates report computes it for the
//! unit (`assessment`), and the counts of skip-level, repeat and group petitions. The
//! letter service (`letter::service`) authorizes its callers and judges the
//! targets; this file only measures.

use chrono::NaiveDate;
use xinfang_hub::UnitCode;
use xinfang_proto::v1 as pb;

use super::ReportService;
use crate::docid::CaseNo;
use crate::error::NodeError;
use crate::report::rates::Rate;
use crate::report::rollup::Need;
use crate::schedule::filing::FilingStatus;
use crate::schedule::model::Month;

/// What one unit's subtree measured over a run of days.
#[derive(Debug, Clone, PartialEq)]
pub struct Measures {
    /// Every rate of `RATES`, as of the day measured, over the cases registered
    /// in the days (as the rates report for the unit shows them).
    pub rates: Vec<Rate>,
    /// Petitions registered in the days with `skip_level_of` set whose skipped
    /// case was registered at or below the unit (the unit was gone over).
    pub skip_level: u64,
    /// Petitions registered at or below the unit in the days that repeat an
    /// earlier one (`repeat_of`).
    pub repeat: u64,
    /// Group petitions (集体访, `case::is_group_visit`) registered at or below the
    /// unit in the days.
    pub group: u64,
    /// The unit's own monthly reception schedules for the months of the days, from
    /// this node's filing board; None at the unit's own node (a board lists only
    /// the units below it).
    pub filings: Option<Filings>,
}

/// What the filing board says of one unit's months.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Filings {
    /// Months whose schedule was filed after its deadline or is missing past it.
    pub late_or_missing: u64,
    /// Rule violations (quotas and the rest of the unit's rule set) on the
    /// schedules filed for the months.
    pub violations: u64,
}

impl ReportService {
    /// The filing board's rows for `unit` for every month of `[from, to]`.
    async fn filings_of(
        &self,
        unit: &UnitCode,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Filings, NodeError> {
        let mut out = Filings::default();
        let mut m = Month::of(from);
        while m <= Month::of(to) {
            let board = self
                .schedules
                .board(pb::FilingsRequest {
                    month: m.to_string(),
                    unit: unit.to_string(),
                })
                .await?;
            for row in board.rows.iter().filter(|r| r.unit == unit.as_str()) {
                if row.status == FilingStatus::Late.code()
                    || row.status == FilingStatus::Missing.code()
                {
                    out.late_or_missing += 1;
                }
                out.violations += row.violations.len() as u64;
            }
            m = m.next();
        }
        Ok(out)
    }
}

/// Whether a case registered at `at` (RFC 3339) was registered on a local day in
/// `[from, to]`.
fn registered_within(at: &str, from: NaiveDate, to: NaiveDate) -> bool {
    chrono::DateTime::parse_from_rfc3339(at).is_ok_and(|at| {
        let day = crate::case::local_day(at.with_timezone(&chrono::Utc));
        day >= from && day <= to
    })
}

impl ReportService {
    /// The group petitions (集体访) this node holds registered on days
    /// `[from, to]`: the registering unit and the head count of each.
    pub(super) async fn group_petition_rows(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(String, u32)>, NodeError> {
        let rows: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT unit, registered_at, head_count FROM node_cases WHERE head_count >= $1",
        )
        .bind(i64::from(crate::case::GROUP_VISIT_MIN_PEOPLE))
        .fetch_all(self.db.pool())
        .await?;
        Ok(rows
            .into_iter()
            .filter(|(_, at, _)| registered_within(at, from, to))
            .map(|(u, _, n)| (u, u32::try_from(n).unwrap_or(u32::MAX)))
            .filter(|(_, n)| crate::case::is_group_visit(*n))
            .collect())
    }

    /// Measures `unit`'s subtree over `[from, to]`, rates as of today. The caller
    /// authorizes (the letter service); `unit` must be in this node's subtree.
    pub async fn measure(
        &self,
        unit: &UnitCode,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Measures, NodeError> {
        self.tables.catch_up().await?;
        let scope = self.scope(&pb::ReportRequest {
            unit: unit.to_string(),
            from: from.to_string(),
            to: to.to_string(),
            ..Default::default()
        })?;
        let need = Need {
            rates_as_of: Some(self.today()),
            ..Need::default()
        };
        let tally = self.tally(&scope, scope.from, scope.to, need).await?;
        let rates = Self::fold_rates(&tally, None, |_| true);
        // Flagged petitions are few: read them and place each in Rust, by the day
        // it was registered here (local day) and the unit it counts against.
        let rows: Vec<(String, String, Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT unit, registered_at, skip_level_of, repeat_of FROM node_cases
             WHERE skip_level_of IS NOT NULL OR repeat_of IS NOT NULL",
        )
        .fetch_all(self.db.pool())
        .await?;
        let topo = self.topology();
        let below = |code: &str| {
            code.parse::<UnitCode>()
                .is_ok_and(|c| topo.in_subtree(unit, &c))
        };
        let (mut skip_level, mut repeat) = (0u64, 0u64);
        for (registered_by, at, skip_of, repeat_of) in rows {
            if !registered_within(&at, from, to) {
                continue;
            }
            if skip_of
                .as_deref()
                .and_then(CaseNo::parse)
                .is_some_and(|c| below(c.unit.as_str()))
            {
                skip_level += 1;
            }
            if repeat_of.is_some() && below(&registered_by) {
                repeat += 1;
            }
        }
        let group = self
            .group_petition_rows(from, to)
            .await?
            .iter()
            .filter(|(u, _)| below(u))
            .count() as u64;
        let filings = if unit == self.hub.me() {
            None
        } else {
            Some(self.filings_of(unit, from, to).await?)
        };
        Ok(Measures {
            rates,
            skip_level,
            repeat,
            group,
            filings,
        })
    }
}
