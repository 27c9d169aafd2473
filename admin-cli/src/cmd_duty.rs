//! `xinfang duty` (duty rosters for rest days and holidays, 值班安排表) and
//! `xinfang work-report` (the quarterly plan and the yearly summary): requests to
//! the schedule service, answers rendered. The rules are the node's.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use xinfang_proto::v1 as pb;

use crate::conn::{ConnArgs, status_error};
use crate::output::{Lang, local_time, print_json, table};

#[derive(Debug, Args)]
pub struct SpanArgs {
    #[command(flatten)]
    conn: ConnArgs,
    /// A month (2026-10) or a year and a holiday ("2026 国庆节", 2026-national_day)
    #[arg(long)]
    span: String,
}

impl SpanArgs {
    fn request(&self) -> anyhow::Result<pb::DutySpanRequest> {
        Ok(pb::DutySpanRequest {
            unit: self.conn.acting_unit()?.to_string(),
            span: self.span.clone(),
        })
    }
}

#[derive(Debug, Subcommand)]
pub enum DutyCmd {
    /// The rest days a span must cover, as the holiday calendar gives them
    Days(SpanArgs),
    /// Set the draft's days whole: each --day DATE=NAME[:PHONE][,NAME[:PHONE]]
    Draft {
        #[command(flatten)]
        span: SpanArgs,
        /// e.g. --day 2026-10-01=林书记:0660-6612345 (repeat for every rest day)
        #[arg(long = "day")]
        days: Vec<String>,
    },
    /// The roster of a span
    Show {
        #[command(flatten)]
        span: SpanArgs,
        /// Also write the table offices print (XLSX) here
        #[arg(long)]
        xlsx: Option<PathBuf>,
    },
    /// Approval by the principal leader: files the roster with the superior
    Approve {
        #[command(flatten)]
        span: SpanArgs,
        /// The approving principal leader (default: the roster's only one)
        #[arg(long, default_value = "")]
        by: String,
    },
    /// Record the roster's publication
    Publish(SpanArgs),
    /// The unit's duty rosters of a year
    List {
        #[command(flatten)]
        conn: ConnArgs,
        /// Default: this year
        #[arg(long, default_value_t = 0)]
        year: i32,
    },
    /// Which units below filed their roster for a span, and when
    Board(SpanArgs),
}

/// `DATE=NAME[:PHONE][,NAME[:PHONE]]` as the request's day.
fn parse_day(v: &str) -> anyhow::Result<pb::DutyDay> {
    let (date, names) = v
        .split_once('=')
        .with_context(|| format!("--day {v:?}: write DATE=NAME[:PHONE][,NAME[:PHONE]]"))?;
    let leaders = names
        .split([',', '，'])
        .filter(|n| !n.trim().is_empty())
        .map(|n| {
            let (name, phone) = n.split_once(':').unwrap_or((n, ""));
            pb::DutyLeader {
                name: name.trim().to_owned(),
                phone: phone.trim().to_owned(),
                ..Default::default()
            }
        })
        .collect();
    Ok(pb::DutyDay {
        date: date.trim().to_owned(),
        leaders,
    })
}

