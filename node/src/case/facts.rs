//! What reports need of one case, as plain facts (`CaseFacts`): a pure rule of the
//! case, read by the reports (`report::facts` names it there) and by the
//! petitioner's progress view (which deadlines were kept).
//!
//! [`facts`] is a pure function of the registration and the *set* of lifecycle
//! records: records are taken in [`case::ordered`] order, so every replica
//! holding the same records gets the same facts whatever order they arrived in.
//! Facts do not depend on the day they are computed: status, handling unit and
//! deadlines come from [`case::derive`], whose only use of "today" is the
//! overdue flags, which facts do not keep. Whether a case is overdue is asked
//! separately, [`overdue`], so time passing alone makes a case overdue without
//! recomputing its facts.
//!
//! "Was it done on time" takes, for each step, the first record that counted:
//!
//! - screening: the first screening decision written by the registering unit
//!   (the petition office that received the petition), due 15 days after receipt
//!   (`TimeLimits::forward`, Reg-2022 art. 22, counted per the calendar);
//! - reply: the first reply written by the unit holding the case at the time; due
//!   at the handling deadline (`TimeLimits::handle` plus approved extensions, from
//!   the handling unit's acceptance) in force just before that reply. A reply sent
//!   back (发回重新办理) and given again still counts on its first day;
//! - closure: the first closure record after which the case is closed (none of
//!   the five conditions fails, 五不结案);
//! - rating: the latest rating since the last send-back (as the lifecycle counts
//!   the petitioner's opinion); satisfied when the handling was rated 满意 or
//!   基本满意.
//!
//! All days are China Standard Time days ([`case::local_day`]).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::case::{
    self, Body, Context, Deadline, DeadlineKind, Derived, Header, Record, Satisfaction, Screening,
    Status,
};
use crate::case::{Channel, Details};
use crate::rules::calendar::due_date;

/// One case as reports see it. Dates are CST days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseFacts {
    pub case_no: String,
    /// Unit code of the registering office.
    pub registered_by: String,
    /// The CST day of registration.
    pub received: NaiveDate,
    /// "YYYY-MM" of `received`.
    pub month: String,
    /// visit | letter | online | phone | fax
    pub channel: String,
    /// "" when unknown.
    pub purpose: String,
    /// "" when unknown.
    pub category: String,
    /// [`case::Status::code`].
    pub status: String,
    /// The unit holding the case now.
    pub handling_unit: String,
    /// `details.responsible_unit`, or the handling unit when none was given.
    pub responsible_unit: String,
    /// When the registering office's screening decision was due.
    pub accept_due: Option<NaiveDate>,
    /// The registering office's first screening decision.
    pub screened_on: Option<NaiveDate>,
    /// The unit that made it ("" when none).
    pub screened_by: String,
    /// That decision was to accept.
    pub accepted: bool,
    /// The handling limit, approved extensions included, for accepted cases: the one
    /// in force when first replied, or now while no reply has been given.
    pub reply_due: Option<NaiveDate>,
    /// The first reply by the unit holding the case.
    pub replied_on: Option<NaiveDate>,
    /// The unit that gave it ("" when none).
    pub replied_by: String,
    /// The first closure that closed the case.
    pub closed_on: Option<NaiveDate>,
    /// The petitioner's rating is on file (since the last send-back).
    pub rated: bool,
    /// Handling rated 满意 or 基本满意; `None` when not rated.
    pub satisfied: Option<bool>,
    /// The case repeats an earlier one (`details.repeat_of` is set).
    pub repeat: bool,
    /// It came in online (网上信访).
    pub online: bool,
    /// Review (复查) or re-review (复核) was requested.
    pub reviewed: bool,
    /// The earliest open deadline.
    pub next_due: Option<NaiveDate>,
    /// Its kind ([`deadline_kind_code`]), "" when none.
    pub next_due_kind: String,
    /// The unit that must act by it, "" when none.
    pub next_due_unit: String,
}

/// The channel as its stable snake_case code (as in JSON).
pub fn channel_code(c: Channel) -> &'static str {
    match c {
        Channel::Visit => "visit",
        Channel::Letter => "letter",
        Channel::Online => "online",
        Channel::Phone => "phone",
        Channel::Fax => "fax",
    }
}

