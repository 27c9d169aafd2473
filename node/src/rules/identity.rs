//! Resident identity numbers (GB 11643-1999) and phone numbers: validation, masked
//! forms for display, and a keyed hash that lets nodes match the same petitioner
//! without the number ever leaving the registering unit in clear.

use chrono::NaiveDate;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::labels::Said;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdNumberError {
    #[error("must be 18 characters (found {0})")]
    Length(usize),
    #[error("the first 17 characters must be digits")]
    Digits,
    #[error("characters 7–14 must be a real birth date (found {0})")]
    BirthDate(String),
    #[error("check digit is {found}, but GB 11643 gives {expected} for these digits")]
    Checksum { expected: char, found: char },
}

impl IdNumberError {
    /// The refusal as said beside the field, in both languages.
    pub fn said(&self) -> Said {
        let zh = match self {
            IdNumberError::Length(n) => format!("应为18位（现为{n}位）"),
            IdNumberError::Digits => "前17位应为数字".to_owned(),
            IdNumberError::BirthDate(d) => format!("第7至14位应为真实的出生日期（现为{d}）"),
            IdNumberError::Checksum { expected, found } => {
                format!("校验码是{found}，按GB 11643前17位应得{expected}")
            }
        };
        Said::new(zh, self.to_string())
    }
}

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// The GB 11643 check character for 17 digits.
pub fn check_char(digits17: &[u8]) -> char {
    let sum: u32 = digits17
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    CHECK[(sum % 11) as usize]
}

/// A validated 18-character resident identity number (upper-case `X`).
#[derive(Clone, PartialEq, Eq)]
pub struct IdNumber(String);

impl std::fmt::Debug for IdNumber {
    // Never print the number in clear by accident.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IdNumber({})", self.masked())
    }
}

impl IdNumber {
    pub fn parse(s: &str) -> Result<IdNumber, IdNumberError> {
        let s = s.trim().to_ascii_uppercase();
        let n = s.chars().count();
        if n != 18 {
            return Err(IdNumberError::Length(n));
        }
        let b = s.as_bytes();
        if !b[..17].iter().all(u8::is_ascii_digit) {
            return Err(IdNumberError::Digits);
        }
        let birth = &s[6..14];
        if NaiveDate::parse_from_str(birth, "%Y%m%d").is_err() {
            return Err(IdNumberError::BirthDate(birth.to_owned()));
        }
        let expected = check_char(&b[..17]);
        let found = char::from(b[17]);
        if expected != found {
            return Err(IdNumberError::Checksum { expected, found });
        }
        Ok(IdNumber(s))
    }

    /// The number in clear: only for the registering unit's own storage.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `4415**********1234`: the region prefix and the last four.
    pub fn masked(&self) -> String {
        format!("{}**********{}", &self.0[..4], &self.0[14..])
    }

    /// HMAC-SHA256 under the federation's matching key, hex. Equal numbers give
    /// equal hashes on every node that holds the key; the number is not recoverable.
    pub fn keyed_hash(&self, key: &[u8]) -> String {
        keyed_hash(key, self.0.as_bytes())
    }
}

fn keyed_hash(key: &[u8], data: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(data);
    hex::encode(mac.finalize().into_bytes())
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("must be 7 to 15 digits, optionally with '-' or a leading '+'")]
    Shape,
}

impl PhoneError {
    /// The refusal as said beside the field, in both languages.
    pub fn said(&self) -> Said {
        match self {
            PhoneError::Shape => Said::new("应为7至15位数字，可含“-”或以“+”开头", self.to_string()),
        }
    }
}

/// A phone number, digits only (a leading '+' kept).
#[derive(Clone, PartialEq, Eq)]
pub struct Phone(String);

impl std::fmt::Debug for Phone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Phone({})", self.masked())
    }
}

