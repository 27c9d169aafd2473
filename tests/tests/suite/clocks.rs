//! Clocks cannot reorder a case: a unit whose clock is behind dates its records
//! after those it has seen; a record dated beyond the tolerance in the future is
//! refused by name; each link measures the peer's clock offset and `status` shows
//! it, with an alert past 60 s.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use xinfang_hub::engine::wall_clock_ms;
use xinfang_proto::v1 as pb;
use xinfang_tests::{COUNTY, Federation, TOWN_A, both_stores, county_and_town, in_days, wait_for};

const SYNC: Duration = Duration::from_secs(20);

/// The county's view of its link with the town.
async fn town_link(fed: &Federation) -> anyhow::Result<pb::PeerStatus> {
    let s = fed
        .client(COUNTY)
        .await?
        .status(pb::StatusRequest {})
        .await?
        .into_inner();
    s.peers
        .into_iter()
        .find(|p| p.unit == TOWN_A)
        .ok_or_else(|| anyhow::anyhow!("no link with the town"))
}

/// A case registered and accepted at the county and forwarded to the town, once
/// the town holds the forward.
async fn forwarded(fed: &Federation) -> anyhow::Result<String> {
    let no = fed.register(COUNTY, "张三", "宅基地纠纷").await?.case_no;
    fed.act(
        COUNTY,
        &no,
        json!({"kind": "screening", "decision": {"decision": "accept"}}),
    )
    .await?;
    fed.act(
        COUNTY,
        &no,
        json!({"kind": "forward", "to": TOWN_A, "due": in_days(10)}),
    )
    .await?;
    wait_for("the forward at the town", SYNC, || async {
        Ok(fed
            .case_at(TOWN_A, &no)
            .await?
            .filter(|c| c.records.iter().any(|r| r.kind == "forward")))
    })
    .await?;
    Ok(no)
}

both_stores! {
    async fn a_town_whose_clock_is_behind_accepts_a_forwarded_case_and_every_replica_says_so(b: Backend) -> anyhow::Result<()> {
        let mut fed = Federation::start(b, county_and_town()).await?;
        fed.stop_node(TOWN_A).await?;
        fed.clocks
            .insert(TOWN_A.into(), Arc::new(|| wall_clock_ms() - 10 * 60 * 1000));
        fed.start_node(TOWN_A).await?;
        let no = forwarded(&fed).await?;
        let routed = fed.case_at(COUNTY, &no).await?.map(|c| c.status);
        fed.act(
            TOWN_A,
            &no,
            json!({"kind": "screening", "decision": {"decision": "accept"}}),
        )
        .await?;
        let (at_town, at_county) = wait_for("the acceptance at the county", SYNC, || async {
            let town = fed.case_at(TOWN_A, &no).await?;
            let county = fed.case_at(COUNTY, &no).await?;
            Ok(match (town, county) {
                (Some(t), Some(c)) if t.heads == c.heads => Some((t, c)),
                _ => None,
            })
        })
        .await?;
        for (unit, c) in [(TOWN_A, &at_town), (COUNTY, &at_county)] {
            assert_ne!(Some(&c.status), routed.as_ref(), "{unit} still shows it routed");
            assert_eq!(c.handling_unit, TOWN_A, "{unit}: the town handles it");
        }
        // The town's acceptance is dated after the forward it accepts, whatever
        // its clock said.
        let at = |kind: &str| {
            at_county
                .records
                .iter()
                .filter(|r| r.kind == kind)
                .map(|r| r.at.clone())
                .max()
        };
        let accepted = at_county
            .records
            .iter()
            .filter(|r| r.kind == "screening" && r.unit == TOWN_A)
            .map(|r| r.at.clone())
            .max();
        assert!(accepted > at("forward"), "{accepted:?} after {:?}", at("forward"));
        // The county measured the town's clock ten minutes behind, and says so.
        let link = town_link(&fed).await?;
        assert!(link.clock_offset_known);
        assert!(
            (-11 * 60_000..=-9 * 60_000).contains(&link.clock_offset_ms),
            "offset {} ms",
            link.clock_offset_ms
        );
        assert!(link.clock_alert);
        fed.shutdown().await;
        Ok(())
    }

    async fn a_record_dated_an_hour_ahead_is_refused_by_name(b: Backend) -> anyhow::Result<()> {
        let mut fed = Federation::start(b, county_and_town()).await?;
        let no = forwarded(&fed).await?;
        fed.stop_node(TOWN_A).await?;
        fed.clocks
            .insert(TOWN_A.into(), Arc::new(|| wall_clock_ms() + 60 * 60 * 1000));
        fed.start_node(TOWN_A).await?;
        fed.act(
            TOWN_A,
            &no,
            json!({"kind": "screening", "decision": {"decision": "accept"}}),
        )
        .await?;
        let link = wait_for("the refusal at the county", SYNC, || async {
            Ok(Some(town_link(&fed).await?).filter(|p| p.quarantined > 0))
        })
        .await?;
        assert!(
            link.last_quarantined.contains("record.future"),
            "{}",
            link.last_quarantined
        );
        let county = fed.case_at(COUNTY, &no).await?.map(|c| c.records.len());
        let town = fed.case_at(TOWN_A, &no).await?.map(|c| c.records.len());
        assert!(county < town, "the county took none of the future record");
        fed.shutdown().await;
        Ok(())
    }
}
