//! `xinfang joint-supervision plan|finding|list`: joint supervisions (联合督查) of
//! units below; a finding's demands become supervision records on the cases. The
//! node checks and records; the CLI sends and shows.

use clap::Subcommand;
use xinfang_proto::v1 as pb;
use xinfang_proto::v1::joint_supervision_client::JointSupervisionClient;

use crate::conn::{ConnArgs, status_error};
use crate::output::{Lang, print_json, table};

#[derive(Debug, Subcommand)]
pub enum JointCmd {
    /// Plan a joint supervision of units below
    Plan {
        #[command(flatten)]
        conn: ConnArgs,
        #[arg(long)]
        title: String,
        /// A unit supervised (code; repeatable)
        #[arg(long = "visit", value_name = "UNIT", required = true)]
        visits: Vec<String>,
        /// A matter looked into (repeatable)
        #[arg(long = "matter", required = true)]
        matters: Vec<String>,
        /// First day (YYYY-MM-DD)
        #[arg(long)]
        from: String,
        /// Last day (YYYY-MM-DD)
        #[arg(long)]
        to: String,
    },
    /// Record what was found at one unit; each --demand goes onto its case as a
    /// supervision record
    Finding {
        #[command(flatten)]
        conn: ConnArgs,
        /// The plan's id (from `list`)
        #[arg(long)]
        plan: String,
        /// The unit the finding is about (code)
        #[arg(long = "about", value_name = "UNIT")]
        concerned: String,
        #[arg(long)]
        text: String,
        /// CASE_NO/YYYY-MM-DD/DEMAND: a follow-up demand on a case, due that day
        /// (repeatable)
        #[arg(long = "demand")]
        demands: Vec<String>,
        /// How the demands are supervised (phone, letter, interview, meeting,
        /// listed, public_notice)
        #[arg(long, default_value = "")]
        method: String,
        #[arg(long, default_value = "")]
        date: String,
    },
    /// The plans this node holds, with their findings
    List {
        #[command(flatten)]
        conn: ConnArgs,
    },
}

fn show(plans: &[pb::JointPlanView], json: bool, lang: Lang) -> anyhow::Result<()> {
    if json {
        return print_json(&plans);
    }
    let mut t = table(vec![
        lang.t("编号", "id"),
        lang.t("督查", "supervision"),
        lang.t("时间", "when"),
        lang.t("督查对象", "units"),
        lang.t("督查事项", "matters"),
        lang.t("督查发现", "findings"),
    ]);
    for p in plans {
        t.add_row(vec![
            p.id.clone(),
            p.title.clone(),
            format!("{} – {}", p.from, p.to),
            p.unit_names.join("、"),
            p.matters.join("；"),
            p.findings
                .iter()
                .map(|f| format!("{}：{}", f.unit_name, f.text))
                .collect::<Vec<_>>()
                .join("\n"),
        ]);
    }
    println!("{t}");
    Ok(())
}

pub async fn run(cmd: JointCmd, json: bool, lang: Lang) -> anyhow::Result<()> {
    match cmd {
        JointCmd::Plan {
            conn,
            title,
            visits,
            matters,
            from,
            to,
        } => {
            let p = JointSupervisionClient::new(conn.channel().await?)
                .plan(pb::PlanJointSupervisionRequest {
                    title,
                    units: visits,
                    matters,
                    from,
                    to,
                })
                .await
                .map_err(status_error)?
                .into_inner();
            if json {
                return print_json(&p);
            }
            show(&[p], false, lang)
        }
        JointCmd::Finding {
            conn,
            plan,
            concerned,
            text,
            demands,
            method,
            date,
        } => {
            let mut parsed = Vec::new();
            for d in &demands {
                let mut parts = d.splitn(3, '/');
                let (Some(case_no), Some(due), Some(demand)) =
                    (parts.next(), parts.next(), parts.next())
                else {
                    anyhow::bail!(
                        "{}: {d:?}",
                        lang.t(
                            "--demand 应写作 事项编号/YYYY-MM-DD/督办要求",
                            "--demand is CASE_NO/YYYY-MM-DD/DEMAND"
                        )
                    );
                };
                parsed.push(pb::JointDemand {
                    case_no: case_no.to_owned(),
                    due: due.to_owned(),
                    demand: demand.to_owned(),
                    method: method.clone(),
                });
            }
            let f = JointSupervisionClient::new(conn.channel().await?)
                .finding(pb::JointFindingRequest {
                    plan,
                    unit: concerned,
                    text,
                    demands: parsed,
                    date,
                })
                .await
                .map_err(status_error)?
                .into_inner();
            if json {
                return print_json(&f);
            }
            println!(
                "{} {} {}：{}",
                lang.t("已记录督查发现", "finding recorded"),
                f.id,
                f.unit_name,
                f.text
            );
            for d in &f.demands {
                println!("  {} {} {}", d.case_no, d.due, d.demand);
            }
            Ok(())
        }
        JointCmd::List { conn } => {
            let l = JointSupervisionClient::new(conn.channel().await?)
                .list(pb::ListJointSupervisionRequest {})
                .await
                .map_err(status_error)?
                .into_inner();
            show(&l.plans, json, lang)
        }
    }
}
