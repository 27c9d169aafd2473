//! Each rule of derivation and admission on a hand-built case.

use super::*;
use crate::rules::calendar::MissingYear;

#[test]
fn a_full_closable_path_closes_and_archives() {
    let w = World::new();
    let mut v = closable(&w);
    step(&w, &mut v, close(true, true, true));
    let d = derive(&header(), &v, &w.ctx(), day("2026-03-13"));
    assert_eq!(d.status, Status::Closed);
    assert!(d.closure_blockers.is_empty());
    step(&w, &mut v, rec("z1", COMM_A, "2026-03-14", Body::Archive));
    assert_eq!(
        derive(&header(), &v, &w.ctx(), day("2026-03-14")).status,
        Status::Archived
    );
}

#[test]
fn each_of_the_five_conditions_blocks_closing_on_its_own() {
    let w = World::new();
    let today = day("2026-03-13");
    let full = closable(&w);
    let cases: Vec<(Vec<Record>, Record, ClosureBlocker)> = vec![
        (
            full.clone(),
            close(false, true, true),
            ClosureBlocker::FactsUnclear,
        ),
        (
            full.clone(),
            close(true, false, true),
            ClosureBlocker::NotHandledInPlace,
        ),
        (
            full.iter().filter(|r| r.id != "a1").cloned().collect(),
            close(true, true, true),
            ClosureBlocker::NoLeaderApproval,
        ),
        (
            full.iter().filter(|r| r.id != "e1").cloned().collect(),
            close(true, true, true),
            ClosureBlocker::NoPetitionerOpinion,
        ),
        (
            full.clone(),
            close(true, true, false),
            ClosureBlocker::FileIncomplete,
        ),
    ];
    for (recs, closing, blocker) in cases {
        let e = admit(&header(), &recs, &closing, &w.ctx(), today).unwrap_err();
        assert_eq!(e.rule, "closure.five_conditions");
        assert!(e.message.contains(&blocker.describe()), "{blocker:?}: {e}");
        // Exactly that one condition fails.
        let mut with = recs.clone();
        with.push(closing.clone());
        assert_eq!(
            derive(&header(), &with, &w.ctx(), today).closure_blockers,
            vec![blocker]
        );
    }
    // Closing an unscreened case is refused too (its file is incomplete).
    let e = admit(&header(), &[], &close(true, true, true), &w.ctx(), today).unwrap_err();
    assert!(
        e.message
            .contains(&ClosureBlocker::FileIncomplete.describe())
    );
}

#[test]
fn routing_sideways_and_back_up() {
    let w = World::new();
    let mut v = accepted(&w);
    // The community cannot assign to a sibling branch; it forwards to its town.
    let bad = rec(
        "x",
        COMM_A,
        "2026-03-03",
        Body::Assign {
            to: u(TOWN_B),
            due: day("2026-03-20"),
        },
    );
    assert_eq!(
        admit(&header(), &v, &bad, &w.ctx(), day("2026-03-03"))
            .unwrap_err()
            .rule,
        "assign.downwards"
    );
    step(
        &w,
        &mut v,
        rec(
            "f1",
            COMM_A,
            "2026-03-03",
            Body::Forward {
                to: u(TOWN_A),
                due: day("2026-03-20"),
            },
        ),
    );
    step(
        &w,
        &mut v,
        rec(
            "s2",
            TOWN_A,
            "2026-03-04",
            Body::Screening {
                decision: Screening::Accept,
            },
        ),
    );
    step(
        &w,
        &mut v,
        rec(
            "f2",
            TOWN_A,
            "2026-03-05",
            Body::Forward {
                to: u(TOWN_B),
                due: day("2026-03-25"),
            },
        ),
    );
    let d = derive(&header(), &v, &w.ctx(), day("2026-03-05"));
    assert_eq!(d.handling_unit, u(TOWN_B));
    assert_eq!(d.status, Status::Routed);
    assert_eq!(d.involved, [u(COMM_A), u(TOWN_A), u(TOWN_B)].into());
    // Town B objects within 5 working days; town A verifies and agrees: the
    // case returns to town A (the regulation's rules on this: `regulation`).
    step(
        &w,
        &mut v,
        rec(
            "ob",
            TOWN_B,
            "2026-03-09",
            Body::Objection {
                reason: "不属本镇管辖".into(),
            },
        ),
    );
    step(
        &w,
        &mut v,
        rec(
            "od",
            TOWN_A,
            "2026-03-09",
            Body::ObjectionDecision {
                agree: true,
                reason: "经核实属实".into(),
            },
        ),
    );
    let d = derive(&header(), &v, &w.ctx(), day("2026-03-09"));
    assert_eq!(d.handling_unit, u(TOWN_A));
    // A forward to a unit the topology does not know is refused.
    let e = admit(
        &header(),
        &v,
        &rec(
            "f3",
            TOWN_A,
            "2026-03-10",
            Body::Forward {
                to: u("441599"),
                due: day("2026-03-30"),
            },
        ),
        &w.ctx(),
        day("2026-03-10"),
    )
    .unwrap_err();
    assert_eq!(e.rule, "unit.known");
    // A due date in the past is refused.
    let e = admit(
        &header(),
        &v,
        &rec(
            "f4",
            TOWN_A,
            "2026-03-10",
            Body::Forward {
                to: u(COUNTY),
                due: day("2026-03-01"),
            },
        ),
        &w.ctx(),
        day("2026-03-10"),
    )
    .unwrap_err();
    assert_eq!(e.rule, "due.not_in_past");
}

