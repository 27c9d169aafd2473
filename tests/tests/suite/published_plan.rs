//! The quarter's reception plan on the public page (seed 002: 1 月底前将第一季度
//! 市领导接访时间、地点、形式以及所接访的信访事项安排挂网公示), across a real node
//! and its public listener: nothing until the month's schedule is published,
//! then each reception with its leader, portfolio, place and form, and how many
//! matters are booked for it — never who booked them. A quarter that is not one
//! is refused naming the field.

use std::collections::BTreeMap;

use serde_json::json;
use xinfang_proto::v1 as pb;
use xinfang_proto::v1::receptions_client::ReceptionsClient;
use xinfang_tests::*;

both_stores! {
async fn the_published_plan_shows_receptions_and_booked_matters_without_petitioners(backend: Backend) -> anyhow::Result<()> {
    let clock = TestClock::at("2026-02-24T10:00:00+08:00")?;
    let fed = Federation::start_at(backend, county_and_town(), clock.clock(), BTreeMap::new()).await?;
    let place = "县信访局接待大厅";
    let days: Vec<(&str, &str, &str)> = ["2026-03-06", "2026-03-13", "2026-03-20", "2026-03-27"]
        .into_iter()
        .map(|d| (d, "李副县长", place))
        .collect();
    let leaders = [
        ("张书记", "县委书记", "principal"),
        ("李副县长", "副县长", "in_charge"),
    ];
    fed.file_schedule(COUNTY, "2026-03", &leaders, &days, ("李副县长", "张书记"))
        .await?;
    let mut schedules = fed.schedules(COUNTY).await?;
    schedules
        .put_leader(pb::PutLeaderRequest {
            unit: COUNTY.into(),
            leader: Some(pb::Leader {
                name: "李副县长".into(),
                position: "副县长".into(),
                role: "in_charge".into(),
                portfolio: "住房城乡建设、信访".into(),
                active: true,
                ..Default::default()
            }),
        })
        .await?;
    let public = fed.public_addr(COUNTY);

    // Filed, not yet published: nothing online.
    let (status, _, page) = http_get(public, "/plan?quarter=2026Q1").await?;
    assert_eq!(status, 200);
    assert!(page.contains("本季度的接访安排尚未公示"), "{page}");

    schedules
        .publish(pb::MonthRequest {
            unit: COUNTY.into(),
            month: "2026-03".into(),
        })
        .await?;
    clock.set("2026-03-09T09:00:00+08:00")?;
    let no = fed.register(TOWN_A, "刘大姐", "新建商品房墙体开裂").await?.case_no;
    fed.act(TOWN_A, &no, json!({"kind": "screening", "decision": {"decision": "accept"}}))
        .await?;
    wait_for("the case at the county", PATIENCE, || async {
        fed.case_at(COUNTY, &no).await
    })
    .await?;
    ReceptionsClient::new(fed.channel(COUNTY).await?)
        .book(pb::BookRequest {
            case_no: no.clone(),
            date: "2026-03-13".into(),
            leader: "李副县长".into(),
            responsible: TOWN_A.into(),
            ..Default::default()
        })
        .await?;

    // Today's quarter by default.
    let (status, _, page) = http_get(public, "/plan").await?;
    assert_eq!(status, 200);
    for shown in [
        "海丰县2026年第1季度领导接访安排公示",
        "2026-03-06 星期五",
        "副县长 李副县长",
        "住房城乡建设、信访",
        place,
    ] {
        assert!(page.contains(shown), "{shown} not in {page}");
    }
    let booked: Vec<&str> = page
        .split("<td class=\"booked\">")
        .skip(1)
        .filter_map(|s| s.split('<').next())
        .collect();
    assert_eq!(booked, ["0", "1", "0", "0"], "one matter booked on the 13th");
    for hidden in ["刘大姐", "墙体开裂", no.as_str()] {
        assert!(!page.contains(hidden), "{hidden} published in {page}");
    }
    let (_, _, english) = http_get(public, "/plan?quarter=2026Q1&lang=en").await?;
    assert!(english.contains("2026-03-13 friday"), "{english}");

    let (status, _, page) = http_get(public, "/plan?quarter=2026-13").await?;
    assert_eq!(status, 400);
    assert!(page.contains("quarter") && page.contains("不是季度"), "{page}");
    fed.shutdown().await;
    Ok(())
}
}
