//! A peer's batch is decoded, checked and judged on every core: the answer is the
//! one a single thread gives. The earliest document the domain's `check` refuses
//! names the refusal and nothing of the batch is written; documents `authorize`
//! refuses are quarantined alone and the rest applies.

use std::sync::Arc;

use automerge::AutoCommit;
use xinfang_hub::db::{Db, DbOptions, Durability};
use xinfang_hub::engine::{Create, DocumentCheck, HubError, InvalidDocument};
use xinfang_hub::quarantine::{self, Refusal};
use xinfang_hub::store::Store;
use xinfang_hub::store::mem::MemStore;
use xinfang_hub::store::sql::SqlStore;
use xinfang_hub::{Hub, Tier, Topology, Unit, UnitCode};

const COUNTY: &str = "441521";
const TOWN: &str = "441521115000";

fn topology() -> Topology {
    let unit = |code: &str, tier, parent: Option<&str>| Unit {
        code: code.parse().expect("code"),
        name: code.into(),
        tier,
        parent: parent.map(|p| p.parse().expect("code")),
        listen: "127.0.0.1:1".into(),
        api: None,
        kind: Default::default(),
        attributes: Default::default(),
    };
    Topology::from_units(vec![
        unit(COUNTY, Tier::County, None),
        unit(TOWN, Tier::Township, Some(COUNTY)),
    ])
    .expect("topology")
}

/// Refuses, by id: `check` a document whose id ends in `-bad` (the whole batch),
/// `authorize` one whose id ends in 7 (that document alone).
struct ByName;

impl DocumentCheck for ByName {
    fn check(&self, doc_id: &str, _doc: &AutoCommit) -> Result<(), InvalidDocument> {
        if doc_id.ends_with("-bad") {
            return Err(InvalidDocument(format!("{doc_id} is bad")));
        }
        Ok(())
    }

    fn authorize(
        &self,
        _peer: &UnitCode,
        doc_id: &str,
        _prior: Option<&mut AutoCommit>,
        _incoming: &mut AutoCommit,
    ) -> Result<(), Refusal> {
        if doc_id.ends_with('7') {
            return Err(Refusal {
                rule: "test.seven".into(),
                author: None,
                detail: format!("{doc_id} ends in 7"),
            });
        }
        Ok(())
    }
}

/// `unit`'s hub on `store`.
fn hub(unit: &str, store: Arc<dyn Store>) -> Hub {
    Hub::new(
        unit.parse().expect("code"),
        Arc::new(topology()),
        store,
        Default::default(),
    )
    .expect("hub")
}

async fn write(hub: &Hub, id: &str, n: u32) {
    let town: UnitCode = TOWN.parse().expect("code");
    hub.update(id, Create::New, |d| {
        xinfang_hub::doc::extend_scope(id, d, [&town])?;
        automerge::transaction::Transactable::put(d, automerge::ROOT, "n", i64::from(n)).map_err(
            |e| xinfang_hub::doc::DocError::Automerge {
                doc_id: id.to_owned(),
                reason: e.to_string(),
            },
        )
    })
    .await
    .expect("write");
}

