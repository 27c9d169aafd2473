//! `xinfang admin quarantine list|show`: documents from peers that the node's
//! authorship rules refused and kept, never applied (docs/authorization.md).

use clap::Subcommand;
use serde::Serialize;
use xinfang_proto::v1 as pb;

use crate::conn::{ConnArgs, status_error};
use crate::output::{Lang, local_time, print_json, table};

#[derive(Debug, Subcommand)]
pub enum QuarantineCmd {
    /// The kept documents, newest first
    List {
        #[command(flatten)]
        conn: ConnArgs,
        /// How many (the latest)
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// One kept document: why it was refused, and its content
    Show {
        #[command(flatten)]
        conn: ConnArgs,
        /// Its number, as `list` shows it
        id: i64,
        /// Write the document's bytes as received to this file (an Automerge
        /// document)
        #[arg(long, value_name = "FILE")]
        save: Option<std::path::PathBuf>,
    },
}

#[derive(Serialize)]
struct EntryJson {
    id: i64,
    peer: String,
    doc_id: String,
    rule: String,
    author: String,
    detail: String,
    received_at: String,
    size: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    content: Option<serde_json::Value>,
}

fn to_json(e: &pb::QuarantineEntry, with_content: bool) -> EntryJson {
    EntryJson {
        id: e.id,
        peer: e.peer.clone(),
        doc_id: e.doc_id.clone(),
        rule: e.rule.clone(),
        author: e.author.clone(),
        detail: e.detail.clone(),
        received_at: e.received_at.clone(),
        size: e.size,
        content: with_content.then(|| {
            serde_json::from_str(&e.content_json)
                .unwrap_or_else(|_| serde_json::Value::String(e.content_json.clone()))
        }),
    }
}

pub async fn run(cmd: QuarantineCmd, json: bool, lang: Lang) -> anyhow::Result<()> {
    match cmd {
        QuarantineCmd::List { conn, limit } => {
            let list = conn
                .accounts()
                .await?
                .list_quarantine(pb::ListQuarantineRequest { limit })
                .await
                .map_err(status_error)?
                .into_inner();
            if json {
                let out: Vec<EntryJson> = list.entries.iter().map(|e| to_json(e, false)).collect();
                return print_json(&out);
            }
            if list.entries.is_empty() {
                println!("{}", lang.t("隔离区为空", "nothing is quarantined"));
                return Ok(());
            }
            let mut t = table(vec![
                lang.t("编号", "ID"),
                lang.t("接收时间", "Received"),
                lang.t("来自", "From"),
                lang.t("文档", "Document"),
                lang.t("违反规则", "Rule"),
                lang.t("写入单位", "Author"),
            ]);
            for e in &list.entries {
                t.add_row(vec![
                    e.id.to_string(),
                    local_time(&e.received_at),
                    e.peer.clone(),
                    e.doc_id.clone(),
                    e.rule.clone(),
                    if e.author.is_empty() {
                        "-".into()
                    } else {
                        e.author.clone()
                    },
                ]);
            }
            println!("{t}");
            Ok(())
        }
        QuarantineCmd::Show { conn, id, save } => {
            let e = conn
                .accounts()
                .await?
                .show_quarantine(pb::ShowQuarantineRequest { id })
                .await
                .map_err(status_error)?
                .into_inner();
            if let Some(path) = &save {
                std::fs::write(path, &e.automerge)
                    .map_err(|x| anyhow::anyhow!("{}: {x}", path.display()))?;
            }
            if json {
                return print_json(&to_json(&e, true));
            }
            let rows = [
                (lang.t("编号", "ID"), e.id.to_string()),
                (lang.t("接收时间", "Received"), local_time(&e.received_at)),
                (lang.t("来自", "From"), e.peer.clone()),
                (lang.t("文档", "Document"), e.doc_id.clone()),
                (lang.t("违反规则", "Rule"), e.rule.clone()),
                (lang.t("写入单位", "Author"), e.author.clone()),
                (lang.t("说明", "Detail"), e.detail.clone()),
                (lang.t("字节数", "Bytes"), e.size.to_string()),
            ];
            for (k, v) in rows {
                println!("{k}: {v}");
            }
            println!("{}:", lang.t("内容（未应用）", "Content (not applied)"));
            println!("{}", e.content_json);
            Ok(())
        }
    }
}
