//! `xinfang case register|show|list|note`.

use clap::Subcommand;
use serde::Serialize;
use xinfang_proto::v1 as pb;

use xinfang_node::lifecycle::{self, Body};

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
        #[command(flatten)]
        details: Box<RegisterDetails>,
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
    },
    /// Add a progress note to a case, as the node's unit
    Note {
        #[command(flatten)]
        conn: ConnArgs,
        case_no: String,
        #[arg(long)]
        text: String,
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
        /// The competent authority named in a not-accepted notice
        #[arg(long)]
        authority: Option<String>,
        /// Where a diverted matter goes
        #[arg(long, value_enum)]
        track: Option<lifecycle::Track>,
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
        #[arg(long)]
        reason: String,
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
    },
    /// Supervise (督办) the handling unit
    Supervise {
        #[command(flatten)]
        conn: ConnArgs,
        case_no: String,
        #[arg(long, value_enum)]
        method: lifecycle::Supervision,
        #[arg(long)]
        due: String,
        #[arg(long)]
        demand: String,
    },
    /// Send a replied case back for redoing (发回重新办理)
    SendBack {
        #[command(flatten)]
        conn: ConnArgs,
        case_no: String,
        #[arg(long)]
        reason: String,
    },
    /// Extend handling (at most 30 days in all), with approval
    Extend {
        #[command(flatten)]
        conn: ConnArgs,
        case_no: String,
        #[arg(long)]
        days: u32,
        #[arg(long)]
        reason: String,
        #[arg(long)]
        approved_by: String,
    },
    /// Reply to the petitioner with the written opinion
    Reply {
        #[command(flatten)]
        conn: ConnArgs,
        case_no: String,
        #[arg(long, value_enum)]
        opinion: lifecycle::Opinion,
        #[arg(long)]
        text: String,
    },
    /// Record the petitioner's rating of acceptance and handling
    Rate {
        #[command(flatten)]
        conn: ConnArgs,
        case_no: String,
        #[arg(long, value_enum)]
        acceptance: lifecycle::Satisfaction,
        #[arg(long, value_enum)]
        handling: lifecycle::Satisfaction,
    },
    /// The owning leader's approval opinion
    Approve {
        #[command(flatten)]
        conn: ConnArgs,
        case_no: String,
        #[arg(long)]
        leader: String,
        #[arg(long)]
        opinion: String,
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
        #[arg(long)]
        text: String,
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
        stage: lifecycle::Stage,
        /// Decide the open request with this opinion (by a superior of the handling unit)
        #[arg(long, value_enum)]
        decide: Option<lifecycle::Opinion>,
        #[arg(long, default_value = "")]
        text: String,
    },
}

/// The ledger elements of a registration (all optional).
#[derive(Debug, Clone, clap::Args)]
pub struct RegisterDetails {
    /// Resident identity number (GB 11643); stays in clear only at this node
    #[arg(long)]
    id_number: Option<String>,
    /// Stays in clear only at this node
    #[arg(long)]
    phone: Option<String>,
    #[arg(long)]
    address: Option<String>,
    /// visit, letter, online, phone or fax
    #[arg(long, default_value = "visit")]
    channel: String,
    /// Purpose code (advice, appeal, request, accusation, other)
    #[arg(long)]
    purpose: Option<String>,
    /// Content category code (see the classification)
    #[arg(long)]
    category: Option<String>,
    /// Subcategory name within the category
    #[arg(long)]
    subcategory: Option<String>,
    /// Unit code where the problem arose
    #[arg(long)]
    place: Option<String>,
    #[arg(long)]
    cause: Option<String>,
    #[arg(long)]
    receiving_leader: Option<String>,
    /// Unit code of the responsible unit
    #[arg(long)]
    responsible_unit: Option<String>,
    /// A group visit's representative (repeat, at most 5)
    #[arg(long = "representative")]
    representatives: Vec<String>,
    /// How many people came (group visits)
    #[arg(long, default_value_t = 0)]
    head_count: u32,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ScreenDecision {
    Accept,
    NotAccept,
    Discipline,
    Divert,
}

fn screening(
    decision: ScreenDecision,
    notice: Option<String>,
    authority: Option<String>,
    track: Option<lifecycle::Track>,
) -> anyhow::Result<lifecycle::Screening> {
    use lifecycle::Screening as S;
    let need = |v: Option<String>, flag: &str| {
        v.filter(|s| !s.trim().is_empty())
            .ok_or_else(|| anyhow::anyhow!("--{flag} is required for this decision"))
    };
    Ok(match decision {
        ScreenDecision::Accept => S::Accept,
        ScreenDecision::NotAccept => S::NotAccept {
            notice: need(notice, "notice")?,
            competent_authority: need(authority, "authority")?,
        },
        ScreenDecision::Discipline => S::Discipline {
            notice: need(notice, "notice")?,
        },
        ScreenDecision::Divert => S::Divert {
            track: track.ok_or_else(|| anyhow::anyhow!("--track is required to divert"))?,
            notice: need(notice, "notice")?,
        },
    })
}

fn unit_arg(flag: &str, v: &str) -> anyhow::Result<xinfang_hub::UnitCode> {
    v.parse().map_err(|e| anyhow::anyhow!("--{flag}: {e}"))
}

fn date_arg(flag: &str, v: &str) -> anyhow::Result<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .map_err(|_| anyhow::anyhow!("--{flag} {v:?}: expected a date as YYYY-MM-DD"))
}

