//! Who may write what, enforced on replicated changes (docs/authorization.md): a
//! township node with a tampered client writes what its unit may not — a
//! supervision, an edit of the county's screening decision, records in another
//! township's case. The county refuses each such document with the rule named,
//! quarantines it, applies nothing of it and reports it in `status`, while the
//! honest documents of the same link keep flowing.
//!
//! The tampering goes through the township's hub directly (its local update path),
//! past the node API's roles and lifecycle rules, so the township's node stores
//! the change and replicates it to the county as it would any other.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ROOT, ReadDoc, Value};
use xinfang_hub::{Create, doc};
use xinfang_node::case;
use xinfang_node::case::Record;
use xinfang_proto::v1 as pb;
use xinfang_proto::v1::accounts_client::AccountsClient;
use xinfang_tests::*;

/// A record as the tampered client writes it: `unit` is the township itself
/// (a record in another unit's name is refused for that alone).
fn record(unit: &str, tag: &str, body: serde_json::Value) -> anyhow::Result<Record> {
    Ok(serde_json::from_value(serde_json::json!({
        "id": format!("{unit}-forged-{tag}"),
        "unit": unit,
        "at": chrono::Utc::now().to_rfc3339(),
        "body": body,
    }))?)
}

/// Writes into `unit`'s own replica of `case_no` through its hub, bypassing the
/// node API; the change replicates like any other.
async fn tamper(
    fed: &Federation,
    unit: &str,
    case_no: &str,
    f: impl FnOnce(&mut AutoCommit) -> Result<(), String>,
) -> anyhow::Result<()> {
    let doc_id = fed
        .case_at(unit, case_no)
        .await?
        .ok_or_else(|| anyhow::anyhow!("{case_no} at {unit}"))?
        .doc_id;
    fed.hub(unit)
        .update(&doc_id, Create::Existing, f)
        .await
        .map_err(|e| anyhow::anyhow!("tampered write at {unit}: {e}"))
}

/// The documents `unit` keeps in quarantine, asked as its administrator.
async fn quarantine(fed: &Federation, unit: &str) -> anyhow::Result<Vec<pb::QuarantineEntry>> {
    Ok(AccountsClient::new(fed.operator_channel(unit).await?)
        .list_quarantine(pb::ListQuarantineRequest { limit: 0 })
        .await?
        .into_inner()
        .entries)
}

/// Waits until `unit` has quarantined the document of case `case_no` under
/// `rule`, and returns the entry.
async fn quarantined(
    fed: &Federation,
    unit: &str,
    case_no: &str,
    rule: &str,
) -> anyhow::Result<pb::QuarantineEntry> {
    wait_for(
        &format!("{case_no} quarantined at {unit} under {rule}"),
        PATIENCE,
        || async {
            Ok(quarantine(fed, unit).await?.into_iter().find(|e| {
                xinfang_node::docid::case_no_of(&e.doc_id) == Some(case_no) && e.rule == rule
            }))
        },
    )
    .await
}

/// `unit`'s status of its link with `peer`.
async fn link(fed: &Federation, unit: &str, peer: &str) -> anyhow::Result<pb::PeerStatus> {
    fed.client(unit)
        .await?
        .status(pb::StatusRequest {})
        .await?
        .into_inner()
        .peers
        .into_iter()
        .find(|p| p.unit == peer)
        .ok_or_else(|| anyhow::anyhow!("{unit} has no link with {peer}"))
}

/// Registers a case at `unit` and waits until `at` holds it: the link carries
/// honest documents.
async fn honest_case_reaches(fed: &Federation, unit: &str, at: &str) -> anyhow::Result<String> {
    let no = fed.register(unit, "王五", "诚实的登记").await?.case_no;
    wait_for(&format!("{no} at {at}"), PATIENCE, || async {
        Ok(fed.case_at(at, &no).await?.map(|_| ()))
    })
    .await?;
    Ok(no)
}

async fn case_with(
    fed: &Federation,
    unit: &str,
    no: &str,
    what: &str,
    ok: impl Fn(&pb::CaseView) -> bool,
) -> anyhow::Result<pb::CaseView> {
    wait_for(&format!("{no} at {unit}: {what}"), PATIENCE, || async {
        Ok(fed.case_at(unit, no).await?.filter(|c| ok(c)))
    })
    .await
}

fn has_record(c: &pb::CaseView, id: &str) -> bool {
    c.records.iter().any(|r| r.id == id)
}

