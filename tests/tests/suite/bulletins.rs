//! Circulated notices (通报) across real nodes: the county criticises a town for
//! a leader's empty post; the town and the city hold the notice, the sibling town
//! does not; the county's and the city's reports count it by unit; a notice
//! about a unit not below the issuer, without its text or of no known kind is
//! refused by name and nothing is written.

use tonic::Code;
use xinfang_proto::v1 as pb;
use xinfang_proto::v1::bulletins_client::BulletinsClient;
use xinfang_proto::v1::reports_client::ReportsClient;
use xinfang_tests::*;

async fn bulletins(fed: &Federation, unit: &str) -> anyhow::Result<BulletinsClient<Api>> {
    Ok(BulletinsClient::new(fed.channel(unit).await?))
}

async fn held(fed: &Federation, unit: &str) -> anyhow::Result<usize> {
    Ok(fed.hub(unit).ids_with_prefix("bulletin/", 100).await?.len())
}

fn criticism(units: &[&str], text: &str) -> pb::IssueBulletinRequest {
    pb::IssueBulletinRequest {
        kind: "criticism".into(),
        units: units.iter().map(|u| (*u).to_owned()).collect(),
        title: "关于海城镇领导干部接访缺岗情况的通报".into(),
        text: text.into(),
        grounds: vec!["2026-05-11 陈副书记 缺岗，未提前调整".into()],
        date: String::new(),
    }
}

/// The report's cell for `kind_col` (1 praise, 2 criticism) in the row of `unit`.
fn count(r: &pb::Report, unit: &str, col: usize) -> i64 {
    r.rows
        .iter()
        .find(|row| row.key == unit)
        .and_then(|row| row.cells.get(col))
        .map(|c| c.int)
        .unwrap_or(-1)
}

both_stores! {
async fn a_criticism_reaches_the_town_and_the_city_not_the_sibling_and_is_counted(backend: Backend) -> anyhow::Result<()> {
    let fed = Federation::start(backend, haifeng()).await?;
    let mut county = bulletins(&fed, COUNTY).await?;

    // Refused by name, nothing written.
    let e = county
        .issue(criticism(&[CITY], "越级通报"))
        .await
        .expect_err("the city is not below the county");
    assert_eq!(e.code(), Code::FailedPrecondition, "{e:?}");
    assert!(e.message().contains("bulletin.below_issuer"), "{}", e.message());
    let e = county.issue(criticism(&[TOWN_A], "  ")).await.expect_err("no text");
    assert_eq!(e.code(), Code::InvalidArgument, "{e:?}");
    assert!(e.message().contains("text"), "{}", e.message());
    let mut odd = criticism(&[TOWN_A], "正文");
    odd.kind = "warning".into();
    let e = county.issue(odd).await.expect_err("no such kind");
    assert!(e.message().contains("kind"), "{}", e.message());
    assert_eq!(held(&fed, COUNTY).await?, 0, "a refused notice wrote nothing");

    let issued = county
        .issue(criticism(
            &[TOWN_A],
            "海城镇陈副书记2026年5月11日接访缺岗，且未提前调整，现予通报批评。",
        ))
        .await?
        .into_inner();
    assert_eq!(issued.kind_label, "通报批评");
    assert_eq!(issued.unit_names, ["海城镇"]);

    // The town sees it without asking for it; so does the city.
    for unit in [TOWN_A, CITY] {
        let list = wait_for(&format!("the notice at {unit}"), PATIENCE, || async {
            let l = bulletins(&fed, unit)
                .await?
                .list(pb::ListBulletinsRequest {
                    unit: TOWN_A.into(),
                    ..Default::default()
                })
                .await?
                .into_inner();
            Ok((!l.bulletins.is_empty()).then_some(l))
        })
        .await?;
        assert_eq!(list.bulletins[0].id, issued.id, "at {unit}");
        assert_eq!(list.bulletins[0].grounds, issued.grounds, "at {unit}");
    }
    // The sibling town and the community below the town hold nothing of it.
    let city_has = held(&fed, CITY).await?;
    assert_eq!(city_has, 1);
    assert_eq!(held(&fed, TOWN_B).await?, 0, "the sibling town holds the notice");
    assert_eq!(held(&fed, COMM_A).await?, 0, "the community below holds the notice");

    // Counted by unit: the town's row at the county, the county's at the city.
    // The day in China Standard Time, as the nodes count days.
    let today = (chrono::Utc::now() + chrono::Duration::hours(8))
        .date_naive()
        .to_string();
    let report = |unit: &'static str| pb::ReportRequest {
        unit: unit.into(),
        from: today.clone(),
        to: today.clone(),
        ..Default::default()
    };
    let at_county = ReportsClient::new(fed.channel(COUNTY).await?)
        .bulletins(report(COUNTY))
        .await?
        .into_inner();
    assert_eq!(count(&at_county, TOWN_A, 2), 1, "{at_county:?}");
    assert_eq!(count(&at_county, TOWN_B, 2), 0);
    assert_eq!(count(&at_county, TOWN_A, 1), 0, "no praise");
    let at_city = ReportsClient::new(fed.channel(CITY).await?)
        .bulletins(report(CITY))
        .await?
        .into_inner();
    assert_eq!(count(&at_city, COUNTY, 2), 1, "{at_city:?}");
    fed.shutdown().await;
    Ok(())
}
}
