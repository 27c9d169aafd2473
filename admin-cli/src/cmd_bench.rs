//! `xinfang bench`: how fast the federation is on this machine, measured with real
//! node processes talking mTLS over loopback. Prints a table; `--out` writes JSON.
//! A benchmark, not a test: it asserts nothing about time.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;
use serde::Serialize;
use tokio::process::Child;
use xinfang_hub::db::{Db, DbOptions, Durability, Engine, redact, scratch};
use xinfang_hub::doc::{self, Heads};
use xinfang_hub::store::sql::SqlStore;
use xinfang_hub::store::{DocWrite, Store};
use xinfang_hub::{Tier, Topology, Unit, UnitCode};
use xinfang_node::case::{self, Registration};
use xinfang_node::layout::FederationDir;
use xinfang_proto::v1 as pb;

use crate::cmd_up::{ensure_pki, spawn_node, stop_child, wait_ready};
use crate::conn::ConnArgs;
use crate::output::{Lang, print_json, table};

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Documents for the first-sync, reconnect and incremental rows
    #[arg(long, default_value_t = 100_000)]
    pub docs: usize,
    /// Documents changed for the incremental row
    #[arg(long, default_value_t = 1_000)]
    pub changed: usize,
    /// Cases timed over three hops
    #[arg(long, default_value_t = 200)]
    pub hops: usize,
    /// Work folder (default: a temporary folder, removed afterwards)
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Also write the results as JSON to this file
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Instead: the reports benchmark on a generated city (1 city, 8 counties,
    /// 120 townships, 1,500 communities)
    #[arg(long)]
    pub city: bool,
    /// Cases for --city
    #[arg(long, default_value_t = 1_000_000)]
    pub cases: usize,
    /// Which storage engine the nodes run on: each selected one gets every row
    #[arg(long, value_enum, default_value = "both")]
    pub store: StoreChoice,
    /// The PostgreSQL server and database to run on (each node gets its own schema
    /// there, dropped afterwards)
    #[arg(
        long,
        value_name = "URL",
        env = "XINFANG_BENCH_POSTGRES",
        default_value = xinfang_hub::db::scratch::DEFAULT_URL,
        hide_env_values = true
    )]
    pub postgres: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StoreChoice {
    Sqlite,
    Postgres,
    /// SQLite, then PostgreSQL (skipped, saying why, if it does not answer)
    Both,
}

/// One measurement on one engine.
#[derive(Debug, Clone, Serialize)]
pub struct Measured {
    pub key: &'static str,
    pub what: &'static str,
    pub engine: &'static str,
    /// The median where several runs were timed, else the one value.
    pub value: f64,
    /// The 99th percentile, where several runs were timed.
    pub p99: Option<f64>,
    pub unit: &'static str,
    pub detail: String,
    pub aim: &'static str,
}

#[derive(Debug, Serialize)]
pub struct Row {
    pub key: &'static str,
    pub what: &'static str,
    pub value: f64,
    pub unit: &'static str,
    pub detail: String,
    pub aim: &'static str,
}

const CITY: &str = "441500";
const COUNTY: &str = "441521";
const TOWN: &str = "441521115000";
const COMMUNITY: &str = "441521115001";

pub(crate) fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

fn chain_topology() -> anyhow::Result<Topology> {
    let unit = |code: &str, name: &str, tier, parent: Option<&str>| -> anyhow::Result<Unit> {
        Ok(Unit {
            code: code.parse()?,
            name: name.into(),
            tier,
            parent: parent.map(str::parse).transpose()?,
            listen: format!("127.0.0.1:{}", free_port()?),
            api: Some(format!("127.0.0.1:{}", free_port()?)),
            attributes: Default::default(),
        })
    };
    Ok(Topology::from_units(vec![
        unit(CITY, "汕尾市", Tier::City, None)?,
        unit(COUNTY, "海丰县", Tier::County, Some(CITY))?,
        unit(TOWN, "海城镇", Tier::Township, Some(COUNTY))?,
        unit(COMMUNITY, "城东社区", Tier::Community, Some(TOWN))?,
    ])?)
}

