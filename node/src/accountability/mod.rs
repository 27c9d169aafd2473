//! Accountability on record (追责, seed 003 art. 14–16): a superior records that
//! named people of a unit below it are held to account, under one of the
//! situations of its rule set, on evidence it holds (cases, attendance records,
//! filings), in one of the forms of art. 15. The record is a document of its own,
//! written once by the superior and scoped to it and the unit concerned, so it
//! travels down to that unit and up to the superiors, never to a sibling.
//!
//! This module: the record's vocabulary, its evidence links, its document layout
//! and its pure checks; [`situations`]: the rule set; [`suggest`]: suggestions
//! from evidence (pure); [`service`]: recording, listing, counting, suggesting.

pub mod joint;
pub mod joint_service;
pub mod service;
pub mod situations;
pub mod suggest;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use xinfang_hub::{Topology, UnitCode, doc};

use crate::docid::{ACCOUNTABILITY_KIND, CaseNo};
use crate::error::NodeError;
use crate::labels::Said;
use crate::schedule::model::Month;
use situations::AccountabilityRules;

const MAX_TEXT_CHARS: usize = 5_000;
const MAX_NAME_CHARS: usize = 50;
const MAX_PEOPLE: usize = 50;
const MAX_EVIDENCE: usize = 200;

/// Who is held to account: a leader on the unit's roster, or a staff member by
/// their user identity at the unit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "as", content = "name", rename_all = "snake_case")]
pub enum Person {
    Leader(String),
    Staff(String),
}

impl Person {
    /// `leader:NAME` or `staff:USER`.
    pub fn parse(s: &str) -> Result<Person, NodeError> {
        let (kind, name) = s.trim().split_once(':').ok_or_else(|| {
            NodeError::invalid(
                "people",
                Said::new(
                    format!("“{s}”：应写成leader:姓名（领导名册）或staff:用户名（工作人员身份）"),
                    format!("{s:?}: write leader:NAME (roster) or staff:USER (staff identity)"),
                ),
            )
        })?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
            return Err(NodeError::invalid(
                "people",
                Said::new(
                    format!("“{s}”：姓名应为1至{MAX_NAME_CHARS}个字符"),
                    format!("{s:?}: a name of 1 to {MAX_NAME_CHARS} characters"),
                ),
            ));
        }
        match kind.trim() {
            "leader" => Ok(Person::Leader(name.to_owned())),
            "staff" => Ok(Person::Staff(name.to_owned())),
            k => Err(NodeError::invalid(
                "people",
                Said::new(
                    format!("“{k}”既不是leader（领导）也不是staff（工作人员）"),
                    format!("{k:?} is neither leader nor staff"),
                ),
            )),
        }
    }

    pub fn link(&self) -> String {
        match self {
            Person::Leader(n) => format!("leader:{n}"),
            Person::Staff(n) => format!("staff:{n}"),
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Person::Leader(n) | Person::Staff(n) => n,
        }
    }
}

/// Evidence as a person writes it, before the node looked it up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EvidenceLink {
    /// `case:NO`
    Case(CaseNo),
    /// `attendance:UNIT/YYYY-MM/RECORD` — an attendance record by its id.
    Attendance {
        unit: UnitCode,
        month: Month,
        record: String,
    },
    /// `attendance:UNIT/YYYY-MM-DD/LEADER` — the day's verdict for a leader.
    AttendanceDay {
        unit: UnitCode,
        date: NaiveDate,
        leader: String,
    },
    /// `filing:UNIT/YYYY-MM` — a unit's schedule for a month (filed late or not).
    Filing { unit: UnitCode, month: Month },
}

