//! `xinfang-node`: one petition office's node.

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "xinfang-node",
    version,
    about = "A xinfang tier node (one petition office)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the node until SIGINT/SIGTERM
    Run(xinfang_node::cli::RunArgs),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Run(args) => {
            args.init_logging()?;
            xinfang_node::cli::run(args).await
        }
    }
}
