//! The rates bureaus are assessed on, computed purely from case facts as of a day.
//!
//! Each rate is a numerator over a denominator of cases; [`counts`] says where one
//! case stands in one rate, so the cases behind either number can be listed. A rate
//! with nothing in its denominator has no value (shown as "—"), never 0 % or 100 %.
//! Definitions, in full: `docs/reports.md`, "Rate definitions".
//!
//! "As of" a day: an event counts when it happened on or before that day; a
//! deadline counts as missed when its last day is before that day (as
//! [`super::facts::overdue`]). Cases registered after the day are left out. Facts
//! without a date (rated, reviewed, repeat) are taken as they stand.
//!
//! Every rate is charged to one unit per case ([`charged_unit`]): acceptance and
//! the registration shares to the petition office that registered the case; reply,
//! completion, rating, satisfaction and one-time resolution to the responsible unit.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::facts::CaseFacts;

/// Who a rate is charged to, the split superiors ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChargedTo {
    /// The petition office that registered the case (信访部门).
    PetitionOffice,
    /// The responsible unit (责任单位): `details.responsible_unit`, else the unit
    /// handling the case.
    ResponsibleUnit,
}

impl ChargedTo {
    /// "office" | "responsible", as in a report request.
    pub fn code(self) -> &'static str {
        match self {
            ChargedTo::PetitionOffice => "office",
            ChargedTo::ResponsibleUnit => "responsible",
        }
    }

    pub fn from_code(s: &str) -> Option<ChargedTo> {
        match s {
            "office" => Some(ChargedTo::PetitionOffice),
            "responsible" => Some(ChargedTo::ResponsibleUnit),
            _ => None,
        }
    }
}

/// One rate: its code, Chinese name, and who it is charged to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateKind {
    pub code: &'static str,
    pub name_zh: &'static str,
    pub charged: ChargedTo,
}

const fn kind(code: &'static str, name_zh: &'static str, charged: ChargedTo) -> RateKind {
    RateKind {
        code,
        name_zh,
        charged,
    }
}

/// Every rate, in the order reports show them.
pub const RATES: [RateKind; 8] = [
    kind("timely_acceptance", "及时受理率", ChargedTo::PetitionOffice),
    kind("on_time_reply", "按期答复率", ChargedTo::ResponsibleUnit),
    kind(
        "on_time_completion",
        "按期办结率",
        ChargedTo::ResponsibleUnit,
    ),
    kind("rated_share", "参评率", ChargedTo::ResponsibleUnit),
    kind("satisfaction", "满意率", ChargedTo::ResponsibleUnit),
    kind("repeat", "重复信访率", ChargedTo::PetitionOffice),
    kind("online_share", "网信占比", ChargedTo::PetitionOffice),
    kind(
        "one_time_resolution",
        "一次性化解率",
        ChargedTo::ResponsibleUnit,
    ),
];

/// The rate with this code.
pub fn rate_kind(code: &str) -> Option<RateKind> {
    RATES.iter().copied().find(|k| k.code == code)
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rate {
    pub code: &'static str,
    pub name_zh: &'static str,
    pub numerator: u64,
    pub denominator: u64,
    /// `numerator / denominator`; `None` when the denominator is 0.
    pub value: Option<f64>,
}

impl Rate {
    /// As a report shows it: "66.7%", or "—" when there is no value.
    pub fn percent(&self) -> String {
        match self.value {
            Some(v) => format!("{:.1}%", v * 100.0),
            None => "—".to_owned(),
        }
    }
}

/// The unit a rate is charged to for this case: the registering office for
/// petition-office rates, the responsible unit for the others; "" for an unknown
/// rate code (so it matches no unit).
pub fn charged_unit<'a>(rate_code: &str, f: &'a CaseFacts) -> &'a str {
    match rate_kind(rate_code).map(|k| k.charged) {
        Some(ChargedTo::PetitionOffice) => &f.registered_by,
        Some(ChargedTo::ResponsibleUnit) => &f.responsible_unit,
        None => "",
    }
}

/// Case numbers that a later petition names as `repeat_of`: the matter came back,
/// so the earlier case was not resolved at one time. Built from every case the
/// node holds (not only those reported on), e.g.
/// `details.iter().filter_map(|d| d.repeat_of.clone()).collect()`.
pub type Repeated = BTreeSet<String>;

