//! The schema's migrations: each crate lists its files (`migrations!`), one SQL
//! file per engine under the same name, and [`Db::migrate`] applies the pending
//! ones in one transaction.
//!
//! The files are embedded with `include_str!` rather than sqlx's `migrate!`
//! macro: that macro brings sqlx's compile-time query checker, with both
//! database drivers, into every build as a host dependency, for a list this
//! module reads in a few lines. The bookkeeping table stays sqlx's
//! (`_sqlx_migrations`, the SHA-384 of each file's text as its checksum), so a
//! database migrated by an earlier build upgrades in place.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::path::Path;
use std::time::Instant;

use sha2::{Digest, Sha384};
use sqlx::{AnyConnection, Connection};

use super::{Db, Engine, StoreError};

/// One schema change on one engine.
#[derive(Debug, Clone)]
pub struct Migration {
    pub version: i64,
    pub description: Cow<'static, str>,
    pub sql: Cow<'static, str>,
}

impl Migration {
    pub fn new(
        version: i64,
        description: impl Into<Cow<'static, str>>,
        sql: impl Into<Cow<'static, str>>,
    ) -> Migration {
        Migration {
            version,
            description: description.into(),
            sql: sql.into(),
        }
    }

    /// What `_sqlx_migrations` keeps to notice a file changed after it was
    /// applied: the SHA-384 of its text, as sqlx's migrator computes it.
    pub fn checksum(&self) -> [u8; 48] {
        Sha384::digest(self.sql.as_bytes()).into()
    }
}

/// One migration as its crate lists it: the file name without `.sql`
/// (`VERSION_words_of_description`), its version (read from the name when the
/// crate compiles) and its text for each engine.
#[derive(Debug)]
pub struct MigrationFile {
    pub name: &'static str,
    pub version: i64,
    pub sqlite: &'static str,
    pub postgres: &'static str,
}

/// The version a migration's file name starts with, as sqlx's migrator reads it
/// (`0004_link_marks` is 4). Evaluated when the listing crate compiles: a name
/// that is not `VERSION_description` fails the build, naming this rule.
pub const fn migration_version(name: &str) -> i64 {
    let b = name.as_bytes();
    let mut i = 0;
    let mut version: i64 = 0;
    while i < b.len() && b[i] != b'_' {
        assert!(
            b[i].is_ascii_digit() && i < 18,
            "a migration's name is VERSION_description, its version in digits"
        );
        version = version * 10 + (b[i] - b'0') as i64;
        i += 1;
    }
    assert!(
        i > 0 && i + 1 < b.len(),
        "a migration's name is VERSION_description, neither part empty"
    );
    version
}

impl MigrationFile {
    /// The description, as sqlx's migrator reads it from the name
    /// (`0004_link_marks` is "link marks").
    fn description(&self) -> String {
        let words = self.name.split_once('_').map_or(self.name, |(_, w)| w);
        words.replace('_', " ")
    }
}

/// One crate's migrations, in the order they apply. Built by [`migrations!`],
/// which reads `migrations/sqlite/NAME.sql` and `migrations/postgres/NAME.sql`
/// of the crate that names them.
#[derive(Debug)]
pub struct Migrations(pub &'static [MigrationFile]);

/// Lists a crate's migrations by file name: `migrations!["0001_hub", …]`.
/// Each name must have a file in both engines' folders, or the crate does not
/// compile; a test of each crate ([`Migrations::unlisted`]) finds a file that
/// was added to a folder but not to the list.
#[macro_export]
macro_rules! migrations {
    ($($name:literal),* $(,)?) => {
        $crate::db::Migrations(&[$($crate::db::MigrationFile {
            name: $name,
            version: const { $crate::db::migration_version($name) },
            sqlite: include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite/", $name, ".sql"
            )),
            postgres: include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"), "/migrations/postgres/", $name, ".sql"
            )),
        }),*])
    };
}

impl Migrations {
    /// Every migration for `engine`.
    pub fn for_engine(&self, engine: Engine) -> Vec<Migration> {
        self.0
            .iter()
            .map(|f| {
                let sql = match engine {
                    Engine::Sqlite => f.sqlite,
                    Engine::Postgres => f.postgres,
                };
                Migration::new(f.version, f.description(), sql)
            })
            .collect()
    }

