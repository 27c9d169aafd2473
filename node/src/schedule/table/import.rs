//! Import: a CSV or XLSX table to a month's entries, every row validated against
//! the layout, the month and the taxonomy, all or nothing.

use super::csv_reader::read_csv;
use super::dates::read_date;
use super::layout::{Cell, Field, Header, RawRow, find_header, too_many_rows};
use super::xlsx_reader::read_xlsx;
use super::{
    HEADER_SEARCH_ROWS, ImportError, ImportRow, MAX_BYTES, MAX_ROWS, RowError, TableFormat,
};
use crate::labels::Said;
use crate::rules::taxonomy::Taxonomy;
use crate::schedule::model::{Entry, Month, ReceptionTime};

/// Reads a month's schedule table. Positions the table leaves empty stay empty (the
/// caller fills them from the roster); working days are not checked here.
pub fn import(
    bytes: &[u8],
    format: TableFormat,
    month: Month,
    taxonomy: &Taxonomy,
) -> Result<Vec<ImportRow>, ImportError> {
    if bytes.len() > MAX_BYTES {
        let mib = bytes.len() as f64 / (1024.0 * 1024.0);
        let limit = MAX_BYTES / (1024 * 1024);
        return Err(ImportError::Format(Said::new(
            format!("文件大小为{mib:.1} MiB，不能超过{limit} MiB"),
            format!("the file is {mib:.1} MiB; the limit is {limit} MiB"),
        )));
    }
    let (raw, check_width) = match format {
        TableFormat::Csv => (read_csv(bytes)?, true),
        TableFormat::Xlsx => (read_xlsx(bytes)?, false),
    };
    interpret(raw, check_width, month, taxonomy, || {
        // Excel on Chinese Windows saves "CSV" as GBK: say so rather than "no header".
        (format == TableFormat::Csv && std::str::from_utf8(bytes).is_err()).then_some((
            "。文件不是UTF-8文本：请在Excel中另存为“CSV UTF-8”（不读取GBK编码）",
            " The file is not UTF-8 text: save it from Excel as \"CSV UTF-8\" (GBK is not read).",
        ))
    })
}

