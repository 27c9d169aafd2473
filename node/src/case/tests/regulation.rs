//! The rules of Reg-2022 an inspector checks first, each against the behaviour
//! the code had before (named in each test): who decides a review, whose
//! deadline its answer is, …

use super::*;

fn reply(id: &str, unit: &str, at: &str) -> Record {
    rec(
        id,
        unit,
        at,
        Body::Reply {
            opinion: Opinion::Explain,
            text: "答复".into(),
        },
    )
}

fn request(id: &str, unit: &str, at: &str, stage: Stage) -> Record {
    rec(id, unit, at, Body::ReviewRequest { stage })
}

fn decision(id: &str, unit: &str, at: &str, stage: Stage) -> Record {
    rec(
        id,
        unit,
        at,
        Body::ReviewDecision {
            stage,
            opinion: Opinion::Explain,
            text: "维持".into(),
        },
    )
}

/// Before: any superior of the handling unit could decide a review (the city
/// over a community's opinion), and the answer's deadline was the community's.
#[test]
fn a_review_is_decided_by_the_superior_of_the_organ_that_issued_the_opinion() {
    let w = World::new();
    let mut v = accepted(&w);
    step(&w, &mut v, reply("r1", COMM_A, "2026-03-10"));
    step(
        &w,
        &mut v,
        request("rq", COMM_A, "2026-03-20", Stage::Review),
    );
    let today = day("2026-03-25");
    let d = derive(&header(), &v, &w.ctx(), today);
    assert_eq!(d.review_decider, Some(u(TOWN_A)));
    let answer = d
        .deadlines
        .iter()
        .find(|x| x.kind == DeadlineKind::ReviewAnswer)
        .expect("a review answer deadline");
    assert_eq!(answer.unit, u(TOWN_A), "charged to the reviewing unit");
    for wrong in [COUNTY, CITY, COMM_A] {
        let e = admit(
            &header(),
            &v,
            &decision("rd", wrong, "2026-03-25", Stage::Review),
            &w.ctx(),
            today,
        )
        .unwrap_err();
        assert_eq!(e.rule, "review.by_superior_of_issuer", "{wrong}");
        assert!(
            e.message.contains(TOWN_A) && e.message.contains("art. 35"),
            "{e}"
        );
    }
    step(
        &w,
        &mut v,
        decision("rd", TOWN_A, "2026-03-25", Stage::Review),
    );
    // Re-review: the superior of the organ that reviewed (the town): the county.
    step(
        &w,
        &mut v,
        request("rr", COMM_A, "2026-04-01", Stage::ReReview),
    );
    let d = derive(&header(), &v, &w.ctx(), day("2026-04-02"));
    assert_eq!(d.review_decider, Some(u(COUNTY)));
    let e = admit(
        &header(),
        &v,
        &decision("rrd", TOWN_A, "2026-04-02", Stage::ReReview),
        &w.ctx(),
        day("2026-04-02"),
    )
    .unwrap_err();
    assert_eq!(e.rule, "review.by_superior_of_issuer");
    step(
        &w,
        &mut v,
        decision("rrd", COUNTY, "2026-04-02", Stage::ReReview),
    );
    assert_eq!(
        derive(&header(), &v, &w.ctx(), day("2026-04-03")).status,
        Status::Final
    );
}

/// A department's opinion is reviewed by the government it belongs to (the
/// county), never by a town of the same county; the overdue answer is the
/// county's.
#[test]
fn a_county_bureaus_opinion_is_reviewed_by_the_county() {
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
                to: u(HOUSING),
                due: day("2026-03-10"),
            },
        ),
    );
    step(
        &w,
        &mut v,
        rec(
            "s2",
            HOUSING,
            "2026-03-04",
            Body::Screening {
                decision: Screening::Accept,
            },
        ),
    );
    step(&w, &mut v, reply("r1", HOUSING, "2026-03-10"));
    step(
        &w,
        &mut v,
        request("rq", COMM_A, "2026-03-20", Stage::Review),
    );
    let late = derive(&header(), &v, &w.ctx(), day("2026-05-01"));
    let answer = late
        .deadlines
        .iter()
        .find(|x| x.kind == DeadlineKind::ReviewAnswer)
        .expect("deadline");
    assert!(answer.overdue);
    assert_eq!(answer.unit, u(COUNTY), "the overdue answer is the county's");
    let e = admit(
        &header(),
        &v,
        &decision("rd", TOWN_A, "2026-03-25", Stage::Review),
        &w.ctx(),
        day("2026-03-25"),
    )
    .unwrap_err();
    assert_eq!(e.rule, "review.by_superior_of_issuer");
    step(
        &w,
        &mut v,
        decision("rd", COUNTY, "2026-03-25", Stage::Review),
    );
}

