//! A notice's text from the case's records (nothing typed twice) plus the
//! handler's own texts: one function per kind, each refusing what the document
//! could not truthfully state. Pure: no IO.

use chrono::{Datelike, NaiveDate};
use xinfang_hub::{Topology, UnitCode};

use super::{HandlerText, NoticeError, NoticeKind, NoticeText};
use crate::case::labels;
use crate::case::record::{Body, Record, Screening, Stage};
use crate::case::state::{DeadlineKind, Derived};
use crate::labels::{Lang, Said};
use crate::rules::limits::TimeLimits;

/// What every notice draws on: the case, the issuing unit, the day.
pub struct CaseFacts<'a> {
    pub case_no: &'a str,
    /// The petitioner's name (the first, for a group: its representative).
    pub petitioner: &'a str,
    pub received: NaiveDate,
    /// What the petition is about, in words (category, or purpose).
    pub matter: &'a str,
    pub records: &'a [Record],
    pub derived: &'a Derived,
    pub topology: &'a Topology,
    pub limits: &'a TimeLimits,
    /// The unit issuing the notice (this node's).
    pub issuer: &'a UnitCode,
    pub today: NaiveDate,
}

impl CaseFacts<'_> {
    pub(super) fn name_of(&self, code: &UnitCode) -> String {
        self.topology
            .unit(code)
            .map(|u| u.name.clone())
            .unwrap_or_else(|| code.to_string())
    }

    /// The latest record of the issuer matching `pick`.
    fn latest_by_issuer<T>(&self, pick: impl Fn(&Body) -> Option<T>) -> Option<(&Record, T)> {
        self.records
            .iter()
            .rev()
            .filter(|r| &r.unit == self.issuer)
            .find_map(|r| pick(&r.body).map(|t| (r, t)))
    }

    fn due_of(&self, kind: DeadlineKind) -> Option<NaiveDate> {
        self.derived
            .deadlines
            .iter()
            .filter(|d| d.kind == kind)
            .map(|d| d.due)
            .max()
    }

    /// 你（你们）于2026年12月1日反映的……问题（信访事项编号：…）
    fn opening(&self) -> String {
        format!(
            "你（你们）于{}反映的{}问题（信访事项编号：{}），",
            chinese_date(self.received),
            self.matter,
            self.case_no
        )
    }

    /// The unit that decides a request against the issuer's decision: its
    /// superior in the federation (arts. 35, 36).
    fn superior_name(&self, field: &'static str) -> Result<String, NoticeError> {
        self.topology
            .parent(self.issuer)
            .map(|p| self.name_of(p))
            .ok_or_else(|| NoticeError::Missing {
                field,
                rule: Said::new(
                    format!(
                        "告知书应写明向哪一机关请求复查或复核，而{}在单位层级中没有上级单位\
                         （《信访工作条例》第三十五条、第三十六条）",
                        self.issuer
                    ),
                    format!(
                        "the notice must name the organ to ask, and {} has no superior in \
                         the topology (Reg-2022 arts. 35–36)",
                        self.issuer
                    ),
                ),
            })
    }
}

/// Composes the notice of `kind` with document number `seq` in its series.
pub fn compose(
    kind: NoticeKind,
    facts: &CaseFacts<'_>,
    text: &HandlerText,
    seq: u64,
) -> Result<NoticeText, NoticeError> {
    let mut paragraphs = match kind {
        NoticeKind::Acceptance => acceptance(facts)?,
        NoticeKind::NonAcceptance => non_acceptance(facts)?,
        NoticeKind::Transfer => transfer(facts)?,
        NoticeKind::Extension => extension(facts)?,
        NoticeKind::HandlingOpinion => handling_opinion(facts, text)?,
        NoticeKind::ReviewOpinion => review_opinion(facts, text, Stage::Review)?,
        NoticeKind::ReReviewOpinion => review_opinion(facts, text, Stage::ReReview)?,
        NoticeKind::NoFurtherAcceptance => no_further(facts)?,
        NoticeKind::Receipt => {
            return Err(NoticeError::NotAtStage {
                rule: "notice.receipt",
                message: "a receipt is given at registration, with the query code".to_owned(),
            });
        }
        NoticeKind::ReceptionCard | NoticeKind::SupervisionSheet => {
            return Err(NoticeError::NotAtStage {
                rule: "notice.reception_papers",
                message: "the reception cards and the supervision form are printed from \
                          their records (`cards`), not issued as notices"
                    .to_owned(),
            });
        }
    };
    let remarks = text.remarks.trim();
    if !remarks.is_empty() {
        paragraphs.push(remarks.to_owned());
    }
    paragraphs.push(
        "你可凭信访事项编号和登记时取得的查询码，在信访事项查询页面查询办理进展。".to_owned(),
    );
    paragraphs.push("特此告知。".to_owned());
    Ok(NoticeText {
        kind,
        issuer: facts.name_of(facts.issuer),
        doc_no: format!("{}〔{}〕{}号", kind.series(), facts.today.year(), seq),
        title: kind.label().zh.to_owned(),
        addressee: format!("{}：", facts.petitioner.trim()),
        paragraphs,
        date: chinese_date(facts.today),
        case_no: facts.case_no.to_owned(),
    })
}

