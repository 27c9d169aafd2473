//! Accountability on record (追责) across real nodes: a county with two towns; the
//! first town files May's schedule and records two receptions its deputy
//! secretary did not hold (缺岗). The county's suggestions name the leader on those
//! two attendance records; one dismissed with a reason is not suggested again; a
//! case recorded at the county citing the two empty posts links to both records,
//! reaches the town and not its sibling, and is counted by unit and situation. A
//! case without evidence, with an unknown situation, about a unit not below the
//! recording office or citing a sibling's case is refused by field and rule,
//! nothing written. A joint supervision (联合督查) planned at the county for both
//! towns: a finding at one town puts its demand on the town's case as a
//! supervision record, reaches that town and not the other; a finding for a unit
//! outside the plan, or with a demand the case rules refuse, writes nothing.

use std::collections::BTreeMap;

use tonic::Code;
use xinfang_hub::Tier;
use xinfang_proto::v1 as pb;
use xinfang_proto::v1::accountability_client::AccountabilityClient;
use xinfang_proto::v1::joint_supervision_client::JointSupervisionClient;
use xinfang_tests::*;

fn county_two_towns() -> Vec<(&'static str, &'static str, Tier, Option<&'static str>)> {
    vec![
        (COUNTY, "海丰县", Tier::County, None),
        (TOWN_A, "海城镇", Tier::Township, Some(COUNTY)),
        (TOWN_B, "梅陇镇", Tier::Township, Some(COUNTY)),
    ]
}

fn rules() -> BTreeMap<&'static str, &'static str> {
    BTreeMap::from([
        (COUNTY, "haifeng-county"),
        (TOWN_A, "haifeng-big-town"),
        (TOWN_B, "haifeng-big-town"),
    ])
}

async fn api(fed: &Federation, unit: &str) -> anyhow::Result<AccountabilityClient<Api>> {
    Ok(AccountabilityClient::new(fed.channel(unit).await?))
}

async fn held(fed: &Federation, unit: &str) -> anyhow::Result<Vec<String>> {
    Ok(fed
        .hub(unit)
        .ids_with_prefix("accountability/", 100)
        .await?)
}

fn working_days(m: &str) -> Vec<String> {
    let cal = xinfang_node::rules::calendar::HolidayCalendar::official().expect("calendar");
    let m: xinfang_node::schedule::model::Month = m.parse().expect("month");
    m.days()
        .filter(|d| cal.is_working_day(*d))
        .map(|d| d.to_string())
        .collect()
}

/// The town's May schedule, both leaders every working day, reviewed and approved
/// (filed with the county).
async fn file_may(fed: &Federation, unit: &str) -> anyhow::Result<()> {
    let mut c = fed.schedules(unit).await?;
    for (name, role) in [("林书记", "principal"), ("陈副书记", "in_charge")] {
        c.put_leader(pb::PutLeaderRequest {
            unit: unit.into(),
            leader: Some(pb::Leader {
                name: name.into(),
                position: format!("{name}的职务"),
                role: role.into(),
                active: true,
                ..Default::default()
            }),
        })
        .await?;
    }
    for d in working_days("2026-05") {
        for w in ["林书记", "陈副书记"] {
            c.add_entry(pb::AddEntryRequest {
                unit: unit.into(),
                month: "2026-05".into(),
                entry: Some(pb::ScheduleEntry {
                    date: d.clone(),
                    leader: w.into(),
                    place: "镇信访办接访室".into(),
                    ..Default::default()
                }),
            })
            .await?;
        }
    }
    let decide = || pb::DecisionRequest {
        unit: unit.into(),
        month: "2026-05".into(),
        ..Default::default()
    };
    c.review(decide()).await?;
    c.approve(decide()).await?;
    Ok(())
}

/// The ids of the attendance records of `leader` in the town's May schedule as
/// the county holds it.
async fn attendance_ids(fed: &Federation, leader: &str) -> anyhow::Result<Vec<String>> {
    let id = format!("schedule/{TOWN_A}/2026-05");
    let Some(h) = fed.hub(COUNTY).get(&id).await? else {
        return Ok(Vec::new());
    };
    let f = xinfang_node::schedule::docs::read_filed(&h.loaded.doc)
        .ok_or_else(|| anyhow::anyhow!("{id} does not read"))?;
    Ok(f.records
        .iter()
        .filter(|r| {
            matches!(&r.body, xinfang_node::schedule::docs::RecordBody::Attendance { leader: l, held: false, .. } if l == leader)
        })
        .map(|r| r.id.clone())
        .collect())
}

