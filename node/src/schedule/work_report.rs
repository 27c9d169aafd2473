//! The quarterly plan and the yearly summary (seed 002: "1 月底前将第一季度市领导
//! 接访时间、地点、形式以及所接访的信访事项安排挂网公示" and "12 月下旬，由我局整理
//! 汇总，形成工作总结"), built purely from the period's filed schedules (their
//! entries and attendance), the duty rosters and the cases leaders own (包案), and
//! written as the XLSX an office hands in. The PDF's layout is [`super::work_report_pdf`].

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, XlsxError};
use serde::{Deserialize, Serialize};
use xinfang_proto::v1 as pb;

use super::docs::{FiledDuty, FiledSchedule, RecordBody};
use super::filing;
use super::model::{Leader, Month, Quarter};
use crate::labels::Said;

/// A quarter (the plan) or a year (the summary).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportPeriod {
    Quarter(Quarter),
    Year(i32),
}

impl ReportPeriod {
    /// The document kind it is filed as.
    pub fn kind(self) -> &'static str {
        match self {
            ReportPeriod::Quarter(_) => "plan",
            ReportPeriod::Year(_) => "summary",
        }
    }

    pub fn months(self) -> Vec<Month> {
        match self {
            ReportPeriod::Quarter(q) => q.months().to_vec(),
            ReportPeriod::Year(y) => (1..=12).filter_map(|m| Month::new(y, m)).collect(),
        }
    }

    pub fn year(self) -> i32 {
        match self {
            ReportPeriod::Quarter(q) => q.year,
            ReportPeriod::Year(y) => y,
        }
    }

    pub fn contains(self, date: chrono::NaiveDate) -> bool {
        self.months().contains(&Month::of(date))
    }

    /// The document's title, as offices head it.
    pub fn title_zh(self, unit_name: &str) -> String {
        match self {
            ReportPeriod::Quarter(q) => {
                format!("{unit_name}{}领导干部接访下访工作安排", q.label_zh())
            }
            ReportPeriod::Year(y) => {
                format!("{unit_name}{y}年度领导干部接访下访包案工作总结")
            }
        }
    }
}

impl fmt::Display for ReportPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReportPeriod::Quarter(q) => write!(f, "{q}"),
            ReportPeriod::Year(y) => write!(f, "{y:04}"),
        }
    }
}

impl FromStr for ReportPeriod {
    type Err = Said;
    fn from_str(s: &str) -> Result<Self, Said> {
        let s = s.trim();
        if s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()) {
            return s.parse().map(ReportPeriod::Year).map_err(|_| {
                Said::new(format!("“{s}”不是有效的年份"), format!("{s:?}: bad year"))
            });
        }
        s.parse::<Quarter>()
            .map(ReportPeriod::Quarter)
            .map_err(|_| {
                Said::new(
                    format!(
                        "“{s}”既不是季度（YYYYQn，季度计划），也不是年份（YYYY，年度总结）"
                    ),
                    format!(
                        "{s:?} is neither a quarter (YYYYQn: the plan) nor a year (YYYY: the summary)"
                    ),
                )
            })
    }
}

/// A case the unit booked onto a leader's reception day (约访), and whether the
/// reception took place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Booked {
    pub leader: String,
    pub date: chrono::NaiveDate,
    pub received: bool,
}

/// Cases a leader owns (包案) taken on in the period, and of those closed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Owned {
    pub owned: u32,
    pub closed: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaderLine {
    pub leader: String,
    pub position: String,
    pub scheduled: u32,
    pub held: u32,
    pub missed: u32,
    pub visitors: u32,
    pub cases: u32,
    pub owned_cases: u32,
    pub owned_closed: u32,
    pub duty_days: u32,
    /// Cases booked onto the leader's reception days in the period (约访), and of
    /// those received.
    #[serde(default)]
    pub booked: u32,
    #[serde(default)]
    pub booked_received: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Planned {
    pub date: String,
    pub leader: String,
    pub position: String,
    pub place: String,
    pub form: String,
    pub topic: String,
}

/// The plan or summary as filed (JSON in its document).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkReport {
    pub unit: String,
    pub unit_name: String,
    pub period: String,
    pub kind: String,
    pub title: String,
    pub generated_at: String,
    pub months_filed: Vec<String>,
    pub leaders: Vec<LeaderLine>,
    pub planned: Vec<Planned>,
}

/// What the report is built from.
pub struct Sources<'a> {
    pub period: ReportPeriod,
    pub unit_name: &'a str,
    pub filed: &'a [FiledSchedule],
    pub duty: &'a [FiledDuty],
    pub roster: &'a [Leader],
    pub owned: &'a BTreeMap<String, Owned>,
    /// The unit's bookings of cases onto its leaders' reception days.
    pub bookings: &'a [Booked],
    /// A reception form's name from its code.
    pub form_name: &'a dyn Fn(&str) -> String,
}

