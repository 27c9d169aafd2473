//! `xinfang`: the command line for petition offices' staff and operators.

mod cmd_account;
mod cmd_accountability;
mod cmd_admin;
mod cmd_backup;
mod cmd_bulletin;
mod cmd_calendar;
mod cmd_case;
mod cmd_duty;
mod cmd_joint;
mod cmd_ledger;
mod cmd_letter;
mod cmd_pki;
mod cmd_quarantine;
mod cmd_report;
mod cmd_schedule;
mod cmd_status;
mod cmd_up;
mod conn;
mod output;
mod report_render;
#[cfg(test)]
mod skip;

use clap::{Parser, Subcommand};
use output::Lang;

#[derive(Parser)]
#[command(
    name = "xinfang",
    version,
    about = "xinfang: a federated ledger for petition work (信访)"
)]
struct Cli {
    /// Machine-readable JSON output
    #[arg(long, global = true)]
    json: bool,
    /// Language of labels for people
    #[arg(long, global = true, value_enum, default_value = "zh")]
    lang: Lang,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Federation root and certificates
    #[command(subcommand)]
    Pki(cmd_pki::PkiCmd),
    /// Start every unit of a topology on this machine (Ctrl-C stops them)
    Up(cmd_up::UpArgs),
    /// Sign in at a node as one of its users; the token is saved for the other
    /// commands (DIR/tokens/<unit>, readable by you only)
    Login(cmd_account::LoginArgs),
    /// Sign out at a node (the token is forgotten there and here)
    Logout {
        #[command(flatten)]
        conn: conn::ConnArgs,
    },
    /// Who the node takes you for, and your roles
    Whoami {
        #[command(flatten)]
        conn: conn::ConnArgs,
    },
    /// A node's links and how far behind each is
    Status {
        #[command(flatten)]
        conn: conn::ConnArgs,
    },
    /// Petition cases
    #[command(subcommand)]
    Case(Box<cmd_case::CaseCmd>),
    /// The unit's leaders (领导名册)
    #[command(subcommand)]
    Roster(cmd_schedule::RosterCmd),
    /// Leaders' monthly reception schedules (接访安排表)
    #[command(subcommand)]
    Schedule(Box<cmd_schedule::ScheduleCmd>),
    /// Whether scheduled receptions took place
    #[command(subcommand)]
    Attendance(cmd_schedule::AttendanceCmd),
    /// The filing board: schedules of the units below, on time, late or missing
    Filings(cmd_schedule::FilingsArgs),
    /// Quarterly reception register and statistics
    #[command(subcommand)]
    Quarterly(cmd_schedule::QuarterlyCmd),
    /// Duty rosters for rest days and holidays (双休日节假日值班安排表)
    #[command(subcommand)]
    Duty(cmd_duty::DutyCmd),
    /// The quarterly plan (季度接访安排) and the yearly summary (年度工作总结)
    #[command(subcommand)]
    WorkReport(cmd_duty::WorkReportCmd),
    /// What superiors look at: counts, breakdowns, overdue cases, rates, trends
    #[command(subcommand)]
    Report(Box<cmd_report::ReportCmd>),
    /// Circulated notices of praise or criticism (通报) about units below
    #[command(subcommand)]
    Bulletin(cmd_bulletin::BulletinCmd),
    /// The holiday calendar (节假日安排): publish next year's to the subtree, show
    #[command(subcommand)]
    Calendar(cmd_calendar::CalendarCmd),
    /// Accountability on record (追责) about units below: suggest, confirm, dismiss,
    /// record, list, report
    #[command(subcommand)]
    Accountability(cmd_accountability::AccountabilityCmd),
    /// Joint supervision (联合督查) of units below: plan, finding, list
    #[command(subcommand)]
    JointSupervision(cmd_joint::JointCmd),
    /// Responsibility letters (责任书) to units below: draft, acknowledge, progress
    #[command(subcommand)]
    Letter(cmd_letter::LetterCmd),
    /// The year's assessment (考核) of the units with a letter
    #[command(subcommand)]
    Assessment(cmd_letter::AssessmentCmd),
    /// The node's tamper-evident ledger (账本): show, verify, acknowledge a flag
    #[command(subcommand)]
    Ledger(cmd_ledger::LedgerCmd),
    /// Operator tasks
    #[command(subcommand)]
    Admin(cmd_admin::AdminCmd),
    /// Run a node in this process (what `up` starts for each unit)
    #[command(subcommand, hide = true)]
    Node(Box<NodeCmd>),
}

