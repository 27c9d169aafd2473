//! The published schedule (seed 000 第四条: shown in the reception hall and on the
//! government portal): one self-contained HTML5 page, no external resources, laid out
//! like 附件2 plus what petitioners and staff need (weekday, 分管工作, form, topic).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{DateTime, Datelike, NaiveDate, Weekday};

use super::model::{Entry, Month};
use crate::rules::taxonomy::Taxonomy;

/// Everything the page shows.
#[derive(Debug, Clone, Copy)]
pub struct Publication<'a> {
    pub unit_name: &'a str,
    pub month: Month,
    pub entries: &'a [Entry],
    /// leader → 分管工作
    pub portfolios: &'a BTreeMap<String, String>,
    pub taxonomy: &'a Taxonomy,
    pub approved_by: Option<&'a str>,
    /// RFC 3339 or free text.
    pub approved_at: Option<&'a str>,
    /// Human lines describing changes after approval; may be empty.
    pub adjustments: &'a [String],
    pub office_phone: Option<&'a str>,
}

/// `2016年4月份海丰县领导干部接访安排表`, as the seed's 附件2 is titled.
pub fn title(unit_name: &str, month: Month) -> String {
    format!(
        "{}年{}月份{}领导干部接访安排表",
        month.year, month.month, unit_name
    )
}

const COLUMNS: [&str; 8] = [
    "序号",
    "接访时间",
    "姓名",
    "职务",
    "分管工作",
    "接访地点",
    "接访方式",
    "备注",
];

