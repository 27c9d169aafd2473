//! A registration checked and matched before it is written: the one path from
//! a request to the registration `register` saves, and the same path for a
//! front that shows the registrar what the petition matches (重复信访, 越级访)
//! before saving, and checks an identity number as it is typed.

use xinfang_hub::UnitCode;
use xinfang_proto::v1 as pb;

use super::CaseService;
use crate::auth::{Action, Actor};
use crate::case::registration::{self, Details, DetailsInput, Personal, Registration};
use crate::error::NodeError;
use crate::projection;

/// A checked registration, matched with earlier cases, not yet written.
pub(super) struct Intake {
    pub registration: Registration,
    pub personal: Personal,
    /// Skip-level candidates in another category, for the registrar to confirm.
    pub candidates: Vec<String>,
}

/// The earlier cases a petition matches by the keyed hash of the petitioner's
/// identity number and the matter's classification.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EarlierCases {
    /// The earlier case of the same petitioner on the same matter (重复信访).
    pub repeat_of: Option<String>,
    /// An open case on the same matter still handled below us (越级访).
    pub skip_level_of: Option<String>,
}

impl EarlierCases {
    pub fn any(&self) -> bool {
        self.repeat_of.is_some() || self.skip_level_of.is_some()
    }
}

impl CaseService {
    /// Checks a registration as `register` would and finds what it matches,
    /// writing nothing: for the registrar to see before confirming.
    pub async fn earlier_cases(
        &self,
        who: &Actor,
        req: &pb::RegisterCaseRequest,
    ) -> Result<EarlierCases, NodeError> {
        self.guard()
            .authorize(who, Action::RegisterCase, &req.unit)
            .await?;
        let d = self.intake(who, req).await?.registration.details;
        Ok(EarlierCases {
            repeat_of: d.repeat_of,
            skip_level_of: d.skip_level_of,
        })
    }

    /// An identity number as typed, by the rule registration applies
    /// (GB 11643): `Err` names the field and what is wrong. For a front that
    /// checks the number before the form is sent.
    pub async fn check_id_number(&self, who: &Actor, typed: &str) -> Result<(), NodeError> {
        self.guard()
            .authorize(who, Action::RegisterCase, "")
            .await?;
        registration::id_number(typed).map(|_| ())
    }

    /// The request checked (every field, as `register` requires) and matched.
    pub(super) async fn intake(
        &self,
        who: &Actor,
        req: &pb::RegisterCaseRequest,
    ) -> Result<Intake, NodeError> {
        let me = self.hub().me().clone();
        let mut reg = Registration::validate(&me, &req.unit, &req.petitioner, &req.content)?;
        reg.by = Some(who.name.clone());
        let input = DetailsInput {
            id_number: &req.id_number,
            phone: &req.phone,
            address: &req.address,
            channel: &req.channel,
            purpose: &req.purpose,
            category: &req.category,
            subcategory: &req.subcategory,
            place: &req.place,
            cause: &req.cause,
            receiving_leader: &req.receiving_leader,
            responsible_unit: &req.responsible_unit,
            representatives: &req.representatives,
            head_count: req.head_count,
        };
        let key = self.deps.match_key.as_deref().map(Vec::as_slice);
        let (mut details, personal) = Details::validate(
            &input,
            &self.deps.rules.taxonomy,
            self.hub().topology(),
            &self.deps.rules.divisions,
            key,
        )?;
        let candidates = self.match_earlier(&me, &mut details).await?;
        reg.details = details;
        Ok(Intake {
            registration: reg,
            personal,
            candidates,
        })
    }

    /// Same petitioner (keyed hash), same matter (classification): a repeat; and
    /// if a unit below us still handles it, a skip-level petition. Returns the
    /// skip-level candidates for the registrar to confirm: the same petitioner's
    /// open cases below with the same responsible unit, in another category.
    async fn match_earlier(
        &self,
        me: &UnitCode,
        details: &mut Details,
    ) -> Result<Vec<String>, NodeError> {
        let Some(hash) = &details.id_hash else {
            return Ok(Vec::new());
        };
        let open_below = |m: &projection::CaseRow| self.open_below(me, m);
        let Some(category) = &details.category else {
            return self.skip_level_candidates(details, &open_below).await;
        };
        self.deps.projector.catch_up().await?;
        let matches = projection::matching_cases(
            &self.deps.db,
            hash,
            category,
            details.subcategory.as_deref(),
        )
        .await?;
        details.repeat_of = matches.first().map(|m| m.case_no.clone());
        details.skip_level_of = matches
            .iter()
            .find(|m| open_below(m))
            .map(|m| m.case_no.clone());
        match details.skip_level_of {
            Some(_) => Ok(Vec::new()),
            None => self.skip_level_candidates(details, &open_below).await,
        }
    }
}
