//! The plan's or summary's printed layout: A4, the title centred, then the
//! leaders' table (and a plan's receptions) ruled row by row, flowing over pages,
//! the unit and date at the foot. Pure: widths come from the notice typesetter's
//! [`Measure`]; `notice::pdf` draws the pages. [`Flow`] is the ruled table's
//! typesetter, shared with the assessment table (`letter::assessment_pdf`).

use xinfang_proto::v1 as pb;

use super::work_report::{LEADER_COLUMNS, PLAN_COLUMNS, leader_numbers, totals};
use crate::notice::typeset::{Face, MM, Measure, PAGE_H, PAGE_W, Page, Run};

pub(crate) const LEFT: f32 = 20.0 * MM;
const TOP: f32 = 25.0 * MM;
const BOTTOM: f32 = PAGE_H - 25.0 * MM;
pub(crate) const WIDTH: f32 = PAGE_W - 2.0 * LEFT;
pub(crate) const TITLE_PT: f32 = 16.0;
pub(crate) const TEXT_PT: f32 = 10.5;
/// Column heads are set smaller so a four-character head fits a number's column.
pub(crate) const HEAD_PT: f32 = 7.0;
pub(crate) const ROW: f32 = TEXT_PT * 2.0;

/// Column widths in mm of the leaders' table and of the plan's receptions.
const LEADER_MM: [f32; 12] = [
    22.0, 28.0, 12.0, 12.0, 12.0, 12.0, 12.0, 12.0, 12.0, 12.0, 12.0, 12.0,
];
const PLAN_MM: [f32; 6] = [22.0, 22.0, 30.0, 50.0, 22.0, 24.0];

/// Pages being filled from the top: text, and ruled rows that flow over pages.
pub(crate) struct Flow<'a> {
    m: &'a dyn Measure,
    pages: Vec<Page>,
    /// The baseline of the next line.
    pub(crate) y: f32,
}

