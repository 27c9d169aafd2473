//! The replicated schedule documents, each written only by its own unit's node and
//! scoped to that unit, so they travel up to every superior and nowhere else:
//!
//! - `roster/<unit>`: `kind` = "roster", `unit`, `leaders`: map name → Leader JSON.
//! - `schedule/<unit>/<YYYY-MM>`: created at approval (that is the filing):
//!   `kind` = "schedule", `unit`, `month`, `rules`, `entries` (approved, JSON),
//!   `review` and `approval` (Decision JSON), `records`: map id → record JSON
//!   (publication, adjustments, attendance), immutable once written.
//! - `quarterly/<unit>/<YYYYQn>`: `kind` = "quarterly", `register` (JSON).
//! - `duty/<unit>/<span>`: created at approval: `kind` = "duty", `unit`, `span`,
//!   `days` (JSON), `approval` (Decision JSON), `records` (the publication).
//! - `plan/<unit>/<YYYYQn>` and `summary/<unit>/<YYYY>`: `kind` = "plan" or
//!   "summary", `period`, `report` (JSON), replaced whole when generated again.
//!
//! Values are JSON strings inside Automerge maps keyed by unique ids: records never
//! change once written, so merging by key is all they need.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType, ROOT, ReadDoc, ScalarValueRef, Value, ValueRef};
use chrono::{DateTime, NaiveDate, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use xinfang_hub::{UnitCode, doc};

use super::duty::{DutyDay, DutySpan};
use super::model::{Entry, Leader, Month, Quarter};
use super::quota::Violation;
use crate::error::NodeError;

fn json<T: Serialize>(v: &T) -> Result<String, NodeError> {
    serde_json::to_string(v).map_err(|e| NodeError::Internal(e.to_string()))
}

fn map_at(d: &mut AutoCommit, id: &str, key: &str) -> Result<ObjId, NodeError> {
    let e = NodeError::automerge(id);
    Ok(match d.get(ROOT, key).map_err(&e)? {
        Some((Value::Object(ObjType::Map), obj)) => obj,
        _ => d.put_object(ROOT, key, ObjType::Map).map_err(&e)?,
    })
}

/// Every value of the map `key` of `root` (a map of JSON strings) that parses,
/// with its key, the map read in one pass. A value that does not parse (not
/// text, or not this shape) is left out, as a reader of the whole document would
/// have nothing to show for it.
fn read_map<T: DeserializeOwned>(
    d: &AutoCommit,
    root: &doc::Fields<'_>,
    key: &str,
) -> Vec<(String, T)> {
    let Some((ObjType::Map, map)) = root.object(key) else {
        return Vec::new();
    };
    doc::Fields::of(d, &map)
        .iter()
        .filter_map(|(k, v)| match v {
            ValueRef::Scalar(ScalarValueRef::Str(t)) => {
                serde_json::from_str::<T>(t).ok().map(|v| (k.to_owned(), v))
            }
            _ => None,
        })
        .collect()
}

/// A filed document's records (publication, adjustments, attendance), each kept
/// under its own id, in time order.
fn read_records(d: &AutoCommit, root: &doc::Fields<'_>) -> Vec<ScheduleRecord> {
    let mut records: Vec<ScheduleRecord> = read_map::<ScheduleRecord>(d, root, "records")
        .into_iter()
        .filter(|(k, r)| *k == r.id)
        .map(|(_, r)| r)
        .collect();
    records.sort_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
    records
}

/// The root text field `key` parsed as JSON.
fn json_at<T: DeserializeOwned>(root: &doc::Fields<'_>, key: &str) -> Option<T> {
    serde_json::from_str(root.str(key)?).ok()
}

/// Sets up a new document of `kind` for `unit`, scoped to it.
pub fn init(d: &mut AutoCommit, id: &str, kind: &str, unit: &UnitCode) -> Result<(), NodeError> {
    let e = NodeError::automerge(id);
    d.put(ROOT, "kind", kind).map_err(&e)?;
    d.put(ROOT, "unit", unit.as_str()).map_err(&e)?;
    doc::extend_scope(id, d, [unit]).map_err(|x| NodeError::Internal(x.to_string()))
}

/// The document's root fields, read once, if its `kind` is `kind`.
fn root_of_kind<'a>(d: &'a AutoCommit, kind: &str) -> Option<doc::Fields<'a>> {
    let root = doc::Fields::root(d);
    (root.str("kind") == Some(kind)).then_some(root)
}

// --- roster ---------------------------------------------------------------

pub fn put_leader(d: &mut AutoCommit, id: &str, leader: &Leader) -> Result<(), NodeError> {
    let map = map_at(d, id, "leaders")?;
    d.put(&map, leader.name.as_str(), json(leader)?)
        .map_err(NodeError::automerge(id))?;
    Ok(())
}

/// The roster's leaders, by name.
pub fn read_roster(d: &AutoCommit) -> Vec<Leader> {
    let mut v = read_map::<Leader>(d, &doc::Fields::root(d), "leaders");
    v.retain(|(k, l)| *k == l.name);
    let mut out: Vec<Leader> = v.into_iter().map(|(_, l)| l).collect();
    out.sort_by(|a, b| (a.role, &a.name).cmp(&(b.role, &b.name)));
    out
}

// --- filed schedule ---------------------------------------------------------

