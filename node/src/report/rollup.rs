//! Rollups: what each case adds to the counts, rates and open deadlines of every
//! unit it is reported under, as a pure function of its facts ([`entries`]).
//!
//! A case registered by unit R is counted at R and at each unit above R up to this
//! node's own unit (its *anchors*, [`Anchors::chain`]). For each anchor it adds:
//!
//! - [`Entry::Count`]: one per dimension (`all`, `unit` = the unit directly below
//!   the anchor it came through, `channel`, `purpose`, `category`, `status`,
//!   `tier` of R, each true `flag`, and its open deadline's `due` day), keyed by
//!   its registration month;
//! - [`Entry::Rate`]: for each rate part it will ever be in (numerator 2i or
//!   denominator 2i+1 of [`RATES`]`[i]`), the day from which it is
//!   ([`rates::entry_days`]) and the unit below the anchor it is charged to. The
//!   count "as of" a day is the sum over entries up to that day, so time passing
//!   needs no write;
//! - [`Entry::Due`]: its open deadline at each unit above the unit that must act
//!   (the overdue view is by who must act, whatever the period).
//!
//! The projector keeps these summed in SQL tables, changing them by the difference
//! between a case's old and new entries in the transaction that changes the case;
//! reports for days at the edges of a period, and for units without units below,
//! sum the same entries computed from the per-case rows. Both go through this one
//! function, so they cannot disagree.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use xinfang_hub::{Topology, UnitCode};

use super::facts::CaseFacts;
use super::rates::{self, ChargedTo, RATES};

/// The count dimensions a report can ask for, besides `all`, `flag` and `due`.
pub const DIMENSIONS: [&str; 6] = ["unit", "channel", "purpose", "category", "status", "tier"];

/// Which units a case is counted at, seen from this node.
#[derive(Clone, Copy)]
pub struct Anchors<'a> {
    topology: &'a Topology,
    me: &'a UnitCode,
}

impl<'a> Anchors<'a> {
    pub fn new(topology: &'a Topology, me: &'a UnitCode) -> Self {
        Anchors { topology, me }
    }

    /// `unit` and each unit above it up to this node's unit, nearest first; empty
    /// when `unit` is unknown or not in this node's subtree.
    pub fn chain(&self, unit: &str) -> Vec<UnitCode> {
        let Ok(code) = unit.parse::<UnitCode>() else {
            return Vec::new();
        };
        if !self.topology.contains(&code) || !self.topology.in_subtree(self.me, &code) {
            return Vec::new();
        }
        let mut chain = self.topology.ancestors(&code);
        if let Some(i) = chain.iter().position(|u| u == self.me) {
            chain.truncate(i + 1);
        }
        chain
    }

    /// Whether the rollup tables keep this anchor: units with units below. A unit
    /// without is answered from its few per-case rows.
    pub fn kept(&self, anchor: &UnitCode) -> bool {
        !self.topology.children(anchor).is_empty()
    }
}

/// One thing a case adds 1 to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Entry {
    /// Among cases registered in `month` at or below `anchor`: `dim` = `value`.
    Count {
        anchor: UnitCode,
        month: String,
        dim: &'static str,
        value: String,
    },
    /// In rate part `part` from `day` on, charged to `group` (the anchor or the
    /// unit directly below it that the charged unit is in).
    Rate {
        anchor: UnitCode,
        month: String,
        group: String,
        part: u8,
        day: NaiveDate,
    },
    /// An open deadline of `kind` due on `day`, to be met at or below `anchor`.
    Due {
        anchor: UnitCode,
        kind: String,
        day: NaiveDate,
    },
}

impl Entry {
    pub fn anchor(&self) -> &UnitCode {
        match self {
            Entry::Count { anchor, .. }
            | Entry::Rate { anchor, .. }
            | Entry::Due { anchor, .. } => anchor,
        }
    }
}

/// The unit directly below `chain[i]` on the way to `chain[0]`, or `chain[0]`
/// itself at `i == 0`.
fn below(chain: &[UnitCode], i: usize) -> &UnitCode {
    &chain[i.saturating_sub(1)]
}

/// Everything one case adds to the rollups. `repeated`: a later petition names it
/// as `repeat_of`.
pub fn entries(f: &CaseFacts, repeated: bool, anchors: &Anchors<'_>) -> Vec<Entry> {
    entries_at(f, repeated, anchors, None, true)
}

