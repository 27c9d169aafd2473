//! Skip-level candidates (越级访, Reg-2022 art. 19) at registration: the same
//! petitioner's open cases below with the same responsible unit, in another
//! category. The registrar is shown them and confirms one (a `skip_level_link`
//! record) or none: a different category may be another matter, so nothing is
//! linked silently.

use super::CaseService;
use crate::case::registration::Details;
use crate::error::NodeError;
use crate::projection::{self, CaseRow};

impl CaseService {
    pub(super) async fn skip_level_candidates(
        &self,
        details: &Details,
        open_below: &(dyn Fn(&CaseRow) -> bool + Sync),
    ) -> Result<Vec<String>, NodeError> {
        let (Some(hash), Some(responsible)) = (&details.id_hash, &details.responsible_unit) else {
            return Ok(Vec::new());
        };
        self.deps.projector.catch_up().await?;
        let rows =
            projection::same_responsible_unit(&self.deps.db, hash, responsible.as_str()).await?;
        Ok(rows
            .into_iter()
            .filter(|m| m.category != details.category && open_below(m))
            .map(|m| m.case_no)
            .collect())
    }
}
