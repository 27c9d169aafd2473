//! The federation a benchmark runs: its topology file, certificates, and one node
//! process per running unit (this executable's hidden `node run`), each signed in
//! to as the benchmark's user.

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio::process::{Child, Command};
use xinfang_ca::{self as pki, Pki};
use xinfang_hub::Topology;
use xinfang_node::layout::FederationDir;
use xinfang_proto::v1 as pb;
use xinfang_proto::v1::accounts_client::AccountsClient;
use xinfang_proto::v1::node_client::NodeClient;

use crate::api::{Api, Endpoints, status_error};

/// A free loopback port for a node to listen on, chosen below the system's
/// ephemeral range and never handed out twice: the city benchmark writes its
/// topology minutes before its nodes start, and meanwhile any outgoing connection
/// may take a port of the ephemeral range (one run lost 20 minutes that way).
pub fn free_port() -> anyhow::Result<u16> {
    use rand::Rng;
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let low = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<u16>().ok())
        .unwrap_or(32768)
        .max(2048);
    let from = low.saturating_sub(12_000).max(1024);
    let mut given = GIVEN
        .lock()
        .map_err(|_| anyhow::anyhow!("port list poisoned"))?;
    let mut rng = rand::rng();
    for _ in 0..1_000 {
        let port = rng.random_range(from..low);
        if !given.contains(&port) && std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            given.push(port);
            return Ok(port);
        }
    }
    anyhow::bail!("no free loopback port between {from} and {low}")
}

/// Writes `t` as a topology file the nodes read.
pub fn write_topology(t: &Topology, path: &Path) -> anyhow::Result<()> {
    let mut s = String::new();
    for u in t.units() {
        s.push_str(&format!(
            "[[unit]]\ncode = \"{}\"\nname = \"{}\"\ntier = \"{}\"\nlisten = \"{}\"\n",
            u.code,
            u.name,
            u.tier.as_str(),
            u.listen
        ));
        if let Some(p) = &u.parent {
            s.push_str(&format!("parent = \"{p}\"\n"));
        }
        if let Some(a) = &u.api {
            s.push_str(&format!("api = \"{a}\"\n"));
        }
        s.push('\n');
    }
    std::fs::write(path, s)?;
    Ok(())
}

/// Makes sure the root, the operator certificate and every unit's node certificate
/// exist under `layout`, and that each unit's TLS folder holds the root's current
/// revocation list.
pub fn ensure_pki(topo: &Topology, layout: &FederationDir) -> anyhow::Result<()> {
    let pki = Pki::open_or_init(&layout.pki())?;
    if !layout.pki().join(pki::OPERATOR_CERT).exists() {
        pki.issue_operator("operator", &layout.pki())?;
    }
    for u in topo.units() {
        if !layout.tls(&u.code).join(pki::NODE_CERT).exists() {
            // Every node listens on loopback.
            let hosts = ["localhost".to_owned(), "127.0.0.1".to_owned()];
            pki.issue_node(&u.code, &hosts, &layout.tls(&u.code))?;
        }
        pki.hand_out_crl(&layout.tls(&u.code))?;
    }
    Ok(())
}

/// The benchmark's user at every node: it registers cases and adds notes.
const USER: &str = "bench";
const PASSWORD: &str = "bench-password";

pub struct Fed {
    /// The executable whose hidden `node run` is a node.
    exe: PathBuf,
    topo_path: PathBuf,
    topo: Topology,
    pub layout: FederationDir,
    procs: Vec<(String, Child)>,
    /// Each unit's database when not the SQLite file in its folder.
    pub db: BTreeMap<String, String>,
    /// Units whose node serves the staff console, on which loopback port.
    consoles: BTreeMap<String, u16>,
    /// The benchmark user's token at each node it signed in to.
    tokens: BTreeMap<String, String>,
    /// Extra arguments for every node (`--durability normal`, say).
    pub node_args: Vec<String>,
}

impl Fed {
    /// A federation of nodes run by this executable.
    pub fn new(topo_path: PathBuf, topo: Topology, layout: FederationDir) -> anyhow::Result<Fed> {
        let exe = std::env::current_exe().context("cannot find the xinfang-bench executable")?;
        Ok(Fed {
            exe,
            topo_path,
            topo,
            layout,
            procs: Vec::new(),
            db: BTreeMap::new(),
            tokens: BTreeMap::new(),
            node_args: Vec::new(),
            consoles: BTreeMap::new(),
        })
    }

    fn endpoints(&self, unit: &str) -> anyhow::Result<Endpoints> {
        Endpoints::new(self.topo.resolve(unit)?, self.layout.pki())
    }

    /// A channel to `unit`'s API as the benchmark's user (as the operator before
    /// the user signed in there).
    pub async fn channel(&self, unit: &str) -> anyhow::Result<Api> {
        self.endpoints(unit)?
            .channel(self.tokens.get(unit).map(String::as_str))
            .await
    }

    /// Has `unit`'s node (started from now on) serve its staff console on a
    /// free loopback port; which one.
    pub fn serve_console(&mut self, unit: &str) -> anyhow::Result<u16> {
        // `free_port` never hands out a port twice, so none a node of the
        // topology was given.
        let port = free_port()?;
        self.consoles.insert(unit.into(), port);
        Ok(port)
    }

    /// The benchmark user's login token at `unit` (once signed in there).
    pub fn token(&self, unit: &str) -> Option<&str> {
        self.tokens.get(unit).map(String::as_str)
    }

