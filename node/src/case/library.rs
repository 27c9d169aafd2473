//! The owned-case library (包案案件库, seed 002): an office lists the major or
//! hard cases fit for its leaders to own (建立包案案件库, from 重点领域、重点群体),
//! selects cases from it for each leader by the leader's portfolio and reports
//! them to the leader (筛选、呈报); once the leader agrees, the ownership record
//! (包案) is written and the case is published without personal data (挂网公示).
//!
//! The payloads' rules and a case's listings as they stand: [`fold`], [`writer`]
//! (who may write them) and [`admit`] (what must hold first). No IO.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use xinfang_hub::UnitCode;

use super::record::{Body, Record, local_day};

/// A case as listed in one office's library, with what followed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listing {
    /// The office whose library holds the case.
    pub office: UnitCode,
    /// The key area or group it comes from (重点领域、重点群体).
    pub area: String,
    /// What is published: the matter without personal data.
    pub public_title: String,
    pub reason: String,
    pub on: NaiveDate,
    /// Reported to leaders for ownership (呈报), in order.
    pub proposals: Vec<Proposal>,
    /// The leader who agreed and owns it (a later ownership by the same office
    /// naming a proposed leader).
    pub owner: Option<(String, NaiveDate)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proposal {
    pub leader: String,
    /// Why this leader: the portfolio the case falls under (工作分工).
    pub basis: String,
    pub on: NaiveDate,
}

impl Listing {
    /// Published (挂网公示) once the proposed leader agreed: seed 002, "市领导
    /// 同志同意后由安排挂网公示".
    pub fn published(&self) -> bool {
        self.owner.is_some()
    }
}

/// A case's listings, one per office, in record order.
pub fn fold<'a>(records: impl IntoIterator<Item = &'a Record>) -> Vec<Listing> {
    let mut out: Vec<Listing> = Vec::new();
    for r in records {
        let day = local_day(r.at);
        match &r.body {
            Body::LibraryEntry {
                area,
                public_title,
                reason,
            } if !out.iter().any(|l| l.office == r.unit) => out.push(Listing {
                office: r.unit.clone(),
                area: area.clone(),
                public_title: public_title.clone(),
                reason: reason.clone(),
                on: day,
                proposals: Vec::new(),
                owner: None,
            }),
            Body::OwnershipProposal { leader, basis } => {
                if let Some(l) = out.iter_mut().find(|l| l.office == r.unit) {
                    l.proposals.push(Proposal {
                        leader: leader.clone(),
                        basis: basis.clone(),
                        on: day,
                    });
                }
            }
            Body::Ownership { leader, .. } => {
                if let Some(l) = out.iter_mut().find(|l| {
                    l.office == r.unit
                        && l.owner.is_none()
                        && l.proposals.iter().any(|p| &p.leader == leader)
                }) {
                    l.owner = Some((leader.clone(), day));
                }
            }
            _ => {}
        }
    }
    out
}

/// A case's listings as a query table keeps them (None: in no library).
pub fn json<'a>(records: impl IntoIterator<Item = &'a Record>) -> Option<String> {
    let listings = fold(records);
    (!listings.is_empty())
        .then(|| serde_json::to_string(&listings).ok())
        .flatten()
}

/// Who may write a library record: a unit the case concerns, each in its own
/// library (a proposal reports a case of the writer's library: [`admit`]; one
/// from a peer naming a library it has not is not folded into any).
pub fn writer(concerned: bool) -> (bool, &'static str, String) {
    (
        concerned,
        "record.by_unit_concerned",
        "a unit the case concerns or a superior of one".to_owned(),
    )
}

/// What must hold before a library record is written: the entry's texts, one
/// listing per office, an open case; a proposal names a leader, for a listed
/// case not owned yet. (That the leader is on the roster is the node's check.)
pub fn admit(listings: &[Listing], new: &Record, open: bool) -> Result<(), (&'static str, String)> {
    let own = listings.iter().find(|l| l.office == new.unit);
    match &new.body {
        Body::LibraryEntry {
            area,
            public_title,
            reason,
        } => {
            for (field, text) in [
                ("area", area),
                ("public_title", public_title),
                ("reason", reason),
            ] {
                if text.trim().is_empty() {
                    return Err((
                        "library.entry_text",
                        format!("a library entry states its {field}"),
                    ));
                }
            }
            if let Some(l) = own {
                return Err((
                    "library.once",
                    format!(
                        "the case is in {}'s library already (since {})",
                        l.office, l.on
                    ),
                ));
            }
            if !open {
                return Err((
                    "library.open_case",
                    "only a case still being handled is listed for a leader to own".to_owned(),
                ));
            }
        }
        Body::OwnershipProposal { leader, basis } => {
            let Some(l) = own else {
                return Err((
                    "library.not_listed",
                    format!(
                        "the case is not in {}'s library: list it before reporting it to a leader",
                        new.unit
                    ),
                ));
            };
            if leader.trim().is_empty() || basis.trim().is_empty() {
                return Err((
                    "library.proposal_text",
                    "a proposal names the leader and the portfolio it falls under".to_owned(),
                ));
            }
            if let Some((owner, _)) = &l.owner {
                return Err((
                    "library.owned",
                    format!("the case is owned by {owner} already"),
                ));
            }
            if l.proposals.iter().any(|p| &p.leader == leader) {
                return Err((
                    "library.proposed_twice",
                    format!("the case was reported to {leader} already"),
                ));
            }
        }
        _ => {}
    }
    Ok(())
}

