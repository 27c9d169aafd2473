//! What every history keeps, whatever order its records arrive in.

use proptest::prelude::*;

use super::*;

/// A pool of records covering every kind, in a plausible story.
fn story() -> Vec<Record> {
    vec![
        rec(
            "s1",
            COMM_A,
            "2026-03-02",
            Body::Screening {
                decision: Screening::Accept,
            },
        ),
        rec(
            "f1",
            COMM_A,
            "2026-03-03",
            Body::Forward {
                to: u(TOWN_A),
                due: day("2026-03-20"),
            },
        ),
        rec(
            "s2",
            TOWN_A,
            "2026-03-04",
            Body::Screening {
                decision: Screening::Accept,
            },
        ),
        rec(
            "o1",
            TOWN_A,
            "2026-03-04",
            Body::Ownership {
                leader: "王镇长".into(),
                duties: Duty::all(),
                principal: false,
                work_group: Vec::new(),
            },
        ),
        rec(
            "p1",
            TOWN_A,
            "2026-03-05",
            Body::Progress {
                text: "走访".into(),
            },
        ),
        rec(
            "sv",
            COUNTY,
            "2026-03-05",
            Body::Supervision {
                method: Supervision::Letter,
                due: day("2026-03-15"),
                demand: "督办".into(),
            },
        ),
        rec(
            "l1",
            COUNTY,
            "2026-03-06",
            Body::LeadDecision { lead: u(TOWN_A) },
        ),
        rec(
            "x1",
            TOWN_A,
            "2026-03-06",
            Body::Extension {
                days: 10,
                reason: "鉴定".into(),
                approved_by: "王镇长".into(),
            },
        ),
        rec(
            "r1",
            TOWN_A,
            "2026-03-10",
            Body::Reply {
                opinion: Opinion::Support,
                text: "解决".into(),
            },
        ),
        rec(
            "e1",
            TOWN_A,
            "2026-03-11",
            Body::Rating {
                acceptance: Satisfaction::Satisfied,
                handling: Satisfaction::Basic,
            },
        ),
        rec(
            "a1",
            TOWN_A,
            "2026-03-12",
            Body::LeaderApproval {
                leader: "王镇长".into(),
                opinion: "同意".into(),
            },
        ),
        rec(
            "c1",
            TOWN_A,
            "2026-03-13",
            Body::Closure {
                facts_clear: true,
                handled_in_place: true,
                file_complete: true,
            },
        ),
        rec(
            "v1",
            TOWN_A,
            "2026-03-20",
            Body::ReturnVisit {
                text: "回访满意".into(),
            },
        ),
    ]
}

proptest! {
    /// The derived case is a function of the *set* of records: any arrival order,
    /// any duplication, gives the same result.
    #[test]
    fn derivation_ignores_arrival_order(
        subset in proptest::collection::vec(any::<bool>(), 13),
        order in Just(()).prop_perturb(|_, mut rng| {
            let mut idx: Vec<usize> = (0..13).collect();
            for i in (1..idx.len()).rev() {
                idx.swap(i, (rng.next_u32() as usize) % (i + 1));
            }
            idx
        }),
        dup in 0usize..13,
    ) {
        let w = World::new();
        let all = story();
        let chosen: Vec<Record> = all.iter().zip(&subset).filter(|(_, k)| **k).map(|(r, _)| r.clone()).collect();
        let mut shuffled: Vec<Record> = order.iter().filter_map(|&i| chosen.get(i % chosen.len().max(1)).cloned()).collect();
        shuffled.extend(chosen.iter().cloned());
        if let Some(d) = chosen.get(dup % chosen.len().max(1)) {
            shuffled.push(d.clone());
        }
        let today = day("2026-03-25");
        prop_assert_eq!(derive(&header(), &chosen, &w.ctx(), today), derive(&header(), &shuffled, &w.ctx(), today));
    }
}
