//! `xinfang roster|schedule|attendance|filings|quarterly`: leaders' reception
//! schedules from draft to filing, attendance, the filing board, the quarterly
//! register.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand};
use xinfang_proto::v1 as pb;

use crate::conn::{ConnArgs, status_error};
use crate::output::{Lang, local_time, print_json, table};

#[derive(Debug, Subcommand)]
pub enum RosterCmd {
    /// The unit's leaders
    Show {
        #[command(flatten)]
        conn: ConnArgs,
    },
    /// Add or change a leader (by name)
    Add {
        #[command(flatten)]
        conn: ConnArgs,
        #[arg(long)]
        name: String,
        /// 职务
        #[arg(long, default_value = "")]
        position: String,
        /// 分管工作
        #[arg(long, default_value = "")]
        portfolio: String,
        /// principal (主要领导), in_charge (分管信访工作), member
        #[arg(long, default_value = "member")]
        role: String,
        /// The post's class (职务类别) quotas and the supervision form name:
        /// party_secretary, deputy_secretary, government_head, standing_committee,
        /// discipline_secretary, organisation_head, deputy_head, department_head,
        /// deputy_department_head, member (default: the one --position names)
        #[arg(long, default_value = "")]
        class: String,
    },
    /// Mark a leader as no longer on the roster (old schedules keep the name)
    Disable {
        #[command(flatten)]
        conn: ConnArgs,
        #[arg(long)]
        name: String,
    },
}

#[derive(Debug, Args)]
pub struct MonthArgs {
    #[command(flatten)]
    pub conn: ConnArgs,
    /// Month of the schedule, YYYY-MM
    #[arg(long)]
    pub month: String,
}

impl MonthArgs {
    fn request(&self) -> anyhow::Result<pb::MonthRequest> {
        Ok(pb::MonthRequest {
            unit: self.conn.acting_unit()?.to_string(),
            month: self.month.clone(),
        })
    }
}

#[derive(Debug, Subcommand)]
pub enum ScheduleCmd {
    /// Start an empty draft for a month
    Draft(MonthArgs),
    /// Import a draft from a CSV or XLSX table (附件2 layout), all or nothing
    Import {
        /// The table (.csv or .xlsx)
        file: PathBuf,
        #[command(flatten)]
        month: MonthArgs,
        /// Add leaders missing from the roster (name and position from the table)
        #[arg(long)]
        create_roster: bool,
    },
    /// Add one entry to the draft
    Add {
        #[command(flatten)]
        month: MonthArgs,
        /// YYYY-MM-DD
        #[arg(long)]
        date: String,
        #[arg(long)]
        leader: String,
        /// 接访地点
        #[arg(long, default_value = "")]
        place: String,
        /// Form of reception: code or name (fixed/定点接访, appointment, thematic, case_visit, grassroots, video)
        #[arg(long, default_value = "fixed")]
        form: String,
        /// Topic of a thematic reception
        #[arg(long, default_value = "")]
        topic: String,
        #[arg(long, default_value = "")]
        note: String,
        /// Schedule on a non-working day on purpose
        #[arg(long)]
        non_working_day: bool,
        /// The reception's hours (接访时段), HH:MM-HH:MM, e.g. 08:30-11:30
        #[arg(long, default_value = "")]
        time: String,
    },
    /// Remove an entry from the draft
    Remove {
        #[command(flatten)]
        month: MonthArgs,
        #[arg(long)]
        date: String,
        /// Which leader, when several are on that day
        #[arg(long, default_value = "")]
        leader: String,
    },
    /// Which rules of the unit's rule set the schedule breaks
    Check(MonthArgs),
    /// Review by the leader in charge of petition work
    Review(Decide),
    /// Approval by the principal leader: files the schedule with the superior
    Approve(Decide),
    /// Record publication and write the page and tables
    Publish {
        #[command(flatten)]
        month: MonthArgs,
        /// Write the self-contained HTML page here
        #[arg(long)]
        html: Option<PathBuf>,
        #[arg(long)]
        csv: Option<PathBuf>,
        #[arg(long)]
        xlsx: Option<PathBuf>,
    },
    /// Change an approved schedule before the day, with a reason
    Adjust {
        #[command(flatten)]
        month: MonthArgs,
        /// The day to change
        #[arg(long)]
        date: String,
        /// The leader who takes the day (or, with --swap, the leader on the other day)
        #[arg(long, default_value = "")]
        leader: String,
        /// Swap the leaders of --date and this day
        #[arg(long, default_value = "")]
        swap: String,
        /// Which leader of --date, when several are on it
        #[arg(long, default_value = "")]
        from: String,
        #[arg(long)]
        reason: String,
    },
    /// The schedule with its state, rules verdict, adjustments and attendance
    Show(MonthArgs),
    /// Write the schedule as CSV, XLSX or HTML (by the file's extension)
    Export {
        #[command(flatten)]
        month: MonthArgs,
        /// Output file: .csv, .xlsx or .html
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Debug, Args)]
pub struct Decide {
    #[command(flatten)]
    month: MonthArgs,
    /// The roster leader deciding (default: the roster's only leader with that role)
    #[arg(long, default_value = "")]
    by: String,
    /// Approve although the schedule breaks rules, for this reason
    #[arg(long = "override", default_value = "")]
    override_reason: String,
}

