//! The staff console in a real browser: headless Chromium driven through
//! chromedriver as a person would — typing into fields found by their labels,
//! picking, clicking, reading what the page shows. Each person has their own
//! browser session (cookies), signed in at their own unit's node.
//!
//! Screenshots of the main pages go to `target/console-screenshots/`.

use anyhow::Context;
use xinfang_hub::Tier;
use xinfang_proto::v1 as pb;
use xinfang_proto::v1::accounts_client::AccountsClient;
use xinfang_proto::v1::reports_client::ReportsClient;
use xinfang_tests::console::*;
use xinfang_tests::webdriver::{Browser, Driver, driver_or_skip};
use xinfang_tests::*;

/// The audit log of `unit`, read as the operator.
async fn audit(fed: &Federation, unit: &str) -> anyhow::Result<Vec<pb::AuditEntry>> {
    Ok(AccountsClient::new(fed.operator_channel(unit).await?)
        .audit(pb::AuditRequest {
            limit: 1000,
            ..Default::default()
        })
        .await?
        .into_inner()
        .entries)
}

/// How many records the case has at `COUNTY`.
async fn record_count(fed: &Federation, case_no: &str) -> anyhow::Result<usize> {
    Ok(fed
        .case_at(COUNTY, case_no)
        .await?
        .map(|v| v.records.len())
        .unwrap_or_default())
}

/// The CSRF token the page's own forms carry.
async fn csrf_on_page(b: &Browser) -> anyhow::Result<String> {
    Ok(b.client
        .find(fantoccini::Locator::Css("input[name='csrf']"))
        .await?
        .prop("value")
        .await?
        .unwrap_or_default())
}

