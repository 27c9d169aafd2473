//! 我的待办 beyond the case lists, in a real headless Chromium: a superior's
//! supervision demand (上级督办) with who demanded it and by when, gone once the
//! town answers it with progress; and the filings the unit owes (its reception
//! schedules, this month's and next) with their filing days and statuses, and,
//! at the county, the town whose schedule is missing until it is filed.

use std::collections::BTreeMap;

use serde_json::json;
use xinfang_tests::console::*;
use xinfang_tests::webdriver::{Driver, driver_or_skip};
use xinfang_tests::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn supervision_demands_and_filings_due_on_the_worklist() -> anyhow::Result<()> {
    let test = "supervision_demands_and_filings_due_on_the_worklist";
    let Some((chromium, chromedriver)) = driver_or_skip(test) else {
        return Ok(());
    };
    // May's schedule is due on 10 April (the default filing day).
    let clock = TestClock::at("2026-04-08T09:00:00+08:00")?;
    let fed = Federation::start_at(
        Backend::Sqlite,
        county_and_town(),
        clock.clock(),
        BTreeMap::new(),
    )
    .await?;
    fed.add_user(COUNTY, "handler", &["handler"], PASSWORD)
        .await?;
    fed.add_user(TOWN_A, "handler", &["handler"], PASSWORD)
        .await?;
    let case_no = fed
        .register(COUNTY, "赵六", "宅基地纠纷久拖不决")
        .await?
        .case_no;
    let accept = json!({"kind": "screening", "decision": {"decision": "accept"}});
    fed.act(COUNTY, &case_no, accept.clone()).await?;
    fed.act(
        COUNTY,
        &case_no,
        json!({"kind": "forward", "to": TOWN_A, "due": "2026-04-28"}),
    )
    .await?;
    wait_for("the case at the town", PATIENCE, || async {
        Ok(fed
            .case_at(TOWN_A, &case_no)
            .await?
            .filter(|v| v.records.iter().any(|r| r.kind == "forward")))
    })
    .await?;
    fed.act(TOWN_A, &case_no, accept).await?;
    wait_for("the town's acceptance at the county", PATIENCE, || async {
        Ok(fed
            .case_at(COUNTY, &case_no)
            .await?
            .filter(|v| v.records.iter().filter(|r| r.kind == "screening").count() == 2))
    })
    .await?;
    fed.act(
        COUNTY,
        &case_no,
        json!({"kind": "supervision", "method": "phone", "due": "2026-04-15", "demand": "一周内报告进展"}),
    )
    .await?;

    let driver = Driver::start(&chromium, &chromedriver).await?;
    let town = driver.browser().await?;
    sign_in(&town, &fed, TOWN_A, "handler").await?;
    let row = wait_on_worklist(&town, &fed, TOWN_A, "supervised-cases", &case_no).await?;
    assert!(
        row.contains("海丰县") && row.contains("2026-04-15"),
        "{row}"
    );
    let heading = town.text_of("#supervised").await?;
    assert!(heading.contains("上级督办 (1)"), "{heading}");
    // The town's own filings: April's schedule was due in March, May's is not
    // due yet.
    let april = town
        .text_of("#own-filings tr[data-period='2026-04']")
        .await?;
    assert!(
        april.contains("未报备（已逾期）") && april.contains("2026-03-10"),
        "{april}"
    );
    let may = town
        .text_of("#own-filings tr[data-period='2026-05']")
        .await?;
    assert!(
        may.contains("未到报备期限") && may.contains("2026-04-10"),
        "{may}"
    );
    town.screenshot(&shots(), "worklist-supervised-and-filings")
        .await?;

    let county = driver.browser().await?;
    sign_in(&county, &fed, COUNTY, "handler").await?;
    let county_work = format!("{}/work", console(&fed, COUNTY));
    county.goto(&county_work).await?;
    assert!(
        !county.has("#missing-below").await?,
        "nothing is missing before the filing day"
    );

    // Past the filing day with nothing filed: missing at both ends.
    clock.set("2026-04-13T09:00:00+08:00")?;
    county.goto(&county_work).await?;
    let missing = county.text_of("#missing-below").await?;
    assert!(
        missing.contains("镇") && missing.contains("2026-05"),
        "{missing}"
    );
    let town_work = format!("{}/work", console(&fed, TOWN_A));
    town.goto(&town_work).await?;
    let may = town
        .text_of("#own-filings tr[data-period='2026-05']")
        .await?;
    assert!(may.contains("未报备（已逾期）"), "{may}");

    fed.file_schedule(
        TOWN_A,
        "2026-05",
        &[
            ("林书记", "镇党委书记", "principal"),
            ("陈副书记", "镇党委副书记", "in_charge"),
        ],
        &[("2026-05-11", "陈副书记", "镇信访办接访室")],
        ("陈副书记", "林书记"),
    )
    .await?;
    town.goto(&town_work).await?;
    let may = town
        .text_of("#own-filings tr[data-period='2026-05']")
        .await?;
    assert!(may.contains("逾期报备"), "{may}");
    wait_for("the filing at the county", PATIENCE, || async {
        county.goto(&county_work).await?;
        Ok((!county.has("#missing-below").await?).then_some(()))
    })
    .await?;

    // Progress before the demand's day answers it.
    fed.act(
        TOWN_A,
        &case_no,
        json!({"kind": "progress", "text": "已约谈双方，正在调解"}),
    )
    .await?;
    town.goto(&town_work).await?;
    assert!(
        !town.has("#supervised-cases").await?,
        "an answered supervision stays on the worklist"
    );
    town.close().await?;
    county.close().await?;
    fed.shutdown().await;
    Ok(())
}
