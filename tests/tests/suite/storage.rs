//! What an operator sees when a node's database is unreachable or misconfigured:
//! the node does not start, the error names the database (password hidden) and
//! what failed, and nothing half-made is left behind.

use std::sync::Arc;

use xinfang_hub::db::{Db, scratch};
use xinfang_hub::net::Security;
use xinfang_hub::{HubConfig, Tier, Topology, Unit};
use xinfang_node::server::{self, NodeConfig};
use xinfang_tests::*;

fn config(dir: &std::path::Path, db: &str) -> anyhow::Result<NodeConfig> {
    let topology = Topology::from_units(vec![Unit {
        code: code(COUNTY),
        name: "海丰县".into(),
        tier: Tier::County,
        parent: None,
        listen: "127.0.0.1:0".into(),
        api: Some("127.0.0.1:0".into()),
        kind: Default::default(),
        attributes: Default::default(),
    }])?;
    Ok(NodeConfig {
        unit: code(COUNTY),
        topology: Arc::new(topology),
        data_dir: dir.to_path_buf(),
        db: Some(db.to_owned()),
        security: Security::Insecure,
        durability: Default::default(),
        hub: HubConfig::default(),
        match_key: None,
        limits: None,
        rules_dirs: Vec::new(),
        clock: None,
        metrics_listen: None,
        api_limits: Default::default(),
        api: None,
        token_ttl: std::time::Duration::from_secs(3600),
        pii_clear_roles: xinfang_node::pii::DEFAULT_CLEAR_ROLES.to_vec(),
        console: None,
        outbox: None,
        public: None,
    })
}

async fn start(dir: &std::path::Path, db: &str) -> anyhow::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    match server::start(config(dir, db)?, listener).await {
        Ok(node) => {
            node.shutdown().await;
            anyhow::bail!("the node started on {db}")
        }
        Err(e) => Ok(e.to_string()),
    }
}

#[tokio::test]
async fn an_unreachable_database_stops_the_start_and_hides_the_password() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let err = start(
        dir.path(),
        "postgres://xinfang:hunter2@127.0.0.1:1/petitions",
    )
    .await?;
    assert!(
        err.contains("postgres://xinfang:***@127.0.0.1:1/petitions"),
        "{err}"
    );
    assert!(!err.contains("hunter2"), "{err}");
    assert!(err.to_lowercase().contains("refused"), "{err}");
    let err = start(dir.path(), "postgress://127.0.0.1/petitions").await?;
    assert!(err.contains("sqlite://FILE or postgres://"), "{err}");
    Ok(())
}

#[tokio::test]
async fn a_schema_that_cannot_be_brought_up_to_date_is_left_as_it_was() -> anyhow::Result<()> {
    if !postgres_or_skip("storage::a_schema_that_cannot_be_brought_up_to_date_is_left_as_it_was")
        .await
    {
        return Ok(());
    }
    let schema = scratch::Schema::create("misconfigured").await?;
    // Someone else's table where the node's would go: the node's first migration
    // cannot create it.
    let db = Db::open(schema.url(), Default::default()).await?;
    sqlx::query("CREATE TABLE node_cases (something_else INTEGER)")
        .execute(db.pool())
        .await?;
    let dir = tempfile::tempdir()?;
    let err = start(dir.path(), schema.url()).await?;
    assert!(err.contains("cannot bring the schema up to date"), "{err}");
    assert!(err.contains("migration 10001"), "{err}");
    assert!(err.contains(schema.name()), "the database is named: {err}");
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT CAST(table_name AS TEXT) FROM information_schema.tables
         WHERE table_schema = current_schema() ORDER BY 1",
    )
    .fetch_all(db.pool())
    .await?;
    // Not even the hub's tables, which come first, were kept.
    assert_eq!(tables, vec!["node_cases".to_owned()]);
    db.close().await;
    Ok(())
}
