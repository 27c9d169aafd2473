//! A petition case's lifecycle across tiers: every step is a record written at one
//! node; every node that holds the case ends with the same history and derives the
//! same case from it.

use serde_json::json;
use xinfang_tests::*;

/// Steps people took (a node publishing its contact key on acceptance is not one).
fn taken(c: &xinfang_proto::v1::CaseView) -> usize {
    c.records
        .iter()
        .filter(|r| r.kind != "contact_key" && r.kind != "sealed_contact")
        .count()
}

/// Waits until `unit` holds the case with `records` steps, and returns it.
async fn at_with(
    fed: &Federation,
    unit: &str,
    case_no: &str,
    records: usize,
) -> anyhow::Result<xinfang_proto::v1::CaseView> {
    wait_for(
        &format!("{records} records at {unit}"),
        PATIENCE,
        || async {
            Ok(fed
                .case_at(unit, case_no)
                .await?
                .filter(|c| taken(c) >= records))
        },
    )
    .await
}

both_stores! {
async fn a_case_travels_four_tiers_and_every_tier_ends_with_the_same_history(backend: Backend) -> anyhow::Result<()>
{
    let fed = Federation::start(backend, haifeng()).await?;
    let no = fed
        .register(COMM_A, "张三", "村道塌陷无人修缮")
        .await?
        .case_no;
    let mut n = 0;
    // Each step is taken at a node once it has seen the step before.
    let steps: Vec<(&str, serde_json::Value)> = vec![
        (
            COMM_A,
            json!({"kind": "screening", "decision": {"decision": "accept"}}),
        ),
        (
            COMM_A,
            json!({"kind": "forward", "to": TOWN_A, "due": in_days(10)}),
        ),
        (
            TOWN_A,
            json!({"kind": "screening", "decision": {"decision": "accept"}}),
        ),
        // Sideways: town A to town B, through the county.
        (
            TOWN_A,
            json!({"kind": "forward", "to": TOWN_B, "due": in_days(12)}),
        ),
        (
            TOWN_B,
            json!({"kind": "screening", "decision": {"decision": "accept"}}),
        ),
        (TOWN_B, json!({"kind": "ownership", "leader": "陈镇长"})),
        // Down: town B assigns to its community.
        (
            TOWN_B,
            json!({"kind": "assign", "to": COMM_B, "due": in_days(14)}),
        ),
        (
            COMM_B,
            json!({"kind": "screening", "decision": {"decision": "accept"}}),
        ),
        (
            CITY,
            json!({"kind": "supervision", "method": "listed", "due": in_days(20), "demand": "市信访局挂牌督办"}),
        ),
        (COMM_B, json!({"kind": "progress", "text": "已组织施工"})),
        (
            COMM_B,
            json!({"kind": "reply", "opinion": "support", "text": "道路已修复"}),
        ),
        (
            COMM_B,
            json!({"kind": "rating", "acceptance": "satisfied", "handling": "satisfied"}),
        ),
        (
            COMM_B,
            json!({"kind": "leader_approval", "leader": "陈镇长", "opinion": "同意结案"}),
        ),
        (
            COMM_B,
            json!({"kind": "closure", "facts_clear": true, "handled_in_place": true, "file_complete": true}),
        ),
        (COMM_B, json!({"kind": "review_request", "stage": "review"})),
        // 复查 by the superior of the organ that issued the opinion (art. 35).
        (
            TOWN_B,
            json!({"kind": "review_decision", "stage": "review", "opinion": "support", "text": "维持原处理意见"}),
        ),
    ];
    for (unit, body) in steps {
        at_with(&fed, unit, &no, n).await?;
        let after = fed
            .act(unit, &no, body.clone())
            .await
            .map_err(|e| anyhow::anyhow!("{unit} {body}: {e}"))?;
        n += 1;
        assert_eq!(taken(&after), n, "{unit} {body}");
    }
    let everyone = [COMM_A, TOWN_A, COUNTY, CITY, TOWN_B, COMM_B];
    let mut views = Vec::new();
    for u in everyone {
        views.push((u, at_with(&fed, u, &no, n).await?));
    }
    let (_, first) = &views[0];
    assert_eq!(first.status, "reviewed");
    assert_eq!(first.handling_unit, COMM_B);
    let kinds: Vec<&str> = first.records.iter().map(|r| r.kind.as_str()).collect();
    assert_eq!(kinds.first(), Some(&"screening"));
    assert!(kinds.contains(&"supervision") && kinds.contains(&"closure"));
    for (u, v) in &views {
        let ids: Vec<&str> = v.records.iter().map(|r| r.id.as_str()).collect();
        let first_ids: Vec<&str> = first.records.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, first_ids, "history at {u}");
        assert_eq!(v.status, first.status, "status at {u}");
        assert_eq!(v.heads, first.heads, "heads at {u}");
    }
    fed.shutdown().await;
    Ok(())
}
}

