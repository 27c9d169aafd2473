//! The quarterly reception register (季度接访登记): generated after the quarter
//! from the filed schedules and the cases registered at receptions, filed upward
//! like a schedule.

use crate::auth::{Action, Actor};
use std::collections::BTreeMap;

use chrono::DateTime;
use xinfang_hub::{Create, UnitCode};
use xinfang_proto::v1 as pb;

use super::{ScheduleService, rfc3339};
use crate::error::NodeError;
use crate::labels::Said;
use crate::schedule::docs::{self, RecordBody};
use crate::schedule::filing;
use crate::schedule::model::{Month, Quarter};
use crate::schedule::quarterly;

impl ScheduleService {
    pub async fn generate_quarterly(
        &self,
        who: &Actor,
        req: pb::QuarterRequest,
    ) -> Result<pb::QuarterlyView, NodeError> {
        self.authorize(who, Action::GenerateQuarterly).await?;
        let unit = self.own_unit(&req.unit)?;
        let quarter: Quarter = req
            .quarter
            .parse()
            .map_err(|e: Said| NodeError::invalid("quarter", e))?;
        let today = self.today();
        if today <= quarter.last_day() {
            return Err(NodeError::Rule {
                rule: "quarterly.after_quarter_end",
                message: format!(
                    "{quarter} ends on {}; the register is generated after it",
                    quarter.last_day()
                ),
            });
        }
        self.generate_quarterly_for(&unit, quarter).await
    }

    async fn generate_quarterly_for(
        &self,
        unit: &UnitCode,
        quarter: Quarter,
    ) -> Result<pb::QuarterlyView, NodeError> {
        let mut filed = Vec::new();
        for m in quarter.months() {
            if let Some((f, _)) = self.filed(unit, m).await? {
                filed.push(f);
            }
        }
        let roster = self.roster(unit).await?;
        let mut cases = BTreeMap::new();
        for f in &filed {
            for a in filing::attendance(f) {
                if let RecordBody::Attendance { cases: list, .. } = &a.record.body {
                    for c in list {
                        if let Some(found) = crate::case::lookup::find(&self.hub, c).await? {
                            let mut d = found.held.loaded.doc;
                            if let Ok(view) = crate::case::read(&mut d, &found.doc_id) {
                                let det = crate::case::read_details(&d);
                                let status: Option<(String,)> = sqlx::query_as(
                                    "SELECT status FROM node_cases WHERE case_no = $1",
                                )
                                .bind(c)
                                .fetch_optional(self.db.pool())
                                .await?;
                                cases.insert(
                                    c.clone(),
                                    quarterly::CaseFacts {
                                        petitioner: view.petitioner,
                                        content: view.content,
                                        category: det.category.unwrap_or_default(),
                                        status: status.map(|s| s.0).unwrap_or_default(),
                                    },
                                );
                            }
                        }
                    }
                }
            }
        }
        let mut register = quarterly::build(quarter, &filed, &roster, &cases, &self.rules.taxonomy);
        register.unit = unit.to_string();
        register.unit_name = self.unit_name(unit);
        register.generated_at = rfc3339(self.now());
        let id = crate::docid::quarterly(unit, quarter);
        let create = if self.hub.get(&id).await?.is_some() {
            Create::Existing
        } else {
            Create::New
        };
        self.hub
            .update(&id, create, |d| {
                docs::write_quarterly(d, &id, unit, quarter, &register)
            })
            .await?;
        self.quarterly_view(unit, quarter).await
    }

    async fn quarterly_view(
        &self,
        unit: &UnitCode,
        quarter: Quarter,
    ) -> Result<pb::QuarterlyView, NodeError> {
        let h = self
            .hub
            .get(&crate::docid::quarterly(unit, quarter))
            .await?
            .ok_or_else(|| {
                NodeError::NotFound(format!(
                    "no quarterly register of {unit} for {quarter} is held here"
                ))
            })?;
        let reg: quarterly::Register = docs::read_quarterly(&h.loaded.doc).ok_or_else(|| {
            NodeError::Internal(format!(
                "{} is unreadable",
                crate::docid::quarterly(unit, quarter)
            ))
        })?;
        let mut v = reg.to_pb();
        v.received_at = DateTime::from_timestamp_millis(h.first_seen_ms)
            .map(rfc3339)
            .unwrap_or_default();
        Ok(v)
    }

    pub async fn get_quarterly(
        &self,
        who: &Actor,
        req: pb::QuarterRequest,
    ) -> Result<pb::QuarterlyView, NodeError> {
        self.authorize(who, Action::ReadSchedules).await?;
        self.quarterly_of(req).await
    }

    async fn quarterly_of(&self, req: pb::QuarterRequest) -> Result<pb::QuarterlyView, NodeError> {
        let unit = self.visible_unit(&req.unit)?;
        let quarter: Quarter = req
            .quarter
            .parse()
            .map_err(|e: Said| NodeError::invalid("quarter", e))?;
        self.quarterly_view(&unit, quarter).await
    }

    pub async fn export_quarterly(
        &self,
        who: &Actor,
        req: pb::QuarterRequest,
    ) -> Result<pb::ExportReply, NodeError> {
        self.authorize(who, Action::ReadSchedules).await?;
        let v = self.quarterly_of(req).await?;
        let bytes = quarterly::export_xlsx(&v).map_err(|e| NodeError::Internal(e.to_string()))?;
        Ok(pb::ExportReply {
            file_name: format!("{}-{}-register.xlsx", v.unit, v.quarter),
            content_type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                .into(),
            content: bytes,
        })
    }

    /// At quarter end the node generates the register of the quarter just ended
    /// (once) and it files upward like a schedule.
    pub async fn quarter_end_duty(&self) -> Result<Option<Quarter>, NodeError> {
        let me = self.hub.me().clone();
        let quarter = Quarter::of(Month::of(self.today())).prev();
        if self
            .hub
            .get(&crate::docid::quarterly(&me, quarter))
            .await?
            .is_some()
        {
            return Ok(None);
        }
        // Only units that keep schedules here file registers: a node that never
        // filed a schedule in the quarter has nothing to register.
        let mut any = false;
        for m in quarter.months() {
            any |= self.filed(&me, m).await?.is_some();
        }
        if !any {
            return Ok(None);
        }
        self.generate_quarterly_for(&me, quarter).await?;
        Ok(Some(quarter))
    }
}
