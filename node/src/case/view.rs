//! What a case looks like to a person: the one mapping from a case document (and
//! from a query-table row) to the API's `CaseView`, with everything derived from
//! its records, labels in the caller's language and units by name. Every front
//! shows these views as they come.
//!
//! Reading ([`CaseFile::read`]) is separate from viewing ([`full`]): a write
//! reads the file out of the document it holds locked, and the view is built
//! after the lock is released.

use chrono::{NaiveDate, SecondsFormat};
use xinfang_hub::{Topology, UnitCode};
use xinfang_proto::v1 as pb;

pub use super::document::CaseFile;
use super::labels::{self, Lang};
use super::record::{Body, Record, Screening};
use super::state::{self, Context};
use crate::rules::taxonomy::Taxonomy;

/// What a view needs besides the case: the federation, the classification, the
/// day it is judged on and the reader's language.
pub struct Lens<'a> {
    pub ctx: &'a Context<'a>,
    pub taxonomy: &'a Taxonomy,
    pub today: NaiveDate,
    pub lang: Lang,
}

impl Lens<'_> {
    fn topology(&self) -> &Topology {
        self.ctx.topology
    }

    /// A unit's name, or its code where the topology does not know it.
    pub fn unit_name(&self, code: &str) -> String {
        if code.is_empty() {
            return String::new();
        }
        code.parse::<UnitCode>()
            .ok()
            .and_then(|c| self.topology().unit(&c).map(|u| u.name.clone()))
            .unwrap_or_else(|| code.to_owned())
    }

    pub fn purpose_label(&self, code: &str) -> String {
        if code.is_empty() {
            return String::new();
        }
        self.taxonomy
            .purpose(code)
            .map(|e| e.name.clone())
            .unwrap_or_else(|_| code.to_owned())
    }

    pub fn category_label(&self, code: &str, sub: Option<&str>) -> String {
        if code.is_empty() {
            return String::new();
        }
        self.taxonomy
            .category(code, sub)
            .map(|e| e.name.clone())
            .unwrap_or_else(|_| sub.unwrap_or(code).to_owned())
    }

    pub fn status_label(&self, code: &str) -> String {
        labels::status_of_code(code)
            .map(|s| labels::status(s).get(self.lang).to_owned())
            .unwrap_or_else(|| code.to_owned())
    }
}

