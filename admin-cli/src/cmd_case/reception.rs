//! `xinfang case book|reception-outcome|supervision-form|form-ack|receptions|
//! reception-cards|supervision-form-pdf`: a case received on a leader's
//! reception day (seed 004). The node checks the schedule, the roster and the
//! rules; the CLI sends, shows the case after, and writes the papers.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use xinfang_proto::v1 as pb;

use super::render::{named, show};
use crate::conn::{ConnArgs, status_error};
use crate::output::{Lang, print_json, table};

#[derive(Debug, Subcommand)]
pub enum ReceptionCmd {
    /// Book the case onto a leader's reception day of this unit (约访), which the
    /// filed schedule must hold
    Book {
        #[command(flatten)]
        conn: ConnArgs,
        case_no: String,
        /// The reception day (YYYY-MM-DD)
        #[arg(long)]
        date: String,
        /// The leader who receives (roster name)
        #[arg(long)]
        leader: String,
        /// The responsible unit asked to attend (unit code)
        #[arg(long)]
        responsible: String,
        /// Where (default: the schedule's place that day)
        #[arg(long, default_value = "")]
        place: String,
        /// What the invitation to the petitioner adds (约访通知)
        #[arg(long, default_value = "")]
        invitation: String,
    },
    /// Record the reception's outcome on the day: the leader's decision, tasks,
    /// and the 交办 it makes
    ReceptionOutcome {
        #[command(flatten)]
        conn: ConnArgs,
        case_no: String,
        /// The booking's id (as `receptions` lists it)
        #[arg(long)]
        booking: String,
        /// The reception did not take place (the decision says why)
        #[arg(long)]
        not_held: bool,
        /// What the leader decided
        #[arg(long)]
        decision: String,
        /// A task: UNIT:DUTY:YYYY-MM-DD (repeatable)
        #[arg(long = "task", value_name = "UNIT:DUTY:DUE")]
        tasks: Vec<String>,
        /// Assign (交办) the case to this unit below
        #[arg(long, requires = "assign_due")]
        assign_to: Option<String>,
        /// By when (YYYY-MM-DD)
        #[arg(long, requires = "assign_to")]
        assign_due: Option<String>,
    },
    /// Send the eight-copy supervision form (八联单) after the leader's decision
    SupervisionForm {
        #[command(flatten)]
        conn: ConnArgs,
        case_no: String,
        #[arg(long)]
        booking: String,
        /// A roster leader to send a copy to (repeatable; none: the posts the
        /// form goes to by default). The responsible unit always gets one.
        #[arg(long = "to", value_name = "LEADER")]
        recipients: Vec<String>,
        /// By when the responsible unit closes the case (YYYY-MM-DD)
        #[arg(long)]
        due: String,
        #[arg(long)]
        demand: String,
    },
    /// A recipient acknowledges its copy of the form
    FormAck {
        #[command(flatten)]
        conn: ConnArgs,
        case_no: String,
        /// The form's id (as `receptions` lists it)
        #[arg(long)]
        form: String,
        /// The leader's name or the unit's code on the copy
        #[arg(long)]
        recipient: String,
    },
    /// The case's reception-day bookings, decisions and forms
    Receptions {
        #[command(flatten)]
        conn: ConnArgs,
        case_no: String,
    },
    /// Write the four cards of a booking (四卡) as PDF
    ReceptionCards {
        #[command(flatten)]
        conn: ConnArgs,
        case_no: String,
        #[arg(long)]
        booking: String,
        #[arg(long, value_name = "FILE")]
        pdf: PathBuf,
    },
    /// Write the supervision form's copies and stub as PDF
    SupervisionFormPdf {
        #[command(flatten)]
        conn: ConnArgs,
        case_no: String,
        #[arg(long)]
        booking: String,
        #[arg(long, value_name = "FILE")]
        pdf: PathBuf,
    },
}

fn task(v: &str) -> anyhow::Result<pb::ReceptionTask> {
    let mut parts = v.splitn(3, ':');
    let (Some(unit), Some(duty), Some(due)) = (parts.next(), parts.next(), parts.next()) else {
        anyhow::bail!("--task {v:?}: write UNIT:DUTY:YYYY-MM-DD");
    };
    Ok(pb::ReceptionTask {
        unit: unit.trim().to_owned(),
        duty: duty.trim().to_owned(),
        due: due.trim().to_owned(),
        ..Default::default()
    })
}

fn write_paper(
    p: pb::ReceptionPaper,
    path: &PathBuf,
    json: bool,
    lang: Lang,
) -> anyhow::Result<()> {
    std::fs::write(path, &p.pdf).with_context(|| format!("writing {}", path.display()))?;
    if json {
        return print_json(&serde_json::json!({
            "pdf": path.display().to_string(),
            "bytes": p.pdf.len(),
            "titles": p.titles,
        }));
    }
    println!(
        "{} {}（{}）",
        lang.t("已写入", "written:"),
        path.display(),
        p.titles.join("、")
    );
    Ok(())
}

