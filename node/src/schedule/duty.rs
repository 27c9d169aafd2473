//! Duty rosters for rest days and holidays (《双休日节假日值班安排表》, seed 000:
//! "双休日、节假日值班领导以县委办、县政府办印发的《…值班安排表》为准"): for a
//! unit and a span (a month, or a named holiday such as 2026 国庆节), the duty
//! leaders of every rest day the holiday calendar gives. Pure: the span's days,
//! and whether a roster covers exactly them with leaders on the unit's roster.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::model::{Leader, Month};
use crate::labels::Said;
use crate::rules::calendar::{DayKind, HolidayCalendar, PeriodError};
use crate::rules::holiday::Holiday;

/// What a duty roster covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DutySpan {
    /// Every rest day of a month.
    Month(Month),
    /// The days off of a named holiday.
    Holiday { year: i32, holiday: Holiday },
}

impl DutySpan {
    pub fn year(self) -> i32 {
        match self {
            DutySpan::Month(m) => m.year,
            DutySpan::Holiday { year, .. } => year,
        }
    }

    /// 2026年10月, 2026年国庆节.
    pub fn label_zh(self) -> String {
        match self {
            DutySpan::Month(m) => m.label_zh(),
            DutySpan::Holiday { year, holiday } => format!("{year}年{}", holiday.label_zh()),
        }
    }

    pub fn label_en(self) -> String {
        match self {
            DutySpan::Month(m) => m.to_string(),
            DutySpan::Holiday { year, holiday } => format!("{} {year}", holiday.label_en()),
        }
    }

    pub fn label(self, lang: crate::labels::Lang) -> String {
        match lang {
            crate::labels::Lang::Zh => self.label_zh(),
            crate::labels::Lang::En => self.label_en(),
        }
    }

    /// The label of a span given by its id (as answers carry it), if it is one.
    pub fn label_of(id: &str, lang: crate::labels::Lang) -> Option<String> {
        id.parse::<DutySpan>().ok().map(|s| s.label(lang))
    }

    /// The rest days the roster must cover, as the calendar says.
    pub fn rest_days(self, cal: &HolidayCalendar) -> Result<Vec<NaiveDate>, PeriodError> {
        match self {
            DutySpan::Month(m) => cal.rest_days(m.first_day(), m.last_day()),
            DutySpan::Holiday { year, holiday } => cal.holiday_period(year, holiday),
        }
    }

    /// The spans a year can have: its months and its holidays.
    pub fn all_of(year: i32) -> Vec<DutySpan> {
        let mut out: Vec<DutySpan> = (1..=12)
            .filter_map(|m| Month::new(year, m))
            .map(DutySpan::Month)
            .collect();
        out.extend(
            Holiday::ALL
                .into_iter()
                .map(|holiday| DutySpan::Holiday { year, holiday }),
        );
        out
    }
}

/// `2026-10` or `2026-national_day` (the form ids use).
impl fmt::Display for DutySpan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DutySpan::Month(m) => write!(f, "{m}"),
            DutySpan::Holiday { year, holiday } => write!(f, "{year:04}-{}", holiday.code()),
        }
    }
}

/// A month (`2026-10`) or a year and a holiday's name in any spelling:
/// `2026 国庆节`, `2026国庆节`, `2026-national_day`.
impl FromStr for DutySpan {
    type Err = Said;
    fn from_str(s: &str) -> Result<Self, Said> {
        let s = s.trim();
        if let Ok(m) = s.parse::<Month>() {
            return Ok(DutySpan::Month(m));
        }
        let digits = s.chars().take_while(char::is_ascii_digit).count();
        let rest = s[digits..].trim_start_matches(['-', ' ', '年', '_']).trim();
        if digits != 4 || rest.is_empty() {
            return Err(Said::new(
                format!("“{s}”既不是月份（YYYY-MM），也不是年份加节日名称（如“2026 国庆节”）"),
                format!(
                    "{s:?} is neither a month (YYYY-MM) nor a year and a holiday (e.g. \"2026 国庆节\")"
                ),
            ));
        }
        let year: i32 = s[..digits]
            .parse()
            .map_err(|_| Said::new(format!("“{s}”中的年份有误"), format!("{s:?}: bad year")))?;
        let holiday: Holiday = rest.parse().map_err(|e: String| {
            let known: Vec<&str> = Holiday::ALL.iter().map(|h| h.label_zh()).collect();
            Said::new(
                format!(
                    "“{rest}”不是节日名称（规则：duty.holiday_name），应为：{}",
                    known.join("、")
                ),
                e,
            )
        })?;
        Ok(DutySpan::Holiday { year, holiday })
    }
}