/// A registrar at a community registers a petition through the form — bad input
/// first, which comes back with the values kept and the error beside its field —
/// and the case appears in the township's and the county's worklists (each
/// signed in as their own staff), never in the other township's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_petition_registered_in_the_browser_reaches_the_superiors_worklists_only()
-> anyhow::Result<()> {
    let test = "a_petition_registered_in_the_browser_reaches_the_superiors_worklists_only";
    let Some((chromium, chromedriver)) = driver_or_skip(test) else {
        return Ok(());
    };
    let fed = Federation::start(Backend::Sqlite, haifeng()).await?;
    fed.add_user(COMM_A, "clerk", &["registrar"], PASSWORD)
        .await?;
    for unit in [TOWN_A, TOWN_B, COUNTY] {
        fed.add_user(unit, "handler", &["handler"], PASSWORD)
            .await?;
    }
    let driver = Driver::start(&chromium, &chromedriver).await?;

    let clerk = driver.browser().await?;
    sign_in(&clerk, &fed, COMM_A, "clerk").await?;
    clerk
        .goto(&format!("{}/register", console(&fed, COMM_A)))
        .await?;
    // The demand left out: refused by the service, shown beside its field.
    clerk.type_into("信访人", "张三").await?;
    clerk.type_into("联系电话", "13800138000").await?;
    clerk.pick("信访形式", "来访").await?;
    clerk.press("form[action='/register']", "登记").await?;
    let error = clerk.text_of("#content-error").await?;
    assert!(error.starts_with("诉求内容"), "{error}");
    // The rule in the reader's language, not the service's English.
    assert!(error.contains("不能为空"), "{error}");
    assert!(!error.contains("must not"), "{error}");
    assert_eq!(clerk.value_of("信访人").await?, "张三", "the value is kept");
    assert_eq!(clerk.value_of("联系电话").await?, "13800138000");
    assert_eq!(
        clerk
            .field("诉求内容")
            .await?
            .attr("aria-invalid")
            .await?
            .as_deref(),
        Some("true")
    );
    // A wrong identity number: the error names that field, the demand is kept.
    clerk
        .type_into("诉求内容", "小区道路破损，雨天积水")
        .await?;
    clerk.type_into("公民身份号码", "44152119800101001").await?;
    clerk.press("form[action='/register']", "登记").await?;
    let error = clerk.text_of("#id_number-error").await?;
    assert!(error.starts_with("公民身份号码"), "{error}");
    assert!(error.contains("应为18位（现为17位）"), "{error}");
    assert_eq!(clerk.value_of("诉求内容").await?, "小区道路破损，雨天积水");
    clerk.screenshot(&shots(), "register-refused").await?;
    // Corrected: registered.
    clerk
        .type_into("公民身份号码", &id_number("44152119800101001"))
        .await?;
    clerk.press("form[action='/register']", "登记").await?;
    let case_no = clerk.text_of("#case-no").await?;
    assert!(case_no.starts_with(COMM_A), "{case_no}");
    assert!(clerk.text_of("#registered").await?.contains(&case_no));
    assert_eq!(clerk.text_of("#petitioner").await?, "张三");
    // The petitioner's query code, in this answer only.
    let code = clerk.text_of("#query-code-value").await?;
    assert_eq!(code.len(), 19, "{code}");
    clerk.screenshot(&shots(), "case-registered").await?;
    clerk
        .goto(&format!("{}/case/{case_no}", console(&fed, COMM_A)))
        .await?;
    assert_eq!(clerk.text_of("#case-no").await?, case_no);
    assert!(!clerk.has("#query-code").await?, "the code is shown once");
    assert!(!clerk.page_text().await?.contains(&code));
    // Nothing half-written: the refused attempts left no case behind.
    assert_eq!(fed.list(COMM_A).await?, vec![case_no.clone()]);
    clerk.close().await?;

    let town = driver.browser().await?;
    sign_in(&town, &fed, TOWN_A, "handler").await?;
    let row = wait_on_worklist(&town, &fed, TOWN_A, "open-cases", &case_no).await?;
    assert!(row.contains("张三"), "{row}");
    town.screenshot(&shots(), "worklist-town").await?;
    town.close().await?;

    let county = driver.browser().await?;
    sign_in(&county, &fed, COUNTY, "handler").await?;
    wait_on_worklist(&county, &fed, COUNTY, "open-cases", &case_no).await?;
    county.close().await?;

    // The county holds it, so it has passed the point where a sibling would
    // have got it: the other township's worklist does not show it.
    let other = driver.browser().await?;
    sign_in(&other, &fed, TOWN_B, "handler").await?;
    other
        .goto(&format!("{}/work", console(&fed, TOWN_B)))
        .await?;
    let text = other.page_text().await?;
    assert!(!text.contains(&case_no), "{text}");
    assert!(!other.has(&format!("tr[data-case='{case_no}']")).await?);
    other.close().await?;
    drop(driver);
    fed.shutdown().await;
    Ok(())
}