    /// What is wrong between the list and the crate's folders under `root`
    /// (its `migrations/`): a `.sql` file in either folder that is not listed, or
    /// versions out of order (two names with one version among them). `None`
    /// when they agree.
    pub fn unlisted(&self, root: &Path) -> Option<String> {
        let mut wrong = Vec::new();
        let listed: BTreeSet<&str> = self.0.iter().map(|f| f.name).collect();
        for engine in ["sqlite", "postgres"] {
            let dir = root.join(engine);
            let mut names = match std::fs::read_dir(&dir) {
                Ok(entries) => entries
                    .filter_map(|e| e.ok())
                    .filter_map(|e| {
                        let name = e.file_name().to_string_lossy().into_owned();
                        name.strip_suffix(".sql").map(str::to_owned)
                    })
                    .collect::<Vec<_>>(),
                Err(e) => {
                    wrong.push(format!("{}: {e}", dir.display()));
                    continue;
                }
            };
            names.sort();
            for name in names {
                if !listed.contains(name.as_str()) {
                    wrong.push(format!("{engine}/{name}.sql is not listed"));
                }
            }
        }
        let mut last = i64::MIN;
        for f in self.0 {
            if f.version <= last {
                wrong.push(format!("{} does not come after version {last}", f.name));
            }
            last = last.max(f.version);
        }
        (!wrong.is_empty()).then(|| wrong.join("; "))
    }
}

/// The hub's own tables (versions below 10000).
pub static HUB_MIGRATIONS: Migrations = crate::migrations![
    "0001_hub",
    "0003_quarantine",
    "0004_link_marks",
    "0005_prior_versions",
];

impl Db {
    /// Applies every pending migration of `sets` (each a folder per engine, see
    /// [`Migrations`]) in version order, **in one transaction**: a database either
    /// reaches the new schema or is left as it was, never half-initialised.
    ///
    /// Applied migrations are recorded in `_sqlx_migrations`, the table sqlx's own
    /// migrator keeps, so databases created by earlier versions upgrade in place.
    pub async fn migrate(&self, sets: &[&Migrations]) -> Result<(), StoreError> {
        let all: Vec<Migration> = sets
            .iter()
            .flat_map(|s| s.for_engine(self.engine))
            .collect();
        self.apply_migrations(all.iter().collect()).await
    }

    /// A migration that could not be applied, naming the database.
    fn migrate_error(&self, message: impl std::fmt::Display) -> StoreError {
        StoreError::Migrate {
            url: self.shown.to_string(),
            message: message.to_string(),
        }
    }

    /// Applies the pending ones of `list` in version order, in one transaction.
    pub async fn apply_migrations(&self, mut all: Vec<&Migration>) -> Result<(), StoreError> {
        all.sort_by_key(|m| m.version);
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(|e| self.migrate_error(e))?;
        let mut tx = conn.begin().await.map_err(|e| self.migrate_error(e))?;
        match self.apply_in(&mut tx, all).await {
            Ok(()) => tx.commit().await.map_err(|e| self.migrate_error(e)),
            Err(e) => {
                // Roll back now rather than when the connection is next used, so
                // nothing stays locked meanwhile.
                let _ = tx.rollback().await;
                Err(e)
            }
        }
    }

