//! The node's database: the hub's tables and the node's own, on SQLite or
//! PostgreSQL (see `xinfang_hub::db`), brought up to date together.

use xinfang_hub::db::{Db, DbOptions, HUB_MIGRATIONS, Migrations};
use xinfang_hub::store::StoreError;

/// The node's own tables (versions from 10001; the hub's are below 10000).
pub static NODE_MIGRATIONS: Migrations = Migrations {
    sqlite: sqlx::migrate!("./migrations/sqlite"),
    postgres: sqlx::migrate!("./migrations/postgres"),
};

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
    fn both_engines_have_the_same_node_migrations() {
        assert_eq!(NODE_MIGRATIONS.mismatch(), None);
    }
}