impl Phone {
    pub fn parse(s: &str) -> Result<Phone, PhoneError> {
        let s = s.trim();
        let (plus, rest) = match s.strip_prefix('+') {
            Some(r) => ("+", r),
            None => ("", s),
        };
        if !rest
            .chars()
            .all(|c| c.is_ascii_digit() || c == '-' || c == ' ')
        {
            return Err(PhoneError::Shape);
        }
        let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
        if !(7..=15).contains(&digits.len()) {
            return Err(PhoneError::Shape);
        }
        Ok(Phone(format!("{plus}{digits}")))
    }

    /// HMAC-SHA256 under the federation's matching key, hex, of the number as
    /// parsed, in a domain of its own (`phone:`), so that a phone's hash never
    /// equals an identity number's.
    pub fn keyed_hash(&self, key: &[u8]) -> String {
        keyed_hash(key, format!("phone:{}", self.0).as_bytes())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `138****5678`: the first three and the last four digits.
    pub fn masked(&self) -> String {
        let n = self.0.len();
        let keep_tail = 4.min(n / 2);
        let keep_head = 3.min(n.saturating_sub(keep_tail + 1));
        format!(
            "{}{}{}",
            &self.0[..keep_head],
            "*".repeat(n - keep_head - keep_tail),
            &self.0[n - keep_tail..]
        )
    }
}

/// A person's name as the public may see it: the first character, the rest
/// starred ("孙七" → "孙*", "欧阳娜娜" → "欧***"); one star at least, so a
/// one-character name does not show whole.
pub fn mask_name(name: &str) -> String {
    let name = name.trim();
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return String::new();
    };
    let rest = chars.count().max(1);
    format!("{first}{}", "*".repeat(rest))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Builds a valid number from 17 digits.
    fn with_check(d17: &str) -> String {
        format!("{d17}{}", check_char(d17.as_bytes()))
    }

    #[test]
    fn known_numbers() {
        // The standard's published example.
        assert!(IdNumber::parse("11010519491231002X").is_ok());
        assert!(IdNumber::parse("11010519491231002x").is_ok());
        assert_eq!(
            IdNumber::parse("110105194912310021"),
            Err(IdNumberError::Checksum {
                expected: 'X',
                found: '1'
            })
        );
        assert_eq!(
            IdNumber::parse("1101051949"),
            Err(IdNumberError::Length(10))
        );
        assert_eq!(
            IdNumber::parse("11010519491331002X"),
            Err(IdNumberError::BirthDate("19491331".into()))
        );
        assert_eq!(
            IdNumber::parse("1101051949123100AX"),
            Err(IdNumberError::Digits)
        );
    }

    #[test]
    fn masks_and_hashes() {
        let id = IdNumber::parse(&with_check("44152119800101123")).unwrap();
        assert_eq!(
            id.masked(),
            format!("4415**********123{}", &id.expose()[17..])
        );
        assert!(!format!("{id:?}").contains("19800101"));
        let a = id.keyed_hash(b"federation key");
        assert_eq!(a, id.keyed_hash(b"federation key"));
        assert_ne!(a, id.keyed_hash(b"another key"));
        assert_eq!(a.len(), 64);
        assert_eq!(
            Phone::parse("138-0013-8000").unwrap().masked(),
            "138****8000"
        );
        assert!(Phone::parse("12").is_err());
        assert!(Phone::parse("abc1234567").is_err());
    }

    proptest! {
        #[test]
        fn any_single_digit_change_breaks_the_check(pos in 0usize..17, bump in 1u8..10) {
            let valid = with_check("44152119800101123");
            let mut b = valid.clone().into_bytes();
            b[pos] = b'0' + (b[pos] - b'0' + bump) % 10;
            let changed = String::from_utf8(b).unwrap();
            // A changed digit either breaks the birth date or the check digit.
            prop_assert!(IdNumber::parse(&changed).is_err());
        }
    }

    #[test]
    fn names_show_their_first_character_only() {
        assert_eq!(mask_name("孙七"), "孙*");
        assert_eq!(mask_name("欧阳娜娜"), "欧***");
        assert_eq!(mask_name("张"), "张*");
        assert_eq!(mask_name(" "), "");
    }
}
