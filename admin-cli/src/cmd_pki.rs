//! `xinfang pki init|issue|revoke|crl`: the federation root, node and operator
//! certificates, and revoking them.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use serde::Serialize;
use xinfang_ca::{self as pki, HolderKind, IssueOptions, Pki, Reason, RevokeTarget};
use xinfang_hub::UnitCode;
use xinfang_node::layout::FederationDir;

use crate::output::{Lang, local_time, print_json};

#[derive(Debug, Subcommand)]
pub enum PkiCmd {
    /// Create a federation root (DIR/pki/ca.pem) and an operator certificate
    Init {
        #[arg(long, default_value = "federation")]
        dir: PathBuf,
    },
    /// Issue a node certificate for a unit (or an operator's, or a staff member's)
    ///
    /// Issuing again for a running node rotates its certificate: the node takes it
    /// up without a restart.
    Issue {
        #[arg(long, default_value = "federation")]
        dir: PathBuf,
        /// Unit code the node certificate proves
        #[arg(
            long,
            conflicts_with_all = ["operator", "staff"],
            required_unless_present_any = ["operator", "staff"]
        )]
        unit: Option<String>,
        /// Operator name for the operators' client certificate (a node's
        /// administrator: manages its users)
        #[arg(long, conflicts_with = "staff")]
        operator: Option<String>,
        /// A staff member's user name: a client certificate with which that user
        /// signs in at any node that has a user of this name, without a password
        /// (written to DIR/staff/NAME/staff.pem; use it with --cert-dir)
        #[arg(long)]
        staff: Option<String>,
        /// Extra host names or IPs the node is reached by (repeatable)
        #[arg(long = "host")]
        hosts: Vec<String>,
        /// Output folder (default: DIR/units/<code>/tls, or DIR/pki for operators)
        #[arg(long)]
        out: Option<PathBuf>,
        /// Valid for this many days from now (default: two years)
        #[arg(long)]
        days: Option<u32>,
        /// Renew for the key already in the output folder (default: a new key)
        #[arg(long)]
        keep_key: bool,
    },
    /// Revoke a unit's or an operator's certificates, or one by --serial
    ///
    /// Records the revocation, signs a new revocation list (DIR/pki/crl.pem) and
    /// hands it to the units' TLS folders under DIR; running nodes take it up.
    Revoke {
        #[arg(long, default_value = "federation")]
        dir: PathBuf,
        /// Unit code or operator name: every certificate issued to it that is not
        /// revoked yet
        #[arg(required_unless_present = "serial", conflicts_with = "serial")]
        target: Option<String>,
        /// One certificate, by its serial (hex, colons allowed)
        #[arg(long)]
        serial: Option<String>,
        /// Why: unspecified, key-compromise, affiliation-changed, superseded,
        /// cessation-of-operation, privilege-withdrawn
        #[arg(long, value_parser = parse_reason)]
        reason: Reason,
    },
    /// Sign a fresh revocation list before the current one runs out
    ///
    /// Same revocations, the next number, the next update 180 days ahead; handed
    /// to the units' TLS folders under DIR.
    Crl {
        #[arg(long, default_value = "federation")]
        dir: PathBuf,
    },
}

fn parse_reason(s: &str) -> Result<Reason, String> {
    s.parse()
}

fn reason_label(r: Reason, lang: Lang) -> &'static str {
    match r {
        Reason::Unspecified => lang.t("未说明", "unspecified"),
        Reason::KeyCompromise => lang.t("密钥泄露", "key compromise"),
        Reason::AffiliationChanged => lang.t("隶属关系变更", "affiliation changed"),
        Reason::Superseded => lang.t("已被替换", "superseded"),
        Reason::CessationOfOperation => lang.t("停止运行", "cessation of operation"),
        Reason::PrivilegeWithdrawn => lang.t("权限撤销", "privilege withdrawn"),
    }
}

fn holder_label(kind: Option<HolderKind>, name: Option<&str>, lang: Lang) -> String {
    match (kind, name) {
        (Some(HolderKind::Unit), Some(n)) => format!("{} {n}", lang.t("单位", "unit")),
        (Some(HolderKind::Operator), Some(n)) => format!("{} {n}", lang.t("操作员", "operator")),
        (Some(HolderKind::Staff), Some(n)) => format!("{} {n}", lang.t("工作人员", "staff")),
        _ => lang
            .t("未登记的证书", "a certificate not in the register")
            .to_owned(),
    }
}

