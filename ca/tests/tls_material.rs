//! The hub's TLS material checked and reloaded against certificates and revocation
//! lists this CA issues and signs.

use xinfang_ca::{self as pki, Pki, Reason, RevokeTarget};
use xinfang_hub::UnitCode;
use xinfang_hub::tls::TlsState;

fn unit(s: &str) -> UnitCode {
    s.parse().unwrap()
}

#[test]
fn material_is_checked_and_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::init(&dir.path().join("pki")).unwrap();
    let tls = dir.path().join("tls");
    pki.issue_node(&unit("441521"), &[], &tls).unwrap();
    let state = TlsState::from_dir(&tls, &unit("441521")).unwrap();
    assert!(state.current().crl().is_none());

    // Another unit's folder.
    let e = TlsState::from_dir(&tls, &unit("441500")).err().unwrap();
    assert!(
        e.to_string().contains("node.pem") && e.to_string().contains("441500"),
        "{e}"
    );

    // A revocation list from another root.
    let other = Pki::init(&dir.path().join("other")).unwrap();
    other
        .issue_node(&unit("441500"), &[], &dir.path().join("x"))
        .unwrap();
    other
        .revoke(&RevokeTarget::Unit(unit("441500")), Reason::KeyCompromise)
        .unwrap();
    std::fs::copy(other.crl_path(), tls.join(pki::CRL)).unwrap();
    let e = TlsState::from_dir(&tls, &unit("441521")).err().unwrap();
    assert!(
        e.to_string().contains("crl.pem") && e.to_string().contains("not signed"),
        "{e}"
    );

    // Garbage.
    std::fs::write(tls.join(pki::CRL), "not a list").unwrap();
    let e = TlsState::from_dir(&tls, &unit("441521")).err().unwrap();
    assert!(e.to_string().contains("crl.pem"), "{e}");

    // Its own root's list, revoking this very certificate.
    std::fs::remove_file(tls.join(pki::CRL)).unwrap();
    pki.revoke(&RevokeTarget::Unit(unit("441521")), Reason::Superseded)
        .unwrap();
    pki.hand_out_crl(&tls).unwrap();
    let e = TlsState::from_dir(&tls, &unit("441521")).err().unwrap();
    assert!(e.to_string().contains("revoked"), "{e}");

    // Re-issued: the new certificate is not on the list.
    pki.issue_node(&unit("441521"), &[], &tls).unwrap();
    let state = TlsState::from_dir(&tls, &unit("441521")).unwrap();
    let crl = state.current().crl().cloned().unwrap();
    assert_eq!((crl.number, crl.revoked.len()), (1, 1));
    assert!(!state.current().is_revoked(&state.current().own().serial));

    // A key that is not the certificate's.
    let key = std::fs::read_to_string(tls.join(pki::NODE_KEY)).unwrap();
    pki.issue_node(&unit("441521"), &[], &dir.path().join("y"))
        .unwrap();
    std::fs::copy(
        dir.path().join("y").join(pki::NODE_KEY),
        tls.join(pki::NODE_KEY),
    )
    .unwrap();
    let e = TlsState::from_dir(&tls, &unit("441521")).err().unwrap();
    assert!(e.to_string().contains("node-key.pem"), "{e}");
    std::fs::write(tls.join(pki::NODE_KEY), key).unwrap();
    TlsState::from_dir(&tls, &unit("441521")).unwrap();
}

#[test]
fn reload_swaps_good_material_and_keeps_the_old_on_bad() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::init(&dir.path().join("pki")).unwrap();
    let tls = dir.path().join("tls");
    pki.issue_node(&unit("441521"), &[], &tls).unwrap();
    let state = TlsState::from_dir(&tls, &unit("441521")).unwrap();
    let first = state.current().own().serial.clone();
    assert!(!state.reload().unwrap(), "nothing changed");

    pki.issue_node(&unit("441521"), &[], &tls).unwrap();
    assert!(state.reload().unwrap());
    let second = state.current().own().serial.clone();
    assert_ne!(first, second);

    std::fs::write(tls.join(pki::NODE_CERT), "garbage").unwrap();
    assert!(state.reload().is_err());
    assert_eq!(state.current().own().serial, second, "old material kept");
    assert!(state.reload_error().unwrap().contains("node.pem"));
}
