//! Responsibility letters (责任书): each year a superior sets a unit below it the
//! targets it must meet and the measures for failing them (seed 003 art. 5), and
//! the lower unit's principal leader acknowledges it. At the year's end the
//! superior scores every unit with a letter against exactly its targets ([`score`]).
//!
//! Two documents, because a non-case document is written only by the unit its id
//! names (`authorship`): the letter, `letter/<issuer>/<unit>/<year>`, written by
//! the issuer and scoped to issuer and unit (so it travels down to the unit and up
//! to the issuer's superiors); the acknowledgement, `letter-ack/<unit>/<issuer>/<year>`,
//! written by the unit and scoped to both (so it travels up to the issuer).
//!
//! This module: the vocabulary, the documents' layout and the pure checks;
//! [`service`]: drafting, acknowledging, listing, progress and the assessment.

pub mod assessment;
pub mod assessment_pdf;
pub mod score;
pub mod service;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use xinfang_hub::{Topology, UnitCode, doc};

use crate::docid::{LETTER_ACK_KIND, LETTER_KIND};
use crate::error::NodeError;
use crate::labels::{Label, Lang, Said};
use crate::report::rates;

const MAX_MEASURES_CHARS: usize = 5_000;
const MAX_TARGETS: usize = 30;
/// The largest ceiling a count target takes (a typo guard, not a rule of seed 003).
const MAX_CEILING: u32 = 1_000_000;

/// What a count target counts, in the letter's year, charged to the unit's subtree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CountKind {
    /// 越级访: petitions registered above a unit while its own case on the matter
    /// was still open (`skip_level_of`), charged to the unit that registered the
    /// case skipped over.
    SkipLevel,
    /// 重复访: petitions repeating an earlier one (`repeat_of`), charged to the
    /// registering unit.
    Repeat,
    /// 集体访: petitions of five or more people (`case::is_group_visit`), charged
    /// to the registering unit.
    Group,
    /// Months whose reception schedule the unit filed late or not at all (the
    /// superior's filing board): a ceiling of 0 is "every month filed on time".
    LateFilings,
    /// Rule violations (the reception quotas among them) on the unit's filed
    /// schedules, as the superior's filing board judges them: a ceiling of 0 is
    /// "the quotas met".
    QuotaViolations,
}

impl CountKind {
    pub const ALL: [CountKind; 5] = [
        CountKind::SkipLevel,
        CountKind::Repeat,
        CountKind::Group,
        CountKind::LateFilings,
        CountKind::QuotaViolations,
    ];

    pub fn code(self) -> &'static str {
        match self {
            CountKind::SkipLevel => "skip_level",
            CountKind::Repeat => "repeat_count",
            CountKind::Group => "group",
            CountKind::LateFilings => "late_filings",
            CountKind::QuotaViolations => "quota_violations",
        }
    }

    pub fn label(self) -> Label {
        match self {
            CountKind::SkipLevel => Label::new("越级访", "skip-level petitions"),
            CountKind::Repeat => Label::new("重复访", "repeat petitions"),
            CountKind::Group => Label::new("集体访", "group petitions"),
            CountKind::LateFilings => {
                Label::new("接访安排逾期未备案月数", "months filed late or missing")
            }
            CountKind::QuotaViolations => Label::new("接访安排违规数", "schedule rule violations"),
        }
    }

    pub fn from_code(s: &str) -> Option<CountKind> {
        CountKind::ALL.into_iter().find(|k| k.code() == s)
    }
}

/// One target of a letter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Target {
    /// A rate of `report::rates::RATES` by its code, against a threshold in
    /// percent: at least the threshold, or at most it for a rate where lower is
    /// better ([`lower_is_better`]).
    Rate { code: String, threshold: f64 },
    /// A count with a ceiling: at most `ceiling` in the year.
    Count { what: CountKind, ceiling: u32 },
}

/// The rates where less is better: the threshold of a target on one is a ceiling
/// (重复信访率 ≤ 5 %). Every other rate's threshold is a floor.
pub fn lower_is_better(code: &str) -> bool {
    code == "repeat"
}

impl Target {
    /// A stable key within a letter: the rate's or the count's code.
    pub fn code(&self) -> &str {
        match self {
            Target::Rate { code, .. } => code,
            Target::Count { what, .. } => what.code(),
        }
    }

    /// What is measured, as people read it: 及时受理率, 越级访.
    pub fn name(&self, lang: Lang) -> String {
        match self {
            Target::Rate { code, .. } => rates::rate_kind(code)
                .map(|k| match lang {
                    Lang::Zh => k.name_zh.to_owned(),
                    Lang::En => k.code.replace('_', " "),
                })
                .unwrap_or_else(|| code.clone()),
            Target::Count { what, .. } => what.label().get(lang).to_owned(),
        }
    }

