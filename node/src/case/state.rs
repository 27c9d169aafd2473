//! What the case *is* — its status, who handles it, the lead unit, its next
//! deadline, what blocks closing it — [`derive`]d from the set of records by a
//! pure function. Records are taken in `(at, id)` order, so every replica that
//! holds the same records derives the same case, whatever order they arrived in.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use xinfang_hub::{Topology, UnitCode};

use super::record::{Body, Record, Screening, Stage};
use crate::rules::calendar::{HolidayCalendar, MissingYear, due_date};
use crate::rules::higher_visits::HigherVisitPolicies;
use crate::rules::limits::{ClosureScope, Limit, TimeLimits};

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

impl Status {
    /// The status as its stable snake_case code (as in JSON and the query tables).
    pub fn code(self) -> &'static str {
        match self {
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
    /// A major or urgent matter gets an owning leader (落实领导包案).
    MajorOwnership,
}

impl DeadlineKind {
    /// The stable code (as in JSON).
    pub fn code(self) -> &'static str {
        match self {
            DeadlineKind::Route => "route",
            DeadlineKind::Object => "object",
            DeadlineKind::Notify => "notify",
            DeadlineKind::Handle => "handle",
            DeadlineKind::Supervision => "supervision",
            DeadlineKind::ReviewAnswer => "review_answer",
            DeadlineKind::MajorOwnership => "major_ownership",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Deadline {
    pub kind: DeadlineKind,
    /// The unit that must act.
    pub unit: UnitCode,
    pub due: NaiveDate,
    pub overdue: bool,
}

/// A case flagged major or urgent (重大、紧急信访事项).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MajorFlag {
    pub since: NaiveDate,
    pub urgent: bool,
    pub reason: String,
}

/// What every case has from its registration.
#[derive(Debug, Clone)]
pub struct Header {
    pub registered_by: UnitCode,
    pub received: NaiveDate,
    /// Set when the registration skipped over a lower unit still handling the
    /// same matter: then it is not accepted here (Reg-2022 art. 19 ¶3).
    pub skip_level_of: Option<String>,
    /// A leader received the petitioner (the registration names the receiving
    /// leader, 领导接访): the five closure conditions may bind only such cases.
    pub received_by_leader: bool,
}

/// The context rules need: the federation, the calendar, the time limits.
pub struct Context<'a> {
    pub topology: &'a Topology,
    pub calendar: &'a HolidayCalendar,
    pub limits: &'a TimeLimits,
    /// Each unit's rules for visits to higher authorities.
    pub higher_visits: &'a HigherVisitPolicies,
}

/// A superior's supervision demand (督办) the handling unit has not answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpenSupervision {
    /// The unit that demanded it.
    pub by: UnitCode,
    pub due: NaiveDate,
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
    /// Who decides the open review request: the superior of the organ that issued
    /// the handling opinion (复查, Reg-2022 art. 35) or of the organ that decided
    /// the review (复核, art. 36); for an organ at the federation's root, the root
    /// itself, recording its outside superior's decision. `None`: none open.
    pub review_decider: Option<UnitCode>,
    /// The organ whose decision the open request is against (its superior decides).
    pub review_of: Option<UnitCode>,
    /// The unit that routed the case to the handling unit (it verifies objections).
    pub routed_by: Option<UnitCode>,
    /// Flagged a major (or, `urgent`, an urgent) matter: the first flag's day and
    /// whether any flag said urgent.
    pub major: Option<MajorFlag>,
    /// An objection by the handling unit awaits the sending office's verification.
    pub objection_open: bool,
    /// The handling unit has issued the written notice owed since it received the
    /// case (告知, art. 23).
    pub notified: bool,
    /// The open case below this one skipped over (越级访): found at registration,
    /// or a candidate the registrar confirmed.
    pub skip_level_of: Option<String>,
    /// Visits to higher authorities recorded on the case (赴省进京上访).
    pub higher_visits: u32,
    /// Whose principal leader must own the case, by the handling unit's rules for
    /// such visits, and whether one has.
    pub principal_owner: Option<PrincipalOwner>,
    /// The case's bookings onto leaders' reception days, with their outcome and
    /// supervision form (`reception`).
    pub receptions: Vec<super::reception::Reception>,
    /// The owned-case libraries that list the case (`library`).
    pub library: Vec<super::library::Listing>,
    /// Supervision demands on the handling unit not yet answered by its progress
    /// note or reply, earliest due first.
    pub supervisions: Vec<OpenSupervision>,
    pub missing_years: Vec<MissingYear>,
}