/// What one case adds at `only` (None: at every anchor), with or without the rate
/// entries: the same entries as [`entries`], fewer of them, for a report that
/// sums one unit's cases from their rows.
pub fn entries_at(
    f: &CaseFacts,
    repeated: bool,
    anchors: &Anchors<'_>,
    only: Option<&UnitCode>,
    with_rates: bool,
) -> Vec<Entry> {
    let mut out = Vec::new();
    let chain = anchors.chain(&f.registered_by);
    let responsible = anchors.chain(&f.responsible_unit);
    let tier = chain
        .first()
        .and_then(|c| anchors.topology.unit(c))
        .map(|u| match u.kind {
            // Departments are counted beside the geographic tiers, not in them.
            xinfang_hub::UnitKind::Department => "department",
            xinfang_hub::UnitKind::Government => u.tier.as_str(),
        })
        .unwrap_or("");
    let flags = [
        ("accepted", f.accepted),
        ("replied", f.replied_on.is_some()),
        ("closed", f.closed_on.is_some()),
        ("repeat", f.repeat),
        ("online", f.online),
    ];
    let parts: Vec<(usize, ChargedTo, Option<NaiveDate>, Option<NaiveDate>)> = RATES
        .iter()
        .enumerate()
        .filter(|_| with_rates)
        .map(|(i, k)| {
            let (n, d) = rates::entry_days(k.code, f, repeated);
            (i, k.charged, n, d)
        })
        .collect();
    for (i, anchor) in chain.iter().enumerate() {
        if only.is_some_and(|o| o != anchor) {
            continue;
        }
        let count = |dim: &'static str, value: &str| Entry::Count {
            anchor: anchor.clone(),
            month: f.month.clone(),
            dim,
            value: value.to_owned(),
        };
        out.push(count("all", ""));
        out.push(count("unit", below(&chain, i).as_str()));
        out.push(count("channel", &f.channel));
        out.push(count("purpose", &f.purpose));
        out.push(count("category", &f.category));
        out.push(count("status", &f.status));
        out.push(count("tier", tier));
        for (flag, set) in flags {
            if set {
                out.push(count("flag", flag));
            }
        }
        if let Some(due) = f.next_due {
            out.push(count("due", &due.to_string()));
        }
        // A responsible-unit rate counts here only if the responsible unit is at
        // or below this anchor.
        let charged_here = responsible
            .iter()
            .position(|u| u == anchor)
            .map(|j| below(&responsible, j).to_string());
        for (k, charged, numerator, denominator) in &parts {
            let group = match charged {
                ChargedTo::PetitionOffice => below(&chain, i).to_string(),
                ChargedTo::ResponsibleUnit => match &charged_here {
                    Some(g) => g.clone(),
                    None => continue,
                },
            };
            for (part, day) in [(2 * k, numerator), (2 * k + 1, denominator)] {
                if let Some(day) = day {
                    out.push(Entry::Rate {
                        anchor: anchor.clone(),
                        month: f.month.clone(),
                        group: group.clone(),
                        part: part as u8,
                        day: *day,
                    });
                }
            }
        }
    }
    if let Some(due) = f.next_due {
        for anchor in anchors.chain(&f.next_due_unit) {
            if only.is_some_and(|o| *o != anchor) {
                continue;
            }
            out.push(Entry::Due {
                anchor,
                kind: f.next_due_kind.clone(),
                day: due,
            });
        }
    }
    out
}

/// The difference between a case's old and new entries (each +1 / -1), summed
/// into `into`; zero differences are dropped.
pub fn diff(old: &[Entry], new: &[Entry], into: &mut std::collections::HashMap<Entry, i64>) {
    // Per entry, not a pass over `into`: a batch sums hundreds of cases into one
    // map, and sweeping it for zeros after each case made a batch quadratic.
    let mut add = |e: &Entry, by: i64| match into.get_mut(e) {
        Some(n) => {
            *n += by;
            if *n == 0 {
                into.remove(e);
            }
        }
        None => {
            into.insert(e.clone(), by);
        }
    };
    for e in old {
        add(e, -1);
    }
    for e in new {
        add(e, 1);
    }
}

/// Sums of entries at one anchor, as a report reads them, whether from the
/// rollup tables or computed from per-case rows.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Tally {
    /// (month, dim, value) → cases.
    pub counts: BTreeMap<(String, String, String), i64>,
    /// (group, part) → cases in that part as of the tally's day.
    pub rates: BTreeMap<(String, u8), i64>,
    /// (kind, due day) → open deadlines.
    pub due: BTreeMap<(String, NaiveDate), i64>,
}

