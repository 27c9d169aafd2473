//! The local node API (gRPC `xinfang.v1.Node`), used by the `xinfang` CLI.

use std::sync::Arc;

use sqlx::SqlitePool;
use tonic::{Request, Response, Status};
use xinfang_hub::{Create, Hub, HubError, UpdateError};
use xinfang_proto::v1 as pb;
use xinfang_proto::v1::node_server::Node as NodeRpc;

use crate::case::{self, CaseView, Registration};
use crate::error::NodeError;
use crate::projection::{self, Projector};

const DEFAULT_PAGE: u32 = 100;
const MAX_PAGE: u32 = 10_000;

pub struct NodeApi {
    hub: Hub,
    pool: SqlitePool,
    projector: Arc<Projector>,
}

impl NodeApi {
    pub fn new(hub: Hub, pool: SqlitePool, projector: Arc<Projector>) -> Self {
        NodeApi {
            hub,
            pool,
            projector,
        }
    }

    fn now() -> (String, i32) {
        let now = chrono::Utc::now();
        (
            now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            chrono::Datelike::year(&now),
        )
    }

    async fn next_number(&self, unit: &str, year: i32) -> Result<u64, NodeError> {
        let n: i64 = sqlx::query_scalar(
            "INSERT INTO node_case_counters (unit, year, next) VALUES (?, ?, 2)
             ON CONFLICT (unit, year) DO UPDATE SET next = next + 1
             RETURNING next - 1",
        )
        .bind(unit)
        .bind(year)
        .fetch_one(&self.pool)
        .await?;
        Ok(n as u64)
    }

