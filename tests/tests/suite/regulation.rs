//! The regulation's rules that reach across nodes: a major or urgent matter
//! flagged at registration alerts every superior at once (their status, the
//! case service's alerts), not only as a replicated record; a case taken to
//! higher authorities needs the principal leader the unit's rules name, and
//! superiors count such visits by unit; a skip-level petition in another
//! category is offered to the registrar as a candidate, linked once confirmed.

use serde_json::json;
use tonic::Code;
use xinfang_proto::v1 as pb;
use xinfang_tests::*;

/// The open major or urgent matters `unit`'s status shows.
async fn alerts_at(fed: &Federation, unit: &str) -> anyhow::Result<Vec<pb::MajorAlert>> {
    Ok(fed
        .client(unit)
        .await?
        .status(pb::StatusRequest {})
        .await?
        .into_inner()
        .major_alerts)
}

both_stores! {
async fn a_matter_flagged_urgent_at_registration_alerts_every_superior_at_once(backend: Backend)
-> anyhow::Result<()> {
    let fed = Federation::start(backend, haifeng()).await?;
    let petition = |reason: &str, urgent: bool| pb::RegisterCaseRequest {
        unit: COMM_A.into(),
        petitioner: "黄某等12人".into(),
        content: "工地欠薪，拟集体前往县政府".into(),
        major_reason: reason.into(),
        urgent,
        ..Default::default()
    };
    // Urgent needs its reason: refused naming the field, nothing written.
    let before = fed.list(COMM_A).await?.len();
    let err = fed
        .client(COMM_A)
        .await?
        .register_case(petition("  ", true))
        .await
        .expect_err("an urgent flag without a reason");
    assert_eq!(err.code(), Code::InvalidArgument, "{err}");
    assert!(err.message().contains("major_reason"), "{err}");
    assert_eq!(fed.list(COMM_A).await?.len(), before, "a half-written case");

    let reason = "涉及群体利益，可能引发聚集";
    let case = fed
        .client(COMM_A)
        .await?
        .register_case(petition(reason, true))
        .await?
        .into_inner();
    let no = case.case_no.clone();
    assert!(
        case.records.iter().any(|r| r.kind == "major"),
        "the flag is a record of the registration: {:?}",
        case.records
    );
    // Every superior's status shows it as soon as the case arrives there.
    for unit in [COMM_A, TOWN_A, COUNTY, CITY] {
        let a = wait_for(&format!("the alert at {unit}"), PATIENCE, || async {
            Ok(alerts_at(&fed, unit)
                .await?
                .into_iter()
                .find(|a| a.case_no == no))
        })
        .await?;
        assert!(a.urgent, "at {unit}");
        assert_eq!(a.reason, reason, "at {unit}");
        assert_eq!(a.label, "紧急信访事项", "at {unit}");
        assert_eq!((a.unit.as_str(), a.owner.as_str()), (COMM_A, ""), "at {unit}");
        assert!(!a.owner_due.is_empty(), "an ownership day is owed, at {unit}");
    }
    // The sibling town's subtree has no such matter.
    assert!(alerts_at(&fed, TOWN_B).await?.is_empty());
    // A leader owns it: the county's alert says who, and no day is owed.
    fed.act(COMM_A, &no, json!({"kind": "screening", "decision": {"decision": "accept"}}))
        .await?;
    fed.act(COMM_A, &no, json!({"kind": "ownership", "leader": "林书记"}))
        .await?;
    let owned = wait_for("the owner in the county's alert", PATIENCE, || async {
        Ok(alerts_at(&fed, COUNTY)
            .await?
            .into_iter()
            .find(|a| a.case_no == no && a.owner == "林书记"))
    })
    .await?;
    assert_eq!((owned.owner_due.as_str(), owned.overdue), ("", false));
    fed.shutdown().await;
    Ok(())
}
}

