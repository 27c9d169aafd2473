//! The case rules by name, Chinese and English: what a front shows when the case
//! service refuses a step naming a rule (`NodeError::Rule`). The service's own
//! message adds the particulars (which day, which unit); this names the rule a
//! clerk can look up. One table; every front reads it.
//!
//! Pure: no IO.

use crate::labels::Label;

/// Every rule code the case service refuses by, with its name.
pub const RULES: [(&str, Label); 78] = [
    (
        "archive.after_closure",
        Label::new("只有已办结的事项才能归档", "only a closed case is archived"),
    ),
    (
        "assign.downwards",
        Label::new(
            "交办只能交给下级单位（平级或上级请用转送）",
            "assignment goes to a unit below (forward otherwise)",
        ),
    ),
    (
        "case.tracking_ended",
        Label::new("事项已终结，不再跟踪办理", "the case is no longer tracked"),
    ),
    (
        "case.visible",
        Label::new(
            "本单位不掌握该事项，不能查看或办理",
            "this unit does not hold the case",
        ),
    ),
    (
        "closure.approval_by_owner",
        Label::new(
            "包案事项须由包案领导审批结案（五不结案）",
            "an owned case is approved for closure by its owner",
        ),
    ),
    (
        "closure.five_conditions",
        Label::new(
            "不符合结案条件（五不结案）",
            "the five closure conditions fail",
        ),
    ),
    (
        "contact.key_by_handler",
        Label::new(
            "联系密钥只能由登记单位以外的办理单位发布",
            "only a handling unit other than the registrar publishes a contact key",
        ),
    ),
    (
        "contact.key_certificate",
        Label::new(
            "联系密钥须为一个 PEM 证书",
            "a contact key is one PEM certificate",
        ),
    ),
    (
        "contact.sealed_for_key",
        Label::new(
            "该单位尚未发布联系密钥",
            "that unit published no contact key",
        ),
    ),
    (
        "delivery.message",
        Label::new(
            "短信告知记录须写明所告知的事项、发送次数和渠道",
            "a delivery names its message, attempt and channel",
        ),
    ),
    (
        "due.not_in_past",
        Label::new("期限不能早于今天", "a due date is not in the past"),
    ),
    (
        "extension.approved",
        Label::new(
            "延期须写明理由和批准人",
            "an extension names its reason and approver",
        ),
    ),
    (
        "extension.max_30_days",
        Label::new(
            "延期累计不得超过30日",
            "extensions add at most 30 days in all",
        ),
    ),
    (
        "higher_visit.on",
        Label::new(
            "赴省进京上访须在发生后登记，日期不能晚于今天",
            "a visit is recorded after it happened",
        ),
    ),
    (
        "higher_visit.place",
        Label::new("赴省进京上访须写明地点", "a visit names its place"),
    ),
    (
        "higher_visit.principal_owns",
        Label::new(
            "赴省进京上访事项须由主要领导包案后方可结案",
            "the principal leader owns it before it closes",
        ),
    ),
    (
        "lead.involved",
        Label::new(
            "牵头单位须是涉及该事项的单位",
            "the lead unit is one involved",
        ),
    ),
    (
        "lead.several_units",
        Label::new(
            "涉及多个单位时才确定牵头单位",
            "a lead unit is decided among several units",
        ),
    ),
    (
        "leader.named",
        Label::new("须写明领导姓名", "name the leader"),
    ),
    (
        "major.reason",
        Label::new("重大紧急事项须写明理由", "a major matter states its reason"),
    ),
    (
        "no_opinion.after_reply",
        Label::new(
            "答复之后才能记录信访人拒不表态",
            "a refusal to state an opinion follows a reply",
        ),
    ),
    (
        "no_opinion.circumstances",
        Label::new("须写明拒不表态的情形", "state the circumstances"),
    ),
    (
        "node.recovering",
        Label::new(
            "本节点正在从上级恢复数据，恢复完成前不受理登记",
            "the node is recovering its data; no registrations meanwhile",
        ),
    ),
    (
        "notice.font",
        Label::new(
            "本机没有中文字体，无法打印文书（请安装 fonts-noto-cjk）",
            "no CJK font to print with (install fonts-noto-cjk)",
        ),
    ),
    (
        "notice.missing_part",
        Label::new("文书缺少必备内容", "the notice lacks a required part"),
    ),
    (
        "notice.no_reply",
        Label::new(
            "尚未答复，不能出具处理意见书",
            "no reply to issue an opinion on",
        ),
    ),
    (
        "notice.not_accepted",
        Label::new("事项未受理", "the case was not accepted"),
    ),
    (
        "notice.receipt",
        Label::new(
            "回执在登记时随查询码出具",
            "a receipt is given at registration",
        ),
    ),
    (
        "notice.reception_papers",
        Label::new(
            "接待卡和督办单从其记录打印，不作为告知书出具",
            "reception cards and forms are printed from their records",
        ),
    ),
    (
        "objection.by_receiver",
        Label::new(
            "只有刚收到转送/交办的单位才能提出异议",
            "only the unit just routed to objects",
        ),
    ),
    (
        "objection.decision_requested",
        Label::new("没有待核实的异议", "no objection awaits verification"),
    ),
    (
        "objection.pending",
        Label::new(
            "已有异议等待核实",
            "an objection awaits verification already",
        ),
    ),
    (
        "objection.reason",
        Label::new(
            "异议及其核实须写明理由",
            "an objection and its verification state a reason",
        ),
    ),
    (
        "objection.window",
        Label::new(
            "提出异议的期限（5个工作日）已过",
            "the 5-working-day window to object has ended",
        ),
    ),
    (
        "ownership.five_duties",
        Label::new("领导包案须明确五包责任", "ownership names its five duties"),
    ),
    (
        "ownership.work_group",
        Label::new(
            "工作专班须写明每位成员",
            "name each member of the work group",
        ),
    ),
    (
        "query_code.by_registering_unit",
        Label::new(
            "查询码由登记单位重新发放",
            "the registering unit reissues the query code",
        ),
    ),
    (
        "rating.after_reply",
        Label::new("答复之后才能评价", "a rating follows a reply"),
    ),
    (
        "rating.once",
        Label::new("同一答复只能评价一次", "a reply is rated once"),
    ),
    (
        "rating.window",
        Label::new("评价期限已过", "the window to rate has ended"),
    ),
    (
        "reception.booking",
        Label::new("该事项没有这次接访预约", "no such booking on this case"),
    ),
    (
        "reception.scheduled",
        Label::new(
            "该领导当日不在已报备的接访安排中",
            "the leader does not receive that day by the filed schedule",
        ),
    ),
    (
        "record.unique_id",
        Label::new("该记录已存在", "the record exists already"),
    ),
    (
        "reply.after_acceptance",
        Label::new("受理之后才能答复", "a reply follows acceptance"),
    ),
    (
        "reply.once",
        Label::new(
            "已经答复过（须先发回重办）",
            "replied already (send back to redo)",
        ),
    ),
    (
        "review.decision_requested",
        Label::new("没有待决定的复查复核申请", "no such review request is open"),
    ),
    (
        "review.final",
        Label::new(
            "复核已终结，同一事项不再受理",
            "the re-review concluded: not accepted again",
        ),
    ),
    (
        "review.once",
        Label::new("该阶段已经申请过", "this stage was requested already"),
    ),
    (
        "review.order",
        Label::new("须先复查、后复核", "review comes before re-review"),
    ),
    (
        "review.window",
        Label::new("申请复查复核的期限已过", "the window to request has ended"),
    ),
    (
        "routing.after_acceptance",
        Label::new("受理之后才能转送或交办", "routing follows acceptance"),
    ),
    (
        "routing.elsewhere",
        Label::new("转送或交办须给其他单位", "route to another unit"),
    ),
    (
        "screening.once",
        Label::new(
            "本单位已经甄别过",
            "this unit has screened the case already",
        ),
    ),
    (
        "sendback.after_reply",
        Label::new(
            "只有已答复的事项才能发回重办",
            "only a replied case is sent back",
        ),
    ),
    (
        "skip_level.before_screening",
        Label::new(
            "越级访须在登记单位甄别前确认",
            "a skip-level petition is confirmed before screening",
        ),
    ),
    (
        "skip_level.candidate",
        Label::new(
            "所关联的事项不是越级访候选（同一信访人、同一责任单位、下级在办）",
            "not a skip-level candidate (same petitioner, same responsible unit, open below)",
        ),
    ),
    (
        "skip_level.not_accepted_above",
        Label::new(
            "下级仍在办理同一事项，越级访不予受理",
            "the same matter is still handled below",
        ),
    ),
    (
        "skip_level.of",
        Label::new("越级访须写明下级在办的事项", "name the case below"),
    ),
    (
        "skip_level.once",
        Label::new("已关联越级访事项", "already linked as skip-level"),
    ),
    (
        "text.max_chars",
        Label::new("文字超过长度上限", "the text is too long"),
    ),
    (
        "text.not_empty",
        Label::new("内容不能为空", "the text must not be empty"),
    ),
    (
        "unit.known",
        Label::new(
            "该单位不在本系统的单位树中",
            "the unit is not in the federation",
        ),
    ),
    (
        "supervision.demand",
        Label::new("督办须写明督办要求", "a supervision states its demand"),
    ),
    (
        "supervision_form.after_decision",
        Label::new(
            "领导接访作出决定后才能出具督办单",
            "the supervision form follows the leader's decision",
        ),
    ),
    (
        "identity.of",
        Label::new(
            "须写明同一信访人的另一事项编号",
            "name the same person's other case",
        ),
    ),
    (
        "identity.reason",
        Label::new(
            "须写明认定为同一信访人的理由",
            "say why the two petitioners are one person",
        ),
    ),
    (
        "identity.once",
        Label::new(
            "已认定与该事项为同一信访人",
            "already merged with that case's petitioner",
        ),
    ),
    (
        "identity.self",
        Label::new("不能与本事项自身合并", "a case is not merged with itself"),
    ),
    (
        "identity.case_held",
        Label::new(
            "本单位不掌握所指事项，不能合并",
            "the other case is not held at this node",
        ),
    ),
    (
        "library.entry_text",
        Label::new(
            "列入包案案件库须写明重点领域、公示事由和理由",
            "a library entry states its area, published title and reason",
        ),
    ),
    (
        "library.once",
        Label::new(
            "该事项已列入本单位包案案件库",
            "already in this office's library",
        ),
    ),
    (
        "library.open_case",
        Label::new(
            "只有在办事项才能列入包案案件库",
            "only a case still being handled is listed",
        ),
    ),
    (
        "library.not_listed",
        Label::new(
            "该事项未列入本单位包案案件库，不能呈报领导包案",
            "list the case before reporting it to a leader",
        ),
    ),
    (
        "library.proposal_text",
        Label::new(
            "呈报包案须写明领导和所属分管工作",
            "a proposal names the leader and the portfolio",
        ),
    ),
    (
        "library.owned",
        Label::new("该事项已有包案领导", "the case is owned already"),
    ),
    (
        "library.proposed_twice",
        Label::new("该事项已呈报该领导", "already reported to that leader"),
    ),
    (
        "library.leader_on_roster",
        Label::new(
            "呈报的领导须是本单位领导花名册上的在岗领导",
            "the leader must be active on this office's roster",
        ),
    ),
    (
        "library.public_title_personal",
        Label::new(
            "公示事由不得含有信访人姓名、身份证号或电话",
            "the published title must not carry the petitioner's personal data",
        ),
    ),
];

