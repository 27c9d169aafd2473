//! `xinfang ledger show|verify|acknowledge`: the node's hash-chained ledger
//! (docs/ledger.md).

use clap::Subcommand;
use xinfang_proto::v1 as pb;

use crate::conn::{ConnArgs, status_error};
use crate::output::{Lang, local_time, print_json, table};

#[derive(Debug, Subcommand)]
pub enum LedgerCmd {
    /// The latest entries, oldest first
    Show {
        #[command(flatten)]
        conn: ConnArgs,
        /// How many entries (the latest)
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
    /// Recompute the whole chain; exit code 1 if an entry was changed
    Verify {
        #[command(flatten)]
        conn: ConnArgs,
    },
    /// Clear this node's flag on a child whose chain did not extend what it saw
    Acknowledge {
        #[command(flatten)]
        conn: ConnArgs,
        /// The child's unit code
        #[arg(value_name = "CHILD")]
        child: String,
    },
}

fn short(h: &str) -> &str {
    h.get(..16).unwrap_or(h)
}

pub async fn run(cmd: LedgerCmd, json: bool, lang: Lang) -> anyhow::Result<()> {
    match cmd {
        LedgerCmd::Show { conn, limit } => {
            let list = conn
                .ledger()
                .await?
                .show(pb::LedgerShowRequest { limit })
                .await
                .map_err(status_error)?
                .into_inner();
            if json {
                return print_json(&list.entries);
            }
            let mut t = table(vec![
                lang.t("序号", "Seq"),
                lang.t("时间", "Time"),
                lang.t("类别", "Kind"),
                lang.t("文档", "Document"),
                lang.t("操作人", "Actor"),
                lang.t("来自", "Peer"),
                lang.t("内容", "Detail"),
                lang.t("哈希", "Hash"),
            ]);
            for e in &list.entries {
                t.add_row(vec![
                    e.seq.to_string(),
                    local_time(&e.at),
                    e.kind_label.clone(),
                    e.doc_id.clone(),
                    e.actor.clone(),
                    e.peer.clone(),
                    e.detail.chars().take(60).collect(),
                    short(&e.hash).to_owned(),
                ]);
            }
            println!("{t}");
            Ok(())
        }
        LedgerCmd::Verify { conn } => {
            let v = conn
                .ledger()
                .await?
                .verify(pb::LedgerVerifyRequest {})
                .await
                .map_err(status_error)?
                .into_inner();
            if json {
                print_json(&v)?;
            } else if v.ok {
                println!(
                    "{} {} {}，{} {}",
                    lang.t("账本完整：", "ledger intact:"),
                    v.entries,
                    lang.t("条", "entries"),
                    lang.t("链头", "head"),
                    short(&v.head_hash)
                );
            } else {
                println!(
                    "{} {} {}: {}",
                    lang.t("账本被改动：", "ledger changed:"),
                    lang.t("第一处在第", "first at entry"),
                    v.bad_seq,
                    v.reason
                );
            }
            if v.ok {
                Ok(())
            } else {
                anyhow::bail!(
                    "{} {}",
                    lang.t("账本校验失败，条目", "ledger verification failed at entry"),
                    v.bad_seq
                )
            }
        }
        LedgerCmd::Acknowledge { conn, child } => {
            let unit = child;
            let r = conn
                .ledger()
                .await?
                .acknowledge(pb::LedgerAcknowledgeRequest { unit: unit.clone() })
                .await
                .map_err(status_error)?
                .into_inner();
            if json {
                return print_json(&r);
            }
            if r.cleared {
                println!(
                    "{} {unit}",
                    lang.t("已确认并清除标记：", "flag cleared for")
                );
            } else {
                println!(
                    "{} {unit}",
                    lang.t("没有待确认的标记：", "no flag to clear for")
                );
            }
            Ok(())
        }
    }
}