/// The whole case file with everything derived from its records, as of the
/// lens's day. Personal data in clear is not part of it (the service adds what
/// the reader may see).
pub fn full(file: &CaseFile, lens: &Lens<'_>) -> pb::CaseView {
    let v = &file.view;
    let det = &v.details;
    let lang = lens.lang;
    let mut out = pb::CaseView {
        case_no: v.case_no.clone(),
        doc_id: v.doc_id.clone(),
        unit: v.unit.clone(),
        unit_name: lens.unit_name(&v.unit),
        petitioner: v.petitioner.clone(),
        content: v.content.clone(),
        registered_at: v.registered_at.clone(),
        notes: v
            .notes
            .iter()
            .map(|n| pb::Note {
                id: n.id.clone(),
                unit: n.unit.clone(),
                text: n.text.clone(),
                at: n.at.clone(),
                by: n.by.clone(),
            })
            .collect(),
        scope: v.scope.clone(),
        heads: v.heads.clone(),
        registered_by: v.registered_by.clone(),
        id_masked: det.id_masked.clone().unwrap_or_default(),
        phone_masked: det.phone_masked.clone().unwrap_or_default(),
        address: det.address.clone().unwrap_or_default(),
        channel: det.channel.code().to_owned(),
        channel_label: labels::channel(det.channel).get(lang).to_owned(),
        purpose: det.purpose.clone().unwrap_or_default(),
        purpose_label: lens.purpose_label(det.purpose.as_deref().unwrap_or_default()),
        category: det.category.clone().unwrap_or_default(),
        category_label: lens.category_label(det.category.as_deref().unwrap_or_default(), None),
        subcategory: det.subcategory.clone().unwrap_or_default(),
        subcategory_label: det
            .subcategory
            .as_deref()
            .map(|s| lens.category_label(det.category.as_deref().unwrap_or_default(), Some(s)))
            .unwrap_or_default(),
        place: det
            .place
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        place_name: det
            .place
            .as_ref()
            .map(|u| lens.unit_name(u.as_str()))
            .unwrap_or_default(),
        cause: det.cause.clone().unwrap_or_default(),
        receiving_leader: det.receiving_leader.clone().unwrap_or_default(),
        responsible_unit: det
            .responsible_unit
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        responsible_unit_name: det
            .responsible_unit
            .as_ref()
            .map(|u| lens.unit_name(u.as_str()))
            .unwrap_or_default(),
        representatives: det.representatives.clone(),
        head_count: det.head_count,
        repeat_of: det.repeat_of.clone().unwrap_or_default(),
        skip_level_of: det.skip_level_of.clone().unwrap_or_default(),
        ..Default::default()
    };
    let Some(h) = &file.header else {
        return out;
    };
    let derived = state::derive(h, &file.records, lens.ctx, lens.today);
    out.status = derived.status.code().to_owned();
    out.status_label = labels::status(derived.status).get(lang).to_owned();
    out.handling_unit = derived.handling_unit.to_string();
    out.handling_unit_name = lens.unit_name(derived.handling_unit.as_str());
    out.lead_unit = derived
        .lead_unit
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    out.lead_unit_name = lens.unit_name(&out.lead_unit);
    out.overdue = derived.overdue;
    out.next_deadline = derived.next_deadline.map(|d| pb::Deadline {
        kind: d.kind.code().to_owned(),
        kind_label: labels::deadline(d.kind).get(lang).to_owned(),
        unit: d.unit.to_string(),
        unit_name: lens.unit_name(d.unit.as_str()),
        due: d.due.to_string(),
        overdue: d.overdue,
    });
    if let Some(below) = &derived.skip_level_of {
        out.skip_level_of = below.clone();
    }
    out.higher_visits = derived.higher_visits;
    if let Some(p) = &derived.principal_owner {
        out.principal_owner_unit = p.unit.to_string();
        out.principal_owned = p.owned;
    }
    out.closure_blockers = derived
        .closure_blockers
        .iter()
        .map(|b| labels::closure_blocker(*b).get(lang).to_owned())
        .collect();
    out.warnings = derived
        .missing_years
        .iter()
        .map(ToString::to_string)
        .collect();
    if file.unreadable > 0 {
        out.warnings
            .push(format!("{} record(s) could not be read", file.unreadable));
    }
    out.records = state::ordered(&file.records)
        .into_iter()
        .map(|r| record(r, lens))
        .collect();
    out
}

/// One step of the timeline: who, when, what, in words.
fn record(r: &Record, lens: &Lens<'_>) -> pb::RecordView {
    pb::RecordView {
        id: r.id.clone(),
        unit: r.unit.to_string(),
        unit_name: lens.unit_name(r.unit.as_str()),
        at: r.at.to_rfc3339_opts(SecondsFormat::Millis, true),
        kind: r.body.kind().to_owned(),
        step_label: labels::step(super::record::Step::of(&r.body))
            .get(lens.lang)
            .to_owned(),
        detail: detail(&r.body, lens),
        json: serde_json::to_string(r).unwrap_or_default(),
        by: r.by.clone().unwrap_or_default(),
    }
}

