//! Rules about *when* and *who in turn*, beyond how many: fixed reception slots
//! (seed 004: a community every Tuesday 8:30–11:30, a hospital on the second
//! Wednesday 15:00–17:00) and leaders taking turns (seed 001: 每天由一名领导接待，
//! 局领导轮流参加; 班子成员采取轮流方式每周安排一次接访).

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

use super::Violation;
use super::counting::{Ctx, count, roles_en, roles_zh};
use super::periods::{month_span, spans};
use crate::schedule::ruleset::{Period, QuotaRule, weekday_name};

impl<'a> Ctx<'a> {
    /// `fixed_slot`: every entry of a bound leader in the month is on a slot day
    /// and, where both say their hours, within the slot's hours; every slot day
    /// that is a working day (holidays excepted, 节假公休日除外) has at least `min`
    /// bound leaders. An entry that states no hours is taken to keep the slot's.
    /// With `rotate`, the slot days' leaders take turns as under `turns`.
    pub(super) fn fixed_slot(&mut self, rule: &QuotaRule, out: &mut Vec<Violation>) {
        let Some(slot) = rule.slot else {
            self.warnings.push(format!(
                "规则 {} 未指定接待日，已跳过 (rule {} names no slot: skipped)",
                rule.id, rule.id
            ));
            return;
        };
        let month = self.input.month;
        let slot_zh = slot.label_zh();
        let slot_en = slot.label_en();
        // One finding per leader and day, however many entries say it (the first by
        // message, so the entries' order never matters).
        let mut misplaced: BTreeMap<(NaiveDate, &str), Violation> = BTreeMap::new();
        let mut note = |key, v: Violation| {
            misplaced
                .entry(key)
                .and_modify(|old: &mut Violation| {
                    if v.message < old.message {
                        *old = v.clone();
                    }
                })
                .or_insert(v);
        };
        let mut on_slot: BTreeMap<NaiveDate, BTreeSet<&str>> = BTreeMap::new();
        for e in &self.facts {
            if !month.contains(e.date) || !self.counts_for(rule, &e.leader) {
                continue;
            }
            let key = (e.date, e.leader.as_str());
            if !slot.on(e.date) {
                let day = weekday_name(chrono::Datelike::weekday(&e.date)).1;
                note(
                    key,
                    Violation {
                        rule: rule.id.clone(),
                        message: format!(
                            "{} 于{}（{day}）接访，不在规定的接待日（{slot_zh}）",
                            e.leader, e.date
                        ),
                        message_en: format!(
                            "{} receives on {} ({}), not on the rule's slot ({slot_en})",
                            e.leader,
                            e.date,
                            weekday_name(chrono::Datelike::weekday(&e.date)).0
                        ),
                        leader: Some(e.leader.clone()),
                        date: Some(e.date),
                        period: month.to_string(),
                        required: 0,
                        actual: 1,
                    },
                );
                continue;
            }
            if let (Some(want), Some(got)) = (slot.time, e.time)
                && !(want.start <= got.start && got.end <= want.end)
            {
                note(
                    key,
                    Violation {
                        rule: rule.id.clone(),
                        message: format!(
                            "{} 于{}接访时间为{got}，不在规定的接待时间（{slot_zh}）",
                            e.leader, e.date
                        ),
                        message_en: format!(
                            "{} receives on {} at {got}, outside the rule's hours ({slot_en})",
                            e.leader, e.date
                        ),
                        leader: Some(e.leader.clone()),
                        date: Some(e.date),
                        period: month.to_string(),
                        required: 0,
                        actual: 1,
                    },
                );
                continue;
            }
            on_slot.entry(e.date).or_default().insert(e.leader.as_str());
        }
        let mut found: Vec<Violation> = misplaced.into_values().collect();
        // "每位局领导轮流安排接待": the slot days' receivers take turns.
        let bound: BTreeSet<&'a str> = self.bound(rule).into_iter().collect();
        if slot.rotate && bound.len() >= 2 {
            let mut rotation = Rotation::new(bound.clone());
            for (date, names) in &on_slot {
                let receivers = names
                    .iter()
                    .copied()
                    .filter(|n| bound.contains(n))
                    .collect();
                let (again, waiting) = rotation.take(receivers);
                for leader in again {
                    let day = date.to_string();
                    found.push(out_of_turn(
                        rule,
                        leader,
                        &waiting,
                        (&day, &day),
                        *date,
                        &month.to_string(),
                    ));
                }
            }
        }
        for date in month.days().filter(|d| slot.on(*d)) {
            if !self.working(date) {
                continue;
            }
            let actual = count(on_slot.get(&date).map_or(0, BTreeSet::len));
            if actual >= rule.min {
                continue;
            }
            found.push(Violation {
                rule: rule.id.clone(),
                message: format!(
                    "{date}为接待日（{slot_zh}），安排了{actual}名领导接访，规则要求至少{}名{}",
                    rule.min,
                    roles_zh(rule)
                ),
                message_en: format!(
                    "{date} is a reception day ({slot_en}) with {actual} leader(s) scheduled; the rule requires at least {}{}",
                    rule.min,
                    roles_en(rule)
                ),
                leader: None,
                date: Some(date),
                period: month.to_string(),
                required: rule.min,
                actual,
            });
        }
        out.extend(found);
    }

