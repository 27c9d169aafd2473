//! The lifecycle's rules, tested on hand-built cases (records, derivation,
//! admission): the world and its fixtures here; the rules one by one in
//! `rules`, the properties every history keeps in `properties`.

use chrono::TimeZone;
use xinfang_hub::{Tier, Unit};

use super::admission::*;
use super::record::*;
use super::state::*;
use crate::rules::calendar::HolidayCalendar;
use crate::rules::limits::TimeLimits;
use chrono::{NaiveDate, Utc};
use xinfang_hub::{Topology, UnitCode};

pub(crate) const CITY: &str = "441500";
pub(crate) const COUNTY: &str = "441521";
pub(crate) const TOWN_A: &str = "441521115000";
pub(crate) const TOWN_B: &str = "441521101000";
pub(crate) const COMM_A: &str = "441521115001";
/// 海丰县住房和城乡建设局, a county department.
pub(crate) const HOUSING: &str = "114415210070451214";

pub(crate) fn u(s: &str) -> UnitCode {
    s.parse().unwrap()
}

/// City → county → towns A and B, a community under A; the county housing bureau.
pub(crate) fn topo() -> Topology {
    let unit = |c: &str, tier, p: Option<&str>| Unit {
        code: u(c),
        name: c.into(),
        tier,
        parent: p.map(u),
        listen: "127.0.0.1:1".into(),
        api: None,
        kind: match u(c).scheme() {
            xinfang_hub::topology::CodeScheme::CreditCode => xinfang_hub::UnitKind::Department,
            xinfang_hub::topology::CodeScheme::Division => xinfang_hub::UnitKind::Government,
        },
        attributes: Default::default(),
    };
    Topology::from_units(vec![
        unit(CITY, Tier::City, None),
        unit(COUNTY, Tier::County, Some(CITY)),
        unit(TOWN_A, Tier::Township, Some(COUNTY)),
        unit(TOWN_B, Tier::Township, Some(COUNTY)),
        unit(COMM_A, Tier::Community, Some(TOWN_A)),
        unit(HOUSING, Tier::County, Some(COUNTY)),
    ])
    .unwrap()
}

pub(crate) struct World {
    pub(crate) topo: Topology,
    cal: HolidayCalendar,
    limits: TimeLimits,
    higher_visits: crate::rules::higher_visits::HigherVisitPolicies,
}

impl World {
    pub(crate) fn new() -> World {
        World {
            topo: topo(),
            cal: HolidayCalendar::official().unwrap(),
            limits: TimeLimits::default(),
            higher_visits: Default::default(),
        }
    }
    pub(crate) fn ctx(&self) -> Context<'_> {
        Context {
            topology: &self.topo,
            calendar: &self.cal,
            limits: &self.limits,
            higher_visits: &self.higher_visits,
        }
    }
}

pub(crate) fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

pub(crate) fn rec(id: &str, unit: &str, at: &str, body: Body) -> Record {
    let d = day(at);
    Record {
        id: id.into(),
        unit: u(unit),
        at: Utc.from_utc_datetime(&d.and_hms_opt(9, 0, 0).unwrap()),
        body,
        by: None,
    }
}

pub(crate) fn header() -> Header {
    Header {
        registered_by: u(COMM_A),
        received: day("2026-03-02"),
        skip_level_of: None,
        received_by_leader: false,
    }
}

/// Admits and appends, failing the test with the refusal if refused.
pub(super) fn step(w: &World, recs: &mut Vec<Record>, r: Record) {
    let today = local_day(r.at);
    if let Err(e) = admit(&header(), recs, &r, &w.ctx(), today) {
        panic!("{} refused: {e}", r.id);
    }
    recs.push(r);
}

pub(crate) fn accepted(w: &World) -> Vec<Record> {
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

pub(super) fn closable(w: &World) -> Vec<Record> {
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
                principal: false,
                work_group: Vec::new(),
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

pub(super) fn close(facts: bool, in_place: bool, file: bool) -> Record {
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

mod properties;
mod regulation;
mod rules;