both_stores! {
async fn a_case_taken_to_higher_authorities_needs_the_principal_leader_and_superiors_count_them(backend: Backend)
-> anyhow::Result<()> {
    let clock = TestClock::at("2026-03-05T10:00:00+08:00")?;
    // The towns' shipped rule sets carry seed 001's practice for such visits.
    let rules = std::collections::BTreeMap::from([(TOWN_A, "haifeng-big-town")]);
    let fed = Federation::start_at(backend, haifeng(), clock.clock(), rules).await?;
    let no = fed.register(TOWN_A, "郑某", "征地补偿争议，已赴京").await?.case_no;
    fed.act(TOWN_A, &no, json!({"kind": "screening", "decision": {"decision": "accept"}}))
        .await?;
    let visit = |on: &str| json!({"kind": "higher_visit", "to": "capital", "on": on, "place": "国家信访局来访接待司"});
    let v = fed.act(TOWN_A, &no, visit("2026-03-04")).await?;
    assert_eq!(v.higher_visits, 1);
    assert_eq!((v.principal_owner_unit.as_str(), v.principal_owned), (TOWN_A, false));
    // Closing before the town's principal leader owns it: refused, the rule named.
    let err = fed
        .act(TOWN_A, &no, json!({"kind": "closure", "facts_clear": true, "handled_in_place": true, "file_complete": true}))
        .await
        .expect_err("closed without the principal leader");
    assert!(err.to_string().contains("higher_visit.principal_owns"), "{err}");
    // The principal leader is the roster's: a deputy named as principal is refused.
    for (name, position, role) in [("陈书记", "镇委书记", "principal"), ("黄副镇长", "副镇长", "member")] {
        fed.schedules(TOWN_A)
            .await?
            .put_leader(pb::PutLeaderRequest {
                unit: TOWN_A.into(),
                leader: Some(pb::Leader {
                    name: name.into(),
                    position: position.into(),
                    role: role.into(),
                    active: true,
                    ..Default::default()
                }),
            })
            .await?;
    }
    let err = fed
        .act(TOWN_A, &no, json!({"kind": "ownership", "leader": "黄副镇长", "principal": true}))
        .await
        .expect_err("not the principal leader");
    assert!(
        err.to_string().contains("ownership.principal_on_roster") && err.to_string().contains("陈书记"),
        "{err}"
    );
    let v = fed
        .act(TOWN_A, &no, json!({"kind": "ownership", "leader": "陈书记", "principal": true}))
        .await?;
    assert!(v.principal_owned);
    // Two repeats: the county's principal leader must own it now.
    fed.act(TOWN_A, &no, visit("2026-03-04")).await?;
    let v = fed.act(TOWN_A, &no, visit("2026-03-05")).await?;
    assert_eq!((v.principal_owner_unit.as_str(), v.principal_owned), (COUNTY, false));
    // A visit from the other town, whose rules require nothing.
    let other = fed.register(TOWN_B, "钱某", "拖欠工资").await?.case_no;
    fed.act(TOWN_B, &other, json!({"kind": "screening", "decision": {"decision": "accept"}}))
        .await?;
    let v = fed
        .act(TOWN_B, &other, json!({"kind": "higher_visit", "to": "province", "on": "2026-03-05", "place": "广东省信访局"}))
        .await?;
    assert_eq!((v.higher_visits, v.principal_owner_unit.as_str()), (1, ""));
    // The county counts them by town.
    let report = wait_for("both towns in the county's count", PATIENCE, || async {
        let r = xinfang_proto::v1::reports_client::ReportsClient::new(fed.channel(COUNTY).await?)
            .higher_visits(pb::ReportRequest {
                unit: COUNTY.into(),
                month: "2026-03".into(),
                ..Default::default()
            })
            .await?
            .into_inner();
        let total = r.totals.as_ref().map(|t| t.cells[2].int).unwrap_or(0);
        Ok((total == 4).then_some(r))
    })
    .await?;
    let row = |unit: &str| {
        report
            .rows
            .iter()
            .find(|r| r.key == unit)
            .map(|r| (r.cells[1].int, r.cells[2].int))
    };
    assert_eq!(row(TOWN_A), Some((1, 3)));
    assert_eq!(row(TOWN_B), Some((1, 1)));
    assert_eq!(row(COUNTY), Some((0, 0)));
    fed.shutdown().await;
    Ok(())
}
}