/// What a tally collects.
#[derive(Debug, Clone, Copy, Default)]
pub struct Need<'a> {
    /// Count dimensions.
    pub dims: &'a [&'a str],
    /// Rate parts reached by this day.
    pub rates_as_of: Option<NaiveDate>,
    /// Open deadlines due before this day.
    pub due_before: Option<NaiveDate>,
}

impl Tally {
    /// Adds one case's entries at `anchor`, as far as `need` asks.
    pub fn add(&mut self, entries: &[Entry], anchor: &UnitCode, need: &Need<'_>) {
        for e in entries.iter().filter(|e| e.anchor() == anchor) {
            match e {
                Entry::Count {
                    month, dim, value, ..
                } if need.dims.contains(dim) => {
                    *self
                        .counts
                        .entry((month.clone(), (*dim).to_owned(), value.clone()))
                        .or_insert(0) += 1;
                }
                Entry::Rate {
                    group, part, day, ..
                } if need.rates_as_of.is_some_and(|a| *day <= a) => {
                    *self.rates.entry((group.clone(), *part)).or_insert(0) += 1;
                }
                Entry::Due { kind, day, .. } if need.due_before.is_some_and(|b| *day < b) => {
                    *self.due.entry((kind.clone(), *day)).or_insert(0) += 1;
                }
                _ => {}
            }
        }
    }

    pub fn merge(&mut self, other: Tally) {
        for (k, n) in other.counts {
            *self.counts.entry(k).or_insert(0) += n;
        }
        for (k, n) in other.rates {
            *self.rates.entry(k).or_insert(0) += n;
        }
        for (k, n) in other.due {
            *self.due.entry(k).or_insert(0) += n;
        }
        self.counts.retain(|_, n| *n != 0);
        self.rates.retain(|_, n| *n != 0);
        self.due.retain(|_, n| *n != 0);
    }

    /// Cases counted in `dim` = `value` over every month.
    pub fn count(&self, dim: &str, value: &str) -> i64 {
        self.counts
            .iter()
            .filter(|((_, d, v), _)| d == dim && v == value)
            .map(|(_, n)| n)
            .sum()
    }

