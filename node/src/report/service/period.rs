//! The period and unit a question is about: a whole month, or any run of days,
//! split into the whole months the rollups answer and the days around them.

use chrono::NaiveDate;
use xinfang_hub::UnitCode;
use xinfang_proto::v1 as pb;

use super::ReportService;
use crate::error::NodeError;
use crate::labels::Said;
use crate::schedule::model::Month;

/// The question's scope: a unit of the subtree and a period of registration days.
pub(super) struct Scope {
    pub(super) unit: UnitCode,
    pub(super) unit_name: String,
    pub(super) from: NaiveDate,
    pub(super) to: NaiveDate,
    /// The registering units counted (None: every unit this node holds cases of,
    /// i.e. the node's whole subtree at its root).
    pub(super) units: Option<Vec<String>>,
}

/// The period before: the previous calendar month for a whole month, otherwise the
/// same number of days just before.
pub(super) fn previous(from: NaiveDate, to: NaiveDate) -> (NaiveDate, NaiveDate) {
    let m = Month::of(from);
    if from == m.first_day() && to == m.last_day() {
        return (m.prev().first_day(), m.prev().last_day());
    }
    let prev_to = from.pred_opt().unwrap_or(from);
    (prev_to - (to - from), prev_to)
}

fn day(field: &'static str, v: &str) -> Result<NaiveDate, NodeError> {
    NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").map_err(|_| NodeError::not_a_date(field, v))
}

/// A run of days, first and last included.
pub(super) type Days = (NaiveDate, NaiveDate);

/// Whole months within `[from, to]`, and the days before and after them.
pub(super) fn split(from: NaiveDate, to: NaiveDate) -> (Option<(Month, Month)>, Vec<Days>) {
    let first = if from == Month::of(from).first_day() {
        Month::of(from)
    } else {
        Month::of(from).next()
    };
    let last = if to == Month::of(to).last_day() {
        Month::of(to)
    } else {
        Month::of(to).prev()
    };
    if first > last {
        return (None, vec![(from, to)]);
    }
    let mut edges = Vec::new();
    if from < first.first_day() {
        edges.push((from, first.first_day().pred_opt().unwrap_or(from)));
    }
    if to > last.last_day() {
        edges.push((last.last_day().succ_opt().unwrap_or(to), to));
    }
    (Some((first, last)), edges)
}

impl ReportService {
    pub(super) fn scope(&self, req: &pb::ReportRequest) -> Result<Scope, NodeError> {
        let me = self.hub.me().clone();
        let unit: UnitCode = if req.unit.trim().is_empty() {
            me.clone()
        } else {
            req.unit
                .trim()
                .parse()
                .map_err(|e| NodeError::not_unit_code("unit", &req.unit, &e))?
        };
        if !self.topology().contains(&unit) {
            return Err(NodeError::invalid(
                "unit",
                Said::new(
                    format!("单位{unit}不在本系统的单位层级中"),
                    format!("unit {unit} is not in the topology"),
                ),
            ));
        }
        if !self.topology().in_subtree(&me, &unit) {
            return Err(NodeError::Denied(format!(
                "unit {unit} is not below {me}: not yours to see"
            )));
        }
        let (from, to) = if !req.month.trim().is_empty() {
            let m: Month = req.month.parse().map_err(|e: String| {
                NodeError::invalid(
                    "month",
                    Said::new(
                        format!("“{}”不是月份，应写成YYYY-MM，如2016-04", req.month.trim()),
                        e,
                    ),
                )
            })?;
            (m.first_day(), m.last_day())
        } else if req.from.trim().is_empty() && req.to.trim().is_empty() {
            let m = Month::of(self.today());
            (m.first_day(), m.last_day())
        } else {
            if req.from.trim().is_empty() || req.to.trim().is_empty() {
                return Err(NodeError::invalid(
                    "from",
                    Said::new(
                        "应同时给出--from和--to，或给出--month",
                        "give both --from and --to, or --month",
                    ),
                ));
            }
            (day("from", &req.from)?, day("to", &req.to)?)
        };
        if to < from {
            return Err(NodeError::invalid(
                "to",
                Said::new(
                    format!("起止日期颠倒：{from}晚于{to}"),
                    format!("the period is reversed: {from} is after {to}"),
                ),
            ));
        }
        // At the root of the topology every case held is the subtree's: no filter.
        let units = (&unit != self.topology().root()).then(|| {
            self.topology()
                .subtree(&unit)
                .into_iter()
                .map(|u| u.to_string())
                .collect()
        });
        Ok(Scope {
            unit_name: self.name(unit.as_str()),
            unit,
            from,
            to,
            units,
        })
    }

    pub(super) fn period_label(scope: &Scope) -> String {
        let m = Month::of(scope.from);
        if scope.from == m.first_day() && scope.to == m.last_day() {
            m.label_zh()
        } else {
            format!("{}至{}", scope.from, scope.to)
        }
    }

    pub(super) fn months(scope: &Scope) -> Vec<Month> {
        let mut out = Vec::new();
        let mut m = Month::of(scope.from);
        while m <= Month::of(scope.to) {
            out.push(m);
            m = m.next();
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn m(s: &str) -> Month {
        s.parse().unwrap()
    }

    /// Whole months go to the rollups, the days around them to the case rows, and
    /// together they cover the period exactly once.
    #[test]
    fn a_period_splits_into_whole_months_and_the_days_around_them() {
        assert_eq!(
            split(d("2026-03-01"), d("2026-04-30")),
            (Some((m("2026-03"), m("2026-04"))), vec![])
        );
        assert_eq!(
            split(d("2026-02-15"), d("2026-05-10")),
            (
                Some((m("2026-03"), m("2026-04"))),
                vec![
                    (d("2026-02-15"), d("2026-02-28")),
                    (d("2026-05-01"), d("2026-05-10"))
                ]
            )
        );
        // Within one month, or two partial months: days only.
        assert_eq!(
            split(d("2026-03-02"), d("2026-03-30")),
            (None, vec![(d("2026-03-02"), d("2026-03-30"))])
        );
        assert_eq!(
            split(d("2026-03-02"), d("2026-04-08")),
            (None, vec![(d("2026-03-02"), d("2026-04-08"))])
        );
        // A leap February is whole to its 29th.
        assert_eq!(
            split(d("2028-02-01"), d("2028-02-29")),
            (Some((m("2028-02"), m("2028-02"))), vec![])
        );
        // Every day of a long range is covered once.
        let (from, to) = (d("2025-12-31"), d("2027-01-01"));
        let (months, edges) = split(from, to);
        let (first, last) = months.unwrap();
        let mut days = (last.last_day() - first.first_day()).num_days() + 1;
        for (a, b) in edges {
            days += (b - a).num_days() + 1;
        }
        assert_eq!(days, (to - from).num_days() + 1);
    }
}
