//! Report tables as bureaus hand them in: CSV (UTF-8 with BOM, so Excel on a Chinese
//! Windows opens it without mojibake) and XLSX (one sheet per table, 宋体, a merged
//! bold title row, bordered grid, a bold 合计 row, rates as numbers in `0.0%`).
//!
//! A table is presentation only: the numbers are computed by the report service
//! and arrive as the API's `Report` ([`ReportTable::of`]). It knows the wire types
//! and nothing of the node, so the CLI (a client of the API) and the console
//! share it (`tests/tests/suite/house.rs` checks that it imports nothing else).
//! The one writer of both downloads: the CLI's `report --xlsx/--csv` and the
//! console's download links. A rate is a fraction (`0.875` is shown as `87.5%`); `None` is a rate
//! that has no denominator and is shown as `—`.

use std::collections::HashSet;

use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};
use xinfang_proto::v1 as pb;

/// One table of a report.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ReportTable {
    /// E.g. "汕尾市 2026年10月 信访事项分类统计"; also the sheet name in XLSX.
    pub title: String,
    /// Column headers, in Chinese.
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    /// The 合计 row, if the table has one (its first cell is usually `Text("合计")`).
    pub totals: Option<Vec<Cell>>,
    /// Lines under the table (注：…).
    pub notes: Vec<String>,
}

/// One cell. Serialized untagged: a string, a number, or a number/`null` for a rate.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(untagged)]
pub enum Cell {
    Text(String),
    Int(i64),
    /// A fraction (0.875 → 87.5%); `None` (no denominator) is shown as `—`.
    Rate(Option<f64>),
}

#[derive(Debug, thiserror::Error)]
pub enum TableError {
    #[error("a workbook needs at least one table")]
    NoTables,
    #[error("writing the XLSX workbook: {0}")]
    Xlsx(#[from] XlsxError),
}

/// What a rate without a denominator shows.
pub const NO_RATE: &str = "—";

impl ReportTable {
    /// A report as the service answers it, as a table.
    pub fn of(r: &pb::Report) -> ReportTable {
        let row = |cells: &[pb::Cell]| cells.iter().map(Cell::of).collect();
        ReportTable {
            title: r.title.clone(),
            headers: r.headers.clone(),
            rows: r.rows.iter().map(|x| row(&x.cells)).collect(),
            totals: r.totals.as_ref().map(|t| row(&t.cells)),
            notes: r.notes.clone(),
        }
    }
}

impl Cell {
    /// A report's cell as the service answers it.
    pub fn of(c: &pb::Cell) -> Cell {
        match c.kind.as_str() {
            "int" => Cell::Int(c.int),
            "rate" => Cell::Rate(Some(c.rate)),
            "none" => Cell::Rate(None),
            _ => Cell::text(&c.text),
        }
    }

    pub fn text(s: impl Into<String>) -> Self {
        Cell::Text(s.into())
    }

    /// The cell as text: integers as digits, rates as `87.5%` or `—`.
    pub fn display(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Int(n) => n.to_string(),
            Cell::Rate(r) => match finite(*r) {
                Some(r) => format_rate(r),
                None => NO_RATE.to_owned(),
            },
        }
    }
}

fn finite(r: Option<f64>) -> Option<f64> {
    r.filter(|r| r.is_finite())
}

fn format_rate(r: f64) -> String {
    let s = format!("{:.1}%", r * 100.0);
    // -0.0001 rounds to "-0.0%"; a rate never shows a negative zero.
    if s == "-0.0%" { "0.0%".to_owned() } else { s }
}

/// The table as CSV bytes: a UTF-8 BOM, the title line, the header, the rows, the
/// totals row, then the notes (one per line). Rates are written as `87.5%` / `—`.
pub fn to_csv(t: &ReportTable) -> Vec<u8> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut w = csv::WriterBuilder::new()
            .flexible(true)
            .terminator(csv::Terminator::CRLF)
            .from_writer(&mut out);
        let mut record = |fields: Vec<String>| {
            // Writing into a Vec<u8> cannot fail.
            w.write_record(&fields).expect("CSV into memory");
        };
        record(vec![t.title.clone()]);
        record(t.headers.clone());
        for row in &t.rows {
            record(row.iter().map(Cell::display).collect());
        }
        if let Some(totals) = &t.totals {
            record(totals.iter().map(Cell::display).collect());
        }
        for n in &t.notes {
            record(vec![n.clone()]);
        }
        w.flush().expect("CSV into memory");
    }
    out
}

/// Formats shared by every sheet of a workbook.
struct Formats {
    title: Format,
    header: Format,
    text: Format,
    int: Format,
    rate: Format,
    no_rate: Format,
    total_text: Format,
    total_int: Format,
    total_rate: Format,
    total_no_rate: Format,
    note: Format,
}