impl Serialize for DutySpan {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DutySpan {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// One leader on duty (带班领导), by roster name; the phone is optional.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DutyLeader {
    pub name: String,
    #[serde(default)]
    pub phone: String,
}

/// One rest day and its duty leaders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DutyDay {
    pub date: NaiveDate,
    pub leaders: Vec<DutyLeader>,
}

/// Why a duty roster cannot stand, with the field and the rule it breaks.
/// Displayed in Chinese, then in English in brackets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DutyProblem {
    NotRestDay { date: NaiveDate, kind: &'static str },
    OutsideSpan { date: NaiveDate, span: String },
    Twice { date: NaiveDate },
    NoLeader { date: NaiveDate },
    NotOnRoster { name: String, date: NaiveDate },
    Inactive { name: String, date: NaiveDate },
    Uncovered { date: NaiveDate, span: String },
}

impl fmt::Display for DutyProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.zh(), self.en())
    }
}

impl std::error::Error for DutyProblem {}

impl DutyProblem {
    fn zh(&self) -> String {
        match self {
            DutyProblem::NotRestDay { date, kind } => {
                format!("{date} 是{kind}，值班安排表只列休息日")
            }
            DutyProblem::OutsideSpan { date, span } => format!("{date} 不在{span}之内"),
            DutyProblem::Twice { date } => format!("{date} 重复列出"),
            DutyProblem::NoLeader { date } => format!("{date} 没有值班领导"),
            DutyProblem::NotOnRoster { name, date } => {
                format!("{name}（{date}）不在本单位领导名册中")
            }
            DutyProblem::Inactive { name, date } => format!("{name}（{date}）已不在岗"),
            DutyProblem::Uncovered { date, span } => {
                format!("{span}的休息日 {date} 尚未安排值班领导")
            }
        }
    }

    fn en(&self) -> String {
        match self {
            DutyProblem::NotRestDay { date, .. } => format!(
                "{date} is a working day by the holiday calendar; a duty roster lists rest days only"
            ),
            DutyProblem::OutsideSpan { date, span } => format!("{date} is outside {span}"),
            DutyProblem::Twice { date } => format!("{date} is listed twice"),
            DutyProblem::NoLeader { date } => format!("{date} has no duty leader"),
            DutyProblem::NotOnRoster { name, .. } => {
                format!("{name} is not on the unit's roster")
            }
            DutyProblem::Inactive { name, .. } => {
                format!("{name} is no longer active on the roster")
            }
            DutyProblem::Uncovered { date, .. } => {
                format!("rest day {date} has no duty leader; every rest day needs one")
            }
        }
    }

    /// The problem and its rule as said beside the field: in Chinese, and as
    /// the node has always said it (the Chinese with the English in brackets).
    pub fn said(&self) -> Said {
        let rule = self.rule();
        Said::new(
            format!("{}（规则：{rule}）", self.zh()),
            format!("{self} (rule {rule})"),
        )
    }

