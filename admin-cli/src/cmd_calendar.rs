//! `xinfang calendar publish|show`: the holiday calendar (节假日安排). An operator
//! publishes next year's holidays from a data file at a superior; the node checks
//! and replicates them to its whole subtree. The CLI reads the file and shows.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use xinfang_proto::v1 as pb;
use xinfang_proto::v1::calendar_client::CalendarClient;

use crate::conn::{ConnArgs, status_error};
use crate::output::{Lang, print_json, table};

#[derive(Debug, Subcommand)]
pub enum CalendarCmd {
    /// Publish one year to this node's subtree from a data file: one `[[year]]`
    /// table as in the shipped data (year, source, off, work, names)
    Publish {
        #[command(flatten)]
        conn: ConnArgs,
        /// The year's data file (TOML)
        #[arg(long)]
        file: PathBuf,
    },
    /// The years this node counts working days by, and where each comes from
    Show {
        #[command(flatten)]
        conn: ConnArgs,
    },
}

fn show(v: &pb::CalendarView, json: bool, lang: Lang) -> anyhow::Result<()> {
    if json {
        return print_json(v);
    }
    let mut t = table(vec![
        lang.t("年份", "year"),
        lang.t("来源", "origin"),
        lang.t("发布单位", "published by"),
        lang.t("放假日", "days off"),
        lang.t("调休上班", "working weekend days"),
        lang.t("依据", "source"),
    ]);
    for y in &v.years {
        let origin = match y.origin.as_str() {
            "published" => lang.t("上级发布", "published"),
            _ => lang.t("随程序发布", "shipped"),
        };
        t.add_row(vec![
            y.year.to_string(),
            origin.to_owned(),
            y.issuer_name.clone(),
            y.days_off.to_string(),
            y.working_weekend_days.to_string(),
            y.source.clone(),
        ]);
    }
    println!("{t}");
    for y in &v.missing {
        match lang {
            Lang::Zh => eprintln!("注意：{y}年节假日安排尚无数据，期限仅按周末计算"),
            Lang::En => {
                eprintln!("note: no holiday data for {y}; its deadlines count weekends only")
            }
        }
    }
    Ok(())
}

pub async fn run(cmd: CalendarCmd, json: bool, lang: Lang) -> anyhow::Result<()> {
    match cmd {
        CalendarCmd::Publish { conn, file } => {
            let toml = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let v = CalendarClient::new(conn.channel().await?)
                .publish_year(pb::PublishYearRequest { toml })
                .await
                .map_err(status_error)?
                .into_inner();
            show(&v, json, lang)
        }
        CalendarCmd::Show { conn } => {
            let v = CalendarClient::new(conn.channel().await?)
                .get_calendar(pb::GetCalendarRequest {})
                .await
                .map_err(status_error)?
                .into_inner();
            show(&v, json, lang)
        }
    }
}