fn forwarded_to_town_b(w: &World) -> Vec<Record> {
    let mut v = accepted(w);
    step(
        w,
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
    step(
        w,
        &mut v,
        rec(
            "ob",
            TOWN_B,
            "2026-03-05",
            Body::Objection {
                reason: "不属本镇管辖".into(),
            },
        ),
    );
    v
}

fn verdict(id: &str, unit: &str, agree: bool) -> Record {
    rec(
        id,
        unit,
        "2026-03-06",
        Body::ObjectionDecision {
            agree,
            reason: "经核实".into(),
        },
    )
}

/// Before: the objection alone sent the case back to the sender.
#[test]
fn an_objection_returns_the_case_only_when_the_sender_verifies_and_agrees() {
    let w = World::new();
    let mut v = forwarded_to_town_b(&w);
    let d = derive(&header(), &v, &w.ctx(), day("2026-03-05"));
    assert_eq!(d.handling_unit, u(TOWN_B), "the receiver stays responsible");
    assert!(d.objection_open);
    assert_eq!(d.status, Status::Routed);
    // Nobody but the sending office verifies it; not twice objected meanwhile.
    for other in [TOWN_A, COUNTY, TOWN_B] {
        let e = admit(
            &header(),
            &v,
            &verdict("od", other, true),
            &w.ctx(),
            day("2026-03-06"),
        )
        .unwrap_err();
        assert_eq!(e.rule, "objection.verified_by_sender", "{other}");
    }
    let again = rec(
        "ob2",
        TOWN_B,
        "2026-03-06",
        Body::Objection {
            reason: "再议".into(),
        },
    );
    let e = admit(&header(), &v, &again, &w.ctx(), day("2026-03-06")).unwrap_err();
    assert_eq!(e.rule, "objection.pending");
    // Refused: a record, and town B keeps the case with its deadlines.
    let mut refused = v.clone();
    step(&w, &mut refused, verdict("od", COMM_A, false));
    let d = derive(&header(), &refused, &w.ctx(), day("2026-03-06"));
    assert_eq!(d.handling_unit, u(TOWN_B));
    assert!(!d.objection_open);
    assert!(
        d.deadlines
            .iter()
            .any(|x| x.kind == DeadlineKind::Handle && x.unit == u(TOWN_B))
    );
    let e = admit(
        &header(),
        &refused,
        &verdict("od2", COMM_A, true),
        &w.ctx(),
        day("2026-03-06"),
    )
    .unwrap_err();
    assert_eq!(e.rule, "objection.decision_requested");
    // Agreed: back to the community, which handles it again.
    step(&w, &mut v, verdict("od", COMM_A, true));
    let d = derive(&header(), &v, &w.ctx(), day("2026-03-06"));
    assert_eq!(d.handling_unit, u(COMM_A));
    assert_eq!(d.status, Status::Accepted);
}

/// Before: only a routed case owed a notice, and nothing could meet it; a case
/// handled where it was received owed none.
#[test]
fn every_accepted_petition_owes_a_notice_within_15_days_met_by_a_notice_record() {
    let w = World::new();
    let mut v = accepted(&w);
    let notify = |v: &[Record], today: &str| {
        derive(&header(), v, &w.ctx(), day(today))
            .deadlines
            .into_iter()
            .find(|x| x.kind == DeadlineKind::Notify)
    };
    // Received 2026-03-02, handled in place: notice due 15 days on.
    let d = notify(&v, "2026-03-18").expect("a notice is owed");
    assert_eq!((d.unit.clone(), d.due), (u(COMM_A), day("2026-03-17")));
    assert!(d.overdue);
    let notice = |id: &str, unit: &str, at: &str| {
        rec(
            id,
            unit,
            at,
            Body::Notice {
                text: "您反映的问题已受理".into(),
                issued: None,
            },
        )
    };
    let e = admit(
        &header(),
        &v,
        &notice("n0", TOWN_A, "2026-03-05"),
        &w.ctx(),
        day("2026-03-05"),
    )
    .unwrap_err();
    assert_eq!(
        e.rule, "handling.by_assigned_unit",
        "the holder gives notice"
    );
    step(&w, &mut v, notice("n1", COMM_A, "2026-03-05"));
    assert!(notify(&v, "2026-03-18").is_none(), "met by the record");
    // Forwarded: the receiving unit owes its own notice from the forward.
    step(
        &w,
        &mut v,
        rec(
            "f1",
            COMM_A,
            "2026-03-06",
            Body::Forward {
                to: u(TOWN_A),
                due: day("2026-03-20"),
            },
        ),
    );
    let d = notify(&v, "2026-03-07").expect("the town owes one");
    // 15 days end on Saturday 03-21: the period runs on to Monday.
    assert_eq!((d.unit, d.due), (u(TOWN_A), day("2026-03-23")));
}

/// Before: any approval cleared the condition, by anyone; only a rating met
/// the petitioner's opinion, so a petitioner who would not say blocked closing.
#[test]
fn closure_needs_the_owners_approval_and_a_refusal_to_state_an_opinion_is_recorded() {
    let w = World::new();
    let mut v = accepted(&w);
    step(
        &w,
        &mut v,
        rec(
            "o1",
            COMM_A,
            "2026-03-03",
            Body::Ownership {
                leader: "李书记".into(),
                duties: Duty::all(),
                principal: false,
                work_group: Vec::new(),
            },
        ),
    );
    step(&w, &mut v, reply("r1", COMM_A, "2026-03-10"));
    let approval = |id: &str, leader: &str| {
        rec(
            id,
            COMM_A,
            "2026-03-11",
            Body::LeaderApproval {
                leader: leader.into(),
                opinion: "同意".into(),
            },
        )
    };
    let e = admit(
        &header(),
        &v,
        &approval("a0", "王主任"),
        &w.ctx(),
        day("2026-03-11"),
    )
    .unwrap_err();
    assert_eq!(e.rule, "closure.approval_by_owner");
    assert!(e.message.contains("李书记"), "{e}");
    step(&w, &mut v, approval("a1", "李书记"));
    let silent = rec(
        "no0",
        COMM_A,
        "2026-03-12",
        Body::NoOpinion {
            circumstances: " ".into(),
        },
    );
    let e = admit(&header(), &v, &silent, &w.ctx(), day("2026-03-12")).unwrap_err();
    assert_eq!(e.rule, "no_opinion.circumstances");
    let d = derive(&header(), &v, &w.ctx(), day("2026-03-12"));
    assert!(
        d.closure_blockers
            .contains(&ClosureBlocker::NoPetitionerOpinion)
    );
    step(
        &w,
        &mut v,
        rec(
            "no1",
            COMM_A,
            "2026-03-12",
            Body::NoOpinion {
                circumstances: "3月12日电话联系，信访人拒绝表态，两名工作人员在场".into(),
            },
        ),
    );
    step(
        &w,
        &mut v,
        rec(
            "c1",
            COMM_A,
            "2026-03-13",
            Body::Closure {
                facts_clear: true,
                handled_in_place: true,
                file_complete: true,
            },
        ),
    );
    assert_eq!(
        derive(&header(), &v, &w.ctx(), day("2026-03-13")).status,
        Status::Closed
    );
    // An approval by another leader, written before the case was owned by the
    // one now owning it, does not count.
    let mut later = accepted(&w);
    step(&w, &mut later, approval("a2", "王主任"));
    step(
        &w,
        &mut later,
        rec(
            "o2",
            COMM_A,
            "2026-03-12",
            Body::Ownership {
                leader: "李书记".into(),
                duties: Duty::all(),
                principal: false,
                work_group: Vec::new(),
            },
        ),
    );
    let d = derive(&header(), &later, &w.ctx(), day("2026-03-12"));
    assert!(
        d.closure_blockers
            .contains(&ClosureBlocker::NoLeaderApproval)
    );
}

/// Before: nothing marked a major or urgent matter, and nothing made an unowned
/// one overdue.
#[test]
fn a_major_matter_without_an_owning_leader_becomes_overdue() {
    let w = World::new();
    let mut v = accepted(&w);
    let flag = |id: &str, unit: &str, reason: &str, urgent: bool| {
        rec(
            id,
            unit,
            "2026-03-03",
            Body::Major {
                urgent,
                reason: reason.into(),
            },
        )
    };
    let e = admit(
        &header(),
        &v,
        &flag("m0", COMM_A, "", false),
        &w.ctx(),
        day("2026-03-03"),
    )
    .unwrap_err();
    assert_eq!(e.rule, "major.reason");
    // A superior may flag it too (it is a unit the case concerns).
    step(
        &w,
        &mut v,
        flag("m1", COUNTY, "涉及群体利益，可能引发聚集", true),
    );
    let d = derive(&header(), &v, &w.ctx(), day("2026-03-07"));
    let m = d.major.clone().expect("flagged");
    assert!(m.urgent);
    let own = d
        .deadlines
        .iter()
        .find(|x| x.kind == DeadlineKind::MajorOwnership)
        .expect("an ownership deadline");
    // 3 days from Tuesday 03-03: Friday 03-06, past on the 7th.
    assert_eq!(
        (own.unit.clone(), own.due, own.overdue),
        (u(COMM_A), day("2026-03-06"), true)
    );
    step(
        &w,
        &mut v,
        rec(
            "o1",
            COMM_A,
            "2026-03-07",
            Body::Ownership {
                leader: "李书记".into(),
                duties: Duty::all(),
                principal: false,
                work_group: Vec::new(),
            },
        ),
    );
    let d = derive(&header(), &v, &w.ctx(), day("2026-03-08"));
    assert!(
        !d.deadlines
            .iter()
            .any(|x| x.kind == DeadlineKind::MajorOwnership)
    );
}

/// Before: the five closure conditions bound every case, whatever the unit's
/// rules; seed 001 binds them to cases a leader received (or owns).
#[test]
fn which_cases_the_five_closure_conditions_bind_is_configuration() {
    let mut w = World::new();
    let mut v = accepted(&w);
    step(&w, &mut v, reply("r1", COMM_A, "2026-03-10"));
    let bare = rec(
        "c1",
        COMM_A,
        "2026-03-11",
        Body::Closure {
            facts_clear: false,
            handled_in_place: false,
            file_complete: false,
        },
    );
    let today = day("2026-03-11");
    // The default: every case, so a bare closure is refused.
    let e = admit(&header(), &v, &bare, &w.ctx(), today).unwrap_err();
    assert_eq!(e.rule, "closure.five_conditions");
    // Bound to leaders' cases: a case no leader received or owns closes once
    // screened and answered.
    w.limits.closure_conditions = crate::rules::limits::ClosureScope::LeaderCases;
    admit(&header(), &v, &bare, &w.ctx(), today).unwrap();
    let mut closed = v.clone();
    closed.push(bare.clone());
    assert_eq!(
        derive(&header(), &closed, &w.ctx(), today).status,
        Status::Closed
    );
    // Not before it was answered.
    let unanswered = accepted(&w);
    let e = admit(&header(), &unanswered, &bare, &w.ctx(), today).unwrap_err();
    assert_eq!(e.rule, "closure.five_conditions");
    // A leader received the petitioner: the five conditions bind.
    let by_leader = Header {
        received_by_leader: true,
        ..header()
    };
    let e = admit(&by_leader, &v, &bare, &w.ctx(), today).unwrap_err();
    assert_eq!(e.rule, "closure.five_conditions");
    // Owned by a leader: they bind too.
    let mut owned = v.clone();
    owned.push(rec(
        "o1",
        COMM_A,
        "2026-03-10",
        Body::Ownership {
            leader: "李书记".into(),
            duties: Duty::all(),
            principal: false,
            work_group: Vec::new(),
        },
    ));
    let e = admit(&header(), &owned, &bare, &w.ctx(), today).unwrap_err();
    assert_eq!(e.rule, "closure.five_conditions");
}

/// Before: nothing recorded a visit to higher authorities, and nothing made the
/// principal leader own such a case or escalated repeats (seed 001, text 5).
#[test]
fn a_visit_to_higher_authorities_needs_the_principal_leader_and_repeats_escalate() {
    use crate::rules::higher_visits::{HigherVisitPolicies, HigherVisitRules};
    let mut w = World::new();
    w.higher_visits = HigherVisitPolicies::new(
        [(
            u(COMM_A),
            HigherVisitRules {
                principal_owns: true,
                escalate_at_repeats: 2,
            },
        )]
        .into(),
    );
    let mut v = accepted(&w);
    let visit = |id: &str, at: &str, on: &str, place: &str| {
        rec(
            id,
            COMM_A,
            at,
            Body::HigherVisit {
                to: VisitLevel::Capital,
                on: day(on),
                place: place.into(),
            },
        )
    };
    let e = admit(
        &header(),
        &v,
        &visit("h0", "2026-03-05", "2026-03-04", " "),
        &w.ctx(),
        day("2026-03-05"),
    )
    .unwrap_err();
    assert_eq!(e.rule, "higher_visit.place");
    let e = admit(
        &header(),
        &v,
        &visit("h0", "2026-03-05", "2026-03-09", "国家信访局"),
        &w.ctx(),
        day("2026-03-05"),
    )
    .unwrap_err();
    assert_eq!(e.rule, "higher_visit.on");
    step(
        &w,
        &mut v,
        visit("h1", "2026-03-05", "2026-03-04", "国家信访局"),
    );
    let d = derive(&header(), &v, &w.ctx(), day("2026-03-05"));
    assert_eq!(d.higher_visits, 1);
    let need = d
        .principal_owner
        .clone()
        .expect("the principal leader must own it");
    assert_eq!(
        (need.unit, need.escalated, need.owned),
        (u(COMM_A), false, false)
    );
    // Closing before the principal leader owns it is refused under that rule.
    let close = rec(
        "c1",
        COMM_A,
        "2026-03-06",
        Body::Closure {
            facts_clear: true,
            handled_in_place: true,
            file_complete: true,
        },
    );
    let e = admit(&header(), &v, &close, &w.ctx(), day("2026-03-06")).unwrap_err();
    assert_eq!(e.rule, "higher_visit.principal_owns");
    let own = |id: &str, unit: &str, at: &str, principal: bool| {
        rec(
            id,
            unit,
            at,
            Body::Ownership {
                leader: "李书记".into(),
                duties: Duty::all(),
                principal,
                work_group: Vec::new(),
            },
        )
    };
    // A leader who is not the principal one does not meet it; the principal does.
    step(&w, &mut v, own("o1", COMM_A, "2026-03-06", false));
    let d = derive(&header(), &v, &w.ctx(), day("2026-03-06"));
    assert!(!d.principal_owner.unwrap().owned);
    step(&w, &mut v, own("o2", COMM_A, "2026-03-06", true));
    let d = derive(&header(), &v, &w.ctx(), day("2026-03-06"));
    assert!(d.principal_owner.unwrap().owned);
    // The second repeat (the third visit) escalates to the level above.
    step(
        &w,
        &mut v,
        visit("h2", "2026-03-10", "2026-03-09", "省信访局"),
    );
    let d = derive(&header(), &v, &w.ctx(), day("2026-03-10"));
    assert_eq!(
        d.principal_owner.unwrap().unit,
        u(COMM_A),
        "one repeat stays"
    );
    step(
        &w,
        &mut v,
        visit("h3", "2026-03-12", "2026-03-11", "国家信访局"),
    );
    let d = derive(&header(), &v, &w.ctx(), day("2026-03-12"));
    let need = d.principal_owner.unwrap();
    assert_eq!(
        (need.unit, need.escalated, need.owned),
        (u(TOWN_A), true, false)
    );
    let e = admit(&header(), &v, &close, &w.ctx(), day("2026-03-12")).unwrap_err();
    assert_eq!(e.rule, "higher_visit.principal_owns");
    assert!(e.message.contains(TOWN_A), "{e}");
    step(&w, &mut v, own("o3", TOWN_A, "2026-03-12", true));
    let d = derive(&header(), &v, &w.ctx(), day("2026-03-12"));
    assert!(d.principal_owner.unwrap().owned);
    // A unit whose rules say nothing requires nothing.
    w.higher_visits = HigherVisitPolicies::default();
    assert!(
        derive(&header(), &v, &w.ctx(), day("2026-03-12"))
            .principal_owner
            .is_none()
    );
}
