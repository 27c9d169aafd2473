//! The owned-case library's checks that need the node (`case::library` holds
//! the pure rules): a proposal names an active leader of this office's roster,
//! and a published title carries none of the petitioner's personal data. Both
//! run for every front, before the record is written.

use super::CaseService;
use crate::case::record::Body;
use crate::error::NodeError;

impl CaseService {
    pub(super) async fn check_library(&self, case_no: &str, body: &Body) -> Result<(), NodeError> {
        let Some(found) = crate::case::lookup::find(self.hub(), case_no).await? else {
            // The write that follows names the missing case.
            return Ok(());
        };
        let mut d = found.held.loaded.doc;
        let file = crate::case::view::CaseFile::read(&mut d, &found.doc_id)?;
        let me = self.hub().me().clone();
        match body {
            // Only for a case in this office's library: otherwise the case rules
            // refuse it by what they know (`library.not_listed`, its writer).
            Body::OwnershipProposal { leader, .. }
                if self
                    .derive(&file)
                    .is_some_and(|now| now.library.iter().any(|l| l.office == me)) =>
            {
                let roster = self.active_roster().await?;
                let leader = leader.trim();
                if !leader.is_empty() && !roster.iter().any(|l| l.name == leader) {
                    return Err(NodeError::Rule {
                        rule: "library.leader_on_roster",
                        message: format!(
                            "{leader} is not an active leader on {me}'s roster; on it: {}",
                            roster
                                .iter()
                                .map(|l| l.name.as_str())
                                .collect::<Vec<_>>()
                                .join("、")
                        ),
                    });
                }
                Ok(())
            }
            Body::LibraryEntry { public_title, .. } => {
                let title: String = public_title
                    .chars()
                    .filter(|c| !c.is_whitespace())
                    .collect();
                let name = file.view.petitioner.trim();
                // Any identity or phone number at all, whoever's: the node
                // holding the case may not hold its petitioner's numbers.
                let numbers = title
                    .split(|c: char| !(c.is_ascii_digit() || c == 'X' || c == 'x' || c == '-'))
                    .filter(|run| run.chars().filter(char::is_ascii_digit).count() >= 7);
                let mut carried =
                    (name.chars().count() >= 2 && title.contains(name)).then_some("name");
                for run in numbers {
                    if crate::rules::identity::IdNumber::parse(run).is_ok() {
                        carried = carried.or(Some("identity number"));
                    } else if crate::rules::identity::Phone::parse(run).is_ok() {
                        carried = carried.or(Some("phone"));
                    }
                }
                if let Some(what) = carried {
                    return Err(NodeError::Rule {
                        rule: "library.public_title_personal",
                        message: format!(
                            "the published title carries the petitioner's {what}: it is \
                             published online, so write the matter without it"
                        ),
                    });
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

/// A case some owned-case library lists, as the query table holds it.
#[derive(Debug, Clone)]
pub struct LibraryRow {
    pub case_no: String,
    pub listings: Vec<crate::case::library::Listing>,
    pub status: crate::case::state::Status,
    pub handling_unit: String,
}

impl CaseService {
    /// Every case a library at this node's subtree lists (no authorization:
    /// the library service asks for it, or publishes without personal data).
    pub async fn library_rows(&self) -> Result<Vec<LibraryRow>, NodeError> {
        self.deps.projector.catch_up().await?;
        let rows = crate::projection::library_rows(&self.deps.db).await?;
        Ok(rows
            .into_iter()
            .filter_map(|(case_no, json, status, handling)| {
                Some(LibraryRow {
                    case_no,
                    listings: serde_json::from_str(&json).ok()?,
                    status: crate::case::labels::status_of_code(&status)?,
                    handling_unit: handling.unwrap_or_default(),
                })
            })
            .collect())
    }
}