    /// The target as written in the letter: "≥ 95.0%", "≤ 3".
    pub fn bound_text(&self) -> String {
        match self {
            Target::Rate { code, threshold } => {
                let op = if lower_is_better(code) { "≤" } else { "≥" };
                format!("{op} {threshold:.1}%")
            }
            Target::Count { ceiling, .. } => format!("≤ {ceiling}"),
        }
    }
}

/// A responsibility letter as drafted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Letter {
    pub issuer: UnitCode,
    pub unit: UnitCode,
    pub year: i32,
    pub targets: Vec<Target>,
    /// The measures for failing the targets (责任追究), as written.
    pub measures: String,
    pub drafted_at: DateTime<Utc>,
    pub drafted_by: String,
}

/// The lower unit's acknowledgement of a letter, by its principal leader.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acknowledgement {
    pub unit: UnitCode,
    pub issuer: UnitCode,
    pub year: i32,
    /// The letter's `drafted_at` as acknowledged: a redrafted letter wants a new one.
    pub letter_drafted_at: DateTime<Utc>,
    pub acknowledged_at: DateTime<Utc>,
    pub acknowledged_by: String,
}

/// Whether `l` may be drafted by `me`: a unit strictly below `me`, a plausible
/// year, known targets with bounds in range, each once, and measures. Errors
/// name the field and the rule.
pub fn check(l: &Letter, me: &UnitCode, topo: &Topology) -> Result<(), NodeError> {
    if !topo.contains(&l.unit) {
        return Err(NodeError::invalid(
            "unit",
            Said::new(
                format!("{}不是本系统内的单位", l.unit),
                format!("{} is not a unit of the federation", l.unit),
            ),
        ));
    }
    if &l.unit == me || !topo.in_subtree(me, &l.unit) {
        return Err(NodeError::Rule {
            rule: "letter.below_issuer",
            message: format!(
                "field `unit`: {} is not below {me}: a unit sets responsibility letters for the units under it",
                l.unit
            ),
        });
    }
    if !(2000..=2100).contains(&l.year) {
        return Err(NodeError::invalid(
            "year",
            Said::new(
                format!("{}不是2000至2100之间的年份", l.year),
                format!("{} is not a year between 2000 and 2100", l.year),
            ),
        ));
    }
    if l.targets.is_empty() {
        return Err(NodeError::invalid(
            "targets",
            Said::new("至少应设定一项目标", "set at least one target"),
        ));
    }
    if l.targets.len() > MAX_TARGETS {
        return Err(NodeError::invalid(
            "targets",
            Said::new(
                format!("不能超过{MAX_TARGETS}项"),
                format!("at most {MAX_TARGETS}"),
            ),
        ));
    }
    for (i, t) in l.targets.iter().enumerate() {
        match t {
            Target::Rate { code, threshold } => {
                if rates::rate_kind(code).is_none() {
                    let known: Vec<&str> = rates::RATES.iter().map(|k| k.code).collect();
                    return Err(NodeError::Rule {
                        rule: "letter.known_rate",
                        message: format!(
                            "field `targets.rate`: {code:?} is not a rate of docs/reports.md ({})",
                            known.join(", ")
                        ),
                    });
                }
                if !threshold.is_finite() || !(0.0..=100.0).contains(threshold) {
                    return Err(NodeError::Rule {
                        rule: "letter.threshold_percent",
                        message: format!(
                            "field `targets.threshold`: {threshold} for {code} is outside 0–100 %"
                        ),
                    });
                }
            }
            Target::Count { ceiling, .. } => {
                if *ceiling > MAX_CEILING {
                    return Err(NodeError::invalid(
                        "targets.ceiling",
                        Said::new(
                            format!("{ceiling}超过上限{MAX_CEILING}"),
                            format!("{ceiling} is over {MAX_CEILING}"),
                        ),
                    ));
                }
            }
        }
        if l.targets[..i].iter().any(|p| p.code() == t.code()) {
            return Err(NodeError::invalid(
                "targets",
                Said::new(
                    format!("目标{}重复设定", t.code()),
                    format!("{} is set twice", t.code()),
                ),
            ));
        }
    }
    let n = l.measures.chars().count();
    if l.measures.trim().is_empty() {
        return Err(NodeError::invalid(
            "measures",
            Said::new(
                "不能为空，应写明未完成目标时采取的措施",
                "must not be empty: say what follows a missed target",
            ),
        ));
    }
    if n > MAX_MEASURES_CHARS {
        return Err(NodeError::invalid(
            "measures",
            Said::new(
                format!("共{n}个字符，不能超过{MAX_MEASURES_CHARS}个字符"),
                format!("has {n} characters; the limit is {MAX_MEASURES_CHARS}"),
            ),
        ));
    }
    Ok(())
}

