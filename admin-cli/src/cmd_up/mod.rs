//! `xinfang up FILE`: a whole federation on this machine, one node process per unit,
//! certificates and data under one folder. A node that exits is restarted with
//! backoff (`policy`, `supervise`); Ctrl-C or SIGTERM stops everything cleanly at
//! any moment, start-up included (`shutdown`).

mod console;
mod policy;
mod process;
mod shutdown;
mod supervise;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;
use serde::Serialize;
use xinfang_ca::{self as pki, Pki};
use xinfang_hub::{Topology, Unit};
use xinfang_node::layout::FederationDir;

use crate::cmd_pki::default_hosts;
use crate::conn::ConnArgs;
use crate::output::{Lang, print_json, table};
use policy::RestartPolicy;
use process::{NodeCommand, stop_all, wait_ready};
use shutdown::Shutdown;
use supervise::{Outcome, Reporter, STOP_GRACE, Supervised, supervise};

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
    demo: Option<console::DemoJson>,
    pid: u32,
    log: String,
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

/// How long a node has to answer after `up` starts it.
const READY_WITHIN: Duration = Duration::from_secs(30);

pub async fn run(args: UpArgs, json: bool, lang: Lang) -> anyhow::Result<()> {
    // First of all: from here a Ctrl-C asks `up` to stop what it started, and
    // every wait below gives way to it.
    let shutdown = Shutdown::listen().context("listen for Ctrl-C and SIGTERM")?;
    let stopped = || {
        if !json {
            println!("{}", lang.t("已停止所有节点。", "All nodes stopped."));
        }
        Ok(())
    };
    let topo = Topology::load(&args.file)?;
    if args.demo && !console::all_local(&topo) {
        bail!(
            "--demo is for a federation on this machine: every unit's `listen` must be on loopback"
        );
    }
    // One password for the demo user at every node, new at each `up`.
    let demo = args.demo.then(console::demo_password);
    let layout = FederationDir::new(&args.dir);
    if !args.insecure {
        // Key generation is CPU work: off the runtime's threads, so a signal is
        // still heard; if one comes the certificates being made are finished in
        // the background and kept for the next start.
        let (t, l) = (topo.clone(), layout.clone());
        tokio::select! {
            made = tokio::task::spawn_blocking(move || ensure_pki(&t, &l)) => {
                made.context("certificate generation stopped")??;
            }
            _ = shutdown.requested() => return stopped(),
        }
    }
    let exe = std::env::current_exe().context("cannot find the xinfang executable")?;
    let topo_path = std::fs::canonicalize(&args.file)?;
    let node_cmd = NodeCommand {
        exe: &exe,
        topology: &topo_path,
        layout: &layout,
        insecure: args.insecure,
        db: None,
    };
    let mut nodes: Vec<Supervised> = Vec::new();
    for u in topo.units() {
        if shutdown.is_requested() {
            break;
        }
        let metrics = metrics_address(u);
        match node_cmd.spawn(u, metrics.as_deref()) {
            Ok(child) => nodes.push(Supervised::new(
                u.clone(),
                metrics,
                layout.log(&u.code),
                child,
            )),
            Err(e) => {
                stop_nodes(&mut nodes, &shutdown).await;
                return Err(e);
            }
        }
    }
    let ready = tokio::select! {
        r = all_ready(&mut nodes, &topo_path, &args, demo.as_deref()) => Some(r),
        _ = shutdown.requested() => None,
    };
    match ready {
        None => {
            stop_nodes(&mut nodes, &shutdown).await;
            return stopped();
        }
        Some(Err(e)) => {
            stop_nodes(&mut nodes, &shutdown).await;
            return Err(e);
        }
        Some(Ok(())) => {}
    }
    list_nodes(&nodes, &args, &topo, &layout, demo.as_deref(), json, lang)?;
    let reporter = Reporter { json, lang };
    let outcome = supervise(
        &mut nodes,
        &RestartPolicy::default(),
        &shutdown,
        |n| node_cmd.spawn(&n.unit, n.metrics.as_deref()),
        &reporter,
    )
    .await;
    stop_nodes(&mut nodes, &shutdown).await;
    match outcome {
        Outcome::StopAsked => stopped(),
        Outcome::AllGaveUp => bail!(
            "{}",
            lang.t(
                "所有节点均反复退出，已放弃重启；见各节点日志。",
                "every node kept exiting and was given up on; see their logs"
            )
        ),
    }
}

