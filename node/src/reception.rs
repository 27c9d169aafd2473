//! The reception service: a case received on a leader's reception day (seed 004).
//! It checks what only the node can know — that the leader receives that day by
//! the unit's filed schedule, that a form's recipients are on the roster — turns
//! a request into the case record, and writes it through the case service, whose
//! rules (`case::reception`) and permissions apply as to any step. The papers
//! (four cards, the eight-copy form) are the notice service's to draw. The gRPC
//! API and the CLI come here.

use std::sync::Arc;

use chrono::NaiveDate;
use xinfang_hub::UnitCode;
use xinfang_proto::v1 as pb;

use crate::auth::Actor;
use crate::case::labels::Lang;
use crate::case::reception::Reception;
use crate::case::record::{Assignment, Body, Recipient, Task};
use crate::case::service::CaseService;
use crate::error::NodeError;
use crate::labels::Said;
use crate::notice::service::{NoticeService, Papers};
use crate::schedule::service::{ScheduleService, parse_date};

pub struct ReceptionService {
    cases: Arc<CaseService>,
    schedules: Arc<ScheduleService>,
    notices: Arc<NoticeService>,
}

fn unit_field(field: &'static str, v: &str) -> Result<UnitCode, NodeError> {
    if v.trim().is_empty() {
        return Err(NodeError::invalid(
            field,
            Said::new("必须选择单位", "required: pick the unit"),
        ));
    }
    v.trim()
        .parse()
        .map_err(|e| NodeError::not_unit_code(field, v, &e))
}

impl ReceptionService {
    pub fn new(
        cases: Arc<CaseService>,
        schedules: Arc<ScheduleService>,
        notices: Arc<NoticeService>,
    ) -> ReceptionService {
        ReceptionService {
            cases,
            schedules,
            notices,
        }
    }

    pub fn guard(&self) -> &crate::auth::Guard {
        self.cases.guard()
    }

    fn me(&self) -> UnitCode {
        self.cases.hub_topology().0.clone()
    }

    fn name_of(&self, u: &UnitCode) -> String {
        self.cases
            .hub_topology()
            .1
            .unit(u)
            .map(|x| x.name.clone())
            .unwrap_or_else(|| u.to_string())
    }

    /// Books the case onto a leader's reception day of this unit.
    pub async fn book(
        &self,
        who: &Actor,
        req: pb::BookRequest,
        lang: Lang,
    ) -> Result<pb::CaseView, NodeError> {
        let date = parse_date("date", &req.date)?;
        let leader = req.leader.trim();
        if leader.is_empty() {
            return Err(NodeError::invalid(
                "leader",
                Said::new("请写明接访的领导", "name the leader who receives"),
            ));
        }
        let responsible = unit_field("responsible", &req.responsible)?;
        let me = self.me();
        let entry = self
            .schedules
            .reception_of(&me, date, leader)
            .await?
            .ok_or_else(|| NodeError::Rule {
                rule: "reception.scheduled",
                message: format!(
                    "field `date`: {leader} does not receive on {date} by the filed schedule of {} \
                     (a case is booked onto a reception the schedule holds)",
                    self.name_of(&me)
                ),
            })?;
        let place = match req.place.trim() {
            "" => entry.place.clone(),
            p => p.to_owned(),
        };
        let body = Body::Booking {
            date,
            leader: entry.leader,
            position: entry.position,
            responsible,
            place,
            invitation: req.invitation.trim().to_owned(),
        };
        self.cases.act_record(who, &req.case_no, body, lang).await
    }