/// The receipt handed over at registration (回执): the case number, what
/// happens next and by when, and how to follow the case with the query code
/// (given here only when the registration has just issued it).
pub fn receipt(facts: &CaseFacts<'_>, query_code: Option<&str>) -> NoticeText {
    let kind = NoticeKind::Receipt;
    let mut paragraphs = vec![format!(
        "你（你们）于{}提出的信访事项，本机关已登记。信访事项编号：{}。",
        chinese_date(facts.received),
        facts.case_no
    )];
    let due = [DeadlineKind::Route, DeadlineKind::Notify]
        .into_iter()
        .find_map(|k| facts.due_of(k))
        .map(|d| format!("（即{}前）", chinese_date(d)))
        .unwrap_or_default();
    paragraphs.push(format!(
        "根据《信访工作条例》第二十二条、第二十三条的规定，本机关将自收到之日起{}日内{}决定是否受理，或者转送、交办有权处理的机关，并书面告知你（你们）。",
        facts.limits.notify.days, due
    ));
    paragraphs.push(match query_code {
        Some(code) => format!(
            "你（你们）可凭信访事项编号和查询码 {code} 在信访事项查询页面查询办理进展。查询码只发给你本人，请妥善保管，不要告知他人；遗失的，可以向登记机关申请重新发放。"
        ),
        None => "你（你们）可凭信访事项编号和登记时取得的查询码，在信访事项查询页面查询办理进展；遗失的，可以向登记机关申请重新发放。".to_owned(),
    });
    // The receipt is numbered by the case: the case number's sequence.
    let seq = facts
        .case_no
        .rsplit('-')
        .next()
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(0);
    NoticeText {
        kind,
        issuer: facts.name_of(facts.issuer),
        doc_no: format!("{}〔{}〕{}号", kind.series(), facts.received.year(), seq),
        title: kind.label().zh.to_owned(),
        addressee: format!("{}：", facts.petitioner.trim()),
        paragraphs,
        date: chinese_date(facts.today),
        case_no: facts.case_no.to_owned(),
    }
}

fn not_at_stage(kind: NoticeKind, rule: &'static str, what: &str) -> NoticeError {
    NoticeError::NotAtStage {
        rule,
        message: format!("{} needs {what} first", kind.label().en),
    }
}

const FACTS_ZH: &str =
    "处理意见书、复查意见书和复核意见书应写明查明的事实（《信访工作条例》第三十四条）";
const BASIS_ZH: &str =
    "处理意见书、复查意见书和复核意见书应写明法律、政策依据（《信访工作条例》第三十四条）";

/// `value`, which must not be empty: `zh` is the rule in Chinese, `what` names
/// the part in English.
fn required(field: &'static str, value: &str, zh: &str, what: &str) -> Result<String, NoticeError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(NoticeError::Missing {
            field,
            rule: Said::new(
                zh,
                format!("a handling or review opinion must state {what} (Reg-2022 art. 34)"),
            ),
        });
    }
    Ok(v.to_owned())
}

fn acceptance(f: &CaseFacts<'_>) -> Result<Vec<String>, NoticeError> {
    let (accepted, ()) = f
        .latest_by_issuer(|b| {
            matches!(
                b,
                Body::Screening {
                    decision: Screening::Accept
                }
            )
            .then_some(())
        })
        .ok_or_else(|| {
            not_at_stage(
                NoticeKind::Acceptance,
                "notice.not_accepted",
                "this unit's acceptance (a screening record that accepts)",
            )
        })?;
    let day = crate::case::state::local_day(accepted.at);
    let mut out = vec![format!(
        "{}本机关已于{}依法受理。",
        f.opening(),
        chinese_date(day)
    )];
    let due = f
        .due_of(DeadlineKind::Handle)
        .map(|d| format!("（即{}前）", chinese_date(d)))
        .unwrap_or_default();
    out.push(format!(
        "根据《信访工作条例》第三十四条的规定，本机关将自受理之日起{}日内办结{}，并向你（你们）出具书面答复意见。情况复杂的，经批准可以适当延长办理期限，并告知延期理由。",
        f.limits.handle.days, due
    ));
    Ok(out)
}

