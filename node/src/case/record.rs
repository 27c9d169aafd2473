//! A case as facts, not fields (雁过留痕): every step anyone takes on a case —
//! screening, forwarding, assigning, objecting, deciding the lead unit, owning,
//! noting progress, supervising, sending back, extending, replying, rating,
//! approving, closing, visiting, archiving, review — is an append-only [`Record`]
//! with a unique id, written by one unit at one time. Replicas merge records by
//! id, so concurrent steps at different tiers never overwrite each other.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use xinfang_hub::UnitCode;

/// Largest single lifecycle record (its JSON text), in bytes.
pub const MAX_RECORD_BYTES: usize = 64 << 10;

pub use super::step::Step;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// Unique across the federation (the writing unit's code plus a random part).
    pub id: String,
    /// The unit that wrote it.
    pub unit: UnitCode,
    pub at: DateTime<Utc>,
    pub body: Body,
    /// The user who wrote it at its unit's node (雁过留痕). Absent in records from
    /// before accounts and in records the node writes itself; optional on read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Body {
    Screening {
        decision: Screening,
    },
    /// 转送: to the competent organ, any unit.
    Forward {
        to: UnitCode,
        due: NaiveDate,
    },
    /// 交办: to a unit below the one assigning.
    Assign {
        to: UnitCode,
        due: NaiveDate,
    },
    /// The receiving unit says the matter is not its own. The case goes back only
    /// when the sending office verifies and agrees ([`Body::ObjectionDecision`]).
    Objection {
        reason: String,
    },
    /// The sending office's verification of an objection (核实, Reg-2022 art. 23):
    /// agreed, the case returns to it; refused, the receiving unit stays
    /// responsible. Either way a record.
    ObjectionDecision {
        agree: bool,
        reason: String,
    },
    /// A written notice to the petitioner (告知, Reg-2022 art. 23: within 15 days
    /// of receipt, of acceptance or of where it was forwarded or assigned; and the
    /// later notices and opinions). `issued`: the printed document — its text and
    /// its PDF's hash — when it was issued as one (`notice`); records from before
    /// printed notices hold only `text`.
    Notice {
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        issued: Option<Box<super::written::Issued>>,
    },
    /// A major or urgent matter (重大、紧急信访事项), flagged with its reason at any
    /// time: every superior is alerted, and it needs an owning leader in time.
    Major {
        urgent: bool,
        reason: String,
    },
    /// The petitioner went to the provincial or national authorities on this
    /// matter (赴省进京上访), on a day, at a place: the unit's rules may require its
    /// principal leader to receive and own the case, and repeats escalate it to
    /// the principal leader of the level above (seed 001, text 5).
    HigherVisit {
        to: VisitLevel,
        on: NaiveDate,
        place: String,
    },
    /// The registrar confirms a skip-level candidate (越级访, Reg-2022 art. 19): the
    /// same petitioner's open case below, with the same responsible unit though
    /// another category, is on the same matter. Then it is not accepted here.
    SkipLevelLink {
        of: String,
    },
    /// Staff find this case's petitioner to be the same person as case `of`'s
    /// (a name written two ways, an identity number missing from one): their
    /// histories are merged in searches from then on, with who found it and why.
    SamePetitioner {
        of: String,
        reason: String,
    },
    /// The petitioner will not state an opinion on the handling (拒不表态): the
    /// handler records the circumstances, which meets that closure condition.
    NoOpinion {
        circumstances: String,
    },
    LeadDecision {
        lead: UnitCode,
    },
    /// Listed in the writing office's owned-case library (列入包案案件库, seed
    /// 002): the key area or group, the matter as published (no personal data),
    /// and why (`library`).
    LibraryEntry {
        area: String,
        public_title: String,
        reason: String,
    },
    /// A listed case reported to a leader for ownership (筛选、呈报), by the
    /// leader's portfolio; the leader's agreement is the ownership record.
    OwnershipProposal {
        leader: String,
        basis: String,
    },
    /// 领导包案, with the five duties.
    Ownership {
        leader: String,
        /// The five duties the owning leader takes on (五包); all five by default.
        #[serde(default = "Duty::all")]
        duties: Vec<Duty>,
        /// The leader is the writing unit's principal leader (主要领导), as a visit
        /// to higher authorities may require.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        principal: bool,
        /// The case's dedicated work group (工作专班, seed 002): its members as
        /// named, e.g. 王科长（县住建局）.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        work_group: Vec<String>,
    },
    Progress {
        text: String,
    },
    Supervision {
        method: Supervision,
        due: NaiveDate,
        demand: String,
    },
    /// 发回重新办理: the reply is not accepted; handle again.
    SendBack {
        reason: String,
    },
    Extension {
        days: u32,
        reason: String,
        approved_by: String,
    },
    Reply {
        opinion: Opinion,
        text: String,
    },
    Rating {
        acceptance: Satisfaction,
        handling: Satisfaction,
    },
    /// The owning leader's approval opinion, needed to close.
    LeaderApproval {
        leader: String,
        opinion: String,
    },
    Closure {
        facts_clear: bool,
        handled_in_place: bool,
        file_complete: bool,
    },
    ReturnVisit {
        text: String,
    },
    Archive,
    ReviewRequest {
        stage: Stage,
    },
    ReviewDecision {
        stage: Stage,
        opinion: Opinion,
        text: String,
    },
    /// 约访 (seed 004 访前接办; seed 001 重点约访): an office books the case onto a
    /// scheduled reception day of one of its leaders, inviting the petitioner and
    /// the responsible unit (`reception`).
    Booking {
        date: NaiveDate,
        /// The receiving leader's roster name and post.
        leader: String,
        position: String,
        /// The unit asked to attend (责任单位).
        responsible: UnitCode,
        place: String,
        /// The invitation to the petitioner (约访通知) as printed on the card.
        invitation: String,
    },
    /// On the day: whether the reception took place and what the leader decided
    /// (访中联办), with the tasks it sets and the 交办 it makes, if any.
    ReceptionOutcome {
        booking: String,
        held: bool,
        decision: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        tasks: Vec<Task>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        assign: Option<Assignment>,
    },
    /// The eight-copy supervision form (八联单, 访后督办) after the decision.
    SupervisionForm {
        booking: String,
        recipients: Vec<Recipient>,
        due: NaiveDate,
        demand: String,
    },
    /// A recipient acknowledges its copy of the form (by its key: the leader's
    /// name or the unit's code).
    FormAck {
        form: String,
        recipient: String,
    },
    /// A handling node publishes its certificate so the registering node can seal
    /// the petitioner's phone to it (see `contact`).
    ContactKey {
        cert_pem: String,
    },
    /// The phone, sealed by the registering node to one handling unit's key.
    SealedContact {
        for_unit: UnitCode,
        sealed: crate::contact::Sealed,
    },
    /// A message to the petitioner (短信告知) tried by the registering node's
    /// outbox: which message (`about`: the record it announces, or `registered`),
    /// by which channel, which attempt, and whether it was delivered (`detail`:
    /// the sender's answer). Written by the node itself; moves nothing.
    Delivery {
        about: String,
        channel: String,
        attempt: u32,
        delivered: bool,
        detail: String,
    },
}

