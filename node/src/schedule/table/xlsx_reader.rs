//! Reading an XLSX workbook into raw rows, with the checks that keep hostile
//! files from the workbook reader: the ZIP directory's unpacked sizes, the declared
//! shared strings, and any panic inside the reader.

use std::collections::BTreeMap;
use std::io::Cursor;

use chrono::NaiveDate;

use super::dates::excel_date;
use super::layout::{Cell, RawRow, too_many_rows};
use super::{HEADER_SEARCH_ROWS, ImportError, MAX_COLUMNS, MAX_ROWS, MAX_UNZIPPED_BYTES};
use crate::labels::Said;

pub(super) fn read_xlsx(bytes: &[u8]) -> Result<Vec<RawRow>, ImportError> {
    check_zip(bytes)?;
    check_shared_strings(bytes)?;
    // The workbook reader is third-party code fed hostile bytes: a panic in it must
    // become an error for this upload, not take the node down.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read_sheet(bytes))).unwrap_or_else(
        |_| {
            Err(ImportError::Format(Said::new(
                "XLSX文件已损坏，无法读取",
                "the XLSX file is damaged and cannot be read",
            )))
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
    let damaged = || {
        ImportError::Format(Said::new(
            "XLSX文件已损坏（ZIP压缩包有误）",
            "the XLSX file is damaged (bad ZIP archive)",
        ))
    };
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
                return Err(ImportError::Format(Said::new(
                    format!(
                        "XLSX文件声明了{digits}个共享字符串（上限为{MAX_SHARED_STRINGS}个），接访安排表远没有这么多"
                    ),
                    format!(
                        "the XLSX file declares {digits} shared strings (limit {MAX_SHARED_STRINGS}); a schedule has far fewer"
                    ),
                )));
            }
            rest = after;
        }
    }
    Ok(())
}

fn read_sheet(bytes: &[u8]) -> Result<Vec<RawRow>, ImportError> {
    use calamine::{DataRef, Reader, Xlsx};

    let bad = |e: calamine::XlsxError| {
        ImportError::Format(Said::new(
            "XLSX文件无法读取",
            format!("not a readable XLSX file: {e}"),
        ))
    };
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(bad)?;
    let Some(sheet) = book.sheet_names().into_iter().next() else {
        return Err(ImportError::Format(Said::new(
            "工作簿中没有工作表",
            "the workbook has no sheet",
        )));
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
            DataRef::DateTime(dt) if dt.is_duration() => Cell::Bad(Said::new(
                "单元格中是时长，不是日期",
                "the cell holds a duration, not a date",
            )),
            DataRef::DateTime(dt) => match excel_date(dt) {
                Some(d) => Cell::Date(d),
                None => Cell::Bad(Said::new(
                    format!("日期单元格的值{}超出范围", dt.as_f64()),
                    format!("the date cell value {} is out of range", dt.as_f64()),
                )),
            },
            DataRef::DateTimeIso(s) => {
                match s.get(..10).and_then(|d| d.parse::<NaiveDate>().ok()) {
                    Some(d) => Cell::Date(d),
                    None => Cell::Text(s.clone()),
                }
            }
            DataRef::DurationIso(s) => Cell::Text(s.clone()),
            DataRef::Error(e) => Cell::Bad(Said::new(
                format!("单元格中是错误值{e}"),
                format!("the cell holds the error {e}"),
            )),
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
                Said::new(
                    "这是旧版.xls工作簿或设有密码的工作簿，请另存为不设密码的.xlsx",
                    "this is an old .xls workbook or a password-protected one; save it as .xlsx without a password",
                )
            } else {
                Said::new(
                    "不是XLSX文件（XLSX工作簿是ZIP压缩包）",
                    "not an XLSX file (an XLSX workbook is a ZIP archive)",
                )
            },
        ));
    }
    let damaged = || {
        ImportError::Format(Said::new(
            "XLSX文件已损坏（ZIP目录有误）",
            "the XLSX file is damaged (bad ZIP directory)",
        ))
    };
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
        return Err(zip64());
    }
    let mut at = usize::try_from(offset).map_err(|_| damaged())?;
    let mut total: u64 = 0;
    for _ in 0..count {
        if bytes.get(at..at + 4) != Some(ENTRY) {
            return Err(damaged());
        }
        let size = le32(bytes, at + 24).ok_or_else(damaged)?;
        if size == 0xFFFF_FFFF {
            return Err(zip64());
        }
        total += size;
        let name = le16(bytes, at + 28).ok_or_else(damaged)?;
        let extra = le16(bytes, at + 30).ok_or_else(damaged)?;
        let comment = le16(bytes, at + 32).ok_or_else(damaged)?;
        at += 46 + (name + extra + comment) as usize;
    }
    if total > MAX_UNZIPPED_BYTES {
        return Err(ImportError::Format(Said::new(
            format!(
                "XLSX文件解压后为{} MiB，不能超过{} MiB",
                total / (1024 * 1024),
                MAX_UNZIPPED_BYTES / (1024 * 1024)
            ),
            format!(
                "the XLSX file unpacks to {} MiB; the limit is {} MiB",
                total / (1024 * 1024),
                MAX_UNZIPPED_BYTES / (1024 * 1024)
            ),
        )));
    }
    Ok(())
}

fn zip64() -> ImportError {
    ImportError::Format(Said::new(
        "不读取ZIP64格式的工作簿（接访安排表远没有这么大）",
        "ZIP64 workbooks are not read (a schedule is far smaller)",
    ))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::schedule::table::fixtures::*;
    use crate::schedule::table::{TableFormat, export_xlsx, import};

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
            Err(ImportError::Format(m)) => assert!(m.to_string().contains("shared strings"), "{m}"),
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
        assert!(m.to_string().contains("unpacks to 200 MiB"), "{m}");
    }
}