fn non_acceptance(f: &CaseFacts<'_>) -> Result<Vec<String>, NoticeError> {
    let (_, (notice, authority)) = f
        .latest_by_issuer(|b| match b {
            Body::Screening {
                decision:
                    Screening::NotAccept {
                        notice,
                        competent_authority,
                    },
            } => Some((notice.clone(), competent_authority.clone())),
            _ => None,
        })
        .ok_or_else(|| {
            not_at_stage(
                NoticeKind::NonAcceptance,
                "notice.not_refused",
                "this unit's screening decision not to accept",
            )
        })?;
    let authority = required(
        "competent_authority",
        &authority,
        "不予受理告知书应写明有权处理的机关（《信访工作条例》第二十三条）",
        "the competent authority",
    )?;
    Ok(vec![
        format!("{}经审查，{}", f.opening(), end_sentence(notice.trim())),
        format!(
            "根据《信访工作条例》第二十三条的规定，本机关不予受理。请你（你们）向{authority}提出。"
        ),
    ])
}

fn transfer(f: &CaseFacts<'_>) -> Result<Vec<String>, NoticeError> {
    let (rec, (verb, to, due)) = f
        .latest_by_issuer(|b| match b {
            Body::Forward { to, due } => Some(("转送", to.clone(), *due)),
            Body::Assign { to, due } => Some(("交办", to.clone(), *due)),
            Body::ReceptionOutcome {
                assign: Some(a), ..
            } => Some(("交办", a.to.clone(), a.due)),
            _ => None,
        })
        .ok_or_else(|| {
            not_at_stage(
                NoticeKind::Transfer,
                "notice.not_routed",
                "a forward or an assignment by this unit",
            )
        })?;
    let day = crate::case::state::local_day(rec.at);
    Ok(vec![
        format!(
            "{}本机关已于{}依照《信访工作条例》第二十二条的规定{}{}办理，要求其于{}前办理并答复。",
            f.opening(),
            chinese_date(day),
            verb,
            f.name_of(&to),
            chinese_date(due)
        ),
        format!(
            "{}将在收到之日起{}日内告知你（你们）是否受理，请你（你们）与其联系。",
            f.name_of(&to),
            f.limits.notify.days
        ),
    ])
}

fn extension(f: &CaseFacts<'_>) -> Result<Vec<String>, NoticeError> {
    let (_, (days, reason, approved_by)) = f
        .latest_by_issuer(|b| match b {
            Body::Extension {
                days,
                reason,
                approved_by,
            } => Some((*days, reason.clone(), approved_by.clone())),
            _ => None,
        })
        .ok_or_else(|| {
            not_at_stage(
                NoticeKind::Extension,
                "notice.not_extended",
                "an approved extension recorded by this unit",
            )
        })?;
    let due = f
        .due_of(DeadlineKind::Handle)
        .map(|d| format!("，办理期限延至{}", chinese_date(d)))
        .unwrap_or_default();
    Ok(vec![
        format!(
            "{}本机关正在办理。因{}，经{}批准，根据《信访工作条例》第三十四条的规定，办理期限延长{}日{}。",
            f.opening(),
            reason.trim().trim_end_matches('。'),
            approved_by.trim(),
            days,
            due
        ),
        "办理结束后，本机关将向你（你们）出具书面答复意见。".to_owned(),
    ])
}

fn handling_opinion(f: &CaseFacts<'_>, text: &HandlerText) -> Result<Vec<String>, NoticeError> {
    let (_, (opinion, reply)) = f
        .latest_by_issuer(|b| match b {
            Body::Reply { opinion, text } => Some((*opinion, text.clone())),
            _ => None,
        })
        .ok_or_else(|| {
            not_at_stage(
                NoticeKind::HandlingOpinion,
                "notice.no_reply",
                "this unit's reply (its handling opinion)",
            )
        })?;
    let facts = required(
        "facts",
        &text.facts,
        FACTS_ZH,
        "the facts found (查明的事实)",
    )?;
    let basis = required(
        "basis",
        &text.basis,
        BASIS_ZH,
        "its legal or policy basis (依据)",
    )?;
    let superior = superior_name_for_review(f, "review_authority")?;
    Ok(vec![
        format!(
            "{}本机关已依法受理并办理。现将处理意见告知如下：",
            f.opening()
        ),
        format!("一、经查明：{}", end_sentence(&facts)),
        format!("二、依据：{}", end_sentence(&basis)),
        format!(
            "三、处理意见：{}。{}",
            labels::opinion(opinion).get(Lang::Zh),
            end_sentence(reply.trim())
        ),
        format!(
            "如你（你们）对本处理意见不服，可以自收到本意见书之日起{}日内，向{}请求复查。",
            f.limits.review_request.days, superior
        ),
    ])
}

