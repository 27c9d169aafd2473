//! `xinfang-node run …` (also reachable as `xinfang node run …`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use xinfang_hub::db::Durability;
use xinfang_hub::net::Security;
use xinfang_hub::{HubConfig, Topology, UnitCode};

use crate::layout::FederationDir;
use crate::server::{self, NodeConfig};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DurabilityArg {
    /// fsync every commit (survives power loss)
    Full,
    /// fsync at checkpoints (survives process crashes)
    Normal,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines (the default)
    #[default]
    Text,
    /// One JSON object per line (for log collectors)
    Json,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Federation topology (TOML, [[unit]] tables)
    #[arg(long)]
    pub topology: PathBuf,
    /// This node's unit code
    #[arg(long)]
    pub unit: String,
    /// Federation folder holding units/<code>/{data,tls}
    #[arg(long, default_value = "federation")]
    pub dir: PathBuf,
    /// Data folder (default: DIR/units/<code>/data)
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// The database: `postgres://USER:PASSWORD@HOST/DB` for a big node, or
    /// `sqlite://FILE`. Default: the SQLite file xinfang.db in the data folder.
    /// Also read from XINFANG_DB, which keeps a password out of process lists.
    #[arg(long, env = "XINFANG_DB", value_name = "URL", hide_env_values = true)]
    pub db: Option<String>,
    /// Folder with node.pem, node-key.pem, ca.pem and crl.pem if any (default:
    /// DIR/units/<code>/tls). Followed while the node runs: new files are taken up
    /// for new connections without a restart.
    #[arg(long)]
    pub tls: Option<PathBuf>,
    /// How often to look at the TLS folder for new files, in seconds (SIGHUP looks
    /// at once)
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub tls_poll_secs: u64,
    /// Replication listen address, for the children's links (default: the unit's
    /// `listen` in the topology)
    #[arg(long)]
    pub listen: Option<String>,
    /// The node API's listen address, for staff and operators (default: the
    /// unit's `api` in the topology, else 127.0.0.1 at the `listen` port + 1000).
    /// An address beyond this machine needs TLS: refused with --insecure.
    #[arg(long, value_name = "ADDR")]
    pub api_listen: Option<SocketAddr>,
    /// Serve the staff console (the pages staff work in, in a browser) on ADDR.
    /// A bare port (`8080`) means 127.0.0.1:8080. Served with the node's TLS
    /// certificate unless --insecure; an address beyond this machine needs TLS.
    /// Default: no console.
    #[arg(long, value_name = "ADDR", value_parser = parse_metrics_listen)]
    pub console: Option<SocketAddr>,
    /// Serve the public progress page (信访事项查询: a petitioner's case number
    /// and query code open the case's progress; the rating) on ADDR, apart from
    /// the console and the API. A bare port means 127.0.0.1:PORT. On loopback in
    /// plain HTTP (behind the office's web front); beyond it only with TLS, with
    /// the node's certificate. Default: no public page.
    #[arg(long, value_name = "ADDR", value_parser = parse_metrics_listen)]
    pub public: Option<SocketAddr>,
    /// Send the petitioners of cases registered here a text message (短信告知) at
    /// each notice and change of status owed to them, through this program: it
    /// gets one JSON object on standard input (`to`, `text`, `case_no`, `about`)
    /// and exits 0 when the office's gateway took it. Each attempt is recorded in
    /// the case. Default: no messages.
    #[arg(long, value_name = "PROGRAM", conflicts_with = "sms_url")]
    pub sms_command: Option<PathBuf>,
    /// An argument for --sms-command (repeat for more).
    #[arg(long = "sms-arg", value_name = "ARG", requires = "sms_command")]
    pub sms_args: Vec<String>,
    /// As --sms-command, by `POST` of the JSON to an http:// address on this
    /// machine (a gateway's local agent); a 2xx answer means taken.
    #[arg(long, value_name = "URL")]
    pub sms_url: Option<String>,
    /// Attempts before a message is given up; the wait doubles from
    /// --sms-first-retry up to an hour.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=50))]
    pub sms_attempts: u32,
    /// Seconds to wait after a first failed attempt.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86400))]
    pub sms_first_retry: u64,
    /// How long a login token lives, in hours
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=720))]
    pub token_hours: u64,
    /// The roles that see ID and phone numbers in clear (each view is logged in
    /// the ledger); the others get masked forms. Comma-separated role codes.
    #[arg(
        long,
        value_name = "ROLES",
        default_value = "registrar,handler,administrator"
    )]
    pub pii_clear_roles: String,
    /// Plaintext, peers trusted by what they claim. For local experiments only.
    #[arg(long)]
    pub insecure: bool,
    #[arg(long, value_enum, default_value = "full")]
    pub durability: DurabilityArg,
    /// Largest frame accepted on a link, in bytes
    #[arg(long, default_value_t = 16 << 20)]
    pub max_frame_bytes: usize,
    /// The federation's matching key file (default: match.key in the TLS folder,
    /// then DIR/pki/match.key)
    #[arg(long)]
    pub match_key: Option<PathBuf>,
    /// Time limits and counting rules (TOML; every limit named; default Reg-2022)
    #[arg(long)]
    pub limits: Option<PathBuf>,
    /// Largest document accepted, in bytes
    #[arg(long, default_value_t = 4 << 20)]
    pub max_doc_bytes: usize,
    /// Largest request to the node and reports API, in bytes (refused from its
    /// length prefix, before it is read)
    #[arg(long, default_value_t = 4 << 20)]
    pub max_request_bytes: usize,
    /// Largest request to the schedules API (imports carry whole tables), in bytes
    #[arg(long, default_value_t = 8 << 20)]
    pub max_import_bytes: usize,
    /// Seconds a link waits on a silent peer (its Hello, an Ack) before it ends
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub link_idle_timeout: u64,
    /// Seconds a peer may leave our frames unread before it is disconnected
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub link_send_timeout: u64,
    /// Folder of reception-rule sets (NAME.toml) looked in before the shipped ones;
    /// repeatable. Default: `rules/` beside the topology file and one level up.
    #[arg(long = "rules-dir")]
    pub rules_dirs: Vec<PathBuf>,
    /// Serve Prometheus metrics at http://ADDR/metrics (plain HTTP). A bare port
    /// (`9464`) means 127.0.0.1:9464. Default: no metrics endpoint.
    #[arg(long, value_name = "ADDR", value_parser = parse_metrics_listen)]
    pub metrics_listen: Option<SocketAddr>,
    /// What to log, as a tracing filter (e.g. `info,xinfang_hub=debug`); overrides
    /// XINFANG_LOG. Default: XINFANG_LOG, else `info`.
    #[arg(long, value_name = "FILTER")]
    pub log_filter: Option<String>,
    /// How log lines are written to stderr
    #[arg(long, value_enum, default_value = "text")]
    pub log_format: LogFormat,
    /// Testing only: start the node's clock at this instant (RFC 3339); it then
    /// runs at normal speed.
    #[arg(long, env = "XINFANG_CLOCK_START", hide = true)]
    pub clock_start: Option<String>,
}

