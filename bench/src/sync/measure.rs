//! The sync benchmark's measurements, in the order they run: first sync, zero-change
//! reconnects, incremental sync, three hops, registrations through the API, then
//! memory and disk.

use std::time::{Duration, Instant};

use anyhow::bail;
use xinfang_hub::db::{Db, DbOptions, Engine};
use xinfang_proto::v1 as pb;

use super::chain::{CITY, COMMUNITY, COUNTY, TOWN};
use super::generate::Cases;
use crate::args::BenchArgs;
use crate::federation::Fed;
use crate::lang::Lang;
use crate::results::Measured;
use crate::stats::{ms_between, peak_rss_mib, percentile};

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
        let mut c = fed.client(unit).await?;
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

pub async fn measure(
    fed: &mut Fed,
    engine: Engine,
    args: &BenchArgs,
    cases: &Cases,
    lang: Lang,
) -> anyhow::Result<Vec<Measured>> {
    let n = cases.numbers.len();
    let engine_name = engine.name();
    let mut rows = Vec::new();
    let mut row = |key, what, value, p99, unit, detail: String, aim| {
        rows.push(Measured {
            key,
            what,
            engine: engine_name,
            docs: n,
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
    let secs = p.catch_up_us as f64 / 1e6;
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
        times.push(p.catch_up_us as f64 / 1000.0);
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
    let mut incr = Vec::new();
    let mut sent = 0u64;
    let mut changed_count = 0;
    for round in 0..3 {
        fed.stop(CITY).await?;
        let client = fed.client(COUNTY).await?;
        // Spread over the id space, as the peers choose theirs: the first case
        // still handled at or after each point (a case not accepted takes no note).
        let step = (n / args.changed.clamp(1, n)).max(1);
        let mut changed: Vec<String> = Vec::with_capacity(args.changed);
        for i in 0..args.changed.min(n) {
            let at = (i * step + round) % n;
            if let Some(k) = (at..n)
                .chain(0..at)
                .find(|&k| cases.open[k] && changed.last().is_none_or(|l| *l != cases.numbers[k]))
            {
                changed.push(cases.numbers[k].clone());
            }
        }
        changed_count = changed.len();
        let chunks: Vec<Vec<String>> = changed
            .chunks(changed.len().div_ceil(8).max(1))
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
        incr.push(p.catch_up_us as f64 / 1000.0);
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
            changed_count,
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
    let mut at_comm = fed.client(COMMUNITY).await?;
    let mut at_city = fed.client(CITY).await?;
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
                "{total} at the city through gRPC+mTLS; latency median {:.1} ms, p99 {:.1} ms; {}",
                percentile(&lat, 0.5),
                percentile(&lat, 0.99),
                match args.durability {
                    xinfang_node::cli::DurabilityArg::Full => "fsync per commit",
                    xinfang_node::cli::DurabilityArg::Normal => "fsync at checkpoints",
                }
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
