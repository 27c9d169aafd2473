//! Who a peer is, read back from the certificate it presented: the names a
//! certificate carries for a unit, an operator or a staff member, and the files a
//! node's TLS folder holds. Issuing and revoking certificates is not the running
//! node's business; the federation's certificate authority (`xinfang-ca`) does it.
//!
//! Identity encoding: a unit's certificate carries the DNS name `<code>.unit.xinfang`
//! (checked by the child when it dials its parent, as the TLS server name) and the
//! code as its common name. An operator certificate carries `<name>.operator.xinfang`,
//! a staff member's `<name>.staff.xinfang`.

use std::fs;
use std::path::Path;

use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

use crate::topology::UnitCode;

pub const UNIT_DNS_SUFFIX: &str = ".unit.xinfang";
pub const OPERATOR_DNS_SUFFIX: &str = ".operator.xinfang";
/// A staff member's client certificate carries `<name>.staff.xinfang`; a node
/// maps it to its user of that name.
pub const STAFF_DNS_SUFFIX: &str = ".staff.xinfang";

/// The federation root bundle in a TLS folder.
pub const CA_CERT: &str = "ca.pem";
/// A unit's own certificate and key in its TLS folder.
pub const NODE_CERT: &str = "node.pem";
pub const NODE_KEY: &str = "node-key.pem";
/// The federation's certificate revocation list, signed by the root. Absent: nothing
/// is revoked.
pub const CRL: &str = "crl.pem";

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("certificate is not valid X.509: {0}")]
    Parse(String),
}

/// The DNS name a unit's certificate carries (and a child expects of its parent).
pub fn unit_dns_name(unit: &UnitCode) -> String {
    format!("{unit}{UNIT_DNS_SUFFIX}")
}

/// Reads a whole text file, naming it in the error.
pub fn read_file(path: &Path) -> Result<String, IdentityError> {
    fs::read_to_string(path).map_err(|source| IdentityError::Io {
        path: path.display().to_string(),
        source,
    })
}

/// A serial as the register and the CLI write it: lowercase hex of its bytes, without
/// leading zero bytes.
pub fn serial_hex(raw: &[u8]) -> String {
    let first = raw.iter().position(|b| *b != 0).unwrap_or(raw.len());
    let s = hex::encode(&raw[first..]);
    if s.is_empty() { "0".into() } else { s }
}

/// What a certificate says about itself (for status and logs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    pub serial: String,
    pub identity: PeerIdentity,
    /// Seconds since the epoch.
    pub not_before: i64,
    pub not_after: i64,
}

/// Reads serial, identity and validity from a DER certificate.
pub fn cert_info(der: &[u8]) -> Result<CertInfo, IdentityError> {
    let (_, cert) =
        X509Certificate::from_der(der).map_err(|e| IdentityError::Parse(e.to_string()))?;
    Ok(CertInfo {
        serial: serial_hex(cert.raw_serial()),
        identity: identity_of(der)?,
        not_before: cert.validity().not_before.timestamp(),
        not_after: cert.validity().not_after.timestamp(),
    })
}

/// Who a verified peer certificate says it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeerIdentity {
    Unit(UnitCode),
    Operator(String),
    /// A staff member (a user of the node they call).
    Staff(String),
    /// Signed by our root but carrying none of these identities.
    Unknown(String),
}

impl std::fmt::Display for PeerIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PeerIdentity::Unit(u) => write!(f, "unit {u}"),
            PeerIdentity::Operator(o) => write!(f, "operator {o}"),
            PeerIdentity::Staff(s) => write!(f, "staff {s}"),
            PeerIdentity::Unknown(s) => write!(f, "unrecognised identity {s:?}"),
        }
    }
}

/// Reads the identity from a (chain-verified) DER certificate.
pub fn identity_of(der: &[u8]) -> Result<PeerIdentity, IdentityError> {
    let (_, cert) =
        X509Certificate::from_der(der).map_err(|e| IdentityError::Parse(e.to_string()))?;
    let mut names = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for n in &san.value.general_names {
            if let GeneralName::DNSName(d) = n {
                names.push((*d).to_owned());
            }
        }
    }
    for n in &names {
        if let Some(code) = n.strip_suffix(UNIT_DNS_SUFFIX)
            && let Ok(code) = code.parse::<UnitCode>()
        {
            return Ok(PeerIdentity::Unit(code));
        }
        if let Some(op) = n.strip_suffix(OPERATOR_DNS_SUFFIX) {
            return Ok(PeerIdentity::Operator(op.to_owned()));
        }
        if let Some(name) = n.strip_suffix(STAFF_DNS_SUFFIX) {
            return Ok(PeerIdentity::Staff(name.to_owned()));
        }
    }
    Ok(PeerIdentity::Unknown(cert.subject().to_string()))
}

/// Reads the identity from the first certificate of a PEM file.
pub fn identity_of_pem(pem: &str) -> Result<PeerIdentity, IdentityError> {
    let (_, p) = x509_parser::pem::parse_x509_pem(pem.as_bytes())
        .map_err(|e| IdentityError::Parse(e.to_string()))?;
    identity_of(&p.contents)
}
