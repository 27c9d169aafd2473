//! A duty roster as the table offices print and hand out (《双休日节假日值班安排表》):
//! a title row, then a row per duty leader of each rest day with the weekday.

use chrono::{Datelike, NaiveDate, Weekday};
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, XlsxError};
use xinfang_proto::v1 as pb;

pub const COLUMNS: [&str; 5] = ["日期", "星期", "值班领导", "职务", "联系电话"];

fn weekday_zh(date: &str) -> &'static str {
    match NaiveDate::parse_from_str(date, "%Y-%m-%d").map(|d| d.weekday()) {
        Ok(Weekday::Mon) => "星期一",
        Ok(Weekday::Tue) => "星期二",
        Ok(Weekday::Wed) => "星期三",
        Ok(Weekday::Thu) => "星期四",
        Ok(Weekday::Fri) => "星期五",
        Ok(Weekday::Sat) => "星期六",
        Ok(Weekday::Sun) => "星期日",
        Err(_) => "",
    }
}

pub fn title(v: &pb::DutyRosterView) -> String {
    format!("{}{}双休日节假日值班安排表", v.unit_name, v.span_label)
}

pub fn export_xlsx(v: &pb::DutyRosterView) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let title_fmt = Format::new()
        .set_bold()
        .set_font_size(14)
        .set_align(FormatAlign::Center)
        .set_font_name("宋体");
    let head = Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center)
        .set_font_name("宋体");
    let cell = Format::new()
        .set_border(FormatBorder::Thin)
        .set_font_name("宋体");
    let s = wb.add_worksheet().set_name("值班安排表")?;
    s.merge_range(0, 0, 0, COLUMNS.len() as u16 - 1, &title(v), &title_fmt)?;
    for (i, c) in COLUMNS.iter().enumerate() {
        s.write_with_format(1, i as u16, *c, &head)?;
        s.set_column_width(i as u16, if i == 3 { 24 } else { 14 })?;
    }
    let mut row = 2;
    for d in &v.days {
        for l in &d.leaders {
            for (j, t) in [
                d.date.as_str(),
                weekday_zh(&d.date),
                &l.name,
                &l.position,
                &l.phone,
            ]
            .iter()
            .enumerate()
            {
                s.write_with_format(row, j as u16, *t, &cell)?;
            }
            row += 1;
        }
    }
    wb.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weekdays_are_named_and_the_title_says_unit_and_span() {
        assert_eq!(weekday_zh("2026-10-01"), "星期四");
        assert_eq!(weekday_zh("2026-10-04"), "星期日");
        let v = pb::DutyRosterView {
            unit_name: "海城镇".into(),
            span_label: "2026年国庆节".into(),
            days: vec![pb::DutyDay {
                date: "2026-10-01".into(),
                leaders: vec![pb::DutyLeader {
                    name: "林书记".into(),
                    ..Default::default()
                }],
            }],
            ..Default::default()
        };
        assert_eq!(title(&v), "海城镇2026年国庆节双休日节假日值班安排表");
        assert!(export_xlsx(&v).unwrap().starts_with(b"PK"));
    }
}