impl Body {
    /// The record's kind as written in JSON (`{"kind": "forward", …}`).
    pub fn kind(&self) -> &'static str {
        Step::of(self).kind()
    }

    /// The unit a record moves the case to: a forward, an assignment, or a
    /// leader's 交办 at a reception day.
    pub fn routes_to(&self) -> Option<&UnitCode> {
        match self {
            Body::Forward { to, .. } | Body::Assign { to, .. } => Some(to),
            Body::ReceptionOutcome {
                assign: Some(a), ..
            } => Some(&a.to),
            _ => None,
        }
    }

    /// The free texts people type into this record, each with its field's name:
    /// what the limit on text length applies to (`admission`).
    pub fn texts(&self) -> Vec<(&'static str, &str)> {
        match self {
            Body::Screening { decision } => match decision {
                Screening::Accept => vec![],
                Screening::NotAccept {
                    notice,
                    competent_authority,
                } => vec![
                    ("notice", notice),
                    ("competent_authority", competent_authority),
                ],
                Screening::Discipline { notice } | Screening::Divert { notice, .. } => {
                    vec![("notice", notice)]
                }
            },
            Body::Objection { reason }
            | Body::SendBack { reason }
            | Body::ObjectionDecision { reason, .. } => vec![("reason", reason)],
            Body::Notice { text, .. } => vec![("text", text)],
            Body::Major { reason, .. } => vec![("reason", reason)],
            Body::HigherVisit { place, .. } => vec![("place", place)],
            Body::SkipLevelLink { of } => vec![("of", of)],
            Body::SamePetitioner { of, reason } => vec![("of", of), ("reason", reason)],
            Body::LibraryEntry {
                area,
                public_title,
                reason,
            } => vec![
                ("area", area),
                ("public_title", public_title),
                ("reason", reason),
            ],
            Body::OwnershipProposal { leader, basis } => {
                vec![("leader", leader), ("basis", basis)]
            }
            Body::NoOpinion { circumstances } => vec![("circumstances", circumstances)],
            Body::Ownership {
                leader, work_group, ..
            } => std::iter::once(("leader", leader.as_str()))
                .chain(work_group.iter().map(|m| ("work_group", m.as_str())))
                .collect(),
            Body::Progress { text }
            | Body::Reply { text, .. }
            | Body::ReturnVisit { text }
            | Body::ReviewDecision { text, .. } => vec![("text", text)],
            Body::Supervision { demand, .. } => vec![("demand", demand)],
            Body::Extension {
                reason,
                approved_by,
                ..
            } => vec![("reason", reason), ("approved_by", approved_by)],
            Body::LeaderApproval { leader, opinion } => {
                vec![("leader", leader), ("opinion", opinion)]
            }
            Body::Booking {
                leader,
                position,
                place,
                invitation,
                ..
            } => vec![
                ("leader", leader),
                ("position", position),
                ("place", place),
                ("invitation", invitation),
            ],
            Body::ReceptionOutcome {
                decision, tasks, ..
            } => std::iter::once(("decision", decision.as_str()))
                .chain(tasks.iter().map(|t| ("tasks.duty", t.duty.as_str())))
                .collect(),
            Body::SupervisionForm { demand, .. } => vec![("demand", demand)],
            Body::FormAck { .. }
            | Body::Forward { .. }
            | Body::Assign { .. }
            | Body::LeadDecision { .. }
            | Body::Rating { .. }
            | Body::Closure { .. }
            | Body::Archive
            | Body::ReviewRequest { .. }
            | Body::ContactKey { .. }
            | Body::SealedContact { .. } => vec![],
            Body::Delivery { about, detail, .. } => vec![("about", about), ("detail", detail)],
        }
    }

    /// A record body of kind `step` with stand-in fields (`unit`, `day`, empty
    /// texts), for questions that depend on the kind alone — who may write it
    /// (`may_write`) — asked before anyone has filled the real fields in.
    pub fn stand_in(step: Step, unit: &UnitCode, day: NaiveDate) -> Body {
        let text = String::new;
        match step {
            Step::Screening => Body::Screening {
                decision: Screening::Accept,
            },
            Step::Forward => Body::Forward {
                to: unit.clone(),
                due: day,
            },
            Step::Assign => Body::Assign {
                to: unit.clone(),
                due: day,
            },
            Step::Objection => Body::Objection { reason: text() },
            Step::ObjectionDecision => Body::ObjectionDecision {
                agree: false,
                reason: text(),
            },
            Step::Notice => Body::Notice {
                text: text(),
                issued: None,
            },
            Step::NoOpinion => Body::NoOpinion {
                circumstances: text(),
            },
            Step::Major => Body::Major {
                urgent: false,
                reason: text(),
            },
            Step::HigherVisit => Body::HigherVisit {
                to: VisitLevel::Province,
                on: day,
                place: text(),
            },
            Step::SkipLevelLink => Body::SkipLevelLink { of: text() },
            Step::SamePetitioner => Body::SamePetitioner {
                of: text(),
                reason: text(),
            },
            Step::LibraryEntry => Body::LibraryEntry {
                area: text(),
                public_title: text(),
                reason: text(),
            },
            Step::OwnershipProposal => Body::OwnershipProposal {
                leader: text(),
                basis: text(),
            },
            Step::LeadDecision => Body::LeadDecision { lead: unit.clone() },
            Step::Ownership => Body::Ownership {
                leader: text(),
                duties: Duty::all(),
                principal: false,
                work_group: Vec::new(),
            },
            Step::Progress => Body::Progress { text: text() },
            Step::Supervision => Body::Supervision {
                method: Supervision::Phone,
                due: day,
                demand: text(),
            },
            Step::SendBack => Body::SendBack { reason: text() },
            Step::Extension => Body::Extension {
                days: 0,
                reason: text(),
                approved_by: text(),
            },
            Step::Reply => Body::Reply {
                opinion: Opinion::Explain,
                text: text(),
            },
            Step::Rating => Body::Rating {
                acceptance: Satisfaction::Satisfied,
                handling: Satisfaction::Satisfied,
            },
            Step::LeaderApproval => Body::LeaderApproval {
                leader: text(),
                opinion: text(),
            },
            Step::Closure => Body::Closure {
                facts_clear: false,
                handled_in_place: false,
                file_complete: false,
            },
            Step::ReturnVisit => Body::ReturnVisit { text: text() },
            Step::Archive => Body::Archive,
            Step::ReviewRequest => Body::ReviewRequest {
                stage: Stage::Review,
            },
            Step::ReviewDecision => Body::ReviewDecision {
                stage: Stage::Review,
                opinion: Opinion::Explain,
                text: text(),
            },
            Step::Booking => Body::Booking {
                date: day,
                leader: text(),
                position: text(),
                responsible: unit.clone(),
                place: text(),
                invitation: text(),
            },
            Step::ReceptionOutcome => Body::ReceptionOutcome {
                booking: text(),
                held: true,
                decision: text(),
                tasks: Vec::new(),
                assign: None,
            },
            Step::SupervisionForm => Body::SupervisionForm {
                booking: text(),
                recipients: Vec::new(),
                due: day,
                demand: text(),
            },
            Step::FormAck => Body::FormAck {
                form: text(),
                recipient: text(),
            },
            Step::ContactKey => Body::ContactKey { cert_pem: text() },
            Step::Delivery => Body::Delivery {
                about: text(),
                channel: text(),
                attempt: 1,
                delivered: false,
                detail: text(),
            },
            Step::SealedContact => Body::SealedContact {
                for_unit: unit.clone(),
                sealed: crate::contact::Sealed {
                    ephemeral: text(),
                    nonce: text(),
                    ciphertext: text(),
                },
            },
        }
    }
}

