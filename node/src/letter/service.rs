//! Drafting, acknowledging and listing responsibility letters, progress against
//! their targets and the year's assessment. Every front — the gRPC API, the CLI
//! through it — comes here; the figures are measured by the report service
//! (`ReportService::measure`) and judged by [`super::score`].

use std::sync::Arc;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use xinfang_hub::{Create, Hub, UnitCode};
use xinfang_proto::v1 as pb;

use super::assessment::{self, FiledAssessment};
use super::score::{self, Measured, Score, Verdict};
use super::{Acknowledgement, CountKind, Letter, Target, check, read, read_ack, write, write_ack};
use crate::auth::{Action, Actor, Guard};
use crate::docid::{self, LETTER_PREFIX};
use crate::error::NodeError;
use crate::labels::{Label, Lang, Said};
use crate::report::service::{Measures, ReportService};

/// How many letters a listing reads at most.
const MAX_LISTED: usize = 10_000;

pub struct LetterService {
    hub: Hub,
    guard: Arc<Guard>,
    reports: Arc<ReportService>,
}

fn unit_code(field: &'static str, v: &str) -> Result<UnitCode, NodeError> {
    v.trim()
        .parse::<UnitCode>()
        .map_err(|e| NodeError::not_unit_code(field, v, &e))
}

/// A target as asked on the wire.
fn target(t: &pb::LetterTarget) -> Result<Target, NodeError> {
    match t.kind.trim() {
        "rate" => Ok(Target::Rate {
            code: t.code.trim().to_owned(),
            threshold: t.threshold,
        }),
        k => match CountKind::from_code(k) {
            Some(what) => Ok(Target::Count {
                what,
                ceiling: t.ceiling,
            }),
            None => Err(NodeError::invalid(
                "targets.kind",
                Said::new(
                    format!(
                        "目标类别“{k}”应为rate（比率）、skip_level（越级访）、\
                         repeat_count（重复访）、group（集体访）、\
                         late_filings（接访安排逾期未备案月数）或quota_violations（接访安排违规数）"
                    ),
                    format!(
                        "{k:?}: rate, skip_level, repeat_count, group, late_filings or quota_violations"
                    ),
                ),
            )),
        },
    }
}

fn wire_target(t: &Target) -> pb::LetterTarget {
    match t {
        Target::Rate { code, threshold } => pb::LetterTarget {
            kind: "rate".into(),
            code: code.clone(),
            threshold: *threshold,
            ceiling: 0,
        },
        Target::Count { what, ceiling } => pb::LetterTarget {
            kind: what.code().into(),
            code: String::new(),
            threshold: 0.0,
            ceiling: *ceiling,
        },
    }
}

fn target_view(t: &Target, lang: Lang) -> pb::TargetView {
    pb::TargetView {
        target: Some(wire_target(t)),
        name: t.name(lang),
        bound: t.bound_text(),
    }
}

/// One verdict as people read it.
fn progress_view(v: &Verdict, lang: Lang) -> pb::TargetProgress {
    let (value, measured, has_value, n, d) = match v.measured {
        Measured::Rate {
            value,
            numerator,
            denominator,
        } => (
            match value {
                Some(x) => format!("{:.1}% ({numerator}/{denominator})", x * 100.0),
                None => "—".to_owned(),
            },
            value.unwrap_or(0.0),
            value.is_some(),
            numerator,
            denominator,
        ),
        Measured::Count(c) => (c.to_string(), c as f64, true, c, 0),
        Measured::Unknown => ("—".to_owned(), 0.0, false, 0, 0),
    };
    let (code, label) = match v.met {
        Some(true) => ("met", Label::new("完成", "met")),
        Some(false) => ("missed", Label::new("未完成", "missed")),
        None => ("not_assessed", Label::new("无数据", "no cases")),
    };
    pb::TargetProgress {
        target: Some(target_view(&v.target, lang)),
        value,
        measured,
        has_value,
        numerator: n,
        denominator: d,
        verdict: code.into(),
        verdict_label: label.get(lang).into(),
        margin: v.margin.unwrap_or(0.0),
    }
}