/// What every refusal must show: the peer, the author, the document and rule, the
/// bytes kept; the link reports it; the node serves on.
async fn assert_reported(
    fed: &Federation,
    e: &pb::QuarantineEntry,
    rule: &str,
) -> anyhow::Result<()> {
    assert_eq!(e.peer, TOWN_A, "the offending peer is named");
    assert_eq!(e.author, TOWN_A, "the author unit is named");
    assert!(e.size > 0 && !e.detail.is_empty(), "{e:?}");
    let st = link(fed, COUNTY, TOWN_A).await?;
    assert!(st.quarantined >= 1, "status counts it: {st:?}");
    assert!(st.last_quarantined.contains(rule), "{st:?}");
    assert!(st.connected, "the link stays up: {st:?}");
    let shown = AccountsClient::new(fed.operator_channel(COUNTY).await?)
        .show_quarantine(pb::ShowQuarantineRequest { id: e.id })
        .await?
        .into_inner();
    assert_eq!(shown.size as usize, shown.automerge.len());
    assert!(
        shown.content_json.contains(&e.doc_id),
        "{}",
        shown.content_json
    );
    let sample = xinfang_node::metrics::Sample::read(fed.hub(COUNTY)).await?;
    let peer = sample
        .peers
        .iter()
        .find(|p| p.peer == TOWN_A)
        .ok_or_else(|| anyhow::anyhow!("no metrics for {TOWN_A}"))?;
    assert!(
        peer.refused_docs >= 1,
        "the refused-documents metric counts it"
    );
    Ok(())
}

