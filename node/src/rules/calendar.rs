//! Working days in China: weekends, public holidays and adjusted working days (调休),
//! from yearly data (`data/holidays-cn.toml`). A year without data is counted by
//! weekends alone and says so: the next year's schedule is published each November.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, RwLock};

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::Deserialize;

pub use super::holiday::Holiday;

const OFFICIAL: &str = include_str!("../../data/holidays-cn.toml");

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("holiday data is not valid TOML: {0}")]
    Parse(String),
    #[error("holiday data, year {year}: {value:?} is not a date or a range A..B of dates")]
    BadDate { year: i32, value: String },
    #[error("holiday data, year {year}: {date} belongs to another year")]
    WrongYear { year: i32, date: NaiveDate },
    #[error("holiday data, year {year}: {date} is listed both as a day off and as a working day")]
    Both { year: i32, date: NaiveDate },
    #[error("holiday data: year {0} is listed twice")]
    Duplicate(i32),
    #[error("holiday data, year {year}: {name:?} is not a holiday name; known: {known}")]
    UnknownName {
        year: i32,
        name: String,
        known: String,
    },
    #[error("holiday data, year {year}: {date} is named by both {first} and {second}")]
    NamedTwice {
        year: i32,
        date: NaiveDate,
        first: String,
        second: String,
    },
    #[error("holiday data, year {year}: {name} names {date}, which is not a day off")]
    NamedNotOff {
        year: i32,
        name: String,
        date: NaiveDate,
    },
}

/// Said when a computation crossed a year the calendar has no data for.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MissingYear {
    pub year: i32,
}

impl std::fmt::Display for MissingYear {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} 年节假日安排尚无数据，已仅按周末计算 (no holiday data for {}: counted by weekends only)",
            self.year, self.year
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayKind {
    /// Monday to Friday, no holiday.
    Working,
    /// A weekend day that is a working day by adjustment (调休上班).
    AdjustedWorking,
    Weekend,
    /// A public holiday or a day off by adjustment.
    Holiday,
}

impl DayKind {
    pub fn is_working(self) -> bool {
        matches!(self, DayKind::Working | DayKind::AdjustedWorking)
    }
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct YearData {
    off: BTreeSet<NaiveDate>,
    work: BTreeSet<NaiveDate>,
    /// The named holiday periods (the notice's 一、元旦 … 七、国庆节).
    named: BTreeMap<Holiday, Vec<NaiveDate>>,
    /// The notice the data reproduces.
    source: String,
}

#[derive(Deserialize)]
struct File {
    #[serde(default)]
    year: Vec<YearEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YearEntry {
    year: i32,
    #[serde(default)]
    source: String,
    #[serde(default)]
    off: Vec<String>,
    #[serde(default)]
    work: Vec<String>,
    /// Holiday name (`national_day`, …) → its days off, "A..B".
    #[serde(default)]
    names: BTreeMap<String, String>,
}

/// The days of each year: the shipped data, overlaid by years a superior
/// published to its subtree (`holidays`). Clones share one calendar, so a year
/// that arrives is counted by every service at once.
#[derive(Debug, Clone)]
pub struct HolidayCalendar {
    shipped: Arc<BTreeMap<i32, YearData>>,
    live: Arc<RwLock<Live>>,
}

#[derive(Debug, Default)]
struct Live {
    years: BTreeMap<i32, YearData>,
    /// The published years in force, with the text they came from.
    published: BTreeMap<i32, Published>,
}

/// A year published by a superior (or this unit) and in force here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub issuer: String,
    pub source: String,
    /// A digest of the year's data, for the query tables' shape.
    pub digest: String,
}

/// One year as a calendar file gives it: its data and its `source`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedYear {
    pub year: i32,
    pub source: String,
    pub data: YearData,
}

fn expand(year: i32, value: &str) -> Result<Vec<NaiveDate>, CalendarError> {
    let bad = || CalendarError::BadDate {
        year,
        value: value.to_owned(),
    };
    let parse = |s: &str| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| bad());
    let (a, b) = match value.split_once("..") {
        Some((a, b)) => (parse(a)?, parse(b)?),
        None => {
            let d = parse(value)?;
            (d, d)
        }
    };
    if b < a || (b - a).num_days() > 31 {
        return Err(bad());
    }
    let mut out = Vec::new();
    let mut d = a;
    while d <= b {
        if d.year() != year {
            return Err(CalendarError::WrongYear { year, date: d });
        }
        out.push(d);
        d = d.succ_opt().ok_or_else(bad)?;
    }
    Ok(out)
}

