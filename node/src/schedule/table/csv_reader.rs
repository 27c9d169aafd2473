//! Reading a CSV table into raw rows: UTF-8 (with or without BOM) only, bounded.

use super::layout::{Cell, RawRow, too_many_rows};
use super::{HEADER_SEARCH_ROWS, ImportError, MAX_COLUMNS, MAX_ROWS};

pub(super) fn read_csv(bytes: &[u8]) -> Result<Vec<RawRow>, ImportError> {
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