fn review_opinion(
    f: &CaseFacts<'_>,
    text: &HandlerText,
    stage: Stage,
) -> Result<Vec<String>, NoticeError> {
    let kind = match stage {
        Stage::Review => NoticeKind::ReviewOpinion,
        Stage::ReReview => NoticeKind::ReReviewOpinion,
    };
    let (_, (opinion, decision)) = f
        .latest_by_issuer(|b| match b {
            Body::ReviewDecision {
                stage: s,
                opinion,
                text,
            } if *s == stage => Some((*opinion, text.clone())),
            _ => None,
        })
        .ok_or_else(|| {
            not_at_stage(
                kind,
                "notice.no_review_decision",
                "this unit's decision on the request",
            )
        })?;
    let facts = required(
        "facts",
        &text.facts,
        FACTS_ZH,
        "the facts found (查明的事实)",
    )?;
    let basis = required(
        "basis",
        &text.basis,
        BASIS_ZH,
        "its legal or policy basis (依据)",
    )?;
    let (asked, article) = match stage {
        Stage::Review => ("复查", "第三十五条"),
        Stage::ReReview => ("复核", "第三十六条"),
    };
    let mut out = vec![
        format!(
            "{}你（你们）不服原处理意见，向本机关请求{asked}。本机关根据《信访工作条例》{article}的规定进行了{asked}。现将{asked}意见告知如下：",
            f.opening()
        ),
        format!("一、经查明：{}", end_sentence(&facts)),
        format!("二、依据：{}", end_sentence(&basis)),
        format!(
            "三、{asked}意见：{}。{}",
            labels::opinion(opinion).get(Lang::Zh),
            end_sentence(decision.trim())
        ),
    ];
    match stage {
        Stage::Review => {
            let superior = superior_name_for_review(f, "rereview_authority")?;
            out.push(format!(
                "如你（你们）对本复查意见不服，可以自收到本意见书之日起{}日内，向{}请求复核。",
                f.limits.rereview_request.days, superior
            ));
        }
        Stage::ReReview => out.push(
            "本复核意见为终结意见。你（你们）对复核意见不服，仍以同一事实和理由提出投诉请求的，各级人民政府信访工作机构和其他行政机关不再受理。"
                .to_owned(),
        ),
    }
    Ok(out)
}

fn superior_name_for_review(f: &CaseFacts<'_>, field: &'static str) -> Result<String, NoticeError> {
    f.superior_name(field)
}

fn no_further(f: &CaseFacts<'_>) -> Result<Vec<String>, NoticeError> {
    let final_decision = f.records.iter().any(|r| {
        matches!(
            r.body,
            Body::ReviewDecision {
                stage: Stage::ReReview,
                ..
            }
        )
    });
    if !final_decision && f.derived.status != crate::case::state::Status::Final {
        return Err(not_at_stage(
            NoticeKind::NoFurtherAcceptance,
            "notice.not_final",
            "a re-review decision (复核) that ended the matter",
        ));
    }
    Ok(vec![
        format!(
            "{}该信访事项已经复核终结。",
            f.opening()
        ),
        "根据《信访工作条例》第三十六条的规定，信访人对复核意见不服，仍以同一事实和理由提出投诉请求的，各级人民政府信访工作机构和其他行政机关不再受理。".to_owned(),
    ])
}

/// A text as the end of a sentence: with its full stop.
pub(super) fn end_sentence(s: &str) -> String {
    let s = s.trim();
    if s.is_empty() || s.ends_with(['。', '！', '？', '；', '.']) {
        s.to_owned()
    } else {
        format!("{s}。")
    }
}