/// Writes (or rewrites) a letter's document, scoped to issuer and unit.
pub fn write(d: &mut AutoCommit, id: &str, l: &Letter) -> Result<(), NodeError> {
    d.put(ROOT, "kind", LETTER_KIND)
        .map_err(NodeError::automerge(id))?;
    d.put(ROOT, "unit", l.issuer.as_str())
        .map_err(NodeError::automerge(id))?;
    let json = serde_json::to_string(l).map_err(|e| NodeError::Internal(e.to_string()))?;
    d.put(ROOT, "letter", json)
        .map_err(NodeError::automerge(id))?;
    doc::extend_scope(id, d, [&l.issuer, &l.unit]).map_err(|e| NodeError::Internal(e.to_string()))
}

/// The letter a document holds, if it is one and reads.
pub fn read(d: &AutoCommit) -> Option<Letter> {
    if doc::read_str(d, "kind").as_deref() != Some(LETTER_KIND) {
        return None;
    }
    serde_json::from_str(&doc::read_str(d, "letter")?).ok()
}

/// Writes an acknowledgement's document, scoped to unit and issuer.
pub fn write_ack(d: &mut AutoCommit, id: &str, a: &Acknowledgement) -> Result<(), NodeError> {
    d.put(ROOT, "kind", LETTER_ACK_KIND)
        .map_err(NodeError::automerge(id))?;
    d.put(ROOT, "unit", a.unit.as_str())
        .map_err(NodeError::automerge(id))?;
    let json = serde_json::to_string(a).map_err(|e| NodeError::Internal(e.to_string()))?;
    d.put(ROOT, "ack", json).map_err(NodeError::automerge(id))?;
    doc::extend_scope(id, d, [&a.unit, &a.issuer]).map_err(|e| NodeError::Internal(e.to_string()))
}

/// The acknowledgement a document holds, if it is one and reads.
pub fn read_ack(d: &AutoCommit) -> Option<Acknowledgement> {
    if doc::read_str(d, "kind").as_deref() != Some(LETTER_ACK_KIND) {
        return None;
    }
    serde_json::from_str(&doc::read_str(d, "ack")?).ok()
}

/// A peer's letter: readable, naming the issuer its id names, within limits
/// (`remote`'s check of a letter document).
pub fn check_from_peer(d: &AutoCommit, issuer: &UnitCode) -> Result<(), String> {
    let l = read(d).ok_or("field `letter` does not read as a responsibility letter")?;
    if &l.issuer != issuer {
        return Err(format!(
            "the letter names issuer {}, but the id names {issuer}",
            l.issuer
        ));
    }
    if l.measures.chars().count() > MAX_MEASURES_CHARS || l.targets.len() > MAX_TARGETS {
        return Err("the letter's measures or targets are over their limits".to_owned());
    }
    Ok(())
}

/// A peer's acknowledgement: readable and written for the unit its id names.
pub fn check_ack_from_peer(d: &AutoCommit, unit: &UnitCode) -> Result<(), String> {
    let a = read_ack(d).ok_or("field `ack` does not read as a letter's acknowledgement")?;
    if &a.unit != unit {
        return Err(format!(
            "the acknowledgement names unit {}, but the id names {unit}",
            a.unit
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::tests::topo;

    fn u(s: &str) -> UnitCode {
        s.parse().unwrap()
    }

    fn letter(unit: &str, targets: Vec<Target>) -> Letter {
        Letter {
            issuer: u("441500"),
            unit: u(unit),
            year: 2026,
            targets,
            measures: "未完成的，通报批评".into(),
            drafted_at: Utc::now(),
            drafted_by: "t".into(),
        }
    }

    fn rate(code: &str, threshold: f64) -> Target {
        Target::Rate {
            code: code.into(),
            threshold,
        }
    }

    fn refused_rule(l: &Letter) -> String {
        check(l, &u("441500"), &topo()).unwrap_err().to_string()
    }

    #[test]
    fn bad_letters_name_the_field_and_the_rule() {
        let e = refused_rule(&letter("441521", vec![rate("speed", 90.0)]));
        assert!(
            e.contains("letter.known_rate") && e.contains("targets.rate"),
            "{e}"
        );
        for t in [100.5, -1.0, f64::NAN] {
            let e = refused_rule(&letter("441521", vec![rate("timely_acceptance", t)]));
            assert!(e.contains("letter.threshold_percent"), "{e}");
        }
        let e = refused_rule(&letter("441500", vec![rate("timely_acceptance", 95.0)]));
        assert!(
            e.contains("letter.below_issuer") && e.contains("unit"),
            "{e}"
        );
        let e = refused_rule(&letter(
            "441521",
            vec![
                rate("timely_acceptance", 95.0),
                rate("timely_acceptance", 90.0),
            ],
        ));
        assert!(e.contains("twice"), "{e}");
        let ok = letter(
            "441521115000",
            vec![
                rate("timely_acceptance", 95.0),
                rate("repeat", 5.0),
                Target::Count {
                    what: CountKind::SkipLevel,
                    ceiling: 3,
                },
            ],
        );
        check(&ok, &u("441500"), &topo()).unwrap();
        assert_eq!(ok.targets[1].bound_text(), "≤ 5.0%");
        assert_eq!(ok.targets[0].bound_text(), "≥ 95.0%");
    }
}
