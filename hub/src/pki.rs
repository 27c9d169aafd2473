//! The federation's certificates. A root CA (kept by whoever runs `xinfang pki`)
//! issues one certificate per node whose identity is its unit code, and operator
//! certificates for staff tools. rcgen issues; rustls (through tonic) verifies.
//!
//! Identity encoding: a node certificate carries the DNS name `<code>.unit.xinfang`
//! (checked by the child when it dials its parent, as the TLS server name) and the
//! code as its common name. An operator certificate carries `<name>.operator.xinfang`.

use std::fs;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType,
};
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

use crate::topology::UnitCode;

pub const UNIT_DNS_SUFFIX: &str = ".unit.xinfang";
pub const OPERATOR_DNS_SUFFIX: &str = ".operator.xinfang";

pub const CA_CERT: &str = "ca.pem";
pub const CA_KEY: &str = "ca-key.pem";
pub const NODE_CERT: &str = "node.pem";
pub const NODE_KEY: &str = "node-key.pem";
pub const OPERATOR_CERT: &str = "operator.pem";
pub const OPERATOR_KEY: &str = "operator-key.pem";
/// The federation's matching key (hex): every node hashes identity numbers with it,
/// so the same petitioner matches across nodes while the number stays local.
pub const MATCH_KEY: &str = "match.key";

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
    #[error("operator name {0:?} must be 1-63 letters, digits or '-'")]
    OperatorName(String),
    #[error("certificate is not valid X.509: {0}")]
    Parse(String),
}

pub fn unit_dns_name(unit: &UnitCode) -> String {
    format!("{unit}{UNIT_DNS_SUFFIX}")
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> PkiError + '_ {
    move |source| PkiError::Io {
        path: path.display().to_string(),
        source,
    }
}

fn write_file(path: &Path, contents: &str, secret: bool) -> Result<(), PkiError> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(io_err(parent))?;
    }
    fs::write(path, contents).map_err(io_err(path))?;
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(0o600)).map_err(io_err(path))?;
    }
    #[cfg(not(unix))]
    let _ = secret;
    Ok(())
}

pub fn read_file(path: &Path) -> Result<String, PkiError> {
    fs::read_to_string(path).map_err(io_err(path))
}

fn validity(params: &mut CertificateParams, years: i32) {
    let now = chrono::Utc::now();
    use chrono::Datelike;
    params.not_before = rcgen::date_time_ymd(now.year(), now.month() as u8, 1);
    params.not_after = rcgen::date_time_ymd(now.year() + years, now.month() as u8, 1);
}

/// A federation root on disk: `ca.pem` and `ca-key.pem` in one folder.
pub struct Pki {
    dir: PathBuf,
}

/// Paths of an issued certificate, its key and the root it chains to.
#[derive(Debug, Clone)]
pub struct Issued {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub ca: PathBuf,
}

impl Pki {
    /// Creates a new root in `dir`; refuses to overwrite one.
    pub fn init(dir: &Path) -> Result<Pki, PkiError> {
        let cert_path = dir.join(CA_CERT);
        if cert_path.exists() {
            return Err(PkiError::Exists(cert_path.display().to_string()));
        }
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, "xinfang federation root");
        dn.push(DnType::OrganizationName, "xinfang");
        params.distinguished_name = dn;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        validity(&mut params, 10);
        let cert = params.self_signed(&key)?;
        write_file(&dir.join(CA_KEY), &key.serialize_pem(), true)?;
        write_file(&cert_path, &cert.pem(), false)?;
        let match_key = format!(
            "{}{}\n",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        write_file(&dir.join(MATCH_KEY), &match_key, true)?;
        Ok(Pki {
            dir: dir.to_owned(),
        })
    }

    pub fn open(dir: &Path) -> Result<Pki, PkiError> {
        if !dir.join(CA_CERT).exists() || !dir.join(CA_KEY).exists() {
            return Err(PkiError::NoRoot(dir.display().to_string()));
        }
        Ok(Pki {
            dir: dir.to_owned(),
        })
    }

    /// Opens the root in `dir`, creating it if there is none.
    pub fn open_or_init(dir: &Path) -> Result<Pki, PkiError> {
        if dir.join(CA_CERT).exists() {
            Self::open(dir)
        } else {
            Self::init(dir)
        }
    }

    pub fn ca_cert_path(&self) -> PathBuf {
        self.dir.join(CA_CERT)
    }

