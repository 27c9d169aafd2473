//! Joint supervision (联合督查, seed 003 art. 12: 每年至少开展1次对重要信访事项和信访
//! 突出问题的联合督查): a superior's plan — which units, which matters, when — and
//! its findings, one record per unit visited. A plan is scoped to the planner and
//! every unit it names; a finding to the planner and its one unit, so a unit never
//! reads what was found at a sibling. The follow-up demands on cases are
//! supervision records written through the case service (`joint_service`), not
//! here. Pure: layout and checks.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use xinfang_hub::{Topology, UnitCode, doc};

use crate::case::record::Supervision;
use crate::docid::{JOINT_FINDING_KIND, JOINT_PLAN_KIND};
use crate::error::NodeError;
use crate::labels::Said;

const MAX_TEXT_CHARS: usize = 5_000;
const MAX_TITLE_CHARS: usize = 100;
const MAX_ITEMS: usize = 50;

/// A joint supervision as planned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JointPlan {
    pub issuer: UnitCode,
    pub title: String,
    /// The units supervised, each below the issuer.
    pub units: Vec<UnitCode>,
    /// The matters looked into (重要信访事项和信访突出问题).
    pub matters: Vec<String>,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub planned_at: DateTime<Utc>,
    pub planned_by: String,
}

/// A follow-up demand on one case, written as a supervision record on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Demand {
    pub case_no: String,
    pub due: NaiveDate,
    pub demand: String,
    pub method: Supervision,
}

/// What a joint supervision found at one unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JointFinding {
    pub issuer: UnitCode,
    /// The plan's document id.
    pub plan: String,
    pub unit: UnitCode,
    pub text: String,
    pub demands: Vec<Demand>,
    pub date: NaiveDate,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: String,
}

fn bounded(field: &'static str, v: &str, max: usize) -> Result<(), NodeError> {
    let n = v.chars().count();
    if v.trim().is_empty() {
        Err(NodeError::empty(field))
    } else if n > max {
        Err(NodeError::invalid(
            field,
            Said::new(
                format!("共{n}个字符，不能超过{max}个字符"),
                format!("has {n} characters; the limit is {max}"),
            ),
        ))
    } else {
        Ok(())
    }
}

/// Whether `me` may plan `p`: units below it, named once; matters; dates in order.
pub fn check_plan(p: &JointPlan, me: &UnitCode, topo: &Topology) -> Result<(), NodeError> {
    bounded("title", &p.title, MAX_TITLE_CHARS)?;
    if p.units.is_empty() || p.units.len() > MAX_ITEMS {
        return Err(NodeError::invalid(
            "units",
            Said::new(
                format!("应列明1至{MAX_ITEMS}个本单位以下的单位"),
                format!("name 1 to {MAX_ITEMS} units below this one"),
            ),
        ));
    }
    for (i, u) in p.units.iter().enumerate() {
        if !topo.contains(u) {
            return Err(NodeError::invalid(
                "units",
                Said::new(
                    format!("{u}不是本系统内的单位"),
                    format!("{u} is not a unit of the federation"),
                ),
            ));
        }
        if u == me || !topo.in_subtree(me, u) {
            return Err(NodeError::Rule {
                rule: "joint.below_planner",
                message: format!(
                    "field `units`: {u} is not below {me}: a joint supervision visits the units under the planner"
                ),
            });
        }
        if p.units[..i].contains(u) {
            return Err(NodeError::invalid(
                "units",
                Said::new(format!("{u}重复列出"), format!("{u} is named twice")),
            ));
        }
    }
    if p.matters.is_empty() || p.matters.len() > MAX_ITEMS {
        return Err(NodeError::invalid(
            "matters",
            Said::new(
                format!("应列明1至{MAX_ITEMS}项督查事项"),
                format!("name 1 to {MAX_ITEMS} matters looked into"),
            ),
        ));
    }
    for m in &p.matters {
        bounded("matters", m, MAX_TITLE_CHARS * 2)?;
    }
    if p.to < p.from {
        return Err(NodeError::invalid(
            "to",
            Said::new(
                format!("结束日期{}早于开始日期{}", p.to, p.from),
                format!("{} is before {}", p.to, p.from),
            ),
        ));
    }
    Ok(())
}

