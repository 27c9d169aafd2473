//! The gRPC adapter for accountability on record (`xinfang.v1.Accountability`):
//! names the caller and hands the request to the accountability service. No rule
//! here.

use std::sync::Arc;

use tonic::{Request, Response, Status};
use xinfang_proto::v1 as pb;
use xinfang_proto::v1::accountability_server::Accountability;
use xinfang_proto::v1::joint_supervision_server::JointSupervision;

use super::node::lang;
use crate::accountability::joint_service::JointSupervisionService;
use crate::accountability::service::AccountabilityService;

pub struct AccountabilityApi {
    service: Arc<AccountabilityService>,
}

impl AccountabilityApi {
    pub fn new(service: Arc<AccountabilityService>) -> Self {
        AccountabilityApi { service }
    }
}

type Answer<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl Accountability for AccountabilityApi {
    async fn record(
        &self,
        r: Request<pb::RecordAccountabilityRequest>,
    ) -> Answer<pb::AccountabilityView> {
        let who = self.service.guard().authenticate(&r).await?;
        let lang = lang(&r);
        Ok(Response::new(
            self.service.record(&who, r.into_inner(), lang).await?,
        ))
    }

    async fn list(
        &self,
        r: Request<pb::ListAccountabilityRequest>,
    ) -> Answer<pb::AccountabilityList> {
        let who = self.service.guard().authenticate(&r).await?;
        let lang = lang(&r);
        Ok(Response::new(
            self.service.list(&who, r.into_inner(), lang).await?,
        ))
    }

    async fn report(
        &self,
        r: Request<pb::ListAccountabilityRequest>,
    ) -> Answer<pb::AccountabilityReport> {
        let who = self.service.guard().authenticate(&r).await?;
        let lang = lang(&r);
        Ok(Response::new(
            self.service.report(&who, r.into_inner(), lang).await?,
        ))
    }

    async fn suggest(
        &self,
        r: Request<pb::SuggestAccountabilityRequest>,
    ) -> Answer<pb::SuggestionList> {
        let who = self.service.guard().authenticate(&r).await?;
        let lang = lang(&r);
        Ok(Response::new(self.service.suggest(&who, lang).await?))
    }

    async fn confirm(
        &self,
        r: Request<pb::ConfirmSuggestionRequest>,
    ) -> Answer<pb::AccountabilityView> {
        let who = self.service.guard().authenticate(&r).await?;
        let lang = lang(&r);
        Ok(Response::new(
            self.service.confirm(&who, r.into_inner(), lang).await?,
        ))
    }

    async fn dismiss(&self, r: Request<pb::DismissSuggestionRequest>) -> Answer<pb::DismissalView> {
        let who = self.service.guard().authenticate(&r).await?;
        Ok(Response::new(
            self.service.dismiss(&who, r.into_inner()).await?,
        ))
    }

    async fn situations(&self, r: Request<pb::SituationsRequest>) -> Answer<pb::SituationList> {
        let who = self.service.guard().authenticate(&r).await?;
        let lang = lang(&r);
        Ok(Response::new(self.service.situations(&who, lang).await?))
    }
}

pub struct JointSupervisionApi {
    service: Arc<JointSupervisionService>,
}

impl JointSupervisionApi {
    pub fn new(service: Arc<JointSupervisionService>) -> Self {
        JointSupervisionApi { service }
    }
}

#[tonic::async_trait]
impl JointSupervision for JointSupervisionApi {
    async fn plan(&self, r: Request<pb::PlanJointSupervisionRequest>) -> Answer<pb::JointPlanView> {
        let who = self.service.guard().authenticate(&r).await?;
        Ok(Response::new(
            self.service.plan(&who, r.into_inner()).await?,
        ))
    }

    async fn finding(&self, r: Request<pb::JointFindingRequest>) -> Answer<pb::JointFindingView> {
        let who = self.service.guard().authenticate(&r).await?;
        let lang = lang(&r);
        Ok(Response::new(
            self.service.finding(&who, r.into_inner(), lang).await?,
        ))
    }

    async fn list(&self, r: Request<pb::ListJointSupervisionRequest>) -> Answer<pb::JointPlanList> {
        let who = self.service.guard().authenticate(&r).await?;
        Ok(Response::new(self.service.list(&who).await?))
    }
}