#[derive(Debug, Subcommand)]
pub enum AttendanceCmd {
    /// Record a scheduled day: held (visitors, cases) or missed (缺岗, reason)
    Record {
        #[command(flatten)]
        conn: ConnArgs,
        #[arg(long)]
        date: String,
        #[arg(long)]
        leader: String,
        /// The reception took place
        #[arg(long, conflicts_with = "missed")]
        held: bool,
        /// The leader did not come (缺岗)
        #[arg(long)]
        missed: bool,
        /// Visitors received
        #[arg(long, default_value_t = 0)]
        visitors: u32,
        /// Case registered at the reception (repeatable)
        #[arg(long = "case")]
        cases: Vec<String>,
        /// Resolved on the spot
        #[arg(long, default_value_t = 0)]
        resolved: u32,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Attendance of a month and what is flagged
    Show(MonthArgs),
}

#[derive(Debug, Subcommand)]
pub enum QuarterlyCmd {
    /// Build the register and statistics of an ended quarter and file them upward
    Generate(QuarterArgs),
    Show(QuarterArgs),
    /// Write the register and statistics as XLSX
    Export {
        #[command(flatten)]
        quarter: QuarterArgs,
        #[arg(long)]
        xlsx: PathBuf,
    },
}

#[derive(Debug, Args)]
pub struct QuarterArgs {
    #[command(flatten)]
    conn: ConnArgs,
    /// YYYYQn, e.g. 2016Q2
    #[arg(long)]
    quarter: String,
}

#[derive(Debug, Args)]
pub struct FilingsArgs {
    #[command(flatten)]
    conn: ConnArgs,
    /// Month of the schedules, YYYY-MM (default: next month)
    #[arg(long, default_value = "")]
    month: String,
}

fn write_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

fn format_of(path: &Path) -> anyhow::Result<&'static str> {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("csv") => Ok("csv"),
        Some("xlsx") => Ok("xlsx"),
        Some("html") | Some("htm") => Ok("html"),
        _ => anyhow::bail!(
            "{}: the extension says the format: .csv, .xlsx or .html",
            path.display()
        ),
    }
}

