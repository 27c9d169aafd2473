//! The holiday calendar as replicated data (节假日安排). The State Council
//! publishes next year's holidays each November; an operator at a superior
//! (the city, or any unit) publishes the year from a data file, and the node
//! writes it as a document `calendar/<issuer>/<YYYY>` scoped to the issuer's
//! whole subtree, so every node below counts the same days without a new
//! build. A node puts in force, for each year, the calendar of its nearest
//! publisher among itself and its superiors (a year published lower down
//! travels up with its scope and is ignored above); years nobody published
//! keep the shipped data, and a year with neither is counted by weekends with
//! a warning, as before.
//!
//! This module: the document's layout, its check from a peer, and which
//! published years are in force. [`service`]: publishing, listing, and the
//! keeper that applies what arrives.

pub mod service;

use automerge::{AutoCommit, ROOT, transaction::Transactable};
use xinfang_hub::{Topology, UnitCode, doc};

use crate::error::NodeError;
use crate::rules::calendar::{ParsedYear, parse_years};

pub use crate::docid::{CALENDAR_KIND, CALENDAR_PREFIX};
/// The most a published year's data file may hold: a year's notice is a few
/// hundred bytes.
pub const MAX_TEXT_BYTES: usize = 16 * 1024;

/// A published year as its document holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedYear {
    pub issuer: UnitCode,
    pub year: i32,
    /// The year's `[[year]]` table, as the operator's file had it.
    pub text: String,
    pub published_at: String,
    pub published_by: String,
}

/// The one year a published text holds, checked as the shipped data is; it
/// must be `year` when one is expected.
pub fn one_year(text: &str, year: Option<i32>) -> Result<ParsedYear, String> {
    if text.len() > MAX_TEXT_BYTES {
        return Err(format!(
            "the year's data has {} bytes; the limit is {MAX_TEXT_BYTES}",
            text.len()
        ));
    }
    let mut years = parse_years(text).map_err(|e| e.to_string())?;
    if years.len() != 1 {
        return Err(format!(
            "a published calendar holds exactly one [[year]], not {}",
            years.len()
        ));
    }
    let y = years.remove(0);
    if let Some(want) = year
        && y.year != want
    {
        return Err(format!(
            "the data is for {}, but the document is {want}'s",
            y.year
        ));
    }
    Ok(y)
}

/// Writes a published year, scoped to the issuer's whole subtree.
pub fn write(
    d: &mut AutoCommit,
    id: &str,
    p: &PublishedYear,
    topology: &Topology,
) -> Result<(), NodeError> {
    let am = NodeError::automerge(id);
    d.put(ROOT, "kind", CALENDAR_KIND).map_err(am)?;
    d.put(ROOT, "unit", p.issuer.as_str()).map_err(am)?;
    d.put(ROOT, "year", i64::from(p.year)).map_err(am)?;
    d.put(ROOT, "text", p.text.as_str()).map_err(am)?;
    d.put(ROOT, "published_at", p.published_at.as_str())
        .map_err(am)?;
    d.put(ROOT, "published_by", p.published_by.as_str())
        .map_err(am)?;
    let below = topology.subtree(&p.issuer);
    doc::extend_scope(id, d, below.iter()).map_err(|e| NodeError::Internal(e.to_string()))
}

/// The published year a document holds, if it is one and reads.
pub fn read(d: &AutoCommit, issuer: &UnitCode, year: i32) -> Option<PublishedYear> {
    if doc::read_str(d, "kind").as_deref() != Some(CALENDAR_KIND) {
        return None;
    }
    Some(PublishedYear {
        issuer: issuer.clone(),
        year,
        text: doc::read_str(d, "text")?,
        published_at: doc::read_str(d, "published_at").unwrap_or_default(),
        published_by: doc::read_str(d, "published_by").unwrap_or_default(),
    })
}

/// A peer's published year: the year its id names, with data that reads as
/// exactly that year (`remote`'s check of a calendar document).
pub fn check_from_peer(d: &AutoCommit, issuer: &UnitCode, year: i32) -> Result<(), String> {
    let p = read(d, issuer, year).ok_or("field `text` is missing: not a published calendar")?;
    one_year(&p.text, Some(year)).map(|_| ())
}

/// Which published years are in force at `me`: for each year, the one whose
/// issuer is `me` or its nearest superior; years issued by units that are
/// neither are not ours to follow. Unreadable years are left out.
pub fn in_force(
    topology: &Topology,
    me: &UnitCode,
    held: Vec<PublishedYear>,
) -> Vec<(ParsedYear, String)> {
    // Nearest first: me, then my parent, up to the root.
    let chain = topology.ancestors(me);
    let depth = |u: &UnitCode| chain.iter().position(|c| c == u);
    let mut best: std::collections::BTreeMap<i32, (usize, PublishedYear)> = Default::default();
    for p in held {
        let Some(d) = depth(&p.issuer) else {
            continue;
        };
        match best.get(&p.year) {
            Some((have, _)) if *have <= d => {}
            _ => {
                best.insert(p.year, (d, p));
            }
        }
    }
    best.into_values()
        .filter_map(|(_, p)| {
            one_year(&p.text, Some(p.year))
                .ok()
                .map(|y| (y, p.issuer.to_string()))
        })
        .collect()
}
