//! `xinfang case register|show|list|note`.

use clap::Subcommand;
use serde::Serialize;
use xinfang_proto::v1 as pb;

use crate::conn::{ConnArgs, status_error};
use crate::output::{Lang, local_time, print_json, table};

#[derive(Debug, Subcommand)]
pub enum CaseCmd {
    /// Register a petition at the unit's own node
    Register {
        #[command(flatten)]
        conn: ConnArgs,
        /// Petitioner's name
        #[arg(long)]
        petitioner: String,
        /// The demand (诉求内容)
        #[arg(long)]
        content: String,
    },
    /// Show one case file
    Show {
        #[command(flatten)]
        conn: ConnArgs,
        /// Case number
        case_no: String,
    },
    /// List cases visible at the node
    List {
        #[command(flatten)]
        conn: ConnArgs,
        /// Most cases to list
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// Add a progress note to a case, as the node's unit
    Note {
        #[command(flatten)]
        conn: ConnArgs,
        case_no: String,
        #[arg(long)]
        text: String,
    },
}

#[derive(Serialize)]
struct NoteJson {
    id: String,
    unit: String,
    text: String,
    at: String,
}

#[derive(Serialize)]
struct CaseJson {
    case_no: String,
    unit: String,
    petitioner: String,
    content: String,
    registered_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    notes: Option<Vec<NoteJson>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    scope: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    heads: Vec<String>,
}

fn to_json(c: pb::CaseView, with_notes: bool) -> CaseJson {
    CaseJson {
        case_no: c.case_no,
        unit: c.unit,
        petitioner: c.petitioner,
        content: c.content,
        registered_at: c.registered_at,
        notes: with_notes.then(|| {
            c.notes
                .into_iter()
                .map(|n| NoteJson {
                    id: n.id,
                    unit: n.unit,
                    text: n.text,
                    at: n.at,
                })
                .collect()
        }),
        scope: c.scope,
        heads: c.heads,
    }
}

fn print_case(c: &pb::CaseView, lang: Lang) {
    println!("{}: {}", lang.t("案件编号", "Case no."), c.case_no);
    println!("{}: {}", lang.t("登记单位", "Registered at"), c.unit);
    println!(
        "{}: {}",
        lang.t("登记时间", "Registered"),
        local_time(&c.registered_at)
    );
    println!("{}: {}", lang.t("信访人", "Petitioner"), c.petitioner);
    println!("{}: {}", lang.t("诉求内容", "Demand"), c.content);
    println!("{}: {}", lang.t("涉及单位", "Scope"), c.scope.join("、"));
    if !c.notes.is_empty() {
        let mut t = table(vec![
            lang.t("时间", "Time"),
            lang.t("单位", "Unit"),
            lang.t("办理情况", "Note"),
        ]);
        for n in &c.notes {
            t.add_row(vec![local_time(&n.at), n.unit.clone(), n.text.clone()]);
        }
        println!("{t}");
    }
}

/// One whole case file, for scripts or for people.
fn show(c: pb::CaseView, json: bool, lang: Lang) -> anyhow::Result<()> {
    if json {
        print_json(&to_json(c, true))
    } else {
        print_case(&c, lang);
        Ok(())
    }
}

pub async fn run(cmd: CaseCmd, json: bool, lang: Lang) -> anyhow::Result<()> {
    match cmd {
        CaseCmd::Register {
            conn,
            petitioner,
            content,
        } => {
            let mut client = conn.client().await?;
            let unit = conn.acting_unit()?;
            let c = client
                .register_case(pb::RegisterCaseRequest {
                    unit: unit.to_string(),
                    petitioner,
                    content,
                })
                .await
                .map_err(status_error)?
                .into_inner();
            if json {
                print_json(&to_json(c, true))?;
            } else {
                println!("{} {}", lang.t("已登记", "Registered"), c.case_no);
            }
        }
        CaseCmd::Show { conn, case_no } => {
            let mut client = conn.client().await?;
            let c = client
                .get_case(pb::GetCaseRequest { case_no })
                .await
                .map_err(status_error)?
                .into_inner();
            show(c, json, lang)?;
        }
        CaseCmd::List { conn, limit } => {
            let mut client = conn.client().await?;
            let cases = client
                .list_cases(pb::ListCasesRequest { limit })
                .await
                .map_err(status_error)?
                .into_inner()
                .cases;
            if json {
                let v: Vec<CaseJson> = cases.into_iter().map(|c| to_json(c, false)).collect();
                print_json(&v)?;
            } else {
                let mut t = table(vec![
                    lang.t("案件编号", "Case no."),
                    lang.t("登记单位", "Unit"),
                    lang.t("登记时间", "Registered"),
                    lang.t("信访人", "Petitioner"),
                    lang.t("诉求内容", "Demand"),
                ]);
                for c in &cases {
                    let demand: String = c.content.chars().take(30).collect();
                    t.add_row(vec![
                        c.case_no.clone(),
                        c.unit.clone(),
                        local_time(&c.registered_at),
                        c.petitioner.clone(),
                        demand,
                    ]);
                }
                println!("{t}");
                println!("{} {}", lang.t("共", "Total"), cases.len());
            }
        }
        CaseCmd::Note {
            conn,
            case_no,
            text,
        } => {
            let mut client = conn.client().await?;
            let c = client
                .add_note(pb::AddNoteRequest { case_no, text })
                .await
                .map_err(status_error)?
                .into_inner();
            show(c, json, lang)?;
        }
    }
    Ok(())
}
