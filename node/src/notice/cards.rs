//! The papers of a reception day (seed 004), composed from the case's reception
//! records: the four cards of a booking (四卡: the petitioner's 领导接待日通知卡,
//! the responsible unit's 接待日通知卡, the leader's 信访领导接待日呈报卡, the
//! office's 存根) and the copies of the supervision form (八联单: one per
//! recipient, and the office's stub with who acknowledged). Pure: no IO; the
//! same records always give the same papers, so they are drawn again wherever
//! the case replicates and never stored apart.

use chrono::{Datelike, NaiveDate, Weekday};

use super::compose::{CaseFacts, chinese_date, end_sentence};
use super::{NoticeError, NoticeKind, NoticeText};
use crate::case::reception::Reception;
use crate::case::record::Recipient;
use crate::labels::Said;

fn weekday_zh(d: NaiveDate) -> &'static str {
    match d.weekday() {
        Weekday::Mon => "星期一",
        Weekday::Tue => "星期二",
        Weekday::Wed => "星期三",
        Weekday::Thu => "星期四",
        Weekday::Fri => "星期五",
        Weekday::Sat => "星期六",
        Weekday::Sun => "星期日",
    }
}

fn booking<'a>(facts: &'a CaseFacts<'_>, id: &str) -> Result<&'a Reception, NoticeError> {
    facts
        .derived
        .receptions
        .iter()
        .find(|b| b.id == id.trim())
        .ok_or_else(|| NoticeError::Missing {
            field: "booking",
            rule: Said::new(
                format!("案件{}没有编号为{}的约访", facts.case_no, id.trim()),
                format!("no booking {} on case {}", id.trim(), facts.case_no),
            ),
        })
}

/// The document number the papers of one booking share: its series, the year
/// of the reception, the case number (one booking a case at a time).
fn doc_no(kind: NoticeKind, facts: &CaseFacts<'_>, day: NaiveDate) -> String {
    format!("{}〔{}〕{}", kind.series(), day.year(), facts.case_no)
}

/// The four cards of booking `id`, in the order they are handed out.
pub fn reception_cards(facts: &CaseFacts<'_>, id: &str) -> Result<Vec<NoticeText>, NoticeError> {
    let b = booking(facts, id)?;
    let office = facts.name_of(&b.office);
    let unit = facts.name_of(&b.responsible);
    let when = format!("{}（{}）", chinese_date(b.date), weekday_zh(b.date));
    let who = format!("{}{}", b.position, b.leader);
    let matter = format!(
        "信访人{}于{}反映的{}问题（信访事项编号：{}）",
        facts.petitioner.trim(),
        chinese_date(facts.received),
        facts.matter,
        facts.case_no
    );
    let card = |title: &str, addressee: String, paragraphs: Vec<String>| NoticeText {
        kind: NoticeKind::ReceptionCard,
        issuer: office.clone(),
        doc_no: doc_no(NoticeKind::ReceptionCard, facts, b.date),
        title: title.to_owned(),
        addressee,
        paragraphs,
        date: chinese_date(facts.today),
        case_no: facts.case_no.to_owned(),
    };
    let mut invitation = vec![format!(
        "你（你们）于{}反映的{}问题（信访事项编号：{}），已安排于{when}由{who}在{}接待，{unit}派员到场共同办理。请届时携带有关材料准时到场。",
        chinese_date(facts.received),
        facts.matter,
        facts.case_no,
        b.place
    )];
    if !b.invitation.trim().is_empty() {
        invitation.push(end_sentence(&b.invitation));
    }
    invitation.push("特此通知。".to_owned());
    Ok(vec![
        card(
            "领导接待日通知卡",
            format!("{}：", facts.petitioner.trim()),
            invitation,
        ),
        card(
            "接待日通知卡",
            format!("{unit}："),
            vec![
                format!(
                    "{matter}，定于{when}由{who}在{}接待。请你单位负责同志携带初步处理意见准时到场，共同接待、现场办公。",
                    b.place
                ),
                "特此通知。".to_owned(),
            ],
        ),
        card(
            "信访领导接待日呈报卡",
            format!("{who}："),
            vec![
                format!(
                    "{when}领导接待日拟请您接待{matter}。接待地点：{}；责任单位：{unit}。",
                    b.place
                ),
                format!(
                    "已通知信访人及责任单位到场。{}",
                    end_sentence(&b.invitation)
                ),
                "请审阅。".to_owned(),
            ],
        ),
        card(
            "领导接待日卡片存根",
            format!("{office}（存档）："),
            vec![
                format!("约访事项：{matter}。"),
                format!("接待时间：{when}；接待领导：{who}；接待地点：{}。", b.place),
                format!(
                    "已送达：信访人{}（通知卡）、{unit}（通知卡）、{who}（呈报卡）。",
                    facts.petitioner.trim()
                ),
                format!(
                    "约访登记人：{}。",
                    b.booked_by.as_deref().unwrap_or("（未记录）")
                ),
            ],
        ),
    ])
}

