//! The tamper-evident ledger on real nodes: every commit is chained in the
//! transaction that makes it, `ledger verify` finds an edited entry, and a parent
//! flags a child whose database was edited to rewrite an earlier entry — loudly
//! (status, metrics), sticky until acknowledged, and in an integrity alert that
//! reaches the superior — while cases keep syncing.

use sqlx::Row;
use xinfang_node::ledger::{Entry, GENESIS, chain, entry_of};
use xinfang_proto::v1 as pb;
use xinfang_proto::v1::ledger_client::LedgerClient;
use xinfang_tests::*;

/// City → county → one town: a parent, its child, and a superior above both.
fn three_tiers() -> Vec<(
    &'static str,
    &'static str,
    xinfang_hub::Tier,
    Option<&'static str>,
)> {
    haifeng()
        .into_iter()
        .filter(|u| [CITY, COUNTY, TOWN_A].contains(&u.0))
        .collect()
}

async fn ledger(fed: &Federation, unit: &str) -> anyhow::Result<LedgerClient<Api>> {
    Ok(LedgerClient::new(fed.channel(unit).await?))
}

/// What `ledger verify` finds at `unit`.
async fn verify(fed: &Federation, unit: &str) -> anyhow::Result<pb::LedgerVerification> {
    Ok(ledger(fed, unit)
        .await?
        .verify(pb::LedgerVerifyRequest {})
        .await?
        .into_inner())
}

async fn status(fed: &Federation, unit: &str) -> anyhow::Result<pb::StatusResponse> {
    Ok(fed
        .client(unit)
        .await?
        .status(pb::StatusRequest {})
        .await?
        .into_inner())
}

fn peer<'a>(s: &'a pb::StatusResponse, unit: &str) -> anyhow::Result<&'a pb::PeerStatus> {
    s.peers
        .iter()
        .find(|p| p.unit == unit)
        .ok_or_else(|| anyhow::anyhow!("{} has no link with {unit}", s.unit))
}

async fn entries(db: &xinfang_hub::db::Db) -> anyhow::Result<Vec<Entry>> {
    let rows = sqlx::query(
        "SELECT seq, at_ms, kind, doc_id, actor, peer, detail, prev_hash, hash
         FROM node_ledger ORDER BY seq",
    )
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(entry_of).collect::<Result<_, _>>()?)
}

/// Rewrites the first entry about `doc_id` and, like a careful forger, every hash
/// after it, so the edited chain holds together on its own.
async fn rewrite_history(db: &xinfang_hub::db::Db, doc_id: &str) -> anyhow::Result<u64> {
    let mut all = entries(db).await?;
    let target = all
        .iter()
        .position(|e| e.doc_id == doc_id)
        .ok_or_else(|| anyhow::anyhow!("no entry about {doc_id}"))?;
    all[target].detail = "rewritten".into();
    let mut prev = GENESIS;
    for e in &mut all {
        let h = chain(&prev, &e.canonical());
        e.prev_hash = hex::encode(prev);
        e.hash = hex::encode(h);
        prev = h;
    }
    for e in &all[target..] {
        sqlx::query("UPDATE node_ledger SET detail = $1, prev_hash = $2, hash = $3 WHERE seq = $4")
            .bind(&e.detail)
            .bind(hex::decode(&e.prev_hash)?)
            .bind(hex::decode(&e.hash)?)
            .bind(e.seq as i64)
            .execute(db.pool())
            .await?;
    }
    Ok(all[target].seq)
}

