//! Reading a CSV table into raw rows: UTF-8 (with or without BOM) only, bounded.

use super::layout::{Cell, RawRow, too_many_rows};
use super::{HEADER_SEARCH_ROWS, ImportError, MAX_COLUMNS, MAX_ROWS};
use crate::labels::Said;

pub(super) fn read_csv(bytes: &[u8]) -> Result<Vec<RawRow>, ImportError> {
    // Excel's "CSV UTF-8" starts with a byte order mark.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.starts_with(b"PK\x03\x04") {
        return Err(ImportError::Format(Said::new(
            "这是XLSX工作簿（ZIP压缩包），不是CSV文件，请按.xlsx导入",
            "this is an XLSX workbook (a ZIP archive), not CSV; import it as .xlsx",
        )));
    }
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return Err(ImportError::Format(Said::new(
            "此CSV文件是UTF-16编码，请在Excel中另存为“CSV UTF-8”",
            "this CSV is UTF-16 text; save it from Excel as \"CSV UTF-8\"",
        )));
    }
    if bytes.contains(&0) {
        return Err(ImportError::Format(Said::new(
            "不是CSV文本文件（含有NUL字节）",
            "not a CSV text file (it contains NUL bytes)",
        )));
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
            Err(e) => {
                return Err(ImportError::Format(Said::new(
                    "CSV文件无法读取",
                    format!("not a readable CSV file: {e}"),
                )));
            }
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
                Err(_) => Cell::Bad(Said::new(
                    "不是有效的UTF-8文本，请在Excel中将文件另存为“CSV UTF-8”",
                    "not valid UTF-8 text; save the file from Excel as \"CSV UTF-8\"",
                )),
            })
            .collect();
        rows.push(RawRow { row, width, cells });
    }
    Ok(rows)
}
