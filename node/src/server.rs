//! Starting and stopping a node: storage, hub, projections, the gRPC server
//! (replication for children, the node API, health, reflection) and the uplink.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Server, ServerTlsConfig};
use tonic::{Request, Status};
use xinfang_hub::net::{ReplicationService, Security, TlsMaterial, run_uplink};
use xinfang_hub::pki::{self, PeerIdentity, identity_of};
use xinfang_hub::store::Store;
use xinfang_hub::store::sqlite::{Durability, SqliteStore};
use xinfang_hub::{Hub, HubConfig, Topology, UnitCode};
use xinfang_proto::v1::node_server::NodeServer;
use xinfang_proto::v1::replication_server::ReplicationServer;

use crate::api::NodeApi;
use crate::metrics::{self, GrpcMetrics, NodeMetrics};
use crate::projection::Projector;
use crate::report::service::ReportService;
use crate::report_api::ReportsApi;
use crate::schedule::service::{RuleSets, ScheduleService};
use crate::schedule_api::SchedulesApi;
use xinfang_proto::v1::reports_server::ReportsServer;
use xinfang_proto::v1::schedules_server::SchedulesServer;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("unit {0} is not in the topology")]
    UnknownUnit(UnitCode),
    #[error("cannot create data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Store(String),
    #[error("TLS material in {dir}: {message}")]
    Tls { dir: String, message: String },
    #[error("reception rules: {0}")]
    Rules(String),
    #[error("gRPC server: {0}")]
    Server(String),
    #[error("metrics endpoint on {addr}: {source}")]
    Metrics {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// Size limits on requests to the node's API, checked from each message's gRPC
/// length prefix before it is read: a larger request is refused with
/// `OUT_OF_RANGE` naming both sizes, and nothing of it is decoded.
#[derive(Debug, Clone, Copy)]
pub struct ApiLimits {
    /// Largest request to the Node and Reports services (and health, reflection).
    pub max_request_bytes: usize,
    /// Largest request to the Schedules service, whose imports carry whole tables
    /// (the importer's own limit is 5 MiB).
    pub max_import_bytes: usize,
}

impl Default for ApiLimits {
    fn default() -> Self {
        ApiLimits {
            max_request_bytes: 4 << 20,
            max_import_bytes: 8 << 20,
        }
    }
}

pub struct NodeConfig {
    pub unit: UnitCode,
    pub topology: Arc<Topology>,
    pub data_dir: PathBuf,
    pub security: Security,
    pub durability: Durability,
    pub hub: HubConfig,
    /// The federation's matching key for identity numbers (None: such
    /// registrations are refused with a clear error).
    pub match_key: Option<Vec<u8>>,
    /// Local time limits and counting rules (None: Reg-2022 defaults).
    pub limits: Option<crate::rules::limits::TimeLimits>,
    /// Where reception-rule sets named in the topology are looked for before the
    /// shipped copies.
    pub rules_dirs: Vec<PathBuf>,
    /// The node's clock (None: the wall clock). Tests move time with it.
    pub clock: Option<xinfang_hub::Clock>,
    /// Where to serve `GET /metrics` over plain HTTP (None: no endpoint). Port 0
    /// picks a free port; `NodeHandle::metrics_addr` tells which.
    pub metrics_listen: Option<SocketAddr>,
    /// Request size limits of the node's API.
    pub api: ApiLimits,
}

/// Reads a matching key file (hex, at least 16 bytes), if it exists.
pub fn load_match_key(path: &Path) -> Result<Option<Vec<u8>>, StartError> {
    if !path.exists() {
        return Ok(None);
    }
    let err = |message: String| StartError::Tls {
        dir: path.display().to_string(),
        message,
    };
    let text = pki::read_file(path).map_err(|e| err(e.to_string()))?;
    let key = hex::decode(text.trim()).map_err(|e| err(format!("matching key is not hex: {e}")))?;
    if key.len() < 16 {
        return Err(err("matching key must be at least 16 bytes".into()));
    }
    Ok(Some(key))
}

/// Loads `node.pem`, `node-key.pem` and `ca.pem` from `dir`, checking that the
/// certificate is `unit`'s.
pub fn load_node_tls(dir: &Path, unit: &UnitCode) -> Result<TlsMaterial, StartError> {
    let err = |message: String| StartError::Tls {
        dir: dir.display().to_string(),
        message,
    };
    let read = |name: &str| pki::read_file(&dir.join(name)).map_err(|e| err(e.to_string()));
    let material = TlsMaterial {
        ca_pem: read(pki::CA_CERT)?,
        cert_pem: read(pki::NODE_CERT)?,
        key_pem: read(pki::NODE_KEY)?,
    };
    match pki::identity_of_pem(&material.cert_pem).map_err(|e| err(e.to_string()))? {
        PeerIdentity::Unit(u) if &u == unit => Ok(material),
        other => Err(err(format!(
            "{} is a certificate for {other}, not for unit {unit}",
            pki::NODE_CERT
        ))),
    }
}

/// A running node.
pub struct NodeHandle {
    pub addr: SocketAddr,
    /// The bound address of the metrics endpoint, if it was asked for.
    pub metrics_addr: Option<SocketAddr>,
    pub hub: Hub,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl NodeHandle {
    /// Stops accepting, ends links and waits for everything to finish.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

/// The Node API takes operator certificates only (with TLS).
#[allow(clippy::result_large_err)]
fn require_operator(req: Request<()>) -> Result<Request<()>, Status> {
    let Some(certs) = req.peer_certs() else {
        return Err(Status::unauthenticated(
            "the node API requires an operator client certificate",
        ));
    };
    let leaf = certs
        .first()
        .ok_or_else(|| Status::unauthenticated("empty client certificate chain"))?;
    match identity_of(leaf.as_ref()) {
        Ok(PeerIdentity::Operator(_)) => Ok(req),
        Ok(other) => Err(Status::permission_denied(format!(
            "the node API is for operators; the client presented {other}"
        ))),
        Err(e) => Err(Status::unauthenticated(e.to_string())),
    }
}

/// Starts a node on an already-bound listener.
pub async fn start(cfg: NodeConfig, listener: TcpListener) -> Result<NodeHandle, StartError> {
    if !cfg.topology.contains(&cfg.unit) {
        return Err(StartError::UnknownUnit(cfg.unit));
    }
    std::fs::create_dir_all(&cfg.data_dir).map_err(|source| StartError::DataDir {
        path: cfg.data_dir.display().to_string(),
        source,
    })?;
    let store = SqliteStore::open(&cfg.data_dir.join("xinfang.db"), cfg.durability)
        .await
        .map_err(|e| StartError::Store(e.to_string()))?;
    let pool = store.pool().clone();
    let mut migrator = sqlx::migrate!("./migrations/sqlite");
    migrator.set_ignore_missing(true);
    migrator
        .run(&pool)
        .await
        .map_err(|e| StartError::Store(format!("migrating node tables: {e}")))?;
    let store: Arc<dyn Store> = Arc::new(store);
    let max_frame = cfg.hub.limits.max_frame_bytes;
    let transport = cfg.hub.transport.clone();
    let api_limits = cfg.api;
    let sets =
        Arc::new(RuleSets::resolve(&cfg.topology, &cfg.rules_dirs).map_err(StartError::Rules)?);
    let clock = cfg
        .clock
        .clone()
        .unwrap_or_else(|| Arc::new(xinfang_hub::engine::wall_clock_ms));
    let hub = Hub::with_clock(
        cfg.unit.clone(),
        cfg.topology.clone(),
        store,
        cfg.hub,
        clock,
    )
    .map_err(|e| StartError::Store(e.to_string()))?;
    let mut rules =
        crate::rules::CaseRules::official().map_err(|e| StartError::Server(e.to_string()))?;
    if let Some(limits) = cfg.limits.clone() {
        rules.limits = limits;
    }
    let rules = Arc::new(rules);
    hub.set_document_check(Arc::new(crate::remote::RemoteRules));
    let projector = Projector::new(hub.clone(), pool.clone(), rules.clone());
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let addr = listener
        .local_addr()
        .map_err(|e| StartError::Server(e.to_string()))?;
    let grpc_metrics = GrpcMetrics::for_node().map_err(|e| StartError::Server(e.to_string()))?;
    let metrics_listener = match cfg.metrics_listen {
        Some(want) => {
            let l = TcpListener::bind(want)
                .await
                .map_err(|source| StartError::Metrics { addr: want, source })?;
            let bound = l
                .local_addr()
                .map_err(|source| StartError::Metrics { addr: want, source })?;
            Some((l, bound))
        }
        None => None,
    };

    let mut builder = Server::builder()
        .tcp_nodelay(true)
        .http2_keepalive_interval(Some(transport.keepalive_interval))
        .http2_keepalive_timeout(Some(transport.keepalive_timeout))
        .max_concurrent_streams(Some(transport.max_concurrent_streams))
        .concurrency_limit_per_connection(transport.concurrency_per_connection);
    if let Security::Tls(m) = &cfg.security {
        builder = builder
            .tls_config(
                ServerTlsConfig::new()
                    .identity(m.identity())
                    .client_ca_root(m.ca())
                    .client_auth_optional(true),
            )
            .map_err(|e| StartError::Server(e.to_string()))?;
    }
    let (health, health_service) = tonic_health::server::health_reporter();
    health.set_serving::<NodeServer<NodeApi>>().await;
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(xinfang_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()
        .map_err(|e| StartError::Server(e.to_string()))?;
    let replication = ReplicationServer::new(ReplicationService::new(
        hub.clone(),
        cfg.security.clone(),
        shutdown_rx.clone(),
    ))
    .max_decoding_message_size(max_frame)
    .max_encoding_message_size(max_frame);
    let match_key = cfg.match_key.map(Arc::new);
    let keys = match &cfg.security {
        Security::Tls(m) => Some(Arc::new(
            crate::contact::NodeKeys::from_pem(&m.cert_pem, &m.key_pem, &m.ca_pem)
                .map_err(|e| StartError::Server(e.to_string()))?,
        )),
        Security::Insecure => None,
    };
    let sealer = keys
        .clone()
        .map(|k| crate::sealer::Sealer::new(hub.clone(), pool.clone(), k, rules.clone()));
    let schedules = Arc::new(ScheduleService::new(
        hub.clone(),
        pool.clone(),
        rules.clone(),
        sets,
    ));
    let schedules_service = SchedulesServer::new(SchedulesApi::new(schedules.clone()))
        .max_decoding_message_size(api_limits.max_import_bytes);
    let reports = Arc::new(ReportService::new(
        hub.clone(),
        pool.clone(),
        projector.clone(),
        rules.clone(),
        schedules.clone(),
    ));
    let reports_service = ReportsServer::new(ReportsApi::new(reports))
        .max_decoding_message_size(api_limits.max_request_bytes);
    let api = NodeApi::new(hub.clone(), pool, projector.clone(), rules, match_key, keys);
    let api_service = NodeServer::new(api).max_decoding_message_size(api_limits.max_request_bytes);
    let tls = matches!(cfg.security, Security::Tls(_));
    let router = builder
        .layer(grpc_metrics.layer())
        .add_service(health_service.max_decoding_message_size(api_limits.max_request_bytes))
        .add_service(reflection.max_decoding_message_size(api_limits.max_request_bytes))
        .add_service(replication);
    let router = if tls {
        router
            .add_service(tonic::service::interceptor::InterceptedService::new(
                api_service,
                require_operator,
            ))
            .add_service(tonic::service::interceptor::InterceptedService::new(
                schedules_service,
                require_operator,
            ))
            .add_service(tonic::service::interceptor::InterceptedService::new(
                reports_service,
                require_operator,
            ))
    } else {
        router
            .add_service(api_service)
            .add_service(schedules_service)
            .add_service(reports_service)
    };
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    let mut stop = shutdown_rx.clone();
    let server = tokio::spawn(async move {
        let signal = async move {
            let _ = stop.wait_for(|s| *s).await;
        };
        if let Err(e) = router.serve_with_incoming_shutdown(incoming, signal).await {
            tracing::error!(error = %e, "gRPC server stopped");
        }
    });
    let mut tasks = vec![server];
    let p = projector.clone();
    let stop = shutdown_rx.clone();
    tasks.push(tokio::spawn(async move { p.run(stop).await }));
    tasks.push(tokio::spawn(schedules.run(shutdown_rx.clone())));
    tasks.push(tokio::spawn(crate::memory::run(
        hub.clone(),
        shutdown_rx.clone(),
    )));
    if let Some(sealer) = sealer {
        tasks.push(tokio::spawn(sealer.run(shutdown_rx.clone())));
    }
    let metrics_addr = metrics_listener.as_ref().map(|(_, a)| *a);
    if let Some((listener, bound)) = metrics_listener {
        if !metrics::is_local(&bound) {
            tracing::warn!(%bound, "metrics are served over plain HTTP beyond this machine");
        }
        let m = NodeMetrics::new(hub.clone(), grpc_metrics);
        let stop = shutdown_rx.clone();
        tasks.push(tokio::spawn(async move {
            if let Err(e) = metrics::serve(listener, m, stop).await {
                tracing::error!(error = %e, "metrics endpoint stopped");
            }
        }));
        tracing::info!(%bound, "metrics at http://{bound}/metrics");
    }
    if hub.topology().parent(hub.me()).is_some() {
        tasks.push(tokio::spawn(run_uplink(
            hub.clone(),
            cfg.security.clone(),
            shutdown_rx.clone(),
        )));
    }
    tracing::info!(unit = %hub.me(), %addr, tls, "node started");
    Ok(NodeHandle {
        addr,
        metrics_addr,
        hub,
        shutdown: shutdown_tx,
        tasks,
    })
}
