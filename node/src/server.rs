//! Starting and stopping a node: storage, hub, projections, two gRPC listeners
//! (replication for children; the node API for staff, where every call names its
//! caller; health and reflection on both), the staff console's HTTP listener
//! (`console`) and the uplink.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;
use xinfang_hub::db::{Db, DbOptions, Durability};
use xinfang_hub::identity;
use xinfang_hub::net::{ReplicationService, Security, TlsMaterial, run_uplink};
use xinfang_hub::store::Store;
use xinfang_hub::store::sql::SqlStore;
use xinfang_hub::tls::{self, TlsState};
use xinfang_hub::{Hub, HubConfig, Topology, UnitCode};
use xinfang_proto::v1::ledger_server::LedgerServer;
use xinfang_proto::v1::node_server::NodeServer;
use xinfang_proto::v1::replication_server::ReplicationServer;

use crate::auth::{Accounts, Guard};
use crate::case::service::{CaseDeps, CaseService};
pub use crate::console::ConsoleListen;
use crate::grpc::accounts::AccountsApi;
use crate::grpc::node::NodeApi;
use crate::grpc::reports::ReportsApi;
use crate::grpc::schedules::SchedulesApi;
use crate::metrics::{self, GrpcMetrics, NodeMetrics};
use crate::projection::Projector;
use crate::report::service::ReportService;
use crate::schedule::ruleset::RuleSets;
use crate::schedule::service::ScheduleService;
use xinfang_proto::v1::accountability_server::AccountabilityServer;
use xinfang_proto::v1::accounts_server::AccountsServer;
use xinfang_proto::v1::bulletins_server::BulletinsServer;
use xinfang_proto::v1::calendar_server::CalendarServer;
use xinfang_proto::v1::joint_supervision_server::JointSupervisionServer;
use xinfang_proto::v1::letters_server::LettersServer;
use xinfang_proto::v1::notices_server::NoticesServer;
use xinfang_proto::v1::receptions_server::ReceptionsServer;
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
    Rules(#[from] crate::schedule::ruleset::UnitRulesError),
    #[error("gRPC server: {0}")]
    Server(String),
    #[error("metrics endpoint on {addr}: {source}")]
    Metrics {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(
        "the node API would listen on {addr}, beyond this machine, without TLS: \
         serve it with TLS (drop --insecure) or listen on a loopback address"
    )]
    ApiExposed { addr: SocketAddr },
    #[error(
        "the staff console would listen on {addr}, beyond this machine, without TLS: \
         serve it with TLS (drop --insecure) or listen on a loopback address"
    )]
    ConsoleExposed { addr: SocketAddr },
    #[error("staff console on {addr}: {source}")]
    Console {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(
        "the public progress page would listen on {addr}, beyond this machine, without TLS: \
         serve the node with TLS (drop --insecure) or listen on a loopback address behind \
         the office's web front"
    )]
    PublicExposed { addr: SocketAddr },
    #[error("public progress page on {addr}: {source}")]
    Public {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("personal data: {0}")]
    Pii(String),
    #[error("node API on {addr}: {source}")]
    Api {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// Where the node API (cases, schedules, reports, accounts) listens: its own
/// listener, apart from replication.
pub enum ApiListen {
    /// Bind this address at start (port 0: any free port).
    Addr(SocketAddr),
    /// An already-bound listener (tests keep ports across restarts).
    Listener(TcpListener),
}

/// The API may leave this machine only over TLS: plaintext is for loopback.
pub fn api_exposure_ok(addr: &SocketAddr, tls: bool) -> bool {
    tls || addr.ip().is_loopback()
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
    /// The database: `sqlite://FILE` or `postgres://…` (None: the SQLite file
    /// `xinfang.db` in `data_dir`).
    pub db: Option<String>,
    pub security: Security,
    /// How hard SQLite flushes (PostgreSQL follows its server's settings).
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
    pub api_limits: ApiLimits,
    /// Where the node API listens (None: no API, the node only replicates).
    pub api: Option<ApiListen>,
    /// How long a login token lives.
    pub token_ttl: std::time::Duration,
    /// The roles that see ID and phone numbers in clear; the others get masked
    /// forms (`pii::DEFAULT_CLEAR_ROLES` unless configured).
    pub pii_clear_roles: Vec<crate::auth::Role>,
    /// Where the staff console listens (None: no console). Beyond loopback only
    /// with TLS, as the API.
    pub console: Option<ConsoleListen>,
    /// Where the public progress page listens (None, the default: no page). On
    /// loopback in plain HTTP (the office's web front before it); beyond
    /// loopback only with TLS, served with the node's certificate.
    pub public: Option<ConsoleListen>,
    /// Text messages to petitioners of cases registered here (None: none sent).
    pub outbox: Option<crate::outbox::OutboxConfig>,
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
    let text = identity::read_file(path).map_err(|e| err(e.to_string()))?;
    let key = hex::decode(text.trim()).map_err(|e| err(format!("matching key is not hex: {e}")))?;
    if key.len() < 16 {
        return Err(err("matching key must be at least 16 bytes".into()));
    }
    Ok(Some(key))
}

/// Loads `node.pem`, `node-key.pem`, `ca.pem` and `crl.pem` (if any) from `dir`,
/// checking that they hold together and that the certificate is `unit`'s.
pub fn load_node_tls(dir: &Path, unit: &UnitCode) -> Result<TlsMaterial, StartError> {
    Ok(load_node_state(dir, unit)?.current().material().clone())
}

/// The node's TLS material from `dir`, checked (certificate signed by the root and
/// `unit`'s, key matching, revocation list signed by the root and not revoking this
/// certificate), ready to be followed while the node runs.
pub fn load_node_state(dir: &Path, unit: &UnitCode) -> Result<TlsState, StartError> {
    TlsState::from_dir(dir, unit).map_err(|e| StartError::Tls {
        dir: dir.display().to_string(),
        message: e.to_string(),
    })
}

/// A running node.
pub struct NodeHandle {
    /// The replication listener.
    pub addr: SocketAddr,
    /// The node API's listener (None: started without an API).
    pub api_addr: Option<SocketAddr>,
    /// The bound address of the metrics endpoint, if it was asked for.
    pub metrics_addr: Option<SocketAddr>,
    /// The staff console's listener (None: started without a console).
    pub console_addr: Option<SocketAddr>,
    /// The public progress page's listener (None: no page).
    pub public_addr: Option<SocketAddr>,
    pub hub: Hub,
    /// The TLS material in use (None: `--insecure`).
    pub tls: Option<Arc<TlsState>>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    db: Db,
}

impl NodeHandle {
    /// Stops accepting, ends links and waits for everything to finish.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
        // A clean stop leaves the database file whole (the log emptied into it).
        if let Err(e) = self.db.checkpoint().await {
            tracing::warn!(error = %e, "could not checkpoint the database at stop");
        }
        self.db.close().await;
    }
}