pub async fn roster(cmd: RosterCmd, json: bool, lang: Lang) -> anyhow::Result<()> {
    let r = match cmd {
        RosterCmd::Show { conn } => {
            conn.schedules()
                .await?
                .get_roster(pb::UnitRequest {
                    unit: conn.acting_unit()?.to_string(),
                })
                .await
        }
        RosterCmd::Add {
            conn,
            name,
            position,
            portfolio,
            role,
            class,
        } => {
            conn.schedules()
                .await?
                .put_leader(pb::PutLeaderRequest {
                    unit: conn.acting_unit()?.to_string(),
                    leader: Some(pb::Leader {
                        name,
                        position,
                        portfolio,
                        role,
                        class,
                        active: true,
                        ..Default::default()
                    }),
                })
                .await
        }
        RosterCmd::Disable { conn, name } => {
            let mut c = conn.schedules().await?;
            let unit = conn.acting_unit()?.to_string();
            let roster = c
                .get_roster(pb::UnitRequest { unit: unit.clone() })
                .await
                .map_err(status_error)?
                .into_inner();
            let mut l = roster
                .leaders
                .into_iter()
                .find(|l| l.name == name)
                .with_context(|| format!("{name} is not on the roster of {unit}"))?;
            l.active = false;
            c.put_leader(pb::PutLeaderRequest {
                unit,
                leader: Some(l),
            })
            .await
        }
    }
    .map_err(status_error)?
    .into_inner();
    if json {
        return print_json(&r);
    }
    let mut t = table(vec![
        lang.t("姓名", "name"),
        lang.t("职务", "position"),
        lang.t("分管工作", "portfolio"),
        lang.t("角色", "role"),
        lang.t("职务类别", "class"),
        lang.t("在任", "active"),
    ]);
    for l in &r.leaders {
        let role = match (lang, l.role.as_str()) {
            (Lang::Zh, "principal") => "主要领导",
            (Lang::Zh, "in_charge") => "分管领导",
            (Lang::Zh, "member") => "班子成员",
            (_, other) => other,
        };
        t.add_row(vec![
            l.name.as_str(),
            &l.position,
            &l.portfolio,
            role,
            match lang {
                Lang::Zh => &l.class_label,
                _ => &l.class,
            },
            if l.active { "✓" } else { "—" },
        ]);
    }
    println!("{} {}", r.unit, lang.t("领导名册", "roster"));
    println!("{t}");
    Ok(())
}

pub async fn schedule(cmd: ScheduleCmd, json: bool, lang: Lang) -> anyhow::Result<()> {
    let view = match cmd {
        ScheduleCmd::Draft(m) => m.conn.schedules().await?.draft(m.request()?).await,
        ScheduleCmd::Import {
            file,
            month,
            create_roster,
        } => {
            let format = match format_of(&file)? {
                "html" => anyhow::bail!("{}: import takes .csv or .xlsx", file.display()),
                f => f,
            };
            let content =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let req = month.request()?;
            month
                .conn
                .schedules()
                .await?
                .import(pb::ImportRequest {
                    unit: req.unit,
                    month: req.month,
                    format: format.into(),
                    content,
                    create_roster,
                })
                .await
        }
        ScheduleCmd::Add {
            month,
            date,
            leader,
            place,
            form,
            topic,
            note,
            non_working_day,
            time,
        } => {
            let req = month.request()?;
            month
                .conn
                .schedules()
                .await?
                .add_entry(pb::AddEntryRequest {
                    unit: req.unit,
                    month: req.month,
                    entry: Some(pb::ScheduleEntry {
                        date,
                        leader,
                        place,
                        form,
                        topic,
                        note,
                        non_working_day,
                        time,
                        ..Default::default()
                    }),
                })
                .await
        }
        ScheduleCmd::Remove {
            month,
            date,
            leader,
        } => {
            let req = month.request()?;
            month
                .conn
                .schedules()
                .await?
                .remove_entry(pb::RemoveEntryRequest {
                    unit: req.unit,
                    month: req.month,
                    date,
                    leader,
                })
                .await
        }
        ScheduleCmd::Check(m) => m.conn.schedules().await?.check(m.request()?).await,
        ScheduleCmd::Show(m) => m.conn.schedules().await?.get(m.request()?).await,
        ScheduleCmd::Review(d) => {
            let req = decision(&d)?;
            d.month.conn.schedules().await?.review(req).await
        }
        ScheduleCmd::Approve(d) => {
            let req = decision(&d)?;
            d.month.conn.schedules().await?.approve(req).await
        }
        ScheduleCmd::Publish {
            month,
            html,
            csv,
            xlsx,
        } => {
            let mut c = month.conn.schedules().await?;
            let req = month.request()?;
            let v = c.publish(req.clone()).await.map_err(status_error)?;
            for (path, format) in [(html, "html"), (csv, "csv"), (xlsx, "xlsx")] {
                if let Some(path) = path {
                    let out = c
                        .export(pb::ExportRequest {
                            unit: req.unit.clone(),
                            month: req.month.clone(),
                            format: format.into(),
                        })
                        .await
                        .map_err(status_error)?
                        .into_inner();
                    write_file(&path, &out.content)?;
                    if !json {
                        eprintln!("{} {}", lang.t("已写出", "wrote"), path.display());
                    }
                }
            }
            Ok(v)
        }
        ScheduleCmd::Adjust {
            month,
            date,
            leader,
            swap,
            from,
            reason,
        } => {
            let req = month.request()?;
            month
                .conn
                .schedules()
                .await?
                .adjust(pb::AdjustRequest {
                    unit: req.unit,
                    month: req.month,
                    date,
                    leader,
                    swap_date: swap,
                    from_leader: from,
                    reason,
                })
                .await
        }
        ScheduleCmd::Export { month, out } => {
            let format = format_of(&out)?;
            let req = month.request()?;
            let reply = month
                .conn
                .schedules()
                .await?
                .export(pb::ExportRequest {
                    unit: req.unit,
                    month: req.month,
                    format: format.into(),
                })
                .await
                .map_err(status_error)?
                .into_inner();
            write_file(&out, &reply.content)?;
            if json {
                return print_json(&serde_json::json!({
                    "file": out.display().to_string(),
                    "format": format,
                    "bytes": reply.content.len(),
                }));
            }
            println!("{} {}", lang.t("已写出", "wrote"), out.display());
            return Ok(());
        }
    }
    .map_err(status_error)?
    .into_inner();
    if json {
        return print_json(&view);
    }
    print_schedule(&view, lang);
    Ok(())
}

