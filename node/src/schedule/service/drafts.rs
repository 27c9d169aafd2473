//! Drafts in the node's own table, and the edits that make them: start, import a
//! table, add and remove entries. Every edit sends a reviewed draft back for review.

use crate::auth::{Action, Actor};
use std::collections::BTreeSet;

use xinfang_hub::UnitCode;
use xinfang_proto::v1 as pb;

use super::{
    MAX_NAME_CHARS, MAX_TEXT_CHARS, ScheduleService, filed_state, opt, parse_date, parse_month,
    refusal, rfc3339,
};
use crate::error::NodeError;
use crate::labels::{Lang, Said};
use crate::schedule::docs::Decision;
use crate::schedule::model::{Entry, Leader, LeaderRole, Month, PositionClass, ReceptionTime};
use crate::schedule::table::{self, TableFormat};
use crate::schedule::workflow::{self, Refused, State, Step};

/// Why one entry cannot stand: its field and the rule, for people (Chinese)
/// and in English.
#[derive(Debug, Clone)]
pub struct EntryProblem {
    pub field: &'static str,
    pub zh: String,
    pub en: String,
}

/// An entry's field as a clerk knows it, for messages naming it.
pub(super) fn field_zh(field: &str) -> &str {
    match field {
        "date" => "日期",
        "leader" => "接访领导",
        "position" => "职务",
        "place" => "接访地点",
        "form" => "接访方式",
        "topic" => "专题",
        "note" => "备注",
        "time" => "接访时段",
        other => other,
    }
}

/// A draft as the node's table keeps it.
#[derive(Debug, Clone)]
pub(super) struct Draft {
    pub(super) state: State,
    pub(super) entries: Vec<Entry>,
    pub(super) review: Option<Decision>,
}

impl ScheduleService {
    pub(super) async fn load_draft(
        &self,
        unit: &UnitCode,
        month: Month,
    ) -> Result<Option<Draft>, NodeError> {
        let row: Option<(String, String, Option<String>)> = sqlx::query_as(
            "SELECT state, entries, review FROM node_schedule_drafts WHERE unit = $1 AND month = $2",
        )
        .bind(unit.as_str())
        .bind(month.to_string())
        .fetch_optional(self.db.pool())
        .await?;
        let Some((state, entries, review)) = row else {
            return Ok(None);
        };
        Ok(Some(Draft {
            state: state
                .parse()
                .map_err(|e: String| NodeError::Internal(format!("draft state: {e}")))?,
            entries: serde_json::from_str(&entries)
                .map_err(|e| NodeError::Internal(format!("draft entries: {e}")))?,
            review: review.and_then(|r| serde_json::from_str(&r).ok()),
        }))
    }

    pub(super) async fn save_draft(
        &self,
        unit: &UnitCode,
        month: Month,
        d: &Draft,
    ) -> Result<(), NodeError> {
        let entries =
            serde_json::to_string(&d.entries).map_err(|e| NodeError::Internal(e.to_string()))?;
        let review = d
            .review
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| NodeError::Internal(e.to_string()))?;
        sqlx::query(
            "INSERT INTO node_schedule_drafts (unit, month, state, entries, review, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (unit, month) DO UPDATE SET state = excluded.state,
               entries = excluded.entries, review = excluded.review, updated_at = excluded.updated_at",
        )
        .bind(unit.as_str())
        .bind(month.to_string())
        .bind(d.state.code())
        .bind(entries)
        .bind(review)
        .bind(rfc3339(self.now()))
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// The draft `step` works on (an edit, a review, an approval), in the state the
    /// step leaves it: refused once the month is approved (adjust instead) and
    /// wherever the workflow refuses the step. With `create`, a month without a
    /// draft starts one.
    pub(super) async fn editable(
        &self,
        unit: &UnitCode,
        month: Month,
        step: Step,
        create: bool,
    ) -> Result<Draft, NodeError> {
        if let Some((f, _)) = self.filed(unit, month).await? {
            // A filed month has no draft left to work on.
            let refused = match workflow::next(filed_state(&f), step) {
                Err(r) => r,
                Ok(_) => Refused::AlreadyApproved,
            };
            return Err(refusal(refused, unit, month));
        }
        let mut draft = match self.load_draft(unit, month).await? {
            Some(d) => d,
            None if create => Draft {
                state: State::Draft,
                entries: Vec::new(),
                review: None,
            },
            None => {
                return Err(NodeError::NotFound(format!(
                    "no draft schedule of {unit} for {month}; start one with `schedule draft` or `schedule import`"
                )));
            }
        };
        draft.state = workflow::next(draft.state, step).map_err(|r| refusal(r, unit, month))?;
        Ok(draft)
    }

