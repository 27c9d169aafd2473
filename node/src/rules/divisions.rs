//! The division list a federation ships (行政区划代码): where a problem may arise
//! (问题发生地) is any division of the area, whether or not it runs a node. The
//! list is `node/data/divisions-haifeng.csv`, copied from the National Bureau of
//! Statistics' 12-digit statistical division codes (as of 2022-10-31) as public
//! datasets republish them: the city, the county and its towns. Villages and
//! communities (村、社区) are not listed one by one: a 12-digit code under a listed
//! township (its first nine digits, then `000`) is one of them.
//!
//! Pure: the list is compiled in and parsed once.

use std::collections::BTreeSet;

const OFFICIAL: &str = include_str!("../../data/divisions-haifeng.csv");

#[derive(Debug, thiserror::Error)]
#[error("division list, row {row}: {message}")]
pub struct DivisionsError {
    pub row: usize,
    pub message: String,
}

#[derive(Debug, Clone, Default)]
pub struct Divisions {
    /// Code → tier (`city`, `county`, `township`).
    listed: BTreeSet<(String, String)>,
}

impl Divisions {
    /// The shipped list.
    pub fn official() -> Result<Divisions, DivisionsError> {
        Self::from_csv(OFFICIAL)
    }

    /// A list as CSV with a header `code,name,tier,parent,note`.
    pub fn from_csv(text: &str) -> Result<Divisions, DivisionsError> {
        let mut listed = BTreeSet::new();
        let mut rows = csv::Reader::from_reader(text.as_bytes());
        for (i, row) in rows.records().enumerate() {
            let bad = |message: String| DivisionsError {
                row: i + 2,
                message,
            };
            let row = row.map_err(|e| bad(e.to_string()))?;
            let (code, tier) = (
                row.get(0).unwrap_or_default(),
                row.get(2).unwrap_or_default(),
            );
            if !(code.len() == 6 || code.len() == 12) || !code.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad(format!(
                    "code {code:?} is not a 6- or 12-digit division code"
                )));
            }
            listed.insert((code.to_owned(), tier.to_owned()));
        }
        Ok(Divisions { listed })
    }

    fn has(&self, code: &str, tier: Option<&str>) -> bool {
        self.listed
            .iter()
            .any(|(c, t)| c == code && tier.is_none_or(|want| t == want))
    }

    /// `code` is a division of the area: listed, or a village or community under a
    /// listed township.
    pub fn contains(&self, code: &str) -> bool {
        if self.has(code, None) {
            return true;
        }
        let village =
            code.len() == 12 && code.bytes().all(|b| b.is_ascii_digit()) && !code.ends_with("000");
        village && self.has(&format!("{}000", &code[..9]), Some("township"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_area_is_the_listed_divisions_and_the_villages_under_its_towns() {
        let d = Divisions::official().unwrap();
        for code in [
            "441500",
            "441521",
            "441521115000",
            "441521115007",
            "441521101203",
        ] {
            assert!(d.contains(code), "{code}");
        }
        // Another county, a town not in the list, a village under none.
        for code in [
            "441599",
            "441521199000",
            "441521199001",
            "441522101001",
            "4415211150",
        ] {
            assert!(!d.contains(code), "{code}");
        }
        let e = Divisions::from_csv("code,name,tier,parent,note\n44x,坏,city,,\n").unwrap_err();
        assert_eq!(e.row, 2);
    }
}
