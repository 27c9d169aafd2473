//! The storage contract, one suite run against every engine: a SQLite file and a
//! fresh PostgreSQL schema (skipped, saying so on the terminal, where no PostgreSQL
//! answers). What the engine and the sync protocol rely on is written down in
//! `store/mod.rs`; each test here holds one clause of it.

use std::collections::BTreeSet;

use xinfang_hub::core::InboundCursor;
use xinfang_hub::db::{Db, DbOptions, Durability, Engine, Migration, scratch};
use xinfang_hub::store::sql::{SqlStore, mark_recovering};
use xinfang_hub::store::{DocWrite, Store, StoreError, TxWork};
use xinfang_hub::topology::UnitCode;

/// Where a test's database lives, kept alive for the test's length.
enum Place {
    Sqlite(tempfile::TempDir),
    Postgres(scratch::Schema),
}

impl Place {
    fn url(&self) -> String {
        match self {
            Place::Sqlite(dir) => xinfang_hub::db::sqlite_url(&dir.path().join("store.db")),
            Place::Postgres(s) => s.url().to_owned(),
        }
    }

    async fn db(&self) -> Db {
        Db::open(
            &self.url(),
            DbOptions {
                durability: Durability::Normal,
                max_connections: None,
            },
        )
        .await
        .expect("open")
    }

    async fn store(&self) -> SqlStore {
        SqlStore::open(self.db().await).await.expect("store")
    }
}

/// Declares a test that runs once on SQLite (`NAME::sqlite`) and once on
/// PostgreSQL (`NAME::postgres`, skipped, saying so, where no server answers).
macro_rules! on_each_engine {
    (async fn $name:ident($place:ident : Place) $body:block) => {
        mod $name {
            use super::*;

            async fn run($place: Place) $body

            #[tokio::test]
            async fn sqlite() {
                run(Place::Sqlite(tempfile::tempdir().expect("tempdir"))).await;
            }

            #[tokio::test]
            async fn postgres() {
                let test = concat!("store::", stringify!($name), "::postgres");
                if !scratch::available(test).await {
                    return;
                }
                run(Place::Postgres(
                    scratch::Schema::create(stringify!($name))
                        .await
                        .expect("schema"),
                ))
                .await;
            }
        }
    };
}

fn unit(s: &str) -> UnitCode {
    s.parse().expect("unit code")
}

fn write(id: &str, bytes: &[u8]) -> DocWrite {
    DocWrite {
        doc_id: id.to_owned(),
        scope: BTreeSet::from([unit("441521")]),
        heads: format!("heads-of-{id}-{}", bytes.len()),
        source: None,
        bytes: bytes.to_vec(),
    }
}

async fn feed(store: &SqlStore) -> Vec<(u64, String)> {
    store
        .scan(0, 10_000)
        .await
        .expect("scan")
        .into_iter()
        .map(|r| (r.seq, r.doc_id))
        .collect()
}

on_each_engine! {
    async fn a_write_keeps_the_version_it_replaced(place: Place) {
        let store = place.store().await;
        store
            .commit(vec![write("a", b"1"), write("b", b"2")], None, 1_000)
            .await
            .expect("commit");
        let mut wider = write("a", b"1-wider");
        wider.scope.insert(unit("441500"));
        store
            .commit(vec![write("b", b"2-again"), wider], None, 2_000)
            .await
            .expect("commit");
        let mut again = write("a", b"1-again");
        again.scope.insert(unit("441500"));
        store.commit(vec![again], None, 3_000).await.expect("commit");
        let rows = store.scan(0, 10).await.expect("scan");
        let prior = |id: &str| {
            rows.iter()
                .find(|r| r.doc_id == id)
                .and_then(|r| r.prior.clone())
                .expect("a prior version")
        };
        // b: replaced once, same scope.
        let b = prior("b");
        assert_eq!((b.seq, b.heads.as_str(), b.scope), (2, "heads-of-b-1", None));
        // a: replaced twice; the latest replaced the wider version, same scope.
        let a = prior("a");
        assert_eq!((a.seq, a.heads.as_str(), a.scope), (4, "heads-of-a-7", None));
        // A write that changes the scope keeps the scope it replaced.
        let mut once_more = write("a", b"x");
        once_more.scope = BTreeSet::from([unit("441500")]);
        store.commit(vec![once_more], None, 4_000).await.expect("commit");
        let rows = store.scan(0, 10).await.expect("scan");
        let a = rows
            .iter()
            .find(|r| r.doc_id == "a")
            .and_then(|r| r.prior.clone())
            .expect("a prior version");
        assert_eq!(
            a.scope,
            Some(BTreeSet::from([unit("441500"), unit("441521")])),
            "the scope it replaced, where it differed"
        );
        // A document written once has none.
        store
            .commit(vec![write("c", b"3")], None, 5_000)
            .await
            .expect("commit");
        let rows = store.scan(0, 10).await.expect("scan");
        assert!(rows.iter().find(|r| r.doc_id == "c").expect("c").prior.is_none());
    }
}

