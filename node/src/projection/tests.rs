//! The projector's tests: rows written in the documents' transaction, tables
//! derived again under another tree, and rollups from presummed entries.

use sqlx::AnyPool;
use xinfang_hub::db::{DbOptions, Durability};
use xinfang_hub::store::Store;
use xinfang_hub::store::sql::SqlStore;
use xinfang_hub::{Create, HubConfig, Tier, Topology, Unit};

use super::*;
use crate::case::{self, Registration};

async fn rows(pool: &AnyPool) -> Vec<(String, String, i64, i64)> {
    sqlx::query_as("SELECT case_no, petitioner, notes, seq FROM node_cases ORDER BY case_no")
        .fetch_all(pool)
        .await
        .unwrap()
}

/// A node's database, migrated, in the SQLite file `name` in `dir`.
async fn node_db(dir: &tempfile::TempDir, name: &str) -> Db {
    crate::schema::open(
        &xinfang_hub::db::sqlite_url(&dir.path().join(name)),
        DbOptions {
            durability: Durability::Normal,
            max_connections: None,
        },
    )
    .await
    .unwrap()
}

/// Registers case `seq` of 2026 at the county, from `who`; its number.
async fn register(hub: &Hub, unit: &xinfang_hub::UnitCode, seq: u64, who: &str) -> String {
    let no = case::case_number(unit, 2026, seq);
    let reg = Registration::validate(unit, "441521", who, "诉求").unwrap();
    hub.update(&no, Create::New, |d| {
        case::write_registration(d, &no, &reg, "2026-01-01T00:00:00.000Z")
    })
    .await
    .unwrap();
    no
}

/// A county node's storage, hub and projector on a temporary SQLite file.
async fn county_node() -> (
    tempfile::TempDir,
    AnyPool,
    xinfang_hub::UnitCode,
    Hub,
    Arc<Projector>,
) {
    let dir = tempfile::tempdir().unwrap();
    let db = node_db(&dir, "t.db").await;
    let pool = db.pool().clone();
    let store = SqlStore::open(db.clone()).await.unwrap();
    let unit: xinfang_hub::UnitCode = "441521".parse().unwrap();
    let topo = Topology::from_units(vec![Unit {
        code: unit.clone(),
        name: "海丰县".into(),
        tier: Tier::County,
        parent: None,
        listen: "127.0.0.1:1".into(),
        api: None,
        kind: Default::default(),
        attributes: Default::default(),
    }])
    .unwrap();
    let store: Arc<dyn Store> = Arc::new(store);
    let hub = Hub::new(unit.clone(), Arc::new(topo), store, HubConfig::default()).unwrap();
    let rules = Arc::new(CaseRules::official().unwrap());
    let projector = Projector::new(hub.clone(), db, rules);
    (dir, pool, unit, hub, projector)
}

/// Query tables derived under another tree of units (here: a digest that does
/// not match) are derived again from the documents, and only then does the
/// commit path write into them again.
#[tokio::test]
async fn tables_from_another_tree_are_derived_again() {
    let (_dir, pool, unit, hub, projector) = county_node().await;
    for i in 1..=3 {
        register(&hub, &unit, i, &format!("人{i}")).await;
    }
    let facts = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM node_case_facts")
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    assert_eq!(facts().await, 3);
    // As if the tables had been derived under another tree.
    sqlx::query("UPDATE node_meta SET value = 'another tree' WHERE key = $1")
        .bind(SHAPE_KEY)
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("UPDATE node_case_facts SET status = 'stale'")
        .execute(&pool)
        .await
        .unwrap();
    // A commit now leaves the tables alone (they are not this tree's).
    register(&hub, &unit, 4, "人4").await;
    assert_eq!(facts().await, 3);
    // Catching up derives everything again, under this tree.
    assert_eq!(projector.catch_up().await.unwrap(), hub.head());
    assert_eq!(facts().await, 4);
    let stale: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM node_case_facts WHERE status = 'stale'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(stale, 0);
    let shape_now: String = sqlx::query_scalar("SELECT value FROM node_meta WHERE key = $1")
        .bind(SHAPE_KEY)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(shape_now, shape(hub.topology(), hub.me(), ""));
}

/// The query rows are written by the commit itself: with no projector task
/// running, every case is in the tables the moment its write returns, and the
/// cursor is at the head.
#[tokio::test]
async fn rows_are_written_in_the_documents_transaction() {
    let (_dir, pool, unit, hub, projector) = county_node().await;
    for i in 0..5u64 {
        register(&hub, &unit, i + 1, &format!("人{i}")).await;
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM node_case_facts")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(n, i as i64 + 1);
        assert_eq!(projector.cursor().await.unwrap(), hub.head());
    }
}

