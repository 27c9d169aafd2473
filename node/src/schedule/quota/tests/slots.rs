//! The rules the seeds write beyond "N days a period": posts, fixed slots, turns,
//! the unit's week, and owned cases counted once resolved.

use super::*;

fn rules_of(ev: &Evaluation) -> Vec<(String, Option<String>, Option<String>)> {
    ev.violations
        .iter()
        .map(|v| {
            (
                v.rule.clone(),
                v.leader.clone(),
                v.date.map(|d| d.to_string()),
            )
        })
        .collect()
}

fn at(entry: Entry, time: &str) -> Entry {
    Entry {
        time: Some(time.parse().unwrap()),
        ..entry
    }
}

#[test]
fn shenzhen_refuses_a_quarter_in_which_a_vice_mayor_never_received() {
    let mut case = Case::new("shenzhen-city", "2026-03");
    case.roster = vec![
        post("书记", "市委书记", LeaderRole::Principal),
        post("市长", "市委副书记、市长", LeaderRole::Principal),
        post("组织部长", "市委常委、组织部部长", LeaderRole::Member),
        post("副市长甲", "副市长", LeaderRole::InCharge),
        post("副市长乙", "副市长", LeaderRole::Member),
    ];
    case.schedule([
        entry("2026-01-14", "市长", "fixed"),
        entry("2026-02-11", "组织部长", "video"),
        entry("2026-03-11", "副市长甲", "fixed"),
    ]);
    let ev = case.run();
    assert_eq!(
        summary(&ev),
        [(
            "leader-days-per-quarter".into(),
            Some("副市长乙".into()),
            None,
            "2026Q1".into(),
            1,
            0
        )]
    );
    assert_eq!(
        ev.violations[0].message,
        "副市长乙 2026年第1季度接访0天，规则要求每季度至少1天"
    );
    // The secretary is not bound by the quarter; one day for 副市长乙 passes it.
    case.schedule([entry("2026-03-18", "副市长乙", "fixed")]);
    assert!(case.run().passes(), "{:#?}", case.run());
}

#[test]
fn an_owned_case_counts_toward_the_year_only_once_resolved() {
    let mut case = Case::new("shenzhen-city", "2026-12");
    case.roster = vec![post("副市长", "副市长", LeaderRole::InCharge)];
    case.schedule([entry("2026-12-02", "副市长", "fixed")]);
    let resolved = |case: &Case| {
        case.run()
            .violations
            .iter()
            .find(|v| v.rule == "owned-cases-per-year")
            .map_or(3, |v| v.actual)
    };
    case.owned = vec![
        // Closed 2026-01-10, no repeat: resolved on 2026-07-10.
        owned("副市长", Some("2026-01-10"), &[]),
        // Closed, then a repeat petition within six months: not resolved.
        owned("副市长", Some("2026-02-01"), &["2026-05-20"]),
        // A repeat long after the months does not undo it: resolved 2026-04-15.
        owned("副市长", Some("2025-10-15"), &["2026-09-01"]),
        // Still open: not resolved.
        owned("副市长", None, &[]),
        // Closed 2026-06-10: resolved on 2026-12-10, after the evaluation's day.
        owned("副市长", Some("2026-06-10"), &[]),
    ];
    case.today = d("2026-11-20");
    assert_eq!(resolved(&case), 2);
    let ev = case.run();
    assert!(
        ev.violations[0].message.contains("另有1宗已办结"),
        "{}",
        ev.violations[0].message
    );
    // Once its six months have passed without a repeat, the third counts.
    case.today = d("2026-12-10");
    assert_eq!(resolved(&case), 3);
    assert!(case.run().passes());
    // A repeat on its last day undoes it.
    case.owned[4].repeats.push(d("2026-12-10"));
    assert_eq!(resolved(&case), 2);

    // The pure rule, directly.
    let c = owned("x", Some("2026-08-31"), &[]);
    assert_eq!(
        resolution(&c, 6, d("2027-02-27")),
        Resolution::Pending(d("2027-02-28"))
    );
    assert_eq!(
        resolution(&c, 6, d("2027-02-28")),
        Resolution::Resolved(d("2027-02-28"))
    );
    assert_eq!(
        resolution(&c, 0, d("2026-08-31")),
        Resolution::Resolved(d("2026-08-31"))
    );
    assert_eq!(
        resolution(&owned("x", None, &[]), 0, d("2030-01-01")),
        Resolution::Unresolved
    );
    // A repeat before the closure is the petition the case handled, not a relapse.
    assert_eq!(
        resolution(
            &owned("x", Some("2026-03-01"), &["2026-02-01"]),
            1,
            d("2026-04-01")
        ),
        Resolution::Resolved(d("2026-04-01"))
    );
}

