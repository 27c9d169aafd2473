//! Each kind of rule counted against the month's facts: leaders on each working
//! day, a leader's days (of a form) in each span, cases owned; each shortfall a
//! [`Violation`] with its message in Chinese and English.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use chrono::{Datelike, NaiveDate};

use super::periods::{Span, spans};
use super::{QuotaInput, Violation};
use crate::rules::calendar::DayKind;
use crate::rules::taxonomy::Taxonomy;
use crate::schedule::model::{Entry, Leader, LeaderRole};
use crate::schedule::ruleset::{Per, Period, QuotaRule, RuleKind};

/// The form's Chinese name for messages; the code itself if the shipped
/// classification does not know it.
fn form_name(code: &str) -> String {
    static TAXONOMY: OnceLock<Option<Taxonomy>> = OnceLock::new();
    TAXONOMY
        .get_or_init(|| Taxonomy::official().ok())
        .as_ref()
        .and_then(|t| t.reception_form(code).ok())
        .map_or_else(|| code.to_owned(), |e| e.name.clone())
}

/// `（限主要领导、分管领导）` when a rule binds only some roles or post classes.
pub(super) fn roles_zh(rule: &QuotaRule) -> String {
    let mut names: Vec<&str> = Vec::new();
    if !LeaderRole::ALL.iter().all(|r| rule.roles.contains(r)) {
        names.extend(rule.roles.iter().map(|r| r.label_zh()));
    }
    if let Some(classes) = &rule.classes {
        names.extend(classes.iter().map(|c| c.label_zh()));
    }
    if names.is_empty() {
        String::new()
    } else {
        format!("（限{}）", names.join("、"))
    }
}

pub(super) fn roles_en(rule: &QuotaRule) -> String {
    let mut parts = Vec::new();
    if !LeaderRole::ALL.iter().all(|r| rule.roles.contains(r)) {
        let codes: Vec<_> = rule.roles.iter().map(|r| r.code()).collect();
        parts.push(format!("roles: {}", codes.join(", ")));
    }
    if let Some(classes) = &rule.classes {
        let codes: Vec<_> = classes.iter().map(|c| c.code()).collect();
        parts.push(format!("posts: {}", codes.join(", ")));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join("; "))
    }
}

pub(super) fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

pub(super) struct Ctx<'a> {
    pub(super) input: &'a QuotaInput<'a>,
    pub(super) roster: BTreeMap<&'a str, &'a Leader>,
    pub(super) facts: Vec<&'a Entry>,
    /// Years consulted that the calendar has no data for.
    pub(super) missing_years: BTreeSet<i32>,
    pub(super) warnings: Vec<String>,
}

impl<'a> Ctx<'a> {
    pub(super) fn working(&mut self, d: NaiveDate) -> bool {
        let (kind, known) = self.input.calendar.day(d);
        if !known {
            self.missing_years.insert(d.year());
        }
        kind.is_working()
    }

    /// Whether `name`'s entries count toward a unit-wide number under `rule`.
    pub(super) fn counts_for(&self, rule: &QuotaRule, name: &str) -> bool {
        match self.roster.get(name) {
            Some(l) => rule.binds(l),
            None => rule.binds_everyone(),
        }
    }

