//! The petition case document (信访事项, 一事一档): one Automerge document per case.
//!
//! Layout (root map): `_id`, `_scope` (hub conventions), `kind` = "case", `case_no`,
//! `unit` (registering unit), `petitioner`, `content`, `registered_at` (RFC 3339),
//! `notes`: a map from note id to `{unit, text, at}`. Records are keyed by unique ids
//! so concurrent additions at different tiers never collide.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ROOT, ReadDoc, ScalarValueRef, Value, ValueRef};
use xinfang_hub::UnitCode;
use xinfang_hub::doc::{self, Fields, Seed};

use super::record::{Body, Record};
use super::registration::{Details, MAX_NOTE_CHARS, Registration, required};
use super::state::{self, Header};
use crate::error::NodeError;

/// The document's `kind`.
pub const KIND: &str = crate::docid::CASE_KIND;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Note {
    pub id: String,
    pub unit: String,
    pub text: String,
    pub at: String,
    /// The user who wrote it (empty before accounts).
    pub by: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CaseView {
    pub case_no: String,
    /// The document's id: the case number and the registration's nonce.
    pub doc_id: String,
    pub unit: String,
    pub petitioner: String,
    pub content: String,
    pub registered_at: String,
    pub notes: Vec<Note>,
    pub scope: Vec<String>,
    pub heads: Vec<String>,
    pub details: Details,
    /// The user who registered it (empty before accounts).
    pub registered_by: String,
}

/// The case number of `seq` in `year` at `unit` (`docid`).
pub fn case_number(unit: &UnitCode, year: i32, seq: u64) -> String {
    crate::docid::case(unit, year, seq)
}

fn am(case_no: &str) -> impl Fn(automerge::AutomergeError) -> NodeError + '_ {
    move |e| NodeError::Internal(format!("case {case_no}: {e}"))
}

/// A new registration: the fields a case document starts with, its registering
/// unit in its scope. Written in one batch into a new document (the hub's
/// `create_with`), or field by field by `write_registration`.
pub fn registration_seed(case_no: &str, reg: &Registration, at: &str) -> Result<Seed, NodeError> {
    let details =
        serde_json::to_string(&reg.details).map_err(|x| NodeError::Internal(x.to_string()))?;
    let seed = Seed::concerning([&reg.unit])
        .string("kind", KIND)
        .string("case_no", case_no)
        .string("unit", reg.unit.as_str())
        .string("petitioner", reg.petitioner.as_str())
        .string("content", reg.content.as_str())
        .string("registered_at", at)
        .string(DETAILS_KEY, details)
        .empty_map(RECORDS_KEY);
    Ok(match &reg.by {
        Some(by) => seed.string(REGISTERED_BY_KEY, by.as_str()),
        None => seed,
    })
}

/// Writes a new registration into a fresh document, field by field.
pub fn write_registration(
    d: &mut AutoCommit,
    case_no: &str,
    reg: &Registration,
    at: &str,
) -> Result<(), NodeError> {
    registration_seed(case_no, reg, at)?
        .write_into(case_no, d)
        .map_err(|x| NodeError::Internal(x.to_string()))
}

/// When the case was registered (RFC 3339, as written; "" if absent).
pub fn registered_at(d: &AutoCommit) -> String {
    Fields::root(d).text_or_empty("registered_at")
}

/// The user who registered the case (absent in cases from before accounts).
pub const REGISTERED_BY_KEY: &str = "registered_by_user";

/// The registration's ledger elements, as one JSON value written once.
pub const DETAILS_KEY: &str = "details";

/// Reads the registration's ledger elements (empty for a case without them).
pub fn read_details(d: &AutoCommit) -> Details {
    // One field: one seek costs less than a pass over the whole root.
    details_of(doc::read_str(d, DETAILS_KEY).as_deref())
}

/// The ledger elements among the root's `fields`.
fn details_in(fields: &Fields<'_>) -> Details {
    details_of(fields.str(DETAILS_KEY))
}

/// The ledger elements from their JSON text, if any.
fn details_of(json: Option<&str>) -> Details {
    json.and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_default()
}

