//! The owned-case library (包案案件库, seed 002) across real nodes: the city
//! office lists a town's case in its library, reports it to the vice-mayor
//! whose portfolio covers it, and once the vice-mayor owns it the case is on
//! the public page's list without anything that names the petitioner. Bad
//! entries are refused by rule, nothing written. In a real browser, a handler
//! lists a case from its page and finds it in the library with the leader the
//! portfolio suggests, and the leaders still without a case.

use std::collections::BTreeMap;

use serde_json::json;
use xinfang_proto::v1 as pb;
use xinfang_tests::console::*;
use xinfang_tests::webdriver::{Driver, driver_or_skip};
use xinfang_tests::*;

/// The city's leaders (Shenzhen's rules: vice-mayors own cases), with their
/// portfolios (分管工作).
const LEADERS: [(&str, &str, &str, &str); 3] = [
    ("王书记", "市委书记", "principal", "全面工作"),
    ("李副市长", "副市长", "in_charge", "自然资源、征地拆迁"),
    ("周副市长", "副市长", "member", "教育、卫生健康"),
];

async fn roster(fed: &Federation) -> anyhow::Result<()> {
    for (name, position, role, portfolio) in LEADERS {
        fed.schedules(COUNTY)
            .await?
            .put_leader(pb::PutLeaderRequest {
                unit: COUNTY.into(),
                leader: Some(pb::Leader {
                    name: name.into(),
                    position: position.into(),
                    role: role.into(),
                    portfolio: portfolio.into(),
                    active: true,
                    ..Default::default()
                }),
            })
            .await?;
    }
    Ok(())
}

async fn shenzhen(backend: Backend) -> anyhow::Result<Federation> {
    let clock = TestClock::at("2026-01-05T09:00:00+08:00")?;
    let rules = BTreeMap::from([(COUNTY, "shenzhen-city")]);
    let fed = Federation::start_at(backend, county_and_town(), clock.clock(), rules).await?;
    roster(&fed).await?;
    Ok(fed)
}

async fn kinds_at(fed: &Federation, unit: &str, no: &str) -> anyhow::Result<Vec<String>> {
    Ok(fed
        .case_at(unit, no)
        .await?
        .map(|c| c.records.into_iter().map(|r| r.kind).collect())
        .unwrap_or_default())
}

fn entry(title: &str) -> serde_json::Value {
    json!({"kind": "library_entry", "area": "征地拆迁", "public_title": title,
           "reason": "群众反映强烈，多次重复信访"})
}

