//! Personal data at rest (`docs/ledger.md`, "Personal data"): ID numbers and
//! phone numbers in `node_pii` are encrypted with AES-256-GCM under the node's
//! own key, with a keyed hash (HMAC-SHA256) beside each for lookups.
//!
//! The key is 32 random bytes in `pii.key` in the node's data folder, created at
//! the first start (mode 0600) and never written anywhere else; two keys are
//! derived from it with HKDF-SHA256 (one to encrypt, one for the hashes). Each
//! value is sealed with a fresh 96-bit nonce and its case number and field as
//! associated data, so a value moved to another row or field does not open.
//! Stored form: `v1:` + hex(nonce || ciphertext).
//!
//! Who may see clear values is configuration (`--pii-clear-roles`); every
//! disclosure of a clear value through the API appends a `view` entry to the
//! ledger (who, which case, which field).

use std::io::Write;
use std::path::{Path, PathBuf};

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use sqlx::Row;
use xinfang_hub::db::Db;

use crate::auth::Role;

/// The key file's name in the data folder.
pub const KEY_FILE: &str = "pii.key";
/// Prefix of an encrypted value.
const SEALED_PREFIX: &str = "v1:";
/// The roles that see clear values unless configured otherwise.
pub const DEFAULT_CLEAR_ROLES: [Role; 3] = [Role::Registrar, Role::Handler, Role::Administrator];

/// The two fields kept encrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    IdNumber,
    Phone,
}