impl<'a> Flow<'a> {
    /// A first page, its title centred at the top.
    pub(crate) fn titled(m: &'a dyn Measure, title: &str) -> Flow<'a> {
        let mut f = Flow {
            m,
            pages: vec![Page::default()],
            y: TOP + TITLE_PT,
        };
        f.centred(Face::Heading, TITLE_PT, title);
        f.y += ROW * 1.5;
        f
    }

    /// Signs with the unit and the date, right-aligned, as a report is signed,
    /// numbers the pages and hands them over.
    pub(crate) fn signed(mut self, unit: &str, date: &str) -> Vec<Page> {
        self.y += ROW;
        self.room(2.0);
        for t in [unit, date] {
            let w = self.m.width(Face::Body, t, TEXT_PT);
            self.text(
                LEFT + WIDTH - w - 8.0 * MM,
                Face::Body,
                TEXT_PT,
                t.to_owned(),
            );
            self.y += ROW;
        }
        let n = self.pages.len();
        for (i, page) in self.pages.iter_mut().enumerate() {
            let folio = format!("第 {} 页 共 {n} 页", i + 1);
            let w = self.m.width(Face::Body, &folio, 9.0);
            page.runs.push(Run {
                x: (PAGE_W - w) / 2.0,
                y: PAGE_H - 15.0 * MM,
                face: Face::Body,
                size: 9.0,
                red: false,
                text: folio,
            });
        }
        self.pages
    }

    fn page(&mut self) -> &mut Page {
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    pub(crate) fn text(&mut self, x: f32, face: Face, size: f32, text: String) {
        let y = self.y;
        self.page().runs.push(Run {
            x,
            y,
            face,
            size,
            red: false,
            text,
        });
    }

    fn centred(&mut self, face: Face, size: f32, text: &str) {
        let w = self.m.width(face, text, size);
        self.text(
            LEFT + (WIDTH - w).max(0.0) / 2.0,
            face,
            size,
            text.to_owned(),
        );
    }

    /// Room for `rows` more rows, or a new page.
    pub(crate) fn room(&mut self, rows: f32) {
        if self.y + rows * ROW > BOTTOM {
            self.pages.push(Page::default());
            self.y = TOP + ROW;
        }
    }

    /// `text` cut to fit `width` (an ellipsis marks the cut).
    fn fit(&self, face: Face, size: f32, text: &str, width: f32) -> String {
        if self.m.width(face, text, size) <= width {
            return text.to_owned();
        }
        let mut out = String::new();
        for c in text.chars() {
            if self.m.width(face, &out, size) + self.m.advance(face, c, size) * 2.0 > width {
                break;
            }
            out.push(c);
        }
        out.push('…');
        out
    }

    /// One ruled row of cells.
    pub(crate) fn row(&mut self, widths: &[f32], cells: &[String], face: Face, size: f32) {
        self.room(1.0);
        let pad = 1.0 * MM;
        let mut x = LEFT;
        for (w, c) in widths.iter().zip(cells) {
            let w = w * MM;
            let t = self.fit(face, size, c, w - 2.0 * pad);
            self.text(x + pad, face, size, t);
            x += w;
        }
        let y = self.y + TEXT_PT * 0.6;
        self.page().rules.push((LEFT, LEFT + WIDTH, y, false));
        self.y += ROW;
    }
}

/// Lays a plan or summary out on pages.
pub fn lay_out(m: &dyn Measure, v: &pb::WorkReportView) -> Vec<Page> {
    let mut f = Flow::titled(m, &v.title);
    let months = if v.months_filed.is_empty() {
        "无".to_owned()
    } else {
        v.months_filed.join("、")
    };
    f.text(
        LEFT,
        Face::Body,
        TEXT_PT,
        format!("已备案接访安排月份：{months}"),
    );
    f.y += ROW;
    let rule_y = f.y - ROW + TEXT_PT * 0.6;
    f.page().rules.push((LEFT, LEFT + WIDTH, rule_y, false));
    f.row(
        &LEADER_MM,
        &LEADER_COLUMNS.map(str::to_owned),
        Face::Heading,
        HEAD_PT,
    );
    for l in &v.leaders {
        let mut cells = vec![l.leader.clone(), l.position.clone()];
        cells.extend(leader_numbers(l).iter().map(ToString::to_string));
        f.row(&LEADER_MM, &cells, Face::Body, TEXT_PT);
    }
    let mut cells = vec!["合计".to_owned(), String::new()];
    cells.extend(totals(v).iter().map(ToString::to_string));
    f.row(&LEADER_MM, &cells, Face::Heading, TEXT_PT);

    if v.kind == "plan" {
        f.y += ROW;
        f.room(3.0);
        f.text(LEFT, Face::Heading, TEXT_PT, "接访安排".to_owned());
        f.y += ROW;
        f.row(
            &PLAN_MM,
            &PLAN_COLUMNS.map(str::to_owned),
            Face::Heading,
            HEAD_PT,
        );
        if v.planned.is_empty() {
            f.row(
                &[170.0],
                &["暂无已备案的接访安排".to_owned()],
                Face::Body,
                TEXT_PT,
            );
        }
        for p in &v.planned {
            f.row(
                &PLAN_MM,
                &[
                    p.date.clone(),
                    p.leader.clone(),
                    p.position.clone(),
                    p.place.clone(),
                    p.form.clone(),
                    p.topic.clone(),
                ],
                Face::Body,
                TEXT_PT,
            );
        }
    }

    // The unit and the date it was generated.
    let date = v.generated_at.get(..10).unwrap_or_default().to_owned();
    f.signed(&v.unit_name, &date)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Chinese characters one em wide, Latin ones half: as CJK fonts set them.
    struct Em;
    impl Measure for Em {
        fn advance(&self, _: Face, c: char, size: f32) -> f32 {
            if c.is_ascii() { size / 2.0 } else { size }
        }
    }

    fn view(leaders: usize) -> pb::WorkReportView {
        pb::WorkReportView {
            unit_name: "海丰县".into(),
            period: "2026".into(),
            kind: "summary".into(),
            title: "海丰县2026年度领导干部接访下访包案工作总结".into(),
            generated_at: "2026-12-20T01:00:00.000Z".into(),
            months_filed: vec!["2026-02".into()],
            leaders: (0..leaders)
                .map(|i| pb::WorkReportLeader {
                    leader: format!("领导{i}"),
                    position: "县委常委、常务副县长兼县政府党组副书记".into(),
                    held: i as u32,
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn the_table_flows_over_pages_with_every_leader_and_the_totals() {
        let pages = lay_out(&Em, &view(60));
        assert!(pages.len() >= 2, "{} pages", pages.len());
        let texts: Vec<&str> = pages
            .iter()
            .flat_map(|p| p.runs.iter().map(|r| r.text.as_str()))
            .collect();
        for i in 0..60 {
            assert!(texts.contains(&format!("领导{i}").as_str()), "领导{i}");
        }
        assert!(texts.contains(&"合计"));
        for head in LEADER_COLUMNS {
            assert!(texts.contains(&head), "{head} whole");
        }
        assert!(texts.contains(&"1770"), "the held total 0+…+59");
        // Long positions are cut to their column.
        assert!(texts.iter().any(|t| t.ends_with('…')));
        for p in &pages {
            for r in &p.runs {
                assert!(r.y <= PAGE_H && r.x >= 0.0, "{r:?}");
            }
        }
    }
}