#[test]
fn only_the_lowest_common_superior_decides_the_lead_and_the_superior_wins() {
    let w = World::new();
    let mut v = accepted(&w);
    step(
        &w,
        &mut v,
        rec(
            "f1",
            COMM_A,
            "2026-03-03",
            Body::Forward {
                to: u(TOWN_B),
                due: day("2026-03-20"),
            },
        ),
    );
    // Involved: the community (under town A) and town B: their common superior is the county.
    let by_town = rec(
        "l0",
        TOWN_A,
        "2026-03-04",
        Body::LeadDecision { lead: u(TOWN_B) },
    );
    assert_eq!(
        admit(&header(), &v, &by_town, &w.ctx(), day("2026-03-04"))
            .unwrap_err()
            .rule,
        "lead.common_superior"
    );
    step(
        &w,
        &mut v,
        rec(
            "l1",
            COUNTY,
            "2026-03-04",
            Body::LeadDecision { lead: u(TOWN_B) },
        ),
    );
    // A later, lower decision that arrived by replication does not override the county's.
    v.push(rec(
        "l2",
        TOWN_A,
        "2026-03-05",
        Body::LeadDecision { lead: u(COMM_A) },
    ));
    assert_eq!(
        derive(&header(), &v, &w.ctx(), day("2026-03-05")).lead_unit,
        Some(u(TOWN_B))
    );
    // Two valid decisions at different levels: the superior's wins, whichever came later.
    v.push(rec(
        "l3",
        CITY,
        "2026-03-04",
        Body::LeadDecision { lead: u(COMM_A) },
    ));
    v.push(rec(
        "l4",
        COUNTY,
        "2026-03-06",
        Body::LeadDecision { lead: u(TOWN_B) },
    ));
    assert_eq!(
        derive(&header(), &v, &w.ctx(), day("2026-03-06")).lead_unit,
        Some(u(COMM_A))
    );
}

