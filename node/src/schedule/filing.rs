//! Pure rules over a filed schedule: the entries in force after adjustments, the
//! flags a superior should see, and whether a filing was on time.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};

use super::docs::{FiledSchedule, RecordBody, ScheduleRecord};
use super::model::{Entry, Month};
use super::ruleset::RuleSet;

/// China Standard Time, the clock deadlines are stated in.
pub fn cst() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(8 * 3600)
        .unwrap_or_else(|| chrono::FixedOffset::east_opt(0).expect("zero offset"))
}

/// The local (CST) day of an instant: the one rule the case deadlines use too.
pub use crate::case::local_day;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilingStatus {
    OnTime,
    Late,
    /// Not filed and the deadline has passed.
    Missing,
    /// Not filed, not yet due.
    Pending,
}

impl FilingStatus {
    pub fn code(self) -> &'static str {
        match self {
            FilingStatus::OnTime => "on_time",
            FilingStatus::Late => "late",
            FilingStatus::Missing => "missing",
            FilingStatus::Pending => "pending",
        }
    }
}

/// Which document a unit files upward.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwedKind {
    /// A month's reception schedule (接访安排表), filed by approving it.
    Schedule,
    /// A quarter's register (季度登记表), generated at quarter end.
    Quarterly,
}

/// The end of the due day (exclusive), CST: a filing is on time before it.
pub fn deadline_end(rules: &RuleSet, month: Month) -> DateTime<Utc> {
    let day = rules.filing.deadline_for(month);
    let next = day.succ_opt().unwrap_or(day);
    cst()
        .from_local_datetime(&next.and_hms_opt(0, 0, 0).unwrap_or_default())
        .single()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| next.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
}

/// On time, late, missing or pending, judged by when *this* node first held it.
pub fn status(
    received: Option<DateTime<Utc>>,
    deadline_end: DateTime<Utc>,
    now: DateTime<Utc>,
) -> FilingStatus {
    match received {
        Some(t) if t < deadline_end => FilingStatus::OnTime,
        Some(_) => FilingStatus::Late,
        None if now >= deadline_end => FilingStatus::Missing,
        None => FilingStatus::Pending,
    }
}

/// The entries in force: the approved ones with every adjustment applied in order.
pub fn effective(f: &FiledSchedule) -> Vec<Entry> {
    let mut entries = f.entries.clone();
    for r in &f.records {
        match &r.body {
            RecordBody::Replace {
                date,
                from,
                to,
                to_position,
                ..
            } => {
                if let Some(e) = entries
                    .iter_mut()
                    .find(|e| e.date == *date && e.leader == *from)
                {
                    e.leader = to.clone();
                    e.position = to_position.clone();
                }
            }
            RecordBody::Swap {
                date,
                leader,
                other,
                other_leader,
                ..
            } => {
                let a = entries
                    .iter()
                    .position(|e| e.date == *date && e.leader == *leader);
                let b = entries
                    .iter()
                    .position(|e| e.date == *other && e.leader == *other_leader);
                if let (Some(a), Some(b)) = (a, b) {
                    let (la, pa) = (entries[a].leader.clone(), entries[a].position.clone());
                    entries[a].leader = entries[b].leader.clone();
                    entries[a].position = entries[b].position.clone();
                    entries[b].leader = la;
                    entries[b].position = pa;
                }
            }
            _ => {}
        }
    }
    entries.sort_by(|a, b| (a.date, &a.leader).cmp(&(b.date, &b.leader)));
    entries
}

pub fn adjustments(f: &FiledSchedule) -> Vec<&ScheduleRecord> {
    f.records
        .iter()
        .filter(|r| matches!(r.body, RecordBody::Replace { .. } | RecordBody::Swap { .. }))
        .collect()
}

pub fn published_at(f: &FiledSchedule) -> Option<DateTime<Utc>> {
    f.records
        .iter()
        .find(|r| matches!(r.body, RecordBody::Published))
        .map(|r| r.at)
}

/// One attendance verdict: the latest record for a (day, leader) wins (corrections).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttendanceEntry<'a> {
    pub record: &'a ScheduleRecord,
    pub date: NaiveDate,
    pub leader: &'a str,
    pub held: bool,
}

pub fn attendance(f: &FiledSchedule) -> Vec<AttendanceEntry<'_>> {
    let mut latest: BTreeMap<(NaiveDate, &str), AttendanceEntry<'_>> = BTreeMap::new();
    for r in &f.records {
        if let RecordBody::Attendance {
            date, leader, held, ..
        } = &r.body
        {
            latest.insert(
                (*date, leader.as_str()),
                AttendanceEntry {
                    record: r,
                    date: *date,
                    leader,
                    held: *held,
                },
            );
        }
    }
    latest.into_values().collect()
}

/// Did an adjustment recorded before the day take `leader` off `date`?
pub fn excused(f: &FiledSchedule, date: NaiveDate, leader: &str) -> bool {
    f.records.iter().any(|r| {
        local_day(r.at) < date
            && match &r.body {
                RecordBody::Replace { date: d, from, .. } => *d == date && from == leader,
                RecordBody::Swap {
                    date: d,
                    leader: l,
                    other,
                    other_leader,
                    ..
                } => (*d == date && l == leader) || (*other == date && other_leader == leader),
                _ => false,
            }
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    /// `missed` (缺岗 without an adjustment) or `unrecorded` (a past day with no
    /// attendance recorded).
    pub kind: &'static str,
    pub date: NaiveDate,
    pub leader: String,
    pub message: String,
}

/// What a superior should look at, as of `today` (time passing alone raises
/// `unrecorded`).
pub fn flags(f: &FiledSchedule, today: NaiveDate) -> Vec<Flag> {
    let att = attendance(f);
    let mut out = Vec::new();
    for a in &att {
        if !a.held && !excused(f, a.date, a.leader) {
            let reason = match &a.record.body {
                RecordBody::Attendance {
                    reason: Some(r), ..
                } => r.as_str(),
                _ => "",
            };
            out.push(Flag {
                kind: "missed",
                date: a.date,
                leader: a.leader.to_owned(),
                message: format!(
                    "{} {} 缺岗，未提前调整（原因：{}）",
                    a.date,
                    a.leader,
                    if reason.is_empty() {
                        "未说明"
                    } else {
                        reason
                    }
                ),
            });
        }
    }
    for e in effective(f) {
        if e.date < today && !att.iter().any(|a| a.date == e.date && a.leader == e.leader) {
            out.push(Flag {
                kind: "unrecorded",
                date: e.date,
                leader: e.leader.clone(),
                message: format!("{} {} 的接访情况未登记", e.date, e.leader),
            });
        }
    }
    out.sort_by(|a, b| (a.date, &a.leader, a.kind).cmp(&(b.date, &b.leader, b.kind)));
    out
}