fn record(unit: &str, situation: &str, evidence: &[&str]) -> pb::RecordAccountabilityRequest {
    pb::RecordAccountabilityRequest {
        unit: unit.into(),
        people: vec!["leader:陈副书记".into()],
        situation: situation.into(),
        form: "admonition".into(),
        evidence: evidence.iter().map(|e| (*e).to_owned()).collect(),
        text: "海城镇陈副书记5月11日、12日两次接访缺岗，未提前调整，予以诫勉。".into(),
        date: String::new(),
    }
}

both_stores! {
async fn a_leaders_two_empty_posts_on_record_reach_the_town_not_its_sibling(backend: Backend) -> anyhow::Result<()> {
    let clock = TestClock::at("2026-04-01T09:00:00+08:00")?;
    let fed = Federation::start_at(backend, county_two_towns(), clock.clock(), rules()).await?;
    file_may(&fed, TOWN_A).await?;
    clock.set("2026-05-13T09:00:00+08:00")?;
    let mut town = fed.schedules(TOWN_A).await?;
    for d in ["2026-05-11", "2026-05-12"] {
        town.record_attendance(pb::AttendanceRequest {
            unit: TOWN_A.into(),
            date: d.into(),
            leader: "陈副书记".into(),
            held: false,
            reason: "未到岗".into(),
            ..Default::default()
        })
        .await?;
    }
    let ids = wait_for("both attendance records at the county", PATIENCE, || async {
        let ids = attendance_ids(&fed, "陈副书记").await?;
        Ok((ids.len() == 2).then_some(ids))
    })
    .await?;
    let mut county = api(&fed, COUNTY).await?;

    // Bad input: refused by field and rule, nothing written.
    let e = county
        .record(record(TOWN_A, "duty-unmet", &[]))
        .await
        .expect_err("no evidence");
    assert_eq!(e.code(), Code::FailedPrecondition, "{e:?}");
    assert!(e.message().contains("accountability.evidence_required"), "{}", e.message());
    assert!(e.message().contains("evidence"), "{}", e.message());
    let two_days = [
        "attendance:441521115000/2026-05-11/陈副书记",
        "attendance:441521115000/2026-05-12/陈副书记",
    ];
    let e = county
        .record(record(TOWN_A, "late-for-lunch", &two_days))
        .await
        .expect_err("no such situation");
    assert!(e.message().contains("accountability.known_situation"), "{}", e.message());
    assert!(e.message().contains("situation"), "{}", e.message());
    let e = api(&fed, TOWN_A)
        .await?
        .record(record(TOWN_B, "duty-unmet", &two_days))
        .await
        .expect_err("a sibling is not below the town");
    assert!(e.message().contains("accountability.below_issuer"), "{}", e.message());
    assert!(e.message().contains("unit"), "{}", e.message());
    let e = county
        .record(record(TOWN_A, "duty-unmet", &["attendance:441521115000/2026-05-13/陈副书记"]))
        .await
        .expect_err("no record on the 13th");
    assert_eq!(e.code(), Code::InvalidArgument, "{e:?}");
    assert!(e.message().contains("evidence"), "{}", e.message());
    // A case of the sibling town is no evidence against this town.
    let sibling_case = fed.register(TOWN_B, "王五", "邻镇的事项").await?;
    wait_for("the sibling's case at the county", PATIENCE, || async {
        fed.case_at(COUNTY, &sibling_case.case_no).await
    })
    .await?;
    let cite = format!("case:{}", sibling_case.case_no);
    let e = county
        .record(record(TOWN_A, "duty-unmet", &[two_days[0], &cite]))
        .await
        .expect_err("the sibling's case");
    assert!(e.message().contains("accountability.evidence_of_unit"), "{}", e.message());
    for unit in [COUNTY, TOWN_A] {
        assert!(held(&fed, unit).await?.is_empty(), "a refused case wrote something at {unit}");
    }

    // Suggested from the evidence: the leader, on exactly the two records.
    let list = county.suggest(pb::SuggestAccountabilityRequest {}).await?.into_inner();
    let missed: Vec<_> = list
        .suggestions
        .iter()
        .filter(|s| s.people == ["leader:陈副书记"])
        .collect();
    assert_eq!(missed.len(), 1, "{list:?}");
    let s = missed[0].clone();
    assert_eq!(s.unit, TOWN_A);
    assert_eq!(s.situation, "duty-unmet");
    let mut links: Vec<_> = s.evidence.iter().map(|e| e.link.clone()).collect();
    links.sort();
    let mut want: Vec<_> = ids
        .iter()
        .map(|id| format!("attendance:{TOWN_A}/2026-05/{id}"))
        .collect();
    want.sort();
    assert_eq!(links, want);

    // Dismissed with a reason (none: refused), then not suggested again.
    let e = county
        .dismiss(pb::DismissSuggestionRequest { key: s.key.clone(), reason: " ".into() })
        .await
        .expect_err("no reason");
    assert!(e.message().contains("reason"), "{}", e.message());
    let d = county
        .dismiss(pb::DismissSuggestionRequest {
            key: s.key.clone(),
            reason: "已另行约谈，情况属实但已整改".into(),
        })
        .await?
        .into_inner();
    assert_eq!(d.unit, TOWN_A);
    let again = county.suggest(pb::SuggestAccountabilityRequest {}).await?.into_inner();
    assert!(
        !again.suggestions.iter().any(|x| x.key == s.key || x.people == ["leader:陈副书记"]),
        "{again:?}"
    );
    let e = county
        .confirm(pb::ConfirmSuggestionRequest { key: s.key.clone(), form: "notice".into(), ..Default::default() })
        .await
        .expect_err("a dismissed suggestion is gone");
    assert!(e.message().contains("key"), "{}", e.message());

    // On record at the county, citing the two empty posts: linked to both records
    // (one named by its day and leader, one by its id).
    let by_id = format!("attendance:{TOWN_A}/2026-05/{}", ids[1]);
    let case = county
        .record(record(TOWN_A, "duty-unmet", &[two_days[0], &by_id]))
        .await?
        .into_inner();
    let mut cited: Vec<_> = case.evidence.iter().map(|e| e.link.clone()).collect();
    cited.sort();
    assert_eq!(cited, want);
    assert_eq!(case.form_label, "诫勉");
    assert!(case.situation_label.starts_with("（二）"), "{}", case.situation_label);

    // The town sees it; the sibling town holds nothing of it.
    let at_town = wait_for("the case at the town", PATIENCE, || async {
        let l = api(&fed, TOWN_A)
            .await?
            .list(pb::ListAccountabilityRequest::default())
            .await?
            .into_inner();
        Ok((!l.cases.is_empty()).then_some(l))
    })
    .await?;
    assert_eq!(at_town.cases[0].id, case.id);
    assert_eq!(at_town.cases[0].evidence.len(), 2);

    // A filing suggestion for the sibling confirmed with the person named: a case
    // about the sibling, which the first town never holds.
    let filing = again
        .suggestions
        .iter()
        .find(|x| x.unit == TOWN_B && x.evidence.iter().any(|e| e.kind == "filing"))
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("no filing suggestion for the sibling: {again:?}"))?;
    let confirmed = county
        .confirm(pb::ConfirmSuggestionRequest {
            key: filing.key.clone(),
            form: "notice".into(),
            people: vec!["staff:liu".into()],
            ..Default::default()
        })
        .await?
        .into_inner();
    assert_eq!(confirmed.suggestion, filing.key);
    let b_holds = wait_for("the sibling's own case", PATIENCE, || async {
        let h = held(&fed, TOWN_B).await?;
        Ok((!h.is_empty()).then_some(h))
    })
    .await?;
    assert_eq!(b_holds, std::slice::from_ref(&confirmed.id), "the sibling holds the first town's case");
    assert!(fed.hub(TOWN_A).get(&confirmed.id).await?.is_none());
    let after = county.suggest(pb::SuggestAccountabilityRequest {}).await?.into_inner();
    assert!(!after.suggestions.iter().any(|x| x.key == filing.key), "confirmed, yet suggested");

    // Counted by unit and situation at the county.
    let r = county
        .report(pb::ListAccountabilityRequest::default())
        .await?
        .into_inner();
    assert_eq!(r.total_cases, 2, "{r:?}");
    let mut rows: Vec<_> = r.rows.iter().map(|x| (x.unit.as_str(), x.situation.as_str(), x.cases)).collect();
    rows.sort();
    assert_eq!(rows, [(TOWN_B, "duty-unmet", 1), (TOWN_A, "duty-unmet", 1)]);
    fed.shutdown().await;
    Ok(())
}
}

