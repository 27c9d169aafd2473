//! `xinfang admin backup`, `restore` and `end-recovery`: putting a node's store
//! away and back (docs/operations.md, "Backup and restore").

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;
use xinfang_hub::Topology;
use xinfang_hub::topology::Unit;
use xinfang_node::backup;
use xinfang_node::layout::FederationDir;
use xinfang_proto::v1 as pb;

use crate::conn::{ConnArgs, status_error};
use crate::output::{Lang, print_json};

/// Which node, from its topology and federation folder.
#[derive(Debug, Args)]
pub struct NodeFiles {
    /// Topology file (to find the unit and its address)
    #[arg(long)]
    topology: PathBuf,
    /// The node's unit code
    #[arg(long)]
    unit: String,
    /// Federation folder holding units/<code>/data and units/<code>/tls
    #[arg(long, default_value = "federation")]
    dir: PathBuf,
}

impl NodeFiles {
    fn resolve(&self) -> anyhow::Result<(Unit, FederationDir)> {
        let topology = Topology::load(&self.topology)?;
        let unit = topology.resolve(&self.unit)?.clone();
        Ok((unit, FederationDir::new(&self.dir)))
    }
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    #[command(flatten)]
    node: NodeFiles,
    /// A new (or empty) folder for the backup
    #[arg(long)]
    to: PathBuf,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    #[command(flatten)]
    node: NodeFiles,
    /// The backup folder (`xinfang admin backup --to`)
    #[arg(long, conflicts_with = "mark_db")]
    from: Option<PathBuf>,
    /// Only mark a database put back by other means (PostgreSQL's pg_restore) as
    /// restored, e.g. postgres://USER@HOST/DB (also XINFANG_MARK_DB)
    #[arg(long, value_name = "URL", env = "XINFANG_MARK_DB")]
    mark_db: Option<String>,
}

#[derive(Debug, Args)]
pub struct EndRecoveryArgs {
    #[command(flatten)]
    conn: ConnArgs,
    /// Why the recovery ends without the parent (recorded in the ledger)
    #[arg(long)]
    reason: String,
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

pub async fn backup(args: BackupArgs, json: bool, lang: Lang) -> anyhow::Result<()> {
    let (unit, dir) = args.node.resolve()?;
    let m = backup::backup(
        &unit.code,
        &dir.data(&unit.code),
        Some(&dir.tls(&unit.code)),
        &args.to,
        now_ms(),
    )
    .await
    .with_context(|| format!("backing up {}", unit.code))?;
    if json {
        return print_json(&m);
    }
    println!(
        "{} {}（{}）→ {}",
        lang.t("已备份", "backed up"),
        unit.code,
        unit.name,
        args.to.display()
    );
    println!(
        "{}: {}, {}: {}, {}: {}",
        lang.t("变更序列", "feed head"),
        m.feed_head,
        lang.t("账本条目", "ledger entries"),
        m.ledger_seq,
        lang.t("时间", "made at"),
        m.made_at
    );
    Ok(())
}

pub async fn restore(args: RestoreArgs, json: bool, lang: Lang) -> anyhow::Result<()> {
    let (unit, dir) = args.node.resolve()?;
    // The node must not be running while its store is replaced.
    let running = tokio::time::timeout(
        Duration::from_secs(2),
        tokio::net::TcpStream::connect(&unit.listen),
    )
    .await
    .is_ok_and(|c| c.is_ok());
    if running {
        bail!(
            "{} {} {}",
            lang.t("节点正在运行：", "the node is running:"),
            unit.code,
            lang.t(
                "先停止节点再恢复（未做任何改动）",
                "stop it before restoring (nothing changed)"
            )
        );
    }
    if let Some(url) = &args.mark_db {
        let mark = backup::mark_restored(url, "restored by the operator's own tools", now_ms())
            .await
            .context("marking the restored database")?;
        if json {
            return print_json(&serde_json::json!({ "epoch": mark.epoch, "reason": mark.reason }));
        }
        println!(
            "{}",
            lang.t(
                "已标记为恢复中：节点启动后从上级取回本辖区全部文档，之前不受理登记",
                "marked as restored: at its start the node takes back everything in its scope \
                 from its parent, and refuses registrations until then"
            )
        );
        return Ok(());
    }
    let Some(from) = &args.from else {
        bail!(
            "say what to restore: --from BACKUP_FOLDER, or --mark-db URL for a database put back by other means"
        );
    };
    let r = backup::restore(
        &unit.code,
        from,
        &dir.data(&unit.code),
        Some(&dir.tls(&unit.code)),
        now_ms(),
    )
    .await
    .with_context(|| format!("restoring {} from {}", unit.code, from.display()))?;
    if json {
        return print_json(&r);
    }
    println!(
        "{} {}（{}）← {}（{}）",
        lang.t("已恢复", "restored"),
        unit.code,
        unit.name,
        from.display(),
        r.manifest.made_at
    );
    if let Some(p) = &r.previous {
        println!(
            "{}: {}",
            lang.t("原数据目录已移至", "the replaced data folder is kept at"),
            p.display()
        );
    }
    println!(
        "{}",
        lang.t(
            "节点启动后先从上级取回本辖区全部文档（含本节点发出过的），完成前不受理登记；`xinfang status` 显示进度",
            "at its start the node takes back everything in its scope from its parent (what it \
             sent included) and refuses registrations until then; `xinfang status` shows it"
        )
    );
    Ok(())
}

pub async fn end_recovery(args: EndRecoveryArgs, json: bool, lang: Lang) -> anyhow::Result<()> {
    let mut client = args.conn.client().await?;
    client
        .end_recovery(pb::EndRecoveryRequest {
            reason: args.reason.clone(),
        })
        .await
        .map_err(status_error)?;
    if json {
        return print_json(&serde_json::json!({ "ended": true, "reason": args.reason }));
    }
    println!(
        "{}",
        lang.t(
            "已结束恢复（已记入账本）：本节点重新受理登记",
            "recovery ended (recorded in the ledger): the node registers again"
        )
    );
    Ok(())
}
