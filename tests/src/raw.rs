//! A raw replication peer for hostile-input tests: opens a `Replication.Sync`
//! stream to a node with real mTLS, as whichever certificate it is given, sends
//! frames of its own making and reports what the node answered.

use std::sync::Arc;
use std::time::Duration;

use automerge::transaction::Transactable;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use xinfang_hub::doc;
use xinfang_hub::net::{self, Security, TlsMaterial, TransportConfig};
use xinfang_proto::PROTOCOL_VERSION;
use xinfang_proto::v1::{Batch, DocEntry, Hello, SyncFrame, sync_frame};

use crate::{Federation, code};

/// The epoch raw peers claim; a cursor with it means a raw peer's batch was applied.
pub const HOSTILE_EPOCH: &str = "hostile-epoch";

pub fn frame(kind: sync_frame::Kind) -> SyncFrame {
    SyncFrame { kind: Some(kind) }
}

/// An opening Hello from `unit` (feed `HOSTILE_EPOCH` at head 10, nothing known).
pub fn hello(unit: &str) -> SyncFrame {
    frame(sync_frame::Kind::Hello(Hello {
        protocol: PROTOCOL_VERSION,
        unit: unit.into(),
        epoch: HOSTILE_EPOCH.into(),
        known_epoch: String::new(),
        since: 0,
        head: 10,
        reply: false,
    }))
}

/// The first batch of a feed, `(0, 1]`, carrying `docs`.
pub fn batch(docs: Vec<DocEntry>) -> SyncFrame {
    batch_at(0, 1, docs)
}

pub fn batch_at(from: u64, upto: u64, docs: Vec<DocEntry>) -> SyncFrame {
    frame(sync_frame::Kind::Batch(Batch {
        from,
        upto,
        docs,
        head: upto.max(10),
    }))
}

/// A saved, valid case document `id` scoped to `unit` (kind `case`, no fields).
pub fn valid_doc(id: &str, unit: &str) -> Vec<u8> {
    let mut d = doc::new_doc(id, doc::unit_actor(&code(unit))).expect("new document");
    doc::extend_scope(id, &mut d, [&code(unit)]).expect("scope");
    d.put(automerge::ROOT, "kind", "case").expect("kind");
    d.save()
}

/// Opens a raw replication stream to `unit`'s node as whoever `tls` says, sends
/// `frames` after a Hello, and returns the first LinkError the node answers with
/// (or the transport error that ended the stream).
pub async fn send_raw(
    fed: &Federation,
    to: &str,
    tls: TlsMaterial,
    as_unit: &str,
    frames: Vec<SyncFrame>,
    max_frame: usize,
) -> anyhow::Result<String> {
    let mut all = vec![hello(as_unit)];
    all.extend(frames);
    exchange(fed, to, tls, all, max_frame, Duration::from_secs(10)).await
}

/// As `send_raw`, without the Hello: exactly `frames` are sent, then the peer
/// only listens (it never acknowledges) for up to `patience`.
pub async fn exchange(
    fed: &Federation,
    to: &str,
    tls: TlsMaterial,
    frames: Vec<SyncFrame>,
    max_frame: usize,
    patience: Duration,
) -> anyhow::Result<String> {
    let mut client = net::connect(
        &fed.addr(to).to_string(),
        &Security::Tls(Arc::new(tls)),
        &code(to),
        max_frame,
        &TransportConfig::default(),
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?
    .max_encoding_message_size(64 << 20);
    let (tx, rx) = mpsc::channel(frames.len().max(1));
    let mut frames = frames.into_iter();
    // The first frame goes before the call (the server may wait for it).
    if let Some(f) = frames.next() {
        tx.send(f).await?;
    }
    let mut inbound = match client.sync(ReceiverStream::new(rx)).await {
        Ok(r) => r.into_inner(),
        Err(s) => return Ok(format!("refused: {}", net::error_chain(&s))),
    };
    for f in frames {
        tx.send(f).await?;
    }
    let answer = tokio::time::timeout(patience, async {
        loop {
            match inbound.message().await {
                Ok(Some(SyncFrame {
                    kind: Some(sync_frame::Kind::Error(e)),
                })) => return format!("{}: {}", e.code, e.message),
                Ok(Some(_)) => continue,
                Ok(None) => return "stream ended".to_string(),
                Err(s) => return format!("transport: {}", s.message()),
            }
        }
    })
    .await?;
    drop(tx);
    Ok(answer)
}
