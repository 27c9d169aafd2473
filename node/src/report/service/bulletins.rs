//! Circulated notices (通报) by unit: for the scope's unit's children, the
//! notices of praise and of criticism dated in the period that name a unit of
//! the child's subtree (a notice naming two units below one child counts once
//! for it).

use xinfang_proto::v1 as pb;

use super::{ReportService, int, text};
use crate::auth::Actor;
use crate::bulletin::{self, BulletinKind};
use crate::docid::BULLETIN_PREFIX;
use crate::error::NodeError;

/// How many notices a report reads at most.
const MAX_READ: usize = 100_000;

impl ReportService {
    pub async fn bulletins(
        &self,
        who: &Actor,
        req: pb::ReportRequest,
    ) -> Result<pb::Report, NodeError> {
        self.authorize(who).await?;
        let scope = self.scope(&req)?;
        let mut notices = Vec::new();
        for id in self.hub.ids_with_prefix(BULLETIN_PREFIX, MAX_READ).await? {
            if let Some(h) = self.hub.get(&id).await?
                && let Some(b) = bulletin::read(&h.loaded.doc)
                && b.date >= scope.from
                && b.date <= scope.to
            {
                notices.push(b);
            }
        }
        let topology = self.topology();
        let mut r = self.report(
            &scope,
            "unit",
            format!(
                "{} {} 通报分单位统计",
                scope.unit_name,
                Self::period_label(&scope)
            ),
            vec!["单位", "通报表扬", "通报批评"],
        );
        let (mut all_praise, mut all_criticism) = (0, 0);
        for child in topology.children(&scope.unit) {
            let count = |kind: BulletinKind| {
                notices
                    .iter()
                    .filter(|b| {
                        b.kind == kind && b.units.iter().any(|u| topology.in_subtree(child, u))
                    })
                    .count() as i64
            };
            let (praise, criticism) = (count(BulletinKind::Praise), count(BulletinKind::Criticism));
            all_praise += praise;
            all_criticism += criticism;
            r.rows.push(pb::ReportRow {
                key: child.to_string(),
                cells: vec![text(self.name(child.as_str())), int(praise), int(criticism)],
            });
        }
        r.totals = Some(pb::ReportRow {
            key: String::new(),
            cells: vec![text("合计"), int(all_praise), int(all_criticism)],
        });
        Ok(r)
    }
}