both_stores! {
/// The county's handler screens and forwards a case to a town in the browser;
/// the town's worklist shows it with its deadline among what was sent to it; the
/// town objects; the county's case file shows the objection; the town finds the
/// case by searching. On both stores (the worklist's queries are SQL).
async fn a_forward_and_an_objection_in_the_browser(backend: Backend) -> anyhow::Result<()> {
    let test = concat!(module_path!(), "::", "a_forward_and_an_objection_in_the_browser");
    let Some((chromium, chromedriver)) = driver_or_skip(test) else {
        return Ok(());
    };
    let fed = Federation::start(backend, county_and_town()).await?;
    // The county's user also approves, and so may try to close.
    fed.add_user(COUNTY, "handler", &["handler", "approver"], PASSWORD)
        .await?;
    fed.add_user(TOWN_A, "handler", &["handler"], PASSWORD)
        .await?;
    let case_no = fed
        .register(COUNTY, "李四", "征地补偿未到位")
        .await?
        .case_no;
    let driver = Driver::start(&chromium, &chromedriver).await?;

    let county = driver.browser().await?;
    sign_in(&county, &fed, COUNTY, "handler").await?;
    let case_url = format!("{}/case/{case_no}", console(&fed, COUNTY));
    county.goto(&case_url).await?;
    county.open("details[data-step='screening']").await?;
    county
        .pick_in("details[data-step='screening']", "甄别结果", "受理")
        .await?;
    county
        .press("details[data-step='screening']", "甄别")
        .await?;
    county.text_when("#done", |t| t.contains("甄别")).await?;
    let due = in_days(20);
    county.open("details[data-step='forward']").await?;
    county
        .pick_in("details[data-step='forward']", "接收单位", "海城镇")
        .await?;
    county
        .set_date("details[data-step='forward']", "办理期限", &due)
        .await?;
    county.press("details[data-step='forward']", "转送").await?;
    county.text_when("#done", |t| t.contains("转送")).await?;
    assert_eq!(county.text_of("#handling-unit").await?, "海城镇");
    county.screenshot(&shots(), "case-forwarded").await?;

    let town = driver.browser().await?;
    sign_in(&town, &fed, TOWN_A, "handler").await?;
    let row = wait_on_worklist(&town, &fed, TOWN_A, "awaiting-cases", &case_no).await?;
    assert!(row.contains("李四"), "{row}");
    let deadline = town
        .text_of(&format!(
            "#awaiting-cases tr[data-case='{case_no}'] td:nth-child(6)"
        ))
        .await?;
    assert!(
        chrono::NaiveDate::parse_from_str(deadline.trim(), "%Y-%m-%d").is_ok(),
        "the town sees a deadline: {deadline:?}"
    );
    town.screenshot(&shots(), "worklist-awaiting").await?;
    // Search as typed: by the petitioner's name, and a name nobody has.
    town.type_into("案件编号或信访人", "李四").await?;
    town.press("form[role='search']", "筛选").await?;
    town.text_when("#open-cases", |t| t.contains(&case_no)).await?;
    town.type_into("案件编号或信访人", "无此人").await?;
    town.press("form[role='search']", "筛选").await?;
    town.text_when("#open-cases", |t| t == "暂无").await?;
    town.goto(&format!("{}/case/{case_no}", console(&fed, TOWN_A)))
        .await?;
    town.open("details[data-step='objection']").await?;
    town.type_in(
        "details[data-step='objection']",
        "理由",
        "不属本镇职权，应由县自然资源局办理",
    )
    .await?;
    town.press("details[data-step='objection']", "异议").await?;
    town.text_when("#done", |t| t.contains("异议")).await?;
    town.close().await?;

    let seen = wait_for("the objection at the county", PATIENCE, || async {
        county.goto(&case_url).await?;
        let t = county.text_of("#timeline").await?;
        Ok(t.contains("不属本镇职权").then_some(t))
    })
    .await?;
    assert!(seen.contains("异议") && seen.contains("海城镇"), "{seen}");
    county.screenshot(&shots(), "case-file-objection").await?;

    // Closing now: refused, each of the five conditions named beside the form.
    county.open("details[data-step='closure']").await?;
    county.press("details[data-step='closure']", "办结").await?;
    let refusal = county
        .text_of("details[data-step='closure'] .error")
        .await?;
    for condition in [
        "事实不清",
        "问题未处理到位",
        "无包案领导审批意见",
        "无信访人明确意见",
        "案卷不完整",
    ] {
        assert!(refusal.contains(condition), "{condition} in {refusal}");
    }
    let blockers = county.text_of("#blockers").await?;
    assert_eq!(blockers.lines().count(), 5, "{blockers}");
    county.screenshot(&shots(), "closure-refused").await?;
    county.close().await?;
    drop(driver);
    fed.shutdown().await;
    Ok(())
}
}

