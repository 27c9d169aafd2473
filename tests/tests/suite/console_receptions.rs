//! Reception days in the console, in a real headless Chromium: at the county, a
//! clerk books a town's case onto the leader in charge's Friday reception from
//! the case file — refused beside 责任单位 while none is picked, the day kept —
//! then books it; the four cards download as PDF; on the Friday the clerk
//! records the leader's decision assigning it to the housing bureau, sends the
//! eight-copy form and records the party secretary's acknowledgement.

use std::collections::BTreeMap;

use xinfang_hub::Tier;
use xinfang_proto::v1 as pb;
use xinfang_tests::console::*;
use xinfang_tests::webdriver::{Driver, driver_or_skip};
use xinfang_tests::*;

async fn county_schedule(fed: &Federation) -> anyhow::Result<()> {
    let mut c = fed.schedules(COUNTY).await?;
    for (name, position, role) in [
        ("张书记", "县委书记", "principal"),
        ("李副县长", "副县长", "in_charge"),
    ] {
        c.put_leader(pb::PutLeaderRequest {
            unit: COUNTY.into(),
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
    c.add_entry(pb::AddEntryRequest {
        unit: COUNTY.into(),
        month: "2026-03".into(),
        entry: Some(pb::ScheduleEntry {
            date: "2026-03-13".into(),
            leader: "李副县长".into(),
            place: "县信访局接待大厅".into(),
            ..Default::default()
        }),
    })
    .await?;
    let decide = |by: &str| pb::DecisionRequest {
        unit: COUNTY.into(),
        month: "2026-03".into(),
        by: by.into(),
        override_reason: String::new(),
    };
    c.review(decide("李副县长")).await?;
    c.approve(decide("张书记")).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clerk_books_a_case_for_fridays_reception_and_follows_it_through() -> anyhow::Result<()> {
    let test = "a_clerk_books_a_case_for_fridays_reception_and_follows_it_through";
    let Some((chromium, chromedriver)) = driver_or_skip(test) else {
        return Ok(());
    };
    let mut units = county_and_town();
    units.push((
        HOUSING,
        "海丰县住房和城乡建设局",
        Tier::County,
        Some(COUNTY),
    ));
    let clock = TestClock::at("2026-02-24T10:00:00+08:00")?;
    let fed = Federation::start_at(Backend::Sqlite, units, clock.clock(), BTreeMap::new()).await?;
    county_schedule(&fed).await?;
    fed.add_user(COUNTY, "clerk", &["handler"], PASSWORD)
        .await?;
    clock.set("2026-03-09T09:00:00+08:00")?;
    let no = fed
        .register(TOWN_A, "刘大姐", "新建商品房墙体开裂")
        .await?
        .case_no;
    fed.act(
        TOWN_A,
        &no,
        serde_json::json!({"kind": "screening", "decision": {"decision": "accept"}}),
    )
    .await?;
    wait_for("the case at the county", PATIENCE, || async {
        Ok(fed
            .case_at(COUNTY, &no)
            .await?
            .filter(|c| c.status == "accepted"))
    })
    .await?;

    let driver = Driver::start(&chromium, &chromedriver).await?;
    let b = driver.browser().await?;
    sign_in(&b, &fed, COUNTY, "clerk").await?;
    let page = format!("{}/case/{no}", console(&fed, COUNTY));
    b.goto(&page).await?;
    let book = "details[data-step='booking']";
    b.open(book).await?;
    b.pick_in(book, "接待日", "2026-03-13").await?;
    b.press(book, "约访（领导接待日）").await?;
    let error = b.text_of("#reception-book-error").await?;
    assert!(
        error.contains("responsible") || error.contains("单位"),
        "{error}"
    );
    let kept = b
        .field_in(book, "接待日")
        .await?
        .prop("value")
        .await?
        .unwrap_or_default();
    assert!(kept.starts_with("2026-03-13|"), "the day is kept: {kept}");
    b.screenshot(&shots(), "reception-refused").await?;
    b.pick_in(book, "责任单位", "海丰县住房和城乡建设局")
        .await?;
    b.type_in(book, "约访通知补充内容", "请携带购房合同")
        .await?;
    b.press(book, "约访（领导接待日）").await?;
    let row = b
        .text_when("#reception-list tbody tr", |t| t.contains("2026-03-13"))
        .await?;
    assert!(
        row.contains("李副县长") && row.contains("海丰县住房和城乡建设局"),
        "{row}"
    );
    // The four cards, fetched by the page with its session.
    let head = b
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const a = [...document.querySelectorAll('#reception-list a')].find(x => x.textContent.includes('打印四卡'));
             fetch(a.href).then(r => r.arrayBuffer().then(x => done([r.headers.get('content-type'), x.byteLength])));",
            vec![],
        )
        .await?;
    let head = head.as_array().cloned().unwrap_or_default();
    assert_eq!(
        head.first().and_then(|v| v.as_str()),
        Some("application/pdf")
    );
    assert!(head.get(1).and_then(|v| v.as_u64()).unwrap_or(0) > 1000);

    // Friday: the decision, the assignment, the form, an acknowledgement.
    clock.set("2026-03-13T15:00:00+08:00")?;
    b.goto(&page).await?;
    let outcome = "details[data-step='reception_outcome']";
    b.open(outcome).await?;
    b.type_in(
        outcome,
        "领导决定（未进行的写明原因）",
        "责成县住建局核查墙体开裂原因",
    )
    .await?;
    b.pick_in(outcome, "交办至", "海丰县住房和城乡建设局")
        .await?;
    b.set_date(outcome, "交办期限", "2026-03-27").await?;
    b.press(outcome, "接待日处理").await?;
    let handling = b
        .text_when("#handling-unit", |t| t.contains("住房和城乡建设局"))
        .await?;
    assert!(handling.contains("海丰县住房和城乡建设局"), "{handling}");
    let form = "details[data-step='supervision_form']";
    b.open(form).await?;
    b.set_date(form, "办结期限", "2026-03-27").await?;
    b.type_in(form, "督办要求", "按期办结并向县领导汇报")
        .await?;
    b.press(form, "八联单督办").await?;
    let copy = "li[data-copy='张书记']";
    b.text_when(copy, |t| t.contains("县委书记张书记")).await?;
    b.press(copy, "签收").await?;
    let acked = b.text_when(copy, |t| t.contains('✓')).await?;
    assert!(acked.contains("2026-03-13"), "{acked}");
    b.screenshot(&shots(), "reception-form").await?;

    let listed = wait_for("the acknowledgement at the bureau", PATIENCE, || async {
        Ok(fed
            .case_at(HOUSING, &no)
            .await?
            .filter(|c| c.records.iter().any(|r| r.kind == "form_ack")))
    })
    .await?;
    assert_eq!(listed.handling_unit, HOUSING);
    b.close().await?;
    fed.shutdown().await;
    Ok(())
}
