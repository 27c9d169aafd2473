//! `xinfang pki init|issue`: the federation root and node/operator certificates.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use serde::Serialize;
use xinfang_hub::UnitCode;
use xinfang_hub::pki::Pki;
use xinfang_node::layout::FederationDir;

use crate::output::{Lang, print_json};

#[derive(Debug, Subcommand)]
pub enum PkiCmd {
    /// Create a federation root (DIR/pki/ca.pem) and an operator certificate
    Init {
        #[arg(long, default_value = "federation")]
        dir: PathBuf,
    },
    /// Issue a node certificate for a unit (or an operator certificate)
    Issue {
        #[arg(long, default_value = "federation")]
        dir: PathBuf,
        /// Unit code the node certificate proves
        #[arg(
            long,
            conflicts_with = "operator",
            required_unless_present = "operator"
        )]
        unit: Option<String>,
        /// Operator name for a staff-tool client certificate
        #[arg(long)]
        operator: Option<String>,
        /// Extra host names or IPs the node is reached by (repeatable)
        #[arg(long = "host")]
        hosts: Vec<String>,
        /// Output folder (default: DIR/units/<code>/tls, or DIR/pki for operators)
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Serialize)]
struct IssuedJson {
    cert: String,
    key: String,
    ca: String,
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
            hosts,
            out,
        } => {
            let layout = FederationDir::new(dir);
            let pki = Pki::open(&layout.pki())?;
            let issued = if let Some(name) = operator {
                pki.issue_operator(&name, &out.unwrap_or_else(|| layout.pki()))?
            } else {
                let unit: UnitCode = unit
                    .context("--unit is required")?
                    .parse()
                    .map_err(|e| anyhow::anyhow!("--unit: {e}"))?;
                let mut all = default_hosts(None);
                all.extend(hosts);
                pki.issue_node(&unit, &all, &out.unwrap_or_else(|| layout.tls(&unit)))?
            };
            if json {
                print_json(&IssuedJson {
                    cert: issued.cert.display().to_string(),
                    key: issued.key.display().to_string(),
                    ca: issued.ca.display().to_string(),
                })?;
            } else {
                println!(
                    "{} {}",
                    lang.t("已签发证书", "Issued certificate"),
                    issued.cert.display()
                );
            }
        }
    }
    Ok(())
}