/// Runs a node until SIGINT or SIGTERM, then shuts it down cleanly.
pub async fn run(args: RunArgs) -> anyhow::Result<()> {
    let topology = Arc::new(Topology::load(&args.topology)?);
    let unit: UnitCode = args
        .unit
        .parse()
        .with_context(|| format!("--unit {}", args.unit))?;
    let Some(u) = topology.unit(&unit) else {
        bail!("--unit {unit} is not in {}", args.topology.display());
    };
    let layout = FederationDir::new(&args.dir);
    let listen = args.listen.clone().unwrap_or_else(|| u.listen.clone());
    let api_listen = match args.api_listen {
        Some(a) => a,
        None => {
            let a = u.api_address()?;
            tokio::net::lookup_host(&a)
                .await
                .with_context(|| format!("the unit's API address {a}"))?
                .next()
                .with_context(|| format!("the unit's API address {a} resolves to nothing"))?
        }
    };
    let security = if args.insecure {
        tracing::warn!("running without TLS (--insecure): peers are not authenticated");
        Security::Insecure
    } else {
        let dir = args.tls.clone().unwrap_or_else(|| layout.tls(&unit));
        let state = server::load_node_state(&dir, &unit)?
            .poll_every(std::time::Duration::from_secs(args.tls_poll_secs));
        Security::Tls(Arc::new(state))
    };
    if args.max_doc_bytes >= args.max_frame_bytes {
        bail!("--max-doc-bytes must be below --max-frame-bytes (a frame carries whole documents)");
    }
    let mut hub = HubConfig::default();
    hub.limits.max_frame_bytes = args.max_frame_bytes;
    hub.limits.max_doc_bytes = args.max_doc_bytes;
    hub.batch_max_bytes = hub.batch_max_bytes.min(args.max_frame_bytes / 2);
    if args.link_idle_timeout == 0 || args.link_send_timeout == 0 {
        bail!("--link-idle-timeout and --link-send-timeout must be at least 1 second");
    }
    hub.core.idle_timeout = Some(std::time::Duration::from_secs(args.link_idle_timeout));
    hub.transport.send_timeout = std::time::Duration::from_secs(args.link_send_timeout);
    let api = server::ApiLimits {
        max_request_bytes: args.max_request_bytes,
        max_import_bytes: args.max_import_bytes,
    };
    let match_key = match &args.match_key {
        Some(p) => Some(
            server::load_match_key(p)?
                .with_context(|| format!("--match-key {} does not exist", p.display()))?,
        ),
        None => {
            let tls_dir = args.tls.clone().unwrap_or_else(|| layout.tls(&unit));
            match server::load_match_key(&tls_dir.join(xinfang_ca::MATCH_KEY))? {
                Some(k) => Some(k),
                None => server::load_match_key(&layout.pki().join(xinfang_ca::MATCH_KEY))?,
            }
        }
    };
    if match_key.is_none() {
        tracing::warn!("no matching key: registrations with identity numbers will be refused");
    }
    let limits = match &args.limits {
        Some(p) => {
            let text =
                std::fs::read_to_string(p).with_context(|| format!("--limits {}", p.display()))?;
            Some(
                crate::rules::limits::TimeLimits::from_toml(&text)
                    .map_err(|e| anyhow::anyhow!("--limits {}: {e}", p.display()))?,
            )
        }
        None => None,
    };
    let mut rules_dirs = args.rules_dirs.clone();
    if rules_dirs.is_empty() {
        let base = args
            .topology
            .parent()
            .map(std::path::Path::to_path_buf)
            .unwrap_or_default();
        rules_dirs.push(base.join("rules"));
        rules_dirs.push(base.join("..").join("rules"));
    }
    let clock = match &args.clock_start {
        Some(t) => {
            let start = chrono::DateTime::parse_from_rfc3339(t)
                .with_context(|| format!("--clock-start {t:?} is not an RFC 3339 instant"))?
                .timestamp_millis();
            tracing::warn!(start = %t, "node clock set by --clock-start (testing)");
            let t0 = std::time::Instant::now();
            let clock: xinfang_hub::Clock =
                Arc::new(move || start + i64::try_from(t0.elapsed().as_millis()).unwrap_or(0));
            Some(clock)
        }
        None => None,
    };
    let cfg = NodeConfig {
        rules_dirs,
        clock,
        limits,
        match_key,
        unit: unit.clone(),
        topology,
        data_dir: args.data.clone().unwrap_or_else(|| layout.data(&unit)),
        db: args.db.clone(),
        security,
        durability: match args.durability {
            DurabilityArg::Full => Durability::Full,
            DurabilityArg::Normal => Durability::Normal,
        },
        hub,
        metrics_listen: args.metrics_listen,
        api_limits: api,
        api: Some(server::ApiListen::Addr(api_listen)),
        token_ttl: std::time::Duration::from_secs(args.token_hours * 3600),
        pii_clear_roles: clear_roles(&args.pii_clear_roles)?,
        console: args.console.map(server::ConsoleListen::Addr),
        public: args.public.map(server::ConsoleListen::Addr),
        outbox: outbox(&args)?,
    };
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let node = server::start(cfg, listener).await?;
    println!("xinfang-node {unit} listening on {}", node.addr);
    if let Some(a) = node.api_addr {
        println!("xinfang-node {unit} API on {a}");
    }
    if let Some(m) = node.metrics_addr {
        println!("xinfang-node {unit} metrics at http://{m}/metrics");
    }
    if let Some(c) = node.console_addr {
        let scheme = if node.tls.is_some() { "https" } else { "http" };
        println!("xinfang-node {unit} console at {scheme}://{c}/");
    }
    if let Some(p) = node.public_addr {
        let scheme = if p.ip().is_loopback() {
            "http"
        } else {
            "https"
        };
        println!("xinfang-node {unit} public progress page at {scheme}://{p}/");
    }
    let reloader = node.tls.clone().map(|t| tokio::spawn(reload_on_hangup(t)));
    wait_for_signal().await;
    if let Some(r) = reloader {
        r.abort();
    }
    tracing::info!("shutting down");
    node.shutdown().await;
    Ok(())
}