both_stores! {
/// Every document a node holds has its entry, with the heads it holds, chained
/// from the start; `ledger verify` recomputes the chain and names the first
/// entry edited in the database.
async fn verify_finds_an_edited_entry(backend: Backend) -> anyhow::Result<()> {
    let fed = Federation::start(backend, county_and_town()).await?;
    let case = fed.register(TOWN_A, "张三", "小区道路破损").await?;
    fed.note(TOWN_A, &case.case_no, "已联系物业").await?;
    wait_for("the county to hold the case", PATIENCE, || async {
        Ok(fed.case_at(COUNTY, &case.case_no).await?.map(|_| ()))
    })
    .await?;

    // Local writes at the town, the accepted change at the county: each document's
    // latest heads are in an entry, and the chains hold.
    for (unit, kind) in [(TOWN_A, "local"), (COUNTY, "remote")] {
        let db = fed.db(unit).await?;
        let docs = sqlx::query("SELECT doc_id, heads FROM hub_docs")
            .fetch_all(db.pool())
            .await?;
        let chain = entries(&db).await?;
        for d in &docs {
            let (id, heads): (String, String) = (d.try_get(0)?, d.try_get(1)?);
            assert!(
                chain.iter().any(|e| e.doc_id == id && e.detail == heads && e.kind == kind),
                "{unit}: no {kind} entry for {id} at its heads"
            );
        }
        if unit == COUNTY {
            assert!(chain.iter().any(|e| e.peer == TOWN_A), "the county names the town");
        }
        // Sign-ins are audited, and the audit lines are chained too.
        assert!(chain.iter().any(|e| e.kind == "audit"), "{unit}: audit lines chained");
        let v = verify(&fed, unit).await?;
        assert!(v.ok, "{unit}: {v:?}");
        assert_eq!(v.entries, chain.len() as u64);
        assert_eq!(v.head_hash, chain.last().map(|e| e.hash.clone()).unwrap_or_default());
    }

    // Shown newest last, with kinds and hashes.
    let shown = ledger(&fed, TOWN_A).await?
        .show(pb::LedgerShowRequest { limit: 3 })
        .await?
        .into_inner()
        .entries;
    assert_eq!(shown.len(), 3);
    assert!(shown.windows(2).all(|w| w[0].seq + 1 == w[1].seq && w[1].prev_hash == w[0].hash));

    // Someone edits an entry in the town's database (not its hashes).
    let db = fed.db(TOWN_A).await?;
    let edited = entries(&db)
        .await?
        .into_iter()
        .find(|e| e.doc_id == case.doc_id)
        .ok_or_else(|| anyhow::anyhow!("no entry for the case"))?;
    sqlx::query("UPDATE node_ledger SET actor = 'nobody' WHERE seq = $1")
        .bind(edited.seq as i64)
        .execute(db.pool())
        .await?;
    let v = verify(&fed, TOWN_A).await?;
    assert!(!v.ok, "{v:?}");
    assert_eq!(v.bad_seq, edited.seq);
    assert!(v.reason.contains("hash"), "{}", v.reason);

    // A viewer may not read the ledger; the refusal names the action.
    fed.add_user(TOWN_A, "zhao", &["viewer"], "zhao-password").await?;
    let token = fed.login(TOWN_A, "zhao", "zhao-password").await?;
    let refused = LedgerClient::new(fed.channel_with_token(TOWN_A, &token).await?)
        .show(pb::LedgerShowRequest { limit: 1 })
        .await
        .expect_err("a viewer reads no ledger");
    assert_eq!(refused.code(), tonic::Code::PermissionDenied);
    assert!(refused.message().contains("ledger.read"), "{}", refused.message());
    fed.shutdown().await;
    Ok(())
}

/// A node whose database was edited to rewrite an earlier ledger entry is
/// flagged by its parent on the next sync, even when the forger recomputed every
/// hash after it: the parent's status, metrics and an integrity alert at the
/// superior say so, cases keep syncing, and the flag stays until acknowledged.
async fn a_rewritten_chain_is_flagged_by_the_parent(backend: Backend) -> anyhow::Result<()> {
    let mut fed = Federation::start_with_metrics(backend, three_tiers()).await?;
    let first = fed.register(TOWN_A, "张三", "小区道路破损").await?;
    fed.note(TOWN_A, &first.case_no, "已联系物业").await?;
    // The county has seen the town's chain once it holds the case and its note.
    let seen = wait_for("the county to see the town's ledger", PATIENCE, || async {
        let s = status(&fed, COUNTY).await?;
        let p = peer(&s, TOWN_A)?;
        Ok((p.ledger_seen_seq > 0
            && fed.case_at(COUNTY, &first.case_no).await?.is_some_and(|c| c.notes.len() == 1))
            .then_some(p.ledger_seen_seq))
    })
    .await?;
    let s = status(&fed, COUNTY).await?;
    assert_eq!(peer(&s, TOWN_A)?.ledger_flag, "", "an honest chain is not flagged");
    assert!(s.integrity_alerts.is_empty());

    // The town stops; its database is edited: the case's first entry rewritten
    // and every later hash recomputed, so the town's own chain holds together.
    fed.stop_node(TOWN_A).await?;
    let rewritten = {
        let db = fed.db(TOWN_A).await?;
        let seq = rewrite_history(&db, &first.doc_id).await?;
        db.close().await;
        seq
    };
    assert!(rewritten <= seen, "an entry the county had seen");
    fed.start_node(TOWN_A).await?;
    let v = verify(&fed, TOWN_A).await?;
    assert!(v.ok, "a careful forger's chain verifies locally: {v:?}");

    // The next sync: the county flags the town.
    let flag = wait_for("the county to flag the town", PATIENCE, || async {
        let s = status(&fed, COUNTY).await?;
        let p = peer(&s, TOWN_A)?;
        Ok((!p.ledger_flag.is_empty()).then(|| p.clone()))
    })
    .await?;
    assert!(flag.ledger_flag.contains("rewritten"), "{}", flag.ledger_flag);
    assert!(!flag.ledger_flagged_at.is_empty());
    let addr = fed.metrics_addr(COUNTY).ok_or_else(|| anyhow::anyhow!("no metrics"))?;
    let (_, _, text) = http_get(addr, "/metrics").await?;
    assert!(
        text.lines().any(|l| l == format!("xinfang_peer_ledger_flagged{{peer=\"{TOWN_A}\"}} 1")),
        "metrics show the flag:\n{text}"
    );

    // The alert reaches the city; the county holds it too.
    let alert = wait_for("the city to see the integrity alert", PATIENCE, || async {
        let s = status(&fed, CITY).await?;
        Ok(s.integrity_alerts.into_iter().find(|a| a.subject == TOWN_A))
    })
    .await?;
    assert_eq!(alert.reporter, COUNTY);
    assert!(alert.reason.contains("rewritten"), "{}", alert.reason);
    assert_eq!(status(&fed, COUNTY).await?.integrity_alerts.len(), 1);

    // The town found its own chain no longer holds what the county saw of it: it
    // recovers (everything sent back), then registers again. Cases keep syncing,
    // and the flag stays.
    wait_for("the town's recovery", PATIENCE, || async {
        Ok(status(&fed, TOWN_A).await?.recovery.is_none().then_some(()))
    })
    .await?;
    let second = fed.register(TOWN_A, "李四", "路灯不亮").await?;
    wait_for("the county to hold the second case", PATIENCE, || async {
        Ok(fed.case_at(COUNTY, &second.case_no).await?.map(|_| ()))
    })
    .await?;
    let s = status(&fed, COUNTY).await?;
    assert!(!peer(&s, TOWN_A)?.ledger_flag.is_empty(), "sticky");

    // The tester (no administrator) may not clear it; the operator may.
    let refused = ledger(&fed, COUNTY).await?
        .acknowledge(pb::LedgerAcknowledgeRequest { unit: TOWN_A.into() })
        .await
        .expect_err("only an administrator acknowledges");
    assert_eq!(refused.code(), tonic::Code::PermissionDenied);
    let cleared = LedgerClient::new(fed.operator_channel(COUNTY).await?)
        .acknowledge(pb::LedgerAcknowledgeRequest { unit: TOWN_A.into() })
        .await?
        .into_inner()
        .cleared;
    assert!(cleared);
    let s = status(&fed, COUNTY).await?;
    assert_eq!(peer(&s, TOWN_A)?.ledger_flag, "");
    assert_eq!(s.integrity_alerts.len(), 1, "the alert document stays");
    fed.shutdown().await;
    Ok(())
}

/// Personal data at rest: ID and phone numbers are encrypted under the node's
/// key (its file private, in the data folder), keyed hashes beside them; a role
/// configured for clear values sees them and each such view is in the ledger
/// (who, case, field); a viewer gets the masked forms only; rows an earlier
/// version kept in clear are encrypted at the next start.
async fn personal_data_is_encrypted_and_every_clear_view_is_logged(backend: Backend) -> anyhow::Result<()> {
    let mut fed = Federation::start(backend, county_and_town()).await?;
    let id = id_number("44152119800101123");
    let phone = "13800138000";
    let case = fed
        .client(TOWN_A)
        .await?
        .register_case(pb::RegisterCaseRequest {
            unit: TOWN_A.into(),
            petitioner: "张三".into(),
            content: "小区道路破损".into(),
            id_number: id.clone(),
            phone: phone.into(),
            ..Default::default()
        })
        .await?
        .into_inner();
    assert_eq!((case.id_number.as_str(), case.phone.as_str()), (id.as_str(), phone));

    // At rest: ciphertext and keyed hashes, never the clear values.
    let stored = |db: xinfang_hub::db::Db, no: String| async move {
        let r = sqlx::query(
            "SELECT id_number, phone, id_hash, phone_hash FROM node_pii WHERE case_no = $1",
        )
        .bind(no)
        .fetch_one(db.pool())
        .await?;
        let cols: Vec<Option<String>> =
            (0..4).map(|i| r.try_get(i)).collect::<Result<_, _>>()?;
        anyhow::Ok(cols.into_iter().map(Option::unwrap_or_default).collect::<Vec<String>>())
    };
    let row = stored(fed.db(TOWN_A).await?, case.case_no.clone()).await?;
    for (v, clear) in [(&row[0], &id), (&row[1], &phone.to_owned())] {
        assert!(v.starts_with("v1:") && !v.contains(clear.as_str()), "{v}");
    }
    assert!(row[2].len() == 64 && row[3].len() == 64, "keyed hashes: {row:?}");
    let key_file = fed.layout.data(&code(TOWN_A)).join("pii.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file)?.permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{}", key_file.display());
    }

    // The tester (registrar, handler) sees clear values; each view is logged.
    let views = |db: xinfang_hub::db::Db| async move {
        Ok::<_, anyhow::Error>(
            entries(&db)
                .await?
                .into_iter()
                .filter(|e| e.kind == "view")
                .map(|e| (e.actor, e.doc_id, e.detail))
                .collect::<Vec<_>>(),
        )
    };
    let before = views(fed.db(TOWN_A).await?).await?.len();
    let seen = fed.case_at(TOWN_A, &case.case_no).await?.ok_or_else(|| anyhow::anyhow!("case"))?;
    assert_eq!((seen.id_number.as_str(), seen.phone.as_str()), (id.as_str(), phone));
    let after = views(fed.db(TOWN_A).await?).await?;
    assert_eq!(after.len(), before + 2);
    for field in ["id_number", "phone"] {
        assert!(
            after[before..].contains(&(TESTER.to_owned(), case.case_no.clone(), field.to_owned())),
            "{field}: {after:?}"
        );
    }

    // A viewer gets the masked forms, and nothing is logged as seen.
    fed.add_user(TOWN_A, "zhao", &["viewer"], "zhao-password").await?;
    let token = fed.login(TOWN_A, "zhao", "zhao-password").await?;
    let masked = fed
        .client_with_token(TOWN_A, &token)
        .await?
        .get_case(pb::GetCaseRequest { case_no: case.case_no.clone() })
        .await?
        .into_inner();
    assert_eq!((masked.id_number.as_str(), masked.phone.as_str()), ("", ""));
    assert_eq!(masked.phone_masked, "138****8000");
    assert!(!masked.id_masked.is_empty());
    assert_eq!(views(fed.db(TOWN_A).await?).await?.len(), before + 2);

    // Rows an earlier version kept in clear are encrypted at the next start.
    fed.stop_node(TOWN_A).await?;
    {
        let db = fed.db(TOWN_A).await?;
        sqlx::query("UPDATE node_pii SET id_number = $1, phone = $2, id_hash = NULL, phone_hash = NULL")
            .bind(&id)
            .bind(phone)
            .execute(db.pool())
            .await?;
        db.close().await;
    }
    fed.start_node(TOWN_A).await?;
    let row = stored(fed.db(TOWN_A).await?, case.case_no.clone()).await?;
    assert!(row[0].starts_with("v1:") && row[1].starts_with("v1:"), "{row:?}");
    assert!(row[2].len() == 64 && row[3].len() == 64, "{row:?}");
    let seen = fed.case_at(TOWN_A, &case.case_no).await?.ok_or_else(|| anyhow::anyhow!("case"))?;
    assert_eq!((seen.id_number.as_str(), seen.phone.as_str()), (id.as_str(), phone));
    fed.shutdown().await;
    Ok(())
}
}

