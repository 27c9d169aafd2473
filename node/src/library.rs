//! The owned-case library service (包案案件库, seed 002): an office's library as
//! staff see it — each listed case with its proposals and owner, the leaders
//! of the roster whose portfolio covers it, and the leaders still without a
//! case where the unit's rules want each to own some — and the list of owned
//! cases as it is published online (挂网公示), without personal data. Cases are
//! listed and reported to leaders as case records (`case::library`), through
//! the case service, so every front keeps the same rules.

use std::sync::Arc;

use chrono::NaiveDate;
use serde::Serialize;
use xinfang_hub::UnitCode;

use crate::auth::{Action, Actor};
use crate::case::library::{Listing, portfolio_covers};
use crate::case::service::{CaseService, LibraryRow};
use crate::error::NodeError;
use crate::schedule::model::Leader;
use crate::schedule::ruleset::RuleKind;
use crate::schedule::service::ScheduleService;

/// One case of an office's library.
#[derive(Debug, Clone, Serialize)]
pub struct LibraryCase {
    pub case_no: String,
    pub listing: Listing,
    /// The case's status code (`Status::code`).
    pub status: String,
    pub handling_unit: String,
    /// Active leaders whose portfolio covers the case, not yet reported.
    pub suggested: Vec<String>,
}

/// An office's library.
#[derive(Debug, Clone, Serialize)]
pub struct Library {
    pub unit: UnitCode,
    pub cases: Vec<LibraryCase>,
    /// Leaders the unit's rules want to own cases (an `owned_cases` rule binds
    /// them) who have none selected (proposed or owned) from the library yet:
    /// seed 002, "为每位市领导同志各筛选 1 宗以上案件".
    pub leaders_without_case: Vec<String>,
}

/// An owned case as published: nothing that names or reaches the petitioner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublishedCase {
    pub public_title: String,
    pub area: String,
    pub leader: String,
    pub position: String,
    /// The unit handling it (责任单位), by name.
    pub handling_unit: String,
    pub owned_since: NaiveDate,
    /// Still being handled (false: closed or ended).
    pub open: bool,
}

pub struct LibraryService {
    cases: Arc<CaseService>,
    schedules: Arc<ScheduleService>,
}

impl LibraryService {
    pub fn new(cases: Arc<CaseService>, schedules: Arc<ScheduleService>) -> Self {
        LibraryService { cases, schedules }
    }

    fn me(&self) -> UnitCode {
        self.cases.hub_topology().0.clone()
    }

    fn own_rows(&self, rows: Vec<LibraryRow>) -> Vec<(LibraryRow, Listing)> {
        let me = self.me();
        rows.into_iter()
            .filter_map(|r| {
                let l = r.listings.iter().find(|l| l.office == me)?.clone();
                Some((r, l))
            })
            .collect()
    }

    /// This office's library, for staff who may read cases.
    pub async fn library(&self, who: &Actor) -> Result<Library, NodeError> {
        self.cases
            .guard()
            .authorize(who, Action::ReadCases, "")
            .await?;
        let me = self.me();
        let roster: Vec<Leader> = self
            .schedules
            .roster(&me)
            .await?
            .into_iter()
            .filter(|l| l.active)
            .collect();
        let rows = self.own_rows(self.cases.library_rows().await?);
        let cases: Vec<LibraryCase> = rows
            .into_iter()
            .map(|(r, listing)| {
                let suggested = match listing.owner {
                    Some(_) => Vec::new(),
                    None => roster
                        .iter()
                        .filter(|l| {
                            portfolio_covers(&l.portfolio, &listing.area, &listing.public_title)
                                && !listing.proposals.iter().any(|p| p.leader == l.name)
                        })
                        .map(|l| l.name.clone())
                        .collect(),
                };
                LibraryCase {
                    case_no: r.case_no,
                    status: r.status.code().to_owned(),
                    handling_unit: r.handling_unit,
                    suggested,
                    listing,
                }
            })
            .collect();
        let set = self.schedules.rule_set(&me);
        let bound = |l: &Leader| {
            set.rules
                .iter()
                .any(|r| r.kind == RuleKind::OwnedCases && r.binds(l))
        };
        let selected = |name: &str| {
            cases.iter().any(|c| {
                c.listing.proposals.iter().any(|p| p.leader == name)
                    || c.listing.owner.as_ref().is_some_and(|(o, _)| o == name)
            })
        };
        let leaders_without_case = roster
            .iter()
            .filter(|l| bound(l) && !selected(&l.name))
            .map(|l| l.name.clone())
            .collect();
        Ok(Library {
            unit: me,
            cases,
            leaders_without_case,
        })
    }

    /// [`published`](Self::published) for staff, who may read cases (the
    /// console shows them what the public page shows).
    pub async fn published_for(&self, who: &Actor) -> Result<Vec<PublishedCase>, NodeError> {
        self.cases
            .guard()
            .authorize(who, Action::ReadCases, "")
            .await?;
        self.published().await
    }

    /// The owned cases of this office's library as published online: those
    /// whose proposed leader agreed (seed 002: 市领导同志同意后由安排挂网公示).
    /// Public: no caller, and nothing personal in it.
    pub async fn published(&self) -> Result<Vec<PublishedCase>, NodeError> {
        let me = self.me();
        let roster = self.schedules.roster(&me).await?;
        let (_, topology) = self.cases.hub_topology();
        let name_of = |code: &str| {
            code.parse::<UnitCode>()
                .ok()
                .and_then(|c| topology.unit(&c).map(|u| u.name.clone()))
                .unwrap_or_else(|| code.to_owned())
        };
        let mut out: Vec<PublishedCase> = self
            .own_rows(self.cases.library_rows().await?)
            .into_iter()
            .filter_map(|(r, l)| {
                let (leader, since) = l.owner.clone()?;
                let position = roster
                    .iter()
                    .find(|x| x.name == leader)
                    .map(|x| x.position.clone())
                    .unwrap_or_default();
                Some(PublishedCase {
                    public_title: l.public_title,
                    area: l.area,
                    leader,
                    position,
                    handling_unit: name_of(&r.handling_unit),
                    owned_since: since,
                    open: r.status.is_open(),
                })
            })
            .collect();
        out.sort_by(|a, b| (&a.leader, a.owned_since).cmp(&(&b.leader, b.owned_since)));
        Ok(out)
    }
}