fn decision(d: &Decide) -> anyhow::Result<pb::DecisionRequest> {
    let r = d.month.request()?;
    Ok(pb::DecisionRequest {
        unit: r.unit,
        month: r.month,
        by: d.by.clone(),
        override_reason: d.override_reason.clone(),
    })
}

fn weekday_zh(date: &str) -> &'static str {
    use chrono::Datelike;
    match chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").map(|d| d.weekday()) {
        Ok(chrono::Weekday::Mon) => "一",
        Ok(chrono::Weekday::Tue) => "二",
        Ok(chrono::Weekday::Wed) => "三",
        Ok(chrono::Weekday::Thu) => "四",
        Ok(chrono::Weekday::Fri) => "五",
        Ok(chrono::Weekday::Sat) => "六",
        Ok(chrono::Weekday::Sun) => "日",
        Err(_) => "",
    }
}

fn print_schedule(v: &pb::ScheduleView, lang: Lang) {
    println!(
        "{} {} {} · {}：{} · {}：{} · {}：{}（{} {}）",
        v.unit_name,
        v.unit,
        v.month,
        lang.t("状态", "state"),
        v.state_label,
        lang.t("规则", "rules"),
        v.rules,
        lang.t("报备", "filing"),
        v.filing_status_label,
        lang.t("期限", "due"),
        v.deadline,
    );
    if !v.received_at.is_empty() {
        println!(
            "{}：{}",
            lang.t("报备时间", "filed at"),
            local_time(&v.received_at)
        );
    }
    let mut t = table(vec![
        lang.t("序号", "#"),
        lang.t("接访时间", "date"),
        lang.t("姓名", "leader"),
        lang.t("职务", "position"),
        lang.t("接访地点", "place"),
        lang.t("接访方式", "form"),
        lang.t("备注", "note"),
    ]);
    for (i, e) in v.entries.iter().enumerate() {
        let date = match lang {
            Lang::Zh => format!("{}（{}）", e.date, weekday_zh(&e.date)),
            Lang::En => e.date.clone(),
        };
        let date = if e.time.is_empty() {
            date
        } else {
            format!("{date} {}", e.time)
        };
        let form = match lang {
            Lang::Zh if !e.form_name.is_empty() => e.form_name.clone(),
            _ => e.form.clone(),
        };
        let form = if e.topic.is_empty() {
            form
        } else {
            format!("{form}：{}", e.topic)
        };
        t.add_row(vec![
            (i + 1).to_string(),
            date,
            e.leader.clone(),
            e.position.clone(),
            e.place.clone(),
            form,
            e.note.clone(),
        ]);
    }
    println!("{t}");
    for (label, d) in [
        (lang.t("审核", "reviewed"), &v.review),
        (lang.t("审定", "approved"), &v.approval),
    ] {
        if let Some(d) = d {
            println!(
                "{label}：{} {}（{}）{}",
                if d.by.is_empty() { "—" } else { &d.by },
                local_time(&d.at),
                d.recorded_by,
                if d.override_reason.is_empty() {
                    String::new()
                } else {
                    format!(
                        " · {}：{}",
                        lang.t("违规说明", "override"),
                        d.override_reason
                    )
                }
            );
        }
    }
    if v.violations.is_empty() {
        println!("{}", lang.t("✓ 符合规则", "✓ meets the rules"));
    } else {
        println!(
            "{} {}",
            lang.t("✗ 不符合规则：", "✗ breaks rules:"),
            v.violations.len()
        );
        for x in &v.violations {
            let msg = match lang {
                Lang::Zh => &x.message,
                Lang::En => &x.message_en,
            };
            println!("  [{}] {msg}", x.rule);
        }
    }
    for w in &v.warnings {
        println!("! {w}");
    }
    if !v.adjustments.is_empty() {
        println!("{}", lang.t("调整：", "adjustments:"));
        for a in &v.adjustments {
            if a.kind == "swap" {
                println!(
                    "  {} {} ⇄ {} {}：{}（{}）",
                    a.date,
                    a.from_leader,
                    a.swap_date,
                    a.to_leader,
                    a.reason,
                    local_time(&a.recorded_at)
                );
            } else {
                println!(
                    "  {} {} → {}：{}（{}）",
                    a.date,
                    a.from_leader,
                    a.to_leader,
                    a.reason,
                    local_time(&a.recorded_at)
                );
            }
        }
    }
    print_attendance(v, lang);
}

