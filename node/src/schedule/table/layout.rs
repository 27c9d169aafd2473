//! The table's layout: the columns 附件2 has (under the headers people write),
//! cells as read from either format, and finding the header row.

use chrono::NaiveDate;

use super::{HEADER_SEARCH_ROWS, ImportError, MAX_ROWS};
use crate::labels::Said;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Field {
    Seq,
    Date,
    Leader,
    Position,
    Place,
    Form,
    Note,
    Topic,
    /// The reception's hours (接访时段, `08:30-11:30`), optional.
    Time,
}

impl Field {
    /// Header names accepted, after removing whitespace and lowercasing ASCII.
    pub(super) fn from_header(header: &str) -> Option<Field> {
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
            "time" | "hours" | "接访时段" | "时段" => Field::Time,
            _ => return None,
        })
    }

    /// Name for messages when the file has no such column.
    pub(super) fn label(self, chinese: bool) -> &'static str {
        match (self, chinese) {
            (Field::Seq, false) => "seq",
            (Field::Date, false) => "date",
            (Field::Leader, false) => "leader",
            (Field::Position, false) => "position",
            (Field::Place, false) => "location",
            (Field::Form, false) => "form",
            (Field::Note, false) => "note",
            (Field::Topic, false) => "topic",
            (Field::Time, false) => "time",
            (Field::Seq, true) => "序号",
            (Field::Date, true) => "接访时间",
            (Field::Leader, true) => "接访领导",
            (Field::Position, true) => "职务",
            (Field::Place, true) => "接访地点",
            (Field::Form, true) => "接访方式",
            (Field::Note, true) => "备注",
            (Field::Topic, true) => "专题",
            (Field::Time, true) => "接访时段",
        }
    }
}

/// A cell as read, before it is interpreted.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Cell {
    Empty,
    Text(String),
    Number(f64),
    Date(NaiveDate),
    /// Unreadable (invalid UTF-8, an Excel error value...): the reason.
    Bad(Said),
}

impl Cell {
    pub(super) fn is_blank(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(s) => s.trim().is_empty(),
            _ => false,
        }
    }

    /// The cell as trimmed text.
    pub(super) fn text(&self) -> Result<String, Said> {
        match self {
            Cell::Empty => Ok(String::new()),
            Cell::Text(s) => Ok(s.trim().to_owned()),
            Cell::Number(n) => Ok(number_text(*n)),
            Cell::Date(d) => Ok(d.to_string()),
            Cell::Bad(why) => Err(why.clone()),
        }
    }
}

pub(super) fn number_text(n: f64) -> String {
    // Spreadsheets store 7 as 7.0; people wrote 7.
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

pub(super) struct RawRow {
    pub(super) row: usize,
    /// Number of fields in the file's row (CSV); `cells` keeps at most `MAX_COLUMNS`.
    pub(super) width: usize,
    pub(super) cells: Vec<Cell>,
}

impl RawRow {
    pub(super) fn is_blank(&self) -> bool {
        self.cells.iter().all(Cell::is_blank)
    }
}

pub(super) fn too_many_rows() -> ImportError {
    ImportError::Format(Said::new(
        format!("表头以下超过{MAX_ROWS}行；一个月的接访安排远没有这么长，请确认文件是否选对"),
        format!(
            "the table has more than {MAX_ROWS} rows below its header; a month's schedule is far shorter — is this the right file?"
        ),
    ))
}

pub(super) struct Header {
    /// Row index in the raw rows.
    pub(super) index: usize,
    pub(super) width: usize,
    pub(super) columns: Vec<(Field, usize, String)>,
    pub(super) chinese: bool,
}

impl Header {
    pub(super) fn column(&self, f: Field) -> Option<(usize, &str)> {
        self.columns
            .iter()
            .find(|(g, _, _)| *g == f)
            .map(|(_, i, name)| (*i, name.as_str()))
    }

    pub(super) fn label(&self, f: Field) -> String {
        self.column(f)
            .map_or_else(|| f.label(self.chinese).to_owned(), |(_, n)| n.to_owned())
    }
}

/// A bare 时间 next to a 日期 column is the time of day (上午/下午), not the date.
fn is_time_of_day(header: &str) -> bool {
    squeezed(header) == "时间"
}

/// 接访时间 is 附件2's date column; next to a 日期 column it is the reception's
/// hours (`08:30-11:30`).
fn is_reception_hours(header: &str) -> bool {
    squeezed(header) == "接访时间"
}

fn squeezed(header: &str) -> String {
    header.chars().filter(|c| !c.is_whitespace()).collect()
}

pub(super) fn find_header(raw: &[RawRow]) -> Result<Option<Header>, ImportError> {
    for (index, r) in raw.iter().enumerate().take(HEADER_SEARCH_ROWS) {
        let mut columns: Vec<(Field, usize, String)> = Vec::new();
        let mut duplicate = None;
        for (i, c) in r.cells.iter().enumerate() {
            let Cell::Text(t) = c else { continue };
            let Some(f) = Field::from_header(t) else {
                continue;
            };
            let name = t.trim().to_owned();
            let hours = columns.iter().any(|(g, _, _)| *g == Field::Time);
            match columns.iter_mut().find(|(g, _, _)| *g == f) {
                None => columns.push((f, i, name)),
                Some(first) if f == Field::Date && !hours && is_reception_hours(&first.2) => {
                    let earlier = std::mem::replace(first, (f, i, name));
                    columns.push((Field::Time, earlier.1, earlier.2));
                }
                Some(_) if f == Field::Date && !hours && is_reception_hours(&name) => {
                    columns.push((Field::Time, i, name));
                }
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
            return Err(ImportError::Format(Said::new(
                format!(
                    "表头（第{}行）有两列{}：“{first}”和“{second}”",
                    r.row,
                    f.label(true),
                ),
                format!(
                    "the header (row {}) has two {} columns: {first} and {second}",
                    r.row,
                    f.label(false),
                ),
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