/// The deadline kind as its stable snake_case code (as in JSON).
pub fn deadline_kind_code(k: DeadlineKind) -> &'static str {
    k.code()
}

fn handle_due(d: &Derived) -> Option<NaiveDate> {
    d.deadlines
        .iter()
        .find(|x| x.kind == DeadlineKind::Handle)
        .map(|x| x.due)
}

/// The facts of one case. Pure: the same registration and set of records give the
/// same facts, whatever their order and whenever computed.
pub fn facts(
    case_no: &str,
    header: &Header,
    details: &Details,
    records: &[Record],
    ctx: &Context<'_>,
) -> CaseFacts {
    // Sorted and deduplicated once, so that a prefix is "what had happened by then".
    let recs: Vec<Record> = case::ordered(records).into_iter().cloned().collect();
    // `derive` uses its day only for the overdue flags, which facts do not keep.
    let derive = |upto: &[Record]| case::derive(header, upto, ctx, header.received);
    let now = derive(&recs);

    let route = ctx.limits.forward;
    let accept_due = due_date(ctx.calendar, header.received, route.days, route.rule).date;
    let screening = recs
        .iter()
        .find(|r| r.unit == header.registered_by && matches!(r.body, Body::Screening { .. }));
    let accepted = matches!(
        screening.map(|r| &r.body),
        Some(Body::Screening {
            decision: Screening::Accept
        })
    );

    // The first reply by the unit that held the case when it replied, with the
    // handling deadline in force just before it.
    let reply = recs.iter().enumerate().find_map(|(i, r)| {
        if !matches!(r.body, Body::Reply { .. }) {
            return None;
        }
        let before = derive(&recs[..i]);
        (before.handling_unit == r.unit).then(|| {
            let due = handle_due(&before).unwrap_or_else(|| {
                // Only for records `admit` would not have let through (a reply with
                // no handling deadline open): count from receipt.
                let h = ctx.limits.handle;
                let days = h.days + before.extended_days;
                due_date(ctx.calendar, header.received, days, h.rule).date
            });
            (r, due)
        })
    });
    let reply_due = if !accepted {
        None
    } else if let Some((_, due)) = reply {
        Some(due)
    } else {
        handle_due(&now)
    };

    let closed_on = recs.iter().enumerate().find_map(|(i, r)| {
        (matches!(r.body, Body::Closure { .. }) && derive(&recs[..=i]).status == Status::Closed)
            .then(|| case::local_day(r.at))
    });

    let mut rating: Option<Satisfaction> = None;
    for r in &recs {
        match &r.body {
            Body::Rating { handling, .. } => rating = Some(*handling),
            Body::SendBack { .. } => rating = None,
            _ => {}
        }
    }
    let reviewed = recs
        .iter()
        .any(|r| matches!(r.body, Body::ReviewRequest { .. }));

    let handling_unit = now.handling_unit.to_string();
    let next: Option<&Deadline> = now.next_deadline.as_ref();
    CaseFacts {
        case_no: case_no.to_owned(),
        registered_by: header.registered_by.to_string(),
        received: header.received,
        month: header.received.format("%Y-%m").to_string(),
        channel: channel_code(details.channel).to_owned(),
        purpose: details.purpose.clone().unwrap_or_default(),
        category: details.category.clone().unwrap_or_default(),
        status: now.status.code().to_owned(),
        responsible_unit: details
            .responsible_unit
            .as_ref()
            .map(|u| u.to_string())
            .unwrap_or_else(|| handling_unit.clone()),
        handling_unit,
        accept_due: Some(accept_due),
        screened_on: screening.map(|r| case::local_day(r.at)),
        screened_by: screening.map(|r| r.unit.to_string()).unwrap_or_default(),
        accepted,
        reply_due,
        replied_on: reply.map(|(r, _)| case::local_day(r.at)),
        replied_by: reply.map(|(r, _)| r.unit.to_string()).unwrap_or_default(),
        closed_on,
        rated: rating.is_some(),
        satisfied: rating.map(|s| s != Satisfaction::Unsatisfied),
        repeat: details.repeat_of.is_some(),
        online: details.channel == Channel::Online,
        reviewed,
        next_due: next.map(|d| d.due),
        next_due_kind: next
            .map(|d| deadline_kind_code(d.kind).to_owned())
            .unwrap_or_default(),
        next_due_unit: next.map(|d| d.unit.to_string()).unwrap_or_default(),
    }
}