both_stores! {
/// Registrations arriving together are committed together, their own rows
/// (counter, personal data, audit line and its ledger entry) written for the
/// whole group at once: each case keeps its own number, its own personal data
/// and its own audit line, the counter stands past the highest number, and the
/// ledger's chain holds.
async fn registrations_committed_together_keep_each_its_own_rows(backend: Backend) -> anyhow::Result<()> {
    const N: usize = 24;
    let fed = Federation::start(backend, county_and_town()).await?;
    let client = fed.client(TOWN_A).await?;
    let personal = |i: usize| i.is_multiple_of(3).then(|| (id_number(&format!("44152119800101{i:03}")), format!("138{i:08}")));
    let tasks: Vec<_> = (0..N)
        .map(|i| {
            let mut client = client.clone();
            let (id, phone) = personal(i).unwrap_or_default();
            tokio::spawn(async move {
                let case = client
                    .register_case(pb::RegisterCaseRequest {
                        unit: TOWN_A.into(),
                        petitioner: format!("申请人{i}"),
                        content: format!("第{i}件：小区道路破损"),
                        id_number: id,
                        phone,
                        ..Default::default()
                    })
                    .await?
                    .into_inner();
                anyhow::Ok((i, case.case_no))
            })
        })
        .collect();
    let mut numbers = Vec::new();
    for t in tasks {
        numbers.push(t.await??);
    }
    let mut seqs: Vec<u64> = numbers
        .iter()
        .map(|(_, no)| no.rsplit('-').next().and_then(|s| s.parse().ok()).unwrap_or(0))
        .collect();
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=N as u64).collect::<Vec<_>>(), "{numbers:?}");

    let db = fed.db(TOWN_A).await?;
    let next: Vec<i64> = sqlx::query_scalar("SELECT next FROM node_case_counters WHERE unit = $1")
        .bind(TOWN_A)
        .fetch_all(db.pool())
        .await?;
    assert_eq!(next, vec![N as i64 + 1], "the counter stands past the highest number");
    let pii: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM node_pii")
        .fetch_one(db.pool())
        .await?;
    assert_eq!(pii as usize, (0..N).filter(|i| personal(*i).is_some()).count());
    let mut targets: Vec<String> =
        sqlx::query_scalar("SELECT target FROM node_audit WHERE action = 'issue_query_code'")
            .fetch_all(db.pool())
            .await?;
    targets.sort();
    let mut all: Vec<String> = numbers.iter().map(|(_, no)| no.clone()).collect();
    all.sort();
    assert_eq!(targets, all, "one audit line per case, naming it");
    let chained: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM node_ledger WHERE detail LIKE 'allowed issue_query_code %'",
    )
    .fetch_one(db.pool())
    .await?;
    assert_eq!(chained as usize, N);
    // Each case reads back its own petitioner's personal data.
    for (i, no) in &numbers {
        let seen = fed.case_at(TOWN_A, no).await?.ok_or_else(|| anyhow::anyhow!("{no}"))?;
        let (id, phone) = personal(*i).unwrap_or_default();
        assert_eq!((seen.id_number, seen.phone), (id, phone), "{no}");
        assert_eq!(seen.petitioner, format!("申请人{i}"), "{no}");
    }
    let v = verify(&fed, TOWN_A).await?;
    assert!(v.ok, "{v:?}");
    fed.shutdown().await;
    Ok(())
}
}

