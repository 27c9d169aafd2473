//! The 附件2 table layout (seed 000): a month's reception schedule as a CSV or XLSX
//! table, imported from what the petition office keeps in spreadsheets and exported
//! back. Pure functions, bytes in and bytes out; the caller reads and writes files,
//! fills positions from the roster and checks working days against the calendar.
//!
//! Import is all-or-nothing: either every row is good, or every bad row is reported.
//!
//! One job a file: [`layout`] (columns, cells, the header), [`dates`], the readers
//! ([`csv_reader`], [`xlsx_reader`] with its safety checks), `import` (row
//! validation) and [`export`].

mod csv_reader;
mod dates;
mod export;
mod import;
mod layout;
mod xlsx_reader;

use std::fmt;
use std::path::Path;

pub use export::{export_csv, export_xlsx};

use super::model::Entry;
use crate::labels::{Lang, Said};
pub use import::import;

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
/// usual name when the file has no such column, or the column's number).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[error("row {row}, column {column}: {rule}")]
pub struct RowError {
    pub row: usize,
    pub column: String,
    /// The rule in both languages (displayed and serialized in English).
    #[serde(serialize_with = "in_english")]
    pub rule: Said,
}

fn in_english<S: serde::Serializer>(rule: &Said, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(rule)
}

impl RowError {
    /// The row, the column and the rule, in both languages.
    pub fn said(&self) -> Said {
        let column = if !self.column.is_empty() && self.column.bytes().all(|b| b.is_ascii_digit()) {
            format!("第{}列", self.column)
        } else {
            format!("“{}”列", self.column)
        };
        Said::new(
            format!("第{}行{column}：{}", self.row, self.rule.get(Lang::Zh)),
            self.to_string(),
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Not a table this module can read: wrong format, no header, too large...
    #[error("{0}")]
    Format(Said),
    /// Every bad row (never only the first).
    #[error("{}", RowsMessage(.0))]
    Rows(Vec<RowError>),
}

impl ImportError {
    /// The refusal in both languages (its `Display` is the English).
    pub fn said(&self) -> Said {
        match self {
            ImportError::Format(s) => s.clone(),
            ImportError::Rows(rows) => {
                let each: Vec<String> = rows
                    .iter()
                    .map(|r| r.said().get(Lang::Zh).to_owned())
                    .collect();
                Said::new(
                    format!("表格中有{}处问题：{}", rows.len(), each.join("；")),
                    self.to_string(),
                )
            }
        }
    }
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
            Some("xls") => Err(ImportError::Format(Said::new(
                format!(
                    "{}：不读取旧版.xls工作簿，请另存为.xlsx（Excel 2007及以上版本）或CSV UTF-8",
                    path.display()
                ),
                format!(
                    "{}: old .xls workbooks are not read; save it as .xlsx (Excel 2007 or later) or CSV UTF-8",
                    path.display()
                ),
            ))),
            _ => Err(ImportError::Format(Said::new(
                format!(
                    "{}：无法识别的表格格式，请使用.csv或.xlsx文件",
                    path.display()
                ),
                format!(
                    "{}: unknown table format; use a .csv or .xlsx file",
                    path.display()
                ),
            ))),
        }
    }
}

#[cfg(test)]
mod fixtures {
    use chrono::NaiveDate;

    use super::{ImportError, ImportRow, RowError, TableFormat, import};
    use crate::rules::taxonomy::Taxonomy;
    use crate::schedule::model::{Entry, Month};

    pub(super) const FIXTURE: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/haifeng-2016-04-schedule.csv"
    );

    pub(super) fn fixture() -> Vec<u8> {
        std::fs::read(FIXTURE).unwrap_or_else(|e| {
            panic!("the 附件2 fixture {FIXTURE} is part of the repository: {e}")
        })
    }

    pub(super) fn tax() -> Taxonomy {
        Taxonomy::official().unwrap()
    }

    pub(super) fn april() -> Month {
        Month::new(2016, 4).unwrap()
    }

    pub(super) fn csv(text: &str) -> Result<Vec<ImportRow>, ImportError> {
        import(text.as_bytes(), TableFormat::Csv, april(), &tax())
    }

    pub(super) fn row_errors(r: Result<Vec<ImportRow>, ImportError>) -> Vec<RowError> {
        match r {
            Err(ImportError::Rows(e)) => e,
            other => panic!("expected row errors, got {other:?}"),
        }
    }

    pub(super) fn one_error(text: &str) -> RowError {
        let mut e = row_errors(csv(text));
        assert_eq!(e.len(), 1, "{e:?}");
        e.remove(0)
    }

    pub(super) fn entry(
        day: u32,
        leader: &str,
        form: &str,
        topic: Option<&str>,
        note: Option<&str>,
    ) -> Entry {
        Entry {
            date: NaiveDate::from_ymd_opt(2016, 4, day).unwrap(),
            leader: leader.into(),
            position: format!("{leader}的职务"),
            place: "县信访局接访大厅".into(),
            form: form.into(),
            topic: topic.map(Into::into),
            note: note.map(Into::into),
            non_working_day_override: false,
            time: None,
        }
    }

    pub(super) fn sample() -> Vec<Entry> {
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
}