/// Overdue as of `today`: the earliest open deadline has passed (its last day is
/// before today). Time alone makes a case overdue; nothing needs to be written.
pub fn overdue(f: &CaseFacts, today: NaiveDate) -> bool {
    f.next_due.is_some_and(|d| d < today)
}

/// Cases for tests of reports: a small federation and valid record histories.
#[cfg(test)]
pub(crate) mod fixtures {
    use chrono::{NaiveDate, TimeZone, Utc};
    use xinfang_hub::{Tier, Topology, Unit, UnitCode};

    use crate::case::{
        Body, Context, Header, Opinion, Record, Satisfaction, Screening, Stage, admit, local_day,
    };
    use crate::case::{Channel, Details};
    use crate::rules::calendar::HolidayCalendar;
    use crate::rules::limits::TimeLimits;

    pub const CITY: &str = "441500";
    pub const COUNTY: &str = "441521";
    pub const TOWN_A: &str = "441521115000";
    pub const TOWN_B: &str = "441521101000";
    pub const COMM_A: &str = "441521115001";

    pub fn u(s: &str) -> UnitCode {
        s.parse().unwrap()
    }

    pub fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    pub struct World {
        topo: Topology,
        cal: HolidayCalendar,
        limits: TimeLimits,
        higher_visits: crate::rules::higher_visits::HigherVisitPolicies,
    }

    impl World {
        pub fn new() -> World {
            let unit = |c: &str, tier, p: Option<&str>| Unit {
                code: u(c),
                name: c.into(),
                tier,
                parent: p.map(u),
                listen: "127.0.0.1:1".into(),
                api: None,
                kind: Default::default(),
                attributes: Default::default(),
            };
            World {
                topo: Topology::from_units(vec![
                    unit(CITY, Tier::City, None),
                    unit(COUNTY, Tier::County, Some(CITY)),
                    unit(TOWN_A, Tier::Township, Some(COUNTY)),
                    unit(TOWN_B, Tier::Township, Some(COUNTY)),
                    unit(COMM_A, Tier::Community, Some(TOWN_A)),
                ])
                .unwrap(),
                cal: HolidayCalendar::official().unwrap(),
                limits: TimeLimits::default(),
                higher_visits: Default::default(),
            }
        }

        pub fn topology(&self) -> &Topology {
            &self.topo
        }

