//! The assessment table's printed layout: the shared ruled-table typesetter of
//! the yearly summary (`schedule::work_report_pdf::Flow`), A4, the title centred,
//! a row per unit and target flowing over pages, the notes, the issuer and the
//! date at the foot. Pure; `notice::pdf::render_laid_out` draws the pages.

use crate::notice::typeset::{Face, Measure, Page};
use crate::schedule::work_report_pdf::{Flow, HEAD_PT, LEFT, ROW, TEXT_PT};
use crate::sheets::ReportTable;

/// Column widths in mm (170 mm in all).
const COLUMN_MM: [f32; 7] = [12.0, 34.0, 28.0, 20.0, 32.0, 20.0, 24.0];

/// Lays the assessment's table out on pages, signed by `issuer` on `date`.
pub fn lay_out(m: &dyn Measure, t: &ReportTable, issuer: &str, date: &str) -> Vec<Page> {
    let mut f = Flow::titled(m, &t.title);
    f.row(&COLUMN_MM, &t.headers, Face::Heading, HEAD_PT);
    if t.rows.is_empty() {
        f.row(
            &[170.0],
            &["没有设定责任书的单位".to_owned()],
            Face::Body,
            TEXT_PT,
        );
    }
    for r in &t.rows {
        let cells: Vec<String> = r.iter().map(|c| c.display()).collect();
        f.row(&COLUMN_MM, &cells, Face::Body, TEXT_PT);
    }
    f.y += ROW / 2.0;
    for n in &t.notes {
        f.room(1.0);
        f.text(LEFT, Face::Body, TEXT_PT, n.clone());
        f.y += ROW;
    }
    f.signed(issuer, date)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sheets::Cell;

    /// Chinese characters one em wide, Latin ones half: as CJK fonts set them.
    struct Em;
    impl Measure for Em {
        fn advance(&self, _: Face, c: char, size: f32) -> f32 {
            if c.is_ascii() { size / 2.0 } else { size }
        }
    }

    #[test]
    fn every_row_is_set_and_long_tables_flow_over_numbered_pages() {
        let row = |i: i64| {
            vec![
                Cell::Int(i),
                Cell::text(format!("单位{i}")),
                Cell::text("及时受理率"),
                Cell::text("≥ 95.0%"),
                Cell::text("57.1% (4/7)"),
                Cell::text("未完成"),
                Cell::text("-37.857"),
            ]
        };
        let t = ReportTable {
            title: "汕尾市 2026年度 信访工作责任制考核结果".into(),
            headers: vec!["名次".into(); 7],
            rows: (1..=80).map(row).collect(),
            totals: None,
            notes: vec!["考核期间：2026-01-01至2026-12-31。".into()],
        };
        let pages = lay_out(&Em, &t, "汕尾市", "2026-12-31");
        assert!(pages.len() >= 2, "80 rows flow over pages");
        let text: Vec<&str> = pages
            .iter()
            .flat_map(|p| p.runs.iter().map(|r| r.text.as_str()))
            .collect();
        for i in 1..=80 {
            assert!(text.contains(&format!("单位{i}").as_str()), "row {i} set");
        }
        assert!(text.contains(&"第 1 页 共 2 页") || pages.len() > 2);
        assert!(text.contains(&"汕尾市"));
    }
}
