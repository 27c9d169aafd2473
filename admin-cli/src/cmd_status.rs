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
    /// The certificate the peer presented on this link (TLS): serial and expiry.
    cert_serial: String,
    cert_not_after: String,
    /// Documents from the peer refused by the authorship rules and quarantined
    /// since the node started, and the last of them.
    quarantined: u64,
    last_quarantined: String,
    /// A child whose ledger did not extend what this node saw (until acknowledged):
    /// why, and since when; empty if not flagged.
    ledger_flag: String,
    ledger_flagged_at: String,
    ledger_seen_seq: u64,
    /// The peer's clock minus ours (ms) at its last Hello (null: not measured),
    /// and whether that is beyond what the nodes tolerate.
    clock_offset_ms: Option<i64>,
    clock_alert: bool,
}

#[derive(Serialize)]
struct AlertJson {
    doc_id: String,
    reporter: String,
    subject: String,
    at: String,
    reason: String,
}

#[derive(Serialize)]
struct CredentialJson {
    /// "certificate" (the node's own), "ca", "crl" (the list's next update), or
    /// "peer" (a neighbour's certificate seen on a link).
    kind: String,
    serial: String,
    subject: String,
    not_after: String,
    days_left: i64,
    /// Expired, or expires within 30 days.
    warning: bool,
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
    credentials: Vec<CredentialJson>,
    /// Something of `credentials` (or a peer's certificate) expires within 30 days
    /// or has expired.
    expiry_warning: bool,
    /// Why new files in the node's TLS folder were refused (the old material is
    /// still in use); empty if they were not.
    tls_reload_error: String,
    /// Integrity alerts held here (this node's and those from below), newest first.
    integrity_alerts: Vec<AlertJson>,
    ledger_seq: u64,
    ledger_head: String,
    /// Set while the node's store recovers after going back in time.
    recovery: Option<RecoveryJson>,
    /// Registrations that carry a case number an earlier one holds.
    number_collisions: u64,
    /// Open major or urgent matters of the subtree, urgent and oldest first.
    major_alerts: Vec<MajorAlertJson>,
}

#[derive(Serialize)]
struct MajorAlertJson {
    case_no: String,
    unit: String,
    handling_unit: String,
    since: String,
    urgent: bool,
    label: String,
    reason: String,
    owner: String,
    owner_due: String,
    overdue: bool,
}

#[derive(Serialize)]
struct RecoveryJson {
    reason: String,
    since: String,
}

/// Days a peer's certificate has left, and whether to warn (30 days, as the node
/// judges its own).
fn peer_expiry(not_after: &str) -> Option<(i64, bool)> {
    let t = chrono::DateTime::parse_from_rfc3339(not_after).ok()?;
    let secs = t.timestamp() - chrono::Utc::now().timestamp();
    Some((secs.div_euclid(86_400), secs <= 30 * 86_400))
}

/// The node's credentials and the peers' certificates, with warnings.
fn credentials(s: &pb::StatusResponse) -> Vec<CredentialJson> {
    let mut out: Vec<CredentialJson> = s
        .credentials
        .iter()
        .map(|c| CredentialJson {
            kind: c.kind.clone(),
            serial: c.serial.clone(),
            subject: c.subject.clone(),
            not_after: c.not_after.clone(),
            days_left: c.days_left,
            warning: c.warning,
        })
        .collect();
    for p in &s.peers {
        if let Some((days_left, warning)) = peer_expiry(&p.cert_not_after) {
            out.push(CredentialJson {
                kind: "peer".into(),
                serial: p.cert_serial.clone(),
                subject: format!("unit {}", p.unit),
                not_after: p.cert_not_after.clone(),
                days_left,
                warning,
            });
        }
    }
    out
}