#[tokio::test]
async fn observed_commits_and_a_rebuild_from_documents_agree() {
    let (_dir, pool, unit, hub, projector) = county_node().await;
    let (stop_tx, stop_rx) = watch::channel(false);
    let p = projector.clone();
    let task = tokio::spawn(async move { p.run(stop_rx).await });
    for i in 0..20u64 {
        let no = register(&hub, &unit, i + 1, &format!("人{i}")).await;
        if i % 3 == 0 {
            hub.update(&no, Create::Existing, |d| {
                let note = case::progress(&unit, "进展", chrono::Utc::now())?;
                case::add_record(d, &no, &note)
            })
            .await
            .unwrap();
        }
    }
    // Wait (bounded) until the observer path has projected everything.
    let head = hub.head();
    for _ in 0..500 {
        if projector.cursor().await.unwrap() == head {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(projector.cursor().await.unwrap(), head);
    let observed = rows(&pool).await;
    assert_eq!(observed.len(), 20);
    assert_eq!(observed.iter().filter(|r| r.2 == 1).count(), 7);
    assert_eq!(projector.rebuild().await.unwrap(), head);
    assert_eq!(rows(&pool).await, observed);
    stop_tx.send(true).unwrap();
    task.await.unwrap();
}

/// Rollups written from entries worked out before the write lock are the rollups
/// worked out case by case under it, for every kind of batch: new cases, cases
/// held before, cases repeated by a petition in the same batch or held, a case
/// twice in a batch, and case numbers already held by another registration
/// (the later one displaced, the earlier one displacing the holder).
#[tokio::test]
async fn rollups_from_presummed_entries_are_the_rollups_case_by_case() {
    use crate::case::facts::fixtures::{COMM_A, COUNTY, World, u};
    use crate::report::rollup::{self, Anchors};
    use crate::report::rollup_store::{FACT_COLUMNS, FactsRow, RollupRows};

    // The county's node; the rollups keep the county and the township between it
    // and the community that registers.
    let world = World::new();
    let topology = world.topology();
    let me = u(COUNTY);
    let anchors = Anchors::new(topology, &me);
    let rules = CaseRules::official().unwrap();
    let registering = u(COMM_A);
    // A case document's row: registered at the community on `at`.
    let row = |doc_id: &str, no: &str, at: &str, repeat_of: Option<&str>| {
        let mut reg = Registration::validate(&registering, COMM_A, "某人", "诉求").unwrap();
        reg.details.repeat_of = repeat_of.map(str::to_owned);
        let mut d = AutoCommit::new();
        case::write_registration(&mut d, no, &reg, at).unwrap();
        project(&mut d, doc_id, topology, &rules).unwrap()
    };
    let dir = tempfile::tempdir().unwrap();
    let dbs = [
        node_db(&dir, "presummed.db").await,
        node_db(&dir, "case-by-case.db").await,
    ];
    let held = |db: &Db| {
        let pool = db.pool().clone();
        async move {
            let mut conn = pool.acquire().await.unwrap();
            RollupRows::read(&mut conn).await.unwrap()
        }
    };
    let jan = |d: u32| format!("2026-01-{d:02}T02:00:00.000Z");
    let batches: Vec<(&str, Vec<Projected>)> = vec![
        (
            "new cases",
            vec![
                row("d1", "N1", &jan(5), None),
                row("d2", "N2", &jan(6), None),
                row("d3", "N3", &jan(7), None),
            ],
        ),
        (
            "a held case changed, and held earlier cases repeated",
            vec![
                row("d1", "N1", "2026-03-01T02:00:00.000Z", None),
                row("d4", "N4", &jan(8), Some("N2")),
                row("d5", "N5", &jan(9), None),
            ],
        ),
        (
            "a case repeated in its own batch, and a case twice",
            vec![
                row("d6", "N6", &jan(10), None),
                row("d7", "N7", &jan(11), Some("N6")),
                row("d8", "N8", &jan(12), None),
                row("d8", "N8", "2026-02-12T02:00:00.000Z", None),
            ],
        ),
        (
            "numbers held by other registrations",
            vec![
                // Registered after N3's holder: displaced, never counted.
                row("d9", "N3", &jan(20), None),
                // Registered before N5's holder: it holds the number now.
                row("d10", "N5", &jan(1), None),
                row("d11", "N11", &jan(13), None),
            ],
        ),
    ];
    for (what, batch) in &batches {
        for (db, presum) in dbs.iter().zip([true, false]) {
            let rows: Vec<(u64, &Projected)> = batch.iter().zip(1..).map(|(p, s)| (s, p)).collect();
            let presummed = presum
                .then(|| Presummed::new(batch.iter().filter_map(|p| p.facts.as_ref()), &anchors));
            let mut tx = db.begin_write().await.unwrap();
            Projector::upsert_many(&mut tx, &rows, &anchors, presummed)
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
        // The sum of the cases' entries as their facts rows stand.
        let facts: Vec<FactsRow> =
            sqlx::query_as(&format!("SELECT {FACT_COLUMNS} FROM node_case_facts"))
                .fetch_all(dbs[0].pool())
                .await
                .unwrap();
        let mut expected = RollupRows::default();
        for (f, repeated) in facts.into_iter().map(FactsRow::into_facts) {
            let e = rollup::entries(&f, repeated, &anchors);
            expected.add(e.iter().map(|e| (e, 1)), &anchors);
        }
        let presummed = held(&dbs[0]).await;
        assert!(!presummed.counts.is_empty(), "{what}");
        assert_eq!(presummed, expected, "{what}: presummed against the facts");
        assert_eq!(
            presummed,
            held(&dbs[1]).await,
            "{what}: against case by case"
        );
    }
    // The batches did what they say: N2 and N6 are repeated, N8 stands in
    // February, N5 is d10's.
    let repeated: Vec<String> = sqlx::query_scalar(
        "SELECT case_no FROM node_case_facts WHERE repeated = 1 ORDER BY case_no",
    )
    .fetch_all(dbs[0].pool())
    .await
    .unwrap();
    assert_eq!(repeated, ["N2", "N6"]);
    let month: String =
        sqlx::query_scalar("SELECT month FROM node_case_facts WHERE case_no = 'N8'")
            .fetch_one(dbs[0].pool())
            .await
            .unwrap();
    assert_eq!(month, "2026-02");
    let holder: String = sqlx::query_scalar("SELECT doc_id FROM node_cases WHERE case_no = 'N5'")
        .fetch_one(dbs[0].pool())
        .await
        .unwrap();
    assert_eq!(holder, "d10");
}
