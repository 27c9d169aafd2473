//! xinfang-ca: the federation's certificate authority. A root (kept by whoever runs
//! `xinfang pki`) issues one certificate per node whose identity is its unit code,
//! operator certificates for staff tools and staff members' client certificates.
//! rcgen issues; rustls (through tonic, in the hub) verifies. A running node needs
//! none of this: it reads identities back with `xinfang_hub::identity`.
//!
//! Lifecycle: every certificate issued is recorded in the root's register
//! (`certificates.toml`: serial, holder, expiry). Revoking one records it there and
//! writes a revocation list signed by the root (`crl.pem`, its number bumped each
//! time); `issue` hands the current list to each node's TLS folder with `ca.pem`,
//! and the federation's matching key (`match.key`) with a unit's certificate.
//!
//! - [`names`]: which names a certificate may carry (staff, operator).
//! - [`register`]: the register's records, revocation reasons, what to revoke.
//! - [`root`]: the root on disk: issue, revoke, sign the revocation list.

pub mod names;
pub mod register;
pub mod root;

// The files and names a node reads back are the hub's transport's; re-exported so
// the CA's users name every file of a TLS folder from one place.
pub use xinfang_hub::identity::{
    CA_CERT, CRL, CertInfo, IdentityError, NODE_CERT, NODE_KEY, OPERATOR_DNS_SUFFIX, PeerIdentity,
    STAFF_DNS_SUFFIX, UNIT_DNS_SUFFIX, cert_info, identity_of, identity_of_pem, read_file,
    serial_hex, unit_dns_name,
};

pub use names::{MATCH_KEY, is_operator_name, is_staff_name};
pub use register::{
    CrlWritten, HolderKind, IssueOptions, IssuedRecord, Reason, Register, Revocation, RevokeTarget,
    RevokedRecord,
};
pub use root::{Issued, Pki, parse_serial};

/// A staff member's certificate and key, in the folder `pki issue --staff` writes.
pub const STAFF_CERT: &str = "staff.pem";
pub const STAFF_KEY: &str = "staff-key.pem";
/// The root's own key, beside `ca.pem` (the secret: kept off the nodes).
pub const CA_KEY: &str = "ca-key.pem";
pub const OPERATOR_CERT: &str = "operator.pem";
pub const OPERATOR_KEY: &str = "operator-key.pem";
/// The root's register of issued and revoked certificates (TOML, kept beside the root).
pub const REGISTER: &str = "certificates.toml";

/// A revocation list promises its next update this many days ahead; `xinfang pki crl`
/// signs a fresh one (nodes warn 30 days before it runs out).
pub const CRL_VALID_DAYS: i64 = 180;

#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("a federation root already exists at {0} (remove it first to start over)")]
    Exists(String),
    #[error("no federation root at {0}: run `xinfang pki init` first")]
    NoRoot(String),
    #[error("certificate generation: {0}")]
    Rcgen(#[from] rcgen::Error),
    #[error(
        "staff name {0:?} must be 1-63 lowercase letters, digits or '-' (not first), as the node's user name"
    )]
    StaffName(String),
    #[error("operator name {0:?} must be 1-63 letters, digits or '-'")]
    OperatorName(String),
    #[error("certificate is not valid X.509: {0}")]
    Parse(String),
    #[error("--days {0}: a certificate must be valid for 1 to 3650 days")]
    ValidDays(u32),
    #[error("serial {0:?} must be 1-20 bytes of hexadecimal (colons allowed)")]
    Serial(String),
    #[error(
        "no certificate issued to {holder} is recorded in {register}; nothing was revoked \
         (revoke by --serial for a certificate issued elsewhere)"
    )]
    UnknownHolder { holder: String, register: String },
    #[error(
        "every certificate issued to {holder} is already revoked (serials {serials}); nothing changed"
    )]
    AllRevoked { holder: String, serials: String },
    #[error("serial {0} is already revoked; nothing changed")]
    AlreadyRevoked(String),
    #[error("{path}: {message}")]
    Register { path: String, message: String },
    #[error("--keep-key: no key to keep at {0}")]
    NoKeyToKeep(String),
}

impl From<IdentityError> for PkiError {
    fn from(e: IdentityError) -> PkiError {
        match e {
            IdentityError::Io { path, source } => PkiError::Io { path, source },
            IdentityError::Parse(m) => PkiError::Parse(m),
        }
    }
}
