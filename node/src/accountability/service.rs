//! Recording, listing, counting and suggesting accountability cases (追责). Every
//! front — the gRPC API, the CLI through it — comes here.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use xinfang_hub::db::Db;
use xinfang_hub::{Create, Hub, UnitCode};
use xinfang_proto::v1 as pb;

use super::situations::AccountabilityRules;
use super::suggest::{self, Facts, Suggestion};
use super::{AccountabilityCase, Evidence, EvidenceLink, Person, check, read, write};
use crate::auth::{Action, Actor, Guard};
use crate::docid::{self, ACCOUNTABILITY_PREFIX};
use crate::error::NodeError;
use crate::labels::{Lang, Said};
use crate::schedule::docs::{self as sched_docs, FiledSchedule, RecordBody};
use crate::schedule::filing;
use crate::schedule::model::Month;
use crate::schedule::service::ScheduleService;

/// How many records a listing reads at most.
const MAX_LISTED: usize = 10_000;
const MAX_REASON_CHARS: usize = 1_000;

pub struct AccountabilityService {
    hub: Hub,
    db: Db,
    guard: Arc<Guard>,
    schedules: Arc<ScheduleService>,
    rules: AccountabilityRules,
}

/// A record as the fronts get it, before labels.
struct Recorded {
    id: String,
    case: AccountabilityCase,
}

impl AccountabilityService {
    pub fn new(
        hub: Hub,
        db: Db,
        guard: Arc<Guard>,
        schedules: Arc<ScheduleService>,
    ) -> AccountabilityService {
        AccountabilityService {
            hub,
            db,
            guard,
            schedules,
            rules: AccountabilityRules::shipped(),
        }
    }

    pub fn guard(&self) -> &Guard {
        &self.guard
    }

    fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.hub.now_ms()).unwrap_or_else(Utc::now)
    }

    fn today(&self) -> NaiveDate {
        filing::local_day(self.now())
    }

    /// Records a case about a unit below this one.
    pub async fn record(
        &self,
        who: &Actor,
        req: pb::RecordAccountabilityRequest,
        lang: Lang,
    ) -> Result<pb::AccountabilityView, NodeError> {
        self.guard
            .authorize(who, Action::RecordAccountability, "")
            .await?;
        let unit = parse_unit("unit", &req.unit)?;
        let mut links = Vec::new();
        for e in req.evidence.iter().filter(|e| !e.trim().is_empty()) {
            links.push(EvidenceLink::parse(e)?);
        }
        let mut evidence = Vec::new();
        for l in &links {
            evidence.push(self.resolve(l).await?);
        }
        let people = req
            .people
            .iter()
            .filter(|p| !p.trim().is_empty())
            .map(|p| Person::parse(p))
            .collect::<Result<Vec<_>, _>>()?;
        let c = self.compose(
            who,
            unit,
            people,
            &req.situation,
            &req.form,
            evidence,
            &req.text,
            &req.date,
            None,
        )?;
        self.store(c, lang).await
    }

    /// Builds a record and checks it whole: the unit, the situation, the form,
    /// the people on the unit's roster, the evidence of the unit's subtree.
    #[allow(clippy::too_many_arguments)]
    fn compose(
        &self,
        who: &Actor,
        unit: UnitCode,
        people: Vec<Person>,
        situation: &str,
        form: &str,
        mut evidence: Vec<Evidence>,
        text: &str,
        date: &str,
        suggestion: Option<String>,
    ) -> Result<AccountabilityCase, NodeError> {
        let now = self.now();
        let date = match date.trim() {
            "" => self.today(),
            d => NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .map_err(|_| NodeError::not_a_date("date", d))?,
        };
        evidence.sort();
        evidence.dedup();
        let mut people = people;
        people.sort();
        people.dedup();
        Ok(AccountabilityCase {
            issuer: self.hub.me().clone(),
            unit,
            people,
            situation: situation.trim().to_owned(),
            form: form.trim().to_owned(),
            evidence,
            text: text.trim().to_owned(),
            suggestion,
            date,
            recorded_at: now,
            recorded_by: who.name.clone(),
        })
    }

    /// Checks and writes a record; the rest of the checks need the node's data.
    async fn store(
        &self,
        c: AccountabilityCase,
        lang: Lang,
    ) -> Result<pb::AccountabilityView, NodeError> {
        let me = self.hub.me().clone();
        let topo = self.hub.topology();
        check(&c, &me, topo, &self.rules)?;
        let roster = self.roster(&c.unit).await?;
        for p in &c.people {
            if let Person::Leader(name) = p
                && !roster.contains(name)
            {
                return Err(NodeError::invalid(
                    "people",
                    Said::new(
                        format!("{name}不在单位{}的领导名册上", c.unit),
                        format!("{name} is not on the roster of {}", c.unit),
                    ),
                ));
            }
        }
        for e in &c.evidence {
            let of: Vec<&UnitCode> = match e {
                Evidence::Case { concerns, .. } => concerns.iter().collect(),
                Evidence::Attendance { unit, .. } | Evidence::Filing { unit, .. } => vec![unit],
            };
            if let Some(u) = of.first()
                && !of.iter().any(|x| topo.in_subtree(&c.unit, x))
            {
                return Err(NodeError::Rule {
                    rule: "accountability.evidence_of_unit",
                    message: format!(
                        "field `evidence`: {} is about {u}, not {} or a unit below it",
                        e.link(),
                        c.unit
                    ),
                });
            }
        }
        let id = docid::new_issued(ACCOUNTABILITY_PREFIX, &me);
        self.hub
            .update(&id, Create::New, |d| write(d, &id, &c))
            .await?;
        Ok(self.view(&Recorded { id, case: c }, lang))
    }

    /// The leaders on `unit`'s roster, as this node holds it.
    async fn roster(&self, unit: &UnitCode) -> Result<BTreeSet<String>, NodeError> {
        Ok(match self.hub.get(&docid::roster(unit)).await? {
            Some(h) => sched_docs::read_roster(&h.loaded.doc)
                .into_iter()
                .map(|l| l.name)
                .collect(),
            None => BTreeSet::new(),
        })
    }

    async fn filed(
        &self,
        unit: &UnitCode,
        month: Month,
    ) -> Result<Option<FiledSchedule>, NodeError> {
        Ok(self
            .hub
            .get(&docid::schedule(unit, month))
            .await?
            .and_then(|h| sched_docs::read_filed(&h.loaded.doc)))
    }

    /// Looks a link up in what this node holds.
    async fn resolve(&self, l: &EvidenceLink) -> Result<Evidence, NodeError> {
        let missing = |zh: String, en: String| {
            NodeError::invalid(
                "evidence",
                Said::new(
                    format!("本机关未存有{zh}"),
                    format!("{en} is not held at this node"),
                ),
            )
        };
        match l {
            EvidenceLink::Case(no) => {
                let no = no.to_string();
                let found = crate::case::lookup::find(&self.hub, &no)
                    .await?
                    .ok_or_else(|| missing(format!("案件{no}"), format!("case {no}")))?;
                Ok(Evidence::Case {
                    case_no: no,
                    concerns: found.held.loaded.scope.into_iter().collect(),
                })
            }
            EvidenceLink::Attendance {
                unit,
                month,
                record,
            } => {
                let f = self.filed(unit, *month).await?.ok_or_else(|| {
                    missing(
                        format!("单位{unit}（{month}）的领导接访安排表"),
                        format!("the schedule of {unit} for {month}"),
                    )
                })?;
                let r = f.records.iter().find(|r| &r.id == record).ok_or_else(|| {
                    missing(
                        format!("单位{unit}（{month}）的到岗记录{record}"),
                        format!("attendance record {record} of {unit} {month}"),
                    )
                })?;
                match &r.body {
                    RecordBody::Attendance {
                        date, leader, held, ..
                    } => Ok(Evidence::Attendance {
                        unit: unit.clone(),
                        month: *month,
                        record: record.clone(),
                        date: *date,
                        leader: leader.clone(),
                        held: *held,
                    }),
                    _ => Err(NodeError::invalid(
                        "evidence",
                        Said::new(
                            format!("单位{unit}（{month}）的记录{record}不是到岗记录"),
                            format!(
                                "record {record} of {unit} {month} is not an attendance record"
                            ),
                        ),
                    )),
                }
            }
            EvidenceLink::AttendanceDay { unit, date, leader } => {
                let month = Month::of(*date);
                let f = self.filed(unit, month).await?.ok_or_else(|| {
                    missing(
                        format!("单位{unit}（{month}）的领导接访安排表"),
                        format!("the schedule of {unit} for {month}"),
                    )
                })?;
                let a = filing::attendance(&f)
                    .into_iter()
                    .find(|a| a.date == *date && a.leader == leader)
                    .ok_or_else(|| {
                        missing(
                            format!("单位{unit}领导{leader}于{date}的到岗记录"),
                            format!("an attendance record of {leader} on {date} at {unit}"),
                        )
                    })?;
                Ok(Evidence::Attendance {
                    unit: unit.clone(),
                    month,
                    record: a.record.id.clone(),
                    date: *date,
                    leader: leader.clone(),
                    held: a.held,
                })
            }
            EvidenceLink::Filing { unit, month } => {
                if !self.hub.topology().contains(unit) {
                    return Err(NodeError::invalid(
                        "evidence",
                        Said::new(
                            format!("{unit}不是本系统内的单位"),
                            format!("{unit} is not a unit of the federation"),
                        ),
                    ));
                }
                Ok(Evidence::Filing {
                    unit: unit.clone(),
                    month: *month,
                })
            }
        }
    }

    /// The records this node holds concerning `unit` (default: this node's),
    /// dated in `from..=to`, newest first.
    pub async fn list(
        &self,
        who: &Actor,
        req: pb::ListAccountabilityRequest,
        lang: Lang,
    ) -> Result<pb::AccountabilityList, NodeError> {
        self.guard.authorize(who, Action::ReadReports, "").await?;
        let out = self.concerning(&req).await?;
        Ok(pb::AccountabilityList {
            cases: out.iter().map(|r| self.view(r, lang)).collect(),
        })
    }

    /// The records counted by unit and situation.
    pub async fn report(
        &self,
        who: &Actor,
        req: pb::ListAccountabilityRequest,
        lang: Lang,
    ) -> Result<pb::AccountabilityReport, NodeError> {
        self.guard.authorize(who, Action::ReadReports, "").await?;
        let out = self.concerning(&req).await?;
        let mut counts: BTreeMap<(UnitCode, String), (u32, u32)> = BTreeMap::new();
        for r in &out {
            let n = counts
                .entry((r.case.unit.clone(), r.case.situation.clone()))
                .or_default();
            n.0 += 1;
            n.1 += r.case.people.len() as u32;
        }
        let topo = self.hub.topology();
        let order = topo.tree_order(topo.root());
        let place = |u: &UnitCode| order.iter().position(|x| x == u).unwrap_or(usize::MAX);
        let mut rows: Vec<_> = counts.into_iter().collect();
        rows.sort_by_key(|((u, s), _)| {
            (
                place(u),
                self.rules
                    .situations
                    .iter()
                    .position(|x| &x.code == s)
                    .unwrap_or(usize::MAX),
            )
        });
        Ok(pb::AccountabilityReport {
            total_cases: rows.iter().map(|(_, n)| n.0).sum(),
            total_people: rows.iter().map(|(_, n)| n.1).sum(),
            rows: rows
                .into_iter()
                .map(|((u, s), (cases, people))| pb::AccountabilityCount {
                    unit_name: self.unit_name(&u),
                    unit: u.to_string(),
                    situation_label: self.rules.situation_label(&s, lang),
                    situation: s,
                    cases,
                    people,
                })
                .collect(),
        })
    }

    async fn concerning(
        &self,
        req: &pb::ListAccountabilityRequest,
    ) -> Result<Vec<Recorded>, NodeError> {
        let topo = self.hub.topology();
        let unit = match req.unit.trim() {
            "" => self.hub.me().clone(),
            u => u
                .parse::<UnitCode>()
                .ok()
                .filter(|u| topo.contains(u))
                .ok_or_else(|| NodeError::not_in_federation("unit", u))?,
        };
        let day = |field: &'static str, v: &str| -> Result<Option<NaiveDate>, NodeError> {
            match v.trim() {
                "" => Ok(None),
                d => NaiveDate::parse_from_str(d, "%Y-%m-%d")
                    .map(Some)
                    .map_err(|_| NodeError::not_a_date(field, d)),
            }
        };
        let (from, to) = (day("from", &req.from)?, day("to", &req.to)?);
        let mut out: Vec<Recorded> = self
            .all()
            .await?
            .into_iter()
            .filter(|r| r.case.issuer == unit || topo.in_subtree(&unit, &r.case.unit))
            .filter(|r| {
                from.is_none_or(|f| r.case.date >= f) && to.is_none_or(|t| r.case.date <= t)
            })
            .collect();
        out.sort_by_key(|r| std::cmp::Reverse((r.case.date, r.case.recorded_at)));
        Ok(out)
    }

    async fn all(&self) -> Result<Vec<Recorded>, NodeError> {
        let ids = self
            .hub
            .ids_with_prefix(ACCOUNTABILITY_PREFIX, MAX_LISTED)
            .await?;
        let mut out = Vec::new();
        for id in ids {
            if let Some(h) = self.hub.get(&id).await?
                && let Some(case) = read(&h.loaded.doc)
            {
                out.push(Recorded { id, case });
            }
        }
        Ok(out)
    }

    /// The suggested cases about units below this one, from the evidence held.
    pub async fn suggest(&self, who: &Actor, lang: Lang) -> Result<pb::SuggestionList, NodeError> {
        self.guard.authorize(who, Action::ReadReports, "").await?;
        Ok(pb::SuggestionList {
            suggestions: self
                .suggestions()
                .await?
                .iter()
                .map(|s| self.suggestion_view(s, lang))
                .collect(),
        })
    }

    async fn suggestions(&self) -> Result<Vec<Suggestion>, NodeError> {
        let facts = self.facts().await?;
        let dismissed: BTreeSet<String> =
            sqlx::query_scalar::<_, String>("SELECT key FROM accountability_dismissals")
                .fetch_all(self.db.pool())
                .await?
                .into_iter()
                .collect();
        let me = self.hub.me().clone();
        let recorded: Vec<AccountabilityCase> = self
            .all()
            .await?
            .into_iter()
            .map(|r| r.case)
            .filter(|c| c.issuer == me)
            .collect();
        let confirmed: BTreeSet<&str> = recorded
            .iter()
            .filter_map(|c| c.suggestion.as_deref())
            .collect();
        let done = |k: &str| dismissed.contains(k) || confirmed.contains(k);
        let mut out = suggest::suggestions(&facts, &self.rules.suggest, self.today(), &done);
        // Evidence already cited together in a record is not suggested again.
        out.retain(|s| {
            !recorded.iter().any(|c| {
                c.unit == s.unit
                    && s.evidence
                        .iter()
                        .all(|e| c.evidence.iter().any(|x| x.link() == e.link()))
            })
        });
        Ok(out)
    }

    /// Empty posts, missing filings and open deadlines of the units below.
    async fn facts(&self) -> Result<Facts, NodeError> {
        let topo = self.hub.topology().clone();
        let me = self.hub.me().clone();
        let today = self.today();
        let since = today - chrono::Duration::days(i64::from(self.rules.suggest.window_days));
        let mut months = vec![Month::of(since)];
        while let Some(last) = months.last().copied()
            && last < Month::of(today)
        {
            months.push(last.next());
        }
        let mut facts = Facts::default();
        for u in topo.tree_order(&me) {
            if u == me {
                continue;
            }
            for m in &months {
                let Some(f) = self.filed(&u, *m).await? else {
                    continue;
                };
                for a in filing::attendance(&f) {
                    if !a.held && !filing::excused(&f, a.date, a.leader) {
                        facts.empty_posts.push(Evidence::Attendance {
                            unit: u.clone(),
                            month: *m,
                            record: a.record.id.clone(),
                            date: a.date,
                            leader: a.leader.to_owned(),
                            held: false,
                        });
                    }
                }
            }
        }
        for row in self.schedules.missing_filings().await? {
            if let (Ok(u), Ok(m)) = (row.unit.parse::<UnitCode>(), row.month.parse::<Month>()) {
                facts.missing_filings.push((u, m));
            }
        }
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT case_no, next_due_unit, next_due FROM node_case_facts
             WHERE next_due IS NOT NULL AND next_due < $1",
        )
        .bind(today.to_string())
        .fetch_all(self.db.pool())
        .await?;
        for (no, unit, due) in rows {
            if let (Ok(u), Ok(d)) = (
                unit.parse::<UnitCode>(),
                NaiveDate::parse_from_str(&due, "%Y-%m-%d"),
            ) && u != me
                && topo.in_subtree(&me, &u)
            {
                facts.deadlines.push((no, u, d));
            }
        }
        Ok(facts)
    }

    async fn find_suggestion(&self, key: &str) -> Result<Suggestion, NodeError> {
        let key = key.trim();
        self.suggestions()
            .await?
            .into_iter()
            .find(|s| s.key == key)
            .ok_or_else(|| {
                NodeError::invalid(
                    "key",
                    Said::new(
                        format!("“{key}”不是现有的追责建议（已不予追责、已确认追责或从未提出）"),
                        format!(
                            "{key:?} is not a current suggestion (dismissed, confirmed or never made)"
                        ),
                    ),
                )
            })
    }

    /// Records the case a suggestion proposes.
    pub async fn confirm(
        &self,
        who: &Actor,
        req: pb::ConfirmSuggestionRequest,
        lang: Lang,
    ) -> Result<pb::AccountabilityView, NodeError> {
        self.guard
            .authorize(who, Action::RecordAccountability, "")
            .await?;
        let s = self.find_suggestion(&req.key).await?;
        let people = if req.people.iter().all(|p| p.trim().is_empty()) {
            s.people.clone()
        } else {
            req.people
                .iter()
                .filter(|p| !p.trim().is_empty())
                .map(|p| Person::parse(p))
                .collect::<Result<Vec<_>, _>>()?
        };
        let situation = match req.situation.trim() {
            "" => s.situation.clone(),
            x => x.to_owned(),
        };
        let text = match req.text.trim() {
            "" => s.reason.clone(),
            t => t.to_owned(),
        };
        let c = self.compose(
            who,
            s.unit.clone(),
            people,
            &situation,
            &req.form,
            s.evidence.clone(),
            &text,
            &req.date,
            Some(s.key.clone()),
        )?;
        self.store(c, lang).await
    }

    /// Dismisses a suggestion with a reason, at this node: not suggested again.
    pub async fn dismiss(
        &self,
        who: &Actor,
        req: pb::DismissSuggestionRequest,
    ) -> Result<pb::DismissalView, NodeError> {
        self.guard
            .authorize(who, Action::RecordAccountability, "")
            .await?;
        let reason = req.reason.trim();
        if reason.is_empty() || reason.chars().count() > MAX_REASON_CHARS {
            return Err(NodeError::invalid(
                "reason",
                Said::new(
                    format!("应说明不予追责的理由，1至{MAX_REASON_CHARS}个字符"),
                    format!("say why, 1 to {MAX_REASON_CHARS} characters"),
                ),
            ));
        }
        let s = self.find_suggestion(&req.key).await?;
        let at = self.now().to_rfc3339();
        sqlx::query(
            "INSERT INTO accountability_dismissals (key, unit, reason, dismissed_by, dismissed_at)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key) DO NOTHING",
        )
        .bind(&s.key)
        .bind(s.unit.to_string())
        .bind(reason)
        .bind(&who.name)
        .bind(&at)
        .execute(self.db.pool())
        .await?;
        Ok(pb::DismissalView {
            key: s.key,
            unit: s.unit.to_string(),
            reason: reason.to_owned(),
            dismissed_by: who.name.clone(),
            dismissed_at: at,
        })
    }

    /// The situations and forms of the rule set.
    pub async fn situations(
        &self,
        who: &Actor,
        lang: Lang,
    ) -> Result<pb::SituationList, NodeError> {
        self.guard.authorize(who, Action::ReadReports, "").await?;
        Ok(pb::SituationList {
            source: self.rules.source.clone(),
            situations: self
                .rules
                .situations
                .iter()
                .map(|s| pb::SituationView {
                    code: s.code.clone(),
                    label: self.rules.situation_label(&s.code, lang),
                    cite: s.cite.clone(),
                })
                .collect(),
            forms: self
                .rules
                .forms
                .iter()
                .map(|f| pb::SituationView {
                    code: f.code.clone(),
                    label: self.rules.form_label(&f.code, lang),
                    cite: f.cite.clone(),
                })
                .collect(),
        })
    }

    fn unit_name(&self, u: &UnitCode) -> String {
        self.hub
            .topology()
            .unit(u)
            .map(|x| x.name.clone())
            .unwrap_or_else(|| u.to_string())
    }

    fn suggestion_view(&self, s: &Suggestion, lang: Lang) -> pb::SuggestionView {
        pb::SuggestionView {
            key: s.key.clone(),
            unit: s.unit.to_string(),
            unit_name: self.unit_name(&s.unit),
            people: s.people.iter().map(Person::link).collect(),
            situation: s.situation.clone(),
            situation_label: self.rules.situation_label(&s.situation, lang),
            evidence: s.evidence.iter().map(evidence_view).collect(),
            reason: s.reason.clone(),
        }
    }

    fn view(&self, r: &Recorded, lang: Lang) -> pb::AccountabilityView {
        let c = &r.case;
        pb::AccountabilityView {
            id: r.id.clone(),
            issuer: c.issuer.to_string(),
            issuer_name: self.unit_name(&c.issuer),
            unit: c.unit.to_string(),
            unit_name: self.unit_name(&c.unit),
            people: c.people.iter().map(Person::link).collect(),
            situation: c.situation.clone(),
            situation_label: self.rules.situation_label(&c.situation, lang),
            form: c.form.clone(),
            form_label: self.rules.form_label(&c.form, lang),
            evidence: c.evidence.iter().map(evidence_view).collect(),
            text: c.text.clone(),
            date: c.date.to_string(),
            recorded_at: c.recorded_at.to_rfc3339(),
            recorded_by: c.recorded_by.clone(),
            suggestion: c.suggestion.clone().unwrap_or_default(),
        }
    }
}

fn evidence_view(e: &Evidence) -> pb::EvidenceView {
    pb::EvidenceView {
        kind: match e {
            Evidence::Case { .. } => "case",
            Evidence::Attendance { .. } => "attendance",
            Evidence::Filing { .. } => "filing",
        }
        .to_owned(),
        link: e.link(),
        text: e.describe(),
    }
}

fn parse_unit(field: &'static str, v: &str) -> Result<UnitCode, NodeError> {
    v.trim()
        .parse::<UnitCode>()
        .map_err(|e| NodeError::not_unit_code(field, v, &e))
}
