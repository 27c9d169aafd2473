//! The gRPC adapter for reports (`xinfang.v1.Reports`).

use std::sync::Arc;

use tonic::{Request, Response, Status};
use xinfang_proto::v1 as pb;
use xinfang_proto::v1::reports_server::Reports;

use crate::report::service::ReportService;

pub struct ReportsApi {
    service: Arc<ReportService>,
}

impl ReportsApi {
    pub fn new(service: Arc<ReportService>) -> Self {
        ReportsApi { service }
    }
}

type Answer<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl Reports for ReportsApi {
    async fn summary(&self, r: Request<pb::ReportRequest>) -> Answer<pb::Report> {
        Ok(Response::new(self.service.summary(r.into_inner()).await?))
    }

    async fn breakdown(&self, r: Request<pb::ReportRequest>) -> Answer<pb::Report> {
        Ok(Response::new(self.service.breakdown(r.into_inner()).await?))
    }

    async fn overdue(&self, r: Request<pb::ReportRequest>) -> Answer<pb::Report> {
        Ok(Response::new(self.service.overdue(r.into_inner()).await?))
    }

    async fn rates(&self, r: Request<pb::ReportRequest>) -> Answer<pb::Report> {
        Ok(Response::new(self.service.rates(r.into_inner()).await?))
    }

    async fn trend(&self, r: Request<pb::ReportRequest>) -> Answer<pb::Report> {
        Ok(Response::new(self.service.trend(r.into_inner()).await?))
    }

    async fn leaders(&self, r: Request<pb::ReportRequest>) -> Answer<pb::Report> {
        Ok(Response::new(self.service.leaders(r.into_inner()).await?))
    }

    async fn filings(&self, r: Request<pb::ReportRequest>) -> Answer<pb::Report> {
        Ok(Response::new(self.service.filings(r.into_inner()).await?))
    }

    async fn cases(&self, r: Request<pb::ReportRequest>) -> Answer<pb::CaseKeys> {
        Ok(Response::new(self.service.cases(r.into_inner()).await?))
    }

    async fn rebuild_projections(
        &self,
        _r: Request<pb::RebuildRequest>,
    ) -> Answer<pb::RebuildReply> {
        Ok(Response::new(self.service.rebuild().await?))
    }
}
