//! The duty rosters page (值班安排表) in the staff console, in a real browser: a
//! town clerk opens the 2026 National Day roster, sees exactly the calendar's
//! rest days, picks a leader for all but one and saves a draft that names the
//! day left; a forged form with the adjusted working Saturday comes back refused
//! naming the date and the rule, nothing saved; complete, the principal's
//! approver approves it (filing it with the county) and the clerk publishes it;
//! the county's page shows the town's filing.
//!
//! Screenshots go to `target/console-screenshots/` (as `console.rs` writes them).

use tonic::Code;
use xinfang_proto::v1 as pb;
use xinfang_tests::console::{PASSWORD, console, forge, shots, sign_in};
use xinfang_tests::webdriver::{Browser, Driver, driver_or_skip};
use xinfang_tests::*;

/// The CSRF token the page's own forms carry.
async fn csrf_on_page(b: &Browser) -> anyhow::Result<String> {
    Ok(b.client
        .find(fantoccini::Locator::Css("input[name='csrf']"))
        .await?
        .prop("value")
        .await?
        .unwrap_or_default())
}

fn national_day() -> Vec<String> {
    xinfang_node::rules::calendar::HolidayCalendar::official()
        .expect("calendar")
        .holiday_period(2026, xinfang_node::rules::holiday::Holiday::NationalDay)
        .expect("2026 National Day")
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_national_day_roster_is_drafted_refused_approved_and_published_in_the_browser()
-> anyhow::Result<()> {
    let test = "a_national_day_roster_is_drafted_refused_approved_and_published_in_the_browser";
    let Some((chromium, chromedriver)) = driver_or_skip(test) else {
        return Ok(());
    };
    let clock = TestClock::at("2026-09-01T10:00:00+08:00")?;
    let fed = Federation::start_at(
        Backend::Sqlite,
        county_and_town(),
        clock.clock(),
        Default::default(),
    )
    .await?;
    for (user, role) in [("clerk", "handler"), ("lin", "approver")] {
        fed.add_user(TOWN_A, user, &[role], PASSWORD).await?;
    }
    let mut api = fed.schedules(TOWN_A).await?;
    for (name, role) in [("林书记", "principal"), ("陈副书记", "in_charge")] {
        api.put_leader(pb::PutLeaderRequest {
            unit: TOWN_A.into(),
            leader: Some(pb::Leader {
                name: name.into(),
                position: format!("{name}的职务"),
                role: role.into(),
                active: true,
                ..Default::default()
            }),
        })
        .await?;
    }
    let days = national_day();
    let driver = Driver::start(&chromium, &chromedriver).await?;
    let clerk = driver.browser().await?;
    sign_in(&clerk, &fed, TOWN_A, "clerk").await?;
    // From the schedules page, as a clerk finds it.
    clerk
        .goto(&format!("{}/schedules", console(&fed, TOWN_A)))
        .await?;
    clerk
        .client
        .find(fantoccini::Locator::Css("#duty-link"))
        .await?
        .click()
        .await?;
    clerk.text_when("h1", |t| t.contains("值班安排表")).await?;
    clerk
        .type_into(
            "时段（月份如 2026-10，或节日如 2026 国庆节）",
            "2026 国庆节",
        )
        .await?;
    clerk.press("form.filters", "查看").await?;
    clerk
        .text_when("h1", |t| t.contains("2026年国庆节"))
        .await?;

    // Exactly the calendar's rest days are offered.
    let mut shown = Vec::new();
    for row in clerk
        .client
        .find_all(fantoccini::Locator::Css("#duty-days tbody tr"))
        .await?
    {
        shown.push(row.attr("data-date").await?.unwrap_or_default());
    }
    assert_eq!(shown, days);

    // All but 10-04: saved as a draft that names the day left.
    for (i, d) in days.iter().enumerate() {
        if d != "2026-10-04" {
            let who = if i % 2 == 0 {
                "林书记"
            } else {
                "陈副书记"
            };
            clerk.pick_in("#duty-draft", d, who).await?;
        }
    }
    clerk.press("#duty-draft", "保存草稿").await?;
    clerk.text_when("#done", |t| t.contains("已保存")).await?;
    assert_eq!(clerk.text_of("#state").await?, "草稿");
    assert!(clerk.text_of("#uncovered").await?.contains("2026-10-04"));
    assert!(
        !clerk.has("form[data-step='approve']").await?,
        "a handler is not offered the approval"
    );

    // A forged form with the adjusted working Saturday: refused by date and rule.
    let csrf = csrf_on_page(&clerk).await?;
    forge(
        &clerk,
        "/duty/draft",
        &[
            ("span", "2026-national_day"),
            ("leader-2026-10-01", "林书记"),
            ("leader-2026-10-10", "林书记"),
        ],
        Some(&csrf),
    )
    .await?;
    let problem = clerk.text_of("#problem").await?;
    assert!(
        problem.contains("2026-10-10") && problem.contains("duty.rest_day"),
        "{problem}"
    );
    clerk.screenshot(&shots(), "duty-refused").await?;
    let draft = fed
        .schedules(TOWN_A)
        .await?
        .get_duty(pb::DutySpanRequest {
            unit: TOWN_A.into(),
            span: "2026-national_day".into(),
        })
        .await?
        .into_inner();
    assert_eq!(draft.days.len(), 6, "the refused form changed nothing");

    // Completed, approved by the principal's approver, published by the clerk.
    clerk
        .goto(&format!(
            "{}/duty?span=2026-national_day",
            console(&fed, TOWN_A)
        ))
        .await?;
    clerk
        .pick_in("#duty-draft", "2026-10-04", "陈副书记")
        .await?;
    clerk.press("#duty-draft", "保存草稿").await?;
    clerk.text_when("#done", |t| t.contains("已保存")).await?;
    assert!(!clerk.has("#uncovered").await?);

    let lin = driver.browser().await?;
    sign_in(&lin, &fed, TOWN_A, "lin").await?;
    lin.goto(&format!(
        "{}/duty?span=2026-national_day",
        console(&fed, TOWN_A)
    ))
    .await?;
    lin.press("form[data-step='approve']", "主要领导审定并报备")
        .await?;
    lin.text_when("#state", |t| t == "已审定并报备").await?;

    clerk
        .goto(&format!(
            "{}/duty?span=2026-national_day",
            console(&fed, TOWN_A)
        ))
        .await?;
    clerk.press("form[data-step='publish']", "公布").await?;
    clerk.text_when("#state", |t| t == "已公布").await?;
    let listed = clerk
        .text_of("#duty-rosters tr[data-span='2026-national_day']")
        .await?;
    assert!(listed.contains("2026年国庆节"), "{listed}");
    clerk.screenshot(&shots(), "duty-published").await?;

    wait_for("the roster at the county", PATIENCE, || async {
        let req = pb::DutySpanRequest {
            unit: TOWN_A.into(),
            span: "2026-national_day".into(),
        };
        match fed.schedules(COUNTY).await?.get_duty(req).await {
            Ok(r) if r.get_ref().state == "published" => Ok(Some(())),
            Ok(_) => Ok(None),
            Err(s) if s.code() == Code::NotFound => Ok(None),
            Err(s) => Err(s.into()),
        }
    })
    .await?;
    // The county's page shows the town's filing of the span.
    fed.add_user(COUNTY, "leader", &["viewer"], PASSWORD)
        .await?;
    let county = driver.browser().await?;
    sign_in(&county, &fed, COUNTY, "leader").await?;
    county
        .goto(&format!(
            "{}/duty?span=2026-national_day",
            console(&fed, COUNTY)
        ))
        .await?;
    let row = county
        .text_of(&format!("#duty-board tr[data-unit='{TOWN_A}']"))
        .await?;
    assert!(row.contains("海城镇") && row.contains("已报备"), "{row}");
    county.screenshot(&shots(), "duty-county-board").await?;
    drop(driver);
    fed.shutdown().await;
    Ok(())
}