/// SIGHUP: look at the TLS folder now instead of at the next poll.
async fn reload_on_hangup(tls: Arc<xinfang_hub::tls::TlsState>) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut hup) = signal(SignalKind::hangup()) else {
            return;
        };
        while hup.recv().await.is_some() {
            tracing::info!("SIGHUP: reading the TLS folder");
            // Errors are logged by `reload`, and the material in use is kept.
            let _ = tls.reload();
        }
    }
    #[cfg(not(unix))]
    let _ = tls;
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// `--metrics-listen`: `IP:PORT`, or a bare port on the loopback address.
fn parse_metrics_listen(s: &str) -> Result<SocketAddr, String> {
    if let Ok(port) = s.parse::<u16>() {
        return Ok(SocketAddr::from(([127, 0, 0, 1], port)));
    }
    s.parse::<SocketAddr>()
        .map_err(|_| format!("{s:?} is neither PORT nor IP:PORT (e.g. 127.0.0.1:9464)"))
}

impl RunArgs {
    /// Sets up logging as `--log-filter` and `--log-format` say.
    pub fn init_logging(&self) -> anyhow::Result<()> {
        init_logging_with(self.log_filter.as_deref(), self.log_format)
    }
}

/// Logs to stderr in `format`, filtered by `filter` if given, else by
/// `XINFANG_LOG` (default `info`). A bad `filter` is an error; a bad
/// `XINFANG_LOG` falls back to `info`, as it always has. Either way Automerge
/// logs warnings only unless the filter names it ([`quiet_automerge`]).
pub fn init_logging_with(filter: Option<&str>, format: LogFormat) -> anyhow::Result<()> {
    use tracing_subscriber::EnvFilter;
    let filter = match filter {
        Some(f) => {
            EnvFilter::try_new(quiet_automerge(f)).with_context(|| format!("--log-filter {f:?}"))?
        }
        None => std::env::var("XINFANG_LOG")
            .ok()
            .and_then(|f| EnvFilter::try_new(quiet_automerge(&f)).ok())
            .unwrap_or_else(|| EnvFilter::new(quiet_automerge("info"))),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // Someone else (a test, an embedding program) may have set a subscriber: keep it.
    let _ = match format {
        LogFormat::Text => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
    Ok(())
}

/// `filter` with Automerge held to warnings, unless it names Automerge itself.
/// Automerge opens an info-level span, its arguments formatted, for every
/// document it loads and every column it parses: at `info` that was 4 % of a
/// node's time receiving a first sync, for lines no one reads.
fn quiet_automerge(filter: &str) -> String {
    if filter.contains("automerge") {
        filter.to_owned()
    } else if filter.trim().is_empty() {
        "automerge=warn".to_owned()
    } else {
        format!("{filter},automerge=warn")
    }
}

/// `--pii-clear-roles`: role codes, comma-separated ("" for none).
/// The outbox the flags ask for, if any.
fn outbox(args: &RunArgs) -> anyhow::Result<Option<crate::outbox::OutboxConfig>> {
    use crate::outbox::{OutboxConfig, Sender};
    let sender = match (&args.sms_command, &args.sms_url) {
        (Some(program), _) => Sender::Command {
            program: program.clone(),
            args: args.sms_args.clone(),
        },
        (None, Some(url)) => Sender::http(url).map_err(|e| anyhow::anyhow!("--sms-url: {e}"))?,
        (None, None) => return Ok(None),
    };
    let mut cfg = OutboxConfig::new(sender);
    cfg.attempts = args.sms_attempts;
    cfg.first_retry = std::time::Duration::from_secs(args.sms_first_retry);
    Ok(Some(cfg))
}

fn clear_roles(text: &str) -> anyhow::Result<Vec<crate::auth::Role>> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            crate::auth::Role::parse(s).ok_or_else(|| {
                anyhow::anyhow!(
                    "--pii-clear-roles: {s:?} is not a role (registrar, handler, reviewer, \
                     approver, viewer, administrator)"
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_listen_takes_a_port_or_an_address() {
        assert_eq!(
            parse_metrics_listen("9464").unwrap(),
            "127.0.0.1:9464".parse::<SocketAddr>().unwrap()
        );
        assert_eq!(
            parse_metrics_listen("0.0.0.0:9100").unwrap(),
            "0.0.0.0:9100".parse::<SocketAddr>().unwrap()
        );
        assert_eq!(
            parse_metrics_listen("[::1]:9464").unwrap(),
            "[::1]:9464".parse::<SocketAddr>().unwrap()
        );
        assert!(parse_metrics_listen("localhost").is_err());
        assert!(parse_metrics_listen("").is_err());
    }

    #[test]
    fn automerge_logs_warnings_only_unless_the_filter_names_it() {
        assert_eq!(quiet_automerge("info"), "info,automerge=warn");
        assert_eq!(quiet_automerge(""), "automerge=warn");
        assert_eq!(
            quiet_automerge("info,xinfang_hub::net=debug"),
            "info,xinfang_hub::net=debug,automerge=warn"
        );
        assert_eq!(
            quiet_automerge("debug,automerge=trace"),
            "debug,automerge=trace"
        );
        // What it makes is a filter tracing takes.
        for f in ["info", "", "warn,xinfang_hub=debug"] {
            tracing_subscriber::EnvFilter::try_new(quiet_automerge(f)).expect(f);
        }
    }

    #[test]
    fn a_bad_log_filter_is_refused() {
        let e = init_logging_with(Some("info,[unclosed"), LogFormat::Json).unwrap_err();
        assert!(format!("{e:#}").contains("--log-filter"), "{e:#}");
    }
}
