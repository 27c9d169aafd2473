//! A month's table drawn up whole, as a front's grid holds it: tried against the
//! entry checks and the unit's quota rules without saving anything (what the
//! console shows while a clerk types), or saved as the month's draft, replacing
//! its entries. The checks and rules are the ones every other edit meets.

use std::collections::BTreeSet;

use xinfang_hub::UnitCode;
use xinfang_proto::v1 as pb;

use super::drafts::{EntryProblem, field_zh};
use super::views::violation_pb;
use super::{ScheduleService, parse_month};
use crate::auth::{Action, Actor};
use crate::error::NodeError;
use crate::labels::Said;
use crate::schedule::model::{Entry, Month};
use crate::schedule::workflow::Step;

/// A unit's month as a front drew it up: every entry at once.
#[derive(Debug, Clone, Default)]
pub struct DraftTable {
    pub unit: String,
    pub month: String,
    pub entries: Vec<pb::ScheduleEntry>,
}

/// One entry's problem: which entry of the table (its index), the field, the rule.
#[derive(Debug, Clone)]
pub struct TableProblem {
    pub index: usize,
    pub problem: EntryProblem,
}

/// What the rules say of a table not yet saved.
#[derive(Debug, Clone, Default)]
pub struct Trial {
    /// Entries that cannot stand as written (saving is refused while any remain).
    pub problems: Vec<TableProblem>,
    /// The unit's quota rules broken by the entries that can stand (approval
    /// then needs an override reason).
    pub violations: Vec<pb::Violation>,
    pub warnings: Vec<String>,
}

impl ScheduleService {
    /// The entries of `table` that stand, and each problem of those that do not.
    async fn read_table(
        &self,
        unit: &UnitCode,
        month: Month,
        table: &DraftTable,
    ) -> Result<(Vec<Entry>, Vec<TableProblem>), NodeError> {
        let roster = self.roster(unit).await?;
        let mut entries = Vec::new();
        let mut problems = Vec::new();
        let mut seen = BTreeSet::new();
        for (index, e) in table.entries.iter().enumerate() {
            let entry = match self.entry_of(e, &roster) {
                Ok(x) => x,
                Err(err) => {
                    let problem = match &err {
                        NodeError::Invalid {
                            field: "entry.time",
                            ..
                        } => EntryProblem {
                            field: "time",
                            zh: format!(
                                "{:?} 不是接访时段，应写作 HH:MM-HH:MM，如 08:30-11:30",
                                e.time
                            ),
                            en: err.to_string(),
                        },
                        _ => EntryProblem {
                            field: "date",
                            zh: format!("{:?} 不是日期，应写作 YYYY-MM-DD", e.date),
                            en: err.to_string(),
                        },
                    };
                    problems.push(TableProblem { index, problem });
                    continue;
                }
            };
            let found = self.entry_problems(&entry, month, &roster);
            if !seen.insert((entry.date, entry.leader.clone())) {
                problems.push(TableProblem {
                    index,
                    problem: EntryProblem {
                        field: "leader",
                        zh: format!("{} 在 {} 重复安排", entry.leader, entry.date),
                        en: format!("{} is already scheduled on {}", entry.leader, entry.date),
                    },
                });
            }
            if found.is_empty() {
                entries.push(entry);
            }
            problems.extend(
                found
                    .into_iter()
                    .map(|problem| TableProblem { index, problem }),
            );
        }
        entries.sort_by(|a, b| (a.date, &a.leader).cmp(&(b.date, &b.leader)));
        entries.dedup_by(|a, b| a.date == b.date && a.leader == b.leader);
        Ok((entries, problems))
    }

    /// Tries `table` as the month's schedule: nothing is saved. For those who
    /// draw up schedules (the grid's live check and its 检查 button).
    pub async fn try_table(&self, who: &Actor, table: &DraftTable) -> Result<Trial, NodeError> {
        self.authorize(who, Action::EditSchedule).await?;
        let unit = self.own_unit(&table.unit)?;
        let month = parse_month(&table.month)?;
        let (entries, problems) = self.read_table(&unit, month, table).await?;
        let eval = self.evaluate(&unit, month, &entries).await?;
        Ok(Trial {
            problems,
            violations: eval.violations.iter().map(violation_pb).collect(),
            warnings: eval.warnings,
        })
    }

    /// Saves `table` as the month's draft, replacing its entries (a reviewed
    /// draft goes back for review, as after any edit). All or nothing: an entry
    /// that cannot stand refuses the whole table, naming its row and field.
    pub async fn save_table(
        &self,
        who: &Actor,
        table: &DraftTable,
    ) -> Result<pb::ScheduleView, NodeError> {
        self.authorize(who, Action::EditSchedule).await?;
        let unit = self.own_unit(&table.unit)?;
        let month = parse_month(&table.month)?;
        let (entries, problems) = self.read_table(&unit, month, table).await?;
        if !problems.is_empty() {
            let list_zh: Vec<String> = problems
                .iter()
                .map(|p| {
                    format!(
                        "第{}条{}：{}",
                        p.index + 1,
                        field_zh(p.problem.field),
                        p.problem.zh
                    )
                })
                .collect();
            let list: Vec<String> = problems
                .iter()
                .map(|p| {
                    format!(
                        "entry {}, {}: {}",
                        p.index + 1,
                        p.problem.field,
                        p.problem.en
                    )
                })
                .collect();
            return Err(NodeError::Invalid {
                field: "entries",
                rule: Said::new(
                    format!("未保存：{}", list_zh.join("；")),
                    format!("nothing saved: {}", list.join("; ")),
                ),
            });
        }
        let _g = self.drafts.lock().await;
        let mut draft = self.editable(&unit, month, Step::Edit, true).await?;
        draft.entries = entries;
        draft.review = None;
        self.save_draft(&unit, month, &draft).await?;
        drop(_g);
        self.view(&unit, month).await
    }

    /// Whether `day` is a working day by the node's calendar (a front greys the
    /// others).
    pub fn is_working_day(&self, day: chrono::NaiveDate) -> bool {
        self.rules.calendar.is_working_day(day)
    }

    /// The reception forms of the taxonomy, code and name, in its order.
    pub fn reception_forms(&self) -> Vec<(String, String)> {
        self.rules
            .taxonomy
            .reception_form
            .iter()
            .map(|f| (f.code.clone(), f.name.clone()))
            .collect()
    }

    /// The month a schedule is drawn up for now: next month (by the office's day).
    pub fn next_month(&self) -> Month {
        Month::of(crate::schedule::filing::local_day(self.now())).next()
    }

    /// The code of this node's unit: the one whose schedules it writes.
    pub fn own_code(&self) -> &UnitCode {
        self.hub.me()
    }
}