impl Field {
    pub fn as_str(self) -> &'static str {
        match self {
            Field::IdNumber => "id_number",
            Field::Phone => "phone",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PiiError {
    #[error("personal-data key {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("personal-data key {path}: {reason}")]
    BadKey { path: PathBuf, reason: String },
    #[error("case {case_no}: the stored {field} does not open with this node's key")]
    Unreadable {
        case_no: String,
        field: &'static str,
    },
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

/// The node's key for personal data.
pub struct PiiKey {
    cipher: Aes256Gcm,
    mac_key: [u8; 32],
}

impl std::fmt::Debug for PiiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PiiKey(…)")
    }
}

impl PiiKey {
    /// Reads `dir/pii.key`, creating it (mode 0600) if there is none.
    pub fn load_or_create(dir: &Path) -> Result<PiiKey, PiiError> {
        let path = dir.join(KEY_FILE);
        let io = |source| PiiError::Io {
            path: path.clone(),
            source,
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let bytes = hex::decode(text.trim()).map_err(|e| PiiError::BadKey {
                    path: path.clone(),
                    reason: format!("not hex: {e}"),
                })?;
                let ikm: [u8; 32] = bytes.try_into().map_err(|b: Vec<u8>| PiiError::BadKey {
                    path: path.clone(),
                    reason: format!("{} bytes, not 32", b.len()),
                })?;
                Ok(PiiKey::from_secret(&ikm))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(dir).map_err(io)?;
                let mut ikm = [0u8; 32];
                rand::rng().fill_bytes(&mut ikm);
                let mut opts = std::fs::OpenOptions::new();
                opts.write(true).create_new(true);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::OpenOptionsExt;
                    opts.mode(0o600);
                }
                let mut f = opts.open(&path).map_err(io)?;
                f.write_all(format!("{}\n", hex::encode(ikm)).as_bytes())
                    .and_then(|()| f.sync_all())
                    .map_err(io)?;
                tracing::info!(path = %path.display(), "created the node's personal-data key");
                Ok(PiiKey::from_secret(&ikm))
            }
            Err(e) => Err(io(e)),
        }
    }

    /// The keys derived from a 32-byte secret.
    pub fn from_secret(ikm: &[u8; 32]) -> PiiKey {
        let hk = Hkdf::<Sha256>::new(None, ikm);
        let (mut enc, mut mac_key) = ([0u8; 32], [0u8; 32]);
        // 32 bytes is far below HKDF-SHA256's limit: expand cannot fail.
        let _ = hk.expand(b"xinfang pii v1 encrypt", &mut enc);
        let _ = hk.expand(b"xinfang pii v1 hash", &mut mac_key);
        PiiKey {
            cipher: Aes256Gcm::new(&enc.into()),
            mac_key,
        }
    }

    fn aad(case_no: &str, field: Field) -> Vec<u8> {
        format!("{case_no}\0{}", field.as_str()).into_bytes()
    }

    /// `clear` encrypted for `case_no`'s `field`.
    pub fn seal(&self, case_no: &str, field: Field, clear: &str) -> String {
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        let aad = Self::aad(case_no, field);
        // Encrypting a short text with a valid key and nonce cannot fail.
        let ct = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: clear.as_bytes(),
                    aad: &aad,
                },
            )
            .unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        format!("{SEALED_PREFIX}{}", hex::encode(out))
    }

    /// The clear value of a stored one.
    pub fn open(&self, case_no: &str, field: Field, stored: &str) -> Result<String, PiiError> {
        let bad = || PiiError::Unreadable {
            case_no: case_no.to_owned(),
            field: field.as_str(),
        };
        let raw = stored
            .strip_prefix(SEALED_PREFIX)
            .and_then(|h| hex::decode(h).ok())
            .ok_or_else(bad)?;
        if raw.len() < 12 + 16 {
            return Err(bad());
        }
        let (nonce, ct) = raw.split_at(12);
        let aad = Self::aad(case_no, field);
        let clear = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad: &aad })
            .map_err(|_| bad())?;
        String::from_utf8(clear).map_err(|_| bad())
    }

    /// The keyed hash of a clear value (for lookups without decrypting).
    pub fn hash(&self, field: Field, clear: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.mac_key)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(field.as_str().as_bytes());
        mac.update(b"\0");
        mac.update(clear.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

/// Whether a stored value is already encrypted.
/// The phones held here, in clear, of those of `case_nos` registered at this
/// node (the only cases whose phone it holds).
pub async fn phones(
    db: &Db,
    key: &PiiKey,
    case_nos: &[String],
) -> Result<std::collections::HashMap<String, String>, PiiError> {
    let mut out = std::collections::HashMap::new();
    for chunk in case_nos.chunks(500) {
        let mut q = xinfang_hub::db::Sql::new(
            "SELECT case_no, phone FROM node_pii WHERE phone IS NOT NULL AND case_no IN (",
        );
        q.bind_list(chunk.iter().map(String::as_str)).push(")");
        let rows: Vec<(String, String)> = q.fetch_all_as(db.pool()).await?;
        for (case_no, stored) in rows {
            let phone = key.open(&case_no, Field::Phone, &stored)?;
            out.insert(case_no, phone);
        }
    }
    Ok(out)
}

pub fn is_sealed(stored: &str) -> bool {
    stored.starts_with(SEALED_PREFIX)
}

/// Encrypts the clear values a node kept before this version (idempotent, one
/// transaction): the data migration that follows schema migration 10009.
pub async fn seal_existing(db: &Db, key: &PiiKey) -> Result<u64, PiiError> {
    let mut tx = db.begin_write().await?;
    let rows = sqlx::query("SELECT case_no, id_number, phone FROM node_pii")
        .fetch_all(&mut *tx)
        .await?;
    let mut n = 0;
    for r in &rows {
        let case_no: String = r.try_get(0)?;
        let id: Option<String> = r.try_get(1)?;
        let phone: Option<String> = r.try_get(2)?;
        let clear_id = id.filter(|v| !is_sealed(v));
        let clear_phone = phone.filter(|v| !is_sealed(v));
        if clear_id.is_none() && clear_phone.is_none() {
            continue;
        }
        if let Some(v) = clear_id {
            sqlx::query("UPDATE node_pii SET id_number = $1, id_hash = $2 WHERE case_no = $3")
                .bind(key.seal(&case_no, Field::IdNumber, &v))
                .bind(key.hash(Field::IdNumber, &v))
                .bind(&case_no)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(v) = clear_phone {
            sqlx::query("UPDATE node_pii SET phone = $1, phone_hash = $2 WHERE case_no = $3")
                .bind(key.seal(&case_no, Field::Phone, &v))
                .bind(key.hash(Field::Phone, &v))
                .bind(&case_no)
                .execute(&mut *tx)
                .await?;
        }
        n += 1;
    }
    tx.commit().await?;
    if n > 0 {
        tracing::info!(
            rows = n,
            "encrypted personal data kept in clear by an earlier version"
        );
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_open_only_where_they_were_sealed() {
        let key = PiiKey::from_secret(&[7; 32]);
        let s = key.seal("441521-2026-000001", Field::Phone, "13800138000");
        assert!(is_sealed(&s) && !s.contains("13800138000"));
        assert_eq!(
            key.open("441521-2026-000001", Field::Phone, &s)
                .ok()
                .as_deref(),
            Some("13800138000")
        );
        // Another case, another field, another key: no.
        assert!(key.open("441521-2026-000002", Field::Phone, &s).is_err());
        assert!(key.open("441521-2026-000001", Field::IdNumber, &s).is_err());
        assert!(
            PiiKey::from_secret(&[8; 32])
                .open("441521-2026-000001", Field::Phone, &s)
                .is_err()
        );
        assert!(key.open("x", Field::Phone, "13800138000").is_err());
        // Two seals of one value differ; their hashes do not.
        assert_ne!(
            s,
            key.seal("441521-2026-000001", Field::Phone, "13800138000")
        );
        assert_eq!(
            key.hash(Field::Phone, "13800138000"),
            key.hash(Field::Phone, "13800138000")
        );
        assert_ne!(
            key.hash(Field::Phone, "13800138000"),
            PiiKey::from_secret(&[8; 32]).hash(Field::Phone, "13800138000")
        );
    }

    #[test]
    fn the_key_file_is_created_private_and_read_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = PiiKey::load_or_create(dir.path()).expect("create");
        let s = a.seal("c", Field::IdNumber, "v");
        let b = PiiKey::load_or_create(dir.path()).expect("read");
        assert_eq!(b.open("c", Field::IdNumber, &s).ok().as_deref(), Some("v"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(dir.path().join(KEY_FILE), "zz").expect("write");
        assert!(matches!(
            PiiKey::load_or_create(dir.path()),
            Err(PiiError::BadKey { .. })
        ));
    }
}