    /// Checks one entry against the month, the roster, the calendar and the
    /// taxonomy; each failure names its field and the rule, in both languages.
    pub(super) fn entry_problems(
        &self,
        e: &Entry,
        month: Month,
        roster: &[Leader],
    ) -> Vec<EntryProblem> {
        let mut out = Vec::new();
        let mut push = |field, zh: String, en: String| out.push(EntryProblem { field, zh, en });
        if !month.contains(e.date) {
            push(
                "date",
                format!("{} 不在 {month} 内", e.date),
                format!("date {} is outside {month}", e.date),
            );
        } else if !self.rules.calendar.is_working_day(e.date) && !e.non_working_day_override {
            push(
                "date",
                format!("{} 不是工作日：非工作日接访须注明（非工作日接访）", e.date),
                format!(
                    "{} is not a working day; schedule it only with the non-working-day override",
                    e.date
                ),
            );
        }
        match roster.iter().find(|l| l.name == e.leader) {
            None => push(
                "leader",
                format!("{} 不在领导花名册上", e.leader),
                format!(
                    "unknown leader {:?}: not on the roster (add with `xinfang roster add`, or import with --create-roster)",
                    e.leader
                ),
            ),
            Some(l) if !l.active => push(
                "leader",
                format!("{} 已不在岗（花名册中已停用）", e.leader),
                format!("leader {} is no longer active on the roster", e.leader),
            ),
            Some(_) => {}
        }
        if let Err(err) = self.rules.taxonomy.reception_form(&e.form) {
            push(
                "form",
                format!("接访方式不在分类表中：{err}"),
                err.to_string(),
            );
        }
        if e.form == "thematic" && e.topic.as_deref().is_none_or(str::is_empty) {
            push(
                "topic",
                "专题接访须写明专题".into(),
                "a thematic reception (专题接访) needs its topic".into(),
            );
        }
        for (field, v, max) in [
            ("leader", Some(&e.leader), MAX_NAME_CHARS),
            ("place", Some(&e.place), MAX_TEXT_CHARS),
            ("position", Some(&e.position), MAX_TEXT_CHARS),
            ("topic", e.topic.as_ref(), MAX_TEXT_CHARS),
            ("note", e.note.as_ref(), MAX_TEXT_CHARS),
        ] {
            if v.is_some_and(|v| v.chars().count() > max) {
                push(
                    field,
                    format!("最多 {max} 个字"),
                    format!("at most {max} characters"),
                );
            }
        }
        out
    }

    /// An entry as a front sends it, completed as the office means it: the
    /// position from the roster when left out, the form by code or name
    /// (定点接访 or `fixed`; fixed when left out).
    pub(super) fn entry_of(
        &self,
        e: &pb::ScheduleEntry,
        roster: &[Leader],
    ) -> Result<Entry, NodeError> {
        let leader = e.leader.trim().to_owned();
        let position = match opt(&e.position) {
            Some(p) => p,
            None => roster
                .iter()
                .find(|l| l.name == leader)
                .map(|l| l.position.clone())
                .unwrap_or_default(),
        };
        let form = opt(&e.form).unwrap_or_else(|| "fixed".into());
        let form = self
            .rules
            .taxonomy
            .reception_form
            .iter()
            .find(|f| f.code == form || f.name == form)
            .map(|f| f.code.clone())
            .unwrap_or(form);
        Ok(Entry {
            date: parse_date("entry.date", &e.date)?,
            leader,
            position,
            place: e.place.trim().to_owned(),
            form,
            topic: opt(&e.topic),
            note: opt(&e.note),
            non_working_day_override: e.non_working_day,
            time: match opt(&e.time) {
                None => None,
                Some(t) => Some(
                    t.parse::<ReceptionTime>()
                        .map_err(|m| NodeError::invalid("entry.time", m))?,
                ),
            },
        })
    }

