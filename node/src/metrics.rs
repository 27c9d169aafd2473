//! The node's metrics: a Prometheus (OpenMetrics text) endpoint, `GET /metrics`,
//! on its own plain-HTTP listener (`--metrics-listen`, loopback by default).
//!
//! Nothing is polled in the background: each scrape reads the live state — the
//! document count and feed head from the store, every link's status as the hub
//! keeps it (the same figures `xinfang status` shows) — and encodes it with
//! `prometheus-client`. The one metric recorded as things happen is the gRPC
//! latency histogram, kept by a tower layer on the node's gRPC server.
//!
//! `docs/operations.md` lists every metric and what to alert on.

use std::collections::HashSet;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{
    DescriptorEncoder, EncodeCounterValue, EncodeGaugeValue, EncodeLabelSet, EncodeMetric, text,
};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};
use prost::Message;
use tokio::net::TcpListener;
use tokio::sync::watch;
use xinfang_hub::store::StoreError;
use xinfang_hub::{Hub, HubError};

/// The content type of what `/metrics` answers.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The `method` label of calls to paths no service of this node defines, so a
/// client cannot grow the histogram with made-up names.
pub const OTHER_METHOD: &str = "other";

#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    #[error("reading link status: {0}")]
    Hub(#[from] HubError),
    #[error("reading the store: {0}")]
    Store(#[from] StoreError),
    #[error("encoding metrics")]
    Encode(#[from] std::fmt::Error),
    #[error("gRPC descriptor set: {0}")]
    Descriptor(#[from] prost::DecodeError),
    #[error("reading the ledger: {0}")]
    Ledger(String),
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MethodLabels {
    method: String,
}

type Durations = Family<MethodLabels, Histogram, fn() -> Histogram>;

fn duration_histogram() -> Histogram {
    // 0.5 ms … 16 s.
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

/// gRPC request latencies by method, shared by the tower layer and the scrape.
#[derive(Clone)]
pub struct GrpcMetrics {
    durations: Durations,
    /// `package.Service/Method` of every method this node serves.
    known: Arc<HashSet<String>>,
}

impl GrpcMetrics {
    /// Methods are named after the services in the node's own descriptor sets
    /// (its services, health and reflection).
    pub fn for_node() -> Result<GrpcMetrics, MetricsError> {
        Self::new(&[
            xinfang_proto::FILE_DESCRIPTOR_SET,
            tonic_health::pb::FILE_DESCRIPTOR_SET,
            tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET,
        ])
    }

    /// Knows the methods of the services in `descriptor_sets` (encoded
    /// `FileDescriptorSet`s).
    pub fn new(descriptor_sets: &[&[u8]]) -> Result<GrpcMetrics, MetricsError> {
        let mut known = HashSet::new();
        for bytes in descriptor_sets {
            let set = prost_types::FileDescriptorSet::decode(*bytes)?;
            for file in set.file {
                let package = file.package.unwrap_or_default();
                for service in file.service {
                    let service_name = service.name.unwrap_or_default();
                    let full = if package.is_empty() {
                        service_name
                    } else {
                        format!("{package}.{service_name}")
                    };
                    for method in service.method {
                        known.insert(format!("{full}/{}", method.name.unwrap_or_default()));
                    }
                }
            }
        }
        Ok(GrpcMetrics {
            durations: Durations::new_with_constructor(duration_histogram),
            known: Arc::new(known),
        })
    }

    /// The `method` label for a request path (`/package.Service/Method`).
    pub fn method_label(&self, path: &str) -> String {
        let name = path.strip_prefix('/').unwrap_or(path);
        if self.known.contains(name) {
            name.to_owned()
        } else {
            OTHER_METHOD.to_owned()
        }
    }

    /// Records one call.
    pub fn observe(&self, method: String, seconds: f64) {
        self.durations
            .get_or_create(&MethodLabels { method })
            .observe(seconds);
    }

    /// The tower layer that times every call through the gRPC server.
    pub fn layer(&self) -> GrpcMetricsLayer {
        GrpcMetricsLayer(self.clone())
    }
}

/// Times each gRPC call: from the request's arrival until the response's headers
/// are ready. For a unary call that is the whole handler; for a streaming call
/// (`Replication/Sync`) it is the time to accept the stream.
#[derive(Clone)]
pub struct GrpcMetricsLayer(GrpcMetrics);

impl<S> tower_layer::Layer<S> for GrpcMetricsLayer {
    type Service = GrpcMetricsService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        GrpcMetricsService {
            inner,
            metrics: self.0.clone(),
        }
    }
}

#[derive(Clone)]
pub struct GrpcMetricsService<S> {
    inner: S,
    metrics: GrpcMetrics,
}

type BoxFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

impl<S, B> tower_service::Service<http::Request<B>> for GrpcMetricsService<S>
where
    S: tower_service::Service<http::Request<B>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<S::Response, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let method = self.metrics.method_label(req.uri().path());
        let started = Instant::now();
        let metrics = self.metrics.clone();
        let call = self.inner.call(req);
        Box::pin(async move {
            let out = call.await;
            metrics.observe(method, started.elapsed().as_secs_f64());
            out
        })
    }
}

/// One link as read at scrape time.
#[derive(Debug, Clone, Default)]
pub struct PeerSample {
    pub peer: String,
    pub role: String,
    pub connected: bool,
    /// Our feed entries the peer has not acknowledged.
    pub outbound_lag: u64,
    /// The peer's feed entries we have not applied (when the peer told us its head).
    pub inbound_lag: Option<u64>,
    pub last_sync_age_seconds: Option<f64>,
    pub frames_sent: u64,
    pub frames_received: u64,
    pub bytes_sent: u64,
    pub bytes_received: u64,
    pub refused_batches: u64,
    pub refused_docs: u64,
    pub errors_from_peer: u64,
    pub sessions: u64,
    /// A child whose ledger did not extend what this node saw (not yet acknowledged).
    pub ledger_flagged: bool,
    /// How far the peer's clock is from ours, either way (ms), as last measured.
    pub clock_skew_ms: Option<u64>,
}

/// Everything but the histogram, read from the live state at scrape time.
#[derive(Debug, Clone, Default)]
pub struct Sample {
    pub unit: String,
    pub tier: String,
    pub documents: u64,
    pub head: u64,
    pub peers: Vec<PeerSample>,
    /// Entries in this node's ledger.
    pub ledger_entries: u64,
    /// Integrity alerts held here (this node's and those from below).
    pub integrity_alerts: u64,
}

impl Sample {
    /// Reads the node's state now.
    pub async fn read(hub: &Hub) -> Result<Sample, MetricsError> {
        let documents = hub.store().count_docs().await?;
        let now_ms = hub.now_ms();
        let peers = hub
            .link_statuses()
            .await?
            .into_iter()
            .map(|(link, st, lag)| PeerSample {
                peer: link.peer.to_string(),
                role: link.role.as_str().to_owned(),
                connected: st.connected,
                outbound_lag: lag,
                inbound_lag: st.peer_head.map(|h| h.saturating_sub(st.received)),
                last_sync_age_seconds: st
                    .last_in_sync_ms(now_ms)
                    .map(|t| now_ms.saturating_sub(t).max(0) as f64 / 1000.0),
                frames_sent: st.frames_sent,
                frames_received: st.frames_received,
                bytes_sent: st.bytes_sent,
                bytes_received: st.bytes_received,
                refused_batches: st.refused_batches,
                refused_docs: st.refused_docs,
                errors_from_peer: st.errors_from_peer,
                sessions: st.sessions,
                ledger_flagged: false,
                clock_skew_ms: st.clock_offset_ms.map(i64::unsigned_abs),
            })
            .collect();
        Ok(Sample {
            unit: hub.me().to_string(),
            tier: hub
                .topology()
                .unit(hub.me())
                .map(|u| u.tier.as_str().to_owned())
                .unwrap_or_default(),
            documents,
            head: hub.head(),
            peers,
            ledger_entries: 0,
            integrity_alerts: 0,
        })
    }
}

fn gauge(
    enc: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    value: impl EncodeGaugeValue + std::fmt::Debug,
) -> Result<(), std::fmt::Error> {
    let m = enc.encode_descriptor(name, help, None, MetricType::Gauge)?;
    ConstGauge::new(value).encode(m)
}

/// A per-peer metric: one sample per link for which `value` gives one.
fn per_peer<V>(
    enc: &mut DescriptorEncoder,
    peers: &[PeerSample],
    (name, help, unit, kind): (&str, &str, Option<&Unit>, MetricType),
    value: impl Fn(&PeerSample) -> Option<V>,
) -> Result<(), std::fmt::Error>
where
    V: EncodeGaugeValue + EncodeCounterValue + std::fmt::Debug,
{
    let mut m = enc.encode_descriptor(name, help, unit, kind)?;
    for p in peers {
        let Some(v) = value(p) else { continue };
        let labels = [("peer", p.peer.as_str())];
        let sample = m.encode_family(&labels)?;
        match kind {
            MetricType::Counter => ConstCounter::new(v).encode(sample)?,
            _ => ConstGauge::new(v).encode(sample)?,
        }
    }
    Ok(())
}

impl Collector for Sample {
    fn encode(&self, mut enc: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        {
            let mut m = enc.encode_descriptor(
                "xinfang_node_info",
                "This node: its unit code and tier (always 1).",
                None,
                MetricType::Gauge,
            )?;
            let labels = [("unit", self.unit.as_str()), ("tier", self.tier.as_str())];
            ConstGauge::new(1i64).encode(m.encode_family(&labels)?)?;
        }
        gauge(
            &mut enc,
            "xinfang_documents_held",
            "Documents this node holds.",
            self.documents,
        )?;
        gauge(
            &mut enc,
            "xinfang_feed_head_sequence",
            "Sequence number of the newest entry in this node's change feed (its length).",
            self.head,
        )?;
        {
            let mut m = enc.encode_descriptor(
                "xinfang_peer_info",
                "Each configured link: the peer's unit code and its role (parent or child); always 1.",
                None,
                MetricType::Gauge,
            )?;
            for p in &self.peers {
                let labels = [("peer", p.peer.as_str()), ("role", p.role.as_str())];
                ConstGauge::new(1i64).encode(m.encode_family(&labels)?)?;
            }
        }
        gauge(
            &mut enc,
            "xinfang_ledger_entries",
            "Entries in this node's hash-chained ledger.",
            self.ledger_entries,
        )?;
        gauge(
            &mut enc,
            "xinfang_integrity_alerts",
            "Integrity alerts held here: a parent found a child's ledger rewritten (this node's and those from below).",
            self.integrity_alerts,
        )?;
        let (g, c) = (MetricType::Gauge, MetricType::Counter);
        let (secs, bytes) = (Unit::Seconds, Unit::Bytes);
        for (name, help, kind, value) in PEER_GAUGES {
            per_peer(&mut enc, &self.peers, (name, help, None, kind), value)?;
        }
        per_peer(
            &mut enc,
            &self.peers,
            (
                "xinfang_peer_last_sync_age",
                "Seconds since the link was last known in sync (absent if never).",
                Some(&secs),
                g,
            ),
            |p| p.last_sync_age_seconds,
        )?;
        for (name, help, in_bytes, value) in PEER_COUNTERS {
            let unit = in_bytes.then_some(&bytes);
            per_peer(&mut enc, &self.peers, (name, help, unit, c), value)?;
        }
        Ok(())
    }
}

/// What one link contributes to a per-peer metric (None: no sample).
type PeerValue = fn(&PeerSample) -> Option<u64>;

/// Per-peer gauges: name, help, type, value.
const PEER_GAUGES: [(&str, &str, MetricType, PeerValue); 5] = [
    (
        "xinfang_peer_clock_skew_ms",
        "How far the peer's wall clock is from this node's, either way, measured at its last Hello (alert beyond 60000).",
        MetricType::Gauge,
        |p| p.clock_skew_ms,
    ),
    (
        "xinfang_peer_ledger_flagged",
        "1 while a child's ledger is flagged: its chain did not extend what this node saw (until acknowledged).",
        MetricType::Gauge,
        |p| (p.role == "child").then_some(u64::from(p.ledger_flagged)),
    ),
    (
        "xinfang_peer_connected",
        "1 while a replication session with the peer is up.",
        MetricType::Gauge,
        |p| Some(u64::from(p.connected)),
    ),
    (
        "xinfang_peer_outbound_lag_entries",
        "Entries of this node's feed the peer has not acknowledged yet.",
        MetricType::Gauge,
        |p| Some(p.outbound_lag),
    ),
    (
        "xinfang_peer_inbound_lag_entries",
        "Entries of the peer's feed (as of the head it last reported) this node has not applied yet.",
        MetricType::Gauge,
        |p| p.inbound_lag,
    ),
];

/// Per-peer counters since the node started: name, help, counted in bytes, value.
const PEER_COUNTERS: [(&str, &str, bool, PeerValue); 8] = [
    (
        "xinfang_peer_frames_sent",
        "Sync frames sent to the peer since this node started.",
        false,
        |p| Some(p.frames_sent),
    ),
    (
        "xinfang_peer_frames_received",
        "Sync frames received from the peer since this node started.",
        false,
        |p| Some(p.frames_received),
    ),
    (
        "xinfang_peer_sent",
        "Encoded sync-frame bytes sent to the peer since this node started.",
        true,
        |p| Some(p.bytes_sent),
    ),
    (
        "xinfang_peer_received",
        "Encoded sync-frame bytes received from the peer since this node started.",
        true,
        |p| Some(p.bytes_received),
    ),
    (
        "xinfang_peer_refused_batches",
        "Batches from the peer this node refused whole (nothing of them was stored).",
        false,
        |p| Some(p.refused_batches),
    ),
    (
        "xinfang_peer_refused_documents",
        "Documents from the peer this node refused: in batches refused whole, or quarantined alone by the authorship rules.",
        false,
        |p| Some(p.refused_docs),
    ),
    (
        "xinfang_peer_link_errors_received",
        "Sessions the peer ended with a LinkError (it refused something this node sent).",
        false,
        |p| Some(p.errors_from_peer),
    ),
    (
        "xinfang_peer_sessions",
        "Replication sessions with the peer since this node started.",
        false,
        |p| Some(p.sessions),
    ),
];

/// What `/metrics` serves: the live state of one node plus its gRPC latencies.
#[derive(Clone)]
pub struct NodeMetrics {
    hub: Hub,
    grpc: GrpcMetrics,
    ledger: Option<std::sync::Arc<crate::ledger::Ledger>>,
}

impl NodeMetrics {
    pub fn new(hub: Hub, grpc: GrpcMetrics) -> NodeMetrics {
        NodeMetrics {
            hub,
            grpc,
            ledger: None,
        }
    }

    pub fn with_ledger(mut self, ledger: std::sync::Arc<crate::ledger::Ledger>) -> NodeMetrics {
        self.ledger = Some(ledger);
        self
    }

    pub fn grpc(&self) -> &GrpcMetrics {
        &self.grpc
    }

    /// The exposition text, read now.
    pub async fn render(&self) -> Result<String, MetricsError> {
        let mut sample = Sample::read(&self.hub).await?;
        if let Some(l) = &self.ledger {
            let err = |e: crate::error::NodeError| MetricsError::Ledger(e.to_string());
            sample.ledger_entries = l.head().await.map_err(err)?.0;
            sample.integrity_alerts = l.alert_count().await.map_err(err)?;
            for p in l.peers().await.map_err(err)? {
                if let Some(s) = sample.peers.iter_mut().find(|s| s.peer == p.peer) {
                    s.ledger_flagged = p.flagged_ms != 0;
                }
            }
        }
        encode(sample, &self.grpc)
    }
}

/// Encodes `sample` and the gRPC histogram as OpenMetrics text.
pub fn encode(sample: Sample, grpc: &GrpcMetrics) -> Result<String, MetricsError> {
    let mut registry = Registry::default();
    registry.register_collector(Box::new(sample));
    registry.register_with_unit(
        "xinfang_grpc_request_duration",
        "gRPC calls by method: time from the request until the response headers (for streams: until the stream is accepted).",
        Unit::Seconds,
        grpc.durations.clone(),
    );
    let mut out = String::new();
    text::encode(&mut out, &registry)?;
    Ok(out)
}

async fn scrape(
    axum::extract::State(metrics): axum::extract::State<NodeMetrics>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    match metrics.render().await {
        Ok(body) => ([(http::header::CONTENT_TYPE, CONTENT_TYPE)], body).into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "metrics scrape failed");
            (http::StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")).into_response()
        }
    }
}

/// Serves `GET /metrics` on `listener` until `shutdown` turns true.
pub async fn serve(
    listener: TcpListener,
    metrics: NodeMetrics,
    mut shutdown: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let app = axum::Router::new()
        .route("/metrics", axum::routing::get(scrape))
        .with_state(metrics);
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            let _ = shutdown.wait_for(|s| *s).await;
        })
        .await
}

