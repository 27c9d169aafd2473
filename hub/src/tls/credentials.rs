//! Checked TLS material: certificate, key, root bundle and revocation list held
//! together, and the server config and verifiers built from them.

use std::path::Path;
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::ServerCertVerifier;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::sign::CertifiedKey;
use rustls::{RootCertStore, ServerConfig};
use tonic::transport::ClientTlsConfig;
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::revocation_list::CertificateRevocationList;

use crate::identity::{self, PeerIdentity, cert_info, serial_hex, unit_dns_name};
use crate::topology::UnitCode;

use super::verify::{RecordingClientVerifier, RecordingServerVerifier, Seen};
use super::{CertSummary, CrlSummary, Expiry, ExpiryKind, TlsError, TlsMaterial, provider};

/// Checked, ready-to-use TLS material: what a node proves itself with and checks
/// its peers against, at one moment.
pub struct Credentials {
    pub(super) material: TlsMaterial,
    pub(super) own: CertSummary,
    pub(super) roots: Vec<CertSummary>,
    pub(super) crl: Option<CrlSummary>,
    pub(super) server: Arc<ServerConfig>,
    pub(super) server_verifier: Arc<dyn ServerCertVerifier>,
}

/// Where the material came from, to name files in errors.
pub(super) struct Origin<'a>(pub(super) Option<&'a Path>);

impl Origin<'_> {
    pub(super) fn file(&self, name: &str) -> String {
        match self.0 {
            Some(dir) => dir.join(name).display().to_string(),
            None => name.to_owned(),
        }
    }
    pub(super) fn err(&self, name: &str, message: impl Into<String>) -> TlsError {
        TlsError::File {
            file: self.file(name),
            message: message.into(),
        }
    }
}

/// How strictly a node's own certificate is checked.
#[derive(Clone, Copy)]
pub(super) enum Own<'a> {
    /// Signed by a root of the bundle, not revoked, and (if given) the unit's.
    Checked(Option<&'a UnitCode>),
    /// Taken as it is (how a misconfigured or hostile peer dials, in tests).
    Unchecked,
}