/// Sends one lifecycle step and shows the case after it.
async fn act(
    conn: &ConnArgs,
    case_no: String,
    body: Body,
    json: bool,
    lang: Lang,
) -> anyhow::Result<()> {
    let mut client = conn.client().await?;
    let c = client
        .act(pb::ActRequest {
            case_no,
            record: serde_json::to_string(&body)?,
        })
        .await
        .map_err(status_error)?
        .into_inner();
    show(c, json, lang)
}

#[derive(Serialize)]
struct NoteJson {
    id: String,
    unit: String,
    text: String,
    at: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    by: String,
}

#[derive(Serialize)]
struct CaseJson {
    case_no: String,
    unit: String,
    petitioner: String,
    content: String,
    registered_at: String,
    /// The user who registered it (empty before accounts).
    #[serde(skip_serializing_if = "String::is_empty")]
    registered_by: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    notes: Option<Vec<NoteJson>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    scope: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    heads: Vec<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    status: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    handling_unit: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    lead_unit: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_deadline: Option<serde_json::Value>,
    overdue: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    closure_blockers: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    records: Vec<serde_json::Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    warnings: Vec<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    repeat_of: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    skip_level_of: String,
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    ledger: serde_json::Map<String, serde_json::Value>,
}

fn to_json(c: pb::CaseView, with_notes: bool) -> CaseJson {
    CaseJson {
        case_no: c.case_no,
        unit: c.unit,
        petitioner: c.petitioner,
        content: c.content,
        registered_at: c.registered_at,
        registered_by: c.registered_by,
        notes: with_notes.then(|| {
            c.notes
                .into_iter()
                .map(|n| NoteJson {
                    id: n.id,
                    unit: n.unit,
                    text: n.text,
                    at: n.at,
                    by: n.by,
                })
                .collect()
        }),
        scope: c.scope,
        heads: c.heads,
        status: c.status,
        handling_unit: c.handling_unit,
        lead_unit: c.lead_unit,
        next_deadline: c.next_deadline.map(|d| {
            serde_json::json!({"kind": d.kind, "unit": d.unit, "due": d.due, "overdue": d.overdue})
        }),
        overdue: c.overdue,
        closure_blockers: c.closure_blockers,
        records: c
            .records
            .iter()
            .filter_map(|r| serde_json::from_str(&r.json).ok())
            .collect(),
        warnings: c.warnings,
        repeat_of: c.repeat_of,
        skip_level_of: c.skip_level_of,
        ledger: [
            ("id_number", c.id_number),
            ("id_masked", c.id_masked),
            ("phone", c.phone),
            ("phone_masked", c.phone_masked),
            ("address", c.address),
            ("channel", c.channel),
            ("purpose", c.purpose),
            ("category", c.category),
            ("subcategory", c.subcategory),
            ("place", c.place),
            ("cause", c.cause),
            ("receiving_leader", c.receiving_leader),
            ("responsible_unit", c.responsible_unit),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k.to_owned(), serde_json::Value::String(v)))
        .collect(),
    }
}

