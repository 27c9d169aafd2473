//! `xinfang up FILE`: a whole federation on this machine, one node process per unit,
//! certificates and data under one folder, stopped cleanly on Ctrl-C.

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;
use serde::Serialize;
use tokio::process::{Child, Command};
use xinfang_ca::{self as pki, Pki};
use xinfang_hub::{Topology, Unit};
use xinfang_node::layout::FederationDir;

use crate::cmd_pki::default_hosts;
use crate::conn::{ConnArgs, status_error};
use crate::output::{Lang, print_json, table};
use xinfang_proto::v1 as pb;

#[derive(Debug, Args)]
pub struct UpArgs {
    /// Topology file ([[unit]] tables)
    pub file: PathBuf,
    /// Folder for certificates, data and logs
    #[arg(long, default_value = "federation")]
    pub dir: PathBuf,
    /// Plaintext links (local experiments only)
    #[arg(long)]
    pub insecure: bool,
    /// Add a demo user (`demo`, every staff role, a new random password) at every
    /// node and print it, to try the consoles. Only for a federation on this
    /// machine (every `listen` on loopback).
    #[arg(long)]
    pub demo: bool,
}

/// The user `up --demo` adds at every node.
pub const DEMO_USER: &str = "demo";
/// The roles the demo user holds: every staff role, not administrator.
const DEMO_ROLES: [&str; 4] = ["registrar", "handler", "reviewer", "approver"];

/// Whether every unit listens on this machine (the demo account is for such a
/// federation only).
fn all_local(topo: &Topology) -> bool {
    topo.units().all(|u| {
        u.listen
            .rsplit_once(':')
            .map(|(h, _)| h.trim_matches(['[', ']']))
            .is_some_and(|h| {
                h == "localhost"
                    || h.parse::<std::net::IpAddr>()
                        .is_ok_and(|ip| ip.is_loopback())
            })
    })
}

/// Adds the demo user at `conn`'s node as the operator, or gives an existing one
/// the new password.
async fn add_demo(conn: &ConnArgs, password: &str) -> anyhow::Result<()> {
    let mut conn = conn.clone();
    conn.cert_only = true;
    let mut accounts = conn.accounts().await?;
    let added = accounts
        .add_user(pb::AddUserRequest {
            name: DEMO_USER.into(),
            display_name: "演示".into(),
            roles: DEMO_ROLES.map(str::to_owned).to_vec(),
            password: password.into(),
        })
        .await;
    match added {
        Ok(_) => Ok(()),
        Err(s) if s.code() == tonic::Code::AlreadyExists => {
            accounts
                .set_password(pb::SetPasswordRequest {
                    name: DEMO_USER.into(),
                    password: password.into(),
                    old_password: String::new(),
                })
                .await
                .map_err(status_error)?;
            Ok(())
        }
        Err(s) => Err(status_error(s)),
    }
}

#[derive(Serialize)]
struct DemoJson {
    user: String,
    password: String,
}

/// Makes sure the root, the operator certificate and every unit's node certificate
/// exist under `layout` (existing ones are kept), and that each unit's TLS folder
/// holds the root's current revocation list.
pub fn ensure_pki(topo: &Topology, layout: &FederationDir) -> anyhow::Result<()> {
    let pki = Pki::open_or_init(&layout.pki())?;
    if !layout.pki().join(pki::OPERATOR_CERT).exists() {
        pki.issue_operator("operator", &layout.pki())?;
    }
    for u in topo.units() {
        if !layout.tls(&u.code).join(pki::NODE_CERT).exists() {
            let host = u
                .listen
                .rsplit_once(':')
                .map(|(h, _)| h.trim_matches(['[', ']']));
            pki.issue_node(&u.code, &default_hosts(host), &layout.tls(&u.code))?;
        }
        pki.hand_out_crl(&layout.tls(&u.code))?;
    }
    Ok(())
}

#[derive(Serialize)]
struct NodeJson {
    unit: String,
    name: String,
    tier: String,
    listen: String,
    api: String,
    /// Prometheus text at `http://ADDR/metrics`; empty when none.
    metrics: String,
    /// The staff console's URL; empty when none.
    console: String,
    /// The demo account (`up --demo`), the same at every node.
    #[serde(skip_serializing_if = "Option::is_none")]
    demo: Option<DemoJson>,
    pid: u32,
    log: String,
}

struct Running {
    unit: Unit,
    child: Child,
}

fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Ports this far above a unit's replication port serve its Prometheus metrics
/// under `up` (the API is at +1000).
const METRICS_PORT_OFFSET: u16 = 2000;

/// Where `up` asks a unit's node to serve `/metrics`: loopback, the `listen` port
/// plus [`METRICS_PORT_OFFSET`]; none when that port does not exist.
fn metrics_address(unit: &Unit) -> Option<String> {
    let port = unit.listen.rsplit_once(':')?.1.parse::<u16>().ok()?;
    let metrics = port
        .checked_add(METRICS_PORT_OFFSET)
        .filter(|_| port != 0)?;
    Some(format!("127.0.0.1:{metrics}"))
}

