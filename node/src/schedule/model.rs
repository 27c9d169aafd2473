//! The vocabulary of reception schedules: leaders, their roles, months, entries.
//! Plain data with serde; no IO.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};

use crate::labels::Said;

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
    type Err = Said;
    fn from_str(s: &str) -> Result<Self, Said> {
        match s {
            "principal" | "主要领导" => Ok(LeaderRole::Principal),
            "in_charge" | "分管领导" => Ok(LeaderRole::InCharge),
            "member" | "班子成员" => Ok(LeaderRole::Member),
            other => Err(Said::new(
                format!("“{other}”不是领导角色，应填主要领导、分管领导或班子成员"),
                format!("unknown role {other:?}; known: principal, in_charge, member"),
            )),
        }
    }
}

/// The class of a leader's post (职务类别), which rules treat differently: quotas
/// written per class (Shenzhen, seed 002: the secretary half-yearly, standing-committee
/// members and vice-mayors quarterly; seed 001 text 5: the district party secretary
/// monthly, the district head twice a month) and the recipients of the eight-copy
/// supervision form (八联单, seed 004: party secretary, deputy secretary, government
/// head, deputy head, discipline secretary, organisation head). The 职务 text stays
/// as printed; the class is the closed code rules name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PositionClass {
    /// 党委书记 (县委书记, 镇党委书记, 市委书记).
    PartySecretary,
    /// 党委副书记 (主管副书记).
    DeputySecretary,
    /// 政府主要负责人 (县长, 镇长, 市长, 区长).
    GovernmentHead,
    /// 党委常委 without a more specific class.
    StandingCommittee,
    /// 纪委书记 (a standing-committee member whom the supervision form names).
    DisciplineSecretary,
    /// 组织部部长 (likewise).
    OrganisationHead,
    /// 政府副职 (副县长, 副镇长, 副市长).
    DeputyHead,
    /// 部门主要负责人 (局长, 主任, 院长) of a department or institution.
    DepartmentHead,
    /// 部门副职 (副局长, 副主任, 副院长).
    DeputyDepartmentHead,
    /// Any other member of the leadership (班子成员).
    Member,
}

impl PositionClass {
    pub const ALL: [PositionClass; 10] = [
        PositionClass::PartySecretary,
        PositionClass::DeputySecretary,
        PositionClass::GovernmentHead,
        PositionClass::StandingCommittee,
        PositionClass::DisciplineSecretary,
        PositionClass::OrganisationHead,
        PositionClass::DeputyHead,
        PositionClass::DepartmentHead,
        PositionClass::DeputyDepartmentHead,
        PositionClass::Member,
    ];

