//! The node's rules for documents that arrive from a peer, registered with the hub
//! as its [`DocumentCheck`]: the hub has already checked size, `_id` and scope;
//! these check what only the domain knows, before anything of the batch is written.
//!
//! - The id says the kind: a case number (`<unit>-<year>-<6 digits>`) is a
//!   `case`; `roster/<unit>`, `schedule/<unit>/<YYYY-MM>` and
//!   `quarterly/<unit>/<YYYYQn>` are the schedule documents. Any other id, or a
//!   `kind` that is not the id's, is refused: this node could neither show nor
//!   project it, and a case under a roster's id would shadow the real one.
//! - A case's registration fields keep the limits a registration here must keep
//!   (petitioner, content and the ledger elements), so a peer cannot place in the
//!   query tables what this node's own API would refuse.
//! - A schedule document names its own unit (`unit` equals the id's).
//!
//! Lifecycle records are bounded in size (each) and progress notes by the note
//! limit; whether their writer was entitled to them is the lifecycle's business.

use automerge::{AutoCommit, ObjType, ScalarValue, ScalarValueRef, ValueRef};
use std::sync::Arc;

use xinfang_hub::doc::Fields;
use xinfang_hub::{DocumentCheck, InvalidDocument, Refusal, Topology, UnitCode};

use crate::case::{
    self, MAX_ADDRESS_CHARS, MAX_CONTENT_CHARS, MAX_DETAILS_BYTES, MAX_NOTE_CHARS,
    MAX_PETITIONER_CHARS, MAX_RECORD_BYTES, MAX_REPRESENTATIVES,
};
use crate::case::{Body, Context, Record};
use crate::docid::{self, Kind};
use crate::rules::CaseRules;

/// The node's rules, for [`xinfang_hub::Hub::set_document_check`]: the form of
/// each document ([`check`]) and who may write what ([`crate::authorship`]).
pub struct RemoteRules {
    me: UnitCode,
    topology: Arc<Topology>,
    rules: Arc<CaseRules>,
    clock: xinfang_hub::Clock,
}

impl RemoteRules {
    /// The rules of the node of `me`, on its clock.
    pub fn new(
        me: UnitCode,
        topology: Arc<Topology>,
        rules: Arc<CaseRules>,
        clock: xinfang_hub::Clock,
    ) -> RemoteRules {
        RemoteRules {
            me,
            topology,
            rules,
            clock,
        }
    }
}

impl DocumentCheck for RemoteRules {
    fn check(&self, doc_id: &str, doc: &AutoCommit) -> Result<(), InvalidDocument> {
        check(doc_id, doc).map_err(InvalidDocument)
    }

    fn authorize(
        &self,
        peer: &UnitCode,
        doc_id: &str,
        prior: Option<&mut AutoCommit>,
        incoming: &mut AutoCommit,
    ) -> Result<(), Refusal> {
        let ctx = Context {
            topology: &self.topology,
            calendar: &self.rules.calendar,
            limits: &self.rules.limits,
            higher_visits: &self.rules.higher_visits,
        };
        let tolerance =
            chrono::Duration::minutes(i64::from(self.rules.limits.future_tolerance_minutes));
        let not_after =
            chrono::DateTime::from_timestamp_millis((self.clock)()).map(|now| now + tolerance);
        crate::authorship::judge(&ctx, &self.me, peer, doc_id, prior, incoming, not_after)
    }
}

/// A field as text: `Ok(None)` when absent, `Err` when it is not text.
fn text<'f>(fields: &'f Fields<'_>, key: &str) -> Result<Option<&'f str>, String> {
    match fields.value(key) {
        None => Ok(None),
        Some(ValueRef::Scalar(ScalarValueRef::Str(s))) => Ok(Some(s)),
        Some(ValueRef::Scalar(other)) => Err(format!(
            "field `{key}` must be text, not {}",
            ScalarValue::from(other)
        )),
        Some(ValueRef::Object(t)) => Err(format!("field `{key}` must be text, not a {t}")),
    }
}

