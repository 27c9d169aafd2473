//! The monthly trend (月度趋势) by tier, unit, category or channel.

use crate::auth::Actor;
use std::collections::{BTreeMap, BTreeSet};

use xinfang_proto::v1 as pb;

use super::labels::channel_zh;
use super::{ReportService, int, text};
use crate::error::NodeError;
use crate::labels::Said;
use crate::report::rollup::Need;
use crate::schedule::model::Month;

impl ReportService {
    pub async fn trend(
        &self,
        who: &Actor,
        req: pb::ReportRequest,
    ) -> Result<pb::Report, NodeError> {
        self.authorize(who).await?;
        self.tables.catch_up().await?;
        let mut req = req;
        if req.month.is_empty() && req.from.is_empty() && req.to.is_empty() {
            // Default: the last twelve months.
            let m = Month::of(self.today());
            let mut first = m;
            for _ in 0..11 {
                first = first.prev();
            }
            req.from = first.first_day().to_string();
            req.to = m.last_day().to_string();
        }
        let scope = self.scope(&req)?;
        let by = if req.by.trim().is_empty() {
            "tier"
        } else {
            req.by.trim()
        };
        if !matches!(by, "tier" | "unit" | "category" | "channel") {
            return Err(NodeError::invalid(
                "by",
                Said::new(
                    format!(
                        "趋势没有“{by}”这一维度；可选：tier（层级）、unit（单位）、\
                         category（内容分类）、channel（渠道）"
                    ),
                    format!(
                        "unknown dimension {by:?} for a trend; known: tier, unit, category, channel"
                    ),
                ),
            ));
        }
        let dims = [by];
        let need = Need {
            dims: &dims,
            ..Need::default()
        };
        let t = self.tally(&scope, scope.from, scope.to, need).await?;
        let mut table: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
        let mut series: BTreeSet<String> = BTreeSet::new();
        for ((month, _, key), n) in t.counts {
            series.insert(key.clone());
            *table.entry(month).or_default().entry(key).or_insert(0) += n;
        }
        let series: Vec<String> = match by {
            "tier" => ["city", "county", "department", "township", "community"]
                .into_iter()
                .filter(|t| series.contains(*t))
                .map(str::to_owned)
                .collect(),
            _ => series.into_iter().collect(),
        };
        let series_label = |k: &str| match (by, k) {
            ("tier", "city") => "市级".to_owned(),
            ("tier", "county") => "县级".to_owned(),
            ("tier", "department") => "职能部门".to_owned(),
            ("tier", "township") => "乡镇（街道）".to_owned(),
            ("tier", "community") => "村（社区）".to_owned(),
            ("channel", c) => channel_zh(c).to_owned(),
            (_, k) => self.label(if by == "unit" { "unit" } else { by }, k),
        };
        let labels: Vec<String> = series.iter().map(|k| series_label(k)).collect();
        let mut headers: Vec<&str> = vec!["月份"];
        headers.extend(labels.iter().map(String::as_str));
        headers.push("合计");
        let mut r = self.report(
            &scope,
            by,
            format!("{} 信访件数月度趋势", scope.unit_name),
            headers,
        );
        let mut m = Month::of(scope.from);
        let mut totals = vec![0i64; series.len() + 1];
        while m <= Month::of(scope.to) {
            let key = m.to_string();
            let row = table.get(&key);
            let mut cells = vec![text(key.clone())];
            let mut sum = 0;
            for (i, s) in series.iter().enumerate() {
                let n = row.and_then(|r| r.get(s)).copied().unwrap_or(0);
                sum += n;
                totals[i] += n;
                cells.push(int(n));
            }
            totals[series.len()] += sum;
            cells.push(int(sum));
            r.rows.push(pb::ReportRow { key, cells });
            m = m.next();
        }
        let mut cells = vec![text("合计")];
        cells.extend(totals.into_iter().map(int));
        r.totals = Some(pb::ReportRow {
            key: String::new(),
            cells,
        });
        Ok(r)
    }
}