on_each_engine! {
    async fn commits_number_the_feed_in_order_and_a_document_sits_in_it_once(place: Place) {
        let store = place.store().await;
        assert_eq!(store.head(), 0);
        let head = store
            .commit(vec![write("a", b"1"), write("b", b"2")], None, 1_000)
            .await
            .expect("commit");
        assert_eq!(head, 2);
        let head = store
            .commit(vec![write("c", b"3")], None, 2_000)
            .await
            .expect("commit");
        assert_eq!(head, 3);
        // Rewriting `a` moves it to the end of the feed, once.
        store
            .commit(vec![write("a", b"1-again")], None, 3_000)
            .await
            .expect("commit");
        assert_eq!(
            feed(&store).await,
            vec![(2, "b".into()), (3, "c".into()), (4, "a".into())]
        );
        let after = store.scan(2, 1).await.expect("scan");
        assert_eq!(after.len(), 1);
        assert_eq!(after[0].doc_id, "c");
        assert_eq!(store.count_docs().await.expect("count"), 3);
        assert_eq!(store.count_after(3).await.expect("count"), 1);
        // First seen stays, bytes and heads follow the latest write.
        let a = store.get(&["a".into()]).await.expect("get").remove(0);
        assert_eq!(a.seq, 4);
        assert_eq!(a.first_seen_ms, 1_000);
        assert_eq!(a.bytes, b"1-again");
        assert_eq!(a.heads, "heads-of-a-7");
    }
}

on_each_engine! {
    async fn documents_come_back_byte_for_byte(place: Place) {
        let store = place.store().await;
        // Every byte value, a large document, and ids with CJK and punctuation.
        let all: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
        let big: Vec<u8> = (0..(1 << 20)).map(|i: u32| (i * 7 % 251) as u8).collect();
        let ids = [
            "441521-2026-000001",
            "schedule/441521/2026-04",
            "名册/海丰县",
        ];
        store
            .commit(
                vec![write(ids[0], &all), write(ids[1], &big), write(ids[2], b"")],
                None,
                5,
            )
            .await
            .expect("commit");
        let got = store
            .get(&ids.iter().map(|s| s.to_string()).collect::<Vec<_>>())
            .await
            .expect("get");
        assert_eq!(got.len(), 3);
        for d in got {
            let want: &[u8] = match d.doc_id.as_str() {
                i if i == ids[0] => &all,
                i if i == ids[1] => &big,
                _ => b"",
            };
            assert_eq!(d.bytes, want, "{}", d.doc_id);
        }
        // Many ids in one call (more than one statement's worth).
        let many: Vec<DocWrite> = (0..1_200)
            .map(|i| write(&format!("m{i:05}"), b"x"))
            .collect();
        store.commit(many, None, 6).await.expect("commit");
        let ids: Vec<String> = (0..1_200).map(|i| format!("m{i:05}")).collect();
        assert_eq!(store.get(&ids).await.expect("get").len(), 1_200);
    }
}

on_each_engine! {
    async fn the_cursor_moves_with_the_documents_it_covers(place: Place) {
        let store = place.store().await;
        let peer = unit("441521115000");
        assert!(store.link(&peer).await.expect("link").is_none());
        let cursor = InboundCursor {
            epoch: "their-epoch".into(),
            upto: 17,
            mark: vec![1, 2, 3],
        };
        store
            .commit(vec![write("a", b"1")], Some((peer.clone(), cursor)), 42)
            .await
            .expect("commit");
        let rec = store.link(&peer).await.expect("link").expect("record");
        assert_eq!(rec.inbound.epoch, "their-epoch");
        assert_eq!(rec.inbound.upto, 17);
        assert_eq!(rec.last_sync_ms, Some(42));
        store.save_acked(&peer, 9, 50).await.expect("ack");
        let rec = store.link(&peer).await.expect("link").expect("record");
        assert_eq!((rec.acked_upto, rec.inbound.upto), (9, 17));
    }
}

