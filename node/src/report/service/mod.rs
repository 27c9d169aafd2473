//! The report service: bureau questions answered from the query tables
//! (`node_case_facts` and the rollups, kept by the projector) over any unit of this
//! node's subtree. Every answer is a table (`pb::Report`) with Chinese headers, unit
//! names, a totals row and the keys to drill down to the cases behind a number.
//!
//! The service reads the tables and never writes them: it asks whoever keeps them
//! to catch up through [`QueryTables`]. One job a file: [`period`] (the question's
//! unit and days), [`tally`] (what the tables add up to), [`labels`], and one file
//! a report: [`summary`], [`breakdown`], [`overdue`], [`assessment`] (the rates),
//! [`trend`], [`schedules`] (leaders' receptions, filings), [`cases`] (drill-down),
//! [`group_petitions`] (集体访 by unit); [`targets`] measures a unit for the
//! responsibility letters (`letter::service`), which authorize their callers.
//!
//! Every report names its caller (`Actor`) and is authorized here, so no front
//! can skip the check.

mod assessment;
mod breakdown;
mod bulletins;
mod cases;
mod group_petitions;
mod higher_visits;
mod labels;
mod overdue;
mod owned;
mod period;
mod schedules;
mod summary;
mod tally;
mod targets;
mod trend;

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use xinfang_hub::db::Db;
use xinfang_hub::{Hub, Topology, UnitCode};
use xinfang_proto::v1 as pb;

use self::period::Scope;
pub use self::targets::{Filings, Measures};
use crate::auth::{Action, Actor, Guard};
use crate::error::NodeError;
use crate::rules::CaseRules;
use crate::schedule::service::ScheduleService;

const MAX_LIST: u32 = 10_000;

/// What the report service needs of whoever keeps the query tables (the node's
/// projector): the tables brought up to the documents held before an answer, and
/// derived again on an operator's request. The service only reads the tables.
#[async_trait::async_trait]
pub trait QueryTables: Send + Sync {
    /// Projects what the tables lack; returns the change-feed position reached.
    async fn catch_up(&self) -> Result<u64, NodeError>;
    /// Empties the tables and derives them again; returns the documents projected.
    async fn rebuild(&self) -> Result<u64, NodeError>;
}

pub struct ReportService {
    hub: Hub,
    db: Db,
    tables: Arc<dyn QueryTables>,
    rules: Arc<CaseRules>,
    schedules: Arc<ScheduleService>,
    /// Every report authorizes its caller here, whichever front asks.
    guard: Arc<Guard>,
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

impl ReportService {
    pub fn new(
        hub: Hub,
        db: Db,
        tables: Arc<dyn QueryTables>,
        rules: Arc<CaseRules>,
        schedules: Arc<ScheduleService>,
        guard: Arc<Guard>,
    ) -> Self {
        ReportService {
            hub,
            db,
            tables,
            rules,
            schedules,
            guard,
        }
    }

    /// The guard every report asks first (fronts name their caller with it).
    pub fn guard(&self) -> &Guard {
        &self.guard
    }

    /// Every report is a read of the subtree's figures: the caller must hold a
    /// role that reads reports (refusals audited by the guard).
    async fn authorize(&self, who: &Actor) -> Result<(), NodeError> {
        self.guard.authorize(who, Action::ReadReports, "").await
    }

    fn topology(&self) -> &Arc<Topology> {
        self.hub.topology()
    }

    fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.hub.now_ms()).unwrap_or_else(Utc::now)
    }

    fn today(&self) -> NaiveDate {
        crate::case::local_day(self.now())
    }

    fn name(&self, code: &str) -> String {
        code.parse::<UnitCode>()
            .ok()
            .and_then(|c| self.topology().unit(&c).map(|u| u.name.clone()))
            .unwrap_or_else(|| code.to_owned())
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

    /// Rebuilds the query tables from the documents (administrators), audited.
    pub async fn rebuild(&self, who: &Actor) -> Result<pb::RebuildReply, NodeError> {
        self.guard
            .authorize(who, Action::RebuildProjections, "")
            .await?;
        let done = self.rebuild_tables().await?;
        self.guard
            .audit_allowed(
                who,
                "projections.rebuild",
                "",
                &format!("{} cases", done.cases),
            )
            .await;
        Ok(done)
    }

    async fn rebuild_tables(&self) -> Result<pb::RebuildReply, NodeError> {
        let t0 = std::time::Instant::now();
        let docs = self.tables.rebuild().await?;
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
