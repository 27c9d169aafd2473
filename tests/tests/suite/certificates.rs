//! Certificates over a node's life: rotation while it runs (new certificate, key
//! and revocation list taken up for new connections, the link recovering), bad
//! replacement files refused with the old material kept, and expiry warnings in
//! `status`. Revocation itself (who can no longer connect) is in `trust.rs`.

use std::sync::Arc;

use xinfang_ca::{self as pki, IssueOptions, Pki, Reason, RevokeTarget};
use xinfang_hub::net::{self, Security};
use xinfang_hub::tls::TlsState;
use xinfang_proto::v1::{StatusRequest, StatusResponse};
use xinfang_tests::*;

/// The node's status as the operator (certificate details are for administrators).
async fn status(fed: &Federation, unit: &str) -> anyhow::Result<StatusResponse> {
    Ok(fed
        .operator_client(unit)
        .await?
        .status(StatusRequest {})
        .await?
        .into_inner())
}

/// Dials `unit`'s node afresh, as its child town would, and returns the serial of
/// the certificate the node answered with.
async fn serial_served(fed: &Federation, unit: &str) -> anyhow::Result<String> {
    let client = Arc::new(TlsState::new(fed.tls(TOWN_A)?, None)?);
    net::connect(
        &fed.addr(unit).to_string(),
        &Security::Tls(client.clone()),
        &code(unit),
        1 << 20,
        &Default::default(),
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(client
        .peer_cert(&code(unit))
        .ok_or_else(|| anyhow::anyhow!("no certificate seen from {unit}"))?
        .serial)
}

async fn arrives(fed: &Federation, unit: &str, case_no: &str) -> anyhow::Result<()> {
    wait_for(&format!("{case_no} at {unit}"), PATIENCE, || async {
        Ok(fed
            .list(unit)
            .await?
            .iter()
            .any(|c| c == case_no)
            .then_some(()))
    })
    .await
}

/// Files to write into a TLS folder: name and contents.
type Files = Vec<(&'static str, String)>;

fn in_use(fed: &Federation, unit: &str) -> anyhow::Result<String> {
    Ok(fed.tls_state(unit)?.current().own().serial.clone())
}

both_stores! {
async fn a_running_node_takes_up_a_new_certificate_without_a_restart(backend: Backend) -> anyhow::Result<()> {
    let fed = Federation::start(backend, county_and_town()).await?;
    let first = fed.register(TOWN_A, "张三", "轮换前").await?;
    arrives(&fed, COUNTY, &first.case_no).await?;
    let (old_county, old_town) = (in_use(&fed, COUNTY)?, in_use(&fed, TOWN_A)?);
    assert_eq!(serial_served(&fed, COUNTY).await?, old_county);
    let sessions = fed
        .hub(COUNTY)
        .with_link_status(&code(TOWN_A), |s| s.sessions);

    // `xinfang pki issue` for both running nodes: new certificates, new keys.
    let pki = fed.pki()?;
    let hosts = ["127.0.0.1".to_owned()];
    let new_county = pki
        .issue_node(&code(COUNTY), &hosts, &fed.layout.tls(&code(COUNTY)))?
        .serial;
    let new_town = pki
        .issue_node(&code(TOWN_A), &hosts, &fed.layout.tls(&code(TOWN_A)))?
        .serial;
    wait_for(
        "both nodes to take up their new certificates",
        PATIENCE,
        || async {
            Ok(
                (in_use(&fed, COUNTY)? == new_county && in_use(&fed, TOWN_A)? == new_town)
                    .then_some(()),
            )
        },
    )
    .await?;

    // New connections get the new certificate; the node did not restart.
    assert_eq!(serial_served(&fed, COUNTY).await?, new_county);
    let second = fed.register(TOWN_A, "李四", "轮换后").await?;
    arrives(&fed, COUNTY, &second.case_no).await?;

    // Retire the old certificates. The session opened with them ends (each side
    // revokes the other's old one), the town dials again with its new certificate,
    // and the link comes back.
    pki.revoke(&RevokeTarget::Serial(old_town.clone()), Reason::Superseded)?;
    let crl = pki.revoke(
        &RevokeTarget::Serial(old_county.clone()),
        Reason::Superseded,
    )?;
    assert_eq!(crl.crl.number, 2);
    fed.hand_out_crl()?;
    wait_for("both nodes to take up the list", PATIENCE, || async {
        let (c, t) = (
            fed.tls_state(COUNTY)?.current(),
            fed.tls_state(TOWN_A)?.current(),
        );
        Ok(
            (c.is_revoked(&old_town) && c.is_revoked(&old_county) && t.is_revoked(&old_county))
                .then_some(()),
        )
    })
    .await?;
    let third = fed.register(TOWN_A, "王五", "旧证书吊销后").await?;
    arrives(&fed, COUNTY, &third.case_no).await?;
    wait_for("the link on the new certificates", PATIENCE, || async {
        let st = status(&fed, COUNTY).await?;
        let town = st.peers.iter().find(|p| p.unit == TOWN_A);
        Ok(town
            .filter(|p| p.connected && p.cert_serial == new_town)
            .map(|_| ()))
    })
    .await?;
    let after = fed
        .hub(COUNTY)
        .with_link_status(&code(TOWN_A), |s| s.sessions);
    assert!(
        after > sessions,
        "the link was not re-established: {sessions} → {after}"
    );
    let st = status(&fed, TOWN_A).await?;
    assert_eq!(
        st.peers[0].cert_serial, new_county,
        "the town's view of its parent"
    );
    assert!(st.tls_reload_error.is_empty(), "{}", st.tls_reload_error);
    fed.shutdown().await;
    Ok(())
}
}

both_stores! {
async fn a_broken_replacement_is_refused_and_the_old_material_kept(backend: Backend) -> anyhow::Result<()> {
    let mut fed = Federation::start(backend, county_and_town()).await?;
    let dir = fed.layout.tls(&code(COUNTY));
    let serial = in_use(&fed, COUNTY)?;
    let good_cert = pki::read_file(&dir.join(pki::NODE_CERT))?;
    let good_key = pki::read_file(&dir.join(pki::NODE_KEY))?;

    // Each bad replacement: refused with the file named, old material kept, the
    // node serving new connections and its link as before.
    let other = tempfile::tempdir()?;
    let rogue = Pki::init(&other.path().join("pki"))?;
    rogue.issue_node(&code(COUNTY), &[], &other.path().join("n"))?;
    rogue.revoke(&RevokeTarget::Unit(code(COUNTY)), Reason::KeyCompromise)?;
    let wrong_unit = fed.dir.path().join("wrong");
    fed.pki()?
        .issue_node(&code(CITY), &["127.0.0.1".into()], &wrong_unit)?;
    let bad: Vec<(&str, Files, &str)> = vec![
        (
            "an unparsable certificate",
            vec![(pki::NODE_CERT, "not a certificate\n".into())],
            "node.pem",
        ),
        (
            "another unit's certificate and key",
            vec![
                (
                    pki::NODE_KEY,
                    pki::read_file(&wrong_unit.join(pki::NODE_KEY))?,
                ),
                (
                    pki::NODE_CERT,
                    pki::read_file(&wrong_unit.join(pki::NODE_CERT))?,
                ),
            ],
            CITY,
        ),
        (
            "a certificate from another root",
            vec![
                (
                    pki::NODE_KEY,
                    pki::read_file(&other.path().join("n").join(pki::NODE_KEY))?,
                ),
                (
                    pki::NODE_CERT,
                    pki::read_file(&other.path().join("n").join(pki::NODE_CERT))?,
                ),
            ],
            "not signed by the federation root",
        ),
        (
            "a revocation list another root signed",
            vec![(pki::CRL, pki::read_file(&rogue.crl_path())?)],
            "crl.pem",
        ),
    ];
    for (what, files, expect) in bad {
        for (name, text) in &files {
            std::fs::write(dir.join(name), text)?;
        }
        let error = wait_for(&format!("{what} refused"), PATIENCE, || async {
            let error = status(&fed, COUNTY).await?.tls_reload_error;
            Ok(error.contains(expect).then_some(error))
        })
        .await?;
        println!("{what}: {error}");
        assert_eq!(in_use(&fed, COUNTY)?, serial, "{what}: old material kept");
        assert_eq!(serial_served(&fed, COUNTY).await?, serial, "{what}");
        let case = fed.register(TOWN_A, "张三", what).await?;
        arrives(&fed, COUNTY, &case.case_no).await?;
        // Put the good files back: the error clears.
        std::fs::write(dir.join(pki::NODE_KEY), &good_key)?;
        std::fs::write(dir.join(pki::NODE_CERT), &good_cert)?;
        let _ = std::fs::remove_file(dir.join(pki::CRL));
        wait_for(&format!("{what}: good files back"), PATIENCE, || async {
            Ok(status(&fed, COUNTY)
                .await?
                .tls_reload_error
                .is_empty()
                .then_some(()))
        })
        .await?;
    }

    // At start, the same list is a clear error naming the file.
    fed.stop_node(COUNTY).await?;
    std::fs::copy(rogue.crl_path(), dir.join(pki::CRL))?;
    let err = fed
        .start_node(COUNTY)
        .await
        .expect_err("a list another root signed must stop the start");
    let text = format!("{err:#}");
    assert!(
        text.contains(&dir.join(pki::CRL).display().to_string()) && text.contains("not signed"),
        "{text}"
    );
    std::fs::remove_file(dir.join(pki::CRL))?;
    fed.start_node(COUNTY).await?;
    assert_eq!(serial_served(&fed, COUNTY).await?, serial);
    fed.shutdown().await;
    Ok(())
}
}

both_stores! {
async fn a_certificate_expiring_within_thirty_days_is_warned_in_status(backend: Backend) -> anyhow::Result<()> {
    let fed = Federation::start(backend, county_and_town()).await?;
    let st = status(&fed, COUNTY).await?;
    let kinds: Vec<&str> = st.credentials.iter().map(|c| c.kind.as_str()).collect();
    assert_eq!(kinds, ["certificate", "ca"]);
    assert!(st.credentials.iter().all(|c| !c.warning), "{st:?}");

    // Renewed for ten days only (same key).
    let issued = fed.pki()?.issue_node_with(
        &code(COUNTY),
        &["127.0.0.1".into()],
        &fed.layout.tls(&code(COUNTY)),
        &IssueOptions {
            valid_days: Some(10),
            keep_key: true,
        },
    )?;
    let st = wait_for("the short certificate in use", PATIENCE, || async {
        let st = status(&fed, COUNTY).await?;
        let ok = st
            .credentials
            .iter()
            .any(|c| c.kind == "certificate" && c.serial == issued.serial);
        Ok(ok.then_some(st))
    })
    .await?;
    let own = st
        .credentials
        .iter()
        .find(|c| c.kind == "certificate")
        .expect("own certificate");
    assert!(own.warning, "{own:?}");
    assert!((9..=10).contains(&own.days_left), "{own:?}");
    assert_eq!(own.subject, format!("unit {COUNTY}"));
    let ca = st.credentials.iter().find(|c| c.kind == "ca").expect("ca");
    assert!(!ca.warning && ca.days_left > 3000, "{ca:?}");

    // A revocation list brings its next update; the links show the peers' certificates.
    fed.pki()?.refresh_crl()?;
    fed.hand_out_crl()?;
    let st = wait_for("the list's date in status", PATIENCE, || async {
        let st = status(&fed, COUNTY).await?;
        Ok(st.credentials.iter().any(|c| c.kind == "crl").then_some(st))
    })
    .await?;
    let crl = st
        .credentials
        .iter()
        .find(|c| c.kind == "crl")
        .expect("crl");
    assert_eq!(crl.serial, "1");
    assert!(
        !crl.warning && (179..=180).contains(&crl.days_left),
        "{crl:?}"
    );
    let town = &st.peers[0];
    assert_eq!(town.cert_serial, in_use(&fed, TOWN_A)?);
    assert!(!town.cert_not_after.is_empty());
    fed.shutdown().await;
    Ok(())
}
}
