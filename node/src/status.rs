//! The node's status: its unit, documents, links to peers (connected, lag, last
//! sync, quarantined documents, ledger flags, clock offset, certificate expiry),
//! integrity alerts and recovery, built from the hub and the ledger. One home for
//! what the gRPC `Node.Status` adapter and the console's links page (链路) show;
//! the permission is checked here, so neither front can skip it. Staff who may
//! read cases see the subtree's open major or urgent matters there too, as the
//! case service answers them.

use std::sync::Arc;

use xinfang_hub::Hub;
use xinfang_hub::tls::TlsState;
use xinfang_proto::v1 as pb;

use crate::auth::{Action, Actor, Guard};
use crate::case::service::CaseService;
use crate::error::NodeError;
use crate::labels::Lang;
use crate::ledger::Ledger;
use crate::recovery::Recovery;

pub struct NodeStatus {
    hub: Hub,
    ledger: Arc<Ledger>,
    recovery: Arc<Recovery>,
    /// The node's TLS material, for the expiry dates the status reports.
    tls: Option<Arc<TlsState>>,
    guard: Arc<Guard>,
    cases: Arc<CaseService>,
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

impl NodeStatus {
    /// What the administrator's view of the links asks of the roles table.
    pub const LINKS: Action = Action::ReadQuarantine;

    pub fn new(
        hub: Hub,
        ledger: Arc<Ledger>,
        recovery: Arc<Recovery>,
        tls: Option<Arc<TlsState>>,
        guard: Arc<Guard>,
        cases: Arc<CaseService>,
    ) -> Self {
        NodeStatus {
            hub,
            ledger,
            recovery,
            tls,
            guard,
            cases,
        }
    }

    /// The status anyone signed in may read (`ReadStatus`); certificate details
    /// for administrators only.
    pub async fn status(&self, who: &Actor, lang: Lang) -> Result<pb::StatusResponse, NodeError> {
        self.guard.authorize(who, Action::ReadStatus, "").await?;
        let mut out = self.build(who.is_admin()).await?;
        // Major or urgent matters reach every superior at once: in the status of
        // whoever may read the cases behind them.
        if crate::auth::any_allowed(&who.roles, Action::ReadCases) {
            out.major_alerts = self.cases.open_major_alerts(lang).await?;
        }
        Ok(out)
    }

    /// The administrator's view of the links, with what peers sent that was
    /// refused and the certificates: those who may read the quarantine
    /// (`ReadQuarantine`), refusals audited by the guard.
    pub async fn links(&self, who: &Actor) -> Result<pb::StatusResponse, NodeError> {
        self.guard.authorize(who, Self::LINKS, "").await?;
        self.build(true).await
    }

    async fn build(&self, details: bool) -> Result<pb::StatusResponse, NodeError> {
        let hub = &self.hub;
        let unit = hub
            .topology()
            .unit(hub.me())
            .ok_or_else(|| NodeError::Internal("own unit missing from topology".into()))?;
        let documents = hub
            .store()
            .count_docs()
            .await
            .map_err(|e| NodeError::Storage(e.to_string()))?;
        let now_ms = hub.now_ms();
        let tls = self.tls.as_deref().filter(|_| details);
        let l = &self.ledger;
        let (seen, alerts, (ledger_seq, ledger_head)) =
            (l.peers().await?, l.alerts().await?, l.head().await?);
        let peers = hub
            .link_statuses()
            .await?
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
                    caught_up: st.catch_up.is_some(),
                    catch_up_ms: st.catch_up.map_or(0, |d| d.as_millis() as u64),
                    catch_up_us: st.catch_up.map_or(0, |d| d.as_micros() as u64),
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
        Ok(pb::StatusResponse {
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
            major_alerts: Vec::new(),
        })
    }
}