/// A record's fields as a sentence for people, in the reader's language.
pub fn detail(body: &Body, lens: &Lens<'_>) -> String {
    let lang = lens.lang;
    let zh = lang == Lang::Zh;
    let pick = |c: String, e: String| if zh { c } else { e };
    let name = |u: &UnitCode| lens.unit_name(u.as_str());
    let yes = |b: bool| match (zh, b) {
        (true, true) => "是",
        (true, false) => "否",
        (false, true) => "yes",
        (false, false) => "no",
    };
    match body {
        Body::Screening { decision } => {
            let what = labels::screening(decision).get(lang);
            match decision {
                Screening::Accept => what.to_owned(),
                Screening::NotAccept {
                    notice,
                    competent_authority,
                } => pick(
                    format!("{what}；有权处理机关：{competent_authority}；告知：{notice}"),
                    format!("{what}; competent authority: {competent_authority}; notice: {notice}"),
                ),
                Screening::Discipline { notice } => pick(
                    format!("{what}；告知：{notice}"),
                    format!("{what}; notice: {notice}"),
                ),
                Screening::Divert { track, notice } => {
                    let track = labels::track(*track).get(lang);
                    pick(
                        format!("{what}（{track}）；告知：{notice}"),
                        format!("{what} ({track}); notice: {notice}"),
                    )
                }
            }
        }
        Body::Forward { to, due } => pick(
            format!("转送至{}，{due}前办理", name(to)),
            format!("forwarded to {}, due {due}", name(to)),
        ),
        Body::Assign { to, due } => pick(
            format!("交办至{}，{due}前办理", name(to)),
            format!("assigned to {}, due {due}", name(to)),
        ),
        Body::Objection { reason } => pick(
            format!("异议理由：{reason}"),
            format!("objection: {reason}"),
        ),
        Body::ObjectionDecision { agree, reason } => match agree {
            true => pick(
                format!("核实同意异议，退回：{reason}"),
                format!("objection agreed, case returned: {reason}"),
            ),
            false => pick(
                format!("核实不同意异议，仍由原单位办理：{reason}"),
                format!("objection refused, the receiving unit stays responsible: {reason}"),
            ),
        },
        Body::Notice {
            issued: Some(i), ..
        } => pick(
            format!("出具{}（{}）", i.notice.kind.label().zh, i.notice.doc_no),
            format!(
                "issued the {} ({})",
                i.notice.kind.label().en,
                i.notice.doc_no
            ),
        ),
        Body::Notice { text, .. } => pick(format!("告知：{text}"), format!("notice: {text}")),
        Body::Major { urgent, reason } => match urgent {
            true => pick(
                format!("紧急信访事项：{reason}"),
                format!("urgent matter: {reason}"),
            ),
            false => pick(
                format!("重大信访事项：{reason}"),
                format!("major matter: {reason}"),
            ),
        },
        Body::NoOpinion { circumstances } => pick(
            format!("信访人拒不表态：{circumstances}"),
            format!("the petitioner states no opinion: {circumstances}"),
        ),
        Body::LeadDecision { lead } => pick(
            format!("主办单位：{}", name(lead)),
            format!("lead unit: {}", name(lead)),
        ),
        Body::Ownership {
            leader,
            duties,
            principal,
            work_group,
        } => {
            let duties: Vec<&str> = duties.iter().map(|d| labels::duty(*d).get(lang)).collect();
            let (zh, en) = match principal {
                true => ("（主要领导）", " (principal leader)"),
                false => ("", ""),
            };
            let (group_zh, group_en) = if work_group.is_empty() {
                (String::new(), String::new())
            } else {
                (
                    format!("；工作专班：{}", work_group.join("、")),
                    format!("; work group: {}", work_group.join(", ")),
                )
            };
            pick(
                format!("包案领导：{leader}{zh}（{}）{group_zh}", duties.join("、")),
                format!("owned by {leader}{en} ({}){group_en}", duties.join(", ")),
            )
        }
        Body::LibraryEntry {
            area,
            public_title,
            reason,
        } => pick(
            format!("列入包案案件库：{area}；公示事由：{public_title}；理由：{reason}"),
            format!(
                "listed in the owned-case library: {area}; published as: {public_title}; \
                 why: {reason}"
            ),
        ),
        Body::OwnershipProposal { leader, basis } => pick(
            format!("呈报{leader}包案（{basis}）"),
            format!("reported to {leader} to own ({basis})"),
        ),
        Body::SamePetitioner { of, reason } => pick(
            format!("认定与 {of} 为同一信访人：{reason}"),
            format!("the same petitioner as {of}'s: {reason}"),
        ),
        Body::SkipLevelLink { of } => pick(
            format!("确认越级访：下级仍在办理 {of}"),
            format!("skip-level confirmed: {of} is still handled below"),
        ),
        Body::HigherVisit { to, on, place } => {
            let l = labels::higher_visit(*to);
            pick(
                format!("{}：{on}，{place}", l.zh),
                format!("{}: {on}, {place}", l.en),
            )
        }
        Body::Booking {
            date,
            leader,
            position,
            responsible,
            place,
            ..
        } => pick(
            format!(
                "约访：{date}由{position}{leader}在{place}接待，通知{}到场",
                name(responsible)
            ),
            format!(
                "booked for {date}: received by {leader} ({position}) at {place}; {} to attend",
                name(responsible)
            ),
        ),
        Body::ReceptionOutcome {
            held,
            decision,
            tasks,
            assign,
            ..
        } => {
            let mut zh_s = if *held {
                format!("领导接待决定：{decision}")
            } else {
                format!("接待未进行：{decision}")
            };
            let mut en_s = if *held {
                format!("the leader decided: {decision}")
            } else {
                format!("the reception did not take place: {decision}")
            };
            for t in tasks {
                zh_s.push_str(&format!("；{}：{}，{}前", name(&t.unit), t.duty, t.due));
                en_s.push_str(&format!("; {}: {}, by {}", name(&t.unit), t.duty, t.due));
            }
            if let Some(a) = assign {
                zh_s.push_str(&format!("；交办至{}，{}前办理", name(&a.to), a.due));
                en_s.push_str(&format!("; assigned to {}, due {}", name(&a.to), a.due));
            }
            pick(zh_s, en_s)
        }
        Body::SupervisionForm {
            recipients,
            due,
            demand,
            ..
        } => {
            let to: Vec<String> = recipients.iter().map(|r| r.title()).collect();
            pick(
                format!("八联单送达{}，{due}前办结：{demand}", to.join("、")),
                format!(
                    "supervision form sent to {}, close by {due}: {demand}",
                    to.join(", ")
                ),
            )
        }
        Body::FormAck { recipient, .. } => {
            let who = recipient
                .parse::<UnitCode>()
                .map(|u| name(&u))
                .unwrap_or_else(|_| recipient.clone());
            pick(
                format!("{who}签收督办单"),
                format!("{who} acknowledged the form"),
            )
        }
        Body::Progress { text } | Body::ReturnVisit { text } => text.clone(),
        Body::Supervision {
            method,
            due,
            demand,
        } => {
            let m = labels::supervision(*method).get(lang);
            pick(
                format!("{m}，{due}前回复：{demand}"),
                format!("{m}, answer by {due}: {demand}"),
            )
        }
        Body::SendBack { reason } => pick(
            format!("发回理由：{reason}"),
            format!("sent back: {reason}"),
        ),
        Body::Extension {
            days,
            reason,
            approved_by,
        } => pick(
            format!("延期{days}日，理由：{reason}，批准人：{approved_by}"),
            format!("extended by {days} days: {reason} (approved by {approved_by})"),
        ),
        Body::Reply { opinion, text } => {
            let o = labels::opinion(*opinion).get(lang);
            pick(format!("{o}：{text}"), format!("{o}: {text}"))
        }
        Body::Rating {
            acceptance,
            handling,
        } => pick(
            format!(
                "受理：{}，办理：{}",
                labels::satisfaction(*acceptance).zh,
                labels::satisfaction(*handling).zh
            ),
            format!(
                "acceptance {}, handling {}",
                labels::satisfaction(*acceptance).en,
                labels::satisfaction(*handling).en
            ),
        ),
        Body::LeaderApproval { leader, opinion } => pick(
            format!("{leader}：{opinion}"),
            format!("{leader}: {opinion}"),
        ),
        Body::Closure {
            facts_clear,
            handled_in_place,
            file_complete,
        } => pick(
            format!(
                "事实清楚：{}；问题处理到位：{}；案卷完整：{}",
                yes(*facts_clear),
                yes(*handled_in_place),
                yes(*file_complete)
            ),
            format!(
                "facts clear: {}; handled in place: {}; file complete: {}",
                yes(*facts_clear),
                yes(*handled_in_place),
                yes(*file_complete)
            ),
        ),
        Body::Archive => String::new(),
        Body::ReviewRequest { stage } => {
            let s = labels::stage(*stage).get(lang);
            pick(format!("申请{s}"), format!("{s} requested"))
        }
        Body::ReviewDecision {
            stage,
            opinion,
            text,
        } => {
            let (s, o) = (
                labels::stage(*stage).get(lang),
                labels::opinion(*opinion).get(lang),
            );
            pick(format!("{s}意见：{o}：{text}"), format!("{s}: {o}: {text}"))
        }
        // Certificates and ciphertext say nothing to a person.
        Body::ContactKey { .. } => pick("已公布".to_owned(), "published".to_owned()),
        Body::SealedContact { for_unit, .. } => pick(
            format!("为{}密封", name(for_unit)),
            format!("sealed for {}", name(for_unit)),
        ),
        Body::Delivery {
            attempt,
            delivered,
            detail,
            ..
        } => match delivered {
            true => pick(
                format!("短信已送达（第{attempt}次发送）"),
                format!("text message delivered (attempt {attempt})"),
            ),
            false => pick(
                format!("短信发送失败（第{attempt}次）：{detail}"),
                format!("text message failed (attempt {attempt}): {detail}"),
            ),
        },
    }
}
