//! Circulated notices (通报): a superior praises or criticises units below it in a
//! notice it circulates (seed 001 四(二): 对不能坚持定期接待群众来访的，要通报批评;
//! seed 003 art. 13: 表扬 … 批评; seed 004: 对其进行通报). A notice is a document of
//! its own, written once by the issuing unit and scoped to it and to every unit it
//! names, so it travels up to the issuer's superiors and down to each unit named,
//! never to a sibling it does not name. Reports count them by unit.
//!
//! This module: the notice's vocabulary, its document layout and its pure checks;
//! [`service`]: issuing, listing and counting.

pub mod service;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use xinfang_hub::{Topology, UnitCode, doc};

use crate::docid::BULLETIN_KIND;
use crate::error::NodeError;
use crate::labels::{Label, Said};

/// The longest text a notice carries (characters), as peers check it too.
pub const MAX_TEXT_CHARS: usize = 5_000;
const MAX_TITLE_CHARS: usize = 100;
const MAX_GROUNDS: usize = 50;

/// 通报表扬 or 通报批评.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BulletinKind {
    Praise,
    Criticism,
}

impl BulletinKind {
    pub const ALL: [BulletinKind; 2] = [BulletinKind::Praise, BulletinKind::Criticism];

    pub fn code(self) -> &'static str {
        match self {
            BulletinKind::Praise => "praise",
            BulletinKind::Criticism => "criticism",
        }
    }

    pub fn label(self) -> Label {
        match self {
            BulletinKind::Praise => Label::new("通报表扬", "praise"),
            BulletinKind::Criticism => Label::new("通报批评", "criticism"),
        }
    }

    pub fn from_code(s: &str) -> Option<BulletinKind> {
        BulletinKind::ALL.into_iter().find(|k| k.code() == s.trim())
    }
}

/// A circulated notice as issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bulletin {
    pub kind: BulletinKind,
    pub issuer: UnitCode,
    /// The units praised or criticised: each below the issuer.
    pub units: Vec<UnitCode>,
    pub title: String,
    pub text: String,
    /// What it rests on, as people cite it: a case number, a reception day and
    /// leader (2026-05-11 陈副书记 缺岗), a filing.
    #[serde(default)]
    pub grounds: Vec<String>,
    /// The day it is dated (成文日期).
    pub date: NaiveDate,
    pub issued_at: DateTime<Utc>,
    pub issued_by: String,
}

/// Whether `b` may be issued by `me`: a kind of its own, units below `me` and
/// known to the topology, a title and a text within their limits. Errors name
/// the field.
pub fn check(b: &Bulletin, me: &UnitCode, topo: &Topology) -> Result<(), NodeError> {
    if b.units.is_empty() {
        return Err(NodeError::invalid(
            "units",
            Said::new(
                "应列明至少一个本单位以下的单位",
                "name at least one unit below this one",
            ),
        ));
    }
    for (i, u) in b.units.iter().enumerate() {
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
                rule: "bulletin.below_issuer",
                message: format!(
                    "field `units`: {u} is not below {me}: a unit circulates notices about the units under it"
                ),
            });
        }
        if b.units[..i].contains(u) {
            return Err(NodeError::invalid(
                "units",
                Said::new(format!("{u}重复列出"), format!("{u} is named twice")),
            ));
        }
    }
    let bounded = |field: &'static str, v: &str, max: usize| {
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
    };
    bounded("title", &b.title, MAX_TITLE_CHARS)?;
    bounded("text", &b.text, MAX_TEXT_CHARS)?;
    if b.grounds.len() > MAX_GROUNDS {
        return Err(NodeError::invalid(
            "grounds",
            Said::new(
                format!("不能超过{MAX_GROUNDS}条"),
                format!("at most {MAX_GROUNDS}"),
            ),
        ));
    }
    for g in &b.grounds {
        bounded("grounds", g, MAX_TITLE_CHARS * 2)?;
    }
    Ok(())
}

/// Writes a new notice's document, scoped to its issuer and every unit it names.
pub fn write(d: &mut AutoCommit, id: &str, b: &Bulletin) -> Result<(), NodeError> {
    let am = NodeError::automerge(id);
    d.put(ROOT, "kind", BULLETIN_KIND).map_err(am)?;
    d.put(ROOT, "unit", b.issuer.as_str()).map_err(am)?;
    let json = serde_json::to_string(b).map_err(|e| NodeError::Internal(e.to_string()))?;
    d.put(ROOT, "bulletin", json).map_err(am)?;
    doc::extend_scope(id, d, std::iter::once(&b.issuer).chain(b.units.iter()))
        .map_err(|e| NodeError::Internal(e.to_string()))
}

/// The notice a document holds, if it is one and reads.
pub fn read(d: &AutoCommit) -> Option<Bulletin> {
    if doc::read_str(d, "kind").as_deref() != Some(BULLETIN_KIND) {
        return None;
    }
    serde_json::from_str(&doc::read_str(d, "bulletin")?).ok()
}

/// A peer's notice: readable, naming the issuer its id names, within limits
/// (`remote`'s check of a bulletin document).
pub fn check_from_peer(d: &AutoCommit, issuer: &UnitCode) -> Result<(), String> {
    let b = read(d).ok_or("field `bulletin` does not read as a circulated notice")?;
    if &b.issuer != issuer {
        return Err(format!(
            "the notice names issuer {}, but the id names {issuer}",
            b.issuer
        ));
    }
    if b.text.chars().count() > MAX_TEXT_CHARS || b.title.chars().count() > MAX_TITLE_CHARS {
        return Err("the notice's title or text is over its limit".to_owned());
    }
    Ok(())
}
