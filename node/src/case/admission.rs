//! Whether a new record may be written at all: the rules of Reg-2022 and the local
//! rules, each refusal naming the rule. [`may_write`] is the one rule of *who* may
//! write each kind of record; local writes ([`admit`]) and changes from peers
//! (`authorship`) both ask it.

use chrono::NaiveDate;
use xinfang_hub::{Topology, UnitCode};

use super::record::{Body, Record, Screening, Stage};
use super::registration::MAX_NOTE_CHARS;
use super::state::{Context, DeadlineKind, Derived, Header, Status, derive, local_day, ordered};
use crate::rules::calendar::due_date;

/// The most members a case's work group (工作专班) names.
const MAX_WORK_GROUP: usize = 30;

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

/// Who may write `r`'s kind of record, given the case `now` as its author saw it
/// (for a local write: the case as it stands); `Ok` when `r.unit` may. The one
/// home of this rule: [`admit`] asks it before a local write, and the authorship
/// check asks it of every record a peer sends.
pub fn may_write(
    topo: &Topology,
    registrar: &UnitCode,
    now: &Derived,
    r: &Record,
) -> Result<(), Refusal> {
    let author = &r.unit;
    let holder = &now.handling_unit;
    let is_holder = author == holder;
    let superior_of_holder = !is_holder && topo.in_subtree(author, holder);
    let concerned = now.involved.iter().any(|u| topo.in_subtree(author, u));
    let (ok, rule, who) = match &r.body {
        Body::Screening { .. } => (
            is_holder,
            "screening.by_holder",
            format!("the unit holding the case ({holder})"),
        ),
        Body::Forward { .. } | Body::Assign { .. } => (
            is_holder,
            "routing.by_holder",
            format!("the unit holding the case ({holder})"),
        ),
        Body::Objection { .. } => (
            is_holder,
            "objection.by_assigned_unit",
            format!("the unit the case was routed to ({holder})"),
        ),
        Body::ObjectionDecision { .. } => (
            now.routed_by.as_ref() == Some(author),
            "objection.verified_by_sender",
            format!(
                "the office that routed the case ({}; 核实, Reg-2022 art. 23)",
                now.routed_by
                    .as_ref()
                    .map_or_else(|| "none".to_owned(), ToString::to_string)
            ),
        ),
        // A printed notice is issued by the organ whose decision it states — the
        // unit that routed the case, that reviewed it — which need not hold the
        // case any more; it is composed from that unit's own records where it is
        // issued (`notice::compose`). Only the holder's meets the duty to notify.
        Body::Notice {
            issued: Some(_), ..
        } => (
            is_holder || concerned,
            "notice.by_unit_concerned",
            "the unit handling the case or another unit the case concerns".to_owned(),
        ),
        Body::Extension { .. } | Body::ContactKey { .. } | Body::Notice { .. } => (
            is_holder,
            "handling.by_assigned_unit",
            format!("the unit handling the case ({holder})"),
        ),
        Body::Reply { .. } => (
            is_holder,
            "reply.by_assigned_unit",
            format!("the unit handling the case ({holder})"),
        ),
        // 复查 by the superior of the organ that issued the opinion (art. 35),
        // 复核 by the superior of the organ that reviewed (art. 36); nobody else.
        Body::ReviewDecision { .. } => (
            now.review_decider.as_ref() == Some(author),
            "review.by_superior_of_issuer",
            match (&now.review_decider, &now.review_of) {
                (Some(d), Some(of)) => format!(
                    "the superior ({d}) of the organ whose decision is contested ({of}; Reg-2022 \
                     art. 35 review, art. 36 re-review)"
                ),
                _ => "the superior deciding an open review request (none is open)".to_owned(),
            },
        ),
        Body::Supervision { .. } | Body::SendBack { .. } => (
            superior_of_holder,
            "supervision.by_superior",
            format!("a superior of the unit handling the case ({holder})"),
        ),
        // The lowest common superior of the units involved decides between them.
        Body::LeadDecision { .. } => {
            let decider = topo.lowest_common_superior(&now.involved);
            (
                decider.as_ref() == Some(author),
                "lead.common_superior",
                format!(
                    "the lowest common superior of the units involved ({})",
                    decider.map_or_else(|| "none".to_owned(), |d| d.to_string())
                ),
            )
        }
        Body::SkipLevelLink { .. } => (
            author == registrar,
            "skip_level.by_registrar",
            format!("the registering unit ({registrar})"),
        ),
        Body::Booking { .. }
        | Body::ReceptionOutcome { .. }
        | Body::SupervisionForm { .. }
        | Body::FormAck { .. } => super::reception::writer(&now.receptions, r, concerned),
        Body::LibraryEntry { .. } | Body::OwnershipProposal { .. } => {
            super::library::writer(concerned)
        }
        Body::SealedContact { .. } => (
            author == registrar,
            "contact.sealed_by_registrar",
            format!("the registering unit ({registrar})"),
        ),
        // Only the registering node holds the phone a message goes to.
        Body::Delivery { .. } => (
            author == registrar,
            "delivery.by_registrar",
            format!("the registering unit ({registrar})"),
        ),
        // Progress notes: superiors note on cases below them too (`AddNote`); only
        // the handling unit's notes move the case on (`derive`).
        Body::Progress { .. }
        | Body::SamePetitioner { .. }
        | Body::Ownership { .. }
        | Body::Rating { .. }
        | Body::NoOpinion { .. }
        | Body::Major { .. }
        | Body::HigherVisit { .. }
        | Body::LeaderApproval { .. }
        | Body::Closure { .. }
        | Body::ReturnVisit { .. }
        | Body::Archive
        | Body::ReviewRequest { .. } => (
            concerned,
            "record.by_unit_concerned",
            "a unit the case concerns or a superior of one".to_owned(),
        ),
    };
    if ok {
        Ok(())
    } else {
        Err(refuse(
            rule,
            format!(
                "record {} ({}) is written only by {who}, not by {author}",
                r.id,
                r.body.kind()
            ),
        ))
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
    // The limit a peer checks on progress notes (`remote`), here on every text a
    // person types, so a long text is refused where it is written, by name, and
    // never written only to be refused by the parent.
    for (field, text) in new.body.texts() {
        let n = text.chars().count();
        if n > MAX_NOTE_CHARS {
            return Err(refuse(
                "text.max_chars",
                format!("field `{field}` has {n} characters; the limit is {MAX_NOTE_CHARS}"),
            ));
        }
    }
    // The written notice of a decision that ended the case (不予受理, the re-review,
    // 不再受理) comes after the decision: printed notices are written at any stage.
    let printed_notice = matches!(
        new.body,
        Body::Notice {
            issued: Some(_),
            ..
        }
    );
    if now.status == Status::Final && !printed_notice {
        return Err(refuse(
            "review.final",
            "re-review has concluded: the same matter is not accepted again (不再受理)",
        ));
    }
    if now.status.is_terminal()
        && !printed_notice
        && !matches!(
            new.body,
            Body::ReturnVisit { .. }
                | Body::ContactKey { .. }
                | Body::SealedContact { .. }
                | Body::Delivery { .. }
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
    // Who: the one rule, as the authorship check applies it to peers' records.
    may_write(ctx.topology, &h.registered_by, &now, new)?;
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
            if matches!(
                new.body,
                Body::Screening {
                    decision: Screening::Accept
                }
            ) && new.unit == h.registered_by
                && let Some(below) = &now.skip_level_of
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
            if now.status != Status::Routed {
                return Err(refuse(
                    "objection.by_receiver",
                    "only a case just routed to this unit may be objected to",
                ));
            }
            if now.objection_open {
                return Err(refuse(
                    "objection.pending",
                    "an objection awaits the sending office's verification already",
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
        Body::ObjectionDecision { reason, .. } => {
            if !now.objection_open {
                return Err(refuse(
                    "objection.decision_requested",
                    "no objection awaits verification",
                ));
            }
            if reason.trim().is_empty() {
                return Err(refuse(
                    "objection.reason",
                    "the verification states its reason",
                ));
            }
        }
        Body::ReceptionOutcome {
            assign: Some(_), ..
        } if !matches!(now.status, Status::Accepted | Status::Handling) => {
            return Err(refuse(
                "routing.after_acceptance",
                format!(
                    "field `assign`: the case must be screened and accepted before it is assigned (it is {:?})",
                    now.status
                ),
            ));
        }
        Body::Booking { .. }
        | Body::ReceptionOutcome { .. }
        | Body::SupervisionForm { .. }
        | Body::FormAck { .. } => super::reception::admit(
            &now.receptions,
            new,
            ctx.topology,
            &now.handling_unit,
            today,
        )
        .map_err(|(rule, message)| refuse(rule, message))?,
        Body::SamePetitioner { of, reason } => {
            let of = of.trim();
            if of.is_empty() {
                return Err(refuse(
                    "identity.of",
                    "name the case whose petitioner is the same person",
                ));
            }
            if reason.trim().is_empty() {
                return Err(refuse(
                    "identity.reason",
                    "say why the two petitioners are one person",
                ));
            }
            if records
                .iter()
                .any(|r| matches!(&r.body, Body::SamePetitioner { of: o, .. } if o.trim() == of))
            {
                return Err(refuse(
                    "identity.once",
                    format!("the petitioner is already merged with {of}'s"),
                ));
            }
        }
        Body::LibraryEntry { .. } | Body::OwnershipProposal { .. } => {
            super::library::admit(&now.library, new, now.status.is_open())
                .map_err(|(rule, message)| refuse(rule, message))?
        }
        Body::SkipLevelLink { of } => {
            if of.trim().is_empty() {
                return Err(refuse(
                    "skip_level.of",
                    "a skip-level link names the case below",
                ));
            }
            if let Some(linked) = &now.skip_level_of {
                return Err(refuse(
                    "skip_level.once",
                    format!("the case is already linked to {linked} below"),
                ));
            }
            if records
                .iter()
                .any(|r| r.unit == h.registered_by && matches!(r.body, Body::Screening { .. }))
            {
                return Err(refuse(
                    "skip_level.before_screening",
                    "a skip-level petition is confirmed before the registering unit screens it",
                ));
            }
        }
        Body::HigherVisit { on, place, .. } => {
            if place.trim().is_empty() {
                return Err(refuse(
                    "higher_visit.place",
                    "a visit to higher authorities is recorded with its place",
                ));
            }
            if *on > today {
                return Err(refuse(
                    "higher_visit.on",
                    format!("a visit is recorded once it happened; {on} is after today ({today})"),
                ));
            }
        }
        Body::Major { reason, .. } => {
            if reason.trim().is_empty() {
                return Err(refuse(
                    "major.reason",
                    "a major or urgent matter is flagged with its reason",
                ));
            }
        }
        Body::Notice { text, .. } => {
            if text.trim().is_empty() {
                return Err(refuse(
                    "text.not_empty",
                    "the notice's text must not be empty",
                ));
            }
        }
        Body::NoOpinion { circumstances } => {
            if circumstances.trim().is_empty() {
                return Err(refuse(
                    "no_opinion.circumstances",
                    "record the circumstances in which the petitioner declined to state an opinion",
                ));
            }
            if !has_reply {
                return Err(refuse(
                    "no_opinion.after_reply",
                    "the petitioner's opinion (or refusal to give one) follows a reply",
                ));
            }
        }
        Body::LeaderApproval { leader, .. }
            if now
                .owner
                .as_deref()
                .is_some_and(|o| o.trim() != leader.trim()) =>
        {
            return Err(refuse(
                "closure.approval_by_owner",
                format!(
                    "the case is owned by {}: only the owning leader approves its closure (五不结案)",
                    now.owner.as_deref().unwrap_or_default()
                ),
            ));
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
        }
        Body::Supervision { due, demand, .. } => {
            due_ok(due)?;
            if demand.trim().is_empty() {
                return Err(refuse(
                    "supervision.demand",
                    "a supervision states what is demanded",
                ));
            }
        }
        Body::SendBack { .. } => {
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
            if rated_since_reply(records) {
                return Err(refuse(
                    "rating.once",
                    "the reply has been rated already; a reply is rated once (a new reply \
                     after a send-back is rated anew)",
                ));
            }
        }
        Body::Closure { .. } => {
            if let Some(p) = now.principal_owner.as_ref().filter(|p| !p.owned) {
                return Err(refuse(
                    "higher_visit.principal_owns",
                    format!(
                        "cannot close: the petitioner went to higher authorities {} time(s); \
                         the rules require the principal leader (主要领导) of {}{} to own the \
                         case (an ownership record with `principal`) first",
                        now.higher_visits,
                        p.unit,
                        if p.escalated {
                            ", the level above, as the repeats escalated it"
                        } else {
                            ""
                        }
                    ),
                ));
            }
            let mut with = records.to_vec();
            with.push(new.clone());
            let after = derive(h, &with, ctx, today);
            if after.status != Status::Closed {
                let list: Vec<String> = after
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
        Body::Ownership { work_group, .. }
            if work_group.len() > MAX_WORK_GROUP
                || work_group.iter().any(|m| m.trim().is_empty()) =>
        {
            return Err(refuse(
                "ownership.work_group",
                format!("field `work_group`: name each member (at most {MAX_WORK_GROUP})"),
            ));
        }
        Body::Ownership { leader, .. } | Body::LeaderApproval { leader, .. } => {
            if leader.trim().is_empty() {
                return Err(refuse("leader.named", "name the leader"));
            }
        }
        Body::ContactKey { cert_pem } => {
            if new.unit == h.registered_by {
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
        Body::Delivery {
            about,
            channel,
            attempt,
            ..
        } => {
            if about.trim().is_empty() || *attempt == 0 || channel != "sms" {
                return Err(refuse(
                    "delivery.message",
                    "a delivery names its message, its attempt (from 1) and its channel (sms)",
                ));
            }
        }
    }
    Ok(())
}

/// A rating is on file for the latest reply.
fn rated_since_reply(records: &[Record]) -> bool {
    let all = ordered(records);
    let Some(reply) = all
        .iter()
        .rposition(|r| matches!(r.body, Body::Reply { .. }))
    else {
        return false;
    };
    all[reply..]
        .iter()
        .any(|r| matches!(r.body, Body::Rating { .. }))
}

/// Whether the petitioner may still rate the reply on `today`: a reply exists,
/// and the window to rate it — the window to request a review of it (Reg-2022
/// art. 35: 30 days by default), after which the handling stands — has not
/// closed. Asked by the petitioner's own rating; the rest of a rating's rules
/// are [`admit`]'s. Answers the last day of the window when open.
pub fn rating_window(
    records: &[Record],
    ctx: &Context<'_>,
    today: NaiveDate,
) -> Result<NaiveDate, Refusal> {
    let Some(on) = replied_on(records) else {
        return Err(refuse("rating.after_reply", "a rating follows a reply"));
    };
    let limit = ctx.limits.review_request;
    let last = due_date(ctx.calendar, on, limit.days, limit.rule).date;
    if today > last {
        return Err(refuse(
            "rating.window",
            format!("the reply of {on} could be rated until {last}"),
        ));
    }
    Ok(last)
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
