//! A petition case as facts, not fields (一事一档, 雁过留痕).
//!
//! Every step anyone takes on a case — screening, forwarding, assigning, objecting,
//! deciding the lead unit, owning, noting progress, supervising, sending back,
//! extending, replying, rating, approving, closing, visiting, archiving, review — is
//! an append-only [`Record`] with a unique id, written by one unit at one time.
//! Replicas merge records by id, so concurrent steps at different tiers never
//! overwrite each other.
//!
//! What the case *is* — its status, who handles it, the lead unit, its next deadline,
//! what blocks closing it — is [`derive`]d from the set of records by a pure function.
//! Records are taken in `(at, id)` order, so every replica that holds the same records
//! derives the same case, whatever order they arrived in.
//!
//! Whether a new record may be written at all is [`admit`]: the rules of Reg-2022 and
//! the local rules, each refusal naming the rule.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use xinfang_hub::{Topology, UnitCode};

use crate::rules::calendar::{HolidayCalendar, MissingYear, due_date};
use crate::rules::limits::{Limit, TimeLimits};

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
    /// The receiving unit says the matter is not its own.
    Objection {
        reason: String,
    },
    LeadDecision {
        lead: UnitCode,
    },
    /// 领导包案, with the five duties.
    Ownership {
        leader: String,
        /// The five duties the owning leader takes on (五包); all five by default.
        #[serde(default = "Duty::all")]
        duties: Vec<Duty>,
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Track {
    Litigation,
    Arbitration,
    AdministrativeReview,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Supervision {
    Phone,
    Letter,
    Interview,
    Meeting,
    Listed,
    PublicNotice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Opinion {
    Adopt,
    Support,
    Explain,
    NotSupport,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Satisfaction {
    Satisfied,
    Basic,
    Unsatisfied,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// 复查
    Review,
    /// 复核
    ReReview,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Registered,
    Accepted,
    NotAccepted,
    ToDiscipline,
    Diverted,
    Routed,
    Handling,
    Replied,
    Closed,
    Archived,
    UnderReview,
    Reviewed,
    UnderReReview,
    /// After re-review the same matter is not accepted again (不再受理).
    Final,
}

/// The status as its stable snake_case code (as in JSON).
pub fn status_code(s: Status) -> &'static str {
    match s {
        Status::Registered => "registered",
        Status::Accepted => "accepted",
        Status::NotAccepted => "not_accepted",
        Status::ToDiscipline => "to_discipline",
        Status::Diverted => "diverted",
        Status::Routed => "routed",
        Status::Handling => "handling",
        Status::Replied => "replied",
        Status::Closed => "closed",
        Status::Archived => "archived",
        Status::UnderReview => "under_review",
        Status::Reviewed => "reviewed",
        Status::UnderReReview => "under_re_review",
        Status::Final => "final",
    }
}

impl Status {
    /// Open: a unit is still expected to act on it.
    pub fn is_open(self) -> bool {
        !self.is_terminal() && !matches!(self, Status::Closed | Status::Archived | Status::Reviewed)
    }

    /// Tracking has ended for good at this unit.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            Status::NotAccepted | Status::ToDiscipline | Status::Diverted | Status::Final
        )
    }
}

/// The five conditions under which a case may not be closed (五不结案).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClosureBlocker {
    FactsUnclear,
    NotHandledInPlace,
    NoLeaderApproval,
    NoPetitionerOpinion,
    FileIncomplete,
}

