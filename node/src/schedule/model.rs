//! The vocabulary of reception schedules: leaders, their roles, months, entries.
//! Plain data with serde; no IO.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// A leader's part in petition work (seed 000 第四条: the leader in charge reviews,
/// the principal leader approves).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeaderRole {
    /// 党政主要领导: approves the schedule.
    Principal,
    /// 分管信访工作的领导: reviews the schedule.
    InCharge,
    /// 班子成员: takes turns at receptions.
    Member,
}

impl LeaderRole {
    pub const ALL: [LeaderRole; 3] = [
        LeaderRole::Principal,
        LeaderRole::InCharge,
        LeaderRole::Member,
    ];

    pub fn code(self) -> &'static str {
        match self {
            LeaderRole::Principal => "principal",
            LeaderRole::InCharge => "in_charge",
            LeaderRole::Member => "member",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            LeaderRole::Principal => "主要领导",
            LeaderRole::InCharge => "分管领导",
            LeaderRole::Member => "班子成员",
        }
    }
}

impl FromStr for LeaderRole {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "principal" | "主要领导" => Ok(LeaderRole::Principal),
            "in_charge" | "分管领导" => Ok(LeaderRole::InCharge),
            "member" | "班子成员" => Ok(LeaderRole::Member),
            other => Err(format!(
                "unknown role {other:?}; known: principal, in_charge, member"
            )),
        }
    }
}

/// One leader on a unit's roster. The name is the key within the unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Leader {
    pub name: String,
    /// 职务, e.g. 县委常委、组织部部长.
    pub position: String,
    /// 分管工作.
    #[serde(default)]
    pub portfolio: String,
    pub role: LeaderRole,
    /// Leaders who left stay on the roster (old schedules name them) but inactive.
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

/// A calendar month, `YYYY-MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Month {
    pub year: i32,
    /// 1..=12
    pub month: u32,
}

impl Month {
    pub fn new(year: i32, month: u32) -> Option<Month> {
        NaiveDate::from_ymd_opt(year, month, 1).map(|_| Month { year, month })
    }

    pub fn of(date: NaiveDate) -> Month {
        Month {
            year: date.year(),
            month: date.month(),
        }
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or(NaiveDate::MIN)
    }

    pub fn last_day(self) -> NaiveDate {
        self.next().first_day().pred_opt().unwrap_or(NaiveDate::MAX)
    }

    pub fn days(self) -> impl Iterator<Item = NaiveDate> {
        let last = self.last_day();
        self.first_day().iter_days().take_while(move |d| *d <= last)
    }

    pub fn contains(self, date: NaiveDate) -> bool {
        Month::of(date) == self
    }

    pub fn next(self) -> Month {
        if self.month == 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    pub fn prev(self) -> Month {
        if self.month == 1 {
            Month {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Month {
                year: self.year,
                month: self.month - 1,
            }
        }
    }

    /// 1..=4
    pub fn quarter(self) -> u32 {
        (self.month - 1) / 3 + 1
    }

    /// `2016年4月`
    pub fn label_zh(self) -> String {
        format!("{}年{}月", self.year, self.month)
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl FromStr for Month {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("{s:?} is not a month; write YYYY-MM, e.g. 2016-04");
        let (y, m) = s.trim().split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        let month: u32 = m.parse().map_err(|_| bad())?;
        Month::new(year, month).ok_or_else(bad)
    }
}

impl Serialize for Month {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Month {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A quarter, `YYYYQn`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Quarter {
    pub year: i32,
    /// 1..=4
    pub quarter: u32,
}

impl Quarter {
    pub fn of(m: Month) -> Quarter {
        Quarter {
            year: m.year,
            quarter: m.quarter(),
        }
    }

    pub fn months(self) -> [Month; 3] {
        let first = (self.quarter - 1) * 3 + 1;
        [0, 1, 2].map(|i| Month {
            year: self.year,
            month: first + i,
        })
    }

    pub fn first_day(self) -> NaiveDate {
        self.months()[0].first_day()
    }

    pub fn last_day(self) -> NaiveDate {
        self.months()[2].last_day()
    }

    pub fn prev(self) -> Quarter {
        Quarter::of(self.months()[0].prev())
    }

    pub fn label_zh(self) -> String {
        format!("{}年第{}季度", self.year, self.quarter)
    }
}

impl fmt::Display for Quarter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}Q{}", self.year, self.quarter)
    }
}

impl FromStr for Quarter {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("{s:?} is not a quarter; write YYYYQn, e.g. 2016Q2");
        let up = s.trim().to_ascii_uppercase();
        let (y, q) = up.split_once('Q').ok_or_else(bad)?;
        let year: i32 = y.parse().map_err(|_| bad())?;
        let quarter: u32 = q.parse().map_err(|_| bad())?;
        if y.len() != 4 || !(1..=4).contains(&quarter) {
            return Err(bad());
        }
        Ok(Quarter { year, quarter })
    }
}

/// One scheduled reception: a leader on a day (附件2's row, plus the form and topic).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub date: NaiveDate,
    /// Roster name.
    pub leader: String,
    /// 职务 as printed on the schedule (the roster's, unless the table said otherwise).
    pub position: String,
    /// 接访地点.
    pub place: String,
    /// Reception form: a `reception_form` code of the taxonomy (e.g. `fixed`).
    pub form: String,
    /// 专题接访's topic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Scheduled on a non-working day on purpose (refused otherwise).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub non_working_day_override: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_parse_and_walk() {
        let m: Month = "2016-04".parse().unwrap();
        assert_eq!(m.to_string(), "2016-04");
        assert_eq!(m.days().count(), 30);
        assert_eq!(m.prev().to_string(), "2016-03");
        assert_eq!(
            "2016-12".parse::<Month>().unwrap().next().to_string(),
            "2017-01"
        );
        assert_eq!(
            "2016-01".parse::<Month>().unwrap().prev().to_string(),
            "2015-12"
        );
        assert_eq!(m.quarter(), 2);
        for bad in ["2016-13", "2016-4", "16-04", "2016/04", "", "2016-00"] {
            assert!(bad.parse::<Month>().is_err(), "{bad}");
        }
        let q: Quarter = "2016q2".parse().unwrap();
        assert_eq!(q.months()[0], m);
        assert_eq!(q.last_day().to_string(), "2016-06-30");
        assert_eq!(q.prev().to_string(), "2016Q1");
        assert!("2016Q5".parse::<Quarter>().is_err());
    }
}
