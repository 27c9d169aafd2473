//! The arguments `case` commands share: a registration's ledger elements and the
//! closed choices steps take (`--decision`, `--method`, `--opinion`, …).

use clap::ValueEnum;

/// The ledger elements of a registration (all optional).
#[derive(Debug, Clone, clap::Args)]
pub struct RegisterDetails {
    /// Resident identity number (GB 11643); stays in clear only at this node
    #[arg(long)]
    pub(super) id_number: Option<String>,
    /// Stays in clear only at this node
    #[arg(long)]
    pub(super) phone: Option<String>,
    #[arg(long)]
    pub(super) address: Option<String>,
    /// visit, letter, online, phone or fax
    #[arg(long, default_value = "visit")]
    pub(super) channel: String,
    /// Purpose code (advice, appeal, request, accusation, other)
    #[arg(long)]
    pub(super) purpose: Option<String>,
    /// Content category code (see the classification)
    #[arg(long)]
    pub(super) category: Option<String>,
    /// Subcategory name within the category
    #[arg(long)]
    pub(super) subcategory: Option<String>,
    /// Unit code where the problem arose
    #[arg(long)]
    pub(super) place: Option<String>,
    #[arg(long)]
    pub(super) cause: Option<String>,
    #[arg(long)]
    pub(super) receiving_leader: Option<String>,
    /// Unit code of the responsible unit
    #[arg(long)]
    pub(super) responsible_unit: Option<String>,
    /// A group visit's representative (repeat, at most 5)
    #[arg(long = "representative")]
    pub(super) representatives: Vec<String>,
    /// How many people came (group visits)
    #[arg(long, default_value_t = 0)]
    pub(super) head_count: u32,
    /// Flag a major matter (重大信访事项) with its reason: every superior is
    /// alerted at once, and it needs an owning leader in time
    #[arg(long, value_name = "REASON")]
    pub(super) major: Option<String>,
    /// The flagged matter is urgent (紧急信访事项; needs --major)
    #[arg(long, requires = "major")]
    pub(super) urgent: bool,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ScreenDecision {
    Accept,
    NotAccept,
    Discipline,
    Divert,
}

/// Where a diverted matter goes (诉访分离).
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Track {
    Litigation,
    Arbitration,
    AdministrativeReview,
}

/// How a superior supervises (督办).
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Method {
    Phone,
    Letter,
    Interview,
    Meeting,
    Listed,
    PublicNotice,
}

/// The opinion of a reply or a review (答复意见 / 复查复核意见).
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Opinion {
    Adopt,
    Support,
    Explain,
    NotSupport,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Satisfaction {
    Satisfied,
    Basic,
    Unsatisfied,
}

/// 复查 (review) or 复核 (re-review).
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Stage {
    Review,
    ReReview,
}
