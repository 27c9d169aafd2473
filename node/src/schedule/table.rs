//! The 附件2 table layout (seed 000): a month's reception schedule as a CSV or XLSX
//! table, imported from what the petition office keeps in spreadsheets and exported
//! back. Pure functions, bytes in and bytes out; the caller reads and writes files,
//! fills positions from the roster and checks working days against the calendar.
//!
//! Import is all-or-nothing: either every row is good, or every bad row is reported.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Cursor;
use std::path::Path;

use chrono::{Datelike, NaiveDate};

use super::model::{Entry, Month};
use crate::rules::taxonomy::Taxonomy;

/// Largest file accepted for import (hostile or mistaken uploads).
pub const MAX_BYTES: usize = 5 * 1024 * 1024;
/// Most rows accepted below the header; a real month has a few dozen.
pub const MAX_ROWS: usize = 2_000;
/// The header is looked for among this many rows (XLSX exports have a title above it).
const HEADER_SEARCH_ROWS: usize = 10;
/// Columns beyond this are not kept (the layout has nine).
const MAX_COLUMNS: u32 = 64;
/// Largest total unpacked size of an XLSX archive's parts (ZIP bombs).
const MAX_UNZIPPED_BYTES: u64 = 64 * 1024 * 1024;
/// Font for the exported workbook: present on every Chinese Windows and in WPS.
const XLSX_FONT: &str = "宋体";

/// One imported row, with its row number for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRow {
    /// Row number as a person sees it in the file (header = row 1 when it is first).
    pub row: usize,
    /// 序号, if the table had one.
    pub seq: Option<u32>,
    pub entry: Entry,
}

/// One bad cell or row. `column` is the header as written in the file (or the field's
/// usual name when the file has no such column).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[error("row {row}, column {column}: {rule}")]
pub struct RowError {
    pub row: usize,
    pub column: String,
    pub rule: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Not a table this module can read: wrong format, no header, too large...
    #[error("{0}")]
    Format(String),
    /// Every bad row (never only the first).
    #[error("{}", RowsMessage(.0))]
    Rows(Vec<RowError>),
}

struct RowsMessage<'a>(&'a [RowError]);

impl fmt::Display for RowsMessage<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        write!(
            f,
            "{n} problem{} in the table: ",
            if n == 1 { "" } else { "s" }
        )?;
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("cannot write the XLSX file: {0}")]
    Xlsx(String),
}

impl From<rust_xlsxwriter::XlsxError> for ExportError {
    fn from(e: rust_xlsxwriter::XlsxError) -> Self {
        ExportError::Xlsx(e.to_string())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFormat {
    Csv,
    Xlsx,
}

impl TableFormat {
    /// By extension, case-insensitive: `.csv` or `.xlsx`.
    pub fn from_path(path: &Path) -> Result<TableFormat, ImportError> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("csv") => Ok(TableFormat::Csv),
            Some("xlsx") => Ok(TableFormat::Xlsx),
            Some("xls") => Err(ImportError::Format(format!(
                "{}: old .xls workbooks are not read; save it as .xlsx (Excel 2007 or later) or CSV UTF-8",
                path.display()
            ))),
            _ => Err(ImportError::Format(format!(
                "{}: unknown table format; use a .csv or .xlsx file",
                path.display()
            ))),
        }
    }
}

// --- the layout -------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Seq,
    Date,
    Leader,
    Position,
    Place,
    Form,
    Note,
    Topic,
}

impl Field {
    /// Header names accepted, after removing whitespace and lowercasing ASCII.
    fn from_header(header: &str) -> Option<Field> {
        let h: String = header
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        Some(match h.as_str() {
            "seq" | "序号" => Field::Seq,
            "date" | "接访时间" | "接访日期" | "日期" | "时间" => Field::Date,
            "leader" | "接访领导" | "姓名" | "领导" => Field::Leader,
            "position" | "职务" => Field::Position,
            "location" | "place" | "接访地点" | "地点" => Field::Place,
            "form" | "接访方式" | "接访形式" | "形式" => Field::Form,
            "note" | "备注" => Field::Note,
            "topic" | "专题" | "主题" | "接访主题" => Field::Topic,
            _ => return None,
        })
    }

    /// Name for messages when the file has no such column.
    fn label(self, chinese: bool) -> &'static str {
        match (self, chinese) {
            (Field::Seq, false) => "seq",
            (Field::Date, false) => "date",
            (Field::Leader, false) => "leader",
            (Field::Position, false) => "position",
            (Field::Place, false) => "location",
            (Field::Form, false) => "form",
            (Field::Note, false) => "note",
            (Field::Topic, false) => "topic",
            (Field::Seq, true) => "序号",
            (Field::Date, true) => "接访时间",
            (Field::Leader, true) => "接访领导",
            (Field::Position, true) => "职务",
            (Field::Place, true) => "接访地点",
            (Field::Form, true) => "接访方式",
            (Field::Note, true) => "备注",
            (Field::Topic, true) => "专题",
        }
    }
}

/// A cell as read, before it is interpreted.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Empty,
    Text(String),
    Number(f64),
    Date(NaiveDate),
    /// Unreadable (invalid UTF-8, an Excel error value...): the reason.
    Bad(String),
}

impl Cell {
    fn is_blank(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(s) => s.trim().is_empty(),
            _ => false,
        }
    }

    /// The cell as trimmed text.
    fn text(&self) -> Result<String, String> {
        match self {
            Cell::Empty => Ok(String::new()),
            Cell::Text(s) => Ok(s.trim().to_owned()),
            Cell::Number(n) => Ok(number_text(*n)),
            Cell::Date(d) => Ok(d.to_string()),
            Cell::Bad(why) => Err(why.clone()),
        }
    }
}

