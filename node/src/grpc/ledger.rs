//! The gRPC adapter for the ledger (`xinfang.v1.Ledger`).

use std::sync::Arc;

use tonic::{Request, Response, Status};
use xinfang_proto::v1 as pb;
use xinfang_proto::v1::ledger_server::Ledger as LedgerRpc;

use crate::auth::{Action, Guard};
use crate::ledger::{EntryKind, Ledger};

/// Entries `Show` returns when not told, and at most.
const DEFAULT_SHOW: u32 = 20;
const MAX_SHOW: u32 = 10_000;

pub struct LedgerApi {
    ledger: Arc<Ledger>,
    guard: Arc<Guard>,
}

impl LedgerApi {
    pub fn new(ledger: Arc<Ledger>, guard: Arc<Guard>) -> Self {
        LedgerApi { ledger, guard }
    }
}

type Answer<T> = Result<Response<T>, Status>;

fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

#[tonic::async_trait]
impl LedgerRpc for LedgerApi {
    async fn show(&self, r: Request<pb::LedgerShowRequest>) -> Answer<pb::LedgerEntries> {
        self.guard.check(&r, Action::ReadLedger, "").await?;
        let lang = super::node::lang(&r);
        let limit = match r.get_ref().limit {
            0 => DEFAULT_SHOW,
            n => n.min(MAX_SHOW),
        };
        let entries = self
            .ledger
            .show(limit)
            .await?
            .into_iter()
            .map(|e| pb::LedgerEntry {
                seq: e.seq,
                at: rfc3339(e.at_ms),
                kind_label: EntryKind::of_code(&e.kind)
                    .map(|k| k.label().get(lang).to_owned())
                    .unwrap_or_else(|| e.kind.clone()),
                kind: e.kind,
                doc_id: e.doc_id,
                actor: e.actor,
                peer: e.peer,
                detail: e.detail,
                prev_hash: e.prev_hash,
                hash: e.hash,
            })
            .collect();
        Ok(Response::new(pb::LedgerEntries { entries }))
    }

    async fn verify(&self, r: Request<pb::LedgerVerifyRequest>) -> Answer<pb::LedgerVerification> {
        self.guard.check(&r, Action::ReadLedger, "").await?;
        let w = self.ledger.verify().await?;
        let (bad_seq, reason) = w
            .damage
            .map(|d| (d.seq, d.reason))
            .unwrap_or((0, String::new()));
        Ok(Response::new(pb::LedgerVerification {
            ok: bad_seq == 0,
            entries: w.entries,
            head_seq: w.head_seq,
            head_hash: hex::encode(w.head_hash),
            bad_seq,
            reason,
        }))
    }

    async fn acknowledge(
        &self,
        r: Request<pb::LedgerAcknowledgeRequest>,
    ) -> Answer<pb::LedgerAcknowledgeReply> {
        let unit = r.get_ref().unit.clone();
        let who = self
            .guard
            .check(&r, Action::AcknowledgeLedger, &unit)
            .await?;
        let cleared = self.ledger.acknowledge(&unit).await?;
        self.guard
            .audit_allowed(&who, "ledger.acknowledge", &unit, "")
            .await;
        Ok(Response::new(pb::LedgerAcknowledgeReply { cleared }))
    }
}
