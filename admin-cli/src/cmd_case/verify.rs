//! The steps Reg-2022 asks for beside handling itself: the sending office's
//! verification of an objection (核实, art. 23), the written notice owed within
//! 15 days (告知, art. 23), the major or urgent flag (重大、紧急信访事项), and the
//! record that the petitioner will not state an opinion (拒不表态), which meets
//! that closure condition (五不结案), and visits to higher authorities (赴省进京上访).

use std::path::PathBuf;

use clap::Subcommand;
use serde_json::json;

use super::act;
use super::long_text::{MAX_NOTE_CHARS, text as long_text};
use crate::conn::ConnArgs;
use crate::output::Lang;

#[derive(Debug, Subcommand)]
pub enum VerifyCmd {
    /// As the office that routed the case, verify an objection: --agree returns the
    /// case to this office; without it the receiving unit stays responsible
    VerifyObjection {
        #[command(flatten)]
        conn: ConnArgs,
        case_no: String,
        #[arg(long)]
        agree: bool,
        #[arg(long, required_unless_present = "reason_file")]
        reason: Option<String>,
        /// The reason from this file (UTF-8; `-`: standard input)
        #[arg(long, value_name = "PATH", conflicts_with = "reason")]
        reason_file: Option<PathBuf>,
    },
    /// Record the written notice issued to the petitioner (within 15 days)
    Notify {
        #[command(flatten)]
        conn: ConnArgs,
        case_no: String,
        #[arg(long, required_unless_present = "text_file")]
        text: Option<String>,
        /// The text from this file (UTF-8; `-`: standard input)
        #[arg(long, value_name = "PATH", conflicts_with = "text")]
        text_file: Option<PathBuf>,
    },
    /// Flag a major (or, --urgent, an urgent) matter with its reason: every superior
    /// sees it, and it needs an owning leader in time (limits: major_ownership)
    Major {
        #[command(flatten)]
        conn: ConnArgs,
        case_no: String,
        #[arg(long)]
        urgent: bool,
        #[arg(long)]
        reason: String,
    },
    /// Record a visit by the petitioner to the provincial (--to province, 赴省) or
    /// national (--to capital, 进京) authorities on this matter: the unit's rules
    /// may require its principal leader to own the case, and repeats escalate it
    HigherVisit {
        #[command(flatten)]
        conn: ConnArgs,
        case_no: String,
        #[arg(long, value_parser = ["province", "capital"])]
        to: String,
        /// The day of the visit (YYYY-MM-DD)
        #[arg(long)]
        on: String,
        /// Where (e.g. 国家信访局来访接待司)
        #[arg(long)]
        place: String,
    },
    /// As the registering office, confirm that the case skips over an open case
    /// below that registration offered as a candidate (越级访, art. 19): it is then
    /// not accepted here
    ConfirmSkipLevel {
        #[command(flatten)]
        conn: ConnArgs,
        case_no: String,
        /// The case below
        #[arg(long)]
        of: String,
    },
    /// Merge the case's petitioner with another case's: one person registered
    /// twice without a number linking them (their histories are found together)
    MergePetitioner {
        #[command(flatten)]
        conn: ConnArgs,
        case_no: String,
        /// The other case, whose petitioner is the same person
        #[arg(long = "with")]
        with: String,
        /// Why they are one person
        #[arg(long)]
        reason: String,
    },
    /// Record that the petitioner will not state an opinion, with the circumstances
    NoOpinion {
        #[command(flatten)]
        conn: ConnArgs,
        case_no: String,
        #[arg(long)]
        circumstances: String,
    },
}

pub async fn run(cmd: VerifyCmd, json: bool, lang: Lang) -> anyhow::Result<()> {
    match cmd {
        VerifyCmd::VerifyObjection {
            conn,
            case_no,
            agree,
            reason,
            reason_file,
        } => {
            let reason = long_text("reason", reason, reason_file, MAX_NOTE_CHARS)?;
            let fields = json!({"agree": agree, "reason": reason});
            act(&conn, case_no, "objection_decision", fields, json, lang).await
        }
        VerifyCmd::Notify {
            conn,
            case_no,
            text,
            text_file,
        } => {
            let text = long_text("text", text, text_file, MAX_NOTE_CHARS)?;
            act(
                &conn,
                case_no,
                "notice",
                json!({ "text": text }),
                json,
                lang,
            )
            .await
        }
        VerifyCmd::Major {
            conn,
            case_no,
            urgent,
            reason,
        } => {
            let fields = json!({"urgent": urgent, "reason": reason});
            act(&conn, case_no, "major", fields, json, lang).await
        }
        VerifyCmd::HigherVisit {
            conn,
            case_no,
            to,
            on,
            place,
        } => {
            let fields = json!({"to": to, "on": on, "place": place});
            act(&conn, case_no, "higher_visit", fields, json, lang).await
        }
        VerifyCmd::ConfirmSkipLevel { conn, case_no, of } => {
            act(
                &conn,
                case_no,
                "skip_level_link",
                json!({ "of": of }),
                json,
                lang,
            )
            .await
        }
        VerifyCmd::MergePetitioner {
            conn,
            case_no,
            with,
            reason,
        } => {
            let fields = json!({ "of": with, "reason": reason });
            act(&conn, case_no, "same_petitioner", fields, json, lang).await
        }
        VerifyCmd::NoOpinion {
            conn,
            case_no,
            circumstances,
        } => {
            let fields = json!({ "circumstances": circumstances });
            act(&conn, case_no, "no_opinion", fields, json, lang).await
        }
    }
}