both_stores! {
/// A township writes a supervision record (only superiors supervise) on its own
/// case: the county keeps it out, the city never sees it.
async fn a_townships_supervision_is_quarantined_at_the_county(backend: Backend) -> anyhow::Result<()> {
    let fed = Federation::start(backend, haifeng()).await?;
    let no = honest_case_reaches(&fed, TOWN_A, CITY).await?;
    let forged = record(TOWN_A, "sup", serde_json::json!({
        "kind": "supervision", "method": "listed", "due": in_days(10), "demand": "自己督办自己",
    }))?;
    let id = forged.id.clone();
    tamper(&fed, TOWN_A, &no, |d| {
        case::add_record(d, &no, &forged).map_err(|e| e.to_string())
    })
    .await?;
    case_with(&fed, TOWN_A, &no, "the forged record locally", |c| has_record(c, &id)).await?;

    let e = quarantined(&fed, COUNTY, &no, "supervision.by_superior").await?;
    assert_reported(&fed, &e, "supervision.by_superior").await?;
    // The honest parts of the link keep flowing, up to the city.
    honest_case_reaches(&fed, TOWN_A, CITY).await?;
    for unit in [COUNTY, CITY] {
        let c = fed.case_at(unit, &no).await?.ok_or_else(|| anyhow::anyhow!("{no} at {unit}"))?;
        assert!(!has_record(&c, &id), "nothing of it applied at {unit}");
    }
    // Only an administrator reads the quarantine.
    let refused = AccountsClient::new(fed.channel(COUNTY).await?)
        .list_quarantine(pb::ListQuarantineRequest { limit: 0 })
        .await
        .expect_err("staff without the administrator role");
    assert_eq!(refused.code(), tonic::Code::PermissionDenied);
    fed.shutdown().await;
    Ok(())
}

/// A township rewrites the county's screening decision in its replica: records
/// are written once, so the county refuses the document and keeps its decision.
async fn editing_the_countys_screening_is_quarantined(backend: Backend) -> anyhow::Result<()> {
    let fed = Federation::start(backend, haifeng()).await?;
    let no = fed.register(TOWN_A, "张三", "道路塌陷").await?.case_no;
    fed.act(TOWN_A, &no, serde_json::json!({"kind": "screening", "decision": {"decision": "accept"}})).await?;
    fed.act(TOWN_A, &no, serde_json::json!({"kind": "forward", "to": COUNTY, "due": in_days(10)})).await?;
    case_with(&fed, COUNTY, &no, "forwarded", |c| c.records.iter().any(|r| r.kind == "forward")).await?;
    fed.act(COUNTY, &no, serde_json::json!({"kind": "screening", "decision": {"decision": "accept"}})).await?;
    let is_countys = |r: &pb::RecordView| r.kind == "screening" && r.unit == COUNTY;
    let at_town = case_with(&fed, TOWN_A, &no, "the county's screening", |c| {
        c.records.iter().any(is_countys)
    })
    .await?;
    let screening = at_town
        .records
        .iter()
        .find(|r| is_countys(r))
        .ok_or_else(|| anyhow::anyhow!("no screening"))?
        .clone();
    let mut forged: serde_json::Value = serde_json::from_str(&screening.json)?;
    forged["body"]["decision"] = serde_json::json!({
        "decision": "not_accept", "notice": "不予受理", "competent_authority": "法院",
    });
    let forged = forged.to_string();
    tamper(&fed, TOWN_A, &no, |d| {
        let map = match d.get(ROOT, case::RECORDS_KEY) {
            Ok(Some((Value::Object(ObjType::Map), m))) => m,
            other => return Err(format!("no records map: {other:?}")),
        };
        d.put(&map, screening.id.as_str(), forged.as_str()).map_err(|e| e.to_string())
    })
    .await?;

    let e = quarantined(&fed, COUNTY, &no, "record.immutable").await?;
    assert_reported(&fed, &e, "record.immutable").await?;
    honest_case_reaches(&fed, TOWN_A, COUNTY).await?;
    let c = fed.case_at(COUNTY, &no).await?.ok_or_else(|| anyhow::anyhow!("{no}"))?;
    let kept = c.records.iter().find(|r| r.id == screening.id).ok_or_else(|| anyhow::anyhow!("screening"))?;
    assert_eq!(kept.json, screening.json, "the county's decision stands");
    assert_eq!(c.status, "accepted");
    fed.shutdown().await;
    Ok(())
}

/// A township writes into cases that are not its own: a reply in a case it
/// forwarded to another township (which holds it now), and a document under
/// another township's case number. Neither reaches the county nor town B.
async fn writing_into_another_townships_case_is_quarantined(backend: Backend) -> anyhow::Result<()> {
    let fed = Federation::start(backend, haifeng()).await?;
    // Sideways: town A forwards a case to town B, which accepts it.
    let no = fed.register(TOWN_A, "张三", "邻镇管辖").await?.case_no;
    fed.act(TOWN_A, &no, serde_json::json!({"kind": "screening", "decision": {"decision": "accept"}})).await?;
    fed.act(TOWN_A, &no, serde_json::json!({"kind": "forward", "to": TOWN_B, "due": in_days(10)})).await?;
    case_with(&fed, TOWN_B, &no, "forwarded", |_| true).await?;
    fed.act(TOWN_B, &no, serde_json::json!({"kind": "screening", "decision": {"decision": "accept"}})).await?;
    case_with(&fed, TOWN_A, &no, "town B's acceptance", |c| {
        c.records.iter().any(|r| r.unit == TOWN_B && r.kind == "screening")
    })
    .await?;
    let forged = record(
        TOWN_A,
        "reply",
        serde_json::json!({"kind": "reply", "opinion": "support", "text": "替邻镇答复"}),
    )?;
    let forged_id = forged.id.clone();
    tamper(&fed, TOWN_A, &no, |d| case::add_record(d, &no, &forged).map_err(|e| e.to_string())).await?;
    let e = quarantined(&fed, COUNTY, &no, "reply.by_assigned_unit").await?;
    assert_reported(&fed, &e, "reply.by_assigned_unit").await?;

    // Town B's own case, and a document town A makes up under its number.
    let theirs = honest_case_reaches(&fed, TOWN_B, COUNTY).await?;
    let fake = record(TOWN_A, "fake", serde_json::json!({"kind": "progress", "text": "冒名"}))?;
    fed.hub(TOWN_A)
        .update(&theirs, Create::New, |d| {
            let units = [code(TOWN_A), code(TOWN_B)];
            doc::extend_scope(&theirs, d, units.iter()).map_err(|e| e.to_string())?;
            for (k, v) in [("kind", "case"), ("case_no", theirs.as_str()), ("unit", TOWN_B)] {
                d.put(ROOT, k, v).map_err(|e| e.to_string())?;
            }
            d.put(ROOT, "registered_at", chrono::Utc::now().to_rfc3339()).map_err(|e| e.to_string())?;
            d.put_object(ROOT, case::RECORDS_KEY, ObjType::Map).map_err(|e| e.to_string())?;
            case::add_record(d, &theirs, &fake).map_err(|e| e.to_string())
        })
        .await
        .map_err(|e| anyhow::anyhow!("made-up document: {e}"))?;
    let e = quarantined(&fed, COUNTY, &theirs, "registration.by_registering_unit").await?;
    assert_reported(&fed, &e, "registration.by_registering_unit").await?;

    // Honest documents keep flowing both ways through the county.
    let mine = honest_case_reaches(&fed, TOWN_A, COUNTY).await?;
    fed.note(TOWN_B, &theirs, "镇B正常办理").await?;
    case_with(&fed, COUNTY, &theirs, "town B's note", |c| !c.notes.is_empty()).await?;
    for unit in [COUNTY, TOWN_B, CITY] {
        let c = fed.case_at(unit, &no).await?.ok_or_else(|| anyhow::anyhow!("{no} at {unit}"))?;
        assert!(!has_record(&c, &forged_id), "nothing of it at {unit}");
    }
    for unit in [COUNTY, TOWN_B] {
        let c = fed.case_at(unit, &theirs).await?.ok_or_else(|| anyhow::anyhow!("{theirs} at {unit}"))?;
        assert!(!has_record(&c, &fake.id), "nothing made up at {unit}");
        assert_eq!(c.unit, TOWN_B);
    }
    assert!(fed.case_at(COUNTY, &mine).await?.is_some());
    fed.shutdown().await;
    Ok(())
}
}
