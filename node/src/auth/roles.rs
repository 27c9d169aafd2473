//! Who may do what: the roles of a petition office's staff and the actions of the
//! local API, as one pure function ([`allowed`]). `docs/accounts.md` prints the
//! same table; a test holds the two equal cell by cell.

use crate::case::Step;

/// A staff role. A user may hold several.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// 登记员: registers petitions.
    Registrar,
    /// 承办人: screens, routes and handles cases; drafts reception schedules.
    Handler,
    /// 分管领导 (leader in charge of petition work): reviews, supervises, decides
    /// reviews (复查).
    Reviewer,
    /// 主要领导 (principal leader): approves, closes, decides the lead unit.
    Approver,
    /// 查阅: reads only.
    Viewer,
    /// 管理员: the node's users, the audit log, node operations.
    Administrator,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Registrar,
        Role::Handler,
        Role::Reviewer,
        Role::Approver,
        Role::Viewer,
        Role::Administrator,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Role::Registrar => "registrar",
            Role::Handler => "handler",
            Role::Reviewer => "reviewer",
            Role::Approver => "approver",
            Role::Viewer => "viewer",
            Role::Administrator => "administrator",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Role::Registrar => "登记员",
            Role::Handler => "承办人",
            Role::Reviewer => "分管领导",
            Role::Approver => "主要领导",
            Role::Viewer => "查阅",
            Role::Administrator => "管理员",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code() == s.trim())
    }
}

/// Everything a caller of the local API may ask to do. Every RPC names one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    /// Cases: get, list, timeline.
    ReadCases,
    /// Rosters, schedules, exports, filing board, quarterly registers.
    ReadSchedules,
    /// Reports of the subtree.
    ReadReports,
    /// The node's links and lag (certificate details: administrators only).
    ReadStatus,
    RegisterCase,
    /// A progress note (a `progress` record).
    AddNote,
    /// One lifecycle record.
    Step(Step),
    /// Roster, drafts, imports, entries.
    EditSchedule,
    ReviewSchedule,
    ApproveSchedule,
    PublishSchedule,
    AdjustSchedule,
    RecordAttendance,
    GenerateQuarterly,
    /// Add, disable, enable users; set roles and passwords.
    ManageUsers,
    ReadAudit,
    RebuildProjections,
    /// The ledger: show its entries, verify its chain.
    ReadLedger,
    /// Clear a child's ledger flag after looking into it.
    AcknowledgeLedger,
    /// Documents from peers refused by the authorship rules, kept for inspection.
    ReadQuarantine,
    /// End a recovery by hand (a node cut off from its parent for good).
    EndRecovery,
    /// Circulate a notice praising or criticising units below (通报).
    IssueBulletin,
    /// Record, confirm or dismiss an accountability case about a unit below (追责),
    /// and plan a joint supervision and record its findings (联合督查).
    RecordAccountability,
    /// Draft a responsibility letter (责任书) for a unit below, and run the
    /// year's assessment against the letters.
    DraftLetter,
    /// Acknowledge a superior's responsibility letter for this unit.
    AcknowledgeLetter,
    /// Publish a year of the holiday calendar to the subtree (节假日安排).
    PublishCalendar,
}

impl Action {
    /// Every action, in the order of the documented table.
    pub fn all() -> Vec<Action> {
        let mut v = vec![
            Action::ReadCases,
            Action::ReadSchedules,
            Action::ReadReports,
            Action::ReadStatus,
            Action::RegisterCase,
            Action::AddNote,
        ];
        v.extend(Step::ALL.into_iter().map(Action::Step));
        v.extend([
            Action::EditSchedule,
            Action::ReviewSchedule,
            Action::ApproveSchedule,
            Action::PublishSchedule,
            Action::AdjustSchedule,
            Action::RecordAttendance,
            Action::GenerateQuarterly,
            Action::ManageUsers,
            Action::ReadAudit,
            Action::RebuildProjections,
            Action::ReadLedger,
            Action::AcknowledgeLedger,
            Action::ReadQuarantine,
            Action::EndRecovery,
            Action::IssueBulletin,
            Action::RecordAccountability,
            Action::DraftLetter,
            Action::AcknowledgeLetter,
            Action::PublishCalendar,
        ]);
        v
    }