    /// The reception's outcome: whether it took place, the leader's decision, its
    /// tasks and its 交办.
    pub async fn record_outcome(
        &self,
        who: &Actor,
        req: pb::OutcomeRequest,
        lang: Lang,
    ) -> Result<pb::CaseView, NodeError> {
        let mut tasks = Vec::new();
        for t in &req.tasks {
            tasks.push(Task {
                unit: unit_field("tasks.unit", &t.unit)?,
                duty: t.duty.trim().to_owned(),
                due: parse_date("tasks.due", &t.due)?,
            });
        }
        let assign = match (req.assign_to.trim(), req.assign_due.trim()) {
            ("", "") => None,
            ("", _) => {
                return Err(NodeError::invalid(
                    "assign_to",
                    Said::new("请写明交办的单位", "name the unit assigned"),
                ));
            }
            (_, "") => {
                return Err(NodeError::invalid(
                    "assign_due",
                    Said::new("请写明办理期限", "give the due date"),
                ));
            }
            (to, due) => Some(Assignment {
                to: unit_field("assign_to", to)?,
                due: parse_date("assign_due", due)?,
            }),
        };
        let body = Body::ReceptionOutcome {
            booking: req.booking.trim().to_owned(),
            held: req.held,
            decision: req.decision.trim().to_owned(),
            tasks,
            assign,
        };
        self.cases.act_record(who, &req.case_no, body, lang).await
    }

    /// Sends the eight-copy supervision form after the leader's decision.
    pub async fn send_form(
        &self,
        who: &Actor,
        req: pb::SupervisionFormRequest,
        lang: Lang,
    ) -> Result<pb::CaseView, NodeError> {
        let due = parse_date("due", &req.due)?;
        let booking = self.booking(who, &req.case_no, &req.booking).await?;
        let roster = self.schedules.roster(&self.me()).await?;
        let mut recipients = Vec::new();
        if req.recipients.iter().all(|r| r.trim().is_empty()) {
            // The unit's rule set says which posts (seed 004's six by default).
            let form = self.schedules.supervision_form(&self.me());
            for &post in &form.posts {
                recipients.extend(roster.iter().filter(|l| l.active && l.class() == post).map(
                    |l| Recipient::Leader {
                        name: l.name.clone(),
                        position: l.position.clone(),
                    },
                ));
            }
            if recipients.is_empty() {
                let zh: Vec<&str> = form.posts.iter().map(|p| p.label_zh()).collect();
                let en: Vec<&str> = form.posts.iter().map(|p| p.label_en()).collect();
                return Err(NodeError::invalid(
                    "recipients",
                    Said::new(
                        format!(
                            "领导花名册中没有八联单送达职务（{}）的在岗领导，请写明送达对象",
                            zh.join("、")
                        ),
                        format!(
                            "the roster has no active leader of the posts the form goes to \
                             ({}): name the recipients",
                            en.join(", ")
                        ),
                    ),
                ));
            }
        } else {
            for name in req
                .recipients
                .iter()
                .map(|r| r.trim())
                .filter(|r| !r.is_empty())
            {
                let l = roster
                    .iter()
                    .find(|l| l.name == name && l.active)
                    .ok_or_else(|| {
                        NodeError::invalid(
                            "recipients",
                            Said::new(
                                format!("“{name}”不是领导花名册上在岗的领导"),
                                format!("{name:?} is not an active leader on the roster"),
                            ),
                        )
                    })?;
                recipients.push(Recipient::Leader {
                    name: l.name.clone(),
                    position: l.position.clone(),
                });
            }
        }
        recipients.push(Recipient::Unit {
            name: self.name_of(&booking.responsible),
            code: booking.responsible.clone(),
        });
        let body = Body::SupervisionForm {
            booking: booking.id,
            recipients,
            due,
            demand: req.demand.trim().to_owned(),
        };
        self.cases.act_record(who, &req.case_no, body, lang).await
    }

    /// A recipient acknowledges its copy of the form.
    pub async fn acknowledge(
        &self,
        who: &Actor,
        req: pb::AcknowledgeFormRequest,
        lang: Lang,
    ) -> Result<pb::CaseView, NodeError> {
        let body = Body::FormAck {
            form: req.form.trim().to_owned(),
            recipient: req.recipient.trim().to_owned(),
        };
        self.cases.act_record(who, &req.case_no, body, lang).await
    }