impl Credentials {
    pub(super) fn build(
        material: TlsMaterial,
        origin: &Origin<'_>,
        own: Own<'_>,
        seen: &Arc<Seen>,
    ) -> Result<Credentials, TlsError> {
        // The federation root(s).
        let ca_ders: Vec<CertificateDer<'static>> =
            CertificateDer::pem_slice_iter(material.ca_pem.as_bytes())
                .collect::<Result<_, _>>()
                .map_err(|e| origin.err(identity::CA_CERT, format!("not PEM certificates: {e}")))?;
        if ca_ders.is_empty() {
            return Err(origin.err(identity::CA_CERT, "holds no certificate"));
        }
        let mut roots = Vec::new();
        let mut store = RootCertStore::empty();
        for der in &ca_ders {
            let info = cert_info(der.as_ref())
                .map_err(|e| origin.err(identity::CA_CERT, e.to_string()))?;
            store
                .add(der.clone())
                .map_err(|e| origin.err(identity::CA_CERT, format!("not a usable root: {e}")))?;
            roots.push(CertSummary {
                serial: info.serial,
                subject: subject_of(der.as_ref()),
                not_after: info.not_after,
            });
        }
        let store = Arc::new(store);

        // This node's certificate and key.
        let chain: Vec<CertificateDer<'static>> =
            CertificateDer::pem_slice_iter(material.cert_pem.as_bytes())
                .collect::<Result<_, _>>()
                .map_err(|e| {
                    origin.err(identity::NODE_CERT, format!("not PEM certificates: {e}"))
                })?;
        let leaf = chain
            .first()
            .ok_or_else(|| origin.err(identity::NODE_CERT, "holds no certificate"))?
            .clone();
        let info =
            cert_info(leaf.as_ref()).map_err(|e| origin.err(identity::NODE_CERT, e.to_string()))?;
        let key = PrivateKeyDer::from_pem_slice(material.key_pem.as_bytes())
            .map_err(|e| origin.err(identity::NODE_KEY, format!("not a PEM private key: {e}")))?;
        CertifiedKey::from_der(chain.clone(), key.clone_key(), &provider()).map_err(|e| {
            origin.err(
                identity::NODE_KEY,
                format!("does not belong to {}: {e}", identity::NODE_CERT),
            )
        })?;

        // The revocation list(s): each must be signed by a root of the bundle.
        let mut crl_ders = Vec::new();
        let mut crl = None;
        if let Some(pem) = &material.crl_pem {
            let ders: Vec<CertificateRevocationListDer<'static>> =
                CertificateRevocationListDer::pem_slice_iter(pem.as_bytes())
                    .collect::<Result<_, _>>()
                    .map_err(|e| {
                        origin.err(identity::CRL, format!("not a PEM revocation list: {e}"))
                    })?;
            if ders.is_empty() {
                return Err(origin.err(identity::CRL, "holds no revocation list (X509 CRL)"));
            }
            let mut summary = CrlSummary::default();
            for der in &ders {
                check_crl(der.as_ref(), &ca_ders, &mut summary, origin)?;
            }
            crl = Some(summary);
            crl_ders = ders;
        }

        if let Own::Checked(unit) = own {
            let signed = ca_ders
                .iter()
                .any(|ca| signed_by(leaf.as_ref(), ca.as_ref()));
            if !signed {
                return Err(origin.err(
                    identity::NODE_CERT,
                    format!(
                        "{} is not signed by the federation root in {}",
                        info.identity,
                        identity::CA_CERT
                    ),
                ));
            }
            if let Some(unit) = unit {
                match &info.identity {
                    PeerIdentity::Unit(u) if u == unit => {}
                    other => {
                        return Err(origin.err(
                            identity::NODE_CERT,
                            format!("is a certificate for {other}, not for unit {unit}"),
                        ));
                    }
                }
            }
            if crl
                .as_ref()
                .is_some_and(|c| c.revoked.contains(&info.serial))
            {
                return Err(origin.err(
                    identity::NODE_CERT,
                    format!(
                        "{} (serial {}) is revoked by {}: issue a new certificate",
                        info.identity,
                        info.serial,
                        origin.file(identity::CRL)
                    ),
                ));
            }
        }

        let client_verifier =
            WebPkiClientVerifier::builder_with_provider(store.clone(), provider())
                .with_crls(crl_ders.clone())
                // A root of the bundle without a list of its own revokes nothing.
                .allow_unknown_revocation_status()
                // Health checks and reflection work without a client certificate; the
                // services that need one check it (`peer_certs`).
                .allow_unauthenticated()
                .build()
                .map_err(|e| TlsError::Config(format!("client verifier: {e}")))?;
        let server = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Config(e.to_string()))?
            .with_client_cert_verifier(Arc::new(RecordingClientVerifier {
                inner: client_verifier,
                seen: seen.clone(),
            }))
            .with_single_cert(chain, key)
            .map_err(|e| origin.err(identity::NODE_KEY, format!("cannot serve with it: {e}")))?;
        let mut server = server;
        server.alpn_protocols = vec![b"h2".to_vec()];
        let webpki = WebPkiServerVerifier::builder_with_provider(store, provider())
            .with_crls(crl_ders)
            .allow_unknown_revocation_status()
            .build()
            .map_err(|e| TlsError::Config(format!("server verifier: {e}")))?;
        Ok(Credentials {
            own: CertSummary {
                serial: info.serial,
                subject: info.identity.to_string(),
                not_after: info.not_after,
            },
            roots,
            crl,
            server: Arc::new(server),
            server_verifier: Arc::new(RecordingServerVerifier {
                inner: webpki,
                seen: seen.clone(),
            }),
            material,
        })
    }

    pub fn material(&self) -> &TlsMaterial {
        &self.material
    }

    /// This node's certificate.
    pub fn own(&self) -> &CertSummary {
        &self.own
    }

    pub fn crl(&self) -> Option<&CrlSummary> {
        self.crl.as_ref()
    }

    pub fn is_revoked(&self, serial: &str) -> bool {
        self.crl
            .as_ref()
            .is_some_and(|c| c.revoked.contains(serial))
    }

    /// What runs out when: this node's certificate, each root, the list's next update.
    pub fn expiries(&self) -> Vec<Expiry> {
        let mut out = vec![Expiry {
            kind: ExpiryKind::Certificate,
            serial: self.own.serial.clone(),
            subject: self.own.subject.clone(),
            not_after: self.own.not_after,
        }];
        for r in &self.roots {
            out.push(Expiry {
                kind: ExpiryKind::Ca,
                serial: r.serial.clone(),
                subject: r.subject.clone(),
                not_after: r.not_after,
            });
        }
        if let Some(c) = &self.crl
            && let Some(next) = c.next_update
        {
            out.push(Expiry {
                kind: ExpiryKind::Crl,
                serial: c.number.to_string(),
                subject: format!("revocation list {}", c.number),
                not_after: next,
            });
        }
        out
    }

    /// The server side's rustls configuration (certificate, client verifier with the
    /// revocation list, ALPN h2).
    pub fn server_config(&self) -> Arc<ServerConfig> {
        self.server.clone()
    }

    /// How to dial `expect`'s node: tonic's client TLS (our certificate, the server
    /// name `<code>.unit.xinfang`) and the verifier with the revocation list, for
    /// `Endpoint::tls_config_with_verifier`.
    pub fn client_tls(&self, expect: &UnitCode) -> (ClientTlsConfig, Arc<dyn ServerCertVerifier>) {
        (
            ClientTlsConfig::new()
                .identity(self.material.identity())
                .domain_name(unit_dns_name(expect)),
            self.server_verifier.clone(),
        )
    }
}

