//! A case received on a leader's reception day, as seed 004 describes it (访前接办、
//! 访中联办、访后督办): the office books the case onto a scheduled reception of one
//! of its leaders (约访, with the four cards: the petitioner's invitation, the
//! responsible unit's notice, the leader's 呈报卡 and the office's stub); on the day
//! the leader's decision is recorded (what is to be done, by whom, by when — and,
//! where the leader assigns the matter, the 交办 itself); after the decision the
//! office sends the eight-copy supervision form (八联单) to the officials and the
//! responsible unit, each acknowledging its copy; when the responsible unit has
//! closed the case the form is returned (撤回) and filed.
//!
//! The payloads of those records and the pure rules about them: [`admit`] (what
//! must hold before one is written, beside `admission`'s general rules) and
//! [`fold`] (a case's receptions as they stand). No IO.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use xinfang_hub::{Topology, UnitCode};

use super::record::{Assignment, Body, Recipient, Record, Task, local_day};

/// A booking as it stands, with what followed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reception {
    /// The booking record's id.
    pub id: String,
    /// The office that booked (whose leader receives).
    pub office: UnitCode,
    pub date: NaiveDate,
    pub leader: String,
    pub position: String,
    pub responsible: UnitCode,
    pub place: String,
    pub invitation: String,
    pub booked_by: Option<String>,
    pub outcome: Option<Outcome>,
    pub form: Option<Form>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    pub id: String,
    pub held: bool,
    pub decision: String,
    pub tasks: Vec<Task>,
    pub assign: Option<Assignment>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Form {
    pub id: String,
    pub due: NaiveDate,
    pub demand: String,
    /// Each copy and, once acknowledged, the day.
    pub copies: Vec<(Recipient, Option<NaiveDate>)>,
    /// 撤回: the case was closed after the form was sent.
    pub returned: Option<NaiveDate>,
}

impl Form {
    pub fn unacknowledged(&self) -> impl Iterator<Item = &Recipient> {
        self.copies
            .iter()
            .filter(|(_, a)| a.is_none())
            .map(|(r, _)| r)
    }
}

/// A booking as a superior's board needs it (the query row's `receptions`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingSummary {
    pub office: UnitCode,
    pub date: NaiveDate,
    pub leader: String,
    /// Recorded: whether the reception took place.
    pub held: Option<bool>,
    /// The decision, or why it did not take place.
    #[serde(default)]
    pub decision: String,
}

impl Reception {
    pub fn summary(&self) -> BookingSummary {
        BookingSummary {
            office: self.office.clone(),
            date: self.date,
            leader: self.leader.clone(),
            held: self.outcome.as_ref().map(|o| o.held),
            decision: self
                .outcome
                .as_ref()
                .map(|o| o.decision.clone())
                .unwrap_or_default(),
        }
    }
}

/// A booking a superior should look at, as of `today`: the office's booked case
/// not received (`booking_missed`, with the reason recorded) or, its day past,
/// with no outcome recorded (`booking_unrecorded`; time passing alone raises it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingFlag {
    pub kind: &'static str,
    pub date: NaiveDate,
    pub leader: String,
    pub message: String,
}

/// The flags of `office`'s bookings of case `case_no` dated in `from..=to`.
pub fn board_flags(
    case_no: &str,
    bookings: &[BookingSummary],
    office: &UnitCode,
    (from, to): (NaiveDate, NaiveDate),
    today: NaiveDate,
) -> Vec<BookingFlag> {
    bookings
        .iter()
        .filter(|b| &b.office == office && b.date >= from && b.date <= to)
        .filter_map(|b| match b.held {
            Some(false) => Some(BookingFlag {
                kind: "booking_missed",
                date: b.date,
                leader: b.leader.clone(),
                message: format!(
                    "{} {} 约访案件 {case_no} 未接待（原因：{}）",
                    b.date, b.leader, b.decision
                ),
            }),
            None if b.date < today => Some(BookingFlag {
                kind: "booking_unrecorded",
                date: b.date,
                leader: b.leader.clone(),
                message: format!(
                    "{} {} 约访案件 {case_no} 的接待结果未登记",
                    b.date, b.leader
                ),
            }),
            _ => None,
        })
        .collect()
}

