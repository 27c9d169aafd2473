//! The labels of a case's codes, Chinese and English: statuses, steps, deadlines,
//! closure conditions, supervision methods, opinions, ratings, review stages,
//! tracks, duties and channels. The one table every front shows.
//!
//! Pure: no IO.

use super::record::{
    Duty, Opinion, Satisfaction, Screening, Stage, Step, Supervision, Track, VisitLevel,
};
use super::registration::Channel;
use super::state::{ClosureBlocker, DeadlineKind, Status};
pub use crate::labels::{Label, Lang};

/// Every status, in lifecycle order.
pub const STATUSES: [Status; 14] = [
    Status::Registered,
    Status::Accepted,
    Status::NotAccepted,
    Status::ToDiscipline,
    Status::Diverted,
    Status::Routed,
    Status::Handling,
    Status::Replied,
    Status::Closed,
    Status::Archived,
    Status::UnderReview,
    Status::Reviewed,
    Status::UnderReReview,
    Status::Final,
];

pub fn status(s: Status) -> Label {
    match s {
        Status::Registered => Label::new("已登记", "registered"),
        Status::Accepted => Label::new("已受理", "accepted"),
        Status::NotAccepted => Label::new("不予受理", "not accepted"),
        Status::ToDiscipline => Label::new("已转纪检监察", "to discipline inspection"),
        Status::Diverted => Label::new("已导入法定途径", "diverted to a legal procedure"),
        Status::Routed => Label::new("已转送/交办", "forwarded/assigned"),
        Status::Handling => Label::new("办理中", "handling"),
        Status::Replied => Label::new("已答复", "replied"),
        Status::Closed => Label::new("已办结", "closed"),
        Status::Archived => Label::new("已归档", "archived"),
        Status::UnderReview => Label::new("复查中", "under review"),
        Status::Reviewed => Label::new("已复查", "reviewed"),
        Status::UnderReReview => Label::new("复核中", "under re-review"),
        Status::Final => Label::new("不再受理", "final (not accepted again)"),
    }
}

/// A status code as stored in the query tables (`registered`, `closed`, …), or
/// `None` for a code no status has.
pub fn status_of_code(code: &str) -> Option<Status> {
    STATUSES.into_iter().find(|s| s.code() == code)
}

/// A flagged matter (Reg-2022 art. 24's 重大、紧急信访事项), urgent or major.
pub fn major(urgent: bool) -> Label {
    match urgent {
        true => Label::new("紧急信访事项", "urgent matter"),
        false => Label::new("重大信访事项", "major matter"),
    }
}

/// Where a petitioner went over the local offices.
pub fn higher_visit(to: VisitLevel) -> Label {
    match to {
        VisitLevel::Province => Label::new("赴省上访", "visit to the provincial authorities"),
        VisitLevel::Capital => Label::new("进京上访", "visit to the national authorities"),
    }
}

pub fn step(s: Step) -> Label {
    match s {
        Step::Screening => Label::new("甄别", "screening"),
        Step::Forward => Label::new("转送", "forward"),
        Step::Assign => Label::new("交办", "assign"),
        Step::Objection => Label::new("异议", "objection"),
        Step::ObjectionDecision => Label::new("异议核实", "objection verified"),
        Step::Notice => Label::new("书面告知", "notice to the petitioner"),
        Step::NoOpinion => Label::new("信访人拒不表态", "petitioner states no opinion"),
        Step::Major => Label::new("重大紧急信访事项", "major or urgent matter"),
        Step::HigherVisit => Label::new("赴省进京上访", "visit to higher authorities"),
        Step::SkipLevelLink => Label::new("确认越级访", "skip-level confirmed"),
        Step::SamePetitioner => Label::new("认定同一信访人", "same petitioner found"),
        Step::LeadDecision => Label::new("确定主办单位", "lead unit"),
        Step::LibraryEntry => Label::new("列入包案案件库", "listed in the owned-case library"),
        Step::OwnershipProposal => Label::new("呈报领导包案", "reported to a leader to own"),
        Step::Ownership => Label::new("领导包案", "ownership"),
        Step::Progress => Label::new("办理进展", "progress"),
        Step::Supervision => Label::new("督办", "supervision"),
        Step::SendBack => Label::new("发回重办", "sent back"),
        Step::Extension => Label::new("延期", "extension"),
        Step::Reply => Label::new("答复", "reply"),
        Step::Rating => Label::new("满意度评价", "rating"),
        Step::LeaderApproval => Label::new("领导审批", "leader approval"),
        Step::Closure => Label::new("办结", "closure"),
        Step::ReturnVisit => Label::new("回访", "return visit"),
        Step::Archive => Label::new("归档", "archive"),
        Step::ReviewRequest => Label::new("复查/复核申请", "review request"),
        Step::ReviewDecision => Label::new("复查/复核意见", "review decision"),
        Step::Booking => Label::new("约访（领导接待日）", "booked for a reception day"),
        Step::ReceptionOutcome => Label::new("接待日处理", "reception decision"),
        Step::SupervisionForm => Label::new("八联单督办", "eight-copy supervision form"),
        Step::FormAck => Label::new("督办单签收", "supervision form acknowledged"),
        Step::ContactKey => Label::new("公布联系密钥", "contact key"),
        Step::SealedContact => Label::new("密封联系方式", "sealed contact"),
        Step::Delivery => Label::new("短信告知", "text message"),
    }
}

