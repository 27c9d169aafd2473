//! The report service: bureau questions answered from the query tables
//! (`node_case_facts`, kept by the projector) over any unit of this node's subtree.
//! Every answer is a table (`pb::Report`) with Chinese headers, unit names, a totals
//! row and the keys to drill down to the cases behind a number.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, Months, NaiveDate, SecondsFormat, Utc};
use xinfang_hub::db::{Db, Sql};
use xinfang_hub::{Hub, Topology, UnitCode};
use xinfang_proto::v1 as pb;

use super::facts::CaseFacts;
use super::rates::{self, ChargedTo, RATES};
use super::rollup::{self, Anchors, Entry, Need, Tally};
use super::rollup_store::{FACT_COLUMNS, FLAGS, FactsRow, PARTS, part_columns};
use crate::case::labels;
use crate::error::NodeError;
use crate::projection::Projector;
use crate::rules::CaseRules;
use crate::schedule::model::Month;
use crate::schedule::service::ScheduleService;

const MAX_LIST: u32 = 10_000;

pub struct ReportService {
    hub: Hub,
    db: Db,
    projector: Arc<Projector>,
    rules: Arc<CaseRules>,
    schedules: Arc<ScheduleService>,
}

/// The question's scope: a unit of the subtree and a period of registration days.
struct Scope {
    unit: UnitCode,
    unit_name: String,
    from: NaiveDate,
    to: NaiveDate,
    /// The registering units counted (None: every unit this node holds cases of,
    /// i.e. the node's whole subtree at its root).
    units: Option<Vec<String>>,
}

fn int(n: i64) -> pb::Cell {
    pb::Cell {
        kind: "int".into(),
        int: n,
        ..Default::default()
    }
}

fn text(s: impl Into<String>) -> pb::Cell {
    pb::Cell {
        kind: "text".into(),
        text: s.into(),
        ..Default::default()
    }
}

fn rate(v: Option<f64>) -> pb::Cell {
    match v {
        Some(r) => pb::Cell {
            kind: "rate".into(),
            rate: r,
            ..Default::default()
        },
        None => pb::Cell {
            kind: "none".into(),
            ..Default::default()
        },
    }
}

fn ratio(n: i64, d: i64) -> Option<f64> {
    (d != 0).then(|| n as f64 / d as f64)
}

/// Change from `before` to `now` (None when there was nothing before).
fn change(now: i64, before: i64) -> Option<f64> {
    (before != 0).then(|| (now - before) as f64 / before as f64)
}

/// The period before: the previous calendar month for a whole month, otherwise the
/// same number of days just before.
fn previous(from: NaiveDate, to: NaiveDate) -> (NaiveDate, NaiveDate) {
    let m = Month::of(from);
    if from == m.first_day() && to == m.last_day() {
        return (m.prev().first_day(), m.prev().last_day());
    }
    let prev_to = from.pred_opt().unwrap_or(from);
    (prev_to - (to - from), prev_to)
}

fn day(field: &'static str, v: &str) -> Result<NaiveDate, NodeError> {
    NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d")
        .map_err(|_| NodeError::invalid(field, format!("{v:?} is not a date; write YYYY-MM-DD")))
}

/// A status code's label (the one table, `case::labels`).
fn status_zh(code: &str) -> &str {
    labels::status_of_code(code).map_or(code, |s| labels::status(s).zh)
}

/// A channel code's label (the one table, `case::labels`).
fn channel_zh(code: &str) -> &str {
    labels::channel_of_code(code).map_or(code, |c| labels::channel(c).zh)
}

fn kind_zh(code: &str) -> &str {
    match code {
        "route" => "转送交办",
        "object" => "异议",
        "notify" => "告知",
        "handle" => "办理",
        "supervision" => "督办",
        "review_answer" => "复查复核",
        other => other,
    }
}

/// A run of days, first and last included.
type Days = (NaiveDate, NaiveDate);

