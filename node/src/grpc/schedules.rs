//! The gRPC adapter for schedules (`xinfang.v1.Schedules`): requests in, the
//! service's answers out, errors through the node's one mapping to `Status`.

use std::sync::Arc;

use tonic::{Request, Response, Status};
use xinfang_proto::v1 as pb;
use xinfang_proto::v1::schedules_server::Schedules;

use crate::auth::{Action, Guard};
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
        self.may(&r, Action::EditSchedule).await?;
        Ok(Response::new(self.service.draft(r.into_inner()).await?))
    }

    async fn import(&self, r: Request<pb::ImportRequest>) -> Answer<pb::ScheduleView> {
        self.may(&r, Action::EditSchedule).await?;
        Ok(Response::new(self.service.import(r.into_inner()).await?))
    }

    async fn add_entry(&self, r: Request<pb::AddEntryRequest>) -> Answer<pb::ScheduleView> {
        self.may(&r, Action::EditSchedule).await?;
        Ok(Response::new(self.service.add_entry(r.into_inner()).await?))
    }

    async fn remove_entry(&self, r: Request<pb::RemoveEntryRequest>) -> Answer<pb::ScheduleView> {
        self.may(&r, Action::EditSchedule).await?;
        Ok(Response::new(
            self.service.remove_entry(r.into_inner()).await?,
        ))
    }

    async fn check(&self, r: Request<pb::MonthRequest>) -> Answer<pb::ScheduleView> {
        self.may(&r, Action::ReadSchedules).await?;
        Ok(Response::new(self.service.check(r.into_inner()).await?))
    }

    async fn review(&self, r: Request<pb::DecisionRequest>) -> Answer<pb::ScheduleView> {
        let op = self.may(&r, Action::ReviewSchedule).await?;
        Ok(Response::new(
            self.service.review(r.into_inner(), &op).await?,
        ))
    }

    async fn approve(&self, r: Request<pb::DecisionRequest>) -> Answer<pb::ScheduleView> {
        let op = self.may(&r, Action::ApproveSchedule).await?;
        Ok(Response::new(
            self.service.approve(r.into_inner(), &op).await?,
        ))
    }

    async fn publish(&self, r: Request<pb::MonthRequest>) -> Answer<pb::ScheduleView> {
        let op = self.may(&r, Action::PublishSchedule).await?;
        Ok(Response::new(
            self.service.publish(r.into_inner(), &op).await?,
        ))
    }

    async fn adjust(&self, r: Request<pb::AdjustRequest>) -> Answer<pb::ScheduleView> {
        let op = self.may(&r, Action::AdjustSchedule).await?;
        Ok(Response::new(
            self.service.adjust(r.into_inner(), &op).await?,
        ))
    }

    async fn get(&self, r: Request<pb::MonthRequest>) -> Answer<pb::ScheduleView> {
        self.may(&r, Action::ReadSchedules).await?;
        Ok(Response::new(self.service.get(r.into_inner()).await?))
    }

    async fn export(&self, r: Request<pb::ExportRequest>) -> Answer<pb::ExportReply> {
        self.may(&r, Action::ReadSchedules).await?;
        Ok(Response::new(self.service.export(r.into_inner()).await?))
    }

    async fn record_attendance(
        &self,
        r: Request<pb::AttendanceRequest>,
    ) -> Answer<pb::ScheduleView> {
        let op = self.may(&r, Action::RecordAttendance).await?;
        Ok(Response::new(
            self.service.record_attendance(r.into_inner(), &op).await?,
        ))
    }

    async fn filings(&self, r: Request<pb::FilingsRequest>) -> Answer<pb::FilingBoard> {
        self.may(&r, Action::ReadSchedules).await?;
        Ok(Response::new(self.service.filings(r.into_inner()).await?))
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
