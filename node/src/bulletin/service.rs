//! Issuing and listing circulated notices (通报). Every front — the gRPC API, the
//! CLI through it — comes here; the report counting them is the report service's
//! (`report::service::bulletins`).

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use xinfang_hub::{Create, Hub, UnitCode};
use xinfang_proto::v1 as pb;

use super::{Bulletin, BulletinKind, check, read, write};
use crate::auth::{Action, Actor, Guard};
use crate::docid::{self, BULLETIN_PREFIX};
use crate::error::NodeError;
use crate::labels::{Lang, Said};

/// How many notices a listing reads at most.
const MAX_LISTED: usize = 10_000;

pub struct BulletinService {
    hub: Hub,
    guard: Arc<Guard>,
}

impl BulletinService {
    pub fn new(hub: Hub, guard: Arc<Guard>) -> BulletinService {
        BulletinService { hub, guard }
    }

    pub fn guard(&self) -> &Guard {
        &self.guard
    }

    fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.hub.now_ms()).unwrap_or_else(Utc::now)
    }

    /// Issues a notice about units below this one.
    pub async fn issue(
        &self,
        who: &Actor,
        req: pb::IssueBulletinRequest,
        lang: Lang,
    ) -> Result<pb::BulletinView, NodeError> {
        self.guard.authorize(who, Action::IssueBulletin, "").await?;
        let kind = BulletinKind::from_code(&req.kind).ok_or_else(|| {
            NodeError::invalid(
                "kind",
                Said::new(
                    format!(
                        "“{}”不是通报类别，应填praise（表扬）或criticism（批评）",
                        req.kind.trim()
                    ),
                    format!("{:?}: praise or criticism", req.kind),
                ),
            )
        })?;
        let mut units = Vec::new();
        for u in &req.units {
            units.push(
                u.trim()
                    .parse::<UnitCode>()
                    .map_err(|e| NodeError::not_unit_code("units", u, &e))?,
            );
        }
        let now = self.now();
        let date = match req.date.trim() {
            "" => crate::case::local_day(now),
            d => NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .map_err(|_| NodeError::not_a_date("date", d))?,
        };
        let me = self.hub.me().clone();
        let b = Bulletin {
            kind,
            issuer: me.clone(),
            units,
            title: req.title.trim().to_owned(),
            text: req.text.trim().to_owned(),
            grounds: req
                .grounds
                .iter()
                .map(|g| g.trim().to_owned())
                .filter(|g| !g.is_empty())
                .collect(),
            date,
            issued_at: now,
            issued_by: who.name.clone(),
        };
        check(&b, &me, self.hub.topology())?;
        let id = docid::new_bulletin(&me);
        self.hub
            .update(&id, Create::New, |d| write(d, &id, &b))
            .await?;
        Ok(self.view(&id, &b, lang))
    }

    /// The notices this node holds that concern `unit` (issued by it or naming it
    /// or a unit below it; default: this node's unit), dated in `from..=to` when
    /// given, newest first.
    pub async fn list(
        &self,
        who: &Actor,
        req: pb::ListBulletinsRequest,
        lang: Lang,
    ) -> Result<pb::BulletinList, NodeError> {
        self.guard.authorize(who, Action::ReadReports, "").await?;
        let topo = self.hub.topology();
        let unit = match req.unit.trim() {
            "" => self.hub.me().clone(),
            u => u
                .parse::<UnitCode>()
                .ok()
                .filter(|u| topo.contains(u))
                .ok_or_else(|| NodeError::not_in_federation("unit", u))?,
        };
        let day = |field: &'static str, v: &str| -> Result<Option<NaiveDate>, NodeError> {
            match v.trim() {
                "" => Ok(None),
                d => NaiveDate::parse_from_str(d, "%Y-%m-%d")
                    .map(Some)
                    .map_err(|_| NodeError::not_a_date(field, d)),
            }
        };
        let (from, to) = (day("from", &req.from)?, day("to", &req.to)?);
        let mut out: Vec<(String, Bulletin)> = self
            .all()
            .await?
            .into_iter()
            .filter(|(_, b)| b.issuer == unit || b.units.iter().any(|u| topo.in_subtree(&unit, u)))
            .filter(|(_, b)| from.is_none_or(|f| b.date >= f) && to.is_none_or(|t| b.date <= t))
            .collect();
        out.sort_by_key(|(_, b)| std::cmp::Reverse((b.date, b.issued_at)));
        Ok(pb::BulletinList {
            bulletins: out.iter().map(|(id, b)| self.view(id, b, lang)).collect(),
        })
    }

    /// Every notice this node holds, with its document id.
    pub async fn all(&self) -> Result<Vec<(String, Bulletin)>, NodeError> {
        let ids = self
            .hub
            .ids_with_prefix(BULLETIN_PREFIX, MAX_LISTED)
            .await?;
        let mut out = Vec::new();
        for id in ids {
            if let Some(h) = self.hub.get(&id).await?
                && let Some(b) = read(&h.loaded.doc)
            {
                out.push((id, b));
            }
        }
        Ok(out)
    }

    fn view(&self, id: &str, b: &Bulletin, lang: Lang) -> pb::BulletinView {
        let topo = self.hub.topology();
        let name = |u: &UnitCode| {
            topo.unit(u)
                .map(|x| x.name.clone())
                .unwrap_or_else(|| u.to_string())
        };
        pb::BulletinView {
            id: id.to_owned(),
            kind: b.kind.code().to_owned(),
            kind_label: b.kind.label().get(lang).to_owned(),
            issuer: b.issuer.to_string(),
            issuer_name: name(&b.issuer),
            units: b.units.iter().map(ToString::to_string).collect(),
            unit_names: b.units.iter().map(name).collect(),
            title: b.title.clone(),
            text: b.text.clone(),
            grounds: b.grounds.clone(),
            date: b.date.to_string(),
            issued_at: b.issued_at.to_rfc3339(),
            issued_by: b.issued_by.clone(),
        }
    }
}