fn status_label(s: &str, lang: Lang) -> &'static str {
    match s {
        "registered" => lang.t("已登记", "registered"),
        "accepted" => lang.t("已受理", "accepted"),
        "not_accepted" => lang.t("不予受理", "not accepted"),
        "to_discipline" => lang.t("已转纪检监察", "to discipline inspection"),
        "diverted" => lang.t("诉访分离", "diverted"),
        "routed" => lang.t("已转送/交办", "forwarded/assigned"),
        "handling" => lang.t("办理中", "handling"),
        "replied" => lang.t("已答复", "replied"),
        "closed" => lang.t("已结案", "closed"),
        "archived" => lang.t("已归档", "archived"),
        "under_review" => lang.t("复查中", "under review"),
        "reviewed" => lang.t("已复查", "reviewed"),
        "under_re_review" => lang.t("复核中", "under re-review"),
        "final" => lang.t("复核终结（不再受理）", "final (not accepted again)"),
        _ => lang.t("未知", "unknown"),
    }
}

fn step_label(kind: &str, lang: Lang) -> &'static str {
    match kind {
        "screening" => lang.t("甄别", "screening"),
        "forward" => lang.t("转送", "forward"),
        "assign" => lang.t("交办", "assign"),
        "objection" => lang.t("异议", "objection"),
        "lead_decision" => lang.t("确定主办单位", "lead unit"),
        "ownership" => lang.t("领导包案", "ownership"),
        "progress" => lang.t("办理进展", "progress"),
        "supervision" => lang.t("督办", "supervision"),
        "send_back" => lang.t("发回重办", "sent back"),
        "extension" => lang.t("延期", "extension"),
        "reply" => lang.t("答复", "reply"),
        "rating" => lang.t("满意度评价", "rating"),
        "leader_approval" => lang.t("领导审批", "leader approval"),
        "closure" => lang.t("结案", "closure"),
        "return_visit" => lang.t("回访", "return visit"),
        "archive" => lang.t("归档", "archive"),
        "review_request" => lang.t("复查/复核申请", "review request"),
        "review_decision" => lang.t("复查/复核意见", "review decision"),
        "contact_key" => lang.t("公布联系密钥", "contact key"),
        "sealed_contact" => lang.t("密封联系方式", "sealed contact"),
        _ => lang.t("其他", "other"),
    }
}

fn deadline_label(kind: &str, lang: Lang) -> &'static str {
    match kind {
        "route" => lang.t("转送交办期限", "route by"),
        "object" => lang.t("异议期限", "object by"),
        "notify" => lang.t("告知期限", "notify by"),
        "handle" => lang.t("办理期限", "handle by"),
        "supervision" => lang.t("督办期限", "supervision due"),
        "review_answer" => lang.t("复查复核答复期限", "review answer by"),
        _ => lang.t("期限", "due"),
    }
}

/// The record's own fields, briefly: `to=441521 due=2026-12-01`.
fn record_detail(json: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(json).unwrap_or_default();
    let mut parts = Vec::new();
    if let Some(body) = v["body"].as_object() {
        for (k, val) in body {
            // Certificates and ciphertext say nothing to a person.
            if k == "kind" || k == "cert_pem" || k == "sealed" {
                continue;
            }
            let text = match val {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Object(o) => o
                    .values()
                    .filter_map(|x| x.as_str().map(str::to_owned))
                    .collect::<Vec<_>>()
                    .join(" "),
                other => other.to_string(),
            };
            parts.push(format!("{k}={text}"));
        }
    }
    parts.join("  ")
}

fn print_timeline(c: &pb::CaseView, lang: Lang) {
    let mut t = table(vec![
        lang.t("时间", "Time"),
        lang.t("单位", "Unit"),
        lang.t("经办人", "By"),
        lang.t("环节", "Step"),
        lang.t("内容", "Detail"),
    ]);
    for r in &c.records {
        t.add_row(vec![
            local_time(&r.at),
            r.unit.clone(),
            if r.by.is_empty() {
                "—".to_owned()
            } else {
                r.by.clone()
            },
            step_label(&r.kind, lang).to_owned(),
            record_detail(&r.json),
        ]);
    }
    println!("{t}");
}