#[derive(Serialize)]
struct IssuedJson {
    cert: String,
    key: String,
    ca: String,
    crl: Option<String>,
    serial: String,
    not_after: String,
}

#[derive(Serialize)]
struct RevokedJson {
    serial: String,
    kind: Option<&'static str>,
    name: Option<String>,
    reason: &'static str,
    revoked_at: String,
}

#[derive(Serialize)]
struct CrlJson {
    path: String,
    number: u64,
    this_update: String,
    next_update: String,
    entries: usize,
}

#[derive(Serialize)]
struct HandedJson {
    unit: String,
    path: String,
}

#[derive(Serialize)]
struct RevokeJson {
    revoked: Vec<RevokedJson>,
    crl: CrlJson,
    handed_to: Vec<HandedJson>,
}

#[derive(Serialize)]
struct RefreshJson {
    crl: CrlJson,
    handed_to: Vec<HandedJson>,
}

/// The names every local node certificate carries besides its unit name.
pub fn default_hosts(listen_host: Option<&str>) -> Vec<String> {
    let mut hosts = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    if let Some(h) = listen_host
        && !hosts.iter().any(|x| x == h)
        && !h.is_empty()
        && h != "0.0.0.0"
    {
        hosts.push(h.to_owned());
    }
    hosts
}

/// Copies the root's revocation list into every unit's TLS folder under `layout`
/// (the nodes there take it up while running).
fn hand_out(pki: &Pki, layout: &FederationDir) -> anyhow::Result<Vec<HandedJson>> {
    let mut out = Vec::new();
    let dirs = layout
        .unit_tls_dirs()
        .with_context(|| format!("listing {}", layout.root().join("units").display()))?;
    for (unit, dir) in dirs {
        if pki.hand_out_crl(&dir)? {
            out.push(HandedJson {
                unit: unit.to_string(),
                path: dir.join(pki::CRL).display().to_string(),
            });
        }
    }
    Ok(out)
}

fn crl_json(c: &pki::CrlWritten) -> CrlJson {
    CrlJson {
        path: c.path.display().to_string(),
        number: c.number,
        this_update: c.this_update.to_rfc3339(),
        next_update: c.next_update.to_rfc3339(),
        entries: c.entries,
    }
}

fn print_crl(c: &pki::CrlWritten, handed: &[HandedJson], lang: Lang) {
    let number = match lang {
        Lang::Zh => format!("第 {} 号", c.number),
        Lang::En => format!("no. {}", c.number),
    };
    println!(
        "{} {number}  {}  {}: {}",
        lang.t("吊销列表", "Revocation list"),
        c.path.display(),
        lang.t("下次更新", "next update"),
        local_time(&c.next_update.to_rfc3339())
    );
    if handed.is_empty() {
        println!(
            "{}",
            lang.t(
                "此目录下没有单位的证书目录：请把 crl.pem 复制到各节点的证书目录（节点运行中即会读取）。",
                "No unit TLS folders under this directory: copy crl.pem into each node's TLS folder (running nodes take it up).",
            )
        );
    } else {
        let units: Vec<&str> = handed.iter().map(|h| h.unit.as_str()).collect();
        println!(
            "{}: {}",
            lang.t("已分发至单位", "Handed to units"),
            units.join(", ")
        );
    }
}