/// A viewer is offered no step, and a close forged from their browser is refused
/// by the service and audited; a form without the session's CSRF token, one sent
/// after signing out and one sent with an expired session are refused too; none
/// changes the case.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_stale_and_unauthorized_forms_change_nothing() -> anyhow::Result<()> {
    let test = "forged_stale_and_unauthorized_forms_change_nothing";
    let Some((chromium, chromedriver)) = driver_or_skip(test) else {
        return Ok(());
    };
    let fed = Federation::start(
        Backend::Sqlite,
        vec![(COUNTY, "海丰县", Tier::County, None)],
    )
    .await?;
    fed.add_user(COUNTY, "viewer", &["viewer"], PASSWORD)
        .await?;
    fed.add_user(COUNTY, "handler", &["handler"], PASSWORD)
        .await?;
    fed.add_user(COUNTY, "admin", &["administrator"], PASSWORD)
        .await?;
    let case_no = fed.register(COUNTY, "王五", "噪音扰民").await?.case_no;
    let before = record_count(&fed, &case_no).await?;
    let driver = Driver::start(&chromium, &chromedriver).await?;
    let base = console(&fed, COUNTY);
    let step_url = |kind: &str| format!("{base}/case/{case_no}/step/{kind}");

    // The viewer: the case file without a single step to take.
    let viewer = driver.browser().await?;
    sign_in(&viewer, &fed, COUNTY, "viewer").await?;
    viewer.goto(&format!("{base}/case/{case_no}")).await?;
    assert_eq!(viewer.text_of("#petitioner").await?, "王五");
    assert!(
        !viewer.has("details.step").await?,
        "a viewer is offered no step"
    );
    assert!(!viewer.has("#actions button").await?);
    viewer.screenshot(&shots(), "case-file-viewer").await?;
    // English on asking, remembered for the next page; Chinese again on asking.
    viewer
        .goto(&format!("{base}/case/{case_no}?lang=en"))
        .await?;
    assert!(viewer.text_of("h1").await?.starts_with("Case "));
    assert_eq!(viewer.text_of("#status").await?, "registered");
    viewer.goto(&format!("{base}/work")).await?;
    assert_eq!(viewer.text_of("h1").await?, "My work");
    viewer
        .goto(&format!("{base}/case/{case_no}?lang=zh"))
        .await?;
    // A close forged with the viewer's own session and CSRF token: the case
    // service refuses it and the audit log names the viewer.
    let csrf = csrf_on_page(&viewer).await?;
    forge(
        &viewer,
        &step_url("closure"),
        &[
            ("facts_clear", "on"),
            ("handled_in_place", "on"),
            ("file_complete", "on"),
        ],
        Some(&csrf),
    )
    .await?;
    viewer.text_when("h1", |t| t == "无权执行此操作").await?;
    let msg = viewer.text_of(".message").await?;
    assert!(
        msg.contains("viewer") && msg.contains("case.closure"),
        "{msg}"
    );
    let log = audit(&fed, COUNTY).await?;
    assert!(
        log.iter().any(|e| e.actor == "viewer"
            && e.action == "case.closure"
            && e.outcome == "refused"
            && e.target == case_no),
        "{log:?}"
    );
    // The audit log is not the viewer's to read: no link, and the page refuses.
    assert!(!viewer.has("a[href='/admin/audit']").await?);
    viewer.goto(&format!("{base}/admin/audit")).await?;
    viewer.text_when("h1", |t| t == "无权执行此操作").await?;
    viewer.close().await?;

    // The administrator reads the refusal in the console's audit log.
    let admin = driver.browser().await?;
    sign_in(&admin, &fed, COUNTY, "admin").await?;
    admin.goto(&format!("{base}/admin/audit?refused=1")).await?;
    let row = admin
        .text_of("#audit tr[data-action='case.closure']")
        .await?;
    assert!(
        row.contains("viewer") && row.contains(&case_no) && row.contains("已拒绝"),
        "{row}"
    );
    admin.screenshot(&shots(), "audit-log").await?;
    admin.goto(&format!("{base}/admin/users")).await?;
    let row = admin.text_of("#users tr[data-user='viewer']").await?;
    assert!(row.contains("查阅") && row.contains("启用"), "{row}");
    admin.close().await?;

    // The handler: a note without the CSRF token is refused before any service.
    let handler = driver.browser().await?;
    sign_in(&handler, &fed, COUNTY, "handler").await?;
    handler.goto(&format!("{base}/case/{case_no}")).await?;
    forge(
        &handler,
        &step_url("progress"),
        &[("text", "伪造的进展")],
        None,
    )
    .await?;
    handler
        .text_when("body", |t| t.contains("防伪令牌"))
        .await?;
    let log = audit(&fed, COUNTY).await?;
    assert!(
        log.iter()
            .any(|e| e.actor == "handler" && e.action == "console.form" && e.outcome == "refused"),
        "{log:?}"
    );
    // An expired session: the form was loaded, then the token ran out.
    handler.goto(&format!("{base}/case/{case_no}")).await?;
    handler.open("details[data-step='progress']").await?;
    handler
        .type_in("details[data-step='progress']", "内容", "会话过期后提交")
        .await?;
    let db = fed.db(COUNTY).await?;
    sqlx::query("UPDATE node_tokens SET expires_ms = 1 WHERE user_name = 'handler'")
        .execute(db.pool())
        .await?;
    handler
        .press("details[data-step='progress']", "办理进展")
        .await?;
    handler
        .text_when("body", |t| t.contains("请重新登录"))
        .await?;
    // Signed out: the old page's form no longer works, and pages ask to sign in.
    sign_in(&handler, &fed, COUNTY, "handler").await?;
    handler.goto(&format!("{base}/case/{case_no}")).await?;
    let csrf = csrf_on_page(&handler).await?;
    handler
        .press("header form[action='/logout']", "退出")
        .await?;
    handler.text_when("h1", |t| t == "登录").await?;
    handler.goto(&format!("{base}/case/{case_no}")).await?;
    forge(
        &handler,
        &step_url("progress"),
        &[("text", "退出后提交")],
        Some(&csrf),
    )
    .await?;
    handler
        .text_when("body", |t| t.contains("请重新登录"))
        .await?;
    handler.goto(&format!("{base}/work")).await?;
    assert_eq!(handler.text_of("h1").await?, "登录");
    handler.close().await?;

    assert_eq!(
        record_count(&fed, &case_no).await?,
        before,
        "no refused form wrote anything"
    );
    drop(driver);
    fed.shutdown().await;
    Ok(())
}

