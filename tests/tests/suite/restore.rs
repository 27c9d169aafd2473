//! A node whose store goes back in time — an old copy of its data put back by
//! hand, or a backup restored with `xinfang admin restore` — loses nothing, merges
//! nothing and numbers past every case the federation has seen (docs/operations.md,
//! "Backup and restore"). On SQLite and PostgreSQL.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{Context, ensure};
use xinfang_proto::v1 as pb;
use xinfang_tests::{
    Backend, CITY, COMM_A, COUNTY, Federation, TOWN_A, both_stores, code, haifeng, wait_for,
};

const SYNC: Duration = Duration::from_secs(30);

async fn status(fed: &Federation, unit: &str) -> anyhow::Result<pb::StatusResponse> {
    Ok(fed
        .client(unit)
        .await?
        .status(pb::StatusRequest {})
        .await?
        .into_inner())
}

/// Registers `n` cases at the community; returns their views.
async fn register(fed: &Federation, n: usize, who: &str) -> anyhow::Result<Vec<pb::CaseView>> {
    let mut out = Vec::new();
    for i in 0..n {
        out.push(
            fed.register(COMM_A, &format!("{who}{i}"), "要求解决排水问题")
                .await?,
        );
    }
    Ok(out)
}

/// Each case (by its document id) as `unit` holds it: its heads.
async fn heads_at(
    fed: &Federation,
    unit: &str,
    cases: &[pb::CaseView],
) -> anyhow::Result<Option<BTreeMap<String, Vec<String>>>> {
    let mut out = BTreeMap::new();
    for c in cases {
        match fed.case_at(unit, &c.doc_id).await? {
            Some(v) => {
                out.insert(c.doc_id.clone(), v.heads);
            }
            None => return Ok(None),
        }
    }
    Ok(Some(out))
}

async fn wait_held(
    fed: &Federation,
    unit: &str,
    cases: &[pb::CaseView],
) -> anyhow::Result<BTreeMap<String, Vec<String>>> {
    wait_for(&format!("{} cases at {unit}", cases.len()), SYNC, || {
        heads_at(fed, unit, cases)
    })
    .await
}

/// Quarantined documents at `unit`, over all its links.
fn quarantined(fed: &Federation, unit: &str) -> u64 {
    let hub = fed.hub(unit);
    hub.links()
        .iter()
        .map(|l| hub.with_link_status(&l.peer, |s| s.quarantined_docs))
        .sum()
}

/// `xinfang admin backup` of `unit`'s node into `folder`.
async fn back_up(
    fed: &Federation,
    unit: &str,
    folder: &std::path::Path,
) -> anyhow::Result<xinfang_node::backup::Manifest> {
    let unit = code(unit);
    Ok(xinfang_node::backup::backup(
        &unit,
        &fed.layout.data(&unit),
        Some(&fed.layout.tls(&unit)),
        folder,
        chrono::Utc::now().timestamp_millis(),
    )
    .await?)
}

/// `xinfang admin restore` of `unit`'s stopped node from `folder`.
async fn restore_from(
    fed: &Federation,
    unit: &str,
    folder: &std::path::Path,
) -> anyhow::Result<xinfang_node::backup::Restored> {
    let unit = code(unit);
    Ok(xinfang_node::backup::restore(
        &unit,
        folder,
        &fed.layout.data(&unit),
        Some(&fed.layout.tls(&unit)),
        chrono::Utc::now().timestamp_millis(),
    )
    .await?)
}

fn seq_of(case_no: &str) -> anyhow::Result<u64> {
    let seq = case_no.rsplit('-').next().context("case number")?;
    Ok(seq.parse()?)
}

