//! What this unit owes upward (报备待办), for the worklist: this month's and next
//! month's reception schedule against the rule set's filing day, and the register
//! of the quarter just ended; beside it, for a superior, the units below whose
//! schedule for next month is missing. Statuses are the filing rule's
//! ([`filing::status`]); the worklist only shows them.

use chrono::{DateTime, NaiveDate, Utc};
use xinfang_hub::UnitCode;

use super::ScheduleService;
use crate::auth::{Action, Actor};
use crate::error::NodeError;
use crate::schedule::filing::{self, FilingStatus, OwedKind};
use crate::schedule::model::{Month, Quarter};

/// One document this unit files with its superior.
#[derive(Debug, Clone)]
pub struct OwedFiling {
    pub kind: OwedKind,
    /// `YYYY-MM` or `YYYY-Qn`.
    pub period: String,
    /// The last day to file on time (a register has none: it is generated).
    pub due: Option<NaiveDate>,
    pub status: FilingStatus,
    pub filed_at: Option<DateTime<Utc>>,
}

/// A unit below us whose schedule is missing (past the filing day, not held).
#[derive(Debug, Clone)]
pub struct MissingFiling {
    pub unit: UnitCode,
    pub unit_name: String,
    pub month: String,
    pub due: NaiveDate,
}

/// The worklist's filings: ours, and the missing ones below us.
#[derive(Debug, Clone, Default)]
pub struct FilingsDue {
    pub own: Vec<OwedFiling>,
    pub missing_below: Vec<MissingFiling>,
}

impl ScheduleService {
    /// What this unit has filed or still owes, and who below has not filed.
    pub async fn filings_due(&self, who: &Actor) -> Result<FilingsDue, NodeError> {
        self.authorize(who, Action::ReadSchedules).await?;
        let me = self.hub.me().clone();
        let now = self.now();
        let today = filing::local_day(now);
        let mut own = Vec::new();
        // A root files with nobody.
        let files_upward = self
            .topology()
            .unit(&me)
            .is_some_and(|u| u.parent.is_some());
        if files_upward {
            let set = self.sets.of(&me).clone();
            let this_month = Month::of(today);
            let quarter = Quarter::of(this_month).prev();
            // Whether each is held and since when is all that is asked: one
            // question, no document read.
            let schedule = |m: Month| crate::docid::schedule(&me, m);
            let register_id = crate::docid::quarterly(&me, quarter);
            let mut ids: Vec<String> = [this_month, this_month.next()]
                .into_iter()
                .chain(quarter.months())
                .map(schedule)
                .collect();
            ids.push(register_id.clone());
            let held: std::collections::HashMap<String, DateTime<Utc>> = self
                .hub
                .held(&ids)
                .await?
                .into_iter()
                .filter_map(|(id, ms)| DateTime::from_timestamp_millis(ms).map(|t| (id, t)))
                .collect();
            for month in [this_month, this_month.next()] {
                let filed_at = held.get(&schedule(month)).copied();
                own.push(OwedFiling {
                    kind: OwedKind::Schedule,
                    period: month.to_string(),
                    due: Some(set.filing.deadline_for(month)),
                    status: filing::status(filed_at, filing::deadline_end(&set, month), now),
                    filed_at,
                });
            }
            let register = held.get(&register_id).copied();
            // A quarter without a filed schedule has nothing to register.
            let kept = quarter
                .months()
                .into_iter()
                .any(|m| held.contains_key(&schedule(m)));
            if register.is_some() || kept {
                own.push(OwedFiling {
                    kind: OwedKind::Quarterly,
                    period: quarter.to_string(),
                    due: None,
                    status: if register.is_some() {
                        FilingStatus::OnTime
                    } else {
                        FilingStatus::Pending
                    },
                    filed_at: register,
                });
            }
        }
        Ok(FilingsDue {
            own,
            missing_below: self.missing_below(now).await?,
        })
    }

    /// Units below whose schedule for next month is missing. Only whether one is
    /// held is asked (a key lookup, no document read): the filing board has the
    /// rest.
    async fn missing_below(&self, now: DateTime<Utc>) -> Result<Vec<MissingFiling>, NodeError> {
        let me = self.hub.me().clone();
        let topo = self.topology().clone();
        let month = Month::of(filing::local_day(now)).next();
        let below: Vec<UnitCode> = topo
            .tree_order(&me)
            .into_iter()
            .filter(|c| *c != me)
            .collect();
        // One question for all of them: a city has over a thousand units below.
        let ids: Vec<String> = below
            .iter()
            .map(|c| crate::docid::schedule(c, month))
            .collect();
        let held: std::collections::HashSet<String> = self
            .hub
            .held(&ids)
            .await?
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        let mut out = Vec::new();
        for (code, id) in below.into_iter().zip(ids) {
            let Some(u) = topo.unit(&code) else { continue };
            let set = self.sets.of(&code);
            let received = held.contains(&id).then_some(now);
            if filing::status(received, filing::deadline_end(set, month), now)
                == FilingStatus::Missing
            {
                out.push(MissingFiling {
                    unit: code.clone(),
                    unit_name: u.name.clone(),
                    month: month.to_string(),
                    due: set.filing.deadline_for(month),
                });
            }
        }
        Ok(out)
    }
}