/// Ports this far above a unit's replication port serve its staff console under
/// `up`.
const CONSOLE_PORT_OFFSET: u16 = 3000;

/// Where `up` asks a unit's node to serve its staff console: loopback, the
/// `listen` port plus [`CONSOLE_PORT_OFFSET`]; none when that port does not exist.
fn console_address(unit: &Unit) -> Option<String> {
    let port = unit.listen.rsplit_once(':')?.1.parse::<u16>().ok()?;
    let console = port
        .checked_add(CONSOLE_PORT_OFFSET)
        .filter(|_| port != 0)?;
    Some(format!("127.0.0.1:{console}"))
}

/// The console's URL as a browser opens it (HTTPS with the node's certificate,
/// plain HTTP under `--insecure`).
fn console_url(unit: &Unit, insecure: bool) -> Option<String> {
    let scheme = if insecure { "http" } else { "https" };
    console_address(unit).map(|a| format!("{scheme}://{a}/"))
}

/// What a spawned node serves beside replication and its API.
#[derive(Default, Clone, Copy)]
pub struct Serves<'a> {
    /// `--metrics-listen`
    pub metrics: Option<&'a str>,
    /// `--console`
    pub console: Option<&'a str>,
}

/// Spawns one node process for `unit`, logging to its folder.
pub fn spawn_node(
    exe: &Path,
    topology: &Path,
    unit: &Unit,
    layout: &FederationDir,
    insecure: bool,
    db: Option<&str>,
    serves: Serves<'_>,
) -> anyhow::Result<Child> {
    std::fs::create_dir_all(layout.unit(&unit.code))?;
    let log_path = layout.log(&unit.code);
    let log = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .with_context(|| format!("open {}", log_path.display()))?;
    let mut cmd = Command::new(exe);
    cmd.arg("node")
        .arg("run")
        .arg("--topology")
        .arg(topology)
        .arg("--unit")
        .arg(unit.code.as_str())
        .arg("--dir")
        .arg(layout.root())
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .kill_on_drop(true);
    if insecure {
        cmd.arg("--insecure");
    }
    if let Some(addr) = serves.metrics {
        cmd.arg("--metrics-listen").arg(addr);
    }
    if let Some(addr) = serves.console {
        cmd.arg("--console").arg(addr);
    }
    // By environment, not argument: a database password stays out of `ps`.
    if let Some(url) = db {
        cmd.env("XINFANG_DB", url);
    }
    cmd.spawn()
        .with_context(|| format!("start node for {}", unit.code))
}

