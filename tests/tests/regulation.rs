//! The regulation's rules that reach across nodes: a major or urgent matter
//! flagged at registration alerts every superior at once (their status, the
//! case service's alerts), not only as a replicated record.

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
