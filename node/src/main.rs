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

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    xinfang_node::memory::configure_allocator();
    let runtime = tokio::runtime::Runtime::new()?;
    match cli.command {
        Command::Run(args) => {
            args.init_logging()?;
            runtime.block_on(xinfang_node::cli::run(args))
        }
    }
}