both_stores! {
async fn illegal_steps_are_refused_with_the_rule_named(backend: Backend) -> anyhow::Result<()> {
    let fed = Federation::start(backend, haifeng()).await?;
    let no = fed.register(COMM_A, "李四", "噪音").await?.case_no;
    let refused = |r: anyhow::Result<xinfang_proto::v1::CaseView>| -> String {
        match r {
            Ok(_) => "accepted".into(),
            Err(e) => e.to_string(),
        }
    };
    let close = json!({"kind": "closure", "facts_clear": true, "handled_in_place": true, "file_complete": true});
    let e = refused(fed.act(COMM_A, &no, close).await);
    assert!(
        e.contains("closure.five_conditions") && e.contains("案卷不完整"),
        "{e}"
    );
    fed.act(
        COMM_A,
        &no,
        json!({"kind": "screening", "decision": {"decision": "accept"}}),
    )
    .await?;
    let e = refused(
        fed.act(
            COMM_A,
            &no,
            json!({"kind": "forward", "to": "441599", "due": in_days(5)}),
        )
        .await,
    );
    assert!(e.contains("unit.known"), "{e}");
    let e = refused(
        fed.act(
            COMM_A,
            &no,
            json!({"kind": "forward", "to": TOWN_A, "due": "2020-01-01"}),
        )
        .await,
    );
    assert!(e.contains("due.not_in_past"), "{e}");
    let e = refused(fed.act(COMM_A, &no, json!({"kind": "teleport"})).await);
    assert!(e.contains("record"), "{e}");
    fed.act(
        COMM_A,
        &no,
        json!({"kind": "reply", "opinion": "explain", "text": "已解释"}),
    )
    .await?;
    let e = refused(
        fed.act(
            COMM_A,
            &no,
            json!({"kind": "reply", "opinion": "explain", "text": "再答"}),
        )
        .await,
    );
    assert!(e.contains("reply.once"), "{e}");
    // A unit that does not hold the case cannot act on it.
    let e = refused(
        fed.act(TOWN_B, &no, json!({"kind": "progress", "text": "x"}))
            .await,
    );
    assert!(e.contains("case.visible"), "{e}");
    fed.shutdown().await;
    Ok(())
}
}