fn print_attendance(v: &pb::ScheduleView, lang: Lang) {
    if !v.attendance.is_empty() {
        let mut t = table(vec![
            lang.t("日期", "date"),
            lang.t("领导", "leader"),
            lang.t("情况", "outcome"),
            lang.t("接待人次", "visitors"),
            lang.t("登记事项", "cases"),
            lang.t("当场化解", "resolved"),
            lang.t("原因", "reason"),
        ]);
        for a in &v.attendance {
            t.add_row(vec![
                a.date.clone(),
                a.leader.clone(),
                match (lang, a.outcome.as_str()) {
                    (Lang::Zh, "held") => "已接访".into(),
                    (Lang::Zh, "missed") => "缺岗".into(),
                    (_, o) => o.to_owned(),
                },
                a.visitors.to_string(),
                a.cases.join(", "),
                a.resolved_on_spot.to_string(),
                a.reason.clone(),
            ]);
        }
        println!("{t}");
    }
    for f in &v.flags {
        println!("⚑ {}", f.message);
    }
}

pub async fn attendance(cmd: AttendanceCmd, json: bool, lang: Lang) -> anyhow::Result<()> {
    let v = match cmd {
        AttendanceCmd::Record {
            conn,
            date,
            leader,
            held,
            missed,
            visitors,
            cases,
            resolved,
            reason,
        } => {
            if held == missed {
                anyhow::bail!("say --held or --missed");
            }
            conn.schedules()
                .await?
                .record_attendance(pb::AttendanceRequest {
                    unit: conn.acting_unit()?.to_string(),
                    date,
                    leader,
                    held,
                    visitors,
                    cases,
                    resolved_on_spot: resolved,
                    reason,
                })
                .await
        }
        AttendanceCmd::Show(m) => m.conn.schedules().await?.get(m.request()?).await,
    }
    .map_err(status_error)?
    .into_inner();
    if json {
        return print_json(&serde_json::json!({
            "unit": v.unit,
            "month": v.month,
            "attendance": v.attendance,
            "flags": v.flags,
        }));
    }
    println!(
        "{} {} {}",
        v.unit_name,
        v.month,
        lang.t("接访情况", "attendance")
    );
    print_attendance(&v, lang);
    if v.attendance.is_empty() && v.flags.is_empty() {
        println!("{}", lang.t("（无记录）", "(nothing recorded)"));
    }
    Ok(())
}