/// Where one case stands in one rate as of `as_of`: `None` outside the
/// denominator, `Some(true)` in the numerator too, `Some(false)` only in the
/// denominator. `None` for an unknown code.
pub fn counts(
    rate_code: &str,
    f: &CaseFacts,
    as_of: NaiveDate,
    repeated: &Repeated,
) -> Option<bool> {
    if f.received > as_of {
        return None;
    }
    let by = |d: Option<NaiveDate>| d.filter(|d| *d <= as_of);
    // In the denominator when done by `as_of` or its last day has passed; in the
    // numerator when done by its due day.
    let timely = |done: Option<NaiveDate>, due: Option<NaiveDate>| -> Option<bool> {
        let due = due?;
        match by(done) {
            Some(d) => Some(d <= due),
            None => (due < as_of).then_some(false),
        }
    };
    let accepted = f.accepted && by(f.screened_on).is_some();
    match rate_code {
        "timely_acceptance" => timely(f.screened_on, f.accept_due),
        "on_time_reply" if accepted => timely(f.replied_on, f.reply_due),
        "on_time_completion" if accepted => timely(f.closed_on, f.reply_due),
        "on_time_reply" | "on_time_completion" => None,
        "rated_share" => by(f.replied_on).map(|_| f.rated),
        "satisfaction" => {
            (by(f.replied_on).is_some() && f.rated).then_some(f.satisfied == Some(true))
        }
        "repeat" => Some(f.repeat),
        "online_share" => Some(f.online),
        "one_time_resolution" => {
            by(f.closed_on).map(|_| !f.reviewed && !repeated.contains(&f.case_no))
        }
        _ => None,
    }
}

/// From which day on one case is in a rate's numerator and denominator: the
/// first `as_of` at which [`counts`] says `Some(true)`, and the first at which it
/// says `Some(_)` (None: never, whatever the day). Every membership is monotone in
/// `as_of` — once done or past due a case stays counted — so a case's place in
/// every rate on every day is these two days, which is what lets the rollups keep
/// rates incrementally (`report::rollup`). `repeated`: a later petition names this
/// case as `repeat_of`.
pub fn entry_days(
    rate_code: &str,
    f: &CaseFacts,
    repeated: bool,
) -> (Option<NaiveDate>, Option<NaiveDate>) {
    // In the denominator from the day done or the day after the due day, whichever
    // is first; in the numerator from the day done if that was by the due day.
    let timely = |done: Option<NaiveDate>, due: Option<NaiveDate>| match (done, due) {
        (_, None) => (None, None),
        (Some(d), Some(due)) if d <= due => (Some(d), Some(d)),
        // Late or not done: counted against from the day after the due day.
        (_, Some(due)) => (None, Some(due.succ_opt().unwrap_or(due))),
    };
    let when = |cond: bool, d: Option<NaiveDate>| d.filter(|_| cond);
    let accepted = when(f.accepted, f.screened_on);
    // Both conditions must hold: the later of the two days.
    let both = |a: Option<NaiveDate>, b: Option<NaiveDate>| Some(a?.max(b?));
    let (numerator, denominator) = match rate_code {
        "timely_acceptance" => timely(f.screened_on, f.accept_due),
        "on_time_reply" | "on_time_completion" => {
            let done = if rate_code == "on_time_reply" {
                f.replied_on
            } else {
                f.closed_on
            };
            let (n, d) = timely(done, f.reply_due);
            (both(accepted, n), both(accepted, d))
        }
        "rated_share" => (when(f.rated, f.replied_on), f.replied_on),
        "satisfaction" => (
            when(f.rated && f.satisfied == Some(true), f.replied_on),
            when(f.rated, f.replied_on),
        ),
        "repeat" => (when(f.repeat, Some(f.received)), Some(f.received)),
        "online_share" => (when(f.online, Some(f.received)), Some(f.received)),
        "one_time_resolution" => (when(!f.reviewed && !repeated, f.closed_on), f.closed_on),
        _ => (None, None),
    };
    // Nothing counts before the case was registered.
    let from = |d: Option<NaiveDate>| d.map(|d| d.max(f.received));
    (from(numerator), from(denominator))
}

/// The rates over `cases` as of `as_of`: all of them, or only those charged to
/// one side. Every case counts, whichever unit it is charged to (see
/// [`rates_charged_to`] for one unit's rates).
pub fn rates(
    cases: &[&CaseFacts],
    as_of: NaiveDate,
    charged: Option<ChargedTo>,
    repeated: &Repeated,
) -> Vec<Rate> {
    rates_charged_to(cases, as_of, charged, repeated, |_| true)
}