    /// The request field it concerns.
    pub fn field(&self) -> &'static str {
        match self {
            DutyProblem::NotRestDay { .. }
            | DutyProblem::OutsideSpan { .. }
            | DutyProblem::Twice { .. }
            | DutyProblem::Uncovered { .. } => "day.date",
            DutyProblem::NoLeader { .. }
            | DutyProblem::NotOnRoster { .. }
            | DutyProblem::Inactive { .. } => "day.leader",
        }
    }

    /// The rule, as errors and docs name it.
    pub fn rule(&self) -> &'static str {
        match self {
            DutyProblem::NotRestDay { .. } => "duty.rest_day",
            DutyProblem::OutsideSpan { .. } => "duty.in_span",
            DutyProblem::Twice { .. } => "duty.once_a_day",
            DutyProblem::NoLeader { .. } | DutyProblem::Uncovered { .. } => "duty.leader_each_day",
            DutyProblem::NotOnRoster { .. } => "duty.on_roster",
            DutyProblem::Inactive { .. } => "duty.active_leader",
        }
    }
}

/// Whether every listed day is a rest day of the span with active roster leaders.
/// A draft may still lack days; [`uncovered`] says which before approval.
pub fn check_days(
    span: DutySpan,
    span_days: &[NaiveDate],
    cal: &HolidayCalendar,
    roster: &[Leader],
    days: &[DutyDay],
) -> Result<(), DutyProblem> {
    let allowed: BTreeSet<NaiveDate> = span_days.iter().copied().collect();
    let mut seen = BTreeSet::new();
    for day in days {
        let date = day.date;
        let (kind, _) = cal.day(date);
        if kind.is_working() {
            return Err(DutyProblem::NotRestDay {
                date,
                kind: match kind {
                    DayKind::AdjustedWorking => "调休上班日",
                    _ => "工作日",
                },
            });
        }
        if !allowed.contains(&date) {
            return Err(DutyProblem::OutsideSpan {
                date,
                span: span.label_zh(),
            });
        }
        if !seen.insert(date) {
            return Err(DutyProblem::Twice { date });
        }
        if day.leaders.is_empty() {
            return Err(DutyProblem::NoLeader { date });
        }
        for l in &day.leaders {
            match roster.iter().find(|r| r.name == l.name) {
                None => {
                    return Err(DutyProblem::NotOnRoster {
                        name: l.name.clone(),
                        date,
                    });
                }
                Some(r) if !r.active => {
                    return Err(DutyProblem::Inactive {
                        name: l.name.clone(),
                        date,
                    });
                }
                Some(_) => {}
            }
        }
    }
    Ok(())
}

/// The span's rest days the roster leaves without a leader.
pub fn uncovered(span_days: &[NaiveDate], days: &[DutyDay]) -> Vec<NaiveDate> {
    let covered: BTreeSet<NaiveDate> = days
        .iter()
        .filter(|d| !d.leaders.is_empty())
        .map(|d| d.date)
        .collect();
    span_days
        .iter()
        .copied()
        .filter(|d| !covered.contains(d))
        .collect()
}

