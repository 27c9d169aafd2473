//! Attendance on the day (到岗登记), in a real headless Chromium: the town's
//! handler opens the filed month on the reception schedules page and records one
//! day received (with its visitors) and one empty post (缺岗). An empty post
//! without its reason comes back with the reason asked for beside its field, in
//! Chinese, and nothing recorded; with it, both days are listed on the month, and
//! the county's filing board shows the empty post.

use std::collections::BTreeMap;

use xinfang_proto::v1 as pb;
use xinfang_tests::console::*;
use xinfang_tests::webdriver::{Driver, driver_or_skip};
use xinfang_tests::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attendance_is_recorded_on_the_day_and_an_empty_post_reaches_the_board()
-> anyhow::Result<()> {
    let test = "attendance_is_recorded_on_the_day_and_an_empty_post_reaches_the_board";
    let Some((chromium, chromedriver)) = driver_or_skip(test) else {
        return Ok(());
    };
    let clock = TestClock::at("2026-04-01T09:00:00+08:00")?;
    let fed = Federation::start_at(
        Backend::Sqlite,
        county_and_town(),
        clock.clock(),
        BTreeMap::new(),
    )
    .await?;
    fed.file_schedule(
        TOWN_A,
        "2026-05",
        &[
            ("林书记", "镇党委书记", "principal"),
            ("陈副书记", "镇党委副书记", "in_charge"),
        ],
        &[
            ("2026-05-11", "陈副书记", "镇信访办接访室"),
            ("2026-05-12", "林书记", "镇信访办接访室"),
        ],
        ("陈副书记", "林书记"),
    )
    .await?;
    // The afternoon of the second day: both days can be recorded.
    clock.set("2026-05-12T17:00:00+08:00")?;
    fed.add_user(TOWN_A, "handler", &["handler"], PASSWORD)
        .await?;

    let driver = Driver::start(&chromium, &chromedriver).await?;
    let b = driver.browser().await?;
    sign_in(&b, &fed, TOWN_A, "handler").await?;
    let month = format!("{}/schedules?month=2026-05", console(&fed, TOWN_A));
    let step = "details[data-step='attendance']";

    // The first day received, with its visitors.
    b.goto(&month).await?;
    b.open(step).await?;
    b.set_date(step, "接访日期", "2026-05-11").await?;
    b.pick_in(step, "接访领导", "陈副书记").await?;
    b.pick_in(step, "到岗情况", "到岗").await?;
    b.type_in(step, "接待人数", "3").await?;
    b.press(step, "到岗登记").await?;
    let listed = b
        .text_when("#attendance", |t| t.contains("2026-05-11"))
        .await?;
    assert!(
        listed.contains("陈副书记") && listed.contains("3"),
        "{listed}"
    );

    // The second day an empty post, its reason left out: asked for beside the
    // field, in Chinese; nothing recorded.
    b.goto(&month).await?;
    b.open(step).await?;
    b.set_date(step, "接访日期", "2026-05-12").await?;
    b.pick_in(step, "接访领导", "林书记").await?;
    b.pick_in(step, "到岗情况", "缺岗").await?;
    b.press(step, "到岗登记").await?;
    let error = b.text_of("#attendance-reason-error").await?;
    assert!(error.contains("缺岗须写明原因"), "{error}");
    assert!(
        !error.contains("needs"),
        "the rule in the reader's language: {error}"
    );
    assert_eq!(
        b.field_in(step, "到岗情况")
            .await?
            .prop("value")
            .await?
            .as_deref(),
        Some("missed"),
        "the outcome picked is kept"
    );
    let view = fed
        .schedules(TOWN_A)
        .await?
        .get(pb::MonthRequest {
            unit: TOWN_A.into(),
            month: "2026-05".into(),
        })
        .await?
        .into_inner();
    assert_eq!(view.attendance.len(), 1, "nothing written by the refusal");
    b.screenshot(&shots(), "attendance-refused").await?;

    // With the reason: recorded, and the county's board shows the empty post.
    b.type_in(step, "缺岗原因", "临时赴县参加防汛会议").await?;
    b.press(step, "到岗登记").await?;
    let listed = b
        .text_when("#attendance", |t| t.contains("2026-05-12"))
        .await?;
    assert!(
        listed.contains("缺岗") && listed.contains("临时赴县参加防汛会议"),
        "{listed}"
    );
    b.screenshot(&shots(), "attendance-recorded").await?;
    wait_for("the empty post on the county's board", PATIENCE, || async {
        let board = fed
            .schedules(COUNTY)
            .await?
            .filings(pb::FilingsRequest {
                month: "2026-05".into(),
                unit: String::new(),
            })
            .await?
            .into_inner();
        Ok(board
            .rows
            .iter()
            .any(|r| {
                r.unit == TOWN_A
                    && r.flags.iter().any(|f| {
                        f.kind == "missed" && f.leader == "林书记" && f.date == "2026-05-12"
                    })
            })
            .then_some(()))
    })
    .await?;
    b.close().await?;
    fed.shutdown().await;
    Ok(())
}
