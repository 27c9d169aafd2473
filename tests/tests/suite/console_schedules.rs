//! Reception schedules (接访安排) in the staff console, in a real browser: a
//! clerk types next month's schedule into the grid and sees the unit's quota
//! rule broken before saving; bad input comes back with the values kept and the
//! error beside its row; the leader in charge reviews; the principal's approval
//! is refused without an override reason and accepted with one; the clerk
//! publishes and adjusts a day; the county's filing board shows the town's filing on time and a
//! town that filed nothing as missing, and opens the filed table.
//!
//! Screenshots go to `target/console-screenshots/` (as `console.rs` writes them).

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Context;
use xinfang_proto::v1 as pb;
use xinfang_tests::webdriver::{Browser, Driver, driver_or_skip};
use xinfang_tests::*;

const PASSWORD: &str = "console-password";

fn shots() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"))
        .join("console-screenshots")
}

fn console(fed: &Federation, unit: &str) -> String {
    format!("https://{}", fed.console_addr(unit))
}

async fn sign_in(b: &Browser, fed: &Federation, unit: &str, user: &str) -> anyhow::Result<()> {
    b.goto(&format!("{}/login", console(fed, unit))).await?;
    b.type_into("用户名", user).await?;
    b.type_into("密码", PASSWORD).await?;
    b.press("form[action='/login']", "登录").await?;
    b.text_when("h1", |t| t == "我的待办")
        .await
        .with_context(|| format!("signing in as {user} at {unit}"))?;
    Ok(())
}

/// The days of `m` by the shipped calendar: (working, not working).
fn days(m: &str) -> (Vec<String>, Vec<String>) {
    let cal = xinfang_node::rules::calendar::HolidayCalendar::official().expect("calendar");
    let m: xinfang_node::schedule::model::Month = m.parse().expect("month");
    let (work, off): (Vec<_>, Vec<_>) = m.days().partition(|d| cal.is_working_day(*d));
    (
        work.iter().map(ToString::to_string).collect(),
        off.iter().map(ToString::to_string).collect(),
    )
}

/// Scrolls the element at `css` into view (for the screenshot a person would
/// look at).
async fn show(b: &Browser, css: &str) -> anyhow::Result<()> {
    b.client
        .execute(
            "const e = document.querySelector(arguments[0]); if (e) e.scrollIntoView({block: 'center'});",
            vec![serde_json::json!(css)],
        )
        .await?;
    Ok(())
}