/// The unit whose principal leader (主要领导) must receive and own a case taken
/// to higher authorities, and whether such an ownership is on file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PrincipalOwner {
    pub unit: UnitCode,
    /// The repeats escalated it to the level above the handling unit.
    pub escalated: bool,
    pub owned: bool,
}

/// Whose principal leader must own a case `handling` holds after `visits` visits
/// to higher authorities, by `handling`'s rules: its own, or from the configured
/// repeats on the level above's (seed 001, text 5). None: nothing required.
fn principal_owner(
    ctx: &Context<'_>,
    handling: &UnitCode,
    visits: u32,
    principal_ownerships: &[UnitCode],
) -> Option<PrincipalOwner> {
    let rules = ctx.higher_visits.of(handling);
    if visits == 0 || !rules.principal_owns {
        return None;
    }
    let repeats = visits - 1;
    let above = ctx.topology.unit(handling).and_then(|u| u.parent.clone());
    let (unit, escalated) = match above {
        Some(up) if rules.escalate_at_repeats > 0 && repeats >= rules.escalate_at_repeats => {
            (up, true)
        }
        _ => (handling.clone(), false),
    };
    Some(PrincipalOwner {
        owned: principal_ownerships.contains(&unit),
        unit,
        escalated,
    })
}

pub use super::record::local_day;

