//! A case received on a leader's reception day, as seed 004 describes it, across
//! real nodes: registered on Monday at a town, booked by the county for its
//! leader in charge's Friday reception (the four cards printed), received there;
//! the leader's decision assigns it to the county housing bureau with a due date;
//! the eight-copy supervision form goes to the county's officials and the bureau,
//! each acknowledges; the bureau closes the case and the form is returned — all
//! of it visible at the county. Bad bookings and forms are refused by name,
//! nothing written.

use std::collections::BTreeMap;

use serde_json::json;
use tonic::Code;
use xinfang_hub::Tier;
use xinfang_proto::v1 as pb;
use xinfang_proto::v1::receptions_client::ReceptionsClient;
use xinfang_tests::pdf::{text_of, tools_or_skip};
use xinfang_tests::*;

/// The county (root), one town, the county's housing bureau.
fn county_town_bureau() -> Vec<(&'static str, &'static str, Tier, Option<&'static str>)> {
    let mut units = county_and_town();
    units.push((
        HOUSING,
        "海丰县住房和城乡建设局",
        Tier::County,
        Some(COUNTY),
    ));
    units
}

async fn receptions(fed: &Federation, unit: &str) -> anyhow::Result<ReceptionsClient<Api>> {
    Ok(ReceptionsClient::new(fed.channel(unit).await?).max_decoding_message_size(16 << 20))
}

/// The county's leaders: the six posts the form goes to by default, the deputy
/// head being the leader in charge who receives on Fridays.
const LEADERS: [(&str, &str, &str); 7] = [
    ("张书记", "县委书记", "principal"),
    ("陈副书记", "县委副书记", "member"),
    ("王县长", "县委副书记、县长", "principal"),
    ("李副县长", "副县长", "in_charge"),
    ("赵书记", "县委常委、纪委书记", "member"),
    ("钱部长", "县委常委、组织部部长", "member"),
    ("孙主席", "县人大常委会主任", "member"),
];

async fn file_march_schedule(fed: &Federation) -> anyhow::Result<()> {
    // Fridays of March 2026 with the leader in charge (seed 004: 每周五由领导接待).
    let place = "县信访局接待大厅";
    let days: Vec<(&str, &str, &str)> = ["2026-03-06", "2026-03-13", "2026-03-20", "2026-03-27"]
        .into_iter()
        .map(|d| (d, "李副县长", place))
        .collect();
    fed.file_schedule(COUNTY, "2026-03", &LEADERS, &days, ("李副县长", "张书记"))
        .await
}

async fn listed(fed: &Federation, unit: &str, no: &str) -> anyhow::Result<pb::ReceptionList> {
    Ok(receptions(fed, unit)
        .await?
        .list_receptions(pb::CaseReceptionsRequest { case_no: no.into() })
        .await?
        .into_inner())
}

async fn records(fed: &Federation, unit: &str, no: &str) -> anyhow::Result<usize> {
    Ok(fed
        .case_at(unit, no)
        .await?
        .map(|c| c.records.len())
        .unwrap_or(0))
}

fn refused(s: &tonic::Status, code: Code, words: &[&str]) {
    assert_eq!(s.code(), code, "{s:?}");
    for w in words {
        assert!(s.message().contains(w), "{w:?} not in {:?}", s.message());
    }
}