#[test]
fn a_community_receiving_on_a_thursday_instead_of_tuesday_morning_breaks_its_rule() {
    let mut case = Case::new("nanhu-community", "2026-03");
    case.roster = vec![
        leader("主任", LeaderRole::Principal),
        leader("副主任", LeaderRole::Member),
    ];
    // March 2026's Tuesdays: 3, 10, 17, 24, 31.
    let tuesdays = [
        "2026-03-03",
        "2026-03-10",
        "2026-03-17",
        "2026-03-24",
        "2026-03-31",
    ];
    for (i, day) in tuesdays.iter().enumerate() {
        let who = if i % 2 == 0 { "主任" } else { "副主任" };
        case.schedule([at(entry(day, who, "fixed"), "08:30-11:30")]);
    }
    assert!(case.run().passes(), "{:#?}", case.run());

    // The 17th's reception moved to Thursday the 19th.
    case.all.retain(|e| e.date != d("2026-03-17"));
    case.schedule([entry("2026-03-19", "主任", "fixed")]);
    let ev = case.run();
    assert_eq!(
        rules_of(&ev),
        [
            ("tuesday-morning".into(), None, Some("2026-03-17".into())),
            (
                "tuesday-morning".into(),
                Some("主任".into()),
                Some("2026-03-19".into())
            ),
        ]
    );
    assert!(
        ev.violations[1].message.contains("星期四")
            && ev.violations[1].message.contains("每周星期二 08:30-11:30"),
        "{}",
        ev.violations[1].message
    );

    // Back on Tuesday, but in the afternoon: still a violation, naming the hours.
    case.all.retain(|e| e.date != d("2026-03-19"));
    case.schedule([at(entry("2026-03-17", "主任", "fixed"), "14:00-17:00")]);
    let ev = case.run();
    assert_eq!(
        rules_of(&ev),
        [
            ("tuesday-morning".into(), None, Some("2026-03-17".into())),
            (
                "tuesday-morning".into(),
                Some("主任".into()),
                Some("2026-03-17".into())
            ),
        ]
    );
    assert!(ev.violations[1].message.contains("14:00-17:00"));
    // Hours within the slot keep it.
    case.all.retain(|e| e.date != d("2026-03-17"));
    case.schedule([at(entry("2026-03-17", "主任", "fixed"), "09:00-11:00")]);
    assert!(case.run().passes());
}

#[test]
fn a_tuesday_that_is_a_holiday_needs_no_reception() {
    // 2026: the Labour Day holiday runs 1–5 May; Tuesday 5 May is a holiday.
    let cal = HolidayCalendar::official().unwrap();
    assert!(!cal.is_working_day(d("2026-05-05")));
    let mut case = Case::new("nanhu-community", "2026-05");
    case.roster = vec![leader("主任", LeaderRole::Principal)];
    for day in ["2026-05-12", "2026-05-19", "2026-05-26"] {
        case.schedule([entry(day, "主任", "fixed")]);
    }
    assert!(case.run().passes(), "{:#?}", case.run());
}

#[test]
fn a_hospital_receiving_on_the_third_wednesday_breaks_its_rule() {
    let mut case = Case::new("hospital", "2026-03");
    case.roster = vec![leader("院长", LeaderRole::Principal)];
    // March 2026: Wednesdays 4, 11, 18, 25; the second is the 11th.
    case.schedule([at(entry("2026-03-11", "院长", "fixed"), "15:00-17:00")]);
    assert!(case.run().passes(), "{:#?}", case.run());
    case.all.clear();
    case.schedule([at(entry("2026-03-18", "院长", "fixed"), "15:00-17:00")]);
    let ev = case.run();
    assert_eq!(
        rules_of(&ev),
        [
            (
                "second-wednesday-afternoon".into(),
                None,
                Some("2026-03-11".into())
            ),
            (
                "second-wednesday-afternoon".into(),
                Some("院长".into()),
                Some("2026-03-18".into())
            ),
        ]
    );
    assert!(
        ev.violations[1].message.contains("每月第2个星期三"),
        "{}",
        ev.violations[1].message
    );
    // April 2026 starts on a Wednesday: the second Wednesday is the 8th.
    let mut april = Case::new("hospital", "2026-04");
    april.roster = case.roster.clone();
    april.schedule([entry("2026-04-08", "院长", "fixed")]);
    assert!(april.run().passes(), "{:#?}", april.run());
}