pub async fn run(cmd: ReceptionCmd, json: bool, lang: Lang) -> anyhow::Result<()> {
    match cmd {
        ReceptionCmd::Book {
            conn,
            case_no,
            date,
            leader,
            responsible,
            place,
            invitation,
        } => {
            let c = conn
                .receptions()
                .await?
                .book(pb::BookRequest {
                    case_no,
                    date,
                    leader,
                    responsible,
                    place,
                    invitation,
                })
                .await
                .map_err(status_error)?
                .into_inner();
            show(c, json, lang)
        }
        ReceptionCmd::ReceptionOutcome {
            conn,
            case_no,
            booking,
            not_held,
            decision,
            tasks,
            assign_to,
            assign_due,
        } => {
            let tasks = tasks
                .iter()
                .map(|t| task(t))
                .collect::<anyhow::Result<_>>()?;
            let c = conn
                .receptions()
                .await?
                .record_outcome(pb::OutcomeRequest {
                    case_no,
                    booking,
                    held: !not_held,
                    decision,
                    tasks,
                    assign_to: assign_to.unwrap_or_default(),
                    assign_due: assign_due.unwrap_or_default(),
                })
                .await
                .map_err(status_error)?
                .into_inner();
            show(c, json, lang)
        }
        ReceptionCmd::SupervisionForm {
            conn,
            case_no,
            booking,
            recipients,
            due,
            demand,
        } => {
            let c = conn
                .receptions()
                .await?
                .send_supervision_form(pb::SupervisionFormRequest {
                    case_no,
                    booking,
                    recipients,
                    due,
                    demand,
                })
                .await
                .map_err(status_error)?
                .into_inner();
            show(c, json, lang)
        }
        ReceptionCmd::FormAck {
            conn,
            case_no,
            form,
            recipient,
        } => {
            let c = conn
                .receptions()
                .await?
                .acknowledge_form(pb::AcknowledgeFormRequest {
                    case_no,
                    form,
                    recipient,
                })
                .await
                .map_err(status_error)?
                .into_inner();
            show(c, json, lang)
        }
        ReceptionCmd::Receptions { conn, case_no } => {
            let list = conn
                .receptions()
                .await?
                .list_receptions(pb::CaseReceptionsRequest { case_no })
                .await
                .map_err(status_error)?
                .into_inner();
            if json {
                return print_json(&list);
            }
            let mut t = table(vec![
                lang.t("约访", "booking"),
                lang.t("接待日", "day"),
                lang.t("接待领导", "leader"),
                lang.t("责任单位", "responsible"),
                lang.t("处理决定", "decision"),
                lang.t("督办单", "form"),
            ]);
            for r in &list.receptions {
                let decision = match (r.outcome.is_empty(), r.held) {
                    (true, _) => lang.t("待接待", "to come").to_owned(),
                    (false, false) => format!("{}：{}", lang.t("未进行", "not held"), r.decision),
                    (false, true) if r.assign_to.is_empty() => r.decision.clone(),
                    (false, true) => format!(
                        "{}；{} {}（{}）",
                        r.decision,
                        lang.t("交办", "assigned to"),
                        r.assign_to_name,
                        r.assign_due
                    ),
                };
                let form = if r.form.is_empty() {
                    "—".to_owned()
                } else {
                    let acked = r
                        .copies
                        .iter()
                        .filter(|c| !c.acknowledged_on.is_empty())
                        .count();
                    let mut s = format!(
                        "{}\n{} {}/{}",
                        r.form,
                        lang.t("签收", "acknowledged"),
                        acked,
                        r.copies.len()
                    );
                    if !r.form_returned_on.is_empty() {
                        s.push_str(&format!(
                            "\n{} {}",
                            lang.t("已撤回", "returned"),
                            r.form_returned_on
                        ));
                    }
                    s
                };
                t.add_row(vec![
                    r.booking.clone(),
                    r.date.clone(),
                    format!("{}{}", r.position, r.leader),
                    named(&r.responsible_name, &r.responsible),
                    decision,
                    form,
                ]);
            }
            println!(
                "{} {}",
                list.case_no,
                lang.t("领导接待日", "reception days")
            );
            println!("{t}");
            Ok(())
        }
        ReceptionCmd::ReceptionCards {
            conn,
            case_no,
            booking,
            pdf,
        } => {
            let p = conn
                .receptions()
                .await?
                .get_cards(pb::ReceptionPaperRequest { case_no, booking })
                .await
                .map_err(status_error)?
                .into_inner();
            write_paper(p, &pdf, json, lang)
        }
        ReceptionCmd::SupervisionFormPdf {
            conn,
            case_no,
            booking,
            pdf,
        } => {
            let p = conn
                .receptions()
                .await?
                .get_supervision_form(pb::ReceptionPaperRequest { case_no, booking })
                .await
                .map_err(status_error)?
                .into_inner();
            write_paper(p, &pdf, json, lang)
        }
    }
}
