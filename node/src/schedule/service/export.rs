//! A month's schedule as a file: CSV, XLSX (the 附件2 layout) or the published
//! HTML page.

use crate::auth::{Action, Actor};
use std::collections::BTreeMap;

use xinfang_proto::v1 as pb;

use super::views::adjustment_line;
use super::{ScheduleService, parse_month, rfc3339};
use crate::error::NodeError;
use crate::labels::Said;
use crate::schedule::filing;
use crate::schedule::{publish, table};

impl ScheduleService {
    pub async fn export(
        &self,
        who: &Actor,
        req: pb::ExportRequest,
    ) -> Result<pb::ExportReply, NodeError> {
        self.authorize(who, Action::ReadSchedules).await?;
        let unit = self.visible_unit(&req.unit)?;
        let month = parse_month(&req.month)?;
        let filed = self.filed(&unit, month).await?;
        let entries = match &filed {
            Some((f, _)) => filing::effective(f),
            None if &unit == self.hub.me() => self
                .load_draft(&unit, month)
                .await?
                .map(|d| d.entries)
                .ok_or_else(|| NodeError::NotFound(format!("no schedule of {unit} for {month}")))?,
            None => {
                return Err(NodeError::NotFound(format!(
                    "no schedule of {unit} for {month} is held here"
                )));
            }
        };
        let roster = self.roster(&unit).await?;
        let portfolios: BTreeMap<String, String> = roster
            .iter()
            .map(|l| (l.name.clone(), l.portfolio.clone()))
            .collect();
        let name = self.unit_name(&unit);
        let stem = format!("{unit}-{month}-schedule");
        match req.format.trim().to_ascii_lowercase().as_str() {
            "csv" => Ok(pb::ExportReply {
                file_name: format!("{stem}.csv"),
                content_type: "text/csv; charset=utf-8".into(),
                content: table::export_csv(&entries, &self.rules.taxonomy),
            }),
            "xlsx" => Ok(pb::ExportReply {
                file_name: format!("{stem}.xlsx"),
                content_type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                    .into(),
                content: table::export_xlsx(
                    &publish::title(&name, month),
                    &entries,
                    &portfolios,
                    &self.rules.taxonomy,
                )
                .map_err(|e| NodeError::Internal(e.to_string()))?,
            }),
            "html" => {
                let Some((f, _)) = &filed else {
                    return Err(NodeError::Rule {
                        rule: "schedule.not_approved",
                        message: format!(
                            "only an approved schedule is published; the {month} schedule of {unit} is a draft"
                        ),
                    });
                };
                let approver = f.approval.by.clone();
                let approved_at = rfc3339(f.approval.at);
                let adjustments: Vec<String> = filing::adjustments(f)
                    .into_iter()
                    .map(adjustment_line)
                    .collect();
                let html = publish::render_html(&publish::Publication {
                    unit_name: &name,
                    month,
                    entries: &entries,
                    portfolios: &portfolios,
                    taxonomy: &self.rules.taxonomy,
                    approved_by: approver.as_deref(),
                    approved_at: Some(&approved_at),
                    adjustments: &adjustments,
                    office_phone: None,
                });
                Ok(pb::ExportReply {
                    file_name: format!("{stem}.html"),
                    content_type: "text/html; charset=utf-8".into(),
                    content: html.into_bytes(),
                })
            }
            other => Err(NodeError::invalid(
                "format",
                Said::new(
                    format!("“{other}”不是可导出的格式，应填csv、xlsx或html"),
                    format!("{other:?}: export takes csv, xlsx or html"),
                ),
            )),
        }
    }
}
