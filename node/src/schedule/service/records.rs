//! What happens to a filed schedule: publication, adjustments before the day
//! (replace a leader, swap two days) and attendance after it. Each is a record
//! added to the filed document.

use crate::auth::{Action, Actor};
use chrono::NaiveDate;
use xinfang_hub::{Create, UnitCode};
use xinfang_proto::v1 as pb;

use super::{MAX_TEXT_CHARS, ScheduleService, opt, parse_date, parse_month, text};
use crate::error::NodeError;
use crate::labels::Said;
use crate::schedule::docs::{self, RecordBody, ScheduleRecord};
use crate::schedule::filing;
use crate::schedule::model::{Entry, Month};
use crate::schedule::workflow::{State, Step};

impl ScheduleService {
    async fn add_filed_record(
        &self,
        unit: &UnitCode,
        month: Month,
        body: RecordBody,
        operator: &str,
    ) -> Result<(), NodeError> {
        let id = crate::docid::schedule(unit, month);
        let rec = ScheduleRecord {
            id: format!("{unit}-{}", uuid::Uuid::new_v4().simple()),
            at: self.now(),
            recorded_by: operator.to_owned(),
            body,
        };
        self.hub
            .update(&id, Create::Existing, |d| docs::add_record(d, &id, &rec))
            .await?;
        Ok(())
    }

    pub async fn publish(
        &self,
        who: &Actor,
        req: pb::MonthRequest,
    ) -> Result<pb::ScheduleView, NodeError> {
        self.authorize(who, Action::PublishSchedule).await?;
        let operator: &str = &who.name;
        let unit = self.own_unit(&req.unit)?;
        let month = parse_month(&req.month)?;
        let (_, state) = self.require_filed(&unit, month, Step::Publish).await?;
        if state != State::Published {
            self.add_filed_record(&unit, month, RecordBody::Published, operator)
                .await?;
        }
        self.view(&unit, month).await
    }

