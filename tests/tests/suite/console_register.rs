//! Registration in the browser, the parts a registrar meets before saving: the
//! identity number checked as it is typed (by the service's own rule), and a
//! repeat or skip-level match (重复信访, 越级访, found by the keyed hash) shown
//! for the registrar to confirm; nothing is written until they do.

use xinfang_proto::v1 as pb;
use xinfang_tests::console::*;
use xinfang_tests::webdriver::{Driver, driver_or_skip};
use xinfang_tests::*;

/// A town registers and accepts a petition on land; the same petitioner comes
/// to the county. The county's registrar sees a wrong identity number refused
/// as it is typed and the corrected one accepted; on saving, the form shows the
/// town's open case as both the earlier case and the one still handled below,
/// and only after the registrar confirms is the county's case registered, with
/// both links.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeat_and_skip_level_match_is_shown_before_saving() -> anyhow::Result<()> {
    let test = "a_repeat_and_skip_level_match_is_shown_before_saving";
    let Some((chromium, chromedriver)) = driver_or_skip(test) else {
        return Ok(());
    };
    let fed = Federation::start(Backend::Sqlite, county_and_town()).await?;
    fed.add_user(COUNTY, "clerk", &["registrar"], PASSWORD)
        .await?;
    let id = id_number("44152119800101123");
    let earlier = fed
        .client(TOWN_A)
        .await?
        .register_case(pb::RegisterCaseRequest {
            unit: TOWN_A.into(),
            petitioner: "孙七".into(),
            content: "征地补偿款未足额发放".into(),
            id_number: id.clone(),
            channel: "visit".into(),
            category: "land".into(),
            ..Default::default()
        })
        .await?
        .into_inner()
        .case_no;
    fed.act(
        TOWN_A,
        &earlier,
        serde_json::json!({"kind": "screening", "decision": {"decision": "accept"}}),
    )
    .await?;
    wait_for("the town's case at the county", PATIENCE, || async {
        Ok(fed
            .case_at(COUNTY, &earlier)
            .await?
            .filter(|c| c.status == "accepted"))
    })
    .await?;
    let before = fed.list(COUNTY).await?;

    let driver = Driver::start(&chromium, &chromedriver).await?;
    let clerk = driver.browser().await?;
    sign_in(&clerk, &fed, COUNTY, "clerk").await?;
    clerk
        .goto(&format!("{}/register", console(&fed, COUNTY)))
        .await?;
    clerk.type_into("信访人", "孙七").await?;
    // The last digit wrong: refused as typed, beside the field.
    let wrong: String = {
        let mut s = id.clone();
        let last = s.pop().unwrap_or('0');
        s.push(if last == '1' { '2' } else { '1' });
        s
    };
    clerk.type_into("公民身份号码", &wrong).await?;
    let said = clerk
        .text_when(&format!("#id_number-check[data-checked='{wrong}']"), |_| {
            true
        })
        .await?;
    assert!(
        said.starts_with("公民身份号码：") && said.contains("GB 11643"),
        "{said}"
    );
    clerk.screenshot(&shots(), "register-id-as-typed").await?;
    clerk.type_into("公民身份号码", &id).await?;
    // The answer for exactly this number (the script marks what it checked).
    let said = clerk
        .text_when(&format!("#id_number-check[data-checked='{id}']"), |_| true)
        .await?;
    assert_eq!(said, "", "the corrected number holds");
    clerk.pick("内容分类", "国土资源水利林业").await?;
    clerk
        .type_into("诉求内容", "征地补偿款仍未足额发放，镇里久拖不决")
        .await?;
    clerk.press("form[action='/register']", "登记").await?;
    let repeat = clerk.text_of("#repeat-match").await?;
    assert!(repeat.contains(&earlier), "{repeat}");
    let skip = clerk.text_of("#skip-level-match").await?;
    assert!(skip.contains(&earlier), "{skip}");
    assert_eq!(clerk.value_of("信访人").await?, "孙七", "the form is kept");
    clerk.screenshot(&shots(), "register-matches").await?;
    assert_eq!(
        fed.list(COUNTY).await?,
        before,
        "nothing is written before the registrar confirms"
    );
    clerk.press("form[action='/register']", "确认登记").await?;
    let case_no = clerk.text_of("#case-no").await?;
    assert!(case_no.starts_with(COUNTY), "{case_no}");
    let facts = clerk.text_of("dl.facts").await?;
    assert!(
        facts.contains("重复信访") && facts.contains("越级访") && facts.contains(&earlier),
        "{facts}"
    );
    clerk.close().await?;
    drop(driver);
    fed.shutdown().await;
    Ok(())
}