/// Whether serving metrics on `addr` keeps them on this machine.
pub fn is_local(addr: &SocketAddr) -> bool {
    addr.ip().is_loopback()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Sample {
        Sample {
            unit: "441521".into(),
            tier: "county".into(),
            documents: 3,
            head: 7,
            peers: vec![
                PeerSample {
                    peer: "441500".into(),
                    role: "parent".into(),
                    connected: true,
                    outbound_lag: 2,
                    inbound_lag: Some(0),
                    last_sync_age_seconds: Some(1.5),
                    frames_sent: 4,
                    frames_received: 5,
                    bytes_sent: 300,
                    bytes_received: 400,
                    ..Default::default()
                },
                PeerSample {
                    peer: "441521115000".into(),
                    role: "child".into(),
                    refused_batches: 1,
                    refused_docs: 2,
                    ..Default::default()
                },
            ],
            ledger_entries: 9,
            integrity_alerts: 0,
        }
    }

    /// A sample line: name, labels, value.
    type Line = (String, Vec<(String, String)>, f64);

    /// Splits a sample line, or explains why it is not one.
    fn parse_line(line: &str) -> Result<Line, String> {
        let (series, value) = line
            .rsplit_once(' ')
            .ok_or_else(|| format!("no value: {line:?}"))?;
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            v => v.parse().map_err(|_| format!("bad value in {line:?}"))?,
        };
        let (name, labels) = match series.split_once('{') {
            None => (series, Vec::new()),
            Some((name, rest)) => {
                let body = rest
                    .strip_suffix('}')
                    .ok_or_else(|| format!("unclosed labels: {line:?}"))?;
                let mut labels = Vec::new();
                for pair in body.split(',').filter(|p| !p.is_empty()) {
                    let (k, v) = pair
                        .split_once('=')
                        .ok_or_else(|| format!("label without '=': {line:?}"))?;
                    let v = v
                        .strip_prefix('"')
                        .and_then(|v| v.strip_suffix('"'))
                        .ok_or_else(|| format!("unquoted label value: {line:?}"))?;
                    if k.is_empty() || !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                        return Err(format!("bad label name {k:?} in {line:?}"));
                    }
                    labels.push((k.to_owned(), v.to_owned()));
                }
                (name, labels)
            }
        };
        let ok_name = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
            && !name.starts_with(|c: char| c.is_ascii_digit());
        if !ok_name {
            return Err(format!("bad metric name {name:?} in {line:?}"));
        }
        Ok((name.to_owned(), labels, value))
    }

    fn value(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| parse_line(l).ok())
            .find(|(n, ls, _)| {
                n == name
                    && labels
                        .iter()
                        .all(|(k, v)| ls.iter().any(|(lk, lv)| lk == k && lv == v))
            })
            .map(|(.., v)| v)
    }

    #[test]
    fn every_line_is_a_comment_or_a_sample() {
        let grpc = GrpcMetrics::for_node().unwrap();
        grpc.observe(grpc.method_label("/xinfang.v1.Node/Status"), 0.002);
        let text = encode(sample(), &grpc).unwrap();
        assert!(text.ends_with("# EOF\n"), "{text}");
        let mut samples = 0;
        for line in text.lines() {
            if line.starts_with('#') {
                continue;
            }
            parse_line(line).unwrap();
            samples += 1;
        }
        assert!(samples > 20, "{text}");
        assert_eq!(value(&text, "xinfang_documents_held", &[]), Some(3.0));
        assert_eq!(value(&text, "xinfang_feed_head_sequence", &[]), Some(7.0));
        let parent = [("peer", "441500")];
        let child = [("peer", "441521115000")];
        assert_eq!(
            value(&text, "xinfang_peer_received_bytes_total", &parent),
            Some(400.0)
        );
        assert_eq!(
            value(&text, "xinfang_peer_frames_sent_total", &parent),
            Some(4.0)
        );
        assert_eq!(
            value(&text, "xinfang_peer_last_sync_age_seconds", &parent),
            Some(1.5)
        );
        // Unknown figures are left out, not reported as zero.
        assert_eq!(
            value(&text, "xinfang_peer_last_sync_age_seconds", &child),
            None
        );
        assert_eq!(
            value(&text, "xinfang_peer_inbound_lag_entries", &child),
            None
        );
        assert_eq!(
            value(&text, "xinfang_peer_refused_documents_total", &child),
            Some(2.0)
        );
        assert_eq!(
            value(
                &text,
                "xinfang_peer_info",
                &[("peer", "441521115000"), ("role", "child")]
            ),
            Some(1.0)
        );
        let status = [("method", "xinfang.v1.Node/Status")];
        assert_eq!(
            value(
                &text,
                "xinfang_grpc_request_duration_seconds_count",
                &status
            ),
            Some(1.0)
        );
        assert_eq!(
            value(
                &text,
                "xinfang_grpc_request_duration_seconds_bucket",
                &[("method", "xinfang.v1.Node/Status"), ("le", "+Inf")]
            ),
            Some(1.0)
        );
    }

    #[test]
    fn methods_are_the_nodes_own_or_other() {
        let grpc = GrpcMetrics::for_node().unwrap();
        for path in [
            "/xinfang.v1.Node/RegisterCase",
            "/xinfang.v1.Replication/Sync",
            "/xinfang.v1.Reports/Summary",
            "/grpc.health.v1.Health/Check",
            "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
        ] {
            assert_eq!(grpc.method_label(path), &path[1..], "{path}");
        }
        for path in ["/", "/xinfang.v1.Node/Nope", "/made.up/Thing", "/metrics"] {
            assert_eq!(grpc.method_label(path), OTHER_METHOD, "{path}");
        }
    }
}