/// Waits until the node answers `status`, or fails with its log's tail.
pub async fn wait_ready(
    conn: &ConnArgs,
    child: &mut Child,
    log: &Path,
    within: Duration,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + within;
    // Readiness is asked as the operator: a stale saved login must not make a
    // healthy node look down.
    let mut conn = conn.clone();
    conn.cert_only = true;
    let conn = &conn;
    loop {
        if let Some(code) = child.try_wait()? {
            bail!(
                "node exited ({code}) before it was ready; its log says:\n{}",
                tail(log, 15)
            );
        }
        if crate::cmd_status::fetch(conn).await.is_ok() {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("node not ready after {within:?}; log:\n{}", tail(log, 15));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Asks a child to stop (SIGTERM), then kills it if it takes longer than `grace`.
pub async fn stop_child(child: &mut Child, grace: Duration) {
    #[cfg(unix)]
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

pub async fn run(args: UpArgs, json: bool, lang: Lang) -> anyhow::Result<()> {
    let topo = Topology::load(&args.file)?;
    if args.demo && !all_local(&topo) {
        bail!(
            "--demo is for a federation on this machine: every unit's `listen` must be on loopback"
        );
    }
    let layout = FederationDir::new(&args.dir);
    if !args.insecure {
        ensure_pki(&topo, &layout)?;
    }
    let exe = std::env::current_exe().context("cannot find the xinfang executable")?;
    let topo_path = std::fs::canonicalize(&args.file)?;
    let mut running: Vec<Running> = Vec::new();
    // One password for the demo user at every node, new at each `up`.
    let demo = args.demo.then(|| {
        let mut bytes = [0u8; 9];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    });
    for u in topo.units() {
        let metrics = metrics_address(u);
        let console = console_address(u);
        let child = spawn_node(
            &exe,
            &topo_path,
            u,
            &layout,
            args.insecure,
            None,
            Serves {
                metrics: metrics.as_deref(),
                console: console.as_deref(),
            },
        )?;
        running.push(Running {
            unit: u.clone(),
            child,
        });
    }
    for i in 0..running.len() {
        let r = &mut running[i];
        let code = r.unit.code.clone();
        let conn = ConnArgs {
            node: None,
            topology: Some(topo_path.clone()),
            unit: Some(r.unit.code.to_string()),
            dir: args.dir.clone(),
            cert_dir: None,
            cert_only: false,
            insecure: args.insecure,
        };
        let ready = wait_ready(
            &conn,
            &mut r.child,
            &layout.log(&code),
            Duration::from_secs(30),
        )
        .await;
        let ready = match (ready, &demo) {
            (Ok(()), Some(password)) => add_demo(&conn, password).await,
            (other, _) => other,
        };
        if let Err(e) = ready {
            for r in running.iter_mut() {
                stop_child(&mut r.child, Duration::from_secs(5)).await;
            }
            return Err(e.context(format!("unit {code}")));
        }
    }
    if json {
        let v: Vec<NodeJson> = running
            .iter()
            .map(|r| NodeJson {
                unit: r.unit.code.to_string(),
                name: r.unit.name.clone(),
                tier: r.unit.tier.as_str().into(),
                listen: r.unit.listen.clone(),
                api: r.unit.api_address().unwrap_or_default(),
                metrics: metrics_address(&r.unit).unwrap_or_default(),
                console: console_url(&r.unit, args.insecure).unwrap_or_default(),
                demo: demo.as_ref().map(|p| DemoJson {
                    user: DEMO_USER.into(),
                    password: p.clone(),
                }),
                pid: r.child.id().unwrap_or(0),
                log: layout.log(&r.unit.code).display().to_string(),
            })
            .collect();
        print_json(&v)?;
    } else {
        let mut t = table(vec![
            lang.t("单位代码", "Unit"),
            lang.t("名称", "Name"),
            lang.t("层级", "Tier"),
            lang.t("同步地址", "Replication"),
            lang.t("接口地址", "API"),
            lang.t("监控指标", "Metrics"),
            lang.t("工作台", "Console"),
            lang.t("进程", "PID"),
        ]);
        for r in &running {
            t.add_row(vec![
                r.unit.code.to_string(),
                r.unit.name.clone(),
                r.unit.tier.as_str().to_owned(),
                r.unit.listen.clone(),
                r.unit.api_address().unwrap_or_default(),
                metrics_address(&r.unit)
                    .map(|a| format!("http://{a}/metrics"))
                    .unwrap_or_default(),
                console_url(&r.unit, args.insecure).unwrap_or_default(),
                r.child.id().map(|p| p.to_string()).unwrap_or_default(),
            ]);
        }
        println!("{t}");
        let leaf = running
            .last()
            .map(|r| r.unit.code.to_string())
            .unwrap_or_default();
        let at = format!(
            "--topology {} --unit {leaf} --dir {}",
            args.file.display(),
            args.dir.display()
        );
        println!(
            "{}\n  xinfang admin user add clerk --role registrar,handler {at}\n  xinfang login --user clerk {at}\n  xinfang case register {at} --petitioner 张三 --content 道路破损\n  xinfang status --topology {} --unit {} --dir {}\n{}",
            lang.t(
                "联邦已启动。试试（操作员证书可管理用户）：",
                "Federation is up. Try (the operator certificate manages users):"
            ),
            args.file.display(),
            topo.root(),
            args.dir.display(),
            lang.t("按 Ctrl-C 停止。", "Press Ctrl-C to stop."),
        );
        if let Some(password) = &demo {
            println!(
                "{} {DEMO_USER} / {password}",
                lang.t(
                    "演示账号（每个节点相同，仅本机联邦）：",
                    "Demo account (the same at every node; this machine only):"
                ),
            );
        }
        if !args.insecure {
            println!(
                "{} {}",
                lang.t(
                    "工作台（浏览器）使用节点证书；请让浏览器信任联邦根证书：",
                    "The consoles (in a browser) use the nodes' certificates; have the browser trust the federation root:"
                ),
                layout.pki().join(pki::CA_CERT).display(),
            );
        }
    }
    wait_for_stop(&mut running, lang).await;
    for r in running.iter_mut() {
        stop_child(&mut r.child, Duration::from_secs(10)).await;
    }
    if !json {
        println!("{}", lang.t("已停止所有节点。", "All nodes stopped."));
    }
    Ok(())
}

async fn wait_for_stop(running: &mut [Running], lang: Lang) {
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    loop {
        #[cfg(unix)]
        let term_fut = async {
            match term.as_mut() {
                Some(t) => {
                    t.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let term_fut = std::future::pending::<()>();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => return,
            _ = term_fut => return,
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
        for r in running.iter_mut() {
            if let Ok(Some(code)) = r.child.try_wait() {
                eprintln!(
                    "{} {} {} ({code})",
                    lang.t("节点", "node"),
                    r.unit.code,
                    lang.t("已退出", "exited")
                );
            }
        }
    }
}