    /// A stable name, as in refusals and the audit log.
    pub fn code(self) -> String {
        let fixed = match self {
            Action::ReadCases => "case.read",
            Action::ReadSchedules => "schedule.read",
            Action::ReadReports => "report.read",
            Action::ReadStatus => "status.read",
            Action::RegisterCase => "case.register",
            Action::AddNote => "case.note",
            Action::Step(s) => return format!("case.{}", s.kind()),
            Action::EditSchedule => "schedule.edit",
            Action::ReviewSchedule => "schedule.review",
            Action::ApproveSchedule => "schedule.approve",
            Action::PublishSchedule => "schedule.publish",
            Action::AdjustSchedule => "schedule.adjust",
            Action::RecordAttendance => "attendance.record",
            Action::GenerateQuarterly => "quarterly.generate",
            Action::ManageUsers => "user.manage",
            Action::ReadAudit => "audit.read",
            Action::RebuildProjections => "projections.rebuild",
            Action::ReadLedger => "ledger.read",
            Action::AcknowledgeLedger => "ledger.acknowledge",
            Action::ReadQuarantine => "quarantine.read",
            Action::EndRecovery => "recovery.end",
            Action::IssueBulletin => "bulletin.issue",
            Action::RecordAccountability => "accountability.record",
            Action::DraftLetter => "letter.draft",
            Action::AcknowledgeLetter => "letter.acknowledge",
            Action::PublishCalendar => "calendar.publish",
        };
        fixed.to_owned()
    }

    pub fn is_read(self) -> bool {
        matches!(
            self,
            Action::ReadCases | Action::ReadSchedules | Action::ReadReports | Action::ReadStatus
        )
    }
}

/// The roles that may take a lifecycle step.
fn step_roles(step: Step) -> &'static [Role] {
    use Role::*;
    match step {
        // The petition office's work on a case it holds.
        Step::Screening
        | Step::Forward
        | Step::Assign
        | Step::Objection
        | Step::ObjectionDecision
        | Step::Notice
        | Step::NoOpinion
        | Step::Major
        | Step::HigherVisit
        | Step::Progress
        | Step::Extension
        | Step::Reply
        | Step::Rating
        | Step::ReturnVisit
        | Step::Archive
        | Step::ReviewRequest
        // The office books a case onto a leader's reception day, records the
        // leader's decision and sends and collects the eight-copy form (seed 004:
        // 由信访部门填报“八单”).
        | Step::Booking
        | Step::ReceptionOutcome
        | Step::SupervisionForm
        | Step::FormAck
        // Written by the node on an acceptance and by its sealer; by hand only as
        // part of handling.
        | Step::ContactKey
        | Step::SealedContact => &[Handler],
        // Written by the registering node's outbox only, never through the API.
        Step::Delivery => &[],
        // The registrar confirms what registration found; who keeps the
        // petitioners' histories merges two that are one person.
        Step::SkipLevelLink | Step::SamePetitioner => &[Registrar, Handler],
        // Oversight by the leader in charge: supervising, sending a reply back,
        // deciding a review (复查/复核).
        Step::Supervision | Step::SendBack | Step::ReviewDecision => &[Reviewer],
        // Any leader may own a case (包案); the office keeps the library and
        // reports cases to leaders (seed 002: 由我局呈报相关市领导同志).
        Step::Ownership => &[Reviewer, Approver],
        Step::LibraryEntry | Step::OwnershipProposal => &[Handler, Reviewer],
        // The principal leader's decisions.
        Step::LeadDecision | Step::LeaderApproval | Step::Closure => &[Approver],
    }
}

/// Whether a holder of `role` may take `action`. Pure; the one table.
pub fn allowed(role: Role, action: Action) -> bool {
    use Role::*;
    match action {
        // Everyone signed in may read.
        Action::ReadCases | Action::ReadSchedules | Action::ReadReports | Action::ReadStatus => {
            true
        }
        Action::RegisterCase => role == Registrar,
        Action::AddNote => matches!(role, Registrar | Handler),
        Action::Step(s) => step_roles(s).contains(&role),
        Action::EditSchedule
        | Action::PublishSchedule
        | Action::AdjustSchedule
        | Action::RecordAttendance
        | Action::GenerateQuarterly => role == Handler,
        Action::ReviewSchedule => role == Reviewer,
        Action::ApproveSchedule => role == Approver,
        Action::ManageUsers
        | Action::ReadAudit
        | Action::RebuildProjections
        | Action::AcknowledgeLedger
        | Action::ReadQuarantine
        | Action::EndRecovery
        // The calendar every deadline below counts by: the system's keeper.
        | Action::PublishCalendar => role == Administrator,
        // The leader in charge oversees the office's records too.
        Action::ReadLedger => matches!(role, Administrator | Reviewer),
        // A superior's leaders circulate praise and criticism (通报).
        Action::IssueBulletin => matches!(role, Reviewer | Approver),
        // Holding people to account is the leaders' decision, like a notice.
        Action::RecordAccountability => matches!(role, Reviewer | Approver),
        // A superior's leaders set the letters below and assess against them
        // (seed 003 art. 5, 13).
        Action::DraftLetter => matches!(role, Reviewer | Approver),
        // The principal leader signs for the unit (主要领导).
        Action::AcknowledgeLetter => role == Approver,
    }
}