#[derive(Subcommand)]
enum NodeCmd {
    Run(xinfang_node::cli::RunArgs),
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Pki(cmd) => cmd_pki::run(cmd, cli.json, cli.lang),
        Command::Up(args) => cmd_up::run(args, cli.json, cli.lang).await,
        Command::Login(args) => cmd_account::login(args, cli.json, cli.lang).await,
        Command::Logout { conn } => cmd_account::logout(conn, cli.json, cli.lang).await,
        Command::Whoami { conn } => cmd_account::whoami(conn, cli.json, cli.lang).await,
        Command::Status { conn } => cmd_status::run(&conn, cli.json, cli.lang).await,
        Command::Case(cmd) => cmd_case::run(*cmd, cli.json, cli.lang).await,
        Command::Roster(cmd) => cmd_schedule::roster(cmd, cli.json, cli.lang).await,
        Command::Schedule(cmd) => cmd_schedule::schedule(*cmd, cli.json, cli.lang).await,
        Command::Attendance(cmd) => cmd_schedule::attendance(cmd, cli.json, cli.lang).await,
        Command::Filings(args) => cmd_schedule::filings(args, cli.json, cli.lang).await,
        Command::Quarterly(cmd) => cmd_schedule::quarterly(cmd, cli.json, cli.lang).await,
        Command::Duty(cmd) => cmd_duty::duty(cmd, cli.json, cli.lang).await,
        Command::WorkReport(cmd) => cmd_duty::work_report(cmd, cli.json, cli.lang).await,
        Command::Report(cmd) => cmd_report::run(*cmd, cli.json, cli.lang).await,
        Command::Ledger(cmd) => cmd_ledger::run(cmd, cli.json, cli.lang).await,
        Command::Bulletin(cmd) => cmd_bulletin::run(cmd, cli.json, cli.lang).await,
        Command::Calendar(cmd) => cmd_calendar::run(cmd, cli.json, cli.lang).await,
        Command::Accountability(cmd) => cmd_accountability::run(cmd, cli.json, cli.lang).await,
        Command::JointSupervision(cmd) => cmd_joint::run(cmd, cli.json, cli.lang).await,
        Command::Letter(cmd) => cmd_letter::run(cmd, cli.json, cli.lang).await,
        Command::Assessment(cmd) => cmd_letter::assessment(cmd, cli.json, cli.lang).await,
        Command::Admin(cmd) => cmd_admin::run(cmd, cli.json, cli.lang).await,
        Command::Node(cmd) => {
            let NodeCmd::Run(args) = *cmd;
            args.init_logging()?;
            xinfang_node::cli::run(args).await
        }
    }
}

/// Exit quietly when the reader of our output goes away (`xinfang … | head`), as
/// command-line tools do, instead of printing a panic. SIGPIPE itself stays ignored
/// (Rust's default): nodes run from this binary must see a peer's closed socket as
/// an error, never die of it.
fn quiet_on_closed_stdout() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let msg = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if msg.contains("failed printing to stdout") && msg.contains("Broken pipe") {
            std::process::exit(0);
        }
        default(info);
    }));
}

fn main() {
    quiet_on_closed_stdout();
    let cli = Cli::parse();
    conn::set_lang(cli.lang);
    // `xinfang node run` is a node: the same allocator settings as xinfang-node.
    xinfang_node::memory::configure_allocator();
    let result = tokio::runtime::Runtime::new()
        .map_err(anyhow::Error::from)
        .and_then(|rt| rt.block_on(run(cli)));
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

#[cfg(test)]
mod command_tests {
    use clap::CommandFactory;

    /// Every command's arguments hold together (clap checks names, e.g. no
    /// second `unit` beside the connection's, only when a command is built).
    #[test]
    fn every_command_is_well_formed() {
        super::Cli::command().debug_assert();
    }
}
