//! The gRPC adapter of `xinfang.v1.Node`: names the caller, reads the caller's
//! language, and hands the request to the case service (`case::service`), whose
//! answer it returns as it is. No rule lives here.

use std::sync::Arc;

use tonic::{Request, Response, Status};
use xinfang_hub::Hub;
use xinfang_hub::tls::TlsState;
use xinfang_proto::v1 as pb;
use xinfang_proto::v1::node_server::Node as NodeRpc;

use crate::auth::{Action, Actor};
use crate::case::labels::Lang;
use crate::case::service::{CaseService, ListQuery};
use crate::error::NodeError;
use crate::ledger::Ledger;
use crate::recovery::Recovery;

pub struct NodeApi {
    cases: Arc<CaseService>,
    hub: Hub,
    ledger: Arc<Ledger>,
    recovery: Arc<Recovery>,
    /// The node's TLS material, for the expiry dates `status` reports.
    tls: Option<Arc<TlsState>>,
}

impl NodeApi {
    pub fn new(
        cases: Arc<CaseService>,
        hub: Hub,
        ledger: Arc<Ledger>,
        recovery: Arc<Recovery>,
        tls: Option<Arc<TlsState>>,
    ) -> Self {
        NodeApi {
            cases,
            hub,
            ledger,
            recovery,
            tls,
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

fn secs_to_rfc3339(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
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
        let who = self
            .cases
            .guard()
            .check(&request, Action::ReadStatus, "")
            .await?;
        // Certificate details are for administrators.
        let details = who.is_admin();
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
        let now_ms = hub.now_ms();
        let tls = self.tls.as_deref().filter(|_| details);
        let l = &self.ledger;
        let (seen, alerts, (ledger_seq, ledger_head)) =
            (l.peers().await?, l.alerts().await?, l.head().await?);
        let peers = hub
            .link_statuses()
            .await
            .map_err(|e| Status::from(NodeError::from(e)))?
            .into_iter()
            .map(|(link, st, lag)| {
                let cert = tls.and_then(|t| t.peer_cert(&link.peer));
                let ledger = seen.iter().find(|p| p.peer == link.peer.as_str());
                let flagged = ledger.filter(|p| p.flagged_ms != 0);
                let clock_alert = st.clock_alert();
                pb::PeerStatus {
                    ledger_flag: flagged.map(|p| p.flag_reason.clone()).unwrap_or_default(),
                    ledger_flagged_at: ms_to_rfc3339(flagged.map(|p| p.flagged_ms)),
                    ledger_seen_seq: ledger.map(|p| p.seen_seq).unwrap_or(0),
                    cert_serial: cert.as_ref().map(|c| c.serial.clone()).unwrap_or_default(),
                    cert_not_after: cert
                        .map(|c| secs_to_rfc3339(c.not_after))
                        .unwrap_or_default(),
                    unit: link.peer.to_string(),
                    role: link.role.as_str().into(),
                    connected: st.connected,
                    lag,
                    acked: st.acked,
                    received: st.received,
                    last_sync: ms_to_rfc3339(st.last_in_sync_ms(now_ms)),
                    last_error: st.last_error.unwrap_or_default(),
                    bytes_sent: st.bytes_sent,
                    bytes_received: st.bytes_received,
                    session_bytes_sent: st.session_bytes_sent,
                    session_bytes_received: st.session_bytes_received,
                    caught_up: st.catch_up_ms.is_some(),
                    catch_up_ms: st.catch_up_ms.unwrap_or(0),
                    sessions: st.sessions,
                    quarantined: st.quarantined_docs,
                    clock_offset_ms: st.clock_offset_ms.unwrap_or(0),
                    clock_offset_known: st.clock_offset_ms.is_some(),
                    clock_alert,
                    last_quarantined: st.last_quarantined.unwrap_or_default(),
                }
            })
            .collect();
        // Expiry is judged by the wall clock, as the TLS handshake judges it.
        let now = chrono::Utc::now().timestamp();
        let credentials = tls
            .map(|t| t.current().expiries())
            .unwrap_or_default()
            .into_iter()
            .map(|e| pb::CredentialExpiry {
                kind: e.kind.as_str().into(),
                serial: e.serial.clone(),
                subject: e.subject.clone(),
                not_after: secs_to_rfc3339(e.not_after),
                days_left: e.days_left(now),
                warning: e.warning(now),
            })
            .collect();
        Ok(Response::new(pb::StatusResponse {
            credentials,
            tls_reload_error: tls.and_then(|t| t.reload_error()).unwrap_or_default(),
            unit: unit.code.to_string(),
            name: unit.name.clone(),
            tier: unit.tier.as_str().into(),
            head: hub.head(),
            documents,
            peers,
            epoch: hub.epoch(),
            integrity_alerts: alerts
                .into_iter()
                .map(|a| pb::IntegrityAlert {
                    doc_id: a.doc_id,
                    reporter: a.reporter,
                    subject: a.subject,
                    at: ms_to_rfc3339(Some(a.at_ms)),
                    reason: a.reason,
                })
                .collect(),
            ledger_seq,
            ledger_head,
            recovery: hub.recovery().map(|m| pb::Recovery {
                reason: m.reason,
                since: ms_to_rfc3339(Some(m.since_ms)),
            }),
            number_collisions: self.recovery.number_collisions().await?,
        }))
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
                "must say why recovery is ended without the parent",
            )
            .into());
        }
        self.recovery.finish(Some((&who.name, reason))).await?;
        Ok(Response::new(pb::EndRecoveryResponse {}))
    }
}
