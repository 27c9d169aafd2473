//! The gRPC adapter of `xinfang.v1.Node`: names the caller, reads the caller's
//! language, and hands the request to the case service (`case::service`), whose
//! answer it returns as it is; the status comes from `crate::status`, which
//! the console's links page reads too. No rule lives here.

use std::sync::Arc;

use tonic::{Request, Response, Status};
use xinfang_proto::v1 as pb;
use xinfang_proto::v1::node_server::Node as NodeRpc;

use crate::auth::{Action, Actor};
use crate::case::labels::Lang;
use crate::case::service::{CaseService, ListQuery};
use crate::error::NodeError;
use crate::labels::Said;
use crate::recovery::Recovery;
use crate::status::NodeStatus;

pub struct NodeApi {
    cases: Arc<CaseService>,
    /// Builds the status (`crate::status`), which the console's links page shows too.
    status: Arc<NodeStatus>,
    recovery: Arc<Recovery>,
}

impl NodeApi {
    pub fn new(cases: Arc<CaseService>, status: Arc<NodeStatus>, recovery: Arc<Recovery>) -> Self {
        NodeApi {
            cases,
            status,
            recovery,
        }
    }

    /// Who calls, and in which language they read.
    async fn caller<T>(&self, request: &Request<T>) -> Result<(Actor, Lang), Status> {
        let who = self.cases.guard().authenticate(request).await?;
        Ok((who, lang(request)))
    }
}

/// The caller's language, from the `accept-language` metadata (Chinese if absent).
pub fn lang<T>(request: &Request<T>) -> Lang {
    request
        .metadata()
        .get(Lang::HEADER)
        .and_then(|v| v.to_str().ok())
        .map(Lang::from_tag)
        .unwrap_or_default()
}

#[tonic::async_trait]
impl NodeRpc for NodeApi {
    async fn register_case(
        &self,
        request: Request<pb::RegisterCaseRequest>,
    ) -> Result<Response<pb::CaseView>, Status> {
        let (who, lang) = self.caller(&request).await?;
        let view = self
            .cases
            .register(&who, request.into_inner(), lang)
            .await?;
        Ok(Response::new(view))
    }

    async fn get_case(
        &self,
        request: Request<pb::GetCaseRequest>,
    ) -> Result<Response<pb::CaseView>, Status> {
        let (who, lang) = self.caller(&request).await?;
        let view = self
            .cases
            .get(&who, &request.into_inner().case_no, lang)
            .await?;
        Ok(Response::new(view))
    }

    async fn list_cases(
        &self,
        request: Request<pb::ListCasesRequest>,
    ) -> Result<Response<pb::ListCasesResponse>, Status> {
        let (who, lang) = self.caller(&request).await?;
        let r = request.into_inner();
        let query = ListQuery {
            limit: r.limit,
            status: r.status,
            subtree: r.subtree,
            category: r.category,
            overdue: r.overdue,
            repeat: r.repeat,
            skip_level: r.skip_level,
            supervised_here: r.supervised_here,
            search: r.search,
            id_number: r.id_number,
            phone: r.phone,
            ..ListQuery::default()
        };
        let cases = self.cases.list(&who, &query, lang).await?;
        Ok(Response::new(pb::ListCasesResponse { cases }))
    }

    async fn add_note(
        &self,
        request: Request<pb::AddNoteRequest>,
    ) -> Result<Response<pb::CaseView>, Status> {
        let (who, lang) = self.caller(&request).await?;
        let r = request.into_inner();
        let view = self.cases.add_note(&who, &r.case_no, &r.text, lang).await?;
        Ok(Response::new(view))
    }

    async fn act(
        &self,
        request: Request<pb::ActRequest>,
    ) -> Result<Response<pb::CaseView>, Status> {
        let (who, lang) = self.caller(&request).await?;
        let r = request.into_inner();
        let view = self.cases.act(&who, &r.case_no, &r.record, lang).await?;
        Ok(Response::new(view))
    }

    async fn status(
        &self,
        request: Request<pb::StatusRequest>,
    ) -> Result<Response<pb::StatusResponse>, Status> {
        let (who, lang) = self.caller(&request).await?;
        Ok(Response::new(self.status.status(&who, lang).await?))
    }

    async fn reissue_query_code(
        &self,
        request: Request<pb::ReissueQueryCodeRequest>,
    ) -> Result<Response<pb::CaseView>, Status> {
        let (who, lang) = self.caller(&request).await?;
        let r = request.into_inner();
        let view = self
            .cases
            .reissue_query_code(&who, &r.case_no, lang)
            .await?;
        Ok(Response::new(view))
    }

    async fn end_recovery(
        &self,
        request: Request<pb::EndRecoveryRequest>,
    ) -> Result<Response<pb::EndRecoveryResponse>, Status> {
        let who = self
            .cases
            .guard()
            .check(&request, Action::EndRecovery, "")
            .await?;
        let reason = request.get_ref().reason.trim();
        if reason.is_empty() {
            return Err(NodeError::invalid(
                "reason",
                Said::new(
                    "应说明为何不等上级节点而结束恢复",
                    "must say why recovery is ended without the parent",
                ),
            )
            .into());
        }
        self.recovery.finish(Some((&who.name, reason))).await?;
        Ok(Response::new(pb::EndRecoveryResponse {}))
    }
}