/// Whole months within `[from, to]`, and the days before and after them.
fn split(from: NaiveDate, to: NaiveDate) -> (Option<(Month, Month)>, Vec<Days>) {
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
    pub fn new(
        hub: Hub,
        db: Db,
        projector: Arc<Projector>,
        rules: Arc<CaseRules>,
        schedules: Arc<ScheduleService>,
    ) -> Self {
        ReportService {
            hub,
            db,
            projector,
            rules,
            schedules,
        }
    }

    fn topology(&self) -> &Arc<Topology> {
        self.hub.topology()
    }

    fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.hub.now_ms()).unwrap_or_else(Utc::now)
    }

    fn today(&self) -> NaiveDate {
        crate::lifecycle::local_day(self.now())
    }

    fn name(&self, code: &str) -> String {
        code.parse::<UnitCode>()
            .ok()
            .and_then(|c| self.topology().unit(&c).map(|u| u.name.clone()))
            .unwrap_or_else(|| code.to_owned())
    }

    fn scope(&self, req: &pb::ReportRequest) -> Result<Scope, NodeError> {
        let me = self.hub.me().clone();
        let unit: UnitCode = if req.unit.trim().is_empty() {
            me.clone()
        } else {
            req.unit
                .trim()
                .parse()
                .map_err(|e| NodeError::invalid("unit", format!("{e}")))?
        };
        if !self.topology().contains(&unit) {
            return Err(NodeError::invalid(
                "unit",
                format!("unit {unit} is not in the topology"),
            ));
        }
        if !self.topology().in_subtree(&me, &unit) {
            return Err(NodeError::Denied(format!(
                "unit {unit} is not below {me}: not yours to see"
            )));
        }
        let (from, to) = if !req.month.trim().is_empty() {
            let m: Month = req
                .month
                .parse()
                .map_err(|e: String| NodeError::invalid("month", e))?;
            (m.first_day(), m.last_day())
        } else if req.from.trim().is_empty() && req.to.trim().is_empty() {
            let m = Month::of(self.today());
            (m.first_day(), m.last_day())
        } else {
            if req.from.trim().is_empty() || req.to.trim().is_empty() {
                return Err(NodeError::invalid(
                    "from",
                    "give both --from and --to, or --month",
                ));
            }
            (day("from", &req.from)?, day("to", &req.to)?)
        };
        if to < from {
            return Err(NodeError::invalid(
                "to",
                format!("the period is reversed: {from} is after {to}"),
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

    fn base(&self, scope: &Scope, from: NaiveDate, to: NaiveDate, select: &str) -> Sql<'static> {
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

    fn anchors(&self) -> Anchors<'_> {
        Anchors::new(self.topology(), self.hub.me())
    }

    /// The per-case rows of cases registered at or below the scope's unit on days
    /// `[from, to]`, with whether a later petition repeats each.
    async fn facts(
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
    async fn tally(
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
    async fn overdue_tally(&self, unit: &UnitCode, today: NaiveDate) -> Result<Tally, NodeError> {
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

    fn report(&self, scope: &Scope, by: &str, title: String, headers: Vec<&str>) -> pb::Report {
        pb::Report {
            unit: scope.unit.to_string(),
            unit_name: scope.unit_name.clone(),
            from: scope.from.to_string(),
            to: scope.to.to_string(),
            by: by.into(),
            as_of: self.now().to_rfc3339_opts(SecondsFormat::Millis, true),
            title,
            headers: headers.into_iter().map(str::to_owned).collect(),
            ..Default::default()
        }
    }

    fn period_label(scope: &Scope) -> String {
        let m = Month::of(scope.from);
        if scope.from == m.first_day() && scope.to == m.last_day() {
            m.label_zh()
        } else {
            format!("{}至{}", scope.from, scope.to)
        }
    }

    // --- summary ---------------------------------------------------------------

    async fn counts(
        &self,
        scope: &Scope,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<[i64; 7], NodeError> {
        let need = Need {
            dims: &["all", "flag", "due"],
            ..Need::default()
        };
        let t = self.tally(scope, from, to, need).await?;
        let today = self.today().to_string();
        let overdue = t
            .counts
            .iter()
            .filter(|((_, dim, due), _)| dim == "due" && due.as_str() < today.as_str())
            .map(|(_, n)| n)
            .sum();
        let flag = |f: &str| t.count("flag", f);
        Ok([
            t.count("all", ""),
            flag("accepted"),
            flag("replied"),
            flag("closed"),
            overdue,
            flag("repeat"),
            flag("online"),
        ])
    }

    pub async fn summary(&self, req: pb::ReportRequest) -> Result<pb::Report, NodeError> {
        self.projector.catch_up().await?;
        let scope = self.scope(&req)?;
        let (prev_from, prev_to) = previous(scope.from, scope.to);
        let year_ago = |d: NaiveDate| d.checked_sub_months(Months::new(12)).unwrap_or(d);
        let now = self.counts(&scope, scope.from, scope.to).await?;
        let prev = self.counts(&scope, prev_from, prev_to).await?;
        let last = self
            .counts(&scope, year_ago(scope.from), year_ago(scope.to))
            .await?;
        let mut r = self.report(
            &scope,
            "",
            format!(
                "{} {} 信访总体情况",
                scope.unit_name,
                Self::period_label(&scope)
            ),
            vec!["指标", "本期", "上期", "环比", "去年同期", "同比"],
        );
        let names = [
            ("registered", "登记件数"),
            ("accepted", "受理"),
            ("replied", labels::status(crate::case::Status::Replied).zh),
            ("closed", labels::status(crate::case::Status::Closed).zh),
            ("overdue", "当前逾期"),
            ("repeat", "重复信访"),
            ("online", "网上信访"),
        ];
        for (i, (key, label)) in names.iter().enumerate() {
            r.rows.push(pb::ReportRow {
                key: (*key).into(),
                cells: vec![
                    text(*label),
                    int(now[i]),
                    int(prev[i]),
                    rate(change(now[i], prev[i])),
                    int(last[i]),
                    rate(change(now[i], last[i])),
                ],
            });
        }
        r.notes.push(format!(
            "上期 {prev_from} 至 {prev_to}；去年同期 {} 至 {}；逾期按今日 {} 计。",
            year_ago(scope.from),
            year_ago(scope.to),
            self.today()
        ));
        Ok(r)
    }

    // --- breakdown --------------------------------------------------------------

    fn label(&self, by: &str, key: &str) -> String {
        match by {
            "unit" | "tier" => self.name(key),
            "channel" => channel_zh(key).to_owned(),
            "status" => status_zh(key).to_owned(),
            "category" => self
                .rules
                .taxonomy
                .category(key, None)
                .map(|e| e.name.clone())
                .unwrap_or_else(|_| {
                    if key.is_empty() {
                        "未分类".into()
                    } else {
                        key.to_owned()
                    }
                }),
            "purpose" => self
                .rules
                .taxonomy
                .purpose(key)
                .map(|e| e.name.clone())
                .unwrap_or_else(|_| {
                    if key.is_empty() {
                        "未注明".into()
                    } else {
                        key.to_owned()
                    }
                }),
            _ => key.to_owned(),
        }
    }

    fn column(by: &str) -> Result<&'static str, NodeError> {
        Ok(match by {
            "unit" => "registered_by",
            "channel" => "channel",
            "purpose" => "purpose",
            "category" => "category",
            "status" => "status",
            "month" => "month",
            other => {
                return Err(NodeError::invalid(
                    "by",
                    format!(
                        "unknown dimension {other:?}; known: unit, channel, purpose, category, status, month"
                    ),
                ));
            }
        })
    }

    async fn grouped(
        &self,
        scope: &Scope,
        by: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<BTreeMap<String, i64>, NodeError> {
        Self::column(by)?;
        if by == "month" {
            let need = Need {
                dims: &["all"],
                ..Need::default()
            };
            let t = self.tally(scope, from, to, need).await?;
            let mut out = BTreeMap::new();
            for ((month, _, _), n) in t.counts {
                *out.entry(month).or_insert(0) += n;
            }
            return Ok(out);
        }
        let dims = [by];
        let need = Need {
            dims: &dims,
            ..Need::default()
        };
        Ok(self.tally(scope, from, to, need).await?.by(by))
    }

    pub async fn breakdown(&self, req: pb::ReportRequest) -> Result<pb::Report, NodeError> {
        self.projector.catch_up().await?;
        let scope = self.scope(&req)?;
        let by = if req.by.trim().is_empty() {
            "unit"
        } else {
            req.by.trim()
        };
        let now = self.grouped(&scope, by, scope.from, scope.to).await?;
        let (prev_from, prev_to) = previous(scope.from, scope.to);
        let prev = self.grouped(&scope, by, prev_from, prev_to).await?;
        let dim = match by {
            "unit" => "单位",
            "channel" => "渠道",
            "purpose" => "信访目的",
            "category" => "内容分类",
            "status" => "办理状态",
            _ => "月份",
        };
        let mut r = self.report(
            &scope,
            by,
            format!(
                "{} {} 信访事项分{}统计",
                scope.unit_name,
                Self::period_label(&scope),
                dim
            ),
            vec![dim, "件数", "占比", "上期", "环比"],
        );
        let total: i64 = now.values().sum();
        let mut keys: Vec<String> = now
            .keys()
            .chain(prev.keys())
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if by == "unit" {
            // Tree order: the unit itself first (本级), then the units below.
            let mut order = vec![scope.unit.to_string()];
            order.extend(
                self.topology()
                    .children(&scope.unit)
                    .iter()
                    .map(ToString::to_string),
            );
            keys = order;
        }
        for k in keys {
            let n = now.get(&k).copied().unwrap_or(0);
            let p = prev.get(&k).copied().unwrap_or(0);
            let mut label = self.label(by, &k);
            if by == "unit" && k == scope.unit.as_str() {
                label = format!("{label}（本级）");
            }
            r.rows.push(pb::ReportRow {
                key: k,
                cells: vec![
                    text(label),
                    int(n),
                    rate(ratio(n, total)),
                    int(p),
                    rate(change(n, p)),
                ],
            });
        }
        let ptotal: i64 = prev.values().sum();
        r.totals = Some(pb::ReportRow {
            key: String::new(),
            cells: vec![
                text("合计"),
                int(total),
                rate(ratio(total, total)),
                int(ptotal),
                rate(change(total, ptotal)),
            ],
        });
        Ok(r)
    }

    // --- overdue ------------------------------------------------------------------

    pub async fn overdue(&self, req: pb::ReportRequest) -> Result<pb::Report, NodeError> {
        self.projector.catch_up().await?;
        let mut scope = self.scope(&req)?;
        let today = self.today();
        let limit = if req.limit == 0 {
            1000
        } else {
            req.limit.min(MAX_LIST)
        };
        // Overdue is "now": every period; the unit that must act is in the subtree.
        let t = self.overdue_tally(&scope.unit, today).await?;
        let total: i64 = t.due.values().sum();
        let mut by_kind: BTreeMap<String, i64> = BTreeMap::new();
        for ((kind, _), n) in &t.due {
            *by_kind.entry(kind_zh(kind).to_owned()).or_insert(0) += n;
        }
        scope.from = t.due.keys().map(|(_, d)| *d).min().unwrap_or(today);
        scope.to = today;
        // The oldest deadlines first, as many as asked for.
        let mut q = Sql::new(
            "SELECT case_no, next_due_kind, next_due_unit, next_due, registered_by FROM node_case_facts
             WHERE next_due IS NOT NULL AND next_due < ",
        );
        q.bind(today.to_string());
        if let Some(units) = &scope.units {
            q.push(" AND next_due_unit IN (")
                .bind_list(units.iter().cloned())
                .push(")");
        }
        q.push(" ORDER BY next_due, case_no");
        let (sql, args) = q.into_parts(xinfang_hub::db::SqlTarget::engine(&self.db.pool()))?;
        let mut rows: Vec<(String, String, String, String, String)> = Vec::new();
        {
            use futures::TryStreamExt;
            let anchors = self.anchors();
            let mut stream =
                sqlx::query_as_with::<_, (String, String, String, String, String), _>(&sql, args)
                    .fetch(self.db.pool());
            while let Some(row) = stream.try_next().await? {
                // At this node's own unit: only deadlines of units it answers for.
                if !anchors.chain(&row.2).contains(&scope.unit) {
                    continue;
                }
                rows.push(row);
                if rows.len() as u32 >= limit {
                    break;
                }
            }
        }
        let mut r = self.report(
            &scope,
            "case",
            format!("{} 逾期信访事项（截至{today}）", scope.unit_name),
            vec![
                "事项编号",
                "逾期环节",
                "应办单位",
                "期限",
                "逾期天数",
                "登记单位",
            ],
        );
        for (no, kind, unit, due, reg) in &rows {
            let days = NaiveDate::parse_from_str(due, "%Y-%m-%d")
                .map(|d| (today - d).num_days())
                .unwrap_or(0);
            r.rows.push(pb::ReportRow {
                key: no.clone(),
                cells: vec![
                    text(no),
                    text(kind_zh(kind)),
                    text(self.name(unit)),
                    text(due),
                    int(days),
                    text(self.name(reg)),
                ],
            });
        }
        r.totals = Some(pb::ReportRow {
            key: String::new(),
            cells: vec![
                text("合计"),
                text(format!("{total} 件")),
                text(""),
                text(""),
                text(""),
                text(""),
            ],
        });
        for (k, n) in by_kind {
            r.notes.push(format!("{k}逾期 {n} 件"));
        }
        if total > i64::from(limit) {
            r.notes.push(format!("只列出前 {limit} 件"));
        }
        Ok(r)
    }

    // --- rates ----------------------------------------------------------------------

    /// The rates over tallied rate parts, of the groups `group` accepts (the unit
    /// itself or a unit directly below the one asked about).
    fn fold_rates(
        t: &Tally,
        charged: Option<ChargedTo>,
        group: impl Fn(&str) -> bool,
    ) -> Vec<rates::Rate> {
        RATES
            .iter()
            .enumerate()
            .filter(|(_, k)| charged.is_none_or(|c| c == k.charged))
            .map(|(i, k)| {
                let part = |p: usize| -> i64 {
                    t.rates
                        .iter()
                        .filter(|((g, q), _)| *q as usize == p && group(g))
                        .map(|(_, n)| n)
                        .sum()
                };
                let (n, d) = (part(2 * i), part(2 * i + 1));
                rates::Rate {
                    code: k.code,
                    name_zh: k.name_zh,
                    numerator: n as u64,
                    denominator: d as u64,
                    value: ratio(n, d),
                }
            })
            .collect()
    }

    pub async fn rates(&self, req: pb::ReportRequest) -> Result<pb::Report, NodeError> {
        self.projector.catch_up().await?;
        let scope = self.scope(&req)?;
        let charged = match req.charged.trim() {
            "" => None,
            c => Some(ChargedTo::from_code(c).ok_or_else(|| {
                NodeError::invalid("charged", format!("{c:?}: office or responsible"))
            })?),
        };
        let as_of = self.today();
        let need = Need {
            rates_as_of: Some(as_of),
            ..Need::default()
        };
        let tally = self.tally(&scope, scope.from, scope.to, need).await?;
        let split = match charged {
            Some(ChargedTo::PetitionOffice) => "（信访部门）",
            Some(ChargedTo::ResponsibleUnit) => "（责任单位）",
            None => "",
        };
        if req.by.trim() == "unit" {
            let mut headers = vec!["单位"];
            headers.extend(
                RATES
                    .iter()
                    .filter(|k| charged.is_none_or(|c| c == k.charged))
                    .map(|k| k.name_zh),
            );
            let mut r = self.report(
                &scope,
                "unit",
                format!(
                    "{} {} 考核指标分单位{split}",
                    scope.unit_name,
                    Self::period_label(&scope)
                ),
                headers,
            );
            let mut units = vec![scope.unit.clone()];
            units.extend(self.topology().children(&scope.unit).iter().cloned());
            for u in units {
                let own = u == scope.unit;
                let values = Self::fold_rates(&tally, charged, |g: &str| g == u.as_str());
                let mut cells = vec![text(if own {
                    format!("{}（本级）", self.name(u.as_str()))
                } else {
                    self.name(u.as_str())
                })];
                cells.extend(values.iter().map(|v| rate(v.value)));
                r.rows.push(pb::ReportRow {
                    key: u.to_string(),
                    cells,
                });
            }
            let totals = Self::fold_rates(&tally, charged, |_| true);
            let mut cells = vec![text("合计")];
            cells.extend(totals.iter().map(|v| rate(v.value)));
            r.totals = Some(pb::ReportRow {
                key: String::new(),
                cells,
            });
            return Ok(r);
        }
        let values = Self::fold_rates(&tally, charged, |_| true);
        let mut r = self.report(
            &scope,
            "",
            format!(
                "{} {} 考核指标{split}",
                scope.unit_name,
                Self::period_label(&scope)
            ),
            vec!["指标", "分子", "分母", "比率"],
        );
        for v in values {
            r.rows.push(pb::ReportRow {
                key: v.code.into(),
                cells: vec![
                    text(v.name_zh),
                    int(v.numerator as i64),
                    int(v.denominator as i64),
                    rate(v.value),
                ],
            });
        }
        r.notes
            .push(format!("按 {as_of} 计；定义见 docs/reports.md。"));
        Ok(r)
    }

    // --- trend ----------------------------------------------------------------------

    pub async fn trend(&self, req: pb::ReportRequest) -> Result<pb::Report, NodeError> {
        self.projector.catch_up().await?;
        let mut req = req;
        if req.month.is_empty() && req.from.is_empty() && req.to.is_empty() {
            // Default: the last twelve months.
            let m = Month::of(self.today());
            let mut first = m;
            for _ in 0..11 {
                first = first.prev();
            }
            req.from = first.first_day().to_string();
            req.to = m.last_day().to_string();
        }
        let scope = self.scope(&req)?;
        let by = if req.by.trim().is_empty() {
            "tier"
        } else {
            req.by.trim()
        };
        if !matches!(by, "tier" | "unit" | "category" | "channel") {
            return Err(NodeError::invalid(
                "by",
                format!(
                    "unknown dimension {by:?} for a trend; known: tier, unit, category, channel"
                ),
            ));
        }
        let dims = [by];
        let need = Need {
            dims: &dims,
            ..Need::default()
        };
        let t = self.tally(&scope, scope.from, scope.to, need).await?;
        let mut table: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
        let mut series: BTreeSet<String> = BTreeSet::new();
        for ((month, _, key), n) in t.counts {
            series.insert(key.clone());
            *table.entry(month).or_default().entry(key).or_insert(0) += n;
        }
        let series: Vec<String> = match by {
            "tier" => ["city", "county", "township", "community"]
                .into_iter()
                .filter(|t| series.contains(*t))
                .map(str::to_owned)
                .collect(),
            _ => series.into_iter().collect(),
        };
        let series_label = |k: &str| match (by, k) {
            ("tier", "city") => "市级".to_owned(),
            ("tier", "county") => "县级".to_owned(),
            ("tier", "township") => "乡镇（街道）".to_owned(),
            ("tier", "community") => "村（社区）".to_owned(),
            ("channel", c) => channel_zh(c).to_owned(),
            (_, k) => self.label(if by == "unit" { "unit" } else { by }, k),
        };
        let labels: Vec<String> = series.iter().map(|k| series_label(k)).collect();
        let mut headers: Vec<&str> = vec!["月份"];
        headers.extend(labels.iter().map(String::as_str));
        headers.push("合计");
        let mut r = self.report(
            &scope,
            by,
            format!("{} 信访件数月度趋势", scope.unit_name),
            headers,
        );
        let mut m = Month::of(scope.from);
        let mut totals = vec![0i64; series.len() + 1];
        while m <= Month::of(scope.to) {
            let key = m.to_string();
            let row = table.get(&key);
            let mut cells = vec![text(key.clone())];
            let mut sum = 0;
            for (i, s) in series.iter().enumerate() {
                let n = row.and_then(|r| r.get(s)).copied().unwrap_or(0);
                sum += n;
                totals[i] += n;
                cells.push(int(n));
            }
            totals[series.len()] += sum;
            cells.push(int(sum));
            r.rows.push(pb::ReportRow { key, cells });
            m = m.next();
        }
        let mut cells = vec![text("合计")];
        cells.extend(totals.into_iter().map(int));
        r.totals = Some(pb::ReportRow {
            key: String::new(),
            cells,
        });
        Ok(r)
    }

    // --- leaders and filings --------------------------------------------------------

    fn months(scope: &Scope) -> Vec<Month> {
        let mut out = Vec::new();
        let mut m = Month::of(scope.from);
        while m <= Month::of(scope.to) {
            out.push(m);
            m = m.next();
        }
        out
    }

    pub async fn leaders(&self, req: pb::ReportRequest) -> Result<pb::Report, NodeError> {
        let scope = self.scope(&req)?;
        let mut r = self.report(
            &scope,
            "unit",
            format!(
                "{} {} 领导干部接访情况",
                scope.unit_name,
                Self::period_label(&scope)
            ),
            vec![
                "单位",
                "安排天次",
                "已接访",
                "缺岗",
                "未登记",
                "接待人次",
                "登记事项",
            ],
        );
        let mut totals = [0i64; 6];
        for u in self.topology().tree_order(&scope.unit) {
            let mut sums = [0i64; 6];
            let mut any = false;
            for m in Self::months(&scope) {
                if let Some(s) = self.schedules.reception_stats(&u, m).await? {
                    any = true;
                    for (i, v) in s.iter().enumerate() {
                        sums[i] += *v as i64;
                    }
                }
            }
            if !any {
                continue;
            }
            for i in 0..6 {
                totals[i] += sums[i];
            }
            let mut cells = vec![text(self.name(u.as_str()))];
            cells.extend(sums.iter().map(|n| int(*n)));
            r.rows.push(pb::ReportRow {
                key: u.to_string(),
                cells,
            });
        }
        let mut cells = vec![text("合计")];
        cells.extend(totals.iter().map(|n| int(*n)));
        r.totals = Some(pb::ReportRow {
            key: String::new(),
            cells,
        });
        Ok(r)
    }

    pub async fn filings(&self, req: pb::ReportRequest) -> Result<pb::Report, NodeError> {
        let scope = self.scope(&req)?;
        let month = Month::of(scope.from);
        let board = self
            .schedules
            .filings(pb::FilingsRequest {
                month: month.to_string(),
                unit: scope.unit.to_string(),
            })
            .await?;
        let mut r = self.report(
            &scope,
            "unit",
            format!("{} {} 接访安排报备情况", scope.unit_name, month.label_zh()),
            vec!["单位", "报备", "期限", "收到时间", "违规", "调整", "缺岗"],
        );
        let mut count: BTreeMap<String, i64> = BTreeMap::new();
        for row in board.rows {
            *count.entry(row.status.clone()).or_insert(0) += 1;
            let status = match row.status.as_str() {
                "on_time" => "按时",
                "late" => "逾期",
                "missing" => "未报备",
                _ => "未到期",
            };
            r.rows.push(pb::ReportRow {
                key: row.unit.clone(),
                cells: vec![
                    text(row.unit_name),
                    text(status),
                    text(row.deadline),
                    text(row.received_at),
                    int(row.violations.len() as i64),
                    int(i64::from(row.adjustments)),
                    int(row.flags.iter().filter(|f| f.kind == "missed").count() as i64),
                ],
            });
        }
        r.notes.push(format!(
            "按时 {}，逾期 {}，未报备 {}，未到期 {}",
            count.get("on_time").unwrap_or(&0),
            count.get("late").unwrap_or(&0),
            count.get("missing").unwrap_or(&0),
            count.get("pending").unwrap_or(&0)
        ));
        Ok(r)
    }

    // --- drill-down -------------------------------------------------------------------

    pub async fn cases(&self, req: pb::ReportRequest) -> Result<pb::CaseKeys, NodeError> {
        self.projector.catch_up().await?;
        let scope = self.scope(&req)?;
        let limit = if req.limit == 0 {
            1000
        } else {
            req.limit.min(MAX_LIST)
        } as usize;
        // The cases behind a number are those whose entries at this unit make it
        // up ([`rollup::entries`], as the rollups count them).
        let facts = self.facts(&scope, scope.from, scope.to).await?;
        let anchors = self.anchors();
        // This unit's entries only; rates only when a rate is asked about.
        let here = |f: &CaseFacts, repeated: bool, rates: bool| {
            rollup::entries_at(f, repeated, &anchors, Some(&scope.unit), rates)
        };
        let mut out: Vec<&CaseFacts> = Vec::new();
        if !req.rate.trim().is_empty() {
            let code = req.rate.trim();
            let Some(i) = RATES.iter().position(|k| k.code == code) else {
                return Err(NodeError::invalid(
                    "rate",
                    format!(
                        "unknown rate {code:?}; known: {}",
                        RATES.iter().map(|k| k.code).collect::<Vec<_>>().join(", ")
                    ),
                ));
            };
            let part = match req.part.trim() {
                "" | "numerator" => 2 * i,
                "denominator" => 2 * i + 1,
                other => {
                    return Err(NodeError::invalid(
                        "part",
                        format!("{other:?}: numerator or denominator"),
                    ));
                }
            } as u8;
            let as_of = self.today();
            for (f, repeated) in &facts {
                let hit = here(f, *repeated, true).iter().any(
                    |e| matches!(e, Entry::Rate { part: p, day, .. } if *p == part && *day <= as_of),
                );
                if hit {
                    out.push(f);
                }
            }
        } else {
            let by = req.by.trim();
            let value = req.value.trim();
            if !by.is_empty() {
                Self::column(by)?;
            }
            for (f, repeated) in &facts {
                let hit = here(f, *repeated, false).iter().any(|e| match e {
                    Entry::Count {
                        dim,
                        value: v,
                        month,
                        ..
                    } => match by {
                        "" => *dim == "all",
                        "month" => *dim == "all" && month == value,
                        _ => *dim == by && v == value,
                    },
                    _ => false,
                });
                if hit {
                    out.push(f);
                }
            }
        }
        out.sort_by(|a, b| a.case_no.cmp(&b.case_no));
        Ok(pb::CaseKeys {
            total: out.len() as u64,
            case_nos: out
                .into_iter()
                .take(limit)
                .map(|f| f.case_no.clone())
                .collect(),
        })
    }

    pub async fn rebuild(&self) -> Result<pb::RebuildReply, NodeError> {
        let t0 = std::time::Instant::now();
        let docs = self.projector.rebuild().await?;
        let cases: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM node_case_facts")
            .fetch_one(self.db.pool())
            .await?;
        Ok(pb::RebuildReply {
            documents: docs,
            cases: cases as u64,
            ms: t0.elapsed().as_millis() as u64,
        })
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
