//! The assessment rates (考核指标), over the unit or by the units below it, each
//! charged to the petition office or the responsible unit.

use crate::auth::Actor;
use xinfang_proto::v1 as pb;

use super::{ReportService, int, rate, ratio, text};
use crate::error::NodeError;
use crate::labels::Said;
use crate::report::rates::{self, ChargedTo, RATES};
use crate::report::rollup::{Need, Tally};

impl ReportService {
    /// The rates over tallied rate parts, of the groups `group` accepts (the unit
    /// itself or a unit directly below the one asked about).
    pub(super) fn fold_rates(
        t: &Tally,
        charged: Option<ChargedTo>,
        group: impl Fn(&str) -> bool,
    ) -> Vec<rates::Rate> {
        RATES
            .iter()
            .enumerate()
            .filter(|(_, k)| charged.is_none_or(|c| c == k.charged))
            .map(|(i, k)| {
                let part = |p: usize| -> i64 {
                    t.rates
                        .iter()
                        .filter(|((g, q), _)| *q as usize == p && group(g))
                        .map(|(_, n)| n)
                        .sum()
                };
                let (n, d) = (part(2 * i), part(2 * i + 1));
                rates::Rate {
                    code: k.code,
                    name_zh: k.name_zh,
                    numerator: n as u64,
                    denominator: d as u64,
                    value: ratio(n, d),
                }
            })
            .collect()
    }

    pub async fn rates(
        &self,
        who: &Actor,
        req: pb::ReportRequest,
    ) -> Result<pb::Report, NodeError> {
        self.authorize(who).await?;
        self.tables.catch_up().await?;
        let scope = self.scope(&req)?;
        let charged = match req.charged.trim() {
            "" => None,
            c => Some(ChargedTo::from_code(c).ok_or_else(|| {
                NodeError::invalid(
                    "charged",
                    Said::new(
                        format!("“{c}”：应为office（信访部门）或responsible（责任单位）"),
                        format!("{c:?}: office or responsible"),
                    ),
                )
            })?),
        };
        let as_of = self.today();
        let need = Need {
            rates_as_of: Some(as_of),
            ..Need::default()
        };
        let tally = self.tally(&scope, scope.from, scope.to, need).await?;
        let split = match charged {
            Some(ChargedTo::PetitionOffice) => "（信访部门）",
            Some(ChargedTo::ResponsibleUnit) => "（责任单位）",
            None => "",
        };
        if req.by.trim() == "unit" {
            let mut headers = vec!["单位"];
            headers.extend(
                RATES
                    .iter()
                    .filter(|k| charged.is_none_or(|c| c == k.charged))
                    .map(|k| k.name_zh),
            );
            let mut r = self.report(
                &scope,
                "unit",
                format!(
                    "{} {} 考核指标分单位{split}",
                    scope.unit_name,
                    Self::period_label(&scope)
                ),
                headers,
            );
            let mut units = vec![scope.unit.clone()];
            units.extend(self.topology().children(&scope.unit).iter().cloned());
            for u in units {
                let own = u == scope.unit;
                let values = Self::fold_rates(&tally, charged, |g: &str| g == u.as_str());
                let mut cells = vec![text(if own {
                    format!("{}（本级）", self.name(u.as_str()))
                } else {
                    self.name(u.as_str())
                })];
                cells.extend(values.iter().map(|v| rate(v.value)));
                r.rows.push(pb::ReportRow {
                    key: u.to_string(),
                    cells,
                });
            }
            let totals = Self::fold_rates(&tally, charged, |_| true);
            let mut cells = vec![text("合计")];
            cells.extend(totals.iter().map(|v| rate(v.value)));
            r.totals = Some(pb::ReportRow {
                key: String::new(),
                cells,
            });
            return Ok(r);
        }
        let values = Self::fold_rates(&tally, charged, |_| true);
        let mut r = self.report(
            &scope,
            "",
            format!(
                "{} {} 考核指标{split}",
                scope.unit_name,
                Self::period_label(&scope)
            ),
            vec!["指标", "分子", "分母", "比率"],
        );
        for v in values {
            r.rows.push(pb::ReportRow {
                key: v.code.into(),
                cells: vec![
                    text(v.name_zh),
                    int(v.numerator as i64),
                    int(v.denominator as i64),
                    rate(v.value),
                ],
            });
        }
        r.notes
            .push(format!("按 {as_of} 计；定义见 docs/reports.md。"));
        Ok(r)
    }
}