const CSS: &str = r#"
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;padding:24px 16px;color:#1a1a1a;background:#fff;
font-family:"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei","WenQuanYi Micro Hei",sans-serif;
font-size:16px;line-height:1.6}
main{max-width:1180px;margin:0 auto}
h1{margin:0 0 .4em;font-size:1.6em;line-height:1.4;font-weight:700;text-align:center}
.summary{margin:0 0 1em;text-align:center;color:#555}
.table-wrap{overflow-x:auto}
table{width:100%;border-collapse:collapse}
th,td{border:1px solid #555;padding:.45em .6em;vertical-align:middle;text-align:left}
thead th{background:#eef1f5;font-weight:700;text-align:center;white-space:nowrap}
td.seq,td.date,td.leader,td.form{text-align:center}
td.seq,td.date,td.leader,td.form{white-space:nowrap}
td.position{min-width:10em}
td.place{min-width:10em}
td.portfolio{min-width:8em}
tbody tr.entry:nth-child(even){background:#f8f9fb}
.topic{display:block;font-size:.9em;color:#444;white-space:normal}
.hours{display:block;font-size:.9em;color:#444}
td.empty{padding:2em;text-align:center;color:#666}
footer{margin-top:1.2em}
footer p{margin:.3em 0}
.draft{color:#b00020;font-weight:700}
.adjustments h2{margin:.8em 0 .2em;font-size:1.05em}
.adjustments ol{margin:0;padding-left:2em}
@page{size:A4;margin:14mm 12mm}
@media print{
body{padding:0;font-size:10.5pt}
.table-wrap{overflow:visible}
thead{display:table-header-group}
tr{break-inside:avoid;page-break-inside:avoid}
thead th,tbody tr.entry:nth-child(even){background:none}
}
"#;

/// Escapes text for HTML content and quoted attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn weekday_zh(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "星期一",
        Weekday::Tue => "星期二",
        Weekday::Wed => "星期三",
        Weekday::Thu => "星期四",
        Weekday::Fri => "星期五",
        Weekday::Sat => "星期六",
        Weekday::Sun => "星期日",
    }
}

/// `4月1日（星期五）`
fn date_zh(d: NaiveDate) -> String {
    format!(
        "{}月{}日（{}）",
        d.month(),
        d.day(),
        weekday_zh(d.weekday())
    )
}

/// An RFC 3339 time as `2016年3月25日`; anything else as given.
fn when_zh(s: &str) -> String {
    match DateTime::parse_from_rfc3339(s.trim()) {
        Ok(t) => format!("{}年{}月{}日", t.year(), t.month(), t.day()),
        Err(_) => s.trim().to_owned(),
    }
}

/// The page. Entries are listed by date (the order within a day is kept).
pub fn render_html(p: &Publication) -> String {
    let title = title(p.unit_name, p.month);
    let mut entries: Vec<&Entry> = p.entries.iter().collect();
    entries.sort_by_key(|e| e.date);
    let leaders: std::collections::BTreeSet<&str> =
        entries.iter().map(|e| e.leader.as_str()).collect();

    let mut h = String::with_capacity(4096 + entries.len() * 512);
    // Writing into a String cannot fail; the results of write! are ignored for that reason.
    h.push_str("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(h, "<title>{}</title>", esc(&title));
    let _ = writeln!(h, "<style>{CSS}</style>\n</head>\n<body>\n<main>");
    let _ = writeln!(h, "<h1>{}</h1>", esc(&title));
    let _ = writeln!(
        h,
        "<p class=\"summary\">本月共安排接访 {} 次，接访领导 {} 人。</p>",
        entries.len(),
        leaders.len()
    );

    h.push_str("<div class=\"table-wrap\">\n<table>\n<thead><tr>");
    for c in COLUMNS {
        let _ = write!(h, "<th scope=\"col\">{c}</th>");
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    if entries.is_empty() {
        let _ = writeln!(
            h,
            "<tr><td class=\"empty\" colspan=\"{}\">本月暂无接访安排</td></tr>",
            COLUMNS.len()
        );
    }
    for (i, e) in entries.iter().enumerate() {
        let form = p
            .taxonomy
            .reception_form(&e.form)
            .map_or(e.form.as_str(), |f| f.name.as_str());
        let portfolio = p.portfolios.get(&e.leader).map_or("", String::as_str);
        let _ = write!(
            h,
            "<tr class=\"entry\" data-date=\"{}\">",
            e.date.format("%Y-%m-%d")
        );
        let _ = write!(h, "<td class=\"seq\">{}</td>", i + 1);
        // The hours belong with the day: a petitioner comes then.
        match e.time {
            Some(t) => {
                let _ = write!(
                    h,
                    "<td class=\"date\">{}<span class=\"hours\">{t}</span></td>",
                    date_zh(e.date)
                );
            }
            None => {
                let _ = write!(h, "<td class=\"date\">{}</td>", date_zh(e.date));
            }
        }
        let _ = write!(h, "<td class=\"leader\">{}</td>", esc(&e.leader));
        let _ = write!(h, "<td class=\"position\">{}</td>", esc(&e.position));
        let _ = write!(h, "<td class=\"portfolio\">{}</td>", esc(portfolio));
        let _ = write!(h, "<td class=\"place\">{}</td>", esc(&e.place));
        let _ = write!(h, "<td class=\"form\">{}", esc(form));
        // The topic belongs with the form: 专题接访 is about it.
        if let Some(t) = e.topic.as_deref().filter(|t| !t.trim().is_empty()) {
            let _ = write!(h, "<span class=\"topic\">专题：{}</span>", esc(t));
        }
        h.push_str("</td>");
        let _ = write!(
            h,
            "<td class=\"note\">{}</td>",
            esc(e.note.as_deref().unwrap_or(""))
        );
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody>\n</table>\n</div>\n<footer>\n");

    match (p.approved_by, p.approved_at) {
        (None, None) => {
            h.push_str("<p class=\"approval draft\">本表尚未经审批。</p>\n");
        }
        (by, at) => {
            let mut line = String::new();
            if let Some(by) = by {
                let _ = write!(line, "审批人：{}", esc(by));
            }
            if let Some(at) = at {
                if !line.is_empty() {
                    line.push('　');
                }
                let _ = write!(line, "审批时间：{}", esc(&when_zh(at)));
            }
            let _ = writeln!(h, "<p class=\"approval\">{line}</p>");
        }
    }
    if !p.adjustments.is_empty() {
        h.push_str("<section class=\"adjustments\">\n<h2>调整情况</h2>\n<ol>\n");
        for a in p.adjustments {
            let _ = writeln!(h, "<li>{}</li>", esc(a));
        }
        h.push_str("</ol>\n</section>\n");
    }
    if let Some(phone) = p.office_phone.filter(|s| !s.trim().is_empty()) {
        let _ = writeln!(h, "<p class=\"phone\">联系电话：{}</p>", esc(phone));
    }
    h.push_str("</footer>\n</main>\n</body>\n</html>\n");
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(day: u32, leader: &str, form: &str, topic: Option<&str>) -> Entry {
        Entry {
            date: NaiveDate::from_ymd_opt(2016, 4, day).unwrap(),
            leader: leader.into(),
            position: "县委常委".into(),
            place: "县信访局接访大厅".into(),
            form: form.into(),
            topic: topic.map(Into::into),
            note: None,
            non_working_day_override: false,
            time: None,
        }
    }

    fn render(entries: &[Entry], adjustments: &[String], by: Option<&str>) -> String {
        let taxonomy = Taxonomy::official().unwrap();
        let portfolios = BTreeMap::from([("陈紫光".to_owned(), "组织工作".to_owned())]);
        render_html(&Publication {
            unit_name: "海丰县",
            month: Month::new(2016, 4).unwrap(),
            entries,
            portfolios: &portfolios,
            taxonomy: &taxonomy,
            approved_by: by,
            approved_at: by.map(|_| "2016-03-25T10:00:00+08:00"),
            adjustments,
            office_phone: Some("0660-6666666"),
        })
    }

    #[test]
    fn the_title() {
        assert_eq!(
            title("海丰县", Month::new(2016, 4).unwrap()),
            "2016年4月份海丰县领导干部接访安排表"
        );
    }

    #[test]
    fn a_self_contained_page_with_every_entry() {
        let mut entries = vec![
            entry(5, "卢雁慧", "thematic", Some("征地拆迁")),
            entry(1, "陈紫光", "fixed", None),
            entry(29, "郑秋汉", "video", None),
        ];
        entries[2].time = Some("08:30-11:30".parse().unwrap());
        let html = render(
            &entries,
            &["4月5日 卢雁慧 与 许信咏 对调".into()],
            Some("林建隆"),
        );
        assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"zh-CN\">"));
        assert!(html.contains("<meta charset=\"utf-8\">"));
        assert!(html.contains("name=\"viewport\""));
        assert!(html.contains("<title>2016年4月份海丰县领导干部接访安排表</title>"));
        assert!(html.contains("<h1>2016年4月份海丰县领导干部接访安排表</h1>"));
        for e in &entries {
            assert!(html.contains(&format!("<td class=\"leader\">{}</td>", e.leader)));
            assert!(html.contains(&format!("data-date=\"{}\"", e.date)));
        }
        assert_eq!(html.matches("<tr class=\"entry\"").count(), 3);
        // By date, numbered 1..n, with the weekday.
        let first = html.find("陈紫光</td>").unwrap();
        let second = html.find("卢雁慧</td>").unwrap();
        assert!(first < second);
        assert!(html.contains("<td class=\"date\">4月1日（星期五）</td>"));
        assert!(html.contains("4月29日（星期五）<span class=\"hours\">08:30-11:30</span></td>"));
        assert!(html.contains("组织工作"));
        assert!(html.contains("专题接访<span class=\"topic\">专题：征地拆迁</span>"));
        assert!(html.contains("网络视频接访"));
        assert!(html.contains("审批人：林建隆　审批时间：2016年3月25日"));
        assert!(html.contains("<li>4月5日 卢雁慧 与 许信咏 对调</li>"));
        assert!(html.contains("0660-6666666"));
        assert!(html.contains("\"Noto Sans CJK SC\""));
        assert!(html.contains("display:table-header-group"));
        // Self-contained: nothing is fetched.
        for external in ["src=", "href=", "@import", "url("] {
            assert!(!html.contains(external), "{external}");
        }
    }

    #[test]
    fn text_is_escaped() {
        let mut e = entry(1, "<script>alert('x')</script>", "fixed", None);
        e.note = Some("a & b \"c\"".into());
        e.place = "<img onerror=x>".into();
        let html = render(&[e], &["<b>调整</b>".into()], Some("<i>"));
        assert!(!html.contains("<script>"));
        assert!(!html.contains("<img"));
        assert!(!html.contains("<b>"));
        assert!(!html.contains("<i>"));
        assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
        assert!(html.contains("a &amp; b &quot;c&quot;"));
        assert_eq!(esc("&<>\"'"), "&amp;&lt;&gt;&quot;&#39;");
    }

    #[test]
    fn an_unapproved_or_empty_month_says_so() {
        let html = render(&[], &[], None);
        assert!(html.contains("本月暂无接访安排"));
        assert!(html.contains("尚未经审批"));
        assert!(!html.contains("调整情况"));
    }
}
