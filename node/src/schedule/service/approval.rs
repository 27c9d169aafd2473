//! Review by the leader in charge and approval by the principal. Approval files the
//! schedule: the document it creates replicates upward.

use crate::auth::{Action, Actor};
use xinfang_hub::{Create, UnitCode};
use xinfang_proto::v1 as pb;

use super::{MAX_TEXT_CHARS, ScheduleService, opt, parse_month, text};
use crate::error::NodeError;
use crate::labels::Said;
use crate::schedule::docs::{self, Decision, FiledSchedule};
use crate::schedule::model::{Leader, LeaderRole};
use crate::schedule::workflow::Step;

impl ScheduleService {
    pub(super) async fn decider(
        &self,
        unit: &UnitCode,
        by: &str,
        role: LeaderRole,
        field: &'static str,
    ) -> Result<Option<String>, NodeError> {
        let roster = self.roster(unit).await?;
        let by = by.trim();
        if !by.is_empty() {
            return match roster.iter().find(|l| l.name == by) {
                None => Err(NodeError::invalid(
                    field,
                    Said::new(
                        format!("{by}不在领导花名册上"),
                        format!("{by} is not on the roster"),
                    ),
                )),
                Some(l) if l.role != role => Err(NodeError::Rule {
                    rule: if role == LeaderRole::Principal {
                        "schedule.approver_role"
                    } else {
                        "schedule.reviewer_role"
                    },
                    message: format!(
                        "{by} is {} on the roster; this step is for the {}",
                        l.role.label_zh(),
                        role.label_zh()
                    ),
                }),
                Some(l) => Ok(Some(l.name.clone())),
            };
        }
        let with_role: Vec<&Leader> = roster
            .iter()
            .filter(|l| l.active && l.role == role)
            .collect();
        Ok(match with_role.as_slice() {
            [only] => Some(only.name.clone()),
            _ => None,
        })
    }

    pub async fn review(
        &self,
        who: &Actor,
        req: pb::DecisionRequest,
    ) -> Result<pb::ScheduleView, NodeError> {
        self.authorize(who, Action::ReviewSchedule).await?;
        let operator: &str = &who.name;
        let unit = self.own_unit(&req.unit)?;
        let month = parse_month(&req.month)?;
        let by = self
            .decider(&unit, &req.by, LeaderRole::InCharge, "by")
            .await?;
        let _g = self.drafts.lock().await;
        let mut draft = self.editable(&unit, month, Step::Review, false).await?;
        if draft.entries.is_empty() {
            return Err(NodeError::Rule {
                rule: "schedule.empty",
                message: format!("the {month} draft of {unit} has no entries"),
            });
        }
        let eval = self.evaluate(&unit, month, &draft.entries).await?;
        draft.review = Some(Decision {
            by,
            recorded_by: operator.to_owned(),
            at: self.now(),
            override_reason: opt(&req.override_reason),
            violations: eval.violations,
        });
        self.save_draft(&unit, month, &draft).await?;
        drop(_g);
        self.view(&unit, month).await
    }

    /// Approval files the schedule: the document it creates replicates upward.
    pub async fn approve(
        &self,
        who: &Actor,
        req: pb::DecisionRequest,
    ) -> Result<pb::ScheduleView, NodeError> {
        self.authorize(who, Action::ApproveSchedule).await?;
        let operator: &str = &who.name;
        let unit = self.own_unit(&req.unit)?;
        let month = parse_month(&req.month)?;
        let by = self
            .decider(&unit, &req.by, LeaderRole::Principal, "by")
            .await?;
        let override_reason = text("override", &req.override_reason, MAX_TEXT_CHARS)?;
        let _g = self.drafts.lock().await;
        // Approval needs the review first (the workflow's rule).
        let draft = self.editable(&unit, month, Step::Approve, false).await?;
        let eval = self.evaluate(&unit, month, &draft.entries).await?;
        if !eval.violations.is_empty() && override_reason.is_empty() {
            let list: Vec<String> = eval
                .violations
                .iter()
                .take(5)
                .map(|v| format!("[{}] {}", v.rule, v.message))
                .collect();
            return Err(NodeError::Rule {
                rule: "schedule.override_required",
                message: format!(
                    "the schedule breaks {} rule(s) of {}: {}{}; approve with an override reason to file it anyway",
                    eval.violations.len(),
                    self.sets.of(&unit).name,
                    list.join("; "),
                    if eval.violations.len() > 5 {
                        "; …"
                    } else {
                        ""
                    }
                ),
            });
        }
        let filed = FiledSchedule {
            unit: unit.clone(),
            month,
            rules: self.sets.of(&unit).name.clone(),
            entries: draft.entries.clone(),
            review: draft.review.clone(),
            approval: Decision {
                by,
                recorded_by: operator.to_owned(),
                at: self.now(),
                override_reason: (!override_reason.is_empty()).then_some(override_reason),
                violations: eval.violations,
            },
            records: Vec::new(),
        };
        let id = crate::docid::schedule(&unit, month);
        self.hub
            .update(&id, Create::New, |d| docs::write_filed(d, &id, &filed))
            .await?;
        sqlx::query("DELETE FROM node_schedule_drafts WHERE unit = $1 AND month = $2")
            .bind(unit.as_str())
            .bind(month.to_string())
            .execute(self.db.pool())
            .await?;
        drop(_g);
        self.view(&unit, month).await
    }
}
