//! The quarterly plan (period `YYYYQn`) and the yearly summary (`YYYY`): generated
//! at the unit's node from its filed schedules, duty rosters and owned cases,
//! filed upward as `plan/<unit>/<q>` or `summary/<unit>/<year>` (replaced whole
//! when generated again), and handed out as XLSX or PDF.

use std::collections::BTreeMap;

use chrono::DateTime;
use xinfang_hub::{Create, UnitCode};
use xinfang_proto::v1 as pb;

use super::{ScheduleService, rfc3339};
use crate::auth::{Action, Actor};
use crate::error::NodeError;
use crate::labels::Said;
use crate::notice::fonts::NoticeFonts;
use crate::notice::pdf;
use crate::schedule::docs;
use crate::schedule::duty::DutySpan;
use crate::schedule::work_report::{self, Booked, Owned, ReportPeriod, Sources, WorkReport};
use crate::schedule::work_report_pdf;

fn parse_period(v: &str) -> Result<ReportPeriod, NodeError> {
    v.parse().map_err(|e: Said| NodeError::invalid("period", e))
}

fn doc_id(unit: &UnitCode, period: ReportPeriod) -> String {
    match period {
        ReportPeriod::Quarter(q) => crate::docid::plan(unit, q),
        ReportPeriod::Year(y) => crate::docid::summary(unit, y),
    }
}

impl ScheduleService {
    pub async fn generate_work_report(
        &self,
        who: &Actor,
        req: pb::WorkReportRequest,
    ) -> Result<pb::WorkReportView, NodeError> {
        self.authorize(who, Action::GenerateQuarterly).await?;
        let unit = self.own_unit(&req.unit)?;
        let period = parse_period(&req.period)?;
        let mut filed = Vec::new();
        for m in period.months() {
            if let Some((f, _)) = self.filed(&unit, m).await? {
                filed.push(f);
            }
        }
        let mut duty = Vec::new();
        for span in DutySpan::all_of(period.year()) {
            if let Some((f, _)) = self.filed_duty(&unit, span).await? {
                duty.push(f);
            }
        }
        let roster = self.roster(&unit).await?;
        let owned = self.owned_in(&unit, period).await?;
        let bookings = self.booked_by(&unit).await?;
        let unit_name = self.unit_name(&unit);
        let taxonomy = &self.rules.taxonomy;
        let form_name = |code: &str| {
            taxonomy
                .reception_form(code)
                .map_or(code.to_owned(), |f| f.name.clone())
        };
        let mut report = work_report::build(&Sources {
            period,
            unit_name: &unit_name,
            filed: &filed,
            duty: &duty,
            roster: &roster,
            owned: &owned,
            bookings: &bookings,
            form_name: &form_name,
        });
        report.unit = unit.to_string();
        report.generated_at = rfc3339(self.now());
        let id = doc_id(&unit, period);
        let create = if self.hub.get(&id).await?.is_some() {
            Create::Existing
        } else {
            Create::New
        };
        self.hub
            .update(&id, create, |d| {
                docs::write_report(d, &id, period.kind(), &unit, &period.to_string(), &report)
            })
            .await?;
        self.work_report_view(&unit, period).await
    }

    /// The cases `unit` booked onto its leaders' reception days (the case rows'
    /// bookings), whatever the day: the report keeps those of its period.
    async fn booked_by(&self, unit: &UnitCode) -> Result<Vec<Booked>, NodeError> {
        Ok(self
            .booked_cases()
            .await?
            .into_iter()
            .flat_map(|(_, list)| list)
            .filter(|b| &b.office == unit)
            .map(|b| Booked {
                leader: b.leader,
                date: b.date,
                received: b.held == Some(true),
            })
            .collect())
    }