    /// Cases per value of `dim` over every month.
    pub fn by(&self, dim: &str) -> BTreeMap<String, i64> {
        let mut out = BTreeMap::new();
        for ((_, d, v), n) in &self.counts {
            if d == dim {
                *out.entry(v.clone()).or_insert(0) += n;
            }
        }
        out.retain(|_, n| *n != 0);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::facts::facts;
    use super::super::facts::fixtures::*;
    use super::super::rates::{Repeated, rates_charged_to};
    use super::*;
    use crate::case::Channel;
    use crate::case::Satisfaction;

    fn world_cases(w: &World) -> Vec<CaseFacts> {
        let of = |no: &str, s: Story<'_>| facts(no, &s.header, &s.details, &s.records, &w.ctx());
        let mut c2 = Story::new(w, COUNTY, "2026-03-02", Channel::Visit)
            .accept(COUNTY, "2026-03-20")
            .reply("reply", COUNTY, "2026-05-20")
            .rate("rating", COUNTY, "2026-05-21", Satisfaction::Unsatisfied)
            .close(COUNTY, "2026-05-21", "2026-05-22");
        c2.details.responsible_unit = Some(u(TOWN_B));
        vec![
            of("C1", assigned_and_closed(w)),
            of("C2", c2),
            of("C3", Story::new(w, COMM_A, "2026-05-20", Channel::Online)),
            of(
                "C4",
                Story::new(w, TOWN_A, "2026-04-01", Channel::Letter).accept(TOWN_A, "2026-04-02"),
            ),
        ]
    }

    #[test]
    fn a_case_counts_at_its_unit_and_each_unit_above_up_to_this_node() {
        let w = World::new();
        let topo = w.topology();
        let county = u(COUNTY);
        let a = Anchors::new(topo, &county);
        assert_eq!(a.chain(COMM_A), vec![u(COMM_A), u(TOWN_A), u(COUNTY)]);
        assert_eq!(a.chain(COUNTY), vec![u(COUNTY)]);
        // Above this node, or unknown: not counted here.
        assert!(a.chain(CITY).is_empty());
        assert!(a.chain("999999").is_empty());
        assert!(a.kept(&u(TOWN_A)));
        assert!(!a.kept(&u(COMM_A)));

        let c = world_cases(&w);
        let e = entries(&c[2], false, &a);
        let units: Vec<_> = e
            .iter()
            .filter_map(|e| match e {
                Entry::Count {
                    anchor,
                    dim: "unit",
                    value,
                    ..
                } => Some((anchor.to_string(), value.clone())),
                _ => None,
            })
            .collect();
        assert_eq!(
            units,
            vec![
                (COMM_A.to_owned(), COMM_A.to_owned()),
                (TOWN_A.to_owned(), COMM_A.to_owned()),
                (COUNTY.to_owned(), TOWN_A.to_owned()),
            ]
        );
    }

    /// Tallying the entries of each unit gives the rates of the definitions over
    /// the cases charged to it, on every day.
    #[test]
    fn tallied_entries_give_the_rates_of_the_definitions() {
        let w = World::new();
        let topo = w.topology();
        let city = u(CITY);
        let a = Anchors::new(topo, &city);
        let c = world_cases(&w);
        let all: Vec<&CaseFacts> = c.iter().collect();
        for offset in 0..120u64 {
            let as_of = day("2026-03-01") + chrono::Days::new(offset);
            for anchor in [CITY, COUNTY, TOWN_A, TOWN_B, COMM_A] {
                let anchor = u(anchor);
                let mut t = Tally::default();
                for f in &c {
                    t.add(
                        &entries(f, false, &a),
                        &anchor,
                        &Need {
                            rates_as_of: Some(as_of),
                            ..Need::default()
                        },
                    );
                }
                // Cases registered at or below the anchor, charged to a unit at or below it.
                let registered: Vec<&CaseFacts> = all
                    .iter()
                    .copied()
                    .filter(|f| topo.in_subtree(&anchor, &u(&f.registered_by)))
                    .collect();
                let expected = rates_charged_to(&registered, as_of, None, &Repeated::new(), |x| {
                    x.parse().is_ok_and(|x| topo.in_subtree(&anchor, &x))
                });
                for (i, r) in expected.iter().enumerate() {
                    let sum = |part: usize| -> u64 {
                        t.rates
                            .iter()
                            .filter(|((_, p), _)| *p as usize == part)
                            .map(|(_, n)| *n as u64)
                            .sum()
                    };
                    assert_eq!(
                        (sum(2 * i), sum(2 * i + 1)),
                        (r.numerator, r.denominator),
                        "{} at {anchor} as of {as_of}",
                        r.code
                    );
                }
            }
        }
    }

    #[test]
    fn entries_at_one_unit_are_the_entries_there() {
        let w = World::new();
        let city = u(CITY);
        let a = Anchors::new(w.topology(), &city);
        for f in world_cases(&w) {
            let all = entries(&f, false, &a);
            for unit in [CITY, COUNTY, TOWN_A, TOWN_B, COMM_A] {
                let unit = u(unit);
                let here: Vec<Entry> = all
                    .iter()
                    .filter(|e| e.anchor() == &unit)
                    .cloned()
                    .collect();
                assert_eq!(entries_at(&f, false, &a, Some(&unit), true), here);
                let counts: Vec<Entry> = here
                    .into_iter()
                    .filter(|e| !matches!(e, Entry::Rate { .. }))
                    .collect();
                assert_eq!(entries_at(&f, false, &a, Some(&unit), false), counts);
            }
        }
    }

    #[test]
    fn a_changed_case_changes_the_rollups_by_its_difference() {
        let w = World::new();
        let city = u(CITY);
        let a = Anchors::new(w.topology(), &city);
        let c = world_cases(&w);
        let before = entries(&c[3], false, &a);
        let mut after_facts = c[3].clone();
        after_facts.status = "closed".into();
        after_facts.closed_on = Some(day("2026-04-20"));
        let after = entries(&after_facts, false, &a);
        let mut d = std::collections::HashMap::new();
        diff(&before, &after, &mut d);
        // Status moves at the town, the county and the city; "closed" is flagged.
        let moved: Vec<_> = d
            .iter()
            .filter(|(e, _)| matches!(e, Entry::Count { dim: "status", .. }))
            .collect();
        assert_eq!(moved.len(), 6);
        assert!(d.values().all(|n| *n == 1 || *n == -1));
        let mut same = std::collections::HashMap::new();
        diff(&after, &after, &mut same);
        assert!(same.is_empty());
        // Differences summed over a batch cancel: the change and its undoing
        // leave nothing to write.
        diff(&after, &before, &mut d);
        assert!(d.is_empty(), "{d:?}");
    }
}