fn number_text(n: f64) -> String {
    // Spreadsheets store 7 as 7.0; people wrote 7.
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

struct RawRow {
    row: usize,
    /// Number of fields in the file's row (CSV); `cells` keeps at most `MAX_COLUMNS`.
    width: usize,
    cells: Vec<Cell>,
}

impl RawRow {
    fn is_blank(&self) -> bool {
        self.cells.iter().all(Cell::is_blank)
    }
}

fn too_many_rows() -> ImportError {
    ImportError::Format(format!(
        "the table has more than {MAX_ROWS} rows below its header; a month's schedule is far shorter — is this the right file?"
    ))
}

// --- import -----------------------------------------------------------------------

/// Reads a month's schedule table. Positions the table leaves empty stay empty (the
/// caller fills them from the roster); working days are not checked here.
pub fn import(
    bytes: &[u8],
    format: TableFormat,
    month: Month,
    taxonomy: &Taxonomy,
) -> Result<Vec<ImportRow>, ImportError> {
    if bytes.len() > MAX_BYTES {
        return Err(ImportError::Format(format!(
            "the file is {:.1} MiB; the limit is {} MiB",
            bytes.len() as f64 / (1024.0 * 1024.0),
            MAX_BYTES / (1024 * 1024)
        )));
    }
    let (raw, check_width) = match format {
        TableFormat::Csv => (read_csv(bytes)?, true),
        TableFormat::Xlsx => (read_xlsx(bytes)?, false),
    };
    interpret(raw, check_width, month, taxonomy, || {
        // Excel on Chinese Windows saves "CSV" as GBK: say so rather than "no header".
        (format == TableFormat::Csv && std::str::from_utf8(bytes).is_err()).then_some(
            " The file is not UTF-8 text: save it from Excel as \"CSV UTF-8\" (GBK is not read).",
        )
    })
}

struct Header {
    /// Row index in the raw rows.
    index: usize,
    width: usize,
    columns: Vec<(Field, usize, String)>,
    chinese: bool,
}

impl Header {
    fn column(&self, f: Field) -> Option<(usize, &str)> {
        self.columns
            .iter()
            .find(|(g, _, _)| *g == f)
            .map(|(_, i, name)| (*i, name.as_str()))
    }

    fn label(&self, f: Field) -> String {
        self.column(f)
            .map_or_else(|| f.label(self.chinese).to_owned(), |(_, n)| n.to_owned())
    }
}

/// A bare 时间 next to a 日期 column is the time of day (上午/下午), not the date.
fn is_time_of_day(header: &str) -> bool {
    header
        .chars()
        .filter(|c| !c.is_whitespace())
        .eq("时间".chars())
}

fn find_header(raw: &[RawRow]) -> Result<Option<Header>, ImportError> {
    for (index, r) in raw.iter().enumerate().take(HEADER_SEARCH_ROWS) {
        let mut columns: Vec<(Field, usize, String)> = Vec::new();
        let mut duplicate = None;
        for (i, c) in r.cells.iter().enumerate() {
            let Cell::Text(t) = c else { continue };
            let Some(f) = Field::from_header(t) else {
                continue;
            };
            let name = t.trim().to_owned();
            match columns.iter_mut().find(|(g, _, _)| *g == f) {
                None => columns.push((f, i, name)),
                Some(first) if is_time_of_day(&first.2) => *first = (f, i, name),
                Some(_) if is_time_of_day(&name) => {}
                Some(first) => {
                    duplicate.get_or_insert((f, first.2.clone(), name));
                }
            }
        }
        let has = |f: Field| columns.iter().any(|(g, _, _)| *g == f);
        if !(has(Field::Date) && has(Field::Leader)) {
            continue;
        }
        if let Some((f, first, second)) = duplicate {
            return Err(ImportError::Format(format!(
                "the header (row {}) has two {} columns: {first} and {second}",
                r.row,
                f.label(false),
            )));
        }
        let chinese = columns.iter().any(|(_, _, n)| !n.is_ascii());
        return Ok(Some(Header {
            index,
            width: r.width,
            columns,
            chinese,
        }));
    }
    Ok(None)
}

fn interpret(
    raw: Vec<RawRow>,
    check_width: bool,
    month: Month,
    taxonomy: &Taxonomy,
    hint: impl FnOnce() -> Option<&'static str>,
) -> Result<Vec<ImportRow>, ImportError> {
    let Some(header) = find_header(&raw)? else {
        return Err(ImportError::Format(format!(
            "no header row in the first {HEADER_SEARCH_ROWS} rows: the table needs a date column \
             (接访时间, 日期 or date) and a leader column (接访领导, 姓名 or leader){}",
            hint().unwrap_or("")
        )));
    };
    let data = &raw[header.index + 1..];
    if data.len() > MAX_ROWS {
        return Err(too_many_rows());
    }
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for r in data {
        if r.is_blank() {
            continue;
        }
        match interpret_row(r, &header, check_width, month, taxonomy) {
            Ok(row) => rows.push(row),
            Err(mut e) => errors.append(&mut e),
        }
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(ImportError::Rows(errors))
    }
}

fn interpret_row(
    r: &RawRow,
    h: &Header,
    check_width: bool,
    month: Month,
    taxonomy: &Taxonomy,
) -> Result<ImportRow, Vec<RowError>> {
    let err = |column: String, rule: String| RowError {
        row: r.row,
        column,
        rule,
    };
    if check_width && r.width != h.width {
        // Fields are shifted: only this one message is meaningful for the row.
        let (column, rule) = if r.width > h.width {
            (
                (h.width + 1).to_string(),
                format!(
                    "the row has {} fields but the header has {}",
                    r.width, h.width
                ),
            )
        } else {
            let missing = h
                .columns
                .iter()
                .filter(|(_, i, _)| *i >= r.width)
                .min_by_key(|(_, i, _)| *i)
                .map_or_else(|| (r.width + 1).to_string(), |(_, _, n)| n.clone());
            (
                missing,
                format!(
                    "the row has {} fields but the header has {}",
                    r.width, h.width
                ),
            )
        };
        return Err(vec![err(column, rule)]);
    }
    let empty = Cell::Empty;
    let cell = |f: Field| -> &Cell {
        h.column(f)
            .and_then(|(i, _)| r.cells.get(i))
            .unwrap_or(&empty)
    };
    let mut errors = Vec::new();
    let text = |f: Field, errors: &mut Vec<RowError>| -> String {
        cell(f).text().unwrap_or_else(|why| {
            errors.push(err(h.label(f), why));
            String::new()
        })
    };

    let seq_text = text(Field::Seq, &mut errors);
    let seq = if seq_text.is_empty() {
        None
    } else {
        match seq_text.parse::<u32>() {
            Ok(n) => Some(n),
            Err(_) => {
                errors.push(err(
                    h.label(Field::Seq),
                    format!("序号 {seq_text:?} is not a number"),
                ));
                None
            }
        }
    };

    let date = match read_date(cell(Field::Date), month) {
        Ok(d) if month.contains(d) => Some(d),
        Ok(d) => {
            errors.push(err(
                h.label(Field::Date),
                format!("date {d} is outside {month}"),
            ));
            None
        }
        Err(why) => {
            errors.push(err(h.label(Field::Date), why));
            None
        }
    };

    let leader = text(Field::Leader, &mut errors);
    if leader.is_empty() && !matches!(cell(Field::Leader), Cell::Bad(_)) {
        errors.push(err(
            h.label(Field::Leader),
            "the leader's name is empty".into(),
        ));
    }
    let position = text(Field::Position, &mut errors);
    let place = text(Field::Place, &mut errors);

    let form_text = text(Field::Form, &mut errors);
    let form = if form_text.is_empty() {
        // The form column is optional; 定点接访 is what 附件2 lists throughout.
        Some("fixed".to_owned())
    } else {
        let found = taxonomy
            .reception_form
            .iter()
            .find(|e| e.name == form_text || e.code.eq_ignore_ascii_case(&form_text));
        if found.is_none() {
            let known: Vec<&str> = taxonomy
                .reception_form
                .iter()
                .map(|e| e.name.as_str())
                .collect();
            errors.push(err(
                h.label(Field::Form),
                format!(
                    "unknown reception form {form_text:?}; known: {}",
                    known.join("、")
                ),
            ));
        }
        found.map(|e| e.code.clone())
    };

    let note = Some(text(Field::Note, &mut errors)).filter(|s| !s.is_empty());
    let topic = Some(text(Field::Topic, &mut errors)).filter(|s| !s.is_empty());
    if form.as_deref() == Some("thematic") && topic.is_none() {
        errors.push(err(
            h.label(Field::Topic),
            "专题接访 (thematic) needs a topic (专题)".into(),
        ));
    }

    match (date, form) {
        (Some(date), Some(form)) if errors.is_empty() => Ok(ImportRow {
            row: r.row,
            seq,
            entry: Entry {
                date,
                leader,
                position,
                place,
                form,
                topic,
                note,
                non_working_day_override: false,
            },
        }),
        _ => Err(errors),
    }
}

// --- dates ------------------------------------------------------------------------

const DATE_FORMS: &str = "write 2016-04-01, 2016/4/1, 2016年4月1日 or 4月1日";

fn read_date(cell: &Cell, month: Month) -> Result<NaiveDate, String> {
    match cell {
        Cell::Empty => Err("the date is empty".into()),
        Cell::Date(d) => Ok(*d),
        Cell::Number(n) => excel_serial(*n)
            .ok_or_else(|| format!("cannot read {} as a date; {DATE_FORMS}", number_text(*n))),
        Cell::Text(t) => parse_date_text(t, month),
        Cell::Bad(why) => Err(why.clone()),
    }
}

/// A bare number in a date column: Excel's serial day (1900 system).
fn excel_serial(value: f64) -> Option<NaiveDate> {
    excel_date(&calamine::ExcelDateTime::new(
        value,
        calamine::ExcelDateTimeType::DateTime,
        false,
    ))
}

/// A date cell as a date (in the workbook's 1900 or 1904 system); the time is dropped.
fn excel_date(dt: &calamine::ExcelDateTime) -> Option<NaiveDate> {
    // Excel's range is 1900-01-01 .. 9999-12-31; outside it calamine clamps: refuse.
    if !(1.0..2_958_466.0).contains(&dt.as_f64()) {
        return None;
    }
    let (y, m, d, ..) = dt.to_ymd_hms_milli();
    // 1900-02-29 (Excel's leap-year bug) does not exist: None.
    NaiveDate::from_ymd_opt(i32::from(y), u32::from(m), u32::from(d))
}

/// `2016-04-01`, `2016/4/1`, `2016.4.1`, `2016年4月1日`, `4月1日` (year from `month`); a
/// trailing weekday in brackets and a midnight time are tolerated, full-width digits too.
fn parse_date_text(text: &str, month: Month) -> Result<NaiveDate, String> {
    let bad = || format!("cannot read date {:?}; {DATE_FORMS}", text.trim());
    let mut s: String = text
        .trim()
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            '－' => '-',
            '／' => '/',
            '．' => '.',
            _ => c,
        })
        .collect();
    // "4月1日（星期五）", as the published page prints it.
    if let Some(i) = s.find(['（', '(']) {
        let rest = &s[i..];
        if rest.ends_with(['）', ')']) {
            s.truncate(i);
        }
    }
    // "2016-04-01T00:00:00" or "2016/4/1 0:00:00": keep the date.
    if let Some(i) = s.find(['T', ' ']) {
        let time = &s[i + 1..];
        if !time.is_empty()
            && time
                .chars()
                .all(|c| c.is_ascii_digit() || c == ':' || c == '.')
        {
            s.truncate(i);
        }
    }
    let s = s.trim();
    let num = |p: &str| -> Option<u32> {
        let p = p.trim();
        if p.is_empty() || p.len() > 4 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        p.parse().ok()
    };
    let (y, m, d) = if s.contains('月') {
        let (y, rest) = match s.split_once('年') {
            Some((y, rest)) => {
                if y.trim().len() != 4 {
                    return Err(bad());
                }
                (num(y).ok_or_else(bad)?, rest)
            }
            None => (u32::try_from(month.year).map_err(|_| bad())?, s),
        };
        let (m, rest) = rest.split_once('月').ok_or_else(bad)?;
        let d = rest.strip_suffix(['日', '号']).unwrap_or(rest);
        (y, num(m).ok_or_else(bad)?, num(d).ok_or_else(bad)?)
    } else {
        let sep = ['-', '/', '.']
            .into_iter()
            .find(|c| s.contains(*c))
            .ok_or_else(bad)?;
        let parts: Vec<&str> = s.split(sep).collect();
        let [y, m, d] = parts.as_slice() else {
            return Err(bad());
        };
        if y.trim().len() != 4 {
            return Err(bad());
        }
        (
            num(y).ok_or_else(bad)?,
            num(m).ok_or_else(bad)?,
            num(d).ok_or_else(bad)?,
        )
    };
    let y = i32::try_from(y).map_err(|_| bad())?;
    NaiveDate::from_ymd_opt(y, m, d)
        .ok_or_else(|| format!("{:?} is not a date of the calendar", text.trim()))
}

