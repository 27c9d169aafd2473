//! Accounts and roles on the local API (docs/accounts.md), on real nodes: each
//! role does exactly its actions; refusals name user, roles and action and are
//! audited; wrong passwords, expired and ended tokens are refused; records carry
//! the user to the superior; staff certificates map to users; a plaintext API
//! beyond loopback does not start.

use std::sync::Arc;

use tonic::Code;
use xinfang_hub::net::Security;
use xinfang_hub::{HubConfig, Tier, Topology, Unit};
use xinfang_node::auth::{Action, Role, allowed};
use xinfang_node::server::{self, ApiListen, NodeConfig, StartError};
use xinfang_proto::v1 as pb;
use xinfang_proto::v1::accounts_client::AccountsClient;
use xinfang_proto::v1::node_client::NodeClient;
use xinfang_proto::v1::reports_client::ReportsClient;
use xinfang_proto::v1::schedules_client::SchedulesClient;
use xinfang_tests::*;

const PASSWORD: &str = "a-long-password";

/// One user per role at `unit`, signed in: (role, user name, token).
async fn one_per_role(fed: &Federation, unit: &str) -> anyhow::Result<Vec<(Role, String, String)>> {
    let mut out = Vec::new();
    for role in Role::ALL {
        let name = format!("u-{}", role.code());
        fed.add_user(unit, &name, &[role.code()], PASSWORD).await?;
        let token = fed.login(unit, &name, PASSWORD).await?;
        out.push((role, name, token));
    }
    Ok(out)
}

/// The audit log of `unit`, read as the operator.
async fn audit(fed: &Federation, unit: &str) -> anyhow::Result<Vec<pb::AuditEntry>> {
    Ok(AccountsClient::new(fed.operator_channel(unit).await?)
        .audit(pb::AuditRequest {
            limit: 1000,
            ..Default::default()
        })
        .await?
        .into_inner()
        .entries)
}

