//! Who may link to whom (mTLS identities) and what a hostile peer's frames get.

use xinfang_ca::{self as pki, Pki, Reason, RevokeTarget};
use xinfang_hub::net::{self, Security, TlsMaterial};
use xinfang_hub::{HubConfig, Tier};
use xinfang_proto::v1::{DocEntry, SyncFrame};
use xinfang_tests::raw::{HOSTILE_EPOCH, batch, send_raw, send_raw_counted, valid_doc};
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

both_stores! {
async fn links_are_refused_unless_the_certificate_proves_a_neighbour(backend: Backend) -> anyhow::Result<()> {
    let mut fed = Federation::start(backend, haifeng()).await?;
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
        crl_pem: None,
    };
    let before = fed
        .tls_state(COUNTY)?
        .refusals(&format!("unit {TOWN_A}"))
        .map_or(0, |(n, _)| n);
    let (text, dialled) = send_raw_counted(&fed, COUNTY, forged, TOWN_A, 1 << 20).await?;
    println!("forged certificate: {text}");
    assert!(
        text.starts_with("refused") || text.contains("connect"),
        "not refused: {text}"
    );
    // Refused by the county, for its issuer, not a connection that merely
    // failed: the county counts each handshake it refused, once, and says
    // why. (Under TLS 1.3 the client learns of the refusal only after its
    // side of the handshake ends, so its channel may dial once more.)
    let who = format!("unit {TOWN_A}");
    let (n, refusal) = wait_for("the county's refusal of the forged root", PATIENCE, || async {
        Ok(fed
            .tls_state(COUNTY)?
            .refusals(&who)
            .filter(|(n, _)| *n > before))
    })
    .await?;
    // Never more refusals than handshakes: a refusal is counted once.
    let dialled = dialled.count() as u64;
    assert!(
        n - before <= dialled,
        "{} refusals counted for {dialled} handshakes",
        n - before
    );
    assert_eq!(refusal.side, "client certificate");
    // The rogue root names itself as ours does, so the chain finds our root and
    // its signature does not verify (a root named otherwise: unknown issuer).
    assert!(
        refusal.reason.contains("BadSignature") || refusal.reason.contains("UnknownIssuer"),
        "{refusal}"
    );

    // A child refuses an impostor parent: the town-B node answers on its own
    // certificate, not the county's.
    let impostor = net::connect(
        &fed.addr(TOWN_B).to_string(),
        &Security::tls(fed.tls(COMM_A)?)?,
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

both_stores! {
async fn malformed_input_from_a_peer_is_refused_and_nothing_is_written(backend: Backend) -> anyhow::Result<()> {
    let mut cfg = HubConfig::default();
    cfg.limits.max_frame_bytes = 256 << 10;
    cfg.limits.max_doc_bytes = 64 << 10;
    let units = vec![
        (COUNTY, "海丰县", Tier::County, None),
        (TOWN_A, "海城镇", Tier::Township, Some(COUNTY)),
        (TOWN_B, "梅陇镇", Tier::Township, Some(COUNTY)),
    ];
    let mut fed = Federation::start_with(backend, units, cfg).await?;
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
        changes: Default::default(),
    };

    let cases: Vec<(&str, Vec<SyncFrame>, &str)> = vec![
        (
            "garbage document bytes (after a valid one: the batch is all or nothing)",
            vec![batch(vec![
                good.clone(),
                DocEntry {
                    doc_id: "x1".into(),
                    automerge: vec![0x85, 0x6f, 0x4a, 0x83, 1, 2, 3].into(),
                    changes: Default::default(),
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
                changes: Default::default(),
            }])],
            "bad_document",
        ),
        (
            "bytes of one document under another id",
            vec![batch(vec![DocEntry {
                doc_id: "someone-else".into(),
                automerge: valid_doc("441521115000-2026-900003", TOWN_A).into(),
                changes: Default::default(),
            }])],
            "bad_document",
        ),
        (
            "a document for the sibling's subtree",
            vec![batch(vec![DocEntry {
                doc_id: "441521101000-2026-000001".into(),
                automerge: valid_doc("441521101000-2026-000001", TOWN_B).into(),
                changes: Default::default(),
            }])],
            "out_of_scope",
        ),
        (
            "an oversized document, refused before decoding",
            vec![batch(vec![DocEntry {
                doc_id: "big".into(),
                automerge: vec![0u8; 100 << 10].into(),
                changes: Default::default(),
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
                changes: Default::default(),
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
}

/// The node API's status, as an operator (the harness's operator certificate).
async fn status(fed: &Federation, unit: &str) -> anyhow::Result<xinfang_proto::v1::StatusResponse> {
    Ok(fed
        .operator_client(unit)
        .await?
        .status(xinfang_proto::v1::StatusRequest {})
        .await?
        .into_inner())
}

/// How often `unit`'s node has refused a certificate presented as `who`
/// ("unit 441521115000", "operator tester") in a TLS handshake.
fn refused(fed: &Federation, unit: &str, who: &str) -> anyhow::Result<u64> {
    Ok(fed
        .tls_state(unit)?
        .refusals(who)
        .map(|(n, _)| n)
        .unwrap_or(0))
}

both_stores! {
async fn a_revoked_child_certificate_cannot_connect(backend: Backend) -> anyhow::Result<()> {
    let units = vec![
        (COUNTY, "海丰县", Tier::County, None),
        (TOWN_A, "海城镇", Tier::Township, Some(COUNTY)),
        (TOWN_B, "梅陇镇", Tier::Township, Some(COUNTY)),
    ];
    let fed = Federation::start(backend, units).await?;
    let before = fed.register(TOWN_A, "张三", "吊销前的事项").await?;
    wait_for("town A's case at the county", PATIENCE, || async {
        Ok(fed
            .list(COUNTY)
            .await?
            .contains(&before.case_no)
            .then_some(()))
    })
    .await?;
    let town_a = fed.tls(TOWN_A)?;
    let serial = fed.tls_state(TOWN_A)?.current().own().serial.clone();

    let done = fed
        .pki()?
        .revoke(&RevokeTarget::Unit(code(TOWN_A)), Reason::KeyCompromise)?;
    assert_eq!(done.revoked.len(), 1);
    assert_eq!(done.revoked[0].serial, serial);
    assert_eq!(done.crl.number, 1);
    fed.hand_out_crl()?;
    wait_for(
        "the county to take up the revocation list",
        PATIENCE,
        || async {
            Ok(fed
                .tls_state(COUNTY)?
                .current()
                .is_revoked(&serial)
                .then_some(()))
        },
    )
    .await?;

    // The session that was up when the list arrived has ended.
    wait_for("town A's session to end", PATIENCE, || async {
        let up = fed
            .hub(COUNTY)
            .with_link_status(&code(TOWN_A), |s| s.connected);
        Ok((!up).then_some(()))
    })
    .await?;
    let sessions = fed
        .hub(COUNTY)
        .with_link_status(&code(TOWN_A), |s| s.sessions);

    // Must hold: the revoked certificate fails the TLS handshake. The client sees
    // the alert (CertificateRevoked) or only the connection closing; the county
    // says why it refused.
    let text = match send_raw(&fed, COUNTY, town_a, TOWN_A, vec![], 1 << 20).await {
        Ok(answer) => answer,
        Err(e) => format!("{e:#}"),
    };
    println!("revoked certificate: {text}");
    assert!(
        text.starts_with("refused") || text.contains("connect"),
        "not refused: {text}"
    );
    let who = format!("unit {TOWN_A}");
    let refusal = wait_for("the county's refusal", PATIENCE, || async {
        Ok(fed.tls_state(COUNTY)?.refusals(&who).map(|(_, r)| r))
    })
    .await?;
    assert_eq!(refusal.serial, serial);
    assert_eq!(refusal.side, "client certificate");
    assert!(refusal.reason.contains("revoked"), "{refusal}");

    // The town's own node keeps dialling and is refused every time: the link never
    // comes up again, no session starts, and nothing more of the town's arrives.
    let after = fed.register(TOWN_A, "李四", "吊销后的事项").await?;
    wait_for(
        "town A's node refused again and again",
        PATIENCE,
        || async { Ok((refused(&fed, COUNTY, &who)? >= 4).then_some(())) },
    )
    .await?;
    let link = fed
        .hub(COUNTY)
        .with_link_status(&code(TOWN_A), |s| s.clone());
    assert!(!link.connected, "{link:?}");
    assert_eq!(link.sessions, sessions, "a session started: {link:?}");
    assert!(!fed.list(COUNTY).await?.contains(&after.case_no));

    // The county's status names the refused certificate on the link.
    let st = status(&fed, COUNTY).await?;
    let peer = st
        .peers
        .iter()
        .find(|p| p.unit == TOWN_A)
        .expect("town A's link");
    assert!(
        peer.last_error.contains(&serial) && peer.last_error.contains("revoked"),
        "{}",
        peer.last_error
    );

    // Meanwhile the other town keeps syncing.
    let b = fed.register(TOWN_B, "王五", "另一镇的事项").await?;
    wait_for("town B's case at the county", PATIENCE, || async {
        Ok(fed.list(COUNTY).await?.contains(&b.case_no).then_some(()))
    })
    .await?;
    fed.shutdown().await;
    Ok(())
}
}

both_stores! {
async fn a_revoked_operator_cannot_use_the_node_api(backend: Backend) -> anyhow::Result<()> {
    let fed = Federation::start(backend, county_and_town()).await?;
    let clerk = fed.dir.path().join("clerk");
    fed.pki()?.issue_operator("clerk", &clerk)?;
    status(&fed, COUNTY).await?;

    let done = fed.pki()?.revoke(
        &RevokeTarget::Operator("tester".into()),
        Reason::PrivilegeWithdrawn,
    )?;
    let serial = done.revoked[0].serial.clone();
    fed.hand_out_crl()?;
    wait_for("both nodes to take up the list", PATIENCE, || async {
        Ok((fed.tls_state(COUNTY)?.current().is_revoked(&serial)
            && fed.tls_state(TOWN_A)?.current().is_revoked(&serial))
        .then_some(()))
    })
    .await?;

    // The revoked operator gets nothing from either node.
    for unit in [COUNTY, TOWN_A] {
        let Err(e) = status(&fed, unit).await else {
            panic!("a revoked operator certificate must not reach {unit}'s node API");
        };
        println!("revoked operator at {unit}: {e:#}");
        // Refused in the handshake, and named (a client may try the connection twice).
        assert!(refused(&fed, unit, "operator tester")? >= 1);
    }

    // Another operator carries on, and the link carries on.
    let mut client =
        xinfang_proto::v1::node_client::NodeClient::new(fed.channel_as(TOWN_A, &clerk).await?);
    let case = client
        .register_case(xinfang_proto::v1::RegisterCaseRequest {
            unit: TOWN_A.into(),
            petitioner: "张三".into(),
            content: "换人登记".into(),
            ..Default::default()
        })
        .await?
        .into_inner();
    let mut county =
        xinfang_proto::v1::node_client::NodeClient::new(fed.channel_as(COUNTY, &clerk).await?);
    wait_for("the case at the county", PATIENCE, || {
        let mut county = county.clone();
        let case_no = case.case_no.clone();
        async move {
            let found = county
                .get_case(xinfang_proto::v1::GetCaseRequest { case_no })
                .await
                .is_ok();
            Ok(found.then_some(()))
        }
    })
    .await?;
    county.status(xinfang_proto::v1::StatusRequest {}).await?;
    fed.shutdown().await;
    Ok(())
}
}

both_stores! {
async fn a_child_refuses_a_parent_whose_certificate_is_revoked(backend: Backend) -> anyhow::Result<()> {
    let fed = Federation::start(backend, county_and_town()).await?;
    let before = fed.register(TOWN_A, "张三", "吊销前的事项").await?;
    wait_for("the case at the county", PATIENCE, || async {
        Ok(fed
            .list(COUNTY)
            .await?
            .contains(&before.case_no)
            .then_some(()))
    })
    .await?;
    let county_serial = fed.tls_state(COUNTY)?.current().own().serial.clone();
    fed.pki()?
        .revoke(&RevokeTarget::Unit(code(COUNTY)), Reason::KeyCompromise)?;
    fed.hand_out_crl()?;
    wait_for("the town to take up the list", PATIENCE, || async {
        Ok(fed
            .tls_state(TOWN_A)?
            .current()
            .is_revoked(&county_serial)
            .then_some(()))
    })
    .await?;

    // The county refuses a list that revokes its own certificate: it keeps the
    // material it has, says why, and keeps serving.
    wait_for("the county to refuse the list", PATIENCE, || async {
        Ok(fed
            .tls_state(COUNTY)?
            .reload_error()
            .filter(|e| e.contains("revoked") && e.contains(&county_serial)))
    })
    .await?;
    let st = status(&fed, COUNTY).await?;
    assert!(
        st.tls_reload_error.contains("crl.pem"),
        "{}",
        st.tls_reload_error
    );

    // The town ended the session with its revoked parent and refuses it on every
    // dial, in the handshake.
    let who = format!("unit {COUNTY}");
    wait_for(
        "the town to refuse its parent again and again",
        PATIENCE,
        || async { Ok((refused(&fed, TOWN_A, &who)? >= 3).then_some(())) },
    )
    .await?;
    let Err(err) = net::connect(
        &fed.addr(COUNTY).to_string(),
        &Security::Tls(fed.tls_state(TOWN_A)?),
        &code(COUNTY),
        1 << 20,
        &Default::default(),
    )
    .await
    else {
        panic!("a parent with a revoked certificate must fail the handshake");
    };
    assert!(err.message.contains("Revoked"), "{err}");
    let after = fed.register(TOWN_A, "李四", "吊销后的事项").await?;
    let st = status(&fed, TOWN_A).await?;
    let parent = &st.peers[0];
    assert!(!parent.connected);
    assert!(
        parent.last_error.contains("Revoked") || parent.last_error.contains("revoked"),
        "{}",
        parent.last_error
    );
    assert!(!fed.list(COUNTY).await?.contains(&after.case_no));
    fed.shutdown().await;
    Ok(())
}
}