both_stores! {
async fn a_joint_supervision_finding_puts_its_demand_on_the_case(backend: Backend) -> anyhow::Result<()> {
    let fed = Federation::start(backend, county_two_towns()).await?;
    let case = fed.register(TOWN_A, "张三", "宅基地纠纷多年未解决").await?;
    let untouched = wait_for("the case at the county", PATIENCE, || async {
        fed.case_at(COUNTY, &case.case_no).await
    })
    .await?
    .records
    .len();
    let mut county = JointSupervisionClient::new(fed.channel(COUNTY).await?);

    // A plan naming a unit not below the county, or none: refused, nothing written.
    let plan_req = |units: &[&str]| pb::PlanJointSupervisionRequest {
        title: "2026年度信访工作联合督查".into(),
        units: units.iter().map(|u| (*u).to_owned()).collect(),
        matters: vec!["重要信访事项和信访突出问题".into(), "信访积案化解".into()],
        from: in_days(1),
        to: in_days(10),
    };
    let e = county.plan(plan_req(&[COUNTY])).await.expect_err("the county itself");
    assert!(e.message().contains("joint.below_planner"), "{}", e.message());
    let mut backwards = plan_req(&[TOWN_A]);
    backwards.to = in_days(-1);
    let e = county.plan(backwards).await.expect_err("ends before it starts");
    assert!(e.message().contains("`to`"), "{}", e.message());
    assert!(fed.hub(COUNTY).ids_with_prefix("joint/", 10).await?.is_empty());

    let plan = county.plan(plan_req(&[TOWN_A, TOWN_B])).await?.into_inner();
    assert_eq!(plan.unit_names, ["海城镇", "梅陇镇"]);
    // Both towns hold the plan.
    for t in [TOWN_A, TOWN_B] {
        wait_for(&format!("the plan at {t}"), PATIENCE, || async {
            Ok(fed.hub(t).get(&plan.id).await?)
        })
        .await?;
    }

    let demand = |case_no: &str| pb::JointDemand {
        case_no: case_no.into(),
        due: in_days(15),
        demand: "十五日内化解并书面报告".into(),
        method: "meeting".into(),
    };
    // A finding for a unit the plan does not name: refused, nothing written.
    let e = county
        .finding(pb::JointFindingRequest {
            plan: plan.id.clone(),
            unit: COUNTY.into(),
            text: "督查发现".into(),
            ..Default::default()
        })
        .await
        .expect_err("not in the plan");
    assert!(e.message().contains("joint.unit_in_plan"), "{}", e.message());
    // A demand on a case the county does not hold: refused before anything is written.
    let e = county
        .finding(pb::JointFindingRequest {
            plan: plan.id.clone(),
            unit: TOWN_A.into(),
            text: "督查发现".into(),
            demands: vec![demand(&case.case_no), demand("441521115000-2026-999999")],
            ..Default::default()
        })
        .await
        .expect_err("no such case");
    assert!(e.message().contains("demands"), "{}", e.message());
    // A demand the case rules refuse (due yesterday) after one they admit: the
    // whole finding is refused before anything is written.
    let second = fed.register(TOWN_A, "李四", "征地补偿").await?;
    wait_for("the second case at the county", PATIENCE, || async {
        fed.case_at(COUNTY, &second.case_no).await
    })
    .await?;
    let mut late = demand(&second.case_no);
    late.due = in_days(-1);
    let e = county
        .finding(pb::JointFindingRequest {
            plan: plan.id.clone(),
            unit: TOWN_A.into(),
            text: "督查发现".into(),
            demands: vec![demand(&case.case_no), late],
            ..Default::default()
        })
        .await
        .expect_err("a due date past");
    assert_eq!(e.code(), Code::FailedPrecondition, "{e:?}");
    assert!(fed.hub(COUNTY).ids_with_prefix("finding/", 10).await?.is_empty());

    let f = county
        .finding(pb::JointFindingRequest {
            plan: plan.id.clone(),
            unit: TOWN_A.into(),
            text: "海城镇宅基地纠纷一案久拖未决，群众反映强烈。".into(),
            demands: vec![demand(&case.case_no)],
            ..Default::default()
        })
        .await?
        .into_inner();
    assert_eq!(f.demands.len(), 1);

    // The demand is a supervision record on the case, seen at the town.
    let at_town = wait_for("the supervision at the town", PATIENCE, || async {
        Ok(fed.case_at(TOWN_A, &case.case_no).await?.filter(|c| {
            c.records
                .iter()
                .any(|r| r.kind == "supervision" && r.json.contains("十五日内化解"))
        }))
    })
    .await?;
    assert!(at_town.records.iter().any(|r| r.kind == "supervision" && r.unit == COUNTY));
    let at_county = fed.case_at(COUNTY, &case.case_no).await?.map(|c| c.records.len());
    assert_eq!(
        at_county,
        Some(untouched + 1),
        "exactly one record added: the refused findings wrote none"
    );


    // The finding reaches its town, not the other.
    wait_for("the finding at the town", PATIENCE, || async {
        Ok(fed.hub(TOWN_A).get(&f.id).await?)
    })
    .await?;
    let listed = JointSupervisionClient::new(fed.channel(TOWN_A).await?)
        .list(pb::ListJointSupervisionRequest {})
        .await?
        .into_inner();
    assert_eq!(listed.plans.len(), 1);
    assert_eq!(listed.plans[0].findings.len(), 1);
    assert!(fed.hub(TOWN_B).get(&f.id).await?.is_none(), "the other town holds the finding");
    let at_b = JointSupervisionClient::new(fed.channel(TOWN_B).await?)
        .list(pb::ListJointSupervisionRequest {})
        .await?
        .into_inner();
    assert!(at_b.plans[0].findings.is_empty());
    fed.shutdown().await;
    Ok(())
}
}
