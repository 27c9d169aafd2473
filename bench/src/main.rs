//! `xinfang-bench`: how fast the federation is on this machine, measured with real
//! node processes talking mTLS over loopback. Prints a table; `--out` writes JSON.
//! A benchmark, not a test: it asserts nothing about time.
//!
//! - [`sync`]: sync speed, latency, registrations, memory and disk along a chain
//!   city ← county ← town ← community, on SQLite and PostgreSQL.
//! - [`city`] (`--city`): the reports on a generated city.
//! - [`federation`]: the node processes both start, and reaching their API.
//!
//! The nodes are this same executable (`xinfang-bench node run …`, hidden), so the
//! measured node is always the build being measured and nothing else needs building.

mod api;
mod args;
mod city;
mod federation;
mod lang;
mod peers;
mod results;
mod stats;
mod sync;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::args::BenchArgs;
use crate::lang::Lang;

#[derive(Parser)]
#[command(
    name = "xinfang-bench",
    version,
    about = "Measure a xinfang federation's sync speed, latency and memory on this machine (prints a table)",
    args_conflicts_with_subcommands = true,
    disable_help_subcommand = true
)]
struct Cli {
    /// Machine-readable JSON output
    #[arg(long)]
    json: bool,
    /// Language of labels for people
    #[arg(long, value_enum, default_value = "zh")]
    lang: Lang,
    #[command(flatten)]
    bench: BenchArgs,
    #[command(subcommand)]
    node: Option<Hidden>,
}

#[derive(Subcommand)]
enum Hidden {
    /// Run a node in this process (what the benchmark starts for each unit)
    #[command(subcommand, hide = true)]
    Node(Box<NodeCmd>),
}

#[derive(Subcommand)]
enum NodeCmd {
    Run(xinfang_node::cli::RunArgs),
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.node {
        Some(Hidden::Node(cmd)) => {
            let NodeCmd::Run(args) = *cmd;
            args.init_logging()?;
            xinfang_node::cli::run(args).await
        }
        None => bench(cli.bench, cli.json, cli.lang).await,
    }
}

async fn bench(args: BenchArgs, json: bool, lang: Lang) -> anyhow::Result<()> {
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
        let rows = city::run(&root, args.cases, lang).await?;
        return results::print_rows(&rows, args.out.as_deref(), json, lang);
    }
    let rows = sync::run(&root, &args, lang).await?;
    results::write_measured(&rows, args.out.as_deref())?;
    let compared = match &args.peers {
        Some(peers) => Some(peers::compare(peers, &rows)?),
        None => None,
    };
    match (json, compared) {
        (true, None) => results::print_json(&rows)?,
        (true, Some(compared)) => results::print_json(&serde_json::json!({
            "measured": rows,
            "versus_peers": compared,
        }))?,
        (false, compared) => {
            results::print_measured(&rows, lang);
            if let Some(compared) = compared {
                println!();
                println!(
                    "{}",
                    lang.t(
                        "与同机同次运行的 PouchDB 对比（同一批文档）：",
                        "Beside PouchDB, same machine, same run, same documents:"
                    )
                );
                peers::print(&compared, lang);
            }
        }
    }
    Ok(())
}

fn main() {
    let cli = Cli::parse();
    // `xinfang-bench node run` is a node: the same allocator settings as xinfang-node.
    xinfang_node::memory::configure_allocator();
    let result = tokio::runtime::Runtime::new()
        .map_err(anyhow::Error::from)
        .and_then(|rt| rt.block_on(run(cli)));
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