/// Whether any of `roles` may take `action`.
pub fn any_allowed(roles: &[Role], action: Action) -> bool {
    roles.iter().any(|r| allowed(*r, action))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::Body;

    /// The table in docs/accounts.md, parsed: action code → roles ticked.
    fn documented() -> Vec<(String, Vec<Role>)> {
        let doc = include_str!("../../../docs/accounts.md");
        let start = doc
            .find("<!-- roles-table -->")
            .expect("docs/accounts.md marks its table");
        let mut header: Vec<Role> = Vec::new();
        let mut rows = Vec::new();
        for line in doc[start..].lines().skip(1) {
            let line = line.trim();
            if !line.starts_with('|') {
                if header.is_empty() {
                    continue;
                }
                break;
            }
            let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
            if header.is_empty() {
                header = cells[1..]
                    .iter()
                    .map(|c| {
                        let code = c.split_whitespace().next().unwrap_or_default();
                        Role::parse(code).unwrap_or_else(|| panic!("unknown role column {c:?}"))
                    })
                    .collect();
                continue;
            }
            if cells[0].starts_with("---") {
                continue;
            }
            let code = cells[0].trim_matches('`').to_owned();
            let ticked = cells[1..]
                .iter()
                .zip(&header)
                .filter(|(c, _)| **c == "✓")
                .map(|(_, r)| *r)
                .collect();
            rows.push((code, ticked));
        }
        rows
    }

    #[test]
    fn the_documented_table_is_the_function_cell_by_cell() {
        let doc = documented();
        let actions = Action::all();
        assert_eq!(
            doc.iter().map(|(c, _)| c.clone()).collect::<Vec<_>>(),
            actions.iter().map(|a| a.code()).collect::<Vec<_>>(),
            "docs/accounts.md lists every action once, in order"
        );
        for (action, (_, ticked)) in actions.iter().zip(&doc) {
            for role in Role::ALL {
                assert_eq!(
                    allowed(role, *action),
                    ticked.contains(&role),
                    "{} for {}: docs/accounts.md and `allowed` disagree",
                    action.code(),
                    role.code()
                );
            }
        }
    }

    #[test]
    fn every_write_has_a_role_and_reads_are_for_everyone() {
        for action in Action::all() {
            let holders: Vec<Role> = Role::ALL
                .into_iter()
                .filter(|r| allowed(*r, action))
                .collect();
            if action.is_read() {
                assert_eq!(holders, Role::ALL.to_vec(), "{}", action.code());
            } else if action == Action::Step(Step::Delivery) {
                // Written by the registering node's outbox alone, never by hand.
                assert!(holders.is_empty(), "{} is the node's", action.code());
            } else {
                assert!(!holders.is_empty(), "{} has no role", action.code());
                assert!(
                    !holders.contains(&Role::Viewer),
                    "a viewer may not {}",
                    action.code()
                );
            }
        }
    }

    #[test]
    fn administrators_take_no_step_on_cases_or_schedules() {
        for action in Action::all() {
            let domain_write = !action.is_read()
                && !matches!(
                    action,
                    Action::ManageUsers
                        | Action::ReadAudit
                        | Action::RebuildProjections
                        | Action::ReadLedger
                        | Action::AcknowledgeLedger
                        | Action::ReadQuarantine
                        | Action::EndRecovery
                        // The system's data, not a case or a schedule.
                        | Action::PublishCalendar
                );
            if domain_write {
                assert!(!allowed(Role::Administrator, action), "{}", action.code());
            }
        }
    }

    #[test]
    fn steps_and_record_kinds_agree() {
        for s in Step::ALL {
            assert_eq!(Step::from_kind(s.kind()), Some(s));
        }
        let body: Body = serde_json::from_str(
            r#"{"kind":"closure","facts_clear":true,"handled_in_place":true,"file_complete":true}"#,
        )
        .unwrap();
        assert_eq!(Step::of(&body), Step::Closure);
        assert_eq!(Step::from_kind("nonsense"), None);
        for r in Role::ALL {
            assert_eq!(Role::parse(r.code()), Some(r));
        }
    }
}