impl EvidenceLink {
    pub fn parse(s: &str) -> Result<EvidenceLink, NodeError> {
        let s = s.trim();
        let bad = |zh: &str, en: &str| {
            NodeError::invalid(
                "evidence",
                Said::new(
                    format!(
                        "“{s}”：{zh}；应写成case:案件编号、attendance:单位/YYYY-MM/记录、\
                         attendance:单位/YYYY-MM-DD/领导或filing:单位/YYYY-MM"
                    ),
                    format!(
                        "{s:?}: {en}; write case:NO, attendance:UNIT/YYYY-MM/RECORD, \
                         attendance:UNIT/YYYY-MM-DD/LEADER or filing:UNIT/YYYY-MM"
                    ),
                ),
            )
        };
        let unit = |u: &str| {
            u.parse::<UnitCode>()
                .map_err(|_| bad("单位代码不正确", "no unit code"))
        };
        match s.split_once(':') {
            Some(("case", no)) => CaseNo::parse(no.trim())
                .map(EvidenceLink::Case)
                .ok_or_else(|| bad("不是案件编号", "not a case number")),
            Some(("attendance", rest)) => {
                let parts: Vec<&str> = rest.splitn(3, '/').collect();
                let [u, when, what] = parts[..] else {
                    return Err(bad(
                        "attendance:后应有三段",
                        "three parts after attendance:",
                    ));
                };
                let unit = unit(u)?;
                if what.trim().is_empty() {
                    return Err(bad("缺少记录或领导", "no record or leader"));
                }
                if let Ok(date) = NaiveDate::parse_from_str(when, "%Y-%m-%d") {
                    Ok(EvidenceLink::AttendanceDay {
                        unit,
                        date,
                        leader: what.trim().to_owned(),
                    })
                } else {
                    let month = when
                        .parse::<Month>()
                        .map_err(|_| bad("月份或日期不正确", "no month or day"))?;
                    Ok(EvidenceLink::Attendance {
                        unit,
                        month,
                        record: what.trim().to_owned(),
                    })
                }
            }
            Some(("filing", rest)) => {
                let (u, m) = rest
                    .split_once('/')
                    .ok_or_else(|| bad("应为单位/YYYY-MM", "UNIT/YYYY-MM"))?;
                Ok(EvidenceLink::Filing {
                    unit: unit(u)?,
                    month: m.parse().map_err(|_| bad("月份不正确", "no month"))?,
                })
            }
            _ => Err(bad("证据类别不明", "an unknown kind of evidence")),
        }
    }
}

/// Evidence as the node found it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Evidence {
    Case {
        case_no: String,
        /// The units the case concerns (its scope when cited): one of them must
        /// be the unit held to account or below it.
        #[serde(default)]
        concerns: Vec<UnitCode>,
    },
    Attendance {
        unit: UnitCode,
        month: Month,
        record: String,
        date: NaiveDate,
        leader: String,
        held: bool,
    },
    Filing {
        unit: UnitCode,
        month: Month,
    },
}

impl Evidence {
    /// The link a person can write to name it again.
    pub fn link(&self) -> String {
        match self {
            Evidence::Case { case_no, .. } => format!("case:{case_no}"),
            Evidence::Attendance {
                unit,
                month,
                record,
                ..
            } => format!("attendance:{unit}/{month}/{record}"),
            Evidence::Filing { unit, month } => format!("filing:{unit}/{month}"),
        }
    }

    /// How people read it.
    pub fn describe(&self) -> String {
        match self {
            Evidence::Case { case_no, .. } => format!("信访事项 {case_no}"),
            Evidence::Attendance {
                date, leader, held, ..
            } => format!("{date} {leader} {}", if *held { "接访" } else { "缺岗" }),
            Evidence::Filing { unit, month } => format!("{unit} {month} 接访安排表报备"),
        }
    }
}

/// An accountability case as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountabilityCase {
    pub issuer: UnitCode,
    /// The unit concerned, below the issuer.
    pub unit: UnitCode,
    pub people: Vec<Person>,
    /// A situation code of the rule set (art. 14).
    pub situation: String,
    /// A form code of the rule set (art. 15).
    pub form: String,
    pub evidence: Vec<Evidence>,
    /// The facts and the decision, in words.
    pub text: String,
    /// The suggestion it was confirmed from, if any.
    #[serde(default)]
    pub suggestion: Option<String>,
    pub date: NaiveDate,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: String,
}