    /// `turns`: presence (every working day, or every week, at least `min`) and
    /// the rotation. Turns are followed through the checked month from its start
    /// (a week by the month its Thursday is in): a round ends when every bound
    /// leader has received; a leader receiving again before that, while another
    /// bound leader has not yet had a turn, breaks the rotation.
    pub(super) fn turns(&mut self, rule: &QuotaRule, out: &mut Vec<Violation>) {
        match rule.period {
            None => self.daily(rule, out),
            Some(p) => self.period_days(rule, p, out),
        }
        let bound: BTreeSet<&'a str> = self.bound(rule).into_iter().collect();
        if bound.len() < 2 {
            return;
        }
        // The turns in order: each working day's (or week's) bound receivers.
        let spans = match rule.period {
            Some(Period::Week) => spans(Period::Week, self.input.month),
            _ => vec![month_span(self.input.month)],
        };
        let mut rotation = Rotation::new(bound.clone());
        for span in &spans {
            let mut by_day: BTreeMap<NaiveDate, BTreeSet<&'a str>> = BTreeMap::new();
            for e in &self.facts {
                if span.contains(e.date) && bound.contains(e.leader.as_str()) {
                    by_day.entry(e.date).or_default().insert(e.leader.as_str());
                }
            }
            // A week is one turn: its receivers in the order they came.
            let turns: Vec<(NaiveDate, Vec<&'a str>)> = if span.is_week {
                let mut seen = Vec::new();
                let first = by_day.keys().next().copied();
                for names in by_day.values() {
                    for n in names {
                        if !seen.contains(n) {
                            seen.push(*n);
                        }
                    }
                }
                first.map(|d| (d, seen)).into_iter().collect()
            } else {
                by_day
                    .into_iter()
                    .map(|(d, s)| (d, s.into_iter().collect()))
                    .collect()
            };
            for (date, receivers) in turns {
                let (again, waiting) = rotation.take(receivers);
                for leader in again {
                    let (when, when_en) = if span.is_week {
                        (span.label_zh.clone(), span.label.clone())
                    } else {
                        (date.to_string(), date.to_string())
                    };
                    out.push(out_of_turn(
                        rule,
                        leader,
                        &waiting,
                        (&when, &when_en),
                        date,
                        &span.label,
                    ));
                }
            }
        }
    }
}

/// Turns taken in order, each by one or more leaders: a round ends once every
/// bound leader has had a turn; a leader's second turn before that is out of turn.
struct Rotation<'b> {
    bound: BTreeSet<&'b str>,
    served: BTreeSet<&'b str>,
}

impl<'b> Rotation<'b> {
    fn new(bound: BTreeSet<&'b str>) -> Self {
        Rotation {
            bound,
            served: BTreeSet::new(),
        }
    }

    /// One turn's receivers: those out of turn, and who was still waiting then.
    fn take(&mut self, receivers: Vec<&'b str>) -> (Vec<&'b str>, Vec<&'b str>) {
        if self.served.is_superset(&self.bound) {
            self.served.clear();
        }
        let (again, fresh): (Vec<&str>, Vec<&str>) =
            receivers.into_iter().partition(|n| self.served.contains(n));
        self.served.extend(fresh);
        if again.is_empty() {
            return (Vec::new(), Vec::new());
        }
        if self.served.is_superset(&self.bound) {
            // The round closed this very turn: the repeaters open the next.
            self.served = again.into_iter().collect();
            return (Vec::new(), Vec::new());
        }
        let waiting = self.bound.difference(&self.served).copied().collect();
        (again, waiting)
    }
}

/// `leader` received out of turn (`when`: the day or week, Chinese and English).
fn out_of_turn(
    rule: &QuotaRule,
    leader: &str,
    waiting: &[&str],
    (when, when_en): (&str, &str),
    date: NaiveDate,
    period: &str,
) -> Violation {
    Violation {
        rule: rule.id.clone(),
        message: format!(
            "轮流接访：{leader} 于{when}再次接访，而{}尚未轮到",
            waiting.join("、")
        ),
        message_en: format!(
            "taking turns: {leader} receives again on {when_en} while {} have not had a turn yet",
            waiting.join(", ")
        ),
        leader: Some(leader.to_owned()),
        date: Some(date),
        period: period.to_owned(),
        required: 0,
        actual: 1,
    }
}