pub async fn duty(cmd: DutyCmd, json: bool, lang: Lang) -> anyhow::Result<()> {
    let v = match cmd {
        DutyCmd::Days(s) => {
            let d = s
                .conn
                .schedules()
                .await?
                .duty_days(s.request()?)
                .await
                .map_err(status_error)?
                .into_inner();
            if json {
                return print_json(&d);
            }
            println!(
                "{} {}: {}",
                d.span_label,
                lang.t("休息日", "rest days"),
                d.dates.join(", ")
            );
            return Ok(());
        }
        DutyCmd::Draft { span, days } => {
            let days = days
                .iter()
                .map(|d| parse_day(d))
                .collect::<anyhow::Result<Vec<_>>>()?;
            span.conn
                .schedules()
                .await?
                .draft_duty(pb::DutyDraftRequest {
                    unit: span.conn.acting_unit()?.to_string(),
                    span: span.span.clone(),
                    days,
                })
                .await
        }
        DutyCmd::Show { span: s, xlsx } => {
            let mut c = s.conn.schedules().await?;
            if let Some(path) = xlsx {
                let out = c
                    .export_duty(s.request()?)
                    .await
                    .map_err(status_error)?
                    .into_inner();
                std::fs::write(&path, &out.content)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                if !json {
                    println!("{} {}", lang.t("已写出", "wrote"), path.display());
                }
            }
            c.get_duty(s.request()?).await
        }
        DutyCmd::Approve { span, by } => {
            span.conn
                .schedules()
                .await?
                .approve_duty(pb::DutyDecisionRequest {
                    unit: span.conn.acting_unit()?.to_string(),
                    span: span.span.clone(),
                    by,
                })
                .await
        }
        DutyCmd::Publish(s) => s.conn.schedules().await?.publish_duty(s.request()?).await,
        DutyCmd::List { conn, year } => {
            let list = conn
                .schedules()
                .await?
                .list_duty(pb::DutyListRequest {
                    unit: conn.acting_unit()?.to_string(),
                    year,
                })
                .await
                .map_err(status_error)?
                .into_inner();
            if json {
                return print_json(&list.rosters);
            }
            let mut t = table(vec![
                lang.t("时段", "span"),
                lang.t("状态", "state"),
                lang.t("值班天数", "days"),
                lang.t("未排班", "uncovered"),
                lang.t("批准时间", "approved"),
                lang.t("公布时间", "published"),
            ]);
            for r in &list.rosters {
                t.add_row(vec![
                    r.span_label.clone(),
                    r.state_label.clone(),
                    r.days.len().to_string(),
                    r.uncovered.len().to_string(),
                    local_or_dash(&r.approved_at),
                    local_or_dash(&r.published_at),
                ]);
            }
            println!("{t}");
            return Ok(());
        }
        DutyCmd::Board(s) => {
            let conn = s.conn.or_root()?;
            let b = conn
                .schedules()
                .await?
                .duty_board(pb::DutySpanRequest {
                    unit: conn.unit.clone().unwrap_or_default(),
                    span: s.span.clone(),
                })
                .await
                .map_err(status_error)?
                .into_inner();
            if json {
                return print_json(&b);
            }
            println!(
                "{} {}",
                b.span_label,
                lang.t("值班安排表报备情况", "duty roster filings")
            );
            let mut t = table(vec![
                lang.t("单位", "unit"),
                lang.t("代码", "code"),
                lang.t("报备", "filed"),
                lang.t("收到时间", "received"),
                lang.t("公布时间", "published"),
            ]);
            for r in &b.rows {
                t.add_row(vec![
                    r.unit_name.clone(),
                    r.unit.clone(),
                    if r.filed {
                        lang.t("已报备", "filed")
                    } else {
                        lang.t("未报备", "missing")
                    }
                    .to_owned(),
                    local_or_dash(&r.received_at),
                    local_or_dash(&r.published_at),
                ]);
            }
            println!("{t}");
            return Ok(());
        }
    };
    let v = v.map_err(status_error)?.into_inner();
    if json {
        return print_json(&v);
    }
    print_roster(&v, lang);
    Ok(())
}

fn local_or_dash(t: &str) -> String {
    if t.is_empty() {
        "—".into()
    } else {
        local_time(t)
    }
}

fn print_roster(v: &pb::DutyRosterView, lang: Lang) {
    println!(
        "{}{} {} · {}",
        v.unit_name,
        v.span_label,
        lang.t("双休日节假日值班安排表", "rest-day and holiday duty roster"),
        v.state_label
    );
    let mut t = table(vec![
        lang.t("日期", "date"),
        lang.t("值班领导", "duty leader"),
        lang.t("职务", "position"),
        lang.t("联系电话", "phone"),
    ]);
    for d in &v.days {
        for l in &d.leaders {
            t.add_row(vec![
                d.date.clone(),
                l.name.clone(),
                l.position.clone(),
                l.phone.clone(),
            ]);
        }
    }
    println!("{t}");
    if !v.uncovered.is_empty() {
        println!(
            "{}: {}",
            lang.t(
                "尚未安排值班领导的休息日",
                "rest days without a duty leader"
            ),
            v.uncovered.join(", ")
        );
    }
    if !v.received_at.is_empty() {
        println!(
            "{} {}",
            lang.t("本节点收到时间", "held here since"),
            local_time(&v.received_at)
        );
    }
}

#[derive(Debug, Args)]
pub struct PeriodArgs {
    #[command(flatten)]
    conn: ConnArgs,
    /// YYYYQn for the quarterly plan, YYYY for the yearly summary
    #[arg(long)]
    period: String,
}

impl PeriodArgs {
    fn request(&self) -> anyhow::Result<pb::WorkReportRequest> {
        Ok(pb::WorkReportRequest {
            unit: self.conn.acting_unit()?.to_string(),
            period: self.period.clone(),
        })
    }
}