// --- CSV --------------------------------------------------------------------------

fn read_csv(bytes: &[u8]) -> Result<Vec<RawRow>, ImportError> {
    // Excel's "CSV UTF-8" starts with a byte order mark.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.starts_with(b"PK\x03\x04") {
        return Err(ImportError::Format(
            "this is an XLSX workbook (a ZIP archive), not CSV; import it as .xlsx".into(),
        ));
    }
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return Err(ImportError::Format(
            "this CSV is UTF-16 text; save it from Excel as \"CSV UTF-8\"".into(),
        ));
    }
    if bytes.contains(&0) {
        return Err(ImportError::Format(
            "not a CSV text file (it contains NUL bytes)".into(),
        ));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut record = csv::ByteRecord::new();
    let mut rows = Vec::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(ImportError::Format(format!("not a readable CSV file: {e}"))),
        }
        if rows.len() >= MAX_ROWS + HEADER_SEARCH_ROWS {
            return Err(too_many_rows());
        }
        let row = record
            .position()
            .and_then(|p| usize::try_from(p.line()).ok())
            .unwrap_or(rows.len() + 1);
        let width = record.len();
        // A hostile row of millions of commas must not become millions of cells.
        let cells = record
            .iter()
            .take(MAX_COLUMNS as usize)
            .map(|field| match std::str::from_utf8(field) {
                Ok(s) if s.trim().is_empty() => Cell::Empty,
                Ok(s) => Cell::Text(s.to_owned()),
                Err(_) => Cell::Bad(
                    "not valid UTF-8 text; save the file from Excel as \"CSV UTF-8\"".into(),
                ),
            })
            .collect();
        rows.push(RawRow { row, width, cells });
    }
    Ok(rows)
}

// --- XLSX -------------------------------------------------------------------------

fn read_xlsx(bytes: &[u8]) -> Result<Vec<RawRow>, ImportError> {
    check_zip(bytes)?;
    check_shared_strings(bytes)?;
    // The workbook reader is third-party code fed hostile bytes: a panic in it must
    // become an error for this upload, not take the node down.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read_sheet(bytes))).unwrap_or_else(
        |_| {
            Err(ImportError::Format(
                "the XLSX file is damaged and cannot be read".into(),
            ))
        },
    )
}

/// Most shared strings a schedule workbook may declare: the reader reserves memory
/// for the declared count before reading any, so a few bytes could ask for terabytes
/// and abort the process (an allocation failure cannot be caught).
const MAX_SHARED_STRINGS: u64 = 200_000;

/// Reads the `count`/`uniqueCount` the shared-strings part declares and refuses
/// absurd ones before the workbook reader sees them.
fn check_shared_strings(bytes: &[u8]) -> Result<(), ImportError> {
    use std::io::Read;
    let damaged = || ImportError::Format("the XLSX file is damaged (bad ZIP archive)".into());
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|_| damaged())?;
    let Ok(part) = zip.by_name("xl/sharedStrings.xml") else {
        return Ok(());
    };
    // The declaration is in the root element, at the start of the part.
    let mut head = Vec::with_capacity(4096);
    part.take(4096)
        .read_to_end(&mut head)
        .map_err(|_| damaged())?;
    let head = String::from_utf8_lossy(&head);
    let Some(start) = head.find("<sst") else {
        return Ok(());
    };
    let root = &head[start..head[start..].find('>').map_or(head.len(), |e| start + e)];
    for attr in ["count=\"", "uniqueCount=\""] {
        let mut rest = root;
        while let Some(i) = rest.find(attr) {
            let after = &rest[i + attr.len()..];
            let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
            let n: u64 = digits.parse().unwrap_or(u64::MAX);
            if n > MAX_SHARED_STRINGS {
                return Err(ImportError::Format(format!(
                    "the XLSX file declares {digits} shared strings (limit {MAX_SHARED_STRINGS}); a schedule has far fewer"
                )));
            }
            rest = after;
        }
    }
    Ok(())
}