both_stores! {
async fn a_case_booked_for_fridays_reception_is_decided_assigned_supervised_and_its_form_returned(backend: Backend) -> anyhow::Result<()>
{
    let clock = TestClock::at("2026-02-24T10:00:00+08:00")?;
    let fed = Federation::start_at(backend, county_town_bureau(), clock.clock(), BTreeMap::new()).await?;
    file_march_schedule(&fed).await?;

    // Monday: the town registers and accepts.
    clock.set("2026-03-09T09:00:00+08:00")?;
    let no = fed
        .register(TOWN_A, "刘大姐", "新建商品房墙体开裂，开发商拒不维修")
        .await?
        .case_no;
    fed.act(TOWN_A, &no, json!({"kind": "screening", "decision": {"decision": "accept"}}))
        .await?;
    wait_for("the case at the county", PATIENCE, || async {
        Ok(fed.case_at(COUNTY, &no).await?.filter(|c| c.status == "accepted"))
    })
    .await?;

    // Sorting Monday to Thursday: the county books it for Friday's reception.
    let mut rc = receptions(&fed, COUNTY).await?;
    let before = records(&fed, COUNTY, &no).await?;
    // Not a day the leader receives (Thursday): refused by name, nothing written.
    let e = rc
        .book(pb::BookRequest {
            case_no: no.clone(),
            date: "2026-03-12".into(),
            leader: "李副县长".into(),
            responsible: HOUSING.into(),
            ..Default::default()
        })
        .await
        .expect_err("Thursday is no reception day of his");
    refused(&e, Code::FailedPrecondition, &["reception.scheduled", "date", "2026-03-12"]);
    let e = rc
        .book(pb::BookRequest {
            case_no: no.clone(),
            date: "2026-03-13".into(),
            leader: "李副县长".into(),
            responsible: "not-a-unit".into(),
            ..Default::default()
        })
        .await
        .expect_err("no such unit");
    refused(&e, Code::InvalidArgument, &["responsible"]);
    assert_eq!(records(&fed, COUNTY, &no).await?, before, "a refused booking wrote nothing");
    rc.book(pb::BookRequest {
        case_no: no.clone(),
        date: "2026-03-13".into(),
        leader: "李副县长".into(),
        responsible: HOUSING.into(),
        place: String::new(),
        invitation: "请携带购房合同及墙体开裂照片".into(),
    })
    .await?;
    let list = listed(&fed, COUNTY, &no).await?;
    let [booking] = list.receptions.as_slice() else {
        anyhow::bail!("one booking expected: {list:?}");
    };
    assert_eq!(booking.place, "县信访局接待大厅", "the schedule's place");
    assert_eq!(booking.position, "副县长");
    let booking_id = booking.booking.clone();

    // The four cards, printed from the booking.
    let cards = rc
        .get_cards(pb::ReceptionPaperRequest {
            case_no: no.clone(),
            booking: booking_id.clone(),
        })
        .await?
        .into_inner();
    assert_eq!(
        cards.titles,
        ["领导接待日通知卡", "接待日通知卡", "信访领导接待日呈报卡", "领导接待日卡片存根"]
    );
    if tools_or_skip("reception_cards_read_back") {
        let text = text_of(&cards.pdf, "reception-cards")?;
        for want in ["刘大姐", "海丰县住房和城乡建设局", "副县长李副县长", "2026年3月13日", "星期五", &no] {
            assert!(text.contains(want), "{want:?} not on the cards: {text}");
        }
    }

    // Before Friday, no outcome.
    let outcome = pb::OutcomeRequest {
        case_no: no.clone(),
        booking: booking_id.clone(),
        held: true,
        decision: "责成县住建局会同开发商现场核查墙体开裂原因，依法督促维修".into(),
        tasks: vec![pb::ReceptionTask {
            unit: HOUSING.into(),
            duty: "现场核查并出具核查意见".into(),
            due: "2026-03-20".into(),
            ..Default::default()
        }],
        assign_to: HOUSING.into(),
        assign_due: "2026-03-27".into(),
    };
    let e = rc.record_outcome(outcome.clone()).await.expect_err("not yet Friday");
    refused(&e, Code::FailedPrecondition, &["reception.on_the_day"]);

    // Friday: received, decided, assigned to the bureau with a due date.
    clock.set("2026-03-13T15:00:00+08:00")?;
    let after = rc.record_outcome(outcome).await?.into_inner();
    assert_eq!(after.handling_unit, HOUSING);
    assert_eq!(after.status, "routed");
    let at_bureau = wait_for("the assignment at the bureau", PATIENCE, || async {
        Ok(fed.case_at(HOUSING, &no).await?.filter(|c| c.handling_unit == HOUSING))
    })
    .await?;
    assert!(at_bureau.records.iter().any(|r| r.kind == "reception_outcome"));

    // The eight-copy form: a stranger on it is refused; by default the six posts.
    let form = |to: Vec<String>| pb::SupervisionFormRequest {
        case_no: no.clone(),
        booking: booking_id.clone(),
        recipients: to,
        due: "2026-03-27".into(),
        demand: "按期办结并向县领导汇报处理结果".into(),
    };
    let before = records(&fed, COUNTY, &no).await?;
    let e = rc
        .send_supervision_form(form(vec!["周局长".into()]))
        .await
        .expect_err("not on the roster");
    refused(&e, Code::InvalidArgument, &["recipients", "周局长"]);
    assert_eq!(records(&fed, COUNTY, &no).await?, before);
    rc.send_supervision_form(form(Vec::new())).await?;
    let list = listed(&fed, COUNTY, &no).await?;
    let r = &list.receptions[0];
    let keys: Vec<&str> = r.copies.iter().map(|c| c.key.as_str()).collect();
    assert_eq!(
        keys,
        ["张书记", "陈副书记", "王县长", "李副县长", "赵书记", "钱部长", HOUSING],
        "the seed's posts in its order, then the responsible unit; not the 人大 chairman"
    );
    let form_id = r.form.clone();

    // Each recipient acknowledges: the officials' copies at the office, the
    // bureau's copy at the bureau's own node.
    for k in ["张书记", "陈副书记", "王县长", "李副县长", "赵书记", "钱部长"] {
        rc.acknowledge_form(pb::AcknowledgeFormRequest {
            case_no: no.clone(),
            form: form_id.clone(),
            recipient: k.into(),
        })
        .await?;
    }
    let e = rc
        .acknowledge_form(pb::AcknowledgeFormRequest {
            case_no: no.clone(),
            form: form_id.clone(),
            recipient: "孙主席".into(),
        })
        .await
        .expect_err("no copy of his");
    refused(&e, Code::FailedPrecondition, &["supervision_form.recipient"]);
    wait_for("the form at the bureau", PATIENCE, || async {
        Ok(fed
            .case_at(HOUSING, &no)
            .await?
            .filter(|c| c.records.iter().any(|r| r.kind == "supervision_form")))
    })
    .await?;
    receptions(&fed, HOUSING)
        .await?
        .acknowledge_form(pb::AcknowledgeFormRequest {
            case_no: no.clone(),
            form: form_id.clone(),
            recipient: HOUSING.into(),
        })
        .await?;

    // The bureau handles and closes the case: the form comes back.
    for body in [
        json!({"kind": "screening", "decision": {"decision": "accept"}}),
        json!({"kind": "progress", "text": "已会同开发商现场核查，确认为施工质量问题"}),
        json!({"kind": "reply", "opinion": "support", "text": "开发商已承诺限期维修"}),
        json!({"kind": "rating", "acceptance": "satisfied", "handling": "satisfied"}),
        json!({"kind": "leader_approval", "leader": "黄局长", "opinion": "同意结案"}),
        json!({"kind": "closure", "facts_clear": true, "handled_in_place": true, "file_complete": true}),
    ] {
        fed.act(HOUSING, &no, body.clone())
            .await
            .map_err(|e| anyhow::anyhow!("{body}: {e}"))?;
    }
    // All of it at the county: the booking, the decision, the acknowledgements
    // (the bureau's too) and the return.
    let seen = wait_for("the closure and the bureau's acknowledgement at the county", PATIENCE, || async {
        let l = listed(&fed, COUNTY, &no).await?;
        let r = &l.receptions[0];
        Ok((!r.form_returned_on.is_empty()
            && r.copies.iter().all(|c| !c.acknowledged_on.is_empty()))
        .then_some(l))
    })
    .await?;
    let r = &seen.receptions[0];
    assert_eq!(r.date, "2026-03-13");
    assert!(r.held);
    assert_eq!(r.assign_to, HOUSING);
    assert_eq!(r.assign_due, "2026-03-27");
    assert_eq!(r.tasks.len(), 1);
    assert_eq!(r.form_returned_on, "2026-03-13");
    let county = fed.case_at(COUNTY, &no).await?.expect("held at the county");
    assert_eq!(county.status, "closed");
    let kinds: Vec<&str> = county.records.iter().map(|r| r.kind.as_str()).collect();
    for k in ["booking", "reception_outcome", "supervision_form", "form_ack", "closure"] {
        assert!(kinds.contains(&k), "{k} missing at the county: {kinds:?}");
    }
    let booked = county
        .records
        .iter()
        .find(|r| r.kind == "booking")
        .expect("booking record");
    assert!(booked.detail.contains("约访：2026-03-13"), "{}", booked.detail);
    assert!(booked.detail.contains("海丰县住房和城乡建设局"), "{}", booked.detail);

    // The form as printed: a copy per recipient and the stub with the return.
    let paper = rc
        .get_supervision_form(pb::ReceptionPaperRequest {
            case_no: no.clone(),
            booking: booking_id.clone(),
        })
        .await?
        .into_inner();
    assert_eq!(paper.titles.len(), 8, "{:?}", paper.titles);
    assert_eq!(paper.titles[7], "信访事项督办单（第8联，存根）");
    if tools_or_skip("supervision_form_read_back") {
        let text = text_of(&paper.pdf, "supervision-form")?;
        for want in ["县委书记张书记", "撤回", "2026年3月27日", "现场核查并出具核查意见"] {
            assert!(text.contains(want), "{want:?} not on the form: {text}");
        }
    }
    fed.shutdown().await;
    Ok(())
}
}