/// Clicks the grid's box of `leader` on `day` (found by its label, as a
/// screen reader names it) unless it already shows `on`.
async fn tick(b: &Browser, day: &str, leader: &str, on: bool) -> anyhow::Result<()> {
    let f = b.field_in("#grid", &format!("{day} {leader}")).await?;
    // As a person scrolls the row to the middle of the screen.
    b.client
        .execute(
            "arguments[0].scrollIntoView({block: 'center'});",
            vec![serde_json::to_value(&f)?],
        )
        .await?;
    if f.is_selected().await? != on {
        f.click().await?;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schedule_typed_into_the_grid_is_checked_approved_with_a_reason_and_filed()
-> anyhow::Result<()> {
    let test = "a_schedule_typed_into_the_grid_is_checked_approved_with_a_reason_and_filed";
    let Some((chromium, chromedriver)) = driver_or_skip(test) else {
        return Ok(());
    };
    let clock = TestClock::at("2026-03-05T10:00:00+08:00")?;
    let rules = BTreeMap::from([
        (COUNTY, "haifeng-county"),
        (TOWN_A, "haifeng-big-town"),
        (TOWN_B, "haifeng-big-town"),
    ]);
    let fed = Federation::start_at(Backend::Sqlite, haifeng(), clock.clock(), rules).await?;
    for (user, role) in [
        ("clerk", "handler"),
        ("chen", "reviewer"),
        ("lin", "approver"),
    ] {
        fed.add_user(TOWN_A, user, &[role], PASSWORD).await?;
    }
    fed.add_user(COUNTY, "leader", &["viewer"], PASSWORD)
        .await?;
    // The town's roster: the principal and the leader in charge.
    let mut api = fed.schedules(TOWN_A).await?;
    for (name, role) in [("林书记", "principal"), ("陈副书记", "in_charge")] {
        api.put_leader(pb::PutLeaderRequest {
            unit: TOWN_A.into(),
            leader: Some(pb::Leader {
                name: name.into(),
                position: format!("{name}的职务"),
                portfolio: String::new(),
                role: role.into(),
                active: true,
                ..Default::default()
            }),
        })
        .await?;
    }
    let month = "2026-04";
    let (working, off) = days(month);
    let short_day = working[0].clone();
    let off_day = off[0].clone();
    let driver = Driver::start(&chromium, &chromedriver).await?;

    // The clerk opens next month's grid.
    let clerk = driver.browser().await?;
    sign_in(&clerk, &fed, TOWN_A, "clerk").await?;
    clerk
        .client
        .find(fantoccini::Locator::Css("a[href='/schedules']"))
        .await?
        .click()
        .await?;
    clerk.text_when("h1", |t| t.contains(month)).await?;
    assert!(
        !clerk.has("details[data-step='review']").await?
            && !clerk.has("details[data-step='approve']").await?,
        "a handler is offered neither review nor approval"
    );
    clerk.type_into("默认接访地点", "镇信访办接访室").await?;
    // Bad input first: a leader on a day off without the override. The form
    // comes back with what was typed and the error beside that day's row.
    tick(&clerk, &off_day, "林书记", true).await?;
    clerk.press("#grid", "保存草稿").await?;
    let error = clerk
        .text_of(&format!("[id='row-{off_day}-error']"))
        .await?;
    assert!(error.contains("不是工作日"), "{error}");
    assert!(error.contains("日期"), "the field is named: {error}");
    assert_eq!(clerk.value_of("默认接访地点").await?, "镇信访办接访室");
    assert!(
        clerk
            .field(&format!("{off_day} 林书记"))
            .await?
            .is_selected()
            .await?,
        "the tick is kept"
    );
    show(&clerk, &format!("[id='row-{off_day}-error']")).await?;
    clerk.screenshot(&shots(), "schedule-grid-refused").await?;
    let nothing = fed
        .schedules(TOWN_A)
        .await?
        .get(pb::MonthRequest {
            unit: TOWN_A.into(),
            month: month.into(),
        })
        .await;
    assert!(nothing.is_err(), "nothing was saved: {nothing:?}");
    tick(&clerk, &off_day, "林书记", false).await?;
    // Two leaders every working day but the first, which has one: the big
    // town's rule of two a day is broken, and the page says so as it is typed.
    for day in &working {
        tick(&clerk, day, "林书记", true).await?;
        if *day != short_day {
            tick(&clerk, day, "陈副书记", true).await?;
        }
    }
    // The answer shown after the refused save named every day still empty;
    // the script's answer to the grid as it now stands names the short day
    // alone among the days (a day with two leaders breaks no rule).
    let live = format!("#violations li[data-date='{short_day}']");
    let full_day = format!("#violations li[data-date='{}']", working[1]);
    wait_for("the live check of the typed grid", PATIENCE, || async {
        let settled = clerk.has(&live).await?
            && !clerk.has(&full_day).await?
            && !clerk.has("#problems").await?;
        Ok(settled.then_some(()))
    })
    .await?;
    let said = clerk.text_of(&live).await?;
    assert!(said.contains(&short_day), "{said}");
    assert!(clerk.has("#unsaved").await?, "shown as not saved yet");
    assert!(
        clerk.has("#grid").await? && clerk.text_of("#state").await? == "未报备",
        "the grid is still unsaved"
    );
    show(&clerk, &format!("tr[data-date='{short_day}']")).await?;
    clerk.screenshot(&shots(), "schedule-grid-live").await?;
    clerk.press("#grid", "保存草稿").await?;
    clerk.text_when("#done", |t| t.contains("已保存")).await?;
    assert_eq!(clerk.text_of("#state").await?, "草稿");
    clerk.text_of(&live).await?;
    let saved = fed
        .schedules(TOWN_A)
        .await?
        .get(pb::MonthRequest {
            unit: TOWN_A.into(),
            month: month.into(),
        })
        .await?
        .into_inner();
    assert_eq!(saved.entries.len(), working.len() * 2 - 1);
    assert!(saved.entries.iter().all(|e| e.place == "镇信访办接访室"));
    clerk.close().await?;

    // The leader in charge reviews.
    let chen = driver.browser().await?;
    sign_in(&chen, &fed, TOWN_A, "chen").await?;
    chen.goto(&format!("{}/schedules", console(&fed, TOWN_A)))
        .await?;
    chen.text_of("#entries").await?;
    assert!(
        !chen.has("#grid").await?,
        "a reviewer does not edit the grid"
    );
    chen.open("details[data-step='review']").await?;
    chen.press("details[data-step='review']", "审核").await?;
    chen.text_when("#state", |t| t == "已审核").await?;
    chen.close().await?;

    // The principal: refused without a reason, beside the field, in Chinese.
    let lin = driver.browser().await?;
    sign_in(&lin, &fed, TOWN_A, "lin").await?;
    lin.goto(&format!("{}/schedules", console(&fed, TOWN_A)))
        .await?;
    lin.open("details[data-step='approve']").await?;
    lin.press("details[data-step='approve']", "审定并报备")
        .await?;
    let error = lin.text_of("#approve-override-error").await?;
    assert!(error.starts_with("审定理由"), "{error}");
    assert!(error.contains("schedule.override_required"), "{error}");
    assert!(error.contains("须填写审定理由"), "{error}");
    assert_eq!(lin.text_of("#state").await?, "已审核", "nothing filed");
    show(&lin, "#approve-override-error").await?;
    lin.screenshot(&shots(), "schedule-approval-refused")
        .await?;
    let reason = "首日林书记单独接访，陈副书记参加县专题会议";
    lin.type_in("details[data-step='approve']", "审定理由", reason)
        .await?;
    lin.press("details[data-step='approve']", "审定并报备")
        .await?;
    lin.text_when("#state", |t| t == "已审定并报备").await?;
    assert!(lin.text_of("#approval").await?.contains(reason));
    lin.close().await?;

    // The clerk publishes.
    let clerk = driver.browser().await?;
    sign_in(&clerk, &fed, TOWN_A, "clerk").await?;
    clerk
        .goto(&format!("{}/schedules", console(&fed, TOWN_A)))
        .await?;
    clerk.open("details[data-step='publish']").await?;
    clerk.press("details[data-step='publish']", "公布").await?;
    clerk.text_when("#state", |t| t == "已公布").await?;
    assert!(!clerk.has("#grid").await?, "a filed month is not edited");
    clerk.screenshot(&shots(), "schedule-published").await?;
    // An adjustment before the day: a leader newly on the roster takes a day.
    fed.schedules(TOWN_A)
        .await?
        .put_leader(pb::PutLeaderRequest {
            unit: TOWN_A.into(),
            leader: Some(pb::Leader {
                name: "黄委员".into(),
                position: "党委委员".into(),
                portfolio: String::new(),
                role: "member".into(),
                active: true,
                ..Default::default()
            }),
        })
        .await?;
    clerk
        .goto(&format!("{}/schedules", console(&fed, TOWN_A)))
        .await?;
    let adjust = "details[data-step='adjust']";
    clerk.open(adjust).await?;
    // Without a reason: refused beside the reason, the choices kept.
    clerk.set_date(adjust, "调整日期", &working[2]).await?;
    clerk.pick_in(adjust, "原接访领导", "林书记").await?;
    clerk.pick_in(adjust, "接替领导", "黄委员").await?;
    clerk.press(adjust, "调整").await?;
    let error = clerk.text_of("#adjust-reason-error").await?;
    assert!(error.starts_with("理由"), "{error}");
    assert_eq!(
        clerk
            .field_in(adjust, "接替领导")
            .await?
            .prop("value")
            .await?
            .as_deref(),
        Some("黄委员")
    );
    clerk.type_in(adjust, "理由", "林书记赴市参加会议").await?;
    clerk.press(adjust, "调整").await?;
    clerk.text_when("#done", |t| t.contains("已办理")).await?;
    let adjusted = clerk.text_of("#adjustments").await?;
    assert!(
        adjusted.contains(&working[2]) && adjusted.contains("黄委员"),
        "{adjusted}"
    );
    clerk.close().await?;

    // Past the filing deadline (the 10th): the county's board shows the town's
    // filing on time and the other town, which filed nothing, missing.
    clock.set("2026-03-11T09:00:00+08:00")?;
    let county = driver.browser().await?;
    sign_in(&county, &fed, COUNTY, "leader").await?;
    let board = format!("{}/filings?month={month}", console(&fed, COUNTY));
    let row = format!("#filings tr[data-unit='{TOWN_A}']");
    wait_for(
        "the town's filing on the county's board",
        PATIENCE,
        || async {
            county.goto(&board).await?;
            Ok(county
                .has(&format!("{row}[data-status='on_time']"))
                .await?
                .then_some(()))
        },
    )
    .await?;
    assert!(county.text_of(&row).await?.contains("按时报备"));
    let other = county
        .text_of(&format!("#filings tr[data-unit='{TOWN_B}']"))
        .await?;
    assert!(other.contains("未报备"), "{other}");
    assert!(
        county
            .has(&format!(
                "#filings tr[data-unit='{TOWN_B}'][data-status='missing']"
            ))
            .await?
    );
    county.screenshot(&shots(), "schedule-filings").await?;
    // Drilled: the table the town filed, read-only.
    county
        .client
        .find(fantoccini::Locator::Css(&format!("{row} a")))
        .await?
        .click()
        .await?;
    county.text_when("h1", |t| t.contains("海城镇")).await?;
    let rows = county
        .client
        .find_all(fantoccini::Locator::Css("#entries tbody tr"))
        .await?;
    assert_eq!(rows.len(), working.len() * 2 - 1);
    assert!(!county.has("#grid").await? && !county.has("#actions").await?);
    county.screenshot(&shots(), "schedule-filed-table").await?;
    // In English when asked.
    county
        .goto(&format!(
            "{}/filings?month={month}&lang=en",
            console(&fed, COUNTY)
        ))
        .await?;
    county.text_when("h1", |t| t.starts_with("Filings")).await?;
    county.close().await?;
    drop(driver);
    fed.shutdown().await;
    Ok(())
}

/// The office's CSV table uploaded into the grid (the CLI's reader, all or
/// nothing): a file of another kind comes back refused beside the file field,
/// nothing imported; the Haifeng county's April 2016 table, with its leaders
/// added to the roster, fills the grid and passes the county's rules.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_offices_table_is_imported_into_the_grid() -> anyhow::Result<()> {
    let test = "the_offices_table_is_imported_into_the_grid";
    let Some((chromium, chromedriver)) = driver_or_skip(test) else {
        return Ok(());
    };
    let clock = TestClock::at("2016-03-05T09:00:00+08:00")?;
    let rules = BTreeMap::from([(COUNTY, "haifeng-county")]);
    let fed =
        Federation::start_at(Backend::Sqlite, county_and_town(), clock.clock(), rules).await?;
    fed.add_user(COUNTY, "clerk", &["handler"], PASSWORD)
        .await?;
    let fixture = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/haifeng-2016-04-schedule.csv")
        .canonicalize()?;
    let dir = tempfile::tempdir()?;
    let wrong = dir.path().join("schedule.txt");
    std::fs::copy(&fixture, &wrong)?;
    let driver = Driver::start(&chromium, &chromedriver).await?;
    let clerk = driver.browser().await?;
    sign_in(&clerk, &fed, COUNTY, "clerk").await?;
    clerk
        .goto(&format!("{}/schedules", console(&fed, COUNTY)))
        .await?;
    clerk.text_when("h1", |t| t.contains("2016-04")).await?;
    assert!(clerk.has("#no-roster").await?, "no roster yet: no grid");
    clerk.open("details[data-step='import']").await?;
    clerk
        .field("安排表文件（CSV 或 XLSX）")
        .await?
        .send_keys(&wrong.to_string_lossy())
        .await?;
    clerk
        .press("details[data-step='import']", "导入安排表")
        .await?;
    let error = clerk.text_of("#import-file-error").await?;
    assert!(error.contains("只接受"), "{error}");
    assert_eq!(clerk.text_of("#state").await?, "未报备", "nothing imported");
    clerk
        .field("安排表文件（CSV 或 XLSX）")
        .await?
        .send_keys(&fixture.to_string_lossy())
        .await?;
    let create = clerk.field("表中领导不在花名册上时加入花名册").await?;
    if !create.is_selected().await? {
        create.click().await?;
    }
    clerk
        .press("details[data-step='import']", "导入安排表")
        .await?;
    clerk.text_when("#done", |t| t.contains("已导入")).await?;
    assert_eq!(clerk.text_of("#state").await?, "草稿");
    let ticked = clerk
        .client
        .find_all(fantoccini::Locator::Css(
            "#grid input[type='checkbox'][name^='on-']:checked",
        ))
        .await?;
    assert_eq!(ticked.len(), 20, "the fixture's twenty entries");
    assert!(
        clerk.has("#no-violations").await?,
        "the county's rules pass"
    );
    clerk.screenshot(&shots(), "schedule-imported").await?;
    clerk.close().await?;
    drop(driver);
    fed.shutdown().await;
    Ok(())
}
