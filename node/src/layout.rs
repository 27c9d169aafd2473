//! Where a local federation keeps its files (`xinfang up --dir DIR`):
//!
//! ```text
//! DIR/pki/ca.pem, ca-key.pem            federation root (the key is secret)
//! DIR/pki/operator.pem, operator-key.pem  the CLI's client certificate
//! DIR/pki/crl.pem, certificates.toml    revocation list, register of certificates
//! DIR/units/<code>/tls/                 node.pem, node-key.pem, ca.pem, crl.pem
//! DIR/units/<code>/data/xinfang.db      the node's SQLite store
//! DIR/units/<code>/node.log             the node's log when started by `up`
//! DIR/tokens/<code>                     the login token `xinfang login` saved (0600)
//! DIR/staff/<name>/staff.pem, staff-key.pem  a staff member's client certificate
//! ```

use std::path::{Path, PathBuf};

use xinfang_hub::UnitCode;

#[derive(Debug, Clone)]
pub struct FederationDir {
    root: PathBuf,
}

impl FederationDir {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        FederationDir { root: root.into() }
    }
    pub fn root(&self) -> &Path {
        &self.root
    }
    pub fn pki(&self) -> PathBuf {
        self.root.join("pki")
    }
    pub fn unit(&self, unit: &UnitCode) -> PathBuf {
        self.root.join("units").join(unit.as_str())
    }
    pub fn tls(&self, unit: &UnitCode) -> PathBuf {
        self.unit(unit).join("tls")
    }
    pub fn data(&self, unit: &UnitCode) -> PathBuf {
        self.unit(unit).join("data")
    }
    pub fn log(&self, unit: &UnitCode) -> PathBuf {
        self.unit(unit).join("node.log")
    }

    /// The TLS folders of the units that have one here (`units/<code>/tls`).
    pub fn unit_tls_dirs(&self) -> std::io::Result<Vec<(UnitCode, PathBuf)>> {
        let units = self.root.join("units");
        if !units.exists() {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for entry in std::fs::read_dir(&units)? {
            let entry = entry?;
            let Ok(code) = entry.file_name().to_string_lossy().parse::<UnitCode>() else {
                continue;
            };
            let tls = entry.path().join("tls");
            if tls.is_dir() {
                out.push((code, tls));
            }
        }
        out.sort();
        Ok(out)
    }
}
