//! The reports page's breakdowns and trend: by unit below, by category and by
//! month, each drawn in the page as inline SVG with Chinese labels, and each
//! table downloaded as the CLI writes it (CSV with BOM, XLSX).

use xinfang_tests::console::*;
use xinfang_tests::webdriver::{Browser, Driver, driver_or_skip};
use xinfang_tests::*;

/// The bytes the browser downloads from `path`, fetched with its own session.
async fn fetched(b: &Browser, path: &str) -> anyhow::Result<Vec<u8>> {
    let v = b
        .client
        .execute_async(
            "const [path, done] = arguments;
             fetch(path, { credentials: 'same-origin' })
               .then(r => r.arrayBuffer())
               .then(buf => done(Array.from(new Uint8Array(buf))))
               .catch(e => done(null));",
            vec![serde_json::json!(path)],
        )
        .await?;
    Ok(serde_json::from_value(v)?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn breakdowns_and_trend_are_charted_and_download_as_the_cli_writes_them() -> anyhow::Result<()>
{
    let test = "breakdowns_and_trend_are_charted_and_download_as_the_cli_writes_them";
    let Some((chromium, chromedriver)) = driver_or_skip(test) else {
        return Ok(());
    };
    let fed = Federation::start(Backend::Sqlite, county_and_town()).await?;
    fed.add_user(COUNTY, "leader", &["reviewer"], PASSWORD)
        .await?;
    for (who, what) in [("甲", "道路破损"), ("乙", "噪声扰民"), ("丙", "工资拖欠")] {
        fed.register(COUNTY, who, what).await?;
    }
    let mut town = Vec::new();
    for (who, what) in [("丁", "物业纠纷"), ("戊", "宅基地纠纷")] {
        town.push(fed.register(TOWN_A, who, what).await?.case_no);
    }
    for no in &town {
        wait_for("the town's cases at the county", PATIENCE, || async {
            fed.case_at(COUNTY, no).await
        })
        .await?;
    }

    let driver = Driver::start(&chromium, &chromedriver).await?;
    let leader = driver.browser().await?;
    sign_in(&leader, &fed, COUNTY, "leader").await?;
    let base = console(&fed, COUNTY);
    let by_town = format!("#by-unit tr[data-key='{TOWN_A}']");
    let row = wait_for("the town's row in the breakdown", PATIENCE, || async {
        leader.goto(&format!("{base}/reports")).await?;
        let t = leader.text_of(&by_town).await?;
        Ok(t.contains("海城镇").then_some(t))
    })
    .await?;
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(cells.get(1), Some(&"2"), "two at the town: {row}");
    let own = leader
        .text_of(&format!("#by-unit tr[data-key='{COUNTY}']"))
        .await?;
    assert!(
        own.contains("本级") && own.split_whitespace().nth(1) == Some("3"),
        "{own}"
    );
    // The bars carry the same figures, with the Chinese labels.
    let bar = leader
        .client
        .find(fantoccini::Locator::Css(
            "#by-unit-chart g[data-label='海城镇']",
        ))
        .await?;
    assert_eq!(bar.attr("data-value").await?.as_deref(), Some("2"));
    assert!(leader.has("#by-category").await? && leader.has("#by-category-chart").await?);
    // The trend: twelve months up to this one, whose column holds all five.
    let columns = leader
        .client
        .find_all(fantoccini::Locator::Css("#trend-chart g"))
        .await?;
    assert_eq!(columns.len(), 12, "twelve months");
    let last = columns.last().map(|c| c.attr("data-value"));
    match last {
        Some(v) => assert_eq!(v.await?.as_deref(), Some("5")),
        None => anyhow::bail!("no month drawn"),
    }
    let label = leader
        .text_of("#trend-chart g:last-of-type text:last-of-type")
        .await?;
    assert!(label.ends_with('月'), "{label}");
    leader.screenshot(&shots(), "reports-breakdowns").await?;

    // The downloads: a CSV with a BOM and the table's title and rows; an XLSX.
    let href = leader
        .client
        .find(fantoccini::Locator::Css(
            "p.downloads[data-table='unit'] a[href*='format=csv']",
        ))
        .await?
        .attr("href")
        .await?
        .unwrap_or_default();
    let csv = fetched(&leader, &href).await?;
    assert!(csv.starts_with(b"\xEF\xBB\xBF"), "a BOM for Excel");
    let text = String::from_utf8(csv[3..].to_vec())?;
    assert!(
        text.contains("分单位统计") && text.contains("海城镇"),
        "{text}"
    );
    assert!(text.lines().any(|l| l.starts_with("合计,5")), "{text}");
    let xlsx = fetched(&leader, &href.replace("format=csv", "format=xlsx")).await?;
    assert!(xlsx.starts_with(b"PK"), "an XLSX is a zip");
    leader.close().await?;
    drop(driver);
    fed.shutdown().await;
    Ok(())
}