/// The roster's 职务 of a leader, else the one printed where the name appeared.
fn position_of(roster: &[Leader], name: &str, fallback: &str) -> String {
    roster
        .iter()
        .find(|l| l.name == name)
        .map(|l| l.position.clone())
        .unwrap_or_else(|| fallback.to_owned())
}

fn line_of<'a>(
    leaders: &'a mut BTreeMap<String, LeaderLine>,
    roster: &[Leader],
    name: &str,
    fallback: &str,
) -> &'a mut LeaderLine {
    leaders
        .entry(name.to_owned())
        .or_insert_with(|| LeaderLine {
            leader: name.to_owned(),
            position: position_of(roster, name, fallback),
            ..Default::default()
        })
}

pub fn build(s: &Sources<'_>) -> WorkReport {
    let mut leaders: BTreeMap<String, LeaderLine> = BTreeMap::new();
    let mut planned = Vec::new();
    let mut months_filed = Vec::new();
    for f in s
        .filed
        .iter()
        .filter(|f| s.period.months().contains(&f.month))
    {
        months_filed.push(f.month.to_string());
        for e in filing::effective(f) {
            line_of(&mut leaders, s.roster, &e.leader, &e.position).scheduled += 1;
            planned.push(Planned {
                date: e.date.to_string(),
                leader: e.leader.clone(),
                position: position_of(s.roster, &e.leader, &e.position),
                place: e.place.clone(),
                form: (s.form_name)(&e.form),
                topic: e.topic.clone().unwrap_or_default(),
            });
        }
        for a in filing::attendance(f) {
            if let RecordBody::Attendance {
                leader,
                held,
                visitors,
                cases,
                ..
            } = &a.record.body
            {
                let l = line_of(&mut leaders, s.roster, leader, "");
                if *held {
                    l.held += 1;
                } else {
                    l.missed += 1;
                }
                l.visitors += visitors;
                l.cases += cases.len() as u32;
            }
        }
    }
    for d in s.duty {
        for day in d.days.iter().filter(|x| s.period.contains(x.date)) {
            for l in &day.leaders {
                line_of(&mut leaders, s.roster, &l.name, "").duty_days += 1;
            }
        }
    }
    for (name, o) in s.owned {
        let l = line_of(&mut leaders, s.roster, name, "");
        l.owned_cases += o.owned;
        l.owned_closed += o.closed;
    }
    for b in s.bookings.iter().filter(|b| s.period.contains(b.date)) {
        let l = line_of(&mut leaders, s.roster, &b.leader, "");
        l.booked += 1;
        if b.received {
            l.booked_received += 1;
        }
    }
    months_filed.sort();
    planned.sort_by(|a, b| (&a.date, &a.leader).cmp(&(&b.date, &b.leader)));
    // Leaders in the roster's order (principal first), then any others by name.
    let mut ordered: Vec<LeaderLine> = Vec::new();
    for r in s.roster {
        if let Some(l) = leaders.remove(&r.name) {
            ordered.push(l);
        }
    }
    ordered.extend(leaders.into_values());
    WorkReport {
        period: s.period.to_string(),
        kind: s.period.kind().to_owned(),
        title: s.period.title_zh(s.unit_name),
        unit_name: s.unit_name.to_owned(),
        months_filed,
        leaders: ordered,
        // The plan lists its receptions; the summary counts them.
        planned: match s.period {
            ReportPeriod::Quarter(_) => planned,
            ReportPeriod::Year(_) => Vec::new(),
        },
        ..Default::default()
    }
}

impl WorkReport {
    pub fn to_pb(&self) -> pb::WorkReportView {
        pb::WorkReportView {
            unit: self.unit.clone(),
            unit_name: self.unit_name.clone(),
            period: self.period.clone(),
            kind: self.kind.clone(),
            title: self.title.clone(),
            generated_at: self.generated_at.clone(),
            months_filed: self.months_filed.clone(),
            leaders: self
                .leaders
                .iter()
                .map(|l| pb::WorkReportLeader {
                    leader: l.leader.clone(),
                    position: l.position.clone(),
                    scheduled: l.scheduled,
                    held: l.held,
                    missed: l.missed,
                    visitors: l.visitors,
                    cases: l.cases,
                    owned_cases: l.owned_cases,
                    owned_closed: l.owned_closed,
                    duty_days: l.duty_days,
                    booked: l.booked,
                    booked_received: l.booked_received,
                })
                .collect(),
            planned: self
                .planned
                .iter()
                .map(|p| pb::PlannedReception {
                    date: p.date.clone(),
                    leader: p.leader.clone(),
                    position: p.position.clone(),
                    place: p.place.clone(),
                    form: p.form.clone(),
                    topic: p.topic.clone(),
                })
                .collect(),
            received_at: String::new(),
        }
    }
}