/// A verifier of node certificates against `ca_pem`, refusing what `crl_pem` revokes:
/// for tools that dial a node (the operators' CLI).
pub fn server_verifier(
    ca_pem: &str,
    crl_pem: Option<&str>,
) -> Result<Arc<dyn ServerCertVerifier>, TlsError> {
    let origin = Origin(None);
    let mut store = RootCertStore::empty();
    let cas: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(ca_pem.as_bytes())
        .collect::<Result<_, _>>()
        .map_err(|e| origin.err(identity::CA_CERT, format!("not PEM certificates: {e}")))?;
    for der in &cas {
        store
            .add(der.clone())
            .map_err(|e| origin.err(identity::CA_CERT, format!("not a usable root: {e}")))?;
    }
    let mut crls = Vec::new();
    if let Some(pem) = crl_pem {
        crls = CertificateRevocationListDer::pem_slice_iter(pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| origin.err(identity::CRL, format!("not a PEM revocation list: {e}")))?;
        let mut summary = CrlSummary::default();
        for der in &crls {
            check_crl(der.as_ref(), &cas, &mut summary, &origin)?;
        }
    }
    let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider())
        .with_crls(crls)
        .allow_unknown_revocation_status()
        .build()
        .map_err(|e| TlsError::Config(format!("server verifier: {e}")))?;
    Ok(verifier)
}

pub(super) fn subject_of(der: &[u8]) -> String {
    X509Certificate::from_der(der)
        .map(|(_, c)| c.subject().to_string())
        .unwrap_or_default()
}

/// Whether `cert` carries a valid signature by `ca`'s key, under `ca`'s name.
pub(super) fn signed_by(cert: &[u8], ca: &[u8]) -> bool {
    let (Ok((_, cert)), Ok((_, ca))) = (
        X509Certificate::from_der(cert),
        X509Certificate::from_der(ca),
    ) else {
        return false;
    };
    cert.issuer().as_raw() == ca.subject().as_raw()
        && cert.verify_signature(Some(ca.public_key())).is_ok()
}

/// Parses one list, checks it is signed by one of `cas`, and adds it to `summary`;
/// an error names the list's file as `origin` gives it.
pub(super) fn check_crl(
    der: &[u8],
    cas: &[CertificateDer<'static>],
    summary: &mut CrlSummary,
    origin: &Origin<'_>,
) -> Result<(), TlsError> {
    let (_, list) = CertificateRevocationList::from_der(der)
        .map_err(|e| origin.err(identity::CRL, format!("not a valid revocation list: {e}")))?;
    let signer = cas.iter().any(|ca| {
        X509Certificate::from_der(ca.as_ref()).is_ok_and(|(_, ca)| {
            list.issuer().as_raw() == ca.subject().as_raw()
                && list.verify_signature(ca.public_key()).is_ok()
        })
    });
    if !signer {
        return Err(origin.err(
            identity::CRL,
            format!(
                "not signed by the federation root in {} (issuer {})",
                identity::CA_CERT,
                list.issuer()
            ),
        ));
    }
    let number = list
        .crl_number()
        .and_then(|n| u64::try_from(n).ok())
        .unwrap_or(0);
    summary.number = summary.number.max(number);
    if let Some(next) = list.next_update() {
        let next = next.timestamp();
        summary.next_update = Some(summary.next_update.map_or(next, |n: i64| n.min(next)));
    }
    for r in list.iter_revoked_certificates() {
        summary.revoked.insert(serial_hex(r.raw_serial()));
    }
    Ok(())
}