    /// This unit's reception days a case can be booked onto: from today over the
    /// next `days` days, by its filed schedules as adjusted.
    pub async fn bookable_days(
        &self,
        who: &Actor,
        days: i64,
    ) -> Result<Vec<crate::schedule::model::Entry>, NodeError> {
        self.guard()
            .authorize(who, crate::auth::Action::ReadSchedules, "")
            .await?;
        let today = self.cases.today();
        self.schedules
            .receptions_between(&self.me(), today, today + chrono::Duration::days(days))
            .await
    }

    /// The case's receptions as they stand.
    pub async fn list(&self, who: &Actor, case_no: &str) -> Result<pb::ReceptionList, NodeError> {
        let (file, receptions) = self.receptions(who, case_no).await?;
        Ok(pb::ReceptionList {
            case_no: file,
            receptions: receptions.iter().map(|r| self.entry_pb(r)).collect(),
        })
    }

    pub async fn cards(
        &self,
        who: &Actor,
        case_no: &str,
        booking: &str,
    ) -> Result<Papers, NodeError> {
        self.notices.reception_cards(who, case_no, booking).await
    }

    pub async fn form_papers(
        &self,
        who: &Actor,
        case_no: &str,
        booking: &str,
    ) -> Result<Papers, NodeError> {
        self.notices.supervision_form(who, case_no, booking).await
    }

    async fn receptions(
        &self,
        who: &Actor,
        case_no: &str,
    ) -> Result<(String, Vec<Reception>), NodeError> {
        let file = self.cases.file(who, case_no).await?;
        let derived = self.cases.derive(&file).ok_or_else(|| {
            NodeError::Internal(format!("case {} has no registration", file.view.case_no))
        })?;
        Ok((file.view.case_no, derived.receptions))
    }

    async fn booking(&self, who: &Actor, case_no: &str, id: &str) -> Result<Reception, NodeError> {
        let (case_no, receptions) = self.receptions(who, case_no).await?;
        receptions
            .into_iter()
            .find(|b| b.id == id.trim())
            .ok_or_else(|| {
                NodeError::invalid(
                    "booking",
                    Said::new(
                        format!("案件{case_no}没有编号为“{}”的约访", id.trim()),
                        format!("no booking {:?} on case {case_no}", id.trim()),
                    ),
                )
            })
    }

    fn entry_pb(&self, r: &Reception) -> pb::ReceptionEntry {
        let day = |d: NaiveDate| d.to_string();
        let task_pb = |t: &Task| pb::ReceptionTask {
            unit: t.unit.to_string(),
            unit_name: self.name_of(&t.unit),
            duty: t.duty.clone(),
            due: day(t.due),
        };
        let mut e = pb::ReceptionEntry {
            booking: r.id.clone(),
            office: r.office.to_string(),
            office_name: self.name_of(&r.office),
            date: day(r.date),
            leader: r.leader.clone(),
            position: r.position.clone(),
            responsible: r.responsible.to_string(),
            responsible_name: self.name_of(&r.responsible),
            place: r.place.clone(),
            invitation: r.invitation.clone(),
            ..Default::default()
        };
        if let Some(o) = &r.outcome {
            e.outcome = o.id.clone();
            e.held = o.held;
            e.decision = o.decision.clone();
            e.tasks = o.tasks.iter().map(task_pb).collect();
            if let Some(a) = &o.assign {
                e.assign_to = a.to.to_string();
                e.assign_to_name = self.name_of(&a.to);
                e.assign_due = day(a.due);
            }
        }
        if let Some(f) = &r.form {
            e.form = f.id.clone();
            e.form_due = day(f.due);
            e.form_demand = f.demand.clone();
            e.copies = f
                .copies
                .iter()
                .map(|(to, ack)| pb::FormCopy {
                    key: to.key().to_owned(),
                    title: to.title(),
                    acknowledged_on: ack.map(day).unwrap_or_default(),
                })
                .collect();
            e.form_returned_on = f.returned.map(day).unwrap_or_default();
        }
        e
    }
}
