//! The gRPC adapter for schedules (`xinfang.v1.Schedules`): requests in, the
//! service's answers out, errors through the node's one mapping to `Status`.

use std::sync::Arc;

use tonic::{Request, Response, Status};
use xinfang_hub::pki::{PeerIdentity, identity_of};
use xinfang_proto::v1 as pb;
use xinfang_proto::v1::schedules_server::Schedules;

use crate::schedule::service::ScheduleService;

pub struct SchedulesApi {
    service: Arc<ScheduleService>,
}

impl SchedulesApi {
    pub fn new(service: Arc<ScheduleService>) -> Self {
        SchedulesApi { service }
    }
}

/// Who recorded a decision: the operator certificate's name.
fn operator<T>(req: &Request<T>) -> String {
    req.peer_certs()
        .and_then(|certs| certs.first().map(|c| identity_of(c.as_ref())))
        .map(|id| match id {
            Ok(PeerIdentity::Operator(name)) => name,
            Ok(other) => other.to_string(),
            Err(_) => "unknown".to_owned(),
        })
        .unwrap_or_else(|| "local (no TLS)".to_owned())
}

type Answer<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl Schedules for SchedulesApi {
    async fn get_roster(&self, r: Request<pb::UnitRequest>) -> Answer<pb::Roster> {
        Ok(Response::new(
            self.service.get_roster(&r.into_inner().unit).await?,
        ))
    }

    async fn put_leader(&self, r: Request<pb::PutLeaderRequest>) -> Answer<pb::Roster> {
        Ok(Response::new(
            self.service.put_leader(r.into_inner()).await?,
        ))
    }

    async fn draft(&self, r: Request<pb::MonthRequest>) -> Answer<pb::ScheduleView> {
        Ok(Response::new(self.service.draft(r.into_inner()).await?))
    }

    async fn import(&self, r: Request<pb::ImportRequest>) -> Answer<pb::ScheduleView> {
        Ok(Response::new(self.service.import(r.into_inner()).await?))
    }

    async fn add_entry(&self, r: Request<pb::AddEntryRequest>) -> Answer<pb::ScheduleView> {
        Ok(Response::new(self.service.add_entry(r.into_inner()).await?))
    }

    async fn remove_entry(&self, r: Request<pb::RemoveEntryRequest>) -> Answer<pb::ScheduleView> {
        Ok(Response::new(
            self.service.remove_entry(r.into_inner()).await?,
        ))
    }

    async fn check(&self, r: Request<pb::MonthRequest>) -> Answer<pb::ScheduleView> {
        Ok(Response::new(self.service.check(r.into_inner()).await?))
    }

    async fn review(&self, r: Request<pb::DecisionRequest>) -> Answer<pb::ScheduleView> {
        let op = operator(&r);
        Ok(Response::new(
            self.service.review(r.into_inner(), &op).await?,
        ))
    }

    async fn approve(&self, r: Request<pb::DecisionRequest>) -> Answer<pb::ScheduleView> {
        let op = operator(&r);
        Ok(Response::new(
            self.service.approve(r.into_inner(), &op).await?,
        ))
    }

    async fn publish(&self, r: Request<pb::MonthRequest>) -> Answer<pb::ScheduleView> {
        let op = operator(&r);
        Ok(Response::new(
            self.service.publish(r.into_inner(), &op).await?,
        ))
    }

    async fn adjust(&self, r: Request<pb::AdjustRequest>) -> Answer<pb::ScheduleView> {
        let op = operator(&r);
        Ok(Response::new(
            self.service.adjust(r.into_inner(), &op).await?,
        ))
    }

    async fn get(&self, r: Request<pb::MonthRequest>) -> Answer<pb::ScheduleView> {
        Ok(Response::new(self.service.get(r.into_inner()).await?))
    }

    async fn export(&self, r: Request<pb::ExportRequest>) -> Answer<pb::ExportReply> {
        Ok(Response::new(self.service.export(r.into_inner()).await?))
    }

    async fn record_attendance(
        &self,
        r: Request<pb::AttendanceRequest>,
    ) -> Answer<pb::ScheduleView> {
        let op = operator(&r);
        Ok(Response::new(
            self.service.record_attendance(r.into_inner(), &op).await?,
        ))
    }

    async fn filings(&self, r: Request<pb::FilingsRequest>) -> Answer<pb::FilingBoard> {
        Ok(Response::new(self.service.filings(r.into_inner()).await?))
    }

    async fn generate_quarterly(
        &self,
        r: Request<pb::QuarterRequest>,
    ) -> Answer<pb::QuarterlyView> {
        Ok(Response::new(
            self.service.generate_quarterly(r.into_inner()).await?,
        ))
    }

    async fn get_quarterly(&self, r: Request<pb::QuarterRequest>) -> Answer<pb::QuarterlyView> {
        Ok(Response::new(
            self.service.get_quarterly(r.into_inner()).await?,
        ))
    }

    async fn export_quarterly(&self, r: Request<pb::QuarterRequest>) -> Answer<pb::ExportReply> {
        Ok(Response::new(
            self.service.export_quarterly(r.into_inner()).await?,
        ))
    }
}
