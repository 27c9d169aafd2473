//! Petitioners found to be one person (`same_petitioner` records): the cases a
//! case's petitioner was merged with, as the query table keeps them for the
//! petitioner's history to follow. Pure.

use super::record::{Body, Record};

/// The case numbers `records` merge this case's petitioner with, in order, once each.
pub fn merged_with(records: &[Record]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in super::state::ordered(records) {
        if let Body::SamePetitioner { of, .. } = &r.body {
            let of = of.trim().to_owned();
            if !of.is_empty() && !out.contains(&of) {
                out.push(of);
            }
        }
    }
    out
}

/// [`merged_with`] as the query table's JSON (None: merged with none).
pub fn same_petitioner_json(records: &[Record]) -> Option<String> {
    let merged = merged_with(records);
    (!merged.is_empty())
        .then(|| serde_json::to_string(&merged).ok())
        .flatten()
}
