//! The quarter's reception plan as published online (seed 002: 1 月底前将第一
//! 季度市领导接访时间、地点、形式以及所接访的信访事项安排挂网公示): the receptions of
//! this unit's published months (the publication step of each month's filed
//! schedule), as adjusted, with each leader's portfolio and how many matters
//! are booked for that reception. Public: nothing of any petitioner.

use chrono::NaiveDate;

use super::ScheduleService;
use crate::error::NodeError;
use crate::schedule::filing;
use crate::schedule::model::{Month, Quarter};
use crate::schedule::workflow::State;

/// One published reception.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedReception {
    pub date: NaiveDate,
    pub leader: String,
    pub position: String,
    pub portfolio: String,
    pub place: String,
    /// The reception form's name (定点接访, 约访, …).
    pub form: String,
    /// The hours, where the schedule gives them.
    pub time: Option<String>,
    /// 专题接访's topic.
    pub topic: Option<String>,
    /// Matters booked for it (约访: `case::reception`).
    pub booked: usize,
}

/// A quarter's plan: which of its months are published, and their receptions.
#[derive(Debug, Clone)]
pub struct PublishedPlan {
    pub unit_name: String,
    pub quarter: Quarter,
    pub published: Vec<Month>,
    pub receptions: Vec<PlannedReception>,
}

impl ScheduleService {
    /// The quarter containing today, as the public page shows it by default.
    pub fn current_quarter(&self) -> Quarter {
        Quarter::of(Month::of(self.today()))
    }

    /// This unit's published plan for `quarter` (no caller: it is public).
    pub async fn published_plan(&self, quarter: Quarter) -> Result<PublishedPlan, NodeError> {
        let me = self.hub.me().clone();
        let roster = self.roster(&me).await?;
        let booked = self.booked_cases().await?;
        let forms = self.reception_forms();
        let mut published = Vec::new();
        let mut receptions = Vec::new();
        for month in quarter.months() {
            let Some((f, _)) = self.filed(&me, month).await? else {
                continue;
            };
            if super::filed_state(&f) != State::Published {
                continue;
            }
            published.push(month);
            for e in filing::effective(&f) {
                let count = booked
                    .iter()
                    .flat_map(|(_, b)| b)
                    .filter(|b| b.office == me && b.date == e.date && b.leader == e.leader)
                    .count();
                receptions.push(PlannedReception {
                    date: e.date,
                    portfolio: roster
                        .iter()
                        .find(|l| l.name == e.leader)
                        .map(|l| l.portfolio.clone())
                        .unwrap_or_default(),
                    form: forms
                        .iter()
                        .find(|(code, _)| *code == e.form)
                        .map_or_else(|| e.form.clone(), |(_, name)| name.clone()),
                    time: e.time.map(|t| t.to_string()),
                    topic: e.topic.clone(),
                    leader: e.leader,
                    position: e.position,
                    place: e.place,
                    booked: count,
                });
            }
        }
        receptions.sort_by(|a, b| (a.date, &a.leader).cmp(&(b.date, &b.leader)));
        Ok(PublishedPlan {
            unit_name: self.unit_name(&me),
            quarter,
            published,
            receptions,
        })
    }
}
