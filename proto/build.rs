//! Compiles the .proto files with protox (pure Rust), so building needs no protoc.
use std::path::PathBuf;

const SERIALIZED: &[&str] = &[
    "Leader",
    "Roster",
    "ScheduleEntry",
    "Violation",
    "Decision",
    "Adjustment",
    "Attendance",
    "Flag",
    "ScheduleView",
    "FilingRow",
    "FilingBoard",
    "QuarterlyFiling",
    "LeaderReceptions",
    "CategoryCount",
    "RegisterLine",
    "QuarterlyView",
    "Cell",
    "ReportRow",
    "Report",
    "CaseKeys",
    "RebuildReply",
    "User",
    "UserList",
    "AuditEntry",
    "AuditLog",
    "LoginReply",
    "LedgerEntry",
    "LedgerEntries",
    "LedgerVerification",
    "LedgerAcknowledgeReply",
    "IntegrityAlert",
    "ReceptionList",
    "ReceptionEntry",
    "ReceptionTask",
    "FormCopy",
    "BulletinView",
    "BulletinList",
    "DutyDaysReply",
    "DutyLeader",
    "DutyDay",
    "DutyRosterView",
    "DutyRosterList",
    "DutyBoardRow",
    "DutyBoardView",
    "WorkReportLeader",
    "PlannedReception",
    "WorkReportView",
    "EvidenceView",
    "AccountabilityView",
    "AccountabilityList",
    "AccountabilityCount",
    "AccountabilityReport",
    "SuggestionView",
    "SuggestionList",
    "DismissalView",
    "SituationView",
    "SituationList",
    "JointDemand",
    "JointFindingView",
    "JointPlanView",
    "JointPlanList",
    "LetterTarget",
    "TargetView",
    "LetterView",
    "LetterList",
    "TargetProgress",
    "LetterProgress",
    "AssessedUnit",
    "Assessment",
    "CalendarYear",
    "CalendarView",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto");
    let fds = protox::compile(
        [
            "xinfang.proto",
            "schedules.proto",
            "reports.proto",
            "accounts.proto",
            "ledger.proto",
            "notices.proto",
            "receptions.proto",
            "bulletins.proto",
            "accountability.proto",
            "letters.proto",
            "calendar.proto",
        ],
        ["proto"],
    )?;
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        out.join("xinfang_descriptor.bin"),
        prost::Message::encode_to_vec(&fds),
    )?;
    let mut cfg = tonic_prost_build::configure()
        .bytes(".xinfang.v1.DocEntry.automerge")
        .bytes(".xinfang.v1.DocEntry.changes");
    // Schedule answers are printed as JSON by the CLI (`--json`) as they are.
    for m in SERIALIZED {
        cfg = cfg.message_attribute(format!(".xinfang.v1.{m}"), "#[derive(serde::Serialize)]");
    }
    cfg.compile_fds(fds)?;
    Ok(())
}
