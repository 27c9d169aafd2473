//! The gRPC adapter for responsibility letters and the assessment
//! (`xinfang.v1.Letters`): names the caller and hands the request to the letter
//! service. No rule here.

use std::sync::Arc;

use tonic::{Request, Response, Status};
use xinfang_proto::v1 as pb;
use xinfang_proto::v1::letters_server::Letters;

use super::node::lang;
use crate::letter::service::LetterService;

pub struct LettersApi {
    service: Arc<LetterService>,
}

impl LettersApi {
    pub fn new(service: Arc<LetterService>) -> Self {
        LettersApi { service }
    }
}

type Answer<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl Letters for LettersApi {
    async fn draft(&self, r: Request<pb::DraftLetterRequest>) -> Answer<pb::LetterView> {
        let who = self.service.guard().authenticate(&r).await?;
        let lang = lang(&r);
        Ok(Response::new(
            self.service.draft(&who, r.into_inner(), lang).await?,
        ))
    }

    async fn acknowledge(
        &self,
        r: Request<pb::AcknowledgeLetterRequest>,
    ) -> Answer<pb::LetterView> {
        let who = self.service.guard().authenticate(&r).await?;
        let lang = lang(&r);
        Ok(Response::new(
            self.service.acknowledge(&who, r.into_inner(), lang).await?,
        ))
    }

    async fn list(&self, r: Request<pb::ListLettersRequest>) -> Answer<pb::LetterList> {
        let who = self.service.guard().authenticate(&r).await?;
        let lang = lang(&r);
        Ok(Response::new(
            self.service.list(&who, r.into_inner(), lang).await?,
        ))
    }

    async fn progress(&self, r: Request<pb::LetterProgressRequest>) -> Answer<pb::LetterProgress> {
        let who = self.service.guard().authenticate(&r).await?;
        let lang = lang(&r);
        Ok(Response::new(
            self.service.progress(&who, r.into_inner(), lang).await?,
        ))
    }

    async fn file(&self, r: Request<pb::AssessRequest>) -> Answer<pb::Assessment> {
        let who = self.service.guard().authenticate(&r).await?;
        let lang = lang(&r);
        Ok(Response::new(
            self.service.file(&who, r.into_inner(), lang).await?,
        ))
    }

    async fn export(&self, r: Request<pb::ExportAssessmentRequest>) -> Answer<pb::AssessmentFile> {
        let who = self.service.guard().authenticate(&r).await?;
        Ok(Response::new(
            self.service.export(&who, r.into_inner()).await?,
        ))
    }

    async fn assess(&self, r: Request<pb::AssessRequest>) -> Answer<pb::Assessment> {
        let who = self.service.guard().authenticate(&r).await?;
        let lang = lang(&r);
        Ok(Response::new(
            self.service.assess(&who, r.into_inner(), lang).await?,
        ))
    }
}
