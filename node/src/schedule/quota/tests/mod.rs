//! The quota evaluation's tests: fixtures and the Haifeng county and town rules
//! here, periods and the other rules in the modules below.

mod periods;
mod rules;
mod slots;

use chrono::Days;

use super::*;
use crate::schedule::model::LeaderRole;
use crate::schedule::ruleset::resolve;
use proptest::prelude::*;

/// seed 000 附件2, as in tests/fixtures/haifeng-2016-04-schedule.csv.
const HAIFENG_2016_04: &str = "\
seq,date,leader,position,location,form,note
1,2016-04-01,陈紫光,县委常委、组织部部长,县信访局接访大厅,定点接访,
2,2016-04-05,卢雁慧,县委常委、宣传部部长,县信访局接访大厅,定点接访,
3,2016-04-06,许信咏,县委常委、常务副县长,县信访局接访大厅,定点接访,
4,2016-04-07,刘剑平,县委常委,县信访局接访大厅,定点接访,
5,2016-04-08,郑秋汉,县委常委、县人武部部长,县信访局接访大厅,定点接访,
6,2016-04-11,卓凛波,县委常委,县信访局接访大厅,定点接访,
7,2016-04-12,陈连郑,县委常委、政法委书记,县信访局接访大厅,定点接访,
8,2016-04-13,符坚,县委常委、县委办主任,县信访局接访大厅,定点接访,
9,2016-04-14,余振光,副县长,县信访局接访大厅,定点接访,
10,2016-04-15,王楚雄,副县长、县公安局局长,县信访局接访大厅,定点接访,
11,2016-04-18,施流德,副县长,县信访局接访大厅,定点接访,
12,2016-04-19,陈凯婵,副县长,县信访局接访大厅,定点接访,
13,2016-04-20,吴光群,副县长,县信访局接访大厅,定点接访,
14,2016-04-21,林建隆,县委副书记,县信访局接访大厅,定点接访,
15,2016-04-22,刘帆,县委常委、纪委书记,县信访局接访大厅,定点接访,
16,2016-04-25,陈紫光,县委常委、组织部部长,县信访局接访大厅,定点接访,
17,2016-04-26,卢雁慧,县委常委、宣传部部长,县信访局接访大厅,定点接访,
18,2016-04-27,许信咏,县委常委、常务副县长,县信访局接访大厅,定点接访,
19,2016-04-28,刘剑平,县委常委,县信访局接访大厅,定点接访,
20,2016-04-29,郑秋汉,县委常委、县人武部部长,县信访局接访大厅,定点接访,
";

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn m(s: &str) -> Month {
    s.parse().unwrap()
}

fn entry(date: &str, leader: &str, form: &str) -> Entry {
    Entry {
        date: d(date),
        leader: leader.to_owned(),
        position: String::new(),
        place: "接访大厅".to_owned(),
        form: form.to_owned(),
        topic: None,
        note: None,
        non_working_day_override: false,
        time: None,
    }
}

fn leader(name: &str, role: LeaderRole) -> Leader {
    Leader {
        name: name.to_owned(),
        position: String::new(),
        portfolio: String::new(),
        role,
        class: None,
        active: true,
    }
}

/// A leader whose post (职务) gives their class.
fn post(name: &str, position: &str, role: LeaderRole) -> Leader {
    Leader {
        position: position.to_owned(),
        ..leader(name, role)
    }
}

/// A case `leader` owns, closed on `closed` (if it is), with repeat petitions
/// received on `repeats`.
fn owned(leader: &str, closed: Option<&str>, repeats: &[&str]) -> OwnedCase {
    OwnedCase {
        case_no: format!("{leader}-{}", closed.unwrap_or("open")),
        leader: leader.to_owned(),
        closed_on: closed.map(d),
        repeats: repeats.iter().map(|r| d(r)).collect(),
    }
}

fn haifeng_april() -> (Vec<Leader>, Vec<Entry>) {
    let mut roster: Vec<Leader> = Vec::new();
    let mut entries = Vec::new();
    for line in HAIFENG_2016_04.lines().skip(1) {
        let cols: Vec<&str> = line.split(',').collect();
        assert_eq!(cols[5], "定点接访");
        let mut e = entry(cols[1], cols[2], "fixed");
        e.position = cols[3].to_owned();
        e.place = cols[4].to_owned();
        entries.push(e);
        if !roster.iter().any(|l| l.name == cols[2]) {
            let mut l = leader(cols[2], LeaderRole::Member);
            l.position = cols[3].to_owned();
            roster.push(l);
        }
    }
    (roster, entries)
}