#[tokio::test]
async fn a_reception_that_did_not_take_place_decides_nothing_and_a_second_booking_waits()
-> anyhow::Result<()> {
    let clock = TestClock::at("2026-02-24T10:00:00+08:00")?;
    let fed = Federation::start_at(
        Backend::Sqlite,
        county_town_bureau(),
        clock.clock(),
        BTreeMap::new(),
    )
    .await?;
    file_march_schedule(&fed).await?;
    clock.set("2026-03-09T09:00:00+08:00")?;
    let no = fed.register(COUNTY, "周先生", "拖欠工资").await?.case_no;
    fed.act(
        COUNTY,
        &no,
        json!({"kind": "screening", "decision": {"decision": "accept"}}),
    )
    .await?;
    let mut rc = receptions(&fed, COUNTY).await?;
    let book = |d: &str| pb::BookRequest {
        case_no: no.clone(),
        date: d.into(),
        leader: "李副县长".into(),
        responsible: HOUSING.into(),
        ..Default::default()
    };
    rc.book(book("2026-03-13")).await?;
    let e = rc
        .book(book("2026-03-20"))
        .await
        .expect_err("booked already");
    refused(&e, Code::FailedPrecondition, &["reception.once"]);
    let booking = listed(&fed, COUNTY, &no).await?.receptions[0]
        .booking
        .clone();
    clock.set("2026-03-13T16:00:00+08:00")?;
    let mut not_held = pb::OutcomeRequest {
        case_no: no.clone(),
        booking: booking.clone(),
        held: false,
        decision: "信访人因病未到".into(),
        assign_to: HOUSING.into(),
        assign_due: "2026-03-27".into(),
        ..Default::default()
    };
    let e = rc
        .record_outcome(not_held.clone())
        .await
        .expect_err("decides nothing");
    refused(&e, Code::FailedPrecondition, &["reception.held"]);
    not_held.assign_to.clear();
    not_held.assign_due.clear();
    rc.record_outcome(not_held).await?;
    // No form after a reception that did not take place.
    let e = rc
        .send_supervision_form(pb::SupervisionFormRequest {
            case_no: no.clone(),
            booking,
            recipients: Vec::new(),
            due: "2026-03-27".into(),
            demand: "按期办结".into(),
        })
        .await
        .expect_err("no decision to supervise");
    refused(
        &e,
        Code::FailedPrecondition,
        &["supervision_form.after_decision"],
    );
    // The next Friday may be booked now.
    rc.book(book("2026-03-20")).await?;
    assert_eq!(listed(&fed, COUNTY, &no).await?.receptions.len(), 2);
    fed.shutdown().await;
    Ok(())
}