pub async fn filings(args: FilingsArgs, json: bool, lang: Lang) -> anyhow::Result<()> {
    let conn = args.conn.or_root()?;
    let board = conn
        .schedules()
        .await?
        .filings(pb::FilingsRequest {
            month: args.month,
            unit: conn.unit.clone().unwrap_or_default(),
        })
        .await
        .map_err(status_error)?
        .into_inner();
    if json {
        return print_json(&board.rows);
    }
    println!(
        "{} {} · {} {}",
        lang.t("接访安排报备情况", "schedule filings"),
        board.month,
        lang.t("截至", "as of"),
        local_time(&board.as_of)
    );
    let mut t = table(vec![
        lang.t("单位", "unit"),
        lang.t("代码", "code"),
        lang.t("报备", "filing"),
        lang.t("期限", "due"),
        lang.t("收到时间", "received"),
        lang.t("违规", "violations"),
        lang.t("调整", "adjustments"),
        lang.t("缺岗/未登记", "flags"),
    ]);
    for r in &board.rows {
        t.add_row(vec![
            r.unit_name.clone(),
            r.unit.clone(),
            r.status_label.clone(),
            r.deadline.clone(),
            if r.received_at.is_empty() {
                "—".into()
            } else {
                local_time(&r.received_at)
            },
            r.violations.len().to_string(),
            r.adjustments.to_string(),
            r.flags.len().to_string(),
        ]);
    }
    println!("{t}");
    for r in &board.rows {
        for v in &r.violations {
            let msg = match lang {
                Lang::Zh => &v.message,
                Lang::En => &v.message_en,
            };
            println!("  {} [{}] {msg}", r.unit_name, v.rule);
        }
        for f in &r.flags {
            if f.kind == "missed" {
                println!("  ⚑ {} {}", r.unit_name, f.message);
            }
        }
    }
    if !board.quarterly.is_empty() {
        println!("{}", lang.t("季度登记表报备：", "quarterly registers:"));
        for q in &board.quarterly {
            println!(
                "  {} {} {}",
                q.unit_name,
                q.quarter,
                local_time(&q.received_at)
            );
        }
    }
    Ok(())
}

pub async fn quarterly(cmd: QuarterlyCmd, json: bool, lang: Lang) -> anyhow::Result<()> {
    let v = match cmd {
        QuarterlyCmd::Generate(q) => {
            q.conn
                .schedules()
                .await?
                .generate_quarterly(pb::QuarterRequest {
                    unit: q.conn.acting_unit()?.to_string(),
                    quarter: q.quarter.clone(),
                })
                .await
        }
        QuarterlyCmd::Show(q) => {
            q.conn
                .schedules()
                .await?
                .get_quarterly(pb::QuarterRequest {
                    unit: q.conn.acting_unit()?.to_string(),
                    quarter: q.quarter.clone(),
                })
                .await
        }
        QuarterlyCmd::Export { quarter, xlsx } => {
            let out = quarter
                .conn
                .schedules()
                .await?
                .export_quarterly(pb::QuarterRequest {
                    unit: quarter.conn.acting_unit()?.to_string(),
                    quarter: quarter.quarter.clone(),
                })
                .await
                .map_err(status_error)?
                .into_inner();
            write_file(&xlsx, &out.content)?;
            if json {
                return print_json(
                    &serde_json::json!({"file": xlsx.display().to_string(), "bytes": out.content.len()}),
                );
            }
            println!("{} {}", lang.t("已写出", "wrote"), xlsx.display());
            return Ok(());
        }
    };
    let v = v.map_err(status_error)?.into_inner();
    if json {
        return print_json(&v);
    }
    println!(
        "{} {} {} · {} {}",
        v.unit_name,
        v.quarter,
        lang.t("领导干部接待群众来访情况统计", "leaders' receptions"),
        lang.t("生成于", "generated"),
        local_time(&v.generated_at)
    );
    let mut t = table(vec![
        lang.t("接访领导", "leader"),
        lang.t("职务", "position"),
        lang.t("安排", "scheduled"),
        lang.t("接访", "held"),
        lang.t("缺岗", "missed"),
        lang.t("人次", "visitors"),
        lang.t("事项", "cases"),
        lang.t("当场化解", "resolved"),
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
            l.resolved_on_spot.to_string(),
        ]);
    }
    t.add_row(vec![
        lang.t("合计", "total").to_owned(),
        String::new(),
        v.leaders
            .iter()
            .map(|l| l.scheduled)
            .sum::<u32>()
            .to_string(),
        v.receptions.to_string(),
        v.leaders.iter().map(|l| l.missed).sum::<u32>().to_string(),
        v.visitors.to_string(),
        v.cases.to_string(),
        v.resolved_on_spot.to_string(),
    ]);
    println!("{t}");
    for c in &v.categories {
        println!("  {}：{}", c.name, c.cases);
    }
    Ok(())
}
