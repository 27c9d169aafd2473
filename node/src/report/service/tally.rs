//! What the query tables add up to for a question: whole months from the rollup
//! tables, other days from the per-case facts rows through the same
//! [`rollup::entries`], and the open deadlines overdue.

use chrono::NaiveDate;
use xinfang_hub::UnitCode;
use xinfang_hub::db::Sql;

use super::ReportService;
use super::period::{Scope, split};
use crate::error::NodeError;
use crate::report::facts::CaseFacts;
use crate::report::rollup::{self, Anchors, Need, Tally};
use crate::report::rollup_store::{FACT_COLUMNS, FLAGS, FactsRow, PARTS, part_columns};
use crate::schedule::model::Month;

impl ReportService {
    pub(super) fn base(
        &self,
        scope: &Scope,
        from: NaiveDate,
        to: NaiveDate,
        select: &str,
    ) -> Sql<'static> {
        let mut q = Sql::new(format!(
            "SELECT {select} FROM node_case_facts WHERE received >= "
        ));
        q.bind(from.to_string())
            .push(" AND received <= ")
            .bind(to.to_string());
        if let Some(units) = &scope.units {
            q.push(" AND registered_by IN (")
                .bind_list(units.iter().cloned())
                .push(")");
        }
        q
    }

    pub(super) fn anchors(&self) -> Anchors<'_> {
        Anchors::new(self.topology(), self.hub.me())
    }

    /// The per-case rows of cases registered at or below the scope's unit on days
    /// `[from, to]`, with whether a later petition repeats each.
    pub(super) async fn facts(
        &self,
        scope: &Scope,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(CaseFacts, bool)>, NodeError> {
        let q = self.base(scope, from, to, FACT_COLUMNS);
        let rows: Vec<FactsRow> = q.fetch_all_as(self.db.pool()).await?;
        Ok(rows.into_iter().map(FactsRow::into_facts).collect())
    }

    /// What cases registered on days `[from, to]` add up to at the scope's unit:
    /// whole months from the rollup tables, the days around them (and every day,
    /// for a unit without units below) from the per-case rows through the same
    /// [`rollup::entries`].
    pub(super) async fn tally(
        &self,
        scope: &Scope,
        from: NaiveDate,
        to: NaiveDate,
        need: Need<'_>,
    ) -> Result<Tally, NodeError> {
        let anchors = self.anchors();
        let mut t = Tally::default();
        let edges = if anchors.kept(&scope.unit) {
            let (months, edges) = split(from, to);
            if let Some((first, last)) = months {
                t.merge(self.tally_rollups(&scope.unit, first, last, &need).await?);
            }
            edges
        } else {
            vec![(from, to)]
        };
        let with_rates = need.rates_as_of.is_some();
        for (a, b) in edges {
            let mut part = Tally::default();
            for (f, repeated) in self.facts(scope, a, b).await? {
                let e = rollup::entries_at(&f, repeated, &anchors, Some(&scope.unit), with_rates);
                part.add(&e, &scope.unit, &need);
            }
            t.merge(part);
        }
        Ok(t)
    }

    async fn tally_rollups(
        &self,
        anchor: &UnitCode,
        first: Month,
        last: Month,
        need: &Need<'_>,
    ) -> Result<Tally, NodeError> {
        let mut t = Tally::default();
        if !need.dims.is_empty() {
            // Flags are columns of the `all` rows.
            let flags = need.dims.contains(&"flag");
            let mut q = Sql::new(
                "SELECT month, dim, value, CAST(SUM(n) AS BIGINT), CAST(SUM(accepted) AS BIGINT),
                        CAST(SUM(replied) AS BIGINT), CAST(SUM(closed) AS BIGINT),
                        CAST(SUM(repeats) AS BIGINT), CAST(SUM(online) AS BIGINT)
                 FROM node_rollup_counts WHERE anchor = ",
            );
            let dims = need
                .dims
                .iter()
                .copied()
                .filter(|d| *d != "flag")
                .chain(flags.then_some("all"));
            q.bind(anchor.to_string())
                .push(" AND dim IN (")
                .bind_list(dims)
                .push(") AND month >= ")
                .bind(first.to_string())
                .push(" AND month <= ")
                .bind(last.to_string())
                .push(" GROUP BY month, dim, value");
            type Sums = (String, String, String, i64, i64, i64, i64, i64, i64);
            let rows: Vec<Sums> = q.fetch_all_as(self.db.pool()).await?;
            for (month, dim, value, n, a, r, c, rep, on) in rows {
                if dim == "all" && flags {
                    for (flag, k) in FLAGS.iter().zip([a, r, c, rep, on]) {
                        if k != 0 {
                            t.counts
                                .insert((month.clone(), "flag".into(), (*flag).into()), k);
                        }
                    }
                    if !need.dims.contains(&"all") {
                        continue;
                    }
                }
                if n != 0 {
                    t.counts.insert((month, dim, value), n);
                }
            }
        }
        if let Some(as_of) = need.rates_as_of {
            let sums: Vec<String> = part_columns()
                .iter()
                .map(|c| format!("CAST(SUM({c}) AS BIGINT)"))
                .collect();
            let rows = sqlx::query(&format!(
                "SELECT grp, {} FROM node_rollup_rates
                 WHERE anchor = $1 AND month >= $2 AND month <= $3 AND day <= $4
                 GROUP BY grp",
                sums.join(", ")
            ))
            .bind(anchor.as_str())
            .bind(first.to_string())
            .bind(last.to_string())
            .bind(as_of.to_string())
            .fetch_all(self.db.pool())
            .await?;
            use sqlx::Row;
            for r in rows {
                let group: String = r.try_get(0)?;
                for part in 0..PARTS {
                    let n: i64 = r.try_get(1 + part)?;
                    if n != 0 {
                        t.rates.insert((group.clone(), part as u8), n);
                    }
                }
            }
        }
        Ok(t)
    }

    /// Open deadlines due before `today` to be met at or below `unit`, by kind and day.
    pub(super) async fn overdue_tally(
        &self,
        unit: &UnitCode,
        today: NaiveDate,
    ) -> Result<Tally, NodeError> {
        let anchors = self.anchors();
        let mut t = Tally::default();
        if anchors.kept(unit) {
            let rows: Vec<(String, String, i64)> = sqlx::query_as(
                "SELECT kind, day, CAST(SUM(n) AS BIGINT) FROM node_rollup_due
                 WHERE anchor = $1 AND day < $2 GROUP BY kind, day",
            )
            .bind(unit.as_str())
            .bind(today.to_string())
            .fetch_all(self.db.pool())
            .await?;
            for (kind, d, n) in rows {
                if let (Ok(d), true) = (NaiveDate::parse_from_str(&d, "%Y-%m-%d"), n != 0) {
                    t.due.insert((kind, d), n);
                }
            }
            return Ok(t);
        }
        let rows: Vec<FactsRow> = sqlx::query_as(&format!(
            "SELECT {FACT_COLUMNS} FROM node_case_facts WHERE next_due_unit = $1 AND next_due < $2"
        ))
        .bind(unit.as_str())
        .bind(today.to_string())
        .fetch_all(self.db.pool())
        .await?;
        let need = Need {
            due_before: Some(today),
            ..Need::default()
        };
        for (f, repeated) in rows.into_iter().map(FactsRow::into_facts) {
            let e = rollup::entries_at(&f, repeated, &anchors, Some(unit), false);
            t.add(&e, unit, &need);
        }
        Ok(t)
    }
}
