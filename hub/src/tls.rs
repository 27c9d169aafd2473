//! TLS for nodes: rustls configurations built from a node's files (its certificate
//! and key, the federation root bundle `ca.pem`, the revocation list `crl.pem`),
//! checked before use and swapped while the node runs.
//!
//! tonic's own TLS settings take no revocation list, so:
//! - the server side accepts connections itself ([`incoming`]): TCP, then a
//!   tokio-rustls handshake with the *current* [`ServerConfig`], whose client
//!   verifier carries the revocation list; tonic serves the finished `TlsStream`s
//!   (and still hands the peer's certificates to `Request::peer_certs`);
//! - the client side gives tonic a rustls server verifier of ours that carries the
//!   list ([`Credentials::client_tls`]).
//!
//! Both verifiers wrap webpki's: they record the certificate each peer presented
//! (its expiry shows in `status`) and name a refused one (unit or operator, serial,
//! why) in the log and, for a configured link, in its status.
//!
//! Rotation: [`TlsState`] holds the current [`Credentials`] behind a lock and swaps
//! them whole when the files change (polled, or on demand). New connections use the
//! new material; sessions already open keep theirs, except one whose peer's
//! certificate the new list revokes ([`until_revoked_or`] ends it). New material
//! that does not hold together is refused and the old kept.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{
    CertificateDer, CertificateRevocationListDer, PrivateKeyDer, ServerName, UnixTime,
};
use rustls::server::WebPkiClientVerifier;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::sign::CertifiedKey;
use rustls::{
    CertificateError, DigitallySignedStruct, DistinguishedName, RootCertStore, ServerConfig,
    SignatureScheme,
};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::{ClientTlsConfig, Identity};
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::revocation_list::CertificateRevocationList;

use crate::engine::Hub;
use crate::pki::{self, PeerIdentity, cert_info, serial_hex, unit_dns_name};
use crate::topology::UnitCode;

/// Certificates (and the revocation list's next update) closer to their end than
/// this are warned about, in `status` and in the log.
pub const WARN_WITHIN_DAYS: i64 = 30;

/// How often a node looks at its TLS folder for new files, by default.
pub const DEFAULT_POLL: Duration = Duration::from_secs(5);

/// How long a TLS handshake may take before the connection is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, thiserror::Error)]
pub enum TlsError {
    /// A file is missing, unreadable or not what it must be; names the file.
    #[error("{file}: {message}")]
    File { file: String, message: String },
    #[error("TLS configuration: {0}")]
    Config(String),
}

/// PEM material for mTLS, as read from a node's TLS folder.
#[derive(Clone, PartialEq, Eq)]
pub struct TlsMaterial {
    /// The federation root (one certificate, or several while a root is replaced).
    pub ca_pem: String,
    pub cert_pem: String,
    pub key_pem: String,
    /// The revocation list(s); None: nothing is revoked.
    pub crl_pem: Option<String>,
}

impl std::fmt::Debug for TlsMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsMaterial")
            .field("crl", &self.crl_pem.is_some())
            .finish_non_exhaustive()
    }
}

impl TlsMaterial {
    /// Reads `node.pem`, `node-key.pem`, `ca.pem` and, if present, `crl.pem`.
    pub fn load(dir: &Path) -> Result<TlsMaterial, TlsError> {
        let read = |name: &str| {
            pki::read_file(&dir.join(name)).map_err(|e| TlsError::File {
                file: dir.join(name).display().to_string(),
                message: match e {
                    pki::PkiError::Io { source, .. } => source.to_string(),
                    other => other.to_string(),
                },
            })
        };
        let crl_path = dir.join(pki::CRL);
        Ok(TlsMaterial {
            ca_pem: read(pki::CA_CERT)?,
            cert_pem: read(pki::NODE_CERT)?,
            key_pem: read(pki::NODE_KEY)?,
            crl_pem: if crl_path.exists() {
                Some(read(pki::CRL)?)
            } else {
                None
            },
        })
    }

    pub fn identity(&self) -> Identity {
        Identity::from_pem(&self.cert_pem, &self.key_pem)
    }
}

