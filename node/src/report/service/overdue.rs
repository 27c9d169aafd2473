//! Overdue cases (逾期): open deadlines past, oldest first, at or below a unit.

use crate::auth::Actor;
use std::collections::BTreeMap;

use chrono::NaiveDate;
use xinfang_hub::db::Sql;
use xinfang_proto::v1 as pb;

use super::labels::kind_zh;
use super::{MAX_LIST, ReportService, int, text};
use crate::error::NodeError;

impl ReportService {
    pub async fn overdue(
        &self,
        who: &Actor,
        req: pb::ReportRequest,
    ) -> Result<pb::Report, NodeError> {
        self.authorize(who).await?;
        self.tables.catch_up().await?;
        let mut scope = self.scope(&req)?;
        let today = self.today();
        let limit = if req.limit == 0 {
            1000
        } else {
            req.limit.min(MAX_LIST)
        };
        // Overdue is "now": every period; the unit that must act is in the subtree.
        let t = self.overdue_tally(&scope.unit, today).await?;
        let total: i64 = t.due.values().sum();
        let mut by_kind: BTreeMap<String, i64> = BTreeMap::new();
        for ((kind, _), n) in &t.due {
            *by_kind.entry(kind_zh(kind).to_owned()).or_insert(0) += n;
        }
        scope.from = t.due.keys().map(|(_, d)| *d).min().unwrap_or(today);
        scope.to = today;
        // The oldest deadlines first, as many as asked for.
        let mut q = Sql::new(
            "SELECT case_no, next_due_kind, next_due_unit, next_due, registered_by FROM node_case_facts
             WHERE next_due IS NOT NULL AND next_due < ",
        );
        q.bind(today.to_string());
        if let Some(units) = &scope.units {
            q.push(" AND next_due_unit IN (")
                .bind_list(units.iter().cloned())
                .push(")");
        }
        q.push(" ORDER BY next_due, case_no");
        let (sql, args) = q.into_parts(xinfang_hub::db::SqlTarget::engine(&self.db.pool()))?;
        let mut rows: Vec<(String, String, String, String, String)> = Vec::new();
        {
            use futures::TryStreamExt;
            let anchors = self.anchors();
            let mut stream =
                sqlx::query_as_with::<_, (String, String, String, String, String), _>(&sql, args)
                    .fetch(self.db.pool());
            while let Some(row) = stream.try_next().await? {
                // At this node's own unit: only deadlines of units it answers for.
                if !anchors.chain(&row.2).contains(&scope.unit) {
                    continue;
                }
                rows.push(row);
                if rows.len() as u32 >= limit {
                    break;
                }
            }
        }
        let mut r = self.report(
            &scope,
            "case",
            format!("{} 逾期信访事项（截至{today}）", scope.unit_name),
            vec![
                "事项编号",
                "逾期环节",
                "应办单位",
                "期限",
                "逾期天数",
                "登记单位",
            ],
        );
        for (no, kind, unit, due, reg) in &rows {
            let days = NaiveDate::parse_from_str(due, "%Y-%m-%d")
                .map(|d| (today - d).num_days())
                .unwrap_or(0);
            r.rows.push(pb::ReportRow {
                key: no.clone(),
                cells: vec![
                    text(no),
                    text(kind_zh(kind)),
                    text(self.name(unit)),
                    text(due),
                    int(days),
                    text(self.name(reg)),
                ],
            });
        }
        r.totals = Some(pb::ReportRow {
            key: String::new(),
            cells: vec![
                text("合计"),
                text(format!("{total} 件")),
                text(""),
                text(""),
                text(""),
                text(""),
            ],
        });
        for (k, n) in by_kind {
            r.notes.push(format!("{k}逾期 {n} 件"));
        }
        if total > i64::from(limit) {
            r.notes.push(format!("只列出前 {limit} 件"));
        }
        Ok(r)
    }
}
