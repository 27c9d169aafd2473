//! `xinfang accountability suggest|confirm|dismiss|record|list|report|situations`:
//! accountability on record (追责) about units below. The node checks, suggests
//! and records; the CLI sends and shows.

use clap::Subcommand;
use xinfang_proto::v1 as pb;
use xinfang_proto::v1::accountability_client::AccountabilityClient;

use crate::conn::{ConnArgs, status_error};
use crate::output::{Lang, print_json, table};

#[derive(Debug, Subcommand)]
pub enum AccountabilityCmd {
    /// Suggested cases from the evidence this node holds, to confirm or dismiss
    Suggest {
        #[command(flatten)]
        conn: ConnArgs,
    },
    /// Record the case a suggestion proposes
    Confirm {
        #[command(flatten)]
        conn: ConnArgs,
        /// The suggestion's key (from `suggest`)
        key: String,
        /// notice (通报) | admonition (诫勉) | reassignment (组织调整) | discipline (纪律处分)
        #[arg(long)]
        form: String,
        /// The facts and the decision (default: the suggestion's reason)
        #[arg(long, default_value = "")]
        text: String,
        /// leader:NAME or staff:USER (repeatable; needed when the suggestion names nobody)
        #[arg(long = "person")]
        people: Vec<String>,
        /// Another situation than the suggestion's (see `situations`)
        #[arg(long, default_value = "")]
        situation: String,
        #[arg(long, default_value = "")]
        date: String,
    },
    /// Dismiss a suggestion with a reason; it is not suggested again
    Dismiss {
        #[command(flatten)]
        conn: ConnArgs,
        key: String,
        #[arg(long)]
        reason: String,
    },
    /// Record a case about a unit below this one
    Record {
        #[command(flatten)]
        conn: ConnArgs,
        /// The unit concerned (code)
        #[arg(long = "about", value_name = "UNIT")]
        concerned: String,
        /// leader:NAME (on the unit's roster) or staff:USER (repeatable)
        #[arg(long = "person", required = true)]
        people: Vec<String>,
        /// A situation code (see `situations`)
        #[arg(long)]
        situation: String,
        /// notice | admonition | reassignment | discipline
        #[arg(long)]
        form: String,
        /// case:NO | attendance:UNIT/YYYY-MM/RECORD | attendance:UNIT/YYYY-MM-DD/LEADER |
        /// filing:UNIT/YYYY-MM (repeatable)
        #[arg(long = "evidence")]
        evidence: Vec<String>,
        #[arg(long)]
        text: String,
        #[arg(long, default_value = "")]
        date: String,
    },
    /// The cases about a unit (default: this node's)
    List {
        #[command(flatten)]
        conn: ConnArgs,
        #[arg(long = "about", default_value = "")]
        about: String,
        #[arg(long, default_value = "")]
        from: String,
        #[arg(long, default_value = "")]
        to: String,
    },
    /// The cases counted by unit and situation
    Report {
        #[command(flatten)]
        conn: ConnArgs,
        #[arg(long = "about", default_value = "")]
        about: String,
        #[arg(long, default_value = "")]
        from: String,
        #[arg(long, default_value = "")]
        to: String,
    },
    /// The situations (art. 14) and forms (art. 15) of the rule set
    Situations {
        #[command(flatten)]
        conn: ConnArgs,
    },
}

fn show(list: &[pb::AccountabilityView], json: bool, lang: Lang) -> anyhow::Result<()> {
    if json {
        return print_json(&list);
    }
    let mut t = table(vec![
        lang.t("日期", "date"),
        lang.t("追责单位", "by"),
        lang.t("被追责单位", "unit"),
        lang.t("责任人", "people"),
        lang.t("情形", "situation"),
        lang.t("方式", "form"),
        lang.t("依据", "evidence"),
    ]);
    for c in list {
        t.add_row(vec![
            c.date.clone(),
            c.issuer_name.clone(),
            c.unit_name.clone(),
            c.people.join("、"),
            c.situation_label.clone(),
            c.form_label.clone(),
            c.evidence
                .iter()
                .map(|e| e.text.clone())
                .collect::<Vec<_>>()
                .join("；"),
        ]);
    }
    println!("{t}");
    Ok(())
}