const FONT: &str = "宋体";

impl Formats {
    fn new() -> Self {
        let base = Format::new().set_font_name(FONT).set_font_size(11);
        let cell = base
            .clone()
            .set_border(FormatBorder::Thin)
            .set_align(FormatAlign::VerticalCenter);
        let rate = cell
            .clone()
            .set_num_format("0.0%")
            .set_align(FormatAlign::Right);
        let no_rate = cell.clone().set_align(FormatAlign::Center);
        let int = cell
            .clone()
            .set_num_format("0")
            .set_align(FormatAlign::Right);
        Formats {
            title: base
                .clone()
                .set_bold()
                .set_font_size(16)
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter),
            header: cell
                .clone()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Center),
            text: cell.clone(),
            total_text: cell.clone().set_bold().set_align(FormatAlign::Center),
            total_int: int.clone().set_bold(),
            total_rate: rate.clone().set_bold(),
            total_no_rate: no_rate.clone().set_bold(),
            int,
            rate,
            no_rate,
            note: base.set_align(FormatAlign::Left),
        }
    }
}

/// The tables as one workbook, one sheet per table, in order. Sheet names come from
/// the titles, made valid for Excel (≤ 31 characters, none of `[]:*?/\`, unique).
pub fn to_xlsx(sheets: &[ReportTable]) -> Result<Vec<u8>, TableError> {
    if sheets.is_empty() {
        return Err(TableError::NoTables);
    }
    let f = Formats::new();
    let mut wb = Workbook::new();
    let mut used = HashSet::new();
    for (i, t) in sheets.iter().enumerate() {
        let name = sheet_name(&t.title, i + 1, &mut used);
        let ws = wb.add_worksheet().set_name(name)?;
        write_sheet(ws, t, &f)?;
    }
    Ok(wb.save_to_buffer()?)
}

fn write_sheet(ws: &mut Worksheet, t: &ReportTable, f: &Formats) -> Result<(), XlsxError> {
    let ncols = t
        .rows
        .iter()
        .chain(t.totals.iter())
        .map(Vec::len)
        .chain([t.headers.len(), 1])
        .max()
        .unwrap_or(1);
    let last_col = (ncols - 1) as u16;
    let span = |ws: &mut Worksheet, row: u32, text: &str, format: &Format| {
        if last_col == 0 {
            ws.write_string_with_format(row, 0, text, format)
                .map(|_| ())
        } else {
            ws.merge_range(row, 0, row, last_col, text, format)
                .map(|_| ())
        }
    };

    span(ws, 0, &t.title, &f.title)?;
    ws.set_row_height(0, 28)?;
    for c in 0..ncols {
        let h = t.headers.get(c).map(String::as_str).unwrap_or("");
        ws.write_string_with_format(1, c as u16, h, &f.header)?;
    }
    let mut row = 2u32;
    for cells in &t.rows {
        write_row(ws, row, cells, ncols, false, f)?;
        row += 1;
    }
    if let Some(totals) = &t.totals {
        write_row(ws, row, totals, ncols, true, f)?;
        row += 1;
    }
    for n in &t.notes {
        span(ws, row, n, &f.note)?;
        row += 1;
    }

    for c in 0..ncols {
        let widest = t
            .headers
            .get(c)
            .map(|h| display_width(h))
            .into_iter()
            .chain(
                t.rows
                    .iter()
                    .chain(t.totals.iter())
                    .filter_map(|r| r.get(c))
                    .map(|cell| display_width(&cell.display())),
            )
            .max()
            .unwrap_or(0);
        // Two characters of padding; keep narrow columns readable, cap very long text.
        let width = (widest + 2).clamp(8, 60);
        ws.set_column_width(c as u16, width as f64)?;
    }
    ws.set_freeze_panes(2, 0)?;
    Ok(())
}

fn write_row(
    ws: &mut Worksheet,
    row: u32,
    cells: &[Cell],
    ncols: usize,
    total: bool,
    f: &Formats,
) -> Result<(), XlsxError> {
    let (text, int, rate, no_rate) = if total {
        (&f.total_text, &f.total_int, &f.total_rate, &f.total_no_rate)
    } else {
        (&f.text, &f.int, &f.rate, &f.no_rate)
    };
    for c in 0..ncols {
        let col = c as u16;
        match cells.get(c) {
            Some(Cell::Text(s)) => ws.write_string_with_format(row, col, s, text)?,
            Some(Cell::Int(n)) => ws.write_number_with_format(row, col, *n as f64, int)?,
            Some(Cell::Rate(r)) => match finite(*r) {
                Some(r) => ws.write_number_with_format(row, col, r, rate)?,
                None => ws.write_string_with_format(row, col, NO_RATE, no_rate)?,
            },
            None => ws.write_blank(row, col, text)?,
        };
    }
    Ok(())
}