/// Starts a node on an already-bound listener.
pub async fn start(mut cfg: NodeConfig, listener: TcpListener) -> Result<NodeHandle, StartError> {
    if !cfg.topology.contains(&cfg.unit) {
        return Err(StartError::UnknownUnit(cfg.unit));
    }
    // Checked before anything is opened or bound: a plaintext API stays on this
    // machine.
    let tls = matches!(cfg.security, Security::Tls(_));
    let api_listener = match cfg.api.take() {
        None => None,
        Some(ApiListen::Addr(addr)) => {
            if !api_exposure_ok(&addr, tls) {
                return Err(StartError::ApiExposed { addr });
            }
            Some(
                TcpListener::bind(addr)
                    .await
                    .map_err(|source| StartError::Api { addr, source })?,
            )
        }
        Some(ApiListen::Listener(l)) => {
            let addr = l
                .local_addr()
                .map_err(|e| StartError::Server(e.to_string()))?;
            if !api_exposure_ok(&addr, tls) {
                return Err(StartError::ApiExposed { addr });
            }
            Some(l)
        }
    };
    let console_listener = match cfg.console.take() {
        None => None,
        Some(ConsoleListen::Addr(addr)) => {
            if !api_exposure_ok(&addr, tls) {
                return Err(StartError::ConsoleExposed { addr });
            }
            Some(
                TcpListener::bind(addr)
                    .await
                    .map_err(|source| StartError::Console { addr, source })?,
            )
        }
        Some(ConsoleListen::Listener(l)) => {
            let addr = l
                .local_addr()
                .map_err(|e| StartError::Server(e.to_string()))?;
            if !api_exposure_ok(&addr, tls) {
                return Err(StartError::ConsoleExposed { addr });
            }
            Some(l)
        }
    };
    let public_listener = match cfg.public.take() {
        None => None,
        Some(ConsoleListen::Addr(addr)) => {
            if !api_exposure_ok(&addr, tls) {
                return Err(StartError::PublicExposed { addr });
            }
            Some(
                TcpListener::bind(addr)
                    .await
                    .map_err(|source| StartError::Public { addr, source })?,
            )
        }
        Some(ConsoleListen::Listener(l)) => {
            let addr = l
                .local_addr()
                .map_err(|e| StartError::Server(e.to_string()))?;
            if !api_exposure_ok(&addr, tls) {
                return Err(StartError::PublicExposed { addr });
            }
            Some(l)
        }
    };
    let public_addr = match &public_listener {
        Some(l) => Some(
            l.local_addr()
                .map_err(|e| StartError::Server(e.to_string()))?,
        ),
        None => None,
    };
    let console_addr = match &console_listener {
        Some(l) => Some(
            l.local_addr()
                .map_err(|e| StartError::Server(e.to_string()))?,
        ),
        None => None,
    };
    let api_addr = match &api_listener {
        Some(l) => Some(
            l.local_addr()
                .map_err(|e| StartError::Server(e.to_string()))?,
        ),
        None => None,
    };
    std::fs::create_dir_all(&cfg.data_dir).map_err(|source| StartError::DataDir {
        path: cfg.data_dir.display().to_string(),
        source,
    })?;
    let url = cfg
        .db
        .clone()
        .unwrap_or_else(|| xinfang_hub::db::sqlite_url(&cfg.data_dir.join("xinfang.db")));
    let db = crate::schema::open(
        &url,
        DbOptions {
            durability: cfg.durability,
            max_connections: None,
        },
    )
    .await
    .map_err(|e| StartError::Store(e.to_string()))?;
    let store = SqlStore::open(db.clone())
        .await
        .map_err(|e| StartError::Store(e.to_string()))?;
    tracing::info!(db = %db.url(), "storage open");
    // Personal data at rest: the node's key (created at the first start), and
    // what an earlier version kept in clear encrypted before anything is served.
    let pii = Arc::new(
        crate::pii::PiiKey::load_or_create(&cfg.data_dir)
            .map_err(|e| StartError::Pii(e.to_string()))?,
    );
    crate::pii::seal_existing(&db, &pii)
        .await
        .map_err(|e| StartError::Pii(e.to_string()))?;
    let store: Arc<dyn Store> = Arc::new(store);
    let max_frame = cfg.hub.limits.max_frame_bytes;
    let transport = cfg.hub.transport.clone();
    let api_limits = cfg.api_limits;
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
        clock.clone(),
    )
    .map_err(|e| StartError::Store(e.to_string()))?;
    // A restore made while the node was stopped left a recovery mark.
    if let Some(mark) = hub
        .load_recovery()
        .await
        .map_err(|e| StartError::Store(e.to_string()))?
    {
        tracing::warn!(reason = %mark.reason, "the store is recovering: registrations are refused until the parent has sent everything back");
    }
    let mut rules =
        crate::rules::CaseRules::official().map_err(|e| StartError::Server(e.to_string()))?;
    if let Some(limits) = cfg.limits.clone() {
        rules.limits = limits;
    }
    rules.higher_visits = sets.higher_visits();
    let rules = Arc::new(rules);
    hub.set_document_check(Arc::new(crate::remote::RemoteRules::new(
        hub.me().clone(),
        hub.topology().clone(),
        rules.clone(),
        clock.clone(),
    )));
    // Before anything is committed: every commit from here on is in the ledger.
    let ledger = crate::ledger::Ledger::install(&hub, db.clone(), clock.clone());
    // The holiday years published from above, in force before the query
    // tables are first read: their shape names them.
    let (calendar_seen, _) = crate::holidays::service::put_in_force(&hub, &rules.calendar)
        .await
        .map_err(|e| StartError::Server(e.to_string()))?;
    let projector = Projector::new(hub.clone(), db.clone(), rules.clone());
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

    // TLS is not configured here: with TLS the connections come through our own
    // acceptor (`tls::incoming`), whose material carries the revocation list and
    // follows the TLS folder.
    let builder = Server::builder()
        .tcp_nodelay(true)
        .http2_keepalive_interval(Some(transport.keepalive_interval))
        .http2_keepalive_timeout(Some(transport.keepalive_timeout))
        .max_concurrent_streams(Some(transport.max_concurrent_streams))
        .concurrency_limit_per_connection(transport.concurrency_per_connection);
    let tls_state = match &cfg.security {
        Security::Tls(state) => Some(state.clone()),
        Security::Insecure => None,
    };
    let (health, health_service) = tonic_health::server::health_reporter();
    health.set_serving::<NodeServer<NodeApi>>().await;
    health
        .set_serving::<ReplicationServer<ReplicationService>>()
        .await;
    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(xinfang_proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .build_v1()
            .map_err(|e| StartError::Server(e.to_string()))
    };
    let replication = ReplicationServer::new(ReplicationService::new(
        hub.clone(),
        cfg.security.clone(),
        shutdown_rx.clone(),
    ))
    .max_decoding_message_size(max_frame)
    .max_encoding_message_size(max_frame);
    let match_key = cfg.match_key.map(Arc::new);
    // Contacts are sealed to and opened with the key the node started with (see
    // docs/operations.md on renewing a certificate for the same key).
    let keys = match &tls_state {
        Some(state) => {
            let m = state.current().material().clone();
            Some(Arc::new(
                crate::contact::NodeKeys::from_pem(&m.cert_pem, &m.key_pem, &m.ca_pem)
                    .map_err(|e| StartError::Server(e.to_string()))?,
            ))
        }
        None => None,
    };
    let sealer = keys.clone().map(|k| {
        crate::sealer::Sealer::new(hub.clone(), db.clone(), k, rules.clone(), pii.clone())
    });
    let outbox = cfg.outbox.clone().map(|o| {
        crate::outbox::Outbox::new(hub.clone(), db.clone(), rules.clone(), pii.clone(), o)
    });
    let accounts = Accounts::new(db.clone(), cfg.unit.clone(), clock.clone(), cfg.token_ttl)
        .with_ledger(ledger.clone());
    let guard = Arc::new(Guard::new(accounts));
    let schedules = Arc::new(ScheduleService::new(
        hub.clone(),
        db.clone(),
        rules.clone(),
        sets,
        guard.clone(),
    ));
    let reports = Arc::new(ReportService::new(
        hub.clone(),
        db.clone(),
        projector.clone(),
        rules.clone(),
        schedules.clone(),
        guard.clone(),
    ));
    let cases = Arc::new(CaseService::new(CaseDeps {
        hub: hub.clone(),
        db: db.clone(),
        projector: projector.clone(),
        rules: rules.clone(),
        match_key,
        keys,
        guard: guard.clone(),
        ledger: ledger.clone(),
        pii: pii.clone(),
        clear_roles: cfg.pii_clear_roles.clone(),
    }));
    let recovery =
        crate::recovery::Recovery::new(hub.clone(), db.clone(), ledger.clone(), cases.numbers());
    let status = Arc::new(crate::status::NodeStatus::new(
        hub.clone(),
        ledger.clone(),
        recovery.clone(),
        tls_state.clone(),
        guard.clone(),
        cases.clone(),
    ));
    let notices = Arc::new(crate::notice::service::NoticeService::new(
        cases.clone(),
        db.clone(),
    ));
    let bulletins = Arc::new(crate::bulletin::service::BulletinService::new(
        hub.clone(),
        guard.clone(),
    ));
    let accountability = Arc::new(crate::accountability::service::AccountabilityService::new(
        hub.clone(),
        db.clone(),
        guard.clone(),
        schedules.clone(),
    ));
    let joint = Arc::new(
        crate::accountability::joint_service::JointSupervisionService::new(
            hub.clone(),
            guard.clone(),
            cases.clone(),
        ),
    );
    let letters = Arc::new(crate::letter::service::LetterService::new(
        hub.clone(),
        guard.clone(),
        reports.clone(),
    ));
    let receptions = Arc::new(crate::reception::ReceptionService::new(
        cases.clone(),
        schedules.clone(),
        notices.clone(),
    ));
    let calendar = Arc::new(crate::holidays::service::CalendarService::new(
        hub.clone(),
        guard.clone(),
        rules.clone(),
        projector.clone(),
        calendar_seen,
    ));
    let library = Arc::new(crate::library::LibraryService::new(
        cases.clone(),
        schedules.clone(),
    ));
    let console_app = crate::console::router(crate::console::Console::new(
        crate::console::Services {
            accountability: accountability.clone(),
            cases: cases.clone(),
            notices: notices.clone(),
            library: library.clone(),
            receptions: receptions.clone(),
            reports: reports.clone(),
            schedules: schedules.clone(),
            status: status.clone(),
        },
        tls_state.is_some(),
    ));
    let public_app = crate::public::router(crate::public::PublicState {
        cases: cases.clone(),
        notices: notices.clone(),
        library,
        schedules: schedules.clone(),
    });
    let api = NodeApi::new(cases, status, recovery.clone());
    // The replication listener: children's streams, health and reflection. The
    // staff API is not served here.
    let replication_router = builder
        .clone()
        .layer(grpc_metrics.layer())
        .add_service(
            health_service
                .clone()
                .max_decoding_message_size(api_limits.max_request_bytes),
        )
        .add_service(reflection()?.max_decoding_message_size(api_limits.max_request_bytes))
        .add_service(replication);
    // The API listener: every call names its caller (`auth::Guard`).
    let api_router = builder
        .layer(grpc_metrics.layer())
        .add_service(health_service.max_decoding_message_size(api_limits.max_request_bytes))
        .add_service(reflection()?.max_decoding_message_size(api_limits.max_request_bytes))
        .add_service(NodeServer::new(api).max_decoding_message_size(api_limits.max_request_bytes))
        .add_service(
            SchedulesServer::new(SchedulesApi::new(schedules.clone()))
                .max_decoding_message_size(api_limits.max_import_bytes),
        )
        .add_service(
            ReportsServer::new(ReportsApi::new(reports))
                .max_decoding_message_size(api_limits.max_request_bytes),
        )
        .add_service(
            LedgerServer::new(crate::grpc::ledger::LedgerApi::new(
                ledger.clone(),
                guard.clone(),
            ))
            .max_decoding_message_size(api_limits.max_request_bytes),
        )
        .add_service(
            AccountsServer::new(AccountsApi::new(guard, db.clone()))
                .max_decoding_message_size(api_limits.max_request_bytes),
        )
        .add_service(
            NoticesServer::new(crate::grpc::notices::NoticesApi::new(notices.clone()))
                .max_decoding_message_size(api_limits.max_request_bytes),
        )
        .add_service(
            ReceptionsServer::new(crate::grpc::receptions::ReceptionsApi::new(receptions))
                .max_decoding_message_size(api_limits.max_request_bytes),
        )
        .add_service(
            BulletinsServer::new(crate::grpc::bulletins::BulletinsApi::new(bulletins))
                .max_decoding_message_size(api_limits.max_request_bytes),
        )
        .add_service(
            AccountabilityServer::new(crate::grpc::accountability::AccountabilityApi::new(
                accountability,
            ))
            .max_decoding_message_size(api_limits.max_request_bytes),
        )
        .add_service(
            JointSupervisionServer::new(crate::grpc::accountability::JointSupervisionApi::new(
                joint,
            ))
            .max_decoding_message_size(api_limits.max_request_bytes),
        )
        .add_service(
            LettersServer::new(crate::grpc::letters::LettersApi::new(letters))
                .max_decoding_message_size(api_limits.max_request_bytes),
        )
        .add_service(
            CalendarServer::new(crate::grpc::calendar::CalendarApi::new(calendar.clone()))
                .max_decoding_message_size(api_limits.max_request_bytes),
        );
    // Each listener: with TLS the connections come through our own acceptor, whose
    // material carries the revocation list and follows the TLS folder.
    macro_rules! serve {
        ($router:expr, $listener:expr, $what:expr) => {{
            let router = $router;
            let listener = $listener;
            let mut stop = shutdown_rx.clone();
            let accept_tls = tls_state.clone();
            tokio::spawn(async move {
                let signal = async move {
                    let _ = stop.wait_for(|s| *s).await;
                };
                let served = match accept_tls {
                    Some(state) => {
                        router
                            .serve_with_incoming_shutdown(tls::incoming(listener, state), signal)
                            .await
                    }
                    None => {
                        let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
                        router.serve_with_incoming_shutdown(incoming, signal).await
                    }
                };
                if let Err(e) = served {
                    tracing::error!(error = %e, listener = $what, "gRPC server stopped");
                }
            })
        }};
    }
    let server = serve!(replication_router, listener, "replication");
    let mut tasks = vec![server];
    if let Some(l) = api_listener {
        tasks.push(serve!(api_router, l, "api"));
    }
    if let Some(listener) = console_listener {
        let stop = shutdown_rx.clone();
        let tls = tls_state.clone();
        tasks.push(tokio::spawn(async move {
            if let Err(e) = crate::console::serve(listener, tls, console_app, stop).await {
                tracing::error!(error = %e, "staff console stopped");
            }
        }));
    }
    if let Some(listener) = public_listener {
        let stop = shutdown_rx.clone();
        // Plain HTTP on loopback (a web front before it); TLS beyond it.
        let tls = match public_addr {
            Some(a) if a.ip().is_loopback() => None,
            _ => tls_state.clone(),
        };
        tasks.push(tokio::spawn(async move {
            if let Err(e) = crate::console::serve(listener, tls, public_app, stop).await {
                tracing::error!(error = %e, "public progress page stopped");
            }
        }));
    }
    if let Some(state) = &tls_state {
        xinfang_hub::net::report_tls_refusals(state, &hub);
        tasks.push(tokio::spawn(state.clone().watch(shutdown_rx.clone())));
    }
    let p = projector.clone();
    let stop = shutdown_rx.clone();
    tasks.push(tokio::spawn(async move { p.run(stop).await }));
    tasks.push(tokio::spawn(schedules.run(shutdown_rx.clone())));
    tasks.push(tokio::spawn(calendar.run(shutdown_rx.clone())));
    tasks.push(tokio::spawn(recovery.run(shutdown_rx.clone())));
    tasks.push(tokio::spawn(crate::memory::run(
        hub.clone(),
        shutdown_rx.clone(),
    )));
    if let Some(sealer) = sealer {
        tasks.push(tokio::spawn(sealer.run(shutdown_rx.clone())));
    }
    if let Some(outbox) = outbox {
        tasks.push(tokio::spawn(outbox.run(shutdown_rx.clone())));
    }
    let metrics_addr = metrics_listener.as_ref().map(|(_, a)| *a);
    if let Some((listener, bound)) = metrics_listener {
        if !metrics::is_local(&bound) {
            tracing::warn!(%bound, "metrics are served over plain HTTP beyond this machine");
        }
        let m = NodeMetrics::new(hub.clone(), grpc_metrics).with_ledger(ledger.clone());
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
    tracing::info!(unit = %hub.me(), %addr, api = ?api_addr, console = ?console_addr, tls, "node started");
    Ok(NodeHandle {
        addr,
        api_addr,
        metrics_addr,
        console_addr,
        public_addr,
        hub,
        tls: tls_state,
        shutdown: shutdown_tx,
        tasks,
        db,
    })
}