impl HolidayCalendar {
    /// The official schedules shipped with xinfang.
    pub fn official() -> Result<Self, CalendarError> {
        Self::from_toml(OFFICIAL)
    }

    pub fn from_toml(text: &str) -> Result<Self, CalendarError> {
        let years: BTreeMap<i32, YearData> = parse_years(text)?
            .into_iter()
            .map(|y| (y.year, y.data))
            .collect();
        Ok(HolidayCalendar {
            shipped: Arc::new(years.clone()),
            live: Arc::new(RwLock::new(Live {
                years,
                published: BTreeMap::new(),
            })),
        })
    }

    /// Puts `published` in force over the shipped years (a year published
    /// replaces the shipped one; a year no longer published falls back to it).
    /// Whether anything changed.
    pub fn set_published(&self, published: Vec<(ParsedYear, String)>) -> bool {
        let mut years = (*self.shipped).clone();
        let mut info = BTreeMap::new();
        for (y, issuer) in published {
            info.insert(
                y.year,
                Published {
                    issuer,
                    source: y.source.clone(),
                    digest: y.data.digest(),
                },
            );
            years.insert(y.year, y.data);
        }
        let mut live = self.live.write().unwrap_or_else(|p| p.into_inner());
        if live.years == years && live.published == info {
            return false;
        }
        *live = Live {
            years,
            published: info,
        };
        true
    }

    /// The published years in force, by year.
    pub fn published(&self) -> BTreeMap<i32, Published> {
        self.read().published.clone()
    }