#[test]
fn replies_extensions_supervision_and_review() {
    let w = World::new();
    let mut v = accepted(&w);
    // Supervision only from a superior of the handling unit.
    let own = rec(
        "sv0",
        COMM_A,
        "2026-03-03",
        Body::Supervision {
            method: Supervision::Phone,
            due: day("2026-03-10"),
            demand: "尽快".into(),
        },
    );
    assert_eq!(
        admit(&header(), &v, &own, &w.ctx(), day("2026-03-03"))
            .unwrap_err()
            .rule,
        "supervision.by_superior"
    );
    step(
        &w,
        &mut v,
        rec(
            "sv1",
            CITY,
            "2026-03-03",
            Body::Supervision {
                method: Supervision::Listed,
                due: day("2026-03-10"),
                demand: "挂牌督办".into(),
            },
        ),
    );
    let d = derive(&header(), &v, &w.ctx(), day("2026-03-11"));
    assert!(
        d.deadlines
            .iter()
            .any(|x| x.kind == DeadlineKind::Supervision && x.overdue)
    );
    step(
        &w,
        &mut v,
        rec(
            "x1",
            COMM_A,
            "2026-03-04",
            Body::Extension {
                days: 20,
                reason: "需鉴定".into(),
                approved_by: "李书记".into(),
            },
        ),
    );
    let e = admit(
        &header(),
        &v,
        &rec(
            "x2",
            COMM_A,
            "2026-03-05",
            Body::Extension {
                days: 11,
                reason: "再延".into(),
                approved_by: "李书记".into(),
            },
        ),
        &w.ctx(),
        day("2026-03-05"),
    )
    .unwrap_err();
    assert_eq!(e.rule, "extension.max_30_days");
    step(
        &w,
        &mut v,
        rec(
            "r1",
            COMM_A,
            "2026-03-12",
            Body::Reply {
                opinion: Opinion::Explain,
                text: "解释".into(),
            },
        ),
    );
    let twice = rec(
        "r2",
        COMM_A,
        "2026-03-13",
        Body::Reply {
            opinion: Opinion::Explain,
            text: "再答".into(),
        },
    );
    assert_eq!(
        admit(&header(), &v, &twice, &w.ctx(), day("2026-03-13"))
            .unwrap_err()
            .rule,
        "reply.once"
    );
    // Sent back by a superior, the unit replies again.
    step(
        &w,
        &mut v,
        rec(
            "sb",
            TOWN_A,
            "2026-03-13",
            Body::SendBack {
                reason: "答复不充分".into(),
            },
        ),
    );
    step(&w, &mut v, twice);
    // Review within 30 days of the reply, then re-review, then nothing more.
    step(
        &w,
        &mut v,
        rec(
            "rv",
            COMM_A,
            "2026-04-01",
            Body::ReviewRequest {
                stage: Stage::Review,
            },
        ),
    );
    assert_eq!(
        derive(&header(), &v, &w.ctx(), day("2026-04-01")).status,
        Status::UnderReview
    );
    step(
        &w,
        &mut v,
        rec(
            "rd",
            TOWN_A,
            "2026-04-20",
            Body::ReviewDecision {
                stage: Stage::Review,
                opinion: Opinion::Explain,
                text: "维持".into(),
            },
        ),
    );
    step(
        &w,
        &mut v,
        rec(
            "rr",
            COMM_A,
            "2026-05-06",
            Body::ReviewRequest {
                stage: Stage::ReReview,
            },
        ),
    );
    step(
        &w,
        &mut v,
        rec(
            "rrd",
            COUNTY,
            "2026-05-20",
            Body::ReviewDecision {
                stage: Stage::ReReview,
                opinion: Opinion::Explain,
                text: "维持".into(),
            },
        ),
    );
    assert_eq!(
        derive(&header(), &v, &w.ctx(), day("2026-05-20")).status,
        Status::Final
    );
    let again = rec(
        "n",
        COMM_A,
        "2026-05-21",
        Body::Progress {
            text: "再次反映".into(),
        },
    );
    assert_eq!(
        admit(&header(), &v, &again, &w.ctx(), day("2026-05-21"))
            .unwrap_err()
            .rule,
        "review.final"
    );
}

#[test]
fn a_late_review_request_is_refused() {
    let w = World::new();
    let mut v = accepted(&w);
    step(
        &w,
        &mut v,
        rec(
            "r1",
            COMM_A,
            "2026-03-10",
            Body::Reply {
                opinion: Opinion::NotSupport,
                text: "不支持".into(),
            },
        ),
    );
    // 30 days from 2026-03-10 end on 2026-04-09 (a Thursday).
    let late = rec(
        "rv",
        COMM_A,
        "2026-04-10",
        Body::ReviewRequest {
            stage: Stage::Review,
        },
    );
    let e = admit(&header(), &v, &late, &w.ctx(), day("2026-04-10")).unwrap_err();
    assert_eq!(e.rule, "review.window");
    assert!(e.message.contains("2026-04-09"), "{e}");
}

#[test]
fn deadlines_follow_the_calendar_and_become_overdue_with_time_alone() {
    let w = World::new();
    // Received on 2026-09-20: 15 days end on 2026-10-05 (National Day), so the
    // routing deadline rolls to the first working day after the holiday, 10-08.
    let h = Header {
        registered_by: u(COMM_A),
        received: day("2026-09-20"),
        skip_level_of: None,
        received_by_leader: false,
    };
    let d = derive(&h, &[], &w.ctx(), day("2026-10-08"));
    let route = d.next_deadline.clone().unwrap();
    assert_eq!(
        (route.kind, route.due, route.overdue),
        (DeadlineKind::Route, day("2026-10-08"), false)
    );
    let later = derive(&h, &[], &w.ctx(), day("2026-10-09"));
    assert!(later.overdue && later.next_deadline.unwrap().overdue);
    // Late in 2026, the 60-day handling limit reaches into 2027, which has no data.
    let h2 = Header {
        registered_by: u(COMM_A),
        received: day("2026-12-01"),
        skip_level_of: None,
        received_by_leader: false,
    };
    let acc = vec![rec(
        "s1",
        COMM_A,
        "2026-12-01",
        Body::Screening {
            decision: Screening::Accept,
        },
    )];
    let d = derive(&h2, &acc, &w.ctx(), day("2026-12-01"));
    assert_eq!(d.missing_years, vec![MissingYear { year: 2027 }]);
}

