//! What the benchmark is asked to measure, and where.

use std::path::PathBuf;

use clap::Args;

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Documents for the first-sync, reconnect and incremental rows
    #[arg(long, default_value_t = 100_000)]
    pub docs: usize,
    /// Replicate these documents instead of our own: the peers' corpus, one JSON
    /// document a line (`docgen.js --export N`), each mapped to a case; `--docs`
    /// caps how many are read
    #[arg(long, value_name = "FILE.ndjson")]
    pub corpus: Option<PathBuf>,
    /// The peers' results from the same run (`results/pouch.jsonl` of the peer
    /// benchmark): adds a table of each row as a ratio to the best peer configuration
    #[arg(long, value_name = "FILE.jsonl")]
    pub peers: Option<PathBuf>,
    /// Whether the nodes fsync every commit (full, their default) or may lose
    /// the last commits in a power loss (normal): what fsync costs each row
    #[arg(long, value_enum, default_value = "full")]
    pub durability: xinfang_node::cli::DurabilityArg,
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
