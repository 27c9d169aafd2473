//! Checks one month's reception schedule against a unit's quota rules. Pure: no IO,
//! no clock; the same input always gives the same [`Evaluation`], whatever the order
//! of the entries.
//!
//! Semantics:
//! - The facts are `entries` (the checked month's effective schedule; entries dated
//!   outside the month are ignored with a warning) plus `other_months` entries dated
//!   outside the checked month (those inside it are superseded drafts or versions, so
//!   `entries` alone speaks for the month).
//! - A leader's *days* in a period are the distinct dates with at least one entry for
//!   that leader, whatever the day's kind (a Saturday reception counts).
//! - Rules bind the roster's **active** leaders whose role is in the rule's `roles`.
//!   Unit-wide counts (`daily_leaders`, `form_required` per unit) count entries of any
//!   roster leader with a bound role; entries naming someone missing from the roster
//!   count only when the rule binds every role, and are warned about.
//! - `daily_leaders`: every working day of the month (holiday calendar, so adjusted
//!   working weekend days 调休 are included and holidays are not) needs at least `min`
//!   distinct leaders.
//! - `leader_days`, period `week`: an ISO week belongs to the month containing its
//!   Thursday; the checked month's weeks are judged, counting days across the whole
//!   week (the neighbouring months' days come from `other_months`). A week requires
//!   `min(min, working days in the week)`: a week without working days requires
//!   nothing.
//! - Period `month` is judged for the checked month. `quarter`, `half_year` and `year`
//!   are judged only in the period's last month (earlier months cannot fail yet),
//!   counting all of the period's months.
//! - `form_required`: like `leader_days`, counting only entries of the rule's form;
//!   per `unit` counts the unit's days with such an entry by any bound leader.
//! - `owned_cases`: judged in December only, `owned_cases[leader]` (absent = 0)
//!   against `min`.
//! - Violations come by rule order, then date, then period, then leader name.
//! - Warnings: a year the calendar has no data for (working days then counted by
//!   weekends only), entries outside the month, leaders missing from the roster or
//!   inactive but scheduled.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use chrono::{Datelike, Days, NaiveDate};
use serde::{Deserialize, Serialize};

use super::model::{Entry, Leader, Month, Quarter};
use super::ruleset::{Per, Period, QuotaRule, RuleKind, RuleSet};
use crate::rules::calendar::{DayKind, HolidayCalendar, MissingYear};
use crate::rules::taxonomy::Taxonomy;

pub struct QuotaInput<'a> {
    pub rules: &'a RuleSet,
    /// The month being checked.
    pub month: Month,
    /// Active leaders are bound by the rules.
    pub roster: &'a [Leader],
    /// This month's (effective) entries.
    pub entries: &'a [Entry],
    /// Entries of other months this node holds (week spill-over, quarter, half-year,
    /// year).
    pub other_months: &'a [Entry],
    /// Leader name -> cases owned (包案) in `month.year`.
    pub owned_cases: &'a BTreeMap<String, u32>,
    pub calendar: &'a HolidayCalendar,
}

/// One unmet minimum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// The rule's id.
    pub rule: String,
    /// Chinese, with the numbers; shown to staff.
    pub message: String,
    pub message_en: String,
    pub leader: Option<String>,
    /// The working day, for `daily_leaders`.
    pub date: Option<NaiveDate>,
    /// `2016-04`, `2016-W14`, `2016Q2`, `2016H1`, `2016`.
    pub period: String,
    pub required: u32,
    pub actual: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluation {
    pub violations: Vec<Violation>,
    pub warnings: Vec<String>,
}

impl Evaluation {
    pub fn passes(&self) -> bool {
        self.violations.is_empty()
    }
}

/// A span of days judged for a rule in the checked month.
struct Span {
    first: NaiveDate,
    last: NaiveDate,
    /// `2016-W14`, …
    label: String,
    /// `2016年第14周（4月4日至4月10日）`, …
    label_zh: String,
    is_week: bool,
}

impl Span {
    fn contains(&self, d: NaiveDate) -> bool {
        self.first <= d && d <= self.last
    }

    fn days(&self) -> impl Iterator<Item = NaiveDate> + use<> {
        let last = self.last;
        self.first.iter_days().take_while(move |d| *d <= last)
    }
}

fn month_span(m: Month) -> Span {
    Span {
        first: m.first_day(),
        last: m.last_day(),
        label: m.to_string(),
        label_zh: m.label_zh(),
        is_week: false,
    }
}