#[test]
fn a_construction_bureau_receives_every_wednesday() {
    let mut case = Case::new("construction-bureau", "2026-03");
    case.roster = vec![
        leader("局长", LeaderRole::Principal),
        leader("副局长", LeaderRole::Member),
    ];
    for (day, who) in [
        ("2026-03-04", "局长"),
        ("2026-03-11", "副局长"),
        ("2026-03-18", "局长"),
        ("2026-03-25", "副局长"),
    ] {
        case.schedule([entry(day, who, "fixed")]);
    }
    assert!(case.run().passes(), "{:#?}", case.run());
    case.schedule([entry("2026-03-16", "副局长", "fixed")]);
    assert_eq!(
        rules_of(&case.run()),
        [(
            "every-wednesday".into(),
            Some("副局长".into()),
            Some("2026-03-16".into())
        )]
    );
    // 每位局领导轮流安排接待: the two swap the 11th and the 18th, so the 局长
    // comes twice before the 副局长's turn.
    case.all.pop();
    case.all[1].leader = "局长".into();
    case.all[2].leader = "副局长".into();
    let ev = case.run();
    assert_eq!(
        rules_of(&ev),
        [(
            "every-wednesday".into(),
            Some("局长".into()),
            Some("2026-03-11".into())
        )]
    );
    assert!(
        ev.violations[0].message.contains("副局长尚未轮到"),
        "{}",
        ev.violations[0].message
    );
}

#[test]
fn daily_turns_need_a_leader_every_working_day_and_a_full_round_before_a_second_turn() {
    let mut case = Case::new("bureau-daily-turns", "2026-03");
    case.roster = vec![
        leader("甲", LeaderRole::Principal),
        leader("乙", LeaderRole::InCharge),
        leader("丙", LeaderRole::Member),
    ];
    let days = working_days("2026-03");
    let names = ["甲", "乙", "丙"];
    for (i, day) in days.iter().enumerate() {
        case.schedule([entry(&day.to_string(), names[i % 3], "fixed")]);
    }
    assert!(case.run().passes(), "{:#?}", case.run());

    // 甲 and 丙 swap the third and fourth days (甲 乙 甲 丙 …): 甲's second turn
    // comes before 丙's first.
    case.all[2].leader = "甲".into();
    case.all[3].leader = "丙".into();
    let ev = case.run();
    assert_eq!(
        rules_of(&ev),
        [(
            "daily-turns".into(),
            Some("甲".into()),
            Some(days[2].to_string())
        )]
    );
    assert!(
        ev.violations[0].message.contains("丙尚未轮到"),
        "{}",
        ev.violations[0].message
    );

    // A working day left empty is a violation of its own.
    case.all[2].leader = "丙".into();
    case.all[3].leader = "甲".into();
    case.all.pop();
    let last = days[days.len() - 1].to_string();
    assert_eq!(
        rules_of(&case.run()),
        [("daily-turns".into(), None, Some(last))]
    );
}

