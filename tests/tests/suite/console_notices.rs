//! Printed notices in the console: a handler issues a handling opinion from the
//! case file — refused beside 依据 while it has none, with the facts kept — then
//! with its basis; the notice is listed on the case file with its number, and
//! its link gives the PDF the node recorded.

use xinfang_tests::console::*;
use xinfang_tests::webdriver::{Driver, driver_or_skip};
use xinfang_tests::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_issues_a_handling_opinion_in_the_browser() -> anyhow::Result<()> {
    let test = "a_handler_issues_a_handling_opinion_in_the_browser";
    let Some((chromium, chromedriver)) = driver_or_skip(test) else {
        return Ok(());
    };
    let fed = Federation::start(Backend::Sqlite, county_and_town()).await?;
    fed.add_user(TOWN_A, "handler", &["handler"], PASSWORD)
        .await?;
    let case_no = fed
        .register(TOWN_A, "赵六", "宅基地纠纷久拖不决")
        .await?
        .case_no;
    fed.act(
        TOWN_A,
        &case_no,
        serde_json::json!({"kind": "screening", "decision": {"decision": "accept"}}),
    )
    .await?;
    fed.act(
        TOWN_A,
        &case_no,
        serde_json::json!({"kind": "reply", "opinion": "explain", "text": "宅基地界址以确权登记为准"}),
    )
    .await?;

    let driver = Driver::start(&chromium, &chromedriver).await?;
    let town = driver.browser().await?;
    sign_in(&town, &fed, TOWN_A, "handler").await?;
    town.goto(&format!("{}/case/{case_no}", console(&fed, TOWN_A)))
        .await?;
    let form = "details[data-step='issue-notice']";
    town.open(form).await?;
    town.pick_in(form, "文书种类", "信访事项处理意见书").await?;
    town.type_in(form, "查明的事实（意见书必填）", "界址争议属实")
        .await?;
    town.press(form, "出具文书").await?;
    let error = town.text_of("#notice-basis-error").await?;
    assert!(error.starts_with("依据（意见书必填）："), "{error}");
    let kept = town
        .field_in(form, "查明的事实（意见书必填）")
        .await?
        .prop("value")
        .await?
        .unwrap_or_default();
    assert_eq!(kept, "界址争议属实", "the facts are kept");
    town.screenshot(&shots(), "notice-refused").await?;

    town.pick_in(form, "文书种类", "信访事项处理意见书").await?;
    town.type_in(form, "依据（意见书必填）", "《土地管理法》第十四条")
        .await?;
    town.press(form, "出具文书").await?;
    let issued = town.text_when("#issued", |t| t.contains("信处〔")).await?;
    assert!(issued.contains("1号"), "{issued}");
    let listed = town
        .text_of("#issued-notices li[data-kind='handling_opinion']")
        .await?;
    assert!(listed.contains("信访事项处理意见书"), "{listed}");
    town.screenshot(&shots(), "notice-issued").await?;

    // The link gives the PDF (fetched by the page itself, with its session).
    let head = town
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const a = document.querySelector(\"#issued-notices li[data-kind='handling_opinion'] a\");
             fetch(a.href).then(r => r.arrayBuffer().then(b => done([r.headers.get('content-type'),
                 String.fromCharCode(...new Uint8Array(b.slice(0, 5))), b.byteLength])));",
            vec![],
        )
        .await?;
    let head = head.as_array().cloned().unwrap_or_default();
    assert_eq!(
        head.first().and_then(|v| v.as_str()),
        Some("application/pdf")
    );
    assert_eq!(head.get(1).and_then(|v| v.as_str()), Some("%PDF-"));
    assert!(head.get(2).and_then(|v| v.as_u64()).unwrap_or(0) > 1000);

    // The record is in the case, at the county too.
    wait_for("the notice at the county", PATIENCE, || async {
        Ok(fed.case_at(COUNTY, &case_no).await?.filter(|c| {
            c.records
                .iter()
                .any(|r| r.kind == "notice" && r.detail.contains("信访事项处理意见书"))
        }))
    })
    .await?;
    town.close().await?;
    fed.shutdown().await;
    Ok(())
}
