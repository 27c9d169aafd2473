//! Merging two petitioners who are one person (`same_petitioner` records): the
//! check only the node can make — the other case is one it holds, not this
//! one — and the search that follows the merges (`list`).

use super::CaseService;
use crate::error::NodeError;
use crate::projection::{self, PersonKeys};

impl CaseService {
    /// The case a petitioner is merged with is another case this node holds.
    pub(super) async fn check_same_petitioner(
        &self,
        case_no: &str,
        of: &str,
    ) -> Result<(), NodeError> {
        let of = of.trim();
        if of.is_empty() {
            // The case rules name the missing field.
            return Ok(());
        }
        if of == case_no.trim() {
            return Err(NodeError::Rule {
                rule: "identity.self",
                message: "a case's petitioner is not merged with itself".to_owned(),
            });
        }
        if crate::case::lookup::find(self.hub(), of).await?.is_none() {
            return Err(NodeError::Rule {
                rule: "identity.case_held",
                message: format!("case {of} is not held at this node: merge with a case it holds"),
            });
        }
        Ok(())
    }
}

/// How many cases one person's history follows merges over at most.
const MAX_PERSON_CASES: u32 = 2_000;
/// How many rounds of merges a search follows (a chain of merges longer than
/// this is followed no further).
const MAX_ROUNDS: usize = 8;

impl CaseService {
    /// Everything one person's cases are found by, starting from a typed
    /// identity or phone hash and following the merges staff recorded (either
    /// way): each case reached brings its own hashes, and their cases in turn.
    pub(super) async fn person_keys(
        &self,
        id_hash: Option<&str>,
        phone_hash: Option<&str>,
    ) -> Result<PersonKeys, NodeError> {
        let mut keys = PersonKeys::default();
        keys.id_hashes.extend(id_hash.map(str::to_owned));
        keys.phone_hashes.extend(phone_hash.map(str::to_owned));
        let merges: Vec<(String, Vec<String>)> = projection::petitioner_merges(&self.deps.db)
            .await?
            .into_iter()
            .filter_map(|(no, json)| Some((no, serde_json::from_str(&json).ok()?)))
            .collect();
        for _ in 0..MAX_ROUNDS {
            let before = keys.clone();
            let found = projection::person_cases(&self.deps.db, &keys, MAX_PERSON_CASES).await?;
            for (no, id, phone) in found {
                keys.id_hashes.extend(id);
                keys.phone_hashes.extend(phone);
                keys.case_nos.insert(no);
            }
            for (no, with) in &merges {
                let linked =
                    keys.case_nos.contains(no) || with.iter().any(|w| keys.case_nos.contains(w));
                if linked {
                    keys.case_nos.insert(no.clone());
                    keys.case_nos.extend(with.iter().cloned());
                }
            }
            if keys == before {
                break;
            }
        }
        Ok(keys)
    }
}