/// Waits until every node answers, in topology order; the first that exits or
/// stays silent fails start-up, naming its unit and its log's tail.
async fn all_ready(
    nodes: &mut [Supervised],
    topo_path: &std::path::Path,
    args: &UpArgs,
    demo: Option<&str>,
) -> anyhow::Result<()> {
    for n in nodes.iter_mut() {
        let code = n.unit.code.clone();
        let conn = ConnArgs {
            node: None,
            topology: Some(topo_path.to_path_buf()),
            unit: Some(code.to_string()),
            dir: args.dir.clone(),
            cert_dir: None,
            cert_only: false,
            insecure: args.insecure,
        };
        let Some(child) = n.child.as_mut() else {
            continue;
        };
        wait_ready(&conn, child, &n.log, READY_WITHIN)
            .await
            .with_context(|| format!("unit {code}"))?;
        if let Some(password) = demo {
            console::add_demo(&conn, password)
                .await
                .with_context(|| format!("the demo account at unit {code}"))?;
        }
    }
    Ok(())
}

async fn stop_nodes(nodes: &mut [Supervised], shutdown: &Shutdown) {
    let children = nodes.iter_mut().filter_map(|n| n.child.as_mut()).collect();
    stop_all(children, STOP_GRACE, shutdown).await;
}

/// The running nodes, as a table and a few commands to try, or as JSON.
fn list_nodes(
    nodes: &[Supervised],
    args: &UpArgs,
    topo: &Topology,
    layout: &FederationDir,
    demo: Option<&str>,
    json: bool,
    lang: Lang,
) -> anyhow::Result<()> {
    if json {
        let v: Vec<NodeJson> = nodes
            .iter()
            .map(|n| NodeJson {
                unit: n.unit.code.to_string(),
                name: n.unit.name.clone(),
                tier: n.unit.tier.as_str().into(),
                listen: n.unit.listen.clone(),
                api: n.unit.api_address().unwrap_or_default(),
                metrics: n.metrics.clone().unwrap_or_default(),
                console: console::url(&n.unit, args.insecure).unwrap_or_default(),
                demo: demo.map(|p| console::DemoJson {
                    user: console::DEMO_USER.into(),
                    password: p.to_owned(),
                }),
                pid: n.pid().unwrap_or(0),
                log: layout.log(&n.unit.code).display().to_string(),
            })
            .collect();
        return print_json(&v);
    }
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
    for n in nodes {
        t.add_row(vec![
            n.unit.code.to_string(),
            n.unit.name.clone(),
            n.unit.tier.as_str().to_owned(),
            n.unit.listen.clone(),
            n.unit.api_address().unwrap_or_default(),
            n.metrics
                .as_ref()
                .map(|a| format!("http://{a}/metrics"))
                .unwrap_or_default(),
            console::url(&n.unit, args.insecure).unwrap_or_default(),
            n.pid().map(|p| p.to_string()).unwrap_or_default(),
        ]);
    }
    println!("{t}");
    if let Some(password) = demo {
        println!(
            "{} {} / {password}",
            lang.t(
                "演示账号（每个节点相同，仅本机联邦）：",
                "Demo account (the same at every node; this machine only):"
            ),
            console::DEMO_USER,
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
    let leaf = nodes
        .last()
        .map(|n| n.unit.code.to_string())
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
        lang.t(
            "节点退出时会自动重启。按 Ctrl-C 停止。",
            "A node that exits is restarted. Press Ctrl-C to stop."
        ),
    );
    Ok(())
}
