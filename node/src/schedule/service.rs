//! The schedule workflow at one node: roster, drafts, checks, review, approval
//! (which files the schedule upward), publication, adjustments, attendance, the
//! filing board and the quarterly register. Storage is the hub's documents plus the
//! node's draft table; every rule it applies lives in the pure modules beside it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use tokio::sync::Mutex;
use xinfang_hub::db::Db;
use xinfang_hub::{Create, Hub, Topology, UnitCode};
use xinfang_proto::v1 as pb;

use super::docs::{self, Decision, FiledSchedule, RecordBody, ScheduleRecord};
use super::filing::{self, FilingStatus};
use super::model::{Entry, Leader, LeaderRole, Month, Quarter};
use super::quota::{self, QuotaInput, Violation};
use super::ruleset::{self, RuleSet, RuleSetError};
use super::table::{self, TableFormat};
use super::{publish, quarterly};
use crate::error::NodeError;
use crate::rules::CaseRules;

const MAX_NAME_CHARS: usize = 50;
const MAX_TEXT_CHARS: usize = 500;

/// The rule set of every unit in the topology, resolved once at start.
pub struct RuleSets {
    by_unit: BTreeMap<UnitCode, Arc<RuleSet>>,
    default: Arc<RuleSet>,
}

impl RuleSets {
    /// Resolves each unit's `rules = "NAME"`: files in `dirs` first, then the
    /// shipped sets. An unknown name stops the node with the unit named.
    pub fn resolve(topology: &Topology, dirs: &[PathBuf]) -> Result<RuleSets, String> {
        let mut cache: BTreeMap<String, Arc<RuleSet>> = BTreeMap::new();
        let mut by_unit = BTreeMap::new();
        for u in topology.units() {
            if let Some(name) = ruleset::unit_rule_set(u).map_err(|e| e.to_string())? {
                let set = match cache.get(name) {
                    Some(s) => s.clone(),
                    None => {
                        let s =
                            Arc::new(ruleset::resolve(name, dirs).map_err(|e: RuleSetError| {
                                format!("unit {} ({}): rules = {name:?}: {e}", u.code, u.name)
                            })?);
                        cache.insert(name.to_owned(), s.clone());
                        s
                    }
                };
                by_unit.insert(u.code.clone(), set);
            }
        }
        Ok(RuleSets {
            by_unit,
            default: Arc::new(ruleset::default_set()),
        })
    }

    pub fn of(&self, unit: &UnitCode) -> &Arc<RuleSet> {
        self.by_unit.get(unit).unwrap_or(&self.default)
    }
}

pub struct ScheduleService {
    hub: Hub,
    db: Db,
    rules: Arc<CaseRules>,
    sets: Arc<RuleSets>,
    /// Draft edits are read-modify-write: one at a time.
    drafts: Mutex<()>,
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn text(field: &'static str, v: &str, max: usize) -> Result<String, NodeError> {
    let v = v.trim();
    if v.chars().count() > max {
        return Err(NodeError::invalid(
            field,
            format!("at most {max} characters"),
        ));
    }
    if v.chars().any(char::is_control) {
        return Err(NodeError::invalid(field, "no control characters"));
    }
    Ok(v.to_owned())
}

fn opt(v: &str) -> Option<String> {
    let v = v.trim();
    (!v.is_empty()).then(|| v.to_owned())
}

pub fn parse_month(v: &str) -> Result<Month, NodeError> {
    v.parse()
        .map_err(|e: String| NodeError::invalid("month", e))
}

pub fn parse_date(field: &'static str, v: &str) -> Result<NaiveDate, NodeError> {
    NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d")
        .map_err(|_| NodeError::invalid(field, format!("{v:?} is not a date; write YYYY-MM-DD")))
}

/// A draft as the node's table keeps it.
#[derive(Debug, Clone)]
struct Draft {
    state: String,
    entries: Vec<Entry>,
    review: Option<Decision>,
}

impl ScheduleService {
    pub fn new(hub: Hub, db: Db, rules: Arc<CaseRules>, sets: Arc<RuleSets>) -> Self {
        ScheduleService {
            hub,
            db,
            rules,
            sets,
            drafts: Mutex::new(()),
        }
    }

    fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.hub.now_ms()).unwrap_or_else(Utc::now)
    }

    fn today(&self) -> NaiveDate {
        filing::local_day(self.now())
    }

    fn topology(&self) -> &Arc<Topology> {
        self.hub.topology()
    }

    /// A unit this node writes schedules for: only its own.
    fn own_unit(&self, unit: &str) -> Result<UnitCode, NodeError> {
        let code: UnitCode = unit
            .trim()
            .parse()
            .map_err(|e| NodeError::invalid("unit", format!("{e}")))?;
        if &code != self.hub.me() {
            return Err(NodeError::Denied(format!(
                "unit {code}: this node keeps the schedules of {} only",
                self.hub.me()
            )));
        }
        Ok(code)
    }

    /// A unit this node may read: itself or any unit below it.
    fn visible_unit(&self, unit: &str) -> Result<UnitCode, NodeError> {
        if unit.trim().is_empty() {
            return Ok(self.hub.me().clone());
        }
        let code: UnitCode = unit
            .trim()
            .parse()
            .map_err(|e| NodeError::invalid("unit", format!("{e}")))?;
        if !self.topology().contains(&code) {
            return Err(NodeError::invalid(
                "unit",
                format!("unit {code} is not in the topology"),
            ));
        }
        if !self.topology().in_subtree(self.hub.me(), &code) {
            return Err(NodeError::Denied(format!(
                "unit {code} is not below {}: not yours to see",
                self.hub.me()
            )));
        }
        Ok(code)
    }

    fn unit_name(&self, unit: &UnitCode) -> String {
        self.topology()
            .unit(unit)
            .map(|u| u.name.clone())
            .unwrap_or_default()
    }

    // --- roster -------------------------------------------------------------

    pub async fn roster(&self, unit: &UnitCode) -> Result<Vec<Leader>, NodeError> {
        Ok(match self.hub.get(&docs::roster_id(unit)).await? {
            Some(h) => docs::read_roster(&h.loaded.doc),
            None => Vec::new(),
        })
    }

    pub async fn get_roster(&self, unit: &str) -> Result<pb::Roster, NodeError> {
        let unit = self.visible_unit(unit)?;
        let leaders = self.roster(&unit).await?;
        Ok(roster_pb(&unit, &leaders))
    }

    fn check_leader(l: &pb::Leader) -> Result<Leader, NodeError> {
        let name = text("leader.name", &l.name, MAX_NAME_CHARS)?;
        if name.is_empty() {
            return Err(NodeError::invalid("leader.name", "required"));
        }
        let role = if l.role.trim().is_empty() {
            LeaderRole::Member
        } else {
            l.role
                .trim()
                .parse()
                .map_err(|e: String| NodeError::invalid("leader.role", e))?
        };
        Ok(Leader {
            name,
            position: text("leader.position", &l.position, MAX_TEXT_CHARS)?,
            portfolio: text("leader.portfolio", &l.portfolio, MAX_TEXT_CHARS)?,
            role,
            active: l.active,
        })
    }

    async fn put_leaders(&self, unit: &UnitCode, leaders: &[Leader]) -> Result<(), NodeError> {
        if leaders.is_empty() {
            return Ok(());
        }
        let id = docs::roster_id(unit);
        let create = if self.hub.get(&id).await?.is_some() {
            Create::Existing
        } else {
            Create::New
        };
        self.hub
            .update(&id, create, |d| {
                if matches!(create, Create::New) {
                    docs::init(d, &id, "roster", unit)?;
                }
                for l in leaders {
                    docs::put_leader(d, &id, l)?;
                }
                Ok::<_, NodeError>(())
            })
            .await?;
        Ok(())
    }

    pub async fn put_leader(&self, req: pb::PutLeaderRequest) -> Result<pb::Roster, NodeError> {
        let unit = self.own_unit(&req.unit)?;
        let leader = Self::check_leader(
            req.leader
                .as_ref()
                .ok_or_else(|| NodeError::invalid("leader", "required"))?,
        )?;
        self.put_leaders(&unit, &[leader]).await?;
        self.get_roster(unit.as_str()).await
    }

    // --- drafts -------------------------------------------------------------

    async fn load_draft(&self, unit: &UnitCode, month: Month) -> Result<Option<Draft>, NodeError> {
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
            state,
            entries: serde_json::from_str(&entries)
                .map_err(|e| NodeError::Internal(format!("draft entries: {e}")))?,
            review: review.and_then(|r| serde_json::from_str(&r).ok()),
        }))
    }

    async fn save_draft(&self, unit: &UnitCode, month: Month, d: &Draft) -> Result<(), NodeError> {
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
        .bind(&d.state)
        .bind(entries)
        .bind(review)
        .bind(rfc3339(self.now()))
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    async fn filed(
        &self,
        unit: &UnitCode,
        month: Month,
    ) -> Result<Option<(FiledSchedule, DateTime<Utc>)>, NodeError> {
        let Some(h) = self.hub.get(&docs::schedule_id(unit, month)).await? else {
            return Ok(None);
        };
        let f = docs::read_filed(&h.loaded.doc).ok_or_else(|| {
            NodeError::Internal(format!(
                "{} is not a readable schedule",
                docs::schedule_id(unit, month)
            ))
        })?;
        let at = DateTime::from_timestamp_millis(h.first_seen_ms).unwrap_or_else(Utc::now);
        Ok(Some((f, at)))
    }

    /// The draft to edit: refused once the month is approved (adjust instead).
    async fn editable(
        &self,
        unit: &UnitCode,
        month: Month,
        create: bool,
    ) -> Result<Draft, NodeError> {
        if self.filed(unit, month).await?.is_some() {
            return Err(NodeError::Rule {
                rule: "schedule.approved",
                message: format!(
                    "the {month} schedule of {unit} is approved and filed; change it with `schedule adjust`"
                ),
            });
        }
        match self.load_draft(unit, month).await? {
            Some(d) => Ok(d),
            None if create => Ok(Draft {
                state: "draft".into(),
                entries: Vec::new(),
                review: None,
            }),
            None => Err(NodeError::NotFound(format!(
                "no draft schedule of {unit} for {month}; start one with `schedule draft` or `schedule import`"
            ))),
        }
    }

    /// Checks one entry against the month, the roster, the calendar and the
    /// taxonomy; each failure is (field, rule).
    fn entry_problems(
        &self,
        e: &Entry,
        month: Month,
        roster: &[Leader],
    ) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if !month.contains(e.date) {
            out.push(("date", format!("date {} is outside {month}", e.date)));
        } else if !self.rules.calendar.is_working_day(e.date) && !e.non_working_day_override {
            out.push((
                "date",
                format!(
                    "{} is not a working day; schedule it only with the non-working-day override",
                    e.date
                ),
            ));
        }
        match roster.iter().find(|l| l.name == e.leader) {
            None => out.push((
                "leader",
                format!(
                    "unknown leader {:?}: not on the roster (add with `xinfang roster add`, or import with --create-roster)",
                    e.leader
                ),
            )),
            Some(l) if !l.active => out.push(("leader", format!("leader {} is no longer active on the roster", e.leader))),
            Some(_) => {}
        }
        if let Err(err) = self.rules.taxonomy.reception_form(&e.form) {
            out.push(("form", err.to_string()));
        }
        if e.form == "thematic" && e.topic.as_deref().is_none_or(str::is_empty) {
            out.push((
                "topic",
                "a thematic reception (专题接访) needs its topic".into(),
            ));
        }
        for (field, v, max) in [
            ("leader", Some(&e.leader), MAX_NAME_CHARS),
            ("place", Some(&e.place), MAX_TEXT_CHARS),
            ("position", Some(&e.position), MAX_TEXT_CHARS),
            ("topic", e.topic.as_ref(), MAX_TEXT_CHARS),
            ("note", e.note.as_ref(), MAX_TEXT_CHARS),
        ] {
            if v.is_some_and(|v| v.chars().count() > max) {
                out.push((field, format!("at most {max} characters")));
            }
        }
        out
    }

    pub async fn draft(&self, req: pb::MonthRequest) -> Result<pb::ScheduleView, NodeError> {
        let unit = self.own_unit(&req.unit)?;
        let month = parse_month(&req.month)?;
        let _g = self.drafts.lock().await;
        if self.load_draft(&unit, month).await?.is_some() {
            return Err(NodeError::Rule {
                rule: "schedule.draft_exists",
                message: format!("a draft of {unit} for {month} already exists"),
            });
        }
        let d = self.editable(&unit, month, true).await?;
        self.save_draft(&unit, month, &d).await?;
        drop(_g);
        self.view(&unit, month).await
    }

    pub async fn import(&self, req: pb::ImportRequest) -> Result<pb::ScheduleView, NodeError> {
        let unit = self.own_unit(&req.unit)?;
        let month = parse_month(&req.month)?;
        let format = match req.format.trim().to_ascii_lowercase().as_str() {
            "csv" => TableFormat::Csv,
            "xlsx" => TableFormat::Xlsx,
            other => {
                return Err(NodeError::invalid(
                    "format",
                    format!("{other:?}: import takes csv or xlsx"),
                ));
            }
        };
        let rows = table::import(&req.content, format, month, &self.rules.taxonomy).map_err(
            |e| match e {
                table::ImportError::Rows(rows) => NodeError::Invalid {
                    field: "content",
                    rule: rows
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; "),
                },
                other => NodeError::invalid("content", other.to_string()),
            },
        )?;
        let _g = self.drafts.lock().await;
        let mut draft = self.editable(&unit, month, true).await?;
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
                        active: true,
                    });
                }
            }
            roster.extend(added.iter().cloned());
        }
        let mut problems = Vec::new();
        let mut entries = Vec::new();
        let mut seen = BTreeSet::new();
        for r in rows {
            let mut e = r.entry;
            if e.position.is_empty()
                && let Some(l) = roster.iter().find(|l| l.name == e.leader)
            {
                e.position = l.position.clone();
            }
            for (field, rule) in self.entry_problems(&e, month, &roster) {
                problems.push(format!("row {}, {field}: {rule}", r.row));
            }
            if !seen.insert((e.date, e.leader.clone())) {
                problems.push(format!(
                    "row {}, leader: {} is already scheduled on {}",
                    r.row, e.leader, e.date
                ));
            }
            entries.push(e);
        }
        if !problems.is_empty() {
            return Err(NodeError::Invalid {
                field: "content",
                rule: format!("nothing imported: {}", problems.join("; ")),
            });
        }
        self.put_leaders(&unit, &added).await?;
        entries.sort_by(|a, b| (a.date, &a.leader).cmp(&(b.date, &b.leader)));
        draft.entries = entries;
        draft.state = "draft".into();
        draft.review = None;
        self.save_draft(&unit, month, &draft).await?;
        drop(_g);
        self.view(&unit, month).await
    }

    pub async fn add_entry(&self, req: pb::AddEntryRequest) -> Result<pb::ScheduleView, NodeError> {
        let unit = self.own_unit(&req.unit)?;
        let month = parse_month(&req.month)?;
        let e = req
            .entry
            .ok_or_else(|| NodeError::invalid("entry", "required"))?;
        let roster = self.roster(&unit).await?;
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
        let entry = Entry {
            date: parse_date("entry.date", &e.date)?,
            leader,
            position,
            place: e.place.trim().to_owned(),
            form,
            topic: opt(&e.topic),
            note: opt(&e.note),
            non_working_day_override: e.non_working_day,
        };
        if let Some((field, rule)) = self
            .entry_problems(&entry, month, &roster)
            .into_iter()
            .next()
        {
            return Err(NodeError::Invalid {
                field: match field {
                    "date" => "entry.date",
                    "leader" => "entry.leader",
                    "form" => "entry.form",
                    "topic" => "entry.topic",
                    "place" => "entry.place",
                    "note" => "entry.note",
                    _ => "entry",
                },
                rule,
            });
        }
        let _g = self.drafts.lock().await;
        let mut draft = self.editable(&unit, month, true).await?;
        if draft
            .entries
            .iter()
            .any(|x| x.date == entry.date && x.leader == entry.leader)
        {
            return Err(NodeError::invalid(
                "entry.leader",
                format!("{} is already scheduled on {}", entry.leader, entry.date),
            ));
        }
        draft.entries.push(entry);
        draft
            .entries
            .sort_by(|a, b| (a.date, &a.leader).cmp(&(b.date, &b.leader)));
        // Any edit sends a reviewed draft back for review.
        draft.state = "draft".into();
        draft.review = None;
        self.save_draft(&unit, month, &draft).await?;
        drop(_g);
        self.view(&unit, month).await
    }

    pub async fn remove_entry(
        &self,
        req: pb::RemoveEntryRequest,
    ) -> Result<pb::ScheduleView, NodeError> {
        let unit = self.own_unit(&req.unit)?;
        let month = parse_month(&req.month)?;
        let date = parse_date("date", &req.date)?;
        let _g = self.drafts.lock().await;
        let mut draft = self.editable(&unit, month, false).await?;
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
                    format!(
                        "no entry on {date}{}",
                        if req.leader.is_empty() {
                            String::new()
                        } else {
                            format!(" for {}", req.leader)
                        }
                    ),
                ));
            }
            [i] => {
                draft.entries.remove(*i);
            }
            _ => {
                return Err(NodeError::invalid(
                    "leader",
                    format!("several leaders are on {date}: name the one to remove"),
                ));
            }
        }
        draft.state = "draft".into();
        draft.review = None;
        self.save_draft(&unit, month, &draft).await?;
        drop(_g);
        self.view(&unit, month).await
    }

    // --- rules ----------------------------------------------------------------

    /// The entries in force for a month of a unit: filed (with adjustments) if
    /// approved, else the draft when the node holds it.
    async fn entries_of(&self, unit: &UnitCode, month: Month) -> Result<Vec<Entry>, NodeError> {
        if let Some((f, _)) = self.filed(unit, month).await? {
            return Ok(filing::effective(&f));
        }
        if unit == self.hub.me() {
            return Ok(self
                .load_draft(unit, month)
                .await?
                .map(|d| d.entries)
                .unwrap_or_default());
        }
        Ok(Vec::new())
    }

    /// Evaluates `entries` as `unit`'s schedule for `month`.
    async fn evaluate(
        &self,
        unit: &UnitCode,
        month: Month,
        entries: &[Entry],
    ) -> Result<quota::Evaluation, NodeError> {
        let roster = self.roster(unit).await?;
        // Neighbouring months for weeks that straddle a month boundary; at a
        // quarter's end, the months of the year for quarter, half-year and year rules.
        let mut months = vec![month.prev(), month.next()];
        if Quarter::of(month).months()[2] == month {
            months.extend((1..month.month).filter_map(|m| Month::new(month.year, m)));
        }
        months.sort();
        months.dedup();
        let mut other = Vec::new();
        for m in months.into_iter().filter(|m| *m != month) {
            other.extend(self.entries_of(unit, m).await?);
        }
        let owned = self.owned_cases(unit, month.year).await?;
        let set = self.sets.of(unit);
        Ok(quota::evaluate(&QuotaInput {
            rules: set,
            month,
            roster: &roster,
            entries,
            other_months: &other,
            owned_cases: &owned,
            calendar: &self.rules.calendar,
        }))
    }

    async fn owned_cases(
        &self,
        unit: &UnitCode,
        year: i32,
    ) -> Result<BTreeMap<String, u32>, NodeError> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT owner, COUNT(*) FROM node_cases
             WHERE owner_unit = $1 AND owner IS NOT NULL AND substr(owned_at, 1, 4) = $2
             GROUP BY owner",
        )
        .bind(unit.as_str())
        .bind(format!("{year:04}"))
        .fetch_all(self.db.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(k, n)| (k, u32::try_from(n).unwrap_or(u32::MAX)))
            .collect())
    }

    pub async fn check(&self, req: pb::MonthRequest) -> Result<pb::ScheduleView, NodeError> {
        let unit = self.visible_unit(&req.unit)?;
        let month = parse_month(&req.month)?;
        self.view(&unit, month).await
    }

    pub async fn get(&self, req: pb::MonthRequest) -> Result<pb::ScheduleView, NodeError> {
        self.check(req).await
    }

    // --- review and approval ------------------------------------------------------

    async fn decider(
        &self,
        unit: &UnitCode,
        by: &str,
        role: LeaderRole,
        field: &'static str,
    ) -> Result<Option<String>, NodeError> {
        let roster = self.roster(unit).await?;
        let by = by.trim();
        if !by.is_empty() {
            return match roster.iter().find(|l| l.name == by) {
                None => Err(NodeError::invalid(
                    field,
                    format!("{by} is not on the roster"),
                )),
                Some(l) if l.role != role => Err(NodeError::Rule {
                    rule: if role == LeaderRole::Principal {
                        "schedule.approver_role"
                    } else {
                        "schedule.reviewer_role"
                    },
                    message: format!(
                        "{by} is {} on the roster; this step is for the {}",
                        l.role.label_zh(),
                        role.label_zh()
                    ),
                }),
                Some(l) => Ok(Some(l.name.clone())),
            };
        }
        let with_role: Vec<&Leader> = roster
            .iter()
            .filter(|l| l.active && l.role == role)
            .collect();
        Ok(match with_role.as_slice() {
            [only] => Some(only.name.clone()),
            _ => None,
        })
    }

    pub async fn review(
        &self,
        req: pb::DecisionRequest,
        operator: &str,
    ) -> Result<pb::ScheduleView, NodeError> {
        let unit = self.own_unit(&req.unit)?;
        let month = parse_month(&req.month)?;
        let by = self
            .decider(&unit, &req.by, LeaderRole::InCharge, "by")
            .await?;
        let _g = self.drafts.lock().await;
        let mut draft = self.editable(&unit, month, false).await?;
        if draft.entries.is_empty() {
            return Err(NodeError::Rule {
                rule: "schedule.empty",
                message: format!("the {month} draft of {unit} has no entries"),
            });
        }
        let eval = self.evaluate(&unit, month, &draft.entries).await?;
        draft.state = "reviewed".into();
        draft.review = Some(Decision {
            by,
            recorded_by: operator.to_owned(),
            at: self.now(),
            override_reason: opt(&req.override_reason),
            violations: eval.violations,
        });
        self.save_draft(&unit, month, &draft).await?;
        drop(_g);
        self.view(&unit, month).await
    }

    /// Approval files the schedule: the document it creates replicates upward.
    pub async fn approve(
        &self,
        req: pb::DecisionRequest,
        operator: &str,
    ) -> Result<pb::ScheduleView, NodeError> {
        let unit = self.own_unit(&req.unit)?;
        let month = parse_month(&req.month)?;
        let by = self
            .decider(&unit, &req.by, LeaderRole::Principal, "by")
            .await?;
        let override_reason = text("override", &req.override_reason, MAX_TEXT_CHARS)?;
        let _g = self.drafts.lock().await;
        let draft = self.editable(&unit, month, false).await?;
        if draft.state != "reviewed" {
            return Err(NodeError::Rule {
                rule: "schedule.review_first",
                message: format!(
                    "the {month} draft of {unit} must be reviewed by the leader in charge before approval"
                ),
            });
        }
        let eval = self.evaluate(&unit, month, &draft.entries).await?;
        if !eval.violations.is_empty() && override_reason.is_empty() {
            let list: Vec<String> = eval
                .violations
                .iter()
                .take(5)
                .map(|v| format!("[{}] {}", v.rule, v.message))
                .collect();
            return Err(NodeError::Rule {
                rule: "schedule.override_required",
                message: format!(
                    "the schedule breaks {} rule(s) of {}: {}{}; approve with an override reason to file it anyway",
                    eval.violations.len(),
                    self.sets.of(&unit).name,
                    list.join("; "),
                    if eval.violations.len() > 5 {
                        "; …"
                    } else {
                        ""
                    }
                ),
            });
        }
        let filed = FiledSchedule {
            unit: unit.clone(),
            month,
            rules: self.sets.of(&unit).name.clone(),
            entries: draft.entries.clone(),
            review: draft.review.clone(),
            approval: Decision {
                by,
                recorded_by: operator.to_owned(),
                at: self.now(),
                override_reason: (!override_reason.is_empty()).then_some(override_reason),
                violations: eval.violations,
            },
            records: Vec::new(),
        };
        let id = docs::schedule_id(&unit, month);
        self.hub
            .update(&id, Create::New, |d| docs::write_filed(d, &id, &filed))
            .await?;
        sqlx::query("DELETE FROM node_schedule_drafts WHERE unit = $1 AND month = $2")
            .bind(unit.as_str())
            .bind(month.to_string())
            .execute(self.db.pool())
            .await?;
        drop(_g);
        self.view(&unit, month).await
    }

    async fn add_filed_record(
        &self,
        unit: &UnitCode,
        month: Month,
        body: RecordBody,
        operator: &str,
    ) -> Result<(), NodeError> {
        let id = docs::schedule_id(unit, month);
        let rec = ScheduleRecord {
            id: format!("{unit}-{}", uuid::Uuid::new_v4().simple()),
            at: self.now(),
            recorded_by: operator.to_owned(),
            body,
        };
        self.hub
            .update(&id, Create::Existing, |d| docs::add_record(d, &id, &rec))
            .await?;
        Ok(())
    }

    async fn require_filed(
        &self,
        unit: &UnitCode,
        month: Month,
    ) -> Result<FiledSchedule, NodeError> {
        self.filed(unit, month)
            .await?
            .map(|(f, _)| f)
            .ok_or_else(|| NodeError::Rule {
                rule: "schedule.not_approved",
                message: format!("the {month} schedule of {unit} is not approved yet"),
            })
    }

    pub async fn publish(
        &self,
        req: pb::MonthRequest,
        operator: &str,
    ) -> Result<pb::ScheduleView, NodeError> {
        let unit = self.own_unit(&req.unit)?;
        let month = parse_month(&req.month)?;
        let f = self.require_filed(&unit, month).await?;
        if filing::published_at(&f).is_none() {
            self.add_filed_record(&unit, month, RecordBody::Published, operator)
                .await?;
        }
        self.view(&unit, month).await
    }

    pub async fn adjust(
        &self,
        req: pb::AdjustRequest,
        operator: &str,
    ) -> Result<pb::ScheduleView, NodeError> {
        let unit = self.own_unit(&req.unit)?;
        let month = parse_month(&req.month)?;
        let date = parse_date("date", &req.date)?;
        let reason = text("reason", &req.reason, MAX_TEXT_CHARS)?;
        if reason.is_empty() {
            return Err(NodeError::invalid(
                "reason",
                "an adjustment needs its reason",
            ));
        }
        let f = self.require_filed(&unit, month).await?;
        let entries = filing::effective(&f);
        let today = self.today();
        let on = |d: NaiveDate, who: &str, field: &'static str| -> Result<Entry, NodeError> {
            let v: Vec<&Entry> = entries
                .iter()
                .filter(|e| e.date == d && (who.is_empty() || e.leader == who))
                .collect();
            match v.as_slice() {
                [one] => Ok((*one).clone()),
                [] => Err(NodeError::invalid(
                    field,
                    format!(
                        "nobody{} is scheduled on {d}",
                        if who.is_empty() {
                            String::new()
                        } else {
                            format!(" named {who}")
                        }
                    ),
                )),
                _ => Err(NodeError::invalid(
                    "from_leader",
                    format!("several leaders are on {d}: name the one to change"),
                )),
            }
        };
        let first = |d: NaiveDate| -> Result<(), NodeError> {
            if d <= today {
                return Err(NodeError::Rule {
                    rule: "adjust.before_the_day",
                    message: format!(
                        "{d} is not in the future (today is {today}): adjustments are recorded before the day; an absence is recorded as attendance (缺岗)"
                    ),
                });
            }
            Ok(())
        };
        first(date)?;
        let body = if !req.swap_date.trim().is_empty() {
            let other = parse_date("swap_date", &req.swap_date)?;
            if !month.contains(other) {
                return Err(NodeError::invalid(
                    "swap_date",
                    format!("{other} is outside {month}"),
                ));
            }
            first(other)?;
            let a = on(date, req.from_leader.trim(), "date")?;
            let b = on(other, req.leader.trim(), "swap_date")?;
            if a.leader == b.leader {
                return Err(NodeError::invalid(
                    "swap_date",
                    format!("{} is on both days", a.leader),
                ));
            }
            RecordBody::Swap {
                date,
                leader: a.leader,
                other,
                other_leader: b.leader,
                reason,
            }
        } else {
            let to = req.leader.trim();
            if to.is_empty() {
                return Err(NodeError::invalid(
                    "leader",
                    "name the leader who takes the day, or give a swap date",
                ));
            }
            let roster = self.roster(&unit).await?;
            let l = roster
                .iter()
                .find(|l| l.name == to && l.active)
                .ok_or_else(|| {
                    NodeError::invalid(
                        "leader",
                        format!("unknown leader {to:?}: not on the roster"),
                    )
                })?;
            let a = on(date, req.from_leader.trim(), "date")?;
            if entries.iter().any(|e| e.date == date && e.leader == to) {
                return Err(NodeError::invalid(
                    "leader",
                    format!("{to} is already on {date}"),
                ));
            }
            RecordBody::Replace {
                date,
                from: a.leader,
                to: l.name.clone(),
                to_position: l.position.clone(),
                reason,
            }
        };
        self.add_filed_record(&unit, month, body, operator).await?;
        self.view(&unit, month).await
    }

    pub async fn record_attendance(
        &self,
        req: pb::AttendanceRequest,
        operator: &str,
    ) -> Result<pb::ScheduleView, NodeError> {
        let unit = self.own_unit(&req.unit)?;
        let date = parse_date("date", &req.date)?;
        let month = Month::of(date);
        let f = self.require_filed(&unit, month).await?;
        let today = self.today();
        if date > today {
            return Err(NodeError::Rule {
                rule: "attendance.not_yet",
                message: format!("{date} has not come yet (today is {today})"),
            });
        }
        let leader = req.leader.trim();
        let scheduled = filing::effective(&f)
            .iter()
            .chain(f.entries.iter())
            .any(|e| e.date == date && e.leader == leader);
        if !scheduled {
            return Err(NodeError::invalid(
                "leader",
                format!("{leader:?} is not scheduled on {date}"),
            ));
        }
        let reason = opt(&text("reason", &req.reason, MAX_TEXT_CHARS)?);
        if !req.held && reason.is_none() {
            return Err(NodeError::invalid(
                "reason",
                "a missed reception (缺岗) needs its reason",
            ));
        }
        if !req.held && (req.visitors > 0 || !req.cases.is_empty()) {
            return Err(NodeError::invalid(
                "visitors",
                "a missed reception received no visitors",
            ));
        }
        let mut cases = Vec::new();
        for c in &req.cases {
            let c = c.trim();
            let held = self.hub.get(c).await?;
            let Some(h) = held else {
                return Err(NodeError::invalid(
                    "cases",
                    format!("case {c} is not held at this node"),
                ));
            };
            let Some(hd) = crate::case::header(&h.loaded.doc) else {
                return Err(NodeError::invalid("cases", format!("{c} is not a case")));
            };
            if &hd.registered_by != self.hub.me() || hd.received != date {
                return Err(NodeError::invalid(
                    "cases",
                    format!(
                        "case {c} was registered by {} on {}, not here on {date}",
                        hd.registered_by, hd.received
                    ),
                ));
            }
            cases.push(c.to_owned());
        }
        if req.resolved_on_spot as usize > cases.len().max(req.visitors as usize) {
            return Err(NodeError::invalid(
                "resolved_on_spot",
                "more resolved than received",
            ));
        }
        self.add_filed_record(
            &unit,
            month,
            RecordBody::Attendance {
                date,
                leader: leader.to_owned(),
                held: req.held,
                visitors: req.visitors,
                cases,
                resolved_on_spot: req.resolved_on_spot,
                reason,
            },
            operator,
        )
        .await?;
        self.view(&unit, month).await
    }

    // --- views ----------------------------------------------------------------

    pub async fn view(&self, unit: &UnitCode, month: Month) -> Result<pb::ScheduleView, NodeError> {
        let set = self.sets.of(unit).clone();
        let deadline = filing::deadline_end(&set, month);
        let now = self.now();
        let mut v = pb::ScheduleView {
            unit: unit.to_string(),
            unit_name: self.unit_name(unit),
            month: month.to_string(),
            rules: set.name.clone(),
            deadline: set.filing.deadline_for(month).to_string(),
            ..Default::default()
        };
        let (entries, received) = match self.filed(unit, month).await? {
            Some((f, at)) => {
                let entries = filing::effective(&f);
                v.state = if filing::published_at(&f).is_some() {
                    "published"
                } else {
                    "approved"
                }
                .into();
                v.review = f.review.as_ref().map(decision_pb);
                v.approval = Some(decision_pb(&f.approval));
                v.published_at = filing::published_at(&f).map(rfc3339).unwrap_or_default();
                v.adjustments = filing::adjustments(&f)
                    .into_iter()
                    .map(adjustment_pb)
                    .collect();
                v.attendance = filing::attendance(&f)
                    .into_iter()
                    .map(|a| attendance_pb(a.record))
                    .collect();
                v.flags = filing::flags(&f, self.today())
                    .into_iter()
                    .map(flag_pb)
                    .collect();
                (entries, Some(at))
            }
            None => {
                let draft = if unit == self.hub.me() {
                    self.load_draft(unit, month).await?
                } else {
                    None
                };
                match draft {
                    Some(d) => {
                        v.state = d.state.clone();
                        v.review = d.review.as_ref().map(decision_pb);
                        (d.entries, None)
                    }
                    None if unit == self.hub.me() => {
                        return Err(NodeError::NotFound(format!(
                            "no schedule of {unit} for {month}: start one with `schedule draft` or `schedule import`"
                        )));
                    }
                    None => {
                        v.state = "none".into();
                        (Vec::new(), None)
                    }
                }
            }
        };
        if !entries.is_empty() {
            let eval = self.evaluate(unit, month, &entries).await?;
            v.violations = eval.violations.iter().map(violation_pb).collect();
            v.warnings = eval.warnings;
        }
        v.entries = entries.iter().map(|e| self.entry_pb(e)).collect();
        v.received_at = received.map(rfc3339).unwrap_or_default();
        v.filing_status = filing::status(received, deadline, now).code().into();
        Ok(v)
    }

    fn entry_pb(&self, e: &Entry) -> pb::ScheduleEntry {
        pb::ScheduleEntry {
            date: e.date.to_string(),
            leader: e.leader.clone(),
            position: e.position.clone(),
            place: e.place.clone(),
            form: e.form.clone(),
            form_name: self
                .rules
                .taxonomy
                .reception_form(&e.form)
                .map(|f| f.name.clone())
                .unwrap_or_default(),
            topic: e.topic.clone().unwrap_or_default(),
            note: e.note.clone().unwrap_or_default(),
            non_working_day: e.non_working_day_override,
        }
    }

    pub async fn export(&self, req: pb::ExportRequest) -> Result<pb::ExportReply, NodeError> {
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
                format!("{other:?}: export takes csv, xlsx or html"),
            )),
        }
    }

    // --- filing board ------------------------------------------------------------

    pub async fn filings(&self, req: pb::FilingsRequest) -> Result<pb::FilingBoard, NodeError> {
        let now = self.now();
        let month = if req.month.trim().is_empty() {
            Month::of(filing::local_day(now)).next()
        } else {
            parse_month(&req.month)?
        };
        let root = self.visible_unit(&req.unit)?;
        let topo = self.topology().clone();
        let me = self.hub.me().clone();
        let order: Vec<_> = topo
            .tree_order(&root)
            .iter()
            .filter_map(|c| topo.unit(c).cloned())
            .collect();
        let mut rows = Vec::new();
        for u in &order {
            if u.code == me || !topo.in_subtree(&root, &u.code) {
                continue;
            }
            let set = self.sets.of(&u.code).clone();
            let deadline = filing::deadline_end(&set, month);
            let mut row = pb::FilingRow {
                unit: u.code.to_string(),
                unit_name: u.name.clone(),
                parent: u
                    .parent
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
                tier: u.tier.as_str().to_owned(),
                month: month.to_string(),
                deadline: set.filing.deadline_for(month).to_string(),
                rules: set.name.clone(),
                ..Default::default()
            };
            let filed = self.filed(&u.code, month).await?;
            let received = filed.as_ref().map(|(_, at)| *at);
            row.status = filing::status(received, deadline, now).code().into();
            if let Some((f, at)) = filed {
                row.received_at = rfc3339(at);
                row.approved_at = rfc3339(f.approval.at);
                row.override_reason = f.approval.override_reason.clone().unwrap_or_default();
                row.adjustments = filing::adjustments(&f).len() as u32;
                row.flags = filing::flags(&f, filing::local_day(now))
                    .into_iter()
                    .map(flag_pb)
                    .collect();
                let eval = self
                    .evaluate(&u.code, month, &filing::effective(&f))
                    .await?;
                row.violations = eval.violations.iter().map(violation_pb).collect();
            }
            rows.push(row);
        }
        let quarter = Quarter::of(month);
        let mut q = Vec::new();
        for u in &order {
            if u.code == me || !topo.in_subtree(&root, &u.code) {
                continue;
            }
            if let Some(h) = self.hub.get(&docs::quarterly_id(&u.code, quarter)).await? {
                q.push(pb::QuarterlyFiling {
                    unit: u.code.to_string(),
                    unit_name: u.name.clone(),
                    quarter: quarter.to_string(),
                    received_at: DateTime::from_timestamp_millis(h.first_seen_ms)
                        .map(rfc3339)
                        .unwrap_or_default(),
                });
            }
        }
        Ok(pb::FilingBoard {
            as_of: rfc3339(now),
            month: month.to_string(),
            rows,
            quarterly: q,
        })
    }

    /// Overdue filings below this node, for `status` and the log: nobody has to ask.
    pub async fn missing_filings(&self) -> Result<Vec<pb::FilingRow>, NodeError> {
        let now = self.now();
        let board = self
            .filings(pb::FilingsRequest {
                month: Month::of(filing::local_day(now)).next().to_string(),
                unit: String::new(),
            })
            .await?;
        Ok(board
            .rows
            .into_iter()
            .filter(|r| r.status == FilingStatus::Missing.code())
            .collect())
    }

    /// A unit's receptions in a month from its filed schedule: days scheduled,
    /// held, missed, unrecorded (past), visitors, cases registered at receptions.
    pub async fn reception_stats(
        &self,
        unit: &UnitCode,
        month: Month,
    ) -> Result<Option<[u32; 6]>, NodeError> {
        let Some((f, _)) = self.filed(unit, month).await? else {
            return Ok(None);
        };
        let mut s = [0u32; 6];
        s[0] = filing::effective(&f).len() as u32;
        for a in filing::attendance(&f) {
            if let RecordBody::Attendance {
                held,
                visitors,
                cases,
                ..
            } = &a.record.body
            {
                if *held {
                    s[1] += 1;
                } else {
                    s[2] += 1;
                }
                s[4] += visitors;
                s[5] += cases.len() as u32;
            }
        }
        s[3] = filing::flags(&f, self.today())
            .iter()
            .filter(|x| x.kind == "unrecorded")
            .count() as u32;
        Ok(Some(s))
    }

    // --- quarterly register ----------------------------------------------------------

    pub async fn generate_quarterly(
        &self,
        req: pb::QuarterRequest,
    ) -> Result<pb::QuarterlyView, NodeError> {
        let unit = self.own_unit(&req.unit)?;
        let quarter: Quarter = req
            .quarter
            .parse()
            .map_err(|e: String| NodeError::invalid("quarter", e))?;
        let today = self.today();
        if today <= quarter.last_day() {
            return Err(NodeError::Rule {
                rule: "quarterly.after_quarter_end",
                message: format!(
                    "{quarter} ends on {}; the register is generated after it",
                    quarter.last_day()
                ),
            });
        }
        self.generate_quarterly_for(&unit, quarter).await
    }

    async fn generate_quarterly_for(
        &self,
        unit: &UnitCode,
        quarter: Quarter,
    ) -> Result<pb::QuarterlyView, NodeError> {
        let mut filed = Vec::new();
        for m in quarter.months() {
            if let Some((f, _)) = self.filed(unit, m).await? {
                filed.push(f);
            }
        }
        let roster = self.roster(unit).await?;
        let mut cases = BTreeMap::new();
        for f in &filed {
            for a in filing::attendance(f) {
                if let RecordBody::Attendance { cases: list, .. } = &a.record.body {
                    for c in list {
                        if let Some(h) = self.hub.get(c).await? {
                            let mut d = h.loaded.doc;
                            if let Ok(view) = crate::case::read(&mut d, c) {
                                let det = crate::case::read_details(&d);
                                let status: Option<(String,)> = sqlx::query_as(
                                    "SELECT status FROM node_cases WHERE case_no = $1",
                                )
                                .bind(c)
                                .fetch_optional(self.db.pool())
                                .await?;
                                cases.insert(
                                    c.clone(),
                                    quarterly::CaseFacts {
                                        petitioner: view.petitioner,
                                        content: view.content,
                                        category: det.category.unwrap_or_default(),
                                        status: status.map(|s| s.0).unwrap_or_default(),
                                    },
                                );
                            }
                        }
                    }
                }
            }
        }
        let mut register = quarterly::build(quarter, &filed, &roster, &cases, &self.rules.taxonomy);
        register.unit = unit.to_string();
        register.unit_name = self.unit_name(unit);
        register.generated_at = rfc3339(self.now());
        let id = docs::quarterly_id(unit, quarter);
        let create = if self.hub.get(&id).await?.is_some() {
            Create::Existing
        } else {
            Create::New
        };
        self.hub
            .update(&id, create, |d| {
                docs::write_quarterly(d, &id, unit, quarter, &register)
            })
            .await?;
        self.quarterly_view(unit, quarter).await
    }

    async fn quarterly_view(
        &self,
        unit: &UnitCode,
        quarter: Quarter,
    ) -> Result<pb::QuarterlyView, NodeError> {
        let h = self
            .hub
            .get(&docs::quarterly_id(unit, quarter))
            .await?
            .ok_or_else(|| {
                NodeError::NotFound(format!(
                    "no quarterly register of {unit} for {quarter} is held here"
                ))
            })?;
        let reg: quarterly::Register = docs::read_quarterly(&h.loaded.doc).ok_or_else(|| {
            NodeError::Internal(format!(
                "{} is unreadable",
                docs::quarterly_id(unit, quarter)
            ))
        })?;
        let mut v = reg.to_pb();
        v.received_at = DateTime::from_timestamp_millis(h.first_seen_ms)
            .map(rfc3339)
            .unwrap_or_default();
        Ok(v)
    }

    pub async fn get_quarterly(
        &self,
        req: pb::QuarterRequest,
    ) -> Result<pb::QuarterlyView, NodeError> {
        let unit = self.visible_unit(&req.unit)?;
        let quarter: Quarter = req
            .quarter
            .parse()
            .map_err(|e: String| NodeError::invalid("quarter", e))?;
        self.quarterly_view(&unit, quarter).await
    }

    pub async fn export_quarterly(
        &self,
        req: pb::QuarterRequest,
    ) -> Result<pb::ExportReply, NodeError> {
        let v = self.get_quarterly(req).await?;
        let bytes = quarterly::export_xlsx(&v).map_err(|e| NodeError::Internal(e.to_string()))?;
        Ok(pb::ExportReply {
            file_name: format!("{}-{}-register.xlsx", v.unit, v.quarter),
            content_type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                .into(),
            content: bytes,
        })
    }

    /// At quarter end the node generates the register of the quarter just ended
    /// (once) and it files upward like a schedule.
    pub async fn quarter_end_duty(&self) -> Result<Option<Quarter>, NodeError> {
        let me = self.hub.me().clone();
        let quarter = Quarter::of(Month::of(self.today())).prev();
        if self
            .hub
            .get(&docs::quarterly_id(&me, quarter))
            .await?
            .is_some()
        {
            return Ok(None);
        }
        // Only units that keep schedules here file registers: a node that never
        // filed a schedule in the quarter has nothing to register.
        let mut any = false;
        for m in quarter.months() {
            any |= self.filed(&me, m).await?.is_some();
        }
        if !any {
            return Ok(None);
        }
        self.generate_quarterly_for(&me, quarter).await?;
        Ok(Some(quarter))
    }

    /// Runs the quarter-end duty now and then, and logs overdue filings below.
    pub async fn run(self: Arc<Self>, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        let mut reported: BTreeSet<(String, String)> = BTreeSet::new();
        loop {
            match self.quarter_end_duty().await {
                Ok(Some(q)) => {
                    tracing::info!(quarter = %q, "quarterly reception register generated and filed")
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "quarterly register"),
            }
            match self.missing_filings().await {
                Ok(rows) => {
                    for r in rows {
                        if reported.insert((r.unit.clone(), r.month.clone())) {
                            tracing::warn!(unit = %r.unit, name = %r.unit_name, month = %r.month, deadline = %r.deadline, "schedule filing missing past its deadline");
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "filing board"),
            }
            tokio::select! {
                _ = shutdown.wait_for(|s| *s) => return,
                _ = tokio::time::sleep(std::time::Duration::from_secs(600)) => {}
            }
        }
    }
}

fn roster_pb(unit: &UnitCode, leaders: &[Leader]) -> pb::Roster {
    pb::Roster {
        unit: unit.to_string(),
        leaders: leaders
            .iter()
            .map(|l| pb::Leader {
                name: l.name.clone(),
                position: l.position.clone(),
                portfolio: l.portfolio.clone(),
                role: l.role.code().into(),
                active: l.active,
            })
            .collect(),
    }
}

pub fn violation_pb(v: &Violation) -> pb::Violation {
    pb::Violation {
        rule: v.rule.clone(),
        message: v.message.clone(),
        message_en: v.message_en.clone(),
        leader: v.leader.clone().unwrap_or_default(),
        date: v.date.map(|d| d.to_string()).unwrap_or_default(),
        period: v.period.clone(),
        required: v.required,
        actual: v.actual,
    }
}

fn decision_pb(d: &Decision) -> pb::Decision {
    pb::Decision {
        by: d.by.clone().unwrap_or_default(),
        recorded_by: d.recorded_by.clone(),
        at: rfc3339(d.at),
        override_reason: d.override_reason.clone().unwrap_or_default(),
        violations: d.violations.iter().map(violation_pb).collect(),
    }
}

fn adjustment_pb(r: &ScheduleRecord) -> pb::Adjustment {
    let mut a = pb::Adjustment {
        id: r.id.clone(),
        recorded_at: rfc3339(r.at),
        ..Default::default()
    };
    match &r.body {
        RecordBody::Replace {
            date,
            from,
            to,
            reason,
            ..
        } => {
            a.kind = "replace".into();
            a.date = date.to_string();
            a.from_leader = from.clone();
            a.to_leader = to.clone();
            a.reason = reason.clone();
        }
        RecordBody::Swap {
            date,
            leader,
            other,
            other_leader,
            reason,
        } => {
            a.kind = "swap".into();
            a.date = date.to_string();
            a.from_leader = leader.clone();
            a.to_leader = other_leader.clone();
            a.swap_date = other.to_string();
            a.reason = reason.clone();
        }
        _ => {}
    }
    a
}

fn adjustment_line(r: &ScheduleRecord) -> String {
    let a = adjustment_pb(r);
    if a.kind == "swap" {
        format!(
            "{} {} 与 {} {} 对调（{}）",
            a.date, a.from_leader, a.swap_date, a.to_leader, a.reason
        )
    } else {
        format!(
            "{} 由 {} 接替 {}（{}）",
            a.date, a.to_leader, a.from_leader, a.reason
        )
    }
}

fn attendance_pb(r: &ScheduleRecord) -> pb::Attendance {
    match &r.body {
        RecordBody::Attendance {
            date,
            leader,
            held,
            visitors,
            cases,
            resolved_on_spot,
            reason,
        } => pb::Attendance {
            date: date.to_string(),
            leader: leader.clone(),
            outcome: if *held { "held" } else { "missed" }.into(),
            visitors: *visitors,
            cases: cases.clone(),
            resolved_on_spot: *resolved_on_spot,
            reason: reason.clone().unwrap_or_default(),
            recorded_at: rfc3339(r.at),
        },
        _ => pb::Attendance::default(),
    }
}

fn flag_pb(f: filing::Flag) -> pb::Flag {
    pb::Flag {
        kind: f.kind.into(),
        date: f.date.to_string(),
        leader: f.leader,
        message: f.message,
    }
}