/// A roster ready to file: checked, and covering every rest day.
pub fn check_complete(
    span: DutySpan,
    span_days: &[NaiveDate],
    cal: &HolidayCalendar,
    roster: &[Leader],
    days: &[DutyDay],
) -> Result<(), DutyProblem> {
    check_days(span, span_days, cal, roster, days)?;
    match uncovered(span_days, days).first() {
        Some(&date) => Err(DutyProblem::Uncovered {
            date,
            span: span.label_zh(),
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::model::LeaderRole;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn leader(name: &str, active: bool) -> Leader {
        Leader {
            name: name.into(),
            position: "副县长".into(),
            portfolio: String::new(),
            role: LeaderRole::Member,
            class: None,
            active,
        }
    }

    fn day(date: &str, name: &str) -> DutyDay {
        DutyDay {
            date: d(date),
            leaders: vec![DutyLeader {
                name: name.into(),
                phone: String::new(),
            }],
        }
    }

    fn national_day() -> (DutySpan, HolidayCalendar, Vec<NaiveDate>) {
        let cal = HolidayCalendar::official().unwrap();
        let span: DutySpan = "2026 国庆节".parse().unwrap();
        let days = span.rest_days(&cal).unwrap();
        (span, cal, days)
    }

    #[test]
    fn spans_parse_from_months_and_holiday_names_and_print_as_ids() {
        assert_eq!(
            "2026 国庆节".parse::<DutySpan>(),
            Ok(DutySpan::Holiday {
                year: 2026,
                holiday: Holiday::NationalDay
            })
        );
        for s in ["2026国庆节", "2026年国庆节", "2026-national_day"] {
            assert_eq!(
                s.parse::<DutySpan>().unwrap().to_string(),
                "2026-national_day"
            );
        }
        assert_eq!(
            "2026-10".parse::<DutySpan>().unwrap(),
            DutySpan::Month(Month::new(2026, 10).unwrap())
        );
        let e = "2026 重阳节".parse::<DutySpan>().unwrap_err().to_string();
        assert!(e.contains("duty.holiday_name"), "{e}");
        assert!("国庆节".parse::<DutySpan>().is_err());
        assert_eq!(DutySpan::all_of(2026).len(), 19);
    }

    #[test]
    fn a_complete_national_day_roster_is_accepted() {
        let (span, cal, span_days) = national_day();
        assert_eq!(span_days.len(), 7);
        let roster = [leader("张三", true), leader("李四", true)];
        let days: Vec<DutyDay> = span_days
            .iter()
            .enumerate()
            .map(|(i, x)| day(&x.to_string(), if i % 2 == 0 { "张三" } else { "李四" }))
            .collect();
        assert_eq!(
            check_complete(span, &span_days, &cal, &roster, &days),
            Ok(())
        );
    }

    #[test]
    fn a_missing_rest_day_a_working_day_and_unknown_leaders_are_refused_by_date() {
        let (span, cal, span_days) = national_day();
        let roster = [leader("张三", true), leader("王五", false)];
        let mut days: Vec<DutyDay> = span_days
            .iter()
            .map(|x| day(&x.to_string(), "张三"))
            .collect();
        days.retain(|x| x.date != d("2026-10-04"));
        let e = check_complete(span, &span_days, &cal, &roster, &days).unwrap_err();
        assert_eq!(e.rule(), "duty.leader_each_day");
        assert!(e.to_string().contains("2026-10-04"), "{e}");

        // The Saturday after the holiday is worked by adjustment.
        let mut with_working = days.clone();
        with_working.push(day("2026-10-10", "张三"));
        let e = check_days(span, &span_days, &cal, &roster, &with_working).unwrap_err();
        assert_eq!((e.rule(), e.field()), ("duty.rest_day", "day.date"));
        assert!(e.to_string().contains("2026-10-10"), "{e}");

        // A weekend outside the holiday is a rest day, but not this span's.
        let e = check_days(
            span,
            &span_days,
            &cal,
            &roster,
            &[day("2026-10-11", "张三")],
        )
        .unwrap_err();
        assert_eq!(e.rule(), "duty.in_span");

        let e = check_days(
            span,
            &span_days,
            &cal,
            &roster,
            &[day("2026-10-01", "赵六")],
        )
        .unwrap_err();
        assert_eq!((e.rule(), e.field()), ("duty.on_roster", "day.leader"));
        let e = check_days(
            span,
            &span_days,
            &cal,
            &roster,
            &[day("2026-10-01", "王五")],
        )
        .unwrap_err();
        assert_eq!(e.rule(), "duty.active_leader");
        let twice = [day("2026-10-01", "张三"), day("2026-10-01", "张三")];
        assert_eq!(
            check_days(span, &span_days, &cal, &roster, &twice)
                .unwrap_err()
                .rule(),
            "duty.once_a_day"
        );
    }

    #[test]
    fn a_month_span_is_its_weekends_and_holidays_less_adjusted_working_days() {
        let cal = HolidayCalendar::official().unwrap();
        let span: DutySpan = "2026-10".parse().unwrap();
        let days = span.rest_days(&cal).unwrap();
        assert!(days.contains(&d("2026-10-01")) && days.contains(&d("2026-10-31")));
        assert!(!days.contains(&d("2026-10-10")));
        // 1–7 off, then 11, 17, 18, 24, 25, 31.
        assert_eq!(days.len(), 13);
        assert!(
            "2031-10"
                .parse::<DutySpan>()
                .unwrap()
                .rest_days(&cal)
                .is_err()
        );
    }
}