/// Calls the RPC that takes `action` as the holder of `token`; Ok(()) or the
/// refusal's status. Requests are minimal: an allowed call may still fail the
/// domain's own rules, which is not a permission refusal.
async fn probe(
    fed: &Federation,
    unit: &str,
    token: &str,
    action: Action,
    case_no: &str,
) -> anyhow::Result<Result<(), tonic::Status>> {
    let ch = fed.channel_with_token(unit, token).await?;
    let mut node = NodeClient::new(ch.clone());
    let mut sched = SchedulesClient::new(ch.clone());
    let mut reports = ReportsClient::new(ch.clone());
    let mut ledger = xinfang_proto::v1::ledger_client::LedgerClient::new(ch.clone());
    let mut bulletins = xinfang_proto::v1::bulletins_client::BulletinsClient::new(ch.clone());
    let mut accountability =
        xinfang_proto::v1::accountability_client::AccountabilityClient::new(ch.clone());
    let mut letters = xinfang_proto::v1::letters_client::LettersClient::new(ch.clone());
    let ch_calendar = ch.clone();
    let mut accounts = AccountsClient::new(ch);
    let month = || pb::MonthRequest {
        unit: unit.into(),
        month: "2026-12".into(),
    };
    let r = match action {
        Action::ReadCases => node
            .get_case(pb::GetCaseRequest {
                case_no: case_no.into(),
            })
            .await
            .map(drop),
        Action::ReadSchedules => sched
            .get_roster(pb::UnitRequest { unit: unit.into() })
            .await
            .map(drop),
        Action::ReadReports => reports
            .summary(pb::ReportRequest {
                unit: unit.into(),
                ..Default::default()
            })
            .await
            .map(drop),
        Action::ReadStatus => node.status(pb::StatusRequest {}).await.map(drop),
        Action::RegisterCase => node
            .register_case(pb::RegisterCaseRequest {
                unit: unit.into(),
                petitioner: "张三".into(),
                content: "探测".into(),
                ..Default::default()
            })
            .await
            .map(drop),
        Action::AddNote => node
            .add_note(pb::AddNoteRequest {
                case_no: case_no.into(),
                text: "探测".into(),
            })
            .await
            .map(drop),
        Action::Step(step) => node
            .act(pb::ActRequest {
                case_no: case_no.into(),
                record: serde_json::json!({ "kind": step.kind() }).to_string(),
            })
            .await
            .map(drop),
        Action::EditSchedule => sched.draft(month()).await.map(drop),
        Action::ReviewSchedule => sched
            .review(pb::DecisionRequest {
                unit: unit.into(),
                month: "2026-12".into(),
                ..Default::default()
            })
            .await
            .map(drop),
        Action::ApproveSchedule => sched
            .approve(pb::DecisionRequest {
                unit: unit.into(),
                month: "2026-12".into(),
                ..Default::default()
            })
            .await
            .map(drop),
        Action::PublishSchedule => sched.publish(month()).await.map(drop),
        Action::AdjustSchedule => sched
            .adjust(pb::AdjustRequest {
                unit: unit.into(),
                month: "2026-12".into(),
                ..Default::default()
            })
            .await
            .map(drop),
        Action::RecordAttendance => sched
            .record_attendance(pb::AttendanceRequest {
                unit: unit.into(),
                ..Default::default()
            })
            .await
            .map(drop),
        Action::GenerateQuarterly => sched
            .generate_quarterly(pb::QuarterRequest {
                unit: unit.into(),
                quarter: "2026Q4".into(),
            })
            .await
            .map(drop),
        Action::ManageUsers => accounts.list_users(pb::ListUsersRequest {}).await.map(drop),
        Action::ReadAudit => accounts.audit(pb::AuditRequest::default()).await.map(drop),
        Action::ReadQuarantine => accounts
            .list_quarantine(pb::ListQuarantineRequest::default())
            .await
            .map(drop),
        // Allowed callers are told the node is not recovering (a refusal by rule,
        // not by permission).
        Action::EndRecovery => node
            .end_recovery(pb::EndRecoveryRequest {
                reason: "探测".into(),
            })
            .await
            .map(drop),
        Action::RebuildProjections => reports
            .rebuild_projections(pb::RebuildRequest {})
            .await
            .map(drop),
        Action::ReadLedger => ledger.verify(pb::LedgerVerifyRequest {}).await.map(drop),
        Action::AcknowledgeLedger => ledger
            .acknowledge(pb::LedgerAcknowledgeRequest { unit: unit.into() })
            .await
            .map(drop),
        // Allowed callers meet the rule instead: a unit does not circulate a
        // notice about itself.
        Action::IssueBulletin => bulletins
            .issue(pb::IssueBulletinRequest {
                kind: "criticism".into(),
                units: vec![unit.into()],
                title: "探测".into(),
                text: "探测".into(),
                ..Default::default()
            })
            .await
            .map(drop),
        // Allowed callers meet the rule instead: a unit does not hold itself to
        // account.
        Action::RecordAccountability => accountability
            .record(pb::RecordAccountabilityRequest {
                unit: unit.into(),
                people: vec!["leader:探测".into()],
                situation: "other".into(),
                form: "notice".into(),
                evidence: vec![format!("filing:{unit}/2026-05")],
                text: "探测".into(),
                ..Default::default()
            })
            .await
            .map(drop),
        // Allowed callers meet the rule instead: a unit sets no letter for itself.
        Action::DraftLetter => letters
            .draft(pb::DraftLetterRequest {
                unit: unit.into(),
                year: 2026,
                targets: vec![pb::LetterTarget {
                    kind: "rate".into(),
                    code: "timely_acceptance".into(),
                    threshold: 95.0,
                    ceiling: 0,
                }],
                measures: "探测".into(),
            })
            .await
            .map(drop),
        // Allowed callers meet NotFound instead: no letter was set.
        Action::AcknowledgeLetter => letters
            .acknowledge(pb::AcknowledgeLetterRequest {
                issuer: String::new(),
                year: 2026,
            })
            .await
            .map(drop),
        // Allowed callers meet the data's check instead: nothing is published.
        Action::PublishCalendar => {
            xinfang_proto::v1::calendar_client::CalendarClient::new(ch_calendar.clone())
                .publish_year(pb::PublishYearRequest {
                    toml: String::new(),
                })
                .await
                .map(drop)
        }
    };
    Ok(r)
}