/// One thing the leader's decision asks of a unit, by a date (责任单位、办理事项、时限).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    pub unit: UnitCode,
    pub duty: String,
    pub due: NaiveDate,
}

/// The leader assigns the matter to a unit below the office (交办) at the
/// reception: the case moves there as by an assignment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    pub to: UnitCode,
    pub due: NaiveDate,
}

/// Who receives a copy of the supervision form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "to", rename_all = "snake_case")]
pub enum Recipient {
    /// A leader on the office's roster, with the post printed on the copy.
    Leader { name: String, position: String },
    /// The responsible unit (责任单位).
    Unit { code: UnitCode, name: String },
}

impl Recipient {
    /// The key an acknowledgement names: the leader's name or the unit's code.
    pub fn key(&self) -> &str {
        match self {
            Recipient::Leader { name, .. } => name,
            Recipient::Unit { code, .. } => code.as_str(),
        }
    }

    /// As printed on the copy: 县委书记张三 / 海丰县住房和城乡建设局.
    pub fn title(&self) -> String {
        match self {
            Recipient::Leader { name, position } => format!("{position}{name}"),
            Recipient::Unit { name, .. } => name.clone(),
        }
    }
}

/// The calendar day of an instant in China Standard Time (UTC+8), the day deadlines
/// count in.
pub fn local_day(at: DateTime<Utc>) -> NaiveDate {
    (at + chrono::Duration::hours(8)).date_naive()
}