pub async fn run(cmd: AccountabilityCmd, json: bool, lang: Lang) -> anyhow::Result<()> {
    match cmd {
        AccountabilityCmd::Suggest { conn } => {
            let l = AccountabilityClient::new(conn.channel().await?)
                .suggest(pb::SuggestAccountabilityRequest {})
                .await
                .map_err(status_error)?
                .into_inner();
            if json {
                return print_json(&l);
            }
            let mut t = table(vec![
                lang.t("编号", "key"),
                lang.t("单位", "unit"),
                lang.t("责任人", "people"),
                lang.t("情形", "situation"),
                lang.t("事由", "reason"),
                lang.t("依据", "evidence"),
            ]);
            for s in &l.suggestions {
                t.add_row(vec![
                    s.key.clone(),
                    s.unit_name.clone(),
                    s.people.join("、"),
                    s.situation_label.clone(),
                    s.reason.clone(),
                    s.evidence
                        .iter()
                        .map(|e| e.link.clone())
                        .collect::<Vec<_>>()
                        .join(" "),
                ]);
            }
            println!("{t}");
            Ok(())
        }
        AccountabilityCmd::Confirm {
            conn,
            key,
            form,
            text,
            people,
            situation,
            date,
        } => {
            let c = AccountabilityClient::new(conn.channel().await?)
                .confirm(pb::ConfirmSuggestionRequest {
                    key,
                    form,
                    text,
                    people,
                    situation,
                    date,
                })
                .await
                .map_err(status_error)?
                .into_inner();
            if json {
                return print_json(&c);
            }
            show(&[c], false, lang)
        }
        AccountabilityCmd::Dismiss { conn, key, reason } => {
            let d = AccountabilityClient::new(conn.channel().await?)
                .dismiss(pb::DismissSuggestionRequest { key, reason })
                .await
                .map_err(status_error)?
                .into_inner();
            if json {
                return print_json(&d);
            }
            println!(
                "{} {} （{}）",
                lang.t("已驳回建议", "dismissed suggestion"),
                d.key,
                d.reason
            );
            Ok(())
        }
        AccountabilityCmd::Record {
            conn,
            concerned,
            people,
            situation,
            form,
            evidence,
            text,
            date,
        } => {
            let c = AccountabilityClient::new(conn.channel().await?)
                .record(pb::RecordAccountabilityRequest {
                    unit: concerned,
                    people,
                    situation,
                    form,
                    evidence,
                    text,
                    date,
                })
                .await
                .map_err(status_error)?
                .into_inner();
            if json {
                return print_json(&c);
            }
            show(&[c], false, lang)
        }
        AccountabilityCmd::List {
            conn,
            about,
            from,
            to,
        } => {
            let l = AccountabilityClient::new(conn.channel().await?)
                .list(pb::ListAccountabilityRequest {
                    unit: about,
                    from,
                    to,
                })
                .await
                .map_err(status_error)?
                .into_inner();
            show(&l.cases, json, lang)
        }
        AccountabilityCmd::Report {
            conn,
            about,
            from,
            to,
        } => {
            let r = AccountabilityClient::new(conn.channel().await?)
                .report(pb::ListAccountabilityRequest {
                    unit: about,
                    from,
                    to,
                })
                .await
                .map_err(status_error)?
                .into_inner();
            if json {
                return print_json(&r);
            }
            let mut t = table(vec![
                lang.t("单位", "unit"),
                lang.t("情形", "situation"),
                lang.t("件数", "cases"),
                lang.t("人数", "people"),
            ]);
            for row in &r.rows {
                t.add_row(vec![
                    row.unit_name.clone(),
                    row.situation_label.clone(),
                    row.cases.to_string(),
                    row.people.to_string(),
                ]);
            }
            t.add_row(vec![
                lang.t("合计", "total").to_owned(),
                String::new(),
                r.total_cases.to_string(),
                r.total_people.to_string(),
            ]);
            println!("{t}");
            Ok(())
        }
        AccountabilityCmd::Situations { conn } => {
            let l = AccountabilityClient::new(conn.channel().await?)
                .situations(pb::SituationsRequest {})
                .await
                .map_err(status_error)?
                .into_inner();
            if json {
                return print_json(&l);
            }
            println!("{}", l.source);
            let mut t = table(vec![
                lang.t("代码", "code"),
                lang.t("情形或方式", "situation or form"),
            ]);
            for s in l.situations.iter().chain(l.forms.iter()) {
                t.add_row(vec![s.code.clone(), s.label.clone()]);
            }
            println!("{t}");
            Ok(())
        }
    }
}
