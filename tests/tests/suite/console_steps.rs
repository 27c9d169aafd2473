//! The console's forms for the steps added to the case service after the first
//! console: verifying an objection (核实), the written notice (告知), flagging a
//! major or urgent matter (重大紧急) and recording that the petitioner will not
//! state an opinion (拒不表态) — each offered only to the unit the service lets
//! write it, typed and picked in a real browser, refused beside the field.

use xinfang_tests::console::*;
use xinfang_tests::webdriver::{Driver, driver_or_skip};
use xinfang_tests::*;

/// The county forwards a case to a town (through the API: not what is tested);
/// the town objects; in the browser the county, the office that routed it, is
/// offered the verification and the town is not; an unpicked verification comes
/// back with the reason kept and the error beside 核实意见; the county refuses
/// the objection. The town then records its notice and flags the matter urgent;
/// 拒不表态 before a reply is refused by the service and shown beside the form,
/// and after the reply it is recorded. Every step is in both timelines.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objection_verification_notice_major_and_no_opinion_in_the_browser() -> anyhow::Result<()> {
    let test = "objection_verification_notice_major_and_no_opinion_in_the_browser";
    let Some((chromium, chromedriver)) = driver_or_skip(test) else {
        return Ok(());
    };
    let fed = Federation::start(Backend::Sqlite, county_and_town()).await?;
    fed.add_user(COUNTY, "handler", &["handler"], PASSWORD)
        .await?;
    fed.add_user(TOWN_A, "handler", &["handler"], PASSWORD)
        .await?;
    let case_no = fed
        .register(COUNTY, "赵六", "宅基地纠纷久拖不决")
        .await?
        .case_no;
    let accept = serde_json::json!({"kind": "screening", "decision": {"decision": "accept"}});
    fed.act(COUNTY, &case_no, accept.clone()).await?;
    fed.act(
        COUNTY,
        &case_no,
        serde_json::json!({"kind": "forward", "to": TOWN_A, "due": in_days(20)}),
    )
    .await?;
    wait_for("the case at the town", PATIENCE, || async {
        Ok(fed
            .case_at(TOWN_A, &case_no)
            .await?
            .filter(|v| v.records.iter().any(|r| r.kind == "forward")))
    })
    .await?;
    fed.act(
        TOWN_A,
        &case_no,
        serde_json::json!({"kind": "objection", "reason": "属县自然资源局职权"}),
    )
    .await?;

    let driver = Driver::start(&chromium, &chromedriver).await?;
    let town = driver.browser().await?;
    sign_in(&town, &fed, TOWN_A, "handler").await?;
    let town_url = format!("{}/case/{case_no}", console(&fed, TOWN_A));
    town.goto(&town_url).await?;
    assert!(
        !town.has("details[data-step='objection_decision']").await?,
        "only the office that routed the case verifies the objection"
    );

    let county = driver.browser().await?;
    sign_in(&county, &fed, COUNTY, "handler").await?;
    let county_url = format!("{}/case/{case_no}", console(&fed, COUNTY));
    let verify = "details[data-step='objection_decision']";
    wait_for("the objection at the county", PATIENCE, || async {
        county.goto(&county_url).await?;
        let t = county.text_of("#timeline").await?;
        Ok(t.contains("属县自然资源局职权").then_some(()))
    })
    .await?;
    county.open(verify).await?;
    county
        .type_in(verify, "理由", "经核实，宅基地审批属镇职权")
        .await?;
    county.press(verify, "异议核实").await?;
    let error = county.text_of("#objection_decision-agree-error").await?;
    assert_eq!(error, "核实意见：请选择一项");
    let kept = county
        .field_in(verify, "理由")
        .await?
        .prop("value")
        .await?
        .unwrap_or_default();
    assert_eq!(kept, "经核实，宅基地审批属镇职权", "the reason is kept");
    county
        .screenshot(&shots(), "objection-verification-refused")
        .await?;
    county
        .pick_in(verify, "核实意见", "不同意（仍由原单位办理）")
        .await?;
    county.press(verify, "异议核实").await?;
    county
        .text_when("#done", |t| t.contains("异议核实"))
        .await?;
    let timeline = county.text_of("#timeline").await?;
    assert!(
        timeline.contains("异议核实") && timeline.contains("经核实，宅基地审批属镇职权"),
        "{timeline}"
    );
    assert_eq!(county.text_of("#handling-unit").await?, "海城镇");

    // The town: still the handler; its notice and the urgent flag.
    wait_for("the verification at the town", PATIENCE, || async {
        town.goto(&town_url).await?;
        let t = town.text_of("#timeline").await?;
        Ok(t.contains("异议核实").then_some(()))
    })
    .await?;
    let notice = "details[data-step='notice']";
    town.open(notice).await?;
    town.type_in(notice, "告知内容", "已于今日书面告知信访人本镇受理")
        .await?;
    town.press(notice, "书面告知").await?;
    town.text_when("#done", |t| t.contains("书面告知")).await?;
    let major = "details[data-step='major']";
    town.open(major).await?;
    town.field_in(major, "紧急").await?.click().await?;
    town.type_in(major, "理由", "涉及二十余户，可能引发群体性事件")
        .await?;
    town.press(major, "重大紧急信访事项").await?;
    town.text_when("#done", |t| t.contains("重大紧急")).await?;
    // Before any reply the petitioner has nothing to state an opinion on.
    let no_opinion = "details[data-step='no_opinion']";
    town.open(no_opinion).await?;
    town.type_in(no_opinion, "拒不表态的情形", "电话联系三次均拒绝表态")
        .await?;
    town.press(no_opinion, "信访人拒不表态").await?;
    let refusal = town.text_of(&format!("{no_opinion} .error")).await?;
    // The rule by its Chinese name and code, then the service's particulars.
    assert!(
        refusal.contains("答复之后才能记录信访人拒不表态")
            && refusal.contains("no_opinion.after_reply"),
        "{refusal}"
    );
    let kept = town
        .field_in(no_opinion, "拒不表态的情形")
        .await?
        .prop("value")
        .await?
        .unwrap_or_default();
    assert_eq!(kept, "电话联系三次均拒绝表态");
    fed.act(TOWN_A, &case_no, accept).await?;
    fed.act(
        TOWN_A,
        &case_no,
        serde_json::json!({"kind": "reply", "opinion": "explain", "text": "经调查，已解释政策"}),
    )
    .await?;
    town.goto(&town_url).await?;
    town.open(no_opinion).await?;
    town.type_in(no_opinion, "拒不表态的情形", "电话联系三次均拒绝表态")
        .await?;
    town.press(no_opinion, "信访人拒不表态").await?;
    town.text_when("#done", |t| t.contains("拒不表态")).await?;
    let timeline = town.text_of("#timeline").await?;
    for said in [
        "书面告知",
        "已于今日书面告知信访人本镇受理",
        "重大紧急信访事项",
        "涉及二十余户",
        "信访人拒不表态",
        "电话联系三次均拒绝表态",
    ] {
        assert!(timeline.contains(said), "{said} in {timeline}");
    }
    town.screenshot(&shots(), "case-file-new-steps").await?;
    town.close().await?;

    // The county sees the town's steps; the major flag has alerted it.
    wait_for("the town's steps at the county", PATIENCE, || async {
        county.goto(&county_url).await?;
        let t = county.text_of("#timeline").await?;
        Ok(t.contains("电话联系三次均拒绝表态").then_some(()))
    })
    .await?;
    county.close().await?;
    drop(driver);
    fed.shutdown().await;
    Ok(())
}

