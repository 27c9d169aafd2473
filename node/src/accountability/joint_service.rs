//! Planning joint supervisions (联合督查) and recording their findings; the
//! follow-up demands go onto the cases as supervision records through the case
//! service, so the case rules (a superior of the handling unit, a future due
//! date, a demand stated) apply to them as to any supervision.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use xinfang_hub::{Create, Hub, UnitCode};
use xinfang_proto::v1 as pb;

use super::joint::{
    Demand, JointFinding, JointPlan, check_finding, check_plan, read_finding, read_plan,
    write_finding, write_plan,
};
use crate::auth::{Action, Actor, Guard};
use crate::case::record::{Body, Record, Supervision};
use crate::case::service::CaseService;
use crate::docid::{self, JOINT_FINDING_PREFIX, JOINT_PLAN_PREFIX};
use crate::error::NodeError;
use crate::labels::{Lang, Said};

const MAX_LISTED: usize = 10_000;

pub struct JointSupervisionService {
    hub: Hub,
    guard: Arc<Guard>,
    cases: Arc<CaseService>,
}

fn day(field: &'static str, v: &str) -> Result<NaiveDate, NodeError> {
    NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").map_err(|_| NodeError::not_a_date(field, v))
}

/// The supervision record a demand becomes on its case.
fn supervision(d: &Demand) -> Body {
    Body::Supervision {
        method: d.method,
        due: d.due,
        demand: format!("【联合督查】{}", d.demand),
    }
}

impl JointSupervisionService {
    pub fn new(hub: Hub, guard: Arc<Guard>, cases: Arc<CaseService>) -> JointSupervisionService {
        JointSupervisionService { hub, guard, cases }
    }

    pub fn guard(&self) -> &Guard {
        &self.guard
    }

    fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.hub.now_ms()).unwrap_or_else(Utc::now)
    }

    pub async fn plan(
        &self,
        who: &Actor,
        req: pb::PlanJointSupervisionRequest,
    ) -> Result<pb::JointPlanView, NodeError> {
        self.guard
            .authorize(who, Action::RecordAccountability, "")
            .await?;
        let mut units = Vec::new();
        for u in req.units.iter().filter(|u| !u.trim().is_empty()) {
            units.push(
                u.trim()
                    .parse::<UnitCode>()
                    .map_err(|e| NodeError::not_unit_code("units", u, &e))?,
            );
        }
        let me = self.hub.me().clone();
        let p = JointPlan {
            issuer: me.clone(),
            title: req.title.trim().to_owned(),
            units,
            matters: req
                .matters
                .iter()
                .map(|m| m.trim().to_owned())
                .filter(|m| !m.is_empty())
                .collect(),
            from: day("from", &req.from)?,
            to: day("to", &req.to)?,
            planned_at: self.now(),
            planned_by: who.name.clone(),
        };
        check_plan(&p, &me, self.hub.topology())?;
        let id = docid::new_issued(JOINT_PLAN_PREFIX, &me);
        self.hub
            .update(&id, Create::New, |d| write_plan(d, &id, &p))
            .await?;
        Ok(self.plan_view(&id, &p, Vec::new()))
    }

    /// Records a finding at one unit of a plan of this node's, and writes each
    /// demand as a supervision record on its case. Every case is looked up before
    /// anything is written.
    pub async fn finding(
        &self,
        who: &Actor,
        req: pb::JointFindingRequest,
        lang: Lang,
    ) -> Result<pb::JointFindingView, NodeError> {
        self.guard
            .authorize(who, Action::RecordAccountability, "")
            .await?;
        let plan_id = req.plan.trim();
        let plan = match self.hub.get(plan_id).await {
            Ok(Some(h)) => read_plan(&h.loaded.doc),
            _ => None,
        }
        .filter(|p| &p.issuer == self.hub.me())
        .ok_or_else(|| {
            NodeError::invalid(
                "plan",
                Said::new(
                    format!("“{plan_id}”不是本机关的督查计划"),
                    format!("{plan_id:?} is not a plan of this office"),
                ),
            )
        })?;
        let unit = req
            .unit
            .trim()
            .parse::<UnitCode>()
            .map_err(|e| NodeError::not_unit_code("unit", &req.unit, &e))?;
        let mut demands = Vec::new();
        for d in &req.demands {
            let method = match d.method.trim() {
                "" => Supervision::Interview,
                m => serde_json::from_value(serde_json::Value::String(m.to_owned())).map_err(
                    |_| {
                        NodeError::invalid(
                            "demands",
                            Said::new(
                                format!(
                                    "督办方式“{m}”应为phone（电话督办）、letter（函件督办）、\
                                     interview（约谈督办）、meeting（会议督办）、\
                                     listed（挂牌督办）或public_notice（通报督办）"
                                ),
                                format!(
                                    "method {m:?}: phone, letter, interview, meeting, listed or public_notice"
                                ),
                            ),
                        )
                    },
                )?,
            };
            demands.push(Demand {
                case_no: d.case_no.trim().to_owned(),
                due: day("demands", &d.due)?,
                demand: d.demand.trim().to_owned(),
                method,
            });
        }
        let now = self.now();
        let f = JointFinding {
            issuer: self.hub.me().clone(),
            plan: plan_id.to_owned(),
            unit,
            text: req.text.trim().to_owned(),
            demands,
            date: match req.date.trim() {
                "" => crate::case::local_day(now),
                d => day("date", d)?,
            },
            recorded_at: now,
            recorded_by: who.name.clone(),
        };
        check_finding(&f, &plan)?;
        // Every demand is put to the case rules before any is written, so a
        // refused one leaves nothing behind.
        self.guard
            .authorize(who, Action::Step(crate::case::Step::Supervision), "")
            .await?;
        for d in &f.demands {
            if crate::case::lookup::find(&self.hub, &d.case_no)
                .await?
                .is_none()
            {
                return Err(NodeError::invalid(
                    "demands",
                    Said::new(
                        format!("本机关未存有案件{}", d.case_no),
                        format!("case {} is not held at this node", d.case_no),
                    ),
                ));
            }
            let file = self.cases.file(who, &d.case_no).await?;
            let header = file.header.as_ref().ok_or_else(|| {
                NodeError::invalid(
                    "demands",
                    Said::new(
                        format!("案件{}无法查阅", d.case_no),
                        format!("{} is not a readable case", d.case_no),
                    ),
                )
            })?;
            let trial = Record {
                id: format!("{}-joint-trial", self.hub.me()),
                unit: self.hub.me().clone(),
                at: now,
                body: supervision(d),
                by: Some(who.name.clone()),
            };
            crate::case::admit(
                header,
                &file.records,
                &trial,
                &self.cases.context(),
                self.cases.today(),
            )?;
        }
        for d in &f.demands {
            self.cases
                .act_record(who, &d.case_no, supervision(d), lang)
                .await?;
        }
        let id = docid::new_issued(JOINT_FINDING_PREFIX, self.hub.me());
        self.hub
            .update(&id, Create::New, |doc| write_finding(doc, &id, &f))
            .await?;
        Ok(self.finding_view(&id, &f))
    }

    /// The plans this node holds, each with the findings it holds under it.
    pub async fn list(&self, who: &Actor) -> Result<pb::JointPlanList, NodeError> {
        self.guard.authorize(who, Action::ReadReports, "").await?;
        let mut findings = Vec::new();
        for id in self
            .hub
            .ids_with_prefix(JOINT_FINDING_PREFIX, MAX_LISTED)
            .await?
        {
            if let Some(h) = self.hub.get(&id).await?
                && let Some(f) = read_finding(&h.loaded.doc)
            {
                findings.push((id, f));
            }
        }
        let mut plans = Vec::new();
        for id in self
            .hub
            .ids_with_prefix(JOINT_PLAN_PREFIX, MAX_LISTED)
            .await?
        {
            if let Some(h) = self.hub.get(&id).await?
                && let Some(p) = read_plan(&h.loaded.doc)
            {
                let mine = findings
                    .iter()
                    .filter(|(_, f)| f.plan == id)
                    .map(|(fid, f)| self.finding_view(fid, f))
                    .collect();
                plans.push((p.from, self.plan_view(&id, &p, mine)));
            }
        }
        plans.sort_by_key(|(from, _)| std::cmp::Reverse(*from));
        Ok(pb::JointPlanList {
            plans: plans.into_iter().map(|(_, v)| v).collect(),
        })
    }

    fn name(&self, u: &UnitCode) -> String {
        self.hub
            .topology()
            .unit(u)
            .map(|x| x.name.clone())
            .unwrap_or_else(|| u.to_string())
    }

    fn plan_view(
        &self,
        id: &str,
        p: &JointPlan,
        findings: Vec<pb::JointFindingView>,
    ) -> pb::JointPlanView {
        pb::JointPlanView {
            id: id.to_owned(),
            issuer: p.issuer.to_string(),
            issuer_name: self.name(&p.issuer),
            title: p.title.clone(),
            units: p.units.iter().map(ToString::to_string).collect(),
            unit_names: p.units.iter().map(|u| self.name(u)).collect(),
            matters: p.matters.clone(),
            from: p.from.to_string(),
            to: p.to.to_string(),
            planned_by: p.planned_by.clone(),
            findings,
        }
    }

    fn finding_view(&self, id: &str, f: &JointFinding) -> pb::JointFindingView {
        pb::JointFindingView {
            id: id.to_owned(),
            plan: f.plan.clone(),
            unit: f.unit.to_string(),
            unit_name: self.name(&f.unit),
            text: f.text.clone(),
            demands: f
                .demands
                .iter()
                .map(|d| pb::JointDemand {
                    case_no: d.case_no.clone(),
                    due: d.due.to_string(),
                    demand: d.demand.clone(),
                    method: serde_json::to_value(d.method)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default(),
                })
                .collect(),
            date: f.date.to_string(),
            recorded_by: f.recorded_by.clone(),
        }
    }
}
