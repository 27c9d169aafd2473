//! Limits on what a client or a peer may send, and on how long a node waits on a
//! peer: oversize API requests refused from their length prefix, a peer silent
//! while it is waited on, a peer flooding batches. Each time the offender is told
//! why, nothing is applied, and the node keeps serving everyone else.

use std::time::{Duration, Instant};

use tonic::Code;
use xinfang_hub::{HubConfig, Tier};
use xinfang_node::server::ApiLimits;
use xinfang_proto::v1 as pb;
use xinfang_proto::v1::DocEntry;
use xinfang_tests::raw::{batch_at, exchange, hello, send_raw, valid_doc};
use xinfang_tests::*;

/// A normal registration at `at` reaches the county: the federation still works.
async fn still_serving(fed: &Federation, at: &str, what: &str) -> anyhow::Result<()> {
    let case = fed.register(at, "王五", what).await?;
    wait_for("a case replicated afterwards", PATIENCE, || async {
        Ok(fed
            .list(COUNTY)
            .await?
            .contains(&case.case_no)
            .then_some(()))
    })
    .await?;
    Ok(())
}

both_stores! {
async fn oversize_api_requests_are_refused_from_the_length_prefix(backend: Backend) -> anyhow::Result<()> {
    let mut fed = Federation::start(backend, county_and_town()).await?;
    let docs = fed.hub(COUNTY).store().count_docs().await?;

    // The default limit (4 MiB) on the node API.
    let big = "字".repeat(2 << 20); // 6 MiB of text
    let err = fed
        .client(COUNTY)
        .await?
        .register_case(pb::RegisterCaseRequest {
            unit: COUNTY.into(),
            petitioner: "张三".into(),
            content: big,
            ..Default::default()
        })
        .await
        .expect_err("a 6 MiB registration must be refused");
    assert_eq!(err.code(), Code::OutOfRange, "{err:?}");
    assert!(
        err.message().contains(&(4usize << 20).to_string()),
        "names the limit: {}",
        err.message()
    );

    // The schedules API takes tables up to 8 MiB; beyond that, refused the same way.
    let err = fed
        .schedules(COUNTY)
        .await?
        .import(pb::ImportRequest {
            unit: COUNTY.into(),
            month: "2016-04".into(),
            format: "csv".into(),
            content: vec![b'x'; 9 << 20],
            create_roster: true,
        })
        .await
        .expect_err("a 9 MiB import must be refused");
    assert_eq!(err.code(), Code::OutOfRange, "{err:?}");
    assert_eq!(fed.hub(COUNTY).store().count_docs().await?, docs);
    still_serving(&fed, TOWN_A, "之后的事项").await?;

    // The limit is the node's configuration.
    fed.api = ApiLimits {
        max_request_bytes: 64 << 10,
        ..ApiLimits::default()
    };
    fed.stop_node(COUNTY).await?;
    fed.start_node(COUNTY).await?;
    let err = fed
        .client(COUNTY)
        .await?
        .register_case(pb::RegisterCaseRequest {
            unit: COUNTY.into(),
            petitioner: "张三".into(),
            content: "字".repeat(30_000),
            ..Default::default()
        })
        .await
        .expect_err("90 KB over a 64 KiB limit");
    assert_eq!(err.code(), Code::OutOfRange, "{err:?}");
    assert!(err.message().contains("65536"), "{}", err.message());
    let small = fed.register(COUNTY, "张三", &"字".repeat(3_000)).await?;
    assert!(small.case_no.starts_with(COUNTY));
    fed.shutdown().await;
    Ok(())
}
}