/// The sign-in form carries a CSRF token derived from a cookie the node set
/// when it served the form: a sign-in posted without it (login CSRF, signing a
/// clerk's browser in as someone else) is refused and signs nobody in; the form
/// as served signs in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_form_not_served_by_the_node_is_refused() -> anyhow::Result<()> {
    let test = "a_sign_in_form_not_served_by_the_node_is_refused";
    let Some((chromium, chromedriver)) = driver_or_skip(test) else {
        return Ok(());
    };
    let fed = Federation::start(
        Backend::Sqlite,
        vec![(COUNTY, "海丰县", xinfang_hub::Tier::County, None)],
    )
    .await?;
    fed.add_user(COUNTY, "handler", &["handler"], PASSWORD)
        .await?;
    let driver = Driver::start(&chromium, &chromedriver).await?;
    let b = driver.browser().await?;
    let base = console(&fed, COUNTY);
    b.goto(&format!("{base}/login")).await?;
    forge(
        &b,
        "/login",
        &[("user", "handler"), ("password", PASSWORD)],
        None,
    )
    .await?;
    let error = b.text_of("#signin-error").await?;
    assert!(error.contains("防伪令牌"), "{error}");
    assert_eq!(b.value_of("用户名").await?, "handler", "the name is kept");
    // Nobody is signed in: my work asks to sign in.
    b.goto(&format!("{base}/work")).await?;
    b.text_when("h1", |t| t == "登录").await?;
    // A token from the page, but the cookie it was derived from gone.
    let csrf = b
        .client
        .find(fantoccini::Locator::Css("input[name='csrf']"))
        .await?
        .prop("value")
        .await?
        .unwrap_or_default();
    assert!(!csrf.is_empty(), "the sign-in form carries a token");
    b.client.delete_cookie("xinfang_signin").await?;
    forge(
        &b,
        "/login",
        &[("user", "handler"), ("password", PASSWORD)],
        Some(&csrf),
    )
    .await?;
    b.text_when("#signin-error", |t| t.contains("防伪令牌"))
        .await?;
    // The form as the node serves it.
    sign_in(&b, &fed, COUNTY, "handler").await?;
    b.close().await?;
    drop(driver);
    fed.shutdown().await;
    Ok(())
}

