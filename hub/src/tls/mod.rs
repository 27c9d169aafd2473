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

//!
//! - [`credentials`]: material checked to hold together, and the rustls configs
//!   and verifiers built from it.
//! - [`verify`]: webpki's verifiers wrapped to record and name what they see.
//! - [`state`]: the credentials in use, reloaded when the folder changes.
//! - [`accept`]: the server's own accept loop.

mod accept;
mod credentials;
mod state;
mod verify;

pub use accept::incoming;
pub use credentials::{Credentials, server_verifier};
pub use state::{TlsState, until_revoked_or};
pub use verify::Refusal;

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::crypto::CryptoProvider;
use tonic::transport::Identity;

use crate::identity::{self};

/// Certificates (and the revocation list's next update) closer to their end than
/// this are warned about, in `status` and in the log.
pub const WARN_WITHIN_DAYS: i64 = 30;

/// How often a node looks at its TLS folder for new files, by default.
pub const DEFAULT_POLL: Duration = Duration::from_secs(5);

/// How long a TLS handshake may take before the connection is dropped.
pub(super) const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

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
            identity::read_file(&dir.join(name)).map_err(|e| TlsError::File {
                file: dir.join(name).display().to_string(),
                message: match e {
                    identity::IdentityError::Io { source, .. } => source.to_string(),
                    other => other.to_string(),
                },
            })
        };
        let crl_path = dir.join(identity::CRL);
        Ok(TlsMaterial {
            ca_pem: read(identity::CA_CERT)?,
            cert_pem: read(identity::NODE_CERT)?,
            key_pem: read(identity::NODE_KEY)?,
            crl_pem: if crl_path.exists() {
                Some(read(identity::CRL)?)
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
    /// Serials revoked (as `identity::serial_hex` writes them).
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

pub(super) fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

#[cfg(test)]
mod tests {
    use super::*;

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