#[test]
fn department_members_take_weekly_turns_and_the_principal_receives_monthly() {
    let mut case = Case::new("qingshan-department", "2026-03");
    case.roster = vec![
        leader("局长", LeaderRole::Principal),
        leader("副局长甲", LeaderRole::InCharge),
        leader("副局长乙", LeaderRole::Member),
    ];
    // March 2026's weeks (by their Thursdays): 2–8, 9–15, 16–22, 23–29; the week
    // of 30 March is April's.
    for (day, who) in [
        ("2026-03-03", "副局长甲"),
        ("2026-03-10", "副局长乙"),
        ("2026-03-17", "副局长甲"),
        ("2026-03-24", "副局长乙"),
        ("2026-03-31", "副局长甲"),
        ("2026-03-12", "局长"),
    ] {
        case.schedule([entry(day, who, "fixed")]);
    }
    assert!(case.run().passes(), "{:#?}", case.run());
    // 副局长甲 takes the fourth week too: a second turn before 乙's.
    case.all[3].leader = "副局长甲".into();
    assert_eq!(
        rules_of(&case.run()),
        [(
            "members-weekly-turns".into(),
            Some("副局长甲".into()),
            Some("2026-03-24".into())
        )]
    );
    // A week without a member's reception (the principal's day does not count),
    // and so 甲 again before 乙.
    case.all[3].leader = "副局长乙".into();
    case.all.remove(1);
    let ev = case.run();
    assert_eq!(
        summary(&ev),
        [
            (
                "members-weekly-turns".into(),
                None,
                None,
                "2026-W11".into(),
                1,
                0
            ),
            (
                "members-weekly-turns".into(),
                Some("副局长甲".into()),
                Some("2026-03-17".into()),
                "2026-W12".into(),
                0,
                1
            ),
        ]
    );
}

#[test]
fn the_district_head_receives_two_days_a_month_and_the_secretary_one() {
    let mut case = Case::new("district-leaders", "2026-03");
    case.roster = vec![
        post("书记", "区委书记", LeaderRole::Principal),
        post("区长", "区委副书记、区长", LeaderRole::Principal),
        post("副区长", "副区长", LeaderRole::Member),
    ];
    case.schedule([
        entry("2026-03-05", "书记", "fixed"),
        entry("2026-03-12", "区长", "fixed"),
    ]);
    assert_eq!(
        summary(&case.run()),
        [(
            "head-days-per-month".into(),
            Some("区长".into()),
            None,
            "2026-03".into(),
            2,
            1
        )]
    );
    case.schedule([entry("2026-03-26", "区长", "video")]);
    assert!(case.run().passes());
    // A class recorded on the roster wins over the printed post.
    case.roster[2].class = Some(crate::schedule::model::PositionClass::GovernmentHead);
    assert_eq!(
        rules_of(&case.run()),
        [("head-days-per-month".into(), Some("副区长".into()), None)]
    );
}

#[test]
fn the_unit_receives_every_week_in_any_form() {
    let mut case = Case::custom(
        "[[rule]]\nid = \"weekly\"\nkind = \"unit_days\"\nperiod = \"week\"\nmin = 1\ndescription = \"每周接访\"\n",
        "2026-03",
    );
    case.roster = vec![
        leader("甲", LeaderRole::Principal),
        leader("乙", LeaderRole::Member),
    ];
    for (day, who, form) in [
        ("2026-03-02", "甲", "fixed"),
        ("2026-03-13", "乙", "video"),
        ("2026-03-18", "乙", "case_visit"),
        ("2026-03-30", "甲", "appointment"),
    ] {
        case.schedule([entry(day, who, form)]);
    }
    assert_eq!(
        summary(&case.run()),
        [("weekly".into(), None, None, "2026-W13".into(), 1, 0)]
    );
    case.schedule([entry("2026-03-27", "乙", "grassroots")]);
    assert!(case.run().passes(), "{:#?}", case.run());
}

#[test]
fn qingshan_members_take_daily_turns_and_the_principal_is_not_in_the_rotation() {
    let mut case = Case::new("qingshan-township", "2016-04");
    case.roster = vec![
        leader("乡长", LeaderRole::Principal),
        leader("委员甲", LeaderRole::Member),
        leader("委员乙", LeaderRole::InCharge),
    ];
    let days = working_days("2016-04");
    for (i, day) in days.iter().enumerate() {
        let who = ["委员甲", "委员乙"][i % 2];
        case.schedule([entry(&day.to_string(), who, "fixed")]);
    }
    // The principal's monthly day, beside the members' turn: not a turn of theirs.
    case.schedule([entry("2016-04-06", "乡长", "fixed")]);
    assert!(case.run().passes(), "{:#?}", case.run());
    // 委员甲 on the second day too: before 委员乙 has had a turn.
    case.all[1].leader = "委员甲".into();
    let found = rules_of(&case.run());
    assert_eq!(
        found[0],
        (
            "leaders-per-working-day".into(),
            Some("委员甲".into()),
            Some(days[1].to_string())
        )
    );
}
