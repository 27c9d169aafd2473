//! A raw replication peer for hostile-input tests: opens a `Replication.Sync`
//! stream to a node with real mTLS, as whichever certificate it is given, sends
//! frames of its own making and reports what the node answered.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use automerge::transaction::Transactable;
use hyper_util::client::legacy::connect::HttpConnector;
use prost::Message;
use prost::bytes::BufMut;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Status;
use tonic::codec::{BufferSettings, Codec, EncodeBuf, Encoder};
use tonic::codegen::http::uri::PathAndQuery;
use tonic::transport::{ClientTlsConfig, Endpoint};
use tonic_prost::ProstDecoder;
use xinfang_ca as pki;
use xinfang_hub::doc;
use xinfang_hub::net::{self, TlsMaterial};
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
        recovering: false,
        restored: false,
        known_mark: Vec::new(),
        clock_ms: 0,
        whole: Vec::new(),
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
        mark: Vec::new(),
        packed: Default::default(),
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
    let bytes = frames.iter().map(Message::encode_to_vec).collect();
    exchange_bytes(fed, to, tls, bytes, max_frame, patience).await
}

/// As `exchange`, with each frame given as its encoded bytes, sent as they are
/// (they need not decode: that is the point of some of them).
pub async fn exchange_bytes(
    fed: &Federation,
    to: &str,
    tls: TlsMaterial,
    frames: Vec<Vec<u8>>,
    max_frame: usize,
    patience: Duration,
) -> anyhow::Result<String> {
    let connections = Connections::default();
    exchange_counted(fed, to, tls, frames, max_frame, patience, &connections).await
}

/// As `send_raw`, also saying how many connections the client opened: a
/// channel whose connection failed may dial again on its own, and a test
/// that counts the node's refusals compares them with these.
pub async fn send_raw_counted(
    fed: &Federation,
    to: &str,
    tls: TlsMaterial,
    as_unit: &str,
    max_frame: usize,
) -> anyhow::Result<(String, Connections)> {
    let connections = Connections::default();
    let frames = vec![hello(as_unit).encode_to_vec()];
    let answer = exchange_counted(
        fed,
        to,
        tls,
        frames,
        max_frame,
        Duration::from_secs(10),
        &connections,
    )
    .await?;
    Ok((answer, connections))
}

/// TCP connections a raw peer has opened (counted on, even after the call
/// returns: a channel may still be dialling as it is dropped).
#[derive(Clone, Default)]
pub struct Connections(Arc<AtomicUsize>);

impl Connections {
    pub fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// Dials as hyper's connector does, counting each dial.
#[derive(Clone)]
struct CountingConnector {
    inner: HttpConnector,
    dialled: Connections,
}

impl tower_service::Service<tonic::codegen::http::Uri> for CountingConnector {
    type Response = <HttpConnector as tower_service::Service<tonic::codegen::http::Uri>>::Response;
    type Error = <HttpConnector as tower_service::Service<tonic::codegen::http::Uri>>::Error;
    type Future = <HttpConnector as tower_service::Service<tonic::codegen::http::Uri>>::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, uri: tonic::codegen::http::Uri) -> Self::Future {
        self.dialled.0.fetch_add(1, Ordering::SeqCst);
        self.inner.call(uri)
    }
}

async fn exchange_counted(
    fed: &Federation,
    to: &str,
    tls: TlsMaterial,
    frames: Vec<Vec<u8>>,
    max_frame: usize,
    patience: Duration,
    connections: &Connections,
) -> anyhow::Result<String> {
    let endpoint = Endpoint::from_shared(format!("https://{}", fed.addr(to)))?
        .connect_timeout(Duration::from_secs(5))
        .tls_config(
            ClientTlsConfig::new()
                .ca_certificate(tonic::transport::Certificate::from_pem(&tls.ca_pem))
                .identity(tonic::transport::Identity::from_pem(
                    &tls.cert_pem,
                    &tls.key_pem,
                ))
                .domain_name(pki::unit_dns_name(&code(to))),
        )?;
    let mut dial = HttpConnector::new();
    dial.enforce_http(false);
    let connector = CountingConnector {
        inner: dial,
        dialled: connections.clone(),
    };
    let channel = match endpoint.connect_with_connector(connector).await {
        Ok(c) => c,
        Err(e) => return Ok(format!("connect: {}", net::error_chain(&e))),
    };
    let mut grpc = tonic::client::Grpc::new(channel)
        .max_decoding_message_size(max_frame)
        .max_encoding_message_size(64 << 20);
    grpc.ready().await?;
    let (tx, rx) = mpsc::channel::<Vec<u8>>(frames.len().max(1));
    let mut frames = frames.into_iter();
    // The first frame goes before the call (the server may wait for it).
    if let Some(f) = frames.next() {
        tx.send(f).await?;
    }
    let path = PathAndQuery::from_static("/xinfang.v1.Replication/Sync");
    let call = grpc.streaming(tonic::Request::new(ReceiverStream::new(rx)), path, RawCodec);
    let mut inbound = match call.await {
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

/// Sends frames as bytes already encoded; reads the node's frames as usual.
struct RawCodec;

struct RawEncoder;

impl Encoder for RawEncoder {
    type Item = Vec<u8>;
    type Error = Status;

    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = SyncFrame;
    type Encoder = RawEncoder;
    type Decoder = ProstDecoder<SyncFrame>;

    fn encoder(&mut self) -> RawEncoder {
        RawEncoder
    }

    fn decoder(&mut self) -> ProstDecoder<SyncFrame> {
        ProstDecoder::new(BufferSettings::default())
    }
}