/// A valid, unique (case-insensitively, as Excel compares) sheet name for a title.
fn sheet_name(title: &str, n: usize, used: &mut HashSet<String>) -> String {
    const MAX: usize = 31; // UTF-16 code units, Excel's limit
    let cleaned: String = title
        .trim()
        .chars()
        .map(|c| match c {
            '[' | ']' | ':' | '*' | '?' | '/' | '\\' => '_',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    let cleaned = cleaned.trim().trim_matches('\'').trim();
    let base = if cleaned.is_empty() || cleaned.eq_ignore_ascii_case("History") {
        format!("Sheet{n}")
    } else {
        cleaned.to_owned()
    };
    let mut suffix = 1;
    loop {
        let tail = if suffix == 1 {
            String::new()
        } else {
            format!("({suffix})")
        };
        let mut name = String::new();
        let mut units = tail.len();
        for c in base.chars() {
            units += c.len_utf16();
            if units > MAX {
                break;
            }
            name.push(c);
        }
        let name = format!("{}{tail}", name.trim_end().trim_end_matches('\''));
        if used.insert(name.to_lowercase()) {
            return name;
        }
        suffix += 1;
    }
}

/// Columns a string takes in a spreadsheet or a fixed-width layout: East Asian wide
/// and fullwidth characters (汉字, 全角 punctuation, Hangul, kana) count 2, others 1.
pub(crate) fn display_width(s: &str) -> usize {
    s.chars().map(|c| if is_wide(c) { 2 } else { 1 }).sum()
}

fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115F            // Hangul Jamo
        | 0x2014                   // — (full width in 宋体)
        | 0x2E80..=0x303E          // CJK radicals, punctuation
        | 0x3041..=0x33FF          // kana, CJK compatibility
        | 0x3400..=0x4DBF          // CJK extension A
        | 0x4E00..=0x9FFF          // CJK unified ideographs
        | 0xA000..=0xA4CF          // Yi
        | 0xAC00..=0xD7A3          // Hangul syllables
        | 0xF900..=0xFAFF          // CJK compatibility ideographs
        | 0xFE30..=0xFE4F          // CJK compatibility forms
        | 0xFF00..=0xFF60          // fullwidth forms
        | 0xFFE0..=0xFFE6
        | 0x20000..=0x3FFFD        // CJK extensions B…
    )
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Read};

    use calamine::{Data, Reader, Xlsx};

    use super::*;

    fn sample() -> ReportTable {
        ReportTable {
            title: "汕尾市 2026年10月 信访事项分类统计".into(),
            headers: ["内容分类", "登记事项", "按期办结", "按期办结率"]
                .map(String::from)
                .to_vec(),
            rows: vec![
                vec![
                    Cell::text("城乡建设"),
                    Cell::Int(8),
                    Cell::Int(7),
                    Cell::Rate(Some(0.875)),
                ],
                vec![
                    Cell::text("劳动和社会保障"),
                    Cell::Int(0),
                    Cell::Int(0),
                    Cell::Rate(None),
                ],
            ],
            totals: Some(vec![
                Cell::text("合计"),
                Cell::Int(8),
                Cell::Int(7),
                Cell::Rate(Some(0.875)),
            ]),
            notes: vec!["注：按期办结率 = 按期办结 / 应办结。".into()],
        }
    }

    #[test]
    fn csv_has_bom_title_header_rows_and_totals() {
        let bytes = to_csv(&sample());
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
        let text = std::str::from_utf8(&bytes[3..]).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            [
                "汕尾市 2026年10月 信访事项分类统计",
                "内容分类,登记事项,按期办结,按期办结率",
                "城乡建设,8,7,87.5%",
                "劳动和社会保障,0,0,—",
                "合计,8,7,87.5%",
                "注：按期办结率 = 按期办结 / 应办结。",
            ]
        );
        assert!(text.contains("\r\n"));
    }

    #[test]
    fn csv_quotes_commas_and_quotes() {
        let mut t = sample();
        t.rows = vec![vec![Cell::text("a,\"b\""), Cell::Int(-3)]];
        t.totals = None;
        t.notes.clear();
        let bytes = to_csv(&t);
        let text = std::str::from_utf8(&bytes[3..]).unwrap();
        assert_eq!(text.lines().nth(2), Some("\"a,\"\"b\"\"\",-3"));
        assert_eq!(text.lines().count(), 3);
    }

    #[test]
    fn rates_display() {
        assert_eq!(Cell::Rate(Some(0.875)).display(), "87.5%");
        assert_eq!(Cell::Rate(Some(1.0)).display(), "100.0%");
        assert_eq!(Cell::Rate(Some(-0.0)).display(), "0.0%");
        assert_eq!(Cell::Rate(None).display(), "—");
        assert_eq!(Cell::Rate(Some(f64::NAN)).display(), "—");
        assert_eq!(
            serde_json::to_string(&sample().totals).unwrap(),
            r#"["合计",8,7,0.875]"#
        );
        assert_eq!(serde_json::to_string(&Cell::Rate(None)).unwrap(), "null");
    }

    fn read_book(bytes: &[u8]) -> Xlsx<Cursor<&[u8]>> {
        Xlsx::new(Cursor::new(bytes)).unwrap()
    }

    fn zip_entry(bytes: &[u8], name: &str) -> String {
        let mut z = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        let mut s = String::new();
        z.by_name(name).unwrap().read_to_string(&mut s).unwrap();
        s
    }

    #[test]
    fn xlsx_round_trips_through_calamine() {
        let mut second = sample();
        second.title = "汕尾市 2026年10月 各县（市、区）信访事项办理情况统计表".into();
        second.totals = None;
        let bytes = to_xlsx(&[sample(), second.clone()]).unwrap();
        let mut book = read_book(&bytes);
        let names = book.sheet_names();
        assert_eq!(names[0], "汕尾市 2026年10月 信访事项分类统计");
        assert_eq!(names.len(), 2);
        assert!(names[1].encode_utf16().count() <= 31, "{}", names[1]);
        assert!(second.title.starts_with(&names[1]));

        let r = book.worksheet_range(&names[0]).unwrap();
        let at = |row: u32, col: u32| r.get_value((row, col)).cloned();
        assert_eq!(
            at(0, 0),
            Some(Data::String("汕尾市 2026年10月 信访事项分类统计".into()))
        );
        let headers: Vec<_> = (0..4).map(|c| at(1, c).unwrap().to_string()).collect();
        assert_eq!(headers, ["内容分类", "登记事项", "按期办结", "按期办结率"]);
        assert_eq!(at(2, 0), Some(Data::String("城乡建设".into())));
        assert_eq!(at(2, 1), Some(Data::Float(8.0)));
        assert_eq!(at(2, 3), Some(Data::Float(0.875)));
        assert_eq!(at(3, 3), Some(Data::String("—".into())));
        assert_eq!(at(4, 0), Some(Data::String("合计".into())));
        assert_eq!(at(4, 2), Some(Data::Float(7.0)));
        assert_eq!(at(4, 3), Some(Data::Float(0.875)));
        assert_eq!(
            at(5, 0),
            Some(Data::String("注：按期办结率 = 按期办结 / 应办结。".into()))
        );

        let merged = book.merge_cells_by_sheet_name(&names[0]).unwrap();
        assert!(
            merged.iter().any(|d| d.start == (0, 0) && d.end == (0, 3)),
            "title row is merged across the table: {merged:?}"
        );

        let styles = zip_entry(&bytes, "xl/styles.xml");
        assert!(styles.contains(r#"formatCode="0.0%""#), "{styles}");
        assert!(styles.contains("宋体"));
        assert!(styles.contains("<b/>"));
    }

    #[test]
    fn xlsx_needs_a_table() {
        assert!(matches!(to_xlsx(&[]), Err(TableError::NoTables)));
    }

    #[test]
    fn xlsx_column_widths_count_cjk_as_two() {
        let bytes = to_xlsx(&[sample()]).unwrap();
        let sheet = zip_entry(&bytes, "xl/worksheets/sheet1.xml");
        // "劳动和社会保障" is 7 characters, 14 columns wide, +2 padding.
        assert!(sheet.contains(r#"width="16.7109375""#), "{sheet}");
        assert_eq!(display_width("合计 A1"), 7);
    }

    #[test]
    fn sheet_names_are_valid_and_unique() {
        let mut used = HashSet::new();
        let long = "汕尾市城区2026年第四季度信访事项办理情况统计表（按责任单位）续表";
        let a = sheet_name(long, 1, &mut used);
        let b = sheet_name(long, 2, &mut used);
        let c = sheet_name("a/b:c*d?[e]\\f", 3, &mut used);
        let d = sheet_name("  ", 4, &mut used);
        let e = sheet_name("history", 5, &mut used);
        let f = sheet_name("'引号'", 6, &mut used);
        let g = sheet_name("SHEET4", 7, &mut used);
        for n in [&a, &b, &c, &d, &e, &f, &g] {
            rust_xlsxwriter::utility::check_sheet_name(n).unwrap();
        }
        assert_ne!(a, b);
        assert!(b.ends_with("(2)"));
        assert_eq!(c, "a_b_c_d__e__f");
        assert_eq!(d, "Sheet4");
        assert_eq!(e, "Sheet5");
        assert_eq!(f, "引号");
        assert_eq!(g, "SHEET4(2)");
    }
}
