//! Skip-level candidates (越级访, Reg-2022 art. 19) at registration: the same
//! petitioner's open cases below with the same responsible unit, in another
//! category. The registrar is shown them and confirms one (a `skip_level_link`
//! record) or none: a different category may be another matter, so nothing is
//! linked silently, and a link to a case that is not a candidate is refused.

use xinfang_hub::UnitCode;

use super::CaseService;
use crate::case::registration::Details;
use crate::case::state::Status;
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

    /// Whether `m` is open and handled by a unit below `me` (not `me` itself).
    pub(super) fn open_below(&self, me: &UnitCode, m: &CaseRow) -> bool {
        let open = crate::case::labels::status_of_code(&m.status).is_some_and(Status::is_open);
        let topology = self.hub().topology();
        let below = m
            .handling_unit
            .as_deref()
            .and_then(|u| u.parse::<UnitCode>().ok())
            .is_some_and(|u| &u != me && topology.in_subtree(me, &u));
        open && below
    }

    /// A skip-level link from `case_no` names one of its candidates as they
    /// stand now (the same petitioner, the same responsible unit, open below).
    pub(super) async fn check_skip_level_link(
        &self,
        case_no: &str,
        of: &str,
    ) -> Result<(), NodeError> {
        self.deps.projector.catch_up().await?;
        let basis = projection::skip_level_basis(&self.deps.db, case_no).await?;
        let me = self.hub().me().clone();
        let candidates = match basis {
            Some((id_hash, Some(responsible), category)) => {
                let details = Details {
                    id_hash: Some(id_hash),
                    responsible_unit: responsible.parse().ok(),
                    category,
                    ..Details::default()
                };
                let open_below = |m: &CaseRow| self.open_below(&me, m);
                self.skip_level_candidates(&details, &open_below).await?
            }
            _ => Vec::new(),
        };
        if candidates.iter().any(|c| c == of.trim()) {
            return Ok(());
        }
        Err(NodeError::Rule {
            rule: "skip_level.candidate",
            message: format!(
                "{of} is not a skip-level candidate of {case_no} (the same petitioner's open \
                 case below with the same responsible unit); candidates: {}",
                if candidates.is_empty() {
                    "none".to_owned()
                } else {
                    candidates.join(", ")
                }
            ),
        })
    }
}