both_stores! {
    /// The scenario: a community's folder copied aside after 5 cases, 5
    /// more registered and sent up, the copy put back by hand, the federation
    /// started again.
    async fn a_node_put_back_from_an_old_copy_gets_every_case_back_and_numbers_past_them(b: Backend) -> anyhow::Result<()> {
        let mut fed = Federation::start(b, haifeng()).await?;
        let mut cases = register(&fed, 5, "甲").await?;
        wait_held(&fed, TOWN_A, &cases).await?;
        fed.stop_node(COMM_A).await?;
        let copy = fed.snapshot(COMM_A).await?;
        fed.start_node(COMM_A).await?;
        cases.extend(register(&fed, 5, "乙").await?);
        let at_town = wait_held(&fed, TOWN_A, &cases).await?;
        wait_held(&fed, CITY, &cases).await?;

        fed.stop_node(COMM_A).await?;
        fed.put_back(COMM_A, copy)?;
        fed.start_node(COMM_A).await?;

        // The community recovers: every case back, then registrations again.
        let back = wait_held(&fed, COMM_A, &cases).await?;
        wait_for("the community's recovery to complete", SYNC, || async {
            Ok(status(&fed, COMM_A).await?.recovery.is_none().then_some(()))
        })
        .await?;
        assert_eq!(back, at_town, "the community holds the town's versions");
        assert_eq!(
            heads_at(&fed, TOWN_A, &cases).await?,
            Some(at_town),
            "the town's ten cases are unchanged"
        );
        let next = fed.register(COMM_A, "丙", "新的诉求").await?;
        let used: Vec<u64> = cases
            .iter()
            .map(|c| seq_of(&c.case_no))
            .collect::<anyhow::Result<_>>()?;
        let seq = seq_of(&next.case_no)?;
        assert!(
            !used.contains(&seq) && seq > *used.iter().max().context("cases")?,
            "the next number {} is past every number used ({used:?})",
            next.case_no
        );
        wait_held(&fed, CITY, std::slice::from_ref(&next)).await?;
        for unit in [COMM_A, TOWN_A, COUNTY, CITY] {
            let s = status(&fed, unit).await?;
            assert_eq!(s.number_collisions, 0, "no number given twice at {unit}");
            assert_eq!(quarantined(&fed, unit), 0, "nothing quarantined at {unit}");
        }
        fed.shutdown().await;
        Ok(())
    }

    /// The copy put back while the town is down: the community registers 7 cases
    /// (reusing numbers and feed positions) before it reconnects. Every one of
    /// them reaches the city, beside the 5 it lost, and the community never shows
    /// itself in step with the town while one is missing there.
    async fn a_node_put_back_that_registers_before_reconnecting_loses_none_of_them(b: Backend) -> anyhow::Result<()> {
        let mut fed = Federation::start(b, haifeng()).await?;
        let mut old = register(&fed, 5, "甲").await?;
        wait_held(&fed, TOWN_A, &old).await?;
        fed.stop_node(COMM_A).await?;
        let copy = fed.snapshot(COMM_A).await?;
        fed.start_node(COMM_A).await?;
        old.extend(register(&fed, 5, "乙").await?);
        let before = wait_held(&fed, CITY, &old).await?;

        fed.stop_node(COMM_A).await?;
        fed.stop_node(TOWN_A).await?;
        fed.put_back(COMM_A, copy)?;
        fed.start_node(COMM_A).await?;
        let new = register(&fed, 7, "丁").await?;
        fed.start_node(TOWN_A).await?;

        let town = code(TOWN_A);
        wait_for("the seven new cases at the town", SYNC, || async {
            let held = heads_at(&fed, TOWN_A, &new).await?;
            if held.is_none() {
                let s = status(&fed, COMM_A).await?;
                let shown_in_step = s
                    .peers
                    .iter()
                    .any(|p| p.unit == town.as_str() && p.connected && p.caught_up && p.lag == 0);
                ensure!(
                    !shown_in_step,
                    "the community shows itself in step with the town while a case is missing there"
                );
            }
            Ok(held)
        })
        .await?;
        wait_held(&fed, CITY, &new).await?;
        assert_eq!(
            heads_at(&fed, CITY, &old).await?,
            Some(before),
            "the ten earlier cases are unchanged at the city"
        );
        let ids: std::collections::BTreeSet<&str> =
            old.iter().chain(&new).map(|c| c.doc_id.as_str()).collect();
        assert_eq!(ids.len(), 17, "seventeen registrations, seventeen documents");
        wait_held(&fed, COMM_A, &old).await?;
        fed.shutdown().await;
        Ok(())
    }

}

