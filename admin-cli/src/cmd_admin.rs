//! `xinfang admin …`: operator tasks on one node.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use xinfang_hub::Topology;
use xinfang_hub::db::{Db, DbOptions};
use xinfang_node::layout::FederationDir;
use xinfang_proto::v1 as pb;

use crate::conn::{ConnArgs, status_error};
use crate::output::{Lang, print_json, table};

#[derive(Debug, Subcommand)]
pub enum AdminCmd {
    /// Drop the query tables and derive them again from the documents
    RebuildProjections {
        #[command(flatten)]
        conn: ConnArgs,
    },
    /// Move a stopped node's whole database to another engine (e.g. its SQLite
    /// file to PostgreSQL); it then resumes with its peers where it stopped
    MigrateStore(MigrateStoreArgs),
    /// The node's staff accounts (administrators)
    #[command(subcommand)]
    User(crate::cmd_account::UserCmd),
    /// Refused and sensitive actions at the node (administrators)
    Audit(crate::cmd_account::AuditArgs),
    /// Documents from peers refused by the authorship rules and kept, never
    /// applied (administrators)
    #[command(subcommand)]
    Quarantine(crate::cmd_quarantine::QuarantineCmd),
    /// Copy a running node's store, keys and TLS material into a new folder
    Backup(crate::cmd_backup::BackupArgs),
    /// Put a backup back in place of a stopped node's store; the node then
    /// recovers from its peers before it registers again
    Restore(crate::cmd_backup::RestoreArgs),
    /// End a node's recovery by hand, for a node cut off from its parent for good
    /// (administrators; recorded in the ledger)
    EndRecovery(crate::cmd_backup::EndRecoveryArgs),
}

#[derive(Debug, Args)]
pub struct MigrateStoreArgs {
    /// Topology file, with --unit: where the node's SQLite file is, and its
    /// address (to make sure it is stopped)
    #[arg(long)]
    topology: Option<PathBuf>,
    /// The node's unit code
    #[arg(long)]
    unit: Option<String>,
    /// Federation folder holding units/<code>/data
    #[arg(long, default_value = "federation")]
    dir: PathBuf,
    /// The database to move from (default: the unit's SQLite file under --dir)
    #[arg(long, value_name = "URL")]
    from: Option<String>,
    /// The empty database to move to, e.g. postgres://USER@HOST/DB (also read from
    /// XINFANG_MIGRATE_TO, which keeps a password out of process lists)
    #[arg(
        long,
        value_name = "URL",
        env = "XINFANG_MIGRATE_TO",
        hide_env_values = true
    )]
    to: String,
}

pub async fn run(cmd: AdminCmd, json: bool, lang: Lang) -> anyhow::Result<()> {
    match cmd {
        AdminCmd::RebuildProjections { conn } => {
            let r = crate::cmd_report::client(&conn)
                .await?
                .rebuild_projections(pb::RebuildRequest {})
                .await
                .map_err(status_error)?
                .into_inner();
            if json {
                return print_json(&r);
            }
            println!(
                "{}：{} {}，{} {}，{} ms",
                lang.t("已重建查询表", "projections rebuilt"),
                r.documents,
                lang.t("个文档", "documents"),
                r.cases,
                lang.t("件事项", "cases"),
                r.ms
            );
            Ok(())
        }
        AdminCmd::MigrateStore(args) => migrate_store(args, json, lang).await,
        AdminCmd::User(cmd) => crate::cmd_account::user(cmd, json, lang).await,
        AdminCmd::Audit(args) => crate::cmd_account::audit(args, json, lang).await,
        AdminCmd::Quarantine(cmd) => crate::cmd_quarantine::run(cmd, json, lang).await,
        AdminCmd::Backup(args) => crate::cmd_backup::backup(args, json, lang).await,
        AdminCmd::Restore(args) => crate::cmd_backup::restore(args, json, lang).await,
        AdminCmd::EndRecovery(args) => crate::cmd_backup::end_recovery(args, json, lang).await,
    }
}

async fn migrate_store(args: MigrateStoreArgs, json: bool, lang: Lang) -> anyhow::Result<()> {
    let topology = args
        .topology
        .as_ref()
        .map(|p| Topology::load(p))
        .transpose()?;
    let unit = match (&topology, &args.unit) {
        (Some(t), Some(u)) => Some(t.resolve(u)?.clone()),
        (None, Some(_)) => bail!("--unit needs --topology (to find the node and its files)"),
        _ => None,
    };
    // The node must not be writing while its database moves.
    if let Some(u) = &unit {
        let running = tokio::time::timeout(
            Duration::from_secs(2),
            tokio::net::TcpStream::connect(&u.listen),
        )
        .await
        .is_ok_and(|c| c.is_ok());
        if running {
            bail!(
                "the node of {} is answering at {}: stop it before moving its database",
                u.code,
                u.listen
            );
        }
    }
    let from = match (&args.from, &unit) {
        (Some(url), _) => url.clone(),
        (None, Some(u)) => {
            let file = FederationDir::new(&args.dir)
                .data(&u.code)
                .join("xinfang.db");
            if !file.exists() {
                bail!("{} does not exist (use --from URL)", file.display());
            }
            xinfang_hub::db::sqlite_url(&file)
        }
        (None, None) => bail!("say what to move: --topology FILE --unit CODE, or --from URL"),
    };
    let source = Db::open(&from, DbOptions::default()).await?;
    let target = Db::open(&args.to, DbOptions::default()).await?;
    let bar = (!json).then(|| {
        indicatif::ProgressBar::new_spinner().with_style(
            indicatif::ProgressStyle::with_template("{spinner} {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        )
    });
    let copied = xinfang_node::store_copy::copy(&source, &target, |t, n| {
        if let Some(b) = &bar {
            b.set_message(format!("{t}: {n}"));
            b.tick();
        }
    })
    .await
    .with_context(|| format!("moving {} to {}", source.url(), target.url()))?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    source.close().await;
    target.close().await;
    if json {
        return print_json(&serde_json::json!({
            "from": source.url(),
            "to": target.url(),
            "tables": copied,
        }));
    }
    let mut t = table(vec![lang.t("表", "table"), lang.t("行数", "rows")]);
    for c in &copied {
        t.add_row(vec![c.table.clone(), c.rows.to_string()]);
    }
    println!("{t}");
    println!(
        "{} {} → {}",
        lang.t("已迁移", "moved"),
        source.url(),
        target.url()
    );
    let start = match &unit {
        Some(u) => format!(
            "xinfang-node run --topology {} --unit {} --db {}",
            args.topology
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            u.code,
            target.url()
        ),
        None => format!("xinfang-node run … --db {}", target.url()),
    };
    println!(
        "{}: {start}",
        lang.t("以新存储启动节点", "start the node on it")
    );
    Ok(())
}
