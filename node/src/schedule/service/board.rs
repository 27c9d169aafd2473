//! The filing board: which units below filed their schedule for a month, on time
//! or late, with the rules each breaks; overdue filings; a unit's reception
//! statistics for the reports.

use crate::auth::{Action, Actor};
use chrono::DateTime;
use xinfang_hub::UnitCode;
use xinfang_proto::v1 as pb;

use super::views::{flag_pb, violation_pb};
use super::{ScheduleService, parse_month, rfc3339};
use crate::case::reception::{self, BookingSummary};
use crate::error::NodeError;
use crate::schedule::docs::RecordBody;
use crate::schedule::filing::{self, FilingStatus};
use crate::schedule::model::{Month, Quarter};

impl ScheduleService {
    pub async fn filings(
        &self,
        who: &Actor,
        req: pb::FilingsRequest,
    ) -> Result<pb::FilingBoard, NodeError> {
        self.authorize(who, Action::ReadSchedules).await?;
        self.board(req).await
    }

    pub(crate) async fn board(
        &self,
        req: pb::FilingsRequest,
    ) -> Result<pb::FilingBoard, NodeError> {
        let now = self.now();
        let month = if req.month.trim().is_empty() {
            Month::of(filing::local_day(now)).next()
        } else {
            parse_month(&req.month)?
        };
        let root = self.visible_unit(&req.unit)?;
        let topo = self.topology().clone();
        let me = self.hub.me().clone();
        let order: Vec<_> = topo
            .tree_order(&root)
            .iter()
            .filter_map(|c| topo.unit(c).cloned())
            .collect();
        let bookings = self.booked_cases().await?;
        let today = filing::local_day(now);
        let mut rows = Vec::new();
        for u in &order {
            if u.code == me || !topo.in_subtree(&root, &u.code) {
                continue;
            }
            let set = self.sets.of(&u.code).clone();
            let deadline = filing::deadline_end(&set, month);
            let mut row = pb::FilingRow {
                unit: u.code.to_string(),
                unit_name: u.name.clone(),
                parent: u
                    .parent
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
                tier: u.tier.as_str().to_owned(),
                month: month.to_string(),
                deadline: set.filing.deadline_for(month).to_string(),
                rules: set.name.clone(),
                ..Default::default()
            };
            let filed = self.filed(&u.code, month).await?;
            let received = filed.as_ref().map(|(_, at)| *at);
            row.status = filing::status(received, deadline, now).code().into();
            if let Some((f, at)) = filed {
                row.received_at = rfc3339(at);
                row.approved_at = rfc3339(f.approval.at);
                row.override_reason = f.approval.override_reason.clone().unwrap_or_default();
                row.adjustments = filing::adjustments(&f).len() as u32;
                row.flags = filing::flags(&f, filing::local_day(now))
                    .into_iter()
                    .map(flag_pb)
                    .collect();
                let eval = self
                    .evaluate(&u.code, month, &filing::effective(&f))
                    .await?;
                row.violations = eval.violations.iter().map(violation_pb).collect();
            }
            // Its booked cases not received, or with no outcome recorded.
            for (case_no, list) in &bookings {
                for b in reception::board_flags(
                    case_no,
                    list,
                    &u.code,
                    (month.first_day(), month.last_day()),
                    today,
                ) {
                    row.flags.push(flag_pb(filing::Flag {
                        kind: b.kind,
                        date: b.date,
                        leader: b.leader,
                        message: b.message,
                    }));
                }
            }
            rows.push(row);
        }
        let quarter = Quarter::of(month);
        let mut q = Vec::new();
        for u in &order {
            if u.code == me || !topo.in_subtree(&root, &u.code) {
                continue;
            }
            if let Some(h) = self
                .hub
                .get(&crate::docid::quarterly(&u.code, quarter))
                .await?
            {
                q.push(pb::QuarterlyFiling {
                    unit: u.code.to_string(),
                    unit_name: u.name.clone(),
                    quarter: quarter.to_string(),
                    received_at: DateTime::from_timestamp_millis(h.first_seen_ms)
                        .map(rfc3339)
                        .unwrap_or_default(),
                });
            }
        }
        Ok(pb::FilingBoard {
            as_of: rfc3339(now),
            month: month.to_string(),
            rows,
            quarterly: q,
        })
    }

    /// The cases this node holds with bookings onto reception days, and theirs.
    pub(super) async fn booked_cases(
        &self,
    ) -> Result<Vec<(String, Vec<BookingSummary>)>, NodeError> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT case_no, receptions FROM node_cases WHERE receptions IS NOT NULL",
        )
        .fetch_all(self.db.pool())
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(no, json)| serde_json::from_str(&json).ok().map(|b| (no, b)))
            .collect())
    }

    /// Overdue filings below this node, for `status` and the log: nobody has to ask.
    pub async fn missing_filings(&self) -> Result<Vec<pb::FilingRow>, NodeError> {
        let now = self.now();
        let board = self
            .board(pb::FilingsRequest {
                month: Month::of(filing::local_day(now)).next().to_string(),
                unit: String::new(),
            })
            .await?;
        Ok(board
            .rows
            .into_iter()
            .filter(|r| r.status == FilingStatus::Missing.code())
            .collect())
    }

    /// A unit's receptions in a month from its filed schedule: days scheduled,
    /// held, missed, unrecorded (past), visitors, cases registered at receptions.
    pub async fn reception_stats(
        &self,
        unit: &UnitCode,
        month: Month,
    ) -> Result<Option<[u32; 6]>, NodeError> {
        let Some((f, _)) = self.filed(unit, month).await? else {
            return Ok(None);
        };
        let mut s = [0u32; 6];
        s[0] = filing::effective(&f).len() as u32;
        for a in filing::attendance(&f) {
            if let RecordBody::Attendance {
                held,
                visitors,
                cases,
                ..
            } = &a.record.body
            {
                if *held {
                    s[1] += 1;
                } else {
                    s[2] += 1;
                }
                s[4] += visitors;
                s[5] += cases.len() as u32;
            }
        }
        s[3] = filing::flags(&f, self.today())
            .iter()
            .filter(|x| x.kind == "unrecorded")
            .count() as u32;
        Ok(Some(s))
    }
}