/// The petitioner's query code, as its salted hash (`query_code::StoredCode` as
/// JSON): a registration field, written by the registering unit at registration
/// and again at each reissue (the latest write is the code that works).
pub const QUERY_CODE_KEY: &str = "query_code";

/// The salted hash of the case's query code as stored (JSON).
fn query_code_json(code: &super::query_code::StoredCode) -> Result<String, NodeError> {
    serde_json::to_string(code).map_err(|x| NodeError::Internal(x.to_string()))
}

/// `seed` with the salted hash of the case's query code, as issued at registration.
pub fn with_query_code(
    seed: Seed,
    code: &super::query_code::StoredCode,
) -> Result<Seed, NodeError> {
    Ok(seed.string(QUERY_CODE_KEY, query_code_json(code)?))
}

/// Stores the salted hash of the case's query code (replacing any earlier one).
pub fn write_query_code(
    d: &mut AutoCommit,
    case_no: &str,
    code: &super::query_code::StoredCode,
) -> Result<(), NodeError> {
    d.put(ROOT, QUERY_CODE_KEY, query_code_json(code)?)
        .map_err(am(case_no))?;
    Ok(())
}

/// The salted hash of the case's query code (None: none was issued, or it is
/// unreadable: then no code opens the case).
pub fn read_query_code(d: &AutoCommit) -> Option<super::query_code::StoredCode> {
    doc::read_str(d, QUERY_CODE_KEY).and_then(|s| serde_json::from_str(&s).ok())
}

/// Where lifecycle records live: a map from record id to the record as JSON.
/// Records never change once written, so a map merged by key is all they need.
pub const RECORDS_KEY: &str = "records";

/// Appends a lifecycle record (and widens the scope to any unit it brings in).
pub fn add_record(d: &mut AutoCommit, case_no: &str, r: &Record) -> Result<(), NodeError> {
    let e = am(case_no);
    let map = match d.get(ROOT, RECORDS_KEY).map_err(&e)? {
        Some((Value::Object(ObjType::Map), id)) => id,
        _ => d.put_object(ROOT, RECORDS_KEY, ObjType::Map).map_err(&e)?,
    };
    let json = serde_json::to_string(r).map_err(|x| NodeError::Internal(x.to_string()))?;
    d.put(&map, r.id.as_str(), json).map_err(&e)?;
    let joins = match &r.body {
        Body::LeadDecision { lead } => Some(lead),
        other => other.routes_to(),
    };
    if let Some(u) = joins {
        doc::extend_scope(case_no, d, [u]).map_err(|x| NodeError::Internal(x.to_string()))?;
    }
    Ok(())
}

/// The case's lifecycle records. A record that does not parse (written by a newer
/// or broken node) is skipped and counted, never fatal.
pub fn read_records(d: &AutoCommit) -> (Vec<Record>, usize) {
    records_in(d, &Fields::root(d))
}

/// The lifecycle records of `d`, whose root fields are `root`.
fn records_in(d: &AutoCommit, root: &Fields<'_>) -> (Vec<Record>, usize) {
    let Some((ObjType::Map, map)) = root.object(RECORDS_KEY) else {
        return (Vec::new(), 0);
    };
    let mut out = Vec::new();
    let mut bad = 0;
    for (key, value) in Fields::of(d, &map).iter() {
        let ValueRef::Scalar(ScalarValueRef::Str(text)) = value else {
            bad += 1;
            continue;
        };
        match serde_json::from_str::<Record>(text) {
            Ok(r) if r.id == key => out.push(r),
            _ => bad += 1,
        }
    }
    (out, bad)
}

/// The registration facts the lifecycle needs.
pub fn header(d: &AutoCommit) -> Option<Header> {
    header_in(&Fields::root(d))
}

/// The registration facts among the root's `fields`.
pub fn header_in(fields: &Fields<'_>) -> Option<Header> {
    header_from(fields, &details_in(fields))
}

