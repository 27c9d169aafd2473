//! Counts by one dimension (unit, channel, purpose, category, status, month),
//! with shares and the change from the period before.

use crate::auth::Actor;
use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use xinfang_proto::v1 as pb;

use super::period::{Scope, previous};
use super::{ReportService, change, int, rate, ratio, text};
use crate::error::NodeError;
use crate::labels::Said;
use crate::report::rollup::Need;

impl ReportService {
    pub(super) fn column(by: &str) -> Result<&'static str, NodeError> {
        Ok(match by {
            "unit" => "registered_by",
            "channel" => "channel",
            "purpose" => "purpose",
            "category" => "category",
            "status" => "status",
            "month" => "month",
            other => {
                return Err(NodeError::invalid(
                    "by",
                    Said::new(
                        format!(
                            "没有“{other}”这一维度；可选：unit（单位）、channel（渠道）、\
                             purpose（信访目的）、category（内容分类）、status（办理状态）、month（月份）"
                        ),
                        format!(
                            "unknown dimension {other:?}; known: unit, channel, purpose, category, status, month"
                        ),
                    ),
                ));
            }
        })
    }

    async fn grouped(
        &self,
        scope: &Scope,
        by: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<BTreeMap<String, i64>, NodeError> {
        Self::column(by)?;
        if by == "month" {
            let need = Need {
                dims: &["all"],
                ..Need::default()
            };
            let t = self.tally(scope, from, to, need).await?;
            let mut out = BTreeMap::new();
            for ((month, _, _), n) in t.counts {
                *out.entry(month).or_insert(0) += n;
            }
            return Ok(out);
        }
        let dims = [by];
        let need = Need {
            dims: &dims,
            ..Need::default()
        };
        Ok(self.tally(scope, from, to, need).await?.by(by))
    }

    pub async fn breakdown(
        &self,
        who: &Actor,
        req: pb::ReportRequest,
    ) -> Result<pb::Report, NodeError> {
        self.authorize(who).await?;
        self.tables.catch_up().await?;
        let scope = self.scope(&req)?;
        let by = if req.by.trim().is_empty() {
            "unit"
        } else {
            req.by.trim()
        };
        let now = self.grouped(&scope, by, scope.from, scope.to).await?;
        let (prev_from, prev_to) = previous(scope.from, scope.to);
        let prev = self.grouped(&scope, by, prev_from, prev_to).await?;
        let dim = match by {
            "unit" => "单位",
            "channel" => "渠道",
            "purpose" => "信访目的",
            "category" => "内容分类",
            "status" => "办理状态",
            _ => "月份",
        };
        let mut r = self.report(
            &scope,
            by,
            format!(
                "{} {} 信访事项分{}统计",
                scope.unit_name,
                Self::period_label(&scope),
                dim
            ),
            vec![dim, "件数", "占比", "上期", "环比"],
        );
        let total: i64 = now.values().sum();
        let mut keys: Vec<String> = now
            .keys()
            .chain(prev.keys())
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if by == "unit" {
            // Tree order: the unit itself first (本级), then the units below.
            let mut order = vec![scope.unit.to_string()];
            order.extend(
                self.topology()
                    .children(&scope.unit)
                    .iter()
                    .map(ToString::to_string),
            );
            keys = order;
        }
        for k in keys {
            let n = now.get(&k).copied().unwrap_or(0);
            let p = prev.get(&k).copied().unwrap_or(0);
            let mut label = self.label(by, &k);
            if by == "unit" && k == scope.unit.as_str() {
                label = format!("{label}（本级）");
            }
            r.rows.push(pb::ReportRow {
                key: k,
                cells: vec![
                    text(label),
                    int(n),
                    rate(ratio(n, total)),
                    int(p),
                    rate(change(n, p)),
                ],
            });
        }
        let ptotal: i64 = prev.values().sum();
        r.totals = Some(pb::ReportRow {
            key: String::new(),
            cells: vec![
                text("合计"),
                int(total),
                rate(ratio(total, total)),
                int(ptotal),
                rate(change(total, ptotal)),
            ],
        });
        Ok(r)
    }
}