on_each_engine! {
    async fn an_acknowledgement_rides_with_the_next_commit(place: Place) {
        let store = place.store().await;
        let peer = unit("441521115000");
        // The acknowledgement waits for a commit; the commit that comes meanwhile
        // writes it, in its own transaction.
        let ack = store.save_acked(&peer, 5, 60);
        let commit = async {
            store
                .commit(vec![write("b", b"2")], None, 61)
                .await
                .expect("commit");
            store.link(&peer).await.expect("link").map(|r| r.acked_upto)
        };
        let (saved, carried) = tokio::join!(ack, commit);
        saved.expect("ack");
        assert_eq!(carried, Some(5), "written by the commit");
        // Alone, it is written once its wait is over.
        store.save_acked(&peer, 8, 70).await.expect("ack");
        let rec = store.link(&peer).await.expect("link").expect("record");
        assert_eq!((rec.acked_upto, rec.last_sync_ms), (8, Some(70)));
    }
}

on_each_engine! {
    async fn a_failing_commit_leaves_nothing_behind(place: Place) {
        let store = place.store().await;
        store
            .commit(vec![write("kept", b"1")], None, 1)
            .await
            .expect("commit");
        let peer = unit("441521115000");
        // The node's in-transaction work fails: documents, cursor and head stay.
        let work: TxWork = Box::new(|conn| {
            Box::pin(async move {
                sqlx::query("SELECT no_such_column FROM hub_docs")
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            })
        });
        let cursor = InboundCursor {
            epoch: "e".into(),
            upto: 5,
            mark: Vec::new(),
        };
        let err = store
            .commit_with(
                vec![write("lost", b"2"), write("kept", b"changed")],
                Some((peer.clone(), cursor)),
                2,
                Some(work),
            )
            .await;
        assert!(err.is_err());
        assert_eq!(store.head(), 1);
        assert!(store.get(&["lost".into()]).await.expect("get").is_empty());
        let kept = store.get(&["kept".into()]).await.expect("get").remove(0);
        assert_eq!(kept.bytes, b"1");
        assert!(store.link(&peer).await.expect("link").is_none());
        // The work runs inside the commit: it sees the documents being written.
        let work: TxWork = Box::new(|conn| {
            Box::pin(async move {
                let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM hub_docs WHERE doc_id = $1")
                    .bind("new")
                    .fetch_one(&mut *conn)
                    .await?;
                assert_eq!(n, 1);
                Ok(())
            })
        });
        store
            .commit_with(vec![write("new", b"3")], None, 3, Some(work))
            .await
            .expect("commit with work");
        assert_eq!(store.head(), 2);
    }
}

on_each_engine! {
    async fn epoch_and_head_survive_a_reopen(place: Place) {
        let (epoch, head) = {
            let store = place.store().await;
            store
                .commit(vec![write("a", b"1"), write("b", b"2")], None, 1)
                .await
                .expect("commit");
            let out = (store.epoch().to_owned(), store.head());
            store.db().close().await;
            out
        };
        let store = place.store().await;
        assert_eq!(store.epoch(), epoch);
        assert_eq!(store.head(), head);
        assert_eq!(feed(&store).await.len(), 2);
    }
}

// The store remembers every epoch it had, across a reopen and through
// recoveries and a restore's mark, so a peer that names an older one is told
// apart from a peer that knew a store this one never was.
on_each_engine! {
    async fn every_epoch_the_store_had_is_remembered(place: Place) {
        let first = {
            let store = place.store().await;
            assert_eq!(store.epochs().await.expect("epochs"), vec![store.epoch()]);
            let first = store.epoch();
            let second = store.begin_recovery("test", 1).await.expect("recovery");
            assert_eq!(store.epochs().await.expect("epochs"), vec![first.clone(), second]);
            store.db().close().await;
            first
        };
        let store = place.store().await;
        let third = mark_recovering(store.db(), "restored", 2, true)
            .await
            .expect("a restore's mark")
            .epoch;
        let epochs = store.epochs().await.expect("epochs");
        assert_eq!(epochs.len(), 3, "{epochs:?}");
        assert_eq!(epochs.first(), Some(&first));
        assert_eq!(epochs.last(), Some(&third));
    }
}

fn migration(version: i64, sql: &'static str) -> Migration {
    Migration::new(version, format!("step {version}"), sql)
}

async fn tables(db: &Db) -> Vec<String> {
    let sql = match db.engine() {
        Engine::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        }
        Engine::Postgres => {
            "SELECT table_name::TEXT FROM information_schema.tables
             WHERE table_schema = current_schema() ORDER BY table_name"
        }
    };
    sqlx::query_scalar(sql)
        .fetch_all(db.pool())
        .await
        .expect("tables")
}