/// The leaders' table's headers, and each leader's numbers in that order.
pub const LEADER_COLUMNS: [&str; 12] = [
    "领导姓名",
    "职务",
    "安排接访",
    "实际接访",
    "缺岗",
    "接待人次",
    "登记事项",
    "约访案件",
    "约访接待",
    "包案",
    "包案办结",
    "值班天数",
];

pub fn leader_numbers(l: &pb::WorkReportLeader) -> [u32; 10] {
    [
        l.scheduled,
        l.held,
        l.missed,
        l.visitors,
        l.cases,
        l.booked,
        l.booked_received,
        l.owned_cases,
        l.owned_closed,
        l.duty_days,
    ]
}

pub fn totals(v: &pb::WorkReportView) -> [u32; 10] {
    let mut t = [0u32; 10];
    for l in &v.leaders {
        for (i, n) in leader_numbers(l).iter().enumerate() {
            t[i] += n;
        }
    }
    t
}

pub const PLAN_COLUMNS: [&str; 6] = [
    "接访日期",
    "接访领导",
    "职务",
    "接访地点",
    "接访形式",
    "专题",
];

/// The leaders' sheet (汇总表), and for a plan the receptions (接访安排).
pub fn export_xlsx(v: &pb::WorkReportView) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let title = Format::new()
        .set_bold()
        .set_font_size(14)
        .set_align(FormatAlign::Center)
        .set_font_name("宋体");
    let head = Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center)
        .set_font_name("宋体");
    let cell = Format::new()
        .set_border(FormatBorder::Thin)
        .set_font_name("宋体");

    let s = wb.add_worksheet().set_name("汇总表")?;
    let last = LEADER_COLUMNS.len() as u16 - 1;
    s.merge_range(0, 0, 0, last, &v.title, &title)?;
    for (i, c) in LEADER_COLUMNS.iter().enumerate() {
        s.write_with_format(1, i as u16, *c, &head)?;
        s.set_column_width(i as u16, if i < 2 { 20 } else { 10 })?;
    }
    let mut row = 2;
    for l in &v.leaders {
        s.write_with_format(row, 0, &l.leader, &cell)?;
        s.write_with_format(row, 1, &l.position, &cell)?;
        for (i, n) in leader_numbers(l).iter().enumerate() {
            s.write_with_format(row, 2 + i as u16, *n, &cell)?;
        }
        row += 1;
    }
    s.write_with_format(row, 0, "合计", &head)?;
    s.write_with_format(row, 1, "", &head)?;
    for (i, n) in totals(v).iter().enumerate() {
        s.write_with_format(row, 2 + i as u16, *n, &head)?;
    }
    row += 2;
    s.write(row, 0, "已备案月份")?;
    s.write(row, 1, v.months_filed.join("、"))?;

    if v.kind == "plan" {
        let p = wb.add_worksheet().set_name("接访安排")?;
        p.merge_range(0, 0, 0, PLAN_COLUMNS.len() as u16 - 1, &v.title, &title)?;
        for (i, c) in PLAN_COLUMNS.iter().enumerate() {
            p.write_with_format(1, i as u16, *c, &head)?;
            p.set_column_width(i as u16, if i == 3 { 30 } else { 14 })?;
        }
        for (i, e) in v.planned.iter().enumerate() {
            let row = 2 + i as u32;
            for (j, t) in [&e.date, &e.leader, &e.position, &e.place, &e.form, &e.topic]
                .iter()
                .enumerate()
            {
                p.write_with_format(row, j as u16, t.as_str(), &cell)?;
            }
        }
    }
    wb.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::docs::{Decision, ScheduleRecord};
    use crate::schedule::duty::{DutyDay, DutyLeader};
    use crate::schedule::model::{Entry, LeaderRole};
    use chrono::{NaiveDate, TimeZone, Utc};

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn decision() -> Decision {
        Decision {
            by: None,
            recorded_by: "clerk".into(),
            at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
            override_reason: None,
            violations: vec![],
        }
    }

    fn entry(date: &str, leader: &str) -> Entry {
        Entry {
            date: d(date),
            leader: leader.into(),
            position: "县长".into(),
            place: "县信访局接访大厅".into(),
            form: "fixed".into(),
            topic: None,
            note: None,
            time: None,
            non_working_day_override: false,
        }
    }

    fn filed(month: &str, entries: Vec<Entry>, records: Vec<RecordBody>) -> FiledSchedule {
        FiledSchedule {
            unit: "441521".parse().unwrap(),
            month: month.parse().unwrap(),
            rules: String::new(),
            entries,
            review: None,
            approval: decision(),
            records: records
                .into_iter()
                .enumerate()
                .map(|(i, body)| ScheduleRecord {
                    id: format!("r{i}"),
                    at: Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, i as u32).unwrap(),
                    recorded_by: "clerk".into(),
                    body,
                })
                .collect(),
        }
    }

    fn attendance(date: &str, leader: &str, held: bool) -> RecordBody {
        RecordBody::Attendance {
            date: d(date),
            leader: leader.into(),
            held,
            visitors: if held { 4 } else { 0 },
            cases: if held { vec!["c1".into()] } else { vec![] },
            resolved_on_spot: 0,
            reason: (!held).then(|| "出差".into()),
        }
    }

    #[test]
    fn periods_parse_as_quarters_or_years() {
        assert_eq!(
            "2026".parse::<ReportPeriod>().unwrap(),
            ReportPeriod::Year(2026)
        );
        assert_eq!("2026Q1".parse::<ReportPeriod>().unwrap().kind(), "plan");
        assert!("2026-01".parse::<ReportPeriod>().is_err());
        assert_eq!(ReportPeriod::Year(2026).months().len(), 12);
    }

    #[test]
    fn the_summary_counts_filed_months_attendance_duty_and_owned_cases() {
        let roster = vec![Leader {
            name: "张县长".into(),
            position: "县长".into(),
            portfolio: String::new(),
            role: LeaderRole::Principal,
            class: None,
            active: true,
        }];
        let filed = vec![
            filed(
                "2026-02",
                vec![
                    entry("2026-02-03", "张县长"),
                    entry("2026-02-10", "李副县长"),
                ],
                vec![attendance("2026-02-03", "张县长", true)],
            ),
            filed(
                "2026-03",
                vec![entry("2026-03-03", "张县长")],
                vec![attendance("2026-03-03", "张县长", false)],
            ),
            // Another year's month is not this summary's.
            filed("2025-12", vec![entry("2025-12-02", "张县长")], vec![]),
        ];
        let duty = vec![FiledDuty {
            unit: "441521".parse().unwrap(),
            span: "2026 国庆节".parse().unwrap(),
            days: vec![DutyDay {
                date: d("2026-10-01"),
                leaders: vec![DutyLeader {
                    name: "张县长".into(),
                    phone: String::new(),
                }],
            }],
            approval: decision(),
            records: vec![],
        }];
        let owned = BTreeMap::from([(
            "张县长".to_owned(),
            Owned {
                owned: 3,
                closed: 1,
            },
        )]);
        let r = build(&Sources {
            period: ReportPeriod::Year(2026),
            unit_name: "海丰县",
            filed: &filed,
            duty: &duty,
            roster: &roster,
            owned: &owned,
            bookings: &[],
            form_name: &|c| c.to_owned(),
        });
        assert_eq!(r.title, "海丰县2026年度领导干部接访下访包案工作总结");
        assert_eq!(r.months_filed, ["2026-02", "2026-03"]);
        let zhang = &r.leaders[0];
        assert_eq!(zhang.leader, "张县长");
        assert_eq!(
            (
                zhang.scheduled,
                zhang.held,
                zhang.missed,
                zhang.visitors,
                zhang.cases
            ),
            (2, 1, 1, 4, 1)
        );
        assert_eq!(
            (zhang.owned_cases, zhang.owned_closed, zhang.duty_days),
            (3, 1, 1)
        );
        assert_eq!(r.leaders[1].leader, "李副县长");
        assert_eq!(r.leaders[1].scheduled, 1);
        assert!(r.planned.is_empty());

        let plan = build(&Sources {
            period: ReportPeriod::Quarter("2026Q1".parse().unwrap()),
            unit_name: "海丰县",
            filed: &filed,
            duty: &duty,
            roster: &roster,
            owned: &BTreeMap::new(),
            bookings: &[],
            form_name: &|_| "定点接访".to_owned(),
        });
        assert_eq!(plan.planned.len(), 3);
        assert_eq!(plan.planned[0].form, "定点接访");
        assert_eq!(plan.leaders[0].duty_days, 0, "National Day is not in Q1");
        let xlsx = export_xlsx(&plan.to_pb()).unwrap();
        assert!(xlsx.starts_with(b"PK"));
    }
}
