//! Who may link to whom (mTLS identities) and what a hostile peer's frames get.

use std::sync::Arc;

use xinfang_hub::net::{self, Security, TlsMaterial};
use xinfang_hub::pki::{self, Pki};
use xinfang_hub::{HubConfig, Tier};
use xinfang_proto::v1::{DocEntry, SyncFrame};
use xinfang_tests::raw::{HOSTILE_EPOCH, batch, send_raw, valid_doc};
use xinfang_tests::*;

async fn county_untouched(
    fed: &Federation,
    docs_before: u64,
    head_before: u64,
) -> anyhow::Result<()> {
    let hub = fed.hub(COUNTY);
    assert_eq!(
        hub.store().count_docs().await?,
        docs_before,
        "documents changed"
    );
    assert_eq!(hub.head(), head_before, "feed moved");
    // And the node keeps serving.
    fed.register(COUNTY, "测试", "仍在服务").await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_are_refused_unless_the_certificate_proves_a_neighbour() -> anyhow::Result<()> {
    let mut fed = Federation::start(haifeng()).await?;
    fed.stop_node(TOWN_A).await?;
    let (docs, head) = (
        fed.hub(COUNTY).store().count_docs().await?,
        fed.hub(COUNTY).head(),
    );

    // A community's valid certificate is not a child of the county.
    let answer = send_raw(&fed, COUNTY, fed.tls(COMM_A)?, COMM_A, vec![], 1 << 20).await?;
    assert!(
        answer.contains("refused") && answer.contains(COMM_A) && answer.contains("not a child"),
        "{answer}"
    );

    // A real child's certificate, but the Hello claims to be its sibling.
    let answer = send_raw(&fed, COUNTY, fed.tls(TOWN_A)?, TOWN_B, vec![], 1 << 20).await?;
    assert!(
        answer.contains("wrong_unit") && answer.contains(TOWN_B),
        "{answer}"
    );

    // A certificate from another federation root fails the TLS handshake.
    let other = tempfile::tempdir()?;
    let rogue = Pki::init(other.path())?;
    let issued = rogue.issue_node(&code(TOWN_A), &["127.0.0.1".into()], other.path())?;
    let forged = TlsMaterial {
        ca_pem: fed.tls(TOWN_A)?.ca_pem,
        cert_pem: pki::read_file(&issued.cert)?,
        key_pem: pki::read_file(&issued.key)?,
    };
    let result = send_raw(&fed, COUNTY, forged, TOWN_A, vec![], 1 << 20).await;
    let text = match result {
        Err(e) => e.to_string(),
        Ok(a) => a,
    };
    println!("forged certificate: {text}");
    assert!(
        text.starts_with("refused") || text.contains("connect"),
        "not refused: {text}"
    );

    // A child refuses an impostor parent: the town-B node answers on its own
    // certificate, not the county's.
    let impostor = net::connect(
        &fed.addr(TOWN_B).to_string(),
        &Security::Tls(Arc::new(fed.tls(COMM_A)?)),
        &code(COUNTY),
        1 << 20,
        &net::TransportConfig::default(),
    )
    .await;
    let Err(err) = impostor else {
        panic!("an impostor parent must fail verification");
    };
    assert!(
        err.message.contains("certificate") || err.message.contains("name"),
        "{err}"
    );

    county_untouched(&fed, docs, head).await?;
    fed.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn a_node_will_not_start_with_another_units_certificate() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let pki = Pki::init(&dir.path().join("pki"))?;
    pki.issue_node(&code(TOWN_B), &[], &dir.path().join("tls"))?;
    let Err(err) = xinfang_node::server::load_node_tls(&dir.path().join("tls"), &code(TOWN_A))
    else {
        panic!("a certificate for another unit must be refused");
    };
    assert!(
        err.to_string().contains(TOWN_B) && err.to_string().contains(TOWN_A),
        "{err}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_input_from_a_peer_is_refused_and_nothing_is_written() -> anyhow::Result<()> {
    let mut cfg = HubConfig::default();
    cfg.limits.max_frame_bytes = 256 << 10;
    cfg.limits.max_doc_bytes = 64 << 10;
    let units = vec![
        (COUNTY, "海丰县", Tier::County, None),
        (TOWN_A, "海城镇", Tier::Township, Some(COUNTY)),
        (TOWN_B, "梅陇镇", Tier::Township, Some(COUNTY)),
    ];
    let mut fed = Federation::start_with(units, cfg).await?;
    fed.register(TOWN_A, "张三", "已有事项").await?;
    wait_for("first case at county", PATIENCE, || async {
        Ok((fed.list(COUNTY).await?.len() == 1).then_some(()))
    })
    .await?;
    fed.stop_node(TOWN_A).await?;
    let (docs, head) = (
        fed.hub(COUNTY).store().count_docs().await?,
        fed.hub(COUNTY).head(),
    );
    let tls = || fed.tls(TOWN_A);
    let max = 1 << 20;
    let good = DocEntry {
        doc_id: "441521115000-2026-900001".into(),
        automerge: valid_doc("441521115000-2026-900001", TOWN_A).into(),
    };

    let cases: Vec<(&str, Vec<SyncFrame>, &str)> = vec![
        (
            "garbage document bytes (after a valid one: the batch is all or nothing)",
            vec![batch(vec![
                good.clone(),
                DocEntry {
                    doc_id: "x1".into(),
                    automerge: vec![0x85, 0x6f, 0x4a, 0x83, 1, 2, 3].into(),
                },
            ])],
            "bad_document",
        ),
        (
            "truncated document",
            vec![batch(vec![DocEntry {
                doc_id: "441521115000-2026-900002".into(),
                automerge: {
                    let b = valid_doc("441521115000-2026-900002", TOWN_A);
                    b[..b.len() / 2].to_vec().into()
                },
            }])],
            "bad_document",
        ),
        (
            "bytes of one document under another id",
            vec![batch(vec![DocEntry {
                doc_id: "someone-else".into(),
                automerge: valid_doc("441521115000-2026-900003", TOWN_A).into(),
            }])],
            "bad_document",
        ),
        (
            "a document for the sibling's subtree",
            vec![batch(vec![DocEntry {
                doc_id: "441521101000-2026-000001".into(),
                automerge: valid_doc("441521101000-2026-000001", TOWN_B).into(),
            }])],
            "out_of_scope",
        ),
        (
            "an oversized document, refused before decoding",
            vec![batch(vec![DocEntry {
                doc_id: "big".into(),
                automerge: vec![0u8; 100 << 10].into(),
            }])],
            "document_too_large",
        ),
        (
            "a frame with no kind",
            vec![SyncFrame { kind: None }],
            "malformed_frame",
        ),
        (
            "a frame over the size limit",
            vec![batch(vec![DocEntry {
                doc_id: "huge".into(),
                automerge: vec![0u8; 400 << 10].into(),
            }])],
            "transport",
        ),
    ];
    for (what, frames, expect) in cases {
        let answer = send_raw(&fed, COUNTY, tls()?, TOWN_A, frames, max).await?;
        let ok = answer.contains(expect) || (expect == "transport" && answer == "stream ended");
        assert!(ok, "{what}: expected {expect}, got {answer}");
        assert_eq!(
            fed.hub(COUNTY).store().count_docs().await?,
            docs,
            "{what}: a document was written"
        );
        assert_eq!(fed.hub(COUNTY).head(), head, "{what}: the feed moved");
        let cursor = fed
            .hub(COUNTY)
            .link_record(&code(TOWN_A))
            .await?
            .map(|r| r.inbound);
        assert!(
            cursor.as_ref().is_none_or(|c| c.epoch != HOSTILE_EPOCH),
            "{what}: the cursor moved: {cursor:?}"
        );
    }
    // Each batch refused for its documents is counted with them (what the metrics
    // endpoint reports): three bad, one out of scope, one too large; the first
    // batch carried two documents. Frames refused as frames are not batches.
    let st = fed
        .hub(COUNTY)
        .with_link_status(&code(TOWN_A), |s| s.clone());
    assert_eq!((st.refused_batches, st.refused_docs), (5, 6), "{st:?}");
    county_untouched(&fed, docs, head).await?;
    // The honest town reconnects and carries on.
    fed.start_node(TOWN_A).await?;
    let later = fed.register(TOWN_A, "李四", "之后的事项").await?;
    wait_for("honest link resumes", PATIENCE, || async {
        Ok(fed
            .list(COUNTY)
            .await?
            .contains(&later.case_no)
            .then_some(()))
    })
    .await?;
    fed.shutdown().await;
    Ok(())
}
