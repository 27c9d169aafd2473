//! Getting the petitioner's phone to the unit handling the case, and to no one else.
//!
//! The phone in clear lives only at the registering unit's node. When another unit
//! accepts the case, its node publishes its certificate in a `contact_key` record.
//! The registering node checks that certificate against the federation root and that
//! it names the handling unit, then seals the phone to the certificate's P-256 key
//! (ephemeral ECDH, HKDF-SHA256, AES-256-GCM) in a `sealed_contact` record. The units
//! the case passes through on its way hold only the ciphertext.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hkdf::Hkdf;
use p256::ecdh::EphemeralSecret;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::pkcs8::DecodePrivateKey;
use p256::{PublicKey, SecretKey};
use sha2::Sha256;
use x509_parser::prelude::{FromDer, X509Certificate};
use xinfang_hub::UnitCode;
use xinfang_hub::identity::{PeerIdentity, identity_of};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContactError {
    #[error("certificate: {0}")]
    Certificate(String),
    #[error("certificate names {found}, not the handling unit {expected}")]
    WrongUnit { expected: String, found: String },
    #[error("sealed contact is damaged or not for this node")]
    Open,
    #[error("node key: {0}")]
    Key(String),
}

/// A value sealed to one node.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Sealed {
    /// Hex SEC1 of the sender's ephemeral public key.
    pub ephemeral: String,
    pub nonce: String,
    pub ciphertext: String,
}

/// This node's key and certificates, for publishing, sealing and opening.
pub struct NodeKeys {
    pub cert_pem: String,
    pub ca_pem: String,
    secret: SecretKey,
}

impl NodeKeys {
    pub fn from_pem(cert_pem: &str, key_pem: &str, ca_pem: &str) -> Result<NodeKeys, ContactError> {
        let secret =
            SecretKey::from_pkcs8_pem(key_pem).map_err(|e| ContactError::Key(e.to_string()))?;
        Ok(NodeKeys {
            cert_pem: cert_pem.to_owned(),
            ca_pem: ca_pem.to_owned(),
            secret,
        })
    }

    /// Opens a value sealed to this node for `context` (the case and the unit).
    pub fn open(&self, sealed: &Sealed, context: &str) -> Result<String, ContactError> {
        let eph = hex::decode(&sealed.ephemeral).map_err(|_| ContactError::Open)?;
        let eph = PublicKey::from_sec1_bytes(&eph).map_err(|_| ContactError::Open)?;
        let shared = p256::ecdh::diffie_hellman(self.secret.to_nonzero_scalar(), eph.as_affine());
        let cipher = cipher(shared.raw_secret_bytes(), context)?;
        let nonce = hex::decode(&sealed.nonce).map_err(|_| ContactError::Open)?;
        if nonce.len() != 12 {
            return Err(ContactError::Open);
        }
        let ct = hex::decode(&sealed.ciphertext).map_err(|_| ContactError::Open)?;
        let clear = cipher
            .decrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &ct,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| ContactError::Open)?;
        String::from_utf8(clear).map_err(|_| ContactError::Open)
    }
}

fn cipher(shared: &[u8], context: &str) -> Result<Aes256Gcm, ContactError> {
    let hk = Hkdf::<Sha256>::new(None, shared);
    let mut key = [0u8; 32];
    hk.expand(format!("xinfang contact v1 {context}").as_bytes(), &mut key)
        .map_err(|_| ContactError::Open)?;
    Aes256Gcm::new_from_slice(&key).map_err(|_| ContactError::Open)
}

fn der_of(pem: &str) -> Result<Vec<u8>, ContactError> {
    let (_, p) = x509_parser::pem::parse_x509_pem(pem.as_bytes())
        .map_err(|e| ContactError::Certificate(e.to_string()))?;
    Ok(p.contents)
}

