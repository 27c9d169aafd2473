//! The gRPC adapter for the holiday calendar (`xinfang.v1.Calendar`): names the
//! caller and hands the request to the calendar service. No rule here.

use std::sync::Arc;

use tonic::{Request, Response, Status};
use xinfang_proto::v1 as pb;
use xinfang_proto::v1::calendar_server::Calendar;

use crate::holidays::service::CalendarService;

pub struct CalendarApi {
    service: Arc<CalendarService>,
}

impl CalendarApi {
    pub fn new(service: Arc<CalendarService>) -> Self {
        CalendarApi { service }
    }
}

type Answer<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl Calendar for CalendarApi {
    async fn publish_year(&self, r: Request<pb::PublishYearRequest>) -> Answer<pb::CalendarView> {
        let who = self.service.guard().authenticate(&r).await?;
        Ok(Response::new(
            self.service.publish(&who, r.into_inner()).await?,
        ))
    }

    async fn get_calendar(&self, r: Request<pb::GetCalendarRequest>) -> Answer<pb::CalendarView> {
        let who = self.service.guard().authenticate(&r).await?;
        Ok(Response::new(self.service.get(&who).await?))
    }
}
