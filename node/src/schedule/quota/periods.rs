//! The spans of days a rule's period judges when a month is checked: the ISO weeks
//! whose Thursday falls in it, the month, and the quarter, half-year or year ending
//! with it.

use chrono::{Datelike, Days, NaiveDate};

use crate::schedule::model::{Month, Quarter};
use crate::schedule::ruleset::Period;

/// A span of days judged for a rule in the checked month.
pub(super) struct Span {
    pub(super) first: NaiveDate,
    pub(super) last: NaiveDate,
    /// `2016-W14`, …
    pub(super) label: String,
    /// `2016年第14周（4月4日至4月10日）`, …
    pub(super) label_zh: String,
    pub(super) is_week: bool,
}

impl Span {
    pub(super) fn contains(&self, d: NaiveDate) -> bool {
        self.first <= d && d <= self.last
    }

    pub(super) fn days(&self) -> impl Iterator<Item = NaiveDate> + use<> {
        let last = self.last;
        self.first.iter_days().take_while(move |d| *d <= last)
    }
}

pub(super) fn month_span(m: Month) -> Span {
    Span {
        first: m.first_day(),
        last: m.last_day(),
        label: m.to_string(),
        label_zh: m.label_zh(),
        is_week: false,
    }
}

/// The spans of `period` judged when `month` is checked.
pub(super) fn spans(period: Period, month: Month) -> Vec<Span> {
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
