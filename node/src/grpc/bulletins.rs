//! The gRPC adapter for circulated notices (`xinfang.v1.Bulletins`): names the
//! caller and hands the request to the bulletin service. No rule here.

use std::sync::Arc;

use tonic::{Request, Response, Status};
use xinfang_proto::v1 as pb;
use xinfang_proto::v1::bulletins_server::Bulletins;

use super::node::lang;
use crate::bulletin::service::BulletinService;

pub struct BulletinsApi {
    service: Arc<BulletinService>,
}

impl BulletinsApi {
    pub fn new(service: Arc<BulletinService>) -> Self {
        BulletinsApi { service }
    }
}

type Answer<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl Bulletins for BulletinsApi {
    async fn issue(&self, r: Request<pb::IssueBulletinRequest>) -> Answer<pb::BulletinView> {
        let who = self.service.guard().authenticate(&r).await?;
        let lang = lang(&r);
        Ok(Response::new(
            self.service.issue(&who, r.into_inner(), lang).await?,
        ))
    }

    async fn list(&self, r: Request<pb::ListBulletinsRequest>) -> Answer<pb::BulletinList> {
        let who = self.service.guard().authenticate(&r).await?;
        let lang = lang(&r);
        Ok(Response::new(
            self.service.list(&who, r.into_inner(), lang).await?,
        ))
    }
}
