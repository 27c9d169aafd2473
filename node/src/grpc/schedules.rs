//! The gRPC adapter for schedules (`xinfang.v1.Schedules`): requests in, the
//! service's answers out, errors through the node's one mapping to `Status`.

use std::sync::Arc;

use tonic::{Request, Response, Status};
use xinfang_proto::v1 as pb;
use xinfang_proto::v1::schedules_server::Schedules;

use super::node::lang;
use crate::auth::{Action, Guard};
use crate::labels::Lang;
use crate::schedule::labels;
use crate::schedule::service::ScheduleService;

pub struct SchedulesApi {
    service: Arc<ScheduleService>,
    guard: Arc<Guard>,
}

impl SchedulesApi {
    pub fn new(service: Arc<ScheduleService>, guard: Arc<Guard>) -> Self {
        SchedulesApi { service, guard }
    }

    /// The first line of every handler: who asks, and may they. Returns the
    /// user's name, which decisions record (`recorded_by`).
    async fn may<T>(&self, r: &Request<T>, action: Action) -> Result<String, Status> {
        Ok(self.guard.check(r, action, "").await?.name)
    }
}

type Answer<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl Schedules for SchedulesApi {
    async fn get_roster(&self, r: Request<pb::UnitRequest>) -> Answer<pb::Roster> {
        self.may(&r, Action::ReadSchedules).await?;
        Ok(Response::new(
            self.service.get_roster(&r.into_inner().unit).await?,
        ))
    }

    async fn put_leader(&self, r: Request<pb::PutLeaderRequest>) -> Answer<pb::Roster> {
        self.may(&r, Action::EditSchedule).await?;
        Ok(Response::new(
            self.service.put_leader(r.into_inner()).await?,
        ))
    }

    async fn draft(&self, r: Request<pb::MonthRequest>) -> Answer<pb::ScheduleView> {
        let lang = lang(&r);
        self.may(&r, Action::EditSchedule).await?;
        Ok(Response::new(labelled(
            self.service.draft(r.into_inner()).await?,
            lang,
        )))
    }

    async fn import(&self, r: Request<pb::ImportRequest>) -> Answer<pb::ScheduleView> {
        let lang = lang(&r);
        self.may(&r, Action::EditSchedule).await?;
        Ok(Response::new(labelled(
            self.service.import(r.into_inner()).await?,
            lang,
        )))
    }

    async fn add_entry(&self, r: Request<pb::AddEntryRequest>) -> Answer<pb::ScheduleView> {
        let lang = lang(&r);
        self.may(&r, Action::EditSchedule).await?;
        Ok(Response::new(labelled(
            self.service.add_entry(r.into_inner()).await?,
            lang,
        )))
    }

    async fn remove_entry(&self, r: Request<pb::RemoveEntryRequest>) -> Answer<pb::ScheduleView> {
        let lang = lang(&r);
        self.may(&r, Action::EditSchedule).await?;
        Ok(Response::new(labelled(
            self.service.remove_entry(r.into_inner()).await?,
            lang,
        )))
    }

    async fn check(&self, r: Request<pb::MonthRequest>) -> Answer<pb::ScheduleView> {
        let lang = lang(&r);
        self.may(&r, Action::ReadSchedules).await?;
        Ok(Response::new(labelled(
            self.service.check(r.into_inner()).await?,
            lang,
        )))
    }

    async fn review(&self, r: Request<pb::DecisionRequest>) -> Answer<pb::ScheduleView> {
        let lang = lang(&r);
        let op = self.may(&r, Action::ReviewSchedule).await?;
        Ok(Response::new(labelled(
            self.service.review(r.into_inner(), &op).await?,
            lang,
        )))
    }

    async fn approve(&self, r: Request<pb::DecisionRequest>) -> Answer<pb::ScheduleView> {
        let lang = lang(&r);
        let op = self.may(&r, Action::ApproveSchedule).await?;
        Ok(Response::new(labelled(
            self.service.approve(r.into_inner(), &op).await?,
            lang,
        )))
    }

    async fn publish(&self, r: Request<pb::MonthRequest>) -> Answer<pb::ScheduleView> {
        let lang = lang(&r);
        let op = self.may(&r, Action::PublishSchedule).await?;
        Ok(Response::new(labelled(
            self.service.publish(r.into_inner(), &op).await?,
            lang,
        )))
    }

    async fn adjust(&self, r: Request<pb::AdjustRequest>) -> Answer<pb::ScheduleView> {
        let lang = lang(&r);
        let op = self.may(&r, Action::AdjustSchedule).await?;
        Ok(Response::new(labelled(
            self.service.adjust(r.into_inner(), &op).await?,
            lang,
        )))
    }

    async fn get(&self, r: Request<pb::MonthRequest>) -> Answer<pb::ScheduleView> {
        let lang = lang(&r);
        self.may(&r, Action::ReadSchedules).await?;
        Ok(Response::new(labelled(
            self.service.get(r.into_inner()).await?,
            lang,
        )))
    }

    async fn export(&self, r: Request<pb::ExportRequest>) -> Answer<pb::ExportReply> {
        self.may(&r, Action::ReadSchedules).await?;
        Ok(Response::new(self.service.export(r.into_inner()).await?))
    }

    async fn record_attendance(
        &self,
        r: Request<pb::AttendanceRequest>,
    ) -> Answer<pb::ScheduleView> {
        let lang = lang(&r);
        let op = self.may(&r, Action::RecordAttendance).await?;
        Ok(Response::new(labelled(
            self.service.record_attendance(r.into_inner(), &op).await?,
            lang,
        )))
    }

    async fn filings(&self, r: Request<pb::FilingsRequest>) -> Answer<pb::FilingBoard> {
        let lang = lang(&r);
        self.may(&r, Action::ReadSchedules).await?;
        Ok(Response::new(labelled_board(
            self.service.filings(r.into_inner()).await?,
            lang,
        )))
    }

    async fn generate_quarterly(
        &self,
        r: Request<pb::QuarterRequest>,
    ) -> Answer<pb::QuarterlyView> {
        self.may(&r, Action::GenerateQuarterly).await?;
        Ok(Response::new(
            self.service.generate_quarterly(r.into_inner()).await?,
        ))
    }

    async fn get_quarterly(&self, r: Request<pb::QuarterRequest>) -> Answer<pb::QuarterlyView> {
        self.may(&r, Action::ReadSchedules).await?;
        Ok(Response::new(
            self.service.get_quarterly(r.into_inner()).await?,
        ))
    }

    async fn export_quarterly(&self, r: Request<pb::QuarterRequest>) -> Answer<pb::ExportReply> {
        self.may(&r, Action::ReadSchedules).await?;
        Ok(Response::new(
            self.service.export_quarterly(r.into_inner()).await?,
        ))
    }
}

/// A schedule view with its labels in the caller's language.
fn labelled(mut v: pb::ScheduleView, lang: Lang) -> pb::ScheduleView {
    v.state_label = labels::state_of_code(&v.state)
        .map(|l| l.get(lang).to_owned())
        .unwrap_or_else(|| v.state.clone());
    v.filing_status_label = labels::filing_of_code(&v.filing_status)
        .map(|l| l.get(lang).to_owned())
        .unwrap_or_else(|| v.filing_status.clone());
    v
}

/// A filing board with its labels in the caller's language.
fn labelled_board(mut b: pb::FilingBoard, lang: Lang) -> pb::FilingBoard {
    for row in &mut b.rows {
        row.status_label = labels::filing_of_code(&row.status)
            .map(|l| l.get(lang).to_owned())
            .unwrap_or_else(|| row.status.clone());
    }
    b
}