/// A review or an approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// The roster leader who decided, if known.
    pub by: Option<String>,
    /// The operator who recorded it.
    pub recorded_by: String,
    pub at: DateTime<Utc>,
    pub override_reason: Option<String>,
    pub violations: Vec<Violation>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RecordBody {
    Published,
    /// Another leader takes `date` (replacing `from`).
    Replace {
        date: NaiveDate,
        from: String,
        to: String,
        to_position: String,
        reason: String,
    },
    /// The leaders of `date` and `other` exchange days.
    Swap {
        date: NaiveDate,
        leader: String,
        other: NaiveDate,
        other_leader: String,
        reason: String,
    },
    Attendance {
        date: NaiveDate,
        leader: String,
        held: bool,
        visitors: u32,
        cases: Vec<String>,
        resolved_on_spot: u32,
        reason: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleRecord {
    pub id: String,
    pub at: DateTime<Utc>,
    pub recorded_by: String,
    #[serde(flatten)]
    pub body: RecordBody,
}

/// An approved (filed) schedule as its document holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FiledSchedule {
    pub unit: UnitCode,
    pub month: Month,
    pub rules: String,
    pub entries: Vec<Entry>,
    pub review: Option<Decision>,
    pub approval: Decision,
    /// In agreed order: time, then id.
    pub records: Vec<ScheduleRecord>,
}

pub fn write_filed(d: &mut AutoCommit, id: &str, f: &FiledSchedule) -> Result<(), NodeError> {
    init(d, id, "schedule", &f.unit)?;
    let e = NodeError::automerge(id);
    d.put(ROOT, "month", f.month.to_string()).map_err(&e)?;
    d.put(ROOT, "rules", f.rules.as_str()).map_err(&e)?;
    d.put(ROOT, "entries", json(&f.entries)?).map_err(&e)?;
    if let Some(r) = &f.review {
        d.put(ROOT, "review", json(r)?).map_err(&e)?;
    }
    d.put(ROOT, "approval", json(&f.approval)?).map_err(&e)?;
    for r in &f.records {
        add_record(d, id, r)?;
    }
    Ok(())
}

pub fn add_record(d: &mut AutoCommit, id: &str, r: &ScheduleRecord) -> Result<(), NodeError> {
    let map = map_at(d, id, "records")?;
    d.put(&map, r.id.as_str(), json(r)?)
        .map_err(NodeError::automerge(id))?;
    Ok(())
}

/// Reads a filed schedule (None if the document is not one or is unreadable).
pub fn read_filed(d: &AutoCommit) -> Option<FiledSchedule> {
    let root = root_of_kind(d, "schedule")?;
    Some(FiledSchedule {
        unit: root.str("unit")?.parse().ok()?,
        month: root.str("month")?.parse().ok()?,
        rules: root.str("rules").unwrap_or_default().to_owned(),
        entries: json_at(&root, "entries")?,
        review: json_at(&root, "review"),
        approval: json_at(&root, "approval")?,
        records: read_records(d, &root),
    })
}

// --- quarterly register -------------------------------------------------------

pub fn write_quarterly<T: Serialize>(
    d: &mut AutoCommit,
    id: &str,
    unit: &UnitCode,
    quarter: Quarter,
    register: &T,
) -> Result<(), NodeError> {
    init(d, id, "quarterly", unit)?;
    let e = NodeError::automerge(id);
    d.put(ROOT, "quarter", quarter.to_string()).map_err(&e)?;
    d.put(ROOT, "register", json(register)?).map_err(&e)?;
    Ok(())
}

pub fn read_quarterly<T: DeserializeOwned>(d: &AutoCommit) -> Option<T> {
    json_at(&root_of_kind(d, "quarterly")?, "register")
}

// --- duty roster ---------------------------------------------------------------

/// An approved (filed) duty roster as its document holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FiledDuty {
    pub unit: UnitCode,
    pub span: DutySpan,
    pub days: Vec<DutyDay>,
    pub approval: Decision,
    /// The publication, once recorded (in agreed order).
    pub records: Vec<ScheduleRecord>,
}

pub fn write_duty(d: &mut AutoCommit, id: &str, f: &FiledDuty) -> Result<(), NodeError> {
    init(d, id, "duty", &f.unit)?;
    let e = NodeError::automerge(id);
    d.put(ROOT, "span", f.span.to_string()).map_err(&e)?;
    d.put(ROOT, "days", json(&f.days)?).map_err(&e)?;
    d.put(ROOT, "approval", json(&f.approval)?).map_err(&e)?;
    for r in &f.records {
        add_record(d, id, r)?;
    }
    Ok(())
}

/// Reads a filed duty roster (None if the document is not one or is unreadable).
pub fn read_duty(d: &AutoCommit) -> Option<FiledDuty> {
    let root = root_of_kind(d, "duty")?;
    Some(FiledDuty {
        unit: root.str("unit")?.parse().ok()?,
        span: root.str("span")?.parse().ok()?,
        days: json_at(&root, "days")?,
        approval: json_at(&root, "approval")?,
        records: read_records(d, &root),
    })
}

// --- quarterly plan and yearly summary -------------------------------------------

/// Writes a plan or a summary (`kind`) whole.
pub fn write_report<T: Serialize>(
    d: &mut AutoCommit,
    id: &str,
    kind: &str,
    unit: &UnitCode,
    period: &str,
    report: &T,
) -> Result<(), NodeError> {
    init(d, id, kind, unit)?;
    let e = NodeError::automerge(id);
    d.put(ROOT, "period", period).map_err(&e)?;
    d.put(ROOT, "report", json(report)?).map_err(&e)?;
    Ok(())
}

pub fn read_report<T: DeserializeOwned>(d: &AutoCommit, kind: &str) -> Option<T> {
    json_at(&root_of_kind(d, kind)?, "report")
}
