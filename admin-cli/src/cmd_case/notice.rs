//! `xinfang case notice|notices|notice-pdf|receipt`: the printed documents a
//! petitioner is owed. The node composes, numbers, records and draws them; the
//! CLI asks and writes the PDF where it is told.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Subcommand, ValueEnum};
use serde_json::json;
use xinfang_proto::v1 as pb;

use super::long_text::{MAX_NOTE_CHARS, text as long_text};
use crate::conn::{ConnArgs, status_error};
use crate::output::{Lang, print_json, table};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum NoticeKind {
    /// 受理告知书
    Acceptance,
    /// 不予受理告知书
    NonAcceptance,
    /// 转送/交办告知书
    Transfer,
    /// 延期办理告知书
    Extension,
    /// 信访处理意见书
    HandlingOpinion,
    /// 复查意见书
    ReviewOpinion,
    /// 复核意见书
    RereviewOpinion,
    /// 不再受理告知书
    NoFurtherAcceptance,
}

#[derive(Debug, Subcommand)]
pub enum NoticeCmd {
    /// Issue a printed notice on the case (composed from its records, numbered,
    /// recorded with its hash) and write the PDF
    Notice {
        #[command(flatten)]
        conn: ConnArgs,
        case_no: String,
        #[arg(long, value_enum)]
        kind: NoticeKind,
        /// The facts found (查明的事实); required for the three opinions
        #[arg(long)]
        facts: Option<String>,
        /// The facts from this file (UTF-8; `-`: standard input)
        #[arg(long, value_name = "PATH", conflicts_with = "facts")]
        facts_file: Option<PathBuf>,
        /// The legal or policy basis (依据); required for the three opinions
        #[arg(long)]
        basis: Option<String>,
        /// Anything to add to the body
        #[arg(long)]
        remarks: Option<String>,
        /// Where to write the PDF
        #[arg(long, value_name = "FILE")]
        pdf: PathBuf,
    },
    /// List the notices issued on the case
    Notices {
        #[command(flatten)]
        conn: ConnArgs,
        case_no: String,
    },
    /// Write an issued notice's PDF again, drawn from its record
    NoticePdf {
        #[command(flatten)]
        conn: ConnArgs,
        case_no: String,
        /// Its document number, as `notices` lists it (信受〔2026〕3号)
        doc_no: String,
        #[arg(long, value_name = "FILE")]
        pdf: PathBuf,
    },
    /// Reprint the registration's receipt (without the query code)
    Receipt {
        #[command(flatten)]
        conn: ConnArgs,
        case_no: String,
        #[arg(long, value_name = "FILE")]
        pdf: PathBuf,
    },
}

fn kind_code(k: NoticeKind) -> &'static str {
    match k {
        NoticeKind::Acceptance => "acceptance",
        NoticeKind::NonAcceptance => "non_acceptance",
        NoticeKind::Transfer => "transfer",
        NoticeKind::Extension => "extension",
        NoticeKind::HandlingOpinion => "handling_opinion",
        NoticeKind::ReviewOpinion => "review_opinion",
        NoticeKind::RereviewOpinion => "rereview_opinion",
        NoticeKind::NoFurtherAcceptance => "no_further_acceptance",
    }
}

pub async fn run(cmd: NoticeCmd, json: bool, lang: Lang) -> anyhow::Result<()> {
    match cmd {
        NoticeCmd::Notice {
            conn,
            case_no,
            kind,
            facts,
            facts_file,
            basis,
            remarks,
            pdf,
        } => {
            let facts = match (&facts, &facts_file) {
                (None, None) => String::new(),
                _ => long_text("facts", facts, facts_file, MAX_NOTE_CHARS)?,
            };
            let answer = conn
                .notices()
                .await?
                .issue_notice(pb::IssueNoticeRequest {
                    case_no,
                    kind: kind_code(kind).to_owned(),
                    facts,
                    basis: basis.unwrap_or_default(),
                    remarks: remarks.unwrap_or_default(),
                })
                .await
                .map_err(status_error)?
                .into_inner();
            written(answer, &pdf, json, lang)
        }
        NoticeCmd::Notices { conn, case_no } => {
            let list = conn
                .notices()
                .await?
                .list_notices(pb::ListNoticesRequest { case_no })
                .await
                .map_err(status_error)?
                .into_inner();
            if json {
                let rows: Vec<_> = list.notices.iter().map(summary_json).collect();
                return print_json(&json!(rows));
            }
            let mut t = table(vec![
                lang.t("文号", "number"),
                lang.t("文书", "notice"),
                lang.t("发文机关", "issuer"),
                lang.t("日期", "date"),
                "SHA-256",
            ]);
            for n in &list.notices {
                t.add_row(vec![
                    n.doc_no.clone(),
                    n.kind_label.clone(),
                    n.issuer.clone(),
                    n.date.clone(),
                    n.sha256.chars().take(16).collect(),
                ]);
            }
            println!("{t}");
            Ok(())
        }
        NoticeCmd::NoticePdf {
            conn,
            case_no,
            doc_no,
            pdf,
        } => {
            let answer = conn
                .notices()
                .await?
                .get_notice(pb::GetNoticeRequest { case_no, doc_no })
                .await
                .map_err(status_error)?
                .into_inner();
            written(answer, &pdf, json, lang)
        }
        NoticeCmd::Receipt { conn, case_no, pdf } => {
            let answer = conn
                .notices()
                .await?
                .get_receipt(pb::GetReceiptRequest {
                    case_no,
                    query_code: String::new(),
                })
                .await
                .map_err(status_error)?
                .into_inner();
            written(answer, &pdf, json, lang)
        }
    }
}

/// The receipt of a registration just made, with the query code its answer
/// carried, written to `path`; its document number.
pub(super) async fn receipt(
    conn: &ConnArgs,
    registered: &pb::CaseView,
    path: &Path,
) -> anyhow::Result<String> {
    let answer = conn
        .notices()
        .await?
        .get_receipt(pb::GetReceiptRequest {
            case_no: registered.case_no.clone(),
            query_code: registered.query_code.clone(),
        })
        .await
        .map_err(status_error)?
        .into_inner();
    std::fs::write(path, &answer.pdf)
        .with_context(|| format!("writing the receipt to {}", path.display()))?;
    Ok(answer.notice.unwrap_or_default().doc_no)
}

fn summary_json(n: &pb::NoticeSummary) -> serde_json::Value {
    json!({
        "kind": n.kind, "kind_label": n.kind_label, "doc_no": n.doc_no,
        "issuer": n.issuer, "date": n.date, "sha256": n.sha256,
    })
}

/// Writes the PDF and says what was written.
fn written(answer: pb::IssuedNotice, path: &Path, json: bool, lang: Lang) -> anyhow::Result<()> {
    std::fs::write(path, &answer.pdf)
        .with_context(|| format!("writing the PDF to {}", path.display()))?;
    let n = answer.notice.unwrap_or_default();
    if json {
        let mut v = summary_json(&n);
        v["pdf"] = json!(path.display().to_string());
        v["redrawn_differs"] = json!(answer.redrawn_differs);
        return print_json(&v);
    }
    println!(
        "{} {} {} → {}",
        n.kind_label,
        n.doc_no,
        lang.t("已写入", "written to"),
        path.display()
    );
    if answer.redrawn_differs {
        eprintln!(
            "{}",
            lang.t(
                "注意：重新生成的 PDF 与出具时的哈希不同（本机字体已变化），文字相同。",
                "note: the PDF drawn again differs from the one issued (this machine's fonts changed); the text is the same."
            )
        );
    }
    Ok(())
}