    fn issuer(&self) -> Result<Issuer<'static, KeyPair>, PkiError> {
        let key = KeyPair::from_pem(&read_file(&self.dir.join(CA_KEY))?)?;
        Ok(Issuer::from_ca_cert_pem(
            &read_file(&self.ca_cert_path())?,
            key,
        )?)
    }

    /// Issues a node certificate for `unit` into `out_dir` (node.pem, node-key.pem and
    /// a copy of ca.pem). `hosts` are extra names or IPs the node is reached by.
    pub fn issue_node(
        &self,
        unit: &UnitCode,
        hosts: &[String],
        out_dir: &Path,
    ) -> Result<Issued, PkiError> {
        let key_path = self.dir.join(MATCH_KEY);
        if key_path.exists() {
            write_file(&out_dir.join(MATCH_KEY), &read_file(&key_path)?, true)?;
        }
        let mut sans = vec![SanType::DnsName(unit_dns_name(unit).try_into()?)];
        for h in hosts {
            match h.parse::<IpAddr>() {
                Ok(ip) => sans.push(SanType::IpAddress(ip)),
                Err(_) => sans.push(SanType::DnsName(h.clone().try_into()?)),
            }
        }
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, unit.as_str());
        dn.push(DnType::OrganizationalUnitName, "node");
        params.distinguished_name = dn;
        params.subject_alt_names = sans;
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        validity(&mut params, 2);
        self.write_leaf(params, out_dir, NODE_CERT, NODE_KEY)
    }

    /// Issues an operator (staff tool) client certificate into `out_dir`.
    pub fn issue_operator(&self, name: &str, out_dir: &Path) -> Result<Issued, PkiError> {
        let ok = !name.is_empty()
            && name.len() <= 63
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !ok {
            return Err(PkiError::OperatorName(name.to_owned()));
        }
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, name);
        dn.push(DnType::OrganizationalUnitName, "operator");
        params.distinguished_name = dn;
        params.subject_alt_names = vec![SanType::DnsName(
            format!("{name}{OPERATOR_DNS_SUFFIX}").try_into()?,
        )];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        validity(&mut params, 2);
        self.write_leaf(params, out_dir, OPERATOR_CERT, OPERATOR_KEY)
    }

    fn write_leaf(
        &self,
        params: CertificateParams,
        out_dir: &Path,
        cert_name: &str,
        key_name: &str,
    ) -> Result<Issued, PkiError> {
        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, &self.issuer()?)?;
        let issued = Issued {
            cert: out_dir.join(cert_name),
            key: out_dir.join(key_name),
            ca: out_dir.join(CA_CERT),
        };
        write_file(&issued.key, &key.serialize_pem(), true)?;
        write_file(&issued.cert, &cert.pem(), false)?;
        if issued.ca != self.ca_cert_path() {
            write_file(&issued.ca, &read_file(&self.ca_cert_path())?, false)?;
        }
        Ok(issued)
    }
}

/// Who a verified peer certificate says it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeerIdentity {
    Unit(UnitCode),
    Operator(String),
    /// Signed by our root but carrying neither identity.
    Unknown(String),
}

impl std::fmt::Display for PeerIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PeerIdentity::Unit(u) => write!(f, "unit {u}"),
            PeerIdentity::Operator(o) => write!(f, "operator {o}"),
            PeerIdentity::Unknown(s) => write!(f, "unrecognised identity {s:?}"),
        }
    }
}

/// Reads the identity from a (chain-verified) DER certificate.
pub fn identity_of(der: &[u8]) -> Result<PeerIdentity, PkiError> {
    let (_, cert) = X509Certificate::from_der(der).map_err(|e| PkiError::Parse(e.to_string()))?;
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
    }
    Ok(PeerIdentity::Unknown(cert.subject().to_string()))
}

/// Reads the identity from the first certificate of a PEM file.
pub fn identity_of_pem(pem: &str) -> Result<PeerIdentity, PkiError> {
    let (_, p) = x509_parser::pem::parse_x509_pem(pem.as_bytes())
        .map_err(|e| PkiError::Parse(e.to_string()))?;
    identity_of(&p.contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issues_and_reads_identities() {
        let dir = tempfile::tempdir().unwrap();
        let pki = Pki::init(&dir.path().join("pki")).unwrap();
        assert!(matches!(
            Pki::init(&dir.path().join("pki")),
            Err(PkiError::Exists(_))
        ));
        let unit: UnitCode = "441521".parse().unwrap();
        let issued = pki
            .issue_node(
                &unit,
                &["127.0.0.1".into(), "localhost".into()],
                &dir.path().join("n"),
            )
            .unwrap();
        let pem = read_file(&issued.cert).unwrap();
        assert_eq!(identity_of_pem(&pem).unwrap(), PeerIdentity::Unit(unit));
        let op = pki.issue_operator("admin", &dir.path().join("o")).unwrap();
        assert_eq!(
            identity_of_pem(&read_file(&op.cert).unwrap()).unwrap(),
            PeerIdentity::Operator("admin".into())
        );
        assert!(pki.issue_operator("bad name", dir.path()).is_err());
    }
}