/// The figure a target is measured on.
fn measured_for(t: &Target, m: &Measures) -> Measured {
    match t {
        Target::Rate { code, .. } => {
            let r = m.rates.iter().find(|r| r.code == code.as_str());
            Measured::Rate {
                value: r.and_then(|r| r.value),
                numerator: r.map_or(0, |r| r.numerator),
                denominator: r.map_or(0, |r| r.denominator),
            }
        }
        Target::Count { what, .. } => match what {
            CountKind::SkipLevel => Measured::Count(m.skip_level),
            CountKind::Repeat => Measured::Count(m.repeat),
            CountKind::Group => Measured::Count(m.group),
            CountKind::LateFilings => m
                .filings
                .map_or(Measured::Unknown, |f| Measured::Count(f.late_or_missing)),
            CountKind::QuotaViolations => m
                .filings
                .map_or(Measured::Unknown, |f| Measured::Count(f.violations)),
        },
    }
}

impl LetterService {
    pub fn new(hub: Hub, guard: Arc<Guard>, reports: Arc<ReportService>) -> LetterService {
        LetterService {
            hub,
            guard,
            reports,
        }
    }

    pub fn guard(&self) -> &Guard {
        &self.guard
    }

    fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.hub.now_ms()).unwrap_or_else(Utc::now)
    }

    fn name(&self, u: &UnitCode) -> String {
        self.hub
            .topology()
            .unit(u)
            .map(|x| x.name.clone())
            .unwrap_or_else(|| u.to_string())
    }

    /// Drafts, or redrafts, this unit's letter to a unit below it for a year.
    pub async fn draft(
        &self,
        who: &Actor,
        req: pb::DraftLetterRequest,
        lang: Lang,
    ) -> Result<pb::LetterView, NodeError> {
        self.guard.authorize(who, Action::DraftLetter, "").await?;
        let me = self.hub.me().clone();
        let l = Letter {
            issuer: me.clone(),
            unit: unit_code("unit", &req.unit)?,
            year: req.year,
            targets: req.targets.iter().map(target).collect::<Result<_, _>>()?,
            measures: req.measures.trim().to_owned(),
            drafted_at: self.now(),
            drafted_by: who.name.clone(),
        };
        check(&l, &me, self.hub.topology())?;
        let id = docid::letter(&me, &l.unit, l.year);
        let create = match self.hub.get(&id).await? {
            Some(_) => Create::Existing,
            None => Create::New,
        };
        self.hub.update(&id, create, |d| write(d, &id, &l)).await?;
        self.guard
            .audit_allowed(
                who,
                "letter.draft",
                &id,
                &format!("{} targets", l.targets.len()),
            )
            .await;
        Ok(self.view(&id, &l, None, lang))
    }

    /// This unit's principal leader acknowledges a superior's letter.
    pub async fn acknowledge(
        &self,
        who: &Actor,
        req: pb::AcknowledgeLetterRequest,
        lang: Lang,
    ) -> Result<pb::LetterView, NodeError> {
        self.guard
            .authorize(who, Action::AcknowledgeLetter, "")
            .await?;
        let me = self.hub.me().clone();
        let issuer = match req.issuer.trim() {
            "" => self.hub.topology().parent(&me).cloned().ok_or_else(|| {
                NodeError::invalid(
                    "issuer",
                    Said::new(
                        "本单位没有上级单位，应写明下达责任书的单位",
                        "this unit has no superior: name the issuer",
                    ),
                )
            })?,
            i => unit_code("issuer", i)?,
        };
        let id = docid::letter(&issuer, &me, req.year);
        let letter = self.letter(&id).await?.ok_or_else(|| {
            NodeError::NotFound(format!(
                "no letter of {issuer} to {me} for {} is held here",
                req.year
            ))
        })?;
        let a = Acknowledgement {
            unit: me.clone(),
            issuer: issuer.clone(),
            year: req.year,
            letter_drafted_at: letter.drafted_at,
            acknowledged_at: self.now(),
            acknowledged_by: who.name.clone(),
        };
        let ack_id = docid::letter_ack(&me, &issuer, req.year);
        let create = match self.hub.get(&ack_id).await? {
            Some(_) => Create::Existing,
            None => Create::New,
        };
        self.hub
            .update(&ack_id, create, |d| write_ack(d, &ack_id, &a))
            .await?;
        Ok(self.view(&id, &letter, Some(&a), lang))
    }

    /// The letters this node holds set by `unit` or for it (default: this unit).
    pub async fn list(
        &self,
        who: &Actor,
        req: pb::ListLettersRequest,
        lang: Lang,
    ) -> Result<pb::LetterList, NodeError> {
        self.guard.authorize(who, Action::ReadReports, "").await?;
        let unit = match req.unit.trim() {
            "" => self.hub.me().clone(),
            u => unit_code("unit", u)?,
        };
        let mut out = Vec::new();
        for (id, l) in self.all().await? {
            if (l.issuer == unit || l.unit == unit) && (req.year == 0 || l.year == req.year) {
                let ack = self.ack_of(&l).await?;
                out.push(self.view(&id, &l, ack.as_ref(), lang));
            }
        }
        out.sort_by(|a, b| (b.year, &a.unit).cmp(&(a.year, &b.unit)));
        Ok(pb::LetterList { letters: out })
    }

    /// Progress against one letter's targets over its year to date.
    pub async fn progress(
        &self,
        who: &Actor,
        req: pb::LetterProgressRequest,
        lang: Lang,
    ) -> Result<pb::LetterProgress, NodeError> {
        self.guard.authorize(who, Action::ReadReports, "").await?;
        let unit = match req.unit.trim() {
            "" => self.hub.me().clone(),
            u => unit_code("unit", u)?,
        };
        let issuer = match req.issuer.trim() {
            "" => self.hub.topology().parent(&unit).cloned().ok_or_else(|| {
                NodeError::invalid(
                    "issuer",
                    Said::new("应写明下达责任书的单位", "name the issuing unit"),
                )
            })?,
            i => unit_code("issuer", i)?,
        };
        let id = docid::letter(&issuer, &unit, req.year);
        let l = self
            .letter(&id)
            .await?
            .ok_or_else(|| NodeError::NotFound(format!("no letter {id} is held here")))?;
        let (from, to) = self.year_to_date(l.year, None)?;
        let s = self.score(&l, from, to).await?;
        let ack = self.ack_of(&l).await?;
        Ok(pb::LetterProgress {
            letter: Some(self.view(&id, &l, ack.as_ref(), lang)),
            from: from.to_string(),
            to: to.to_string(),
            targets: s.verdicts.iter().map(|v| progress_view(v, lang)).collect(),
        })
    }

    /// Scores every unit this unit set a letter for in `year`, ranked.
    pub async fn assess(
        &self,
        who: &Actor,
        req: pb::AssessRequest,
        lang: Lang,
    ) -> Result<pb::Assessment, NodeError> {
        self.guard.authorize(who, Action::DraftLetter, "").await?;
        let a = self.compute(who, &req).await?;
        Ok(self.assessment_view(&a, lang, false))
    }

    /// As [`Self::assess`], and files the result (`assessment/<issuer>/<year>`),
    /// replicated down to each unit assessed.
    pub async fn file(
        &self,
        who: &Actor,
        req: pb::AssessRequest,
        lang: Lang,
    ) -> Result<pb::Assessment, NodeError> {
        self.guard.authorize(who, Action::DraftLetter, "").await?;
        let a = self.compute(who, &req).await?;
        if a.ranked.is_empty() {
            return Err(NodeError::Rule {
                rule: "assessment.letters",
                message: format!(
                    "field `year`: {} set no responsibility letter for {}: nothing to assess",
                    a.issuer, a.year
                ),
            });
        }
        let id = docid::assessment(&a.issuer, a.year);
        let create = match self.hub.get(&id).await? {
            Some(_) => Create::Existing,
            None => Create::New,
        };
        self.hub
            .update(&id, create, |d| assessment::write(d, &id, &a))
            .await?;
        self.guard
            .audit_allowed(
                who,
                "assessment.file",
                &id,
                &format!("{} units", a.ranked.len()),
            )
            .await;
        Ok(self.assessment_view(&a, lang, true))
    }

    /// A filed assessment held here, as its XLSX or PDF table.
    pub async fn export(
        &self,
        who: &Actor,
        req: pb::ExportAssessmentRequest,
    ) -> Result<pb::AssessmentFile, NodeError> {
        self.guard.authorize(who, Action::ReadReports, "").await?;
        let issuer = match req.issuer.trim() {
            "" => self.hub.me().clone(),
            i => unit_code("issuer", i)?,
        };
        let id = docid::assessment(&issuer, req.year);
        let a = self
            .hub
            .get(&id)
            .await?
            .and_then(|h| assessment::read(&h.loaded.doc))
            .ok_or_else(|| NodeError::NotFound(format!("no filed assessment {id} is held here")))?;
        let name = |u: &UnitCode| self.name(u);
        let t = assessment::table(&a, &name);
        let stem = format!("{}-{}-assessment", a.issuer, a.year);
        match req.format.trim() {
            "xlsx" | "" => Ok(pb::AssessmentFile {
                file_name: format!("{stem}.xlsx"),
                content_type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                    .into(),
                content: crate::sheets::to_xlsx(std::slice::from_ref(&t))
                    .map_err(|e| NodeError::Internal(e.to_string()))?,
            }),
            "pdf" => {
                let fonts = crate::notice::fonts::NoticeFonts::find()?;
                let date = crate::case::local_day(a.filed_at).to_string();
                let issuer_name = self.name(&a.issuer);
                Ok(pb::AssessmentFile {
                    file_name: format!("{stem}.pdf"),
                    content_type: "application/pdf".into(),
                    content: crate::notice::pdf::render_laid_out(&fonts, |m| {
                        super::assessment_pdf::lay_out(m, &t, &issuer_name, &date)
                    })?,
                })
            }
            other => Err(NodeError::invalid(
                "format",
                Said::new(
                    format!("“{other}”：格式应为xlsx或pdf"),
                    format!("{other:?}: write xlsx or pdf"),
                ),
            )),
        }
    }

    /// Scores and ranks the units this unit set letters for in the asked year.
    async fn compute(
        &self,
        who: &Actor,
        req: &pb::AssessRequest,
    ) -> Result<FiledAssessment, NodeError> {
        let period = match (req.from.trim(), req.to.trim()) {
            ("", "") => None,
            (f, t) => {
                let day = |field: &'static str, v: &str| {
                    NaiveDate::parse_from_str(v, "%Y-%m-%d")
                        .map_err(|_| NodeError::not_a_date(field, v))
                };
                Some((day("from", f)?, day("to", t)?))
            }
        };
        let (from, to) = self.year_to_date(req.year, period)?;
        let me = self.hub.me().clone();
        let mut scores = Vec::new();
        let mut acknowledged = Vec::new();
        for (_, l) in self.all().await? {
            if l.issuer == me && l.year == req.year {
                scores.push(self.score(&l, from, to).await?);
                if self.ack_of(&l).await?.is_some() {
                    acknowledged.push(l.unit.clone());
                }
            }
        }
        Ok(FiledAssessment {
            issuer: me,
            year: req.year,
            from,
            to,
            ranked: score::rank(scores),
            acknowledged,
            filed_at: self.now(),
            filed_by: who.name.clone(),
        })
    }

    fn assessment_view(&self, a: &FiledAssessment, lang: Lang, filed: bool) -> pb::Assessment {
        let units = a
            .ranked
            .iter()
            .map(|(rank, s)| pb::AssessedUnit {
                rank: *rank as u32,
                unit_name: self.name(&s.unit),
                unit: s.unit.to_string(),
                met: s.met() as u32,
                missed: s.missed() as u32,
                not_assessed: (s.verdicts.len() - s.met() - s.missed()) as u32,
                targets: s.verdicts.iter().map(|v| progress_view(v, lang)).collect(),
                acknowledged: a.acknowledged.contains(&s.unit),
            })
            .collect();
        pb::Assessment {
            issuer_name: self.name(&a.issuer),
            issuer: a.issuer.to_string(),
            year: a.year,
            from: a.from.to_string(),
            to: a.to.to_string(),
            units,
            ranking: super::score::RANKING.get(lang).into(),
            filed_at: if filed {
                a.filed_at.to_rfc3339()
            } else {
                String::new()
            },
            filed_by: if filed {
                a.filed_by.clone()
            } else {
                String::new()
            },
        }
    }

    /// The days counted for `year`: the given period (within the year), else
    /// January 1st to today or the year's last day, whichever is first.
    fn year_to_date(
        &self,
        year: i32,
        period: Option<(NaiveDate, NaiveDate)>,
    ) -> Result<(NaiveDate, NaiveDate), NodeError> {
        let first = NaiveDate::from_ymd_opt(year, 1, 1).ok_or_else(|| {
            NodeError::invalid(
                "year",
                Said::new(
                    format!("{year}不是有效年份"),
                    format!("{year} is not a year"),
                ),
            )
        })?;
        let last = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(first);
        if let Some((from, to)) = period {
            if from.year() != year || to.year() != year || to < from {
                return Err(NodeError::invalid(
                    "from",
                    Said::new(
                        format!("{from}至{to}不是{year}年内的期间"),
                        format!("{from}..{to} is not a period within {year}"),
                    ),
                ));
            }
            return Ok((from, to));
        }
        let today = crate::case::local_day(self.now());
        if today < first {
            return Err(NodeError::invalid(
                "year",
                Said::new(
                    format!("{year}年尚未开始，暂无可考核的数据"),
                    format!("{year} has not begun: nothing to measure yet"),
                ),
            ));
        }
        Ok((first, today.min(last)))
    }

    async fn score(&self, l: &Letter, from: NaiveDate, to: NaiveDate) -> Result<Score, NodeError> {
        let m = self.reports.measure(&l.unit, from, to).await?;
        Ok(Score {
            unit: l.unit.clone(),
            verdicts: l
                .targets
                .iter()
                .map(|t| score::judge(t, measured_for(t, &m)))
                .collect(),
        })
    }

    async fn letter(&self, id: &str) -> Result<Option<Letter>, NodeError> {
        Ok(self.hub.get(id).await?.and_then(|h| read(&h.loaded.doc)))
    }

    /// The acknowledgement of this version of `l`, if held.
    async fn ack_of(&self, l: &Letter) -> Result<Option<Acknowledgement>, NodeError> {
        let id = docid::letter_ack(&l.unit, &l.issuer, l.year);
        Ok(self
            .hub
            .get(&id)
            .await?
            .and_then(|h| read_ack(&h.loaded.doc))
            .filter(|a| a.letter_drafted_at == l.drafted_at))
    }

    /// Every letter this node holds, with its document id.
    async fn all(&self) -> Result<Vec<(String, Letter)>, NodeError> {
        let ids = self.hub.ids_with_prefix(LETTER_PREFIX, MAX_LISTED).await?;
        let mut out = Vec::new();
        for id in ids {
            if let Some(l) = self.letter(&id).await? {
                out.push((id, l));
            }
        }
        Ok(out)
    }

    fn view(
        &self,
        id: &str,
        l: &Letter,
        ack: Option<&Acknowledgement>,
        lang: Lang,
    ) -> pb::LetterView {
        pb::LetterView {
            id: id.to_owned(),
            issuer: l.issuer.to_string(),
            issuer_name: self.name(&l.issuer),
            unit: l.unit.to_string(),
            unit_name: self.name(&l.unit),
            year: l.year,
            targets: l.targets.iter().map(|t| target_view(t, lang)).collect(),
            measures: l.measures.clone(),
            drafted_at: l.drafted_at.to_rfc3339(),
            drafted_by: l.drafted_by.clone(),
            acknowledged_at: ack
                .map(|a| a.acknowledged_at.to_rfc3339())
                .unwrap_or_default(),
            acknowledged_by: ack.map(|a| a.acknowledged_by.clone()).unwrap_or_default(),
        }
    }
}
