//! `xinfang status`: the node, its links and how far behind each is.

use serde::Serialize;
use xinfang_proto::v1 as pb;

use crate::conn::{ConnArgs, status_error};
use crate::output::{Lang, local_time, print_json, table};

#[derive(Serialize)]
struct PeerJson {
    unit: String,
    role: String,
    connected: bool,
    lag: u64,
    acked: u64,
    received: u64,
    last_sync: String,
    last_error: String,
    bytes_sent: u64,
    bytes_received: u64,
}

#[derive(Serialize)]
struct StatusJson {
    unit: String,
    name: String,
    tier: String,
    head: u64,
    documents: u64,
    epoch: String,
    peers: Vec<PeerJson>,
}

pub async fn fetch(conn: &ConnArgs) -> anyhow::Result<pb::StatusResponse> {
    let mut client = conn.client().await?;
    Ok(client
        .status(pb::StatusRequest {})
        .await
        .map_err(status_error)?
        .into_inner())
}

pub async fn run(conn: &ConnArgs, json: bool, lang: Lang) -> anyhow::Result<()> {
    let s = fetch(conn).await?;
    if json {
        return print_json(&StatusJson {
            unit: s.unit,
            name: s.name,
            tier: s.tier,
            head: s.head,
            documents: s.documents,
            epoch: s.epoch,
            peers: s
                .peers
                .into_iter()
                .map(|p| PeerJson {
                    unit: p.unit,
                    role: p.role,
                    connected: p.connected,
                    lag: p.lag,
                    acked: p.acked,
                    received: p.received,
                    last_sync: p.last_sync,
                    last_error: p.last_error,
                    bytes_sent: p.bytes_sent,
                    bytes_received: p.bytes_received,
                })
                .collect(),
        });
    }
    println!(
        "{} {} {}  {}: {}  {}: {}",
        s.unit,
        s.name,
        s.tier,
        lang.t("文档数", "documents"),
        s.documents,
        lang.t("变更序号", "feed head"),
        s.head
    );
    let mut t = table(vec![
        lang.t("对端单位", "Peer"),
        lang.t("关系", "Role"),
        lang.t("连接", "Connected"),
        lang.t("待同步", "Lag"),
        lang.t("最后同步", "Last sync"),
        lang.t("错误", "Error"),
    ]);
    for p in &s.peers {
        let role = match p.role.as_str() {
            "parent" => lang.t("上级", "parent"),
            _ => lang.t("下级", "child"),
        };
        t.add_row(vec![
            p.unit.clone(),
            role.to_owned(),
            if p.connected {
                lang.t("是", "yes")
            } else {
                lang.t("否", "no")
            }
            .to_owned(),
            p.lag.to_string(),
            if p.last_sync.is_empty() {
                "-".into()
            } else {
                local_time(&p.last_sync)
            },
            p.last_error.clone(),
        ]);
    }
    println!("{t}");
    Ok(())
}
