//! One case's query row, derived from its document: what every query table
//! holds of it (status, deadlines, owner, flags, bookings, library listings,
//! merges, the report facts). Pure: the projector writes what this derives.

use automerge::AutoCommit;
use xinfang_hub::Topology;

use crate::case::Context;
use crate::case::{self, CaseView};
use crate::rules::CaseRules;

/// How much of a demand a case list carries: the query table keeps this many
/// characters of it, not the whole text (up to 10,000 characters, most of a
/// row's bytes), which only the case's own page shows, read from its document.
pub const EXCERPT_CHARS: usize = 60;

/// The start of a demand as lists show it: its first [`EXCERPT_CHARS`]
/// characters, and `…` where more was cut off.
pub fn excerpt(content: &str) -> String {
    match content.char_indices().nth(EXCERPT_CHARS) {
        Some((cut, _)) => format!("{}…", &content[..cut]),
        None => content.to_owned(),
    }
}

/// One case as the query tables hold it.
pub struct Projected {
    pub view: CaseView,
    /// The demand as lists show it ([`excerpt`]).
    pub excerpt: String,
    pub status: String,
    pub handling_unit: String,
    pub next_due: Option<String>,
    /// The leader owning the case (包案): name, the leader's unit, when (RFC 3339).
    pub owner: Option<(String, String, String)>,
    /// What reports need (None for a case without a readable registration).
    pub facts: Option<crate::report::facts::CaseFacts>,
    /// Flagged a major or urgent matter: the flag, and while no leader owns it
    /// the day one must.
    pub major: Option<(case::MajorFlag, Option<chrono::NaiveDate>)>,
    /// Visits to higher authorities recorded, and the day of the latest.
    pub higher_visits: (i64, Option<chrono::NaiveDate>),
    /// The case below this one skipped over: found at registration or confirmed.
    pub skip_level_of: Option<String>,
    /// Its bookings onto reception days (JSON of `reception::BookingSummary`), if any.
    pub receptions: Option<String>,
    /// The owned-case libraries listing it (JSON of `library::Listing`), if any.
    pub library: Option<String>,
    /// The cases whose petitioner was found to be this one's (JSON of their
    /// numbers), if any.
    pub same_petitioner: Option<String>,
    /// The earliest supervision demand on the handling unit still open: who
    /// demanded it and its due day (the worklist's 上级督办).
    pub supervision: Option<(String, chrono::NaiveDate)>,
}

/// Derives a case's query row from its document (None if it is not a case).
pub fn project(
    d: &mut AutoCommit,
    id: &str,
    topology: &Topology,
    rules: &CaseRules,
) -> Option<Projected> {
    // One read of the document serves the whole row.
    let case::CaseFile {
        view,
        records,
        header,
        ..
    } = case::CaseFile::read(d, id).ok()?;
    let mut facts = None;
    let mut major = None;
    let mut supervision = None;
    let (status, handling_unit, next_due) = match header {
        Some(h) => {
            let ctx = Context {
                topology,
                calendar: &rules.calendar,
                limits: &rules.limits,
                higher_visits: &rules.higher_visits,
            };
            // Only a flagged or supervised case pays for one more derivation.
            if records.iter().any(|r| {
                matches!(
                    r.body,
                    case::Body::Major { .. } | case::Body::Supervision { .. }
                )
            }) {
                let d = case::derive(&h, &records, &ctx, h.received);
                supervision = d.supervisions.first().map(|s| (s.by.to_string(), s.due));
                major = d.major.map(|flag| {
                    let due = d
                        .deadlines
                        .iter()
                        .find(|x| x.kind == case::DeadlineKind::MajorOwnership)
                        .map(|x| x.due);
                    (flag, due)
                });
            }
            // The facts carry the derived status, holder and next deadline: one
            // derivation serves both tables (overdue is decided at query time).
            let f = crate::report::facts::facts(&view.case_no, &h, &view.details, &records, &ctx);
            let row = (
                f.status.clone(),
                f.handling_unit.clone(),
                f.next_due.map(|d| d.to_string()),
            );
            facts = Some(f);
            row
        }
        None => ("registered".to_owned(), view.unit.clone(), None),
    };
    let higher_visits = records
        .iter()
        .filter_map(|r| match &r.body {
            case::Body::HigherVisit { on, .. } => Some(*on),
            _ => None,
        })
        .fold(
            (0i64, None),
            |(n, last): (i64, Option<chrono::NaiveDate>), on| (n + 1, last.max(Some(on))),
        );
    let skip_level_of = view.details.skip_level_of.clone().or_else(|| {
        case::ordered(&records)
            .into_iter()
            .find_map(|r| match &r.body {
                case::Body::SkipLevelLink { of } => Some(of.clone()),
                _ => None,
            })
    });
    let owner = case::ordered(&records)
        .into_iter()
        .rev()
        .find_map(|r| match &r.body {
            case::Body::Ownership { leader, .. } => Some((
                leader.clone(),
                r.unit.to_string(),
                r.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            )),
            _ => None,
        });
    let bookings: Vec<case::reception::BookingSummary> =
        case::reception::fold(case::ordered(&records))
            .iter()
            .map(case::reception::Reception::summary)
            .collect();
    let receptions = (!bookings.is_empty())
        .then(|| serde_json::to_string(&bookings).ok())
        .flatten();
    Some(Projected {
        excerpt: excerpt(&view.content),
        view,
        status,
        handling_unit,
        next_due,
        owner,
        facts,
        major,
        higher_visits,
        skip_level_of,
        receptions,
        library: case::library::json(case::ordered(&records)),
        same_petitioner: case::same_petitioner_json(&records),
        supervision,
    })
}

#[cfg(test)]
mod tests {
    use super::{EXCERPT_CHARS, excerpt};

    #[test]
    fn a_demand_longer_than_a_list_shows_is_cut_at_a_character_and_marked() {
        let short = "拖欠工资".repeat(15);
        assert_eq!(short.chars().count(), EXCERPT_CHARS);
        assert_eq!(excerpt(&short), short, "at the limit: whole, unmarked");
        let long = format!("{short}三个月");
        let cut = excerpt(&long);
        assert_eq!(cut, format!("{short}…"));
        assert_eq!(cut.chars().count(), EXCERPT_CHARS + 1);
        // Characters, not bytes: three-byte CJK and ASCII alike.
        let mixed = "a".repeat(EXCERPT_CHARS - 1) + "工资";
        assert_eq!(excerpt(&mixed), "a".repeat(EXCERPT_CHARS - 1) + "工…");
        assert_eq!(excerpt(""), "");
    }
}