/// Where a petitioner went over the local offices (赴省 / 进京).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VisitLevel {
    /// 赴省: to the provincial authorities.
    Province,
    /// 进京: to the national authorities in Beijing.
    Capital,
}

/// The five duties of leader ownership (领导包案五包).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Duty {
    /// 包掌握情况
    KnowTheCase,
    /// 包思想教育
    Educate,
    /// 包跟踪督办
    FollowUp,
    /// 包解决化解
    Resolve,
    /// 包息诉息访
    Settle,
}

impl Duty {
    pub fn all() -> Vec<Duty> {
        vec![
            Duty::KnowTheCase,
            Duty::Educate,
            Duty::FollowUp,
            Duty::Resolve,
            Duty::Settle,
        ]
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Screening {
    Accept,
    /// 不予受理, with the written notice naming the competent authority.
    NotAccept {
        notice: String,
        competent_authority: String,
    },
    /// To discipline inspection: tracking stops, the petitioner is told in writing.
    Discipline {
        notice: String,
    },
    /// 诉访分离: to litigation, arbitration or administrative review.
    Divert {
        track: Track,
        notice: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Track {
    Litigation,
    Arbitration,
    AdministrativeReview,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Supervision {
    Phone,
    Letter,
    Interview,
    Meeting,
    Listed,
    PublicNotice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Opinion {
    Adopt,
    Support,
    Explain,
    NotSupport,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Satisfaction {
    Satisfied,
    Basic,
    Unsatisfied,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// 复查
    Review,
    /// 复核
    ReReview,
}

impl Step {
    /// The step a record body is (exhaustive: a new record kind must be placed).
    pub fn of(body: &Body) -> Step {
        match body {
            Body::Screening { .. } => Step::Screening,
            Body::Forward { .. } => Step::Forward,
            Body::Assign { .. } => Step::Assign,
            Body::Objection { .. } => Step::Objection,
            Body::ObjectionDecision { .. } => Step::ObjectionDecision,
            Body::Notice { .. } => Step::Notice,
            Body::NoOpinion { .. } => Step::NoOpinion,
            Body::Major { .. } => Step::Major,
            Body::HigherVisit { .. } => Step::HigherVisit,
            Body::SkipLevelLink { .. } => Step::SkipLevelLink,
            Body::SamePetitioner { .. } => Step::SamePetitioner,
            Body::LeadDecision { .. } => Step::LeadDecision,
            Body::LibraryEntry { .. } => Step::LibraryEntry,
            Body::OwnershipProposal { .. } => Step::OwnershipProposal,
            Body::Ownership { .. } => Step::Ownership,
            Body::Progress { .. } => Step::Progress,
            Body::Supervision { .. } => Step::Supervision,
            Body::SendBack { .. } => Step::SendBack,
            Body::Extension { .. } => Step::Extension,
            Body::Reply { .. } => Step::Reply,
            Body::Rating { .. } => Step::Rating,
            Body::LeaderApproval { .. } => Step::LeaderApproval,
            Body::Closure { .. } => Step::Closure,
            Body::ReturnVisit { .. } => Step::ReturnVisit,
            Body::Archive => Step::Archive,
            Body::ReviewRequest { .. } => Step::ReviewRequest,
            Body::ReviewDecision { .. } => Step::ReviewDecision,
            Body::Booking { .. } => Step::Booking,
            Body::ReceptionOutcome { .. } => Step::ReceptionOutcome,
            Body::SupervisionForm { .. } => Step::SupervisionForm,
            Body::FormAck { .. } => Step::FormAck,
            Body::ContactKey { .. } => Step::ContactKey,
            Body::SealedContact { .. } => Step::SealedContact,
            Body::Delivery { .. } => Step::Delivery,
        }
    }
}

#[cfg(test)]
mod stand_in_tests {
    use super::*;

    #[test]
    fn every_step_has_a_stand_in_of_its_own_kind() {
        let unit: UnitCode = "441521".parse().unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        for step in Step::ALL {
            assert_eq!(Step::of(&Body::stand_in(step, &unit, day)), step);
        }
    }
}