    pub async fn client(&self, unit: &str) -> anyhow::Result<NodeClient<Api>> {
        Ok(NodeClient::new(self.channel(unit).await?))
    }

    pub async fn start(&mut self, unit: &str) -> anyhow::Result<()> {
        let mut child = self.spawn(unit)?;
        self.wait_ready(unit, &mut child, Duration::from_secs(60))
            .await?;
        self.procs.push((unit.into(), child));
        self.sign_in(unit).await
    }

    /// Spawns `unit`'s node process, logging to its folder.
    fn spawn(&self, unit: &str) -> anyhow::Result<Child> {
        let code = &self.topo.resolve(unit)?.code;
        std::fs::create_dir_all(self.layout.unit(code))?;
        let log_path = self.layout.log(code);
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .with_context(|| format!("open {}", log_path.display()))?;
        let mut cmd = Command::new(&self.exe);
        cmd.arg("node")
            .arg("run")
            .arg("--topology")
            .arg(&self.topo_path)
            .arg("--unit")
            .arg(code.as_str())
            .arg("--dir")
            .arg(self.layout.root())
            .args(&self.node_args)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .kill_on_drop(true);
        // By environment, not argument: a database password stays out of `ps`.
        if let Some(url) = self.db.get(unit) {
            cmd.env("XINFANG_DB", url);
        }
        if let Some(port) = self.consoles.get(unit) {
            cmd.arg("--console").arg(port.to_string());
        }
        cmd.spawn()
            .with_context(|| format!("start node for {code}"))
    }

    /// Waits until the node answers `status`, or fails with its log's tail.
    async fn wait_ready(
        &self,
        unit: &str,
        child: &mut Child,
        within: Duration,
    ) -> anyhow::Result<()> {
        let deadline = Instant::now() + within;
        // Readiness is asked as the operator: a token from the node's previous
        // run must not make a healthy node look down.
        let endpoints = self.endpoints(unit)?;
        let log = self.layout.log(&unit.parse()?);
        loop {
            if let Some(code) = child.try_wait()? {
                bail!(
                    "node {unit} exited ({code}) before it was ready; its log says:\n{}",
                    tail(&log, 15)
                );
            }
            if let Ok(api) = endpoints.channel(None).await
                && NodeClient::new(api)
                    .status(pb::StatusRequest {})
                    .await
                    .is_ok()
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!(
                    "node {unit} not ready after {within:?}; log:\n{}",
                    tail(&log, 15)
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// As the operator, adds the benchmark's user (registrar and handler) at
    /// `unit`'s node and signs in there.
    async fn sign_in(&mut self, unit: &str) -> anyhow::Result<()> {
        let mut accounts = AccountsClient::new(self.endpoints(unit)?.channel(None).await?);
        let added = accounts
            .add_user(pb::AddUserRequest {
                name: USER.into(),
                display_name: String::new(),
                roles: vec!["registrar".into(), "handler".into()],
                password: PASSWORD.into(),
            })
            .await;
        match added {
            Ok(_) => {}
            // A restarted node keeps its users.
            Err(s) if s.code() == tonic::Code::AlreadyExists => {}
            Err(s) => return Err(status_error(s)),
        }
        let token = accounts
            .login(pb::LoginRequest {
                user: USER.into(),
                password: PASSWORD.into(),
            })
            .await
            .map_err(status_error)?
            .into_inner()
            .token;
        self.tokens.insert(unit.into(), token);
        Ok(())
    }

    pub async fn stop(&mut self, unit: &str) -> anyhow::Result<()> {
        let i = self
            .procs
            .iter()
            .position(|(u, _)| u == unit)
            .context("not running")?;
        let (_, mut child) = self.procs.remove(i);
        stop_child(&mut child, Duration::from_secs(20)).await;
        Ok(())
    }

    pub fn pid(&self, unit: &str) -> Option<u32> {
        self.procs
            .iter()
            .find(|(u, _)| u == unit)
            .and_then(|(_, c)| c.id())
    }

    pub async fn status(&self, unit: &str) -> anyhow::Result<pb::StatusResponse> {
        Ok(self
            .client(unit)
            .await?
            .status(pb::StatusRequest {})
            .await
            .map_err(status_error)?
            .into_inner())
    }

    /// Waits until `unit`'s link to its parent has caught up in its current session.
    pub async fn parent_caught_up(
        &self,
        unit: &str,
        within: Duration,
    ) -> anyhow::Result<pb::PeerStatus> {
        let deadline = Instant::now() + within;
        loop {
            let s = self.status(unit).await?;
            if let Some(p) = s.peers.iter().find(|p| p.role == "parent")
                && p.connected
                && p.caught_up
            {
                return Ok(p.clone());
            }
            if Instant::now() > deadline {
                bail!("{unit} did not catch up with its parent within {within:?}");
            }
            // Status counts documents; polling gently keeps it out of the numbers.
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn stop_all(&mut self) {
        for (_, mut c) in self.procs.drain(..) {
            stop_child(&mut c, Duration::from_secs(20)).await;
        }
    }
}

fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Asks a child to stop (SIGTERM), then kills it if it takes longer than `grace`.
async fn stop_child(child: &mut Child, grace: Duration) {
    if let Some(pid) = child.id() {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid as i32),
            nix::sys::signal::Signal::SIGTERM,
        );
    }
    if tokio::time::timeout(grace, child.wait()).await.is_err() {
        let _ = child.kill().await;
    }
}
