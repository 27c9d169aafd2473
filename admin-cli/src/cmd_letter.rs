//! `xinfang letter draft|acknowledge|progress|list` (responsibility letters, 责任书)
//! and `xinfang assessment run` (the year's assessment, 考核). The node checks,
//! measures and scores; the CLI sends and shows.

use clap::Subcommand;
use xinfang_proto::v1 as pb;
use xinfang_proto::v1::letters_client::LettersClient;

use crate::conn::{ConnArgs, status_error};
use crate::output::{Lang, print_json, table};

#[derive(Debug, Subcommand)]
pub enum LetterCmd {
    /// Draft (or redraft) this unit's letter to a unit below it for a year
    Draft {
        #[command(flatten)]
        conn: ConnArgs,
        /// The unit below the letter binds (code)
        #[arg(long = "for", value_name = "UNIT")]
        for_unit: String,
        #[arg(long)]
        year: i32,
        /// A rate target CODE=PERCENT, e.g. timely_acceptance=95 (repeatable;
        /// codes as in docs/reports.md)
        #[arg(long = "rate", value_name = "CODE=PERCENT")]
        rates: Vec<String>,
        /// At most this many skip-level petitions (越级访) in the year
        #[arg(long)]
        skip_level: Option<u32>,
        /// At most this many repeat petitions (重复访) in the year
        #[arg(long)]
        repeat_count: Option<u32>,
        /// At most this many group petitions (集体访, five or more people) in the year
        #[arg(long)]
        group: Option<u32>,
        /// At most this many months with the schedule filed late or missing (0: all on time)
        #[arg(long)]
        late_filings: Option<u32>,
        /// At most this many rule violations on the filed schedules (0: quotas met)
        #[arg(long)]
        quota_violations: Option<u32>,
        /// The measures for failing the targets
        #[arg(long)]
        measures: String,
    },
    /// Acknowledge a superior's letter for this unit (the principal leader)
    Acknowledge {
        #[command(flatten)]
        conn: ConnArgs,
        /// The issuing superior (default: this unit's parent)
        #[arg(long, default_value = "")]
        issuer: String,
        #[arg(long)]
        year: i32,
    },
    /// Progress against a letter's targets over its year to date
    Progress {
        #[command(flatten)]
        conn: ConnArgs,
        /// The issuing superior (default: the unit's parent)
        #[arg(long, default_value = "")]
        issuer: String,
        /// The unit the letter binds (default: this node's)
        #[arg(long = "for", value_name = "UNIT", default_value = "")]
        for_unit: String,
        #[arg(long)]
        year: i32,
    },
    /// The letters set by a unit or for it (default: this node's)
    List {
        #[command(flatten)]
        conn: ConnArgs,
        #[arg(long = "about", default_value = "")]
        about: String,
        /// Only this year
        #[arg(long, default_value_t = 0)]
        year: i32,
    },
}

#[derive(Debug, Subcommand)]
pub enum AssessmentCmd {
    /// Score every unit this unit set a letter for, ranked
    Run {
        #[command(flatten)]
        conn: ConnArgs,
        #[arg(long)]
        year: i32,
        /// A period within the year (YYYY-MM-DD; both or neither; default: the year to date)
        #[arg(long, default_value = "")]
        from: String,
        #[arg(long, default_value = "")]
        to: String,
        /// File the result: a document that replicates down to each unit assessed
        #[arg(long)]
        file: bool,
    },
    /// A filed assessment held here, as its table: XLSX and/or PDF
    Export {
        #[command(flatten)]
        conn: ConnArgs,
        /// The assessing unit (default: this node's)
        #[arg(long, default_value = "")]
        issuer: String,
        #[arg(long)]
        year: i32,
        /// Write the XLSX table here
        #[arg(long, value_name = "PATH")]
        xlsx: Option<std::path::PathBuf>,
        /// Write the PDF table here
        #[arg(long, value_name = "PATH")]
        pdf: Option<std::path::PathBuf>,
    },
}

fn rate_target(s: &str) -> anyhow::Result<pb::LetterTarget> {
    let (code, pct) = s.split_once('=').ok_or_else(|| {
        anyhow::anyhow!("--rate {s:?}: write CODE=PERCENT, e.g. timely_acceptance=95")
    })?;
    let threshold: f64 = pct
        .trim()
        .trim_end_matches('%')
        .parse()
        .map_err(|_| anyhow::anyhow!("--rate {s:?}: {pct:?} is not a number"))?;
    Ok(pb::LetterTarget {
        kind: "rate".into(),
        code: code.trim().into(),
        threshold,
        ceiling: 0,
    })
}

fn show_letters(list: &[pb::LetterView], json: bool, lang: Lang) -> anyhow::Result<()> {
    if json {
        return print_json(&list);
    }
    let mut t = table(vec![
        lang.t("年度", "year"),
        lang.t("下达单位", "issuer"),
        lang.t("责任单位", "unit"),
        lang.t("目标", "targets"),
        lang.t("措施", "measures"),
        lang.t("签收", "acknowledged"),
    ]);
    for l in list {
        let targets: Vec<String> = l
            .targets
            .iter()
            .map(|t| format!("{} {}", t.name, t.bound))
            .collect();
        t.add_row(vec![
            l.year.to_string(),
            l.issuer_name.clone(),
            l.unit_name.clone(),
            targets.join("；"),
            l.measures.clone(),
            if l.acknowledged_at.is_empty() {
                lang.t("未签收", "no").to_owned()
            } else {
                format!("{} {}", l.acknowledged_by, l.acknowledged_at)
            },
        ]);
    }
    println!("{t}");
    Ok(())
}

