//! The grammar of document ids: every id this node writes or accepts is built and
//! parsed here, and nowhere else.
//!
//! | kind | id | unit it names |
//! |---|---|---|
//! | case | `<case number>.<16 hex>`: the case number `<unit>-<YYYY>-<6 digits>` and the registration's random nonce (cases from before the nonce: the case number alone) | the registering unit |
//! | roster | `roster/<unit>` | its unit |
//! | schedule | `schedule/<unit>/<YYYY-MM>` | its unit |
//! | quarterly register | `quarterly/<unit>/<YYYY>Q<n>` | its unit |
//! | integrity alert | `alert/<reporter>/<subject>/<ms>` | the reporting parent |
//! | circulated notice (通报) | `bulletin/<issuer>/<32 hex>` | the issuing superior |
//! | duty roster | `duty/<unit>/<span>`, the span `<YYYY-MM>` or `<YYYY>-<holiday>` (`2026-national_day`) | its unit |
//! | quarterly plan | `plan/<unit>/<YYYY>Q<n>` | its unit |
//! | yearly summary | `summary/<unit>/<YYYY>` | its unit |
//! | accountability case (追责) | `accountability/<issuer>/<32 hex>` | the issuing superior |
//! | joint supervision plan (联合督查) | `joint/<issuer>/<32 hex>` | the planning superior |
//! | joint supervision finding | `finding/<issuer>/<32 hex>` | the planning superior |
//! | responsibility letter (责任书) | `letter/<issuer>/<unit>/<YYYY>` | the issuing superior |
//! | a letter's acknowledgement | `letter-ack/<unit>/<issuer>/<YYYY>` | the unit the letter binds |
//! | filed assessment (考核结果) | `assessment/<issuer>/<YYYY>` | the assessing superior |
//! | published holiday calendar year (节假日安排) | `calendar/<issuer>/<YYYY>` | the publishing unit |
//!
//! Pure: no IO. The hub sees ids as opaque strings; the node's rules for documents
//! from peers (`remote`) refuse any id that is none of these.

use std::fmt;

use xinfang_hub::UnitCode;

use crate::schedule::duty::DutySpan;
use crate::schedule::model::{Month, Quarter};

/// The document kinds this node knows, by the form of their id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Case,
    Roster,
    Schedule,
    Quarterly,
    /// A parent's report that a child's ledger does not extend what it saw.
    Alert,
    /// A superior's circulated notice of praise or criticism (通报).
    Bulletin,
    /// A filed duty roster (值班安排表).
    Duty,
    /// A quarterly plan (季度接访计划).
    Plan,
    /// A yearly summary (年度工作总结).
    Summary,
    /// A superior's accountability case (追责).
    Accountability,
    /// A superior's joint supervision plan (联合督查).
    JointPlan,
    /// A finding of a joint supervision about one unit.
    JointFinding,
    /// A superior's responsibility letter to a unit below (责任书).
    Letter,
    /// The lower unit's acknowledgement of a responsibility letter.
    LetterAck,
    /// A superior's filed assessment of the units it set letters for.
    Assessment,
    /// A year of the holiday calendar published to the issuer's subtree.
    Calendar,
}

impl Kind {
    /// The document's `kind` field for this kind of id.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Case => CASE_KIND,
            Kind::Roster => "roster",
            Kind::Schedule => "schedule",
            Kind::Quarterly => "quarterly",
            Kind::Alert => ALERT_KIND,
            Kind::Bulletin => BULLETIN_KIND,
            Kind::Duty => "duty",
            Kind::Plan => "plan",
            Kind::Summary => "summary",
            Kind::Accountability => ACCOUNTABILITY_KIND,
            Kind::JointPlan => JOINT_PLAN_KIND,
            Kind::JointFinding => JOINT_FINDING_KIND,
            Kind::Letter => LETTER_KIND,
            Kind::LetterAck => LETTER_ACK_KIND,
            Kind::Assessment => ASSESSMENT_KIND,
            Kind::Calendar => CALENDAR_KIND,
        }
    }
}