#[test]
fn ownership_carries_the_five_duties() {
    let w = World::new();
    let v = accepted(&w);
    // Written without duties (as older clients do), all five are implied.
    let body: Body = serde_json::from_str(r#"{"kind":"ownership","leader":"李书记"}"#).unwrap();
    assert_eq!(
        body,
        Body::Ownership {
            leader: "李书记".into(),
            duties: Duty::all(),
            principal: false,
            work_group: Vec::new(),
        }
    );
    let none = rec(
        "o",
        COMM_A,
        "2026-03-03",
        Body::Ownership {
            leader: "李书记".into(),
            duties: vec![],
            principal: false,
            work_group: Vec::new(),
        },
    );
    let e = admit(&header(), &v, &none, &w.ctx(), day("2026-03-03")).unwrap_err();
    assert_eq!(e.rule, "ownership.five_duties");
}

#[test]
fn terminal_screenings_stop_tracking() {
    let w = World::new();
    let mut v = Vec::new();
    step(
        &w,
        &mut v,
        rec(
            "s1",
            COMM_A,
            "2026-03-02",
            Body::Screening {
                decision: Screening::Discipline {
                    notice: "已转纪检监察机关".into(),
                },
            },
        ),
    );
    assert_eq!(
        derive(&header(), &v, &w.ctx(), day("2026-03-02")).status,
        Status::ToDiscipline
    );
    let e = admit(
        &header(),
        &v,
        &rec(
            "p",
            COMM_A,
            "2026-03-03",
            Body::Progress { text: "x".into() },
        ),
        &w.ctx(),
        day("2026-03-03"),
    )
    .unwrap_err();
    assert_eq!(e.rule, "case.tracking_ended");
}

#[test]
fn a_text_over_the_limit_is_refused_naming_the_field_and_the_limit() {
    use crate::case::MAX_NOTE_CHARS;
    let w = World::new();
    let v = accepted(&w);
    let note = |n: usize| {
        rec(
            "p-long",
            COMM_A,
            "2026-03-03",
            Body::Progress {
                text: "字".repeat(n),
            },
        )
    };
    let today = day("2026-03-03");
    assert!(admit(&header(), &v, &note(MAX_NOTE_CHARS), &w.ctx(), today).is_ok());
    let e = admit(&header(), &v, &note(MAX_NOTE_CHARS + 1), &w.ctx(), today).unwrap_err();
    assert_eq!(e.rule, "text.max_chars");
    assert!(e.message.contains("`text`"), "{e}");
    assert!(e.message.contains(&MAX_NOTE_CHARS.to_string()), "{e}");
}

/// A reply is rated once, by any unit the case concerns (the city's public
/// page, for the petitioner, included); a reply given again after a send-back
/// is rated anew. The petitioner's own window opens with the reply and closes
/// with the window to request a review of it.
#[test]
fn a_reply_is_rated_once_and_the_petitioners_window_closes_with_the_review_window() {
    let w = World::new();
    let mut v = accepted(&w);
    let refused = |r: Result<NaiveDate, Refusal>| r.map_err(|e| e.rule);
    assert_eq!(
        refused(rating_window(&v, &w.ctx(), day("2026-03-05"))),
        Err("rating.after_reply")
    );
    let reply = |id: &str, at: &str| {
        rec(
            id,
            COMM_A,
            at,
            Body::Reply {
                opinion: Opinion::Support,
                text: "已修复".into(),
            },
        )
    };
    let rating = |id: &str, unit: &str, at: &str| {
        rec(
            id,
            unit,
            at,
            Body::Rating {
                acceptance: Satisfaction::Basic,
                handling: Satisfaction::Basic,
            },
        )
    };
    step(&w, &mut v, reply("r1", "2026-03-10"));
    let last = rating_window(&v, &w.ctx(), day("2026-03-10")).expect("open on the reply's day");
    assert!(last >= day("2026-04-09"), "30 days at least: {last}");
    assert_eq!(refused(rating_window(&v, &w.ctx(), last)), Ok(last));
    let after = last.succ_opt().expect("a next day");
    assert_eq!(
        refused(rating_window(&v, &w.ctx(), after)),
        Err("rating.window")
    );
    step(&w, &mut v, rating("e1", CITY, "2026-03-11"));
    let second = rating("e2", COMM_A, "2026-03-11");
    assert_eq!(
        admit(&header(), &v, &second, &w.ctx(), day("2026-03-11")).map_err(|e| e.rule),
        Err("rating.once")
    );
    step(
        &w,
        &mut v,
        rec(
            "b1",
            TOWN_A,
            "2026-03-12",
            Body::SendBack {
                reason: "未解决".into(),
            },
        ),
    );
    step(&w, &mut v, reply("r2", "2026-03-13"));
    step(&w, &mut v, rating("e3", COMM_A, "2026-03-14"));
}
