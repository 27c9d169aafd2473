//! The unit's roster of leaders (the roster document): read, and add or change one.

use crate::auth::{Action, Actor};
use xinfang_hub::{Create, UnitCode};
use xinfang_proto::v1 as pb;

use super::{MAX_NAME_CHARS, MAX_TEXT_CHARS, ScheduleService, text};
use crate::error::NodeError;
use crate::labels::Said;
use crate::schedule::docs;
use crate::schedule::model::{Leader, LeaderRole, PositionClass};

impl ScheduleService {
    /// `unit`'s rule set (quotas, the supervision form's posts).
    pub fn rule_set(&self, unit: &UnitCode) -> &crate::schedule::ruleset::RuleSet {
        self.sets.of(unit)
    }

    /// Whom `unit`'s supervision forms go to, by its rule set.
    pub fn supervision_form(&self, unit: &UnitCode) -> &crate::schedule::ruleset::SupervisionForm {
        &self.sets.of(unit).supervision_form
    }

    pub async fn roster(&self, unit: &UnitCode) -> Result<Vec<Leader>, NodeError> {
        Ok(match self.hub.get(&crate::docid::roster(unit)).await? {
            Some(h) => docs::read_roster(&h.loaded.doc),
            None => Vec::new(),
        })
    }

    pub async fn get_roster(&self, who: &Actor, unit: &str) -> Result<pb::Roster, NodeError> {
        self.authorize(who, Action::ReadSchedules).await?;
        self.roster_view(unit).await
    }

    pub(super) async fn roster_view(&self, unit: &str) -> Result<pb::Roster, NodeError> {
        let unit = self.visible_unit(unit)?;
        let leaders = self.roster(&unit).await?;
        Ok(roster_pb(&unit, &leaders))
    }

    fn check_leader(l: &pb::Leader) -> Result<Leader, NodeError> {
        let name = text("leader.name", &l.name, MAX_NAME_CHARS)?;
        if name.is_empty() {
            return Err(NodeError::invalid(
                "leader.name",
                Said::new("必须填写姓名", "required"),
            ));
        }
        let role = if l.role.trim().is_empty() {
            LeaderRole::Member
        } else {
            l.role
                .trim()
                .parse()
                .map_err(|e: Said| NodeError::invalid("leader.role", e))?
        };
        let position = text("leader.position", &l.position, MAX_TEXT_CHARS)?;
        // Unnamed, the class is the one the 职务 names, recorded so a later change
        // of the reading never moves a leader between quotas.
        let class = if l.class.trim().is_empty() {
            PositionClass::infer(&position)
        } else {
            l.class
                .trim()
                .parse()
                .map_err(|e: Said| NodeError::invalid("leader.class", e))?
        };
        Ok(Leader {
            name,
            position,
            portfolio: text("leader.portfolio", &l.portfolio, MAX_TEXT_CHARS)?,
            role,
            class: Some(class),
            active: l.active,
        })
    }

    pub(super) async fn put_leaders(
        &self,
        unit: &UnitCode,
        leaders: &[Leader],
    ) -> Result<(), NodeError> {
        if leaders.is_empty() {
            return Ok(());
        }
        let id = crate::docid::roster(unit);
        let create = if self.hub.get(&id).await?.is_some() {
            Create::Existing
        } else {
            Create::New
        };
        self.hub
            .update(&id, create, |d| {
                if matches!(create, Create::New) {
                    docs::init(d, &id, "roster", unit)?;
                }
                for l in leaders {
                    docs::put_leader(d, &id, l)?;
                }
                Ok::<_, NodeError>(())
            })
            .await?;
        Ok(())
    }

    pub async fn put_leader(
        &self,
        who: &Actor,
        req: pb::PutLeaderRequest,
    ) -> Result<pb::Roster, NodeError> {
        self.authorize(who, Action::EditSchedule).await?;
        let unit = self.own_unit(&req.unit)?;
        let leader = Self::check_leader(req.leader.as_ref().ok_or_else(|| {
            NodeError::invalid("leader", Said::new("必须填写领导信息", "required"))
        })?)?;
        self.put_leaders(&unit, &[leader]).await?;
        self.roster_view(unit.as_str()).await
    }
}

fn roster_pb(unit: &UnitCode, leaders: &[Leader]) -> pb::Roster {
    pb::Roster {
        unit: unit.to_string(),
        leaders: leaders
            .iter()
            .map(|l| pb::Leader {
                name: l.name.clone(),
                position: l.position.clone(),
                portfolio: l.portfolio.clone(),
                role: l.role.code().into(),
                active: l.active,
                class: l.class().code().into(),
                class_label: l.class().label_zh().into(),
            })
            .collect(),
    }
}