pub fn run(cmd: PkiCmd, json: bool, lang: Lang) -> anyhow::Result<()> {
    match cmd {
        PkiCmd::Init { dir } => {
            let layout = FederationDir::new(dir);
            let pki = Pki::init(&layout.pki())?;
            let op = pki.issue_operator("operator", &layout.pki())?;
            if json {
                print_json(&serde_json::json!({
                    "ca": pki.ca_cert_path().display().to_string(),
                    "operator_cert": op.cert.display().to_string(),
                }))?;
            } else {
                println!(
                    "{} {}\n{} {}",
                    lang.t("已创建联邦根证书", "Created federation root"),
                    pki.ca_cert_path().display(),
                    lang.t("操作员证书", "Operator certificate"),
                    op.cert.display()
                );
            }
        }
        PkiCmd::Issue {
            dir,
            unit,
            operator,
            staff,
            hosts,
            out,
            days,
            keep_key,
        } => {
            let layout = FederationDir::new(dir);
            let pki = Pki::open(&layout.pki())?;
            let options = IssueOptions {
                valid_days: days,
                keep_key,
            };
            let issued = if let Some(name) = staff {
                let out = out.unwrap_or_else(|| layout.root().join("staff").join(&name));
                pki.issue_staff_with(&name, &out, &options)?
            } else if let Some(name) = operator {
                pki.issue_operator_with(&name, &out.unwrap_or_else(|| layout.pki()), &options)?
            } else {
                let unit: UnitCode = unit
                    .context("--unit is required")?
                    .parse()
                    .map_err(|e| anyhow::anyhow!("--unit: {e}"))?;
                let mut all = default_hosts(None);
                all.extend(hosts);
                pki.issue_node_with(
                    &unit,
                    &all,
                    &out.unwrap_or_else(|| layout.tls(&unit)),
                    &options,
                )?
            };
            if json {
                print_json(&IssuedJson {
                    cert: issued.cert.display().to_string(),
                    key: issued.key.display().to_string(),
                    ca: issued.ca.display().to_string(),
                    crl: issued.crl.as_ref().map(|p| p.display().to_string()),
                    serial: issued.serial.clone(),
                    not_after: issued.not_after.to_rfc3339(),
                })?;
            } else {
                println!(
                    "{} {}  {} {}  {} {}",
                    lang.t("已签发证书", "Issued certificate"),
                    issued.cert.display(),
                    lang.t("序号", "serial"),
                    issued.serial,
                    lang.t("有效期至", "valid until"),
                    local_time(&issued.not_after.to_rfc3339())
                );
            }
        }
        PkiCmd::Revoke {
            dir,
            target,
            serial,
            reason,
        } => {
            let layout = FederationDir::new(dir);
            let pki = Pki::open(&layout.pki())?;
            let target = match (target, serial) {
                (_, Some(s)) => RevokeTarget::Serial(
                    pki::parse_serial(&s).map_err(|e| anyhow::anyhow!("--serial: {e}"))?,
                ),
                (Some(t), None) => {
                    let register = pki.register()?;
                    let holds = |kind| {
                        register
                            .issued
                            .iter()
                            .any(|i| i.kind == kind && i.name == t)
                    };
                    let (is_operator, is_staff) =
                        (holds(HolderKind::Operator), holds(HolderKind::Staff));
                    match t.parse::<UnitCode>() {
                        Ok(code) if !is_operator && !is_staff => RevokeTarget::Unit(code),
                        _ if is_staff && !is_operator => RevokeTarget::Staff(t),
                        _ => RevokeTarget::Operator(t),
                    }
                }
                (None, None) => anyhow::bail!(
                    "say what to revoke: a unit code, an operator name, or --serial HEX"
                ),
            };
            let done = pki.revoke(&target, reason)?;
            let handed = hand_out(&pki, &layout)?;
            if json {
                return print_json(&RevokeJson {
                    revoked: done
                        .revoked
                        .iter()
                        .map(|r| RevokedJson {
                            serial: r.serial.clone(),
                            kind: r.kind.map(HolderKind::as_str),
                            name: r.name.clone(),
                            reason: r.reason.as_str(),
                            revoked_at: r.revoked_at.to_rfc3339(),
                        })
                        .collect(),
                    crl: crl_json(&done.crl),
                    handed_to: handed,
                });
            }
            for r in &done.revoked {
                println!(
                    "{} {} {}  {}  {} {}",
                    lang.t("已吊销证书", "Revoked certificate"),
                    lang.t("序号", "serial"),
                    r.serial,
                    holder_label(r.kind, r.name.as_deref(), lang),
                    lang.t("原因", "reason"),
                    reason_label(r.reason, lang)
                );
            }
            print_crl(&done.crl, &handed, lang);
        }
        PkiCmd::Crl { dir } => {
            let layout = FederationDir::new(dir);
            let pki = Pki::open(&layout.pki())?;
            let crl = pki.refresh_crl()?;
            let handed = hand_out(&pki, &layout)?;
            if json {
                return print_json(&RefreshJson {
                    crl: crl_json(&crl),
                    handed_to: handed,
                });
            }
            print_crl(&crl, &handed, lang);
        }
    }
    Ok(())
}
