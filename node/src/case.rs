//! The petition case document (信访事项, 一事一档): one Automerge document per case.
//!
//! Layout (root map): `_id`, `_scope` (hub conventions), `kind` = "case", `case_no`,
//! `unit` (registering unit), `petitioner`, `content`, `registered_at` (RFC 3339),
//! `notes`: a map from note id to `{unit, text, at}`. Records are keyed by unique ids
//! so concurrent additions at different tiers never collide.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ROOT, ReadDoc, ScalarValue, Value};
use xinfang_hub::UnitCode;
use xinfang_hub::doc;

use crate::error::NodeError;
use crate::lifecycle::{self, Body, Header, Record};
use crate::rules::identity::{IdNumber, Phone};
use crate::rules::taxonomy::Taxonomy;
use xinfang_hub::Topology;

pub const KIND: &str = "case";
pub const MAX_PETITIONER_CHARS: usize = 100;
pub const MAX_CONTENT_CHARS: usize = 10_000;
pub const MAX_NOTE_CHARS: usize = 10_000;

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

/// How the petition came in (Reg-2022 art. 17).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    #[default]
    Visit,
    Letter,
    Online,
    Phone,
    Fax,
}

/// The ledger elements beyond name and demand. Written once at registration and
/// replicated; personal data only as a keyed hash and masked forms.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct Details {
    pub channel: Channel,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subcategory: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<UnitCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receiving_leader: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub responsible_unit: Option<UnitCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub representatives: Vec<String>,
    #[serde(default)]
    pub head_count: u32,
    /// HMAC of the ID number under the federation's matching key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_hash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_masked: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_masked: Option<String>,
    /// The earlier case of the same petitioner on the same matter (重复信访).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat_of: Option<String>,
    /// An open case of the same petitioner on the same matter still being handled
    /// below the registering unit (越级访, Reg-2022 art. 19).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_level_of: Option<String>,
}

/// Personal data in clear: stays in the registering node's local table.
#[derive(Debug, Clone, Default)]
pub struct Personal {
    pub id: Option<IdNumber>,
    pub phone: Option<Phone>,
}

/// The raw request fields, as typed by staff.
#[derive(Debug, Clone, Default)]
pub struct DetailsInput<'a> {
    pub id_number: &'a str,
    pub phone: &'a str,
    pub address: &'a str,
    pub channel: &'a str,
    pub purpose: &'a str,
    pub category: &'a str,
    pub subcategory: &'a str,
    pub place: &'a str,
    pub cause: &'a str,
    pub receiving_leader: &'a str,
    pub responsible_unit: &'a str,
    pub representatives: &'a [String],
    pub head_count: u32,
}

/// At most five representatives for a group visit (Reg-2022 art. 20).
pub const MAX_REPRESENTATIVES: usize = 5;

fn optional(field: &'static str, v: &str, max: usize) -> Result<Option<String>, NodeError> {
    if v.trim().is_empty() {
        Ok(None)
    } else {
        required(field, v, max).map(Some)
    }
}

fn known_unit(
    field: &'static str,
    v: &str,
    topology: &Topology,
) -> Result<Option<UnitCode>, NodeError> {
    if v.trim().is_empty() {
        return Ok(None);
    }
    let code: UnitCode = v
        .trim()
        .parse()
        .map_err(|e: xinfang_hub::topology::UnitCodeError| {
            NodeError::invalid(field, e.to_string())
        })?;
    if !topology.contains(&code) {
        return Err(NodeError::invalid(
            field,
            format!("unit {code} is not in the federation's topology"),
        ));
    }
    Ok(Some(code))
}