both_stores! {
/// The must-hold: for every role and every action of the API, the call is refused
/// with PermissionDenied exactly when the role lacks the action (the refusal names
/// user, role and action); one allowed action of each role succeeds outright; a
/// viewer's attempt to close a case is refused and in the audit log.
async fn each_role_can_do_exactly_its_actions(backend: Backend) -> anyhow::Result<()> {
    let fed = Federation::start(backend, county_and_town()).await?;
    let users = one_per_role(&fed, TOWN_A).await?;
    let probe_case = fed.register(TOWN_A, "李四", "探测用").await?.case_no;

    for (role, name, token) in &users {
        for action in Action::all() {
            let got = probe(&fed, TOWN_A, token, action, &probe_case).await?;
            let denied = matches!(&got, Err(s) if s.code() == Code::PermissionDenied);
            assert_eq!(
                denied,
                !allowed(*role, action),
                "{} as {}: {got:?}",
                action.code(),
                role.code()
            );
            if let Err(s) = &got
                && denied
            {
                for needle in [name.as_str(), role.code(), action.code().as_str()] {
                    assert!(s.message().contains(needle), "{needle} not in {}", s.message());
                }
            }
        }
    }

    // One allowed action of each role goes all the way through.
    let token = |r: Role| users.iter().find(|u| u.0 == r).map(|u| u.2.clone()).unwrap_or_default();
    let story = fed
        .client_with_token(TOWN_A, &token(Role::Registrar))
        .await?
        .register_case(pb::RegisterCaseRequest {
            unit: TOWN_A.into(),
            petitioner: "王五".into(),
            content: "路灯不亮".into(),
            ..Default::default()
        })
        .await?
        .into_inner();
    assert_eq!(story.registered_by, "u-registrar");
    let act = |role: Role, body: serde_json::Value| {
        let fed = &fed;
        let token = token(role);
        let case_no = story.case_no.clone();
        async move {
            fed.client_with_token(TOWN_A, &token)
                .await?
                .act(pb::ActRequest {
                    case_no,
                    record: body.to_string(),
                })
                .await
                .map(tonic::Response::into_inner)
                .map_err(anyhow::Error::from)
        }
    };
    act(Role::Handler, serde_json::json!({"kind": "screening", "decision": {"decision": "accept"}})).await?;
    act(Role::Reviewer, serde_json::json!({"kind": "ownership", "leader": "林建隆"})).await?;
    let v = act(Role::Approver, serde_json::json!({"kind": "leader_approval", "leader": "林建隆", "opinion": "同意"})).await?;
    let by: Vec<(&str, &str)> = v.records.iter().map(|r| (r.kind.as_str(), r.by.as_str())).collect();
    for want in [("screening", "u-handler"), ("ownership", "u-reviewer"), ("leader_approval", "u-approver")] {
        assert!(by.contains(&want), "{want:?} in {by:?}");
    }
    fed.client_with_token(TOWN_A, &token(Role::Viewer))
        .await?
        .get_case(pb::GetCaseRequest { case_no: story.case_no.clone() })
        .await?;
    let listed = AccountsClient::new(fed.channel_with_token(TOWN_A, &token(Role::Administrator)).await?)
        .list_users(pb::ListUsersRequest {})
        .await?
        .into_inner();
    assert!(listed.users.iter().any(|u| u.name == "u-viewer"));

    // A viewer's attempt to close: refused, named, nothing written, audited.
    let close = serde_json::json!({"kind": "closure", "facts_clear": true, "handled_in_place": true, "file_complete": true});
    let err = act(Role::Viewer, close).await.expect_err("a viewer may not close");
    let status = err.downcast_ref::<tonic::Status>().expect("a gRPC status");
    assert_eq!(status.code(), Code::PermissionDenied);
    let msg = status.message();
    assert!(msg.contains("u-viewer") && msg.contains("viewer") && msg.contains("case.closure"), "{msg}");
    let after = fed.case_at(TOWN_A, &story.case_no).await?.expect("the case");
    assert_eq!(after.records.len(), v.records.len(), "nothing written");
    let log = audit(&fed, TOWN_A).await?;
    assert!(
        log.iter().any(|e| e.actor == "u-viewer"
            && e.action == "case.closure"
            && e.outcome == "refused"
            && e.target == story.case_no
            && e.roles == vec!["viewer".to_owned()]),
        "{log:?}"
    );
    // …and the node keeps serving everyone else.
    fed.note(TOWN_A, &story.case_no, "照常办理").await?;
    fed.shutdown().await;
    Ok(())
}
}