/// 2026年12月2日 (GB/T 9704: Arabic numerals, no leading zeros).
pub fn chinese_date(d: NaiveDate) -> String {
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::record::Opinion;
    use crate::case::state::derive;
    use crate::case::tests::{CITY, COMM_A, World, accepted, day, header, rec, u};

    fn facts<'a>(
        w: &'a World,
        records: &'a [Record],
        derived: &'a Derived,
        issuer: &'a UnitCode,
    ) -> CaseFacts<'a> {
        CaseFacts {
            case_no: "441521115001-2026-000007",
            petitioner: "张三",
            received: day("2026-03-02"),
            matter: "道路交通",
            records,
            derived,
            topology: &w.topo,
            limits: w.ctx().limits,
            issuer,
            today: day("2026-03-20"),
        }
    }

    fn replied(w: &World) -> Vec<Record> {
        let mut v = accepted(w);
        v.push(rec(
            "r1",
            COMM_A,
            "2026-03-10",
            Body::Reply {
                opinion: Opinion::Support,
                text: "道路已修复".into(),
            },
        ));
        v
    }

    #[test]
    fn an_opinion_names_the_part_it_lacks() {
        let w = World::new();
        let records = replied(&w);
        let derived = derive(&header(), &records, &w.ctx(), day("2026-03-20"));
        let me = u(COMM_A);
        let f = facts(&w, &records, &derived, &me);
        let text = |facts: &str, basis: &str| HandlerText {
            facts: facts.into(),
            basis: basis.into(),
            remarks: String::new(),
        };
        let missing = |e: NoticeError| match e {
            NoticeError::Missing { field, .. } => field,
            other => panic!("{other:?}"),
        };
        let e = compose(NoticeKind::HandlingOpinion, &f, &text("属实", " "), 1).unwrap_err();
        assert_eq!(missing(e), "basis");
        let e = compose(NoticeKind::HandlingOpinion, &f, &text("", "依据"), 1).unwrap_err();
        assert_eq!(missing(e), "facts");
        let n = compose(
            NoticeKind::HandlingOpinion,
            &f,
            &text("属实", "《公路法》"),
            4,
        )
        .unwrap();
        assert_eq!(n.doc_no, "信处〔2026〕4号");
        let body = n.paragraphs.concat();
        // The window and the organ to ask: the superior of the issuing unit.
        assert!(
            body.contains("30日内") && body.contains("441521115000"),
            "{body}"
        );
        assert!(
            body.contains("2026年3月2日") && body.contains("道路交通"),
            "{body}"
        );
    }

    #[test]
    fn a_notice_the_records_cannot_support_is_refused_with_its_rule() {
        let w = World::new();
        let records = vec![];
        let derived = derive(&header(), &records, &w.ctx(), day("2026-03-20"));
        let me = u(COMM_A);
        let f = facts(&w, &records, &derived, &me);
        for (kind, rule) in [
            (NoticeKind::Acceptance, "notice.not_accepted"),
            (NoticeKind::NonAcceptance, "notice.not_refused"),
            (NoticeKind::Transfer, "notice.not_routed"),
            (NoticeKind::Extension, "notice.not_extended"),
            (NoticeKind::HandlingOpinion, "notice.no_reply"),
            (NoticeKind::ReviewOpinion, "notice.no_review_decision"),
            (NoticeKind::NoFurtherAcceptance, "notice.not_final"),
        ] {
            let e = compose(kind, &f, &HandlerText::default(), 1).unwrap_err();
            assert_eq!(e.rule(), rule, "{kind:?}");
        }
    }

    #[test]
    fn an_opinion_at_the_root_has_no_organ_to_name_and_is_refused() {
        let w = World::new();
        let mut records = replied(&w);
        for r in &mut records {
            r.unit = u(CITY);
        }
        let derived = derive(&header(), &records, &w.ctx(), day("2026-03-20"));
        let me = u(CITY);
        let f = facts(&w, &records, &derived, &me);
        let t = HandlerText {
            facts: "属实".into(),
            basis: "依据".into(),
            remarks: String::new(),
        };
        match compose(NoticeKind::HandlingOpinion, &f, &t, 1) {
            Err(NoticeError::Missing { field, .. }) => assert_eq!(field, "review_authority"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_receipt_numbers_by_the_case_and_carries_the_code_only_when_given() {
        let w = World::new();
        let records = vec![];
        let derived = derive(&header(), &records, &w.ctx(), day("2026-03-02"));
        let me = u(COMM_A);
        let f = facts(&w, &records, &derived, &me);
        let with = receipt(&f, Some("ABCD-EFGH-JKLM"));
        assert_eq!(with.doc_no, "信登〔2026〕7号");
        assert!(with.paragraphs.concat().contains("ABCD-EFGH-JKLM"));
        let without = receipt(&f, None);
        assert!(!without.paragraphs.concat().contains("ABCD"));
    }
}