/// The rates of the units `unit` accepts: each rate counts only the cases whose
/// [`charged_unit`] for that rate is accepted (a unit's acceptance rate is over the
/// cases it registered, its reply rate over the cases it is responsible for).
pub fn rates_charged_to(
    cases: &[&CaseFacts],
    as_of: NaiveDate,
    charged: Option<ChargedTo>,
    repeated: &Repeated,
    unit: impl Fn(&str) -> bool,
) -> Vec<Rate> {
    RATES
        .iter()
        .filter(|k| charged.is_none_or(|c| c == k.charged))
        .map(|k| {
            let (mut numerator, mut denominator) = (0u64, 0u64);
            for f in cases {
                if !unit(charged_unit(k.code, f)) {
                    continue;
                }
                if let Some(hit) = counts(k.code, f, as_of, repeated) {
                    denominator += 1;
                    numerator += u64::from(hit);
                }
            }
            Rate {
                code: k.code,
                name_zh: k.name_zh,
                numerator,
                denominator,
                value: (denominator > 0).then(|| numerator as f64 / denominator as f64),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::facts::fixtures::*;
    use super::super::facts::{CaseFacts, facts};
    use super::*;
    use crate::case::Channel;
    use crate::case::{Satisfaction, Screening};

    /// Seven cases, all at the county except C5 (town B); as of Monday 2026-06-01.
    ///
    /// | case | received | screened (due) | reply (due) | closed | rating | other |
    /// |---|---|---|---|---|---|---|
    /// | C1 | 03-02 | 03-03 (03-17) ok | town A 03-20 (05-14) ok | 03-23 ok | satisfied | online, assigned to town A |
    /// | C2 | 03-02 | 03-20 (03-17) late | 05-20 (05-19) late | 05-22 late | unsatisfied | repeat, review, responsible: town B |
    /// | C3 | 05-20 | — (06-04) not yet due | | | | online |
    /// | C4 | 04-01 | — (04-16) missed | | | | letter |
    /// | C5 | 03-02 | not accepted 03-10 (03-17) ok | | | | registered at town B, phone |
    /// | C6 | 03-16 | 03-16 (03-31) ok | — (05-15) missed | — | | |
    /// | C7 | 04-20 | 04-20 (05-06) ok | 05-11 (06-22) ok | — (06-22) not yet due | | |
    fn cases(w: &World) -> Vec<CaseFacts> {
        let of = |no: &str, s: Story<'_>| facts(no, &s.header, &s.details, &s.records, &w.ctx());
        let mut c2 = Story::new(w, COUNTY, "2026-03-02", Channel::Visit)
            .accept(COUNTY, "2026-03-20")
            .reply("reply", COUNTY, "2026-05-20")
            .rate("rating", COUNTY, "2026-05-21", Satisfaction::Unsatisfied)
            .close(COUNTY, "2026-05-21", "2026-05-22")
            .review(COUNTY, "2026-05-25");
        c2.details.repeat_of = Some("C0".into());
        c2.details.responsible_unit = Some(u(TOWN_B));
        vec![
            of("C1", assigned_and_closed(w)),
            of("C2", c2),
            of("C3", Story::new(w, COUNTY, "2026-05-20", Channel::Online)),
            of("C4", Story::new(w, COUNTY, "2026-04-01", Channel::Letter)),
            of(
                "C5",
                Story::new(w, TOWN_B, "2026-03-02", Channel::Phone).screen(
                    TOWN_B,
                    "2026-03-10",
                    Screening::NotAccept {
                        notice: "不予受理告知书".into(),
                        competent_authority: "县人社局".into(),
                    },
                ),
            ),
            of(
                "C6",
                Story::new(w, COUNTY, "2026-03-16", Channel::Visit).accept(COUNTY, "2026-03-16"),
            ),
            of(
                "C7",
                Story::new(w, COUNTY, "2026-04-20", Channel::Visit)
                    .accept(COUNTY, "2026-04-20")
                    .reply("reply", COUNTY, "2026-05-11"),
            ),
        ]
    }

    fn table(rates: &[Rate]) -> Vec<(&'static str, u64, u64)> {
        rates
            .iter()
            .map(|r| (r.code, r.numerator, r.denominator))
            .collect()
    }

    #[test]
    fn the_cases_are_what_the_table_says() {
        let w = World::new();
        let c = cases(&w);
        let due: Vec<_> = c.iter().map(|f| (f.accept_due, f.reply_due)).collect();
        let d = |s| Some(day(s));
        assert_eq!(
            due,
            vec![
                (d("2026-03-17"), d("2026-05-14")),
                (d("2026-03-17"), d("2026-05-19")),
                (d("2026-06-04"), None),
                (d("2026-04-16"), None),
                (d("2026-03-17"), None),
                (d("2026-03-31"), d("2026-05-15")),
                (d("2026-05-06"), d("2026-06-22")),
            ]
        );
        assert_eq!(c[1].responsible_unit, TOWN_B);
        assert_eq!(c[0].responsible_unit, TOWN_A);
        assert_eq!(c[5].responsible_unit, COUNTY);
    }

    #[test]
    fn all_rates_by_hand() {
        let w = World::new();
        let c = cases(&w);
        let all: Vec<&CaseFacts> = c.iter().collect();
        let r = rates(&all, day("2026-06-01"), None, &Repeated::new());
        assert_eq!(
            table(&r),
            vec![
                // Decided or past due: C1 C2 C4 C5 C6 C7 (C3 due 06-04 is not yet);
                // on time: C1 C5 C6 C7.
                ("timely_acceptance", 4, 6),
                // Accepted, replied or past due: C1 C2 C6 C7 (C5 not accepted);
                // on time: C1 C7 (C2 a day late, C6 never).
                ("on_time_reply", 2, 4),
                // Accepted, closed or past due: C1 C2 C6 (C7 due 06-22); on time: C1.
                ("on_time_completion", 1, 3),
                // Replied: C1 C2 C7; rated: C1 C2.
                ("rated_share", 2, 3),
                // Rated: C1 C2; satisfied: C1.
                ("satisfaction", 1, 2),
                // Registered: 7; repeats: C2.
                ("repeat", 1, 7),
                // Registered: 7; online: C1 C3.
                ("online_share", 2, 7),
                // Closed: C1 C2; neither reviewed nor repeated: C1.
                ("one_time_resolution", 1, 2),
            ]
        );
        assert_eq!(r[0].name_zh, "及时受理率");
        assert_eq!(r[0].value, Some(4.0 / 6.0));
        assert_eq!(r[0].percent(), "66.7%");
        assert_eq!(r[6].percent(), "28.6%");
        // A later petition repeating C1: it was not resolved at one time after all.
        let again: Repeated = ["C1".to_owned()].into();
        let r = rates(&all, day("2026-06-01"), None, &again);
        assert_eq!(table(&r)[7], ("one_time_resolution", 0, 2));
    }

    #[test]
    fn as_of_moves_deadlines_and_events() {
        let w = World::new();
        let c = cases(&w);
        let all: Vec<&CaseFacts> = c.iter().collect();
        let none = Repeated::new();
        // On 06-04 C3's screening is due but not yet late; on 06-05 it is.
        let on = |d: &str| rates(&all, day(d), Some(ChargedTo::PetitionOffice), &none);
        assert_eq!(table(&on("2026-06-04"))[0], ("timely_acceptance", 4, 6));
        assert_eq!(table(&on("2026-06-05"))[0], ("timely_acceptance", 4, 7));
        // As of 05-15: C3 was not registered yet (6 cases); C2's reply (due 05-19) and
        // closure were still to come, C6's reply is due that very day.
        let r = rates(&all, day("2026-05-15"), None, &none);
        assert_eq!(
            table(&r),
            vec![
                // C1 C2 C4 C5 C6 C7; on time: C1 C5 C6 C7.
                ("timely_acceptance", 4, 6),
                // Replied by then: C1 C7; past due: none (C6 due 05-15 is today).
                ("on_time_reply", 2, 2),
                // Closed by then: C1.
                ("on_time_completion", 1, 1),
                // Replied: C1 C7; rated: C1.
                ("rated_share", 1, 2),
                ("satisfaction", 1, 1),
                ("repeat", 1, 6),
                ("online_share", 1, 6),
                ("one_time_resolution", 1, 1),
            ]
        );
    }

    #[test]
    fn split_between_office_and_responsible_unit() {
        let w = World::new();
        let c = cases(&w);
        let all: Vec<&CaseFacts> = c.iter().collect();
        let none = Repeated::new();
        let as_of = day("2026-06-01");
        let office = rates(&all, as_of, Some(ChargedTo::PetitionOffice), &none);
        let codes: Vec<_> = office.iter().map(|r| r.code).collect();
        assert_eq!(codes, ["timely_acceptance", "repeat", "online_share"]);
        let resp = rates(&all, as_of, Some(ChargedTo::ResponsibleUnit), &none);
        assert_eq!(resp.len(), 5);

        // The county as petition office: the six cases it registered (not C5).
        let county = rates_charged_to(&all, as_of, None, &none, |u| u == COUNTY);
        assert_eq!(
            table(&county),
            vec![
                // C1 C2 C4 C6 C7; on time C1 C6 C7.
                ("timely_acceptance", 3, 5),
                // Responsible: C6 C7 (C1 is town A's, C2 town B's); on time: C7.
                ("on_time_reply", 1, 2),
                // C6 past due; C7 not yet due.
                ("on_time_completion", 0, 1),
                // Replied: C7, not rated.
                ("rated_share", 0, 1),
                ("satisfaction", 0, 0),
                ("repeat", 1, 6),
                ("online_share", 2, 6),
                ("one_time_resolution", 0, 0),
            ]
        );
        assert_eq!(county[4].value, None);
        assert_eq!(county[4].percent(), "—");
        // Town B: registered C5 (screened on time); responsible for C2 (all late).
        let town_b = rates_charged_to(&all, as_of, None, &none, |u| u == TOWN_B);
        assert_eq!(
            table(&town_b),
            vec![
                ("timely_acceptance", 1, 1),
                ("on_time_reply", 0, 1),
                ("on_time_completion", 0, 1),
                ("rated_share", 1, 1),
                ("satisfaction", 0, 1),
                ("repeat", 0, 1),
                ("online_share", 0, 1),
                ("one_time_resolution", 0, 1),
            ]
        );
        assert_eq!(charged_unit("timely_acceptance", &c[1]), COUNTY);
        assert_eq!(charged_unit("satisfaction", &c[1]), TOWN_B);
        assert_eq!(charged_unit("no_such_rate", &c[1]), "");
    }

    #[test]
    fn nothing_due_means_no_value() {
        let r = rates(&[], day("2026-06-01"), None, &Repeated::new());
        assert_eq!(r.len(), 8);
        assert!(r.iter().all(|r| r.denominator == 0 && r.value.is_none()));
        assert!(r.iter().all(|r| r.percent() == "—"));
        let names: Vec<_> = r.iter().map(|r| r.name_zh).collect();
        assert_eq!(
            names,
            [
                "及时受理率",
                "按期答复率",
                "按期办结率",
                "参评率",
                "满意率",
                "重复信访率",
                "网信占比",
                "一次性化解率"
            ]
        );
    }

    /// Arbitrary facts: days within a few weeks of each other, any flags.
    fn arbitrary_facts() -> impl Strategy<Value = (CaseFacts, bool)> {
        let d = || proptest::option::of(0i64..60);
        (
            (0i64..20, d(), d(), d(), d(), d(), d()),
            (any::<[bool; 6]>(), proptest::option::of(any::<bool>())),
            any::<bool>(),
        )
            .prop_map(
                |((rec, acc_due, scr, rep_due, rep, clo, _), (b, sat), repeated)| {
                    let base = day("2026-03-01");
                    let on = |n: i64| base + chrono::Days::new(n as u64);
                    let w = World::new();
                    let mut f = facts(
                        "P1",
                        &Story::new(&w, COUNTY, "2026-03-01", Channel::Visit).header,
                        &Default::default(),
                        &[],
                        &w.ctx(),
                    );
                    f.received = on(rec);
                    f.accept_due = acc_due.map(on);
                    f.screened_on = scr.map(on);
                    f.accepted = b[0];
                    f.reply_due = rep_due.map(on);
                    f.replied_on = rep.map(on);
                    f.closed_on = clo.map(on);
                    f.rated = b[1];
                    f.satisfied = sat;
                    f.repeat = b[2];
                    f.online = b[3];
                    f.reviewed = b[4];
                    (f, repeated)
                },
            )
    }

    use proptest::prelude::*;

    proptest! {
        /// The entry days say exactly what `counts` says on every day: the rollups
        /// kept from them give the rates of the definitions.
        #[test]
        fn entry_days_agree_with_counts_on_every_day((f, repeated) in arbitrary_facts()) {
            let set: Repeated = if repeated { ["P1".to_owned()].into() } else { Repeated::new() };
            for k in RATES {
                let (n, d) = entry_days(k.code, &f, repeated);
                for offset in 0..90u64 {
                    let as_of = day("2026-02-25") + chrono::Days::new(offset);
                    let expected = counts(k.code, &f, as_of, &set);
                    let got = match (d.is_some_and(|d| d <= as_of), n.is_some_and(|n| n <= as_of)) {
                        (false, false) => None,
                        (true, hit) => Some(hit),
                        (false, true) => panic!("{}: numerator without denominator", k.code),
                    };
                    prop_assert_eq!(got, expected, "{} as of {}", k.code, as_of);
                }
            }
        }
    }

    #[test]
    fn charged_codes_round_trip() {
        for c in [ChargedTo::PetitionOffice, ChargedTo::ResponsibleUnit] {
            assert_eq!(ChargedTo::from_code(c.code()), Some(c));
        }
        assert_eq!(ChargedTo::from_code("all"), None);
    }
}