both_stores! {
async fn a_library_case_is_reported_by_portfolio_and_published_once_owned(backend: Backend) -> anyhow::Result<()> {
    let fed = shenzhen(backend).await?;
    let case = fed
        .client(TOWN_A)
        .await?
        .register_case(pb::RegisterCaseRequest {
            unit: TOWN_A.into(),
            petitioner: "赵六".into(),
            content: "某村征地补偿款迟迟未发放".into(),
            phone: "13800138000".into(),
            ..Default::default()
        })
        .await?
        .into_inner();
    let no = case.case_no.clone();
    wait_for("the case at the city", PATIENCE, || async {
        fed.case_at(COUNTY, &no).await
    })
    .await?;
    let before = kinds_at(&fed, COUNTY, &no).await?.len();

    // Reported before it is listed; a published title naming the petitioner,
    // or carrying the phone: refused by rule, nothing written.
    let proposal = |leader: &str| {
        json!({"kind": "ownership_proposal", "leader": leader, "basis": "分管征地拆迁"})
    };
    let err = fed.act(COUNTY, &no, proposal("李副市长")).await.unwrap_err();
    assert!(err.to_string().contains("library.not_listed"), "{err}");
    assert_eq!(kinds_at(&fed, COUNTY, &no).await?.len(), before);
    let with_id = format!("征地补偿问题（{}）", id_number("44152119750505321"));
    for title in [
        "赵六反映征地补偿问题",
        "征地补偿问题（联系电话13800138000）",
        with_id.as_str(),
    ] {
        let err = fed.act(COUNTY, &no, entry(title)).await.unwrap_err();
        assert!(
            err.to_string().contains("library.public_title_personal"),
            "{err}"
        );
    }
    assert_eq!(kinds_at(&fed, COUNTY, &no).await?.len(), before);

    fed.act(COUNTY, &no, entry("某村征地补偿款发放问题")).await?;
    let err = fed.act(COUNTY, &no, entry("又一次")).await.unwrap_err();
    assert!(err.to_string().contains("library.once"), "{err}");
    // A leader who is not on the roster; the town, whose library it is not.
    let err = fed.act(COUNTY, &no, proposal("不存在的领导")).await.unwrap_err();
    assert!(err.to_string().contains("library.leader_on_roster"), "{err}");
    let err = fed.act(TOWN_A, &no, proposal("李副市长")).await.unwrap_err();
    assert!(err.to_string().contains("library.not_listed"), "{err}");

    // Listed and reported, not yet agreed: nothing is published.
    fed.act(COUNTY, &no, proposal("李副市长")).await?;
    let (status, _, page) = http_get(fed.public_addr(COUNTY), "/owned").await?;
    assert_eq!(status, 200);
    assert!(page.contains("暂无公示的包案事项"), "{page}");

    // The vice-mayor agrees: the ownership record. Now it is published, with
    // the matter as the office wrote it, and nothing of the petitioner's.
    fed.act(
        COUNTY,
        &no,
        json!({"kind": "ownership", "leader": "李副市长",
               "work_group": ["王科长（市规划和自然资源局）"]}),
    )
    .await?;
    let (_, _, page) = http_get(fed.public_addr(COUNTY), "/owned").await?;
    for shown in ["某村征地补偿款发放问题", "征地拆迁", "副市长 李副市长", "海城镇", "办理中"] {
        assert!(page.contains(shown), "{shown} not in {page}");
    }
    for hidden in ["赵六", "13800138000", "迟迟未发放", no.as_str()] {
        assert!(!page.contains(hidden), "{hidden} published in {page}");
    }
    // The town holds the library's records with the case.
    wait_for("the library's records at the town", PATIENCE, || async {
        let kinds = kinds_at(&fed, TOWN_A, &no).await?;
        Ok((kinds.iter().any(|k| k == "library_entry")
            && kinds.iter().any(|k| k == "ownership_proposal"))
        .then_some(()))
    })
    .await?;
    fed.shutdown().await;
    Ok(())
}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_lists_a_case_and_finds_the_leader_its_portfolio_suggests() -> anyhow::Result<()>
{
    let test = "a_handler_lists_a_case_and_finds_the_leader_its_portfolio_suggests";
    let Some((chromium, chromedriver)) = driver_or_skip(test) else {
        return Ok(());
    };
    let fed = shenzhen(Backend::Sqlite).await?;
    fed.add_user(COUNTY, "handler", &["handler"], PASSWORD)
        .await?;
    let no = fed.register(TOWN_A, "钱九", "征地补偿纠纷").await?.case_no;
    wait_for("the case at the city", PATIENCE, || async {
        fed.case_at(COUNTY, &no).await
    })
    .await?;
    let driver = Driver::start(&chromium, &chromedriver).await?;
    let b = driver.browser().await?;
    sign_in(&b, &fed, COUNTY, "handler").await?;
    b.goto(&format!("{}/case/{no}", console(&fed, COUNTY)))
        .await?;
    let form = "details[data-step='library_entry']";
    b.open(form).await?;
    b.type_in(form, "重点领域或群体", "征地拆迁").await?;
    b.type_in(
        form,
        "公示事由（不含姓名、证件号、电话）",
        "钱九征地补偿纠纷",
    )
    .await?;
    b.type_in(form, "理由", "重复信访").await?;
    b.press(form, "列入包案案件库").await?;
    let refusal = b.text_of(&format!("{form} .error")).await?;
    assert!(
        refusal.contains("library.public_title_personal"),
        "{refusal}"
    );
    b.type_in(
        form,
        "公示事由（不含姓名、证件号、电话）",
        "某村征地补偿纠纷",
    )
    .await?;
    b.press(form, "列入包案案件库").await?;
    b.text_when("#done", |t| t.contains("列入包案案件库"))
        .await?;

    // The library: the case, the vice-mayor whose portfolio covers it, and
    // both vice-mayors still without a case (the secretary is not bound).
    b.goto(&format!("{}/library", console(&fed, COUNTY)))
        .await?;
    let row = format!("#library-cases tr[data-case='{no}']");
    assert!(b.text_of(&format!("{row} .suggested")).await? == "李副市长");
    let uncovered = b.text_of("#leaders-without-case").await?;
    assert!(
        uncovered.contains("李副市长") && uncovered.contains("周副市长"),
        "{uncovered}"
    );
    assert!(!uncovered.contains("王书记"), "{uncovered}");

    // Reported to the suggested leader from the case's page: the library
    // shows the proposal and the leader is covered.
    b.goto(&format!("{}/case/{no}", console(&fed, COUNTY)))
        .await?;
    let form = "details[data-step='ownership_proposal']";
    b.open(form).await?;
    b.type_in(form, "领导", "李副市长").await?;
    b.type_in(form, "所属分管工作", "分管征地拆迁").await?;
    b.press(form, "呈报领导包案").await?;
    b.text_when("#done", |t| t.contains("呈报领导包案")).await?;
    b.goto(&format!("{}/library", console(&fed, COUNTY)))
        .await?;
    assert!(
        b.text_of(&format!("{row} .proposed"))
            .await?
            .contains("李副市长")
    );
    let uncovered = b.text_of("#leaders-without-case").await?;
    assert!(!uncovered.contains("李副市长") && uncovered.contains("周副市长"));
    b.screenshot(&shots(), "owned-case-library").await?;
    b.close().await?;
    drop(driver);
    fed.shutdown().await;
    Ok(())
}
