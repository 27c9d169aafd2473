//! `xinfang case register|show|list|note|timeline` and the steps on a case
//! (`screen`, `forward`, … `review`). A client of the node's API: it sends each
//! step as the record JSON the API takes, and shows the case as the node's view
//! carries it (labels in the language asked for, units by name).

mod args;
mod fields;
mod long_text;
mod notice;
mod reception;
mod render;
mod verify;

use std::path::PathBuf;

use clap::Subcommand;
use serde_json::{Value, json};
use xinfang_proto::v1 as pb;

use crate::conn::{ConnArgs, status_error};
use crate::output::{Lang, local_time, print_json, table};
pub use args::{Method, Opinion, RegisterDetails, Satisfaction, ScreenDecision, Stage, Track};
use fields::{code, date_arg, screening, unit_arg};
use long_text::{MAX_CONTENT_CHARS, MAX_NOTE_CHARS, text as long_text};
use render::{CaseJson, named, print_query_code, print_timeline, show, to_json};

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
        #[arg(long, required_unless_present = "content_file")]
        content: Option<String>,
        /// The demand from this file (UTF-8; `-`: standard input)
        #[arg(long, value_name = "PATH", conflicts_with = "content")]
        content_file: Option<PathBuf>,
        #[command(flatten)]
        details: Box<RegisterDetails>,
        /// Write the receipt (回执, PDF, with the query code) to this file
        #[arg(long, value_name = "FILE")]
        receipt: Option<PathBuf>,
    },
    /// Issue the case a new query code for the petitioner (registrars, at the
    /// registering unit's node); the old code stops working
    ReissueCode {
        #[command(flatten)]
        conn: ConnArgs,
        /// Case number
        case_no: String,
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
        /// Only cases in this status (registered, accepted, routed, handling, replied, closed, …)
        #[arg(long)]
        status: Option<String>,
        /// Only cases registered or handled in this unit's subtree
        #[arg(long)]
        subtree: Option<String>,
        /// Only this content category (code from the classification)
        #[arg(long)]
        category: Option<String>,
        /// Only cases past their next deadline
        #[arg(long)]
        overdue: bool,
        /// Only repeat petitions (重复信访)
        #[arg(long)]
        repeat: bool,
        /// Only skip-level petitions (越级访)
        #[arg(long)]
        skip_level: bool,
        /// Only cases handled here under a superior's supervision demand (上级督办),
        /// soonest due first
        #[arg(long)]
        supervised: bool,
        /// A case number or a petitioner's name, in part
        #[arg(long)]
        search: Option<String>,
        /// Every case of the petitioner with this identity number that the node
        /// holds, across its subtree (信访人的信访史; by the keyed hash, audited)
        #[arg(long)]
        id_number: Option<String>,
        /// Likewise, by the petitioner's phone number
        #[arg(long)]
        phone: Option<String>,
    },
    /// Add a progress note to a case, as the node's unit
    Note {
        #[command(flatten)]
        conn: ConnArgs,
        case_no: String,
        #[arg(long, required_unless_present = "text_file")]
        text: Option<String>,
        /// The text from this file (UTF-8; `-`: standard input)
        #[arg(long, value_name = "PATH", conflicts_with = "text")]
        text_file: Option<PathBuf>,
    },
    /// Show a case's history, step by step
    Timeline {
        #[command(flatten)]
        conn: ConnArgs,
        case_no: String,
    },
    /// Screen (甄别): accept, or not accept / discipline inspection / divert, with the notice
    Screen {
        #[command(flatten)]
        conn: ConnArgs,
        case_no: String,
        #[arg(long, value_enum)]
        decision: ScreenDecision,
        /// The written notice to the petitioner (all decisions but accept)
        #[arg(long)]
        notice: Option<String>,
        /// The notice from this file (UTF-8; `-`: standard input)
        #[arg(long, value_name = "PATH", conflicts_with = "notice")]
        notice_file: Option<PathBuf>,
        /// The competent authority named in a not-accepted notice
        #[arg(long)]
        authority: Option<String>,
        /// Where a diverted matter goes
        #[arg(long, value_enum)]
        track: Option<Track>,
    },
    /// Forward (转送) to the competent unit, with a due date
    Forward {
        #[command(flatten)]
        conn: ConnArgs,
        case_no: String,
        #[arg(long)]
        to: String,
        /// YYYY-MM-DD
        #[arg(long)]
        due: String,
    },
    /// Assign (交办) to a unit below, with a due date
    Assign {
        #[command(flatten)]
        conn: ConnArgs,
        case_no: String,
        #[arg(long)]
        to: String,
        #[arg(long)]
        due: String,
    },
    /// Object that a routed matter is not this unit's (within 5 working days)
    Object {
        #[command(flatten)]
        conn: ConnArgs,
        case_no: String,
        #[arg(long, required_unless_present = "reason_file")]
        reason: Option<String>,
        /// The reason from this file (UTF-8; `-`: standard input)
        #[arg(long, value_name = "PATH", conflicts_with = "reason")]
        reason_file: Option<PathBuf>,
    },
    /// Decide the lead unit (主办单位): only the common superior may
    Lead {
        #[command(flatten)]
        conn: ConnArgs,
        case_no: String,
        #[arg(long = "lead")]
        lead: String,
    },
    /// A leader takes ownership (领导包案) with the five duties (五包)
    Own {
        #[command(flatten)]
        conn: ConnArgs,
        case_no: String,
        #[arg(long)]
        leader: String,
        /// The leader is this unit's principal leader (主要领导), as a case taken to
        /// higher authorities may require
        #[arg(long)]
        principal: bool,
        /// A member of the case's work group (工作专班), e.g. 王科长（县住建局）
        /// (repeatable)
        #[arg(long = "work-group", value_name = "MEMBER")]
        work_group: Vec<String>,
    },
    /// Supervise (督办) the handling unit
    Supervise {
        #[command(flatten)]
        conn: ConnArgs,
        case_no: String,
        #[arg(long, value_enum)]
        method: Method,
        #[arg(long)]
        due: String,
        #[arg(long, required_unless_present = "demand_file")]
        demand: Option<String>,
        /// The demand from this file (UTF-8; `-`: standard input)
        #[arg(long, value_name = "PATH", conflicts_with = "demand")]
        demand_file: Option<PathBuf>,
    },
    /// Send a replied case back for redoing (发回重新办理)
    SendBack {
        #[command(flatten)]
        conn: ConnArgs,
        case_no: String,
        #[arg(long, required_unless_present = "reason_file")]
        reason: Option<String>,
        /// The reason from this file (UTF-8; `-`: standard input)
        #[arg(long, value_name = "PATH", conflicts_with = "reason")]
        reason_file: Option<PathBuf>,
    },
    /// Extend handling (at most 30 days in all), with approval
    Extend {
        #[command(flatten)]
        conn: ConnArgs,
        case_no: String,
        #[arg(long)]
        days: u32,
        #[arg(long, required_unless_present = "reason_file")]
        reason: Option<String>,
        /// The reason from this file (UTF-8; `-`: standard input)
        #[arg(long, value_name = "PATH", conflicts_with = "reason")]
        reason_file: Option<PathBuf>,
        #[arg(long)]
        approved_by: String,
    },
    /// Reply to the petitioner with the written opinion
    Reply {
        #[command(flatten)]
        conn: ConnArgs,
        case_no: String,
        #[arg(long, value_enum)]
        opinion: Opinion,
        #[arg(long, required_unless_present = "text_file")]
        text: Option<String>,
        /// The text from this file (UTF-8; `-`: standard input)
        #[arg(long, value_name = "PATH", conflicts_with = "text")]
        text_file: Option<PathBuf>,
    },
    /// Record the petitioner's rating of acceptance and handling
    Rate {
        #[command(flatten)]
        conn: ConnArgs,
        case_no: String,
        #[arg(long, value_enum)]
        acceptance: Satisfaction,
        #[arg(long, value_enum)]
        handling: Satisfaction,
    },
    /// The owning leader's approval opinion
    Approve {
        #[command(flatten)]
        conn: ConnArgs,
        case_no: String,
        #[arg(long)]
        leader: String,
        #[arg(long, required_unless_present = "opinion_file")]
        opinion: Option<String>,
        /// The opinion from this file (UTF-8; `-`: standard input)
        #[arg(long, value_name = "PATH", conflicts_with = "opinion")]
        opinion_file: Option<PathBuf>,
    },
    /// Close (结案): refused, naming them, while any of the five conditions fails
    Close {
        #[command(flatten)]
        conn: ConnArgs,
        case_no: String,
        #[arg(long)]
        facts_clear: bool,
        #[arg(long)]
        handled_in_place: bool,
        #[arg(long)]
        file_complete: bool,
    },
    /// Record a return visit (回访)
    Revisit {
        #[command(flatten)]
        conn: ConnArgs,
        case_no: String,
        #[arg(long, required_unless_present = "text_file")]
        text: Option<String>,
        /// The text from this file (UTF-8; `-`: standard input)
        #[arg(long, value_name = "PATH", conflicts_with = "text")]
        text_file: Option<PathBuf>,
    },
    /// Archive a closed case (销号存档)
    Archive {
        #[command(flatten)]
        conn: ConnArgs,
        case_no: String,
    },
    /// Record a review (复查) or re-review (复核) request, or decide one with --decide
    Review {
        #[command(flatten)]
        conn: ConnArgs,
        case_no: String,
        #[arg(long, value_enum, default_value = "review")]
        stage: Stage,
        /// Decide the open request with this opinion (by the superior of the unit whose
        /// opinion or review is contested)
        #[arg(long, value_enum)]
        decide: Option<Opinion>,
        #[arg(long)]
        text: Option<String>,
        /// The text from this file (UTF-8; `-`: standard input)
        #[arg(long, value_name = "PATH", conflicts_with = "text")]
        text_file: Option<PathBuf>,
    },
    #[command(flatten)]
    Verify(verify::VerifyCmd),
    #[command(flatten)]
    Notice(notice::NoticeCmd),
    #[command(flatten)]
    Reception(reception::ReceptionCmd),
}