/// The `kind` field of a case document.
pub const CASE_KIND: &str = "case";
/// The `kind` field of an integrity-alert document.
pub const ALERT_KIND: &str = "integrity_alert";
/// The `kind` field of a circulated notice (通报).
pub const BULLETIN_KIND: &str = "bulletin";
/// Every circulated notice's id begins so.
pub const BULLETIN_PREFIX: &str = "bulletin/";
const ALERT_PREFIX: &str = "alert/";
/// The `kind` field of an accountability case (追责).
pub const ACCOUNTABILITY_KIND: &str = "accountability";
/// Every accountability case's id begins so.
pub const ACCOUNTABILITY_PREFIX: &str = "accountability/";
/// The `kind` field of a joint supervision plan (联合督查).
pub const JOINT_PLAN_KIND: &str = "joint_plan";
/// Every joint supervision plan's id begins so.
pub const JOINT_PLAN_PREFIX: &str = "joint/";
/// The `kind` field of a joint supervision finding.
pub const JOINT_FINDING_KIND: &str = "joint_finding";
/// Every joint supervision finding's id begins so.
pub const JOINT_FINDING_PREFIX: &str = "finding/";
/// The `kind` field of a responsibility letter (责任书).
pub const LETTER_KIND: &str = "letter";
/// Every responsibility letter's id begins so.
pub const LETTER_PREFIX: &str = "letter/";
/// The `kind` field of a letter's acknowledgement.
pub const LETTER_ACK_KIND: &str = "letter_ack";
/// Every acknowledgement's id begins so.
pub const LETTER_ACK_PREFIX: &str = "letter-ack/";
/// The `kind` field of a filed assessment.
pub const ASSESSMENT_KIND: &str = "assessment";
/// The `kind` field of a published calendar year.
pub const CALENDAR_KIND: &str = "holiday_calendar";
/// Every published calendar year's id begins so.
pub const CALENDAR_PREFIX: &str = "calendar/";

/// An id that is none of the forms above.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the id {0:?} is none of the forms this node knows (a case number UNIT-YYYY-NNNNNN, \
     roster/UNIT, schedule/UNIT/YYYY-MM, quarterly/UNIT/YYYYQn, alert/UNIT/UNIT/MS, duty/UNIT/SPAN, \
     plan/UNIT/YYYYQn, summary/UNIT/YYYY, bulletin/UNIT/HEX, accountability/UNIT/HEX, joint/UNIT/HEX, \
     finding/UNIT/HEX, letter/UNIT/UNIT/YYYY, letter-ack/UNIT/UNIT/YYYY, assessment/UNIT/YYYY, \
     calendar/UNIT/YYYY); \
     refused"
)]
pub struct UnknownId(pub String);

/// A case number: the registering unit, the year and its sequence in that year.
/// Unique across the federation without coordination, because only the
/// registering unit's node hands out its own numbers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CaseNo {
    pub unit: UnitCode,
    pub year: i32,
    pub seq: u64,
}

impl CaseNo {
    pub fn new(unit: UnitCode, year: i32, seq: u64) -> CaseNo {
        CaseNo { unit, year, seq }
    }

    /// `<unit>-<4-digit year>-<6-digit sequence>`, or `None`.
    pub fn parse(no: &str) -> Option<CaseNo> {
        let mut it = no.rsplitn(3, '-');
        let (seq, year, unit) = (it.next()?, it.next()?, it.next()?);
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        if !(digits(seq, 6) && digits(year, 4)) {
            return None;
        }
        Some(CaseNo {
            unit: unit.parse().ok()?,
            year: year.parse().ok()?,
            seq: seq.parse().ok()?,
        })
    }
}

impl fmt::Display for CaseNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}-{:06}", self.unit, self.year, self.seq)
    }
}

/// The parts of an integrity alert's id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertId {
    pub reporter: UnitCode,
    pub subject: UnitCode,
    pub at_ms: i64,
}

impl AlertId {
    pub fn parse(doc_id: &str) -> Option<AlertId> {
        let rest = doc_id.strip_prefix(ALERT_PREFIX)?;
        let mut it = rest.split('/');
        let (r, s, ms) = (it.next()?, it.next()?, it.next()?);
        if it.next().is_some() || ms.is_empty() || !ms.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(AlertId {
            reporter: r.parse().ok()?,
            subject: s.parse().ok()?,
            at_ms: ms.parse().ok()?,
        })
    }

    pub fn id(&self) -> String {
        format!(
            "{ALERT_PREFIX}{}/{}/{}",
            self.reporter, self.subject, self.at_ms
        )
    }
}

/// A case number as text.
pub fn case(unit: &UnitCode, year: i32, seq: u64) -> String {
    CaseNo::new(unit.clone(), year, seq).to_string()
}

/// Hex digits of a case document's registration nonce.
pub const NONCE_HEX: usize = 16;

/// The document id of a new registration numbered `case_no`: the number and a
/// random nonce. Numbers are handed out from a counter a restore can set back;
/// the nonce makes sure that two registrations never share a document, whatever
/// the counter does.
pub fn new_case_doc(case_no: &str) -> String {
    let nonce: u64 = rand::random();
    format!("{case_no}.{nonce:0width$x}", width = NONCE_HEX)
}

