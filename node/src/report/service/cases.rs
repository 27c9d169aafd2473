//! Drill-down: the cases behind a number of any report, as the rollups count them.

use crate::auth::Actor;
use xinfang_proto::v1 as pb;

use super::{MAX_LIST, ReportService};
use crate::error::NodeError;
use crate::labels::Said;
use crate::report::facts::CaseFacts;
use crate::report::rates::RATES;
use crate::report::rollup::{self, Entry};

impl ReportService {
    pub async fn cases(
        &self,
        who: &Actor,
        req: pb::ReportRequest,
    ) -> Result<pb::CaseKeys, NodeError> {
        self.authorize(who).await?;
        self.tables.catch_up().await?;
        let scope = self.scope(&req)?;
        let limit = if req.limit == 0 {
            1000
        } else {
            req.limit.min(MAX_LIST)
        } as usize;
        // The cases behind a number are those whose entries at this unit make it
        // up ([`rollup::entries`], as the rollups count them).
        let facts = self.facts(&scope, scope.from, scope.to).await?;
        let anchors = self.anchors();
        // This unit's entries only; rates only when a rate is asked about.
        let here = |f: &CaseFacts, repeated: bool, rates: bool| {
            rollup::entries_at(f, repeated, &anchors, Some(&scope.unit), rates)
        };
        let mut out: Vec<&CaseFacts> = Vec::new();
        if !req.rate.trim().is_empty() {
            let code = req.rate.trim();
            let Some(i) = RATES.iter().position(|k| k.code == code) else {
                return Err(NodeError::invalid("rate", {
                    let known = RATES.iter().map(|k| k.code).collect::<Vec<_>>().join(", ");
                    Said::new(
                        format!("没有“{code}”这项比率；可选：{known}"),
                        format!("unknown rate {code:?}; known: {known}"),
                    )
                }));
            };
            let part = match req.part.trim() {
                "" | "numerator" => 2 * i,
                "denominator" => 2 * i + 1,
                other => {
                    return Err(NodeError::invalid(
                        "part",
                        Said::new(
                            format!("“{other}”：应为numerator（分子）或denominator（分母）"),
                            format!("{other:?}: numerator or denominator"),
                        ),
                    ));
                }
            } as u8;
            let as_of = self.today();
            for (f, repeated) in &facts {
                let hit = here(f, *repeated, true).iter().any(
                    |e| matches!(e, Entry::Rate { part: p, day, .. } if *p == part && *day <= as_of),
                );
                if hit {
                    out.push(f);
                }
            }
        } else {
            let by = req.by.trim();
            let value = req.value.trim();
            if !by.is_empty() {
                Self::column(by)?;
            }
            for (f, repeated) in &facts {
                let hit = here(f, *repeated, false).iter().any(|e| match e {
                    Entry::Count {
                        dim,
                        value: v,
                        month,
                        ..
                    } => match by {
                        "" => *dim == "all",
                        "month" => *dim == "all" && month == value,
                        _ => *dim == by && v == value,
                    },
                    _ => false,
                });
                if hit {
                    out.push(f);
                }
            }
        }
        out.sort_by(|a, b| a.case_no.cmp(&b.case_no));
        Ok(pb::CaseKeys {
            total: out.len() as u64,
            case_nos: out
                .into_iter()
                .take(limit)
                .map(|f| f.case_no.clone())
                .collect(),
        })
    }
}