/// A unit's situation; `run` hands `all` to the evaluator split by the checked
/// month, plus deliberately misplaced entries.
struct Case {
    set: RuleSet,
    month: Month,
    roster: Vec<Leader>,
    all: Vec<Entry>,
    /// Handed in as the month's entries whatever their date.
    stray_entries: Vec<Entry>,
    /// Handed in as other months' entries whatever their date.
    stale_other: Vec<Entry>,
    owned: Vec<OwnedCase>,
    /// The day of the evaluation (owned cases' months must have passed).
    today: NaiveDate,
}

impl Case {
    fn new(set: &str, month: &str) -> Case {
        Case {
            set: resolve(set, &[]).unwrap(),
            month: m(month),
            roster: Vec::new(),
            all: Vec::new(),
            stray_entries: Vec::new(),
            stale_other: Vec::new(),
            owned: Vec::new(),
            today: d("2030-01-01"),
        }
    }

    /// A set of `rules`, each cited (the citation is the rule file's business).
    fn custom(rules: &str, month: &str) -> Case {
        let rules = rules.replace("[[rule]]\n", "[[rule]]\ncite = \"原文\"\n");
        let text = format!("name = \"t\"\ntitle = \"测试\"\nsource = \"test\"\n{rules}");
        Case {
            set: RuleSet::from_toml(&text, "t.toml").unwrap(),
            ..Case::new("haifeng-county", month)
        }
    }

    fn run(&self) -> Evaluation {
        let calendar = HolidayCalendar::official().unwrap();
        let (mut entries, mut other): (Vec<Entry>, Vec<Entry>) = self
            .all
            .iter()
            .cloned()
            .partition(|e| self.month.contains(e.date));
        entries.extend(self.stray_entries.iter().cloned());
        other.extend(self.stale_other.iter().cloned());
        evaluate(&QuotaInput {
            rules: &self.set,
            month: self.month,
            roster: &self.roster,
            entries: &entries,
            other_months: &other,
            owned_cases: &self.owned,
            today: self.today,
            calendar: &calendar,
        })
    }

    fn schedule(&mut self, list: impl IntoIterator<Item = Entry>) {
        self.all.extend(list);
    }
}

fn working_days(month: &str) -> Vec<NaiveDate> {
    let cal = HolidayCalendar::official().unwrap();
    m(month).days().filter(|d| cal.is_working_day(*d)).collect()
}

/// (rule, leader, date, period, required, actual)
type Row = (String, Option<String>, Option<String>, String, u32, u32);

fn summary(ev: &Evaluation) -> Vec<Row> {
    ev.violations
        .iter()
        .map(|v| {
            (
                v.rule.clone(),
                v.leader.clone(),
                v.date.map(|d| d.to_string()),
                v.period.clone(),
                v.required,
                v.actual,
            )
        })
        .collect()
}

#[test]
fn haifeng_april_2016_passes_the_county_rules() {
    let (roster, entries) = haifeng_april();
    assert_eq!(entries.len(), 20);
    assert_eq!(roster.len(), 15);
    // 20 working days: 4 April was Qingming.
    assert_eq!(working_days("2016-04").len(), 20);
    let case = Case {
        roster,
        all: entries,
        ..Case::new("haifeng-county", "2016-04")
    };
    let ev = case.run();
    assert_eq!(ev, Evaluation::default(), "{ev:#?}");
}

#[test]
fn a_sixteenth_leader_never_scheduled_fails_the_monthly_rule() {
    let (mut roster, entries) = haifeng_april();
    roster.push(leader("张新任", LeaderRole::Member));
    let case = Case {
        roster,
        all: entries,
        ..Case::new("haifeng-county", "2016-04")
    };
    let ev = case.run();
    assert_eq!(
        summary(&ev),
        [(
            "leader-days-per-month".into(),
            Some("张新任".into()),
            None,
            "2016-04".into(),
            1,
            0
        )]
    );
    assert_eq!(
        ev.violations[0].message,
        "张新任 2016年4月接访0天，规则要求每月至少1天"
    );
    assert!(ev.violations[0].message_en.contains("0 day(s) in 2016-04"));
    assert!(ev.warnings.is_empty());
}

#[test]
fn a_county_working_day_without_a_leader_fails_the_daily_rule() {
    let (roster, mut entries) = haifeng_april();
    // Drop 2016-04-13 (符坚's only day): the day and the leader both fail.
    entries.retain(|e| e.date != d("2016-04-13"));
    let case = Case {
        roster,
        all: entries,
        ..Case::new("haifeng-county", "2016-04")
    };
    let ev = case.run();
    assert_eq!(
        summary(&ev),
        [
            (
                "leader-days-per-month".into(),
                Some("符坚".into()),
                None,
                "2016-04".into(),
                1,
                0
            ),
            (
                "leaders-per-working-day".into(),
                None,
                Some("2016-04-13".into()),
                "2016-04".into(),
                1,
                0
            ),
        ]
    );
    assert_eq!(
        ev.violations[1].message,
        "2016-04-13 未安排领导接访，规则要求每个工作日至少1名"
    );
}

