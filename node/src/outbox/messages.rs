//! Which text messages a petitioner is owed by a case's records, and their words.
//!
//! Pure: a function of the case's records (any order: they are keyed by the
//! record they announce) and the names of units. One message for the
//! registration, and one for each record that tells the petitioner where the
//! matter stands: a screening decision, a forward or assignment, an extension, a
//! reply, a printed notice, a review decision. Progress notes, supervision,
//! internal steps are not the petitioner's business. A message carries no
//! personal data and no demand text: the case number, what happened, by which
//! unit, by when, and where to look (the query page with the receipt's code).

use chrono::{DateTime, Utc};
use xinfang_hub::{Topology, UnitCode};

use crate::case::{Body, Record, Screening};

/// What a message announces when no record does.
pub const REGISTERED: &str = "registered";

/// One message owed to the petitioner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The record it announces (its id), or [`REGISTERED`].
    pub about: String,
    pub text: String,
}

/// The messages owed for a case registered at `registered_at`, for everything
/// that happened at or after `since` (an outbox switched on later does not send
/// the past).
pub fn due(
    case_no: &str,
    registered_at: DateTime<Utc>,
    records: &[Record],
    topology: &Topology,
    since: DateTime<Utc>,
) -> Vec<Message> {
    let name = |u: &UnitCode| {
        topology
            .unit(u)
            .map_or_else(|| u.to_string(), |x| x.name.clone())
    };
    let mut out = Vec::new();
    if registered_at >= since {
        out.push(Message {
            about: REGISTERED.to_owned(),
            text: format!(
                "您的信访事项已登记，编号{case_no}。请妥善保管回执，凭编号和查询码可在信访事项查询页面查看办理进展。"
            ),
        });
    }
    for r in records.iter().filter(|r| r.at >= since) {
        let by = name(&r.unit);
        let text = match &r.body {
            Body::Screening { decision } => Some(match decision {
                Screening::Accept => format!("您的信访事项（{case_no}）已由{by}受理。"),
                Screening::NotAccept {
                    competent_authority,
                    ..
                } => format!(
                    "您的信访事项（{case_no}）{by}不予受理，请向{competent_authority}提出，书面告知书可在查询页面下载。"
                ),
                Screening::Discipline { .. } | Screening::Divert { .. } => format!(
                    "您的信访事项（{case_no}）{by}已按规定转由其他途径处理，书面告知书可在查询页面下载。"
                ),
            }),
            Body::Forward { to, due } => Some(format!(
                "您的信访事项（{case_no}）已由{by}转送{}办理，期限至{due}。",
                name(to)
            )),
            Body::Assign { to, due } => Some(format!(
                "您的信访事项（{case_no}）已由{by}交办{}办理，期限至{due}。",
                name(to)
            )),
            Body::Extension { days, .. } => Some(format!(
                "您的信访事项（{case_no}）办理期限经批准延长{days}日，延期告知书可在查询页面查看。"
            )),
            Body::Reply { .. } => Some(format!(
                "您的信访事项（{case_no}）{by}已作出处理意见，请在查询页面查看并评价。"
            )),
            Body::Notice {
                issued: Some(issued),
                ..
            } => Some(format!(
                "{by}已就您的信访事项（{case_no}）出具《{}》，可在查询页面下载。",
                issued.notice.kind.label().zh
            )),
            Body::ReviewDecision { stage, .. } => Some(format!(
                "您的信访事项（{case_no}）{}意见已作出，请在查询页面查看。",
                crate::case::labels::stage(*stage).zh
            )),
            _ => None,
        };
        if let Some(text) = text {
            out.push(Message {
                about: r.id.clone(),
                text,
            });
        }
    }
    out
}
