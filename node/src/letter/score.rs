//! Scoring a unit against its letter, and ranking the units scored. Pure: the
//! values measured come in, the verdicts go out.
//!
//! - A rate target is met when the rate's value is at least the threshold (at
//!   most, for a rate where lower is better); its margin is the value minus the
//!   threshold in percentage points (the threshold minus the value for a lower-
//!   is-better rate), so a positive margin is always "better than the target".
//! - A rate with nothing in its denominator has no value: the target is not
//!   assessed (neither met nor missed), as the reports show "—" rather than 0 %.
//! - A count target is met when the count is at most the ceiling; its margin is
//!   the ceiling minus the count.
//! - Ranking: most targets met first, then fewest missed, then the larger sum of
//!   margins over the rate targets (percentage points), then the unit code, so
//!   the order is total and the same at every node.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};
use xinfang_hub::UnitCode;

use super::{Target, lower_is_better};

/// What the service measured for one target.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Measured {
    /// A rate as a fraction (0.0–1.0), None when its denominator is 0; with the
    /// numerator and denominator behind it.
    Rate {
        value: Option<f64>,
        numerator: u64,
        denominator: u64,
    },
    Count(u64),
    /// Not measurable at this node (a filing count at the unit's own node).
    Unknown,
}

/// One target's verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    pub target: Target,
    pub measured: Measured,
    /// None: not assessed (a rate without cases).
    pub met: Option<bool>,
    /// How far beyond (positive) or short of (negative) the target: percentage
    /// points for a rate, a number of petitions for a count.
    pub margin: Option<f64>,
}

/// Judges one target against what was measured.
pub fn judge(target: &Target, measured: Measured) -> Verdict {
    let margin = match (target, measured) {
        (Target::Rate { code, threshold }, Measured::Rate { value, .. }) => value.map(|v| {
            let pct = v * 100.0;
            if lower_is_better(code) {
                threshold - pct
            } else {
                pct - threshold
            }
        }),
        (Target::Count { ceiling, .. }, Measured::Count(n)) => Some(*ceiling as f64 - n as f64),
        // A measurement of the wrong shape is no verdict.
        _ => None,
    };
    // Rounded to a thousandth of a point, so 95 % of 20 cases meets "≥ 95 %"
    // whatever the float's last bit.
    let margin = margin.map(|m| (m * 1000.0).round() / 1000.0);
    Verdict {
        target: target.clone(),
        measured,
        met: margin.map(|m| m >= 0.0),
        margin,
    }
}

/// A unit's score against its letter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Score {
    pub unit: UnitCode,
    pub verdicts: Vec<Verdict>,
}

impl Score {
    pub fn met(&self) -> usize {
        self.verdicts.iter().filter(|v| v.met == Some(true)).count()
    }

    pub fn missed(&self) -> usize {
        self.verdicts
            .iter()
            .filter(|v| v.met == Some(false))
            .count()
    }

    /// The sum of the rate targets' margins (percentage points), the tie-break.
    pub fn rate_margin(&self) -> f64 {
        self.verdicts
            .iter()
            .filter(|v| matches!(v.target, Target::Rate { .. }))
            .filter_map(|v| v.margin)
            .sum()
    }
}

/// The scores in rank order (see the module's note), each with its rank from 1;
/// units equal on every key but the code share a rank.
/// The ranking rule [`rank`] applies, as the assessment table states it.
pub const RANKING: crate::labels::Label = crate::labels::Label::new(
    "按完成目标数排序；相同时按未完成数、比率目标超出幅度之和、单位代码依次排序",
    "by targets met; then fewest missed, the larger sum of rate margins, the unit code",
);

pub fn rank(mut scores: Vec<Score>) -> Vec<(usize, Score)> {
    let key = |a: &Score, b: &Score| -> Ordering {
        b.met()
            .cmp(&a.met())
            .then(a.missed().cmp(&b.missed()))
            .then(
                b.rate_margin()
                    .partial_cmp(&a.rate_margin())
                    .unwrap_or(Ordering::Equal),
            )
    };
    scores.sort_by(|a, b| key(a, b).then_with(|| a.unit.cmp(&b.unit)));
    let mut out: Vec<(usize, Score)> = Vec::with_capacity(scores.len());
    for (i, s) in scores.into_iter().enumerate() {
        let rank = match out.last() {
            Some((r, prev)) if key(prev, &s) == Ordering::Equal => *r,
            _ => i + 1,
        };
        out.push((rank, s));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::letter::CountKind;

    fn rate(code: &str, threshold: f64) -> Target {
        Target::Rate {
            code: code.into(),
            threshold,
        }
    }

    fn measured(n: u64, d: u64) -> Measured {
        Measured::Rate {
            value: (d != 0).then(|| n as f64 / d as f64),
            numerator: n,
            denominator: d,
        }
    }

    #[test]
    fn targets_are_judged_by_hand_computed_margins() {
        // 19 of 20 accepted in time: exactly 95 %, met with margin 0.
        let v = judge(&rate("timely_acceptance", 95.0), measured(19, 20));
        assert_eq!((v.met, v.margin), (Some(true), Some(0.0)));
        // 3 of 5: 60 %, short by 35 points.
        let v = judge(&rate("timely_acceptance", 95.0), measured(3, 5));
        assert_eq!((v.met, v.margin), (Some(false), Some(-35.0)));
        // Repeat rate 1 of 10 = 10 % against a ceiling of 5 %: short by 5 points.
        let v = judge(&rate("repeat", 5.0), measured(1, 10));
        assert_eq!((v.met, v.margin), (Some(false), Some(-5.0)));
        // No cases: not assessed.
        let v = judge(&rate("satisfaction", 90.0), measured(0, 0));
        assert_eq!((v.met, v.margin), (None, None));
        let skip = Target::Count {
            what: CountKind::SkipLevel,
            ceiling: 3,
        };
        let v = judge(&skip, Measured::Count(2));
        assert_eq!((v.met, v.margin), (Some(true), Some(1.0)));
        let v = judge(&skip, Measured::Count(4));
        assert_eq!((v.met, v.margin), (Some(false), Some(-1.0)));
    }

    #[test]
    fn ranking_is_by_targets_met_then_missed_then_margin_then_code() {
        let t = rate("timely_acceptance", 90.0);
        let c = Target::Count {
            what: CountKind::SkipLevel,
            ceiling: 3,
        };
        let score = |unit: &str, r: (u64, u64), n: u64| Score {
            unit: unit.parse().unwrap(),
            verdicts: vec![judge(&t, measured(r.0, r.1)), judge(&c, Measured::Count(n))],
        };
        let ranked = rank(vec![
            score("441521101000", (9, 10), 5),  // 1 met, 1 missed
            score("441521115000", (10, 10), 0), // 2 met, margin 10
            score("441521", (19, 20), 1),       // 2 met, margin 5
            score("441523", (19, 20), 1),       // same as above: shares rank 2
            score("441522", (0, 0), 9),         // 0 met, 1 missed, 1 not assessed
        ]);
        let order: Vec<(usize, &str)> = ranked.iter().map(|(r, s)| (*r, s.unit.as_str())).collect();
        assert_eq!(
            order,
            [
                (1, "441521115000"),
                (2, "441521"),
                (2, "441523"),
                (4, "441521101000"),
                (5, "441522"),
            ]
        );
    }
}
