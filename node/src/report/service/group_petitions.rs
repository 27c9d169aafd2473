//! Group petitions (集体访, five or more people: `case::is_group_visit`) by unit:
//! for the scope's unit and each unit below it, the group petitions registered
//! in the period at or below it and the people they brought (人次).

use std::collections::BTreeMap;

use xinfang_proto::v1 as pb;

use super::{ReportService, int, text};
use crate::auth::Actor;
use crate::error::NodeError;

impl ReportService {
    pub async fn group_petitions(
        &self,
        who: &Actor,
        req: pb::ReportRequest,
    ) -> Result<pb::Report, NodeError> {
        self.authorize(who).await?;
        self.tables.catch_up().await?;
        let scope = self.scope(&req)?;
        let topology = self.topology();
        let children = topology.children(&scope.unit);
        let mut counts: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        for (unit, people) in self.group_petition_rows(scope.from, scope.to).await? {
            let Ok(u) = unit.parse() else { continue };
            // Counted in the row of the scope's unit (本级) or of the child whose
            // subtree registered it; outside the scope not at all.
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
                e.0 += 1;
                e.1 += i64::from(people);
            }
        }
        let mut r = self.report(
            &scope,
            "unit",
            format!(
                "{} {} 集体访分单位统计",
                scope.unit_name,
                Self::period_label(&scope)
            ),
            vec!["单位", "批次", "人次"],
        );
        let mut order = vec![scope.unit.clone()];
        order.extend(children.iter().cloned());
        let (mut all_cases, mut all_people) = (0, 0);
        for k in order {
            let (cases, people) = counts.get(k.as_str()).copied().unwrap_or_default();
            all_cases += cases;
            all_people += people;
            let mut label = self.name(k.as_str());
            if k == scope.unit {
                label = format!("{label}（本级）");
            }
            r.rows.push(pb::ReportRow {
                key: k.to_string(),
                cells: vec![text(label), int(cases), int(people)],
            });
        }
        r.totals = Some(pb::ReportRow {
            key: String::new(),
            cells: vec![text("合计"), int(all_cases), int(all_people)],
        });
        r.notes
            .push("集体访：来访人数5人及以上（按登记人数）。".to_owned());
        Ok(r)
    }
}
