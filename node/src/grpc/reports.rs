//! The gRPC adapter for reports (`xinfang.v1.Reports`).

use std::sync::Arc;

use tonic::{Request, Response, Status};
use xinfang_proto::v1 as pb;
use xinfang_proto::v1::reports_server::Reports;

use crate::auth::{Action, Guard};
use crate::report::service::ReportService;

pub struct ReportsApi {
    service: Arc<ReportService>,
    guard: Arc<Guard>,
}

impl ReportsApi {
    pub fn new(service: Arc<ReportService>, guard: Arc<Guard>) -> Self {
        ReportsApi { service, guard }
    }

    /// Every report is a read; every signed-in user may ask.
    async fn read<T>(&self, r: &Request<T>) -> Result<(), Status> {
        self.guard.check(r, Action::ReadReports, "").await?;
        Ok(())
    }
}

type Answer<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl Reports for ReportsApi {
    async fn summary(&self, r: Request<pb::ReportRequest>) -> Answer<pb::Report> {
        self.read(&r).await?;
        Ok(Response::new(self.service.summary(r.into_inner()).await?))
    }

    async fn breakdown(&self, r: Request<pb::ReportRequest>) -> Answer<pb::Report> {
        self.read(&r).await?;
        Ok(Response::new(self.service.breakdown(r.into_inner()).await?))
    }

    async fn overdue(&self, r: Request<pb::ReportRequest>) -> Answer<pb::Report> {
        self.read(&r).await?;
        Ok(Response::new(self.service.overdue(r.into_inner()).await?))
    }

    async fn rates(&self, r: Request<pb::ReportRequest>) -> Answer<pb::Report> {
        self.read(&r).await?;
        Ok(Response::new(self.service.rates(r.into_inner()).await?))
    }

    async fn trend(&self, r: Request<pb::ReportRequest>) -> Answer<pb::Report> {
        self.read(&r).await?;
        Ok(Response::new(self.service.trend(r.into_inner()).await?))
    }

    async fn leaders(&self, r: Request<pb::ReportRequest>) -> Answer<pb::Report> {
        self.read(&r).await?;
        Ok(Response::new(self.service.leaders(r.into_inner()).await?))
    }

    async fn filings(&self, r: Request<pb::ReportRequest>) -> Answer<pb::Report> {
        self.read(&r).await?;
        Ok(Response::new(self.service.filings(r.into_inner()).await?))
    }

    async fn cases(&self, r: Request<pb::ReportRequest>) -> Answer<pb::CaseKeys> {
        self.read(&r).await?;
        Ok(Response::new(self.service.cases(r.into_inner()).await?))
    }

    async fn rebuild_projections(
        &self,
        r: Request<pb::RebuildRequest>,
    ) -> Answer<pb::RebuildReply> {
        let who = self.guard.check(&r, Action::RebuildProjections, "").await?;
        let done = self.service.rebuild().await?;
        self.guard
            .audit_allowed(
                &who,
                "projections.rebuild",
                "",
                &format!("{} cases", done.cases),
            )
            .await;
        Ok(Response::new(done))
    }
}
