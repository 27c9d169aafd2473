//! The root's register of issued and revoked certificates (`certificates.toml`),
//! why a certificate was revoked, and what to revoke.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use rcgen::RevocationReason;
use serde::{Deserialize, Serialize};
use xinfang_hub::UnitCode;

/// How long a certificate is valid and which key it carries.
#[derive(Debug, Clone, Default)]
pub struct IssueOptions {
    /// Valid for this many days from now (None: the default, two years from the
    /// first of this month).
    pub valid_days: Option<u32>,
    /// Renew for the key already in the output folder instead of a new key (the
    /// certificate changes, the key does not).
    pub keep_key: bool,
}

/// Who holds a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HolderKind {
    Unit,
    Operator,
    Staff,
}

impl HolderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            HolderKind::Unit => "unit",
            HolderKind::Operator => "operator",
            HolderKind::Staff => "staff",
        }
    }
}

/// Why a certificate was revoked (RFC 5280 reason codes that apply to a leaf).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    Unspecified,
    KeyCompromise,
    AffiliationChanged,
    Superseded,
    CessationOfOperation,
    PrivilegeWithdrawn,
}

impl Reason {
    pub const ALL: [Reason; 6] = [
        Reason::Unspecified,
        Reason::KeyCompromise,
        Reason::AffiliationChanged,
        Reason::Superseded,
        Reason::CessationOfOperation,
        Reason::PrivilegeWithdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Unspecified => "unspecified",
            Reason::KeyCompromise => "key-compromise",
            Reason::AffiliationChanged => "affiliation-changed",
            Reason::Superseded => "superseded",
            Reason::CessationOfOperation => "cessation-of-operation",
            Reason::PrivilegeWithdrawn => "privilege-withdrawn",
        }
    }

    pub(crate) fn code(self) -> RevocationReason {
        match self {
            Reason::Unspecified => RevocationReason::Unspecified,
            Reason::KeyCompromise => RevocationReason::KeyCompromise,
            Reason::AffiliationChanged => RevocationReason::AffiliationChanged,
            Reason::Superseded => RevocationReason::Superseded,
            Reason::CessationOfOperation => RevocationReason::CessationOfOperation,
            Reason::PrivilegeWithdrawn => RevocationReason::PrivilegeWithdrawn,
        }
    }
}

impl std::str::FromStr for Reason {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Reason::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                let all: Vec<&str> = Reason::ALL.iter().map(|r| r.as_str()).collect();
                format!("reason {s:?} is not one of {}", all.join(", "))
            })
    }
}

/// One certificate the root issued.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IssuedRecord {
    pub serial: String,
    pub kind: HolderKind,
    /// The unit code or the operator name.
    pub name: String,
    pub issued_at: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
}

/// One revoked certificate (the holder is known when the root issued it).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RevokedRecord {
    pub serial: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<HolderKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub reason: Reason,
    pub revoked_at: DateTime<Utc>,
}

/// The root's register (`certificates.toml`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Register {
    /// The number of the last revocation list signed (0: none yet).
    #[serde(default)]
    pub crl_number: u64,
    #[serde(default)]
    pub issued: Vec<IssuedRecord>,
    #[serde(default)]
    pub revoked: Vec<RevokedRecord>,
}

impl Register {
    pub fn is_revoked(&self, serial: &str) -> bool {
        self.revoked.iter().any(|r| r.serial == serial)
    }
}

/// What to revoke.
#[derive(Debug, Clone)]
pub enum RevokeTarget {
    /// Every certificate issued to the unit that is not revoked yet.
    Unit(UnitCode),
    /// Every certificate issued to the operator that is not revoked yet.
    Operator(String),
    /// Every certificate issued to the staff member that is not revoked yet.
    Staff(String),
    /// One certificate by serial (as `parse_serial` gives it).
    Serial(String),
}

/// A signed revocation list, as written.
#[derive(Debug, Clone)]
pub struct CrlWritten {
    pub path: PathBuf,
    pub number: u64,
    pub this_update: DateTime<Utc>,
    pub next_update: DateTime<Utc>,
    pub entries: usize,
}

/// What `revoke` did.
#[derive(Debug, Clone)]
pub struct Revocation {
    pub revoked: Vec<RevokedRecord>,
    pub crl: CrlWritten,
}
