//! A month's schedule as the service answers it (`pb::ScheduleView`), and the
//! conversions of the schedule's parts to their messages.

use crate::auth::{Action, Actor};
use xinfang_hub::UnitCode;
use xinfang_proto::v1 as pb;

use super::{ScheduleService, filed_state, parse_month, rfc3339};
use crate::error::NodeError;
use crate::schedule::docs::{Decision, RecordBody, ScheduleRecord};
use crate::schedule::filing;
use crate::schedule::model::{Entry, Month};
use crate::schedule::quota::Violation;
use crate::schedule::workflow;

impl ScheduleService {
    pub async fn check(
        &self,
        who: &Actor,
        req: pb::MonthRequest,
    ) -> Result<pb::ScheduleView, NodeError> {
        self.authorize(who, Action::ReadSchedules).await?;
        self.checked(req).await
    }

    pub(super) async fn checked(
        &self,
        req: pb::MonthRequest,
    ) -> Result<pb::ScheduleView, NodeError> {
        let unit = self.visible_unit(&req.unit)?;
        let month = parse_month(&req.month)?;
        self.view(&unit, month).await
    }

    pub async fn get(
        &self,
        who: &Actor,
        req: pb::MonthRequest,
    ) -> Result<pb::ScheduleView, NodeError> {
        self.authorize(who, Action::ReadSchedules).await?;
        self.checked(req).await
    }

    pub async fn view(&self, unit: &UnitCode, month: Month) -> Result<pb::ScheduleView, NodeError> {
        let set = self.sets.of(unit).clone();
        let deadline = filing::deadline_end(&set, month);
        let now = self.now();
        let mut v = pb::ScheduleView {
            unit: unit.to_string(),
            unit_name: self.unit_name(unit),
            month: month.to_string(),
            rules: set.name.clone(),
            deadline: set.filing.deadline_for(month).to_string(),
            ..Default::default()
        };
        let (entries, received) = match self.filed(unit, month).await? {
            Some((f, at)) => {
                let entries = filing::effective(&f);
                v.state = filed_state(&f).code().into();
                v.review = f.review.as_ref().map(decision_pb);
                v.approval = Some(decision_pb(&f.approval));
                v.published_at = filing::published_at(&f).map(rfc3339).unwrap_or_default();
                v.adjustments = filing::adjustments(&f)
                    .into_iter()
                    .map(adjustment_pb)
                    .collect();
                v.attendance = filing::attendance(&f)
                    .into_iter()
                    .map(|a| attendance_pb(a.record))
                    .collect();
                v.flags = filing::flags(&f, self.today())
                    .into_iter()
                    .map(flag_pb)
                    .collect();
                (entries, Some(at))
            }
            None => {
                let draft = if unit == self.hub.me() {
                    self.load_draft(unit, month).await?
                } else {
                    None
                };
                match draft {
                    Some(d) => {
                        v.state = d.state.code().into();
                        v.review = d.review.as_ref().map(decision_pb);
                        (d.entries, None)
                    }
                    None if unit == self.hub.me() => {
                        return Err(NodeError::NotFound(format!(
                            "no schedule of {unit} for {month}: start one with `schedule draft` or `schedule import`"
                        )));
                    }
                    None => {
                        v.state = workflow::NOT_HELD.into();
                        (Vec::new(), None)
                    }
                }
            }
        };
        if !entries.is_empty() {
            let eval = self.evaluate(unit, month, &entries).await?;
            v.violations = eval.violations.iter().map(violation_pb).collect();
            v.warnings = eval.warnings;
        }
        v.entries = entries.iter().map(|e| self.entry_pb(e)).collect();
        v.received_at = received.map(rfc3339).unwrap_or_default();
        v.filing_status = filing::status(received, deadline, now).code().into();
        Ok(v)
    }

    fn entry_pb(&self, e: &Entry) -> pb::ScheduleEntry {
        pb::ScheduleEntry {
            date: e.date.to_string(),
            leader: e.leader.clone(),
            position: e.position.clone(),
            place: e.place.clone(),
            form: e.form.clone(),
            form_name: self
                .rules
                .taxonomy
                .reception_form(&e.form)
                .map(|f| f.name.clone())
                .unwrap_or_default(),
            topic: e.topic.clone().unwrap_or_default(),
            note: e.note.clone().unwrap_or_default(),
            non_working_day: e.non_working_day_override,
            time: e.time.map(|t| t.to_string()).unwrap_or_default(),
        }
    }
}

pub fn violation_pb(v: &Violation) -> pb::Violation {
    pb::Violation {
        rule: v.rule.clone(),
        message: v.message.clone(),
        message_en: v.message_en.clone(),
        leader: v.leader.clone().unwrap_or_default(),
        date: v.date.map(|d| d.to_string()).unwrap_or_default(),
        period: v.period.clone(),
        required: v.required,
        actual: v.actual,
    }
}

fn decision_pb(d: &Decision) -> pb::Decision {
    pb::Decision {
        by: d.by.clone().unwrap_or_default(),
        recorded_by: d.recorded_by.clone(),
        at: rfc3339(d.at),
        override_reason: d.override_reason.clone().unwrap_or_default(),
        violations: d.violations.iter().map(violation_pb).collect(),
    }
}

fn adjustment_pb(r: &ScheduleRecord) -> pb::Adjustment {
    let mut a = pb::Adjustment {
        id: r.id.clone(),
        recorded_at: rfc3339(r.at),
        ..Default::default()
    };
    match &r.body {
        RecordBody::Replace {
            date,
            from,
            to,
            reason,
            ..
        } => {
            a.kind = "replace".into();
            a.date = date.to_string();
            a.from_leader = from.clone();
            a.to_leader = to.clone();
            a.reason = reason.clone();
        }
        RecordBody::Swap {
            date,
            leader,
            other,
            other_leader,
            reason,
        } => {
            a.kind = "swap".into();
            a.date = date.to_string();
            a.from_leader = leader.clone();
            a.to_leader = other_leader.clone();
            a.swap_date = other.to_string();
            a.reason = reason.clone();
        }
        _ => {}
    }
    a
}

pub(super) fn adjustment_line(r: &ScheduleRecord) -> String {
    let a = adjustment_pb(r);
    if a.kind == "swap" {
        format!(
            "{} {} 与 {} {} 对调（{}）",
            a.date, a.from_leader, a.swap_date, a.to_leader, a.reason
        )
    } else {
        format!(
            "{} 由 {} 接替 {}（{}）",
            a.date, a.to_leader, a.from_leader, a.reason
        )
    }
}

fn attendance_pb(r: &ScheduleRecord) -> pb::Attendance {
    match &r.body {
        RecordBody::Attendance {
            date,
            leader,
            held,
            visitors,
            cases,
            resolved_on_spot,
            reason,
        } => pb::Attendance {
            date: date.to_string(),
            leader: leader.clone(),
            outcome: if *held { "held" } else { "missed" }.into(),
            visitors: *visitors,
            cases: cases.clone(),
            resolved_on_spot: *resolved_on_spot,
            reason: reason.clone().unwrap_or_default(),
            recorded_at: rfc3339(r.at),
        },
        _ => pb::Attendance::default(),
    }
}

pub(super) fn flag_pb(f: filing::Flag) -> pb::Flag {
    pb::Flag {
        kind: f.kind.into(),
        date: f.date.to_string(),
        leader: f.leader,
        message: f.message,
    }
}