    pub fn code(self) -> &'static str {
        match self {
            PositionClass::PartySecretary => "party_secretary",
            PositionClass::DeputySecretary => "deputy_secretary",
            PositionClass::GovernmentHead => "government_head",
            PositionClass::StandingCommittee => "standing_committee",
            PositionClass::DisciplineSecretary => "discipline_secretary",
            PositionClass::OrganisationHead => "organisation_head",
            PositionClass::DeputyHead => "deputy_head",
            PositionClass::DepartmentHead => "department_head",
            PositionClass::DeputyDepartmentHead => "deputy_department_head",
            PositionClass::Member => "member",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            PositionClass::PartySecretary => "党委书记",
            PositionClass::DeputySecretary => "党委副书记",
            PositionClass::GovernmentHead => "政府主要负责人",
            PositionClass::StandingCommittee => "党委常委",
            PositionClass::DisciplineSecretary => "纪委书记",
            PositionClass::OrganisationHead => "组织部部长",
            PositionClass::DeputyHead => "政府副职",
            PositionClass::DepartmentHead => "部门主要负责人",
            PositionClass::DeputyDepartmentHead => "部门副职",
            PositionClass::Member => "班子成员",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            PositionClass::PartySecretary => "party secretary",
            PositionClass::DeputySecretary => "deputy party secretary",
            PositionClass::GovernmentHead => "government head",
            PositionClass::StandingCommittee => "standing-committee member",
            PositionClass::DisciplineSecretary => "discipline secretary",
            PositionClass::OrganisationHead => "organisation head",
            PositionClass::DeputyHead => "deputy government head",
            PositionClass::DepartmentHead => "department head",
            PositionClass::DeputyDepartmentHead => "deputy department head",
            PositionClass::Member => "member",
        }
    }

    /// The class a printed 职务 most plainly names, for rosters written before
    /// classes and tables that carry only the 职务 text. In a combined title the
    /// post rules treat most specifically wins: 县委常委、组织部部长 is an
    /// organisation head, 县委副书记、县长 the government head. Nothing
    /// recognised: `Member`.
    pub fn infer(position: &str) -> PositionClass {
        let p = position.trim();
        let has = |s: &str| p.contains(s);
        let heads = ["县长", "市长", "镇长", "区长", "乡长"];
        let deputy_head = heads.iter().any(|h| has(&format!("副{h}")));
        // The people's congress and the political consultative conference have
        // their own leaders (人大常委会主任, 政协主席), none of the posts below.
        if has("人大") || has("政协") {
            PositionClass::Member
        } else if has("纪委书记") || has("纪工委书记") || has("监委主任") {
            PositionClass::DisciplineSecretary
        } else if has("组织部部长") || has("组织部长") {
            PositionClass::OrganisationHead
        } else if deputy_head {
            PositionClass::DeputyHead
        } else if heads.iter().any(|h| has(h)) {
            PositionClass::GovernmentHead
        } else if has("副书记") {
            PositionClass::DeputySecretary
        } else if has("书记") {
            PositionClass::PartySecretary
        } else if has("常委") {
            PositionClass::StandingCommittee
        } else if has("副局长") || has("副主任") || has("副院长") {
            PositionClass::DeputyDepartmentHead
        } else if has("局长") || has("主任") || has("院长") {
            PositionClass::DepartmentHead
        } else {
            PositionClass::Member
        }
    }
}