/// Whether `f` fits its plan: a unit the plan names, a text, demands with text
/// on distinct cases.
pub fn check_finding(f: &JointFinding, plan: &JointPlan) -> Result<(), NodeError> {
    if !plan.units.contains(&f.unit) {
        return Err(NodeError::Rule {
            rule: "joint.unit_in_plan",
            message: format!(
                "field `unit`: {} is not among the units of the plan ({})",
                f.unit,
                plan.units
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
    }
    bounded("text", &f.text, MAX_TEXT_CHARS)?;
    if f.demands.len() > MAX_ITEMS {
        return Err(NodeError::invalid(
            "demands",
            Said::new(
                format!("不能超过{MAX_ITEMS}项"),
                format!("at most {MAX_ITEMS}"),
            ),
        ));
    }
    for (i, d) in f.demands.iter().enumerate() {
        bounded("demands", &d.demand, MAX_TEXT_CHARS)?;
        if f.demands[..i].iter().any(|o| o.case_no == d.case_no) {
            return Err(NodeError::invalid(
                "demands",
                Said::new(
                    format!("案件{}重复列出", d.case_no),
                    format!("case {} is named twice", d.case_no),
                ),
            ));
        }
    }
    Ok(())
}

fn put(
    d: &mut AutoCommit,
    id: &str,
    kind: &str,
    issuer: &UnitCode,
    json: String,
    scope: &[&UnitCode],
) -> Result<(), NodeError> {
    let am = NodeError::automerge(id);
    d.put(ROOT, "kind", kind).map_err(am)?;
    d.put(ROOT, "unit", issuer.as_str()).map_err(am)?;
    d.put(ROOT, kind, json).map_err(am)?;
    doc::extend_scope(id, d, scope.iter().copied()).map_err(|e| NodeError::Internal(e.to_string()))
}

/// Writes a plan, scoped to the planner and every unit it names.
pub fn write_plan(d: &mut AutoCommit, id: &str, p: &JointPlan) -> Result<(), NodeError> {
    let json = serde_json::to_string(p).map_err(|e| NodeError::Internal(e.to_string()))?;
    let scope: Vec<&UnitCode> = std::iter::once(&p.issuer).chain(p.units.iter()).collect();
    put(d, id, JOINT_PLAN_KIND, &p.issuer, json, &scope)
}

/// Writes a finding, scoped to the planner and its one unit.
pub fn write_finding(d: &mut AutoCommit, id: &str, f: &JointFinding) -> Result<(), NodeError> {
    let json = serde_json::to_string(f).map_err(|e| NodeError::Internal(e.to_string()))?;
    put(
        d,
        id,
        JOINT_FINDING_KIND,
        &f.issuer,
        json,
        &[&f.issuer, &f.unit],
    )
}

pub fn read_plan(d: &AutoCommit) -> Option<JointPlan> {
    (doc::read_str(d, "kind").as_deref() == Some(JOINT_PLAN_KIND))
        .then(|| serde_json::from_str(&doc::read_str(d, JOINT_PLAN_KIND)?).ok())
        .flatten()
}

pub fn read_finding(d: &AutoCommit) -> Option<JointFinding> {
    (doc::read_str(d, "kind").as_deref() == Some(JOINT_FINDING_KIND))
        .then(|| serde_json::from_str(&doc::read_str(d, JOINT_FINDING_KIND)?).ok())
        .flatten()
}

/// A peer's plan or finding: readable, naming the issuer its id names (`remote`).
pub fn check_from_peer(d: &AutoCommit, issuer: &UnitCode) -> Result<(), String> {
    let named = match doc::read_str(d, "kind").as_deref() {
        Some(JOINT_PLAN_KIND) => read_plan(d).map(|p| p.issuer),
        Some(JOINT_FINDING_KIND) => read_finding(d)
            .filter(|f| f.text.chars().count() <= MAX_TEXT_CHARS)
            .map(|f| f.issuer),
        _ => None,
    }
    .ok_or("the document does not read as a joint supervision plan or finding")?;
    if &named != issuer {
        return Err(format!(
            "the document names issuer {named}, but the id names {issuer}"
        ));
    }
    Ok(())
}
