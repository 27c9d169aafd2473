//! Suggested accountability on the county's worklist, in a real headless
//! Chromium: a town's leader missed two receptions and the town's next schedule
//! is missing; the county's leader in charge sees both suggestions on 我的待办,
//! dismisses the empty posts' with a reason (without one: refused, nothing
//! recorded), and confirms the missing filing's as an accountability case, which
//! then exists at the county and reaches the town.

use std::collections::BTreeMap;

use xinfang_proto::v1 as pb;
use xinfang_tests::console::*;
use xinfang_tests::webdriver::{Driver, driver_or_skip};
use xinfang_tests::*;

/// The key of the suggestion whose text holds `words`, as the page shows it.
async fn key_of(b: &xinfang_tests::webdriver::Browser, words: &str) -> anyhow::Result<String> {
    let v = b
        .client
        .execute(
            "const a = [...document.querySelectorAll('article.suggestion')]
                 .find(x => x.textContent.includes(arguments[0]));
             return a ? a.dataset.key : null;",
            vec![serde_json::json!(words)],
        )
        .await?;
    v.as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("no suggestion mentions {words}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_dismisses_one_suggestion_and_confirms_another_on_the_worklist()
-> anyhow::Result<()> {
    let test = "a_leader_dismisses_one_suggestion_and_confirms_another_on_the_worklist";
    let Some((chromium, chromedriver)) = driver_or_skip(test) else {
        return Ok(());
    };
    let clock = TestClock::at("2026-04-01T09:00:00+08:00")?;
    let fed = Federation::start_at(
        Backend::Sqlite,
        county_and_town(),
        clock.clock(),
        BTreeMap::new(),
    )
    .await?;
    fed.file_schedule(
        TOWN_A,
        "2026-05",
        &[
            ("林书记", "镇党委书记", "principal"),
            ("陈副书记", "镇党委副书记", "in_charge"),
        ],
        &[
            ("2026-05-11", "陈副书记", "镇信访办接访室"),
            ("2026-05-12", "陈副书记", "镇信访办接访室"),
        ],
        ("陈副书记", "林书记"),
    )
    .await?;
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
    wait_for("the empty posts at the county", PATIENCE, || async {
        let b = fed
            .schedules(COUNTY)
            .await?
            .filings(pb::FilingsRequest {
                month: "2026-05".into(),
                unit: String::new(),
            })
            .await?
            .into_inner();
        Ok(b.rows
            .iter()
            .any(|r| r.flags.iter().filter(|f| f.kind == "missed").count() == 2)
            .then_some(()))
    })
    .await?;
    fed.add_user(COUNTY, "leader", &["reviewer"], PASSWORD)
        .await?;

    let driver = Driver::start(&chromium, &chromedriver).await?;
    let b = driver.browser().await?;
    sign_in(&b, &fed, COUNTY, "leader").await?;
    let work = format!("{}/work", console(&fed, COUNTY));
    b.goto(&work).await?;
    let heading = b
        .text_when("#suggestions-h", |t| t.contains("追责建议"))
        .await?;
    assert!(heading.contains("(2)"), "{heading}");
    let posts = key_of(&b, "陈副书记").await?;
    let within = format!("article[data-key='{posts}']");
    b.press(&within, "不予追责").await?;
    // The click's page arrives when it arrives: wait for the refusal, as a
    // person would look for it, rather than read the page the click left.
    b.text_when("body", |t| t.contains("reason")).await?;
    b.goto(&work).await?;
    b.type_in(&within, "不予追责的理由", "已约谈提醒，情有可原")
        .await?;
    b.press(&within, "不予追责").await?;
    let heading = b.text_when("#suggestions-h", |t| t.contains("(1)")).await?;
    assert!(heading.contains("(1)"), "{heading}");
    assert!(!b.has(&within).await?, "a dismissed suggestion comes back");
    b.screenshot(&shots(), "suggestions-dismissed").await?;

    let filing = b
        .client
        .execute(
            "return document.querySelector('article.suggestion').dataset.key;",
            vec![],
        )
        .await?;
    let filing = filing.as_str().unwrap_or_default().to_owned();
    let within = format!("article[data-key='{filing}']");
    b.type_in(&within, "责任人（领导姓名，以、分隔）", "林书记")
        .await?;
    b.press(&within, "确认追责").await?;
    b.text_when("#suggestions-h", |t| t.contains("(0)")).await?;
    let at_town = wait_for("the accountability case at the town", PATIENCE, || async {
        let ids = fed
            .hub(TOWN_A)
            .ids_with_prefix("accountability/", 10)
            .await?;
        Ok((!ids.is_empty()).then_some(ids))
    })
    .await?;
    assert_eq!(at_town.len(), 1);
    assert_eq!(
        fed.hub(COUNTY)
            .ids_with_prefix("accountability/", 10)
            .await?,
        at_town
    );
    b.close().await?;
    fed.shutdown().await;
    Ok(())
}