/// Whether a leader's portfolio (分管工作) covers a listing: a term of the
/// portfolio (split at 、，, and spaces) appears in the area or the title, or
/// the area in the portfolio. A suggestion for the office, never a rule.
pub fn portfolio_covers(portfolio: &str, listing_area: &str, public_title: &str) -> bool {
    let area = listing_area.trim();
    if area.is_empty() || portfolio.trim().is_empty() {
        return false;
    }
    if portfolio.contains(area) {
        return true;
    }
    portfolio
        .split(['、', '，', ',', ' ', '；', ';', '和', '及'])
        .map(|t| t.trim().trim_end_matches("工作"))
        .filter(|t| t.chars().count() >= 2)
        .any(|t| area.contains(t) || public_title.contains(t))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn unit(s: &str) -> UnitCode {
        s.parse().unwrap()
    }

    fn rec(id: &str, u: &str, day: u32, body: Body) -> Record {
        Record {
            id: id.into(),
            unit: unit(u),
            at: Utc.with_ymd_and_hms(2026, 3, day, 2, 0, 0).unwrap(),
            body,
            by: None,
        }
    }

    fn entry() -> Body {
        Body::LibraryEntry {
            area: "征地拆迁".into(),
            public_title: "某村征地补偿问题".into(),
            reason: "重复信访三次".into(),
        }
    }

    fn proposal(leader: &str) -> Body {
        Body::OwnershipProposal {
            leader: leader.into(),
            basis: "分管自然资源".into(),
        }
    }

    #[test]
    fn a_listing_is_owned_once_a_proposed_leader_agrees() {
        let county = "441521";
        let own = |leader: &str| Body::Ownership {
            leader: leader.into(),
            duties: crate::case::record::Duty::all(),
            principal: false,
            work_group: Vec::new(),
        };
        let records = [
            rec("a", county, 2, entry()),
            // An ownership before any proposal is not the library's.
            rec("b", county, 3, own("李四")),
            rec("c", county, 4, proposal("张三")),
            rec("d", county, 5, own("张三")),
        ];
        let l = fold(&records);
        assert_eq!(l.len(), 1);
        assert_eq!(l[0].proposals.len(), 1);
        assert_eq!(
            l[0].owner,
            Some(("张三".into(), NaiveDate::from_ymd_opt(2026, 3, 5).unwrap()))
        );
        assert!(l[0].published());
    }

    #[test]
    fn entries_and_proposals_are_refused_by_rule() {
        let county = "441521";
        let listed = fold(&[rec("a", county, 2, entry())]);
        let code = |r: Result<(), (&'static str, String)>| r.unwrap_err().0;
        assert_eq!(
            code(admit(&listed, &rec("b", county, 3, entry()), true)),
            "library.once"
        );
        assert_eq!(
            code(admit(&[], &rec("b", county, 3, entry()), false)),
            "library.open_case"
        );
        let blank = Body::LibraryEntry {
            area: "征地".into(),
            public_title: " ".into(),
            reason: "x".into(),
        };
        assert_eq!(
            code(admit(&[], &rec("b", county, 3, blank), true)),
            "library.entry_text"
        );
        assert_eq!(
            code(admit(&[], &rec("b", county, 3, proposal("张三")), true)),
            "library.not_listed"
        );
        let proposed = fold(&[
            rec("a", county, 2, entry()),
            rec("b", county, 3, proposal("张三")),
        ]);
        assert_eq!(
            code(admit(
                &proposed,
                &rec("c", county, 4, proposal("张三")),
                true
            )),
            "library.proposed_twice"
        );
        assert!(admit(&proposed, &rec("c", county, 4, proposal("李四")), true).is_ok());
        // Another office's library is its own: the town cannot report the county's.
        assert_eq!(
            code(admit(
                &proposed,
                &rec("c", "441521115000", 4, proposal("王五")),
                true
            )),
            "library.not_listed"
        );
    }

    #[test]
    fn a_portfolio_covers_the_areas_it_names() {
        assert!(portfolio_covers(
            "分管自然资源、征地拆迁工作",
            "征地拆迁",
            "x"
        ));
        assert!(portfolio_covers(
            "城乡建设，交通",
            "城乡建设领域",
            "物业纠纷"
        ));
        assert!(!portfolio_covers(
            "教育、卫生健康",
            "征地拆迁",
            "某村征地补偿"
        ));
        assert!(!portfolio_covers("", "征地拆迁", "x"));
    }
}
