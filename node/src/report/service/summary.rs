//! The overall summary (总体情况): this period against the one before and the
//! same period a year ago.

use crate::auth::Actor;
use chrono::{Months, NaiveDate};
use xinfang_proto::v1 as pb;

use super::period::{Scope, previous};
use super::{ReportService, change, int, rate, text};
use crate::case::Status;
use crate::case::labels;
use crate::error::NodeError;
use crate::report::rollup::Need;

impl ReportService {
    async fn counts(
        &self,
        scope: &Scope,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<[i64; 7], NodeError> {
        let need = Need {
            dims: &["all", "flag", "due"],
            ..Need::default()
        };
        let t = self.tally(scope, from, to, need).await?;
        let today = self.today().to_string();
        let overdue = t
            .counts
            .iter()
            .filter(|((_, dim, due), _)| dim == "due" && due.as_str() < today.as_str())
            .map(|(_, n)| n)
            .sum();
        let flag = |f: &str| t.count("flag", f);
        Ok([
            t.count("all", ""),
            flag("accepted"),
            flag("replied"),
            flag("closed"),
            overdue,
            flag("repeat"),
            flag("online"),
        ])
    }

    pub async fn summary(
        &self,
        who: &Actor,
        req: pb::ReportRequest,
    ) -> Result<pb::Report, NodeError> {
        self.authorize(who).await?;
        self.tables.catch_up().await?;
        let scope = self.scope(&req)?;
        let (prev_from, prev_to) = previous(scope.from, scope.to);
        let year_ago = |d: NaiveDate| d.checked_sub_months(Months::new(12)).unwrap_or(d);
        let (last_from, last_to) = (year_ago(scope.from), year_ago(scope.to));
        // For a year the period before is the year before: counted once. The
        // periods are read side by side (the store has a reader per core).
        let same = (prev_from, prev_to) == (last_from, last_to);
        let (now, prev, last) = tokio::try_join!(
            self.counts(&scope, scope.from, scope.to),
            self.counts(&scope, prev_from, prev_to),
            async {
                if same {
                    Ok(None)
                } else {
                    self.counts(&scope, last_from, last_to).await.map(Some)
                }
            },
        )?;
        let last = last.unwrap_or(prev);
        let mut r = self.report(
            &scope,
            "",
            format!(
                "{} {} 信访总体情况",
                scope.unit_name,
                Self::period_label(&scope)
            ),
            vec!["指标", "本期", "上期", "环比", "去年同期", "同比"],
        );
        let names = [
            ("registered", "登记件数"),
            ("accepted", "受理"),
            ("replied", labels::status(Status::Replied).zh),
            ("closed", labels::status(Status::Closed).zh),
            ("overdue", "当前逾期"),
            ("repeat", "重复信访"),
            ("online", "网上信访"),
        ];
        for (i, (key, label)) in names.iter().enumerate() {
            r.rows.push(pb::ReportRow {
                key: (*key).into(),
                cells: vec![
                    text(*label),
                    int(now[i]),
                    int(prev[i]),
                    rate(change(now[i], prev[i])),
                    int(last[i]),
                    rate(change(now[i], last[i])),
                ],
            });
        }
        r.notes.push(format!(
            "上期 {prev_from} 至 {prev_to}；去年同期 {last_from} 至 {last_to}；逾期按今日 {} 计。",
            self.today()
        ));
        Ok(r)
    }
}
