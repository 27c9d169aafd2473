//! The quarterly reception register and statistics (《领导干部接待群众来访登记表》 and
//! 《领导干部接待群众来访情况统计表》, seed 001 fifth article), built purely from the
//! quarter's filed schedules, their attendance records and the linked case files.

use std::collections::BTreeMap;

use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, XlsxError};
use serde::{Deserialize, Serialize};
use xinfang_proto::v1 as pb;

use super::docs::{FiledSchedule, RecordBody};
use super::filing;
use super::model::{Leader, Quarter};
use crate::rules::taxonomy::Taxonomy;

/// What the register needs of a linked case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFacts {
    pub petitioner: String,
    pub content: String,
    pub category: String,
    pub status: String,
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
    pub resolved_on_spot: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterLine {
    pub date: String,
    pub leader: String,
    pub case_no: String,
    pub petitioner: String,
    pub category: String,
    pub content: String,
    pub status: String,
}

/// The register as filed (stored as JSON in the quarterly document).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Register {
    pub unit: String,
    pub unit_name: String,
    pub quarter: String,
    pub generated_at: String,
    pub leaders: Vec<LeaderLine>,
    /// category code → (name, cases)
    pub categories: BTreeMap<String, (String, u32)>,
    pub register: Vec<RegisterLine>,
}

const CONTENT_CHARS: usize = 60;

pub fn build(
    quarter: Quarter,
    filed: &[FiledSchedule],
    roster: &[Leader],
    cases: &BTreeMap<String, CaseFacts>,
    taxonomy: &Taxonomy,
) -> Register {
    let mut leaders: BTreeMap<String, LeaderLine> = BTreeMap::new();
    let mut categories: BTreeMap<String, (String, u32)> = BTreeMap::new();
    let mut register = Vec::new();
    let position = |name: &str, fallback: &str| {
        roster
            .iter()
            .find(|l| l.name == name)
            .map(|l| l.position.clone())
            .unwrap_or_else(|| fallback.to_owned())
    };
    for f in filed {
        for e in filing::effective(f) {
            let line = leaders
                .entry(e.leader.clone())
                .or_insert_with(|| LeaderLine {
                    leader: e.leader.clone(),
                    position: position(&e.leader, &e.position),
                    ..Default::default()
                });
            line.scheduled += 1;
        }
        for a in filing::attendance(f) {
            let RecordBody::Attendance {
                date,
                leader,
                held,
                visitors,
                cases: linked,
                resolved_on_spot,
                ..
            } = &a.record.body
            else {
                continue;
            };
            let line = leaders.entry(leader.clone()).or_insert_with(|| LeaderLine {
                leader: leader.clone(),
                position: position(leader, ""),
                ..Default::default()
            });
            if *held {
                line.held += 1;
            } else {
                line.missed += 1;
            }
            line.visitors += visitors;
            line.cases += linked.len() as u32;
            line.resolved_on_spot += resolved_on_spot;
            for c in linked {
                let facts = cases.get(c);
                let category = facts.map(|f| f.category.clone()).unwrap_or_default();
                let name = taxonomy
                    .category(&category, None)
                    .map(|e| e.name.clone())
                    .unwrap_or_else(|_| "未分类".to_owned());
                categories.entry(category.clone()).or_insert((name, 0)).1 += 1;
                register.push(RegisterLine {
                    date: date.to_string(),
                    leader: leader.clone(),
                    case_no: c.clone(),
                    petitioner: facts.map(|f| f.petitioner.clone()).unwrap_or_default(),
                    category,
                    content: facts
                        .map(|f| f.content.chars().take(CONTENT_CHARS).collect())
                        .unwrap_or_default(),
                    status: facts.map(|f| f.status.clone()).unwrap_or_default(),
                });
            }
        }
    }
    register
        .sort_by(|a, b| (&a.date, &a.leader, &a.case_no).cmp(&(&b.date, &b.leader, &b.case_no)));
    Register {
        quarter: quarter.to_string(),
        leaders: leaders.into_values().collect(),
        categories,
        register,
        ..Default::default()
    }
}