both_stores! {
/// A wrong password is refused naming the user, audited with the reason, and the
/// password appears nowhere in the audit log; an unknown user reads the same.
async fn a_wrong_password_is_refused_and_audited(backend: Backend) -> anyhow::Result<()> {
    let fed = Federation::start(backend, vec![(COUNTY, "海丰县", Tier::County, None)]).await?;
    fed.add_user(COUNTY, "li-na", &["handler"], PASSWORD).await?;
    let wrong = "not-the-password-123";
    let err = fed.login(COUNTY, "li-na", wrong).await.expect_err("wrong password");
    let s = err.downcast_ref::<tonic::Status>().expect("status");
    assert_eq!(s.code(), Code::Unauthenticated);
    assert!(s.message().contains("li-na"), "{}", s.message());
    let err = fed.login(COUNTY, "nobody", wrong).await.expect_err("unknown user");
    let unknown = err.downcast_ref::<tonic::Status>().expect("status");
    assert_eq!(unknown.message().replace("nobody", "li-na"), s.message(), "the same answer");
    // Bad input names the field.
    let err = fed.login(COUNTY, " ", wrong).await.expect_err("no user");
    assert!(err.to_string().contains("`user`"), "{err}");

    let log = audit(&fed, COUNTY).await?;
    let refused: Vec<&pb::AuditEntry> = log.iter().filter(|e| e.action == "login.password" && e.outcome == "refused").collect();
    assert!(refused.iter().any(|e| e.actor == "li-na" && e.reason.contains("wrong password")), "{log:?}");
    assert!(refused.iter().any(|e| e.actor == "nobody" && e.reason.contains("no user")), "{log:?}");
    for e in &log {
        let line = format!("{e:?}");
        assert!(!line.contains(wrong) && !line.contains(PASSWORD), "a password in the audit log: {line}");
    }
    // The right password still works afterwards.
    fed.login(COUNTY, "li-na", PASSWORD).await?;
    fed.shutdown().await;
    Ok(())
}
}

both_stores! {
/// A token past its lifetime (the node's clock moved 8 hours and a minute on) is
/// refused, naming the user and when it expired; signing in again works.
async fn an_expired_token_is_refused(backend: Backend) -> anyhow::Result<()> {
    let clock = TestClock::at("2026-03-05T10:00:00+08:00")?;
    let fed = Federation::start_at(
        backend,
        vec![(COUNTY, "海丰县", Tier::County, None)],
        clock.clock(),
        Default::default(),
    )
    .await?;
    // The harness gives test-clock nodes long tokens; this node runs with the
    // default lifetime.
    let mut fed = fed;
    fed.token_ttl = xinfang_node::auth::store::DEFAULT_TOKEN_TTL;
    fed.stop_node(COUNTY).await?;
    fed.start_node(COUNTY).await?;
    fed.add_user(COUNTY, "li-na", &["viewer"], PASSWORD).await?;
    let token = fed.login(COUNTY, "li-na", PASSWORD).await?;
    let mut client = fed.client_with_token(COUNTY, &token).await?;
    client.list_cases(pb::ListCasesRequest::default()).await?;

    clock.set("2026-03-05T18:01:00+08:00")?;
    let err = client
        .list_cases(pb::ListCasesRequest::default())
        .await
        .expect_err("expired");
    assert_eq!(err.code(), Code::Unauthenticated);
    assert!(err.message().contains("li-na") && err.message().contains("expired"), "{err}");
    let log = audit(&fed, COUNTY).await?;
    assert!(log.iter().any(|e| e.actor == "li-na" && e.action == "login.token" && e.reason.contains("expired")), "{log:?}");
    let fresh = fed.login(COUNTY, "li-na", PASSWORD).await?;
    fed.client_with_token(COUNTY, &fresh)
        .await?
        .list_cases(pb::ListCasesRequest::default())
        .await?;
    fed.shutdown().await;
    Ok(())
}
}