    pub async fn register(&self, req: pb::RegisterCaseRequest) -> Result<CaseView, NodeError> {
        let reg = Registration::validate(self.hub.me(), &req.unit, &req.petitioner, &req.content)?;
        let (at, year) = Self::now();
        loop {
            let seq = self.next_number(reg.unit.as_str(), year).await?;
            let no = case::case_number(&reg.unit, year, seq);
            let result = self
                .hub
                .update(&no, Create::New, |d| {
                    case::write_registration(d, &no, &reg, &at)?;
                    case::read(d, &no)
                })
                .await;
            match result {
                Ok(view) => return Ok(view),
                // The counter fell behind the documents (e.g. a restored counter
                // table): skip the taken number.
                Err(UpdateError::Hub(HubError::Exists(_))) => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// The case and when it first arrived here (ms since the epoch, our clock).
    pub async fn get(&self, case_no: &str) -> Result<(CaseView, i64), NodeError> {
        let held = self.hub.get(case_no).await?.ok_or_else(|| {
            NodeError::NotFound(format!("case {case_no} is not held at this node"))
        })?;
        let mut d = held.loaded.doc;
        Ok((case::read(&mut d, case_no)?, held.first_seen_ms))
    }

    pub async fn add_note(&self, case_no: &str, text: &str) -> Result<CaseView, NodeError> {
        let me = self.hub.me().clone();
        let (at, _) = Self::now();
        let note_id = format!("{me}-{}", uuid::Uuid::new_v4().simple());
        Ok(self
            .hub
            .update(case_no, Create::Existing, |d| {
                if !case::is_case(d) {
                    return Err(NodeError::NotFound(format!("{case_no} is not a case")));
                }
                case::add_note(d, case_no, &note_id, &me, text, &at)?;
                case::read(d, case_no)
            })
            .await?)
    }
}

pub fn to_pb(v: CaseView) -> pb::CaseView {
    pb::CaseView {
        case_no: v.case_no,
        unit: v.unit,
        petitioner: v.petitioner,
        content: v.content,
        registered_at: v.registered_at,
        notes: v
            .notes
            .into_iter()
            .map(|n| pb::Note {
                id: n.id,
                unit: n.unit,
                text: n.text,
                at: n.at,
            })
            .collect(),
        scope: v.scope,
        heads: v.heads,
        arrived_at: String::new(),
    }
}

fn ms_to_rfc3339(ms: Option<i64>) -> String {
    ms.and_then(chrono::DateTime::from_timestamp_millis)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

#[tonic::async_trait]
impl NodeRpc for NodeApi {
    async fn register_case(
        &self,
        request: Request<pb::RegisterCaseRequest>,
    ) -> Result<Response<pb::CaseView>, Status> {
        let view = self.register(request.into_inner()).await?;
        tracing::info!(case_no = %view.case_no, "case registered");
        Ok(Response::new(to_pb(view)))
    }

    async fn get_case(
        &self,
        request: Request<pb::GetCaseRequest>,
    ) -> Result<Response<pb::CaseView>, Status> {
        let no = request.into_inner().case_no;
        if no.trim().is_empty() {
            return Err(NodeError::invalid("case_no", "must not be empty").into());
        }
        let (view, arrived_ms) = self.get(no.trim()).await?;
        let mut out = to_pb(view);
        out.arrived_at = ms_to_rfc3339(Some(arrived_ms));
        Ok(Response::new(out))
    }

    async fn list_cases(
        &self,
        request: Request<pb::ListCasesRequest>,
    ) -> Result<Response<pb::ListCasesResponse>, Status> {
        let limit = match request.into_inner().limit {
            0 => DEFAULT_PAGE,
            n if n > MAX_PAGE => {
                return Err(
                    NodeError::invalid("limit", format!("must be at most {MAX_PAGE}")).into(),
                );
            }
            n => n,
        };
        // Read-your-writes: project whatever the documents already hold.
        self.projector.catch_up().await?;
        let rows = projection::list_cases(&self.pool, limit).await?;
        Ok(Response::new(pb::ListCasesResponse {
            cases: rows
                .into_iter()
                .map(|r| pb::CaseView {
                    case_no: r.case_no,
                    unit: r.unit,
                    petitioner: r.petitioner,
                    content: r.content,
                    registered_at: r.registered_at,
                    ..Default::default()
                })
                .collect(),
        }))
    }

    async fn add_note(
        &self,
        request: Request<pb::AddNoteRequest>,
    ) -> Result<Response<pb::CaseView>, Status> {
        let req = request.into_inner();
        Ok(Response::new(to_pb(
            NodeApi::add_note(self, req.case_no.trim(), &req.text).await?,
        )))
    }

    async fn status(
        &self,
        _request: Request<pb::StatusRequest>,
    ) -> Result<Response<pb::StatusResponse>, Status> {
        let hub = &self.hub;
        let unit = hub
            .topology()
            .unit(hub.me())
            .ok_or_else(|| Status::internal("own unit missing from topology"))?;
        let documents = hub
            .store()
            .count_docs()
            .await
            .map_err(|e| Status::internal(e.to_string()))?;
        let peers = hub
            .link_statuses()
            .await
            .map_err(|e| Status::from(NodeError::from(e)))?
            .into_iter()
            .map(|(link, st, lag)| pb::PeerStatus {
                unit: link.peer.to_string(),
                role: link.role.as_str().into(),
                connected: st.connected,
                lag,
                acked: st.acked,
                received: st.received,
                last_sync: ms_to_rfc3339(st.last_sync_ms),
                last_error: st.last_error.unwrap_or_default(),
                bytes_sent: st.bytes_sent,
                bytes_received: st.bytes_received,
                session_bytes_sent: st.session_bytes_sent,
                session_bytes_received: st.session_bytes_received,
                caught_up: st.catch_up_ms.is_some(),
                catch_up_ms: st.catch_up_ms.unwrap_or(0),
                sessions: st.sessions,
            })
            .collect();
        Ok(Response::new(pb::StatusResponse {
            unit: unit.code.to_string(),
            name: unit.name.clone(),
            tier: unit.tier.as_str().into(),
            head: hub.head(),
            documents,
            peers,
            epoch: hub.epoch().into(),
        }))
    }
}