/// A node with `--insecure` (plaintext) and its console at `console`.
fn plaintext_node(
    dir: &std::path::Path,
    console: std::net::SocketAddr,
) -> anyhow::Result<xinfang_node::server::NodeConfig> {
    use std::sync::Arc;
    use xinfang_hub::net::Security;
    use xinfang_hub::{HubConfig, Topology, Unit};
    let topology = Topology::from_units(vec![Unit {
        code: code(COUNTY),
        name: "海丰县".into(),
        tier: Tier::County,
        parent: None,
        listen: "127.0.0.1:1".into(),
        api: None,
        kind: Default::default(),
        attributes: Default::default(),
    }])?;
    Ok(xinfang_node::server::NodeConfig {
        unit: code(COUNTY),
        topology: Arc::new(topology),
        data_dir: dir.join("data"),
        db: None,
        security: Security::Insecure,
        durability: Default::default(),
        hub: HubConfig::default(),
        match_key: None,
        limits: None,
        rules_dirs: Vec::new(),
        clock: None,
        metrics_listen: None,
        api: None,
        token_ttl: std::time::Duration::from_secs(3600),
        pii_clear_roles: xinfang_node::pii::DEFAULT_CLEAR_ROLES.to_vec(),
        console: Some(xinfang_node::server::ConsoleListen::Addr(console)),
        outbox: None,
        public: None,
        api_limits: Default::default(),
    })
}