/// The spans of `period` judged when `month` is checked.
fn spans(period: Period, month: Month) -> Vec<Span> {
    let year_span = |first: u32, last: u32, label: String, label_zh: String| Span {
        first: Month {
            year: month.year,
            month: first,
        }
        .first_day(),
        last: Month {
            year: month.year,
            month: last,
        }
        .last_day(),
        label,
        label_zh,
        is_week: false,
    };
    match period {
        Period::Week => {
            let start = month.first_day();
            let back = u64::from(start.weekday().num_days_from_monday());
            let mut monday = start.checked_sub_days(Days::new(back)).unwrap_or(start);
            let mut out = Vec::new();
            while monday <= month.last_day() {
                let thursday = monday + Days::new(3);
                let sunday = monday + Days::new(6);
                if month.contains(thursday) {
                    // The Thursday fixes the ISO year too.
                    let iso = thursday.iso_week();
                    out.push(Span {
                        first: monday,
                        last: sunday,
                        label: format!("{}-W{:02}", iso.year(), iso.week()),
                        label_zh: format!(
                            "{}年第{}周（{}月{}日至{}月{}日）",
                            iso.year(),
                            iso.week(),
                            monday.month(),
                            monday.day(),
                            sunday.month(),
                            sunday.day()
                        ),
                        is_week: true,
                    });
                }
                monday = monday + Days::new(7);
            }
            out
        }
        Period::Month => vec![month_span(month)],
        Period::Quarter if Quarter::of(month).months()[2] == month => {
            let q = Quarter::of(month);
            let [a, _, c] = q.months();
            vec![year_span(a.month, c.month, q.to_string(), q.label_zh())]
        }
        Period::HalfYear if month.month == 6 => vec![year_span(
            1,
            6,
            format!("{}H1", month.year),
            format!("{}年上半年", month.year),
        )],
        Period::HalfYear if month.month == 12 => vec![year_span(
            7,
            12,
            format!("{}H2", month.year),
            format!("{}年下半年", month.year),
        )],
        Period::Year if month.month == 12 => vec![year_span(
            1,
            12,
            month.year.to_string(),
            format!("{}年", month.year),
        )],
        Period::Quarter | Period::HalfYear | Period::Year => Vec::new(),
    }
}

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

/// `（限主要领导、分管领导）` when a rule binds only some roles.
fn roles_zh(rule: &QuotaRule) -> String {
    if rule.binds_all_roles() {
        String::new()
    } else {
        let names: Vec<_> = rule.roles.iter().map(|r| r.label_zh()).collect();
        format!("（限{}）", names.join("、"))
    }
}