    /// Cases leaders of `unit` took on (包案) in the period, and of those closed.
    /// The month a case was taken on is its China Standard Time month, as every
    /// report counts days; ownership times are kept in UTC, so the query's
    /// window is a day wider and each row is judged by its CST day.
    async fn owned_in(
        &self,
        unit: &UnitCode,
        period: ReportPeriod,
    ) -> Result<BTreeMap<String, Owned>, NodeError> {
        let months = period.months();
        let (Some(first), Some(last)) = (months.first(), months.last()) else {
            return Ok(BTreeMap::new());
        };
        let (from, to) = (first.first_day(), last.last_day());
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT owner, owned_at, status FROM node_cases
             WHERE owner_unit = $1 AND owner IS NOT NULL AND owned_at IS NOT NULL
               AND substr(owned_at, 1, 10) >= $2 AND substr(owned_at, 1, 10) <= $3",
        )
        .bind(unit.as_str())
        .bind((from - chrono::Days::new(1)).to_string())
        .bind((to + chrono::Days::new(1)).to_string())
        .fetch_all(self.db.pool())
        .await?;
        let mut owned: BTreeMap<String, Owned> = BTreeMap::new();
        for (owner, at, status) in rows {
            let Ok(at) = DateTime::parse_from_rfc3339(&at) else {
                continue;
            };
            let day = crate::case::local_day(at.with_timezone(&chrono::Utc));
            if day < from || day > to {
                continue;
            }
            let o = owned.entry(owner).or_default();
            o.owned += 1;
            if matches!(status.as_str(), "closed" | "archived") {
                o.closed += 1;
            }
        }
        Ok(owned)
    }

    async fn work_report_view(
        &self,
        unit: &UnitCode,
        period: ReportPeriod,
    ) -> Result<pb::WorkReportView, NodeError> {
        let id = doc_id(unit, period);
        let h = self.hub.get(&id).await?.ok_or_else(|| {
            NodeError::NotFound(format!(
                "no {} of {unit} for {period} is held here; generate it first",
                period.kind()
            ))
        })?;
        let report: WorkReport = docs::read_report(&h.loaded.doc, period.kind())
            .ok_or_else(|| NodeError::Internal(format!("{id} is unreadable")))?;
        let mut v = report.to_pb();
        v.received_at = DateTime::from_timestamp_millis(h.first_seen_ms)
            .map(rfc3339)
            .unwrap_or_default();
        Ok(v)
    }

    pub async fn get_work_report(
        &self,
        who: &Actor,
        req: pb::WorkReportRequest,
    ) -> Result<pb::WorkReportView, NodeError> {
        self.authorize(who, Action::ReadSchedules).await?;
        let unit = self.visible_unit(&req.unit)?;
        let period = parse_period(&req.period)?;
        self.work_report_view(&unit, period).await
    }

    /// The plan or summary as the file an office hands in: XLSX or PDF.
    pub async fn export_work_report(
        &self,
        who: &Actor,
        req: pb::WorkReportExportRequest,
    ) -> Result<pb::ExportReply, NodeError> {
        self.authorize(who, Action::ReadSchedules).await?;
        let unit = self.visible_unit(&req.unit)?;
        let period = parse_period(&req.period)?;
        let v = self.work_report_view(&unit, period).await?;
        let stem = format!("{}-{}-{}", v.unit, v.period, v.kind);
        match req.format.trim() {
            "xlsx" | "" => Ok(pb::ExportReply {
                file_name: format!("{stem}.xlsx"),
                content_type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                    .into(),
                content: work_report::export_xlsx(&v)
                    .map_err(|e| NodeError::Internal(e.to_string()))?,
            }),
            "pdf" => {
                let fonts = NoticeFonts::find()?;
                Ok(pb::ExportReply {
                    file_name: format!("{stem}.pdf"),
                    content_type: "application/pdf".into(),
                    content: pdf::render_laid_out(&fonts, |m| work_report_pdf::lay_out(m, &v))?,
                })
            }
            other => Err(NodeError::invalid(
                "format",
                Said::new(
                    format!("“{other}”不是可用的格式，应填xlsx或pdf"),
                    format!("{other:?}: write xlsx or pdf"),
                ),
            )),
        }
    }
}