/// The case number a case document's id carries (`None`: not a case id).
pub fn case_no_of(doc_id: &str) -> Option<&str> {
    let no = match doc_id.split_once('.') {
        Some((no, nonce))
            if nonce.len() == NONCE_HEX
                && nonce
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) =>
        {
            no
        }
        Some(_) => return None,
        None => doc_id,
    };
    CaseNo::parse(no).map(|_| no)
}

/// The roster of `unit`.
pub fn roster(unit: &UnitCode) -> String {
    format!("roster/{unit}")
}

/// The filed schedule of `unit` for `month`.
pub fn schedule(unit: &UnitCode, month: Month) -> String {
    format!("schedule/{unit}/{month}")
}

/// A year of the holiday calendar published by `issuer`.
pub fn calendar(issuer: &UnitCode, year: i32) -> String {
    format!("{CALENDAR_PREFIX}{issuer}/{year:04}")
}

/// The publisher and year a published calendar's id names.
pub fn calendar_of(doc_id: &str) -> Option<(UnitCode, i32)> {
    let rest = doc_id.strip_prefix(CALENDAR_PREFIX)?;
    let (u, y) = rest.split_once('/')?;
    if y.len() != 4 || !y.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((u.parse().ok()?, y.parse().ok()?))
}

/// A new circulated notice (通报) issued by `issuer`.
pub fn new_bulletin(issuer: &UnitCode) -> String {
    format!(
        "{BULLETIN_PREFIX}{issuer}/{}",
        uuid::Uuid::new_v4().simple()
    )
}

/// A new document of a superior's own under `prefix`: `<prefix><issuer>/<32 hex>`
/// (accountability cases, joint supervision plans and findings).
pub fn new_issued(prefix: &str, issuer: &UnitCode) -> String {
    format!("{prefix}{issuer}/{}", uuid::Uuid::new_v4().simple())
}

/// The quarterly register of `unit` for quarter `q`.
pub fn quarterly(unit: &UnitCode, q: Quarter) -> String {
    format!("quarterly/{unit}/{q}")
}

/// The filed duty roster of `unit` for `span` (`2026-10`, `2026-national_day`).
pub fn duty(unit: &UnitCode, span: DutySpan) -> String {
    format!("duty/{unit}/{span}")
}

/// The quarterly plan of `unit` for quarter `q`.
pub fn plan(unit: &UnitCode, q: Quarter) -> String {
    format!("plan/{unit}/{q}")
}

/// The yearly summary of `unit` for `year`.
pub fn summary(unit: &UnitCode, year: i32) -> String {
    format!("summary/{unit}/{year:04}")
}

/// The responsibility letter of `issuer` to `unit` for `year`.
pub fn letter(issuer: &UnitCode, unit: &UnitCode, year: i32) -> String {
    format!("{LETTER_PREFIX}{issuer}/{unit}/{year:04}")
}

/// `unit`'s acknowledgement of `issuer`'s letter for `year`.
pub fn letter_ack(unit: &UnitCode, issuer: &UnitCode, year: i32) -> String {
    format!("{LETTER_ACK_PREFIX}{unit}/{issuer}/{year:04}")
}

/// `issuer`'s filed assessment of `year`.
pub fn assessment(issuer: &UnitCode, year: i32) -> String {
    format!("assessment/{issuer}/{year:04}")
}