pub fn deadline(k: DeadlineKind) -> Label {
    match k {
        DeadlineKind::Route => Label::new("转送交办期限", "route by"),
        DeadlineKind::Object => Label::new("异议期限", "object by"),
        DeadlineKind::Notify => Label::new("告知期限", "notify by"),
        DeadlineKind::Handle => Label::new("办理期限", "handle by"),
        DeadlineKind::Supervision => Label::new("督办期限", "supervision due"),
        DeadlineKind::ReviewAnswer => Label::new("复查复核答复期限", "review answer by"),
        DeadlineKind::MajorOwnership => Label::new("重大事项落实包案期限", "major matter owned by"),
    }
}

/// Every kind of deadline.
pub const DEADLINE_KINDS: [DeadlineKind; 7] = [
    DeadlineKind::Route,
    DeadlineKind::Object,
    DeadlineKind::Notify,
    DeadlineKind::Handle,
    DeadlineKind::Supervision,
    DeadlineKind::ReviewAnswer,
    DeadlineKind::MajorOwnership,
];

/// A kind of deadline by its code (`route`, `handle`, …).
pub fn deadline_of_code(code: &str) -> Option<DeadlineKind> {
    DEADLINE_KINDS.into_iter().find(|k| k.code() == code)
}

/// The five conditions under which a case may not be closed (五不结案).
pub fn closure_blocker(b: ClosureBlocker) -> Label {
    match b {
        ClosureBlocker::FactsUnclear => Label::new("事实不清", "facts unclear"),
        ClosureBlocker::NotHandledInPlace => Label::new("问题未处理到位", "not handled in place"),
        ClosureBlocker::NoLeaderApproval => {
            Label::new("无包案领导审批意见", "no approval from the owning leader")
        }
        ClosureBlocker::NoPetitionerOpinion => Label::new(
            "无信访人明确意见",
            "no opinion recorded from the petitioner",
        ),
        ClosureBlocker::FileIncomplete => Label::new("案卷不完整", "case file incomplete"),
    }
}

impl ClosureBlocker {
    /// Both labels, for refusal messages: `事实不清 (facts unclear)`.
    pub fn describe(self) -> String {
        let l = closure_blocker(self);
        format!("{} ({})", l.zh, l.en)
    }
}

pub fn supervision(m: Supervision) -> Label {
    match m {
        Supervision::Phone => Label::new("电话督办", "by phone"),
        Supervision::Letter => Label::new("函件督办", "by letter"),
        Supervision::Interview => Label::new("约谈督办", "interview"),
        Supervision::Meeting => Label::new("会议督办", "meeting"),
        Supervision::Listed => Label::new("挂牌督办", "listed"),
        Supervision::PublicNotice => Label::new("通报督办", "public notice"),
    }
}

pub fn opinion(o: Opinion) -> Label {
    match o {
        Opinion::Adopt => Label::new("予以采纳", "adopted"),
        Opinion::Support => Label::new("予以支持", "supported"),
        Opinion::Explain => Label::new("解释说明", "explained"),
        Opinion::NotSupport => Label::new("不予支持", "not supported"),
    }
}

