//! Visits to higher authorities (赴省进京上访) by unit: for the scope's unit and
//! each unit below it, the cases whose latest such visit fell in the period and
//! the visits they record, counted to the unit handling each case.

use std::collections::BTreeMap;

use xinfang_proto::v1 as pb;

use super::{ReportService, int, text};
use crate::auth::Actor;
use crate::error::NodeError;

impl ReportService {
    pub async fn higher_visits(
        &self,
        who: &Actor,
        req: pb::ReportRequest,
    ) -> Result<pb::Report, NodeError> {
        self.authorize(who).await?;
        self.tables.catch_up().await?;
        let scope = self.scope(&req)?;
        let rows: Vec<(Option<String>, i64, i64)> = sqlx::query_as(
            "SELECT handling_unit, CAST(COUNT(*) AS BIGINT), CAST(SUM(higher_visits) AS BIGINT)
             FROM node_cases WHERE higher_visits > 0
               AND higher_visit_last >= $1 AND higher_visit_last <= $2
             GROUP BY handling_unit",
        )
        .bind(scope.from.to_string())
        .bind(scope.to.to_string())
        .fetch_all(self.db.pool())
        .await?;
        // Each handling unit counts to the row of the scope's unit (本级) or of
        // the child whose subtree holds it; units outside the scope not at all.
        let topology = self.topology();
        let children = topology.children(&scope.unit);
        let mut counts: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        for (unit, cases, visits) in rows {
            let Some(u) = unit.and_then(|u| u.parse().ok()) else {
                continue;
            };
            let row = if u == scope.unit {
                Some(scope.unit.clone())
            } else {
                children
                    .iter()
                    .find(|c| topology.in_subtree(c, &u))
                    .cloned()
            };
            if let Some(row) = row {
                let e = counts.entry(row.to_string()).or_default();
                e.0 += cases;
                e.1 += visits;
            }
        }
        let mut r = self.report(
            &scope,
            "unit",
            format!(
                "{} {} 赴省进京上访分单位统计",
                scope.unit_name,
                Self::period_label(&scope)
            ),
            vec!["单位", "件数", "人次"],
        );
        let mut order = vec![scope.unit.clone()];
        order.extend(children.iter().cloned());
        let (mut all_cases, mut all_visits) = (0, 0);
        for k in order {
            let (cases, visits) = counts.get(k.as_str()).copied().unwrap_or_default();
            all_cases += cases;
            all_visits += visits;
            let mut label = self.name(k.as_str());
            if k == scope.unit {
                label = format!("{label}（本级）");
            }
            r.rows.push(pb::ReportRow {
                key: k.to_string(),
                cells: vec![text(label), int(cases), int(visits)],
            });
        }
        r.totals = Some(pb::ReportRow {
            key: String::new(),
            cells: vec![text("合计"), int(all_cases), int(all_visits)],
        });
        Ok(r)
    }
}