fn print_case(c: &pb::CaseView, lang: Lang) {
    println!("{}: {}", lang.t("案件编号", "Case no."), c.case_no);
    if !c.status.is_empty() {
        println!(
            "{}: {}",
            lang.t("状态", "Status"),
            status_label(&c.status, lang)
        );
        println!(
            "{}: {}",
            lang.t("办理单位", "Handling unit"),
            c.handling_unit
        );
        if !c.lead_unit.is_empty() {
            println!("{}: {}", lang.t("主办单位", "Lead unit"), c.lead_unit);
        }
        if let Some(d) = &c.next_deadline {
            println!(
                "{}: {} {} ({}){}",
                lang.t("下一期限", "Next deadline"),
                deadline_label(&d.kind, lang),
                d.due,
                d.unit,
                if d.overdue {
                    lang.t("  【已超期】", "  [OVERDUE]")
                } else {
                    ""
                }
            );
        }
        if !c.closure_blockers.is_empty() && c.status == "replied" {
            println!(
                "{}: {}",
                lang.t("结案条件未满足", "Cannot close yet"),
                c.closure_blockers.join("；")
            );
        }
        for w in &c.warnings {
            println!("{}: {w}", lang.t("提示", "Note"));
        }
    }
    println!("{}: {}", lang.t("登记单位", "Registered at"), c.unit);
    println!(
        "{}: {}",
        lang.t("登记时间", "Registered"),
        local_time(&c.registered_at)
    );
    if !c.registered_by.is_empty() {
        println!("{}: {}", lang.t("登记人", "Registered by"), c.registered_by);
    }
    println!("{}: {}", lang.t("信访人", "Petitioner"), c.petitioner);
    let taxonomy = xinfang_node::rules::taxonomy::Taxonomy::official().ok();
    let named =
        |code: &str, look: &dyn Fn(&xinfang_node::rules::taxonomy::Taxonomy) -> Option<String>| {
            taxonomy
                .as_ref()
                .and_then(look)
                .unwrap_or_else(|| code.to_owned())
        };
    let purpose = named(&c.purpose, &|t| {
        t.purpose(&c.purpose).ok().map(|e| e.name.clone())
    });
    let category = named(&c.category, &|t| {
        t.category(&c.category, None).ok().map(|e| e.name.clone())
    });
    let channel = match c.channel.as_str() {
        "visit" => lang.t("来访", "visit"),
        "letter" => lang.t("来信", "letter"),
        "online" => lang.t("网上信访", "online"),
        "phone" => lang.t("来电", "phone"),
        "fax" => lang.t("传真", "fax"),
        _ => "",
    }
    .to_owned();
    let id = if c.id_number.is_empty() {
        &c.id_masked
    } else {
        &c.id_number
    };
    let phone = if c.phone.is_empty() {
        &c.phone_masked
    } else {
        &c.phone
    };
    for (label, value) in [
        (lang.t("身份证号", "ID number"), id),
        (lang.t("联系电话", "Phone"), phone),
        (lang.t("住址", "Address"), &c.address),
        (lang.t("信访形式", "Channel"), &channel),
        (lang.t("信访目的", "Purpose"), &purpose),
        (lang.t("内容分类", "Category"), &category),
        (lang.t("子类", "Subcategory"), &c.subcategory),
        (lang.t("问题发生地", "Place"), &c.place),
        (lang.t("产生原因", "Cause"), &c.cause),
        (lang.t("接访领导", "Receiving leader"), &c.receiving_leader),
        (lang.t("责任单位", "Responsible unit"), &c.responsible_unit),
        (lang.t("重复信访，原案", "Repeat of"), &c.repeat_of),
        (
            lang.t("越级访，下级在办", "Skip-level over"),
            &c.skip_level_of,
        ),
    ] {
        if !value.is_empty() {
            println!("{label}: {value}");
        }
    }
    if !c.representatives.is_empty() {
        println!(
            "{}: {} ({} {})",
            lang.t("代表", "Representatives"),
            c.representatives.join("、"),
            lang.t("来访人数", "people"),
            c.head_count
        );
    }
    println!("{}: {}", lang.t("诉求内容", "Demand"), c.content);
    println!("{}: {}", lang.t("涉及单位", "Scope"), c.scope.join("、"));
    if !c.records.is_empty() {
        print_timeline(c, lang);
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
            details: x,
        } => {
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
        CaseCmd::List {
            conn,
            limit,
            status,
            subtree,
            category,
            overdue,
            repeat,
            skip_level,
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
                    let due = c.next_deadline.as_ref().map(|d| {
                        if d.overdue {
                            format!("{} {}", d.due, lang.t("超期", "overdue"))
                        } else {
                            d.due.clone()
                        }
                    });
                    let mut flags = Vec::new();
                    if !c.repeat_of.is_empty() {
                        flags.push(lang.t("重复", "repeat"));
                    }
                    if !c.skip_level_of.is_empty() {
                        flags.push(lang.t("越级", "skip-level"));
                    }
                    t.add_row(vec![
                        c.case_no.clone(),
                        c.unit.clone(),
                        local_time(&c.registered_at),
                        c.petitioner.clone(),
                        demand,
                        status_label(&c.status, lang).to_owned(),
                        c.handling_unit.clone(),
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
        } => {
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
            authority,
            track,
        } => {
            let decision = screening(decision, notice, authority, track)?;
            act(&conn, case_no, Body::Screening { decision }, json, lang).await?;
        }
        CaseCmd::Forward {
            conn,
            case_no,
            to,
            due,
        } => {
            let body = Body::Forward {
                to: unit_arg("to", &to)?,
                due: date_arg("due", &due)?,
            };
            act(&conn, case_no, body, json, lang).await?;
        }
        CaseCmd::Assign {
            conn,
            case_no,
            to,
            due,
        } => {
            let body = Body::Assign {
                to: unit_arg("to", &to)?,
                due: date_arg("due", &due)?,
            };
            act(&conn, case_no, body, json, lang).await?;
        }
        CaseCmd::Object {
            conn,
            case_no,
            reason,
        } => {
            act(&conn, case_no, Body::Objection { reason }, json, lang).await?;
        }
        CaseCmd::Lead {
            conn,
            case_no,
            lead,
        } => {
            let body = Body::LeadDecision {
                lead: unit_arg("lead", &lead)?,
            };
            act(&conn, case_no, body, json, lang).await?;
        }
        CaseCmd::Own {
            conn,
            case_no,
            leader,
        } => {
            let duties = lifecycle::Duty::all();
            act(
                &conn,
                case_no,
                Body::Ownership { leader, duties },
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
        } => {
            let body = Body::Supervision {
                method,
                due: date_arg("due", &due)?,
                demand,
            };
            act(&conn, case_no, body, json, lang).await?;
        }
        CaseCmd::SendBack {
            conn,
            case_no,
            reason,
        } => {
            act(&conn, case_no, Body::SendBack { reason }, json, lang).await?;
        }
        CaseCmd::Extend {
            conn,
            case_no,
            days,
            reason,
            approved_by,
        } => {
            act(
                &conn,
                case_no,
                Body::Extension {
                    days,
                    reason,
                    approved_by,
                },
                json,
                lang,
            )
            .await?;
        }
        CaseCmd::Reply {
            conn,
            case_no,
            opinion,
            text,
        } => {
            act(&conn, case_no, Body::Reply { opinion, text }, json, lang).await?;
        }
        CaseCmd::Rate {
            conn,
            case_no,
            acceptance,
            handling,
        } => {
            act(
                &conn,
                case_no,
                Body::Rating {
                    acceptance,
                    handling,
                },
                json,
                lang,
            )
            .await?;
        }
        CaseCmd::Approve {
            conn,
            case_no,
            leader,
            opinion,
        } => {
            act(
                &conn,
                case_no,
                Body::LeaderApproval { leader, opinion },
                json,
                lang,
            )
            .await?;
        }
        CaseCmd::Close {
            conn,
            case_no,
            facts_clear,
            handled_in_place,
            file_complete,
        } => {
            let body = Body::Closure {
                facts_clear,
                handled_in_place,
                file_complete,
            };
            act(&conn, case_no, body, json, lang).await?;
        }
        CaseCmd::Revisit {
            conn,
            case_no,
            text,
        } => {
            act(&conn, case_no, Body::ReturnVisit { text }, json, lang).await?;
        }
        CaseCmd::Archive { conn, case_no } => {
            act(&conn, case_no, Body::Archive, json, lang).await?;
        }
        CaseCmd::Review {
            conn,
            case_no,
            stage,
            decide,
            text,
        } => {
            let body = match decide {
                Some(opinion) => Body::ReviewDecision {
                    stage,
                    opinion,
                    text,
                },
                None => Body::ReviewRequest { stage },
            };
            act(&conn, case_no, body, json, lang).await?;
        }
    }
    Ok(())
}
