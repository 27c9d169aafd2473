//! Duty rosters for rest days and holidays (值班安排表): the calendar's rest days of
//! a span, the draft in the node's table, approval by the principal (which files
//! the roster upward as `duty/<unit>/<span>`), publication, the unit's list and
//! the superior's board. The rules are [`crate::schedule::duty`]'s.

use chrono::DateTime;
use xinfang_hub::{Create, UnitCode};
use xinfang_proto::v1 as pb;

use super::{MAX_NAME_CHARS, ScheduleService, parse_date, rfc3339, text};
use crate::auth::{Action, Actor};
use crate::error::NodeError;
use crate::labels::Said;
use crate::rules::calendar::PeriodError;
use crate::schedule::docs::{self, Decision, FiledDuty, RecordBody, ScheduleRecord};
use crate::schedule::duty::{self, DutyDay, DutyLeader, DutyProblem, DutySpan};
use crate::schedule::duty_sheet;
use crate::schedule::model::{Leader, LeaderRole};

const MAX_PHONE_CHARS: usize = 30;

const MAX_SPAN_CHARS: usize = 40;

fn parse_span(v: &str) -> Result<DutySpan, NodeError> {
    if v.chars().count() > MAX_SPAN_CHARS {
        return Err(NodeError::invalid(
            "span",
            Said::new(
                format!("不能超过{MAX_SPAN_CHARS}个字符，应填月份或年份加节日名称"),
                format!("at most {MAX_SPAN_CHARS} characters: a month or a year and a holiday"),
            ),
        ));
    }
    v.parse().map_err(|e: Said| NodeError::invalid("span", e))
}

fn problem(p: DutyProblem) -> NodeError {
    NodeError::invalid(p.field(), p.said())
}

fn period(e: PeriodError) -> NodeError {
    NodeError::Rule {
        rule: "duty.calendar_data",
        message: format!("{e}; the rest days of the span are unknown"),
    }
}

impl ScheduleService {
    fn duty_rest_days(&self, span: DutySpan) -> Result<Vec<chrono::NaiveDate>, NodeError> {
        span.rest_days(&self.rules.calendar).map_err(period)
    }

    pub async fn duty_days(
        &self,
        who: &Actor,
        req: pb::DutySpanRequest,
    ) -> Result<pb::DutyDaysReply, NodeError> {
        self.authorize(who, Action::ReadSchedules).await?;
        let span = parse_span(&req.span)?;
        let days = self.duty_rest_days(span)?;
        Ok(pb::DutyDaysReply {
            span: span.to_string(),
            span_label: span.label_zh(),
            dates: days.iter().map(ToString::to_string).collect(),
        })
    }

