//! The gRPC adapter for schedules (`xinfang.v1.Schedules`): names the caller,
//! hands the request to the schedule service (which authorizes it), the answers
//! out with their labels, errors through the node's one mapping to `Status`.

use std::sync::Arc;

use tonic::{Request, Response, Status};
use xinfang_proto::v1 as pb;
use xinfang_proto::v1::schedules_server::Schedules;

use super::node::lang;
use crate::auth::Actor;
use crate::labels::Lang;
use crate::schedule::duty::DutySpan;
use crate::schedule::labels;
use crate::schedule::service::ScheduleService;

pub struct SchedulesApi {
    service: Arc<ScheduleService>,
}

impl SchedulesApi {
    pub fn new(service: Arc<ScheduleService>) -> Self {
        SchedulesApi { service }
    }

    /// Who asks; the service decides whether they may.
    async fn caller<T>(&self, r: &Request<T>) -> Result<Actor, Status> {
        Ok(self.service.guard().authenticate(r).await?)
    }
}

type Answer<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl Schedules for SchedulesApi {
    async fn get_roster(&self, r: Request<pb::UnitRequest>) -> Answer<pb::Roster> {
        let who = self.caller(&r).await?;
        Ok(Response::new(
            self.service.get_roster(&who, &r.into_inner().unit).await?,
        ))
    }

    async fn put_leader(&self, r: Request<pb::PutLeaderRequest>) -> Answer<pb::Roster> {
        let who = self.caller(&r).await?;
        Ok(Response::new(
            self.service.put_leader(&who, r.into_inner()).await?,
        ))
    }

    async fn draft(&self, r: Request<pb::MonthRequest>) -> Answer<pb::ScheduleView> {
        let lang = lang(&r);
        let who = self.caller(&r).await?;
        Ok(Response::new(labelled(
            self.service.draft(&who, r.into_inner()).await?,
            lang,
        )))
    }

    async fn import(&self, r: Request<pb::ImportRequest>) -> Answer<pb::ScheduleView> {
        let lang = lang(&r);
        let who = self.caller(&r).await?;
        Ok(Response::new(labelled(
            self.service.import(&who, r.into_inner()).await?,
            lang,
        )))
    }

    async fn add_entry(&self, r: Request<pb::AddEntryRequest>) -> Answer<pb::ScheduleView> {
        let lang = lang(&r);
        let who = self.caller(&r).await?;
        Ok(Response::new(labelled(
            self.service.add_entry(&who, r.into_inner()).await?,
            lang,
        )))
    }

    async fn remove_entry(&self, r: Request<pb::RemoveEntryRequest>) -> Answer<pb::ScheduleView> {
        let lang = lang(&r);
        let who = self.caller(&r).await?;
        Ok(Response::new(labelled(
            self.service.remove_entry(&who, r.into_inner()).await?,
            lang,
        )))
    }

    async fn check(&self, r: Request<pb::MonthRequest>) -> Answer<pb::ScheduleView> {
        let lang = lang(&r);
        let who = self.caller(&r).await?;
        Ok(Response::new(labelled(
            self.service.check(&who, r.into_inner()).await?,
            lang,
        )))
    }

    async fn review(&self, r: Request<pb::DecisionRequest>) -> Answer<pb::ScheduleView> {
        let lang = lang(&r);
        let who = self.caller(&r).await?;
        Ok(Response::new(labelled(
            self.service.review(&who, r.into_inner()).await?,
            lang,
        )))
    }

    async fn approve(&self, r: Request<pb::DecisionRequest>) -> Answer<pb::ScheduleView> {
        let lang = lang(&r);
        let who = self.caller(&r).await?;
        Ok(Response::new(labelled(
            self.service.approve(&who, r.into_inner()).await?,
            lang,
        )))
    }

    async fn publish(&self, r: Request<pb::MonthRequest>) -> Answer<pb::ScheduleView> {
        let lang = lang(&r);
        let who = self.caller(&r).await?;
        Ok(Response::new(labelled(
            self.service.publish(&who, r.into_inner()).await?,
            lang,
        )))
    }

    async fn adjust(&self, r: Request<pb::AdjustRequest>) -> Answer<pb::ScheduleView> {
        let lang = lang(&r);
        let who = self.caller(&r).await?;
        Ok(Response::new(labelled(
            self.service.adjust(&who, r.into_inner()).await?,
            lang,
        )))
    }

    async fn get(&self, r: Request<pb::MonthRequest>) -> Answer<pb::ScheduleView> {
        let lang = lang(&r);
        let who = self.caller(&r).await?;
        Ok(Response::new(labelled(
            self.service.get(&who, r.into_inner()).await?,
            lang,
        )))
    }

    async fn export(&self, r: Request<pb::ExportRequest>) -> Answer<pb::ExportReply> {
        let who = self.caller(&r).await?;
        Ok(Response::new(
            self.service.export(&who, r.into_inner()).await?,
        ))
    }

    async fn record_attendance(
        &self,
        r: Request<pb::AttendanceRequest>,
    ) -> Answer<pb::ScheduleView> {
        let lang = lang(&r);
        let who = self.caller(&r).await?;
        Ok(Response::new(labelled(
            self.service.record_attendance(&who, r.into_inner()).await?,
            lang,
        )))
    }

    async fn filings(&self, r: Request<pb::FilingsRequest>) -> Answer<pb::FilingBoard> {
        let lang = lang(&r);
        let who = self.caller(&r).await?;
        Ok(Response::new(labelled_board(
            self.service.filings(&who, r.into_inner()).await?,
            lang,
        )))
    }

    async fn generate_quarterly(
        &self,
        r: Request<pb::QuarterRequest>,
    ) -> Answer<pb::QuarterlyView> {
        let who = self.caller(&r).await?;
        Ok(Response::new(
            self.service
                .generate_quarterly(&who, r.into_inner())
                .await?,
        ))
    }

    async fn get_quarterly(&self, r: Request<pb::QuarterRequest>) -> Answer<pb::QuarterlyView> {
        let who = self.caller(&r).await?;
        Ok(Response::new(
            self.service.get_quarterly(&who, r.into_inner()).await?,
        ))
    }

    async fn export_quarterly(&self, r: Request<pb::QuarterRequest>) -> Answer<pb::ExportReply> {
        let who = self.caller(&r).await?;
        Ok(Response::new(
            self.service.export_quarterly(&who, r.into_inner()).await?,
        ))
    }

    async fn duty_days(&self, r: Request<pb::DutySpanRequest>) -> Answer<pb::DutyDaysReply> {
        let lang = lang(&r);
        let who = self.caller(&r).await?;
        let mut v = self.service.duty_days(&who, r.into_inner()).await?;
        v.span_label = span_label(&v.span, &v.span_label, lang);
        Ok(Response::new(v))
    }

    async fn draft_duty(&self, r: Request<pb::DutyDraftRequest>) -> Answer<pb::DutyRosterView> {
        let lang = lang(&r);
        let who = self.caller(&r).await?;
        Ok(Response::new(labelled_duty(
            self.service.draft_duty(&who, r.into_inner()).await?,
            lang,
        )))
    }

    async fn get_duty(&self, r: Request<pb::DutySpanRequest>) -> Answer<pb::DutyRosterView> {
        let lang = lang(&r);
        let who = self.caller(&r).await?;
        Ok(Response::new(labelled_duty(
            self.service.get_duty(&who, r.into_inner()).await?,
            lang,
        )))
    }

    async fn approve_duty(
        &self,
        r: Request<pb::DutyDecisionRequest>,
    ) -> Answer<pb::DutyRosterView> {
        let lang = lang(&r);
        let who = self.caller(&r).await?;
        Ok(Response::new(labelled_duty(
            self.service.approve_duty(&who, r.into_inner()).await?,
            lang,
        )))
    }

    async fn publish_duty(&self, r: Request<pb::DutySpanRequest>) -> Answer<pb::DutyRosterView> {
        let lang = lang(&r);
        let who = self.caller(&r).await?;
        Ok(Response::new(labelled_duty(
            self.service.publish_duty(&who, r.into_inner()).await?,
            lang,
        )))
    }

    async fn list_duty(&self, r: Request<pb::DutyListRequest>) -> Answer<pb::DutyRosterList> {
        let lang = lang(&r);
        let who = self.caller(&r).await?;
        let mut list = self.service.list_duty(&who, r.into_inner()).await?;
        list.rosters = list
            .rosters
            .into_iter()
            .map(|v| labelled_duty(v, lang))
            .collect();
        Ok(Response::new(list))
    }

    async fn duty_board(&self, r: Request<pb::DutySpanRequest>) -> Answer<pb::DutyBoardView> {
        let lang = lang(&r);
        let who = self.caller(&r).await?;
        let mut b = self.service.duty_board(&who, r.into_inner()).await?;
        b.span_label = span_label(&b.span, &b.span_label, lang);
        Ok(Response::new(b))
    }

    async fn export_duty(&self, r: Request<pb::DutySpanRequest>) -> Answer<pb::ExportReply> {
        let who = self.caller(&r).await?;
        Ok(Response::new(
            self.service.export_duty(&who, r.into_inner()).await?,
        ))
    }

    async fn generate_work_report(
        &self,
        r: Request<pb::WorkReportRequest>,
    ) -> Answer<pb::WorkReportView> {
        let who = self.caller(&r).await?;
        Ok(Response::new(
            self.service
                .generate_work_report(&who, r.into_inner())
                .await?,
        ))
    }

    async fn get_work_report(
        &self,
        r: Request<pb::WorkReportRequest>,
    ) -> Answer<pb::WorkReportView> {
        let who = self.caller(&r).await?;
        Ok(Response::new(
            self.service.get_work_report(&who, r.into_inner()).await?,
        ))
    }

    async fn export_work_report(
        &self,
        r: Request<pb::WorkReportExportRequest>,
    ) -> Answer<pb::ExportReply> {
        let who = self.caller(&r).await?;
        Ok(Response::new(
            self.service
                .export_work_report(&who, r.into_inner())
                .await?,
        ))
    }
}