fn target_rows(targets: &[pb::TargetProgress], lang: Lang) -> comfy_table::Table {
    let mut t = table(vec![
        lang.t("目标", "target"),
        lang.t("要求", "bound"),
        lang.t("实际", "value"),
        lang.t("结果", "verdict"),
        lang.t("差距", "margin"),
    ]);
    for p in targets {
        let (name, bound) = p
            .target
            .as_ref()
            .map(|v| (v.name.clone(), v.bound.clone()))
            .unwrap_or_default();
        t.add_row(vec![
            name,
            bound,
            p.value.clone(),
            p.verdict_label.clone(),
            if p.verdict == "not_assessed" {
                "—".to_owned()
            } else {
                format!("{:+}", p.margin)
            },
        ]);
    }
    t
}

pub async fn run(cmd: LetterCmd, json: bool, lang: Lang) -> anyhow::Result<()> {
    match cmd {
        LetterCmd::Draft {
            conn,
            for_unit,
            year,
            rates,
            skip_level,
            repeat_count,
            group,
            late_filings,
            quota_violations,
            measures,
        } => {
            let mut targets = rates
                .iter()
                .map(|r| rate_target(r))
                .collect::<anyhow::Result<Vec<_>>>()?;
            for (kind, ceiling) in [
                ("skip_level", skip_level),
                ("repeat_count", repeat_count),
                ("group", group),
                ("late_filings", late_filings),
                ("quota_violations", quota_violations),
            ] {
                if let Some(ceiling) = ceiling {
                    targets.push(pb::LetterTarget {
                        kind: kind.into(),
                        ceiling,
                        ..Default::default()
                    });
                }
            }
            let l = LettersClient::new(conn.channel().await?)
                .draft(pb::DraftLetterRequest {
                    unit: for_unit,
                    year,
                    targets,
                    measures,
                })
                .await
                .map_err(status_error)?
                .into_inner();
            show_letters(&[l], json, lang)
        }
        LetterCmd::Acknowledge { conn, issuer, year } => {
            let l = LettersClient::new(conn.channel().await?)
                .acknowledge(pb::AcknowledgeLetterRequest { issuer, year })
                .await
                .map_err(status_error)?
                .into_inner();
            show_letters(&[l], json, lang)
        }
        LetterCmd::List { conn, about, year } => {
            let l = LettersClient::new(conn.channel().await?)
                .list(pb::ListLettersRequest { unit: about, year })
                .await
                .map_err(status_error)?
                .into_inner();
            show_letters(&l.letters, json, lang)
        }
        LetterCmd::Progress {
            conn,
            issuer,
            for_unit,
            year,
        } => {
            let p = LettersClient::new(conn.channel().await?)
                .progress(pb::LetterProgressRequest {
                    issuer,
                    unit: for_unit,
                    year,
                })
                .await
                .map_err(status_error)?
                .into_inner();
            if json {
                return print_json(&p);
            }
            if let Some(l) = &p.letter {
                println!(
                    "{} → {} {} {}–{}",
                    l.issuer_name, l.unit_name, l.year, p.from, p.to
                );
            }
            println!("{}", target_rows(&p.targets, lang));
            Ok(())
        }
    }
}

pub async fn assessment(cmd: AssessmentCmd, json: bool, lang: Lang) -> anyhow::Result<()> {
    match cmd {
        AssessmentCmd::Run {
            conn,
            year,
            from,
            to,
            file,
        } => {
            let mut c = LettersClient::new(conn.channel().await?);
            let req = pb::AssessRequest { year, from, to };
            let a = if file {
                c.file(req).await
            } else {
                c.assess(req).await
            }
            .map_err(status_error)?
            .into_inner();
            if json {
                return print_json(&a);
            }
            println!(
                "{} {} {}（{}–{}）",
                a.issuer_name,
                a.year,
                lang.t("年度考核", "assessment"),
                a.from,
                a.to
            );
            let mut t = table(vec![
                lang.t("名次", "rank"),
                lang.t("单位", "unit"),
                lang.t("完成", "met"),
                lang.t("未完成", "missed"),
                lang.t("无数据", "no cases"),
                lang.t("签收", "acknowledged"),
            ]);
            for u in &a.units {
                t.add_row(vec![
                    u.rank.to_string(),
                    u.unit_name.clone(),
                    u.met.to_string(),
                    u.missed.to_string(),
                    u.not_assessed.to_string(),
                    if u.acknowledged { "✓" } else { "" }.to_owned(),
                ]);
            }
            println!("{t}");
            for u in &a.units {
                println!("{}", u.unit_name);
                println!("{}", target_rows(&u.targets, lang));
            }
            println!("{}", a.ranking);
            if !a.filed_at.is_empty() {
                println!(
                    "{} {} {}",
                    lang.t("已存档", "filed"),
                    a.filed_by,
                    a.filed_at
                );
            }
            Ok(())
        }
        AssessmentCmd::Export {
            conn,
            issuer,
            year,
            xlsx,
            pdf,
        } => {
            if xlsx.is_none() && pdf.is_none() {
                anyhow::bail!("name --xlsx PATH and/or --pdf PATH");
            }
            let mut c = LettersClient::new(conn.channel().await?);
            for (format, path) in [("xlsx", xlsx), ("pdf", pdf)] {
                let Some(path) = path else { continue };
                let f = c
                    .export(pb::ExportAssessmentRequest {
                        issuer: issuer.clone(),
                        year,
                        format: format.into(),
                    })
                    .await
                    .map_err(status_error)?
                    .into_inner();
                std::fs::write(&path, &f.content)?;
                if json {
                    print_json(&serde_json::json!({"file": path, "bytes": f.content.len()}))?;
                } else {
                    println!("{} {}", lang.t("已写入", "wrote"), path.display());
                }
            }
            Ok(())
        }
    }
}
