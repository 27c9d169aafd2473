//! The owned-case list for publication (包案案件公示, seed 002: 市领导包案化解的信访
//! 事项…挂网公示): every case a leader of the scope's subtree owns (包案), taken on
//! in the period, with its category, the owning leader and unit, the day and
//! where it stands — and nothing about the petitioner (no name, no words of the
//! petition), so the table can be published as it is. The day a case was
//! taken on is its China Standard Time day, as every report counts days.

use xinfang_proto::v1 as pb;

use super::labels::status_zh;
use super::{ReportService, text};
use crate::auth::Actor;
use crate::error::NodeError;

impl ReportService {
    pub async fn owned_cases(
        &self,
        who: &Actor,
        req: pb::ReportRequest,
    ) -> Result<pb::Report, NodeError> {
        self.authorize(who).await?;
        self.tables.catch_up().await?;
        let scope = self.scope(&req)?;
        // Ownership times are kept in UTC: the query's window is a day wider
        // on each side, and each row is judged by its CST day below.
        let rows: Vec<(String, Option<String>, String, String, String, String)> = sqlx::query_as(
            "SELECT case_no, category, owner, owner_unit, owned_at, status FROM node_cases
             WHERE owner IS NOT NULL AND owner_unit IS NOT NULL AND owned_at IS NOT NULL
               AND substr(owned_at, 1, 10) >= $1 AND substr(owned_at, 1, 10) <= $2
             ORDER BY owned_at, case_no",
        )
        .bind((scope.from - chrono::Days::new(1)).to_string())
        .bind((scope.to + chrono::Days::new(1)).to_string())
        .fetch_all(self.db.pool())
        .await?;
        let topology = self.topology();
        let mut r = self.report(
            &scope,
            "case",
            format!(
                "{} {} 领导包案信访事项公示表",
                scope.unit_name,
                Self::period_label(&scope)
            ),
            vec![
                "信访事项编号",
                "问题类别",
                "包案领导",
                "包案单位",
                "包案日期",
                "办理状态",
            ],
        );
        for (case_no, category, owner, owner_unit, owned_at, status) in rows {
            let Some(day) = chrono::DateTime::parse_from_rfc3339(&owned_at)
                .ok()
                .map(|at| crate::case::local_day(at.with_timezone(&chrono::Utc)))
            else {
                tracing::warn!(case = %case_no, owned_at, "ownership time is not RFC 3339");
                continue;
            };
            if day < scope.from || day > scope.to {
                continue;
            }
            let in_scope = owner_unit
                .parse()
                .is_ok_and(|u| topology.in_subtree(&scope.unit, &u));
            if !in_scope {
                continue;
            }
            r.rows.push(pb::ReportRow {
                key: case_no.clone(),
                cells: vec![
                    text(case_no),
                    text(self.label("category", category.as_deref().unwrap_or_default())),
                    text(owner),
                    text(self.name(&owner_unit)),
                    text(day.to_string()),
                    text(status_zh(&status)),
                ],
            });
        }
        Ok(r)
    }
}