fn read_sheet(bytes: &[u8]) -> Result<Vec<RawRow>, ImportError> {
    use calamine::{DataRef, Reader, Xlsx};

    let bad =
        |e: calamine::XlsxError| ImportError::Format(format!("not a readable XLSX file: {e}"));
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(bad)?;
    let Some(sheet) = book.sheet_names().into_iter().next() else {
        return Err(ImportError::Format("the workbook has no sheet".into()));
    };
    let mut reader = book.worksheet_cells_reader(&sheet).map_err(bad)?;
    let mut grid: BTreeMap<u32, Vec<Cell>> = BTreeMap::new();
    while let Some(c) = reader.next_cell().map_err(bad)? {
        let (row, col) = c.get_position();
        if row as usize >= MAX_ROWS + HEADER_SEARCH_ROWS {
            return Err(too_many_rows());
        }
        if col >= MAX_COLUMNS {
            continue;
        }
        let cell = match c.get_value() {
            DataRef::Empty => continue,
            DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s)
                if s.trim().is_empty() =>
            {
                continue;
            }
            DataRef::String(s) => Cell::Text(s.clone()),
            DataRef::SharedString(s) => Cell::Text((*s).to_owned()),
            DataRef::Int(i) => Cell::Number(*i as f64),
            DataRef::Float(f) => Cell::Number(*f),
            DataRef::Bool(b) => Cell::Text(if *b { "TRUE" } else { "FALSE" }.into()),
            DataRef::DateTime(dt) if dt.is_duration() => {
                Cell::Bad("the cell holds a duration, not a date".into())
            }
            DataRef::DateTime(dt) => match excel_date(dt) {
                Some(d) => Cell::Date(d),
                None => Cell::Bad(format!(
                    "the date cell value {} is out of range",
                    dt.as_f64()
                )),
            },
            DataRef::DateTimeIso(s) => {
                match s.get(..10).and_then(|d| d.parse::<NaiveDate>().ok()) {
                    Some(d) => Cell::Date(d),
                    None => Cell::Text(s.clone()),
                }
            }
            DataRef::DurationIso(s) => Cell::Text(s.clone()),
            DataRef::Error(e) => Cell::Bad(format!("the cell holds the error {e}")),
        };
        let cells = grid.entry(row).or_default();
        let col = col as usize;
        if cells.len() <= col {
            cells.resize(col + 1, Cell::Empty);
        }
        cells[col] = cell;
    }
    Ok(grid
        .into_iter()
        .map(|(row, cells)| RawRow {
            row: row as usize + 1,
            width: cells.len(),
            cells,
        })
        .collect())
}

fn le16(b: &[u8], at: usize) -> Option<u64> {
    let s = b.get(at..at.checked_add(2)?)?;
    Some(u64::from(u16::from_le_bytes([s[0], s[1]])))
}

fn le32(b: &[u8], at: usize) -> Option<u64> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u64::from(u32::from_le_bytes([s[0], s[1], s[2], s[3]])))
}

/// Checks the ZIP central directory before any part is unpacked: the declared sizes
/// bound what the unzipper will produce, so their sum bounds the work (ZIP bombs).
fn check_zip(bytes: &[u8]) -> Result<(), ImportError> {
    const LOCAL: &[u8] = b"PK\x03\x04";
    const END: &[u8] = b"PK\x05\x06";
    const ENTRY: &[u8] = b"PK\x01\x02";
    if !bytes.starts_with(LOCAL) {
        return Err(ImportError::Format(
            if bytes.starts_with(b"\xD0\xCF\x11\xE0") {
                "this is an old .xls workbook or a password-protected one; save it as .xlsx without a password"
            } else {
                "not an XLSX file (an XLSX workbook is a ZIP archive)"
            }
            .into(),
        ));
    }
    let damaged = || ImportError::Format("the XLSX file is damaged (bad ZIP directory)".into());
    // The end record is in the last 22 + 65,535 (comment) bytes.
    let last = bytes.len().checked_sub(22).ok_or_else(damaged)?;
    let first = last.saturating_sub(65_535);
    let end = (first..=last)
        .rev()
        .find(|&i| bytes.get(i..i + 4) == Some(END))
        .ok_or_else(damaged)?;
    let count = le16(bytes, end + 10).ok_or_else(damaged)?;
    let offset = le32(bytes, end + 16).ok_or_else(damaged)?;
    if count == 0xFFFF || offset == 0xFFFF_FFFF {
        return Err(ImportError::Format(
            "ZIP64 workbooks are not read (a schedule is far smaller)".into(),
        ));
    }
    let mut at = usize::try_from(offset).map_err(|_| damaged())?;
    let mut total: u64 = 0;
    for _ in 0..count {
        if bytes.get(at..at + 4) != Some(ENTRY) {
            return Err(damaged());
        }
        let size = le32(bytes, at + 24).ok_or_else(damaged)?;
        if size == 0xFFFF_FFFF {
            return Err(ImportError::Format(
                "ZIP64 workbooks are not read (a schedule is far smaller)".into(),
            ));
        }
        total += size;
        let name = le16(bytes, at + 28).ok_or_else(damaged)?;
        let extra = le16(bytes, at + 30).ok_or_else(damaged)?;
        let comment = le16(bytes, at + 32).ok_or_else(damaged)?;
        at += 46 + (name + extra + comment) as usize;
    }
    if total > MAX_UNZIPPED_BYTES {
        return Err(ImportError::Format(format!(
            "the XLSX file unpacks to {} MiB; the limit is {} MiB",
            total / (1024 * 1024),
            MAX_UNZIPPED_BYTES / (1024 * 1024)
        )));
    }
    Ok(())
}

// --- export -----------------------------------------------------------------------

/// Entries in date order; the order within a day is kept.
fn by_date(entries: &[Entry]) -> Vec<&Entry> {
    let mut v: Vec<&Entry> = entries.iter().collect();
    v.sort_by_key(|e| e.date);
    v
}

fn form_name<'a>(taxonomy: &'a Taxonomy, code: &'a str) -> &'a str {
    taxonomy
        .reception_form(code)
        .map_or(code, |e| e.name.as_str())
}

