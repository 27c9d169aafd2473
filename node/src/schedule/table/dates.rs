//! Dates as people write them in a schedule table, and Excel's date cells.

use chrono::NaiveDate;

use super::layout::{Cell, number_text};
use crate::labels::Said;
use crate::schedule::model::Month;

const DATE_FORMS: &str = "write 2016-04-01, 2016/4/1, 2016年4月1日 or 4月1日";
const DATE_FORMS_ZH: &str = "应写成2016-04-01、2016/4/1、2016年4月1日或4月1日";

pub(super) fn read_date(cell: &Cell, month: Month) -> Result<NaiveDate, Said> {
    match cell {
        Cell::Empty => Err(Said::new("日期为空", "the date is empty")),
        Cell::Date(d) => Ok(*d),
        Cell::Number(n) => excel_serial(*n).ok_or_else(|| {
            Said::new(
                format!("无法把{}读作日期，{DATE_FORMS_ZH}", number_text(*n)),
                format!("cannot read {} as a date; {DATE_FORMS}", number_text(*n)),
            )
        }),
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
pub(super) fn excel_date(dt: &calamine::ExcelDateTime) -> Option<NaiveDate> {
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
fn parse_date_text(text: &str, month: Month) -> Result<NaiveDate, Said> {
    let bad = || {
        Said::new(
            format!("无法识别日期“{}”，{DATE_FORMS_ZH}", text.trim()),
            format!("cannot read date {:?}; {DATE_FORMS}", text.trim()),
        )
    };
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
    NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| {
        Said::new(
            format!("日历上没有“{}”这一天", text.trim()),
            format!("{:?} is not a date of the calendar", text.trim()),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::table::fixtures::*;

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
}
