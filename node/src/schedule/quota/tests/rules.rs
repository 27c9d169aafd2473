use super::*;

#[test]
fn half_year_and_post_filters_shenzhen() {
    let mut case = Case::new("shenzhen-city", "2016-05");
    case.roster = vec![
        post("书记", "市委书记", LeaderRole::Principal),
        post("常委", "市委常委、宣传部部长", LeaderRole::Member),
        post("副市长", "副市长", LeaderRole::InCharge),
    ];
    case.schedule([
        entry("2016-04-12", "常委", "fixed"),
        entry("2016-05-12", "副市长", "video"),
    ]);
    // Not the end of a quarter or half year: nothing judged.
    assert!(case.run().passes());
    // June: the secretary is bound only by the half-year rule, the others only by
    // the quarter rule.
    case.month = m("2016-06");
    assert_eq!(
        summary(&case.run()),
        [(
            "secretary-days-per-half-year".into(),
            Some("书记".into()),
            None,
            "2016H1".into(),
            1,
            0
        )]
    );
    case.schedule([entry("2016-01-20", "书记", "fixed")]);
    assert!(case.run().passes());
    // The second half year is judged in December.
    case.month = m("2016-12");
    for name in ["常委", "副市长"] {
        for closed in ["2015-08-01", "2015-09-01", "2016-03-01"] {
            case.owned.push(owned(name, Some(closed), &[]));
        }
    }
    case.schedule([
        entry("2016-11-01", "常委", "fixed"),
        entry("2016-11-02", "副市长", "fixed"),
    ]);
    assert_eq!(
        summary(&case.run()),
        [(
            "secretary-days-per-half-year".into(),
            Some("书记".into()),
            None,
            "2016H2".into(),
            1,
            0
        )]
    );
}

#[test]
fn owned_cases_are_judged_in_december() {
    let mut case = Case::new("shenzhen-city", "2016-11");
    case.roster = vec![
        post("书记", "市委书记", LeaderRole::Principal),
        post("常委", "市委常委、统战部部长", LeaderRole::Member),
        post("副市长", "副市长", LeaderRole::InCharge),
        post("新常委", "市委常委", LeaderRole::Member),
    ];
    // Resolved in 2016: closed six months before a 2016 day, no repeat.
    case.owned = vec![
        owned("常委", Some("2015-12-15"), &[]),
        owned("常委", Some("2016-02-01"), &[]),
        owned("副市长", Some("2015-07-01"), &[]),
        owned("副市长", Some("2016-01-31"), &[]),
        owned("副市长", Some("2016-06-30"), &[]),
    ];
    assert!(case.run().passes());
    case.month = m("2016-12");
    for (i, name) in ["书记", "常委", "副市长", "新常委"].iter().enumerate() {
        case.schedule([entry(&format!("2016-12-0{}", i + 1), name, "fixed")]);
    }
    let ev = case.run();
    assert_eq!(
        summary(&ev),
        [
            (
                "owned-cases-per-year".into(),
                Some("常委".into()),
                None,
                "2016".into(),
                3,
                2
            ),
            (
                "owned-cases-per-year".into(),
                Some("新常委".into()),
                None,
                "2016".into(),
                3,
                0
            ),
        ]
    );
    assert_eq!(
        ev.violations[0].message,
        "常委 2016年包案化解2宗信访事项，规则要求每年至少3宗"
    );
}

#[test]
fn form_required_per_leader_counts_only_that_form() {
    let mut case = Case::new("lishui-county", "2016-04");
    case.roster = vec![
        leader("甲", LeaderRole::Member),
        leader("乙", LeaderRole::Principal),
    ];
    case.schedule([
        entry("2016-04-05", "甲", "fixed"),
        entry("2016-04-06", "乙", "appointment"),
        entry("2016-04-07", "乙", "grassroots"),
        entry("2016-03-31", "乙", "fixed"), // March does not count for April
    ]);
    let ev = case.run();
    assert_eq!(
        summary(&ev),
        [(
            "fixed-receptions-per-month".into(),
            Some("乙".into()),
            None,
            "2016-04".into(),
            1,
            0
        )]
    );
    assert_eq!(
        ev.violations[0].message,
        "乙 2016年4月定点接访0天，规则要求每月至少1天"
    );
    assert!(
        ev.violations[0]
            .message_en
            .contains("held fixed receptions")
    );
}