/// Without TLS the console stays on this machine: an address beyond loopback is
/// refused before anything is opened, as the API's is; on loopback it serves
/// plain HTTP, and a page asks a signed-out browser to sign in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plaintext_console_stays_on_loopback() -> anyhow::Result<()> {
    use xinfang_node::server::{self, StartError};
    let dir = tempfile::tempdir()?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let cfg = plaintext_node(dir.path(), "0.0.0.0:0".parse()?)?;
    match server::start(cfg, listener).await {
        Err(e @ StartError::ConsoleExposed { .. }) => {
            let msg = e.to_string();
            assert!(msg.contains("0.0.0.0") && msg.contains("TLS"), "{msg}");
        }
        Err(other) => anyhow::bail!("refused for another reason: {other}"),
        Ok(node) => {
            node.shutdown().await;
            anyhow::bail!("a plaintext console on 0.0.0.0 started");
        }
    }
    assert!(
        !dir.path().join("data").exists(),
        "nothing is opened before the check"
    );

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let node = server::start(
        plaintext_node(dir.path(), "127.0.0.1:0".parse()?)?,
        listener,
    )
    .await?;
    let at = node.console_addr.context("the console's address")?;
    let (status, content_type, body) = http_get(at, "/login").await?;
    assert_eq!(status, 200);
    assert!(content_type.starts_with("text/html"), "{content_type}");
    assert!(
        body.contains("<label for=\"user\">用户名</label>"),
        "{body}"
    );
    let (status, ..) = http_get(at, "/work").await?;
    assert_eq!(status, 303, "a signed-out browser is sent to sign in");
    let (status, content_type, css) = http_get(at, "/assets/console.css").await?;
    assert_eq!(status, 200);
    assert!(content_type.starts_with("text/css") && css.contains("Microsoft YaHei"));
    node.shutdown().await;
    Ok(())
}