    pub async fn draft(
        &self,
        who: &Actor,
        req: pb::MonthRequest,
    ) -> Result<pb::ScheduleView, NodeError> {
        self.authorize(who, Action::EditSchedule).await?;
        let unit = self.own_unit(&req.unit)?;
        let month = parse_month(&req.month)?;
        let _g = self.drafts.lock().await;
        if self.load_draft(&unit, month).await?.is_some() {
            return Err(NodeError::Rule {
                rule: "schedule.draft_exists",
                message: format!("a draft of {unit} for {month} already exists"),
            });
        }
        let d = self.editable(&unit, month, Step::Edit, true).await?;
        self.save_draft(&unit, month, &d).await?;
        drop(_g);
        self.view(&unit, month).await
    }

    pub async fn import(
        &self,
        who: &Actor,
        req: pb::ImportRequest,
    ) -> Result<pb::ScheduleView, NodeError> {
        self.authorize(who, Action::EditSchedule).await?;
        let unit = self.own_unit(&req.unit)?;
        let month = parse_month(&req.month)?;
        let format = match req.format.trim().to_ascii_lowercase().as_str() {
            "csv" => TableFormat::Csv,
            "xlsx" => TableFormat::Xlsx,
            other => {
                return Err(NodeError::invalid(
                    "format",
                    Said::new(
                        format!("“{other}”不是可导入的格式，应为csv或xlsx"),
                        format!("{other:?}: import takes csv or xlsx"),
                    ),
                ));
            }
        };
        let rows = table::import(&req.content, format, month, &self.rules.taxonomy).map_err(
            |e| match &e {
                table::ImportError::Rows(rows) => NodeError::Invalid {
                    field: "content",
                    rule: Said::new(
                        e.said().get(Lang::Zh),
                        rows.iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join("; "),
                    ),
                },
                table::ImportError::Format(_) => NodeError::invalid("content", e.said()),
            },
        )?;
        let _g = self.drafts.lock().await;
        let mut draft = self.editable(&unit, month, Step::Edit, true).await?;
        let mut roster = self.roster(&unit).await?;
        // Leaders the table brings that the roster lacks (with --create-roster).
        let mut added: Vec<Leader> = Vec::new();
        if req.create_roster {
            for r in &rows {
                if !roster.iter().any(|l| l.name == r.entry.leader)
                    && !added.iter().any(|l| l.name == r.entry.leader)
                {
                    added.push(Leader {
                        name: r.entry.leader.clone(),
                        position: r.entry.position.clone(),
                        portfolio: String::new(),
                        role: LeaderRole::Member,
                        class: Some(PositionClass::infer(&r.entry.position)),
                        active: true,
                    });
                }
            }
            roster.extend(added.iter().cloned());
        }
        // Each problem as (Chinese, English).
        let mut problems: Vec<(String, String)> = Vec::new();
        let mut entries = Vec::new();
        let mut seen = BTreeSet::new();
        for r in rows {
            let mut e = r.entry;
            if e.position.is_empty()
                && let Some(l) = roster.iter().find(|l| l.name == e.leader)
            {
                e.position = l.position.clone();
            }
            for p in self.entry_problems(&e, month, &roster) {
                problems.push((
                    format!("第{}行{}：{}", r.row, field_zh(p.field), p.zh),
                    format!("row {}, {}: {}", r.row, p.field, p.en),
                ));
            }
            if !seen.insert((e.date, e.leader.clone())) {
                problems.push((
                    format!(
                        "第{}行接访领导：{}在{}已有接访安排",
                        r.row, e.leader, e.date
                    ),
                    format!(
                        "row {}, leader: {} is already scheduled on {}",
                        r.row, e.leader, e.date
                    ),
                ));
            }
            entries.push(e);
        }
        if !problems.is_empty() {
            let (zh, en): (Vec<String>, Vec<String>) = problems.into_iter().unzip();
            return Err(NodeError::Invalid {
                field: "content",
                rule: Said::new(
                    format!("未导入：{}", zh.join("；")),
                    format!("nothing imported: {}", en.join("; ")),
                ),
            });
        }
        self.put_leaders(&unit, &added).await?;
        entries.sort_by(|a, b| (a.date, &a.leader).cmp(&(b.date, &b.leader)));
        draft.entries = entries;
        draft.review = None;
        self.save_draft(&unit, month, &draft).await?;
        drop(_g);
        self.view(&unit, month).await
    }

