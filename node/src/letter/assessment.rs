//! The filed assessment (考核结果): the ranked scores of one year, as the issuer
//! filed them, in a document of its own (`assessment/<issuer>/<YYYY>`) written by
//! the issuer and scoped to it and every unit assessed, so it replicates down to
//! each of them and up to the issuer's superiors. Its printed table
//! ([`table`], XLSX through `sheets`, PDF through [`super::assessment_pdf`]) is
//! drawn from the document, at any node that holds it.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use xinfang_hub::{UnitCode, doc};

use super::score::{Measured, Score, Verdict};
use crate::docid::ASSESSMENT_KIND;
use crate::error::NodeError;
use crate::labels::Lang;
use crate::sheets::{Cell, ReportTable};

/// Most units one assessment scores (a typo guard on peers' documents).
const MAX_UNITS: usize = 5_000;

/// An assessment as filed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FiledAssessment {
    pub issuer: UnitCode,
    pub year: i32,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// (rank, score), in rank order.
    pub ranked: Vec<(usize, Score)>,
    /// The units whose letter was acknowledged when filed.
    pub acknowledged: Vec<UnitCode>,
    pub filed_at: DateTime<Utc>,
    pub filed_by: String,
}

/// The table's columns.
pub const COLUMNS: [&str; 7] = ["名次", "单位", "目标", "要求", "实际", "结果", "差距"];

/// A verdict's value as shown: "57.1% (4/7)", "2", "—".
pub fn value_text(v: &Verdict) -> String {
    match v.measured {
        Measured::Rate {
            value: Some(x),
            numerator,
            denominator,
        } => format!("{:.1}% ({numerator}/{denominator})", x * 100.0),
        Measured::Rate { value: None, .. } => "—".to_owned(),
        Measured::Count(n) => n.to_string(),
        Measured::Unknown => "—".to_owned(),
    }
}

/// A verdict as shown: 完成, 未完成, 无数据.
pub fn verdict_text(v: &Verdict, lang: Lang) -> &'static str {
    match (v.met, lang) {
        (Some(true), Lang::Zh) => "完成",
        (Some(false), Lang::Zh) => "未完成",
        (None, Lang::Zh) => "无数据",
        (Some(true), Lang::En) => "met",
        (Some(false), Lang::En) => "missed",
        (None, Lang::En) => "no cases",
    }
}

/// A margin as shown: "+1", "-37.857", "—".
pub fn margin_text(v: &Verdict) -> String {
    match v.margin {
        Some(m) => format!("{m:+}"),
        None => "—".to_owned(),
    }
}

/// The title: "汕尾市 2026年度 信访工作责任制考核结果".
pub fn title(a: &FiledAssessment, issuer_name: &str) -> String {
    format!("{issuer_name} {}年度 信访工作责任制考核结果", a.year)
}

/// The assessment as one table: a row per unit and target, in rank order, with
/// Chinese headers and unit names (`name` gives a code's name).
pub fn table(a: &FiledAssessment, name: &dyn Fn(&UnitCode) -> String) -> ReportTable {
    let mut rows = Vec::new();
    for (rank, s) in &a.ranked {
        for v in &s.verdicts {
            rows.push(vec![
                Cell::Int(*rank as i64),
                Cell::text(name(&s.unit)),
                Cell::text(v.target.name(Lang::Zh)),
                Cell::text(v.target.bound_text()),
                Cell::text(value_text(v)),
                Cell::text(verdict_text(v, Lang::Zh)),
                Cell::text(margin_text(v)),
            ]);
        }
    }
    ReportTable {
        title: title(a, &name(&a.issuer)),
        headers: COLUMNS.iter().map(|c| (*c).to_owned()).collect(),
        rows,
        totals: None,
        notes: vec![
            format!("考核期间：{}至{}。", a.from, a.to),
            format!("排序：{}。", super::score::RANKING.zh),
            "差距：比率为实际减要求（百分点；重复信访率为要求减实际），件数为上限减实际。"
                .to_owned(),
        ],
    }
}

/// Writes (or rewrites) the filed assessment, scoped to the issuer and every unit
/// assessed.
pub fn write(d: &mut AutoCommit, id: &str, a: &FiledAssessment) -> Result<(), NodeError> {
    let am = NodeError::automerge(id);
    d.put(ROOT, "kind", ASSESSMENT_KIND).map_err(am)?;
    d.put(ROOT, "unit", a.issuer.as_str()).map_err(am)?;
    let json = serde_json::to_string(a).map_err(|e| NodeError::Internal(e.to_string()))?;
    d.put(ROOT, "assessment", json).map_err(am)?;
    doc::extend_scope(
        id,
        d,
        std::iter::once(&a.issuer).chain(a.ranked.iter().map(|(_, s)| &s.unit)),
    )
    .map_err(|e| NodeError::Internal(e.to_string()))
}

/// The filed assessment a document holds, if it is one and reads.
pub fn read(d: &AutoCommit) -> Option<FiledAssessment> {
    if doc::read_str(d, "kind").as_deref() != Some(ASSESSMENT_KIND) {
        return None;
    }
    serde_json::from_str(&doc::read_str(d, "assessment")?).ok()
}

/// A peer's filed assessment: readable, by the issuer its id names, within limits.
pub fn check_from_peer(d: &AutoCommit, issuer: &UnitCode) -> Result<(), String> {
    let a = read(d).ok_or("field `assessment` does not read as a filed assessment")?;
    if &a.issuer != issuer {
        return Err(format!(
            "the assessment names issuer {}, but the id names {issuer}",
            a.issuer
        ));
    }
    if a.ranked.len() > MAX_UNITS {
        return Err(format!("the assessment scores over {MAX_UNITS} units"));
    }
    Ok(())
}