fn roles_en(rule: &QuotaRule) -> String {
    if rule.binds_all_roles() {
        String::new()
    } else {
        let codes: Vec<_> = rule.roles.iter().map(|r| r.code()).collect();
        format!(" (roles: {})", codes.join(", "))
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

struct Ctx<'a> {
    input: &'a QuotaInput<'a>,
    roster: BTreeMap<&'a str, &'a Leader>,
    facts: Vec<&'a Entry>,
    /// Years consulted that the calendar has no data for.
    missing_years: BTreeSet<i32>,
    warnings: Vec<String>,
}

impl<'a> Ctx<'a> {
    fn working(&mut self, d: NaiveDate) -> bool {
        let (kind, known) = self.input.calendar.day(d);
        if !known {
            self.missing_years.insert(d.year());
        }
        kind.is_working()
    }

    /// Whether `name`'s entries count toward a unit-wide number under `rule`.
    fn counts_for(&self, rule: &QuotaRule, name: &str) -> bool {
        match self.roster.get(name) {
            Some(l) => rule.binds(l.role),
            None => rule.binds_all_roles(),
        }
    }

    /// Active roster leaders bound by `rule`, by name.
    fn bound(&self, rule: &QuotaRule) -> Vec<&'a str> {
        self.input
            .roster
            .iter()
            .filter(|l| l.active && rule.binds(l.role))
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

    fn daily(&mut self, rule: &QuotaRule, out: &mut Vec<Violation>) {
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
    fn period_days(&mut self, rule: &QuotaRule, period: Period, out: &mut Vec<Violation>) {
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
        let per = if form.is_some() {
            rule.per
        } else {
            Per::Leader
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

    fn owned(&mut self, rule: &QuotaRule, out: &mut Vec<Violation>) {
        let month = self.input.month;
        if month.month != 12 {
            return;
        }
        for leader in self.bound(rule) {
            let actual = self.input.owned_cases.get(leader).copied().unwrap_or(0);
            if actual >= rule.min {
                continue;
            }
            out.push(Violation {
                rule: rule.id.clone(),
                message: format!(
                    "{leader} {}年包案化解{actual}宗信访事项，规则要求每年至少{}宗",
                    month.year, rule.min
                ),
                message_en: format!(
                    "{leader} owns {actual} case(s) in {}; the rule requires at least {}",
                    month.year, rule.min
                ),
                leader: Some(leader.to_owned()),
                date: None,
                period: month.year.to_string(),
                required: rule.min,
                actual,
            });
        }
    }
}

/// Checks `input.month` against every rule of `input.rules`.
pub fn evaluate(input: &QuotaInput) -> Evaluation {
    let month = input.month;
    let mut notes = BTreeSet::new();
    let mut facts: Vec<&Entry> = Vec::new();
    for e in input.entries {
        if month.contains(e.date) {
            facts.push(e);
        } else {
            notes.insert(format!(
                "{} 的接访安排（{}）不在{}内，已忽略 (entry of {} dated {} is outside {}: ignored)",
                e.date,
                e.leader,
                month.label_zh(),
                e.leader,
                e.date,
                month
            ));
        }
    }
    facts.extend(
        input
            .other_months
            .iter()
            .filter(|e| !month.contains(e.date)),
    );
    let mut roster = BTreeMap::new();
    for l in input.roster {
        roster.entry(l.name.as_str()).or_insert(l);
    }
    let scheduled: BTreeSet<&str> = facts
        .iter()
        .filter(|e| month.contains(e.date))
        .map(|e| e.leader.as_str())
        .collect();
    for name in scheduled {
        match roster.get(name) {
            None => {
                notes.insert(format!(
                    "{name} 不在领导名册上 ({name} is not on the roster)"
                ));
            }
            Some(l) if !l.active => {
                notes.insert(format!(
                    "{name} 在名册上已停用，却仍被安排接访 ({name} is inactive on the roster but scheduled)"
                ));
            }
            Some(_) => {}
        }
    }

    let mut ctx = Ctx {
        input,
        roster,
        facts,
        missing_years: BTreeSet::new(),
        warnings: Vec::new(),
    };
    if !input.calendar.has_year(month.year) {
        ctx.missing_years.insert(month.year);
    }
    let mut violations = Vec::new();
    for rule in &input.rules.rules {
        let mut found = Vec::new();
        match (rule.kind, rule.period) {
            (RuleKind::DailyLeaders, _) => ctx.daily(rule, &mut found),
            (RuleKind::OwnedCases, _) => ctx.owned(rule, &mut found),
            (RuleKind::LeaderDays | RuleKind::FormRequired, Some(period)) => {
                ctx.period_days(rule, period, &mut found)
            }
            // Loaded sets never lack a period; a hand-built one is reported, not guessed.
            (RuleKind::LeaderDays | RuleKind::FormRequired, None) => {
                ctx.warnings.push(format!(
                    "规则 {} 未指定周期，已跳过 (rule {} has no period: skipped)",
                    rule.id, rule.id
                ));
            }
        }
        found.sort_by(|a, b| (a.date, &a.period, &a.leader).cmp(&(b.date, &b.period, &b.leader)));
        violations.extend(found);
    }

    let mut warnings: Vec<String> = ctx
        .missing_years
        .iter()
        .map(|&year| MissingYear { year }.to_string())
        .collect();
    warnings.extend(ctx.warnings);
    warnings.extend(notes);
    Evaluation {
        violations,
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::model::LeaderRole;
    use crate::schedule::ruleset::resolve;
    use proptest::prelude::*;

    /// seed 000 附件2, as in tests/fixtures/haifeng-2016-04-schedule.csv.
    const HAIFENG_2016_04: &str = "\
seq,date,leader,position,location,form,note
1,2016-04-01,陈紫光,县委常委、组织部部长,县信访局接访大厅,定点接访,
2,2016-04-05,卢雁慧,县委常委、宣传部部长,县信访局接访大厅,定点接访,
3,2016-04-06,许信咏,县委常委、常务副县长,县信访局接访大厅,定点接访,
4,2016-04-07,刘剑平,县委常委,县信访局接访大厅,定点接访,
5,2016-04-08,郑秋汉,县委常委、县人武部部长,县信访局接访大厅,定点接访,
6,2016-04-11,卓凛波,县委常委,县信访局接访大厅,定点接访,
7,2016-04-12,陈连郑,县委常委、政法委书记,县信访局接访大厅,定点接访,
8,2016-04-13,符坚,县委常委、县委办主任,县信访局接访大厅,定点接访,
9,2016-04-14,余振光,副县长,县信访局接访大厅,定点接访,
10,2016-04-15,王楚雄,副县长、县公安局局长,县信访局接访大厅,定点接访,
11,2016-04-18,施流德,副县长,县信访局接访大厅,定点接访,
12,2016-04-19,陈凯婵,副县长,县信访局接访大厅,定点接访,
13,2016-04-20,吴光群,副县长,县信访局接访大厅,定点接访,
14,2016-04-21,林建隆,县委副书记,县信访局接访大厅,定点接访,
15,2016-04-22,刘帆,县委常委、纪委书记,县信访局接访大厅,定点接访,
16,2016-04-25,陈紫光,县委常委、组织部部长,县信访局接访大厅,定点接访,
17,2016-04-26,卢雁慧,县委常委、宣传部部长,县信访局接访大厅,定点接访,
18,2016-04-27,许信咏,县委常委、常务副县长,县信访局接访大厅,定点接访,
19,2016-04-28,刘剑平,县委常委,县信访局接访大厅,定点接访,
20,2016-04-29,郑秋汉,县委常委、县人武部部长,县信访局接访大厅,定点接访,
";

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn m(s: &str) -> Month {
        s.parse().unwrap()
    }

    fn entry(date: &str, leader: &str, form: &str) -> Entry {
        Entry {
            date: d(date),
            leader: leader.to_owned(),
            position: String::new(),
            place: "接访大厅".to_owned(),
            form: form.to_owned(),
            topic: None,
            note: None,
            non_working_day_override: false,
        }
    }

    fn leader(name: &str, role: LeaderRole) -> Leader {
        Leader {
            name: name.to_owned(),
            position: String::new(),
            portfolio: String::new(),
            role,
            active: true,
        }
    }

    fn haifeng_april() -> (Vec<Leader>, Vec<Entry>) {
        let mut roster: Vec<Leader> = Vec::new();
        let mut entries = Vec::new();
        for line in HAIFENG_2016_04.lines().skip(1) {
            let cols: Vec<&str> = line.split(',').collect();
            assert_eq!(cols[5], "定点接访");
            let mut e = entry(cols[1], cols[2], "fixed");
            e.position = cols[3].to_owned();
            e.place = cols[4].to_owned();
            entries.push(e);
            if !roster.iter().any(|l| l.name == cols[2]) {
                let mut l = leader(cols[2], LeaderRole::Member);
                l.position = cols[3].to_owned();
                roster.push(l);
            }
        }
        (roster, entries)
    }

    /// A unit's situation; `run` hands `all` to the evaluator split by the checked
    /// month, plus deliberately misplaced entries.
    struct Case {
        set: RuleSet,
        month: Month,
        roster: Vec<Leader>,
        all: Vec<Entry>,
        /// Handed in as the month's entries whatever their date.
        stray_entries: Vec<Entry>,
        /// Handed in as other months' entries whatever their date.
        stale_other: Vec<Entry>,
        owned: BTreeMap<String, u32>,
    }

    impl Case {
        fn new(set: &str, month: &str) -> Case {
            Case {
                set: resolve(set, &[]).unwrap(),
                month: m(month),
                roster: Vec::new(),
                all: Vec::new(),
                stray_entries: Vec::new(),
                stale_other: Vec::new(),
                owned: BTreeMap::new(),
            }
        }

        fn custom(rules: &str, month: &str) -> Case {
            let text = format!("name = \"t\"\ntitle = \"测试\"\nsource = \"test\"\n{rules}");
            Case {
                set: RuleSet::from_toml(&text, "t.toml").unwrap(),
                ..Case::new("haifeng-county", month)
            }
        }

        fn run(&self) -> Evaluation {
            let calendar = HolidayCalendar::official().unwrap();
            let (mut entries, mut other): (Vec<Entry>, Vec<Entry>) = self
                .all
                .iter()
                .cloned()
                .partition(|e| self.month.contains(e.date));
            entries.extend(self.stray_entries.iter().cloned());
            other.extend(self.stale_other.iter().cloned());
            evaluate(&QuotaInput {
                rules: &self.set,
                month: self.month,
                roster: &self.roster,
                entries: &entries,
                other_months: &other,
                owned_cases: &self.owned,
                calendar: &calendar,
            })
        }

        fn schedule(&mut self, list: impl IntoIterator<Item = Entry>) {
            self.all.extend(list);
        }
    }

    fn working_days(month: &str) -> Vec<NaiveDate> {
        let cal = HolidayCalendar::official().unwrap();
        m(month).days().filter(|d| cal.is_working_day(*d)).collect()
    }

    /// (rule, leader, date, period, required, actual)
    type Row = (String, Option<String>, Option<String>, String, u32, u32);

    fn summary(ev: &Evaluation) -> Vec<Row> {
        ev.violations
            .iter()
            .map(|v| {
                (
                    v.rule.clone(),
                    v.leader.clone(),
                    v.date.map(|d| d.to_string()),
                    v.period.clone(),
                    v.required,
                    v.actual,
                )
            })
            .collect()
    }

    #[test]
    fn haifeng_april_2016_passes_the_county_rules() {
        let (roster, entries) = haifeng_april();
        assert_eq!(entries.len(), 20);
        assert_eq!(roster.len(), 15);
        // 20 working days: 4 April was Qingming.
        assert_eq!(working_days("2016-04").len(), 20);
        let case = Case {
            roster,
            all: entries,
            ..Case::new("haifeng-county", "2016-04")
        };
        let ev = case.run();
        assert_eq!(ev, Evaluation::default(), "{ev:#?}");
    }

    #[test]
    fn a_sixteenth_leader_never_scheduled_fails_the_monthly_rule() {
        let (mut roster, entries) = haifeng_april();
        roster.push(leader("张新任", LeaderRole::Member));
        let case = Case {
            roster,
            all: entries,
            ..Case::new("haifeng-county", "2016-04")
        };
        let ev = case.run();
        assert_eq!(
            summary(&ev),
            [(
                "leader-days-per-month".into(),
                Some("张新任".into()),
                None,
                "2016-04".into(),
                1,
                0
            )]
        );
        assert_eq!(
            ev.violations[0].message,
            "张新任 2016年4月接访0天，规则要求每月至少1天"
        );
        assert!(ev.violations[0].message_en.contains("0 day(s) in 2016-04"));
        assert!(ev.warnings.is_empty());
    }

    #[test]
    fn a_county_working_day_without_a_leader_fails_the_daily_rule() {
        let (roster, mut entries) = haifeng_april();
        // Drop 2016-04-13 (符坚's only day): the day and the leader both fail.
        entries.retain(|e| e.date != d("2016-04-13"));
        let case = Case {
            roster,
            all: entries,
            ..Case::new("haifeng-county", "2016-04")
        };
        let ev = case.run();
        assert_eq!(
            summary(&ev),
            [
                (
                    "leader-days-per-month".into(),
                    Some("符坚".into()),
                    None,
                    "2016-04".into(),
                    1,
                    0
                ),
                (
                    "leaders-per-working-day".into(),
                    None,
                    Some("2016-04-13".into()),
                    "2016-04".into(),
                    1,
                    0
                ),
            ]
        );
        assert_eq!(
            ev.violations[1].message,
            "2016-04-13 未安排领导接访，规则要求每个工作日至少1名"
        );
    }

    /// Two town leaders on every working day of the month, except `skip` for B.
    fn big_town(month: &str, skip: &[&str]) -> Case {
        let mut case = Case::new("haifeng-big-town", month);
        case.roster = vec![
            leader("甲", LeaderRole::Principal),
            leader("乙", LeaderRole::Member),
        ];
        for day in working_days(month) {
            case.schedule([entry(&day.to_string(), "甲", "fixed")]);
            if !skip.contains(&day.to_string().as_str()) {
                case.schedule([entry(&day.to_string(), "乙", "fixed")]);
            }
        }
        case
    }

    #[test]
    fn a_big_town_day_with_one_leader_fails_the_daily_rule_naming_the_day() {
        assert!(big_town("2016-04", &[]).run().passes());
        let ev = big_town("2016-04", &["2016-04-05"]).run();
        assert_eq!(
            summary(&ev),
            [(
                "leaders-per-working-day".into(),
                None,
                Some("2016-04-05".into()),
                "2016-04".into(),
                2,
                1
            )]
        );
        assert_eq!(
            ev.violations[0].message,
            "2016-04-05 只安排了1名领导接访，规则要求每个工作日至少2名"
        );
        assert!(
            ev.violations[0]
                .message_en
                .starts_with("2016-04-05: 1 leader(s) scheduled")
        );
    }

    #[test]
    fn adjusted_working_days_are_working_days_and_holidays_are_not() {
        // February 2016: Saturday 6th and Sunday 14th are working days (调休); 7–13 are
        // the Spring Festival.
        let feb = working_days("2016-02");
        assert!(feb.contains(&d("2016-02-06")) && feb.contains(&d("2016-02-14")));
        assert!(!feb.contains(&d("2016-02-08")));
        let mut case = Case::new("haifeng-town", "2016-02");
        case.roster = vec![leader("甲", LeaderRole::Member)];
        for day in feb
            .iter()
            .filter(|d| d.weekday().num_days_from_monday() < 5)
        {
            case.schedule([entry(&day.to_string(), "甲", "fixed")]);
        }
        let ev = case.run();
        assert_eq!(
            summary(&ev),
            [
                (
                    "leaders-per-working-day".into(),
                    None,
                    Some("2016-02-06".into()),
                    "2016-02".into(),
                    1,
                    0
                ),
                (
                    "leaders-per-working-day".into(),
                    None,
                    Some("2016-02-14".into()),
                    "2016-02".into(),
                    1,
                    0
                ),
                // W06 (8–14 Feb) has one working day, the Sunday, and 甲 did not come.
                (
                    "leader-days-per-week".into(),
                    Some("甲".into()),
                    None,
                    "2016-W06".into(),
                    1,
                    0
                ),
            ]
        );
        assert!(
            ev.violations[0].message.contains("调休"),
            "{}",
            ev.violations[0].message
        );
    }

    #[test]
    fn a_week_counts_its_days_in_the_neighbouring_month() {
        // June 2016 begins on a Wednesday: W22 (30 May – 5 June) belongs to June.
        let mut case = Case::new("haifeng-department", "2016-06");
        case.roster = vec![
            leader("甲", LeaderRole::Member),
            leader("乙", LeaderRole::Member),
        ];
        case.schedule([entry("2016-05-31", "甲", "fixed")]);
        for day in working_days("2016-06") {
            case.schedule([entry(&day.to_string(), "乙", "fixed")]);
        }
        // 甲 came only on 31 May (other_months) and then every week from W23 on.
        for day in ["2016-06-08", "2016-06-13", "2016-06-20", "2016-06-27"] {
            case.schedule([entry(day, "甲", "fixed")]);
        }
        assert!(case.run().passes(), "{:#?}", case.run());
        // Without the May day, W22 fails for 甲: its June days (1–5) hold none of 甲's.
        case.all.retain(|e| e.date != d("2016-05-31"));
        assert_eq!(
            summary(&case.run()),
            [(
                "leader-days-per-week".into(),
                Some("甲".into()),
                None,
                "2016-W22".into(),
                1,
                0
            )]
        );
        assert!(case.run().violations[0].message.contains("5月30日至6月5日"));

        // May is not judged on W22 (it belongs to June), nor on W17 (25 April –
        // 1 May, April's).
        let mut may = Case::new("haifeng-department", "2016-05");
        may.roster = vec![
            leader("甲", LeaderRole::Member),
            leader("乙", LeaderRole::Member),
        ];
        for day in ["2016-05-04", "2016-05-09", "2016-05-16", "2016-05-23"] {
            may.schedule([entry(day, "甲", "fixed")]);
        }
        for day in working_days("2016-05") {
            may.schedule([entry(&day.to_string(), "乙", "fixed")]);
        }
        assert!(may.run().passes(), "{:#?}", may.run());
        let periods: Vec<_> = spans(Period::Week, m("2016-05"))
            .into_iter()
            .map(|s| s.label)
            .collect();
        assert_eq!(periods, ["2016-W18", "2016-W19", "2016-W20", "2016-W21"]);
    }

    #[test]
    fn other_months_entries_inside_the_checked_month_are_superseded() {
        let mut case = Case::custom(
            "[[rule]]\nid = \"m\"\nkind = \"leader_days\"\nperiod = \"month\"\nmin = 1\ndescription = \"每月1天\"",
            "2016-04",
        );
        case.roster = vec![leader("甲", LeaderRole::Member)];
        // An old version of April named 甲; the effective April schedule does not.
        case.stale_other = vec![entry("2016-04-05", "甲", "fixed")];
        assert_eq!(case.run().violations.len(), 1);
        // Entries handed in as this month's but dated elsewhere are ignored, with a
        // warning.
        case.stale_other.clear();
        case.stray_entries = vec![entry("2016-05-05", "甲", "fixed")];
        let ev = case.run();
        assert_eq!(ev.violations.len(), 1);
        assert!(
            ev.warnings.iter().any(|w| w.contains("2016-05-05")),
            "{:?}",
            ev.warnings
        );
    }

    #[test]
    fn short_weeks_require_less_and_weeks_without_working_days_nothing() {
        let rule = "[[rule]]\nid = \"w\"\nkind = \"leader_days\"\nperiod = \"week\"\nmin = 2\ndescription = \"每周2天\"";
        let mut case = Case::custom(rule, "2016-02");
        case.roster = vec![leader("甲", LeaderRole::Member)];
        assert_eq!(
            summary(&case.run()),
            [
                ("w".into(), Some("甲".into()), None, "2016-W05".into(), 2, 0),
                ("w".into(), Some("甲".into()), None, "2016-W06".into(), 1, 0),
                ("w".into(), Some("甲".into()), None, "2016-W07".into(), 2, 0),
                ("w".into(), Some("甲".into()), None, "2016-W08".into(), 2, 0),
            ]
        );
        let short = &case.run().violations[1];
        assert!(
            short.message.contains("该周只有1个工作日"),
            "{}",
            short.message
        );

        // 2026-W08 (16–22 February) is all Spring Festival: nothing is required.
        let mut case = Case::custom(rule, "2026-02");
        case.roster = vec![leader("甲", LeaderRole::Member)];
        let periods: Vec<_> = case
            .run()
            .violations
            .into_iter()
            .map(|v| v.period)
            .collect();
        assert_eq!(periods, ["2026-W06", "2026-W07", "2026-W09"]);
    }

    #[test]
    fn quarter_rules_are_judged_only_in_the_quarters_last_month() {
        let mut case = Case::new("lishui-city", "2016-04");
        case.roster = vec![
            leader("甲", LeaderRole::Member),
            leader("乙", LeaderRole::Member),
        ];
        case.schedule([entry("2016-03-15", "乙", "fixed")]);
        assert!(case.run().passes());
        case.month = m("2016-05");
        assert!(case.run().passes());
        // In June: 甲 came in May, 乙 only in March (Q1).
        case.month = m("2016-06");
        case.schedule([entry("2016-05-10", "甲", "video")]);
        let ev = case.run();
        assert_eq!(
            summary(&ev),
            [(
                "leader-days-per-quarter".into(),
                Some("乙".into()),
                None,
                "2016Q2".into(),
                1,
                0
            )]
        );
        assert_eq!(
            ev.violations[0].message,
            "乙 2016年第2季度接访0天，规则要求每季度至少1天"
        );
        // In March, 乙's day counts for Q1 and 甲 fails Q1.
        case.month = m("2016-03");
        let ev = case.run();
        assert_eq!(summary(&ev)[0].1.as_deref(), Some("甲"));
        assert_eq!(summary(&ev)[0].3, "2016Q1");
    }

    #[test]
    fn half_year_and_role_filters_shenzhen() {
        let mut case = Case::new("shenzhen-city", "2016-05");
        case.roster = vec![
            leader("书记", LeaderRole::Principal),
            leader("常委", LeaderRole::Member),
            leader("副市长", LeaderRole::InCharge),
        ];
        case.schedule([
            entry("2016-04-12", "常委", "fixed"),
            entry("2016-05-12", "副市长", "video"),
        ]);
        // Not the end of a quarter or half year: nothing judged.
        assert!(case.run().passes());
        // June: the secretary is bound only by the half-year rule, the others only by
        // the quarter rule.
        case.month = m("2016-06");
        assert_eq!(
            summary(&case.run()),
            [(
                "secretary-days-per-half-year".into(),
                Some("书记".into()),
                None,
                "2016H1".into(),
                1,
                0
            )]
        );
        case.schedule([entry("2016-01-20", "书记", "fixed")]);
        assert!(case.run().passes());
        // The second half year is judged in December.
        case.month = m("2016-12");
        case.owned = [("常委", 3), ("副市长", 3)]
            .map(|(k, v)| (k.to_owned(), v))
            .into();
        case.schedule([
            entry("2016-11-01", "常委", "fixed"),
            entry("2016-11-02", "副市长", "fixed"),
        ]);
        assert_eq!(
            summary(&case.run()),
            [(
                "secretary-days-per-half-year".into(),
                Some("书记".into()),
                None,
                "2016H2".into(),
                1,
                0
            )]
        );
    }

    #[test]
    fn owned_cases_are_judged_in_december() {
        let mut case = Case::new("shenzhen-city", "2016-11");
        case.roster = vec![
            leader("书记", LeaderRole::Principal),
            leader("常委", LeaderRole::Member),
            leader("副市长", LeaderRole::InCharge),
            leader("新常委", LeaderRole::Member),
        ];
        case.owned = [("常委", 2), ("副市长", 3)]
            .map(|(k, v)| (k.to_owned(), v))
            .into();
        assert!(case.run().passes());
        case.month = m("2016-12");
        for (i, name) in ["书记", "常委", "副市长", "新常委"].iter().enumerate() {
            case.schedule([entry(&format!("2016-12-0{}", i + 1), name, "fixed")]);
        }
        let ev = case.run();
        assert_eq!(
            summary(&ev),
            [
                (
                    "owned-cases-per-year".into(),
                    Some("常委".into()),
                    None,
                    "2016".into(),
                    3,
                    2
                ),
                (
                    "owned-cases-per-year".into(),
                    Some("新常委".into()),
                    None,
                    "2016".into(),
                    3,
                    0
                ),
            ]
        );
        assert_eq!(
            ev.violations[0].message,
            "常委 2016年包案化解2宗信访事项，规则要求每年至少3宗"
        );
    }

    #[test]
    fn form_required_per_leader_counts_only_that_form() {
        let mut case = Case::new("lishui-county", "2016-04");
        case.roster = vec![
            leader("甲", LeaderRole::Member),
            leader("乙", LeaderRole::Principal),
        ];
        case.schedule([
            entry("2016-04-05", "甲", "fixed"),
            entry("2016-04-06", "乙", "appointment"),
            entry("2016-04-07", "乙", "grassroots"),
            entry("2016-03-31", "乙", "fixed"), // March does not count for April
        ]);
        let ev = case.run();
        assert_eq!(
            summary(&ev),
            [(
                "fixed-receptions-per-month".into(),
                Some("乙".into()),
                None,
                "2016-04".into(),
                1,
                0
            )]
        );
        assert_eq!(
            ev.violations[0].message,
            "乙 2016年4月定点接访0天，规则要求每月至少1天"
        );
        assert!(
            ev.violations[0]
                .message_en
                .contains("held fixed receptions")
        );
    }

    #[test]
    fn form_required_per_unit_counts_the_units_distinct_days() {
        let rules = "[[rule]]\nid = \"u\"\nkind = \"form_required\"\nperiod = \"month\"\nmin = 2\n\
                     form = \"thematic\"\nper = \"unit\"\nroles = [\"principal\", \"in_charge\"]\n\
                     description = \"每月至少2次专题接访\"";
        let mut case = Case::custom(rules, "2016-04");
        case.roster = vec![
            leader("甲", LeaderRole::Principal),
            leader("乙", LeaderRole::InCharge),
            leader("丙", LeaderRole::Member),
        ];
        // Two bound leaders on the same day are one day; 丙's role is not bound; a
        // fixed reception is not thematic.
        case.schedule([
            entry("2016-04-05", "甲", "thematic"),
            entry("2016-04-05", "乙", "thematic"),
            entry("2016-04-06", "丙", "thematic"),
            entry("2016-04-07", "乙", "fixed"),
            entry("2016-04-08", "外人", "thematic"), // not on the roster, rule not for all roles
        ]);
        let ev = case.run();
        assert_eq!(
            summary(&ev),
            [("u".into(), None, None, "2016-04".into(), 2, 1)]
        );
        assert_eq!(
            ev.violations[0].message,
            "本单位2016年4月专题接访共1天（限主要领导、分管领导），规则要求每月至少2天"
        );
        assert!(
            ev.warnings.iter().any(|w| w.contains("外人")),
            "{:?}",
            ev.warnings
        );
        case.schedule([entry("2016-04-20", "乙", "thematic")]);
        assert!(case.run().passes());
    }

    #[test]
    fn role_filters_bind_only_the_named_roles() {
        // Qingshan: the principal must come monthly; members are bound only quarterly.
        let mut case = Case::new("qingshan-township", "2016-04");
        case.roster = vec![
            leader("乡长", LeaderRole::Principal),
            leader("委员", LeaderRole::Member),
        ];
        for day in working_days("2016-04") {
            case.schedule([entry(&day.to_string(), "委员", "fixed")]);
        }
        assert_eq!(
            summary(&case.run()),
            [(
                "principal-days-per-month".into(),
                Some("乡长".into()),
                None,
                "2016-04".into(),
                1,
                0
            )]
        );
        // A leader who left is bound by nothing, and scheduling them is warned about.
        case.roster[0].active = false;
        assert!(case.run().passes());
        case.schedule([entry("2016-04-09", "乡长", "fixed")]);
        let ev = case.run();
        assert!(ev.passes());
        assert!(
            ev.warnings
                .iter()
                .any(|w| w.contains("乡长") && w.contains("inactive"))
        );
    }

    #[test]
    fn daily_rules_with_roles_count_only_those_roles() {
        let rules = "[[rule]]\nid = \"d\"\nkind = \"daily_leaders\"\nmin = 1\nroles = [\"member\"]\n\
                     description = \"班子成员每天轮流\"";
        let mut case = Case::custom(rules, "2016-04");
        case.roster = vec![
            leader("乡长", LeaderRole::Principal),
            leader("委员", LeaderRole::Member),
        ];
        for day in working_days("2016-04") {
            let who = if day == d("2016-04-29") {
                "乡长"
            } else {
                "委员"
            };
            case.schedule([entry(&day.to_string(), who, "fixed")]);
        }
        let ev = case.run();
        assert_eq!(
            summary(&ev),
            [(
                "d".into(),
                None,
                Some("2016-04-29".into()),
                "2016-04".into(),
                1,
                0
            )]
        );
        assert!(ev.violations[0].message.contains("（限班子成员）"));
    }

    #[test]
    fn a_year_without_calendar_data_is_counted_by_weekends_and_warned() {
        let mut case = Case::new("haifeng-town", "2030-03");
        case.roster = vec![leader("甲", LeaderRole::Member)];
        let ev = case.run();
        assert_eq!(ev.warnings.len(), 1);
        assert!(ev.warnings[0].contains("2030"), "{:?}", ev.warnings);
        // 21 weekdays in March 2030, plus its 4 weeks for 甲.
        assert_eq!(ev.violations.len(), 21 + 4);
        // The 2016 data is now shipped: no warning.
        assert!(
            Case::new("haifeng-town", "2016-03")
                .run()
                .warnings
                .is_empty()
        );
        // A week reaching into a year without data says so too: 2026-W53
        // (28 December 2026 – 3 January 2027) belongs to December.
        let ev = Case::new("haifeng-town", "2026-12").run();
        assert!(
            ev.warnings.iter().any(|w| w.contains("2027")),
            "{:?}",
            ev.warnings
        );
    }

    #[test]
    fn violations_come_by_rule_then_date_then_leader() {
        let mut case = Case::new("haifeng-big-town", "2016-04");
        case.roster = vec![
            leader("乙", LeaderRole::Member),
            leader("甲", LeaderRole::Member),
        ];
        let ev = case.run();
        let daily = ev
            .violations
            .iter()
            .take_while(|v| v.rule == "leaders-per-working-day");
        let dates: Vec<_> = daily.filter_map(|v| v.date).collect();
        assert_eq!(dates, working_days("2016-04"));
        let weekly: Vec<_> = ev.violations[20..]
            .iter()
            .map(|v| (v.period.as_str(), v.leader.as_deref().unwrap_or("")))
            .collect();
        let mut sorted = weekly.clone();
        sorted.sort();
        assert_eq!(weekly, sorted);
        assert_eq!(weekly.len(), 4 * 2);
    }

    #[test]
    fn rules_without_a_period_are_skipped_with_a_warning() {
        let mut case = Case::new("haifeng-town", "2016-04");
        case.set.rules[1].period = None;
        case.set.rules.truncate(2);
        let ev = case.run();
        assert!(
            ev.warnings
                .iter()
                .any(|w| w.contains("leader-days-per-week"))
        );
    }

    fn arb_entries() -> impl Strategy<Value = Vec<Entry>> {
        // Late March to early May 2016, four leaders, three forms.
        let names = ["甲", "乙", "丙", "丁"];
        let forms = ["fixed", "thematic", "video"];
        prop::collection::vec((0u64..45, 0usize..4, 0usize..3), 0..60).prop_map(move |v| {
            v.into_iter()
                .map(|(day, who, form)| {
                    let date = d("2016-03-25") + Days::new(day);
                    entry(&date.to_string(), names[who], forms[form])
                })
                .collect()
        })
    }

    proptest! {
        #[test]
        fn entry_order_never_changes_the_result(
            (entries, shuffled) in arb_entries().prop_flat_map(|v| (Just(v.clone()), Just(v).prop_shuffle())),
            month in prop::sample::select(vec!["2016-03", "2016-04", "2016-05", "2016-06", "2016-12"]),
        ) {
            let rules = "[[rule]]\nid = \"d\"\nkind = \"daily_leaders\"\nmin = 2\ndescription = \"x\"\n\
                         [[rule]]\nid = \"w\"\nkind = \"leader_days\"\nperiod = \"week\"\nmin = 2\ndescription = \"x\"\n\
                         [[rule]]\nid = \"q\"\nkind = \"leader_days\"\nperiod = \"quarter\"\nmin = 3\nroles = [\"member\"]\ndescription = \"x\"\n\
                         [[rule]]\nid = \"f\"\nkind = \"form_required\"\nperiod = \"month\"\nmin = 2\nform = \"fixed\"\ndescription = \"x\"\n\
                         [[rule]]\nid = \"fu\"\nkind = \"form_required\"\nperiod = \"month\"\nmin = 5\nform = \"video\"\nper = \"unit\"\ndescription = \"x\"\n\
                         [[rule]]\nid = \"o\"\nkind = \"owned_cases\"\nperiod = \"year\"\nmin = 1\ndescription = \"x\"";
            let build = |list: &[Entry]| {
                let mut case = Case::custom(rules, "2016-04");
                case.roster = vec![
                    leader("甲", LeaderRole::Principal),
                    leader("乙", LeaderRole::Member),
                    leader("丙", LeaderRole::InCharge),
                ];
                case.month = m(month);
                case.owned = [("乙".to_owned(), 1)].into();
                case.schedule(list.iter().cloned());
                case.run()
            };
            prop_assert_eq!(build(&entries), build(&shuffled));
        }
    }
}