fn interpret(
    raw: Vec<RawRow>,
    check_width: bool,
    month: Month,
    taxonomy: &Taxonomy,
    hint: impl FnOnce() -> Option<(&'static str, &'static str)>,
) -> Result<Vec<ImportRow>, ImportError> {
    let Some(header) = find_header(&raw)? else {
        let (hint_zh, hint) = hint().unwrap_or(("", ""));
        return Err(ImportError::Format(Said::new(
            format!(
                "前{HEADER_SEARCH_ROWS}行中没有表头：表格须有日期列（接访时间、日期或date）\
                 和领导列（接访领导、姓名或leader）{hint_zh}"
            ),
            format!(
                "no header row in the first {HEADER_SEARCH_ROWS} rows: the table needs a date column \
                 (接访时间, 日期 or date) and a leader column (接访领导, 姓名 or leader){hint}"
            ),
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
    let err = |column: String, rule: Said| RowError {
        row: r.row,
        column,
        rule,
    };
    if check_width && r.width != h.width {
        // Fields are shifted: only this one message is meaningful for the row.
        let rule = Said::new(
            format!("该行有{}个字段，表头有{}个", r.width, h.width),
            format!(
                "the row has {} fields but the header has {}",
                r.width, h.width
            ),
        );
        let column = if r.width > h.width {
            (h.width + 1).to_string()
        } else {
            h.columns
                .iter()
                .filter(|(_, i, _)| *i >= r.width)
                .min_by_key(|(_, i, _)| *i)
                .map_or_else(|| (r.width + 1).to_string(), |(_, _, n)| n.clone())
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
                    Said::new(
                        format!("序号“{seq_text}”不是数字"),
                        format!("序号 {seq_text:?} is not a number"),
                    ),
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
                Said::new(
                    format!("日期{d}不在{}内", month.label_zh()),
                    format!("date {d} is outside {month}"),
                ),
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
            Said::new("接访领导姓名为空", "the leader's name is empty"),
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
                Said::new(
                    format!("“{form_text}”不是接访方式，应为：{}", known.join("、")),
                    format!(
                        "unknown reception form {form_text:?}; known: {}",
                        known.join("、")
                    ),
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
            Said::new(
                "专题接访须写明专题",
                "专题接访 (thematic) needs a topic (专题)",
            ),
        ));
    }

    let time_text = text(Field::Time, &mut errors);
    let time = if time_text.is_empty() {
        None
    } else {
        match time_text.parse::<ReceptionTime>() {
            Ok(t) => Some(t),
            Err(why) => {
                errors.push(err(h.label(Field::Time), why));
                None
            }
        }
    };

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
                time,
            },
        }),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    use chrono::Datelike;

    use super::*;
    use crate::schedule::table::export_xlsx;
    use crate::schedule::table::fixtures::*;

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
    fn malformed_rows_name_row_and_column() {
        let h = "seq,date,leader,position,location,form,note\n";
        let ok = "1,2016-04-01,陈紫光,县委常委,大厅,定点接访,\n";
        let case = |row: &str| one_error(&format!("{h}{ok}{row}"));

        let e = case("2,2016-04-05,卢雁慧,县委常委,大厅,定点接访,,多余\n");
        assert_eq!((e.row, e.column.as_str()), (3, "8"), "{e}");
        assert!(e.rule.to_string().contains("8 fields"), "{e}");
        let e = case(&format!("2,2016-04-05,卢雁慧{}\n", ",".repeat(100_000)));
        assert_eq!((e.row, e.column.as_str()), (3, "8"), "{e}");
        assert!(e.rule.to_string().contains("100003 fields"), "{e}");
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
        assert_eq!(e.rule.to_string(), "date 2016-05-02 is outside 2016-04");
        let e = case("2,5月3日,卢雁慧,县委常委,大厅,定点接访,\n");
        assert_eq!(e.rule.to_string(), "date 2016-05-03 is outside 2016-04");
        let e = case("2,2016-04-05,卢雁慧,县委常委,大厅,上门接访,\n");
        assert_eq!((e.row, e.column.as_str()), (3, "form"), "{e}");
        assert!(
            e.rule.to_string().contains("定点接访、重点约访、专题接访"),
            "{e}"
        );
        let e = case("2,2016-04-05,卢雁慧,县委常委,大厅,专题接访,\n");
        assert_eq!((e.row, e.column.as_str()), (3, "topic"), "{e}");

        // Invalid UTF-8 names the row and the column of the bad field.
        let mut bytes = format!("{h}{ok}").into_bytes();
        bytes.extend_from_slice(b"2,2016-04-05,\xC2\xFF,x,y,fixed,\n");
        let e = row_errors(import(&bytes, TableFormat::Csv, april(), &tax()));
        assert_eq!(e.len(), 1);
        assert_eq!((e[0].row, e[0].column.as_str()), (3, "leader"), "{}", e[0]);
        assert!(e[0].rule.to_string().contains("UTF-8"));

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
            Err(ImportError::Format(m)) => m.to_string(),
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
            assert!(m.to_string().contains("limit is 5 MiB"), "{m}");
        }
        let mut text = String::from("date,leader\n");
        for _ in 0..=MAX_ROWS {
            text.push_str("2016-04-01,陈紫光\n");
        }
        let Err(ImportError::Format(m)) = csv(&text) else {
            panic!("too many rows must be refused")
        };
        assert!(m.to_string().contains("2000 rows"), "{m}");
        // Exactly the limit is fine.
        let text = text.replacen("2016-04-01,陈紫光\n", "", 1);
        assert_eq!(csv(&text).unwrap().len(), MAX_ROWS);

        let many: Vec<Entry> = (0..=MAX_ROWS)
            .map(|_| entry(1, "陈紫光", "fixed", None, None))
            .collect();
        let xlsx = export_xlsx("t", &many, &BTreeMap::new(), &t).unwrap();
        assert!(matches!(
            import(&xlsx, TableFormat::Xlsx, april(), &t),
            Err(ImportError::Format(m)) if m.to_string().contains("2000 rows")
        ));
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
        assert_eq!(e[1].rule.to_string(), "date 2016-05-01 is outside 2016-04");
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