impl ClosureBlocker {
    pub fn describe(self) -> &'static str {
        match self {
            ClosureBlocker::FactsUnclear => "事实不清 (facts unclear)",
            ClosureBlocker::NotHandledInPlace => "问题未处理到位 (not handled in place)",
            ClosureBlocker::NoLeaderApproval => {
                "无包案领导审批意见 (no approval from the owning leader)"
            }
            ClosureBlocker::NoPetitionerOpinion => {
                "无信访人明确意见 (no opinion recorded from the petitioner)"
            }
            ClosureBlocker::FileIncomplete => "案卷不完整 (case file incomplete)",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineKind {
    /// Forward or assign within 15 days of receipt.
    Route,
    /// The receiving unit may object within 5 working days.
    Object,
    /// The receiving unit tells the petitioner within 15 days.
    Notify,
    /// Handle within 60 days (plus approved extensions).
    Handle,
    /// Answer a supervision by its due date.
    Supervision,
    /// Answer a review or re-review request within 30 days.
    ReviewAnswer,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Deadline {
    pub kind: DeadlineKind,
    /// The unit that must act.
    pub unit: UnitCode,
    pub due: NaiveDate,
    pub overdue: bool,
}

/// What every case has from its registration.
#[derive(Debug, Clone)]
pub struct Header {
    pub registered_by: UnitCode,
    pub received: NaiveDate,
    /// Set when the registration skipped over a lower unit still handling the
    /// same matter: then it is not accepted here (Reg-2022 art. 19 ¶3).
    pub skip_level_of: Option<String>,
}

/// The context rules need: the federation, the calendar, the time limits.
pub struct Context<'a> {
    pub topology: &'a Topology,
    pub calendar: &'a HolidayCalendar,
    pub limits: &'a TimeLimits,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Derived {
    pub status: Status,
    /// The unit that holds the case now.
    pub handling_unit: UnitCode,
    /// Every unit the case concerns (its replication scope).
    pub involved: BTreeSet<UnitCode>,
    pub lead_unit: Option<UnitCode>,
    pub owner: Option<String>,
    pub extended_days: u32,
    pub deadlines: Vec<Deadline>,
    /// The earliest open deadline.
    pub next_deadline: Option<Deadline>,
    pub overdue: bool,
    /// Which of the five closure conditions fail now (empty: closable).
    pub closure_blockers: Vec<ClosureBlocker>,
    pub missing_years: Vec<MissingYear>,
}

/// The calendar day of an instant in China Standard Time (UTC+8), the day deadlines
/// count in.
pub fn local_day(at: DateTime<Utc>) -> NaiveDate {
    (at + chrono::Duration::hours(8)).date_naive()
}

/// Records in the order every replica agrees on.
pub fn ordered(records: &[Record]) -> Vec<&Record> {
    let mut v: Vec<&Record> = records.iter().collect();
    v.sort_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
    v.dedup_by(|a, b| a.id == b.id);
    v
}

/// The superior's lead decision wins: the decision by the unit nearest the root;
/// among equals the later, then the greater id. Decisions by a unit that is not a
/// superior of every other involved unit are ignored (and refused by `admit`).
fn lead_unit(
    ctx: &Context<'_>,
    involved: &BTreeSet<UnitCode>,
    recs: &[&Record],
) -> Option<UnitCode> {
    recs.iter()
        .filter_map(|r| match &r.body {
            Body::LeadDecision { lead } => Some((r, lead)),
            _ => None,
        })
        .filter(|(r, lead)| {
            involved.contains(lead)
                && involved
                    .iter()
                    .all(|u| u == &r.unit || ctx.topology.in_subtree(&r.unit, u))
        })
        .max_by_key(|(r, _)| {
            let depth = ctx.topology.ancestors(&r.unit).len();
            (std::cmp::Reverse(depth), r.at, r.id.clone())
        })
        .map(|(_, lead)| lead.clone())
}

/// Derives the case from its header and records, as of `today`.
pub fn derive(h: &Header, records: &[Record], ctx: &Context<'_>, today: NaiveDate) -> Derived {
    let recs = ordered(records);
    let mut status = Status::Registered;
    let mut handling = h.registered_by.clone();
    let mut involved: BTreeSet<UnitCode> = [h.registered_by.clone()].into();
    let mut routed_by: Option<(UnitCode, NaiveDate)> = None; // who routed it to `handling`, when
    let mut accepted_at: Option<NaiveDate> = None; // acceptance by the handling unit
    let mut owner = None;
    let mut extended = 0u32;
    let mut replied_at: Option<NaiveDate> = None;
    let mut rated = false;
    let mut approved = false;
    let mut open_supervisions: Vec<(UnitCode, NaiveDate)> = Vec::new();
    let mut review_requested: Option<NaiveDate> = None;
    let mut last_closure: Option<(bool, bool, bool)> = None;
    let mut screened = false;
    for r in &recs {
        let day = local_day(r.at);
        match &r.body {
            Body::Screening { decision } => {
                if r.unit == handling {
                    screened = true;
                    status = match decision {
                        Screening::Accept => {
                            accepted_at = Some(day);
                            Status::Accepted
                        }
                        Screening::NotAccept { .. } => Status::NotAccepted,
                        Screening::Discipline { .. } => Status::ToDiscipline,
                        Screening::Divert { .. } => Status::Diverted,
                    };
                }
            }
            Body::Forward { to, .. } | Body::Assign { to, .. } => {
                involved.insert(to.clone());
                routed_by = Some((r.unit.clone(), day));
                handling = to.clone();
                accepted_at = None;
                replied_at = None;
                open_supervisions.clear();
                status = Status::Routed;
            }
            Body::Objection { .. } => {
                if r.unit == handling
                    && let Some((from, _)) = routed_by.take()
                {
                    handling = from;
                    status = Status::Accepted;
                }
            }
            Body::Ownership { leader, .. } => owner = Some(leader.clone()),
            Body::Progress { .. } => {
                if r.unit == handling {
                    open_supervisions.retain(|(_, due)| *due < day);
                    if matches!(status, Status::Accepted | Status::Routed) {
                        status = Status::Handling;
                    }
                }
            }
            Body::Supervision { due, .. } => open_supervisions.push((handling.clone(), *due)),
            Body::SendBack { .. } => {
                replied_at = None;
                rated = false;
                status = Status::Handling;
            }
            Body::Extension { days, .. } => extended += days,
            Body::Reply { .. } => {
                if r.unit == handling {
                    replied_at = Some(day);
                    open_supervisions.clear();
                    status = Status::Replied;
                }
            }
            Body::Rating { .. } => rated = true,
            Body::LeaderApproval { .. } => approved = true,
            Body::Closure {
                facts_clear,
                handled_in_place,
                file_complete,
            } => {
                last_closure = Some((*facts_clear, *handled_in_place, *file_complete));
                if blockers(
                    screened,
                    replied_at.is_some(),
                    rated,
                    approved,
                    last_closure,
                )
                .is_empty()
                {
                    status = Status::Closed;
                }
            }
            Body::Archive => {
                if status == Status::Closed {
                    status = Status::Archived;
                }
            }
            Body::ReviewRequest { stage } => {
                review_requested = Some(day);
                status = match stage {
                    Stage::Review => Status::UnderReview,
                    Stage::ReReview => Status::UnderReReview,
                };
            }
            Body::ReviewDecision { stage, .. } => {
                review_requested = None;
                status = match stage {
                    Stage::Review => Status::Reviewed,
                    Stage::ReReview => Status::Final,
                };
            }
            Body::LeadDecision { .. }
            | Body::ReturnVisit { .. }
            | Body::ContactKey { .. }
            | Body::SealedContact { .. } => {}
        }
    }
    for r in &recs {
        if let Body::LeadDecision { lead } = &r.body {
            involved.insert(lead.clone());
        }
    }
    let lead = lead_unit(ctx, &involved, &recs);

    let mut missing = BTreeSet::new();
    let mut deadlines = Vec::new();
    let mut add = |kind, unit: &UnitCode, from: NaiveDate, limit: Limit, extra: u32| {
        let d = due_date(ctx.calendar, from, limit.days + extra, limit.rule);
        missing.extend(d.missing_years.iter().map(|m| m.year));
        deadlines.push(Deadline {
            kind,
            unit: unit.clone(),
            due: d.date,
            overdue: d.date < today,
        });
    };
    match status {
        Status::Registered | Status::Accepted if routed_by.is_none() => add(
            DeadlineKind::Route,
            &handling,
            h.received,
            ctx.limits.forward,
            0,
        ),
        Status::Routed => {
            if let Some((_, on)) = &routed_by {
                add(DeadlineKind::Object, &handling, *on, ctx.limits.object, 0);
                add(DeadlineKind::Notify, &handling, *on, ctx.limits.notify, 0);
            }
        }
        _ => {}
    }
    if matches!(status, Status::Accepted | Status::Routed | Status::Handling) {
        let from = accepted_at
            .or(routed_by.as_ref().map(|(_, d)| *d))
            .unwrap_or(h.received);
        add(
            DeadlineKind::Handle,
            &handling,
            from,
            ctx.limits.handle,
            extended,
        );
    }
    if let Some(on) = review_requested {
        let limit = if status == Status::UnderReReview {
            ctx.limits.rereview_answer
        } else {
            ctx.limits.review_answer
        };
        add(DeadlineKind::ReviewAnswer, &handling, on, limit, 0);
    }
    for (unit, due) in &open_supervisions {
        deadlines.push(Deadline {
            kind: DeadlineKind::Supervision,
            unit: unit.clone(),
            due: *due,
            overdue: *due < today,
        });
    }
    deadlines.sort_by_key(|d| (d.due, d.kind as u8));
    let next = deadlines.first().cloned();
    Derived {
        overdue: deadlines.iter().any(|d| d.overdue),
        closure_blockers: if status == Status::Closed || status == Status::Archived {
            Vec::new()
        } else {
            blockers(
                screened,
                replied_at.is_some(),
                rated,
                approved,
                last_closure,
            )
        },
        status,
        handling_unit: handling,
        involved,
        lead_unit: lead,
        owner,
        extended_days: extended,
        deadlines,
        next_deadline: next,
        missing_years: missing
            .into_iter()
            .map(|year| MissingYear { year })
            .collect(),
    }
}

/// Which closure conditions fail, given what the file holds. The closing record's
/// own attestations (facts, handling, file) count when `closure` is given.
fn blockers(
    screened: bool,
    replied: bool,
    rated: bool,
    approved: bool,
    closure: Option<(bool, bool, bool)>,
) -> Vec<ClosureBlocker> {
    let (facts, in_place, file) = closure.unwrap_or((false, false, false));
    let mut out = Vec::new();
    if !facts {
        out.push(ClosureBlocker::FactsUnclear);
    }
    if !in_place {
        out.push(ClosureBlocker::NotHandledInPlace);
    }
    if !approved {
        out.push(ClosureBlocker::NoLeaderApproval);
    }
    if !rated {
        out.push(ClosureBlocker::NoPetitionerOpinion);
    }
    if !file || !screened || !replied {
        out.push(ClosureBlocker::FileIncomplete);
    }
    out
}

/// Why a record may not be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{rule}: {message}")]
pub struct Refusal {
    /// A stable name for the rule, e.g. `closure.five_conditions`.
    pub rule: &'static str,
    pub message: String,
}

fn refuse(rule: &'static str, message: impl Into<String>) -> Refusal {
    Refusal {
        rule,
        message: message.into(),
    }
}

/// Checks a new record against the case as it stands (`records`) before it is
/// written. Refusals name the rule.
pub fn admit(
    h: &Header,
    records: &[Record],
    new: &Record,
    ctx: &Context<'_>,
    today: NaiveDate,
) -> Result<(), Refusal> {
    let now = derive(h, records, ctx, today);
    if records.iter().any(|r| r.id == new.id) {
        return Err(refuse(
            "record.unique_id",
            format!("record {} exists already", new.id),
        ));
    }
    if now.status == Status::Final {
        return Err(refuse(
            "review.final",
            "re-review has concluded: the same matter is not accepted again (不再受理)",
        ));
    }
    if now.status.is_terminal()
        && !matches!(
            new.body,
            Body::ReturnVisit { .. } | Body::ContactKey { .. } | Body::SealedContact { .. }
        )
    {
        return Err(refuse(
            "case.tracking_ended",
            format!(
                "the case is {:?}: no further handling is tracked",
                now.status
            ),
        ));
    }
    let is_handler = new.unit == now.handling_unit;
    let superior_of_handler =
        new.unit != now.handling_unit && ctx.topology.in_subtree(&new.unit, &now.handling_unit);
    let due_ok = |due: &NaiveDate| -> Result<(), Refusal> {
        if *due < today {
            Err(refuse(
                "due.not_in_past",
                format!("due date {due} is before today ({today})"),
            ))
        } else {
            Ok(())
        }
    };
    let known = |u: &UnitCode| -> Result<(), Refusal> {
        if ctx.topology.contains(u) {
            Ok(())
        } else {
            Err(refuse(
                "unit.known",
                format!("unit {u} is not in the federation's topology"),
            ))
        }
    };
    let has_reply = matches!(now.status, Status::Replied)
        || records.iter().any(|r| matches!(r.body, Body::Reply { .. }));
    match &new.body {
        Body::Screening { .. } => {
            if !is_handler {
                return Err(refuse(
                    "screening.by_holder",
                    format!(
                        "only the unit holding the case ({}) screens it",
                        now.handling_unit
                    ),
                ));
            }
            if matches!(
                new.body,
                Body::Screening {
                    decision: Screening::Accept
                }
            ) && new.unit == h.registered_by
                && let Some(below) = &h.skip_level_of
            {
                return Err(refuse(
                    "skip_level.not_accepted_above",
                    format!(
                        "case {below} on the same matter is still being handled below; \
                         a skip-level petition is not accepted here (Reg-2022 art. 19)"
                    ),
                ));
            }
            let screened_here = records.iter().any(|r| {
                matches!(r.body, Body::Screening { .. })
                    && r.unit == new.unit
                    && now.status != Status::Routed
            });
            if screened_here {
                return Err(refuse(
                    "screening.once",
                    "this unit has screened the case already",
                ));
            }
        }
        Body::Forward { to, due } | Body::Assign { to, due } => {
            known(to)?;
            due_ok(due)?;
            if !is_handler {
                return Err(refuse(
                    "routing.by_holder",
                    format!(
                        "only the unit holding the case ({}) forwards or assigns it",
                        now.handling_unit
                    ),
                ));
            }
            if !matches!(now.status, Status::Accepted | Status::Handling) {
                return Err(refuse(
                    "routing.after_acceptance",
                    format!(
                        "the case must be screened and accepted first (it is {:?})",
                        now.status
                    ),
                ));
            }
            if to == &new.unit {
                return Err(refuse(
                    "routing.elsewhere",
                    "a case is forwarded or assigned to another unit",
                ));
            }
            if matches!(new.body, Body::Assign { .. }) && !ctx.topology.in_subtree(&new.unit, to) {
                return Err(refuse(
                    "assign.downwards",
                    format!(
                        "交办 goes to a unit below {}; {to} is not (use forward)",
                        new.unit
                    ),
                ));
            }
        }
        Body::Objection { reason } => {
            if reason.trim().is_empty() {
                return Err(refuse("objection.reason", "an objection needs a reason"));
            }
            if !is_handler || now.status != Status::Routed {
                return Err(refuse(
                    "objection.by_receiver",
                    "only the unit a case was just routed to may object",
                ));
            }
            if let Some(d) = now
                .deadlines
                .iter()
                .find(|d| d.kind == DeadlineKind::Object)
                && local_day(new.at) > d.due
            {
                return Err(refuse(
                    "objection.window",
                    format!("the 5-working-day window to object ended on {}", d.due),
                ));
            }
        }
        Body::LeadDecision { lead } => {
            let mut involved = now.involved.clone();
            involved.insert(lead.clone());
            if involved.len() < 2 {
                return Err(refuse(
                    "lead.several_units",
                    "a lead unit is decided only when several units are involved",
                ));
            }
            if !now.involved.contains(lead) {
                return Err(refuse(
                    "lead.involved",
                    format!("{lead} is not involved in this case"),
                ));
            }
            let decider = ctx.topology.lowest_common_superior(&now.involved);
            if decider.as_ref() != Some(&new.unit) {
                return Err(refuse(
                    "lead.common_superior",
                    format!(
                        "only the lowest common superior of the units involved ({}) decides the lead unit",
                        decider
                            .map(|d| d.to_string())
                            .unwrap_or_else(|| "none".into())
                    ),
                ));
            }
        }
        Body::Supervision { due, demand, .. } => {
            due_ok(due)?;
            if demand.trim().is_empty() {
                return Err(refuse(
                    "supervision.demand",
                    "a supervision states what is demanded",
                ));
            }
            if !superior_of_handler {
                return Err(refuse(
                    "supervision.by_superior",
                    format!(
                        "only a superior of the handling unit ({}) supervises",
                        now.handling_unit
                    ),
                ));
            }
        }
        Body::SendBack { .. } => {
            if !superior_of_handler {
                return Err(refuse(
                    "sendback.by_superior",
                    "only a superior of the handling unit sends a case back",
                ));
            }
            if now.status != Status::Replied {
                return Err(refuse(
                    "sendback.after_reply",
                    "only a replied case can be sent back for redoing",
                ));
            }
        }
        Body::Extension {
            days,
            reason,
            approved_by,
        } => {
            if !is_handler {
                return Err(refuse(
                    "extension.by_handler",
                    "the handling unit requests an extension",
                ));
            }
            if reason.trim().is_empty() || approved_by.trim().is_empty() {
                return Err(refuse(
                    "extension.approved",
                    "an extension needs a reason and who approved it",
                ));
            }
            if *days == 0 || now.extended_days + days > ctx.limits.max_extension_days {
                return Err(refuse(
                    "extension.max_30_days",
                    format!(
                        "extensions may add at most {} days in all ({} already)",
                        ctx.limits.max_extension_days, now.extended_days
                    ),
                ));
            }
        }
        Body::Reply { .. } => {
            if !is_handler {
                return Err(refuse("reply.by_handler", "the handling unit replies"));
            }
            if now.status == Status::Replied {
                return Err(refuse(
                    "reply.once",
                    "the petitioner has been replied to already (send back to redo)",
                ));
            }
            if !matches!(now.status, Status::Accepted | Status::Handling) {
                return Err(refuse(
                    "reply.after_acceptance",
                    format!("the case is {:?}", now.status),
                ));
            }
        }
        Body::Rating { .. } => {
            if !has_reply {
                return Err(refuse("rating.after_reply", "a rating follows a reply"));
            }
        }
        Body::Closure { .. } => {
            let mut with = records.to_vec();
            with.push(new.clone());
            let after = derive(h, &with, ctx, today);
            if after.status != Status::Closed {
                let list: Vec<&str> = after
                    .closure_blockers
                    .iter()
                    .map(|b| b.describe())
                    .collect();
                return Err(refuse(
                    "closure.five_conditions",
                    format!("cannot close: {}", list.join("; ")),
                ));
            }
        }
        Body::Archive => {
            if now.status != Status::Closed && now.status != Status::Reviewed {
                return Err(refuse(
                    "archive.after_closure",
                    "only a closed case is archived",
                ));
            }
        }
        Body::ReviewRequest { stage } => {
            let (needed, window) = match stage {
                Stage::Review => (replied_on(records), ctx.limits.review_request),
                Stage::ReReview => (
                    decided_on(records, Stage::Review),
                    ctx.limits.rereview_request,
                ),
            };
            let Some(from) = needed else {
                return Err(refuse(
                    "review.order",
                    match stage {
                        Stage::Review => "review follows a written reply",
                        Stage::ReReview => "re-review follows a review decision",
                    },
                ));
            };
            if records
                .iter()
                .any(|r| matches!(&r.body, Body::ReviewRequest { stage: s } if s == stage))
            {
                return Err(refuse("review.once", "this stage was requested already"));
            }
            let end = due_date(ctx.calendar, from, window.days, window.rule).date;
            if local_day(new.at) > end {
                return Err(refuse(
                    "review.window",
                    format!("the window to request ended on {end}"),
                ));
            }
        }
        Body::ReviewDecision { stage, .. } => {
            if !superior_of_handler {
                return Err(refuse(
                    "review.by_superior",
                    format!(
                        "a review is decided by a superior of the handling unit ({})",
                        now.handling_unit
                    ),
                ));
            }
            let open = matches!(
                (now.status, stage),
                (Status::UnderReview, Stage::Review) | (Status::UnderReReview, Stage::ReReview)
            );
            if !open {
                return Err(refuse(
                    "review.decision_requested",
                    "no such review request is open",
                ));
            }
        }
        Body::Ownership { duties, .. } if duties.is_empty() => {
            return Err(refuse(
                "ownership.five_duties",
                "leader ownership comes with its duties (五包); none were named",
            ));
        }
        Body::Ownership { leader, .. } | Body::LeaderApproval { leader, .. } => {
            if leader.trim().is_empty() {
                return Err(refuse("leader.named", "name the leader"));
            }
        }
        Body::ContactKey { cert_pem } => {
            if !is_handler || new.unit == h.registered_by {
                return Err(refuse(
                    "contact.key_by_handler",
                    "only a handling unit other than the registering one publishes a contact key",
                ));
            }
            if cert_pem.len() > 8192 || !cert_pem.contains("BEGIN CERTIFICATE") {
                return Err(refuse(
                    "contact.key_certificate",
                    "a contact key is one PEM certificate",
                ));
            }
        }
        Body::SealedContact { for_unit, .. } => {
            if new.unit != h.registered_by {
                return Err(refuse(
                    "contact.sealed_by_registrar",
                    "only the registering unit holds the phone to seal",
                ));
            }
            let asked = records
                .iter()
                .any(|r| &r.unit == for_unit && matches!(r.body, Body::ContactKey { .. }));
            if !asked {
                return Err(refuse(
                    "contact.sealed_for_key",
                    format!("{for_unit} published no contact key"),
                ));
            }
        }
        Body::Progress { text } | Body::ReturnVisit { text } => {
            if text.trim().is_empty() {
                return Err(refuse("text.not_empty", "the text must not be empty"));
            }
        }
    }
    Ok(())
}

fn replied_on(records: &[Record]) -> Option<NaiveDate> {
    ordered(records)
        .iter()
        .rev()
        .find(|r| matches!(r.body, Body::Reply { .. }))
        .map(|r| local_day(r.at))
}

fn decided_on(records: &[Record], stage: Stage) -> Option<NaiveDate> {
    ordered(records)
        .iter()
        .rev()
        .find(|r| matches!(&r.body, Body::ReviewDecision { stage: s, .. } if *s == stage))
        .map(|r| local_day(r.at))
}

#[cfg(test)]
pub(crate) mod tests {
    use chrono::TimeZone;
    use proptest::prelude::*;
    use xinfang_hub::{Tier, Unit};

    use super::*;

    pub(crate) const CITY: &str = "441500";
    pub(crate) const COUNTY: &str = "441521";
    pub(crate) const TOWN_A: &str = "441521115000";
    pub(crate) const TOWN_B: &str = "441521101000";
    pub(crate) const COMM_A: &str = "441521115001";

    pub(crate) fn u(s: &str) -> UnitCode {
        s.parse().unwrap()
    }

    /// City → county → towns A and B, a community under A.
    pub(crate) fn topo() -> Topology {
        let unit = |c: &str, tier, p: Option<&str>| Unit {
            code: u(c),
            name: c.into(),
            tier,
            parent: p.map(u),
            listen: "127.0.0.1:1".into(),
            api: None,
            attributes: Default::default(),
        };
        Topology::from_units(vec![
            unit(CITY, Tier::City, None),
            unit(COUNTY, Tier::County, Some(CITY)),
            unit(TOWN_A, Tier::Township, Some(COUNTY)),
            unit(TOWN_B, Tier::Township, Some(COUNTY)),
            unit(COMM_A, Tier::Community, Some(TOWN_A)),
        ])
        .unwrap()
    }

    pub(crate) struct World {
        pub(crate) topo: Topology,
        cal: HolidayCalendar,
        limits: TimeLimits,
    }

    impl World {
        pub(crate) fn new() -> World {
            World {
                topo: topo(),
                cal: HolidayCalendar::official().unwrap(),
                limits: TimeLimits::default(),
            }
        }
        pub(crate) fn ctx(&self) -> Context<'_> {
            Context {
                topology: &self.topo,
                calendar: &self.cal,
                limits: &self.limits,
            }
        }
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn rec(id: &str, unit: &str, at: &str, body: Body) -> Record {
        let d = day(at);
        Record {
            id: id.into(),
            unit: u(unit),
            at: Utc.from_utc_datetime(&d.and_hms_opt(9, 0, 0).unwrap()),
            body,
            by: None,
        }
    }

    fn header() -> Header {
        Header {
            registered_by: u(COMM_A),
            received: day("2026-03-02"),
            skip_level_of: None,
        }
    }

    /// Admits and appends, failing the test with the refusal if refused.
    fn step(w: &World, recs: &mut Vec<Record>, r: Record) {
        let today = local_day(r.at);
        if let Err(e) = admit(&header(), recs, &r, &w.ctx(), today) {
            panic!("{} refused: {e}", r.id);
        }
        recs.push(r);
    }

    fn accepted(w: &World) -> Vec<Record> {
        let mut v = Vec::new();
        step(
            w,
            &mut v,
            rec(
                "s1",
                COMM_A,
                "2026-03-02",
                Body::Screening {
                    decision: Screening::Accept,
                },
            ),
        );
        v
    }

    fn closable(w: &World) -> Vec<Record> {
        let mut v = accepted(w);
        step(
            w,
            &mut v,
            rec(
                "o1",
                COMM_A,
                "2026-03-03",
                Body::Ownership {
                    leader: "李书记".into(),
                    duties: Duty::all(),
                },
            ),
        );
        step(
            w,
            &mut v,
            rec(
                "r1",
                COMM_A,
                "2026-03-10",
                Body::Reply {
                    opinion: Opinion::Support,
                    text: "已修复".into(),
                },
            ),
        );
        step(
            w,
            &mut v,
            rec(
                "e1",
                COMM_A,
                "2026-03-11",
                Body::Rating {
                    acceptance: Satisfaction::Satisfied,
                    handling: Satisfaction::Satisfied,
                },
            ),
        );
        step(
            w,
            &mut v,
            rec(
                "a1",
                COMM_A,
                "2026-03-12",
                Body::LeaderApproval {
                    leader: "李书记".into(),
                    opinion: "同意结案".into(),
                },
            ),
        );
        v
    }

    fn close(facts: bool, in_place: bool, file: bool) -> Record {
        rec(
            "c1",
            COMM_A,
            "2026-03-13",
            Body::Closure {
                facts_clear: facts,
                handled_in_place: in_place,
                file_complete: file,
            },
        )
    }

    #[test]
    fn a_full_closable_path_closes_and_archives() {
        let w = World::new();
        let mut v = closable(&w);
        step(&w, &mut v, close(true, true, true));
        let d = derive(&header(), &v, &w.ctx(), day("2026-03-13"));
        assert_eq!(d.status, Status::Closed);
        assert!(d.closure_blockers.is_empty());
        step(&w, &mut v, rec("z1", COMM_A, "2026-03-14", Body::Archive));
        assert_eq!(
            derive(&header(), &v, &w.ctx(), day("2026-03-14")).status,
            Status::Archived
        );
    }

    #[test]
    fn each_of_the_five_conditions_blocks_closing_on_its_own() {
        let w = World::new();
        let today = day("2026-03-13");
        let full = closable(&w);
        let cases: Vec<(Vec<Record>, Record, ClosureBlocker)> = vec![
            (
                full.clone(),
                close(false, true, true),
                ClosureBlocker::FactsUnclear,
            ),
            (
                full.clone(),
                close(true, false, true),
                ClosureBlocker::NotHandledInPlace,
            ),
            (
                full.iter().filter(|r| r.id != "a1").cloned().collect(),
                close(true, true, true),
                ClosureBlocker::NoLeaderApproval,
            ),
            (
                full.iter().filter(|r| r.id != "e1").cloned().collect(),
                close(true, true, true),
                ClosureBlocker::NoPetitionerOpinion,
            ),
            (
                full.clone(),
                close(true, true, false),
                ClosureBlocker::FileIncomplete,
            ),
        ];
        for (recs, closing, blocker) in cases {
            let e = admit(&header(), &recs, &closing, &w.ctx(), today).unwrap_err();
            assert_eq!(e.rule, "closure.five_conditions");
            assert!(e.message.contains(blocker.describe()), "{blocker:?}: {e}");
            // Exactly that one condition fails.
            let mut with = recs.clone();
            with.push(closing.clone());
            assert_eq!(
                derive(&header(), &with, &w.ctx(), today).closure_blockers,
                vec![blocker]
            );
        }
        // Closing an unscreened case is refused too (its file is incomplete).
        let e = admit(&header(), &[], &close(true, true, true), &w.ctx(), today).unwrap_err();
        assert!(
            e.message
                .contains(ClosureBlocker::FileIncomplete.describe())
        );
    }

    #[test]
    fn routing_sideways_and_back_up() {
        let w = World::new();
        let mut v = accepted(&w);
        // The community cannot assign to a sibling branch; it forwards to its town.
        let bad = rec(
            "x",
            COMM_A,
            "2026-03-03",
            Body::Assign {
                to: u(TOWN_B),
                due: day("2026-03-20"),
            },
        );
        assert_eq!(
            admit(&header(), &v, &bad, &w.ctx(), day("2026-03-03"))
                .unwrap_err()
                .rule,
            "assign.downwards"
        );
        step(
            &w,
            &mut v,
            rec(
                "f1",
                COMM_A,
                "2026-03-03",
                Body::Forward {
                    to: u(TOWN_A),
                    due: day("2026-03-20"),
                },
            ),
        );
        step(
            &w,
            &mut v,
            rec(
                "s2",
                TOWN_A,
                "2026-03-04",
                Body::Screening {
                    decision: Screening::Accept,
                },
            ),
        );
        step(
            &w,
            &mut v,
            rec(
                "f2",
                TOWN_A,
                "2026-03-05",
                Body::Forward {
                    to: u(TOWN_B),
                    due: day("2026-03-25"),
                },
            ),
        );
        let d = derive(&header(), &v, &w.ctx(), day("2026-03-05"));
        assert_eq!(d.handling_unit, u(TOWN_B));
        assert_eq!(d.status, Status::Routed);
        assert_eq!(d.involved, [u(COMM_A), u(TOWN_A), u(TOWN_B)].into());
        // Town B objects within 5 working days: the case returns to town A.
        step(
            &w,
            &mut v,
            rec(
                "ob",
                TOWN_B,
                "2026-03-09",
                Body::Objection {
                    reason: "不属本镇管辖".into(),
                },
            ),
        );
        let d = derive(&header(), &v, &w.ctx(), day("2026-03-09"));
        assert_eq!(d.handling_unit, u(TOWN_A));
        // A forward to a unit the topology does not know is refused.
        let e = admit(
            &header(),
            &v,
            &rec(
                "f3",
                TOWN_A,
                "2026-03-10",
                Body::Forward {
                    to: u("441599"),
                    due: day("2026-03-30"),
                },
            ),
            &w.ctx(),
            day("2026-03-10"),
        )
        .unwrap_err();
        assert_eq!(e.rule, "unit.known");
        // A due date in the past is refused.
        let e = admit(
            &header(),
            &v,
            &rec(
                "f4",
                TOWN_A,
                "2026-03-10",
                Body::Forward {
                    to: u(COUNTY),
                    due: day("2026-03-01"),
                },
            ),
            &w.ctx(),
            day("2026-03-10"),
        )
        .unwrap_err();
        assert_eq!(e.rule, "due.not_in_past");
    }

    #[test]
    fn only_the_lowest_common_superior_decides_the_lead_and_the_superior_wins() {
        let w = World::new();
        let mut v = accepted(&w);
        step(
            &w,
            &mut v,
            rec(
                "f1",
                COMM_A,
                "2026-03-03",
                Body::Forward {
                    to: u(TOWN_B),
                    due: day("2026-03-20"),
                },
            ),
        );
        // Involved: the community (under town A) and town B: their common superior is the county.
        let by_town = rec(
            "l0",
            TOWN_A,
            "2026-03-04",
            Body::LeadDecision { lead: u(TOWN_B) },
        );
        assert_eq!(
            admit(&header(), &v, &by_town, &w.ctx(), day("2026-03-04"))
                .unwrap_err()
                .rule,
            "lead.common_superior"
        );
        step(
            &w,
            &mut v,
            rec(
                "l1",
                COUNTY,
                "2026-03-04",
                Body::LeadDecision { lead: u(TOWN_B) },
            ),
        );
        // A later, lower decision that arrived by replication does not override the county's.
        v.push(rec(
            "l2",
            TOWN_A,
            "2026-03-05",
            Body::LeadDecision { lead: u(COMM_A) },
        ));
        assert_eq!(
            derive(&header(), &v, &w.ctx(), day("2026-03-05")).lead_unit,
            Some(u(TOWN_B))
        );
        // Two valid decisions at different levels: the superior's wins, whichever came later.
        v.push(rec(
            "l3",
            CITY,
            "2026-03-04",
            Body::LeadDecision { lead: u(COMM_A) },
        ));
        v.push(rec(
            "l4",
            COUNTY,
            "2026-03-06",
            Body::LeadDecision { lead: u(TOWN_B) },
        ));
        assert_eq!(
            derive(&header(), &v, &w.ctx(), day("2026-03-06")).lead_unit,
            Some(u(COMM_A))
        );
    }

    #[test]
    fn replies_extensions_supervision_and_review() {
        let w = World::new();
        let mut v = accepted(&w);
        // Supervision only from a superior of the handling unit.
        let own = rec(
            "sv0",
            COMM_A,
            "2026-03-03",
            Body::Supervision {
                method: Supervision::Phone,
                due: day("2026-03-10"),
                demand: "尽快".into(),
            },
        );
        assert_eq!(
            admit(&header(), &v, &own, &w.ctx(), day("2026-03-03"))
                .unwrap_err()
                .rule,
            "supervision.by_superior"
        );
        step(
            &w,
            &mut v,
            rec(
                "sv1",
                CITY,
                "2026-03-03",
                Body::Supervision {
                    method: Supervision::Listed,
                    due: day("2026-03-10"),
                    demand: "挂牌督办".into(),
                },
            ),
        );
        let d = derive(&header(), &v, &w.ctx(), day("2026-03-11"));
        assert!(
            d.deadlines
                .iter()
                .any(|x| x.kind == DeadlineKind::Supervision && x.overdue)
        );
        step(
            &w,
            &mut v,
            rec(
                "x1",
                COMM_A,
                "2026-03-04",
                Body::Extension {
                    days: 20,
                    reason: "需鉴定".into(),
                    approved_by: "李书记".into(),
                },
            ),
        );
        let e = admit(
            &header(),
            &v,
            &rec(
                "x2",
                COMM_A,
                "2026-03-05",
                Body::Extension {
                    days: 11,
                    reason: "再延".into(),
                    approved_by: "李书记".into(),
                },
            ),
            &w.ctx(),
            day("2026-03-05"),
        )
        .unwrap_err();
        assert_eq!(e.rule, "extension.max_30_days");
        step(
            &w,
            &mut v,
            rec(
                "r1",
                COMM_A,
                "2026-03-12",
                Body::Reply {
                    opinion: Opinion::Explain,
                    text: "解释".into(),
                },
            ),
        );
        let twice = rec(
            "r2",
            COMM_A,
            "2026-03-13",
            Body::Reply {
                opinion: Opinion::Explain,
                text: "再答".into(),
            },
        );
        assert_eq!(
            admit(&header(), &v, &twice, &w.ctx(), day("2026-03-13"))
                .unwrap_err()
                .rule,
            "reply.once"
        );
        // Sent back by a superior, the unit replies again.
        step(
            &w,
            &mut v,
            rec(
                "sb",
                TOWN_A,
                "2026-03-13",
                Body::SendBack {
                    reason: "答复不充分".into(),
                },
            ),
        );
        step(&w, &mut v, twice);
        // Review within 30 days of the reply, then re-review, then nothing more.
        step(
            &w,
            &mut v,
            rec(
                "rv",
                COMM_A,
                "2026-04-01",
                Body::ReviewRequest {
                    stage: Stage::Review,
                },
            ),
        );
        assert_eq!(
            derive(&header(), &v, &w.ctx(), day("2026-04-01")).status,
            Status::UnderReview
        );
        step(
            &w,
            &mut v,
            rec(
                "rd",
                TOWN_A,
                "2026-04-20",
                Body::ReviewDecision {
                    stage: Stage::Review,
                    opinion: Opinion::Explain,
                    text: "维持".into(),
                },
            ),
        );
        step(
            &w,
            &mut v,
            rec(
                "rr",
                COMM_A,
                "2026-05-06",
                Body::ReviewRequest {
                    stage: Stage::ReReview,
                },
            ),
        );
        step(
            &w,
            &mut v,
            rec(
                "rrd",
                COUNTY,
                "2026-05-20",
                Body::ReviewDecision {
                    stage: Stage::ReReview,
                    opinion: Opinion::Explain,
                    text: "维持".into(),
                },
            ),
        );
        assert_eq!(
            derive(&header(), &v, &w.ctx(), day("2026-05-20")).status,
            Status::Final
        );
        let again = rec(
            "n",
            COMM_A,
            "2026-05-21",
            Body::Progress {
                text: "再次反映".into(),
            },
        );
        assert_eq!(
            admit(&header(), &v, &again, &w.ctx(), day("2026-05-21"))
                .unwrap_err()
                .rule,
            "review.final"
        );
    }

    #[test]
    fn a_late_review_request_is_refused() {
        let w = World::new();
        let mut v = accepted(&w);
        step(
            &w,
            &mut v,
            rec(
                "r1",
                COMM_A,
                "2026-03-10",
                Body::Reply {
                    opinion: Opinion::NotSupport,
                    text: "不支持".into(),
                },
            ),
        );
        // 30 days from 2026-03-10 end on 2026-04-09 (a Thursday).
        let late = rec(
            "rv",
            COMM_A,
            "2026-04-10",
            Body::ReviewRequest {
                stage: Stage::Review,
            },
        );
        let e = admit(&header(), &v, &late, &w.ctx(), day("2026-04-10")).unwrap_err();
        assert_eq!(e.rule, "review.window");
        assert!(e.message.contains("2026-04-09"), "{e}");
    }

    #[test]
    fn deadlines_follow_the_calendar_and_become_overdue_with_time_alone() {
        let w = World::new();
        // Received on 2026-09-20: 15 days end on 2026-10-05 (National Day), so the
        // routing deadline rolls to the first working day after the holiday, 10-08.
        let h = Header {
            registered_by: u(COMM_A),
            received: day("2026-09-20"),
            skip_level_of: None,
        };
        let d = derive(&h, &[], &w.ctx(), day("2026-10-08"));
        let route = d.next_deadline.clone().unwrap();
        assert_eq!(
            (route.kind, route.due, route.overdue),
            (DeadlineKind::Route, day("2026-10-08"), false)
        );
        let later = derive(&h, &[], &w.ctx(), day("2026-10-09"));
        assert!(later.overdue && later.next_deadline.unwrap().overdue);
        // Late in 2026, the 60-day handling limit reaches into 2027, which has no data.
        let h2 = Header {
            registered_by: u(COMM_A),
            received: day("2026-12-01"),
            skip_level_of: None,
        };
        let acc = vec![rec(
            "s1",
            COMM_A,
            "2026-12-01",
            Body::Screening {
                decision: Screening::Accept,
            },
        )];
        let d = derive(&h2, &acc, &w.ctx(), day("2026-12-01"));
        assert_eq!(d.missing_years, vec![MissingYear { year: 2027 }]);
    }

    #[test]
    fn ownership_carries_the_five_duties() {
        let w = World::new();
        let v = accepted(&w);
        // Written without duties (as older clients do), all five are implied.
        let body: Body = serde_json::from_str(r#"{"kind":"ownership","leader":"李书记"}"#).unwrap();
        assert_eq!(
            body,
            Body::Ownership {
                leader: "李书记".into(),
                duties: Duty::all()
            }
        );
        let none = rec(
            "o",
            COMM_A,
            "2026-03-03",
            Body::Ownership {
                leader: "李书记".into(),
                duties: vec![],
            },
        );
        let e = admit(&header(), &v, &none, &w.ctx(), day("2026-03-03")).unwrap_err();
        assert_eq!(e.rule, "ownership.five_duties");
    }

    #[test]
    fn terminal_screenings_stop_tracking() {
        let w = World::new();
        let mut v = Vec::new();
        step(
            &w,
            &mut v,
            rec(
                "s1",
                COMM_A,
                "2026-03-02",
                Body::Screening {
                    decision: Screening::Discipline {
                        notice: "已转纪检监察机关".into(),
                    },
                },
            ),
        );
        assert_eq!(
            derive(&header(), &v, &w.ctx(), day("2026-03-02")).status,
            Status::ToDiscipline
        );
        let e = admit(
            &header(),
            &v,
            &rec(
                "p",
                COMM_A,
                "2026-03-03",
                Body::Progress { text: "x".into() },
            ),
            &w.ctx(),
            day("2026-03-03"),
        )
        .unwrap_err();
        assert_eq!(e.rule, "case.tracking_ended");
    }

    /// A pool of records covering every kind, in a plausible story.
    fn story() -> Vec<Record> {
        vec![
            rec(
                "s1",
                COMM_A,
                "2026-03-02",
                Body::Screening {
                    decision: Screening::Accept,
                },
            ),
            rec(
                "f1",
                COMM_A,
                "2026-03-03",
                Body::Forward {
                    to: u(TOWN_A),
                    due: day("2026-03-20"),
                },
            ),
            rec(
                "s2",
                TOWN_A,
                "2026-03-04",
                Body::Screening {
                    decision: Screening::Accept,
                },
            ),
            rec(
                "o1",
                TOWN_A,
                "2026-03-04",
                Body::Ownership {
                    leader: "王镇长".into(),
                    duties: Duty::all(),
                },
            ),
            rec(
                "p1",
                TOWN_A,
                "2026-03-05",
                Body::Progress {
                    text: "走访".into(),
                },
            ),
            rec(
                "sv",
                COUNTY,
                "2026-03-05",
                Body::Supervision {
                    method: Supervision::Letter,
                    due: day("2026-03-15"),
                    demand: "督办".into(),
                },
            ),
            rec(
                "l1",
                COUNTY,
                "2026-03-06",
                Body::LeadDecision { lead: u(TOWN_A) },
            ),
            rec(
                "x1",
                TOWN_A,
                "2026-03-06",
                Body::Extension {
                    days: 10,
                    reason: "鉴定".into(),
                    approved_by: "王镇长".into(),
                },
            ),
            rec(
                "r1",
                TOWN_A,
                "2026-03-10",
                Body::Reply {
                    opinion: Opinion::Support,
                    text: "解决".into(),
                },
            ),
            rec(
                "e1",
                TOWN_A,
                "2026-03-11",
                Body::Rating {
                    acceptance: Satisfaction::Satisfied,
                    handling: Satisfaction::Basic,
                },
            ),
            rec(
                "a1",
                TOWN_A,
                "2026-03-12",
                Body::LeaderApproval {
                    leader: "王镇长".into(),
                    opinion: "同意".into(),
                },
            ),
            rec(
                "c1",
                TOWN_A,
                "2026-03-13",
                Body::Closure {
                    facts_clear: true,
                    handled_in_place: true,
                    file_complete: true,
                },
            ),
            rec(
                "v1",
                TOWN_A,
                "2026-03-20",
                Body::ReturnVisit {
                    text: "回访满意".into(),
                },
            ),
        ]
    }

    proptest! {
        /// The derived case is a function of the *set* of records: any arrival order,
        /// any duplication, gives the same result.
        #[test]
        fn derivation_ignores_arrival_order(
            subset in proptest::collection::vec(any::<bool>(), 13),
            order in Just(()).prop_perturb(|_, mut rng| {
                let mut idx: Vec<usize> = (0..13).collect();
                for i in (1..idx.len()).rev() {
                    idx.swap(i, (rng.next_u32() as usize) % (i + 1));
                }
                idx
            }),
            dup in 0usize..13,
        ) {
            let w = World::new();
            let all = story();
            let chosen: Vec<Record> = all.iter().zip(&subset).filter(|(_, k)| **k).map(|(r, _)| r.clone()).collect();
            let mut shuffled: Vec<Record> = order.iter().filter_map(|&i| chosen.get(i % chosen.len().max(1)).cloned()).collect();
            shuffled.extend(chosen.iter().cloned());
            if let Some(d) = chosen.get(dup % chosen.len().max(1)) {
                shuffled.push(d.clone());
            }
            let today = day("2026-03-25");
            prop_assert_eq!(derive(&header(), &chosen, &w.ctx(), today), derive(&header(), &shuffled, &w.ctx(), today));
        }
    }
}