/// A visit to higher authorities (赴省进京上访) recorded on the case in the
/// browser: a date after today is refused by the case rules, named in Chinese
/// above the form with the typed place kept; the date of the visit is recorded
/// and the case's timeline says so, at the town and the county.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visit_to_higher_authorities_is_recorded_in_the_browser() -> anyhow::Result<()> {
    let test = "a_visit_to_higher_authorities_is_recorded_in_the_browser";
    let Some((chromium, chromedriver)) = driver_or_skip(test) else {
        return Ok(());
    };
    let fed = Federation::start(Backend::Sqlite, county_and_town()).await?;
    fed.add_user(TOWN_A, "handler", &["handler"], PASSWORD)
        .await?;
    let case_no = fed.register(TOWN_A, "钱八", "征地补偿纠纷").await?.case_no;
    let driver = Driver::start(&chromium, &chromedriver).await?;
    let b = driver.browser().await?;
    sign_in(&b, &fed, TOWN_A, "handler").await?;
    b.goto(&format!("{}/case/{case_no}", console(&fed, TOWN_A)))
        .await?;
    let visit = "details[data-step='higher_visit']";
    b.open(visit).await?;
    b.pick_in(visit, "去向", "进京上访").await?;
    b.set_date(visit, "上访日期", &in_days(3)).await?;
    b.type_in(visit, "上访地点", "国家信访局").await?;
    b.press(visit, "赴省进京上访").await?;
    let refusal = b.text_of(&format!("{visit} .error")).await?;
    assert!(
        refusal.contains("日期不能晚于今天") && refusal.contains("higher_visit.on"),
        "{refusal}"
    );
    let kept = b
        .field_in(visit, "上访地点")
        .await?
        .prop("value")
        .await?
        .unwrap_or_default();
    assert_eq!(kept, "国家信访局", "the place is kept");
    let yesterday = (chrono::Utc::now() + chrono::Duration::hours(8) - chrono::Duration::days(1))
        .date_naive()
        .to_string();
    b.set_date(visit, "上访日期", &yesterday).await?;
    b.press(visit, "赴省进京上访").await?;
    b.text_when("#done", |t| t.contains("赴省进京上访")).await?;
    assert!(b.text_of("#timeline").await?.contains("国家信访局"));
    wait_for("the visit at the county", PATIENCE, || async {
        Ok(fed
            .case_at(COUNTY, &case_no)
            .await?
            .filter(|c| c.higher_visits == 1))
    })
    .await?;
    b.close().await?;
    drop(driver);
    fed.shutdown().await;
    Ok(())
}