/// A schedule view with its labels in the caller's language.
fn labelled(mut v: pb::ScheduleView, lang: Lang) -> pb::ScheduleView {
    v.state_label = labels::state_of_code(&v.state)
        .map(|l| l.get(lang).to_owned())
        .unwrap_or_else(|| v.state.clone());
    v.filing_status_label = labels::filing_of_code(&v.filing_status)
        .map(|l| l.get(lang).to_owned())
        .unwrap_or_else(|| v.filing_status.clone());
    v
}

/// A filing board with its labels in the caller's language.
fn labelled_board(mut b: pb::FilingBoard, lang: Lang) -> pb::FilingBoard {
    for row in &mut b.rows {
        row.status_label = labels::filing_of_code(&row.status)
            .map(|l| l.get(lang).to_owned())
            .unwrap_or_else(|| row.status.clone());
    }
    b
}

/// A span's label in the caller's language (the service answers in Chinese).
fn span_label(span: &str, zh: &str, lang: Lang) -> String {
    DutySpan::label_of(span, lang).unwrap_or_else(|| zh.to_owned())
}

/// A duty roster with its state and span labels in the caller's language.
fn labelled_duty(mut v: pb::DutyRosterView, lang: Lang) -> pb::DutyRosterView {
    v.state_label = labels::state_of_code(&v.state)
        .map(|l| l.get(lang).to_owned())
        .unwrap_or_else(|| v.state.clone());
    v.span_label = span_label(&v.span, &v.span_label, lang);
    v
}
