//! The gRPC adapter for reports (`xinfang.v1.Reports`): names the caller and
//! hands the request to the report service, which authorizes it. No rule here.

use std::sync::Arc;

use tonic::{Request, Response, Status};
use xinfang_proto::v1 as pb;
use xinfang_proto::v1::reports_server::Reports;

use crate::auth::Actor;
use crate::report::service::ReportService;

pub struct ReportsApi {
    service: Arc<ReportService>,
}

impl ReportsApi {
    pub fn new(service: Arc<ReportService>) -> Self {
        ReportsApi { service }
    }

    async fn caller<T>(&self, r: &Request<T>) -> Result<Actor, Status> {
        Ok(self.service.guard().authenticate(r).await?)
    }
}

type Answer<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl Reports for ReportsApi {
    async fn summary(&self, r: Request<pb::ReportRequest>) -> Answer<pb::Report> {
        let who = self.caller(&r).await?;
        Ok(Response::new(
            self.service.summary(&who, r.into_inner()).await?,
        ))
    }

    async fn breakdown(&self, r: Request<pb::ReportRequest>) -> Answer<pb::Report> {
        let who = self.caller(&r).await?;
        Ok(Response::new(
            self.service.breakdown(&who, r.into_inner()).await?,
        ))
    }

    async fn owned_cases(&self, r: Request<pb::ReportRequest>) -> Answer<pb::Report> {
        let who = self.caller(&r).await?;
        Ok(Response::new(
            self.service.owned_cases(&who, r.into_inner()).await?,
        ))
    }

    async fn bulletins(&self, r: Request<pb::ReportRequest>) -> Answer<pb::Report> {
        let who = self.caller(&r).await?;
        Ok(Response::new(
            self.service.bulletins(&who, r.into_inner()).await?,
        ))
    }

    async fn group_petitions(&self, r: Request<pb::ReportRequest>) -> Answer<pb::Report> {
        let who = self.caller(&r).await?;
        Ok(Response::new(
            self.service.group_petitions(&who, r.into_inner()).await?,
        ))
    }

    async fn higher_visits(&self, r: Request<pb::ReportRequest>) -> Answer<pb::Report> {
        let who = self.caller(&r).await?;
        Ok(Response::new(
            self.service.higher_visits(&who, r.into_inner()).await?,
        ))
    }

    async fn overdue(&self, r: Request<pb::ReportRequest>) -> Answer<pb::Report> {
        let who = self.caller(&r).await?;
        Ok(Response::new(
            self.service.overdue(&who, r.into_inner()).await?,
        ))
    }

    async fn rates(&self, r: Request<pb::ReportRequest>) -> Answer<pb::Report> {
        let who = self.caller(&r).await?;
        Ok(Response::new(
            self.service.rates(&who, r.into_inner()).await?,
        ))
    }

    async fn trend(&self, r: Request<pb::ReportRequest>) -> Answer<pb::Report> {
        let who = self.caller(&r).await?;
        Ok(Response::new(
            self.service.trend(&who, r.into_inner()).await?,
        ))
    }

    async fn leaders(&self, r: Request<pb::ReportRequest>) -> Answer<pb::Report> {
        let who = self.caller(&r).await?;
        Ok(Response::new(
            self.service.leaders(&who, r.into_inner()).await?,
        ))
    }

    async fn filings(&self, r: Request<pb::ReportRequest>) -> Answer<pb::Report> {
        let who = self.caller(&r).await?;
        Ok(Response::new(
            self.service.filings(&who, r.into_inner()).await?,
        ))
    }

    async fn cases(&self, r: Request<pb::ReportRequest>) -> Answer<pb::CaseKeys> {
        let who = self.caller(&r).await?;
        Ok(Response::new(
            self.service.cases(&who, r.into_inner()).await?,
        ))
    }

    async fn rebuild_projections(
        &self,
        r: Request<pb::RebuildRequest>,
    ) -> Answer<pb::RebuildReply> {
        let who = self.caller(&r).await?;
        Ok(Response::new(self.service.rebuild(&who).await?))
    }
}
