//! Suggested accountability cases from evidence the node already holds (issue 20:
//! nothing is recorded against a person automatically): a leader's repeated empty
//! posts within a window, a schedule not filed by its deadline, a case past its
//! deadline by a threshold. Each suggestion has a key made from its evidence, so a
//! suggestion dismissed or confirmed is not made again for the same evidence.
//! Pure: the service gathers the facts and the dismissed keys.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use sha2::{Digest, Sha256};
use xinfang_hub::UnitCode;

use super::situations::SuggestRules;
use super::{Evidence, Person};
use crate::schedule::model::Month;

/// A suggested case: who, under which situation, on what evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    /// Names the evidence: the same evidence gives the same key.
    pub key: String,
    pub unit: UnitCode,
    /// Empty when the evidence names no person (a filing, a case): whoever
    /// confirms names them.
    pub people: Vec<Person>,
    pub situation: String,
    pub evidence: Vec<Evidence>,
    /// Why, in words.
    pub reason: String,
}

/// What the node holds, gathered by the service.
#[derive(Debug, Default, Clone)]
pub struct Facts {
    /// Empty posts (attendance records, held = false, not adjusted beforehand)
    /// of units below, as `Evidence::Attendance`.
    pub empty_posts: Vec<Evidence>,
    /// Schedules of units below not filed by their deadline.
    pub missing_filings: Vec<(UnitCode, Month)>,
    /// Open deadlines: case number, the unit that must act, the due day.
    pub deadlines: Vec<(String, UnitCode, NaiveDate)>,
}

/// The key of a suggestion of `kind` on `evidence` (order does not matter).
pub fn key(kind: &str, evidence: &[Evidence]) -> String {
    let mut links: Vec<String> = evidence.iter().map(Evidence::link).collect();
    links.sort();
    let mut h = Sha256::new();
    h.update(kind.as_bytes());
    for l in &links {
        h.update([0]);
        h.update(l.as_bytes());
    }
    let digest = h.finalize();
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("{kind}-{hex}")
}

/// The suggestions `facts` give as of `today`, less those whose key is in `done`
/// (dismissed, or confirmed into a case).
pub fn suggestions(
    facts: &Facts,
    rules: &SuggestRules,
    today: NaiveDate,
    done: &dyn Fn(&str) -> bool,
) -> Vec<Suggestion> {
    let mut out = Vec::new();
    // Empty posts, by unit and leader, within the window.
    let since = today - chrono::Duration::days(i64::from(rules.window_days));
    let mut by_leader: BTreeMap<(UnitCode, String), Vec<Evidence>> = BTreeMap::new();
    for e in &facts.empty_posts {
        if let Evidence::Attendance {
            unit,
            date,
            leader,
            held: false,
            ..
        } = e
            && *date > since
            && *date <= today
        {
            by_leader
                .entry((unit.clone(), leader.clone()))
                .or_default()
                .push(e.clone());
        }
    }
    for ((unit, leader), mut ev) in by_leader {
        if ev.len() < rules.missed_posts {
            continue;
        }
        ev.sort();
        let days: Vec<String> = ev
            .iter()
            .filter_map(|e| match e {
                Evidence::Attendance { date, .. } => Some(date.to_string()),
                _ => None,
            })
            .collect();
        out.push(Suggestion {
            key: key("missed", &ev),
            unit,
            people: vec![Person::Leader(leader.clone())],
            situation: rules.missed_posts_situation.clone(),
            reason: format!(
                "{leader} {} 天缺岗，未提前调整（{}）",
                ev.len(),
                days.join("、")
            ),
            evidence: ev,
        });
    }
    for (unit, month) in &facts.missing_filings {
        let ev = vec![Evidence::Filing {
            unit: unit.clone(),
            month: *month,
        }];
        out.push(Suggestion {
            key: key("filing", &ev),
            unit: unit.clone(),
            people: Vec::new(),
            situation: rules.missing_filing_situation.clone(),
            reason: format!("{month} 接访安排表逾期未报备"),
            evidence: ev,
        });
    }
    for (case_no, unit, due) in &facts.deadlines {
        let late = (today - *due).num_days();
        if late < i64::from(rules.overdue_days) {
            continue;
        }
        let ev = vec![Evidence::Case {
            case_no: case_no.clone(),
            concerns: vec![unit.clone()],
        }];
        out.push(Suggestion {
            key: key("overdue", &ev),
            unit: unit.clone(),
            people: Vec::new(),
            situation: rules.overdue_situation.clone(),
            reason: format!("信访事项 {case_no} 逾期 {late} 天（期限 {due}）"),
            evidence: ev,
        });
    }
    out.retain(|s| !done(&s.key));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accountability::situations::AccountabilityRules;

    fn post(day: u32, leader: &str, held: bool) -> Evidence {
        Evidence::Attendance {
            unit: "441521115000".parse().unwrap(),
            month: "2026-05".parse().unwrap(),
            record: format!("r{day}{leader}"),
            date: NaiveDate::from_ymd_opt(2026, 5, day).unwrap(),
            leader: leader.into(),
            held,
        }
    }

    #[test]
    fn two_empty_posts_of_one_leader_are_suggested_once_and_not_after_done() {
        let rules = AccountabilityRules::shipped().suggest;
        let today = NaiveDate::from_ymd_opt(2026, 5, 20).unwrap();
        let facts = Facts {
            empty_posts: vec![post(11, "陈副书记", false), post(12, "林书记", false)],
            ..Default::default()
        };
        assert!(suggestions(&facts, &rules, today, &|_| false).is_empty());
        let facts = Facts {
            empty_posts: vec![
                post(11, "陈副书记", false),
                post(12, "林书记", false),
                post(13, "陈副书记", false),
            ],
            ..Default::default()
        };
        let s = suggestions(&facts, &rules, today, &|_| false);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].people, [Person::Leader("陈副书记".into())]);
        assert_eq!(s[0].evidence.len(), 2);
        let k = s[0].key.clone();
        assert!(suggestions(&facts, &rules, today, &|x| x == k).is_empty());
        // Out of the window: nothing.
        let later = today + chrono::Duration::days(200);
        assert!(suggestions(&facts, &rules, later, &|_| false).is_empty());
    }

    #[test]
    fn a_deadline_is_suggested_only_past_the_threshold() {
        let rules = AccountabilityRules::shipped().suggest;
        let today = NaiveDate::from_ymd_opt(2026, 5, 20).unwrap();
        let unit: UnitCode = "441521115000".parse().unwrap();
        let facts = Facts {
            deadlines: vec![
                ("A".into(), unit.clone(), today - chrono::Duration::days(29)),
                ("B".into(), unit, today - chrono::Duration::days(30)),
            ],
            ..Default::default()
        };
        let s = suggestions(&facts, &rules, today, &|_| false);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].evidence[0].link(), "case:B");
    }
}