    async fn apply_in(
        &self,
        tx: &mut AnyConnection,
        all: Vec<&Migration>,
    ) -> Result<(), StoreError> {
        let table = match self.engine {
            Engine::Sqlite => {
                "CREATE TABLE IF NOT EXISTS _sqlx_migrations (
                    version BIGINT PRIMARY KEY,
                    description TEXT NOT NULL,
                    installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
                    success BOOLEAN NOT NULL,
                    checksum BLOB NOT NULL,
                    execution_time BIGINT NOT NULL)"
            }
            Engine::Postgres => {
                "CREATE TABLE IF NOT EXISTS _sqlx_migrations (
                    version BIGINT PRIMARY KEY,
                    description TEXT NOT NULL,
                    installed_on TIMESTAMPTZ NOT NULL DEFAULT now(),
                    success BOOLEAN NOT NULL,
                    checksum BYTEA NOT NULL,
                    execution_time BIGINT NOT NULL)"
            }
        };
        if self.engine == Engine::Postgres {
            // Two processes starting on one database migrate one after the other.
            sqlx::query("SELECT pg_advisory_xact_lock(7263540915)")
                .execute(&mut *tx)
                .await
                .map_err(|e| self.migrate_error(e))?;
        }
        sqlx::raw_sql(table)
            .execute(&mut *tx)
            .await
            .map_err(|e| self.migrate_error(e))?;
        let applied: Vec<(i64, Vec<u8>)> =
            sqlx::query_as("SELECT version, checksum FROM _sqlx_migrations WHERE success")
                .fetch_all(&mut *tx)
                .await
                .map_err(|e| self.migrate_error(e))?;
        let applied: std::collections::HashMap<i64, Vec<u8>> = applied.into_iter().collect();
        for m in all {
            if let Some(sum) = applied.get(&m.version) {
                if sum.as_slice() != m.checksum().as_slice() {
                    return Err(self.migrate_error(format!(
                        "migration {} ({}) was changed after it was applied",
                        m.version, m.description
                    )));
                }
                continue;
            }
            let started = Instant::now();
            sqlx::raw_sql(&m.sql).execute(&mut *tx).await.map_err(|e| {
                self.migrate_error(format!("migration {} ({}): {e}", m.version, m.description))
            })?;
            sqlx::query(
                "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
                 VALUES ($1, $2, TRUE, $3, $4)",
            )
            .bind(m.version)
            .bind(m.description.to_string())
            .bind(m.checksum().to_vec())
            .bind(started.elapsed().as_nanos() as i64)
            .execute(&mut *tx)
            .await
            .map_err(|e| self.migrate_error(e))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_hub_migration_file_is_listed_in_order() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        assert_eq!(HUB_MIGRATIONS.unlisted(&root), None);
    }

    #[test]
    fn a_file_missing_from_the_list_or_out_of_order_is_named() {
        let dir = tempfile::tempdir().unwrap();
        for engine in ["sqlite", "postgres"] {
            std::fs::create_dir(dir.path().join(engine)).unwrap();
            for name in ["0001_a", "0002_b"] {
                std::fs::write(dir.path().join(engine).join(format!("{name}.sql")), "").unwrap();
            }
        }
        let file = |name| MigrationFile {
            name,
            version: migration_version(name),
            sqlite: "",
            postgres: "",
        };
        let listed = [file("0001_a"), file("0002_b")];
        let leaked: &'static [MigrationFile] = Box::leak(Box::new(listed));
        assert_eq!(Migrations(leaked).unlisted(dir.path()), None);
        let short: &'static [MigrationFile] = Box::leak(Box::new([file("0001_a")]));
        assert_eq!(
            Migrations(short).unlisted(dir.path()).as_deref(),
            Some("sqlite/0002_b.sql is not listed; postgres/0002_b.sql is not listed")
        );
        let bad: &'static [MigrationFile] =
            Box::leak(Box::new([file("0002_b"), file("0001_a"), file("0002_b")]));
        assert_eq!(
            Migrations(bad).unlisted(dir.path()).as_deref(),
            Some("0001_a does not come after version 2; 0002_b does not come after version 2")
        );
    }

    /// Names are read when the listing crate compiles (`const`), so a bad one
    /// fails its build; called at run time, the same rule panics.
    #[test]
    fn a_name_is_version_then_description() {
        assert_eq!(migration_version("0004_link_marks"), 4);
        assert_eq!(migration_version("10025_list_excerpt"), 10025);
        for bad in ["x", "_a", "0004_", "0004", "v4_a", "12345678901234567890_a"] {
            assert!(
                std::panic::catch_unwind(|| migration_version(bad)).is_err(),
                "{bad}"
            );
        }
    }

    /// The checksum is sqlx's, the SHA-384 of the text (FIPS 180-2's "abc"
    /// vector), so a database its migrator set up compares equal.
    #[test]
    fn the_checksum_is_the_sha384_of_the_text() {
        let m = Migration::new(1, "a", "abc");
        assert_eq!(
            hex::encode(m.checksum()),
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded163\
             1a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7"
        );
        let hub = HUB_MIGRATIONS.for_engine(Engine::Sqlite);
        assert_eq!(hub[0].version, 1);
        assert_eq!(hub[0].description, "hub");
        assert_eq!(hub[2].description, "link marks");
    }
}