/// Checks that `cert_pem` was issued by the federation root `ca_pem`, is valid now
/// and names `unit`; returns its public key.
pub fn verified_key(
    cert_pem: &str,
    ca_pem: &str,
    unit: &UnitCode,
) -> Result<PublicKey, ContactError> {
    let cert_der = der_of(cert_pem)?;
    let ca_der = der_of(ca_pem)?;
    let (_, cert) = X509Certificate::from_der(&cert_der)
        .map_err(|e| ContactError::Certificate(e.to_string()))?;
    let (_, ca) =
        X509Certificate::from_der(&ca_der).map_err(|e| ContactError::Certificate(e.to_string()))?;
    cert.verify_signature(Some(ca.public_key())).map_err(|e| {
        ContactError::Certificate(format!("not issued by the federation root: {e}"))
    })?;
    if !cert.validity().is_valid() {
        return Err(ContactError::Certificate("expired or not yet valid".into()));
    }
    match identity_of(&cert_der).map_err(|e| ContactError::Certificate(e.to_string()))? {
        PeerIdentity::Unit(u) if &u == unit => {}
        other => {
            return Err(ContactError::WrongUnit {
                expected: unit.to_string(),
                found: other.to_string(),
            });
        }
    }
    PublicKey::from_sec1_bytes(&cert.public_key().subject_public_key.data)
        .map_err(|e| ContactError::Certificate(format!("not a P-256 key: {e}")))
}

/// Seals `value` to `recipient` for `context`.
pub fn seal(value: &str, recipient: &PublicKey, context: &str) -> Result<Sealed, ContactError> {
    let eph = EphemeralSecret::random(&mut p256::elliptic_curve::rand_core::OsRng);
    let shared = eph.diffie_hellman(recipient);
    let cipher = cipher(shared.raw_secret_bytes(), context)?;
    let nonce: [u8; 12] = uuid::Uuid::new_v4().as_bytes()[..12]
        .try_into()
        .map_err(|_| ContactError::Open)?;
    let ct = cipher
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: value.as_bytes(),
                aad: context.as_bytes(),
            },
        )
        .map_err(|_| ContactError::Open)?;
    Ok(Sealed {
        ephemeral: hex::encode(eph.public_key().to_encoded_point(false).as_bytes()),
        nonce: hex::encode(nonce),
        ciphertext: hex::encode(ct),
    })
}

#[cfg(test)]
mod tests {
    use xinfang_ca::{self as pki, Pki};

    use super::*;

    #[test]
    fn sealed_for_the_handling_node_opens_only_there() {
        let dir = tempfile::tempdir().unwrap();
        let root = Pki::init(&dir.path().join("pki")).unwrap();
        let town: UnitCode = "441521115000".parse().unwrap();
        let other: UnitCode = "441521101000".parse().unwrap();
        let t = root.issue_node(&town, &[], &dir.path().join("t")).unwrap();
        let o = root.issue_node(&other, &[], &dir.path().join("o")).unwrap();
        let read = |p: &std::path::Path| pki::read_file(p).unwrap();
        let ca = read(&t.ca);
        let town_keys = NodeKeys::from_pem(&read(&t.cert), &read(&t.key), &ca).unwrap();
        let other_keys = NodeKeys::from_pem(&read(&o.cert), &read(&o.key), &ca).unwrap();

        let key = verified_key(&town_keys.cert_pem, &ca, &town).unwrap();
        let sealed = seal("13800138000", &key, "case-1 441521115000").unwrap();
        assert!(!sealed.ciphertext.contains("13800138000"));
        assert_eq!(
            town_keys.open(&sealed, "case-1 441521115000").unwrap(),
            "13800138000"
        );
        assert_eq!(
            other_keys.open(&sealed, "case-1 441521115000"),
            Err(ContactError::Open)
        );
        assert_eq!(
            town_keys.open(&sealed, "case-2 441521115000"),
            Err(ContactError::Open)
        );

        // A certificate for another unit, or from another root, is refused.
        assert!(matches!(
            verified_key(&other_keys.cert_pem, &ca, &town),
            Err(ContactError::WrongUnit { .. })
        ));
        let rogue = Pki::init(&dir.path().join("rogue")).unwrap();
        let r = rogue.issue_node(&town, &[], &dir.path().join("r")).unwrap();
        assert!(matches!(
            verified_key(&read(&r.cert), &ca, &town),
            Err(ContactError::Certificate(_))
        ));
    }
}
