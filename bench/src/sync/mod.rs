//! The sync benchmark: a chain city ← county ← town ← community of node
//! processes; `--docs` case documents generated at the county; then first sync,
//! reconnects, incremental sync, three hops, registrations, memory and disk, on
//! each selected storage engine in a federation of its own.

mod chain;
mod corpus;
mod generate;
mod measure;

use std::path::Path;

use anyhow::{Context, bail};
use xinfang_hub::UnitCode;
use xinfang_hub::db::{Db, DbOptions, Engine, redact, scratch};
use xinfang_node::layout::FederationDir;

use self::chain::{COUNTY, chain_topology};
use crate::args::{BenchArgs, StoreChoice};
use crate::federation::{Fed, ensure_pki, write_topology};
use crate::lang::Lang;
use crate::results::Measured;

/// Every row on each engine `args` selects, each in a folder under `root`.
pub async fn run(root: &Path, args: &BenchArgs, lang: Lang) -> anyhow::Result<Vec<Measured>> {
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
        all.extend(run_on(&root.join(engine.name()), engine, args, lang).await?);
    }
    Ok(all)
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
    let mut fed = Fed::new(topo_path, topo.clone(), layout)?;
    if matches!(args.durability, xinfang_node::cli::DurabilityArg::Normal) {
        fed.node_args = vec!["--durability".into(), "normal".into()];
    }
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
    let source = match &args.corpus {
        Some(path) => generate::Source::Corpus(path),
        None => generate::Source::Own,
    };
    let cases = generate::generate(
        &fed.layout,
        fed.db.get(COUNTY).map(String::as_str),
        &topo,
        &county,
        args.docs,
        source,
    )
    .await?;
    let result = measure::measure(&mut fed, engine, args, &cases, lang).await;
    fed.stop_all().await;
    drop(schemas);
    result
}