both_stores! {
async fn concurrent_steps_at_two_tiers_merge_to_the_same_case_everywhere(backend: Backend) -> anyhow::Result<()> {
    let mut fed = Federation::start(backend, haifeng()).await?;
    let no = fed.register(COMM_A, "王五", "拖欠工资").await?.case_no;
    fed.act(
        COMM_A,
        &no,
        json!({"kind": "screening", "decision": {"decision": "accept"}}),
    )
    .await?;
    at_with(&fed, COUNTY, &no, 1).await?;
    fed.stop_node(TOWN_A).await?;
    // Below: progress. Above: a supervision, and a lead decision from the county
    // while the city, unaware, would have none to make.
    fed.act(
        COMM_A,
        &no,
        json!({"kind": "progress", "text": "已约谈用人单位"}),
    )
    .await?;
    fed.act(COUNTY, &no, json!({"kind": "supervision", "method": "phone", "due": in_days(7), "demand": "一周内答复"})).await?;
    fed.start_node(TOWN_A).await?;
    let mut seen = Vec::new();
    for u in [COMM_A, TOWN_A, COUNTY, CITY] {
        let v = at_with(&fed, u, &no, 3).await?;
        seen.push((
            u,
            v.status.clone(),
            v.next_deadline.clone(),
            v.heads.clone(),
        ));
    }
    for s in &seen {
        assert_eq!(
            (&s.1, &s.2, &s.3),
            (&seen[0].1, &seen[0].2, &seen[0].3),
            "{} differs",
            s.0
        );
    }
    assert_eq!(seen[0].1, "handling");
    fed.shutdown().await;
    Ok(())
}
}

both_stores! {
async fn lead_decisions_from_two_levels_resolve_to_the_superiors_everywhere(backend: Backend) -> anyhow::Result<()>
{
    use xinfang_hub::Tier;
    const OTHER_COUNTY: &str = "441523";
    const OTHER_TOWN: &str = "441523100000";
    let units = vec![
        (CITY, "汕尾市", Tier::City, None),
        (COUNTY, "海丰县", Tier::County, Some(CITY)),
        (TOWN_A, "海城镇", Tier::Township, Some(COUNTY)),
        (COMM_A, "城东社区", Tier::Community, Some(TOWN_A)),
        (OTHER_COUNTY, "陆河县", Tier::County, Some(CITY)),
        (OTHER_TOWN, "河田镇", Tier::Township, Some(OTHER_COUNTY)),
    ];
    let fed = Federation::start(backend, units).await?;
    let no = fed.register(COMM_A, "周八", "跨县用水纠纷").await?.case_no;
    let accept = json!({"kind": "screening", "decision": {"decision": "accept"}});
    fed.act(COMM_A, &no, accept.clone()).await?;
    fed.act(
        COMM_A,
        &no,
        json!({"kind": "forward", "to": TOWN_A, "due": in_days(10)}),
    )
    .await?;
    at_with(&fed, COUNTY, &no, 2).await?;
    // The city must hold the case too, or its refusal would be "not found".
    at_with(&fed, CITY, &no, 2).await?;
    // Community and town are involved: their common superior, the county, decides.
    let e = fed
        .act(CITY, &no, json!({"kind": "lead_decision", "lead": TOWN_A}))
        .await;
    assert!(e.is_err_and(|e| e.to_string().contains("lead.common_superior")));
    fed.act(
        COUNTY,
        &no,
        json!({"kind": "lead_decision", "lead": TOWN_A}),
    )
    .await?;
    at_with(&fed, TOWN_A, &no, 3).await?;
    fed.act(TOWN_A, &no, accept.clone()).await?;
    // The matter reaches the other county: now only the city may decide.
    fed.act(
        TOWN_A,
        &no,
        json!({"kind": "forward", "to": OTHER_TOWN, "due": in_days(12)}),
    )
    .await?;
    at_with(&fed, CITY, &no, 5).await?;
    fed.act(
        CITY,
        &no,
        json!({"kind": "lead_decision", "lead": OTHER_TOWN}),
    )
    .await?;
    let mut leads = Vec::new();
    for u in [COMM_A, TOWN_A, COUNTY, CITY, OTHER_COUNTY, OTHER_TOWN] {
        let v = at_with(&fed, u, &no, 6).await?;
        leads.push((u, v.lead_unit, v.heads));
    }
    for (u, lead, heads) in &leads {
        assert_eq!(lead, OTHER_TOWN, "lead at {u}");
        assert_eq!(heads, &leads[0].2, "heads at {u}");
    }
    fed.shutdown().await;
    Ok(())
}
}