#[tokio::test]
async fn a_batch_judged_on_every_core_answers_as_one_thread_would() {
    let (county, town): (UnitCode, UnitCode) = (COUNTY.parse().unwrap(), TOWN.parse().unwrap());
    let sender = hub(TOWN, Arc::new(MemStore::new("town-epoch")));
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::open(
        &xinfang_hub::db::sqlite_url(&dir.path().join("county.db")),
        DbOptions {
            durability: Durability::Normal,
            max_connections: None,
        },
    )
    .await
    .expect("db");
    let receiver = hub(
        COUNTY,
        Arc::new(SqlStore::open(db.clone()).await.expect("store")),
    );
    receiver.set_document_check(Arc::new(ByName));

    // 200 documents, two of which `check` refuses: the earlier one is named.
    for i in 0..200u32 {
        let id = match i {
            40 | 150 => format!("doc-{i:03}-bad"),
            _ => format!("doc-{i:03}"),
        };
        write(&sender, &id, i).await;
    }
    let up = sender.link_with(&county).expect("link up");
    let (upto, docs) = sender.scan_for(&up, 0, false).await.expect("scan");
    assert_eq!(docs.len(), 200);
    let down = receiver.link_with(&town).expect("link down");
    let ids: Vec<String> = docs.iter().map(|d| d.doc_id.clone()).collect();
    match receiver
        .apply_from(&down, "town-epoch", upto, docs.clone(), Vec::new())
        .await
    {
        Err(HubError::Refused { doc_id, .. }) => assert_eq!(doc_id, "doc-040-bad"),
        other => panic!("expected the batch refused at doc-040-bad, got {other:?}"),
    }
    assert!(
        receiver.held(&ids).await.expect("held").is_empty(),
        "nothing written"
    );

    // Without the bad ones: the twenty ending in 7 are quarantined, the rest applied.
    let good: Vec<_> = docs
        .into_iter()
        .filter(|d| !d.doc_id.ends_with("-bad"))
        .collect();
    receiver
        .apply_from(&down, "town-epoch", upto, good, Vec::new())
        .await
        .expect("applied");
    let held = receiver.held(&ids).await.expect("held");
    assert_eq!(held.len(), 198 - 20, "{held:?}");
    assert!(held.iter().all(|(id, _)| !id.ends_with('7')));
    let kept = quarantine::list(&db, 100).await.expect("quarantine");
    assert_eq!(kept.len(), 20);
    assert!(
        kept.iter()
            .all(|e| e.rule == "test.seven" && e.doc_id.ends_with('7'))
    );
    let mut kept_ids: Vec<&str> = kept.iter().map(|e| e.doc_id.as_str()).collect();
    kept_ids.sort();
    let mut expected: Vec<String> = (0..200u32)
        .filter(|i| i % 10 == 7)
        .map(|i| format!("doc-{i:03}"))
        .collect();
    expected.sort();
    assert_eq!(kept_ids, expected);
}

/// A batch may name one document twice (a resend overlapping a newer scan): it
/// is judged on one thread, the later entry merging into what the earlier
/// produced, and the document ends as the later version with the rest applied.
#[tokio::test]
async fn a_batch_naming_a_document_twice_ends_with_the_later_version() {
    let (county, town): (UnitCode, UnitCode) = (COUNTY.parse().unwrap(), TOWN.parse().unwrap());
    let sender = hub(TOWN, Arc::new(MemStore::new("town-epoch")));
    let receiver = hub(COUNTY, Arc::new(MemStore::new("county-epoch")));
    for i in 0..40u32 {
        write(&sender, &format!("doc-{i:03}"), i).await;
    }
    let up = sender.link_with(&county).expect("link up");
    let (_, first) = sender.scan_for(&up, 0, false).await.expect("scan");
    let head = sender.head();
    sender
        .update("doc-005", Create::Existing, |d| {
            automerge::transaction::Transactable::put(d, automerge::ROOT, "n", 500i64)
        })
        .await
        .expect("a second version");
    let (upto, second) = sender.scan_for(&up, head, false).await.expect("scan");
    assert_eq!(second.len(), 1);
    let mut batch = first;
    batch.extend(second);
    let down = receiver.link_with(&town).expect("link down");
    receiver
        .apply_from(&down, "town-epoch", upto, batch, Vec::new())
        .await
        .expect("applied");
    let held = receiver.get("doc-005").await.expect("read").expect("held");
    let sent = sender.get("doc-005").await.expect("read").expect("held");
    assert_eq!(
        held.loaded.heads, sent.loaded.heads,
        "the later version wins"
    );
    assert_eq!(
        receiver
            .held(&["doc-039".to_owned()])
            .await
            .expect("held")
            .len(),
        1
    );
}