both_stores! {
/// Disabling a user ends their live token at once (and enabling them again does
/// not bring it back); a disabled user cannot sign in; only administrators manage
/// users, and bad input names the field and writes nothing.
async fn a_disabled_users_live_token_stops_working(backend: Backend) -> anyhow::Result<()> {
    let fed = Federation::start(backend, vec![(COUNTY, "海丰县", Tier::County, None)]).await?;
    fed.add_user(COUNTY, "li-na", &["registrar"], PASSWORD).await?;
    let token = fed.login(COUNTY, "li-na", PASSWORD).await?;
    let mut client = fed.client_with_token(COUNTY, &token).await?;
    client.list_cases(pb::ListCasesRequest::default()).await?;

    let mut admin = AccountsClient::new(fed.operator_channel(COUNTY).await?);
    let u = admin
        .set_disabled(pb::SetDisabledRequest { name: "li-na".into(), disabled: true })
        .await?
        .into_inner();
    assert!(u.disabled);
    let err = client
        .register_case(pb::RegisterCaseRequest {
            unit: COUNTY.into(),
            petitioner: "张三".into(),
            content: "停用后".into(),
            ..Default::default()
        })
        .await
        .expect_err("a disabled user's token");
    assert_eq!(err.code(), Code::Unauthenticated);
    assert!(err.message().contains("li-na") && err.message().contains("disabled"), "{err}");
    let err = fed.login(COUNTY, "li-na", PASSWORD).await.expect_err("disabled");
    assert!(err.to_string().contains("disabled"), "{err}");

    admin
        .set_disabled(pb::SetDisabledRequest { name: "li-na".into(), disabled: false })
        .await?;
    let err = client.list_cases(pb::ListCasesRequest::default()).await.expect_err("old token");
    assert_eq!(err.code(), Code::Unauthenticated);
    fed.login(COUNTY, "li-na", PASSWORD).await?;

    // Bad input: named, nothing written.
    let bad = admin
        .add_user(pb::AddUserRequest {
            name: "Bad Name".into(),
            roles: vec!["viewer".into()],
            password: PASSWORD.into(),
            ..Default::default()
        })
        .await
        .expect_err("bad name");
    assert_eq!(bad.code(), Code::InvalidArgument);
    assert!(bad.message().contains("`name`"), "{bad}");
    let bad = admin
        .add_user(pb::AddUserRequest {
            name: "zhao".into(),
            roles: vec!["boss".into()],
            password: PASSWORD.into(),
            ..Default::default()
        })
        .await
        .expect_err("bad role");
    assert!(bad.message().contains("`roles`") && bad.message().contains("boss"), "{bad}");
    let bad = admin
        .add_user(pb::AddUserRequest {
            name: "zhao".into(),
            roles: vec!["viewer".into()],
            password: "short".into(),
            ..Default::default()
        })
        .await
        .expect_err("short password");
    assert!(bad.message().contains("`password`"), "{bad}");
    let dup = admin
        .add_user(pb::AddUserRequest {
            name: "li-na".into(),
            roles: vec!["viewer".into()],
            password: PASSWORD.into(),
            ..Default::default()
        })
        .await
        .expect_err("exists");
    assert_eq!(dup.code(), Code::AlreadyExists);
    let users = admin.list_users(pb::ListUsersRequest {}).await?.into_inner().users;
    assert!(!users.iter().any(|u| u.name == "zhao"), "{users:?}");
    // A user holding the staff roles still may not manage users.
    let err = AccountsClient::new(fed.channel(COUNTY).await?)
        .set_disabled(pb::SetDisabledRequest { name: "li-na".into(), disabled: true })
        .await
        .expect_err("not an administrator");
    assert_eq!(err.code(), Code::PermissionDenied);
    assert!(err.message().contains(TESTER) && err.message().contains("user.manage"), "{err}");
    fed.shutdown().await;
    Ok(())
}
}

both_stores! {
/// Every record carries the user who wrote it, and so does the registration; they
/// replicate with it, so the county sees who at the town took each step.
async fn records_carry_the_user_to_the_superior(backend: Backend) -> anyhow::Result<()> {
    let fed = Federation::start(backend, county_and_town()).await?;
    fed.add_user(TOWN_A, "li-na", &["registrar", "handler"], PASSWORD).await?;
    let token = fed.login(TOWN_A, "li-na", PASSWORD).await?;
    let mut town = fed.client_with_token(TOWN_A, &token).await?;
    let case = town
        .register_case(pb::RegisterCaseRequest {
            unit: TOWN_A.into(),
            petitioner: "张三".into(),
            content: "小区道路破损".into(),
            ..Default::default()
        })
        .await?
        .into_inner();
    town.act(pb::ActRequest {
        case_no: case.case_no.clone(),
        record: serde_json::json!({"kind": "screening", "decision": {"decision": "accept"}}).to_string(),
    })
    .await?;
    town.add_note(pb::AddNoteRequest { case_no: case.case_no.clone(), text: "已联系".into() })
        .await?;
    let at_county = wait_for("the town's steps at the county", PATIENCE, || async {
        Ok(fed
            .case_at(COUNTY, &case.case_no)
            .await?
            .filter(|c| c.records.len() >= 2))
    })
    .await?;
    assert_eq!(at_county.registered_by, "li-na");
    for r in &at_county.records {
        assert_eq!(r.by, "li-na", "{r:?}");
        let json: serde_json::Value = serde_json::from_str(&r.json)?;
        assert_eq!(json["by"], "li-na");
    }
    assert_eq!(at_county.notes[0].by, "li-na");
    fed.shutdown().await;
    Ok(())
}
}