pub(crate) fn write_topology(t: &Topology, path: &Path) -> anyhow::Result<()> {
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

/// Writes `n` realistic case documents (about 1 KB each) straight into `unit`'s store.
async fn generate(
    layout: &FederationDir,
    db_url: Option<&str>,
    topology: &Topology,
    unit: &UnitCode,
    n: usize,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(layout.data(unit))?;
    let url = match db_url {
        Some(u) => u.to_owned(),
        None => xinfang_hub::db::sqlite_url(&layout.data(unit).join("xinfang.db")),
    };
    let db = xinfang_node::schema::open(
        &url,
        DbOptions {
            durability: Durability::Normal,
            max_connections: None,
        },
    )
    .await?;
    let store = SqlStore::open(db.clone()).await?;
    let bar = indicatif::ProgressBar::new(n as u64).with_style(
        indicatif::ProgressStyle::with_template("生成案件 {bar:40} {pos}/{len} {per_sec}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let actor = doc::unit_actor(unit);
    let content = "反映本村道路年久失修、雨季积水严重，影响村民出行和学生上学，多次向村委会反映未果，请求上级部门协调资金尽快修缮。".repeat(3);
    let at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let mut batch = Vec::with_capacity(1000);
    for i in 0..n {
        let no = case::case_number(unit, 2026, i as u64 + 1);
        let reg = Registration::validate(unit, unit.as_str(), &format!("信访人{i}"), &content)?;
        let mut d = doc::new_doc(&no, actor.clone())?;
        case::write_registration(&mut d, &no, &reg, &at)?;
        let heads = Heads::of(&mut d);
        batch.push(DocWrite {
            doc_id: no.clone(),
            scope: doc::read_scope(&no, &d)?,
            heads: heads.encode(),
            source: None,
            bytes: d.save(),
        });
        if batch.len() == 1000 || i + 1 == n {
            store
                .commit(
                    std::mem::take(&mut batch),
                    None,
                    xinfang_hub::engine::wall_clock_ms(),
                )
                .await?;
            bar.set_position(i as u64 + 1);
        }
    }
    bar.finish_and_clear();
    // Bring the node's projections up to date too, as on any running node, so the
    // measured sync does not compete with a projection backlog. Under the
    // federation's own tree: query tables derived under another tree are derived
    // again when the node starts (that cost a whole re-projection during the
    // first sync in earlier runs of this benchmark).
    let topology = Arc::new(topology.clone());
    let store: Arc<dyn Store> = Arc::new(store);
    let hub = xinfang_hub::Hub::new(unit.clone(), topology, store, Default::default())?;
    let rules = Arc::new(xinfang_node::rules::CaseRules::official()?);
    xinfang_node::projection::Projector::new(hub, db.clone(), rules)
        .catch_up()
        .await?;
    db.close().await;
    Ok(())
}

pub(crate) struct Fed {
    exe: PathBuf,
    topo_path: PathBuf,
    topo: Topology,
    layout: FederationDir,
    procs: Vec<(String, Child)>,
    /// Each unit's database when not the SQLite file in its folder.
    db: std::collections::BTreeMap<String, String>,
}

impl Fed {
    pub(crate) fn new(
        exe: PathBuf,
        topo_path: PathBuf,
        topo: Topology,
        layout: FederationDir,
    ) -> Fed {
        Fed {
            exe,
            topo_path,
            topo,
            layout,
            procs: Vec::new(),
            db: Default::default(),
        }
    }

    pub(crate) fn conn(&self, unit: &str) -> ConnArgs {
        ConnArgs {
            node: None,
            topology: Some(self.topo_path.clone()),
            unit: Some(unit.into()),
            dir: self.layout.root().to_owned(),
            cert_dir: None,
            cert_only: false,
            insecure: false,
        }
    }

    pub(crate) async fn start(&mut self, unit: &str) -> anyhow::Result<()> {
        let u = self.topo.resolve(unit)?.clone();
        let mut child = spawn_node(
            &self.exe,
            &self.topo_path,
            &u,
            &self.layout,
            false,
            self.db.get(unit).map(String::as_str),
            None,
        )?;
        wait_ready(
            &self.conn(unit),
            &mut child,
            &self.layout.log(&u.code),
            Duration::from_secs(60),
        )
        .await?;
        self.procs.push((unit.into(), child));
        self.sign_in(unit).await
    }

    /// As the operator, adds the user `bench` (registrar and handler) at `unit`'s
    /// node and signs in, saving the token where `conn(unit)` finds it.
    async fn sign_in(&self, unit: &str) -> anyhow::Result<()> {
        const PASSWORD: &str = "bench-password";
        let conn = self.conn(unit);
        let mut accounts =
            xinfang_proto::v1::accounts_client::AccountsClient::new(conn.connect().await?);
        let added = accounts
            .add_user(pb::AddUserRequest {
                name: "bench".into(),
                display_name: String::new(),
                roles: vec!["registrar".into(), "handler".into()],
                password: PASSWORD.into(),
            })
            .await;
        match added {
            Ok(_) => {}
            // A restarted node keeps its users.
            Err(s) if s.code() == tonic::Code::AlreadyExists => {}
            Err(s) => return Err(crate::conn::status_error(s)),
        }
        let token = accounts
            .login(pb::LoginRequest {
                user: "bench".into(),
                password: PASSWORD.into(),
            })
            .await
            .map_err(crate::conn::status_error)?
            .into_inner()
            .token;
        crate::cmd_account::save_token(&conn, &token)?;
        Ok(())
    }

    async fn stop(&mut self, unit: &str) -> anyhow::Result<()> {
        let i = self
            .procs
            .iter()
            .position(|(u, _)| u == unit)
            .context("not running")?;
        let (_, mut child) = self.procs.remove(i);
        stop_child(&mut child, Duration::from_secs(20)).await;
        Ok(())
    }

    pub(crate) fn pid(&self, unit: &str) -> Option<u32> {
        self.procs
            .iter()
            .find(|(u, _)| u == unit)
            .and_then(|(_, c)| c.id())
    }

    pub(crate) async fn status(&self, unit: &str) -> anyhow::Result<pb::StatusResponse> {
        crate::cmd_status::fetch(&self.conn(unit)).await
    }

    /// Waits until `unit`'s link to its parent has caught up in its current session.
    async fn parent_caught_up(
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

    pub(crate) async fn stop_all(&mut self) {
        for (_, mut c) in self.procs.drain(..) {
            stop_child(&mut c, Duration::from_secs(20)).await;
        }
    }
}

/// Peak resident memory (VmHWM) of a process, in MiB.
pub(crate) fn peak_rss_mib(pid: u32) -> Option<f64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

pub(crate) fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn ms_between(from: &str, to: &str) -> anyhow::Result<f64> {
    let a = chrono::DateTime::parse_from_rfc3339(from)?;
    let b = chrono::DateTime::parse_from_rfc3339(to)?;
    Ok((b - a).num_microseconds().unwrap_or(0) as f64 / 1000.0)
}

pub async fn run(args: BenchArgs, json: bool, lang: Lang) -> anyhow::Result<()> {
    let tmp;
    let root = match &args.dir {
        Some(d) => {
            std::fs::create_dir_all(d).with_context(|| format!("--dir {}", d.display()))?;
            d.clone()
        }
        None => {
            tmp = tempfile::tempdir()?;
            tmp.path().to_owned()
        }
    };
    if args.city {
        let rows = crate::cmd_bench_city::run(&root, args.cases, lang).await?;
        return print_rows(&rows, &args, json, lang);
    }
    let mut engines = Vec::new();
    if args.store != StoreChoice::Postgres {
        engines.push(Engine::Sqlite);
    }
    if args.store != StoreChoice::Sqlite {
        match postgres_answers(&args.postgres).await {
            Ok(()) => engines.push(Engine::Postgres),
            Err(why) if args.store == StoreChoice::Both => {
                eprintln!("{}: {why}", lang.t("跳过 PostgreSQL", "PostgreSQL skipped"))
            }
            Err(why) => bail!("--postgres: {why}"),
        }
    }
    let mut all = Vec::new();
    for engine in engines {
        eprintln!("== {}", engine.name());
        all.extend(run_on(&root.join(engine.name()), engine, &args, lang).await?);
    }
    print_measured(&all, &args, json, lang)
}

async fn postgres_answers(url: &str) -> Result<(), String> {
    let db = Db::open(url, DbOptions::default())
        .await
        .map_err(|e| e.to_string())?;
    db.close().await;
    Ok(())
}

/// Every row with all nodes on `engine`, in a federation of its own under `root`.
async fn run_on(
    root: &Path,
    engine: Engine,
    args: &BenchArgs,
    lang: Lang,
) -> anyhow::Result<Vec<Measured>> {
    std::fs::create_dir_all(root)?;
    let layout = FederationDir::new(root.join("fed"));
    let topo = chain_topology()?;
    let topo_path = root.join("topology.toml");
    write_topology(&topo, &topo_path)?;
    ensure_pki(&topo, &layout)?;
    // On PostgreSQL each node has a schema of its own, dropped when we are done.
    let mut schemas = Vec::new();
    let mut fed = Fed::new(std::env::current_exe()?, topo_path, topo.clone(), layout);
    if engine == Engine::Postgres {
        for u in topo.units() {
            let s = scratch::Schema::create_at(&args.postgres, &format!("bench_{}", u.code))
                .await
                .with_context(|| {
                    format!("a schema for {} on {}", u.code, redact(&args.postgres))
                })?;
            fed.db.insert(u.code.to_string(), s.url().to_owned());
            schemas.push(s);
        }
    }
    let county: UnitCode = COUNTY.parse()?;
    eprintln!("{}", lang.t("准备数据…", "Generating documents…"));
    generate(
        &fed.layout,
        fed.db.get(COUNTY).map(String::as_str),
        &topo,
        &county,
        args.docs,
    )
    .await?;
    let result = measure(&mut fed, engine, args, lang).await;
    fed.stop_all().await;
    drop(schemas);
    result
}

fn print_rows(rows: &[Row], args: &BenchArgs, json: bool, lang: Lang) -> anyhow::Result<()> {
    if json {
        print_json(&rows)?;
    } else {
        let mut t = table(vec![
            lang.t("项目", "Measurement"),
            lang.t("结果", "Result"),
            lang.t("说明", "Detail"),
            lang.t("目标", "Aim"),
        ]);
        for r in rows {
            t.add_row(vec![
                r.what.to_owned(),
                format!("{:.1} {}", r.value, r.unit),
                r.detail.clone(),
                r.aim.to_owned(),
            ]);
        }
        println!("{t}");
    }
    if let Some(out) = &args.out {
        std::fs::write(out, serde_json::to_string_pretty(rows)?)?;
    }
    Ok(())
}

/// One line per measurement, a column per engine, and how PostgreSQL compares.
fn print_measured(
    rows: &[Measured],
    args: &BenchArgs,
    json: bool,
    lang: Lang,
) -> anyhow::Result<()> {
    if let Some(out) = &args.out {
        std::fs::write(out, serde_json::to_string_pretty(rows)?)?;
    }
    if json {
        return print_json(&rows);
    }
    let cell = |m: &Measured| match m.p99 {
        Some(p) => format!("{} {} (p99 {})", num(m.value), m.unit, num(p)),
        None => format!("{} {}", num(m.value), m.unit),
    };
    let mut keys: Vec<&'static str> = Vec::new();
    for r in rows {
        if !keys.contains(&r.key) {
            keys.push(r.key);
        }
    }
    let mut t = table(vec![
        lang.t("项目", "Measurement"),
        "SQLite",
        "PostgreSQL",
        lang.t("PG/SQLite", "PG/SQLite"),
        lang.t("目标", "Aim"),
        lang.t("说明（SQLite）", "Detail (SQLite)"),
    ]);
    for key in keys {
        let on = |e: &str| rows.iter().find(|r| r.key == key && r.engine == e);
        let (sq, pg) = (on("sqlite"), on("postgres"));
        let Some(first) = sq.or(pg) else { continue };
        let ratio = match (sq, pg) {
            (Some(a), Some(b)) if a.value > 0.0 => format!("{:.2}", b.value / a.value),
            _ => "—".into(),
        };
        t.add_row(vec![
            first.what.to_owned(),
            sq.map(cell).unwrap_or_else(|| "—".into()),
            pg.map(cell).unwrap_or_else(|| "—".into()),
            ratio,
            first.aim.to_owned(),
            first.detail.clone(),
        ]);
    }
    println!("{t}");
    Ok(())
}

/// A number as people read it: thousands grouped, one decimal below 100.
fn num(v: f64) -> String {
    if !v.is_finite() {
        return "—".into();
    }
    if v.abs() >= 100.0 {
        let n = v.round() as i64;
        let digits = n.abs().to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        if n < 0 { format!("-{out}") } else { out }
    } else {
        format!("{v:.1}")
    }
}

/// Bytes the node's database takes: its SQLite file and WAL, or its PostgreSQL
/// schema's tables with their indexes and TOAST.
async fn database_bytes(fed: &Fed, unit: &str) -> anyhow::Result<u64> {
    match fed.db.get(unit) {
        None => {
            let db = fed.layout.data(&unit.parse()?).join("xinfang.db");
            Ok(std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0)
                + std::fs::metadata(db.with_extension("db-wal"))
                    .map(|m| m.len())
                    .unwrap_or(0))
        }
        Some(url) => {
            let db = Db::open(url, DbOptions::default()).await?;
            let n: i64 = sqlx::query_scalar(
                "SELECT CAST(COALESCE(SUM(pg_total_relation_size(c.oid)), 0) AS BIGINT)
                 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname = current_schema() AND c.relkind = 'r'",
            )
            .fetch_one(db.pool())
            .await?;
            db.close().await;
            Ok(n as u64)
        }
    }
}

/// Registers `total` cases at `unit` from `clients` concurrent clients: the
/// throughput, and each request's latency sorted (ms).
async fn register_burst(
    fed: &Fed,
    unit: &str,
    clients: usize,
    total: usize,
) -> anyhow::Result<(f64, Vec<f64>)> {
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for k in 0..clients {
        let mut c = fed.conn(unit).client().await?;
        let unit = unit.to_owned();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(total / clients);
            for i in 0..total / clients {
                let t = Instant::now();
                c.register_case(pb::RegisterCaseRequest {
                    unit: unit.clone(),
                    petitioner: format!("并发{k}-{i}"),
                    content: "登记吞吐测试：反映小区道路破损，请求修复。".into(),
                    ..Default::default()
                })
                .await?;
                lat.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            Ok::<_, tonic::Status>(lat)
        }));
    }
    let mut lat = Vec::with_capacity(total);
    for t in tasks {
        lat.extend(t.await??);
    }
    let secs = t0.elapsed().as_secs_f64();
    lat.sort_by(f64::total_cmp);
    Ok((lat.len() as f64 / secs, lat))
}

async fn measure(
    fed: &mut Fed,
    engine: Engine,
    args: &BenchArgs,
    lang: Lang,
) -> anyhow::Result<Vec<Measured>> {
    let n = args.docs;
    let engine_name = engine.name();
    let mut rows = Vec::new();
    let mut row = |key, what, value, p99, unit, detail: String, aim| {
        rows.push(Measured {
            key,
            what,
            engine: engine_name,
            value,
            p99,
            unit,
            detail,
            aim,
        })
    };
    let patience = Duration::from_secs(900);

    // 1. First sync of n documents, county → city.
    eprintln!("{}", lang.t("首次同步…", "First sync…"));
    fed.start(CITY).await?;
    fed.start(COUNTY).await?;
    let p = fed.parent_caught_up(COUNTY, patience).await?;
    let secs = p.catch_up_ms as f64 / 1000.0;
    let city_docs = fed.status(CITY).await?.documents;
    if city_docs as usize != n {
        bail!("first sync ended with {city_docs} documents at the city, expected {n}");
    }
    row(
        "first_sync_docs_per_s",
        "first sync, one link",
        n as f64 / secs.max(1e-9),
        None,
        "docs/s",
        format!(
            "{n} docs in {secs:.2} s, {:.0} bytes/doc on the wire",
            p.session_bytes_sent as f64 / n.max(1) as f64
        ),
        ">= 11,000 docs/s",
    );
    let city_after_sync = fed.pid(CITY).and_then(peak_rss_mib);

    // 2. Reconnect with zero changes (restart the child; from dialling to caught up).
    eprintln!("{}", lang.t("无变更重连…", "Zero-change reconnect…"));
    let mut times = Vec::new();
    let mut bytes = Vec::new();
    for _ in 0..7 {
        fed.stop(COUNTY).await?;
        fed.start(COUNTY).await?;
        let p = fed.parent_caught_up(COUNTY, patience).await?;
        times.push(p.catch_up_ms as f64);
        bytes.push((p.session_bytes_sent + p.session_bytes_received) as f64);
    }
    times.sort_by(f64::total_cmp);
    row(
        "zero_change_reconnect_ms",
        "reconnect, zero changes",
        percentile(&times, 0.5),
        Some(percentile(&times, 0.99)),
        "ms",
        format!(
            "{} runs at {n} docs, mTLS handshake included; at most {:.0} frame bytes",
            times.len(),
            bytes.iter().copied().fold(0.0, f64::max)
        ),
        "<= 11 ms, < 10 KB",
    );

    // 3. `changed` documents changed among n while the parent is down, 3 times.
    eprintln!("{}", lang.t("增量同步…", "Incremental sync…"));
    let county: UnitCode = COUNTY.parse()?;
    let mut incr = Vec::new();
    let mut sent = 0u64;
    for round in 0..3 {
        fed.stop(CITY).await?;
        let client = fed.conn(COUNTY).client().await?;
        let numbers: Vec<String> = (0..args.changed.min(n))
            .map(|i| case::case_number(&county, 2026, ((i + round * args.changed) % n + 1) as u64))
            .collect();
        let chunks: Vec<Vec<String>> = numbers
            .chunks(numbers.len().div_ceil(8).max(1))
            .map(<[String]>::to_vec)
            .collect();
        let mut tasks = Vec::new();
        for chunk in chunks {
            let mut c = client.clone();
            tasks.push(tokio::spawn(async move {
                for no in chunk {
                    c.add_note(pb::AddNoteRequest {
                        case_no: no,
                        text: "县信访局已督办".into(),
                    })
                    .await?;
                }
                Ok::<_, tonic::Status>(())
            }));
        }
        for t in tasks {
            t.await??;
        }
        fed.start(CITY).await?;
        let p = fed.parent_caught_up(COUNTY, patience).await?;
        incr.push(p.catch_up_ms as f64);
        sent = p.session_bytes_sent;
    }
    incr.sort_by(f64::total_cmp);
    row(
        "incremental_ms",
        "changed docs among all",
        percentile(&incr, 0.5),
        Some(percentile(&incr, 0.99)),
        "ms",
        format!(
            "{} changed among {n}, {} runs; {:.0} KB sent",
            args.changed.min(n),
            incr.len(),
            sent as f64 / 1024.0
        ),
        "<= 120 ms",
    );

    // 4. Three hops, community → town → county → city.
    eprintln!("{}", lang.t("三级传播…", "Three-hop propagation…"));
    fed.start(TOWN).await?;
    fed.start(COMMUNITY).await?;
    fed.parent_caught_up(TOWN, patience).await?;
    fed.parent_caught_up(COMMUNITY, patience).await?;
    let mut at_comm = fed.conn(COMMUNITY).client().await?;
    let mut at_city = fed.conn(CITY).client().await?;
    let mut lat = Vec::with_capacity(args.hops);
    for i in 0..args.hops {
        let c = at_comm
            .register_case(pb::RegisterCaseRequest {
                unit: COMMUNITY.into(),
                petitioner: format!("测试{i}"),
                content: "三级传播测试".into(),
                ..Default::default()
            })
            .await?
            .into_inner();
        let deadline = Instant::now() + Duration::from_secs(30);
        let arrived = loop {
            match at_city
                .get_case(pb::GetCaseRequest {
                    case_no: c.case_no.clone(),
                })
                .await
            {
                Ok(r) => break r.into_inner().arrived_at,
                Err(s) if s.code() == tonic::Code::NotFound && Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                Err(s) => bail!("case {} never reached the city: {s}", c.case_no),
            }
        };
        lat.push(ms_between(&c.registered_at, &arrived)?);
    }
    lat.sort_by(f64::total_cmp);
    row(
        "three_hop_ms",
        "three hops community → city",
        percentile(&lat, 0.5),
        Some(percentile(&lat, 0.99)),
        "ms",
        format!("{} cases, registered → stored at the city", lat.len()),
        "median <= 10 ms, p99 <= 50 ms",
    );

    // 5. Registrations through gRPC at one node: the city, which sends them to
    // no other node (a case concerns its registering unit and those above it).
    eprintln!("{}", lang.t("登记吞吐…", "Registration throughput…"));
    for (clients, key, what) in [
        (
            8usize,
            "api_registrations_8",
            "API registrations, 8 clients",
        ),
        (64, "api_registrations_64", "API registrations, 64 clients"),
    ] {
        let total = 6_400;
        let (per_s, lat) = register_burst(fed, CITY, clients, total).await?;
        row(
            key,
            what,
            per_s,
            None,
            "/s",
            format!(
                "{total} at the city through gRPC+mTLS; latency median {:.1} ms, p99 {:.1} ms; fsync per commit",
                percentile(&lat, 0.5),
                percentile(&lat, 0.99)
            ),
            ">= 5,000 /s",
        );
    }

    // 6. Memory and disk.
    for (unit, key, what) in [
        (CITY, "peak_rss_city", "peak memory, city (receiver)"),
        (COUNTY, "peak_rss_county", "peak memory, county (sender)"),
        (TOWN, "peak_rss_town", "peak memory, town"),
        (COMMUNITY, "peak_rss_community", "peak memory, community"),
    ] {
        let peak = fed.pid(unit).and_then(peak_rss_mib).unwrap_or(f64::NAN);
        let detail = if unit == CITY {
            format!(
                "VmHWM; {:.0} MiB right after the first sync",
                city_after_sync.unwrap_or(f64::NAN)
            )
        } else {
            "VmHWM over the whole run".into()
        };
        row(
            key,
            what,
            peak,
            None,
            "MiB",
            detail,
            if unit == CITY { "<= 100 MiB" } else { "—" },
        );
    }
    let size = database_bytes(fed, CITY).await?;
    let city_docs = fed.status(CITY).await?.documents.max(1);
    row(
        "receiver_disk_mib_per_100k",
        "receiver disk per 100k docs",
        size as f64 / 1048576.0 * 100_000.0 / city_docs as f64,
        None,
        "MiB",
        format!(
            "city database {:.1} MiB for {city_docs} docs",
            size as f64 / 1048576.0
        ),
        "<= 100 MiB",
    );
    Ok(rows)
}