/// The copies of the supervision form sent after booking `id`'s reception: one
/// per recipient, then the office's stub with who has acknowledged and whether
/// the form came back (撤回) when the case was closed.
pub fn supervision_form(facts: &CaseFacts<'_>, id: &str) -> Result<Vec<NoticeText>, NoticeError> {
    let b = booking(facts, id)?;
    let (Some(outcome), Some(form)) = (&b.outcome, &b.form) else {
        return Err(NoticeError::NotAtStage {
            rule: "supervision_form.after_decision",
            message: format!(
                "no supervision form was sent after the reception of {} on case {}",
                b.date, facts.case_no
            ),
        });
    };
    let office = facts.name_of(&b.office);
    let n = form.copies.len();
    let mut body = vec![format!(
        "信访人{}于{}反映的{}问题（信访事项编号：{}），经{}年{}月{}日领导接待日由{}{}接待，决定如下：{}",
        facts.petitioner.trim(),
        chinese_date(facts.received),
        facts.matter,
        facts.case_no,
        b.date.year(),
        b.date.month(),
        b.date.day(),
        b.position,
        b.leader,
        end_sentence(&outcome.decision)
    )];
    for t in &outcome.tasks {
        body.push(format!(
            "{}：{}，{}前完成。",
            facts.name_of(&t.unit),
            t.duty.trim(),
            chinese_date(t.due)
        ));
    }
    if let Some(a) = &outcome.assign {
        body.push(format!(
            "交由{}办理，{}前办结。",
            facts.name_of(&a.to),
            chinese_date(a.due)
        ));
    }
    body.push(format!("督办要求：{}", end_sentence(&form.demand)));
    body.push(format!(
        "责任单位须于{}前按时限办结，向本单所列领导汇报处理结果，并将本单撤回信访部门，存档销案。",
        chinese_date(form.due)
    ));
    let copy = |i: usize, to: &Recipient| NoticeText {
        kind: NoticeKind::SupervisionSheet,
        issuer: office.clone(),
        doc_no: doc_no(NoticeKind::SupervisionSheet, facts, b.date),
        title: format!("信访事项督办单（第{}联，共{}联）", i + 1, n + 1),
        addressee: format!("{}：", to.title()),
        paragraphs: body.clone(),
        date: chinese_date(facts.today),
        case_no: facts.case_no.to_owned(),
    };
    let mut out: Vec<NoticeText> = form
        .copies
        .iter()
        .enumerate()
        .map(|(i, (to, _))| copy(i, to))
        .collect();
    let mut stub = body.clone();
    for (to, ack) in &form.copies {
        stub.push(match ack {
            Some(on) => format!("{}：{}签收。", to.title(), chinese_date(*on)),
            None => format!("{}：未签收。", to.title()),
        });
    }
    stub.push(match form.returned {
        Some(on) => format!("本单已于{}撤回，存档销案。", chinese_date(on)),
        None => "本单尚未撤回（信访事项办结后撤回）。".to_owned(),
    });
    out.push(NoticeText {
        title: format!("信访事项督办单（第{}联，存根）", n + 1),
        addressee: format!("{office}（存档）："),
        paragraphs: stub,
        ..copy(
            n,
            &Recipient::Unit {
                code: b.office.clone(),
                name: office.clone(),
            },
        )
    });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weekdays_are_named_the_chinese_way() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(weekday_zh(d("2026-12-04")), "星期五");
        assert_eq!(weekday_zh(d("2026-12-06")), "星期日");
    }
}
