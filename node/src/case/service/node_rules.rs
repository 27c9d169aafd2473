//! The case rules only the node can judge, asked before a record is written by
//! every front (`act`, `act_record`): what the pure rules (`admission`) cannot
//! see — another case held here, the unit's roster. Each refusal names its rule.

use super::CaseService;
use crate::case::record::Body;
use crate::error::NodeError;
use crate::schedule::model::{Leader, LeaderRole};

impl CaseService {
    pub(super) async fn check_node_rules(
        &self,
        case_no: &str,
        body: &Body,
    ) -> Result<(), NodeError> {
        match body {
            Body::SkipLevelLink { of } => self.check_skip_level_link(case_no, of).await,
            Body::SamePetitioner { of, .. } => self.check_same_petitioner(case_no, of).await,
            Body::LibraryEntry { .. } | Body::OwnershipProposal { .. } => {
                self.check_library(case_no, body).await
            }
            Body::Ownership {
                leader,
                principal: true,
                ..
            } => self.check_principal_owner(leader).await,
            _ => Ok(()),
        }
    }

    /// The active leaders on this unit's roster.
    pub(super) async fn active_roster(&self) -> Result<Vec<Leader>, NodeError> {
        let me = self.hub().me().clone();
        Ok(match self.hub().get(&crate::docid::roster(&me)).await? {
            Some(h) => crate::schedule::docs::read_roster(&h.loaded.doc),
            None => Vec::new(),
        }
        .into_iter()
        .filter(|l| l.active)
        .collect())
    }

    /// An ownership claimed as the principal leader's (主要领导, as a visit to
    /// higher authorities may require) names one: an active leader of this
    /// unit's roster in the principal role.
    async fn check_principal_owner(&self, leader: &str) -> Result<(), NodeError> {
        let leader = leader.trim();
        let roster = self.active_roster().await?;
        if roster
            .iter()
            .any(|l| l.name == leader && l.role == LeaderRole::Principal)
        {
            return Ok(());
        }
        let principals: Vec<&str> = roster
            .iter()
            .filter(|l| l.role == LeaderRole::Principal)
            .map(|l| l.name.as_str())
            .collect();
        Err(NodeError::Rule {
            rule: "ownership.principal_on_roster",
            message: format!(
                "{leader} is not a principal leader on {}'s roster; principal leaders: {}",
                self.hub().me(),
                if principals.is_empty() {
                    "none (add them to the roster)".to_owned()
                } else {
                    principals.join("、")
                }
            ),
        })
    }
}