impl fmt::Display for PositionClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for PositionClass {
    type Err = Said;
    fn from_str(s: &str) -> Result<Self, Said> {
        let s = s.trim();
        PositionClass::ALL
            .into_iter()
            .find(|c| c.code() == s || c.label_zh() == s)
            .ok_or_else(|| {
                let known: Vec<&str> = PositionClass::ALL.iter().map(|c| c.code()).collect();
                let known_zh: Vec<&str> = PositionClass::ALL.iter().map(|c| c.label_zh()).collect();
                Said::new(
                    format!("“{s}”不是职务类别，应为：{}", known_zh.join("、")),
                    format!("unknown position class {s:?}; known: {}", known.join(", ")),
                )
            })
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
    /// The post's class; rosters from before classes hold none, and read as the
    /// class their 职务 names ([`Leader::class`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<PositionClass>,
    /// Leaders who left stay on the roster (old schedules name them) but inactive.
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

impl Leader {
    /// The post's class: as recorded, else as the 职务 names it.
    pub fn class(&self) -> PositionClass {
        self.class
            .unwrap_or_else(|| PositionClass::infer(&self.position))
    }
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

    /// A month as typed, `YYYY-MM`, or why not in both languages (`FromStr`
    /// says the same in English).
    pub fn read(s: &str) -> Result<Month, Said> {
        let bad = || {
            Said::new(
                format!("“{}”不是月份，应写成YYYY-MM，如2016-04", s.trim()),
                format!("{s:?} is not a month; write YYYY-MM, e.g. 2016-04"),
            )
        };
        let (y, m) = s.trim().split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        let month: u32 = m.parse().map_err(|_| bad())?;
        Month::new(year, month).ok_or_else(bad)
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// In English; [`Month::read`] says it in both languages.
impl FromStr for Month {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Month::read(s).map_err(|e| e.to_string())
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

    pub fn next(self) -> Quarter {
        Quarter::of(self.months()[2].next())
    }

    pub fn label_en(self) -> String {
        format!("Q{} {}", self.quarter, self.year)
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
    type Err = Said;
    fn from_str(s: &str) -> Result<Self, Said> {
        let bad = || {
            Said::new(
                format!("“{}”不是季度，应写成YYYYQn，如2016Q2", s.trim()),
                format!("{s:?} is not a quarter; write YYYYQn, e.g. 2016Q2"),
            )
        };
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
    /// The hours of the reception (接访时段), where the schedule says them; a
    /// fixed-slot rule (seed 004: 星期二上午8：30-11：30) checks them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<ReceptionTime>,
}

/// A reception's hours, `HH:MM-HH:MM` (the end after the start, one day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReceptionTime {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl fmt::Display for ReceptionTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}-{}",
            self.start.format("%H:%M"),
            self.end.format("%H:%M")
        )
    }
}

impl FromStr for ReceptionTime {
    type Err = Said;
    /// `08:30-11:30`; as offices type it too: `8：30-11：30` (full-width colon),
    /// `15:00—17:00`, `15:00~17:00`.
    fn from_str(s: &str) -> Result<Self, Said> {
        let bad = |why_zh: &str, why: &str| {
            Said::new(
                format!(
                    "“{}”不是接访时段：{why_zh}，应写成HH:MM-HH:MM，如08:30-11:30",
                    s.trim()
                ),
                format!(
                    "{s:?} is not a reception time: {why}; write HH:MM-HH:MM, e.g. 08:30-11:30"
                ),
            )
        };
        let plain: String = s
            .trim()
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| match c {
                '：' => ':',
                '—' | '–' | '－' | '~' | '～' | '至' => '-',
                other => other,
            })
            .collect();
        let (a, b) = plain
            .split_once('-')
            .ok_or_else(|| bad("起止时间之间缺少“-”", "no '-' between start and end"))?;
        let time = |t: &str| {
            NaiveTime::parse_from_str(t, "%H:%M").map_err(|_| {
                bad(
                    &format!("“{t}”不是HH:MM格式的时间"),
                    &format!("{t:?} is not HH:MM"),
                )
            })
        };
        let (start, end) = (time(a)?, time(b)?);
        if end <= start {
            return Err(bad(
                "结束时间不晚于开始时间",
                "the end is not after the start",
            ));
        }
        Ok(ReceptionTime { start, end })
    }
}

impl Serialize for ReceptionTime {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ReceptionTime {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
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

    #[test]
    fn position_classes_read_from_printed_posts() {
        use PositionClass::*;
        for (post, class) in [
            ("县委书记", PartySecretary),
            ("县委副书记", DeputySecretary),
            ("县委副书记、县长", GovernmentHead),
            ("常务副县长", DeputyHead),
            ("县长", GovernmentHead),
            ("副县长", DeputyHead),
            ("县委常委、纪委书记", DisciplineSecretary),
            ("县委常委、组织部部长", OrganisationHead),
            ("县委常委、宣传部部长", StandingCommittee),
            ("镇党委书记", PartySecretary),
            ("副镇长", DeputyHead),
            ("局长", DepartmentHead),
            ("副局长", DeputyDepartmentHead),
            ("人大主席", Member),
            ("县人大常委会主任", Member),
        ] {
            assert_eq!(PositionClass::infer(post), class, "{post}");
        }
        for c in PositionClass::ALL {
            assert_eq!(c.code().parse::<PositionClass>().unwrap(), c);
            assert_eq!(c.label_zh().parse::<PositionClass>().unwrap(), c);
        }
        let err = "mayor".parse::<PositionClass>().unwrap_err().to_string();
        assert!(err.contains("party_secretary"), "{err}");
    }

    #[test]
    fn reception_times_read_as_offices_write_them() {
        for (text, want) in [
            ("08:30-11:30", "08:30-11:30"),
            ("8：30-11：30", "08:30-11:30"),
            (" 15:00 — 17:00 ", "15:00-17:00"),
        ] {
            let t: ReceptionTime = text.parse().unwrap();
            assert_eq!(t.to_string(), want);
            assert_eq!(want.parse::<ReceptionTime>().unwrap(), t);
        }
        for bad in [
            "",
            "08:30",
            "11:30-08:30",
            "08:30-08:30",
            "25:00-26:00",
            "上午",
        ] {
            let e = bad.parse::<ReceptionTime>().unwrap_err().to_string();
            assert!(e.contains("HH:MM-HH:MM"), "{bad}: {e}");
        }
    }
}
