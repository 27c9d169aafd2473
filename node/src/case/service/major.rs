//! Major and urgent matters (重大、紧急信访事项) in the case service: the flag a
//! registration may carry, and the open flagged cases of a unit's subtree that
//! every superior is alerted to at once (its status, its worklist).

use chrono::{DateTime, Utc};
use xinfang_hub::UnitCode;
use xinfang_proto::v1 as pb;

use super::CaseService;
use crate::auth::{Action, Actor};
use crate::case::labels::{self, Lang};
use crate::case::record::{Body, Record};
use crate::case::registration::{MAX_NOTE_CHARS, required};
use crate::error::NodeError;
use crate::labels::Said;
use crate::projection;

/// The flag a registration asks for: a reason, urgent or not. Refused when
/// `urgent` comes without a reason (the regulation's flag always has one).
pub(super) fn flag_at_registration(
    req: &pb::RegisterCaseRequest,
) -> Result<Option<Body>, NodeError> {
    if req.major_reason.trim().is_empty() {
        if req.urgent {
            return Err(NodeError::invalid(
                "major_reason",
                Said::new(
                    "紧急信访事项须写明理由（major.reason）",
                    "an urgent matter is flagged with its reason (major.reason)",
                ),
            ));
        }
        return Ok(None);
    }
    Ok(Some(Body::Major {
        urgent: req.urgent,
        reason: required("major_reason", &req.major_reason, MAX_NOTE_CHARS)?,
    }))
}

/// The flag's record, written by the registering unit with the registration.
pub(super) fn flag_record(me: &UnitCode, at: DateTime<Utc>, by: &str, body: Body) -> Record {
    Record {
        id: format!("{me}-{}", uuid::Uuid::new_v4().simple()),
        unit: me.clone(),
        at,
        body,
        by: Some(by.to_owned()),
    }
}

impl CaseService {
    /// Open major or urgent matters registered or handled in this node's subtree,
    /// urgent first, then the oldest: what a superior's worklist shows. Anyone
    /// who may read cases.
    pub async fn major_alerts(
        &self,
        who: &Actor,
        lang: Lang,
    ) -> Result<Vec<pb::MajorAlert>, NodeError> {
        self.guard().authorize(who, Action::ReadCases, "").await?;
        self.open_major_alerts(lang).await
    }

    /// The alerts without a caller's check, for services that checked their own
    /// permission (the node's status).
    pub(crate) async fn open_major_alerts(
        &self,
        lang: Lang,
    ) -> Result<Vec<pb::MajorAlert>, NodeError> {
        // As the background projector has them (it applies each commit as it
        // lands): a node's status answers at once, also while a large ingest is
        // still being projected.
        let me = self.hub().me();
        let units: Vec<String> = self
            .hub()
            .topology()
            .subtree(me)
            .into_iter()
            .map(|u| u.to_string())
            .collect();
        let open: Vec<String> = labels::STATUSES
            .into_iter()
            .filter(|s| s.is_open())
            .map(|s| s.code().to_owned())
            .collect();
        let rows = projection::major_cases(&self.deps.db, &units, &open).await?;
        let ctx = self.context();
        let lens = self.lens(&ctx, lang);
        let today = lens.today.to_string();
        Ok(rows
            .into_iter()
            .map(|r| {
                let urgent = r.major_urgent != 0;
                let handling = r.handling_unit.unwrap_or_default();
                // Once a leader owns it, no ownership day is owed.
                let due = match r.owner {
                    Some(_) => None,
                    None => r.major_due,
                };
                pb::MajorAlert {
                    unit_name: lens.unit_name(&r.unit),
                    handling_unit_name: lens.unit_name(&handling),
                    label: labels::major(urgent).get(lang).to_owned(),
                    overdue: due.as_ref().is_some_and(|d| *d < today),
                    owner_due: due.unwrap_or_default(),
                    case_no: r.case_no,
                    unit: r.unit,
                    handling_unit: handling,
                    since: r.major_since,
                    urgent,
                    reason: r.major_reason.unwrap_or_default(),
                    owner: r.owner.unwrap_or_default(),
                }
            })
            .collect())
    }
}
