//! The unified social credit code (统一社会信用代码, GB 32100-2015): the 18-character
//! code every organ and organisation is registered under. A topology identifies
//! units that are not divisions (a bureau of a government) by it, because its
//! shape (18 characters) can never collide with a 6- or 12-digit division code.
//!
//! Pure: no IO. Only the check character is verified here; whether the
//! registration department, type and division parts name a real organ is the
//! registering authority's business, not ours.

/// The 31 characters the code is written in, in value order (no I, O, S, V, Z,
/// which read like digits).
const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// Length of a code, the check character included.
pub const LEN: usize = 18;

/// The weight of position i (0-based) of the 17-character body: 3^i mod 31.
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

fn value(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == c).map(|p| p as u32)
}

/// The check character for a 17-character body (GB 32100-2015 §5: 31 minus the
/// weighted sum mod 31, 31 written as 0). `None` when the body is not 17
/// characters of the code's alphabet.
pub fn check_char(body: &str) -> Option<char> {
    let b = body.as_bytes();
    if b.len() != LEN - 1 {
        return None;
    }
    let mut sum = 0u32;
    for (c, w) in b.iter().zip(WEIGHTS) {
        sum += value(*c)? * w;
    }
    let idx = (31 - sum % 31) % 31;
    Some(char::from(ALPHABET[idx as usize]))
}

/// Why a text is not a unified social credit code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreditCodeError {
    #[error(
        "{0:?} is not a unified social credit code: 18 characters of 0-9 and A-Y without I, O, S, V, Z (GB 32100-2015)"
    )]
    Shape(String),
    #[error(
        "{code:?}: check character {found:?} is wrong; GB 32100-2015 gives {expected:?} for the first 17 characters"
    )]
    Check {
        code: String,
        found: char,
        expected: char,
    },
}

/// Verifies a code: alphabet, length and check character.
pub fn verify(code: &str) -> Result<(), CreditCodeError> {
    let shape = || CreditCodeError::Shape(code.to_owned());
    if code.len() != LEN || !code.is_ascii() {
        return Err(shape());
    }
    let (body, last) = code.split_at(LEN - 1);
    let expected = check_char(body).ok_or_else(shape)?;
    let found = last.chars().next().ok_or_else(shape)?;
    if value(found as u8).is_none() {
        return Err(shape());
    }
    if found != expected {
        return Err(CreditCodeError::Check {
            code: code.to_owned(),
            found,
            expected,
        });
    }
    Ok(())
}

/// True when `text` has the code's shape (18 characters of its alphabet), valid
/// or not: what tells a credit code from a division code before checking it.
pub fn looks_like(text: &str) -> bool {
    text.len() == LEN && text.bytes().all(|b| value(b).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_codes_verify() {
        // Codes printed on business licences (their check characters include a
        // letter, a digit and the wrap-around of 31 to 0 is covered below).
        for code in [
            "91350100M000100Y43",
            "91110000600037341L",
            "91440300708461136T",
            "114415210070451214",
            "1144152100704513XU",
        ] {
            assert_eq!(verify(code), Ok(()), "{code}");
        }
    }

    #[test]
    fn the_check_character_is_computed_from_the_weights() {
        assert_eq!(check_char("91350100M000100Y4"), Some('3'));
        assert_eq!(check_char("91110000600037341"), Some('L'));
        // A body whose weighted sum is a multiple of 31 takes 0, not 31.
        assert_eq!(check_char("00000000000000000"), Some('0'));
        assert_eq!(check_char("1000000000000000"), None, "16 characters");
        assert_eq!(
            check_char("9135010OM00010OY4"),
            None,
            "O is not in the alphabet"
        );
    }

    #[test]
    fn a_wrong_check_character_or_shape_is_refused_naming_the_rule() {
        let e = verify("91350100M000100Y44").unwrap_err();
        assert_eq!(
            e,
            CreditCodeError::Check {
                code: "91350100M000100Y44".into(),
                found: '4',
                expected: '3'
            }
        );
        assert!(e.to_string().contains("GB 32100-2015"), "{e}");
        for bad in [
            "",
            "441521",
            "91350100M000100Y4",
            "91350100M000100Y4Z",
            "91350100m000100Y43",
        ] {
            assert!(
                matches!(verify(bad), Err(CreditCodeError::Shape(_))),
                "{bad}"
            );
        }
        assert!(looks_like("91350100M000100Y44"));
        assert!(!looks_like("441521115000"));
    }
}