/// The kind an id stands for, and the unit it names.
pub fn parse(doc_id: &str) -> Result<(Kind, UnitCode), UnknownId> {
    let unit = |s: &str| s.parse::<UnitCode>().ok();
    let parts: Vec<&str> = doc_id.split('/').collect();
    let found = match parts.as_slice() {
        ["roster", u] => unit(u).map(|u| (Kind::Roster, u)),
        ["schedule", u, m] => unit(u)
            .filter(|_| m.parse::<Month>().is_ok())
            .map(|u| (Kind::Schedule, u)),
        ["quarterly", u, q] => unit(u)
            .filter(|_| q.parse::<Quarter>().is_ok())
            .map(|u| (Kind::Quarterly, u)),
        ["duty", u, span] => unit(u)
            .filter(|_| {
                span.parse::<DutySpan>()
                    .is_ok_and(|x| x.to_string() == *span)
            })
            .map(|u| (Kind::Duty, u)),
        ["plan", u, q] => unit(u)
            .filter(|_| q.parse::<Quarter>().is_ok())
            .map(|u| (Kind::Plan, u)),
        ["summary", u, y] => unit(u)
            .filter(|_| y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit()))
            .map(|u| (Kind::Summary, u)),
        ["letter", issuer, u, y] => unit(issuer)
            .filter(|_| unit(u).is_some() && y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit()))
            .map(|issuer| (Kind::Letter, issuer)),
        ["letter-ack", u, issuer, y] => unit(u)
            .filter(|_| {
                unit(issuer).is_some() && y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit())
            })
            .map(|u| (Kind::LetterAck, u)),
        ["calendar", ..] => calendar_of(doc_id).map(|(u, _)| (Kind::Calendar, u)),
        ["assessment", u, y] => unit(u)
            .filter(|_| y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit()))
            .map(|u| (Kind::Assessment, u)),
        [id] => case_no_of(id)
            .and_then(CaseNo::parse)
            .map(|c| (Kind::Case, c.unit)),
        ["alert", ..] => AlertId::parse(doc_id).map(|a| (Kind::Alert, a.reporter)),
        ["bulletin", u, id] => unit(u)
            .filter(|_| id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()))
            .map(|u| (Kind::Bulletin, u)),
        [p @ ("accountability" | "joint" | "finding"), u, id] => unit(u)
            .filter(|_| id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()))
            .map(|u| {
                let kind = match *p {
                    "accountability" => Kind::Accountability,
                    "joint" => Kind::JointPlan,
                    _ => Kind::JointFinding,
                };
                (kind, u)
            }),
        _ => None,
    };
    found.ok_or_else(|| UnknownId(doc_id.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> UnitCode {
        s.parse().unwrap()
    }

    #[test]
    fn every_built_id_parses_back_to_its_kind_and_unit() {
        let town = u("441521115000");
        let month: Month = "2026-04".parse().unwrap();
        let q: Quarter = "2026Q2".parse().unwrap();
        let alert = AlertId {
            reporter: u("441521"),
            subject: town.clone(),
            at_ms: 17,
        };
        for (id, kind, unit) in [
            (case(&town, 2026, 7), Kind::Case, &town),
            (roster(&town), Kind::Roster, &town),
            (schedule(&town, month), Kind::Schedule, &town),
            (quarterly(&town, q), Kind::Quarterly, &town),
            (alert.id(), Kind::Alert, &alert.reporter),
            (new_bulletin(&town), Kind::Bulletin, &town),
            (calendar(&town, 2027), Kind::Calendar, &town),
            (
                new_issued(ACCOUNTABILITY_PREFIX, &town),
                Kind::Accountability,
                &town,
            ),
            (new_issued(JOINT_PLAN_PREFIX, &town), Kind::JointPlan, &town),
            (
                new_issued(JOINT_FINDING_PREFIX, &town),
                Kind::JointFinding,
                &town,
            ),
            (
                letter(&u("441521"), &town, 2026),
                Kind::Letter,
                &u("441521"),
            ),
            (
                letter_ack(&town, &u("441521"), 2026),
                Kind::LetterAck,
                &town,
            ),
            (
                duty(&town, "2026 国庆节".parse().unwrap()),
                Kind::Duty,
                &town,
            ),
            (duty(&town, "2026-10".parse().unwrap()), Kind::Duty, &town),
            (plan(&town, q), Kind::Plan, &town),
            (summary(&town, 2026), Kind::Summary, &town),
        ] {
            assert_eq!(parse(&id), Ok((kind, unit.clone())), "{id}");
        }
        assert_eq!(case(&town, 2026, 7), "441521115000-2026-000007");
        let doc = new_case_doc(&case(&town, 2026, 7));
        assert_eq!(parse(&doc), Ok((Kind::Case, town.clone())));
        assert_eq!(case_no_of(&doc), Some("441521115000-2026-000007"));
        assert_ne!(
            doc,
            new_case_doc(&case(&town, 2026, 7)),
            "a nonce each time"
        );
        assert_eq!(AlertId::parse(&alert.id()), Some(alert));
    }

    #[test]
    fn other_ids_are_refused_by_name() {
        for bad in [
            "",
            "441521-2026-7",
            "441521-26-000007",
            "x-2026-000001",
            "roster/x",
            "schedule/441521/2026-13",
            "quarterly/441521/2026Q5",
            "alert/441521/441521115000/",
            "notes/441521",
            "duty/441521/2026 国庆节",
            "duty/441521/2026-chongyang",
            "summary/441521/26",
            "441521115000-2026-000007.",
            "441521115000-2026-000007.12345",
            "441521115000-2026-000007.0123456789ABCDEF",
        ] {
            let e = parse(bad).unwrap_err();
            assert!(e.to_string().contains("none of the forms"), "{bad}: {e}");
        }
    }
}