#[test]
fn form_required_per_unit_counts_the_units_distinct_days() {
    let rules = "[[rule]]\nid = \"u\"\nkind = \"form_required\"\nperiod = \"month\"\nmin = 2\n\
                     form = \"thematic\"\nper = \"unit\"\nroles = [\"principal\", \"in_charge\"]\n\
                     description = \"每月至少2次专题接访\"";
    let mut case = Case::custom(rules, "2016-04");
    case.roster = vec![
        leader("甲", LeaderRole::Principal),
        leader("乙", LeaderRole::InCharge),
        leader("丙", LeaderRole::Member),
    ];
    // Two bound leaders on the same day are one day; 丙's role is not bound; a
    // fixed reception is not thematic.
    case.schedule([
        entry("2016-04-05", "甲", "thematic"),
        entry("2016-04-05", "乙", "thematic"),
        entry("2016-04-06", "丙", "thematic"),
        entry("2016-04-07", "乙", "fixed"),
        entry("2016-04-08", "外人", "thematic"), // not on the roster, rule not for all roles
    ]);
    let ev = case.run();
    assert_eq!(
        summary(&ev),
        [("u".into(), None, None, "2016-04".into(), 2, 1)]
    );
    assert_eq!(
        ev.violations[0].message,
        "本单位2016年4月专题接访共1天（限主要领导、分管领导），规则要求每月至少2天"
    );
    assert!(
        ev.warnings.iter().any(|w| w.contains("外人")),
        "{:?}",
        ev.warnings
    );
    case.schedule([entry("2016-04-20", "乙", "thematic")]);
    assert!(case.run().passes());
}

#[test]
fn role_filters_bind_only_the_named_roles() {
    // Qingshan: the principal must come monthly; members are bound only quarterly.
    let mut case = Case::new("qingshan-township", "2016-04");
    case.roster = vec![
        leader("乡长", LeaderRole::Principal),
        leader("委员", LeaderRole::Member),
    ];
    for day in working_days("2016-04") {
        case.schedule([entry(&day.to_string(), "委员", "fixed")]);
    }
    assert_eq!(
        summary(&case.run()),
        [(
            "principal-days-per-month".into(),
            Some("乡长".into()),
            None,
            "2016-04".into(),
            1,
            0
        )]
    );
    // A leader who left is bound by nothing, and scheduling them is warned about.
    case.roster[0].active = false;
    assert!(case.run().passes());
    case.schedule([entry("2016-04-09", "乡长", "fixed")]);
    let ev = case.run();
    assert!(ev.passes());
    assert!(
        ev.warnings
            .iter()
            .any(|w| w.contains("乡长") && w.contains("inactive"))
    );
}

#[test]
fn daily_rules_with_roles_count_only_those_roles() {
    let rules = "[[rule]]\nid = \"d\"\nkind = \"daily_leaders\"\nmin = 1\nroles = [\"member\"]\n\
                     description = \"班子成员每天轮流\"";
    let mut case = Case::custom(rules, "2016-04");
    case.roster = vec![
        leader("乡长", LeaderRole::Principal),
        leader("委员", LeaderRole::Member),
    ];
    for day in working_days("2016-04") {
        let who = if day == d("2016-04-29") {
            "乡长"
        } else {
            "委员"
        };
        case.schedule([entry(&day.to_string(), who, "fixed")]);
    }
    let ev = case.run();
    assert_eq!(
        summary(&ev),
        [(
            "d".into(),
            None,
            Some("2016-04-29".into()),
            "2016-04".into(),
            1,
            0
        )]
    );
    assert!(ev.violations[0].message.contains("（限班子成员）"));
}

#[test]
fn a_year_without_calendar_data_is_counted_by_weekends_and_warned() {
    let mut case = Case::new("haifeng-town", "2030-03");
    case.roster = vec![leader("甲", LeaderRole::Member)];
    let ev = case.run();
    assert_eq!(ev.warnings.len(), 1);
    assert!(ev.warnings[0].contains("2030"), "{:?}", ev.warnings);
    // 21 weekdays in March 2030, plus its 4 weeks for 甲.
    assert_eq!(ev.violations.len(), 21 + 4);
    // The 2016 data is now shipped: no warning.
    assert!(
        Case::new("haifeng-town", "2016-03")
            .run()
            .warnings
            .is_empty()
    );
    // A week reaching into a year without data says so too: 2026-W53
    // (28 December 2026 – 3 January 2027) belongs to December.
    let ev = Case::new("haifeng-town", "2026-12").run();
    assert!(
        ev.warnings.iter().any(|w| w.contains("2027")),
        "{:?}",
        ev.warnings
    );
}

#[test]
fn violations_come_by_rule_then_date_then_leader() {
    let mut case = Case::new("haifeng-big-town", "2016-04");
    case.roster = vec![
        leader("乙", LeaderRole::Member),
        leader("甲", LeaderRole::Member),
    ];
    let ev = case.run();
    let daily = ev
        .violations
        .iter()
        .take_while(|v| v.rule == "leaders-per-working-day");
    let dates: Vec<_> = daily.filter_map(|v| v.date).collect();
    assert_eq!(dates, working_days("2016-04"));
    let weekly: Vec<_> = ev.violations[20..]
        .iter()
        .map(|v| (v.period.as_str(), v.leader.as_deref().unwrap_or("")))
        .collect();
    let mut sorted = weekly.clone();
    sorted.sort();
    assert_eq!(weekly, sorted);
    assert_eq!(weekly.len(), 4 * 2);
}

#[test]
fn rules_without_a_period_are_skipped_with_a_warning() {
    let mut case = Case::new("haifeng-town", "2016-04");
    case.set.rules[1].period = None;
    case.set.rules.truncate(2);
    let ev = case.run();
    assert!(
        ev.warnings
            .iter()
            .any(|w| w.contains("leader-days-per-week"))
    );
}