/// One warning line for people.
fn warning_line(c: &CredentialJson, lang: Lang) -> String {
    let what = match c.kind.as_str() {
        "certificate" => lang.t("本节点证书", "this node's certificate").to_owned(),
        "ca" => lang.t("联邦根证书", "the federation root").to_owned(),
        "crl" => lang.t("吊销列表", "the revocation list").to_owned(),
        _ => format!(
            "{} {}",
            lang.t("对端证书", "the certificate of"),
            c.subject.trim_start_matches("unit ")
        ),
    };
    let serial = match c.kind.as_str() {
        "crl" => format!("{} {}", lang.t("第", "no."), c.serial),
        _ => format!("{} {}", lang.t("序号", "serial"), c.serial),
    };
    let when = local_time(&c.not_after);
    let state = if c.days_left < 0 {
        match lang {
            Lang::Zh => format!("已于 {when} 过期"),
            Lang::En => format!("expired at {when}"),
        }
    } else {
        match lang {
            Lang::Zh => format!("将于 {when} 到期（剩余 {} 天）", c.days_left),
            Lang::En => format!("expires at {when} (in {} days)", c.days_left),
        }
    };
    let hint = match c.kind.as_str() {
        "certificate" => lang.t(
            "请用 xinfang pki issue --unit 重新签发，节点无需重启",
            "re-issue it with `xinfang pki issue --unit`; the node needs no restart",
        ),
        "ca" => lang.t("联邦需要新的根证书", "the federation needs a new root"),
        "crl" => lang.t(
            "请用 xinfang pki crl 签发新的吊销列表",
            "sign a fresh one with `xinfang pki crl`",
        ),
        _ => lang.t("请通知该单位更新证书", "ask that unit to renew it"),
    };
    match lang {
        Lang::Zh => format!("警告：{what}（{serial}）{state}；{hint}"),
        Lang::En => format!("warning: {what} ({serial}) {state}; {hint}"),
    }
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
    let creds = credentials(&s);
    let expiry_warning = creds.iter().any(|c| c.warning);
    if json {
        return print_json(&StatusJson {
            credentials: creds,
            expiry_warning,
            tls_reload_error: s.tls_reload_error,
            unit: s.unit,
            name: s.name,
            tier: s.tier,
            head: s.head,
            documents: s.documents,
            epoch: s.epoch,
            ledger_seq: s.ledger_seq,
            ledger_head: s.ledger_head,
            recovery: s.recovery.map(|r| RecoveryJson {
                reason: r.reason,
                since: r.since,
            }),
            number_collisions: s.number_collisions,
            major_alerts: s
                .major_alerts
                .into_iter()
                .map(|a| MajorAlertJson {
                    case_no: a.case_no,
                    unit: a.unit,
                    handling_unit: a.handling_unit,
                    since: a.since,
                    urgent: a.urgent,
                    label: a.label,
                    reason: a.reason,
                    owner: a.owner,
                    owner_due: a.owner_due,
                    overdue: a.overdue,
                })
                .collect(),
            integrity_alerts: s
                .integrity_alerts
                .into_iter()
                .map(|a| AlertJson {
                    doc_id: a.doc_id,
                    reporter: a.reporter,
                    subject: a.subject,
                    at: a.at,
                    reason: a.reason,
                })
                .collect(),
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
                    cert_serial: p.cert_serial,
                    cert_not_after: p.cert_not_after,
                    ledger_flag: p.ledger_flag,
                    ledger_flagged_at: p.ledger_flagged_at,
                    ledger_seen_seq: p.ledger_seen_seq,
                    quarantined: p.quarantined,
                    last_quarantined: p.last_quarantined,
                    clock_offset_ms: p.clock_offset_known.then_some(p.clock_offset_ms),
                    clock_alert: p.clock_alert,
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
    if let Some(own) = creds.iter().find(|c| c.kind == "certificate") {
        println!(
            "{} {}  {} {}",
            lang.t("本节点证书 序号", "certificate serial"),
            own.serial,
            lang.t("有效期至", "valid until"),
            local_time(&own.not_after)
        );
    }
    for c in creds.iter().filter(|c| c.warning) {
        println!("{}", warning_line(c, lang));
    }
    if !s.tls_reload_error.is_empty() {
        match lang {
            Lang::Zh => println!(
                "警告：证书目录中的新文件被拒绝，仍使用原有证书：{}",
                s.tls_reload_error
            ),
            Lang::En => println!(
                "warning: new files in the TLS folder were refused; the node keeps its current material: {}",
                s.tls_reload_error
            ),
        }
    }
    for p in s.peers.iter().filter(|p| !p.ledger_flag.is_empty()) {
        match lang {
            Lang::Zh => println!(
                "严重：下级 {} 的账本与本节点已见的不一致（{} 起）：{}；核实后用 xinfang ledger acknowledge {} 确认",
                p.unit,
                local_time(&p.ledger_flagged_at),
                p.ledger_flag,
                p.unit
            ),
            Lang::En => println!(
                "ALERT: the ledger of child {} does not extend what this node saw (since {}): {}; \
                 after looking into it, `xinfang ledger acknowledge {}`",
                p.unit,
                local_time(&p.ledger_flagged_at),
                p.ledger_flag,
                p.unit
            ),
        }
    }
    if let Some(r) = &s.recovery {
        match lang {
            Lang::Zh => println!(
                "恢复中：本节点的存储回到了较早的状态（{} 起）：{}；上级节点发回本辖区的全部文档前不受理登记",
                local_time(&r.since),
                r.reason
            ),
            Lang::En => println!(
                "RECOVERING: this node's store went back in time (since {}): {}; registrations \
                 are refused until the parent has sent back everything in its scope",
                local_time(&r.since),
                r.reason
            ),
        }
    }
    for p in s.peers.iter().filter(|p| p.clock_alert) {
        let secs = p.clock_offset_ms as f64 / 1000.0;
        match lang {
            Lang::Zh => println!(
                "时钟告警：对端 {} 的时钟与本节点相差 {secs:+.0} 秒；请校准两端时钟（期限与记录先后依时钟而定）",
                p.unit
            ),
            Lang::En => println!(
                "clock alert: the clock of {} differs from this node's by {secs:+.0} s; set both \
                 clocks right (deadlines and the order of records depend on them)",
                p.unit
            ),
        }
    }
    if s.number_collisions > 0 {
        match lang {
            Lang::Zh => println!(
                "编号重复：{} 件登记使用了已被更早登记占用的事项编号（均已保留、未合并；按文档号查看）",
                s.number_collisions
            ),
            Lang::En => println!(
                "number collisions: {} registrations carry a case number an earlier one holds \
                 (all kept, none merged; open them by document id)",
                s.number_collisions
            ),
        }
    }
    for a in &s.integrity_alerts {
        match lang {
            Lang::Zh => println!(
                "完整性告警：{} 报告下级 {} 的账本被改写（{}）：{}",
                a.reporter,
                a.subject,
                local_time(&a.at),
                a.reason
            ),
            Lang::En => println!(
                "integrity alert: {} reports the ledger of {} rewritten ({}): {}",
                a.reporter,
                a.subject,
                local_time(&a.at),
                a.reason
            ),
        }
    }
    for a in &s.major_alerts {
        // The label comes from the node, in the caller's language.
        let zh = lang == Lang::Zh;
        let owned = match (a.owner.as_str(), a.overdue, zh) {
            ("", true, true) => format!("无领导包案，已超过 {}", a.owner_due),
            ("", true, false) => format!("no leader owns it, overdue since {}", a.owner_due),
            ("", false, true) => format!("须于 {} 前落实领导包案", a.owner_due),
            ("", false, false) => format!("a leader must own it by {}", a.owner_due),
            (owner, _, true) => format!("包案领导 {owner}"),
            (owner, _, false) => format!("owned by {owner}"),
        };
        match lang {
            Lang::Zh => println!(
                "{}：{}（{} 登记，{} 办理，{} 起）：{}；{owned}",
                a.label, a.case_no, a.unit_name, a.handling_unit_name, a.since, a.reason
            ),
            Lang::En => println!(
                "{}: {} (registered by {}, handled by {}, since {}): {}; {owned}",
                a.label, a.case_no, a.unit_name, a.handling_unit_name, a.since, a.reason
            ),
        }
    }
    let mut t = table(vec![
        lang.t("对端单位", "Peer"),
        lang.t("关系", "Role"),
        lang.t("连接", "Connected"),
        lang.t("待同步", "Lag"),
        lang.t("最后同步", "Last sync"),
        lang.t("隔离", "Quarantined"),
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
            p.quarantined.to_string(),
            p.last_error.clone(),
        ]);
    }
    println!("{t}");
    for p in s.peers.iter().filter(|p| !p.last_quarantined.is_empty()) {
        match lang {
            Lang::Zh => println!(
                "警告：来自 {} 的文档因写入权限规则被拒绝并隔离（共 {} 份，xinfang admin quarantine list）；最近一份：{}",
                p.unit, p.quarantined, p.last_quarantined
            ),
            Lang::En => println!(
                "warning: documents from {} were refused by the authorship rules and quarantined ({} in all, xinfang admin quarantine list); the last: {}",
                p.unit, p.quarantined, p.last_quarantined
            ),
        }
    }
    Ok(())
}
