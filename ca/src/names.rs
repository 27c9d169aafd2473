//! Which names a certificate may carry, and the file of the federation's matching
//! key handed out with a unit's certificate.
//!
//! The staff-name rule lives here, once: the CA checks it before issuing a staff
//! certificate and the node's accounts check it for every login name (so any user
//! can hold one). Here rather than in the node because the node depends on this
//! crate and not the reverse (dependencies point down: node, CLI → CA → hub).

/// The federation's matching key (hex): every node hashes identity numbers with it,
/// so the same person matches across nodes while the number stays local.
pub const MATCH_KEY: &str = "match.key";

/// A staff name: 1-63 lowercase ASCII letters, digits or '-', not starting with
/// '-' (a DNS label of `<name>.staff.xinfang`, and a node's login name).
pub fn is_staff_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && !name.starts_with('-')
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// An operator name: 1-63 ASCII letters, digits or '-'.
pub fn is_operator_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staff_names_are_dns_labels() {
        assert!(is_staff_name("zhang-san2"));
        for bad in ["", "-x", "Zhang", "a b", &"a".repeat(64)] {
            assert!(!is_staff_name(bad), "{bad:?}");
        }
        assert!(is_operator_name("Admin-1"));
        assert!(!is_operator_name("bad name"));
    }
}