/// The name of the rule `code`, if it is a case rule.
pub fn rule(code: &str) -> Option<Label> {
    RULES.iter().find(|(c, _)| *c == code).map(|(_, l)| *l)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_both_languages_are_written() {
        let mut codes: Vec<&str> = RULES.iter().map(|(c, _)| *c).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), RULES.len(), "a code named twice");
        for (c, l) in RULES {
            assert!(!l.zh.is_empty() && !l.en.is_empty(), "{c}");
            assert!(
                l.zh.chars()
                    .any(|ch| ('\u{4e00}'..='\u{9fff}').contains(&ch)),
                "{c}"
            );
        }
    }

    /// Every rule the owned-case library refuses by has a name here.
    #[test]
    fn every_library_rule_is_named() {
        let src = [
            include_str!("library.rs"),
            include_str!("service/library.rs"),
        ]
        .concat();
        let mut seen = 0;
        for part in src.split("\"library.").skip(1) {
            let code = format!("library.{}", part.split('"').next().unwrap_or_default());
            assert!(rule(&code).is_some(), "{code} has no name in RULES");
            seen += 1;
        }
        assert!(seen >= 8, "found only {seen} library rules");
    }

    /// Every rule the case's admission refuses by has a name here: a new rule
    /// without one fails this test.
    #[test]
    fn every_admission_rule_is_named() {
        let src = include_str!("admission.rs");
        let mut rest = src;
        let mut seen = 0;
        let mut unnamed = Vec::new();
        while let Some(i) = rest.find("refuse(") {
            rest = &rest[i + "refuse(".len()..];
            let Some(open) = rest.find('"') else { break };
            let after = &rest[open + 1..];
            let Some(close) = after.find('"') else { break };
            let code = &after[..close];
            // `refuse(rule: &'static str, …)` itself has no literal first.
            if rest[..open].trim().is_empty() && code.contains('.') {
                if rule(code).is_none() {
                    unnamed.push(code);
                }
                seen += 1;
            }
        }
        assert!(seen > 40, "only {seen} refusals found: the scan is broken");
        assert!(
            unnamed.is_empty(),
            "admission refuses by unnamed rules {unnamed:?}"
        );
    }
}