impl Details {
    /// Checks the ledger elements; splits personal data off (clear, local) from what
    /// replicates (masked, hashed). `match_key` is needed only with an ID number.
    pub fn validate(
        input: &DetailsInput<'_>,
        taxonomy: &Taxonomy,
        topology: &Topology,
        match_key: Option<&[u8]>,
    ) -> Result<(Details, Personal), NodeError> {
        let channel = match input.channel.trim() {
            "" | "visit" => Channel::Visit,
            "letter" => Channel::Letter,
            "online" => Channel::Online,
            "phone" => Channel::Phone,
            "fax" => Channel::Fax,
            other => {
                return Err(NodeError::invalid(
                    "channel",
                    format!("{other:?} is not one of visit, letter, online, phone, fax"),
                ));
            }
        };
        let code = |field: &'static str, v: &str| -> Option<String> {
            let _ = field;
            let v = v.trim();
            (!v.is_empty()).then(|| v.to_owned())
        };
        let purpose = code("purpose", input.purpose);
        if let Some(p) = &purpose {
            taxonomy
                .purpose(p)
                .map_err(|e| NodeError::invalid("purpose", e.to_string()))?;
        }
        let category = code("category", input.category);
        let subcategory = code("subcategory", input.subcategory);
        match (&category, &subcategory) {
            (Some(c), sub) => {
                taxonomy
                    .category(c, sub.as_deref())
                    .map_err(|e| NodeError::invalid("category", e.to_string()))?;
            }
            (None, Some(_)) => {
                return Err(NodeError::invalid("subcategory", "needs a category"));
            }
            (None, None) => {}
        }
        if input.representatives.len() > MAX_REPRESENTATIVES {
            return Err(NodeError::invalid(
                "representatives",
                format!(
                    "a group visit elects at most {MAX_REPRESENTATIVES} representatives (Reg-2022 art. 20); got {}",
                    input.representatives.len()
                ),
            ));
        }
        let mut representatives = Vec::new();
        for r in input.representatives {
            representatives.push(required("representatives", r, MAX_PETITIONER_CHARS)?);
        }
        if (input.head_count as usize) < representatives.len() {
            return Err(NodeError::invalid(
                "head_count",
                format!(
                    "is {} but {} representatives came",
                    input.head_count,
                    representatives.len()
                ),
            ));
        }
        let id = if input.id_number.trim().is_empty() {
            None
        } else {
            Some(
                IdNumber::parse(input.id_number)
                    .map_err(|e| NodeError::invalid("id_number", e.to_string()))?,
            )
        };
        let phone = if input.phone.trim().is_empty() {
            None
        } else {
            Some(
                Phone::parse(input.phone)
                    .map_err(|e| NodeError::invalid("phone", e.to_string()))?,
            )
        };
        let id_hash = match (&id, match_key) {
            (Some(id), Some(key)) => Some(id.keyed_hash(key)),
            (Some(_), None) => {
                return Err(NodeError::invalid(
                    "id_number",
                    "this node has no matching key (match.key), so it cannot register identity numbers",
                ));
            }
            (None, _) => None,
        };
        let details = Details {
            channel,
            purpose,
            category,
            subcategory,
            place: known_unit("place", input.place, topology)?,
            cause: optional("cause", input.cause, MAX_CONTENT_CHARS)?,
            receiving_leader: optional(
                "receiving_leader",
                input.receiving_leader,
                MAX_PETITIONER_CHARS,
            )?,
            responsible_unit: known_unit("responsible_unit", input.responsible_unit, topology)?,
            address: optional("address", input.address, 200)?,
            representatives,
            head_count: input.head_count,
            id_masked: id.as_ref().map(IdNumber::masked),
            phone_masked: phone.as_ref().map(Phone::masked),
            id_hash,
            repeat_of: None,
            skip_level_of: None,
        };
        Ok((details, Personal { id, phone }))
    }
}

/// A validated registration.
#[derive(Debug, Clone)]
pub struct Registration {
    pub unit: UnitCode,
    pub petitioner: String,
    pub content: String,
    pub details: Details,
    /// The user registering it at the unit's node.
    pub by: Option<String>,
}

fn required(field: &'static str, value: &str, max: usize) -> Result<String, NodeError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(NodeError::invalid(field, "must not be empty"));
    }
    if v.chars().count() > max {
        return Err(NodeError::invalid(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if v.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(NodeError::invalid(
            field,
            "must not contain control characters",
        ));
    }
    Ok(v.to_owned())
}

impl Registration {
    /// Checks a registration request made at the node of unit `me`.
    pub fn validate(
        me: &UnitCode,
        unit: &str,
        petitioner: &str,
        content: &str,
    ) -> Result<Registration, NodeError> {
        let unit: UnitCode = unit
            .parse()
            .map_err(|e: xinfang_hub::topology::UnitCodeError| {
                NodeError::invalid("unit", e.to_string())
            })?;
        if &unit != me {
            return Err(NodeError::invalid(
                "unit",
                format!(
                    "a case is registered at its own unit's node; this node is {me}, not {unit}"
                ),
            ));
        }
        Ok(Registration {
            unit,
            petitioner: required("petitioner", petitioner, MAX_PETITIONER_CHARS)?,
            content: required("content", content, MAX_CONTENT_CHARS)?,
            details: Details::default(),
            by: None,
        })
    }
}

pub fn case_number(unit: &UnitCode, year: i32, seq: u64) -> String {
    format!("{unit}-{year}-{seq:06}")
}

fn am(case_no: &str) -> impl Fn(automerge::AutomergeError) -> NodeError + '_ {
    move |e| NodeError::Internal(format!("case {case_no}: {e}"))
}

