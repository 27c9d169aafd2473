//! A federation root on disk: issuing leaf certificates into a node's or a
//! person's folder, revoking them, and signing the revocation list.

use std::fs;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, DistinguishedName,
    DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose,
    RevokedCertParams, SanType, SerialNumber,
};
use xinfang_hub::UnitCode;

use crate::names::{MATCH_KEY, is_operator_name, is_staff_name};
use crate::register::{
    CrlWritten, HolderKind, IssueOptions, IssuedRecord, Reason, Register, Revocation, RevokeTarget,
    RevokedRecord,
};
use crate::{
    CA_CERT, CA_KEY, CRL, CRL_VALID_DAYS, NODE_CERT, NODE_KEY, OPERATOR_CERT, OPERATOR_DNS_SUFFIX,
    OPERATOR_KEY, PkiError, REGISTER, STAFF_CERT, STAFF_DNS_SUFFIX, STAFF_KEY, read_file,
    serial_hex, unit_dns_name,
};

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> PkiError + '_ {
    move |source| PkiError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Writes `path` whole or not at all (a temporary file renamed over it), so a
/// running node that reloads its folder never reads half a file.
fn write_file(path: &Path, contents: &str, secret: bool) -> Result<(), PkiError> {
    use std::io::Write;
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(io_err(&parent))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = parent.join(format!(".{name}.{}.tmp", uuid::Uuid::new_v4().simple()));
    let mut open = fs::OpenOptions::new();
    open.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        open.mode(if secret { 0o600 } else { 0o644 });
    }
    #[cfg(not(unix))]
    let _ = secret;
    let written = open.open(&tmp).and_then(|mut f| {
        f.write_all(contents.as_bytes())?;
        f.sync_all()
    });
    if let Err(e) = written.and_then(|()| fs::rename(&tmp, path)) {
        let _ = fs::remove_file(&tmp);
        return Err(io_err(path)(e));
    }
    Ok(())
}

fn validity(params: &mut CertificateParams, years: i32) {
    let now = chrono::Utc::now();
    use chrono::Datelike;
    params.not_before = rcgen::date_time_ymd(now.year(), now.month() as u8, 1);
    params.not_after = rcgen::date_time_ymd(now.year() + years, now.month() as u8, 1);
}

/// Valid from an hour ago (clocks differ a little) for `days` days from now.
fn validity_days(params: &mut CertificateParams, days: u32) -> Result<(), PkiError> {
    if !(1..=3650).contains(&days) {
        return Err(PkiError::ValidDays(days));
    }
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::hours(1);
    params.not_after = now + time::Duration::days(i64::from(days));
    Ok(())
}

/// A fresh random serial: 16 bytes, the first in 0x40..=0x7f so the DER integer is
/// positive and keeps all 16 bytes (its hex form is then stable). rcgen's default
/// derives the serial from the key, which a renewal with the same key would repeat.
fn random_serial() -> SerialNumber {
    let mut bytes = *uuid::Uuid::new_v4().as_bytes();
    bytes[0] = (bytes[0] & 0x3f) | 0x40;
    SerialNumber::from_slice(&bytes)
}

