//! Test support: whole federations of real nodes in this process, each on its own
//! `127.0.0.1:0` port with its own database — a temporary SQLite file, or a fresh
//! schema on the test PostgreSQL server — and real mTLS certificates.
//!
//! Integration tests are declared with [`both_stores!`], which runs each once on
//! SQLite and once on PostgreSQL (skipped, saying so on the terminal, where no
//! PostgreSQL answers: see [`skip`]).
//!
//! Every node's API has its own `127.0.0.1:0` port. At start the harness signs in
//! as the operator (an administrator, who takes no step on cases), adds the user
//! [`TESTER`] holding the four staff roles at every node and logs in as them:
//! [`Federation::client`] and friends carry that user's token.
//! [`Federation::operator_channel`] is the operator alone;
//! [`Federation::add_user`], [`Federation::login`] and
//! [`Federation::channel_with_token`] are for tests of accounts and roles.

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio::net::TcpListener;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};
use xinfang_ca::{self as pki, Pki};
use xinfang_hub::db::Durability;
use xinfang_hub::db::scratch::Schema;
use xinfang_hub::net::{Security, TlsMaterial};
use xinfang_hub::tls::TlsState;
use xinfang_hub::{Hub, HubConfig, Tier, Topology, Unit, UnitCode, UnitKind};
use xinfang_node::auth::BearerToken;
use xinfang_node::server::{self, ApiLimits, ApiListen, NodeConfig, NodeHandle};
use xinfang_proto::v1 as pb;
use xinfang_proto::v1::node_client::NodeClient;

pub use xinfang_node::layout::FederationDir;

pub mod chromium;
pub mod console;
pub mod pdf;
pub mod raw;
pub mod skip;
pub mod webdriver;

pub use skip::postgres_or_skip;

pub const CITY: &str = "441500";
pub const COUNTY: &str = "441521";
pub const TOWN_A: &str = "441521115000";
pub const TOWN_B: &str = "441521101000";
pub const COMM_A: &str = "441521115001";
pub const COMM_B: &str = "441521101001";
/// 海丰县住房和城乡建设局 and 海丰县人力资源和社会保障局: county departments,
/// identified by unified social credit codes (check characters computed).
pub const HOUSING: &str = "114415210070451214";
pub const HR: &str = "1144152100704513XU";

/// The user the harness adds at every node and signs in as.
pub const TESTER: &str = "tester";
pub const TESTER_PASSWORD: &str = "tester-password";
/// The staff roles [`TESTER`] holds (not administrator).
pub const TESTER_ROLES: [&str; 4] = ["registrar", "handler", "reviewer", "approver"];

/// A channel to a node's API that sends a login token on every call.
pub type Api = InterceptedService<Channel, BearerToken>;

/// The example federation: city → county → two towns → a community under each.
pub fn haifeng() -> Vec<(&'static str, &'static str, Tier, Option<&'static str>)> {
    vec![
        (CITY, "汕尾市", Tier::City, None),
        (COUNTY, "海丰县", Tier::County, Some(CITY)),
        (TOWN_A, "海城镇", Tier::Township, Some(COUNTY)),
        (TOWN_B, "梅陇镇", Tier::Township, Some(COUNTY)),
        (COMM_A, "城东社区", Tier::Community, Some(TOWN_A)),
        (COMM_B, "新城社区", Tier::Community, Some(TOWN_B)),
    ]
}

/// The example federation with two county departments beside the towns.
pub fn haifeng_with_departments() -> Vec<(&'static str, &'static str, Tier, Option<&'static str>)> {
    let mut units = haifeng();
    units.push((
        HOUSING,
        "海丰县住房和城乡建设局",
        Tier::County,
        Some(COUNTY),
    ));
    units.push((HR, "海丰县人力资源和社会保障局", Tier::County, Some(COUNTY)));
    units
}

/// A county with one town: the smallest federation with a link.
pub fn county_and_town() -> Vec<(&'static str, &'static str, Tier, Option<&'static str>)> {
    vec![
        (COUNTY, "海丰县", Tier::County, None),
        (TOWN_A, "海城镇", Tier::Township, Some(COUNTY)),
    ]
}

/// A valid GB 11643 identity number built from 17 digits.
pub fn id_number(d17: &str) -> String {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const C: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
    let sum: u32 = d17
        .bytes()
        .zip(W)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    format!("{d17}{}", C[(sum % 11) as usize])
}

pub fn code(s: &str) -> UnitCode {
    s.parse().expect("unit code")
}

