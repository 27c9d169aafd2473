//! Publishing a year of the holiday calendar, listing the years a node counts
//! by, and the keeper that puts published years in force as they arrive. Every
//! front (the gRPC API, the CLI through it) comes here.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Datelike, SecondsFormat, Utc};
use tokio::sync::{Mutex, watch};
use xinfang_hub::{Create, Hub, UnitCode};
use xinfang_proto::v1 as pb;

use super::{CALENDAR_PREFIX, PublishedYear, in_force, one_year, read, write};
use crate::auth::{Action, Actor, Guard};
use crate::error::NodeError;
use crate::labels::Said;
use crate::projection::Projector;
use crate::rules::CaseRules;
use crate::rules::calendar::HolidayCalendar;

/// How many published years a node reads at most (one a year per superior).
const MAX_HELD: usize = 10_000;

/// The published calendar documents held, by id and feed position.
async fn held_versions(hub: &Hub) -> Result<Vec<(String, u64)>, NodeError> {
    let ids = hub.ids_with_prefix(CALENDAR_PREFIX, MAX_HELD).await?;
    let mut out = Vec::new();
    for id in ids {
        if let Some(h) = hub.get(&id).await? {
            out.push((id, h.seq));
        }
    }
    Ok(out)
}

/// Reads the published years held and puts in force those of this unit and
/// its superiors: at start, before the query tables are read (their shape
/// names the years in force), and by the keeper as years arrive. What was read,
/// and whether the days counted changed.
pub async fn put_in_force(
    hub: &Hub,
    calendar: &HolidayCalendar,
) -> Result<(Vec<(String, u64)>, bool), NodeError> {
    let ids = hub.ids_with_prefix(CALENDAR_PREFIX, MAX_HELD).await?;
    let mut seen = Vec::new();
    let mut held = Vec::new();
    for id in &ids {
        let Some((issuer, year)) = crate::docid::calendar_of(id) else {
            continue;
        };
        if let Some(h) = hub.get(id).await? {
            seen.push((id.clone(), h.seq));
            if let Some(p) = read(&h.loaded.doc, &issuer, year) {
                held.push(p);
            }
        }
    }
    let chosen = in_force(hub.topology(), hub.me(), held);
    let years: BTreeMap<i32, String> = chosen
        .iter()
        .map(|(y, issuer)| (y.year, issuer.clone()))
        .collect();
    let changed = calendar.set_published(chosen);
    if changed {
        tracing::info!(?years, "holiday calendar: published years now in force");
    }
    Ok((seen, changed))
}

pub struct CalendarService {
    hub: Hub,
    guard: Arc<Guard>,
    rules: Arc<CaseRules>,
    projector: Arc<Projector>,
    /// The published documents last put in force, by id and feed position.
    applied: Mutex<Option<Vec<(String, u64)>>>,
}

impl CalendarService {
    /// `applied`: what [`put_in_force`] found at start, before the query
    /// tables were first read.
    pub fn new(
        hub: Hub,
        guard: Arc<Guard>,
        rules: Arc<CaseRules>,
        projector: Arc<Projector>,
        applied: Vec<(String, u64)>,
    ) -> Self {
        CalendarService {
            hub,
            guard,
            rules,
            projector,
            applied: Mutex::new(Some(applied)),
        }
    }

    pub fn guard(&self) -> &Guard {
        &self.guard
    }

    fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.hub.now_ms()).unwrap_or_else(Utc::now)
    }

    /// Publishes one year to this unit's subtree: checked as the shipped data
    /// is, written as `calendar/<unit>/<year>` (replacing this unit's earlier
    /// publication of it), and in force here at once.
    pub async fn publish(
        &self,
        who: &Actor,
        req: pb::PublishYearRequest,
    ) -> Result<pb::CalendarView, NodeError> {
        self.guard
            .authorize(who, Action::PublishCalendar, "")
            .await?;
        if req.toml.trim().is_empty() {
            return Err(NodeError::empty("toml"));
        }
        let year = one_year(&req.toml, None).map_err(|e| {
            NodeError::invalid(
                "toml",
                Said::new(format!("节假日安排数据有误：{e}"), e.clone()),
            )
        })?;
        let me = self.hub.me().clone();
        let p = PublishedYear {
            issuer: me.clone(),
            year: year.year,
            text: req.toml.trim().to_owned(),
            published_at: self.now().to_rfc3339_opts(SecondsFormat::Millis, true),
            published_by: who.name.clone(),
        };
        let id = crate::docid::calendar(&me, year.year);
        let topology = self.hub.topology().clone();
        let create = match self.hub.get(&id).await? {
            Some(_) => Create::Existing,
            None => Create::New,
        };
        self.hub
            .update(&id, create, |d| write(d, &id, &p, &topology))
            .await?;
        tracing::info!(year = year.year, by = %who.name, "published a holiday calendar year");
        self.apply().await?;
        self.view()
    }

    /// The years this node counts by.
    pub async fn get(&self, who: &Actor) -> Result<pb::CalendarView, NodeError> {
        self.guard.authorize(who, Action::ReadStatus, "").await?;
        self.view()
    }

    fn view(&self) -> Result<pb::CalendarView, NodeError> {
        let cal = &self.rules.calendar;
        let published = cal.published();
        let topology = self.hub.topology();
        let years = cal
            .years()
            .into_iter()
            .filter_map(|y| {
                let (source, off, work) = cal.describe(y)?;
                let by = published.get(&y);
                let issuer = by.map(|p| p.issuer.clone()).unwrap_or_default();
                Some(pb::CalendarYear {
                    year: y,
                    origin: if by.is_some() { "published" } else { "shipped" }.to_owned(),
                    issuer_name: issuer
                        .parse::<UnitCode>()
                        .ok()
                        .and_then(|u| topology.unit(&u).map(|x| x.name.clone()))
                        .unwrap_or_default(),
                    issuer,
                    source,
                    days_off: off as u32,
                    working_weekend_days: work as u32,
                })
            })
            .collect();
        // This year and next: a year without data counts weekends only.
        let this = crate::case::local_day(self.now()).year();
        let missing = [this, this + 1]
            .into_iter()
            .filter(|y| !cal.has_year(*y))
            .collect();
        Ok(pb::CalendarView { years, missing })
    }

    /// Reads the published years held here and puts in force those of this
    /// unit and its superiors; when that changes what days count, the query
    /// tables (deadlines) are derived again.
    pub async fn apply(&self) -> Result<bool, NodeError> {
        let mut applied = self.applied.lock().await;
        let seen = held_versions(&self.hub).await?;
        if applied.as_ref() == Some(&seen) {
            return Ok(false);
        }
        let (seen, changed) = put_in_force(&self.hub, &self.rules.calendar).await?;
        *applied = Some(seen);
        drop(applied);
        if changed {
            // The deadlines in the query tables count these days: derive them again.
            self.projector.catch_up().await?;
        }
        Ok(changed)
    }

    /// Puts published years in force at start and whenever the feed moves (at
    /// most once a second), until `shutdown`.
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let mut head = self.hub.subscribe();
        loop {
            if let Err(e) = self.apply().await {
                tracing::warn!(error = %e, "holiday calendar: could not read the published years");
            }
            tokio::select! {
                changed = head.changed() => if changed.is_err() { return },
                _ = shutdown.changed() => return,
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = shutdown.changed() => return,
            }
        }
    }
}
