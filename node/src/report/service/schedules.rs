//! Reports from the schedules: leaders' receptions (领导干部接访情况) and the
//! schedule filings (接访安排报备) of the units below.

use crate::auth::Actor;
use std::collections::BTreeMap;

use xinfang_proto::v1 as pb;

use super::{ReportService, int, text};
use crate::error::NodeError;
use crate::schedule::model::Month;

impl ReportService {
    pub async fn leaders(
        &self,
        who: &Actor,
        req: pb::ReportRequest,
    ) -> Result<pb::Report, NodeError> {
        self.authorize(who).await?;
        let scope = self.scope(&req)?;
        let mut r = self.report(
            &scope,
            "unit",
            format!(
                "{} {} 领导干部接访情况",
                scope.unit_name,
                Self::period_label(&scope)
            ),
            vec![
                "单位",
                "安排天次",
                "已接访",
                "缺岗",
                "未登记",
                "接待人次",
                "登记事项",
            ],
        );
        let mut totals = [0i64; 6];
        for u in self.topology().tree_order(&scope.unit) {
            let mut sums = [0i64; 6];
            let mut any = false;
            for m in Self::months(&scope) {
                if let Some(s) = self.schedules.reception_stats(&u, m).await? {
                    any = true;
                    for (i, v) in s.iter().enumerate() {
                        sums[i] += *v as i64;
                    }
                }
            }
            if !any {
                continue;
            }
            for i in 0..6 {
                totals[i] += sums[i];
            }
            let mut cells = vec![text(self.name(u.as_str()))];
            cells.extend(sums.iter().map(|n| int(*n)));
            r.rows.push(pb::ReportRow {
                key: u.to_string(),
                cells,
            });
        }
        let mut cells = vec![text("合计")];
        cells.extend(totals.iter().map(|n| int(*n)));
        r.totals = Some(pb::ReportRow {
            key: String::new(),
            cells,
        });
        Ok(r)
    }

    pub async fn filings(
        &self,
        who: &Actor,
        req: pb::ReportRequest,
    ) -> Result<pb::Report, NodeError> {
        self.authorize(who).await?;
        let scope = self.scope(&req)?;
        let month = Month::of(scope.from);
        let board = self
            .schedules
            .board(pb::FilingsRequest {
                month: month.to_string(),
                unit: scope.unit.to_string(),
            })
            .await?;
        let mut r = self.report(
            &scope,
            "unit",
            format!("{} {} 接访安排报备情况", scope.unit_name, month.label_zh()),
            vec!["单位", "报备", "期限", "收到时间", "违规", "调整", "缺岗"],
        );
        let mut count: BTreeMap<String, i64> = BTreeMap::new();
        for row in board.rows {
            *count.entry(row.status.clone()).or_insert(0) += 1;
            let status = match row.status.as_str() {
                "on_time" => "按时",
                "late" => "逾期",
                "missing" => "未报备",
                _ => "未到期",
            };
            r.rows.push(pb::ReportRow {
                key: row.unit.clone(),
                cells: vec![
                    text(row.unit_name),
                    text(status),
                    text(row.deadline),
                    text(row.received_at),
                    int(row.violations.len() as i64),
                    int(i64::from(row.adjustments)),
                    int(row.flags.iter().filter(|f| f.kind == "missed").count() as i64),
                ],
            });
        }
        r.notes.push(format!(
            "按时 {}，逾期 {}，未报备 {}，未到期 {}",
            count.get("on_time").unwrap_or(&0),
            count.get("late").unwrap_or(&0),
            count.get("missing").unwrap_or(&0),
            count.get("pending").unwrap_or(&0)
        ));
        Ok(r)
    }
}