/// The audit line of a registration's query code, with its ledger entry, is
/// written in the transaction that registers the case: a line that cannot be
/// written fails the registration, and nothing of the case is kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_registration_and_the_audit_of_its_query_code_commit_together() -> anyhow::Result<()> {
    let fed = Federation::start(Backend::Sqlite, county_and_town()).await?;
    let db = fed.db(TOWN_A).await?;
    let count = |sql: &'static str| {
        let db = db.clone();
        async move {
            anyhow::Ok(
                sqlx::query_scalar::<_, i64>(sql)
                    .fetch_one(db.pool())
                    .await?,
            )
        }
    };
    let docs = "SELECT COUNT(*) FROM hub_docs";
    let lines = "SELECT COUNT(*) FROM node_audit WHERE action = 'issue_query_code'";
    let chained = "SELECT COUNT(*) FROM node_ledger WHERE detail LIKE 'allowed issue_query_code %'";
    let before = (
        count(docs).await?,
        count(lines).await?,
        count(chained).await?,
    );

    // The audit table refuses the line: the registration fails whole.
    sqlx::query(
        "CREATE TRIGGER refuse_code_audit BEFORE INSERT ON node_audit
         WHEN NEW.action = 'issue_query_code'
         BEGIN SELECT RAISE(ABORT, 'audit line refused'); END",
    )
    .execute(db.pool())
    .await?;
    let refused = fed.register(TOWN_A, "张三", "小区道路破损").await;
    assert!(
        refused.is_err(),
        "registered without its audit line: {refused:?}"
    );
    assert_eq!(
        (
            count(docs).await?,
            count(lines).await?,
            count(chained).await?
        ),
        before,
        "nothing of the refused registration is kept"
    );

    // Allowed again: the case, its line and its ledger entry, together.
    sqlx::query("DROP TRIGGER refuse_code_audit")
        .execute(db.pool())
        .await?;
    let case = fed.register(TOWN_A, "张三", "小区道路破损").await?;
    assert_eq!(count(docs).await?, before.0 + 1);
    assert_eq!(count(lines).await?, before.1 + 1);
    assert_eq!(count(chained).await?, before.2 + 1);
    let target: String =
        sqlx::query_scalar("SELECT target FROM node_audit WHERE action = 'issue_query_code'")
            .fetch_one(db.pool())
            .await?;
    assert_eq!(target, case.case_no);
    let v = verify(&fed, TOWN_A).await?;
    assert!(v.ok, "{v:?}");
    fed.shutdown().await;
    Ok(())
}