/// Records in the order every replica agrees on.
/// `record` dated no earlier than just after every record its author has seen
/// (`seen`): records are ordered by their time, so a unit whose clock is behind
/// would otherwise date its answer before what it answers (an acceptance before
/// the forward it accepts, which then counts for nothing). A hybrid logical clock
/// in its simplest form: the wall clock, moved past what was seen.
pub fn after_seen(mut record: Record, seen: &[Record]) -> Record {
    if let Some(latest) = seen.iter().map(|r| r.at).max()
        && record.at <= latest
    {
        record.at = latest + chrono::Duration::milliseconds(1);
    }
    record
}

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
    // (the unit it binds, due, who demanded it)
    let mut open_supervisions: Vec<(UnitCode, NaiveDate, UnitCode)> = Vec::new();
    let mut review_requested: Option<NaiveDate> = None;
    // Who issued the handling opinion, and who decided the review.
    let mut opinion_by: Option<UnitCode> = None;
    let mut objection_open = false;
    let mut major: Option<MajorFlag> = None;
    let mut visits = 0u32;
    let mut skip_level_of = h.skip_level_of.clone();
    // Units whose principal leader owns the case (包案 by a 主要领导).
    let mut principal_ownerships: Vec<UnitCode> = Vec::new();
    // The written notice by the unit handling now (reset by every routing).
    let mut notified = false;
    // The leader each approval names: it counts when it is the owner's (五不结案).
    let mut approvals: Vec<String> = Vec::new();
    let mut reviewed_by: Option<UnitCode> = None;
    let mut last_closure: Option<(bool, bool, bool)> = None;
    let mut screened = false;
    for r in &recs {
        let day = local_day(r.at);
        // A forward, an assignment, or a leader's 交办 on a reception day.
        if let Some(to) = r.body.routes_to() {
            involved.insert(to.clone());
            routed_by = Some((r.unit.clone(), day));
            handling = to.clone();
            objection_open = false;
            notified = false;
            accepted_at = None;
            replied_at = None;
            open_supervisions.clear();
            status = Status::Routed;
            continue;
        }
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
            // Moved the case: handled above.
            Body::Forward { .. } | Body::Assign { .. } => {}
            // The objection alone moves nothing: until the sender verifies and
            // agrees, the receiving unit stays responsible (art. 23).
            Body::Objection { .. } => {
                if r.unit == handling && routed_by.is_some() {
                    objection_open = true;
                }
            }
            Body::ObjectionDecision { agree, .. } => {
                let by_sender = routed_by.as_ref().is_some_and(|(u, _)| u == &r.unit);
                if objection_open && by_sender {
                    objection_open = false;
                    if *agree && let Some((from, _)) = routed_by.take() {
                        handling = from;
                        notified = false;
                        status = Status::Accepted;
                    }
                }
            }
            Body::Notice { issued, .. } => {
                // A free-text notice, or a printed one that says whether the
                // petition is accepted or where it went (an extension notice
                // does not).
                let tells = issued
                    .as_ref()
                    .is_none_or(|i| i.notice.kind.notifies_acceptance());
                if r.unit == handling && tells {
                    notified = true;
                }
            }
            Body::NoOpinion { .. } => rated = true,
            Body::Major { urgent, reason } => match &mut major {
                Some(m) => m.urgent |= *urgent,
                None => {
                    major = Some(MajorFlag {
                        since: day,
                        urgent: *urgent,
                        reason: reason.clone(),
                    })
                }
            },
            Body::Ownership {
                leader, principal, ..
            } => {
                owner = Some(leader.clone());
                if *principal {
                    principal_ownerships.push(r.unit.clone());
                }
            }
            Body::HigherVisit { .. } => visits += 1,
            Body::SkipLevelLink { of } => {
                skip_level_of.get_or_insert_with(|| of.clone());
            }
            Body::Progress { .. } => {
                if r.unit == handling {
                    open_supervisions.retain(|(_, due, _)| *due < day);
                    if matches!(status, Status::Accepted | Status::Routed) {
                        status = Status::Handling;
                    }
                }
            }
            Body::Supervision { due, .. } => {
                open_supervisions.push((handling.clone(), *due, r.unit.clone()))
            }
            Body::SendBack { .. } => {
                replied_at = None;
                rated = false;
                status = Status::Handling;
            }
            Body::Extension { days, .. } => extended += days,
            Body::Reply { .. } => {
                if r.unit == handling {
                    replied_at = Some(day);
                    opinion_by = Some(r.unit.clone());
                    open_supervisions.clear();
                    status = Status::Replied;
                }
            }
            Body::Rating { .. } => rated = true,
            Body::LeaderApproval { leader, .. } => approvals.push(leader.clone()),
            Body::Closure {
                facts_clear,
                handled_in_place,
                file_complete,
            } => {
                last_closure = Some((*facts_clear, *handled_in_place, *file_complete));
                approved = approved_by_owner(&approvals, owner.as_deref());
                // A case taken to higher authorities closes only once the
                // principal leader the rules name owns it.
                let principal_met = principal_owner(ctx, &handling, visits, &principal_ownerships)
                    .is_none_or(|p| p.owned);
                if principal_met
                    && blockers(
                        bound(h, owner.is_some(), ctx),
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
                if *stage == Stage::Review {
                    reviewed_by = Some(r.unit.clone());
                }
                status = match stage {
                    Stage::Review => Status::Reviewed,
                    Stage::ReReview => Status::Final,
                };
            }
            // The receptions and the library are folded apart
            // (`reception::fold`, `library::fold`); an outcome that assigns
            // moved the case above.
            Body::LeadDecision { .. }
            | Body::LibraryEntry { .. }
            | Body::OwnershipProposal { .. }
            | Body::SamePetitioner { .. }
            | Body::ReturnVisit { .. }
            | Body::Booking { .. }
            | Body::ReceptionOutcome { .. }
            | Body::SupervisionForm { .. }
            | Body::FormAck { .. }
            | Body::ContactKey { .. }
            | Body::SealedContact { .. }
            | Body::Delivery { .. } => {}
        }
    }
    if status != Status::Closed && status != Status::Archived {
        approved = approved_by_owner(&approvals, owner.as_deref());
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
        Status::Routed if !objection_open => {
            if let Some((_, on)) = &routed_by {
                add(DeadlineKind::Object, &handling, *on, ctx.limits.object, 0);
            }
        }
        _ => {}
    }
    // Every petition the unit holds is owed a written notice within 15 days of
    // its receipt there (art. 23), handled in place or routed; only an issued
    // notice record meets it (a not-accepted screening carries its own notice).
    if !notified
        && matches!(
            status,
            Status::Registered | Status::Accepted | Status::Routed | Status::Handling
        )
    {
        let from = routed_by.as_ref().map_or(h.received, |(_, d)| *d);
        add(DeadlineKind::Notify, &handling, from, ctx.limits.notify, 0);
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
    // The opinion a request is against: the review decision for a re-review, the
    // written reply for a review (before any reply: the unit that owes it).
    let review_of = match status {
        Status::UnderReview => Some(opinion_by.unwrap_or_else(|| handling.clone())),
        Status::UnderReReview => reviewed_by.or_else(|| Some(handling.clone())),
        _ => None,
    };
    // The root's superior (a province, say) is outside the federation: the root
    // records that superior's decision, since no node of ours speaks for it.
    let review_decider = review_of.as_ref().and_then(|o| {
        ctx.topology
            .parent(o)
            .cloned()
            .or_else(|| (o == ctx.topology.root()).then(|| o.clone()))
    });
    if let Some(on) = review_requested {
        let limit = if status == Status::UnderReReview {
            ctx.limits.rereview_answer
        } else {
            ctx.limits.review_answer
        };
        // Charged to the reviewing unit: it owes the answer, not the unit below.
        let to = review_decider.as_ref().unwrap_or(&handling);
        add(DeadlineKind::ReviewAnswer, to, on, limit, 0);
    }
    // A major matter without an owning leader is overdue after the configured
    // days (seed 000: 重大信访事项…落实领导包案), charged to the unit handling it.
    if let Some(m) = &major
        && owner.is_none()
        && !status.is_terminal()
        && !matches!(status, Status::Closed | Status::Archived)
    {
        add(
            DeadlineKind::MajorOwnership,
            &handling,
            m.since,
            ctx.limits.major_ownership,
            0,
        );
    }
    for (unit, due, _) in &open_supervisions {
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
                bound(h, owner.is_some(), ctx),
                screened,
                replied_at.is_some(),
                rated,
                approved,
                last_closure,
            )
        },
        status,
        review_decider,
        review_of,
        routed_by: routed_by.map(|(u, _)| u),
        objection_open,
        notified,
        major,
        skip_level_of,
        higher_visits: visits,
        principal_owner: principal_owner(ctx, &handling, visits, &principal_ownerships),
        receptions: super::reception::fold(recs.iter().copied()),
        library: super::library::fold(recs.iter().copied()),
        supervisions: {
            let mut open: Vec<OpenSupervision> = open_supervisions
                .into_iter()
                .map(|(_, due, by)| OpenSupervision { by, due })
                .collect();
            open.sort_by(|a, b| (a.due, &a.by).cmp(&(b.due, &b.by)));
            open
        },
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