/// The console's reports page for the signed-in user's unit: a rate's number,
/// clicked, lists exactly the cases behind it (as the report service's drill-down
/// names them), each a link to its case file; the administrator's links page
/// shows the child's link connected, and a non-administrator is neither offered
/// it nor shown it. The filing board answers for the unit below.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_on_the_reports_page_lists_the_cases_behind_it() -> anyhow::Result<()> {
    let test = "a_rate_on_the_reports_page_lists_the_cases_behind_it";
    let Some((chromium, chromedriver)) = driver_or_skip(test) else {
        return Ok(());
    };
    let fed = Federation::start(Backend::Sqlite, county_and_town()).await?;
    fed.add_user(COUNTY, "leader", &["reviewer"], PASSWORD)
        .await?;
    fed.add_user(COUNTY, "admin", &["administrator"], PASSWORD)
        .await?;
    // Four petitions at the county, two of them accepted today.
    let mut all = Vec::new();
    for (who, what) in [
        ("甲", "道路破损"),
        ("乙", "噪声扰民"),
        ("丙", "工资拖欠"),
        ("丁", "物业纠纷"),
    ] {
        all.push(fed.register(COUNTY, who, what).await?.case_no);
    }
    for no in &all[..2] {
        fed.act(
            COUNTY,
            no,
            serde_json::json!({"kind": "screening", "decision": {"decision": "accept"}}),
        )
        .await?;
    }
    // What the report service says is behind each number.
    let service = ReportsClient::new(fed.channel(COUNTY).await?);
    let behind = |rate: &str, part: &str| {
        let req = pb::ReportRequest {
            rate: rate.into(),
            part: part.into(),
            ..Default::default()
        };
        let mut s = service.clone();
        async move { anyhow::Ok(s.cases(req).await?.into_inner().case_nos) }
    };
    let accepted = behind("timely_acceptance", "numerator").await?;
    let mut want = all[..2].to_vec();
    want.sort();
    assert_eq!(accepted, want, "the service's drill-down");
    let everyone = behind("repeat", "denominator").await?;
    assert_eq!(everyone.len(), 4, "{everyone:?}");

    let driver = Driver::start(&chromium, &chromedriver).await?;
    let leader = driver.browser().await?;
    sign_in(&leader, &fed, COUNTY, "leader").await?;
    let base = console(&fed, COUNTY);
    leader.goto(&format!("{base}/reports")).await?;
    leader.text_when("h1", |t| t.starts_with("报表")).await?;
    assert!(
        leader.has("label[for='month']").await?,
        "the month picker is labelled"
    );
    let row = "#rates tr[data-rate='timely_acceptance']";
    let numerator = leader.text_of(&format!("{row} a.numerator")).await?;
    assert_eq!(numerator, "2");
    let summary = leader.text_of("#summary tr[data-key='registered']").await?;
    assert!(summary.contains('4'), "{summary}");
    leader.screenshot(&shots(), "reports").await?;
    // Clicked: exactly the cases the service names.
    let listed = |b: &Browser| {
        let b = b.client.clone();
        async move {
            let mut out = Vec::new();
            for a in b
                .find_all(fantoccini::Locator::Css("#cases a[data-case]"))
                .await?
            {
                out.push(a.text().await?);
            }
            anyhow::Ok(out)
        }
    };
    leader
        .client
        .find(fantoccini::Locator::Css(&format!("{row} a.numerator")))
        .await?
        .click()
        .await?;
    leader.text_when("#total", |t| t == "2").await?;
    assert_eq!(listed(&leader).await?, accepted);
    leader.screenshot(&shots(), "reports-cases").await?;
    leader.goto(&format!("{base}/reports")).await?;
    leader
        .client
        .wait()
        .at_most(PATIENCE)
        .for_element(fantoccini::Locator::Css(
            "#rates tr[data-rate='repeat'] a.denominator",
        ))
        .await?
        .click()
        .await?;
    leader.text_when("#total", |t| t == "4").await?;
    assert_eq!(listed(&leader).await?, everyone);
    // Each case listed opens its case file.
    leader
        .client
        .find(fantoccini::Locator::Css(&format!(
            "#cases a[data-case='{}']",
            everyone[0]
        )))
        .await?
        .click()
        .await?;
    leader
        .text_when("h1", |t| t.contains(everyone[0].as_str()))
        .await?;
    // Not an administrator: no links page offered, and refused when asked.
    assert!(!leader.has("a[href='/admin/links']").await?);
    leader.goto(&format!("{base}/admin/links")).await?;
    leader.text_when("h1", |t| t == "无权执行此操作").await?;
    assert!(!leader.has("#links").await?);
    // The filing board for the town below.
    leader.goto(&format!("{base}/filings")).await?;
    let town = leader
        .text_of(&format!("#filings tr[data-unit='{TOWN_A}']"))
        .await?;
    assert!(town.contains("海城镇"), "{town}");
    leader.screenshot(&shots(), "filings").await?;
    leader.close().await?;

    let admin = driver.browser().await?;
    sign_in(&admin, &fed, COUNTY, "admin").await?;
    admin
        .client
        .find(fantoccini::Locator::Css("a[href='/admin/links']"))
        .await?
        .click()
        .await?;
    let link = format!("#links tr[data-peer='{TOWN_A}']");
    wait_for("the town's link connected", PATIENCE, || async {
        admin.goto(&format!("{base}/admin/links")).await?;
        Ok(admin
            .has(&format!("{link}[data-connected='true']"))
            .await?
            .then_some(()))
    })
    .await?;
    let shown = admin.text_of(&link).await?;
    assert!(
        shown.contains("海城镇") && shown.contains("下级"),
        "{shown}"
    );
    assert_eq!(admin.text_of(&format!("{link} td.connected")).await?, "是");
    admin.screenshot(&shots(), "links").await?;
    admin.close().await?;
    drop(driver);
    fed.shutdown().await;
    Ok(())
}
