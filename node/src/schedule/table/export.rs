//! Export: a month's entries as the fixture's CSV layout or the printable workbook.

use std::collections::BTreeMap;

use chrono::Datelike;

use super::{ExportError, XLSX_FONT};
use crate::rules::taxonomy::Taxonomy;
use crate::schedule::model::{Entry, Month};

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
/// when some entry has one and `time` (the hours) when some entry has them; forms
/// by Chinese name, seq 1..n in date order.
pub fn export_csv(entries: &[Entry], taxonomy: &Taxonomy) -> Vec<u8> {
    let with_topic = entries.iter().any(|e| e.topic.is_some());
    let with_time = entries.iter().any(|e| e.time.is_some());
    let mut header = vec![
        "seq", "date", "leader", "position", "location", "form", "note",
    ];
    if with_topic {
        header.push("topic");
    }
    if with_time {
        header.push("time");
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
        if with_time {
            r.push(e.time.map(|t| t.to_string()).unwrap_or_default());
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
/// 序号 | 接访时间 | 姓名 | 职务 | 分管工作 | 接访地点 | 接访方式 | 专题 | 备注 with real dates,
/// and 接访时段 (the hours) last when some entry has them.
pub fn export_xlsx(
    title: &str,
    entries: &[Entry],
    portfolios: &BTreeMap<String, String>,
    taxonomy: &Taxonomy,
) -> Result<Vec<u8>, ExportError> {
    use rust_xlsxwriter::{Color, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook};

    const HOURS: (&str, f64) = ("接访时段", 14.0);
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
    let with_time = entries.iter().any(|e| e.time.is_some());
    let mut headers = HEADERS.to_vec();
    if with_time {
        headers.push(HOURS);
    }
    let last_col = (headers.len() - 1) as u16;
    sheet.merge_range(0, 0, 0, last_col, title, &title_format)?;
    sheet.set_row_height(0, 32)?;
    for (col, (name, width)) in headers.iter().enumerate() {
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
        if with_time {
            let hours = e.time.map(|t| t.to_string()).unwrap_or_default();
            sheet.write_string_with_format(row, 9, &hours, &centred)?;
        }
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
    use std::io::Cursor;

    use super::*;
    use crate::schedule::table::fixtures::*;
    use crate::schedule::table::{TableFormat, import};

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
    fn reception_hours_go_out_and_come_back_in_both_formats() {
        let t = tax();
        let mut entries = sample();
        entries[0].time = Some("08:30-11:30".parse().unwrap());
        let bytes = export_csv(&entries, &t);
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(
            text.starts_with("seq,date,leader,position,location,form,note,topic,time\n"),
            "{text}"
        );
        let back: Vec<Entry> = import(&bytes, TableFormat::Csv, april(), &t)
            .unwrap()
            .into_iter()
            .map(|r| r.entry)
            .collect();
        assert_eq!(back, entries);

        let portfolios = BTreeMap::new();
        let xlsx = export_xlsx("接访安排表", &entries, &portfolios, &t).unwrap();
        let back: Vec<Entry> = import(&xlsx, TableFormat::Xlsx, april(), &t)
            .unwrap()
            .into_iter()
            .map(|r| r.entry)
            .collect();
        assert_eq!(back[0].time, entries[0].time);
        assert!(back[1..].iter().all(|e| e.time.is_none()));

        // 接访时间 beside a 日期 column is the hours; a bad value names the column.
        let rows = csv("日期,接访时间,姓名\n4月5日,8：30-11：30,陈紫光\n").unwrap();
        assert_eq!(rows[0].entry.date.to_string(), "2016-04-05");
        assert_eq!(rows[0].entry.time.unwrap().to_string(), "08:30-11:30");
        let e = one_error("日期,接访时段,姓名\n4月5日,上午,陈紫光\n");
        assert_eq!(e.column, "接访时段", "{e}");
        assert!(e.rule.to_string().contains("HH:MM-HH:MM"), "{e}");
    }
}