/// The fixture's layout: `seq,date,leader,position,location,form,note`, plus `topic`
/// when some entry has one; forms by Chinese name, seq 1..n in date order.
pub fn export_csv(entries: &[Entry], taxonomy: &Taxonomy) -> Vec<u8> {
    let with_topic = entries.iter().any(|e| e.topic.is_some());
    let mut header = vec![
        "seq", "date", "leader", "position", "location", "form", "note",
    ];
    if with_topic {
        header.push("topic");
    }
    let mut records = vec![header.into_iter().map(str::to_owned).collect::<Vec<_>>()];
    for (i, e) in by_date(entries).into_iter().enumerate() {
        let mut r = vec![
            (i + 1).to_string(),
            e.date.format("%Y-%m-%d").to_string(),
            e.leader.clone(),
            e.position.clone(),
            e.place.clone(),
            form_name(taxonomy, &e.form).to_owned(),
            e.note.clone().unwrap_or_default(),
        ];
        if with_topic {
            r.push(e.topic.clone().unwrap_or_default());
        }
        records.push(r);
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in &records {
        // Writing into memory has no IO to fail.
        w.write_record(r).expect("CSV into memory");
    }
    w.into_inner().expect("CSV into memory")
}

/// The printable workbook: one sheet named like `2016年4月`, a merged title row, then
/// 序号 | 接访时间 | 姓名 | 职务 | 分管工作 | 接访地点 | 接访方式 | 专题 | 备注 with real dates.
pub fn export_xlsx(
    title: &str,
    entries: &[Entry],
    portfolios: &BTreeMap<String, String>,
    taxonomy: &Taxonomy,
) -> Result<Vec<u8>, ExportError> {
    use rust_xlsxwriter::{Color, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook};

    const HEADERS: [(&str, f64); 9] = [
        ("序号", 6.0),
        ("接访时间", 12.0),
        ("姓名", 10.0),
        ("职务", 26.0),
        ("分管工作", 30.0),
        ("接访地点", 20.0),
        ("接访方式", 12.0),
        ("专题", 20.0),
        ("备注", 20.0),
    ];
    let base = Format::new()
        .set_font_name(XLSX_FONT)
        .set_font_size(11)
        .set_align(FormatAlign::VerticalCenter);
    let title_format = base
        .clone()
        .set_font_size(16)
        .set_bold()
        .set_align(FormatAlign::Center);
    let cell = base.clone().set_border(FormatBorder::Thin).set_text_wrap();
    let centred = cell.clone().set_align(FormatAlign::Center);
    let head = centred
        .clone()
        .set_bold()
        .set_background_color(Color::RGB(0xF2F2F2));
    let date_format = centred.clone().set_num_format("yyyy-mm-dd");

    let sheet_name = entries
        .iter()
        .map(|e| e.date)
        .min()
        .map_or_else(|| "接访安排表".to_owned(), |d| Month::of(d).label_zh());

    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(sheet_name)?;
    let last_col = (HEADERS.len() - 1) as u16;
    sheet.merge_range(0, 0, 0, last_col, title, &title_format)?;
    sheet.set_row_height(0, 32)?;
    for (col, (name, width)) in HEADERS.iter().enumerate() {
        let col = col as u16;
        sheet.write_string_with_format(1, col, *name, &head)?;
        sheet.set_column_width(col, *width)?;
    }
    sheet.set_row_height(1, 22)?;
    for (i, e) in by_date(entries).into_iter().enumerate() {
        let row = u32::try_from(i + 2).map_err(|_| ExportError::Xlsx("too many rows".into()))?;
        let date = ExcelDateTime::from_ymd(
            u16::try_from(e.date.year())
                .map_err(|_| ExportError::Xlsx(format!("date {} out of range", e.date)))?,
            e.date.month() as u8,
            e.date.day() as u8,
        )?;
        let portfolio = portfolios.get(&e.leader).map_or("", String::as_str);
        sheet.write_number_with_format(row, 0, (i + 1) as f64, &centred)?;
        sheet.write_datetime_with_format(row, 1, date, &date_format)?;
        sheet.write_string_with_format(row, 2, &e.leader, &centred)?;
        sheet.write_string_with_format(row, 3, &e.position, &cell)?;
        sheet.write_string_with_format(row, 4, portfolio, &cell)?;
        sheet.write_string_with_format(row, 5, &e.place, &cell)?;
        sheet.write_string_with_format(row, 6, form_name(taxonomy, &e.form), &centred)?;
        sheet.write_string_with_format(row, 7, e.topic.as_deref().unwrap_or(""), &cell)?;
        sheet.write_string_with_format(row, 8, e.note.as_deref().unwrap_or(""), &cell)?;
    }
    // Printing: A4 landscape, one page wide, title and header on every page.
    sheet.set_paper_size(9);
    sheet.set_landscape();
    sheet.set_print_fit_to_pages(1, 0);
    sheet.set_repeat_rows(0, 1)?;
    sheet.set_freeze_panes(2, 0)?;
    Ok(book.save_to_buffer()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/haifeng-2016-04-schedule.csv"
    );

    fn fixture() -> Vec<u8> {
        std::fs::read(FIXTURE).unwrap_or_else(|e| {
            panic!("the 附件2 fixture {FIXTURE} is needed by this test (CI has it): {e}")
        })
    }

    fn tax() -> Taxonomy {
        Taxonomy::official().unwrap()
    }

    fn april() -> Month {
        Month::new(2016, 4).unwrap()
    }

    fn csv(text: &str) -> Result<Vec<ImportRow>, ImportError> {
        import(text.as_bytes(), TableFormat::Csv, april(), &tax())
    }

    fn row_errors(r: Result<Vec<ImportRow>, ImportError>) -> Vec<RowError> {
        match r {
            Err(ImportError::Rows(e)) => e,
            other => panic!("expected row errors, got {other:?}"),
        }
    }

    fn one_error(text: &str) -> RowError {
        let mut e = row_errors(csv(text));
        assert_eq!(e.len(), 1, "{e:?}");
        e.remove(0)
    }

    fn entry(day: u32, leader: &str, form: &str, topic: Option<&str>, note: Option<&str>) -> Entry {
        Entry {
            date: NaiveDate::from_ymd_opt(2016, 4, day).unwrap(),
            leader: leader.into(),
            position: format!("{leader}的职务"),
            place: "县信访局接访大厅".into(),
            form: form.into(),
            topic: topic.map(Into::into),
            note: note.map(Into::into),
            non_working_day_override: false,
        }
    }

    fn sample() -> Vec<Entry> {
        vec![
            entry(1, "陈紫光", "fixed", None, None),
            entry(
                5,
                "卢雁慧",
                "thematic",
                Some("征地拆迁"),
                Some("请相关单位列席"),
            ),
            entry(5, "许信咏", "video", None, None),
            entry(
                6,
                "刘剑平",
                "case_visit",
                None,
                Some("带案下访，含, 逗号和\"引号\""),
            ),
            entry(29, "郑秋汉", "grassroots", None, None),
        ]
    }

    #[test]
    fn the_fixture_imports() {
        let rows = import(&fixture(), TableFormat::Csv, april(), &tax()).unwrap();
        assert_eq!(rows.len(), 20);
        let leaders: std::collections::BTreeSet<&str> =
            rows.iter().map(|r| r.entry.leader.as_str()).collect();
        assert_eq!(leaders.len(), 15);
        assert!(rows.iter().all(|r| r.entry.form == "fixed"));
        assert!(rows.iter().all(|r| r.entry.place == "县信访局接访大厅"));
        assert!(
            rows.iter()
                .all(|r| r.entry.note.is_none() && r.entry.topic.is_none())
        );
        assert_eq!(rows[0].row, 2);
        assert_eq!(rows[0].seq, Some(1));
        assert_eq!(rows[0].entry.date.to_string(), "2016-04-01");
        assert_eq!(rows[0].entry.position, "县委常委、组织部部长");
        assert_eq!(rows[19].row, 21);
        assert_eq!(rows[19].entry.date.to_string(), "2016-04-29");
        // 4 April 2016 was the Qingming holiday.
        assert!(!rows.iter().any(|r| r.entry.date.day() == 4));
    }

    #[test]
    fn chinese_headers_bom_and_short_dates() {
        let text = "\u{feff}序号, 接访时间 ,姓名,职 务,接访地点,接访方式,备注\n\
                    1,4月1日,陈紫光,县委常委,县信访局,定点接访,\n\
                    2,2016年4月5日,卢雁慧,,县信访局,fixed,备注一\n\
                    ,2016/4/6,许信咏,,,,\n\
                    3,4月7日（星期四）,刘剑平,,,网络视频接访,\n";
        let rows = csv(text).unwrap();
        assert_eq!(rows.len(), 4);
        let days: Vec<u32> = rows.iter().map(|r| r.entry.date.day()).collect();
        assert_eq!(days, [1, 5, 6, 7]);
        assert_eq!(rows[1].entry.note.as_deref(), Some("备注一"));
        assert_eq!(rows[1].entry.form, "fixed");
        assert_eq!(rows[2].seq, None);
        assert_eq!(rows[2].entry.form, "fixed");
        assert_eq!(rows[2].entry.position, "");
        assert_eq!(rows[3].entry.form, "video");
        assert_eq!(rows.iter().map(|r| r.row).collect::<Vec<_>>(), [2, 3, 4, 5]);
    }

    #[test]
    fn minimal_columns_take_defaults() {
        let rows = csv("领导,日期\n陈紫光,2016-04-01\n\n,\n卢雁慧,2016-04-05\n").unwrap();
        assert_eq!(rows.len(), 2);
        let e = &rows[0].entry;
        assert_eq!(
            (e.position.as_str(), e.place.as_str(), e.form.as_str()),
            ("", "", "fixed")
        );
        assert_eq!((e.note.as_ref(), e.topic.as_ref()), (None, None));
        // Blank rows are skipped but still counted as lines.
        assert_eq!(rows[1].row, 5);
    }

    #[test]
    fn date_forms() {
        let m = april();
        for (text, day) in [
            ("2016-04-01", 1),
            ("2016-4-2", 2),
            ("2016/4/3", 3),
            ("2016.04.04", 4),
            ("2016年4月5日", 5),
            ("4月6日", 6),
            ("４月７日", 7),
            ("2016-04-08T00:00:00", 8),
            ("2016/4/9 0:00:00", 9),
            ("4月11日（星期一）", 11),
        ] {
            assert_eq!(
                parse_date_text(text, m),
                Ok(NaiveDate::from_ymd_opt(2016, 4, day).unwrap()),
                "{text}"
            );
        }
        for bad in [
            "",
            "明天",
            "2016-04",
            "16-4-1",
            "2016-02-30",
            "4月",
            "1/4/2016",
        ] {
            assert!(parse_date_text(bad, m).is_err(), "{bad}");
        }
        assert_eq!(excel_serial(42461.0), NaiveDate::from_ymd_opt(2016, 4, 1));
        assert_eq!(excel_serial(42461.75), NaiveDate::from_ymd_opt(2016, 4, 1));
        for bad in [0.0, -1.0, 60.0, 3e6, f64::NAN, f64::INFINITY] {
            assert_eq!(excel_serial(bad), None, "{bad}");
        }
    }

    #[test]
    fn malformed_rows_name_row_and_column() {
        let h = "seq,date,leader,position,location,form,note\n";
        let ok = "1,2016-04-01,陈紫光,县委常委,大厅,定点接访,\n";
        let case = |row: &str| one_error(&format!("{h}{ok}{row}"));

        let e = case("2,2016-04-05,卢雁慧,县委常委,大厅,定点接访,,多余\n");
        assert_eq!((e.row, e.column.as_str()), (3, "8"), "{e}");
        assert!(e.rule.contains("8 fields"), "{e}");
        let e = case(&format!("2,2016-04-05,卢雁慧{}\n", ",".repeat(100_000)));
        assert_eq!((e.row, e.column.as_str()), (3, "8"), "{e}");
        assert!(e.rule.contains("100003 fields"), "{e}");
        let e = case("2,2016-04-05,卢雁慧,县委常委,大厅\n");
        assert_eq!((e.row, e.column.as_str()), (3, "form"), "{e}");
        let e = case("2,2016-04-05,  ,县委常委,大厅,定点接访,\n");
        assert_eq!((e.row, e.column.as_str()), (3, "leader"), "{e}");
        let e = case("2,2016-13-05,卢雁慧,县委常委,大厅,定点接访,\n");
        assert_eq!((e.row, e.column.as_str()), (3, "date"), "{e}");
        let e = case("2,,卢雁慧,县委常委,大厅,定点接访,\n");
        assert_eq!((e.row, e.column.as_str()), (3, "date"), "{e}");
        let e = case("二,2016-04-05,卢雁慧,县委常委,大厅,定点接访,\n");
        assert_eq!((e.row, e.column.as_str()), (3, "seq"), "{e}");
        let e = case("2,2016-05-02,卢雁慧,县委常委,大厅,定点接访,\n");
        assert_eq!((e.row, e.column.as_str()), (3, "date"), "{e}");
        assert_eq!(e.rule, "date 2016-05-02 is outside 2016-04");
        let e = case("2,5月3日,卢雁慧,县委常委,大厅,定点接访,\n");
        assert_eq!(e.rule, "date 2016-05-03 is outside 2016-04");
        let e = case("2,2016-04-05,卢雁慧,县委常委,大厅,上门接访,\n");
        assert_eq!((e.row, e.column.as_str()), (3, "form"), "{e}");
        assert!(e.rule.contains("定点接访、重点约访、专题接访"), "{e}");
        let e = case("2,2016-04-05,卢雁慧,县委常委,大厅,专题接访,\n");
        assert_eq!((e.row, e.column.as_str()), (3, "topic"), "{e}");

        // Invalid UTF-8 names the row and the column of the bad field.
        let mut bytes = format!("{h}{ok}").into_bytes();
        bytes.extend_from_slice(b"2,2016-04-05,\xC2\xFF,x,y,fixed,\n");
        let e = row_errors(import(&bytes, TableFormat::Csv, april(), &tax()));
        assert_eq!(e.len(), 1);
        assert_eq!((e[0].row, e[0].column.as_str()), (3, "leader"), "{}", e[0]);
        assert!(e[0].rule.contains("UTF-8"));

        // Chinese headers name the column as written.
        let e = one_error("序号,接访时间,姓名\n1,4月31日,陈紫光\n");
        assert_eq!((e.row, e.column.as_str()), (2, "接访时间"), "{e}");
        let e = one_error("序号,接访时间,姓名,接访方式\n1,4月1日,陈紫光,专题接访\n");
        assert_eq!((e.row, e.column.as_str()), (2, "专题"), "{e}");
    }

    #[test]
    fn every_bad_row_is_reported_and_nothing_is_partial() {
        let text = "seq,date,leader,position,location,form,note\n\
                    1,2016-04-01,陈紫光,a,b,定点接访,\n\
                    2,2016-04-31,卢雁慧,a,b,定点接访,\n\
                    3,2016-04-06,,a,b,定点接访,\n\
                    4,2016-04-07,刘剑平,a,b,定点接访,\n\
                    x,2016-05-01,郑秋汉,a,b,散步,\n";
        let e = row_errors(csv(text));
        let got: Vec<(usize, &str)> = e.iter().map(|e| (e.row, e.column.as_str())).collect();
        assert_eq!(
            got,
            [
                (3, "date"),
                (4, "leader"),
                (6, "seq"),
                (6, "date"),
                (6, "form")
            ]
        );
        let msg = ImportError::Rows(e).to_string();
        assert!(msg.starts_with("5 problems"), "{msg}");
    }

    #[test]
    fn format_errors() {
        let t = tax();
        let fmt_err = |r: Result<Vec<ImportRow>, ImportError>| match r {
            Err(ImportError::Format(m)) => m,
            other => panic!("expected a format error, got {other:?}"),
        };
        let m = fmt_err(csv("a,b,c\n1,2,3\n"));
        assert!(m.contains("no header"), "{m}");
        let gbk = b"\xd0\xf2\xba\xc5,\xc8\xd5\xc6\xda\n1,2\n";
        let m = fmt_err(import(gbk, TableFormat::Csv, april(), &t));
        assert!(m.contains("UTF-8"), "{m}");
        let m = fmt_err(csv("date,leader,日期\n"));
        assert!(m.contains("two date columns"), "{m}");
        // A duplicate in a row that is not the header does not matter; 时间 beside
        // 日期 is the time of day.
        let rows = csv("日期,时间\n日期,时间,姓名\n4月1日,上午,陈紫光\n").unwrap();
        assert_eq!(rows[0].entry.date.day(), 1);
        assert_eq!(rows[0].row, 3);
        let m = fmt_err(import(b"hello", TableFormat::Xlsx, april(), &t));
        assert!(m.contains("not an XLSX"), "{m}");
        let xlsx = export_xlsx("t", &sample(), &BTreeMap::new(), &t).unwrap();
        let m = fmt_err(import(&xlsx, TableFormat::Csv, april(), &t));
        assert!(m.contains("XLSX"), "{m}");
        let m = fmt_err(import(
            &xlsx[..xlsx.len() / 2],
            TableFormat::Xlsx,
            april(),
            &t,
        ));
        assert!(m.contains("damaged"), "{m}");

        assert_eq!(
            TableFormat::from_path(Path::new("a/四月.CSV")).unwrap(),
            TableFormat::Csv
        );
        assert_eq!(
            TableFormat::from_path(Path::new("b.Xlsx")).unwrap(),
            TableFormat::Xlsx
        );
        for bad in ["c.xls", "d.txt", "e"] {
            assert!(TableFormat::from_path(Path::new(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn limits_are_enforced_before_parsing() {
        let t = tax();
        let big = vec![b' '; MAX_BYTES + 1];
        for f in [TableFormat::Csv, TableFormat::Xlsx] {
            let Err(ImportError::Format(m)) = import(&big, f, april(), &t) else {
                panic!("a large file must be refused")
            };
            assert!(m.contains("limit is 5 MiB"), "{m}");
        }
        let mut text = String::from("date,leader\n");
        for _ in 0..=MAX_ROWS {
            text.push_str("2016-04-01,陈紫光\n");
        }
        let Err(ImportError::Format(m)) = csv(&text) else {
            panic!("too many rows must be refused")
        };
        assert!(m.contains("2000 rows"), "{m}");
        // Exactly the limit is fine.
        let text = text.replacen("2016-04-01,陈紫光\n", "", 1);
        assert_eq!(csv(&text).unwrap().len(), MAX_ROWS);

        let many: Vec<Entry> = (0..=MAX_ROWS)
            .map(|_| entry(1, "陈紫光", "fixed", None, None))
            .collect();
        let xlsx = export_xlsx("t", &many, &BTreeMap::new(), &t).unwrap();
        assert!(matches!(
            import(&xlsx, TableFormat::Xlsx, april(), &t),
            Err(ImportError::Format(m)) if m.contains("2000 rows")
        ));
    }

    #[test]
    fn an_absurd_shared_string_count_is_refused_before_reading() {
        use std::io::Write;
        let xlsx = export_xlsx("t", &sample(), &BTreeMap::new(), &tax()).expect("xlsx");
        // Rewrite the workbook with a sharedStrings part declaring 10^11 strings.
        let mut src = zip::ZipArchive::new(std::io::Cursor::new(&xlsx)).expect("zip");
        let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default();
        for i in 0..src.len() {
            let mut f = src.by_index(i).expect("part");
            let name = f.name().expect("part name").to_string();
            let mut body = Vec::new();
            std::io::Read::read_to_end(&mut f, &mut body).expect("read");
            if name == "xl/sharedStrings.xml" {
                body = br#"<?xml version="1.0"?><sst xmlns="x" count="100000000000" uniqueCount="100000000000"><si><t>a</t></si></sst>"#.to_vec();
            }
            out.start_file(name, opts).expect("start");
            out.write_all(&body).expect("write");
        }
        let bomb = out.finish().expect("finish").into_inner();
        match import(&bomb, TableFormat::Xlsx, april(), &tax()) {
            Err(ImportError::Format(m)) => assert!(m.contains("shared strings"), "{m}"),
            other => panic!("must be refused: {other:?}"),
        }
    }

    #[test]
    fn zip_directory_sizes_are_checked() {
        let xlsx = export_xlsx("t", &sample(), &BTreeMap::new(), &tax()).unwrap();
        assert!(check_zip(&xlsx).is_ok());
        // Declare a huge unpacked size for the first part in the central directory.
        let mut bomb = xlsx.clone();
        let end = (0..bomb.len() - 3)
            .rev()
            .find(|&i| &bomb[i..i + 4] == b"PK\x05\x06")
            .unwrap();
        let cd = le32(&bomb, end + 16).unwrap() as usize;
        bomb[cd + 24..cd + 28].copy_from_slice(&(200u32 << 20).to_le_bytes());
        let Err(ImportError::Format(m)) = import(&bomb, TableFormat::Xlsx, april(), &tax()) else {
            panic!("a ZIP bomb must be refused")
        };
        assert!(m.contains("unpacks to 200 MiB"), "{m}");
    }

    #[test]
    fn csv_round_trip() {
        let t = tax();
        let entries = sample();
        let bytes = export_csv(&entries, &t);
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(
            text.starts_with("seq,date,leader,position,location,form,note,topic\n"),
            "{text}"
        );
        assert!(text.contains("\n2,2016-04-05,卢雁慧,卢雁慧的职务,县信访局接访大厅,专题接访,请相关单位列席,征地拆迁\n"), "{text}");
        let back: Vec<Entry> = import(&bytes, TableFormat::Csv, april(), &t)
            .unwrap()
            .into_iter()
            .map(|r| r.entry)
            .collect();
        assert_eq!(back, entries);

        // The fixture's own layout comes back byte for byte (no topic column).
        let fixture = fixture();
        let rows = import(&fixture, TableFormat::Csv, april(), &t).unwrap();
        let entries: Vec<Entry> = rows.into_iter().map(|r| r.entry).collect();
        assert_eq!(export_csv(&entries, &t), fixture);

        // Export sorts by date and numbers 1..n.
        let mut shuffled = sample();
        shuffled.reverse();
        let rows = import(&export_csv(&shuffled, &t), TableFormat::Csv, april(), &t).unwrap();
        assert!(rows.windows(2).all(|w| w[0].entry.date <= w[1].entry.date));
        assert_eq!(
            rows.iter().map(|r| r.seq.unwrap()).collect::<Vec<_>>(),
            [1, 2, 3, 4, 5]
        );
    }

    #[test]
    fn xlsx_round_trip_and_layout() {
        use calamine::{Data, Reader, Xlsx};

        let t = tax();
        let entries = sample();
        let portfolios = BTreeMap::from([("陈紫光".to_owned(), "组织、人事工作".to_owned())]);
        let title = "2016年4月份海丰县领导干部接访安排表";
        let bytes = export_xlsx(title, &entries, &portfolios, &t).unwrap();
        let rows = import(&bytes, TableFormat::Xlsx, april(), &t).unwrap();
        assert_eq!(
            rows.iter().map(|r| r.row).collect::<Vec<_>>(),
            [3, 4, 5, 6, 7]
        );
        assert_eq!(
            rows.iter().map(|r| r.seq).collect::<Vec<_>>(),
            (1..=5).map(Some).collect::<Vec<_>>()
        );
        let back: Vec<Entry> = rows.into_iter().map(|r| r.entry).collect();
        assert_eq!(back, entries);

        let fixture_entries: Vec<Entry> = import(&fixture(), TableFormat::Csv, april(), &t)
            .unwrap()
            .into_iter()
            .map(|r| r.entry)
            .collect();
        let bytes2 = export_xlsx(title, &fixture_entries, &portfolios, &t).unwrap();
        let back: Vec<Entry> = import(&bytes2, TableFormat::Xlsx, april(), &t)
            .unwrap()
            .into_iter()
            .map(|r| r.entry)
            .collect();
        assert_eq!(back, fixture_entries);

        let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).unwrap();
        assert_eq!(book.sheet_names(), ["2016年4月"]);
        let range = book.worksheet_range("2016年4月").unwrap();
        assert_eq!(range.get_value((0, 0)), Some(&Data::String(title.into())));
        let headers: Vec<String> = (0..9)
            .map(|c| range.get_value((1, c)).unwrap().to_string())
            .collect();
        assert_eq!(
            headers,
            [
                "序号",
                "接访时间",
                "姓名",
                "职务",
                "分管工作",
                "接访地点",
                "接访方式",
                "专题",
                "备注"
            ]
        );
        assert!(
            matches!(range.get_value((2, 1)), Some(Data::DateTime(d)) if d.as_f64() == 42461.0)
        );
        assert_eq!(
            range.get_value((2, 4)),
            Some(&Data::String("组织、人事工作".into()))
        );
        let merged = book.merge_cells_by_sheet_name("2016年4月").unwrap();
        assert_eq!(merged.len(), 1);
        assert_eq!((merged[0].start, merged[0].end), ((0, 0), (0, 8)));
        let styles = book.worksheet_style("2016年4月").unwrap();
        let font = styles
            .get((2, 2))
            .and_then(|s| s.font.as_ref())
            .and_then(|f| f.name.clone());
        assert_eq!(font.as_deref(), Some(XLSX_FONT));
    }

    #[test]
    fn xlsx_cells_of_every_kind() {
        use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

        let mut book = Workbook::new();
        let s = book.add_worksheet();
        s.write_string(0, 0, "某单位接访安排").unwrap();
        s.write_string(2, 0, "序号").unwrap();
        s.write_string(2, 1, "接访 时间").unwrap();
        s.write_string(2, 2, "接访领导").unwrap();
        s.write_string(2, 3, "接访形式").unwrap();
        s.write_string(2, 4, "接访主题").unwrap();
        let date = Format::new().set_num_format("yyyy\"年\"m\"月\"d\"日\"");
        s.write_number(3, 0, 1).unwrap();
        s.write_datetime_with_format(3, 1, ExcelDateTime::from_ymd(2016, 4, 1).unwrap(), &date)
            .unwrap();
        s.write_string(3, 2, "陈紫光").unwrap();
        s.write_number(4, 0, 2.0).unwrap();
        s.write_number(4, 1, 42466).unwrap(); // a bare serial: 2016-04-06
        s.write_string(4, 2, "卢雁慧").unwrap();
        s.write_string(4, 3, "专题接访").unwrap();
        s.write_string(4, 4, "涉农问题").unwrap();
        s.write_string(5, 1, "4月7日").unwrap();
        s.write_string(5, 2, "许信咏").unwrap();
        s.write_string(6, 1, "2016/4/8").unwrap();
        s.write_string(6, 2, "刘剑平").unwrap();
        let bytes = book.save_to_buffer().unwrap();
        let rows = import(&bytes, TableFormat::Xlsx, april(), &tax()).unwrap();
        let got: Vec<(usize, Option<u32>, u32, &str)> = rows
            .iter()
            .map(|r| (r.row, r.seq, r.entry.date.day(), r.entry.form.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (4, Some(1), 1, "fixed"),
                (5, Some(2), 6, "thematic"),
                (6, None, 7, "fixed"),
                (7, None, 8, "fixed")
            ]
        );
        assert_eq!(rows[1].entry.topic.as_deref(), Some("涉农问题"));

        // Bad cells in a workbook: each reported with its row.
        let mut book = Workbook::new();
        let s = book.add_worksheet();
        for (c, h) in ["序号", "日期", "姓名"].into_iter().enumerate() {
            s.write_string(0, c as u16, h).unwrap();
        }
        s.write_number(1, 0, 1.5).unwrap();
        s.write_number(1, 1, 42461).unwrap();
        s.write_string(1, 2, "陈紫光").unwrap();
        s.write_number(2, 1, 42491).unwrap(); // 2016-05-01
        s.write_string(2, 2, "卢雁慧").unwrap();
        s.write_number(3, 1, -5).unwrap();
        s.write_string(3, 2, "许信咏").unwrap();
        s.write_number(4, 1, 42462).unwrap();
        let bytes = book.save_to_buffer().unwrap();
        let e = row_errors(import(&bytes, TableFormat::Xlsx, april(), &tax()));
        let got: Vec<(usize, &str)> = e.iter().map(|e| (e.row, e.column.as_str())).collect();
        assert_eq!(
            got,
            [(2, "序号"), (3, "日期"), (4, "日期"), (5, "姓名")],
            "{e:?}"
        );
        assert_eq!(e[1].rule, "date 2016-05-01 is outside 2016-04");
    }

    mod never_panics {
        use super::*;
        use proptest::prelude::*;

        fn valid_xlsx() -> Vec<u8> {
            export_xlsx("t", &sample(), &BTreeMap::new(), &tax()).unwrap()
        }

        proptest! {
            #[test]
            fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
                let t = tax();
                let _ = import(&bytes, TableFormat::Csv, april(), &t);
                let _ = import(&bytes, TableFormat::Xlsx, april(), &t);
                let mut zip = b"PK\x03\x04".to_vec();
                zip.extend_from_slice(&bytes);
                let _ = import(&zip, TableFormat::Xlsx, april(), &t);
            }

            #[test]
            fn csv_like_text(text in "[a-z年月日0-9,\"\n\r /\\-序号接访时间姓名专题 ]{0,300}") {
                let t = tax();
                let _ = import(format!("date,leader,form,topic,seq\n{text}").as_bytes(), TableFormat::Csv, april(), &t);
                let _ = import(text.as_bytes(), TableFormat::Csv, april(), &t);
            }

            #[test]
            fn damaged_workbooks(edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)) {
                let mut bytes = valid_xlsx();
                for (at, b) in edits {
                    let i = at.index(bytes.len());
                    bytes[i] = b;
                }
                let _ = import(&bytes, TableFormat::Xlsx, april(), &tax());
            }

            #[test]
            fn damaged_csv(edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)) {
                let mut bytes = fixture();
                for (at, b) in edits {
                    let i = at.index(bytes.len());
                    bytes[i] = b;
                }
                let _ = import(&bytes, TableFormat::Csv, april(), &tax());
            }
        }
    }
}