#[derive(Debug, Subcommand)]
pub enum WorkReportCmd {
    /// Build the plan or summary from the filed schedules, duty rosters and owned
    /// cases, and file it upward
    Generate(PeriodArgs),
    /// The plan or summary as filed
    Show(PeriodArgs),
    /// Write it as the file an office hands in
    Export {
        #[command(flatten)]
        period: PeriodArgs,
        /// Write the XLSX (汇总表; a plan adds 接访安排) here
        #[arg(long)]
        xlsx: Option<PathBuf>,
        /// Write the printed PDF here (needs a CJK font at the node)
        #[arg(long)]
        pdf: Option<PathBuf>,
    },
}

pub async fn work_report(cmd: WorkReportCmd, json: bool, lang: Lang) -> anyhow::Result<()> {
    let v = match cmd {
        WorkReportCmd::Generate(p) => {
            p.conn
                .schedules()
                .await?
                .generate_work_report(p.request()?)
                .await
        }
        WorkReportCmd::Show(p) => {
            p.conn
                .schedules()
                .await?
                .get_work_report(p.request()?)
                .await
        }
        WorkReportCmd::Export { period, xlsx, pdf } => {
            anyhow::ensure!(
                xlsx.is_some() || pdf.is_some(),
                "name a file: --xlsx FILE and/or --pdf FILE"
            );
            let mut c = period.conn.schedules().await?;
            let mut written = Vec::new();
            for (format, path) in [("xlsx", xlsx), ("pdf", pdf)] {
                let Some(path) = path else { continue };
                let out = c
                    .export_work_report(pb::WorkReportExportRequest {
                        unit: period.conn.acting_unit()?.to_string(),
                        period: period.period.clone(),
                        format: format.into(),
                    })
                    .await
                    .map_err(status_error)?
                    .into_inner();
                std::fs::write(&path, &out.content)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                written.push(serde_json::json!({"file": path.display().to_string(), "bytes": out.content.len()}));
                if !json {
                    println!("{} {}", lang.t("已写出", "wrote"), path.display());
                }
            }
            if json {
                return print_json(&written);
            }
            return Ok(());
        }
    };
    let v = v.map_err(status_error)?.into_inner();
    if json {
        return print_json(&v);
    }
    println!(
        "{} · {} {}",
        v.title,
        lang.t("生成于", "generated"),
        local_time(&v.generated_at)
    );
    println!(
        "{}: {}",
        lang.t("已备案月份", "filed months"),
        if v.months_filed.is_empty() {
            "—".to_owned()
        } else {
            v.months_filed.join(", ")
        }
    );
    let mut t = table(vec![
        lang.t("领导", "leader"),
        lang.t("职务", "position"),
        lang.t("安排", "scheduled"),
        lang.t("接访", "held"),
        lang.t("缺岗", "missed"),
        lang.t("人次", "visitors"),
        lang.t("事项", "cases"),
        lang.t("约访", "booked"),
        lang.t("约访接待", "booked, received"),
        lang.t("包案", "owned"),
        lang.t("包案办结", "owned closed"),
        lang.t("值班", "duty days"),
    ]);
    for l in &v.leaders {
        t.add_row(vec![
            l.leader.clone(),
            l.position.clone(),
            l.scheduled.to_string(),
            l.held.to_string(),
            l.missed.to_string(),
            l.visitors.to_string(),
            l.cases.to_string(),
            l.booked.to_string(),
            l.booked_received.to_string(),
            l.owned_cases.to_string(),
            l.owned_closed.to_string(),
            l.duty_days.to_string(),
        ]);
    }
    println!("{t}");
    if v.kind == "plan" {
        let mut t = table(vec![
            lang.t("日期", "date"),
            lang.t("领导", "leader"),
            lang.t("地点", "place"),
            lang.t("形式", "form"),
        ]);
        for p in &v.planned {
            t.add_row(vec![
                p.date.clone(),
                p.leader.clone(),
                p.place.clone(),
                p.form.clone(),
            ]);
        }
        println!("{t}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_names_its_leaders_and_phones() {
        let d = parse_day("2026-10-01=林书记:0660-6612345,陈副书记").unwrap();
        assert_eq!(d.date, "2026-10-01");
        assert_eq!(d.leaders.len(), 2);
        assert_eq!(d.leaders[0].phone, "0660-6612345");
        assert_eq!(d.leaders[1].name, "陈副书记");
        assert!(parse_day("2026-10-01").is_err());
    }
}