/// `value` of `field` keeps at most `max` characters and no control characters
/// but newline and tab (the rule of a registration).
fn bounded(field: &str, value: &str, max: usize) -> Result<(), String> {
    let n = value.chars().count();
    if n > max {
        return Err(format!(
            "field `{field}` has {n} characters; the limit is {max}"
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(format!("field `{field}` contains control characters"));
    }
    Ok(())
}

/// Checks one document from a peer.
pub fn check(doc_id: &str, d: &AutoCommit) -> Result<(), String> {
    let (kind, unit) = docid::parse(doc_id).map_err(|e| e.to_string())?;
    let root = Fields::root(d);
    match text(&root, "kind")? {
        Some(k) if k == kind.as_str() => {}
        Some(k) => {
            return Err(format!(
                "field `kind` is {k:?}, but the id is a {}'s; refused",
                kind.as_str()
            ));
        }
        None => {
            return Err(format!(
                "field `kind` is missing (the id is a {}'s)",
                kind.as_str()
            ));
        }
    }
    match kind {
        Kind::Case => check_case(doc_id, d, &root),
        Kind::Alert => {
            for field in ["subject", "reason", "at", "seen_hash", "head_hash"] {
                if let Some(v) = text(&root, field)? {
                    bounded(field, v, 1_000)?;
                }
            }
            check_unit(&root, &unit)
        }
        Kind::Bulletin => {
            check_unit(&root, &unit)?;
            crate::bulletin::check_from_peer(d, &unit)
        }
        Kind::Accountability => {
            check_unit(&root, &unit)?;
            crate::accountability::check_from_peer(d, &unit)
        }
        Kind::JointPlan | Kind::JointFinding => {
            check_unit(&root, &unit)?;
            crate::accountability::joint::check_from_peer(d, &unit)
        }
        Kind::Letter => {
            check_unit(&root, &unit)?;
            crate::letter::check_from_peer(d, &unit)
        }
        Kind::Calendar => {
            check_unit(&root, &unit)?;
            let (_, year) = docid::calendar_of(doc_id).ok_or("not a calendar id")?;
            crate::holidays::check_from_peer(d, &unit, year)
        }
        Kind::Assessment => {
            check_unit(&root, &unit)?;
            crate::letter::assessment::check_from_peer(d, &unit)
        }
        Kind::LetterAck => {
            check_unit(&root, &unit)?;
            crate::letter::check_ack_from_peer(d, &unit)
        }
        Kind::Roster
        | Kind::Schedule
        | Kind::Quarterly
        | Kind::Duty
        | Kind::Plan
        | Kind::Summary => check_unit(&root, &unit),
    }
}

/// The document names its own unit (`unit` equals the id's).
fn check_unit(root: &Fields<'_>, unit: &UnitCode) -> Result<(), String> {
    match text(root, "unit")? {
        Some(u) if u == unit.as_str() => Ok(()),
        Some(u) => Err(format!(
            "field `unit` is {u:?}, but the id names unit {unit}; refused"
        )),
        None => Err(format!("field `unit` is missing (the id names {unit})")),
    }
}

fn check_case(doc_id: &str, d: &AutoCommit, root: &Fields<'_>) -> Result<(), String> {
    if let Some(no) = text(root, "case_no")?
        && Some(no) != docid::case_no_of(doc_id)
    {
        return Err(format!(
            "field `case_no` is {no:?}, not the case number the document's id {doc_id:?} carries"
        ));
    }
    if let Some(p) = text(root, "petitioner")? {
        bounded("petitioner", p, MAX_PETITIONER_CHARS)?;
    }
    if let Some(c) = text(root, "content")? {
        bounded("content", c, MAX_CONTENT_CHARS)?;
    }
    // A salt and a hash in hex and a date: far below this.
    if let Some(code) = text(root, case::QUERY_CODE_KEY)? {
        bounded(case::QUERY_CODE_KEY, code, 1_000)?;
    }
    if let Some(json) = text(root, case::DETAILS_KEY)? {
        if json.len() > MAX_DETAILS_BYTES {
            return Err(format!(
                "field `details` has {} bytes; the limit is {MAX_DETAILS_BYTES}",
                json.len()
            ));
        }
        // Ledger elements this version cannot read are left alone (a newer
        // node's); those it can read keep the registration's limits.
        if let Ok(det) = serde_json::from_str::<case::Details>(json) {
            let fields = [
                ("details.cause", det.cause.as_deref(), MAX_CONTENT_CHARS),
                (
                    "details.receiving_leader",
                    det.receiving_leader.as_deref(),
                    MAX_PETITIONER_CHARS,
                ),
                ("details.address", det.address.as_deref(), MAX_ADDRESS_CHARS),
            ];
            for (field, v, max) in fields {
                if let Some(v) = v {
                    bounded(field, v, max)?;
                }
            }
            if det.representatives.len() > MAX_REPRESENTATIVES {
                return Err(format!(
                    "field `details.representatives` names {}; the limit is {MAX_REPRESENTATIVES}",
                    det.representatives.len()
                ));
            }
            for r in &det.representatives {
                bounded("details.representatives", r, MAX_PETITIONER_CHARS)?;
            }
        }
    }
    check_records(d, root)
}

fn check_records(d: &AutoCommit, root: &Fields<'_>) -> Result<(), String> {
    let Some((ObjType::Map, map)) = root.object(case::RECORDS_KEY) else {
        return Ok(());
    };
    for (key, value) in Fields::of(d, &map).iter() {
        let ValueRef::Scalar(ScalarValueRef::Str(json)) = value else {
            continue;
        };
        if json.len() > MAX_RECORD_BYTES {
            return Err(format!(
                "record {key:?} has {} bytes; the limit is {MAX_RECORD_BYTES}",
                json.len()
            ));
        }
        if let Ok(Record {
            body: Body::Progress { text },
            ..
        }) = serde_json::from_str::<Record>(json)
        {
            bounded(&format!("records.{key}.text"), &text, MAX_NOTE_CHARS)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::ROOT;
    use automerge::transaction::Transactable;
    use xinfang_hub::doc;

    fn unit() -> UnitCode {
        "441521115000".parse().unwrap()
    }

    fn case_doc(no: &str, petitioner: &str) -> AutoCommit {
        let reg = case::Registration {
            unit: unit(),
            petitioner: petitioner.into(),
            content: "诉求".into(),
            details: case::Details::default(),
            by: None,
        };
        let mut d = doc::new_doc(no, doc::unit_actor(&unit())).unwrap();
        case::write_registration(&mut d, no, &reg, "2026-03-05T02:00:00.000Z").unwrap();
        d
    }

    #[test]
    fn ids_say_the_kind() {
        assert_eq!(
            docid::parse("441521115000-2026-000001").unwrap(),
            (Kind::Case, unit())
        );
        assert_eq!(docid::parse("roster/441521115000").unwrap().0, Kind::Roster);
        assert_eq!(
            docid::parse("schedule/441521115000/2016-04").unwrap().0,
            Kind::Schedule
        );
        assert_eq!(
            docid::parse("quarterly/441521115000/2016Q2").unwrap().0,
            Kind::Quarterly
        );
        for bad in [
            "x1",
            "441521115000-2026-1",
            "12-2026-000001",
            "roster/",
            "schedule/441521115000/April",
            "widget/441521115000",
        ] {
            assert!(docid::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_case_keeps_the_registration_limits() {
        let no = "441521115000-2026-000001";
        assert_eq!(check(no, &case_doc(no, "张三")), Ok(()));
        let long = "名".repeat(MAX_PETITIONER_CHARS + 1);
        let e = check(no, &case_doc(no, &long)).unwrap_err();
        assert!(e.contains("petitioner") && e.contains("limit"), "{e}");
        let e = check(no, &case_doc(no, "张\u{7}三")).unwrap_err();
        assert!(e.contains("control"), "{e}");
        // Under another case's id, its case_no gives it away.
        let e = check("441521115000-2026-000002", &case_doc(no, "张三")).unwrap_err();
        assert!(e.contains("case_no"), "{e}");
        // The right id with the wrong kind.
        let mut d = case_doc(no, "张三");
        d.put(ROOT, "kind", "roster").unwrap();
        let e = check(no, &d).unwrap_err();
        assert!(e.contains("kind") && e.contains("roster"), "{e}");
        let mut d = case_doc(no, "张三");
        d.put(ROOT, "petitioner", 7).unwrap();
        let e = check(no, &d).unwrap_err();
        assert!(e.contains("petitioner") && e.contains("text"), "{e}");
    }

    #[test]
    fn a_schedule_document_names_its_own_unit() {
        let id = "roster/441521115000";
        let mut d = doc::new_doc(id, doc::unit_actor(&unit())).unwrap();
        crate::schedule::docs::init(&mut d, id, "roster", &unit()).unwrap();
        assert_eq!(check(id, &d), Ok(()));
        let e = check("roster/441521101000", &d).unwrap_err();
        assert!(e.contains("unit"), "{e}");
    }
}