    async fn load_duty_draft(
        &self,
        unit: &UnitCode,
        span: DutySpan,
    ) -> Result<Option<Vec<DutyDay>>, NodeError> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT days FROM node_duty_drafts WHERE unit = $1 AND span = $2")
                .bind(unit.as_str())
                .bind(span.to_string())
                .fetch_optional(self.db.pool())
                .await?;
        row.map(|(t,)| {
            serde_json::from_str(&t).map_err(|e| NodeError::Internal(format!("duty draft: {e}")))
        })
        .transpose()
    }

    pub(super) async fn filed_duty(
        &self,
        unit: &UnitCode,
        span: DutySpan,
    ) -> Result<Option<(FiledDuty, DateTime<chrono::Utc>)>, NodeError> {
        let id = crate::docid::duty(unit, span);
        let Some(h) = self.hub.get(&id).await? else {
            return Ok(None);
        };
        let f = docs::read_duty(&h.loaded.doc)
            .ok_or_else(|| NodeError::Internal(format!("{id} is not a readable duty roster")))?;
        let at = DateTime::from_timestamp_millis(h.first_seen_ms).unwrap_or_else(chrono::Utc::now);
        Ok(Some((f, at)))
    }

    /// Sets the draft's days whole: every day a rest day of the span, every leader
    /// active on the roster; nothing is written when one is not.
    pub async fn draft_duty(
        &self,
        who: &Actor,
        req: pb::DutyDraftRequest,
    ) -> Result<pb::DutyRosterView, NodeError> {
        self.authorize(who, Action::EditSchedule).await?;
        let unit = self.own_unit(&req.unit)?;
        let span = parse_span(&req.span)?;
        let rest = self.duty_rest_days(span)?;
        let mut days = Vec::new();
        for d in &req.days {
            let date = parse_date("day.date", &d.date)?;
            let mut leaders = Vec::new();
            for l in &d.leaders {
                let name = text("day.leader", &l.name, MAX_NAME_CHARS)?;
                if name.is_empty() {
                    continue;
                }
                leaders.push(DutyLeader {
                    name,
                    phone: text("day.phone", &l.phone, MAX_PHONE_CHARS)?,
                });
            }
            days.push(DutyDay { date, leaders });
        }
        days.sort_by_key(|d| d.date);
        let roster = self.roster(&unit).await?;
        duty::check_days(span, &rest, &self.rules.calendar, &roster, &days).map_err(problem)?;
        let _g = self.drafts.lock().await;
        if self.filed_duty(&unit, span).await?.is_some() {
            return Err(NodeError::Rule {
                rule: "duty.already_approved",
                message: format!(
                    "the duty roster of {unit} for {} is approved and filed",
                    span.label_zh()
                ),
            });
        }
        let body = serde_json::to_string(&days).map_err(|e| NodeError::Internal(e.to_string()))?;
        sqlx::query(
            "INSERT INTO node_duty_drafts (unit, span, days, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (unit, span) DO UPDATE SET days = excluded.days,
                 updated_at = excluded.updated_at",
        )
        .bind(unit.as_str())
        .bind(span.to_string())
        .bind(body)
        .bind(rfc3339(self.now()))
        .execute(self.db.pool())
        .await?;
        drop(_g);
        self.duty_view(&unit, span).await
    }

    /// Approval by the principal files the roster: every rest day must have its
    /// leader, each still active on the roster.
    pub async fn approve_duty(
        &self,
        who: &Actor,
        req: pb::DutyDecisionRequest,
    ) -> Result<pb::DutyRosterView, NodeError> {
        self.authorize(who, Action::ApproveSchedule).await?;
        let unit = self.own_unit(&req.unit)?;
        let span = parse_span(&req.span)?;
        let by = self
            .decider(&unit, &req.by, LeaderRole::Principal, "by")
            .await?;
        let rest = self.duty_rest_days(span)?;
        let _g = self.drafts.lock().await;
        if self.filed_duty(&unit, span).await?.is_some() {
            return Err(NodeError::Rule {
                rule: "duty.already_approved",
                message: format!(
                    "the duty roster of {unit} for {} is already approved and filed",
                    span.label_zh()
                ),
            });
        }
        let days = self
            .load_duty_draft(&unit, span)
            .await?
            .ok_or_else(|| NodeError::Rule {
                rule: "duty.no_draft",
                message: format!(
                    "there is no draft duty roster of {unit} for {}; draft it first",
                    span.label_zh()
                ),
            })?;
        let roster = self.roster(&unit).await?;
        duty::check_complete(span, &rest, &self.rules.calendar, &roster, &days).map_err(problem)?;
        let filed = FiledDuty {
            unit: unit.clone(),
            span,
            days,
            approval: Decision {
                by,
                recorded_by: who.name.clone(),
                at: self.now(),
                override_reason: None,
                violations: Vec::new(),
            },
            records: Vec::new(),
        };
        let id = crate::docid::duty(&unit, span);
        self.hub
            .update(&id, Create::New, |d| docs::write_duty(d, &id, &filed))
            .await?;
        sqlx::query("DELETE FROM node_duty_drafts WHERE unit = $1 AND span = $2")
            .bind(unit.as_str())
            .bind(span.to_string())
            .execute(self.db.pool())
            .await?;
        drop(_g);
        self.duty_view(&unit, span).await
    }

    pub async fn publish_duty(
        &self,
        who: &Actor,
        req: pb::DutySpanRequest,
    ) -> Result<pb::DutyRosterView, NodeError> {
        self.authorize(who, Action::PublishSchedule).await?;
        let unit = self.own_unit(&req.unit)?;
        let span = parse_span(&req.span)?;
        let Some((f, _)) = self.filed_duty(&unit, span).await? else {
            return Err(NodeError::Rule {
                rule: "duty.not_approved",
                message: format!(
                    "the duty roster of {unit} for {} is not approved yet",
                    span.label_zh()
                ),
            });
        };
        if !f
            .records
            .iter()
            .any(|r| matches!(r.body, RecordBody::Published))
        {
            let id = crate::docid::duty(&unit, span);
            let rec = ScheduleRecord {
                id: format!("{unit}-{}", uuid::Uuid::new_v4().simple()),
                at: self.now(),
                recorded_by: who.name.clone(),
                body: RecordBody::Published,
            };
            self.hub
                .update(&id, Create::Existing, |d| docs::add_record(d, &id, &rec))
                .await?;
        }
        self.duty_view(&unit, span).await
    }

    pub async fn get_duty(
        &self,
        who: &Actor,
        req: pb::DutySpanRequest,
    ) -> Result<pb::DutyRosterView, NodeError> {
        self.authorize(who, Action::ReadSchedules).await?;
        let unit = self.visible_unit(&req.unit)?;
        let span = parse_span(&req.span)?;
        self.duty_view(&unit, span).await
    }

    /// The unit's rosters of a year: filed ones, and drafts at the unit's own node.
    pub async fn list_duty(
        &self,
        who: &Actor,
        req: pb::DutyListRequest,
    ) -> Result<pb::DutyRosterList, NodeError> {
        self.authorize(who, Action::ReadSchedules).await?;
        let unit = self.visible_unit(&req.unit)?;
        let year = if req.year == 0 {
            chrono::Datelike::year(&self.today())
        } else {
            req.year
        };
        let mut rosters = Vec::new();
        for span in DutySpan::all_of(year) {
            match self.duty_view(&unit, span).await {
                Ok(v) => rosters.push(v),
                Err(NodeError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(pb::DutyRosterList { rosters })
    }

    /// The roster as the XLSX table offices print.
    pub async fn export_duty(
        &self,
        who: &Actor,
        req: pb::DutySpanRequest,
    ) -> Result<pb::ExportReply, NodeError> {
        let v = self.get_duty(who, req).await?;
        Ok(pb::ExportReply {
            file_name: format!("{}-{}-duty.xlsx", v.unit, v.span),
            content_type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                .into(),
            content: duty_sheet::export_xlsx(&v).map_err(|e| NodeError::Internal(e.to_string()))?,
        })
    }

    /// Which units below filed their duty roster for a span, when, and whether
    /// they published it.
    pub async fn duty_board(
        &self,
        who: &Actor,
        req: pb::DutySpanRequest,
    ) -> Result<pb::DutyBoardView, NodeError> {
        self.authorize(who, Action::ReadSchedules).await?;
        let root = self.visible_unit(&req.unit)?;
        let span = parse_span(&req.span)?;
        let topo = self.topology().clone();
        let me = self.hub.me().clone();
        let mut rows = Vec::new();
        for code in topo.tree_order(&root) {
            if code == me {
                continue;
            }
            let Some(u) = topo.unit(&code) else { continue };
            let mut row = pb::DutyBoardRow {
                unit: u.code.to_string(),
                unit_name: u.name.clone(),
                ..Default::default()
            };
            if let Some((f, at)) = self.filed_duty(&u.code, span).await? {
                row.filed = true;
                row.received_at = rfc3339(at);
                row.approved_at = rfc3339(f.approval.at);
                row.published_at = published_at(&f);
            }
            rows.push(row);
        }
        Ok(pb::DutyBoardView {
            span: span.to_string(),
            span_label: span.label_zh(),
            rows,
        })
    }

    async fn duty_view(
        &self,
        unit: &UnitCode,
        span: DutySpan,
    ) -> Result<pb::DutyRosterView, NodeError> {
        let roster = self.roster(unit).await?;
        let rest = span.rest_days(&self.rules.calendar).unwrap_or_default();
        let mut v = pb::DutyRosterView {
            unit: unit.to_string(),
            unit_name: self.unit_name(unit),
            span: span.to_string(),
            span_label: span.label_zh(),
            ..Default::default()
        };
        let days = if let Some((f, at)) = self.filed_duty(unit, span).await? {
            v.published_at = published_at(&f);
            v.state = if v.published_at.is_empty() {
                "approved"
            } else {
                "published"
            }
            .into();
            v.approved_by = f.approval.by.clone().unwrap_or_default();
            v.approved_at = rfc3339(f.approval.at);
            v.received_at = rfc3339(at);
            f.days
        } else if unit == self.hub.me()
            && let Some(days) = self.load_duty_draft(unit, span).await?
        {
            v.state = "draft".into();
            days
        } else {
            return Err(NodeError::NotFound(format!(
                "no duty roster of {unit} for {} is held here",
                span.label_zh()
            )));
        };
        v.uncovered = duty::uncovered(&rest, &days)
            .iter()
            .map(ToString::to_string)
            .collect();
        v.days = days.iter().map(|d| day_pb(d, &roster)).collect();
        Ok(v)
    }
}

fn published_at(f: &FiledDuty) -> String {
    f.records
        .iter()
        .find(|r| matches!(r.body, RecordBody::Published))
        .map(|r| rfc3339(r.at))
        .unwrap_or_default()
}

fn day_pb(d: &DutyDay, roster: &[Leader]) -> pb::DutyDay {
    pb::DutyDay {
        date: d.date.to_string(),
        leaders: d
            .leaders
            .iter()
            .map(|l| pb::DutyLeader {
                name: l.name.clone(),
                phone: l.phone.clone(),
                position: roster
                    .iter()
                    .find(|r| r.name == l.name)
                    .map(|r| r.position.clone())
                    .unwrap_or_default(),
            })
            .collect(),
    }
}