on_each_engine! {
    async fn a_failed_migration_leaves_the_schema_as_it_was(place: Place) {
        let db = place.db().await;
        let one = migration(1, "CREATE TABLE first_table (k TEXT PRIMARY KEY NOT NULL)");
        let two = migration(
            2,
            "CREATE TABLE second_table (k TEXT); SELECT * FROM missing_table",
        );
        let err = db.apply_migrations(vec![&one, &two]).await;
        let Err(StoreError::Migrate { url, message }) = err else {
            panic!("expected a migration error, got {err:?}");
        };
        assert_eq!(url, db.url());
        assert!(message.contains("migration 2 (step 2)"), "{message}");
        // Neither migration is there, nor the bookkeeping table.
        assert_eq!(tables(&db).await, Vec::<String>::new());
        // Fixed, it applies; again, it is a no-op.
        let two = migration(2, "CREATE TABLE second_table (k TEXT)");
        db.apply_migrations(vec![&one, &two])
            .await
            .expect("migrate");
        db.apply_migrations(vec![&one, &two]).await.expect("again");
        assert_eq!(
            tables(&db).await,
            vec!["_sqlx_migrations", "first_table", "second_table"]
        );
        // An applied migration whose text changed is refused by name.
        let changed = migration(1, "CREATE TABLE first_table (k TEXT)");
        let err = db
            .apply_migrations(vec![&changed, &two])
            .await
            .expect_err("changed migration");
        assert!(
            err.to_string().contains("was changed after it was applied"),
            "{err}"
        );
    }
}

#[tokio::test]
async fn an_unreachable_database_is_named_without_its_password() {
    let err = Db::open(
        "postgres://xinfang:s3cret-pw@127.0.0.1:1/nowhere",
        DbOptions::default(),
    )
    .await
    .expect_err("nothing listens on port 1");
    let text = err.to_string();
    assert!(
        text.contains("postgres://xinfang:***@127.0.0.1:1/nowhere"),
        "{text}"
    );
    assert!(!text.contains("s3cret-pw"), "{text}");
    let err = Db::open("mysql://h/db", DbOptions::default())
        .await
        .expect_err("not supported");
    assert!(
        err.to_string().contains("sqlite://FILE or postgres://"),
        "{err}"
    );
    // A SQLite file that cannot be created.
    let err = Db::open("sqlite:///no/such/dir/x.db", DbOptions::default())
        .await
        .expect_err("no such directory");
    assert!(err.to_string().contains("/no/such/dir/x.db"), "{err}");
}

#[tokio::test]
async fn a_missing_postgres_database_is_a_clear_error() {
    if !scratch::available("store::a_missing_postgres_database_is_a_clear_error").await {
        return;
    }
    let admin = scratch::admin_url();
    let (base, _) = admin.rsplit_once('/').expect("url with a database");
    let url = format!("{base}/xinfang_no_such_database");
    let err = Db::open(&url, DbOptions::default())
        .await
        .expect_err("database does not exist");
    let text = err.to_string();
    assert!(text.contains("xinfang_no_such_database"), "{text}");
    assert!(text.contains("does not exist"), "{text}");
}

fn ids(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

/// The answers of `written_since` to the questions the test below asks.
async fn written_since_answers(store: &SqlStore) -> Vec<bool> {
    let mut out = Vec::new();
    for (after, of) in [
        (0, ids(&["a"])),
        (1, ids(&["a"])),
        (2, ids(&["a", "b"])),
        (3, ids(&["a", "b", "c"])),
        (1, ids(&["b"])),
        (1, ids(&["z"])),
        (4, ids(&["a", "b", "c"])),
    ] {
        out.push(
            store
                .written_since(after, &of)
                .await
                .expect("written since"),
        );
    }
    out
}

on_each_engine! {
    async fn a_document_written_since_a_position_is_known_from_memory_and_from_the_table(place: Place) {
        let store = place.store().await;
        store.commit(vec![write("a", b"1"), write("b", b"2")], None, 1_000).await.expect("commit");
        store.commit(vec![write("c", b"3"), write("a", b"1-again")], None, 2_000).await.expect("commit");
        // a: positions 1 and 4; b: 2; c: 3.
        let expected = vec![true, true, true, true, true, false, false];
        // Answered from the commits this store made.
        assert_eq!(written_since_answers(&store).await, expected);
        // A store opened on the same database made none of them: from the table.
        drop(store);
        let reopened = place.store().await;
        assert_eq!(written_since_answers(&reopened).await, expected);
    }
}
