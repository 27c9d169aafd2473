use chrono::Datelike;

use super::*;
use crate::schedule::quota::periods::spans;
use crate::schedule::ruleset::Period;

#[test]
fn adjusted_working_days_are_working_days_and_holidays_are_not() {
    // February 2016: Saturday 6th and Sunday 14th are working days (调休); 7–13 are
    // the Spring Festival.
    let feb = working_days("2016-02");
    assert!(feb.contains(&d("2016-02-06")) && feb.contains(&d("2016-02-14")));
    assert!(!feb.contains(&d("2016-02-08")));
    let mut case = Case::new("haifeng-town", "2016-02");
    case.roster = vec![leader("甲", LeaderRole::Member)];
    for day in feb
        .iter()
        .filter(|d| d.weekday().num_days_from_monday() < 5)
    {
        case.schedule([entry(&day.to_string(), "甲", "fixed")]);
    }
    let ev = case.run();
    assert_eq!(
        summary(&ev),
        [
            (
                "leaders-per-working-day".into(),
                None,
                Some("2016-02-06".into()),
                "2016-02".into(),
                1,
                0
            ),
            (
                "leaders-per-working-day".into(),
                None,
                Some("2016-02-14".into()),
                "2016-02".into(),
                1,
                0
            ),
            // W06 (8–14 Feb) has one working day, the Sunday, and 甲 did not come.
            (
                "leader-days-per-week".into(),
                Some("甲".into()),
                None,
                "2016-W06".into(),
                1,
                0
            ),
        ]
    );
    assert!(
        ev.violations[0].message.contains("调休"),
        "{}",
        ev.violations[0].message
    );
}

#[test]
fn a_week_counts_its_days_in_the_neighbouring_month() {
    // June 2016 begins on a Wednesday: W22 (30 May – 5 June) belongs to June.
    let mut case = Case::new("haifeng-department", "2016-06");
    case.roster = vec![
        leader("甲", LeaderRole::Member),
        leader("乙", LeaderRole::Member),
    ];
    case.schedule([entry("2016-05-31", "甲", "fixed")]);
    for day in working_days("2016-06") {
        case.schedule([entry(&day.to_string(), "乙", "fixed")]);
    }

    // 甲 came only on 31 May (other_months) and then every week from W23 on.
    for day in ["2016-06-08", "2016-06-13", "2016-06-20", "2016-06-27"] {
        case.schedule([entry(day, "甲", "fixed")]);
    }
    assert!(case.run().passes(), "{:#?}", case.run());
    // Without the May day, W22 fails for 甲: its June days (1–5) hold none of 甲's.
    case.all.retain(|e| e.date != d("2016-05-31"));
    assert_eq!(
        summary(&case.run()),
        [(
            "leader-days-per-week".into(),
            Some("甲".into()),
            None,
            "2016-W22".into(),
            1,
            0
        )]
    );
    assert!(case.run().violations[0].message.contains("5月30日至6月5日"));

    // May is not judged on W22 (it belongs to June), nor on W17 (25 April –
    // 1 May, April's).
    let mut may = Case::new("haifeng-department", "2016-05");
    may.roster = vec![
        leader("甲", LeaderRole::Member),
        leader("乙", LeaderRole::Member),
    ];
    for day in ["2016-05-04", "2016-05-09", "2016-05-16", "2016-05-23"] {
        may.schedule([entry(day, "甲", "fixed")]);
    }
    for day in working_days("2016-05") {
        may.schedule([entry(&day.to_string(), "乙", "fixed")]);
    }
    assert!(may.run().passes(), "{:#?}", may.run());
    let periods: Vec<_> = spans(Period::Week, m("2016-05"))
        .into_iter()
        .map(|s| s.label)
        .collect();
    assert_eq!(periods, ["2016-W18", "2016-W19", "2016-W20", "2016-W21"]);
}

#[test]
fn other_months_entries_inside_the_checked_month_are_superseded() {
    let mut case = Case::custom(
        "[[rule]]\nid = \"m\"\nkind = \"leader_days\"\nperiod = \"month\"\nmin = 1\ndescription = \"每月1天\"",
        "2016-04",
    );
    case.roster = vec![leader("甲", LeaderRole::Member)];
    // An old version of April named 甲; the effective April schedule does not.
    case.stale_other = vec![entry("2016-04-05", "甲", "fixed")];
    assert_eq!(case.run().violations.len(), 1);
    // Entries handed in as this month's but dated elsewhere are ignored, with a
    // warning.
    case.stale_other.clear();
    case.stray_entries = vec![entry("2016-05-05", "甲", "fixed")];
    let ev = case.run();
    assert_eq!(ev.violations.len(), 1);
    assert!(
        ev.warnings.iter().any(|w| w.contains("2016-05-05")),
        "{:?}",
        ev.warnings
    );
}

#[test]
fn short_weeks_require_less_and_weeks_without_working_days_nothing() {
    let rule = "[[rule]]\nid = \"w\"\nkind = \"leader_days\"\nperiod = \"week\"\nmin = 2\ndescription = \"每周2天\"";
    let mut case = Case::custom(rule, "2016-02");
    case.roster = vec![leader("甲", LeaderRole::Member)];
    assert_eq!(
        summary(&case.run()),
        [
            ("w".into(), Some("甲".into()), None, "2016-W05".into(), 2, 0),
            ("w".into(), Some("甲".into()), None, "2016-W06".into(), 1, 0),
            ("w".into(), Some("甲".into()), None, "2016-W07".into(), 2, 0),
            ("w".into(), Some("甲".into()), None, "2016-W08".into(), 2, 0),
        ]
    );
    let short = &case.run().violations[1];
    assert!(
        short.message.contains("该周只有1个工作日"),
        "{}",
        short.message
    );

    // 2026-W08 (16–22 February) is all Spring Festival: nothing is required.
    let mut case = Case::custom(rule, "2026-02");
    case.roster = vec![leader("甲", LeaderRole::Member)];
    let periods: Vec<_> = case
        .run()
        .violations
        .into_iter()
        .map(|v| v.period)
        .collect();
    assert_eq!(periods, ["2026-W06", "2026-W07", "2026-W09"]);
}

#[test]
fn quarter_rules_are_judged_only_in_the_quarters_last_month() {
    let mut case = Case::new("lishui-city", "2016-04");
    case.roster = vec![
        leader("甲", LeaderRole::Member),
        leader("乙", LeaderRole::Member),
    ];
    case.schedule([entry("2016-03-15", "乙", "fixed")]);
    assert!(case.run().passes());
    case.month = m("2016-05");
    assert!(case.run().passes());
    // In June: 甲 came in May, 乙 only in March (Q1).
    case.month = m("2016-06");
    case.schedule([entry("2016-05-10", "甲", "video")]);
    let ev = case.run();
    assert_eq!(
        summary(&ev),
        [(
            "leader-days-per-quarter".into(),
            Some("乙".into()),
            None,
            "2016Q2".into(),
            1,
            0
        )]
    );
    assert_eq!(
        ev.violations[0].message,
        "乙 2016年第2季度接访0天，规则要求每季度至少1天"
    );
    // In March, 乙's day counts for Q1 and 甲 fails Q1.
    case.month = m("2016-03");
    let ev = case.run();
    assert_eq!(summary(&ev)[0].1.as_deref(), Some("甲"));
    assert_eq!(summary(&ev)[0].3, "2016Q1");
}