/// A booked case not received is on the superior's board: first, its day past
/// with nothing recorded, the next morning without anyone asking; then, once the
/// town records that the reception did not take place, with the reason.
#[tokio::test]
async fn a_missed_booked_case_is_on_the_superiors_board() -> anyhow::Result<()> {
    let clock = TestClock::at("2026-02-24T10:00:00+08:00")?;
    let fed = Federation::start_at(
        Backend::Sqlite,
        county_town_bureau(),
        clock.clock(),
        BTreeMap::new(),
    )
    .await?;
    fed.file_schedule(
        TOWN_A,
        "2026-03",
        &[
            ("林书记", "镇党委书记", "principal"),
            ("陈镇长", "镇长", "in_charge"),
        ],
        &[("2026-03-13", "陈镇长", "镇综治信访维稳中心")],
        ("陈镇长", "林书记"),
    )
    .await?;
    clock.set("2026-03-09T09:00:00+08:00")?;
    let no = fed
        .register(TOWN_A, "吴大爷", "宅基地界址纠纷")
        .await?
        .case_no;
    fed.act(
        TOWN_A,
        &no,
        json!({"kind": "screening", "decision": {"decision": "accept"}}),
    )
    .await?;
    let mut rc = receptions(&fed, TOWN_A).await?;
    rc.book(pb::BookRequest {
        case_no: no.clone(),
        date: "2026-03-13".into(),
        leader: "陈镇长".into(),
        responsible: TOWN_A.into(),
        ..Default::default()
    })
    .await?;
    let booking = listed(&fed, TOWN_A, &no).await?.receptions[0]
        .booking
        .clone();
    let board = |kind: &'static str| {
        let fed = &fed;
        async move {
            let b = fed
                .schedules(COUNTY)
                .await?
                .filings(pb::FilingsRequest {
                    month: "2026-03".into(),
                    unit: String::new(),
                })
                .await?
                .into_inner();
            Ok::<_, anyhow::Error>(
                b.rows
                    .into_iter()
                    .find(|r| r.unit == TOWN_A)
                    .and_then(|r| r.flags.into_iter().find(|f| f.kind == kind)),
            )
        }
    };
    // Before the day, nothing; the Monday after, flagged unrecorded.
    wait_for("the booking at the county", PATIENCE, || async {
        Ok(fed
            .case_at(COUNTY, &no)
            .await?
            .filter(|c| c.records.iter().any(|r| r.kind == "booking")))
    })
    .await?;
    assert!(board("booking_unrecorded").await?.is_none());
    clock.set("2026-03-16T08:30:00+08:00")?;
    let f = board("booking_unrecorded")
        .await?
        .expect("flagged the next working morning");
    assert_eq!(
        (f.date.as_str(), f.leader.as_str()),
        ("2026-03-13", "陈镇长")
    );
    assert!(f.message.contains(&no), "{}", f.message);
    rc.record_outcome(pb::OutcomeRequest {
        case_no: no.clone(),
        booking,
        held: false,
        decision: "陈镇长临时赴市里开会，未提前调整".into(),
        ..Default::default()
    })
    .await?;
    let f = wait_for("the missed booking on the county's board", PATIENCE, || {
        board("booking_missed")
    })
    .await?;
    assert!(f.message.contains("临时赴市里开会"), "{}", f.message);
    assert!(board("booking_unrecorded").await?.is_none());
    // The town's yearly summary counts the booking, not received.
    let summary = fed
        .schedules(TOWN_A)
        .await?
        .generate_work_report(pb::WorkReportRequest {
            unit: TOWN_A.into(),
            period: "2026".into(),
        })
        .await?
        .into_inner();
    let chen = summary
        .leaders
        .iter()
        .find(|l| l.leader == "陈镇长")
        .expect("the leader's line");
    assert_eq!((chen.booked, chen.booked_received), (1, 0), "{chen:?}");
    fed.shutdown().await;
    Ok(())
}