/// Whether `c` may be recorded by `me`: the unit below `me`, people named, a
/// known situation and form, evidence. Errors name the field and the rule.
pub fn check(
    c: &AccountabilityCase,
    me: &UnitCode,
    topo: &Topology,
    rules: &AccountabilityRules,
) -> Result<(), NodeError> {
    if !topo.contains(&c.unit) {
        return Err(NodeError::invalid(
            "unit",
            Said::new(
                format!("{}不是本系统内的单位", c.unit),
                format!("{} is not a unit of the federation", c.unit),
            ),
        ));
    }
    if &c.unit == me || !topo.in_subtree(me, &c.unit) {
        return Err(NodeError::Rule {
            rule: "accountability.below_issuer",
            message: format!(
                "field `unit`: {} is not below {me}: a superior holds the units under it to account",
                c.unit
            ),
        });
    }
    if rules.situation(&c.situation).is_none() {
        return Err(NodeError::Rule {
            rule: "accountability.known_situation",
            message: format!(
                "field `situation`: {:?} is none of {} ({})",
                c.situation,
                rules
                    .situations
                    .iter()
                    .map(|s| s.code.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                rules.source
            ),
        });
    }
    if rules.form(&c.form).is_none() {
        return Err(NodeError::Rule {
            rule: "accountability.known_form",
            message: format!(
                "field `form`: {:?} is none of {}",
                c.form,
                rules
                    .forms
                    .iter()
                    .map(|f| format!("{} ({})", f.code, f.zh))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
    }
    if c.people.is_empty() || c.people.len() > MAX_PEOPLE {
        return Err(NodeError::invalid(
            "people",
            Said::new(
                format!("应列明1至{MAX_PEOPLE}名被追责人员"),
                format!("name 1 to {MAX_PEOPLE} people held to account"),
            ),
        ));
    }
    if c.evidence.is_empty() {
        return Err(NodeError::Rule {
            rule: "accountability.evidence_required",
            message: "field `evidence`: an accountability case rests on evidence the node \
                      holds (a case, an attendance record, a filing)"
                .into(),
        });
    }
    if c.evidence.len() > MAX_EVIDENCE {
        return Err(NodeError::invalid(
            "evidence",
            Said::new(
                format!("不能超过{MAX_EVIDENCE}项"),
                format!("at most {MAX_EVIDENCE}"),
            ),
        ));
    }
    let n = c.text.chars().count();
    if c.text.trim().is_empty() || n > MAX_TEXT_CHARS {
        return Err(NodeError::invalid(
            "text",
            Said::new(
                format!("应写明事实和处理决定，1至{MAX_TEXT_CHARS}个字符"),
                format!("the facts and decision, 1 to {MAX_TEXT_CHARS} characters"),
            ),
        ));
    }
    Ok(())
}

/// Writes a new record's document, scoped to its issuer and the unit concerned.
pub fn write(d: &mut AutoCommit, id: &str, c: &AccountabilityCase) -> Result<(), NodeError> {
    let am = NodeError::automerge(id);
    d.put(ROOT, "kind", ACCOUNTABILITY_KIND).map_err(am)?;
    d.put(ROOT, "unit", c.issuer.as_str()).map_err(am)?;
    let json = serde_json::to_string(c).map_err(|e| NodeError::Internal(e.to_string()))?;
    d.put(ROOT, "accountability", json).map_err(am)?;
    doc::extend_scope(id, d, [&c.issuer, &c.unit]).map_err(|e| NodeError::Internal(e.to_string()))
}

/// The record a document holds, if it is one and reads.
pub fn read(d: &AutoCommit) -> Option<AccountabilityCase> {
    if doc::read_str(d, "kind").as_deref() != Some(ACCOUNTABILITY_KIND) {
        return None;
    }
    serde_json::from_str(&doc::read_str(d, "accountability")?).ok()
}

/// A peer's record: readable, naming the issuer its id names (`remote`).
pub fn check_from_peer(d: &AutoCommit, issuer: &UnitCode) -> Result<(), String> {
    let c = read(d).ok_or("field `accountability` does not read as an accountability case")?;
    if &c.issuer != issuer {
        return Err(format!(
            "the record names issuer {}, but the id names {issuer}",
            c.issuer
        ));
    }
    if c.text.chars().count() > MAX_TEXT_CHARS || c.evidence.len() > MAX_EVIDENCE {
        return Err("the record's text or evidence is over its limit".to_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_links_parse_and_name_what_is_wrong() {
        let town: UnitCode = "441521115000".parse().unwrap();
        assert_eq!(
            EvidenceLink::parse("attendance:441521115000/2026-05-11/陈副书记").unwrap(),
            EvidenceLink::AttendanceDay {
                unit: town.clone(),
                date: NaiveDate::from_ymd_opt(2026, 5, 11).unwrap(),
                leader: "陈副书记".into()
            }
        );
        assert!(matches!(
            EvidenceLink::parse("attendance:441521115000/2026-05/r1").unwrap(),
            EvidenceLink::Attendance { record, .. } if record == "r1"
        ));
        assert!(matches!(
            EvidenceLink::parse("filing:441521115000/2026-05").unwrap(),
            EvidenceLink::Filing { .. }
        ));
        for bad in [
            "rumour:x",
            "case:nope",
            "attendance:441521115000/2026-05",
            "filing:x/2026-05",
        ] {
            let e = EvidenceLink::parse(bad).unwrap_err().to_string();
            assert!(e.contains("evidence"), "{bad}: {e}");
        }
    }

    #[test]
    fn people_are_leaders_or_staff() {
        assert_eq!(
            Person::parse("leader:陈副书记").unwrap(),
            Person::Leader("陈副书记".into())
        );
        assert!(Person::parse("陈副书记").is_err());
        assert!(Person::parse("boss:x").is_err());
    }
}