    /// A digest of the published years in force ("" when none): the query
    /// tables, whose deadlines count these days, are derived again when it changes.
    pub fn fingerprint(&self) -> String {
        let live = self.read();
        live.published
            .iter()
            .map(|(y, p)| format!("{y}:{}", p.digest))
            .collect::<Vec<_>>()
            .join(",")
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Live> {
        self.live.read().unwrap_or_else(|p| p.into_inner())
    }
}

impl YearData {
    fn digest(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        for d in &self.off {
            h.update(format!("o{d}"));
        }
        for d in &self.work {
            h.update(format!("w{d}"));
        }
        for (name, days) in &self.named {
            h.update(format!("n{}", name.code()));
            for d in days {
                h.update(d.to_string());
            }
        }
        h.finalize()[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// The years of a calendar file, each checked: dates well formed and in their
/// year, no day both off and working, named holidays known and off, no year twice.
pub fn parse_years(text: &str) -> Result<Vec<ParsedYear>, CalendarError> {
    let file: File = toml::from_str(text).map_err(|e| CalendarError::Parse(e.to_string()))?;
    let mut out: Vec<ParsedYear> = Vec::new();
    for y in file.year {
        let mut data = YearData::default();
        for v in &y.off {
            data.off.extend(expand(y.year, v)?);
        }
        for v in &y.work {
            data.work.extend(expand(y.year, v)?);
        }
        if let Some(&date) = data.off.intersection(&data.work).next() {
            return Err(CalendarError::Both { year: y.year, date });
        }
        for (name, range) in &y.names {
            let holiday: Holiday = name.parse().map_err(|_| CalendarError::UnknownName {
                year: y.year,
                name: name.clone(),
                known: Holiday::known(),
            })?;
            let days = expand(y.year, range)?;
            if let Some(&date) = days.iter().find(|d| !data.off.contains(d)) {
                return Err(CalendarError::NamedNotOff {
                    year: y.year,
                    name: name.clone(),
                    date,
                });
            }
            if let Some((other, date)) = data
                .named
                .iter()
                .find_map(|(h, ds)| ds.iter().find(|d| days.contains(d)).map(|d| (*h, *d)))
            {
                return Err(CalendarError::NamedTwice {
                    year: y.year,
                    date,
                    first: other.code().to_owned(),
                    second: name.clone(),
                });
            }
            data.named.insert(holiday, days);
        }
        if out.iter().any(|p| p.year == y.year) {
            return Err(CalendarError::Duplicate(y.year));
        }
        data.source = y.source.clone();
        out.push(ParsedYear {
            year: y.year,
            source: y.source,
            data,
        });
    }
    Ok(out)
}

impl HolidayCalendar {
    pub fn has_year(&self, year: i32) -> bool {
        self.read().years.contains_key(&year)
    }

    /// A year's notice, its days off and its adjusted working days.
    pub fn describe(&self, year: i32) -> Option<(String, usize, usize)> {
        self.read()
            .years
            .get(&year)
            .map(|y| (y.source.clone(), y.off.len(), y.work.len()))
    }

    pub fn years(&self) -> Vec<i32> {
        self.read().years.keys().copied().collect()
    }

    /// What kind of day `date` is, and whether the calendar had data for its year.
    pub fn day(&self, date: NaiveDate) -> (DayKind, bool) {
        let weekend = matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
        match self.read().years.get(&date.year()) {
            Some(y) if y.off.contains(&date) => (DayKind::Holiday, true),
            Some(y) if y.work.contains(&date) => (DayKind::AdjustedWorking, true),
            known => (
                if weekend {
                    DayKind::Weekend
                } else {
                    DayKind::Working
                },
                known.is_some(),
            ),
        }
    }

    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        self.day(date).0.is_working()
    }

    /// The days off of a named holiday in `year` (2026 国庆节: 10-01..10-07), as the
    /// State Council's notice for that year gives them.
    pub fn holiday_period(
        &self,
        year: i32,
        holiday: Holiday,
    ) -> Result<Vec<NaiveDate>, PeriodError> {
        let live = self.read();
        let data = live.years.get(&year).ok_or(PeriodError::NoYear(year))?;
        data.named
            .get(&holiday)
            .cloned()
            .ok_or(PeriodError::NotNamed { year, holiday })
    }

    /// The rest days (weekends not worked by adjustment, and holidays) from `from`
    /// to `to` inclusive; refused for a year the calendar has no data for, since
    /// weekends alone would miss the holidays a duty roster is for.
    pub fn rest_days(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<NaiveDate>, PeriodError> {
        let mut out = Vec::new();
        for d in from.iter_days().take_while(|d| *d <= to) {
            let (kind, known) = self.day(d);
            if !known {
                return Err(PeriodError::NoYear(d.year()));
            }
            if !kind.is_working() {
                out.push(d);
            }
        }
        Ok(out)
    }
}

/// Why the calendar cannot name a period's rest days.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("the holiday calendar has no data for {0} (节假日安排尚无数据)")]
    NoYear(i32),
    #[error("the holiday calendar names no {} in {year}", holiday.label_zh())]
    NotNamed { year: i32, holiday: Holiday },
}

/// Working days from `today` to `due`: the working days after today up to and
/// including `due` (0 when due today or on the next day off before work resumes;
/// negative, counted the same way backwards, once `due` has passed). What a
/// worklist shows as "days left". Spans are capped at ten years either way.
pub fn working_days_left(cal: &HolidayCalendar, today: NaiveDate, due: NaiveDate) -> i64 {
    const CAP: i64 = 3660;
    let (from, to, sign) = if due >= today {
        (today, due, 1)
    } else {
        (due, today, -1)
    };
    let mut n = 0;
    let mut d = from;
    for _ in 0..CAP {
        let Some(next) = d.succ_opt() else { break };
        if next > to {
            break;
        }
        if cal.is_working_day(next) {
            n += 1;
        }
        d = next;
    }
    sign * n
}

/// How a time limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DayCount {
    /// Natural days (日).
    Calendar,
    /// Working days (工作日).
    Working,
}

/// A counting rule: the unit, and whether a period that ends on a day off runs on
/// to the next working day (the usual rule for legal periods).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
pub struct CountingRule {
    pub count: DayCount,
    #[serde(default = "yes")]
    pub roll_to_working_day: bool,
}

fn yes() -> bool {
    true
}

impl CountingRule {
    pub const CALENDAR: CountingRule = CountingRule {
        count: DayCount::Calendar,
        roll_to_working_day: true,
    };
    pub const WORKING: CountingRule = CountingRule {
        count: DayCount::Working,
        roll_to_working_day: true,
    };
}

/// A computed due date, with what the calendar could not know.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Due {
    pub date: NaiveDate,
    pub missing_years: Vec<MissingYear>,
}

/// The last day of a period of `days` starting after `start` (the start day itself is
/// not counted).
pub fn due_date(cal: &HolidayCalendar, start: NaiveDate, days: u32, rule: CountingRule) -> Due {
    let mut missing = BTreeSet::new();
    let mut note = |d: NaiveDate| {
        if !cal.has_year(d.year()) {
            missing.insert(d.year());
        }
    };
    let mut date = start;
    match rule.count {
        DayCount::Calendar => {
            date = start
                .checked_add_days(Days::new(u64::from(days)))
                .unwrap_or(NaiveDate::MAX);
            note(date);
        }
        DayCount::Working => {
            let mut left = days;
            while left > 0 {
                let Some(next) = date.succ_opt() else { break };
                date = next;
                note(date);
                if cal.is_working_day(date) {
                    left -= 1;
                }
            }
        }
    }
    if rule.roll_to_working_day {
        while !cal.is_working_day(date) {
            let Some(next) = date.succ_opt() else { break };
            date = next;
            note(date);
        }
    }
    Due {
        date,
        missing_years: missing
            .into_iter()
            .map(|year| MissingYear { year })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn official_data_loads_and_knows_adjusted_days() {
        let cal = HolidayCalendar::official().unwrap();
        assert!(cal.has_year(2025) && cal.has_year(2026) && !cal.has_year(2027));
        assert_eq!(cal.day(d("2026-02-14")), (DayKind::AdjustedWorking, true)); // Saturday
        assert_eq!(cal.day(d("2026-02-16")), (DayKind::Holiday, true)); // Monday, Spring Festival
        assert_eq!(cal.day(d("2026-02-24")), (DayKind::Working, true));
        assert_eq!(cal.day(d("2025-10-08")), (DayKind::Holiday, true));
        assert_eq!(cal.day(d("2025-10-11")), (DayKind::AdjustedWorking, true));
        assert_eq!(cal.day(d("2027-01-01")), (DayKind::Working, false));
    }

    #[test]
    fn working_days_skip_the_spring_festival_and_count_the_adjusted_saturday() {
        let cal = HolidayCalendar::official().unwrap();
        // Objection window: 5 working days from Thursday 2026-02-12.
        // Fri 13 (1), Sat 14 adjusted working (2), 15–23 off, Tue 24 (3), Wed 25 (4), Thu 26 (5).
        let due = due_date(&cal, d("2026-02-12"), 5, CountingRule::WORKING);
        assert_eq!(due.date, d("2026-02-26"));
        assert!(due.missing_years.is_empty());
    }

    #[test]
    fn calendar_days_ending_in_a_holiday_run_on_to_the_next_working_day() {
        let cal = HolidayCalendar::official().unwrap();
        // 15 days from 2025-09-20 end on 2025-10-05 (National Day): next working day
        // is Thursday 2025-10-09.
        let due = due_date(&cal, d("2025-09-20"), 15, CountingRule::CALENDAR);
        assert_eq!(due.date, d("2025-10-09"));
        // 15 days from Monday 2026-01-26 end on Tuesday 2026-02-10: no roll needed;
        // from 2026-01-24 they end on Sunday 2026-02-08 and roll to Monday.
        assert_eq!(
            due_date(&cal, d("2026-01-26"), 15, CountingRule::CALENDAR).date,
            d("2026-02-10")
        );
        assert_eq!(
            due_date(&cal, d("2026-01-24"), 15, CountingRule::CALENDAR).date,
            d("2026-02-09")
        );
        // A rule without rolling keeps the holiday.
        let strict = CountingRule {
            count: DayCount::Calendar,
            roll_to_working_day: false,
        };
        assert_eq!(
            due_date(&cal, d("2025-09-20"), 15, strict).date,
            d("2025-10-05")
        );
    }

    #[test]
    fn a_year_without_data_is_counted_by_weekends_and_says_so() {
        let cal = HolidayCalendar::official().unwrap();
        let due = due_date(&cal, d("2026-12-20"), 60, CountingRule::CALENDAR);
        assert_eq!(due.date, d("2027-02-18")); // a Thursday; 2027 has no data
        assert_eq!(due.missing_years, vec![MissingYear { year: 2027 }]);
        assert!(due.missing_years[0].to_string().contains("2027"));
    }

    #[test]
    fn bad_data_is_refused_with_the_year_and_value() {
        let e = HolidayCalendar::from_toml("[[year]]\nyear = 2030\noff = [\"2030-13-01\"]")
            .unwrap_err();
        assert!(e.to_string().contains("2030-13-01"), "{e}");
        let e = HolidayCalendar::from_toml("[[year]]\nyear = 2030\noff = [\"2031-01-01\"]")
            .unwrap_err();
        assert!(matches!(e, CalendarError::WrongYear { .. }));
        let e = HolidayCalendar::from_toml(
            "[[year]]\nyear = 2030\noff = [\"2030-01-05\"]\nwork = [\"2030-01-05\"]",
        )
        .unwrap_err();
        assert!(matches!(e, CalendarError::Both { .. }));
        // Two holidays naming one day overlap.
        let e = HolidayCalendar::from_toml(
            "[[year]]\nyear = 2030\noff = [\"2030-10-01..2030-10-08\"]\n\
             names = { national_day = \"2030-10-01..2030-10-07\", mid_autumn = \"2030-10-07..2030-10-08\" }",
        )
        .unwrap_err();
        assert!(
            matches!(e, CalendarError::NamedTwice { .. }) && e.to_string().contains("2030-10-07"),
            "{e}"
        );
    }

    #[test]
    fn published_years_overlay_the_shipped_ones_for_every_clone() {
        let cal = HolidayCalendar::official().unwrap();
        let shared = cal.clone();
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert!(!cal.has_year(2030) && cal.fingerprint().is_empty());
        let year = parse_years("[[year]]\nyear = 2030\nsource = \"test\"\noff = [\"2030-01-02\"]")
            .unwrap()
            .remove(0);
        assert!(cal.set_published(vec![(year.clone(), "441500".into())]));
        // A clone counts the same days at once.
        assert!(!shared.is_working_day(d("2030-01-02")));
        assert!(!shared.fingerprint().is_empty());
        // The same again changes nothing; withdrawn, the year is gone again.
        assert!(!cal.set_published(vec![(year, "441500".into())]));
        assert!(cal.set_published(Vec::new()));
        assert!(shared.is_working_day(d("2030-01-02")) && !shared.has_year(2030));
        // A shipped year stays when nothing is published over it.
        assert!(shared.has_year(2026));
    }

    #[test]
    fn working_days_left_counts_both_ways() {
        let cal = HolidayCalendar::official().unwrap();
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        // Friday 2026-11-27 to Tuesday 2026-12-01: Monday and Tuesday.
        assert_eq!(working_days_left(&cal, d("2026-11-27"), d("2026-12-01")), 2);
        assert_eq!(working_days_left(&cal, d("2026-12-01"), d("2026-12-01")), 0);
        assert_eq!(
            working_days_left(&cal, d("2026-12-01"), d("2026-11-27")),
            -2
        );
    }

    #[test]
    fn the_2026_national_day_holiday_is_its_seven_days_off_and_its_rest_days() {
        let cal = HolidayCalendar::official().unwrap();
        let days = cal.holiday_period(2026, Holiday::NationalDay).unwrap();
        assert_eq!(days.first(), Some(&d("2026-10-01")));
        assert_eq!(days.last(), Some(&d("2026-10-07")));
        assert_eq!(days.len(), 7);
        // The Saturday after it is worked by adjustment: not a rest day.
        let rest = cal.rest_days(d("2026-10-01"), d("2026-10-11")).unwrap();
        assert!(!rest.contains(&d("2026-10-10")), "{rest:?}");
        assert!(rest.contains(&d("2026-10-11")));
        assert_eq!(rest.len(), 8);
        assert_eq!(
            cal.holiday_period(2031, Holiday::NationalDay),
            Err(PeriodError::NoYear(2031))
        );
        assert_eq!(
            cal.rest_days(d("2030-12-30"), d("2031-01-02")),
            Err(PeriodError::NoYear(2030))
        );
        assert_eq!(
            cal.holiday_period(2025, Holiday::MidAutumn),
            Err(PeriodError::NotNamed {
                year: 2025,
                holiday: Holiday::MidAutumn
            })
        );
    }

    #[test]
    fn a_named_holiday_must_be_days_off_and_a_known_name() {
        let e = HolidayCalendar::from_toml(
            "[[year]]\nyear = 2026\noff = [\"2026-10-01\"]\nnames = { national_day = \"2026-10-01..2026-10-02\" }",
        )
        .unwrap_err();
        assert!(matches!(e, CalendarError::NamedNotOff { .. }), "{e}");
        let e = HolidayCalendar::from_toml(
            "[[year]]\nyear = 2026\noff = [\"2026-10-01\"]\nnames = { chongyang = \"2026-10-01\" }",
        )
        .unwrap_err();
        assert!(e.to_string().contains("chongyang"), "{e}");
    }
}
