//! The written notices a case holds (the notice record's payload): which kind,
//! and the text as printed, so the same document is drawn again wherever the
//! case replicates. Composing and drawing them is the `notice` module's job.

use serde::{Deserialize, Serialize};

use crate::labels::Label;

/// Which document. The code is what the CLI and the record say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// 登记回执: handed over at registration, with the query code; never stored
    /// in a record (the code is the petitioner's alone).
    Receipt,
    /// 受理告知书
    Acceptance,
    /// 不予受理告知书
    NonAcceptance,
    /// 转送/交办告知书
    Transfer,
    /// 延期办理告知书
    Extension,
    /// 信访处理意见书
    HandlingOpinion,
    /// 复查意见书
    ReviewOpinion,
    /// 复核意见书
    ReReviewOpinion,
    /// 不再受理告知书
    NoFurtherAcceptance,
    /// The four cards of a reception day (四卡, seed 004): the petitioner's
    /// invitation, the responsible unit's notice, the leader's 呈报卡 and the
    /// office's stub; drawn from the booking record, never issued on their own.
    ReceptionCard,
    /// The eight-copy supervision form (八联单, seed 004), drawn from its record.
    SupervisionSheet,
}

impl NoticeKind {
    /// The eight notices issued on a case (the receipt is given at registration).
    pub const ALL: [NoticeKind; 8] = [
        NoticeKind::Acceptance,
        NoticeKind::NonAcceptance,
        NoticeKind::Transfer,
        NoticeKind::Extension,
        NoticeKind::HandlingOpinion,
        NoticeKind::ReviewOpinion,
        NoticeKind::ReReviewOpinion,
        NoticeKind::NoFurtherAcceptance,
    ];

    pub fn code(self) -> &'static str {
        match self {
            NoticeKind::Receipt => "receipt",
            NoticeKind::Acceptance => "acceptance",
            NoticeKind::NonAcceptance => "non_acceptance",
            NoticeKind::Transfer => "transfer",
            NoticeKind::Extension => "extension",
            NoticeKind::HandlingOpinion => "handling_opinion",
            NoticeKind::ReviewOpinion => "review_opinion",
            NoticeKind::ReReviewOpinion => "rereview_opinion",
            NoticeKind::NoFurtherAcceptance => "no_further_acceptance",
            NoticeKind::ReceptionCard => "reception_card",
            NoticeKind::SupervisionSheet => "supervision_sheet",
        }
    }

    pub fn from_code(code: &str) -> Option<NoticeKind> {
        NoticeKind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// The document's title, as printed and as listed.
    pub fn label(self) -> Label {
        match self {
            NoticeKind::Receipt => Label::new("信访事项登记回执", "receipt"),
            NoticeKind::Acceptance => Label::new("信访事项受理告知书", "notice of acceptance"),
            NoticeKind::NonAcceptance => {
                Label::new("信访事项不予受理告知书", "notice of non-acceptance")
            }
            NoticeKind::Transfer => Label::new(
                "信访事项转送（交办）告知书",
                "notice of forwarding or assignment",
            ),
            NoticeKind::Extension => Label::new("信访事项延期办理告知书", "notice of extension"),
            NoticeKind::HandlingOpinion => Label::new("信访事项处理意见书", "handling opinion"),
            NoticeKind::ReviewOpinion => Label::new("信访事项复查意见书", "review opinion"),
            NoticeKind::ReReviewOpinion => Label::new("信访事项复核意见书", "re-review opinion"),
            NoticeKind::NoFurtherAcceptance => {
                Label::new("信访事项不再受理告知书", "notice of no further acceptance")
            }
            NoticeKind::ReceptionCard => Label::new("领导接待日卡片", "reception-day cards"),
            NoticeKind::SupervisionSheet => {
                Label::new("信访事项督办单（八联单）", "eight-copy supervision form")
            }
        }
    }

    /// The character of its document number (海丰县信访局信受〔2026〕3号):
    /// one series per kind and issuing unit and year.
    pub fn series(self) -> &'static str {
        match self {
            NoticeKind::Receipt => "信登",
            NoticeKind::Acceptance => "信受",
            NoticeKind::NonAcceptance => "信不受",
            NoticeKind::Transfer => "信转",
            NoticeKind::Extension => "信延",
            NoticeKind::HandlingOpinion => "信处",
            NoticeKind::ReviewOpinion => "信复查",
            NoticeKind::ReReviewOpinion => "信复核",
            NoticeKind::NoFurtherAcceptance => "信不再",
            NoticeKind::ReceptionCard => "信约",
            NoticeKind::SupervisionSheet => "信督",
        }
    }

    /// Whether issuing it meets the duty to tell the petitioner within 15 days
    /// whether the petition is accepted, or where it went (art. 23).
    pub fn notifies_acceptance(self) -> bool {
        matches!(
            self,
            NoticeKind::Acceptance | NoticeKind::NonAcceptance | NoticeKind::Transfer
        )
    }
}

/// A notice as printed: what the PDF is drawn from, and what the notice record
/// keeps so it is drawn the same again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeText {
    pub kind: NoticeKind,
    /// 发文机关 (the issuing unit's name).
    pub issuer: String,
    /// 发文字号, e.g. 信受〔2026〕3号.
    pub doc_no: String,
    pub title: String,
    /// 主送: the petitioner, by name.
    pub addressee: String,
    pub paragraphs: Vec<String>,
    /// 成文日期, written the Chinese way (2026年12月2日).
    pub date: String,
    /// The case it belongs to (printed in the footer line).
    pub case_no: String,
}

/// A notice as issued: its text and the SHA-256 of the PDF drawn from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issued {
    pub notice: NoticeText,
    pub sha256: String,
}