/// Reads a serial as people give it (`0A:1B…`, `0a1b…`, any case) into `serial_hex` form.
pub fn parse_serial(input: &str) -> Result<String, PkiError> {
    let digits: String = input.chars().filter(|c| !matches!(c, ':' | ' ')).collect();
    let digits = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
        .unwrap_or(&digits)
        .to_owned();
    let even = if digits.len() % 2 == 1 {
        format!("0{digits}")
    } else {
        digits
    };
    match hex::decode(&even) {
        Ok(raw) if !raw.is_empty() && raw.len() <= 21 && raw.iter().any(|b| *b != 0) => {
            Ok(serial_hex(&raw))
        }
        _ => Err(PkiError::Serial(input.to_owned())),
    }
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
    /// The revocation list handed out with it, if the root has one.
    pub crl: Option<PathBuf>,
    pub serial: String,
    pub not_after: DateTime<Utc>,
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
        let key = KeyPair::from_pem(&read(&self.dir.join(CA_KEY))?)?;
        Ok(Issuer::from_ca_cert_pem(&read(&self.ca_cert_path())?, key)?)
    }

    pub fn crl_path(&self) -> PathBuf {
        self.dir.join(CRL)
    }

    pub fn register_path(&self) -> PathBuf {
        self.dir.join(REGISTER)
    }

    /// The register of issued and revoked certificates (empty if none yet).
    pub fn register(&self) -> Result<Register, PkiError> {
        let path = self.register_path();
        if !path.exists() {
            return Ok(Register::default());
        }
        toml::from_str(&read(&path)?).map_err(|e| PkiError::Register {
            path: path.display().to_string(),
            message: e.to_string(),
        })
    }

    fn save_register(&self, register: &Register) -> Result<(), PkiError> {
        let path = self.register_path();
        let text = toml::to_string(register).map_err(|e| PkiError::Register {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        write_file(
            &path,
            &format!(
                "# Certificates issued and revoked by this federation root. Written by `xinfang pki`.\n{text}"
            ),
            false,
        )
    }

    /// Copies the current revocation list into `out_dir` (as it does `ca.pem` and
    /// `match.key` when issuing); false if the root has none yet.
    pub fn hand_out_crl(&self, out_dir: &Path) -> Result<bool, PkiError> {
        let crl = self.crl_path();
        if !crl.exists() {
            return Ok(false);
        }
        let target = out_dir.join(CRL);
        if target == crl {
            return Ok(true);
        }
        let text = read(&crl)?;
        if target.exists() && read(&target)? == text {
            return Ok(true);
        }
        write_file(&target, &text, false)?;
        Ok(true)
    }

    /// Issues a node certificate for `unit` into `out_dir` (node.pem, node-key.pem and
    /// a copy of ca.pem). `hosts` are extra names or IPs the node is reached by.
    pub fn issue_node(
        &self,
        unit: &UnitCode,
        hosts: &[String],
        out_dir: &Path,
    ) -> Result<Issued, PkiError> {
        self.issue_node_with(unit, hosts, out_dir, &IssueOptions::default())
    }

    /// As `issue_node`, with the validity and key chosen.
    pub fn issue_node_with(
        &self,
        unit: &UnitCode,
        hosts: &[String],
        out_dir: &Path,
        options: &IssueOptions,
    ) -> Result<Issued, PkiError> {
        let key_path = self.dir.join(MATCH_KEY);
        if key_path.exists() {
            write_file(&out_dir.join(MATCH_KEY), &read(&key_path)?, true)?;
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
        let holder = (HolderKind::Unit, unit.to_string());
        self.write_leaf(params, options, holder, out_dir, NODE_CERT, NODE_KEY)
    }

    /// Issues an operator (staff tool) client certificate into `out_dir`.
    pub fn issue_operator(&self, name: &str, out_dir: &Path) -> Result<Issued, PkiError> {
        self.issue_operator_with(name, out_dir, &IssueOptions::default())
    }

    /// As `issue_operator`, with the validity and key chosen.
    pub fn issue_operator_with(
        &self,
        name: &str,
        out_dir: &Path,
        options: &IssueOptions,
    ) -> Result<Issued, PkiError> {
        if !is_operator_name(name) {
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
        let holder = (HolderKind::Operator, name.to_owned());
        self.write_leaf(
            params,
            options,
            holder,
            out_dir,
            OPERATOR_CERT,
            OPERATOR_KEY,
        )
    }

    /// Issues a staff member's client certificate (`<name>.staff.xinfang`) into
    /// `out_dir` as `staff.pem` and `staff-key.pem`. A node accepts it on its API
    /// for its user of the same name, without a password.
    pub fn issue_staff_with(
        &self,
        name: &str,
        out_dir: &Path,
        options: &IssueOptions,
    ) -> Result<Issued, PkiError> {
        if !is_staff_name(name) {
            return Err(PkiError::StaffName(name.to_owned()));
        }
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, name);
        dn.push(DnType::OrganizationalUnitName, "staff");
        params.distinguished_name = dn;
        params.subject_alt_names = vec![SanType::DnsName(
            format!("{name}{STAFF_DNS_SUFFIX}").try_into()?,
        )];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        let holder = (HolderKind::Staff, name.to_owned());
        self.write_leaf(params, options, holder, out_dir, STAFF_CERT, STAFF_KEY)
    }

    /// Signs the leaf, writes key, certificate, `ca.pem` and the current `crl.pem`
    /// into `out_dir` (each file whole: a running node may be watching the folder),
    /// and records the certificate in the register.
    fn write_leaf(
        &self,
        mut params: CertificateParams,
        options: &IssueOptions,
        (kind, name): (HolderKind, String),
        out_dir: &Path,
        cert_name: &str,
        key_name: &str,
    ) -> Result<Issued, PkiError> {
        match options.valid_days {
            Some(days) => validity_days(&mut params, days)?,
            None => validity(&mut params, 2),
        }
        let serial = random_serial();
        params.serial_number = Some(serial.clone());
        let key_path = out_dir.join(key_name);
        let key = if options.keep_key {
            if !key_path.exists() {
                return Err(PkiError::NoKeyToKeep(key_path.display().to_string()));
            }
            KeyPair::from_pem(&read(&key_path)?)?
        } else {
            KeyPair::generate()?
        };
        let mut register = self.register()?;
        let cert = params.signed_by(&key, &self.issuer()?)?;
        let not_after =
            DateTime::from_timestamp(params.not_after.unix_timestamp(), 0).unwrap_or_else(Utc::now);
        let mut issued = Issued {
            cert: out_dir.join(cert_name),
            key: key_path,
            ca: out_dir.join(CA_CERT),
            crl: None,
            serial: serial_hex(serial.as_ref()),
            not_after,
        };
        if !options.keep_key {
            write_file(&issued.key, &key.serialize_pem(), true)?;
        }
        write_file(&issued.cert, &cert.pem(), false)?;
        if issued.ca != self.ca_cert_path() {
            write_file(&issued.ca, &read(&self.ca_cert_path())?, false)?;
        }
        if self.hand_out_crl(out_dir)? {
            issued.crl = Some(out_dir.join(CRL));
        }
        register.issued.push(IssuedRecord {
            serial: issued.serial.clone(),
            kind,
            name,
            issued_at: now_secs(),
            not_after,
        });
        self.save_register(&register)?;
        Ok(issued)
    }

    /// Revokes `target` for `reason`: records it in the register and signs a new
    /// revocation list (`crl.pem`, the next number). Refused, with nothing written,
    /// when the holder or serial is unknown or already revoked.
    pub fn revoke(&self, target: &RevokeTarget, reason: Reason) -> Result<Revocation, PkiError> {
        let mut register = self.register()?;
        let now = now_secs();
        let holder_entries = |kind: HolderKind, name: &str, holder: String| {
            let all: Vec<&IssuedRecord> = register
                .issued
                .iter()
                .filter(|i| i.kind == kind && i.name == name)
                .collect();
            if all.is_empty() {
                return Err(PkiError::UnknownHolder {
                    holder,
                    register: self.register_path().display().to_string(),
                });
            }
            let open: Vec<RevokedRecord> = all
                .iter()
                .filter(|i| !register.is_revoked(&i.serial))
                .map(|i| RevokedRecord {
                    serial: i.serial.clone(),
                    kind: Some(kind),
                    name: Some(name.to_owned()),
                    reason,
                    revoked_at: now,
                })
                .collect();
            if open.is_empty() {
                let serials: Vec<&str> = all.iter().map(|i| i.serial.as_str()).collect();
                return Err(PkiError::AllRevoked {
                    holder,
                    serials: serials.join(", "),
                });
            }
            Ok(open)
        };
        let new = match target {
            RevokeTarget::Unit(unit) => {
                holder_entries(HolderKind::Unit, unit.as_str(), format!("unit {unit}"))?
            }
            RevokeTarget::Operator(name) => {
                holder_entries(HolderKind::Operator, name, format!("operator {name}"))?
            }
            RevokeTarget::Staff(name) => {
                holder_entries(HolderKind::Staff, name, format!("staff {name}"))?
            }
            RevokeTarget::Serial(serial) => {
                if register.is_revoked(serial) {
                    return Err(PkiError::AlreadyRevoked(serial.clone()));
                }
                let known = register.issued.iter().find(|i| &i.serial == serial);
                vec![RevokedRecord {
                    serial: serial.clone(),
                    kind: known.map(|i| i.kind),
                    name: known.map(|i| i.name.clone()),
                    reason,
                    revoked_at: now,
                }]
            }
        };
        register.revoked.extend(new.iter().cloned());
        let crl = self.sign_crl(&mut register)?;
        Ok(Revocation { revoked: new, crl })
    }

    /// Signs a fresh revocation list with the register's revocations (the next
    /// number, next update `CRL_VALID_DAYS` ahead): what to run before the list in
    /// use runs out.
    pub fn refresh_crl(&self) -> Result<CrlWritten, PkiError> {
        let mut register = self.register()?;
        self.sign_crl(&mut register)
    }

    /// Signs the list for `register` (bumping its number), then saves the register
    /// and writes `crl.pem`.
    fn sign_crl(&self, register: &mut Register) -> Result<CrlWritten, PkiError> {
        let now = time::OffsetDateTime::now_utc();
        let next = now + time::Duration::days(CRL_VALID_DAYS);
        let mut revoked_certs = Vec::new();
        for r in &register.revoked {
            let raw = hex::decode(if r.serial.len() % 2 == 1 {
                format!("0{}", r.serial)
            } else {
                r.serial.clone()
            })
            .map_err(|_| PkiError::Serial(r.serial.clone()))?;
            let at =
                time::OffsetDateTime::from_unix_timestamp(r.revoked_at.timestamp()).unwrap_or(now);
            revoked_certs.push(RevokedCertParams {
                serial_number: SerialNumber::from_slice(&raw),
                revocation_time: at,
                reason_code: Some(r.reason.code()),
                invalidity_date: None,
            });
        }
        let number = register.crl_number + 1;
        let params = CertificateRevocationListParams {
            this_update: now,
            next_update: next,
            crl_number: SerialNumber::from(number),
            issuing_distribution_point: None,
            revoked_certs,
            key_identifier_method: KeyIdMethod::Sha256,
        };
        let crl = params.signed_by(&self.issuer()?)?;
        register.crl_number = number;
        // The register first: a list is never signed under a number it does not record.
        self.save_register(register)?;
        write_file(&self.crl_path(), &crl.pem()?, false)?;
        let at = |t: time::OffsetDateTime| {
            DateTime::from_timestamp(t.unix_timestamp(), 0).unwrap_or_else(Utc::now)
        };
        Ok(CrlWritten {
            path: self.crl_path(),
            number,
            this_update: at(now),
            next_update: at(next),
            entries: register.revoked.len(),
        })
    }
}

/// Now, to the second (what the register keeps).
fn now_secs() -> DateTime<Utc> {
    use chrono::SubsecRound;
    Utc::now().trunc_subsecs(0)
}

/// Reads a file of the root or an output folder.
fn read(path: &Path) -> Result<String, PkiError> {
    Ok(read_file(path)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{PeerIdentity, cert_info, identity_of_pem};
    use x509_parser::prelude::{FromDer, X509Certificate};

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

    #[test]
    fn revocation_is_recorded_signed_and_handed_out() {
        let dir = tempfile::tempdir().unwrap();
        let pki = Pki::init(&dir.path().join("pki")).unwrap();
        let unit: UnitCode = "441521".parse().unwrap();
        let out = dir.path().join("n");
        let first = pki.issue_node(&unit, &[], &out).unwrap();
        assert!(first.crl.is_none(), "no list before anything is revoked");
        let info = cert_info(
            &x509_parser::pem::parse_x509_pem(read_file(&first.cert).unwrap().as_bytes())
                .unwrap()
                .1
                .contents,
        )
        .unwrap();
        assert_eq!(info.serial, first.serial);
        assert_eq!(info.serial.len(), 32);

        // Unknown holders and serials already revoked change nothing.
        let other: UnitCode = "441500".parse().unwrap();
        assert!(matches!(
            pki.revoke(&RevokeTarget::Unit(other), Reason::KeyCompromise),
            Err(PkiError::UnknownHolder { .. })
        ));
        assert!(!pki.crl_path().exists());

        let done = pki
            .revoke(&RevokeTarget::Unit(unit.clone()), Reason::KeyCompromise)
            .unwrap();
        assert_eq!(done.revoked.len(), 1);
        assert_eq!(done.revoked[0].serial, first.serial);
        assert_eq!((done.crl.number, done.crl.entries), (1, 1));
        assert!(matches!(
            pki.revoke(&RevokeTarget::Unit(unit.clone()), Reason::KeyCompromise),
            Err(PkiError::AllRevoked { .. })
        ));
        assert!(matches!(
            pki.revoke(
                &RevokeTarget::Serial(first.serial.clone()),
                Reason::Superseded
            ),
            Err(PkiError::AlreadyRevoked(_))
        ));

        // The list is signed by the root and names the serial.
        let pem = read_file(&pki.crl_path()).unwrap();
        let der = x509_parser::pem::parse_x509_pem(pem.as_bytes())
            .unwrap()
            .1
            .contents;
        let (_, crl) =
            x509_parser::revocation_list::CertificateRevocationList::from_der(&der).unwrap();
        let ca_pem = read_file(&pki.ca_cert_path()).unwrap();
        let ca_der = x509_parser::pem::parse_x509_pem(ca_pem.as_bytes())
            .unwrap()
            .1
            .contents;
        let (_, ca) = X509Certificate::from_der(&ca_der).unwrap();
        crl.verify_signature(ca.public_key()).unwrap();
        let serials: Vec<String> = crl
            .iter_revoked_certificates()
            .map(|r| serial_hex(r.raw_serial()))
            .collect();
        assert_eq!(serials, std::slice::from_ref(&first.serial));

        // Issuing again hands the list out with the certificate; renewing keeps the key.
        let second = pki.issue_node(&unit, &[], &out).unwrap();
        assert_eq!(second.crl, Some(out.join(CRL)));
        let key = read_file(&second.key).unwrap();
        let renewed = pki
            .issue_node_with(
                &unit,
                &[],
                &out,
                &IssueOptions {
                    valid_days: Some(10),
                    keep_key: true,
                },
            )
            .unwrap();
        assert_eq!(read_file(&renewed.key).unwrap(), key);
        assert_ne!(renewed.serial, second.serial);
        let days = (renewed.not_after - Utc::now()).num_days();
        assert!((9..=10).contains(&days), "{days}");
        assert!(matches!(
            pki.issue_node_with(
                &unit,
                &[],
                &out,
                &IssueOptions {
                    valid_days: Some(0),
                    keep_key: false
                }
            ),
            Err(PkiError::ValidDays(0))
        ));

        // A serial as people write it; a fresh list keeps the revocations.
        assert_eq!(parse_serial("00:0A:1b").unwrap(), "0a1b");
        assert!(parse_serial("xyz").is_err());
        let refreshed = pki.refresh_crl().unwrap();
        assert_eq!((refreshed.number, refreshed.entries), (2, 1));
        let register = pki.register().unwrap();
        assert_eq!(register.issued.len(), 3);
        assert!(register.is_revoked(&first.serial));
    }
}