both_stores! {
/// A staff certificate signs its holder in as the node's user of that name, with
/// that user's roles and no password; one without a user there is refused, named.
async fn a_staff_certificate_is_its_user(backend: Backend) -> anyhow::Result<()> {
    let fed = Federation::start(backend, vec![(COUNTY, "海丰县", Tier::County, None)]).await?;
    let wang = fed.dir.path().join("wang");
    fed.pki()?.issue_staff_with("wang", &wang, &Default::default())?;
    let zhao = fed.dir.path().join("zhao");
    fed.pki()?.issue_staff_with("zhao", &zhao, &Default::default())?;
    AccountsClient::new(fed.operator_channel(COUNTY).await?)
        .add_user(pb::AddUserRequest {
            name: "wang".into(),
            display_name: "王科长".into(),
            roles: vec!["registrar".into()],
            password: String::new(),
        })
        .await?;
    let me = AccountsClient::new(fed_channel(&fed, &wang).await?)
        .who_am_i(pb::WhoAmIRequest {})
        .await?
        .into_inner();
    assert_eq!((me.name.as_str(), me.via.as_str()), ("wang", "staff_certificate"));
    let case = NodeClient::new(fed_channel(&fed, &wang).await?)
        .register_case(pb::RegisterCaseRequest {
            unit: COUNTY.into(),
            petitioner: "张三".into(),
            content: "凭证书登记".into(),
            ..Default::default()
        })
        .await?
        .into_inner();
    assert_eq!(case.registered_by, "wang");
    // Without a password a user cannot sign in by password.
    assert!(fed.login(COUNTY, "wang", "anything-at-all").await.is_err());
    let err = NodeClient::new(fed_channel(&fed, &zhao).await?)
        .list_cases(pb::ListCasesRequest::default())
        .await
        .expect_err("no user zhao");
    assert_eq!(err.code(), Code::Unauthenticated);
    assert!(err.message().contains("zhao"), "{err}");
    fed.shutdown().await;
    Ok(())
}
}

async fn fed_channel(
    fed: &Federation,
    dir: &std::path::Path,
) -> anyhow::Result<tonic::transport::Channel> {
    fed.raw_channel(
        COUNTY,
        Some((dir, xinfang_ca::STAFF_CERT, xinfang_ca::STAFF_KEY)),
    )
    .await
}

/// A node does not start with a plaintext API beyond loopback; it names the
/// address (checked before anything is bound or opened).
#[tokio::test]
async fn a_plaintext_api_beyond_loopback_does_not_start() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let topology = Topology::from_units(vec![Unit {
        code: code(COUNTY),
        name: "海丰县".into(),
        tier: Tier::County,
        parent: None,
        listen: "127.0.0.1:1".into(),
        api: None,
        kind: Default::default(),
        attributes: Default::default(),
    }])?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let cfg = NodeConfig {
        unit: code(COUNTY),
        topology: Arc::new(topology),
        data_dir: dir.path().join("data"),
        db: None,
        security: Security::Insecure,
        durability: Default::default(),
        hub: HubConfig::default(),
        match_key: None,
        limits: None,
        rules_dirs: Vec::new(),
        clock: None,
        metrics_listen: None,
        api: Some(ApiListen::Addr("0.0.0.0:0".parse()?)),
        token_ttl: std::time::Duration::from_secs(3600),
        pii_clear_roles: xinfang_node::pii::DEFAULT_CLEAR_ROLES.to_vec(),
        console: None,
        outbox: None,
        public: None,
        api_limits: Default::default(),
    };
    match server::start(cfg, listener).await {
        Err(e @ StartError::ApiExposed { .. }) => {
            let msg = e.to_string();
            assert!(msg.contains("0.0.0.0") && msg.contains("TLS"), "{msg}");
        }
        Err(other) => anyhow::bail!("refused for another reason: {other}"),
        Ok(node) => {
            node.shutdown().await;
            anyhow::bail!("a plaintext API on 0.0.0.0 started");
        }
    }
    assert!(
        !dir.path().join("data").exists(),
        "nothing is opened before the check"
    );
    for (addr, tls, ok) in [
        ("127.0.0.1:8400", false, true),
        ("[::1]:8400", false, true),
        ("10.1.2.3:8400", false, false),
        ("0.0.0.0:8400", false, false),
        ("10.1.2.3:8400", true, true),
    ] {
        assert_eq!(
            server::api_exposure_ok(&addr.parse()?, tls),
            ok,
            "{addr} tls={tls}"
        );
    }
    Ok(())
}