/// A certificate in use or seen, for status and logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertSummary {
    pub serial: String,
    /// Who it names ("unit 441521", "operator admin", or the subject).
    pub subject: String,
    /// Seconds since the epoch.
    pub not_after: i64,
}

/// The revocation list in use.
#[derive(Debug, Clone, Default)]
pub struct CrlSummary {
    /// The highest list number loaded.
    pub number: u64,
    /// Seconds since the epoch: the earliest next update of the lists loaded.
    pub next_update: Option<i64>,
    /// Serials revoked (as `pki::serial_hex` writes them).
    pub revoked: HashSet<String>,
}

/// What may run out: this node's certificate, a federation root, the revocation list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpiryKind {
    Certificate,
    Ca,
    Crl,
}

impl ExpiryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ExpiryKind::Certificate => "certificate",
            ExpiryKind::Ca => "ca",
            ExpiryKind::Crl => "crl",
        }
    }
}

/// One date something runs out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expiry {
    pub kind: ExpiryKind,
    /// A certificate's serial; the list's number for the revocation list.
    pub serial: String,
    pub subject: String,
    /// Seconds since the epoch.
    pub not_after: i64,
}

impl Expiry {
    /// Whole days left at `now` (seconds since the epoch); negative once past.
    pub fn days_left(&self, now: i64) -> i64 {
        (self.not_after - now).div_euclid(86_400)
    }

    /// Past, or within `WARN_WITHIN_DAYS`.
    pub fn warning(&self, now: i64) -> bool {
        self.not_after - now <= WARN_WITHIN_DAYS * 86_400
    }
}

/// A certificate refused in a handshake.
#[derive(Debug, Clone)]
pub struct Refusal {
    /// What the certificate claims (its chain may not even verify).
    pub presented: PeerIdentity,
    pub serial: String,
    /// "client certificate" (someone dialled us) or "server certificate" (we dialled).
    pub side: &'static str,
    pub reason: String,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "TLS handshake refused the {} of {} (serial {}): {}",
            self.side, self.presented, self.serial, self.reason
        )
    }
}

type RefusalHook = Arc<dyn Fn(&Refusal) + Send + Sync>;

/// What the verifiers learn, kept across reloads.
#[derive(Default)]
struct Seen {
    /// The certificate each unit last presented and we accepted.
    peers: Mutex<HashMap<UnitCode, CertSummary>>,
    /// Refusals so far, by what was presented (its display form).
    refusals: Mutex<HashMap<String, (u64, Refusal)>>,
    on_refusal: Mutex<Option<RefusalHook>>,
}

impl Seen {
    fn accepted(&self, der: &CertificateDer<'_>) {
        if let Ok(info) = cert_info(der.as_ref())
            && let PeerIdentity::Unit(unit) = &info.identity
        {
            let summary = CertSummary {
                serial: info.serial.clone(),
                subject: info.identity.to_string(),
                not_after: info.not_after,
            };
            let mut peers = self.peers.lock().unwrap_or_else(|p| p.into_inner());
            peers.insert(unit.clone(), summary);
        }
    }

    fn refused(&self, der: &CertificateDer<'_>, side: &'static str, error: &rustls::Error) {
        let (presented, serial) = match cert_info(der.as_ref()) {
            Ok(info) => (info.identity, info.serial),
            Err(e) => (PeerIdentity::Unknown(e.to_string()), "?".into()),
        };
        let reason = match error {
            rustls::Error::InvalidCertificate(CertificateError::Revoked) => {
                "the certificate is revoked (listed in the revocation list)".to_owned()
            }
            other => other.to_string(),
        };
        let refusal = Refusal {
            presented,
            serial,
            side,
            reason,
        };
        tracing::warn!(
            presented = %refusal.presented,
            serial = %refusal.serial,
            reason = %refusal.reason,
            "refused a {side} in the TLS handshake"
        );
        {
            let mut all = self.refusals.lock().unwrap_or_else(|p| p.into_inner());
            let entry = all
                .entry(refusal.presented.to_string())
                .or_insert_with(|| (0, refusal.clone()));
            entry.0 += 1;
            entry.1 = refusal.clone();
        }
        let hook = self
            .on_refusal
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if let Some(hook) = hook {
            hook(&refusal);
        }
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Checked, ready-to-use TLS material: what a node proves itself with and checks
/// its peers against, at one moment.
pub struct Credentials {
    material: TlsMaterial,
    own: CertSummary,
    roots: Vec<CertSummary>,
    crl: Option<CrlSummary>,
    server: Arc<ServerConfig>,
    server_verifier: Arc<dyn ServerCertVerifier>,
}

/// Where the material came from, to name files in errors.
struct Origin<'a>(Option<&'a Path>);

impl Origin<'_> {
    fn file(&self, name: &str) -> String {
        match self.0 {
            Some(dir) => dir.join(name).display().to_string(),
            None => name.to_owned(),
        }
    }
    fn err(&self, name: &str, message: impl Into<String>) -> TlsError {
        TlsError::File {
            file: self.file(name),
            message: message.into(),
        }
    }
}