/// Where a test federation's nodes keep their data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A temporary SQLite file per node (the embedded default).
    Sqlite,
    /// A fresh schema per node on the test PostgreSQL server.
    Postgres,
}

impl Backend {
    /// The name [`both_stores!`] gives the test's variant (`sqlite`, `postgres`).
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// What a test declared with [`both_stores!`] returns when it is skipped.
pub trait Skipped {
    fn skipped() -> Self;
}

impl Skipped for () {
    fn skipped() -> Self {}
}

impl Skipped for anyhow::Result<()> {
    fn skipped() -> Self {
        Ok(())
    }
}

/// Declares an integration test that runs once on SQLite (`NAME::sqlite`) and once
/// on PostgreSQL (`NAME::postgres`); the body gets the [`Backend`]:
///
/// ```ignore
/// both_stores! {
///     /// What it proves.
///     async fn visibility(backend: Backend) -> anyhow::Result<()> { … }
/// }
/// ```
#[macro_export]
macro_rules! both_stores {
    ($($(#[$meta:meta])* async fn $name:ident($b:ident : Backend) $(-> $ret:ty)? $body:block)*) => {
        $(
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn run($b: $crate::Backend) $(-> $ret)? $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() $(-> $ret)? {
                run($crate::Backend::Sqlite).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() $(-> $ret)? {
                if !$crate::postgres_or_skip(concat!(module_path!(), "::postgres")).await {
                    return $crate::Skipped::skipped();
                }
                run($crate::Backend::Postgres).await
            }
        }
        )*
    };
}

pub struct Federation {
    pub backend: Backend,
    pub dir: tempfile::TempDir,
    pub topology: Arc<Topology>,
    pub layout: FederationDir,
    addrs: BTreeMap<String, SocketAddr>,
    /// Each node's API address.
    api_addrs: BTreeMap<String, SocketAddr>,
    /// Each node's staff console (HTTPS, the node's certificate).
    console_addrs: BTreeMap<String, SocketAddr>,
    nodes: BTreeMap<String, NodeHandle>,
    /// [`TESTER`]'s token at each node, with when (node clock, ms) it was issued.
    tokens: std::sync::Mutex<BTreeMap<String, (String, i64)>>,
    pub hub_config: HubConfig,
    /// The nodes' clock (None: the wall clock); set before starting nodes.
    pub clock: Option<xinfang_hub::Clock>,
    /// A clock of its own for some nodes (by unit), over `clock`; set before
    /// (re)starting them.
    pub clocks: BTreeMap<String, xinfang_hub::Clock>,
    /// Whether nodes serve `/metrics` (each on its own `127.0.0.1:0` port).
    pub metrics: bool,
    /// Request size limits of the nodes' API; set before (re)starting a node.
    pub api: ApiLimits,
    /// How long login tokens live at nodes started from now on.
    pub token_ttl: Duration,
    /// The roles that see personal data in clear at nodes started from now on.
    pub pii_clear_roles: Vec<xinfang_node::auth::Role>,
    /// Text messages to petitioners, by unit: set before (re)starting a node.
    pub outboxes: BTreeMap<String, xinfang_node::outbox::OutboxConfig>,
    /// Each node's PostgreSQL schema (Postgres backend); dropped last.
    schemas: BTreeMap<String, Schema>,
}

impl Federation {
    /// Starts every unit (parents first), with certificates from a fresh root.
    pub async fn start(
        backend: Backend,
        units: Vec<(&'static str, &'static str, Tier, Option<&'static str>)>,
    ) -> anyhow::Result<Federation> {
        Self::start_with(backend, units, HubConfig::default()).await
    }

    /// As `start`, with the hub configuration (limits, batching) given.
    pub async fn start_with(
        backend: Backend,
        units: Vec<(&'static str, &'static str, Tier, Option<&'static str>)>,
        hub_config: HubConfig,
    ) -> anyhow::Result<Federation> {
        Self::start_full(backend, units, hub_config, None, BTreeMap::new(), false).await
    }

    /// As `start`, with every node serving `/metrics` (see `metrics_addr`).
    pub async fn start_with_metrics(
        backend: Backend,
        units: Vec<(&'static str, &'static str, Tier, Option<&'static str>)>,
    ) -> anyhow::Result<Federation> {
        Self::start_full(
            backend,
            units,
            HubConfig::default(),
            None,
            BTreeMap::new(),
            true,
        )
        .await
    }

    /// As `start`, with every node on `clock` and units given reception-rule sets.
    pub async fn start_at(
        backend: Backend,
        units: Vec<(&'static str, &'static str, Tier, Option<&'static str>)>,
        clock: xinfang_hub::Clock,
        rules: BTreeMap<&'static str, &'static str>,
    ) -> anyhow::Result<Federation> {
        Self::start_full(
            backend,
            units,
            HubConfig::default(),
            Some(clock),
            rules,
            false,
        )
        .await
    }

    async fn start_full(
        backend: Backend,
        units: Vec<(&'static str, &'static str, Tier, Option<&'static str>)>,
        hub_config: HubConfig,
        clock: Option<xinfang_hub::Clock>,
        rules: BTreeMap<&'static str, &'static str>,
        metrics: bool,
    ) -> anyhow::Result<Federation> {
        // `XINFANG_TEST_LOG=warn` (a tracing filter) shows the nodes' logs.
        if let Ok(filter) = std::env::var("XINFANG_TEST_LOG") {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_test_writer()
                .try_init();
        }
        let dir = tempfile::tempdir()?;
        let layout = FederationDir::new(dir.path());
        let mut listeners = BTreeMap::new();
        let mut list = Vec::new();
        for (c, name, tier, parent) in &units {
            let l = TcpListener::bind("127.0.0.1:0").await?;
            let addr = l.local_addr()?;
            let api = TcpListener::bind("127.0.0.1:0").await?;
            let console = TcpListener::bind("127.0.0.1:0").await?;
            list.push(Unit {
                code: code(c),
                name: (*name).into(),
                tier: *tier,
                parent: parent.map(code),
                listen: addr.to_string(),
                api: Some(api.local_addr()?.to_string()),
                // The harness's unit lists give no kind: a credit code is a department's.
                kind: match code(c).scheme() {
                    xinfang_hub::topology::CodeScheme::CreditCode => UnitKind::Department,
                    xinfang_hub::topology::CodeScheme::Division => UnitKind::Government,
                },
                attributes: rules
                    .get(c)
                    .map(|r| {
                        let field = xinfang_node::schedule::ruleset::UNIT_FIELD;
                        BTreeMap::from([(field.to_owned(), (*r).to_owned())])
                    })
                    .unwrap_or_default(),
            });
            listeners.insert(c.to_string(), (l, api, console));
        }
        let topology = Arc::new(Topology::from_units(list)?);
        let pki = Pki::init(&layout.pki())?;
        pki.issue_operator("tester", &layout.pki())?;
        for u in topology.units() {
            pki.issue_node(&u.code, &["127.0.0.1".into()], &layout.tls(&u.code))?;
        }
        let mut schemas = BTreeMap::new();
        if backend == Backend::Postgres {
            for (c, ..) in &units {
                schemas.insert(c.to_string(), Schema::create(c).await?);
            }
        }
        let fed_clock_set = clock.is_some();
        let mut fed = Federation {
            backend,
            schemas,
            addrs: listeners
                .iter()
                .map(|(k, (l, ..))| Ok((k.clone(), l.local_addr()?)))
                .collect::<std::io::Result<_>>()?,
            api_addrs: listeners
                .iter()
                .map(|(k, (_, a, _))| Ok((k.clone(), a.local_addr()?)))
                .collect::<std::io::Result<_>>()?,
            console_addrs: listeners
                .iter()
                .map(|(k, (.., c))| Ok((k.clone(), c.local_addr()?)))
                .collect::<std::io::Result<_>>()?,
            tokens: Default::default(),
            dir,
            topology,
            layout,
            nodes: BTreeMap::new(),
            hub_config,
            clock,
            clocks: BTreeMap::new(),
            outboxes: BTreeMap::new(),
            metrics,
            api: ApiLimits::default(),
            // Tests on a test clock move it by days and keep their clients: tokens
            // there outlive the test (a test of expiry restarts its node shorter).
            token_ttl: if fed_clock_set {
                Duration::from_secs(3650 * 24 * 3600)
            } else {
                xinfang_node::auth::store::DEFAULT_TOKEN_TTL
            },
            pii_clear_roles: xinfang_node::pii::DEFAULT_CLEAR_ROLES.to_vec(),
        };
        for (c, ..) in &units {
            let (l, api, console) = listeners.remove(*c).context("listener")?;
            fed.start_on(c, l, api, console).await?;
        }
        for (c, ..) in &units {
            fed.add_user(c, TESTER, &TESTER_ROLES, TESTER_PASSWORD)
                .await?;
            fed.tester_token(c).await?;
        }
        Ok(fed)
    }

    pub fn tls(&self, unit: &str) -> anyhow::Result<TlsMaterial> {
        Ok(server::load_node_tls(
            &self.layout.tls(&code(unit)),
            &code(unit),
        )?)
    }

    /// The federation root (to issue, re-issue and revoke certificates).
    pub fn pki(&self) -> anyhow::Result<Pki> {
        Ok(Pki::open(&self.layout.pki())?)
    }

    /// Hands the root's revocation list to every unit's TLS folder, as `xinfang pki
    /// revoke` does; running nodes take it up at their next look (every 100 ms here).
    pub fn hand_out_crl(&self) -> anyhow::Result<()> {
        let pki = self.pki()?;
        for u in self.topology.units() {
            pki.hand_out_crl(&self.layout.tls(&u.code))?;
        }
        Ok(())
    }

    /// The TLS material `unit`'s running node uses.
    pub fn tls_state(&self, unit: &str) -> anyhow::Result<Arc<TlsState>> {
        self.nodes
            .get(unit)
            .and_then(|n| n.tls.clone())
            .with_context(|| format!("{unit} is not running with TLS"))
    }

    async fn start_on(
        &mut self,
        unit: &str,
        listener: TcpListener,
        api: TcpListener,
        console: TcpListener,
    ) -> anyhow::Result<()> {
        // The node follows its TLS folder, looking often so tests wait little.
        let tls = server::load_node_state(&self.layout.tls(&code(unit)), &code(unit))?
            .poll_every(Duration::from_millis(100));
        let cfg = NodeConfig {
            unit: code(unit),
            topology: self.topology.clone(),
            data_dir: self.layout.data(&code(unit)),
            db: self.db_url(unit),
            security: Security::Tls(Arc::new(tls)),
            durability: Durability::Normal,
            hub: self.hub_config.clone(),
            limits: None,
            rules_dirs: Vec::new(),
            clock: self.clocks.get(unit).or(self.clock.as_ref()).cloned(),
            match_key: server::load_match_key(&self.layout.tls(&code(unit)).join(pki::MATCH_KEY))?,
            metrics_listen: self.metrics.then(|| SocketAddr::from(([127, 0, 0, 1], 0))),
            api_limits: self.api,
            api: Some(ApiListen::Listener(api)),
            token_ttl: self.token_ttl,
            pii_clear_roles: self.pii_clear_roles.clone(),
            console: Some(server::ConsoleListen::Listener(console)),
            // Each node's public progress page, plain HTTP on loopback.
            outbox: self.outboxes.get(unit).cloned(),
            public: Some(server::ConsoleListen::Addr(SocketAddr::from((
                [127, 0, 0, 1],
                0,
            )))),
        };
        let handle = server::start(cfg, listener).await?;
        self.nodes.insert(unit.to_owned(), handle);
        Ok(())
    }

    /// (Re)starts a stopped node on its old port.
    pub async fn start_node(&mut self, unit: &str) -> anyhow::Result<()> {
        if self.nodes.contains_key(unit) {
            bail!("{unit} is already running");
        }
        let listener = rebind(self.addrs[unit]).await?;
        let api = rebind(self.api_addrs[unit]).await?;
        let console = rebind(self.console_addrs[unit]).await?;
        // Its clock may have changed: sign in again when next asked.
        if self.clocks.contains_key(unit) {
            self.tokens
                .lock()
                .map_err(|_| anyhow::anyhow!("token cache poisoned"))?
                .remove(unit);
        }
        self.start_on(unit, listener, api, console).await
    }

    /// Stops a node cleanly (its data stays).
    pub async fn stop_node(&mut self, unit: &str) -> anyhow::Result<()> {
        let n = self.nodes.remove(unit).context("node not running")?;
        n.shutdown().await;
        Ok(())
    }

    /// A copy of the stopped node `unit`'s store and data folder, as an operator
    /// copies a node aside (its SQLite files, or its PostgreSQL schema copied into
    /// another).
    pub async fn snapshot(&self, unit: &str) -> anyhow::Result<Snapshot> {
        if self.nodes.contains_key(unit) {
            bail!("stop {unit} before copying its store");
        }
        let data = self.layout.data(&code(unit));
        let files = tempfile::tempdir()?;
        copy_files(&data, files.path())?;
        let schema = match self.db_url(unit) {
            None => None,
            Some(url) => {
                let schema = Schema::create(&format!("{unit}copy")).await?;
                let (from, to) = (
                    xinfang_hub::db::Db::open(&url, Default::default()).await?,
                    xinfang_hub::db::Db::open(schema.url(), Default::default()).await?,
                );
                xinfang_node::store_copy::copy(&from, &to, |_, _| {}).await?;
                from.close().await;
                to.close().await;
                Some(schema)
            }
        };
        Ok(Snapshot { files, schema })
    }

    /// Puts a copy made by [`snapshot`](Self::snapshot) back in place of the
    /// stopped node's store, as an operator putting back an old copy by hand
    /// would (nothing marks it as restored).
    pub fn put_back(&mut self, unit: &str, copy: Snapshot) -> anyhow::Result<()> {
        if self.nodes.contains_key(unit) {
            bail!("stop {unit} before putting its store back");
        }
        let data = self.layout.data(&code(unit));
        std::fs::remove_dir_all(&data)?;
        std::fs::create_dir_all(&data)?;
        copy_files(copy.files.path(), &data)?;
        if let Some(schema) = copy.schema {
            self.schemas.insert(unit.to_owned(), schema);
        }
        Ok(())
    }

    /// The database URL of `unit`'s node (None: the SQLite file in its data folder).
    pub fn db_url(&self, unit: &str) -> Option<String> {
        self.schemas.get(unit).map(|s| s.url().to_owned())
    }

    /// A connection pool on `unit`'s database (SQLite file or PostgreSQL schema),
    /// for tests that read the tables behind a node.
    pub async fn db(&self, unit: &str) -> anyhow::Result<xinfang_hub::db::Db> {
        let url = match self.db_url(unit) {
            Some(u) => u,
            None => xinfang_hub::db::sqlite_url(&self.layout.data(&code(unit)).join("xinfang.db")),
        };
        Ok(xinfang_hub::db::Db::open(&url, Default::default()).await?)
    }

    pub fn hub(&self, unit: &str) -> &Hub {
        &self.nodes[unit].hub
    }

    /// `unit`'s replication listener (children dial it).
    pub fn addr(&self, unit: &str) -> SocketAddr {
        self.addrs[unit]
    }

    /// `unit`'s node API listener.
    pub fn api_addr(&self, unit: &str) -> SocketAddr {
        self.api_addrs[unit]
    }

    /// `unit`'s public progress page (plain HTTP on loopback; a new port at each
    /// start of the node).
    pub fn public_addr(&self, unit: &str) -> SocketAddr {
        self.nodes[unit]
            .public_addr
            .unwrap_or_else(|| panic!("{unit} runs without a public page"))
    }

    /// `unit`'s staff console (HTTPS with the node's certificate).
    pub fn console_addr(&self, unit: &str) -> SocketAddr {
        self.console_addrs[unit]
    }

    /// Where `unit`'s running node serves `/metrics` (None: not running, or
    /// started without metrics).
    pub fn metrics_addr(&self, unit: &str) -> Option<SocketAddr> {
        self.nodes.get(unit).and_then(|n| n.metrics_addr)
    }

    /// A TLS channel to `unit`'s API presenting the client certificate in `dir`
    /// (`cert`, `key` file names), or none.
    pub async fn raw_channel(
        &self,
        unit: &str,
        identity: Option<(&std::path::Path, &str, &str)>,
    ) -> anyhow::Result<Channel> {
        let p = self.layout.pki();
        let mut tls = ClientTlsConfig::new()
            .ca_certificate(Certificate::from_pem(pki::read_file(
                &p.join(pki::CA_CERT),
            )?))
            .domain_name(pki::unit_dns_name(&code(unit)));
        if let Some((dir, cert, key)) = identity {
            tls = tls.identity(Identity::from_pem(
                pki::read_file(&dir.join(cert))?,
                pki::read_file(&dir.join(key))?,
            ));
        }
        Ok(
            Endpoint::from_shared(format!("https://{}", self.api_addrs[unit]))?
                .tls_config(tls)?
                .connect()
                .await?,
        )
    }

    /// A channel to `unit`'s API as the operator alone (an administrator).
    pub async fn operator_channel(&self, unit: &str) -> anyhow::Result<Channel> {
        self.raw_channel(
            unit,
            Some((&self.layout.pki(), pki::OPERATOR_CERT, pki::OPERATOR_KEY)),
        )
        .await
    }

    /// A channel to `unit`'s API that sends `token` (and the operator certificate,
    /// which the token overrides).
    pub async fn channel_with_token(&self, unit: &str, token: &str) -> anyhow::Result<Api> {
        let bearer = BearerToken::new(Some(token)).map_err(anyhow::Error::msg)?;
        Ok(InterceptedService::new(
            self.operator_channel(unit).await?,
            bearer,
        ))
    }

    /// [`TESTER`]'s token at `unit`, signing in again once half its lifetime has
    /// passed on the nodes' clock (tests move that clock by days).
    async fn tester_token(&self, unit: &str) -> anyhow::Result<String> {
        let now = match self.clocks.get(unit).or(self.clock.as_ref()) {
            Some(c) => c(),
            None => xinfang_hub::engine::wall_clock_ms(),
        };
        let half = i64::try_from(self.token_ttl.as_millis() / 2).unwrap_or(i64::MAX);
        let cached = self
            .tokens
            .lock()
            .map_err(|_| anyhow::anyhow!("token cache poisoned"))?
            .get(unit)
            .cloned();
        if let Some((token, at)) = cached
            && now.saturating_sub(at) < half
        {
            return Ok(token);
        }
        let token = self.login(unit, TESTER, TESTER_PASSWORD).await?;
        self.tokens
            .lock()
            .map_err(|_| anyhow::anyhow!("token cache poisoned"))?
            .insert(unit.to_owned(), (token.clone(), now));
        Ok(token)
    }

    /// A channel to `unit`'s API signed in as [`TESTER`].
    pub async fn channel(&self, unit: &str) -> anyhow::Result<Api> {
        let token = self.tester_token(unit).await?;
        self.channel_with_token(unit, &token).await
    }

    /// A channel to `unit`'s API signed in as [`TESTER`], over a connection that
    /// presents the operator certificate in `dir` (`operator.pem`,
    /// `operator-key.pem`).
    pub async fn channel_as(&self, unit: &str, dir: &std::path::Path) -> anyhow::Result<Api> {
        let token = self.tester_token(unit).await?;
        let bearer = BearerToken::new(Some(&token)).map_err(anyhow::Error::msg)?;
        let ch = self
            .raw_channel(unit, Some((dir, pki::OPERATOR_CERT, pki::OPERATOR_KEY)))
            .await?;
        Ok(InterceptedService::new(ch, bearer))
    }

    /// Adds a user at `unit`'s node, as the operator.
    pub async fn add_user(
        &self,
        unit: &str,
        name: &str,
        roles: &[&str],
        password: &str,
    ) -> anyhow::Result<pb::User> {
        Ok(xinfang_proto::v1::accounts_client::AccountsClient::new(
            self.operator_channel(unit).await?,
        )
        .add_user(pb::AddUserRequest {
            name: name.into(),
            display_name: String::new(),
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            password: password.into(),
        })
        .await?
        .into_inner())
    }

    /// Signs in at `unit`'s node (over TLS without a client certificate, as a
    /// member of staff at a workstation would) and returns the token.
    pub async fn login(&self, unit: &str, user: &str, password: &str) -> anyhow::Result<String> {
        Ok(xinfang_proto::v1::accounts_client::AccountsClient::new(
            self.raw_channel(unit, None).await?,
        )
        .login(pb::LoginRequest {
            user: user.into(),
            password: password.into(),
        })
        .await?
        .into_inner()
        .token)
    }

    /// A node API client for `token`.
    pub async fn client_with_token(
        &self,
        unit: &str,
        token: &str,
    ) -> anyhow::Result<NodeClient<Api>> {
        Ok(NodeClient::new(self.channel_with_token(unit, token).await?))
    }

    /// A node API client as the operator alone.
    pub async fn operator_client(&self, unit: &str) -> anyhow::Result<NodeClient<Channel>> {
        Ok(NodeClient::new(self.operator_channel(unit).await?))
    }

    /// A node API client signed in as [`TESTER`].
    pub async fn client(&self, unit: &str) -> anyhow::Result<NodeClient<Api>> {
        Ok(NodeClient::new(self.channel(unit).await?))
    }

    /// A schedules client signed in as [`TESTER`].
    pub async fn schedules(
        &self,
        unit: &str,
    ) -> anyhow::Result<xinfang_proto::v1::schedules_client::SchedulesClient<Api>> {
        Ok(
            xinfang_proto::v1::schedules_client::SchedulesClient::new(self.channel(unit).await?)
                .max_decoding_message_size(16 << 20),
        )
    }

    /// Puts `leaders` (name, 职务, role) on `unit`'s roster and files its schedule
    /// for `month` with `days` (date, leader, place): drafted, reviewed by
    /// `reviewer`, approved by `approver` (roster names).
    pub async fn file_schedule(
        &self,
        unit: &str,
        month: &str,
        leaders: &[(&str, &str, &str)],
        days: &[(&str, &str, &str)],
        (reviewer, approver): (&str, &str),
    ) -> anyhow::Result<()> {
        let mut c = self.schedules(unit).await?;
        for (name, position, role) in leaders {
            c.put_leader(pb::PutLeaderRequest {
                unit: unit.into(),
                leader: Some(pb::Leader {
                    name: (*name).into(),
                    position: (*position).into(),
                    role: (*role).into(),
                    active: true,
                    ..Default::default()
                }),
            })
            .await?;
        }
        for (date, leader, place) in days {
            c.add_entry(pb::AddEntryRequest {
                unit: unit.into(),
                month: month.into(),
                entry: Some(pb::ScheduleEntry {
                    date: (*date).into(),
                    leader: (*leader).into(),
                    place: (*place).into(),
                    ..Default::default()
                }),
            })
            .await?;
        }
        let decide = |by: &str| pb::DecisionRequest {
            unit: unit.into(),
            month: month.into(),
            by: by.into(),
            override_reason: String::new(),
        };
        c.review(decide(reviewer)).await?;
        c.approve(decide(approver)).await?;
        Ok(())
    }

    pub async fn register(
        &self,
        unit: &str,
        petitioner: &str,
        content: &str,
    ) -> anyhow::Result<pb::CaseView> {
        Ok(self
            .client(unit)
            .await?
            .register_case(pb::RegisterCaseRequest {
                unit: unit.into(),
                petitioner: petitioner.into(),
                content: content.into(),
                ..Default::default()
            })
            .await?
            .into_inner())
    }

    pub async fn note(
        &self,
        unit: &str,
        case_no: &str,
        text: &str,
    ) -> anyhow::Result<pb::CaseView> {
        Ok(self
            .client(unit)
            .await?
            .add_note(pb::AddNoteRequest {
                case_no: case_no.into(),
                text: text.into(),
            })
            .await?
            .into_inner())
    }

    /// Adds a lifecycle record at `unit` (`record` is the body as JSON).
    pub async fn act(
        &self,
        unit: &str,
        case_no: &str,
        record: serde_json::Value,
    ) -> anyhow::Result<pb::CaseView> {
        Ok(self
            .client(unit)
            .await?
            .act(pb::ActRequest {
                case_no: case_no.into(),
                record: record.to_string(),
            })
            .await?
            .into_inner())
    }

    /// The case as held at `unit`, or None if it is not there.
    pub async fn case_at(&self, unit: &str, case_no: &str) -> anyhow::Result<Option<pb::CaseView>> {
        match self
            .client(unit)
            .await?
            .get_case(pb::GetCaseRequest {
                case_no: case_no.into(),
            })
            .await
        {
            Ok(r) => Ok(Some(r.into_inner())),
            Err(s) if s.code() == tonic::Code::NotFound => Ok(None),
            Err(s) => Err(s.into()),
        }
    }

    pub async fn list(&self, unit: &str) -> anyhow::Result<Vec<String>> {
        Ok(self
            .client(unit)
            .await?
            .list_cases(pb::ListCasesRequest {
                limit: 10_000,
                ..Default::default()
            })
            .await?
            .into_inner()
            .cases
            .into_iter()
            .map(|c| c.case_no)
            .collect())
    }

    pub async fn shutdown(mut self) {
        let units: Vec<String> = self.nodes.keys().cloned().collect();
        for u in units {
            let _ = self.stop_node(&u).await;
        }
    }
}

/// A stopped node's store and data folder, copied aside ([`Federation::snapshot`]).
pub struct Snapshot {
    files: tempfile::TempDir,
    schema: Option<Schema>,
}

fn copy_files(from: &std::path::Path, to: &std::path::Path) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        if entry.path().is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name()))?;
        }
    }
    Ok(())
}

/// Binds `addr` again after its node stopped (the port may take a moment to free).
async fn rebind(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match TcpListener::bind(addr).await {
            Ok(l) => return Ok(l),
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Polls `check` until it returns `Some`, or fails after `timeout` naming `what`.
pub async fn wait_for<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<Option<T>>>,
{
    let deadline = Instant::now() + timeout;
    let mut last_err = None;
    loop {
        match check().await {
            Ok(Some(v)) => return Ok(v),
            Ok(None) => {}
            Err(e) => last_err = Some(e),
        }
        if Instant::now() > deadline {
            bail!("timed out after {timeout:?} waiting for {what} (last error: {last_err:?})");
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

pub const PATIENCE: Duration = Duration::from_secs(20);

/// `GET http://addr/path` over HTTP/1.1 (hyper's client): the status and the body
/// as text. Loopback only: this is for a node's metrics endpoint.
pub async fn http_get(addr: SocketAddr, path: &str) -> anyhow::Result<(u16, String, String)> {
    use http_body_util::{BodyExt, Empty};
    use hyper::body::Bytes;
    if !addr.ip().is_loopback() {
        bail!("http_get is for loopback addresses, not {addr}");
    }
    let stream = tokio::time::timeout(PATIENCE, tokio::net::TcpStream::connect(addr))
        .await
        .context("connect timed out")??;
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    let driver = tokio::spawn(conn);
    let request = hyper::Request::get(path)
        .header(hyper::header::HOST, addr.to_string())
        .body(Empty::<Bytes>::new())?;
    let answer = async {
        let response = sender.send_request(request).await?;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get(hyper::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = response.into_body().collect().await?.to_bytes();
        anyhow::Ok((status, content_type, String::from_utf8(body.to_vec())?))
    };
    let out = tokio::time::timeout(PATIENCE, answer)
        .await
        .context("no answer in time")?;
    driver.abort();
    out
}

/// What an HTTP request answered: the status, the headers and the body as text.
pub struct HttpAnswer {
    pub status: u16,
    pub headers: hyper::HeaderMap,
    pub body: String,
}

/// One HTTP/1.1 request to a loopback listener (hyper's client): `method` on
/// `path`, with `form` sent URL-encoded as a browser's form is, and `headers`
/// added (a cookie, say). Loopback only, like [`http_get`].
pub async fn http_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    form: Option<&[(&str, &str)]>,
    headers: &[(&str, &str)],
) -> anyhow::Result<HttpAnswer> {
    use http_body_util::{BodyExt, Full};
    use hyper::body::Bytes;
    if !addr.ip().is_loopback() {
        bail!("http_request is for loopback addresses, not {addr}");
    }
    let stream = tokio::time::timeout(PATIENCE, tokio::net::TcpStream::connect(addr))
        .await
        .context("connect timed out")??;
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    let driver = tokio::spawn(conn);
    let mut request = hyper::Request::builder()
        .method(method)
        .uri(path)
        .header(hyper::header::HOST, addr.to_string());
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let body = match form {
        Some(fields) => {
            request = request.header(
                hyper::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            );
            Bytes::from(serde_urlencoded::to_string(fields)?)
        }
        None => Bytes::new(),
    };
    let request = request.body(Full::new(body))?;
    let answer = async {
        let response = sender.send_request(request).await?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await?.to_bytes();
        anyhow::Ok(HttpAnswer {
            status,
            headers,
            // A PDF or another binary answer reads as lossy text.
            body: String::from_utf8_lossy(&body).into_owned(),
        })
    };
    let out = tokio::time::timeout(PATIENCE, answer)
        .await
        .context("no answer in time")?;
    driver.abort();
    out
}

/// A clock tests can set and move (ms since the epoch), shared by nodes.
#[derive(Clone)]
pub struct TestClock(pub Arc<std::sync::atomic::AtomicI64>);

impl TestClock {
    /// Starts at `rfc3339` (e.g. "2026-03-05T10:00:00+08:00").
    pub fn at(rfc3339: &str) -> anyhow::Result<TestClock> {
        let t = chrono::DateTime::parse_from_rfc3339(rfc3339)?.timestamp_millis();
        Ok(TestClock(Arc::new(std::sync::atomic::AtomicI64::new(t))))
    }

    pub fn set(&self, rfc3339: &str) -> anyhow::Result<()> {
        let t = chrono::DateTime::parse_from_rfc3339(rfc3339)?.timestamp_millis();
        self.0.store(t, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }

    /// The clock for nodes: each reading is a millisecond after the one before,
    /// so records written in a row keep their order, as on a real clock.
    pub fn clock(&self) -> xinfang_hub::Clock {
        let c = self.0.clone();
        Arc::new(move || c.fetch_add(1, std::sync::atomic::Ordering::SeqCst))
    }
}

/// A date `days` from today (China Standard Time), as YYYY-MM-DD.
pub fn in_days(days: i64) -> String {
    let today = (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive();
    (today + chrono::Duration::days(days)).to_string()
}