/// The registration facts among the root's `fields`, its ledger elements read.
fn header_from(fields: &Fields<'_>, details: &Details) -> Option<Header> {
    let registered_by = fields.text_or_empty("unit").parse().ok()?;
    let at = chrono::DateTime::parse_from_rfc3339(&fields.text_or_empty("registered_at")).ok()?;
    Some(Header {
        registered_by,
        received: state::local_day(at.with_timezone(&chrono::Utc)),
        skip_level_of: details.skip_level_of.clone(),
        received_by_leader: details.receiving_leader.is_some(),
    })
}

/// Is this document a case?
pub fn is_case(d: &AutoCommit) -> bool {
    doc::read_str(d, "kind").as_deref() == Some(KIND)
}

/// A progress note as a lifecycle record (notes are progress records).
pub fn progress(
    unit: &UnitCode,
    text: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<Record, NodeError> {
    Ok(Record {
        id: format!("{unit}-{}", uuid::Uuid::new_v4().simple()),
        unit: unit.clone(),
        at,
        body: Body::Progress {
            text: required("text", text, MAX_NOTE_CHARS)?,
        },
        by: None,
    })
}

/// Reads the case view; its notes are the progress records, in record order.
pub fn read(d: &mut AutoCommit, doc_id: &str) -> Result<CaseView, NodeError> {
    CaseFile::read(d, doc_id).map(|f| f.view)
}

/// A case document's content, read out of the document in one pass over each
/// of its maps: no derivation yet. What pages and the query tables both need.
#[derive(Debug, Clone)]
pub struct CaseFile {
    pub view: CaseView,
    /// Its registration facts (None when the registration is unreadable).
    pub header: Option<Header>,
    /// Its lifecycle records, unordered.
    pub records: Vec<Record>,
    /// Records that could not be read (written by a newer or broken node).
    pub unreadable: usize,
}

impl CaseFile {
    /// Reads the case: its view, its records and its registration facts.
    pub fn read(d: &mut AutoCommit, doc_id: &str) -> Result<CaseFile, NodeError> {
        let heads = doc::Heads::of(d).hex();
        let d = &*d;
        let root = Fields::root(d);
        if root.str("kind") != Some(KIND) {
            return Err(NodeError::NotFound(format!("{doc_id} is not a case")));
        }
        let (records, unreadable) = records_in(d, &root);
        let notes = state::ordered(&records)
            .into_iter()
            .filter_map(|r| match &r.body {
                Body::Progress { text } => Some(Note {
                    id: r.id.clone(),
                    unit: r.unit.to_string(),
                    text: text.clone(),
                    at: r.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                    by: r.by.clone().unwrap_or_default(),
                }),
                _ => None,
            })
            .collect();
        let scope = doc::read_scope(doc_id, d)
            .map(|s| s.iter().map(ToString::to_string).collect())
            .unwrap_or_default();
        let details = details_in(&root);
        let header = header_from(&root, &details);
        let view = CaseView {
            case_no: root.text_or_empty("case_no"),
            doc_id: doc_id.to_owned(),
            unit: root.text_or_empty("unit"),
            petitioner: root.text_or_empty("petitioner"),
            content: root.text_or_empty("content"),
            registered_at: root.text_or_empty("registered_at"),
            notes,
            scope,
            heads,
            details,
            registered_by: root.text_or_empty(REGISTERED_BY_KEY),
        };
        Ok(CaseFile {
            view,
            header,
            records,
            unreadable,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_and_read_back() {
        let me: UnitCode = "441521115001".parse().unwrap();
        let reg = Registration::validate(&me, "441521115001", "张三", "道路破损").unwrap();
        let no = case_number(&me, 2026, 1);
        assert_eq!(no, "441521115001-2026-000001");
        let mut d = doc::new_doc(&no, doc::unit_actor(&me)).unwrap();
        write_registration(&mut d, &no, &reg, "2026-11-23T00:00:00.000Z").unwrap();
        let note = progress(&me, "已受理", chrono::Utc::now()).unwrap();
        add_record(&mut d, &no, &note).unwrap();
        let v = read(&mut d, &no).unwrap();
        assert_eq!(v.petitioner, "张三");
        assert_eq!(v.notes.len(), 1);
        assert_eq!(v.scope, vec!["441521115001".to_string()]);
    }
}
