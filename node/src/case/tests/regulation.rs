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
    step(&w, &mut v, request("rq", COMM_A, "2026-03-20", Stage::Review));
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
        assert!(e.message.contains(TOWN_A) && e.message.contains("art. 35"), "{e}");
    }
    step(&w, &mut v, decision("rd", TOWN_A, "2026-03-25", Stage::Review));
    // Re-review: the superior of the organ that reviewed (the town): the county.
    step(&w, &mut v, request("rr", COMM_A, "2026-04-01", Stage::ReReview));
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
    step(&w, &mut v, decision("rrd", COUNTY, "2026-04-02", Stage::ReReview));
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
    step(&w, &mut v, request("rq", COMM_A, "2026-03-20", Stage::Review));
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
    step(&w, &mut v, decision("rd", COUNTY, "2026-03-25", Stage::Review));
}
