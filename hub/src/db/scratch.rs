//! Throwaway PostgreSQL schemas for tests, one per node, dropped when dropped.
//!
//! Tests that need PostgreSQL ask [`available`] first: where it is
//! absent they are skipped, never silently: one line `SKIPPED: <test>: <reason>`
//! goes straight to standard error (past the test harness's output capture; CI
//! counts these lines as skips). With `XINFANG_REQUIRE_POSTGRES=1` (CI) an absent
//! server fails the test with the same reason instead.

use std::io::Write;
use std::time::Duration;

use sqlx::{Connection, PgConnection};

/// The server and database tests use; override with `XINFANG_TEST_POSTGRES`.
pub const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

pub fn admin_url() -> String {
    std::env::var("XINFANG_TEST_POSTGRES").unwrap_or_else(|_| DEFAULT_URL.to_owned())
}

fn required() -> bool {
    std::env::var("XINFANG_REQUIRE_POSTGRES").is_ok_and(|v| v == "1")
}

/// Whether the test server answers. When it does not, says `test` is skipped
/// on the terminal, or panics if PostgreSQL is required.
pub async fn available(test: &str) -> bool {
    let url = admin_url();
    let tried = tokio::time::timeout(Duration::from_secs(5), PgConnection::connect(&url)).await;
    let reason = match tried {
        Ok(Ok(conn)) => {
            let _ = conn.close().await;
            return true;
        }
        Ok(Err(e)) => e.to_string(),
        Err(_) => "no answer within 5 s".to_owned(),
    };
    let reason = format!(
        "PostgreSQL at {} is not reachable ({reason}); set XINFANG_TEST_POSTGRES to run it",
        super::redact(&url)
    );
    if required() {
        panic!("{test}: {reason} (XINFANG_REQUIRE_POSTGRES=1 requires it)");
    }
    let _ = writeln!(std::io::stderr(), "SKIPPED: {test}: {reason}");
    false
}

/// A fresh schema in the test database, and a URL whose connections use it.
pub struct Schema {
    name: String,
    url: String,
    admin: String,
}

impl Schema {
    /// A schema on the test server (`XINFANG_TEST_POSTGRES`).
    pub async fn create(label: &str) -> Result<Schema, sqlx::Error> {
        Self::create_at(&admin_url(), label).await
    }

    /// A schema in the database `admin` names (which must exist).
    pub async fn create_at(admin: &str, label: &str) -> Result<Schema, sqlx::Error> {
        let clean: String = label
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .take(24)
            .collect();
        let name = format!(
            "xft_{clean}_{}",
            &uuid::Uuid::new_v4().simple().to_string()[..10]
        );
        let mut conn = PgConnection::connect(admin).await?;
        sqlx::query(&format!("CREATE SCHEMA \"{name}\""))
            .execute(&mut conn)
            .await?;
        let _ = conn.close().await;
        let sep = if admin.contains('?') { '&' } else { '?' };
        // The application name lets the cleanup find this schema's sessions.
        let url = format!("{admin}{sep}options=-c%20search_path%3D{name}&application_name={name}");
        Ok(Schema {
            name,
            url,
            admin: admin.to_owned(),
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        let name = self.name.clone();
        let admin = self.admin.clone();
        // Drop runs outside any async context we could borrow: a thread of
        // its own with a small runtime.
        let done = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async move {
                let mut conn = PgConnection::connect(&admin).await.ok()?;
                // Sessions still open on the schema (a node the test did not
                // stop, a pool not yet closed) would hold the drop up.
                sqlx::query(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                     WHERE application_name = $1 AND pid <> pg_backend_pid()",
                )
                .bind(&name)
                .execute(&mut conn)
                .await
                .ok()?;
                sqlx::query("SET lock_timeout = '5s'")
                    .execute(&mut conn)
                    .await
                    .ok()?;
                sqlx::query(&format!("DROP SCHEMA IF EXISTS \"{name}\" CASCADE"))
                    .execute(&mut conn)
                    .await
                    .ok()?;
                conn.close().await.ok()
            })
        })
        .join();
        if !matches!(done, Ok(Some(()))) {
            let _ = writeln!(
                std::io::stderr(),
                "warning: test schema {} was not dropped",
                self.name
            );
        }
    }
}
