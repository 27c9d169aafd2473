//! The gRPC adapter for reception days (`xinfang.v1.Receptions`): names the
//! caller and hands the request to the reception service. No rule here.

use std::sync::Arc;

use tonic::{Request, Response, Status};
use xinfang_proto::v1 as pb;
use xinfang_proto::v1::receptions_server::Receptions;

use super::node::lang;
use crate::auth::Actor;
use crate::notice::service::Papers;
use crate::reception::ReceptionService;

pub struct ReceptionsApi {
    service: Arc<ReceptionService>,
}

impl ReceptionsApi {
    pub fn new(service: Arc<ReceptionService>) -> Self {
        ReceptionsApi { service }
    }

    async fn caller<T>(&self, r: &Request<T>) -> Result<Actor, Status> {
        Ok(self.service.guard().authenticate(r).await?)
    }
}

type Answer<T> = Result<Response<T>, Status>;

fn paper(p: Papers) -> pb::ReceptionPaper {
    pb::ReceptionPaper {
        pdf: p.pdf,
        titles: p.titles,
    }
}

#[tonic::async_trait]
impl Receptions for ReceptionsApi {
    async fn book(&self, r: Request<pb::BookRequest>) -> Answer<pb::CaseView> {
        let who = self.caller(&r).await?;
        let lang = lang(&r);
        let v = self.service.book(&who, r.into_inner(), lang).await?;
        Ok(Response::new(v))
    }

    async fn record_outcome(&self, r: Request<pb::OutcomeRequest>) -> Answer<pb::CaseView> {
        let who = self.caller(&r).await?;
        let lang = lang(&r);
        let v = self
            .service
            .record_outcome(&who, r.into_inner(), lang)
            .await?;
        Ok(Response::new(v))
    }

    async fn send_supervision_form(
        &self,
        r: Request<pb::SupervisionFormRequest>,
    ) -> Answer<pb::CaseView> {
        let who = self.caller(&r).await?;
        let lang = lang(&r);
        let v = self.service.send_form(&who, r.into_inner(), lang).await?;
        Ok(Response::new(v))
    }

    async fn acknowledge_form(
        &self,
        r: Request<pb::AcknowledgeFormRequest>,
    ) -> Answer<pb::CaseView> {
        let who = self.caller(&r).await?;
        let lang = lang(&r);
        let v = self.service.acknowledge(&who, r.into_inner(), lang).await?;
        Ok(Response::new(v))
    }

    async fn list_receptions(
        &self,
        r: Request<pb::CaseReceptionsRequest>,
    ) -> Answer<pb::ReceptionList> {
        let who = self.caller(&r).await?;
        Ok(Response::new(
            self.service.list(&who, &r.get_ref().case_no).await?,
        ))
    }

    async fn get_cards(&self, r: Request<pb::ReceptionPaperRequest>) -> Answer<pb::ReceptionPaper> {
        let who = self.caller(&r).await?;
        let r = r.into_inner();
        let p = self.service.cards(&who, &r.case_no, &r.booking).await?;
        Ok(Response::new(paper(p)))
    }

    async fn get_supervision_form(
        &self,
        r: Request<pb::ReceptionPaperRequest>,
    ) -> Answer<pb::ReceptionPaper> {
        let who = self.caller(&r).await?;
        let r = r.into_inner();
        let p = self
            .service
            .form_papers(&who, &r.case_no, &r.booking)
            .await?;
        Ok(Response::new(paper(p)))
    }
}
