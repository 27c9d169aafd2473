//! The gRPC adapter for notices (`xinfang.v1.Notices`): names the caller and
//! hands the request to the notice service. No rule here.

use std::sync::Arc;

use tonic::{Request, Response, Status};
use xinfang_proto::v1 as pb;
use xinfang_proto::v1::notices_server::Notices;

use super::node::lang;
use crate::auth::Actor;
use crate::error::NodeError;
use crate::labels::Said;
use crate::notice::service::{NoticePdf, NoticeService};
use crate::notice::{HandlerText, Issued, NoticeKind, NoticeText};

pub struct NoticesApi {
    service: Arc<NoticeService>,
}

impl NoticesApi {
    pub fn new(service: Arc<NoticeService>) -> Self {
        NoticesApi { service }
    }

    async fn caller<T>(&self, r: &Request<T>) -> Result<Actor, Status> {
        Ok(self.service.guard().authenticate(r).await?)
    }
}

type Answer<T> = Result<Response<T>, Status>;

fn summary(n: &NoticeText, sha256: &str, lang: crate::labels::Lang) -> pb::NoticeSummary {
    pb::NoticeSummary {
        kind: n.kind.code().to_owned(),
        kind_label: n.kind.label().get(lang).to_owned(),
        doc_no: n.doc_no.clone(),
        issuer: n.issuer.clone(),
        date: n.date.clone(),
        sha256: sha256.to_owned(),
    }
}

fn issued(p: NoticePdf, lang: crate::labels::Lang, case: Option<pb::CaseView>) -> pb::IssuedNotice {
    pb::IssuedNotice {
        notice: Some(summary(&p.notice, &p.sha256, lang)),
        pdf: p.pdf,
        redrawn_differs: p.redrawn_differs,
        case,
    }
}

#[tonic::async_trait]
impl Notices for NoticesApi {
    async fn issue_notice(&self, r: Request<pb::IssueNoticeRequest>) -> Answer<pb::IssuedNotice> {
        let who = self.caller(&r).await?;
        let lang = lang(&r);
        let r = r.into_inner();
        let kind = NoticeKind::from_code(r.kind.trim())
            .filter(|k| NoticeKind::ALL.contains(k))
            .ok_or_else(|| {
                NodeError::invalid("kind", {
                    let all = NoticeKind::ALL.map(NoticeKind::code).join(", ");
                    Said::new(
                        format!("应为以下之一：{all}"),
                        format!("must be one of {all}"),
                    )
                })
            })?;
        let text = HandlerText {
            facts: r.facts,
            basis: r.basis,
            remarks: r.remarks,
        };
        let (pdf, view) = self
            .service
            .issue(&who, &r.case_no, kind, &text, lang)
            .await?;
        Ok(Response::new(issued(pdf, lang, Some(view))))
    }

    async fn list_notices(&self, r: Request<pb::ListNoticesRequest>) -> Answer<pb::NoticeList> {
        let who = self.caller(&r).await?;
        let lang = lang(&r);
        let list = self.service.issued(&who, &r.get_ref().case_no).await?;
        Ok(Response::new(pb::NoticeList {
            notices: list
                .iter()
                .map(|Issued { notice, sha256 }| summary(notice, sha256, lang))
                .collect(),
        }))
    }

    async fn get_notice(&self, r: Request<pb::GetNoticeRequest>) -> Answer<pb::IssuedNotice> {
        let who = self.caller(&r).await?;
        let lang = lang(&r);
        let r = r.into_inner();
        let pdf = self.service.pdf(&who, &r.case_no, &r.doc_no).await?;
        Ok(Response::new(issued(pdf, lang, None)))
    }

    async fn get_receipt(&self, r: Request<pb::GetReceiptRequest>) -> Answer<pb::IssuedNotice> {
        let who = self.caller(&r).await?;
        let lang = lang(&r);
        let r = r.into_inner();
        let code = Some(r.query_code.as_str()).filter(|c| !c.trim().is_empty());
        let pdf = self.service.receipt(&who, &r.case_no, code).await?;
        Ok(Response::new(issued(pdf, lang, None)))
    }
}