/// The case's receptions, in booking order (given the records in their agreed
/// order).
pub fn fold<'a>(records: impl IntoIterator<Item = &'a Record>) -> Vec<Reception> {
    let mut out: Vec<Reception> = Vec::new();
    for r in records {
        let day = local_day(r.at);
        match &r.body {
            Body::Booking {
                date,
                leader,
                position,
                responsible,
                place,
                invitation,
            } => out.push(Reception {
                id: r.id.clone(),
                office: r.unit.clone(),
                date: *date,
                leader: leader.clone(),
                position: position.clone(),
                responsible: responsible.clone(),
                place: place.clone(),
                invitation: invitation.clone(),
                booked_by: r.by.clone(),
                outcome: None,
                form: None,
            }),
            Body::ReceptionOutcome {
                booking,
                held,
                decision,
                tasks,
                assign,
            } => {
                if let Some(b) = out.iter_mut().find(|b| &b.id == booking)
                    && b.outcome.is_none()
                {
                    b.outcome = Some(Outcome {
                        id: r.id.clone(),
                        held: *held,
                        decision: decision.clone(),
                        tasks: tasks.clone(),
                        assign: assign.clone(),
                    });
                }
            }
            Body::SupervisionForm {
                booking,
                recipients,
                due,
                demand,
            } => {
                if let Some(b) = out.iter_mut().find(|b| &b.id == booking)
                    && b.form.is_none()
                {
                    b.form = Some(Form {
                        id: r.id.clone(),
                        due: *due,
                        demand: demand.clone(),
                        copies: recipients.iter().map(|x| (x.clone(), None)).collect(),
                        returned: None,
                    });
                }
            }
            Body::FormAck { form, recipient } => {
                if let Some(f) = out
                    .iter_mut()
                    .filter_map(|b| b.form.as_mut())
                    .find(|f| &f.id == form)
                    && let Some((_, ack)) = f
                        .copies
                        .iter_mut()
                        .find(|(x, a)| x.key() == recipient && a.is_none())
                {
                    *ack = Some(day);
                }
            }
            // Closing the case returns every form sent on it (seed 004: 责任单位
            // 按时限结案后 … 将“八单”撤回信访部门，存档销案).
            Body::Closure { .. } => {
                for f in out.iter_mut().filter_map(|b| b.form.as_mut()) {
                    f.returned.get_or_insert(day);
                }
            }
            _ => {}
        }
    }
    out
}