impl Register {
    pub fn to_pb(&self) -> pb::QuarterlyView {
        let sum = |f: fn(&LeaderLine) -> u32| self.leaders.iter().map(f).sum::<u32>();
        pb::QuarterlyView {
            unit: self.unit.clone(),
            unit_name: self.unit_name.clone(),
            quarter: self.quarter.clone(),
            generated_at: self.generated_at.clone(),
            leaders: self
                .leaders
                .iter()
                .map(|l| pb::LeaderReceptions {
                    leader: l.leader.clone(),
                    position: l.position.clone(),
                    scheduled: l.scheduled,
                    held: l.held,
                    missed: l.missed,
                    visitors: l.visitors,
                    cases: l.cases,
                    resolved_on_spot: l.resolved_on_spot,
                })
                .collect(),
            categories: self
                .categories
                .iter()
                .map(|(code, (name, n))| pb::CategoryCount {
                    category: code.clone(),
                    name: name.clone(),
                    cases: *n,
                })
                .collect(),
            register: self
                .register
                .iter()
                .map(|r| pb::RegisterLine {
                    date: r.date.clone(),
                    leader: r.leader.clone(),
                    case_no: r.case_no.clone(),
                    petitioner: r.petitioner.clone(),
                    category: r.category.clone(),
                    content: r.content.clone(),
                    status: r.status.clone(),
                })
                .collect(),
            receptions: sum(|l| l.held),
            visitors: sum(|l| l.visitors),
            cases: sum(|l| l.cases),
            resolved_on_spot: sum(|l| l.resolved_on_spot),
            received_at: String::new(),
        }
    }
}

/// Two sheets a bureau hands in as they are: the statistics and the register.
pub fn export_xlsx(v: &pb::QuarterlyView) -> Result<Vec<u8>, XlsxError> {
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
    let q: Quarter = v.quarter.parse().unwrap_or(Quarter {
        year: 1970,
        quarter: 1,
    });

    let s = wb.add_worksheet().set_name("情况统计表")?;
    let cols = [
        "接访领导",
        "职务",
        "安排天数",
        "实际接访",
        "缺岗",
        "接待人次",
        "登记事项",
        "当场化解",
    ];
    s.merge_range(
        0,
        0,
        0,
        cols.len() as u16 - 1,
        &format!(
            "{}{}领导干部接待群众来访情况统计表",
            v.unit_name,
            q.label_zh()
        ),
        &title,
    )?;
    for (i, c) in cols.iter().enumerate() {
        s.write_with_format(1, i as u16, *c, &head)?;
        s.set_column_width(i as u16, if i < 2 { 22 } else { 11 })?;
    }
    let mut row = 2;
    for l in &v.leaders {
        s.write_with_format(row, 0, &l.leader, &cell)?;
        s.write_with_format(row, 1, &l.position, &cell)?;
        for (i, n) in [
            l.scheduled,
            l.held,
            l.missed,
            l.visitors,
            l.cases,
            l.resolved_on_spot,
        ]
        .iter()
        .enumerate()
        {
            s.write_with_format(row, 2 + i as u16, *n, &cell)?;
        }
        row += 1;
    }
    s.write_with_format(row, 0, "合计", &head)?;
    s.write_with_format(row, 1, "", &head)?;
    let totals = [
        v.leaders.iter().map(|l| l.scheduled).sum::<u32>(),
        v.receptions,
        v.leaders.iter().map(|l| l.missed).sum::<u32>(),
        v.visitors,
        v.cases,
        v.resolved_on_spot,
    ];
    for (i, n) in totals.iter().enumerate() {
        s.write_with_format(row, 2 + i as u16, *n, &head)?;
    }
    row += 2;
    s.write_with_format(row, 0, "内容分类", &head)?;
    s.write_with_format(row, 1, "事项数", &head)?;
    for c in &v.categories {
        row += 1;
        s.write_with_format(row, 0, &c.name, &cell)?;
        s.write_with_format(row, 1, c.cases, &cell)?;
    }

    let r = wb.add_worksheet().set_name("来访登记表")?;
    let cols = [
        "接访日期",
        "接访领导",
        "事项编号",
        "来访人",
        "内容分类",
        "反映问题",
        "办理状态",
    ];
    r.merge_range(
        0,
        0,
        0,
        cols.len() as u16 - 1,
        &format!("{}{}领导干部接待群众来访登记表", v.unit_name, q.label_zh()),
        &title,
    )?;
    for (i, c) in cols.iter().enumerate() {
        r.write_with_format(1, i as u16, *c, &head)?;
        r.set_column_width(i as u16, if i == 5 { 48 } else { 16 })?;
    }
    for (i, l) in v.register.iter().enumerate() {
        let row = 2 + i as u32;
        for (j, t) in [
            &l.date,
            &l.leader,
            &l.case_no,
            &l.petitioner,
            &l.category,
            &l.content,
            &l.status,
        ]
        .iter()
        .enumerate()
        {
            r.write_with_format(row, j as u16, t.as_str(), &cell)?;
        }
    }
    wb.save_to_buffer()
}