/// How strictly a node's own certificate is checked.
#[derive(Clone, Copy)]
enum Own<'a> {
    /// Signed by a root of the bundle, not revoked, and (if given) the unit's.
    Checked(Option<&'a UnitCode>),
    /// Taken as it is (how a misconfigured or hostile peer dials, in tests).
    Unchecked,
}

impl Credentials {
    fn build(
        material: TlsMaterial,
        origin: &Origin<'_>,
        own: Own<'_>,
        seen: &Arc<Seen>,
    ) -> Result<Credentials, TlsError> {
        // The federation root(s).
        let ca_ders: Vec<CertificateDer<'static>> =
            CertificateDer::pem_slice_iter(material.ca_pem.as_bytes())
                .collect::<Result<_, _>>()
                .map_err(|e| origin.err(pki::CA_CERT, format!("not PEM certificates: {e}")))?;
        if ca_ders.is_empty() {
            return Err(origin.err(pki::CA_CERT, "holds no certificate"));
        }
        let mut roots = Vec::new();
        let mut store = RootCertStore::empty();
        for der in &ca_ders {
            let info =
                cert_info(der.as_ref()).map_err(|e| origin.err(pki::CA_CERT, e.to_string()))?;
            store
                .add(der.clone())
                .map_err(|e| origin.err(pki::CA_CERT, format!("not a usable root: {e}")))?;
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
                .map_err(|e| origin.err(pki::NODE_CERT, format!("not PEM certificates: {e}")))?;
        let leaf = chain
            .first()
            .ok_or_else(|| origin.err(pki::NODE_CERT, "holds no certificate"))?
            .clone();
        let info =
            cert_info(leaf.as_ref()).map_err(|e| origin.err(pki::NODE_CERT, e.to_string()))?;
        let key = PrivateKeyDer::from_pem_slice(material.key_pem.as_bytes())
            .map_err(|e| origin.err(pki::NODE_KEY, format!("not a PEM private key: {e}")))?;
        CertifiedKey::from_der(chain.clone(), key.clone_key(), &provider()).map_err(|e| {
            origin.err(
                pki::NODE_KEY,
                format!("does not belong to {}: {e}", pki::NODE_CERT),
            )
        })?;

        // The revocation list(s): each must be signed by a root of the bundle.
        let mut crl_ders = Vec::new();
        let mut crl = None;
        if let Some(pem) = &material.crl_pem {
            let ders: Vec<CertificateRevocationListDer<'static>> =
                CertificateRevocationListDer::pem_slice_iter(pem.as_bytes())
                    .collect::<Result<_, _>>()
                    .map_err(|e| origin.err(pki::CRL, format!("not a PEM revocation list: {e}")))?;
            if ders.is_empty() {
                return Err(origin.err(pki::CRL, "holds no revocation list (X509 CRL)"));
            }
            let mut summary = CrlSummary::default();
            for der in &ders {
                check_crl(der.as_ref(), &ca_ders, &mut summary)
                    .map_err(|m| origin.err(pki::CRL, m))?;
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
                    pki::NODE_CERT,
                    format!(
                        "{} is not signed by the federation root in {}",
                        info.identity,
                        pki::CA_CERT
                    ),
                ));
            }
            if let Some(unit) = unit {
                match &info.identity {
                    PeerIdentity::Unit(u) if u == unit => {}
                    other => {
                        return Err(origin.err(
                            pki::NODE_CERT,
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
                    pki::NODE_CERT,
                    format!(
                        "{} (serial {}) is revoked by {}: issue a new certificate",
                        info.identity,
                        info.serial,
                        origin.file(pki::CRL)
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
            .map_err(|e| origin.err(pki::NODE_KEY, format!("cannot serve with it: {e}")))?;
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
        .map_err(|e| origin.err(pki::CA_CERT, format!("not PEM certificates: {e}")))?;
    for der in &cas {
        store
            .add(der.clone())
            .map_err(|e| origin.err(pki::CA_CERT, format!("not a usable root: {e}")))?;
    }
    let mut crls = Vec::new();
    if let Some(pem) = crl_pem {
        crls = CertificateRevocationListDer::pem_slice_iter(pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| origin.err(pki::CRL, format!("not a PEM revocation list: {e}")))?;
        let mut summary = CrlSummary::default();
        for der in &crls {
            check_crl(der.as_ref(), &cas, &mut summary).map_err(|m| origin.err(pki::CRL, m))?;
        }
    }
    let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider())
        .with_crls(crls)
        .allow_unknown_revocation_status()
        .build()
        .map_err(|e| TlsError::Config(format!("server verifier: {e}")))?;
    Ok(verifier)
}

fn subject_of(der: &[u8]) -> String {
    X509Certificate::from_der(der)
        .map(|(_, c)| c.subject().to_string())
        .unwrap_or_default()
}

/// Whether `cert` carries a valid signature by `ca`'s key, under `ca`'s name.
fn signed_by(cert: &[u8], ca: &[u8]) -> bool {
    let (Ok((_, cert)), Ok((_, ca))) = (
        X509Certificate::from_der(cert),
        X509Certificate::from_der(ca),
    ) else {
        return false;
    };
    cert.issuer().as_raw() == ca.subject().as_raw()
        && cert.verify_signature(Some(ca.public_key())).is_ok()
}

/// Parses one list, checks it is signed by one of `cas`, and adds it to `summary`.
fn check_crl(
    der: &[u8],
    cas: &[CertificateDer<'static>],
    summary: &mut CrlSummary,
) -> Result<(), String> {
    let (_, list) = CertificateRevocationList::from_der(der)
        .map_err(|e| format!("not a valid revocation list: {e}"))?;
    let signer = cas.iter().any(|ca| {
        X509Certificate::from_der(ca.as_ref()).is_ok_and(|(_, ca)| {
            list.issuer().as_raw() == ca.subject().as_raw()
                && list.verify_signature(ca.public_key()).is_ok()
        })
    });
    if !signer {
        return Err(format!(
            "not signed by the federation root in {} (issuer {})",
            pki::CA_CERT,
            list.issuer()
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

/// webpki's client verifier, recording what it accepts and naming what it refuses.
#[derive(Debug)]
struct RecordingClientVerifier {
    inner: Arc<dyn ClientCertVerifier>,
    seen: Arc<Seen>,
}

impl std::fmt::Debug for Seen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Seen")
    }
}

impl ClientCertVerifier for RecordingClientVerifier {
    fn offer_client_auth(&self) -> bool {
        self.inner.offer_client_auth()
    }

    fn client_auth_mandatory(&self) -> bool {
        self.inner.client_auth_mandatory()
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        self.inner.root_hint_subjects()
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        match self
            .inner
            .verify_client_cert(end_entity, intermediates, now)
        {
            Ok(v) => {
                self.seen.accepted(end_entity);
                Ok(v)
            }
            Err(e) => {
                self.seen.refused(end_entity, "client certificate", &e);
                Err(e)
            }
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// webpki's server verifier, recording what it accepts and naming what it refuses.
#[derive(Debug)]
struct RecordingServerVerifier {
    inner: Arc<WebPkiServerVerifier>,
    seen: Arc<Seen>,
}

impl ServerCertVerifier for RecordingServerVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Ok(v) => {
                self.seen.accepted(end_entity);
                Ok(v)
            }
            Err(e) => {
                self.seen.refused(end_entity, "server certificate", &e);
                Err(e)
            }
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// Size, modification time and inode of each file in the folder: a cheap "did
/// anything change".
type Fingerprint = Vec<Option<(u64, Option<std::time::SystemTime>, u64)>>;

fn fingerprint(dir: &Path) -> Fingerprint {
    [pki::NODE_CERT, pki::NODE_KEY, pki::CA_CERT, pki::CRL]
        .iter()
        .map(|name| {
            std::fs::metadata(dir.join(name)).ok().map(|m| {
                #[cfg(unix)]
                let ino = std::os::unix::fs::MetadataExt::ino(&m);
                #[cfg(not(unix))]
                let ino = 0;
                (m.len(), m.modified().ok(), ino)
            })
        })
        .collect()
}

/// Where a node's material is read from, to read it again.
struct Source {
    dir: PathBuf,
    unit: UnitCode,
}

/// A node's TLS material while it runs: the current [`Credentials`], swapped whole
/// when its folder changes.
pub struct TlsState {
    current: RwLock<Arc<Credentials>>,
    seen: Arc<Seen>,
    source: Option<Source>,
    poll_every: Duration,
    generation: watch::Sender<u64>,
    reload_error: Mutex<Option<String>>,
    fingerprint: Mutex<Option<Fingerprint>>,
}

impl TlsState {
    fn with(credentials: Credentials, seen: Arc<Seen>, source: Option<Source>) -> TlsState {
        let fingerprint = source.as_ref().map(|s| fingerprint(&s.dir));
        TlsState {
            current: RwLock::new(Arc::new(credentials)),
            seen,
            source,
            poll_every: DEFAULT_POLL,
            generation: watch::channel(0).0,
            reload_error: Mutex::new(None),
            fingerprint: Mutex::new(fingerprint),
        }
    }

    /// From material in memory, checked as a node's own: its certificate signed by a
    /// root of the bundle and not revoked, its key matching, its revocation list
    /// signed by a root; and the certificate `unit`'s, when given.
    pub fn new(material: TlsMaterial, unit: Option<&UnitCode>) -> Result<TlsState, TlsError> {
        let seen = Arc::<Seen>::default();
        let c = Credentials::build(material, &Origin(None), Own::Checked(unit), &seen)?;
        Ok(TlsState::with(c, seen, None))
    }

    /// From material in memory without checking the certificate against the root:
    /// how a misconfigured or hostile peer would dial (tests).
    pub fn unchecked(material: TlsMaterial) -> Result<TlsState, TlsError> {
        let seen = Arc::<Seen>::default();
        let c = Credentials::build(material, &Origin(None), Own::Unchecked, &seen)?;
        Ok(TlsState::with(c, seen, None))
    }

    /// From `unit`'s TLS folder (checked as `new` does, errors naming the file);
    /// `watch` then follows the folder.
    pub fn from_dir(dir: &Path, unit: &UnitCode) -> Result<TlsState, TlsError> {
        let seen = Arc::<Seen>::default();
        let material = TlsMaterial::load(dir)?;
        let c = Credentials::build(
            material,
            &Origin(Some(dir)),
            Own::Checked(Some(unit)),
            &seen,
        )?;
        let source = Source {
            dir: dir.to_owned(),
            unit: unit.clone(),
        };
        Ok(TlsState::with(c, seen, Some(source)))
    }

    /// How often `watch` looks at the folder (default 5 s).
    pub fn poll_every(mut self, every: Duration) -> TlsState {
        self.poll_every = every;
        self
    }

    /// The material new connections use now.
    pub fn current(&self) -> Arc<Credentials> {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Moves on every swap of the material.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.generation.subscribe()
    }

    /// Why the last attempt to load new material failed (None: it did not fail).
    pub fn reload_error(&self) -> Option<String> {
        self.reload_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The certificate `unit` last presented and we accepted.
    pub fn peer_cert(&self, unit: &UnitCode) -> Option<CertSummary> {
        self.seen
            .peers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(unit)
            .cloned()
    }

    /// How often a certificate claiming `presented` (e.g. "unit 441521") was refused
    /// in a handshake, and the last refusal.
    pub fn refusals(&self, presented: &str) -> Option<(u64, Refusal)> {
        self.seen
            .refusals
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(presented)
            .cloned()
    }

    /// Calls `hook` on every certificate refused in a handshake.
    pub fn on_refusal(&self, hook: impl Fn(&Refusal) + Send + Sync + 'static) {
        *self
            .seen
            .on_refusal
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(hook));
    }

    /// Names refused certificates of configured neighbours in their link's status
    /// (`last_error`), so `xinfang status` at this node shows why a link stays down.
    pub fn report_refusals_to(&self, hub: &Hub) {
        let hub = hub.clone();
        self.on_refusal(move |r| {
            if let PeerIdentity::Unit(unit) = &r.presented
                && hub.link_with(unit).is_some()
            {
                hub.with_link_status(unit, |s| s.last_error = Some(r.to_string()));
            }
        });
    }

    /// Loads the folder again and swaps the material in if it holds together; on
    /// error keeps what is in use. Ok(false): nothing to read from, or unchanged.
    pub fn reload(&self) -> Result<bool, TlsError> {
        let Some(src) = &self.source else {
            return Ok(false);
        };
        let result = TlsMaterial::load(&src.dir).and_then(|m| {
            if m == *self.current().material() {
                return Ok(None);
            }
            Credentials::build(
                m,
                &Origin(Some(&src.dir)),
                Own::Checked(Some(&src.unit)),
                &self.seen,
            )
            .map(Some)
        });
        let mut error = self.reload_error.lock().unwrap_or_else(|p| p.into_inner());
        match result {
            Ok(None) => {
                *error = None;
                Ok(false)
            }
            Ok(Some(new)) => {
                let old = self.current();
                tracing::info!(
                    dir = %src.dir.display(),
                    serial = %new.own.serial,
                    previous_serial = %old.own.serial,
                    crl = new.crl.as_ref().map(|c| c.number).unwrap_or(0),
                    revoked = new.crl.as_ref().map(|c| c.revoked.len()).unwrap_or(0),
                    "new TLS material in use for new connections"
                );
                *self.current.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(new);
                *error = None;
                drop(error);
                self.generation.send_modify(|g| *g += 1);
                self.log_expiry();
                Ok(true)
            }
            Err(e) => {
                tracing::error!(
                    dir = %src.dir.display(),
                    error = %e,
                    serial = %self.current().own.serial,
                    "refused new TLS material; keeping the material in use"
                );
                *error = Some(e.to_string());
                Err(e)
            }
        }
    }

    /// Reloads if the folder's files changed since last looked at (and have stood
    /// still for a moment, so a half-finished set of writes is not read).
    async fn reload_if_changed(&self) {
        let Some(src) = &self.source else { return };
        let now = fingerprint(&src.dir);
        let last = self
            .fingerprint
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if last.as_ref() == Some(&now) {
            return;
        }
        tokio::time::sleep((self.poll_every / 4).min(Duration::from_millis(250))).await;
        if fingerprint(&src.dir) != now {
            return; // still being written: look again next time
        }
        *self.fingerprint.lock().unwrap_or_else(|p| p.into_inner()) = Some(now);
        let _ = self.reload();
    }

    /// Logs a warning for each date within `WARN_WITHIN_DAYS` (or past).
    pub fn log_expiry(&self) {
        let now = chrono::Utc::now().timestamp();
        for e in self.current().expiries() {
            if e.warning(now) {
                let at = chrono::DateTime::from_timestamp(e.not_after, 0)
                    .map(|t| t.to_rfc3339())
                    .unwrap_or_default();
                tracing::warn!(
                    kind = e.kind.as_str(),
                    serial = %e.serial,
                    subject = %e.subject,
                    not_after = %at,
                    days_left = e.days_left(now),
                    "{} expires within {WARN_WITHIN_DAYS} days (or has expired)",
                    e.kind.as_str()
                );
            }
        }
    }

    /// Until `shutdown`: follows the TLS folder (every `poll_every`) and warns about
    /// expiry at start and once a day.
    pub async fn watch(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let mut daily = tokio::time::interval(Duration::from_secs(24 * 3600));
        let mut poll = tokio::time::interval(self.poll_every);
        poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = shutdown.changed() => return,
                _ = daily.tick() => self.log_expiry(),
                _ = poll.tick(), if self.source.is_some() => self.reload_if_changed().await,
            }
        }
    }

    /// Completes once the material in use revokes `serial` (never, if it never does).
    pub async fn until_revoked(&self, serial: &str) {
        let mut rx = self.subscribe();
        loop {
            if self.current().is_revoked(serial) {
                return;
            }
            if rx.changed().await.is_err() {
                return std::future::pending().await;
            }
        }
    }
}

/// `stop`, or else a stop that also turns true once `serial` (the certificate a
/// session's peer presented) is revoked by new material: so a peer revoked while
/// connected does not keep its session.
pub fn until_revoked_or(
    tls: Option<(Arc<TlsState>, String)>,
    mut stop: watch::Receiver<bool>,
    peer: UnitCode,
) -> watch::Receiver<bool> {
    let Some((state, serial)) = tls else {
        return stop;
    };
    let (tx, rx) = watch::channel(*stop.borrow());
    tokio::spawn(async move {
        tokio::select! {
            _ = stop.wait_for(|s| *s) => {}
            _ = tx.closed() => return,
            _ = state.until_revoked(&serial) => {
                tracing::warn!(
                    peer = %peer,
                    serial = %serial,
                    "the peer's certificate is now revoked: session ended"
                );
            }
        }
        let _ = tx.send(true);
    });
    rx
}

/// Accepts connections on `listener` and completes a TLS handshake on each with
/// the material current at that moment; yields the streams that pass, for tonic's
/// `serve_with_incoming`. Handshakes run side by side (a slow client holds up no
/// one) and fail alone: a refused certificate is logged by the verifier, the
/// listener keeps accepting. Ends, closing the listener, when the stream is dropped.
pub fn incoming(
    listener: TcpListener,
    state: Arc<TlsState>,
) -> ReceiverStream<Result<TlsStream<TcpStream>, std::io::Error>> {
    let (tx, rx) = mpsc::channel(64);
    tokio::spawn(async move {
        let mut handshakes = tokio::task::JoinSet::new();
        loop {
            tokio::select! {
                _ = tx.closed() => break,
                accepted = listener.accept() => match accepted {
                    Ok((tcp, addr)) => {
                        let _ = tcp.set_nodelay(true);
                        let acceptor = TlsAcceptor::from(state.current().server_config());
                        handshakes.spawn(async move {
                            (addr, tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await)
                        });
                    }
                    Err(e) => {
                        // Out of descriptors and the like: pause instead of spinning.
                        tracing::warn!(error = %e, "accepting a connection failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                },
                Some(done) = handshakes.join_next(), if !handshakes.is_empty() => match done {
                    Ok((_, Ok(Ok(stream)))) => {
                        if tx.send(Ok(stream)).await.is_err() {
                            break;
                        }
                    }
                    Ok((addr, Ok(Err(e)))) => {
                        tracing::debug!(%addr, error = %e, "TLS handshake failed");
                    }
                    Ok((addr, Err(_))) => {
                        tracing::debug!(%addr, "TLS handshake timed out");
                    }
                    Err(e) => tracing::warn!(error = %e, "TLS handshake task failed"),
                },
            }
        }
    });
    ReceiverStream::new(rx)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::{Pki, Reason, RevokeTarget};

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

    #[test]
    fn expiry_is_warned_within_thirty_days() {
        let e = Expiry {
            kind: ExpiryKind::Certificate,
            serial: "1".into(),
            subject: "unit 441521".into(),
            not_after: 100 * 86_400,
        };
        assert!(!e.warning(60 * 86_400));
        assert!(e.warning(70 * 86_400));
        assert_eq!(e.days_left(70 * 86_400), 30);
        assert!(e.warning(101 * 86_400));
        assert_eq!(e.days_left(101 * 86_400), -1);
    }
}