both_stores! {
async fn a_skip_level_petition_in_another_category_is_offered_to_the_registrar_and_linked_once_confirmed(backend: Backend)
-> anyhow::Result<()> {
    let fed = Federation::start(backend, haifeng()).await?;
    let id = id_number("44152119800101123");
    let petition = |unit: &str, category: &str| pb::RegisterCaseRequest {
        unit: unit.into(),
        petitioner: "孙七".into(),
        content: "村委会拖欠征地款，影响生活".into(),
        id_number: id.clone(),
        category: category.into(),
        responsible_unit: COMM_A.into(),
        ..Default::default()
    };
    let below = fed
        .client(COMM_A)
        .await?
        .register_case(petition(COMM_A, "land"))
        .await?
        .into_inner()
        .case_no;
    fed.act(COMM_A, &below, json!({"kind": "screening", "decision": {"decision": "accept"}}))
        .await?;
    wait_for("the case below at the town", PATIENCE, || async {
        Ok(fed
            .case_at(TOWN_A, &below)
            .await?
            .filter(|c| c.records.iter().any(|r| r.kind == "screening")))
    })
    .await?;
    // At the town, the same petitioner and responsible unit in another category:
    // a candidate, not a link.
    let up = fed
        .client(TOWN_A)
        .await?
        .register_case(petition(TOWN_A, "labor"))
        .await?
        .into_inner();
    assert_eq!(up.skip_level_candidates, vec![below.clone()]);
    assert_eq!(up.skip_level_of, "", "linked silently");
    // Left unconfirmed, a registration is accepted as usual.
    let unconfirmed = fed
        .client(TOWN_A)
        .await?
        .register_case(petition(TOWN_A, "labor"))
        .await?
        .into_inner();
    fed.act(TOWN_A, &unconfirmed.case_no, json!({"kind": "screening", "decision": {"decision": "accept"}}))
        .await?;
    // A link to a case that was not offered (the town's own case of the same
    // petitioner, not handled below) is refused with the rule named.
    let err = fed
        .act(TOWN_A, &up.case_no, json!({"kind": "skip_level_link", "of": unconfirmed.case_no}))
        .await
        .expect_err("linked to a case that is not a candidate");
    assert!(err.to_string().contains("skip_level.candidate"), "{err}");
    assert_eq!(fed.case_at(TOWN_A, &up.case_no).await?.map(|c| c.skip_level_of), Some(String::new()));
    // Confirmed, it is linked and not accepted above the unit handling it.
    let linked = fed
        .act(TOWN_A, &up.case_no, json!({"kind": "skip_level_link", "of": below}))
        .await?;
    assert_eq!(linked.skip_level_of, below);
    let err = fed
        .act(TOWN_A, &up.case_no, json!({"kind": "screening", "decision": {"decision": "accept"}}))
        .await
        .expect_err("accepted above the unit still handling it");
    assert!(err.to_string().contains("skip_level.not_accepted_above"), "{err}");
    let err = fed
        .act(TOWN_A, &up.case_no, json!({"kind": "skip_level_link", "of": below}))
        .await
        .expect_err("linked twice");
    assert!(err.to_string().contains("skip_level.once"), "{err}");
    // The town's skip-level list shows it.
    let listed = fed
        .client(TOWN_A)
        .await?
        .list_cases(pb::ListCasesRequest {
            skip_level: true,
            ..Default::default()
        })
        .await?
        .into_inner()
        .cases;
    assert!(listed.iter().any(|c| c.case_no == up.case_no && c.skip_level_of == below));
    fed.shutdown().await;
    Ok(())
}
}