/// Whether the approvals hold the owning leader's: where the case is owned, only
/// the owner's approval counts (五不结案: 包案领导审批意见); unowned, any.
fn approved_by_owner(approvals: &[String], owner: Option<&str>) -> bool {
    match owner {
        Some(o) => approvals.iter().any(|a| a.trim() == o.trim()),
        None => !approvals.is_empty(),
    }
}

/// Whether the five closure conditions bind this case: every case, or where the
/// configuration says so, only cases a leader received or owns (seed 001).
fn bound(h: &Header, owned: bool, ctx: &Context<'_>) -> bool {
    match ctx.limits.closure_conditions {
        ClosureScope::All => true,
        ClosureScope::LeaderCases => h.received_by_leader || owned,
    }
}

/// Which closure conditions fail, given what the file holds. The closing record's
/// own attestations (facts, handling, file) count when `closure` is given. A case
/// the conditions do not bind needs only to have been screened and answered.
fn blockers(
    bound: bool,
    screened: bool,
    replied: bool,
    rated: bool,
    approved: bool,
    closure: Option<(bool, bool, bool)>,
) -> Vec<ClosureBlocker> {
    if !bound {
        return match screened && replied {
            true => Vec::new(),
            false => vec![ClosureBlocker::FileIncomplete],
        };
    }
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