/// Writes a new registration into a fresh document.
pub fn write_registration(
    d: &mut AutoCommit,
    case_no: &str,
    reg: &Registration,
    at: &str,
) -> Result<(), NodeError> {
    let e = am(case_no);
    doc::extend_scope(case_no, d, [&reg.unit]).map_err(|x| NodeError::Internal(x.to_string()))?;
    d.put(ROOT, "kind", KIND).map_err(&e)?;
    d.put(ROOT, "case_no", case_no).map_err(&e)?;
    d.put(ROOT, "unit", reg.unit.as_str()).map_err(&e)?;
    d.put(ROOT, "petitioner", reg.petitioner.as_str())
        .map_err(&e)?;
    d.put(ROOT, "content", reg.content.as_str()).map_err(&e)?;
    d.put(ROOT, "registered_at", at).map_err(&e)?;
    if let Some(by) = &reg.by {
        d.put(ROOT, REGISTERED_BY_KEY, by.as_str()).map_err(&e)?;
    }
    let details =
        serde_json::to_string(&reg.details).map_err(|x| NodeError::Internal(x.to_string()))?;
    d.put(ROOT, DETAILS_KEY, details).map_err(&e)?;
    d.put_object(ROOT, RECORDS_KEY, ObjType::Map).map_err(&e)?;
    Ok(())
}

/// The user who registered the case (absent in cases from before accounts).
pub const REGISTERED_BY_KEY: &str = "registered_by_user";

/// The registration's ledger elements, as one JSON value written once.
pub const DETAILS_KEY: &str = "details";

/// Reads the registration's ledger elements (empty for a case without them).
pub fn read_details(d: &AutoCommit) -> Details {
    doc::read_str(d, DETAILS_KEY)
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default()
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
        Body::Forward { to, .. } | Body::Assign { to, .. } => Some(to),
        Body::LeadDecision { lead } => Some(lead),
        _ => None,
    };
    if let Some(u) = joins {
        doc::extend_scope(case_no, d, [u]).map_err(|x| NodeError::Internal(x.to_string()))?;
    }
    Ok(())
}

/// The case's lifecycle records. A record that does not parse (written by a newer
/// or broken node) is skipped and counted, never fatal.
pub fn read_records(d: &AutoCommit) -> (Vec<Record>, usize) {
    let Ok(Some((Value::Object(ObjType::Map), map))) = d.get(ROOT, RECORDS_KEY) else {
        return (Vec::new(), 0);
    };
    let mut out = Vec::new();
    let mut bad = 0;
    for key in d.keys(&map).collect::<Vec<_>>() {
        let text = str_at(d, &map, &key);
        match serde_json::from_str::<Record>(&text) {
            Ok(r) if r.id == key => out.push(r),
            _ => bad += 1,
        }
    }
    (out, bad)
}

/// The registration facts the lifecycle needs.
pub fn header(d: &AutoCommit) -> Option<Header> {
    let root = automerge::ObjId::Root;
    let registered_by = str_at(d, &root, "unit").parse().ok()?;
    let at = chrono::DateTime::parse_from_rfc3339(&str_at(d, &root, "registered_at")).ok()?;
    Some(Header {
        registered_by,
        received: lifecycle::local_day(at.with_timezone(&chrono::Utc)),
        skip_level_of: read_details(d).skip_level_of,
    })
}

fn str_at(d: &AutoCommit, obj: &automerge::ObjId, key: &str) -> String {
    match d.get(obj, key) {
        Ok(Some((Value::Scalar(s), _))) => match s.as_ref() {
            ScalarValue::Str(s) => s.to_string(),
            other => other.to_string(),
        },
        _ => String::new(),
    }
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
pub fn read(d: &mut AutoCommit, case_no: &str) -> Result<CaseView, NodeError> {
    if !is_case(d) {
        return Err(NodeError::NotFound(format!("{case_no} is not a case")));
    }
    let (records, _) = read_records(d);
    let notes = lifecycle::ordered(&records)
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
    let scope = doc::read_scope(case_no, d)
        .map(|s| s.iter().map(ToString::to_string).collect())
        .unwrap_or_default();
    let heads = doc::Heads::of(d).hex();
    let root = automerge::ObjId::Root;
    Ok(CaseView {
        case_no: str_at(d, &root, "case_no"),
        unit: str_at(d, &root, "unit"),
        petitioner: str_at(d, &root, "petitioner"),
        content: str_at(d, &root, "content"),
        registered_at: str_at(d, &root, "registered_at"),
        notes,
        scope,
        heads,
        details: read_details(d),
        registered_by: str_at(d, &root, REGISTERED_BY_KEY),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registration_rules_name_the_field() {
        let me: UnitCode = "441521115001".parse().unwrap();
        let e = Registration::validate(&me, "441521115001", " ", "x").unwrap_err();
        assert!(e.to_string().contains("petitioner"), "{e}");
        let e = Registration::validate(&me, "441521", "张三", "x").unwrap_err();
        assert!(e.to_string().contains("unit"), "{e}");
        let e = Registration::validate(&me, "12", "张三", "x").unwrap_err();
        assert!(e.to_string().contains("unit"), "{e}");
        let long = "字".repeat(MAX_CONTENT_CHARS + 1);
        assert!(Registration::validate(&me, "441521115001", "张三", &long).is_err());
        assert!(Registration::validate(&me, "441521115001", "张三", "诉求").is_ok());
    }

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