    pub async fn add_entry(
        &self,
        who: &Actor,
        req: pb::AddEntryRequest,
    ) -> Result<pb::ScheduleView, NodeError> {
        self.authorize(who, Action::EditSchedule).await?;
        let unit = self.own_unit(&req.unit)?;
        let month = parse_month(&req.month)?;
        let e = req.entry.ok_or_else(|| {
            NodeError::invalid("entry", Said::new("必须填写接访安排", "required"))
        })?;
        let roster = self.roster(&unit).await?;
        let entry = self.entry_of(&e, &roster)?;
        if let Some(p) = self
            .entry_problems(&entry, month, &roster)
            .into_iter()
            .next()
        {
            return Err(NodeError::Invalid {
                field: match p.field {
                    "date" => "entry.date",
                    "leader" => "entry.leader",
                    "form" => "entry.form",
                    "topic" => "entry.topic",
                    "place" => "entry.place",
                    "note" => "entry.note",
                    _ => "entry",
                },
                rule: Said::new(p.zh, p.en),
            });
        }
        let _g = self.drafts.lock().await;
        let mut draft = self.editable(&unit, month, Step::Edit, true).await?;
        if draft
            .entries
            .iter()
            .any(|x| x.date == entry.date && x.leader == entry.leader)
        {
            return Err(NodeError::invalid(
                "entry.leader",
                Said::new(
                    format!("{}在{}已有接访安排", entry.leader, entry.date),
                    format!("{} is already scheduled on {}", entry.leader, entry.date),
                ),
            ));
        }
        draft.entries.push(entry);
        draft
            .entries
            .sort_by(|a, b| (a.date, &a.leader).cmp(&(b.date, &b.leader)));
        // Any edit sends a reviewed draft back for review.
        draft.review = None;
        self.save_draft(&unit, month, &draft).await?;
        drop(_g);
        self.view(&unit, month).await
    }

    pub async fn remove_entry(
        &self,
        who: &Actor,
        req: pb::RemoveEntryRequest,
    ) -> Result<pb::ScheduleView, NodeError> {
        self.authorize(who, Action::EditSchedule).await?;
        let unit = self.own_unit(&req.unit)?;
        let month = parse_month(&req.month)?;
        let date = parse_date("date", &req.date)?;
        let _g = self.drafts.lock().await;
        let mut draft = self.editable(&unit, month, Step::Edit, false).await?;
        let on_day: Vec<usize> = draft
            .entries
            .iter()
            .enumerate()
            .filter(|(_, e)| {
                e.date == date && (req.leader.trim().is_empty() || e.leader == req.leader.trim())
            })
            .map(|(i, _)| i)
            .collect();
        match on_day.as_slice() {
            [] => {
                return Err(NodeError::invalid(
                    "date",
                    Said::new(
                        if req.leader.is_empty() {
                            format!("{date}没有接访安排")
                        } else {
                            format!("{date}没有{}的接访安排", req.leader)
                        },
                        format!(
                            "no entry on {date}{}",
                            if req.leader.is_empty() {
                                String::new()
                            } else {
                                format!(" for {}", req.leader)
                            }
                        ),
                    ),
                ));
            }
            [i] => {
                draft.entries.remove(*i);
            }
            _ => {
                return Err(NodeError::invalid(
                    "leader",
                    Said::new(
                        format!("{date}安排了多名领导接访，请写明删除哪一位"),
                        format!("several leaders are on {date}: name the one to remove"),
                    ),
                ));
            }
        }
        draft.review = None;
        self.save_draft(&unit, month, &draft).await?;
        drop(_g);
        self.view(&unit, month).await
    }
}
