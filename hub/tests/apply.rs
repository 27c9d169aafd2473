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
use xinfang_hub::{Hub, UnitCode};

mod common;
use common::{COUNTY, TOWN, county_and_town};

/// Refuses, by id: `check` a document whose id ends in `-bad` (the whole batch),
/// `authorize` one whose id ends in 7, or whose `n` is 777 (that document alone).
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
        incoming: &mut AutoCommit,
    ) -> Result<(), Refusal> {
        let n = common::int_at(incoming, "n");
        if doc_id.ends_with('7') || n == Some(777) {
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
        Arc::new(county_and_town()),
        store,
        Default::default(),
    )
    .expect("hub")
}

async fn write(hub: &Hub, id: &str, n: u32) {
    let town: UnitCode = TOWN.parse().expect("code");
    hub.update(id, Create::New, |d| {
        xinfang_hub::doc::extend_scope(id, d, [&town])?;
        automerge::transaction::Transactable::put(d, automerge::ROOT, "n", i64::from(n))
            .map_err(|e| xinfang_hub::doc::DocError::automerge(id, e))
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
    let (upto, docs) = sender.scan_for(&up, 0, false, &[]).await.expect("scan");
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
    let (_, first) = sender.scan_for(&up, 0, false, &[]).await.expect("scan");
    let head = sender.head();
    sender
        .update("doc-005", Create::Existing, |d| {
            automerge::transaction::Transactable::put(d, automerge::ROOT, "n", 500i64)
        })
        .await
        .expect("a second version");
    let (upto, second) = sender.scan_for(&up, head, false, &[]).await.expect("scan");
    assert_eq!(second.len(), 1);
    let mut batch = first;
    batch.extend(second);
    let down = receiver.link_with(&town).expect("link down");
    receiver
        .apply_from(&down, "town-epoch", upto, batch, Vec::new())
        .await
        .expect("applied");
    assert_eq!(
        held_by(&receiver, "doc-005").await.heads,
        held_by(&sender, "doc-005").await.heads,
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

/// What `hub` holds of `id`.
async fn held_by(hub: &Hub, id: &str) -> xinfang_hub::doc::LoadedDoc {
    hub.get(id).await.expect("read").expect("held").loaded
}

/// A batch entry carrying `changes` for `id`, made by hand as a peer that does
/// not follow the rules would.
fn changes_entry(id: &str, changes: Vec<u8>) -> xinfang_proto::v1::DocEntry {
    xinfang_proto::v1::DocEntry {
        doc_id: id.into(),
        automerge: Default::default(),
        changes: changes.into(),
    }
}

/// A county hub on a fresh SQLite database (the prior versions a write replaces
/// are kept by the SQL store's upsert).
async fn sql_hub(unit: &str, dir: &std::path::Path) -> (Hub, Db) {
    let db = Db::open(
        &xinfang_hub::db::sqlite_url(&dir.join(format!("{unit}.db"))),
        DbOptions {
            durability: Durability::Normal,
            max_connections: None,
        },
    )
    .await
    .expect("db");
    let store = Arc::new(SqlStore::open(db.clone()).await.expect("store"));
    (hub(unit, store), db)
}

async fn bump(hub: &Hub, id: &str, n: i64) {
    hub.update(id, Create::Existing, |d| {
        automerge::transaction::Transactable::put(d, automerge::ROOT, "n", n)
    })
    .await
    .expect("a new version");
}

/// After the first sync a document the peer holds goes as its changes since the
/// version it holds, far smaller than the document, and the peer ends with what
/// the sender has.
#[tokio::test]
async fn a_document_the_peer_holds_goes_as_its_changes() {
    let (county, town): (UnitCode, UnitCode) = (COUNTY.parse().unwrap(), TOWN.parse().unwrap());
    let dir = tempfile::tempdir().expect("tempdir");
    let (sender, _) = sql_hub(TOWN, dir.path()).await;
    let (receiver, _) = sql_hub(COUNTY, dir.path()).await;
    for i in 0..50u32 {
        write(&sender, &format!("doc-{i:03}"), i).await;
    }
    let up = sender.link_with(&county).expect("link up");
    let down = receiver.link_with(&town).expect("link down");
    let (first_upto, first) = sender.scan_for(&up, 0, false, &[]).await.expect("scan");
    assert!(
        first
            .iter()
            .all(|d| d.changes.is_empty() && !d.automerge.is_empty())
    );
    let whole_size: usize = first.iter().map(|d| d.automerge.len()).sum::<usize>() / first.len();
    receiver
        .apply_from(&down, "town-epoch", first_upto, first, Vec::new())
        .await
        .expect("first sync");
    sender.note_acked(&county, first_upto).await.expect("ack");

    let changed: Vec<String> = (0..50).step_by(5).map(|i| format!("doc-{i:03}")).collect();
    for (n, id) in changed.iter().enumerate() {
        bump(&sender, id, 1000 + n as i64).await;
    }
    let (upto, second) = sender
        .scan_for(&up, first_upto, false, &[])
        .await
        .expect("scan");
    assert_eq!(second.len(), changed.len());
    for entry in &second {
        assert!(entry.automerge.is_empty(), "{} went whole", entry.doc_id);
        assert!(
            !entry.changes.is_empty() && entry.changes.len() < whole_size,
            "{}: {} bytes of changes against {whole_size} whole",
            entry.doc_id,
            entry.changes.len()
        );
    }
    // Asked for whole, one goes whole.
    let (_, asked) = sender
        .scan_for(&up, first_upto, false, &[changed[3].clone()])
        .await
        .expect("scan");
    assert_eq!(
        asked
            .iter()
            .filter(|d| !d.automerge.is_empty())
            .map(|d| d.doc_id.as_str())
            .collect::<Vec<_>>(),
        vec![changed[3].as_str()]
    );
    receiver
        .apply_from(&down, "town-epoch", upto, second, Vec::new())
        .await
        .expect("changes applied");
    for id in &changed {
        assert_eq!(
            held_by(&receiver, id).await.heads,
            held_by(&sender, id).await.heads,
            "{id}"
        );
    }
    // A peer past the feed sends nothing new; a recovering one gets all whole.
    let (_, echo) = sender.scan_for(&up, 0, true, &[]).await.expect("scan");
    assert_eq!(echo.len(), 50);
    assert!(echo.iter().all(|d| d.changes.is_empty()));
}

/// Changes that build on a version the receiver does not hold (a commit it
/// lost, a version it refused, one that moved on while the feed was read) are
/// refused with the whole batch, nothing written; the documents are asked for
/// whole, and come whole.
#[tokio::test]
async fn changes_on_a_version_not_held_are_asked_for_whole() {
    let (county, town): (UnitCode, UnitCode) = (COUNTY.parse().unwrap(), TOWN.parse().unwrap());
    let sender = hub(TOWN, Arc::new(MemStore::new("town-epoch")));
    let receiver = hub(COUNTY, Arc::new(MemStore::new("county-epoch")));
    let up = sender.link_with(&county).expect("link up");
    let down = receiver.link_with(&town).expect("link down");
    write(&sender, "doc-a", 1).await;
    write(&sender, "doc-b", 2).await;
    let (upto, first) = sender.scan_for(&up, 0, false, &[]).await.expect("scan");
    // Only doc-a arrives: the receiver never saw doc-b.
    let only_a: Vec<_> = first.into_iter().filter(|d| d.doc_id == "doc-a").collect();
    receiver
        .apply_from(&down, "town-epoch", upto, only_a, Vec::new())
        .await
        .expect("applied");
    // Acknowledged as a whole: a receiver that lost doc-b since, say.
    sender.note_acked(&county, upto).await.expect("ack");
    bump(&sender, "doc-a", 10).await;
    bump(&sender, "doc-b", 20).await;
    let (upto2, second) = sender.scan_for(&up, upto, false, &[]).await.expect("scan");
    assert!(second.iter().all(|d| !d.changes.is_empty()));
    let before = receiver.head();
    match receiver
        .apply_from(&down, "town-epoch", upto2, second, Vec::new())
        .await
    {
        Err(HubError::MissingBase { doc_ids, peer }) => {
            assert_eq!(doc_ids, vec!["doc-b".to_owned()]);
            assert_eq!(peer, town);
        }
        other => panic!("expected the batch refused for doc-b's base, got {other:?}"),
    }
    assert_eq!(receiver.head(), before, "nothing written");
    assert_eq!(receiver.wanted_whole(&town), vec!["doc-b".to_owned()]);

    // The next session asks for doc-b whole: it comes whole, doc-a as changes.
    let wanted = receiver.wanted_whole(&town);
    let (upto3, third) = sender
        .scan_for(&up, upto, false, &wanted)
        .await
        .expect("scan");
    for d in &third {
        assert_eq!(d.doc_id == "doc-b", !d.automerge.is_empty(), "{}", d.doc_id);
    }
    receiver
        .apply_from(&down, "town-epoch", upto3, third, Vec::new())
        .await
        .expect("applied");
    assert!(receiver.wanted_whole(&town).is_empty());
    for id in ["doc-a", "doc-b"] {
        assert_eq!(
            held_by(&receiver, id).await.heads,
            held_by(&sender, id).await.heads,
            "{id}"
        );
    }
}

/// What changes make of a document is held to the rules a whole document is:
/// bytes that are no changes refuse the batch; a result outside the link's
/// scope refuses it; the domain's `authorize` quarantines the document alone,
/// kept whole.
#[tokio::test]
async fn changes_meet_the_rules_whole_documents_meet() {
    let (county, town): (UnitCode, UnitCode) = (COUNTY.parse().unwrap(), TOWN.parse().unwrap());
    let dir = tempfile::tempdir().expect("tempdir");
    let sender = hub(TOWN, Arc::new(MemStore::new("town-epoch")));
    let (receiver, db) = sql_hub(COUNTY, dir.path()).await;
    receiver.set_document_check(Arc::new(ByName));
    let up = sender.link_with(&county).expect("link up");
    let down = receiver.link_with(&town).expect("link down");
    for id in ["doc-1", "doc-2"] {
        write(&sender, id, 1).await;
    }
    let (upto, first) = sender.scan_for(&up, 0, false, &[]).await.expect("scan");
    receiver
        .apply_from(&down, "town-epoch", upto, first, Vec::new())
        .await
        .expect("applied");
    sender.note_acked(&county, upto).await.expect("ack");
    let head = receiver.head();

    // Garbage where changes should be.
    let garbage = vec![changes_entry(
        "doc-1",
        vec![0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0, 2, 3, 1, 2, 3],
    )];
    let err = receiver
        .apply_from(&down, "town-epoch", upto + 1, garbage, Vec::new())
        .await
        .expect_err("refused");
    assert_eq!(err.code(), "bad_document", "{err}");
    assert!(err.to_string().contains("chunk type 2"), "{err}");

    // Changes that move doc-1 out of the town's subtree (the sender's own feed
    // would not route it up: made by hand, as a peer that does not follow the
    // rules would).
    let base = held_by(&receiver, "doc-1").await.heads;
    sender
        .update("doc-1", Create::Existing, |d| {
            use automerge::ReadDoc;
            use automerge::transaction::Transactable;
            let Some((_, scope)) = d.get(automerge::ROOT, "_scope")? else {
                panic!("every document has a scope")
            };
            d.delete(&scope, TOWN)?;
            d.put(&scope, COUNTY, true)
        })
        .await
        .expect("rescoped");
    let mut moved = held_by(&sender, "doc-1").await.doc;
    let changes = xinfang_hub::doc::changes_since(&mut moved, &base).expect("base known");
    let out_of_scope = vec![changes_entry("doc-1", changes)];
    let err = receiver
        .apply_from(&down, "town-epoch", upto + 1, out_of_scope, Vec::new())
        .await
        .expect_err("refused");
    assert_eq!(err.code(), "out_of_scope", "{err}");
    assert_eq!(receiver.head(), head, "nothing written");

    // Changes `authorize` refuses: that document alone is quarantined, kept
    // whole, and what we held of it stays.
    let mark = sender.head();
    bump(&sender, "doc-2", 777).await;
    let (upto2, refused) = sender.scan_for(&up, mark, false, &[]).await.expect("scan");
    assert_eq!(refused.len(), 1);
    assert!(!refused[0].changes.is_empty());
    let held_before = held_by(&receiver, "doc-2").await.heads;
    receiver
        .apply_from(&down, "town-epoch", upto2, refused, Vec::new())
        .await
        .expect("applied, one quarantined");
    sender.note_acked(&county, upto2).await.expect("ack");
    let kept = quarantine::list(&db, 10).await.expect("list");
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].doc_id, "doc-2");
    let kept = quarantine::get(&db, kept[0].id)
        .await
        .expect("read")
        .expect("kept");
    let whole = xinfang_hub::doc::decode("doc-2", &kept.bytes.expect("bytes"), &Default::default())
        .expect("kept whole");
    let sent = held_by(&sender, "doc-2").await.heads;
    assert_eq!(whole.heads, sent);
    assert_eq!(held_by(&receiver, "doc-2").await.heads, held_before);
    let upto = upto2;

    // A document ending in 7 is refused by `authorize` whole.
    write(&sender, "doc-7", 1).await;
    let mark = sender.head();
    let (upto3, seventh) = sender
        .scan_for(&up, mark - 1, false, &[])
        .await
        .expect("scan");
    assert_eq!(seventh.len(), 1);
    // First whole: quarantined, nothing held.
    receiver
        .apply_from(&down, "town-epoch", upto3.max(upto), seventh, Vec::new())
        .await
        .expect("applied, one quarantined");
    sender.note_acked(&county, upto3).await.expect("ack");
    bump(&sender, "doc-7", 2).await;
    let held_before = quarantine::list(&db, 10).await.expect("list").len();
    // As changes on a version the receiver refused: its base is missing.
    let (upto4, again) = sender.scan_for(&up, upto3, false, &[]).await.expect("scan");
    let again: Vec<_> = again.into_iter().filter(|d| d.doc_id == "doc-7").collect();
    assert!(!again[0].changes.is_empty());
    assert!(matches!(
        receiver
            .apply_from(&down, "town-epoch", upto4, again, Vec::new())
            .await,
        Err(HubError::MissingBase { .. })
    ));
    // Asked whole, it is judged as before: quarantined whole.
    let (upto5, whole) = sender
        .scan_for(&up, upto3, false, &receiver.wanted_whole(&town))
        .await
        .expect("scan");
    let whole: Vec<_> = whole.into_iter().filter(|d| d.doc_id == "doc-7").collect();
    assert!(whole[0].changes.is_empty());
    receiver
        .apply_from(&down, "town-epoch", upto5, whole, Vec::new())
        .await
        .expect("applied, one quarantined");
    let kept = quarantine::list(&db, 10).await.expect("list");
    assert_eq!(kept.len(), held_before + 1);
    assert!(receiver.wanted_whole(&town).is_empty());
}

/// A document rewritten before the peer's scan reached its earlier position
/// left that position before the peer could see it: though the peer is past it
/// in the feed, it goes whole, until the peer has acknowledged a version and the
/// document is rewritten after that.
#[tokio::test]
async fn a_version_rewritten_before_the_peer_saw_it_goes_whole() {
    let county: UnitCode = COUNTY.parse().unwrap();
    let sender = hub(TOWN, Arc::new(MemStore::new("town-epoch")));
    let up = sender.link_with(&county).expect("link up");
    write(&sender, "doc-a", 1).await; // 1
    write(&sender, "doc-b", 2).await; // 2
    bump(&sender, "doc-a", 3).await; // 3, replacing 1
    // A first sync that got as far as 2 (it saw doc-b only: doc-a had moved).
    sender.note_acked(&county, 2).await.expect("ack");
    let whole = |docs: &[xinfang_proto::v1::DocEntry]| {
        docs.iter()
            .all(|d| !d.automerge.is_empty() && d.changes.is_empty())
    };
    let (_, docs) = sender.scan_for(&up, 2, false, &[]).await.expect("scan");
    assert_eq!(docs.len(), 1);
    assert!(
        whole(&docs),
        "doc-a went as changes on a version never sent"
    );
    // Rewritten again before the peer acknowledged 3: still whole.
    bump(&sender, "doc-a", 4).await; // 4, replacing 3
    let (_, docs) = sender.scan_for(&up, 3, false, &[]).await.expect("scan");
    assert!(whole(&docs));
    // Acknowledged, then rewritten: now as changes.
    sender.note_acked(&county, 4).await.expect("ack");
    bump(&sender, "doc-a", 5).await; // 5, replacing 4
    let (_, docs) = sender.scan_for(&up, 4, false, &[]).await.expect("scan");
    assert_eq!(docs.len(), 1);
    assert!(!docs[0].changes.is_empty() && docs[0].automerge.is_empty());
}
