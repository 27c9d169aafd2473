//! The metrics endpoint on real nodes: a parent and a child with `/metrics` on
//! `127.0.0.1:0`, scraped over HTTP while a case replicates.

use xinfang_tests::*;

/// The value of the first sample named `name` whose labels include `labels`.
fn value(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|line| {
            let (series, v) = line.rsplit_once(' ')?;
            let (n, rest) = series.split_once('{').unwrap_or((series, "}"));
            let body = rest.strip_suffix('}')?;
            let matches = n == name
                && labels
                    .iter()
                    .all(|(k, v)| body.split(',').any(|p| p == format!("{k}=\"{v}\"")));
            if !matches {
                return None;
            }
            match v {
                "+Inf" => Some(f64::INFINITY),
                v => v.parse().ok(),
            }
        })
}

async fn scrape(fed: &Federation, unit: &str) -> anyhow::Result<String> {
    let addr = fed
        .metrics_addr(unit)
        .ok_or_else(|| anyhow::anyhow!("{unit} serves no metrics"))?;
    let (status, content_type, body) = http_get(addr, "/metrics").await?;
    anyhow::ensure!(status == 200, "GET /metrics at {unit}: {status}: {body}");
    anyhow::ensure!(
        content_type.starts_with("application/openmetrics-text"),
        "content type {content_type:?}"
    );
    Ok(body)
}

both_stores! {
async fn a_parent_shows_what_its_child_sent(backend: Backend) -> anyhow::Result<()> {
    let mut fed = Federation::start_with_metrics(backend, county_and_town()).await?;
    for unit in [COUNTY, TOWN_A] {
        let m = fed.metrics_addr(unit).expect("metrics endpoint");
        assert!(m.ip().is_loopback() && m.port() != 0, "{m}");
        assert_ne!(m, fed.addr(unit), "metrics have their own listener");
    }
    let case = fed.register(TOWN_A, "张三", "小区道路破损").await?;
    assert!(case.case_no.starts_with(TOWN_A), "{}", case.case_no);

    let child = [("peer", TOWN_A)];
    let text = wait_for(
        "the county's metrics to show the town's case",
        PATIENCE,
        || async {
            let text = scrape(&fed, COUNTY).await?;
            let docs = value(&text, "xinfang_documents_held", &[]).unwrap_or(0.0);
            let bytes = value(&text, "xinfang_peer_received_bytes_total", &child).unwrap_or(0.0);
            Ok((docs >= 1.0 && bytes > 0.0).then_some(text))
        },
    )
    .await?;
    // The rest of the page at the same moment.
    assert!(text.ends_with("# EOF\n"));
    assert!(value(&text, "xinfang_feed_head_sequence", &[]).is_some_and(|h| h >= 1.0));
    assert_eq!(value(&text, "xinfang_peer_connected", &child), Some(1.0));
    assert_eq!(
        value(
            &text,
            "xinfang_peer_info",
            &[("peer", TOWN_A), ("role", "child")]
        ),
        Some(1.0)
    );
    assert!(value(&text, "xinfang_peer_frames_received_total", &child).is_some_and(|n| n > 0.0));
    assert!(value(&text, "xinfang_peer_sent_bytes_total", &child).is_some_and(|n| n > 0.0));
    assert_eq!(
        value(&text, "xinfang_peer_refused_batches_total", &child),
        Some(0.0)
    );
    // The child's stream went through the parent's gRPC server.
    let sync = [("method", "xinfang.v1.Replication/Sync")];
    assert!(
        value(&text, "xinfang_grpc_request_duration_seconds_count", &sync).is_some_and(|n| n > 0.0),
        "{text}"
    );

    // At the child: the registration was timed, and the parent link comes in sync
    // (nothing unacknowledged, a fresh last-sync time).
    let parent = [("peer", COUNTY)];
    let text = wait_for("the town in sync with the county", PATIENCE, || async {
        let text = scrape(&fed, TOWN_A).await?;
        let lag = value(&text, "xinfang_peer_outbound_lag_entries", &parent);
        let inbound = value(&text, "xinfang_peer_inbound_lag_entries", &parent);
        let age = value(&text, "xinfang_peer_last_sync_age_seconds", &parent);
        Ok(
            (lag == Some(0.0) && inbound == Some(0.0) && age.is_some_and(|a| a < 5.0))
                .then_some(text),
        )
    })
    .await?;
    let register = [("method", "xinfang.v1.Node/RegisterCase")];
    assert_eq!(
        value(
            &text,
            "xinfang_grpc_request_duration_seconds_count",
            &register
        ),
        Some(1.0),
        "{text}"
    );
    assert!(
        value(
            &text,
            "xinfang_grpc_request_duration_seconds_bucket",
            &[("method", "xinfang.v1.Node/RegisterCase"), ("le", "+Inf")]
        ) == Some(1.0)
    );

    // Only /metrics is served.
    let addr = fed.metrics_addr(COUNTY).expect("metrics endpoint");
    let (status, ..) = http_get(addr, "/").await?;
    assert_eq!(status, 404);

    // The town goes away: at the county the link reads down and its last sync ages.
    fed.stop_node(TOWN_A).await?;
    let age_then = wait_for("the county to see the town gone", PATIENCE, || async {
        let text = scrape(&fed, COUNTY).await?;
        let connected = value(&text, "xinfang_peer_connected", &child);
        let age = value(&text, "xinfang_peer_last_sync_age_seconds", &child);
        Ok((connected == Some(0.0)).then_some(age).flatten())
    })
    .await?;
    wait_for("the town's last sync to age", PATIENCE, || async {
        let text = scrape(&fed, COUNTY).await?;
        let age = value(&text, "xinfang_peer_last_sync_age_seconds", &child);
        Ok(age.is_some_and(|a| a > age_then).then_some(()))
    })
    .await?;
    fed.shutdown().await;
    Ok(())
}
}

both_stores! {
async fn nodes_serve_no_metrics_unless_asked(backend: Backend) -> anyhow::Result<()> {
    let fed = Federation::start(backend, county_and_town()).await?;
    assert_eq!(fed.metrics_addr(COUNTY), None);
    assert_eq!(fed.metrics_addr(TOWN_A), None);
    fed.shutdown().await;
    Ok(())
}
}
