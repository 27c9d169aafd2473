//! The petitioner's query code (查询码): what opens a case on the public progress
//! page. Random, 80 bits, written in Crockford's base32 alphabet (no I, L, O, U:
//! nothing to confuse when read aloud or typed from a receipt) as four groups of
//! four, e.g. `7K2M-QX9D-4T1B-ZP6W`. Only the petitioner is given it in clear;
//! the case carries a salted hash (a salt of its own per issue), replicated like
//! the registration, so every superior can check a code and none can read it.
//!
//! Pure: no IO; the random source is the operating system's, through `rand`.

use hmac::{Hmac, Mac};
use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// Crockford's base32 alphabet: digits and letters without I, L, O, U.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Characters in a code: 16 × 5 bits = 80 bits of randomness.
pub const CODE_CHARS: usize = 16;

/// Bytes of each issue's salt.
const SALT_BYTES: usize = 16;

/// A query code in clear: held only long enough to hand it to the petitioner.
#[derive(Clone, PartialEq, Eq)]
pub struct QueryCode(String);

impl std::fmt::Debug for QueryCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("QueryCode(***)")
    }
}

impl QueryCode {
    /// A fresh random code.
    pub fn random() -> QueryCode {
        let mut rng = rand::rng();
        let code = (0..CODE_CHARS)
            .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
            .collect();
        QueryCode(code)
    }

    /// What a person typed, read leniently: case, spaces and dashes do not
    /// matter, and O, I and L are read as the digits they look like. `None` when
    /// it cannot be a code (wrong length or a character outside the alphabet).
    pub fn parse(typed: &str) -> Option<QueryCode> {
        let mut out = String::with_capacity(CODE_CHARS);
        for c in typed.chars() {
            let c = match c.to_ascii_uppercase() {
                ' ' | '-' | '\u{3000}' => continue,
                'O' => '0',
                'I' | 'L' => '1',
                c => c,
            };
            if !c.is_ascii() || !ALPHABET.contains(&(c as u8)) {
                return None;
            }
            out.push(c);
            if out.len() > CODE_CHARS {
                return None;
            }
        }
        (out.len() == CODE_CHARS).then_some(QueryCode(out))
    }

    /// As printed for people: four groups of four, joined by dashes.
    pub fn grouped(&self) -> String {
        self.0
            .as_bytes()
            .chunks(4)
            .map(|g| String::from_utf8_lossy(g).into_owned())
            .collect::<Vec<_>>()
            .join("-")
    }
}

/// What a case keeps of its query code: a salt and HMAC-SHA256(salt, code), hex.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredCode {
    pub salt: String,
    pub hash: String,
    /// When it was issued (RFC 3339): the latest issue is the one that works.
    pub issued_at: String,
}

impl StoredCode {
    /// The stored form of `code`, under a new random salt.
    pub fn of(code: &QueryCode, issued_at: &str) -> StoredCode {
        let mut salt = [0u8; SALT_BYTES];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut salt);
        let hash = mac(&salt, code).finalize().into_bytes();
        StoredCode {
            salt: hex::encode(salt),
            hash: hex::encode(hash),
            issued_at: issued_at.to_owned(),
        }
    }

    /// Whether `code` is the one stored (compared in constant time).
    pub fn opens_with(&self, code: &QueryCode) -> bool {
        let (Ok(salt), Ok(hash)) = (hex::decode(&self.salt), hex::decode(&self.hash)) else {
            return false;
        };
        mac(&salt, code).verify_slice(&hash).is_ok()
    }
}

fn mac(salt: &[u8], code: &QueryCode) -> Hmac<Sha256> {
    // HMAC takes a key of any length: this cannot fail.
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(salt)
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    m.update(code.0.as_bytes());
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_sixteen_characters_of_the_alphabet_printed_in_four_groups() {
        let c = QueryCode::random();
        let printed = c.grouped();
        assert_eq!(printed.len(), 19, "{printed}");
        assert_eq!(printed.matches('-').count(), 3);
        assert_eq!(QueryCode::parse(&printed), Some(c.clone()));
        // Two codes in a row differ (80 random bits).
        assert_ne!(QueryCode::random(), c);
    }

    #[test]
    fn typing_is_forgiving_but_not_loose() {
        let c = QueryCode::parse("0123-4567-89ab-cdef").expect("a code");
        assert_eq!(QueryCode::parse("O123 4567 89AB CDEF"), Some(c.clone()));
        assert_eq!(
            QueryCode::parse("0I23456789abcdef"),
            QueryCode::parse("0123456789ABCDEF")
        );
        assert_eq!(QueryCode::parse("0123456789ABCDE"), None, "too short");
        assert_eq!(QueryCode::parse("0123456789ABCDEF0"), None, "too long");
        assert_eq!(QueryCode::parse("0123456789ABCDEU"), None, "U is not used");
        assert_eq!(QueryCode::parse("0123456789ABCDE查"), None);
        assert_eq!(
            format!("{c:?}"),
            "QueryCode(***)",
            "never printed by accident"
        );
    }

    #[test]
    fn the_stored_form_opens_with_its_code_only_and_salts_differ() {
        let c = QueryCode::random();
        let s = StoredCode::of(&c, "2026-12-01T00:00:00.000Z");
        assert!(s.opens_with(&c));
        assert!(!s.opens_with(&QueryCode::random()));
        let again = StoredCode::of(&c, "2026-12-01T00:00:00.000Z");
        assert_ne!(s.salt, again.salt);
        assert_ne!(
            s.hash, again.hash,
            "the same code hashes differently per issue"
        );
        assert!(!s.hash.contains(&c.0) && !s.salt.contains(&c.0));
    }
}
