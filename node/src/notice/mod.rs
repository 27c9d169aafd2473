//! The written documents a petitioner is owed (Reg-2022 arts. 21–23, 34–36): the
//! receipt and the eight notices, composed from the case's records plus the
//! few texts a handler writes, typeset to the national layout for official
//! documents (GB/T 9704) and drawn to PDF.
//!
//! The papers of a reception day (the four cards, the eight-copy supervision
//! form) are drawn the same way from their records ([`cards`]).
//!
//! [`compose`], [`cards`] and [`typeset`] are pure; [`fonts`] finds a CJK font on the
//! machine; [`pdf`] draws. Issuing one (the case service) stores the composed
//! text and the PDF's hash in a notice record, so the same PDF is drawn again
//! from the record wherever the case replicates.

pub mod cards;
pub mod compose;
pub mod fonts;
pub mod pdf;
pub mod service;
pub mod typeset;

use serde::{Deserialize, Serialize};

use crate::labels::Said;

pub use crate::case::written::{Issued, NoticeKind, NoticeText};

/// The texts a handler writes for a notice; everything else comes from the case.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandlerText {
    /// 查明的事实 (opinions).
    #[serde(default)]
    pub facts: String,
    /// 法律、法规、政策依据 (opinions).
    #[serde(default)]
    pub basis: String,
    /// Anything the handler adds to the body (all kinds; optional).
    #[serde(default)]
    pub remarks: String,
}

/// Why a notice cannot be composed or drawn.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum NoticeError {
    /// A part the document must state is missing (`field` names it).
    #[error("{field}: {rule}")]
    Missing { field: &'static str, rule: Said },
    /// The case is not at the stage this kind of notice is about.
    #[error("{rule}: {message}")]
    NotAtStage { rule: &'static str, message: String },
    /// No CJK font on this machine.
    #[error("no CJK font found: {0}")]
    NoFont(String),
    #[error("drawing the PDF failed: {0}")]
    Pdf(String),
}

impl NoticeError {
    /// The rule's code, for the error mapping at each edge.
    pub fn rule(&self) -> &'static str {
        match self {
            NoticeError::Missing { .. } => "notice.missing_part",
            NoticeError::NotAtStage { rule, .. } => rule,
            NoticeError::NoFont(_) => "notice.font",
            NoticeError::Pdf(_) => "notice.pdf",
        }
    }
}