/// `xinfang admin backup` while the node runs, `restore` while it is stopped:
/// the node starts recovering, refuses registrations until its parent has sent
/// everything back, then numbers past every case. (A PostgreSQL store is backed up
/// and put back with PostgreSQL's tools; the copy put back above covers it.)
#[tokio::test]
async fn a_restored_backup_recovers_before_it_registers() -> anyhow::Result<()> {
    {
        let mut fed = Federation::start(Backend::Sqlite, haifeng()).await?;
        let mut cases = register(&fed, 3, "甲").await?;
        let backup_dir = tempfile::tempdir()?;
        let folder = backup_dir.path().join("comm");
        let m = back_up(&fed, COMM_A, &folder).await?;
        assert_eq!(m.unit, COMM_A);
        cases.extend(register(&fed, 3, "乙").await?);
        wait_held(&fed, TOWN_A, &cases).await?;
        fed.stop_node(COMM_A).await?;
        // The town stays down until the community has been seen recovering.
        fed.stop_node(TOWN_A).await?;
        let r = restore_from(&fed, COMM_A, &folder).await?;
        assert!(r.previous.is_some(), "the replaced store is kept aside");
        fed.start_node(COMM_A).await?;
        let s = status(&fed, COMM_A).await?;
        assert!(
            s.recovery.is_some(),
            "the restored node says it is recovering"
        );
        let refused = fed
            .register(COMM_A, "丙", "诉求")
            .await
            .expect_err("no registration while recovering");
        assert!(
            refused.to_string().contains("node.recovering"),
            "refused by name: {refused}"
        );
        fed.start_node(TOWN_A).await?;
        wait_held(&fed, COMM_A, &cases).await?;
        wait_for("the recovery to complete", SYNC, || async {
            Ok(status(&fed, COMM_A).await?.recovery.is_none().then_some(()))
        })
        .await?;
        let next = fed.register(COMM_A, "丙", "诉求").await?;
        assert_eq!(seq_of(&next.case_no)?, 7, "numbered past the six cases");
        for unit in [COMM_A, TOWN_A] {
            assert_eq!(quarantined(&fed, unit), 0, "nothing quarantined at {unit}");
            assert_eq!(status(&fed, unit).await?.number_collisions, 0);
        }
        fed.shutdown().await;
        Ok(())
    }
}

/// Recoveries completed at `unit`, as its ledger records them.
async fn recoveries(fed: &Federation, unit: &str) -> anyhow::Result<i64> {
    let db = fed.db(unit).await?;
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM node_ledger WHERE detail LIKE 'recovery_complete%'",
    )
    .fetch_one(db.pool())
    .await?;
    db.close().await;
    Ok(n)
}

/// A copy older than a restore, put back by hand: the community was restored
/// (a new epoch) and recovered, then an older copy of it, from before that
/// epoch, was put back. The town holds its feed under an epoch the copy never
/// had, so the copy recovers too: it gets every case back and numbers past
/// them, nothing given twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_from_before_a_restore_put_back_by_hand_recovers_too() -> anyhow::Result<()> {
    let mut fed = Federation::start(Backend::Sqlite, haifeng()).await?;
    let mut cases = register(&fed, 3, "甲").await?;
    wait_held(&fed, TOWN_A, &cases).await?;
    fed.stop_node(COMM_A).await?;
    let old = fed.snapshot(COMM_A).await?;
    fed.start_node(COMM_A).await?;
    let backup_dir = tempfile::tempdir()?;
    let folder = backup_dir.path().join("comm");
    back_up(&fed, COMM_A, &folder).await?;
    cases.extend(register(&fed, 3, "乙").await?);
    wait_held(&fed, TOWN_A, &cases).await?;

    // Restored with the command: a new epoch, and a recovery.
    fed.stop_node(COMM_A).await?;
    restore_from(&fed, COMM_A, &folder).await?;
    fed.start_node(COMM_A).await?;
    wait_held(&fed, COMM_A, &cases).await?;
    wait_for("the first recovery to complete", SYNC, || async {
        Ok(status(&fed, COMM_A).await?.recovery.is_none().then_some(()))
    })
    .await?;
    assert_eq!(recoveries(&fed, COMM_A).await?, 1, "the restore's recovery");

    // Then the older copy, by hand: its ledger has no recovery yet.
    fed.stop_node(COMM_A).await?;
    fed.put_back(COMM_A, old)?;
    fed.start_node(COMM_A).await?;
    wait_held(&fed, COMM_A, &cases).await?;
    wait_for("the copy's recovery to complete", SYNC, || async {
        let done =
            status(&fed, COMM_A).await?.recovery.is_none() && recoveries(&fed, COMM_A).await? == 1;
        Ok(done.then_some(()))
    })
    .await?;
    let next = fed.register(COMM_A, "丙", "诉求").await?;
    assert_eq!(seq_of(&next.case_no)?, 7, "numbered past the six cases");
    for unit in [COMM_A, TOWN_A] {
        assert_eq!(quarantined(&fed, unit), 0, "nothing quarantined at {unit}");
        assert_eq!(status(&fed, unit).await?.number_collisions, 0);
    }
    fed.shutdown().await;
    Ok(())
}