/// Two town leaders on every working day of the month, except `skip` for B.
fn big_town(month: &str, skip: &[&str]) -> Case {
    let mut case = Case::new("haifeng-big-town", month);
    case.roster = vec![
        leader("甲", LeaderRole::Principal),
        leader("乙", LeaderRole::Member),
    ];
    for day in working_days(month) {
        case.schedule([entry(&day.to_string(), "甲", "fixed")]);
        if !skip.contains(&day.to_string().as_str()) {
            case.schedule([entry(&day.to_string(), "乙", "fixed")]);
        }
    }
    case
}

#[test]
fn a_big_town_day_with_one_leader_fails_the_daily_rule_naming_the_day() {
    assert!(big_town("2016-04", &[]).run().passes());
    let ev = big_town("2016-04", &["2016-04-05"]).run();
    assert_eq!(
        summary(&ev),
        [(
            "leaders-per-working-day".into(),
            None,
            Some("2016-04-05".into()),
            "2016-04".into(),
            2,
            1
        )]
    );
    assert_eq!(
        ev.violations[0].message,
        "2016-04-05 只安排了1名领导接访，规则要求每个工作日至少2名"
    );
    assert!(
        ev.violations[0]
            .message_en
            .starts_with("2016-04-05: 1 leader(s) scheduled")
    );
}

fn arb_entries() -> impl Strategy<Value = Vec<Entry>> {
    // Late March to early May 2016, four leaders, three forms.
    let names = ["甲", "乙", "丙", "丁"];
    let forms = ["fixed", "thematic", "video"];
    prop::collection::vec((0u64..45, 0usize..4, 0usize..3), 0..60).prop_map(move |v| {
        v.into_iter()
            .map(|(day, who, form)| {
                let date = d("2016-03-25") + Days::new(day);
                entry(&date.to_string(), names[who], forms[form])
            })
            .collect()
    })
}

proptest! {
    #[test]
    fn entry_order_never_changes_the_result(
        (entries, shuffled) in arb_entries().prop_flat_map(|v| (Just(v.clone()), Just(v).prop_shuffle())),
        month in prop::sample::select(vec!["2016-03", "2016-04", "2016-05", "2016-06", "2016-12"]),
    ) {
        let rules = "[[rule]]\nid = \"d\"\nkind = \"daily_leaders\"\nmin = 2\ndescription = \"x\"\n\
                     [[rule]]\nid = \"w\"\nkind = \"leader_days\"\nperiod = \"week\"\nmin = 2\ndescription = \"x\"\n\
                     [[rule]]\nid = \"q\"\nkind = \"leader_days\"\nperiod = \"quarter\"\nmin = 3\nroles = [\"member\"]\ndescription = \"x\"\n\
                     [[rule]]\nid = \"f\"\nkind = \"form_required\"\nperiod = \"month\"\nmin = 2\nform = \"fixed\"\ndescription = \"x\"\n\
                     [[rule]]\nid = \"fu\"\nkind = \"form_required\"\nperiod = \"month\"\nmin = 5\nform = \"video\"\nper = \"unit\"\ndescription = \"x\"\n\
                     [[rule]]\nid = \"o\"\nkind = \"owned_cases\"\nperiod = \"year\"\nmin = 1\ndescription = \"x\"\n\
                     [[rule]]\nid = \"s\"\nkind = \"fixed_slot\"\nweekday = \"tuesday\"\nmin = 1\ndescription = \"x\"\n\
                     [[rule]]\nid = \"t\"\nkind = \"turns\"\nmin = 1\ndescription = \"x\"\n\
                     [[rule]]\nid = \"tw\"\nkind = \"turns\"\nperiod = \"week\"\nmin = 1\nroles = [\"member\", \"in_charge\"]\ndescription = \"x\"\n\
                     [[rule]]\nid = \"u\"\nkind = \"unit_days\"\nperiod = \"week\"\nmin = 2\ndescription = \"x\"";
        let build = |list: &[Entry]| {
            let mut case = Case::custom(rules, "2016-04");
            case.roster = vec![
                leader("甲", LeaderRole::Principal),
                leader("乙", LeaderRole::Member),
                leader("丙", LeaderRole::InCharge),
            ];
            case.month = m(month);
            case.owned = vec![owned("乙", Some("2015-12-01"), &[])];
            case.schedule(list.iter().cloned());
            case.run()
        };
        prop_assert_eq!(build(&entries), build(&shuffled));
    }
}
