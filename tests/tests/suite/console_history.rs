//! 信访人查询 in a real headless Chromium: the county's handler types a
//! petitioner's identity number and sees every case of that person held at the
//! county, from both towns, the repeat linked to the case it repeats, and the
//! same by phone alone; a number
//! that is not one is refused beside the field, in Chinese. The number is posted,
//! never put in the page's address, and the search is in the audit log.

use xinfang_proto::v1 as pb;
use xinfang_proto::v1::accounts_client::AccountsClient;
use xinfang_tests::console::*;
use xinfang_tests::webdriver::{Driver, driver_or_skip};
use xinfang_tests::*;

fn petition(unit: &str, id: &str, content: &str) -> pb::RegisterCaseRequest {
    pb::RegisterCaseRequest {
        unit: unit.into(),
        petitioner: "孙七".into(),
        content: content.into(),
        id_number: id.into(),
        // The same phone for the same person (the stranger's differs below).
        phone: format!("1380013{}", &id[14..18]),
        channel: "visit".into(),
        category: "land".into(),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_petitioners_history_is_found_by_identity_number_across_both_towns() -> anyhow::Result<()>
{
    let test = "a_petitioners_history_is_found_by_identity_number_across_both_towns";
    let Some((chromium, chromedriver)) = driver_or_skip(test) else {
        return Ok(());
    };
    let fed = Federation::start(Backend::Sqlite, haifeng()).await?;
    fed.add_user(COUNTY, "handler", &["handler"], PASSWORD)
        .await?;
    let id = id_number("44152119750505321");
    let register = |unit: &'static str, id: String, content: &'static str| {
        let fed = &fed;
        async move {
            anyhow::Ok(
                fed.client(unit)
                    .await?
                    .register_case(petition(unit, &id, content))
                    .await?
                    .into_inner(),
            )
        }
    };
    let first = register(COMM_A, id.clone(), "征地补偿款未足额发放").await?;
    let again = register(COMM_A, id.clone(), "征地补偿款仍未发放").await?;
    let other_town = register(COMM_B, id.clone(), "宅基地纠纷").await?;
    let stranger = register(COMM_B, id_number("44152119900202234"), "拖欠工资").await?;
    assert_eq!(again.repeat_of, first.case_no);
    for c in [&first, &again, &other_town, &stranger] {
        wait_for(
            &format!("{} at the county", c.case_no),
            PATIENCE,
            || async { fed.case_at(COUNTY, &c.case_no).await },
        )
        .await?;
    }

    let driver = Driver::start(&chromium, &chromedriver).await?;
    let b = driver.browser().await?;
    sign_in(&b, &fed, COUNTY, "handler").await?;
    b.goto(&format!("{}/history", console(&fed, COUNTY)))
        .await?;
    // A number one digit short: refused beside the field, the rule in Chinese.
    b.type_into("公民身份号码", &id[..17]).await?;
    b.press("form[action='/history']", "查询").await?;
    let error = b.text_of("#id_number-error").await?;
    assert!(error.contains("应为18位（现为17位）"), "{error}");
    assert_eq!(
        b.value_of("公民身份号码").await?,
        &id[..17],
        "the value is kept"
    );
    // The whole number: the three cases of that person, from both towns.
    b.type_into("公民身份号码", &id).await?;
    b.press("form[action='/history']", "查询").await?;
    let listed = b
        .text_when("#history-cases", |t| t.contains(&other_town.case_no))
        .await?;
    for c in [&first, &again, &other_town] {
        assert!(
            listed.contains(&c.case_no),
            "{} missing: {listed}",
            c.case_no
        );
    }
    assert!(!listed.contains(&stranger.case_no), "{listed}");
    assert!(
        listed.contains("梅陇镇") || listed.contains("新城社区"),
        "{listed}"
    );
    let repeat = b
        .text_of(&format!("tr[data-case='{}'] td.repeat", again.case_no))
        .await?;
    assert_eq!(repeat, first.case_no);
    let url = b.client.current_url().await?;
    assert!(
        !url.as_str().contains(&id),
        "the number in the address: {url}"
    );
    b.screenshot(&shots(), "petitioner-history").await?;
    // Nothing typed: asked for one of the two; by phone alone: the same three.
    b.type_into("公民身份号码", "").await?;
    b.press("form[action='/history']", "查询").await?;
    let asked = b.text_of("#id_number-error").await?;
    assert!(asked.contains("请填写公民身份号码或联系电话"), "{asked}");
    b.type_into("联系电话", &format!("1380013{}", &id[14..18]))
        .await?;
    b.press("form[action='/history']", "查询").await?;
    let listed = b
        .text_when("#history-cases", |t| t.contains(&other_town.case_no))
        .await?;
    for c in [&first, &again, &other_town] {
        assert!(
            listed.contains(&c.case_no),
            "{} missing: {listed}",
            c.case_no
        );
    }
    assert!(!listed.contains(&stranger.case_no), "{listed}");

    // The search is audited under the keyed hash; the refused number searched nothing.
    let audit = AccountsClient::new(fed.operator_channel(COUNTY).await?)
        .audit(pb::AuditRequest {
            limit: 1000,
            ..Default::default()
        })
        .await?
        .into_inner()
        .entries;
    let searched: Vec<_> = audit
        .iter()
        .filter(|e| e.action.starts_with("case.search.") && e.actor == "handler")
        .collect();
    assert_eq!(searched.len(), 2, "{audit:?}");
    assert!(!searched[0].reason.contains(&id));
    b.close().await?;
    fed.shutdown().await;
    Ok(())
}