pub fn satisfaction(s: Satisfaction) -> Label {
    match s {
        Satisfaction::Satisfied => Label::new("满意", "satisfied"),
        Satisfaction::Basic => Label::new("基本满意", "basically satisfied"),
        Satisfaction::Unsatisfied => Label::new("不满意", "unsatisfied"),
    }
}

pub fn stage(s: Stage) -> Label {
    match s {
        Stage::Review => Label::new("复查", "review"),
        Stage::ReReview => Label::new("复核", "re-review"),
    }
}

pub fn track(t: Track) -> Label {
    match t {
        Track::Litigation => Label::new("诉讼", "litigation"),
        Track::Arbitration => Label::new("仲裁", "arbitration"),
        Track::AdministrativeReview => Label::new("行政复议", "administrative review"),
    }
}

/// The five duties of leader ownership (五包).
pub fn duty(d: Duty) -> Label {
    match d {
        Duty::KnowTheCase => Label::new("包掌握情况", "know the case"),
        Duty::Educate => Label::new("包思想教育", "educate"),
        Duty::FollowUp => Label::new("包跟踪督办", "follow up"),
        Duty::Resolve => Label::new("包解决化解", "resolve"),
        Duty::Settle => Label::new("包息诉息访", "settle"),
    }
}

pub fn screening(s: &Screening) -> Label {
    match s {
        Screening::Accept => Label::new("受理", "accept"),
        Screening::NotAccept { .. } => Label::new("不予受理", "not accepted"),
        Screening::Discipline { .. } => Label::new("转纪检监察", "to discipline inspection"),
        Screening::Divert { .. } => Label::new("导入法定途径", "diverted"),
    }
}

/// Every channel.
pub const CHANNELS: [Channel; 5] = [
    Channel::Visit,
    Channel::Letter,
    Channel::Online,
    Channel::Phone,
    Channel::Fax,
];

pub fn channel(c: Channel) -> Label {
    match c {
        Channel::Visit => Label::new("来访", "visit"),
        Channel::Letter => Label::new("来信", "letter"),
        Channel::Online => Label::new("网上信访", "online"),
        Channel::Phone => Label::new("来电", "phone"),
        Channel::Fax => Label::new("传真", "fax"),
    }
}

/// A channel code as stored (`visit`, `letter`, …).
pub fn channel_of_code(code: &str) -> Option<Channel> {
    CHANNELS.into_iter().find(|c| c.code() == code)
}

/// The ledger's elements as a registration names them (`RegisterCaseRequest`'s
/// fields, which are also the fields a refusal names): what a form labels its
/// inputs with and what an error beside a field says it concerns.
pub const REGISTRATION_FIELDS: [(&str, Label); 15] = [
    ("petitioner", Label::new("信访人", "petitioner")),
    ("id_number", Label::new("公民身份号码", "ID number")),
    ("phone", Label::new("联系电话", "phone")),
    ("address", Label::new("住址", "address")),
    ("representatives", Label::new("代表人", "representatives")),
    ("head_count", Label::new("来访人数", "head count")),
    ("channel", Label::new("信访形式", "channel")),
    ("purpose", Label::new("信访目的", "purpose")),
    ("category", Label::new("内容分类", "category")),
    ("subcategory", Label::new("内容细类", "subcategory")),
    ("content", Label::new("诉求内容", "demand")),
    ("cause", Label::new("事由", "cause")),
    ("place", Label::new("问题发生地", "where it arose")),
    (
        "receiving_leader",
        Label::new("接访领导", "receiving leader"),
    ),
    (
        "responsible_unit",
        Label::new("责任单位", "responsible unit"),
    ),
];

/// The label of a registration field by its name, if it is one.
pub fn registration_field(name: &str) -> Option<Label> {
    REGISTRATION_FIELDS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, l)| *l)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_has_two_distinct_labels_and_round_trips_its_code() {
        let mut zh: Vec<&str> = STATUSES.iter().map(|s| status(*s).zh).collect();
        zh.sort_unstable();
        zh.dedup();
        assert_eq!(zh.len(), STATUSES.len(), "two statuses share a label");
        for s in STATUSES {
            assert_eq!(status_of_code(s.code()), Some(s));
            assert!(!status(s).en.is_empty());
        }
        for c in CHANNELS {
            assert_eq!(channel_of_code(c.code()), Some(c));
        }
        for s in Step::ALL {
            assert_ne!(step(s).zh, step(s).en);
        }
    }
}
