//! webpki's verifiers wrapped: what each peer presented is recorded, a refused
//! certificate is named (unit or operator, serial, why) in the log and to a hook.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{CertificateError, DigitallySignedStruct, DistinguishedName, SignatureScheme};

use super::CertSummary;
use crate::identity::{PeerIdentity, cert_info};
use crate::topology::UnitCode;

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

pub(super) type RefusalHook = Arc<dyn Fn(&Refusal) + Send + Sync>;

/// What the verifiers learn, kept across reloads.
#[derive(Default)]
pub(super) struct Seen {
    /// The certificate each unit last presented and we accepted.
    pub(super) peers: Mutex<HashMap<UnitCode, CertSummary>>,
    /// Refusals so far, by what was presented (its display form).
    pub(super) refusals: Mutex<HashMap<String, (u64, Refusal)>>,
    pub(super) on_refusal: Mutex<Option<RefusalHook>>,
}

impl Seen {
    pub(super) fn accepted(&self, der: &CertificateDer<'_>) {
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

    pub(super) fn refused(
        &self,
        der: &CertificateDer<'_>,
        side: &'static str,
        error: &rustls::Error,
    ) {
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

/// webpki's client verifier, recording what it accepts and naming what it refuses.
#[derive(Debug)]
pub(super) struct RecordingClientVerifier {
    pub(super) inner: Arc<dyn ClientCertVerifier>,
    pub(super) seen: Arc<Seen>,
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
pub(super) struct RecordingServerVerifier {
    pub(super) inner: Arc<WebPkiServerVerifier>,
    pub(super) seen: Arc<Seen>,
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
