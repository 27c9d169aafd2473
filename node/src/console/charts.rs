//! Charts drawn in the page as inline SVG, from a report's own rows and labels
//! (Chinese, in the page's font): nothing fetched, no script. A chart carries
//! the report's title as its accessible name; the table beside it has the
//! numbers.

use maud::{Markup, html};
use xinfang_proto::v1 as pb;

/// The bar colour: the console's own blue.
const INK: &str = "#2b5797";

/// A cell's whole number, if it is one.
fn int(c: Option<&pb::Cell>) -> Option<i64> {
    c.filter(|c| c.kind == "int").map(|c| c.int)
}

/// Horizontal bars, one a row: the row's first cell as the label, its second
/// (a count) as the length against the largest.
pub fn bars(r: &pb::Report, id: &str) -> Markup {
    let figures: Vec<(String, i64)> = r
        .rows
        .iter()
        .filter_map(|row| {
            let label = row.cells.first().map(|c| c.text.clone())?;
            Some((label, int(row.cells.get(1))?))
        })
        .collect();
    let top = figures.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    let height = 22 * figures.len() as i64;
    html! {
        svg.bars id=(id) role="img" aria-label=(r.title) width="560" height=(height) viewBox=(format!("0 0 560 {height}")) {
            @for (i, (label, n)) in figures.iter().enumerate() {
                @let y = 22 * i as i64;
                g data-label=(label) data-value=(n) {
                    text x="0" y=(y + 15) font-size="13" { (label) }
                    rect x="190" y=(y + 3) height="15" width=(1 + 300 * n / top) fill=(INK) {}
                    text x=(196 + 300 * n / top) y=(y + 15) font-size="13" { (n) }
                }
            }
        }
    }
}

/// Columns, one a month: the row's key (`YYYY-MM`) labelled `M月`, the height
/// its last cell (the month's total).
pub fn months(r: &pb::Report, id: &str) -> Markup {
    let figures: Vec<(String, i64)> = r
        .rows
        .iter()
        .filter_map(|row| {
            let month = row.key.get(5..7)?.trim_start_matches('0').to_owned();
            Some((format!("{month}月"), int(row.cells.last())?))
        })
        .collect();
    let top = figures.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    let (step, plot) = (44_i64, 150_i64);
    let width = step * figures.len() as i64 + 10;
    let height = plot + 40;
    html! {
        svg.columns id=(id) role="img" aria-label=(r.title) width=(width) height=(height) viewBox=(format!("0 0 {width} {height}")) {
            line x1="0" y1=(plot + 15) x2=(width) y2=(plot + 15) stroke="#888" {}
            @for (i, (label, n)) in figures.iter().enumerate() {
                @let x = 10 + step * i as i64;
                @let h = plot * n / top;
                g data-label=(label) data-value=(n) {
                    rect x=(x) y=(plot + 15 - h) width=(step - 14) height=(h) fill=(INK) {}
                    text x=(x) y=(plot + 11 - h) font-size="12" { (n) }
                    text x=(x) y=(plot + 32) font-size="12" { (label) }
                }
            }
        }
    }
}
