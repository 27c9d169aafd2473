//! The public progress page in a real browser: a petitioner types the case
//! number and the query code, reads where the case stands and rates the reply,
//! as a person would. Screenshots go to `public-page-screenshots/` in the
//! build's target folder.

use xinfang_proto::v1 as pb;
use xinfang_tests::*;

/// The case's records of `kind` held at `unit`.
async fn records_of(
    fed: &Federation,
    unit: &str,
    case_no: &str,
    kind: &str,
) -> anyhow::Result<Vec<pb::RecordView>> {
    Ok(fed
        .case_at(unit, case_no)
        .await?
        .map(|c| c.records.into_iter().filter(|r| r.kind == kind).collect())
        .unwrap_or_default())
}

/// A petitioner in a real browser: types the case number and the code (in
/// lower case) on the county's page, reads status, handling unit and reply,
/// picks 满意 and submits; the rating reaches the town that handles the case.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_petitioner_follows_and_rates_the_case_in_a_browser() -> anyhow::Result<()> {
    use xinfang_tests::webdriver::{Driver, driver_or_skip};
    let test = "a_petitioner_follows_and_rates_the_case_in_a_browser";
    let Some((chromium, chromedriver)) = driver_or_skip(test) else {
        return Ok(());
    };
    let fed = Federation::start(Backend::Sqlite, county_and_town()).await?;
    let case = fed.register(TOWN_A, "钱二", "自来水管破裂").await?;
    let no = case.case_no.clone();
    fed.act(
        TOWN_A,
        &no,
        serde_json::json!({"kind": "screening", "decision": {"decision": "accept"}}),
    )
    .await?;
    fed.act(
        TOWN_A,
        &no,
        serde_json::json!({"kind": "reply", "opinion": "support", "text": "已抢修，恢复供水"}),
    )
    .await?;
    wait_for("the reply at the county", PATIENCE, || async {
        Ok(fed
            .case_at(COUNTY, &no)
            .await?
            .filter(|c| c.status == "replied"))
    })
    .await?;
    let driver = Driver::start(&chromium, &chromedriver).await?;
    let b = driver.browser().await?;
    b.goto(&format!("http://{}/", fed.public_addr(COUNTY)))
        .await?;
    b.type_into("信访事项编号", &no).await?;
    b.type_into("查询码", &case.query_code.to_lowercase())
        .await?;
    b.press("form[action='/progress']", "查询").await?;
    assert_eq!(b.text_of("#case-no").await?, no);
    assert_eq!(b.text_of("#status").await?, "已答复");
    assert_eq!(b.text_of("#handling-unit").await?, "海城镇");
    assert_eq!(b.text_of("#petitioner").await?, "钱*");
    assert!(b.text_of("#reply").await?.contains("恢复供水"));
    let shots = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"))
        .join("public-page-screenshots");
    b.screenshot(&shots, "progress").await?;
    b.client
        .find(fantoccini::Locator::XPath(
            "//section[@id='rating']//label[normalize-space(.)='满意']/input",
        ))
        .await?
        .click()
        .await?;
    b.press("#rating", "提交评价").await?;
    let thanks = b
        .text_when("p.message", |t| t.contains("评价已提交"))
        .await?;
    assert!(thanks.contains("谢谢"), "{thanks}");
    assert!(b.text_of("#rating").await?.contains("已评价：满意"));
    b.screenshot(&shots, "rated").await?;
    let rated = wait_for("the rating at the town", PATIENCE, || async {
        let r = records_of(&fed, TOWN_A, &no, "rating").await?;
        Ok((!r.is_empty()).then_some(r))
    })
    .await?;
    assert_eq!(rated[0].by, "信访人");
    b.close().await?;
    drop(driver);
    fed.shutdown().await;
    Ok(())
}