/// Sends one lifecycle step (`kind` and its fields) and shows the case after it.
async fn act(
    conn: &ConnArgs,
    case_no: String,
    kind: &str,
    fields: Value,
    json: bool,
    lang: Lang,
) -> anyhow::Result<()> {
    let mut record = fields;
    if let Value::Object(m) = &mut record {
        m.insert("kind".into(), Value::String(kind.to_owned()));
    }
    let mut client = conn.client().await?;
    let c = client
        .act(pb::ActRequest {
            case_no,
            record: record.to_string(),
        })
        .await
        .map_err(status_error)?
        .into_inner();
    show(c, json, lang)
}

pub async fn run(cmd: CaseCmd, json: bool, lang: Lang) -> anyhow::Result<()> {
    match cmd {
        CaseCmd::Register {
            conn,
            petitioner,
            content,
            content_file,
            details: x,
            receipt,
        } => {
            let content = long_text("content", content, content_file, MAX_CONTENT_CHARS)?;
            let mut client = conn.client().await?;
            let unit = conn.acting_unit()?;
            let c = client
                .register_case(pb::RegisterCaseRequest {
                    unit: unit.to_string(),
                    petitioner,
                    content,
                    id_number: x.id_number.unwrap_or_default(),
                    phone: x.phone.unwrap_or_default(),
                    address: x.address.unwrap_or_default(),
                    channel: x.channel,
                    purpose: x.purpose.unwrap_or_default(),
                    category: x.category.unwrap_or_default(),
                    subcategory: x.subcategory.unwrap_or_default(),
                    place: x.place.unwrap_or_default(),
                    cause: x.cause.unwrap_or_default(),
                    receiving_leader: x.receiving_leader.unwrap_or_default(),
                    responsible_unit: x.responsible_unit.unwrap_or_default(),
                    representatives: x.representatives,
                    head_count: x.head_count,
                    major_reason: x.major.unwrap_or_default(),
                    urgent: x.urgent,
                })
                .await
                .map_err(status_error)?
                .into_inner();
            let receipt = match receipt {
                Some(path) => Some((notice::receipt(&conn, &c, &path).await?, path)),
                None => None,
            };
            if json {
                print_json(&to_json(c, true))?;
            } else {
                println!("{} {}", lang.t("已登记", "Registered"), c.case_no);
                print_query_code(&c.query_code, lang);
                if let Some((doc_no, path)) = &receipt {
                    println!(
                        "{} {doc_no} {} {}",
                        lang.t("回执", "Receipt"),
                        lang.t("已写入", "written to"),
                        path.display()
                    );
                }
                for below in &c.skip_level_candidates {
                    println!(
                        "{} {below}{}",
                        lang.t(
                            "可能是越级访：同一信访人、同一责任单位的下级在办事项",
                            "possibly skip-level: the same petitioner's open case below with the same responsible unit,"
                        ),
                        lang.t(
                            "（确认：xinfang case confirm-skip-level）",
                            " (confirm: xinfang case confirm-skip-level)"
                        )
                    );
                }
            }
        }
        CaseCmd::ReissueCode { conn, case_no } => {
            let mut client = conn.client().await?;
            let c = client
                .reissue_query_code(pb::ReissueQueryCodeRequest { case_no })
                .await
                .map_err(status_error)?
                .into_inner();
            if json {
                print_json(&to_json(c, false))?;
            } else {
                println!("{} {}", lang.t("案件编号", "Case no."), c.case_no);
                print_query_code(&c.query_code, lang);
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
        CaseCmd::List {
            conn,
            limit,
            status,
            subtree,
            category,
            overdue,
            repeat,
            skip_level,
            supervised,
            search,
            id_number,
            phone,
        } => {
            let mut client = conn.client().await?;
            let cases = client
                .list_cases(pb::ListCasesRequest {
                    limit,
                    status: status.unwrap_or_default(),
                    subtree: subtree.unwrap_or_default(),
                    category: category.unwrap_or_default(),
                    overdue,
                    repeat,
                    skip_level,
                    supervised_here: supervised,
                    search: search.unwrap_or_default(),
                    id_number: id_number.unwrap_or_default(),
                    phone: phone.unwrap_or_default(),
                })
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
                    lang.t("状态", "Status"),
                    lang.t("办理单位", "Handling"),
                    lang.t("期限", "Due"),
                    lang.t("标记", "Flags"),
                ]);
                for c in &cases {
                    let demand: String = c.content.chars().take(20).collect();
                    // Under supervision, the demand's due day is the one to show.
                    let due = c
                        .supervision
                        .as_ref()
                        .or(c.next_deadline.as_ref())
                        .map(|d| {
                            if d.overdue {
                                format!("{} {}", d.due, lang.t("超期", "overdue"))
                            } else {
                                d.due.clone()
                            }
                        });
                    let mut flags = Vec::new();
                    if !c.repeat_of.is_empty() {
                        flags.push(lang.t("重复", "repeat").to_owned());
                    }
                    if !c.skip_level_of.is_empty() {
                        flags.push(lang.t("越级", "skip-level").to_owned());
                    }
                    if let Some(s) = &c.supervision {
                        flags.push(format!(
                            "{}:{}",
                            lang.t("督办", "supervised"),
                            named(&s.unit_name, &s.unit)
                        ));
                    }
                    t.add_row(vec![
                        c.case_no.clone(),
                        named(&c.unit_name, &c.unit),
                        local_time(&c.registered_at),
                        c.petitioner.clone(),
                        demand,
                        c.status_label.clone(),
                        named(&c.handling_unit_name, &c.handling_unit),
                        due.unwrap_or_default(),
                        flags.join(" "),
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
            text_file,
        } => {
            let text = long_text("text", text, text_file, MAX_NOTE_CHARS)?;
            let mut client = conn.client().await?;
            let c = client
                .add_note(pb::AddNoteRequest { case_no, text })
                .await
                .map_err(status_error)?
                .into_inner();
            show(c, json, lang)?;
        }
        CaseCmd::Timeline { conn, case_no } => {
            let mut client = conn.client().await?;
            let c = client
                .get_case(pb::GetCaseRequest { case_no })
                .await
                .map_err(status_error)?
                .into_inner();
            if json {
                print_json(&to_json(c, true).records)?;
            } else {
                print_timeline(&c, lang);
            }
        }
        CaseCmd::Screen {
            conn,
            case_no,
            decision,
            notice,
            notice_file,
            authority,
            track,
        } => {
            let notice = match (notice, notice_file) {
                (None, None) => None,
                (n, f) => Some(long_text("notice", n, f, MAX_NOTE_CHARS)?),
            };
            let decision = screening(decision, notice, authority, track)?;
            act(
                &conn,
                case_no,
                "screening",
                json!({ "decision": decision }),
                json,
                lang,
            )
            .await?;
        }
        CaseCmd::Forward {
            conn,
            case_no,
            to,
            due,
        } => {
            let fields = json!({"to": unit_arg("to", &to)?, "due": date_arg("due", &due)?});
            act(&conn, case_no, "forward", fields, json, lang).await?;
        }
        CaseCmd::Assign {
            conn,
            case_no,
            to,
            due,
        } => {
            let fields = json!({"to": unit_arg("to", &to)?, "due": date_arg("due", &due)?});
            act(&conn, case_no, "assign", fields, json, lang).await?;
        }
        CaseCmd::Object {
            conn,
            case_no,
            reason,
            reason_file,
        } => {
            let reason = long_text("reason", reason, reason_file, MAX_NOTE_CHARS)?;
            act(
                &conn,
                case_no,
                "objection",
                json!({ "reason": reason }),
                json,
                lang,
            )
            .await?;
        }
        CaseCmd::Lead {
            conn,
            case_no,
            lead,
        } => {
            let fields = json!({ "lead": unit_arg("lead", &lead)? });
            act(&conn, case_no, "lead_decision", fields, json, lang).await?;
        }
        CaseCmd::Own {
            conn,
            case_no,
            leader,
            principal,
            work_group,
        } => {
            // The node takes all five duties (五包) when none are named.
            act(
                &conn,
                case_no,
                "ownership",
                json!({ "leader": leader, "principal": principal, "work_group": work_group }),
                json,
                lang,
            )
            .await?;
        }
        CaseCmd::Supervise {
            conn,
            case_no,
            method,
            due,
            demand,
            demand_file,
        } => {
            let demand = long_text("demand", demand, demand_file, MAX_NOTE_CHARS)?;
            let fields = json!({
                "method": code(method),
                "due": date_arg("due", &due)?,
                "demand": demand,
            });
            act(&conn, case_no, "supervision", fields, json, lang).await?;
        }
        CaseCmd::SendBack {
            conn,
            case_no,
            reason,
            reason_file,
        } => {
            let reason = long_text("reason", reason, reason_file, MAX_NOTE_CHARS)?;
            act(
                &conn,
                case_no,
                "send_back",
                json!({ "reason": reason }),
                json,
                lang,
            )
            .await?;
        }
        CaseCmd::Extend {
            conn,
            case_no,
            days,
            reason,
            reason_file,
            approved_by,
        } => {
            let reason = long_text("reason", reason, reason_file, MAX_NOTE_CHARS)?;
            let fields = json!({"days": days, "reason": reason, "approved_by": approved_by});
            act(&conn, case_no, "extension", fields, json, lang).await?;
        }
        CaseCmd::Reply {
            conn,
            case_no,
            opinion,
            text,
            text_file,
        } => {
            let text = long_text("text", text, text_file, MAX_NOTE_CHARS)?;
            let fields = json!({"opinion": code(opinion), "text": text});
            act(&conn, case_no, "reply", fields, json, lang).await?;
        }
        CaseCmd::Rate {
            conn,
            case_no,
            acceptance,
            handling,
        } => {
            let fields = json!({"acceptance": code(acceptance), "handling": code(handling)});
            act(&conn, case_no, "rating", fields, json, lang).await?;
        }
        CaseCmd::Approve {
            conn,
            case_no,
            leader,
            opinion,
            opinion_file,
        } => {
            let opinion = long_text("opinion", opinion, opinion_file, MAX_NOTE_CHARS)?;
            let fields = json!({"leader": leader, "opinion": opinion});
            act(&conn, case_no, "leader_approval", fields, json, lang).await?;
        }
        CaseCmd::Close {
            conn,
            case_no,
            facts_clear,
            handled_in_place,
            file_complete,
        } => {
            let fields = json!({
                "facts_clear": facts_clear,
                "handled_in_place": handled_in_place,
                "file_complete": file_complete,
            });
            act(&conn, case_no, "closure", fields, json, lang).await?;
        }
        CaseCmd::Revisit {
            conn,
            case_no,
            text,
            text_file,
        } => {
            let text = long_text("text", text, text_file, MAX_NOTE_CHARS)?;
            act(
                &conn,
                case_no,
                "return_visit",
                json!({ "text": text }),
                json,
                lang,
            )
            .await?;
        }
        CaseCmd::Archive { conn, case_no } => {
            act(&conn, case_no, "archive", json!({}), json, lang).await?;
        }
        CaseCmd::Review {
            conn,
            case_no,
            stage,
            decide,
            text,
            text_file,
        } => match decide {
            Some(opinion) => {
                let text = long_text("text", text, text_file, MAX_NOTE_CHARS)?;
                let fields = json!({"stage": code(stage), "opinion": code(opinion), "text": text});
                act(&conn, case_no, "review_decision", fields, json, lang).await?;
            }
            None => {
                let fields = json!({ "stage": code(stage) });
                act(&conn, case_no, "review_request", fields, json, lang).await?;
            }
        },
        CaseCmd::Verify(cmd) => verify::run(cmd, json, lang).await?,
        CaseCmd::Notice(cmd) => notice::run(cmd, json, lang).await?,
        CaseCmd::Reception(cmd) => reception::run(cmd, json, lang).await?,
    }
    Ok(())
}