    pub async fn adjust(
        &self,
        who: &Actor,
        req: pb::AdjustRequest,
    ) -> Result<pb::ScheduleView, NodeError> {
        self.authorize(who, Action::AdjustSchedule).await?;
        let operator: &str = &who.name;
        let unit = self.own_unit(&req.unit)?;
        let month = parse_month(&req.month)?;
        let date = parse_date("date", &req.date)?;
        let reason = text("reason", &req.reason, MAX_TEXT_CHARS)?;
        if reason.is_empty() {
            return Err(NodeError::invalid(
                "reason",
                Said::new("调整须写明原因", "an adjustment needs its reason"),
            ));
        }
        let (f, _) = self.require_filed(&unit, month, Step::Adjust).await?;
        let entries = filing::effective(&f);
        let today = self.today();
        let on = |d: NaiveDate, who: &str, field: &'static str| -> Result<Entry, NodeError> {
            let v: Vec<&Entry> = entries
                .iter()
                .filter(|e| e.date == d && (who.is_empty() || e.leader == who))
                .collect();
            match v.as_slice() {
                [one] => Ok((*one).clone()),
                [] => Err(NodeError::invalid(
                    field,
                    Said::new(
                        if who.is_empty() {
                            format!("{d}没有安排领导接访")
                        } else {
                            format!("{d}没有安排{who}接访")
                        },
                        format!(
                            "nobody{} is scheduled on {d}",
                            if who.is_empty() {
                                String::new()
                            } else {
                                format!(" named {who}")
                            }
                        ),
                    ),
                )),
                _ => Err(NodeError::invalid(
                    "from_leader",
                    Said::new(
                        format!("{d}安排了多名领导接访，请写明调整哪一位"),
                        format!("several leaders are on {d}: name the one to change"),
                    ),
                )),
            }
        };
        let first = |d: NaiveDate| -> Result<(), NodeError> {
            if d <= today {
                return Err(NodeError::Rule {
                    rule: "adjust.before_the_day",
                    message: format!(
                        "{d} is not in the future (today is {today}): adjustments are recorded before the day; an absence is recorded as attendance (缺岗)"
                    ),
                });
            }
            Ok(())
        };
        first(date)?;
        let body = if !req.swap_date.trim().is_empty() {
            let other = parse_date("swap_date", &req.swap_date)?;
            if !month.contains(other) {
                return Err(NodeError::invalid(
                    "swap_date",
                    Said::new(
                        format!("{other}不在{}内", month.label_zh()),
                        format!("{other} is outside {month}"),
                    ),
                ));
            }
            first(other)?;
            let a = on(date, req.from_leader.trim(), "date")?;
            let b = on(other, req.leader.trim(), "swap_date")?;
            if a.leader == b.leader {
                return Err(NodeError::invalid(
                    "swap_date",
                    Said::new(
                        format!("{}两天都有接访安排", a.leader),
                        format!("{} is on both days", a.leader),
                    ),
                ));
            }
            RecordBody::Swap {
                date,
                leader: a.leader,
                other,
                other_leader: b.leader,
                reason,
            }
        } else {
            let to = req.leader.trim();
            if to.is_empty() {
                return Err(NodeError::invalid(
                    "leader",
                    Said::new(
                        "请写明接替接访的领导，或填写对调日期",
                        "name the leader who takes the day, or give a swap date",
                    ),
                ));
            }
            let roster = self.roster(&unit).await?;
            let l = roster
                .iter()
                .find(|l| l.name == to && l.active)
                .ok_or_else(|| {
                    NodeError::invalid(
                        "leader",
                        Said::new(
                            format!("“{to}”不是领导花名册上在岗的领导"),
                            format!("unknown leader {to:?}: not on the roster"),
                        ),
                    )
                })?;
            let a = on(date, req.from_leader.trim(), "date")?;
            if entries.iter().any(|e| e.date == date && e.leader == to) {
                return Err(NodeError::invalid(
                    "leader",
                    Said::new(
                        format!("{to}在{date}已有接访安排"),
                        format!("{to} is already on {date}"),
                    ),
                ));
            }
            RecordBody::Replace {
                date,
                from: a.leader,
                to: l.name.clone(),
                to_position: l.position.clone(),
                reason,
            }
        };
        self.add_filed_record(&unit, month, body, operator).await?;
        self.view(&unit, month).await
    }

    pub async fn record_attendance(
        &self,
        who: &Actor,
        req: pb::AttendanceRequest,
    ) -> Result<pb::ScheduleView, NodeError> {
        self.authorize(who, Action::RecordAttendance).await?;
        let operator: &str = &who.name;
        let unit = self.own_unit(&req.unit)?;
        let date = parse_date("date", &req.date)?;
        let month = Month::of(date);
        let (f, _) = self
            .require_filed(&unit, month, Step::RecordAttendance)
            .await?;
        let today = self.today();
        if date > today {
            return Err(NodeError::Rule {
                rule: "attendance.not_yet",
                message: format!("{date} has not come yet (today is {today})"),
            });
        }
        let leader = req.leader.trim();
        let scheduled = filing::effective(&f)
            .iter()
            .chain(f.entries.iter())
            .any(|e| e.date == date && e.leader == leader);
        if !scheduled {
            return Err(NodeError::invalid(
                "leader",
                Said::new(
                    format!("“{leader}”在{date}没有接访安排"),
                    format!("{leader:?} is not scheduled on {date}"),
                ),
            ));
        }
        let reason = opt(&text("reason", &req.reason, MAX_TEXT_CHARS)?);
        if !req.held && reason.is_none() {
            return Err(NodeError::invalid(
                "reason",
                Said::new(
                    "缺岗须写明原因",
                    "a missed reception (缺岗) needs its reason",
                ),
            ));
        }
        if !req.held && (req.visitors > 0 || !req.cases.is_empty()) {
            return Err(NodeError::invalid(
                "visitors",
                Said::new(
                    "缺岗不能登记来访人数或案件",
                    "a missed reception received no visitors",
                ),
            ));
        }
        let mut cases = Vec::new();
        for c in &req.cases {
            let c = c.trim();
            let held = crate::case::lookup::find(&self.hub, c).await?;
            let Some(h) = held.map(|f| f.held) else {
                return Err(NodeError::invalid(
                    "cases",
                    Said::new(
                        format!("本单位查无案件{c}"),
                        format!("case {c} is not held at this node"),
                    ),
                ));
            };
            let Some(hd) = crate::case::header(&h.loaded.doc) else {
                return Err(NodeError::invalid(
                    "cases",
                    Said::new(format!("“{c}”不是案件"), format!("{c} is not a case")),
                ));
            };
            if &hd.registered_by != self.hub.me() || hd.received != date {
                return Err(NodeError::invalid(
                    "cases",
                    Said::new(
                        format!(
                            "案件{c}由{}于{}登记，不是本单位{date}接访时登记的",
                            hd.registered_by, hd.received
                        ),
                        format!(
                            "case {c} was registered by {} on {}, not here on {date}",
                            hd.registered_by, hd.received
                        ),
                    ),
                ));
            }
            cases.push(c.to_owned());
        }
        if req.resolved_on_spot as usize > cases.len().max(req.visitors as usize) {
            return Err(NodeError::invalid(
                "resolved_on_spot",
                Said::new("当场化解数不能多于接待数", "more resolved than received"),
            ));
        }
        self.add_filed_record(
            &unit,
            month,
            RecordBody::Attendance {
                date,
                leader: leader.to_owned(),
                held: req.held,
                visitors: req.visitors,
                cases,
                resolved_on_spot: req.resolved_on_spot,
                reason,
            },
            operator,
        )
        .await?;
        self.view(&unit, month).await
    }
}