        pub fn ctx(&self) -> Context<'_> {
            Context {
                topology: &self.topo,
                calendar: &self.cal,
                limits: &self.limits,
                higher_visits: &self.higher_visits,
            }
        }
    }

    /// A record written at 09:00 UTC (17:00 CST) on `at`.
    pub fn rec(id: &str, unit: &str, at: &str, body: Body) -> Record {
        Record {
            id: id.into(),
            unit: u(unit),
            at: Utc.from_utc_datetime(&day(at).and_hms_opt(9, 0, 0).unwrap()),
            body,
            by: None,
        }
    }

    pub fn header(unit: &str, received: &str) -> Header {
        Header {
            registered_by: u(unit),
            received: day(received),
            skip_level_of: None,
            received_by_leader: false,
        }
    }

    /// A case under construction: every record must pass `admit`.
    pub struct Story<'w> {
        pub world: &'w World,
        pub header: Header,
        pub details: Details,
        pub records: Vec<Record>,
    }

    impl<'w> Story<'w> {
        pub fn new(world: &'w World, unit: &str, received: &str, channel: Channel) -> Self {
            Story {
                world,
                header: header(unit, received),
                details: Details {
                    channel,
                    ..Details::default()
                },
                records: Vec::new(),
            }
        }

        pub fn step(mut self, id: &str, unit: &str, at: &str, body: Body) -> Self {
            let r = rec(id, unit, at, body);
            let ctx = self.world.ctx();
            if let Err(e) = admit(&self.header, &self.records, &r, &ctx, local_day(r.at)) {
                panic!("{id} refused: {e}");
            }
            self.records.push(r);
            self
        }

        pub fn screen(self, unit: &str, at: &str, decision: Screening) -> Self {
            let id = format!("s-{unit}");
            self.step(&id, unit, at, Body::Screening { decision })
        }

        pub fn accept(self, unit: &str, at: &str) -> Self {
            self.screen(unit, at, Screening::Accept)
        }

        pub fn reply(self, id: &str, unit: &str, at: &str) -> Self {
            let body = Body::Reply {
                opinion: Opinion::Explain,
                text: "答复".into(),
            };
            self.step(id, unit, at, body)
        }

        pub fn rate(self, id: &str, unit: &str, at: &str, handling: Satisfaction) -> Self {
            let body = Body::Rating {
                acceptance: Satisfaction::Satisfied,
                handling,
            };
            self.step(id, unit, at, body)
        }

        /// The leader's approval on `approve_at`, then closure on `at`.
        pub fn close(self, unit: &str, approve_at: &str, at: &str) -> Self {
            self.step(
                "approve",
                unit,
                approve_at,
                Body::LeaderApproval {
                    leader: "李书记".into(),
                    opinion: "同意结案".into(),
                },
            )
            .step(
                "close",
                unit,
                at,
                Body::Closure {
                    facts_clear: true,
                    handled_in_place: true,
                    file_complete: true,
                },
            )
        }

        pub fn review(self, unit: &str, at: &str) -> Self {
            let body = Body::ReviewRequest {
                stage: Stage::Review,
            };
            self.step("review", unit, at, body)
        }
    }

    /// Registered at the county, accepted there, assigned to town A, which accepts,
    /// extends by 10 days, replies on time, is rated satisfied and closes on time.
    pub fn assigned_and_closed(w: &World) -> Story<'_> {
        Story::new(w, COUNTY, "2026-03-02", Channel::Online)
            .accept(COUNTY, "2026-03-03")
            .step(
                "assign",
                COUNTY,
                "2026-03-04",
                Body::Assign {
                    to: u(TOWN_A),
                    due: day("2026-03-17"),
                },
            )
            .accept(TOWN_A, "2026-03-05")
            .step(
                "extend",
                TOWN_A,
                "2026-03-06",
                Body::Extension {
                    days: 10,
                    reason: "需鉴定".into(),
                    approved_by: "王镇长".into(),
                },
            )
            .reply("reply", TOWN_A, "2026-03-20")
            .rate("rating", TOWN_A, "2026-03-21", Satisfaction::Satisfied)
            .close(TOWN_A, "2026-03-22", "2026-03-23")
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::fixtures::*;
    use super::*;
    use crate::case::{Body, Satisfaction, Screening, Supervision};

    fn of(s: &Story<'_>, case_no: &str) -> CaseFacts {
        facts(case_no, &s.header, &s.details, &s.records, &s.world.ctx())
    }

    #[test]
    fn an_assigned_case_closed_on_time() {
        let w = World::new();
        let s = assigned_and_closed(&w);
        assert_eq!(
            of(&s, "C1"),
            CaseFacts {
                case_no: "C1".into(),
                registered_by: COUNTY.into(),
                received: day("2026-03-02"),
                month: "2026-03".into(),
                channel: "online".into(),
                purpose: String::new(),
                category: String::new(),
                status: "closed".into(),
                handling_unit: TOWN_A.into(),
                // No responsible unit was named: the handling unit answers for it.
                responsible_unit: TOWN_A.into(),
                // 2026-03-02 + 15 days = Tuesday 2026-03-17, a working day.
                accept_due: Some(day("2026-03-17")),
                screened_on: Some(day("2026-03-03")),
                screened_by: COUNTY.into(),
                accepted: true,
                // From town A's acceptance on 03-05, 60 + 10 days: Thursday 2026-05-14.
                reply_due: Some(day("2026-05-14")),
                replied_on: Some(day("2026-03-20")),
                replied_by: TOWN_A.into(),
                closed_on: Some(day("2026-03-23")),
                rated: true,
                satisfied: Some(true),
                repeat: false,
                online: true,
                reviewed: false,
                // Closed: nothing is due any more.
                next_due: None,
                next_due_kind: String::new(),
                next_due_unit: String::new(),
            }
        );
    }

    #[test]
    fn details_and_open_deadlines() {
        let w = World::new();
        let mut s =
            Story::new(&w, COUNTY, "2026-04-20", Channel::Letter).accept(COUNTY, "2026-04-20");
        s.details.purpose = Some("claim".into());
        s.details.category = Some("land".into());
        s.details.responsible_unit = Some(u(TOWN_B));
        s.details.repeat_of = Some("C0".into());
        let f = of(&s, "C7");
        assert_eq!(
            (f.channel.as_str(), f.purpose.as_str(), f.category.as_str()),
            ("letter", "claim", "land")
        );
        assert_eq!((f.repeat, f.online), (true, false));
        assert_eq!(
            (f.handling_unit.as_str(), f.responsible_unit.as_str()),
            (COUNTY, TOWN_B)
        );
        assert_eq!(f.status, "accepted");
        // 04-20 + 15 = 05-05, inside the Labour Day holiday (05-01..05-05): Wednesday 05-06.
        assert_eq!(f.accept_due, Some(day("2026-05-06")));
        // 04-20 + 60 = 06-19, the Dragon Boat holiday (06-19..06-21): Monday 06-22.
        assert_eq!(f.reply_due, Some(day("2026-06-22")));
        // Accepted but not yet routed: routing is due first, by the county.
        assert_eq!(f.next_due, Some(day("2026-05-06")));
        assert_eq!(
            (f.next_due_kind.as_str(), f.next_due_unit.as_str()),
            ("route", COUNTY)
        );
        assert_eq!(
            (f.replied_on, f.closed_on, f.rated, f.satisfied),
            (None, None, false, None)
        );
    }

    #[test]
    fn not_accepted_cases_owe_no_reply() {
        let w = World::new();
        let s = Story::new(&w, TOWN_B, "2026-03-02", Channel::Phone).screen(
            TOWN_B,
            "2026-03-10",
            Screening::NotAccept {
                notice: "不予受理告知书".into(),
                competent_authority: "县人社局".into(),
            },
        );
        let f = of(&s, "C5");
        assert_eq!(f.status, "not_accepted");
        assert_eq!(
            (f.screened_on, f.accepted),
            (Some(day("2026-03-10")), false)
        );
        assert_eq!((f.reply_due, f.next_due), (None, None));
        assert!(!overdue(&f, day("2030-01-01")));
    }

    #[test]
    fn a_sent_back_reply_counts_on_its_first_day_and_voids_the_rating() {
        let w = World::new();
        let s = Story::new(&w, TOWN_A, "2026-03-02", Channel::Visit)
            .accept(TOWN_A, "2026-03-02")
            .reply("r1", TOWN_A, "2026-03-10")
            .rate("e1", TOWN_A, "2026-03-11", Satisfaction::Unsatisfied)
            .step(
                "sb",
                COUNTY,
                "2026-03-12",
                Body::SendBack {
                    reason: "答复不充分".into(),
                },
            )
            .reply("r2", TOWN_A, "2026-03-20");
        let f = of(&s, "C9");
        assert_eq!(f.replied_on, Some(day("2026-03-10")));
        // 03-02 + 60 = Friday 05-01, Labour Day (05-01..05-05): Wednesday 05-06.
        assert_eq!(f.reply_due, Some(day("2026-05-06")));
        // The rating was of the reply sent back; the new reply is not rated yet.
        assert_eq!((f.rated, f.satisfied), (false, None));
        let s = s.rate("e2", TOWN_A, "2026-03-21", Satisfaction::Basic);
        let f = of(&s, "C9");
        assert_eq!((f.rated, f.satisfied), (true, Some(true)));
        assert_eq!(f.status, "replied");
    }

    #[test]
    fn a_late_screening_reply_and_closure_then_review() {
        let w = World::new();
        let s = Story::new(&w, COUNTY, "2026-03-02", Channel::Visit)
            .accept(COUNTY, "2026-03-20")
            .reply("reply", COUNTY, "2026-05-20")
            .rate("rating", COUNTY, "2026-05-21", Satisfaction::Unsatisfied)
            .close(COUNTY, "2026-05-21", "2026-05-22")
            .review(COUNTY, "2026-05-25");
        let f = of(&s, "C2");
        assert_eq!(f.accept_due, Some(day("2026-03-17")));
        assert_eq!(f.screened_on, Some(day("2026-03-20")));
        // 03-20 + 60 = Tuesday 05-19.
        assert_eq!(f.reply_due, Some(day("2026-05-19")));
        assert_eq!(f.replied_on, Some(day("2026-05-20")));
        assert_eq!(f.closed_on, Some(day("2026-05-22")));
        assert_eq!(
            (f.rated, f.satisfied, f.reviewed),
            (true, Some(false), true)
        );
        assert_eq!(f.status, "under_review");
        // The review is answered within 30 days of the request: 05-25 + 30 = 06-24.
        assert_eq!(f.next_due, Some(day("2026-06-24")));
        assert_eq!(f.next_due_kind, "review_answer");
    }

    #[test]
    fn overdue_flips_by_time_alone() {
        let w = World::new();
        let s = Story::new(&w, COUNTY, "2026-04-01", Channel::Letter);
        let f = of(&s, "C4");
        // 04-01 + 15 = Thursday 04-16: on time through that day, overdue after it.
        assert_eq!(f.next_due, Some(day("2026-04-16")));
        assert_eq!(
            (f.next_due_kind.as_str(), f.next_due_unit.as_str()),
            ("route", COUNTY)
        );
        assert!(!overdue(&f, day("2026-04-01")));
        assert!(!overdue(&f, day("2026-04-16")));
        assert!(overdue(&f, day("2026-04-17")));
        // The facts themselves did not change: nothing was written.
        assert_eq!(of(&s, "C4"), f);
        // A supervision due earlier becomes the next deadline, at the unit supervised.
        let s = s.accept(COUNTY, "2026-04-02").step(
            "assign",
            COUNTY,
            "2026-04-03",
            Body::Assign {
                to: u(COMM_A),
                due: day("2026-04-20"),
            },
        );
        let s = s.accept(COMM_A, "2026-04-03").step(
            "sv",
            TOWN_A,
            "2026-04-07",
            Body::Supervision {
                method: Supervision::Phone,
                due: day("2026-04-09"),
                demand: "尽快".into(),
            },
        );
        let f = of(&s, "C4");
        assert_eq!(f.next_due, Some(day("2026-04-09")));
        assert_eq!(
            (f.next_due_kind.as_str(), f.next_due_unit.as_str()),
            ("supervision", COMM_A)
        );
        assert!(!overdue(&f, day("2026-04-09")) && overdue(&f, day("2026-04-10")));
    }

    #[test]
    fn facts_round_trip_as_json() {
        let w = World::new();
        let f = of(&assigned_and_closed(&w), "C1");
        let back: CaseFacts = serde_json::from_str(&serde_json::to_string(&f).unwrap()).unwrap();
        assert_eq!(back, f);
    }

    fn shuffled(v: &[Record], keys: &[u32]) -> Vec<Record> {
        let mut idx: Vec<usize> = (0..v.len()).collect();
        idx.sort_by_key(|&i| keys.get(i).copied().unwrap_or(0));
        idx.into_iter().map(|i| v[i].clone()).collect()
    }

    proptest! {
        /// Facts are a function of the *set* of records: any subset, in any arrival
        /// order, with duplicates, gives the same facts as that subset in order.
        #[test]
        fn facts_ignore_arrival_order(
            subset in proptest::collection::vec(any::<bool>(), 8),
            keys in proptest::collection::vec(any::<u32>(), 8),
            dup in 0usize..8,
        ) {
            let w = World::new();
            let s = assigned_and_closed(&w);
            prop_assert_eq!(s.records.len(), 8);
            let chosen: Vec<Record> = s
                .records
                .iter()
                .zip(&subset)
                .filter(|(_, k)| **k)
                .map(|(r, _)| r.clone())
                .collect();
            let mut arrived = shuffled(&chosen, &keys);
            if let Some(d) = chosen.get(dup % chosen.len().max(1)) {
                arrived.push(d.clone());
            }
            let ctx = w.ctx();
            prop_assert_eq!(
                facts("C1", &s.header, &s.details, &chosen, &ctx),
                facts("C1", &s.header, &s.details, &arrived, &ctx)
            );
        }
    }
}