/// Why a reception record may not be written: the rule and the message
/// (`admission` turns it into its `Refusal`).
pub type Refused = (&'static str, String);

fn refuse(rule: &'static str, message: impl Into<String>) -> Refused {
    (rule, message.into())
}

/// What must hold before a reception record is written, given the case's
/// receptions so far (`Derived::receptions`), on `today` (the record's day). Who
/// may write it is `admission::may_write`'s; this is the rest.
pub fn admit(
    receptions: &[Reception],
    new: &Record,
    topo: &Topology,
    holder: &UnitCode,
    today: NaiveDate,
) -> Result<(), Refused> {
    let booking_of = |id: &str| -> Result<&Reception, Refused> {
        receptions
            .iter()
            .find(|b| b.id == id)
            .ok_or_else(|| refuse("reception.booking", format!("no booking {id} on this case")))
    };
    match &new.body {
        Body::Booking {
            date,
            leader,
            responsible,
            ..
        } => {
            if *date < today {
                return Err(refuse(
                    "reception.date",
                    format!(
                        "field `date`: {date} has passed (today is {today}): a case is booked onto a reception to come"
                    ),
                ));
            }
            if leader.trim().is_empty() {
                return Err(refuse(
                    "reception.leader",
                    "field `leader`: name the leader who receives",
                ));
            }
            if topo.unit(responsible).is_none() {
                return Err(refuse(
                    "reception.responsible",
                    format!("field `responsible`: {responsible} is not a unit of the federation"),
                ));
            }
            if let Some(b) = receptions
                .iter()
                .find(|b| b.outcome.is_none() && b.office == new.unit)
            {
                return Err(refuse(
                    "reception.once",
                    format!(
                        "the case is already booked for {} on {} ({}): record that reception first",
                        b.leader, b.date, b.id
                    ),
                ));
            }
        }
        Body::ReceptionOutcome {
            booking,
            held,
            decision,
            tasks,
            assign,
        } => {
            let b = booking_of(booking)?;
            if b.outcome.is_some() {
                return Err(refuse(
                    "reception.outcome_once",
                    format!("the reception of {} is recorded already", b.date),
                ));
            }
            if today < b.date {
                return Err(refuse(
                    "reception.on_the_day",
                    format!(
                        "the reception of {} has not come yet (today is {today})",
                        b.date
                    ),
                ));
            }
            if decision.trim().is_empty() {
                return Err(refuse(
                    "reception.decision",
                    if *held {
                        "field `decision`: record what the leader decided"
                    } else {
                        "field `decision`: record why the reception did not take place"
                    },
                ));
            }
            if !held && (!tasks.is_empty() || assign.is_some()) {
                return Err(refuse(
                    "reception.held",
                    "a reception that did not take place decides nothing",
                ));
            }
            for t in tasks {
                if topo.unit(&t.unit).is_none() {
                    return Err(refuse(
                        "reception.task_unit",
                        format!(
                            "field `tasks.unit`: {} is not a unit of the federation",
                            t.unit
                        ),
                    ));
                }
                if t.duty.trim().is_empty() {
                    return Err(refuse(
                        "reception.task_duty",
                        format!("field `tasks.duty`: say what {} must do", t.unit),
                    ));
                }
                if t.due <= today {
                    return Err(refuse(
                        "reception.task_due",
                        format!("field `tasks.due`: {} is not after today ({today})", t.due),
                    ));
                }
            }
            if let Some(a) = assign {
                if topo.unit(&a.to).is_none() {
                    return Err(refuse(
                        "reception.assign_to",
                        format!(
                            "field `assign.to`: {} is not a unit of the federation",
                            a.to
                        ),
                    ));
                }
                if a.to == new.unit || !topo.in_subtree(&new.unit, &a.to) {
                    return Err(refuse(
                        "assign.downwards",
                        format!(
                            "field `assign.to`: 交办 goes to a unit below {}; {} is not",
                            new.unit, a.to
                        ),
                    ));
                }
                if &a.to == holder {
                    return Err(refuse(
                        "reception.assign_to",
                        format!("field `assign.to`: {} handles the case already", a.to),
                    ));
                }
                if a.due <= today {
                    return Err(refuse(
                        "reception.assign_due",
                        format!("field `assign.due`: {} is not after today ({today})", a.due),
                    ));
                }
            }
        }
        Body::SupervisionForm {
            booking,
            recipients,
            due,
            demand,
        } => {
            let b = booking_of(booking)?;
            if !b.outcome.as_ref().is_some_and(|o| o.held) {
                return Err(refuse(
                    "supervision_form.after_decision",
                    "the supervision form follows the leader's decision at the reception",
                ));
            }
            if b.form.is_some() {
                return Err(refuse(
                    "supervision_form.once",
                    "the supervision form of this reception was sent already",
                ));
            }
            if recipients.is_empty() {
                return Err(refuse(
                    "supervision_form.recipients",
                    "field `recipients`: the form goes to at least one official",
                ));
            }
            let mut keys: Vec<&str> = recipients.iter().map(Recipient::key).collect();
            keys.sort_unstable();
            if let Some(w) = keys.windows(2).find(|w| w[0] == w[1]) {
                return Err(refuse(
                    "supervision_form.recipients",
                    format!("field `recipients`: {} is named twice", w[0]),
                ));
            }
            if *due <= today {
                return Err(refuse(
                    "supervision_form.due",
                    format!("field `due`: {due} is not after today ({today})"),
                ));
            }
            if demand.trim().is_empty() {
                return Err(refuse(
                    "supervision_form.demand",
                    "field `demand`: say what the form demands",
                ));
            }
        }
        Body::FormAck { form, recipient } => {
            let Some(f) = receptions
                .iter()
                .filter_map(|b| b.form.as_ref())
                .find(|f| &f.id == form)
            else {
                return Err(refuse(
                    "supervision_form.exists",
                    format!("field `form`: no supervision form {form} on this case"),
                ));
            };
            match f.copies.iter().find(|(x, _)| x.key() == recipient) {
                None => {
                    return Err(refuse(
                        "supervision_form.recipient",
                        format!("field `recipient`: {recipient} received no copy of this form"),
                    ));
                }
                Some((_, Some(on))) => {
                    return Err(refuse(
                        "supervision_form.ack_once",
                        format!("{recipient} acknowledged its copy on {on}"),
                    ));
                }
                Some(_) => {}
            }
        }
        _ => {}
    }
    Ok(())
}

/// Who may write a reception record: the booking by a unit the case concerns (the
/// office sees it); the outcome and the form by the office that booked; an
/// acknowledgement by that office (for the officials it delivered copies to) or
/// by the responsible unit for its own copy. As `may_write` answers: whether,
/// the rule, and who may.
pub fn writer(
    receptions: &[Reception],
    r: &Record,
    concerned: bool,
) -> (bool, &'static str, String) {
    let office_of_booking = |id: &str| {
        receptions
            .iter()
            .find(|b| b.id == id)
            .map(|b| b.office.clone())
    };
    match &r.body {
        Body::ReceptionOutcome { booking, .. } | Body::SupervisionForm { booking, .. } => {
            let office = office_of_booking(booking);
            (
                office.as_ref() == Some(&r.unit),
                "reception.by_booking_office",
                format!(
                    "the office that booked the reception ({})",
                    office.map_or_else(|| "none".to_owned(), |o| o.to_string())
                ),
            )
        }
        Body::FormAck { form, recipient } => {
            let office = receptions
                .iter()
                .find(|b| b.form.as_ref().is_some_and(|f| &f.id == form))
                .map(|b| &b.office);
            let own_copy = recipient == r.unit.as_str();
            (
                office == Some(&r.unit) || own_copy,
                "supervision_form.ack_by_recipient",
                format!(
                    "the office that sent the form ({}) or the unit the copy is addressed to",
                    office.map_or_else(|| "none".to_owned(), ToString::to_string)
                ),
            )
        }
        _ => (
            concerned,
            "reception.by_unit_concerned",
            "a unit the case concerns or a superior of one".to_owned(),
        ),
    }
}
