//! The report service: bureau questions answered from the query tables
//! (`node_case_facts`, kept by the projector) over any unit of this node's subtree.
//! Every answer is a table (`pb::Report`) with Chinese headers, unit names, a totals
//! row and the keys to drill down to the cases behind a number.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, Months, NaiveDate, SecondsFormat, Utc};
use sqlx::{QueryBuilder, Sqlite, SqlitePool};
use xinfang_hub::{Hub, Topology, UnitCode};
use xinfang_proto::v1 as pb;

use super::facts::CaseFacts;
use super::rates::{self, ChargedTo, RATES, Repeated};
use crate::error::NodeError;
use crate::projection::Projector;
use crate::rules::CaseRules;
use crate::schedule::model::Month;
use crate::schedule::service::ScheduleService;

const MAX_LIST: u32 = 10_000;

pub struct ReportService {
    hub: Hub,
    pool: SqlitePool,
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

fn status_zh(code: &str) -> &str {
    match code {
        "registered" => "已登记",
        "accepted" => "已受理",
        "not_accepted" => "不予受理",
        "to_discipline" => "转纪检监察",
        "diverted" => "导入其他程序",
        "routed" => "已转送/交办",
        "handling" => "办理中",
        "replied" => "已答复",
        "closed" => "已办结",
        "archived" => "已归档",
        "under_review" => "复查中",
        "reviewed" => "已复查",
        "under_re_review" => "复核中",
        "final" => "不再受理",
        other => other,
    }
}

fn channel_zh(code: &str) -> &str {
    match code {
        "visit" => "来访",
        "letter" => "来信",
        "online" => "网上信访",
        "phone" => "来电",
        "fax" => "传真",
        other => other,
    }
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

#[derive(sqlx::FromRow)]
struct FactsRow {
    case_no: String,
    registered_by: String,
    received: String,
    month: String,
    channel: String,
    purpose: String,
    category: String,
    status: String,
    handling_unit: String,
    responsible_unit: String,
    accept_due: Option<String>,
    screened_on: Option<String>,
    accepted: bool,
    reply_due: Option<String>,
    replied_on: Option<String>,
    closed_on: Option<String>,
    rated: bool,
    satisfied: Option<bool>,
    repeat_case: bool,
    online: bool,
    reviewed: bool,
    next_due: Option<String>,
    next_due_kind: String,
    next_due_unit: String,
}

impl FactsRow {
    fn into_facts(self) -> CaseFacts {
        let d = |s: Option<String>| s.and_then(|s| NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok());
        CaseFacts {
            received: d(Some(self.received)).unwrap_or_default(),
            case_no: self.case_no,
            registered_by: self.registered_by,
            month: self.month,
            channel: self.channel,
            purpose: self.purpose,
            category: self.category,
            status: self.status,
            handling_unit: self.handling_unit,
            responsible_unit: self.responsible_unit,
            accept_due: d(self.accept_due),
            screened_on: d(self.screened_on),
            screened_by: String::new(),
            accepted: self.accepted,
            reply_due: d(self.reply_due),
            replied_on: d(self.replied_on),
            replied_by: String::new(),
            closed_on: d(self.closed_on),
            rated: self.rated,
            satisfied: self.satisfied,
            repeat: self.repeat_case,
            online: self.online,
            reviewed: self.reviewed,
            next_due: d(self.next_due),
            next_due_kind: self.next_due_kind,
            next_due_unit: self.next_due_unit,
        }
    }
}

const FACT_COLUMNS: &str = "case_no, registered_by, received, month, channel, purpose, category,
    status, handling_unit, responsible_unit, accept_due, screened_on, accepted, reply_due,
    replied_on, closed_on, rated, satisfied, repeat_case, online, reviewed, next_due,
    next_due_kind, next_due_unit";

impl ReportService {
    pub fn new(
        hub: Hub,
        pool: SqlitePool,
        projector: Arc<Projector>,
        rules: Arc<CaseRules>,
        schedules: Arc<ScheduleService>,
    ) -> Self {
        ReportService {
            hub,
            pool,
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

    fn base(
        &self,
        scope: &Scope,
        from: NaiveDate,
        to: NaiveDate,
        select: &str,
    ) -> QueryBuilder<'static, Sqlite> {
        let mut q = QueryBuilder::<Sqlite>::new(format!(
            "SELECT {select} FROM node_case_facts WHERE received >= "
        ));
        q.push_bind(from.to_string())
            .push(" AND received <= ")
            .push_bind(to.to_string());
        if let Some(units) = &scope.units {
            q.push(" AND registered_by IN (");
            let mut sep = q.separated(", ");
            for u in units {
                sep.push_bind(u.clone());
            }
            q.push(")");
        }
        q
    }

    async fn load(&self, scope: &Scope) -> Result<Vec<CaseFacts>, NodeError> {
        let mut q = self.base(scope, scope.from, scope.to, FACT_COLUMNS);
        let rows: Vec<FactsRow> = q.build_query_as().fetch_all(&self.pool).await?;
        Ok(rows.into_iter().map(FactsRow::into_facts).collect())
    }

    async fn repeated(&self) -> Result<Repeated, NodeError> {
        let v: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT repeat_of FROM node_cases WHERE repeat_of IS NOT NULL",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(v.into_iter().collect())
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

    /// The unit directly below `scope.unit` (or itself) that `code` belongs to.
    fn child_of(&self, scope: &Scope, code: &str) -> Option<UnitCode> {
        let c: UnitCode = code.parse().ok()?;
        if c == scope.unit {
            return Some(c);
        }
        self.topology()
            .children(&scope.unit)
            .iter()
            .find(|k| self.topology().in_subtree(k, &c))
            .cloned()
    }

    // --- summary ---------------------------------------------------------------

    async fn counts(
        &self,
        scope: &Scope,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<[i64; 7], NodeError> {
        let today = self.today().to_string();
        let select = format!(
            "COUNT(*), COALESCE(SUM(accepted), 0), COALESCE(SUM(replied_on IS NOT NULL), 0),
             COALESCE(SUM(closed_on IS NOT NULL), 0),
             COALESCE(SUM(next_due IS NOT NULL AND next_due < '{today}'), 0),
             COALESCE(SUM(repeat_case), 0), COALESCE(SUM(online), 0)"
        );
        let mut q = self.base(scope, from, to, &select);
        let r: (i64, i64, i64, i64, i64, i64, i64) =
            q.build_query_as().fetch_one(&self.pool).await?;
        Ok([r.0, r.1, r.2, r.3, r.4, r.5, r.6])
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
            ("replied", "已答复"),
            ("closed", "已办结"),
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
        let col = Self::column(by)?;
        let mut q = self.base(scope, from, to, &format!("{col}, COUNT(*)"));
        q.push(format!(" GROUP BY {col}"));
        let rows: Vec<(String, i64)> = q.build_query_as().fetch_all(&self.pool).await?;
        let mut out = BTreeMap::new();
        for (k, n) in rows {
            let key = if by == "unit" {
                match self.child_of(scope, &k) {
                    Some(c) => c.to_string(),
                    None => continue,
                }
            } else {
                k
            };
            *out.entry(key).or_insert(0) += n;
        }
        Ok(out)
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
        let mut q = QueryBuilder::<Sqlite>::new(
            "SELECT case_no, next_due_kind, next_due_unit, next_due, registered_by FROM node_case_facts
             WHERE next_due IS NOT NULL AND next_due < ",
        );
        q.push_bind(today.to_string());
        if let Some(units) = &scope.units {
            q.push(" AND next_due_unit IN (");
            let mut sep = q.separated(", ");
            for u in units {
                sep.push_bind(u.clone());
            }
            q.push(")");
        }
        q.push(" ORDER BY next_due, case_no");
        let rows: Vec<(String, String, String, String, String)> =
            q.build_query_as().fetch_all(&self.pool).await?;
        scope.from = rows
            .first()
            .and_then(|r| NaiveDate::parse_from_str(&r.3, "%Y-%m-%d").ok())
            .unwrap_or(today);
        scope.to = today;
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
        let mut by_kind: BTreeMap<String, i64> = BTreeMap::new();
        for (no, kind, unit, due, reg) in &rows {
            *by_kind.entry(kind_zh(kind).to_owned()).or_insert(0) += 1;
            if r.rows.len() as u32 >= limit {
                continue;
            }
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
                text(format!("{} 件", rows.len())),
                text(""),
                text(""),
                text(""),
                text(""),
            ],
        });
        for (k, n) in by_kind {
            r.notes.push(format!("{k}逾期 {n} 件"));
        }
        if rows.len() as u32 > limit {
            r.notes.push(format!("只列出前 {limit} 件"));
        }
        Ok(r)
    }

    // --- rates ----------------------------------------------------------------------

    /// Numerators and denominators of every rate, grouped by the two units a rate
    /// can be charged to, computed in SQL with the definitions of
    /// [`rates::counts`] (the drill-down uses that function; a test holds the two
    /// to the same numbers).
    async fn rate_counts(
        &self,
        scope: &Scope,
        as_of: NaiveDate,
    ) -> Result<Vec<(String, String, [i64; 16])>, NodeError> {
        let a = as_of.to_string();
        let by = |c: &str| format!("({c} IS NOT NULL AND {c} <= '{a}')");
        let timely = |done: &str, due: &str| {
            (
                format!("({due} IS NOT NULL AND {} AND {done} <= {due})", by(done)),
                format!("({due} IS NOT NULL AND ({} OR {due} < '{a}'))", by(done)),
            )
        };
        let accepted = format!("(accepted = 1 AND {})", by("screened_on"));
        let (ta_n, ta_d) = timely("screened_on", "accept_due");
        let (r_n, r_d) = timely("replied_on", "reply_due");
        let (c_n, c_d) = timely("closed_on", "reply_due");
        let replied = by("replied_on");
        let closed = by("closed_on");
        let parts = [
            ta_n,
            ta_d,
            format!("({accepted} AND {r_n})"),
            format!("({accepted} AND {r_d})"),
            format!("({accepted} AND {c_n})"),
            format!("({accepted} AND {c_d})"),
            format!("({replied} AND rated = 1)"),
            replied.clone(),
            format!("({replied} AND rated = 1 AND satisfied = 1)"),
            format!("({replied} AND rated = 1)"),
            "(repeat_case = 1)".to_owned(),
            "1".to_owned(),
            "(online = 1)".to_owned(),
            "1".to_owned(),
            format!(
                "({closed} AND reviewed = 0 AND case_no NOT IN
                  (SELECT repeat_of FROM node_cases WHERE repeat_of IS NOT NULL))"
            ),
            closed,
        ];
        let sums: Vec<String> = parts
            .iter()
            .map(|p| format!("COALESCE(SUM(CASE WHEN {p} THEN 1 ELSE 0 END), 0)"))
            .collect();
        let select = format!("registered_by, responsible_unit, {}", sums.join(", "));
        let to = scope.to.min(as_of);
        let mut q = self.base(scope, scope.from, to, &select);
        q.push(" GROUP BY registered_by, responsible_unit");
        let rows = q.build().fetch_all(&self.pool).await?;
        use sqlx::Row;
        rows.into_iter()
            .map(|r| {
                let mut v = [0i64; 16];
                for (i, x) in v.iter_mut().enumerate() {
                    *x = r.try_get(i + 2)?;
                }
                Ok((r.try_get(0)?, r.try_get(1)?, v))
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(NodeError::from)
    }

    /// Folds grouped counts into the rates charged to units `unit` accepts.
    fn fold_rates(
        counts: &[(String, String, [i64; 16])],
        charged: Option<ChargedTo>,
        unit: impl Fn(&str) -> bool,
    ) -> Vec<rates::Rate> {
        RATES
            .iter()
            .enumerate()
            .filter(|(_, k)| charged.is_none_or(|c| c == k.charged))
            .map(|(i, k)| {
                let (mut n, mut d) = (0i64, 0i64);
                for (office, responsible, v) in counts {
                    let who = match k.charged {
                        ChargedTo::PetitionOffice => office,
                        ChargedTo::ResponsibleUnit => responsible,
                    };
                    if unit(who) {
                        n += v[2 * i];
                        d += v[2 * i + 1];
                    }
                }
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
        let grouped = self.rate_counts(&scope, as_of).await?;
        let subtree: Option<BTreeSet<String>> =
            scope.units.as_ref().map(|u| u.iter().cloned().collect());
        let in_scope = |u: &str| subtree.as_ref().is_none_or(|s| s.contains(u));
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
                let topo = self.topology().clone();
                let values = Self::fold_rates(&grouped, charged, |c: &str| {
                    c.parse::<UnitCode>()
                        .is_ok_and(|c| if own { c == u } else { topo.in_subtree(&u, &c) })
                });
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
            let totals = Self::fold_rates(&grouped, charged, in_scope);
            let mut cells = vec![text("合计")];
            cells.extend(totals.iter().map(|v| rate(v.value)));
            r.totals = Some(pb::ReportRow {
                key: String::new(),
                cells,
            });
            return Ok(r);
        }
        let values = Self::fold_rates(&grouped, charged, in_scope);
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
        let col = match by {
            "tier" | "unit" => "registered_by",
            "category" => "category",
            "channel" => "channel",
            other => {
                return Err(NodeError::invalid(
                    "by",
                    format!(
                        "unknown dimension {other:?} for a trend; known: tier, unit, category, channel"
                    ),
                ));
            }
        };
        let mut q = self.base(
            &scope,
            scope.from,
            scope.to,
            &format!("month, {col}, COUNT(*)"),
        );
        q.push(format!(" GROUP BY month, {col}"));
        let rows: Vec<(String, String, i64)> = q.build_query_as().fetch_all(&self.pool).await?;
        let mut table: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
        let mut series: BTreeSet<String> = BTreeSet::new();
        for (month, k, n) in rows {
            let key = match by {
                "tier" => k
                    .parse::<UnitCode>()
                    .ok()
                    .and_then(|c| self.topology().unit(&c).map(|u| u.tier.as_str().to_owned()))
                    .unwrap_or_default(),
                "unit" => match self.child_of(&scope, &k) {
                    Some(c) => c.to_string(),
                    None => continue,
                },
                _ => k,
            };
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
        let facts = self.load(&scope).await?;
        let mut out: Vec<&CaseFacts> = Vec::new();
        if !req.rate.trim().is_empty() {
            let code = req.rate.trim();
            if rates::rate_kind(code).is_none() {
                return Err(NodeError::invalid(
                    "rate",
                    format!(
                        "unknown rate {code:?}; known: {}",
                        RATES.iter().map(|k| k.code).collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
            let numerator = match req.part.trim() {
                "" | "numerator" => true,
                "denominator" => false,
                other => {
                    return Err(NodeError::invalid(
                        "part",
                        format!("{other:?}: numerator or denominator"),
                    ));
                }
            };
            let repeated = self.repeated().await?;
            let as_of = self.today();
            for f in &facts {
                match rates::counts(code, f, as_of, &repeated) {
                    Some(true) => out.push(f),
                    Some(false) if !numerator => out.push(f),
                    _ => {}
                }
            }
        } else {
            let by = req.by.trim();
            let value = req.value.trim();
            if by.is_empty() {
                out = facts.iter().collect();
            } else {
                Self::column(by)?;
                for f in &facts {
                    let k = match by {
                        "unit" => self
                            .child_of(&scope, &f.registered_by)
                            .map(|c| c.to_string())
                            .unwrap_or_default(),
                        "channel" => f.channel.clone(),
                        "purpose" => f.purpose.clone(),
                        "category" => f.category.clone(),
                        "status" => f.status.clone(),
                        _ => f.month.clone(),
                    };
                    if k == value {
                        out.push(f);
                    }
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
            .fetch_one(&self.pool)
            .await?;
        Ok(pb::RebuildReply {
            documents: docs,
            cases: cases as u64,
            ms: t0.elapsed().as_millis() as u64,
        })
    }
}