    /// Active roster leaders bound by `rule`, by name.
    pub(super) fn bound(&self, rule: &QuotaRule) -> Vec<&'a str> {
        self.input
            .roster
            .iter()
            .filter(|l| l.active && rule.binds(l))
            .map(|l| l.name.as_str())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    }

    /// Distinct dates in `span` with an entry for `leader` (any leader if None) and
    /// the form (any form if None), counting only leaders `rule` counts.
    fn days(
        &self,
        rule: &QuotaRule,
        span: &Span,
        leader: Option<&str>,
        form: Option<&str>,
    ) -> usize {
        self.facts
            .iter()
            .filter(|e| span.contains(e.date))
            .filter(|e| leader.is_none_or(|l| e.leader == l))
            .filter(|e| leader.is_some() || self.counts_for(rule, &e.leader))
            .filter(|e| form.is_none_or(|f| e.form == f))
            .map(|e| e.date)
            .collect::<BTreeSet<_>>()
            .len()
    }

    pub(super) fn daily(&mut self, rule: &QuotaRule, out: &mut Vec<Violation>) {
        let month = self.input.month;
        for date in month.days() {
            if !self.working(date) {
                continue;
            }
            let leaders: BTreeSet<&str> = self
                .facts
                .iter()
                .filter(|e| e.date == date && self.counts_for(rule, &e.leader))
                .map(|e| e.leader.as_str())
                .collect();
            let actual = count(leaders.len());
            if actual >= rule.min {
                continue;
            }
            let adjusted = if self.input.calendar.day(date).0 == DayKind::AdjustedWorking {
                "（调休上班日）"
            } else {
                ""
            };
            let scheduled = if actual == 0 {
                "未安排领导接访".to_owned()
            } else {
                format!("只安排了{actual}名领导接访")
            };
            out.push(Violation {
                rule: rule.id.clone(),
                message: format!(
                    "{date}{adjusted} {scheduled}，规则要求每个工作日至少{}名{}",
                    rule.min,
                    roles_zh(rule)
                ),
                message_en: format!(
                    "{date}: {actual} leader(s) scheduled; the rule requires at least {} on every working day{}",
                    rule.min,
                    roles_en(rule)
                ),
                leader: None,
                date: Some(date),
                period: month.to_string(),
                required: rule.min,
                actual,
            });
        }
    }

    /// `leader_days` (form None) and `form_required`.
    pub(super) fn period_days(
        &mut self,
        rule: &QuotaRule,
        period: Period,
        out: &mut Vec<Violation>,
    ) {
        let form = match rule.kind {
            RuleKind::FormRequired => match rule.form.as_deref() {
                Some(f) => Some(f),
                None => {
                    self.warnings.push(format!(
                        "规则 {} 未指定接访方式，已跳过 (rule {} names no form: skipped)",
                        rule.id, rule.id
                    ));
                    return;
                }
            },
            _ => None,
        };
        let per = match rule.kind {
            RuleKind::FormRequired => rule.per,
            // The unit's days, whoever received: "the unit receives every week".
            RuleKind::UnitDays | RuleKind::Turns => Per::Unit,
            _ => Per::Leader,
        };
        let form_zh = form.map(form_name);
        for span in spans(period, self.input.month) {
            let mut required = rule.min;
            let mut short_week = String::new();
            if span.is_week {
                let working = count(span.days().filter(|d| self.working(*d)).count());
                if working < required {
                    short_week = format!("；该周只有{working}个工作日，故要求{working}天");
                    required = working;
                }
            }
            if required == 0 {
                continue;
            }
            let rule_zh = format!(
                "规则要求{}至少{}天{}",
                period.label_zh(),
                rule.min,
                short_week
            );
            let what_zh = match &form_zh {
                Some(f) => f.clone(),
                None => "接访".to_owned(),
            };
            let what_en = match form {
                Some(f) => format!("held {f} receptions"),
                None => "received petitioners".to_owned(),
            };
            match per {
                Per::Leader => {
                    for leader in self.bound(rule) {
                        let actual = count(self.days(rule, &span, Some(leader), form));
                        if actual >= required {
                            continue;
                        }
                        out.push(Violation {
                            rule: rule.id.clone(),
                            message: format!(
                                "{leader} {}{what_zh}{actual}天，{rule_zh}",
                                span.label_zh
                            ),
                            message_en: format!(
                                "{leader} {what_en} on {actual} day(s) in {}; the rule requires at least {required}",
                                span.label
                            ),
                            leader: Some(leader.to_owned()),
                            date: None,
                            period: span.label.clone(),
                            required,
                            actual,
                        });
                    }
                }
                Per::Unit => {
                    let actual = count(self.days(rule, &span, None, form));
                    if actual >= required {
                        continue;
                    }
                    out.push(Violation {
                        rule: rule.id.clone(),
                        message: format!(
                            "本单位{}{what_zh}共{actual}天{}，{rule_zh}",
                            span.label_zh,
                            roles_zh(rule)
                        ),
                        message_en: format!(
                            "the unit {what_en} on {actual} day(s) in {}{}; the rule requires at least {required}",
                            span.label,
                            roles_en(rule)
                        ),
                        leader: None,
                        date: None,
                        period: span.label.clone(),
                        required,
                        actual,
                    });
                }
            }
        }
    }
}