both_stores! {
async fn a_peer_silent_while_it_is_waited_on_is_disconnected_naming_it(backend: Backend) -> anyhow::Result<()> {
    let mut cfg = HubConfig::default();
    cfg.core.idle_timeout = Some(Duration::from_millis(600));
    let mut fed = Federation::start_with(backend, county_and_town(), cfg).await?;
    fed.register(TOWN_A, "张三", "已有事项").await?;
    wait_for("first case at county", PATIENCE, || async {
        Ok((fed.list(COUNTY).await?.len() == 1).then_some(()))
    })
    .await?;
    // The honest town is caught up and quiet: its link outlives the idle time.
    let sessions = |fed: &Federation| {
        fed.hub(COUNTY)
            .with_link_status(&code(TOWN_A), |s| (s.sessions, s.connected))
    };
    let before = sessions(&fed);
    // The claim is that nothing happens for a while, so here time itself passes.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(sessions(&fed), before, "a caught-up link is not idle");
    assert!(before.1, "connected");

    fed.stop_node(TOWN_A).await?;
    // A peer with the town's certificate that opens the stream and says nothing.
    let t0 = Instant::now();
    let answer = exchange(
        &fed,
        COUNTY,
        fed.tls(TOWN_A)?,
        Vec::new(),
        1 << 20,
        PATIENCE,
    )
    .await?;
    assert!(
        answer.starts_with("idle_timeout") && answer.contains(TOWN_A) && answer.contains("Hello"),
        "{answer}"
    );
    assert!(
        t0.elapsed() >= Duration::from_millis(600),
        "{:?}",
        t0.elapsed()
    );
    // One that says Hello (asking for everything) but never acknowledges.
    let answer = exchange(
        &fed,
        COUNTY,
        fed.tls(TOWN_A)?,
        vec![hello(TOWN_A)],
        1 << 20,
        PATIENCE,
    )
    .await?;
    assert!(
        answer.starts_with("idle_timeout") && answer.contains(TOWN_A) && answer.contains("Ack"),
        "{answer}"
    );
    let status = fed
        .hub(COUNTY)
        .with_link_status(&code(TOWN_A), |s| s.last_error.clone());
    assert!(
        status
            .as_deref()
            .is_some_and(|e| e.contains("idle_timeout")),
        "{status:?}"
    );
    // The real town comes back and carries on.
    fed.start_node(TOWN_A).await?;
    still_serving(&fed, TOWN_A, "之后的事项").await?;
    fed.shutdown().await;
    Ok(())
}
}

both_stores! {
async fn a_peer_flooding_batches_beyond_its_window_is_refused(backend: Backend) -> anyhow::Result<()> {
    let units = vec![
        (COUNTY, "海丰县", Tier::County, None),
        (TOWN_A, "海城镇", Tier::Township, Some(COUNTY)),
        (TOWN_B, "梅陇镇", Tier::Township, Some(COUNTY)),
    ];
    let mut fed = Federation::start(backend, units).await?;
    fed.stop_node(TOWN_A).await?;
    // Forty batches back to back, never waiting for an Ack; each carries enough
    // documents that applying one takes far longer than reading the rest.
    let mut frames = Vec::new();
    let mut n = 0;
    for i in 0..40u64 {
        let docs = (0..40)
            .map(|_| {
                n += 1;
                let id = format!("{TOWN_A}-2026-{:06}", 500_000 + n);
                DocEntry {
                    automerge: valid_doc(&id, TOWN_A).into(),
                    doc_id: id,
                    changes: Default::default(),
                }
            })
            .collect();
        frames.push(batch_at(i, i + 1, docs));
    }
    let answer = send_raw(&fed, COUNTY, fed.tls(TOWN_A)?, TOWN_A, frames, 1 << 20).await?;
    assert!(
        answer.starts_with("flooding") && answer.contains(TOWN_A),
        "{answer}"
    );
    // The county serves the other town as before.
    still_serving(&fed, TOWN_B, "另一镇的事项").await?;
    fed.shutdown().await;
    Ok(())
}
}

both_stores! {
async fn a_packed_batch_that_unpacks_past_the_frame_limit_is_refused(backend: Backend) -> anyhow::Result<()> {
    let mut fed = Federation::start(backend, county_and_town()).await?;
    fed.stop_node(TOWN_A).await?;
    let docs = fed.hub(COUNTY).store().count_docs().await?;
    // A few kilobytes on the wire that would unpack to more than a frame may
    // hold (16 MiB): refused before anything is decoded.
    let limit = HubConfig::default().limits.max_frame_bytes;
    let mut bomb = batch_at(0, 1, vec![DocEntry {
        doc_id: format!("{TOWN_A}-2026-000001"),
        automerge: Default::default(),
        changes: vec![0u8; limit + 1].into(),
    }]);
    xinfang_hub::pack::pack(&mut bomb);
    if let Some(pb::sync_frame::Kind::Batch(b)) = &bomb.kind {
        assert!(b.docs.is_empty() && b.packed.len() < 64 << 10, "{} bytes packed", b.packed.len());
    }
    let answer = send_raw(&fed, COUNTY, fed.tls(TOWN_A)?, TOWN_A, vec![bomb], 1 << 20).await?;
    assert!(
        answer.starts_with("malformed_frame") && answer.contains("unpacks to more than"),
        "{answer}"
    );
    assert_eq!(fed.hub(COUNTY).store().count_docs().await?, docs, "nothing applied");
    fed.start_node(TOWN_A).await?;
    still_serving(&fed, TOWN_A, "之后的事项").await?;
    fed.shutdown().await;
    Ok(())
}
}
