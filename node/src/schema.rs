//! The node's database: the hub's tables and the node's own, on SQLite or
//! PostgreSQL (see `xinfang_hub::db`), brought up to date together.

use xinfang_hub::db::{Db, DbOptions, HUB_MIGRATIONS, Migrations};
use xinfang_hub::store::StoreError;

/// The node's own tables (versions from 10001; the hub's are below 10000).
pub static NODE_MIGRATIONS: Migrations = xinfang_hub::migrations![
    "10001_node",
    "10002_case_details",
    "10003_schedules",
    "10004_case_facts",
    "10005_rollups",
    "10006_accounts",
    "10007_ledger",
    "10009_pii",
    "10010_case_documents",
    "10011_major_matters",
    "10012_notices",
    "10014_duty_drafts",
    "10015_receptions",
    "10016_group_petitions",
    "10017_accountability",
    "10018_supervision_demands",
    "10019_outbox",
    "10020_phone_hash",
    "10021_library_and_merged_petitioners",
    "10022_index_audit",
    "10023_ledger_hashes_as_bytes",
    "10024_routed_worklist",
    "10025_list_excerpt",
];

/// Opens the database at `url` and applies every pending migration, the hub's and
/// the node's, in one transaction.
pub async fn open(url: &str, opts: DbOptions) -> Result<Db, StoreError> {
    let db = Db::open(url, opts).await?;
    db.migrate(&[&HUB_MIGRATIONS, &NODE_MIGRATIONS]).await?;
    Ok(db)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_node_migration_file_is_listed_in_order() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        assert_eq!(NODE_MIGRATIONS.unlisted(&root), None);
    }

    /// A ledger written before migration 10023 kept its hashes in hex: the
    /// migration turns each into its 32 bytes, so every entry reads back as it
    /// was written, and a hash that was not hex (a damaged entry) keeps its
    /// characters, for `verify` to name.
    #[tokio::test]
    async fn an_old_ledgers_hex_hashes_become_their_bytes() {
        use crate::ledger::{Entry, GENESIS, chain, entry_of};
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(
            &xinfang_hub::db::sqlite_url(&dir.path().join("t.db")),
            DbOptions::default(),
        )
        .await
        .unwrap();
        migrated_before(&db, 10023).await;
        let mut written = Vec::new();
        let mut prev = GENESIS;
        for seq in 1..=3u64 {
            let mut e = Entry {
                seq,
                at_ms: 1_700_000_000_000 + seq as i64,
                kind: "local".into(),
                doc_id: format!("case/{seq}"),
                actor: String::new(),
                peer: String::new(),
                detail: format!("[\"{seq:064x}\"]"),
                prev_hash: hex::encode(prev),
                hash: String::new(),
            };
            let h = chain(&prev, &e.canonical());
            e.hash = hex::encode(h);
            prev = h;
            written.push(e);
        }
        // The third entry's hash damaged by hand, as `verify` must still see it.
        written[2].hash = "not a hash".into();
        for e in &written {
            sqlx::query(
                "INSERT INTO node_ledger (seq, at_ms, kind, doc_id, actor, peer, detail,
                 prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(e.seq as i64)
            .bind(e.at_ms)
            .bind(e.kind.as_str())
            .bind(e.doc_id.as_str())
            .bind(e.actor.as_str())
            .bind(e.peer.as_str())
            .bind(e.detail.as_str())
            .bind(e.prev_hash.as_str())
            .bind(e.hash.as_str())
            .execute(db.pool())
            .await
            .unwrap();
        }
        migrated(&db).await;
        let rows = sqlx::query(
            "SELECT seq, at_ms, kind, doc_id, actor, peer, detail, prev_hash, hash
             FROM node_ledger ORDER BY seq",
        )
        .fetch_all(db.pool())
        .await
        .unwrap();
        let read: Vec<Entry> = rows.iter().map(|r| entry_of(r).unwrap()).collect();
        assert_eq!(read[..2], written[..2]);
        assert_eq!(read[2].prev_hash, written[2].prev_hash);
        assert_eq!(read[2].hash, hex::encode("not a hash"));
        let sizes: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT length(prev_hash), length(hash) FROM node_ledger WHERE seq < 3 ORDER BY seq",
        )
        .fetch_all(db.pool())
        .await
        .unwrap();
        assert_eq!(sizes, vec![(32, 32), (32, 32)]);
    }

    /// Brings a database up to date.
    async fn migrated(db: &Db) {
        db.migrate(&[&HUB_MIGRATIONS, &NODE_MIGRATIONS])
            .await
            .unwrap();
    }

    /// Brings a database up to just before migration `version`.
    async fn migrated_before(db: &Db, version: i64) {
        let earlier: Vec<_> = [&HUB_MIGRATIONS, &NODE_MIGRATIONS]
            .iter()
            .flat_map(|m| m.for_engine(db.engine()))
            .filter(|m| m.version < version)
            .collect();
        db.apply_migrations(earlier.iter().collect()).await.unwrap();
    }

    /// Migration 10025 keeps the start of each demand where the query table had
    /// all of it, on either engine: a long demand is cut at its 60th character
    /// and marked, as the projector writes it, and a short one stays whole.
    async fn a_listed_demand_becomes_its_excerpt(db: &Db) {
        migrated_before(db, 10025).await;
        let long = "村道硬化工程款拖欠，".repeat(40);
        let short = "路灯不亮".to_owned();
        for (no, content) in [("C1", &long), ("C2", &short)] {
            sqlx::query(
                "INSERT INTO node_cases (case_no, unit, petitioner, content, registered_at,
                 notes, seq) VALUES ($1, '441521', '张三', $2, '2026-01-05T09:00:00Z', 0, 1)",
            )
            .bind(no)
            .bind(content.as_str())
            .execute(db.pool())
            .await
            .unwrap();
        }
        migrated(db).await;
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT case_no, excerpt FROM node_cases ORDER BY case_no")
                .fetch_all(db.pool())
                .await
                .unwrap();
        let cut = crate::projection::excerpt(&long);
        assert!(cut.ends_with('…') && cut.chars().count() == 61, "{cut}");
        assert_eq!(rows, vec![("C1".into(), cut), ("C2".into(), short)]);
    }

    #[tokio::test]
    async fn a_listed_demand_becomes_its_excerpt_on_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        let url = xinfang_hub::db::sqlite_url(&dir.path().join("t.db"));
        let db = Db::open(&url, DbOptions::default()).await.unwrap();
        a_listed_demand_becomes_its_excerpt(&db).await;
    }

    #[tokio::test]
    async fn a_listed_demand_becomes_its_excerpt_on_postgres() {
        use xinfang_hub::db::scratch;
        let test = "schema::tests::a_listed_demand_becomes_its_excerpt_on_postgres";
        if !scratch::available(test).await {
            return;
        }
        let schema = scratch::Schema::create("excerpt").await.unwrap();
        let db = Db::open(schema.url(), DbOptions::default()).await.unwrap();
        a_listed_demand_becomes_its_excerpt(&db).await;
        db.close().await;
    }

    /// Each index and a query of the node's that reads it, as the code sends it
    /// (values as `?`). SQLite's planner must pick the index for its query, and
    /// an index missing here is one no query was shown to read: each costs every
    /// write and its bytes at every node.
    const READERS: &[(&str, &str)] = &[
        // the hub's feed scan (`store/sql.rs`)
        (
            "hub_docs_seq",
            "SELECT doc_id, seq, scope, source, prior_seq, prior_heads, prior_scope FROM hub_docs WHERE seq > ? ORDER BY seq LIMIT ?",
        ),
        // quarantine counts by peer
        (
            "hub_quarantine_peer",
            "SELECT peer, CAST(COUNT(*) AS BIGINT) FROM hub_quarantine GROUP BY peer ORDER BY peer",
        ),
        // the audit log, newest first (`auth/store.rs`)
        (
            "node_audit_at",
            "SELECT at, actor, roles, action, target, outcome, reason FROM node_audit WHERE 1 = 1 ORDER BY at_ms DESC, id DESC LIMIT ?",
        ),
        // the next free case number (`case/numbering.rs`)
        (
            "node_case_collisions_no",
            "SELECT MAX(case_no) FROM node_case_collisions WHERE case_no >= ? AND case_no <= ?",
        ),
        // overdue cases over the whole subtree (`accountability`)
        (
            "node_case_facts_due",
            "SELECT case_no, next_due_unit, next_due FROM node_case_facts WHERE next_due IS NOT NULL AND next_due < ?",
        ),
        // a unit's overdue cases (`report/service/tally.rs`)
        (
            "node_case_facts_due_unit",
            "SELECT case_no FROM node_case_facts WHERE next_due_unit = ? AND next_due < ?",
        ),
        // a period's cases (`report/service/tally.rs`)
        (
            "node_case_facts_received",
            "SELECT case_no FROM node_case_facts WHERE received >= ? AND received <= ?",
        ),
        // a period's cases of some units
        (
            "node_case_facts_unit",
            "SELECT case_no FROM node_case_facts WHERE received >= ? AND received <= ? AND registered_by IN (?, ?)",
        ),
        // the worklist, soonest deadline first (`projection/queries.rs`)
        (
            "node_cases_by_deadline",
            "SELECT case_no FROM node_cases WHERE 1 = 1 AND status = ? ORDER BY (next_due IS NULL), next_due, registered_at DESC, case_no DESC LIMIT ? OFFSET ?",
        ),
        // group petitions (`report/service/targets.rs`)
        (
            "node_cases_group",
            "SELECT unit, registered_at, head_count FROM node_cases WHERE head_count >= ?",
        ),
        // the owned-case library
        (
            "node_cases_in_library",
            "SELECT case_no, library, status, handling_unit FROM node_cases WHERE library IS NOT NULL ORDER BY case_no",
        ),
        // major and urgent matters
        (
            "node_cases_major",
            "SELECT case_no FROM node_cases WHERE major_since IS NOT NULL AND (unit IN (?) OR handling_unit IN (?)) AND status IN (?, ?) ORDER BY major_urgent DESC, major_since, case_no",
        ),
        // earlier petitions of the same person on the same matter
        (
            "node_cases_match",
            "SELECT case_no FROM node_cases WHERE id_hash = ? AND category = ? AND COALESCE(subcategory, '') = ? ORDER BY registered_at DESC, case_no DESC",
        ),
        // staff's petitioner merges
        (
            "node_cases_merged",
            "SELECT case_no, same_petitioner FROM node_cases WHERE same_petitioner IS NOT NULL",
        ),
        // a petitioner's cases by phone
        (
            "node_cases_phone_hash",
            "SELECT case_no FROM node_cases WHERE 1 = 1 AND phone_hash = ? ORDER BY registered_at DESC, case_no DESC LIMIT ? OFFSET ?",
        ),
        // cases registered at receptions (`schedule/service/board.rs`)
        (
            "node_cases_receptions",
            "SELECT case_no, receptions FROM node_cases WHERE receptions IS NOT NULL",
        ),
        // the case list, newest first
        (
            "node_cases_registered",
            "SELECT case_no FROM node_cases WHERE 1 = 1 AND (unit IN (?, ?) OR handling_unit IN (?, ?)) ORDER BY registered_at DESC, case_no DESC LIMIT ? OFFSET ?",
        ),
        // cases named as repeated (`report/rollup_store.rs`)
        (
            "node_cases_repeat_of",
            "SELECT DISTINCT repeat_of FROM node_cases WHERE repeat_of IN (?, ?)",
        ),
        // the supervised worklist
        (
            "node_cases_supervised",
            "SELECT case_no FROM node_cases WHERE 1 = 1 AND (unit IN (?, ?) OR handling_unit IN (?, ?)) AND supervision_due IS NOT NULL ORDER BY supervision_due, case_no LIMIT ? OFFSET ?",
        ),
        // the outbox's due messages (`outbox/worker.rs`)
        (
            "node_outbox_due",
            "SELECT message_key, case_no, doc_id, about, text, attempts FROM node_outbox WHERE state = 'pending' AND next_at <= ? ORDER BY next_at, message_key LIMIT ?",
        ),
        // a disabled user's tokens revoked (`auth/store.rs`)
        (
            "node_tokens_user",
            "UPDATE node_tokens SET revoked = ? WHERE user_name = ? AND revoked = ''",
        ),
    ];

    #[tokio::test]
    async fn every_index_is_read_by_a_query() {
        let dir = tempfile::tempdir().unwrap();
        let db = open(
            &xinfang_hub::db::sqlite_url(&dir.path().join("t.db")),
            DbOptions::default(),
        )
        .await
        .unwrap();
        let indexes: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'index'
             AND name NOT LIKE 'sqlite_autoindex_%' ORDER BY name",
        )
        .fetch_all(db.pool())
        .await
        .unwrap();
        // Queries as the code builds them, where the builder's text decides the
        // plan (a status written out reads a partial index, a bound one cannot).
        let routed = crate::projection::CaseFilter {
            limit: 21,
            routed_to: Some("441521".into()),
            by_deadline: true,
            ..Default::default()
        };
        let built = [(
            "node_cases_routed",
            crate::projection::list_sql(&routed).render(db.engine()),
        )];
        let mut readers: Vec<(&str, String)> = READERS
            .iter()
            .map(|(index, sql)| (*index, (*sql).to_owned()))
            .chain(built)
            .collect();
        readers.sort();
        let listed: Vec<&str> = readers.iter().map(|(index, _)| *index).collect();
        assert_eq!(
            indexes, listed,
            "the schema's indexes and the queries that read them"
        );
        for (index, sql) in &readers {
            let explain = format!("EXPLAIN QUERY PLAN {sql}");
            let mut plan = sqlx::query(&explain);
            for _ in 0..sql.matches('?').count() {
                plan = plan.bind(None::<String>);
            }
            let details: Vec<String> = plan
                .fetch_all(db.pool())
                .await
                .unwrap()
                .iter()
                .map(|row| sqlx::Row::get::<String, _>(row, 3))
                .collect();
            assert!(
                details.iter().any(|d| d
                    .split(|c: char| !c.is_alphanumeric() && c != '_')
                    .any(|w| w == *index)),
                "{index} is not read by its query; the plan: {details:?}"
            );
        }
    }
}
