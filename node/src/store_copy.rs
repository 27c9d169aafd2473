//! Moving a node's whole database to another engine (`xinfang admin migrate-store`):
//! a city that outgrew its SQLite file moves to PostgreSQL, or back.
//!
//! Everything is copied as it is — documents with their feed positions, the feed's
//! epoch, every peer cursor, the projections — so the node resumes where it was:
//! peers' cursors into its feed stay valid and nothing is sent again. The target
//! must be empty; it gets the same migrations first, then every row in one
//! transaction, so a failed copy leaves it empty.

use futures::TryStreamExt;
use sqlx::{AnyConnection, Connection, Row};
use xinfang_hub::db::{Db, Engine, Sql};
use xinfang_hub::store::StoreError;

use crate::schema::NODE_MIGRATIONS;

#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "target {url} is not empty: table {table} has {rows} rows (move into an empty database)"
    )]
    TargetNotEmpty {
        url: String,
        table: String,
        rows: i64,
    },
    #[error("source {url} and target are the same database")]
    SameDatabase { url: String },
    #[error("table {table}: column {column} has type {found:?}, which the copy does not know")]
    UnknownType {
        table: String,
        column: String,
        found: String,
    },
    #[error("copying {table}: {source}")]
    Copy { table: String, source: sqlx::Error },
    #[error(
        "after the copy, {table} differs: {in_target} rows in the target, {in_source} in the source"
    )]
    Mismatch {
        table: String,
        in_source: i64,
        in_target: i64,
    },
}

/// What one table's copy moved.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TableCopied {
    pub table: String,
    pub rows: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    Text,
    Bytes,
}

/// The node's tables (not the migrations' bookkeeping) as `db` holds them.
pub async fn tables(db: &Db) -> Result<Vec<String>, sqlx::Error> {
    let sql = match db.engine() {
        Engine::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table'
             AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations' ORDER BY name"
        }
        Engine::Postgres => {
            "SELECT CAST(table_name AS TEXT) FROM information_schema.tables
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
               AND table_name <> '_sqlx_migrations' ORDER BY table_name"
        }
    };
    sqlx::query_scalar(sql).fetch_all(db.pool()).await
}

/// Columns of `table` in `db`, in order, with the kind of value each holds.
async fn columns(db: &Db, table: &str) -> Result<Vec<(String, Kind)>, CopyError> {
    let rows: Vec<(String, String)> = match db.engine() {
        Engine::Sqlite => {
            sqlx::query_as("SELECT name, type FROM pragma_table_info($1) ORDER BY cid")
                .bind(table)
                .fetch_all(db.pool())
                .await
        }
        Engine::Postgres => {
            sqlx::query_as(
                "SELECT CAST(column_name AS TEXT), CAST(data_type AS TEXT)
                 FROM information_schema.columns
                 WHERE table_schema = current_schema() AND table_name = $1
                 ORDER BY ordinal_position",
            )
            .bind(table)
            .fetch_all(db.pool())
            .await
        }
    }
    .map_err(|source| CopyError::Copy {
        table: table.to_owned(),
        source,
    })?;
    rows.into_iter()
        .map(|(column, ty)| {
            let t = ty.to_ascii_lowercase();
            let kind = if t.contains("int") {
                Kind::Int
            } else if t.contains("text") || t.contains("char") {
                Kind::Text
            } else if t.contains("blob") || t.contains("bytea") {
                Kind::Bytes
            } else {
                return Err(CopyError::UnknownType {
                    table: table.to_owned(),
                    column,
                    found: ty,
                });
            };
            Ok((column, kind))
        })
        .collect()
}

/// An order-independent digest of a table's rows: the row count and the sum of
/// each row's SHA-256 (first 16 bytes), so both engines can be compared without
/// sorting a table that may not fit in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint {
    pub rows: i64,
    pub sum: u128,
}

async fn fingerprint(
    conn: &mut AnyConnection,
    table: &str,
    cols: &[(String, Kind)],
) -> Result<Fingerprint, sqlx::Error> {
    use sha2::{Digest, Sha256};
    let list = cols
        .iter()
        .map(|(c, _)| c.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let select = format!("SELECT {list} FROM {table}");
    let mut rows = sqlx::query(&select).fetch(&mut *conn);
    let mut out = Fingerprint { rows: 0, sum: 0 };
    while let Some(row) = rows.try_next().await? {
        let mut h = Sha256::new();
        for (i, (_, kind)) in cols.iter().enumerate() {
            let bytes: Option<Vec<u8>> = match kind {
                Kind::Int => row
                    .try_get::<Option<i64>, _>(i)?
                    .map(|v| v.to_le_bytes().to_vec()),
                Kind::Text => row.try_get::<Option<String>, _>(i)?.map(String::into_bytes),
                Kind::Bytes => row.try_get::<Option<Vec<u8>>, _>(i)?,
            };
            match bytes {
                None => h.update([0u8]),
                Some(b) => {
                    h.update([1u8]);
                    h.update((b.len() as u64).to_le_bytes());
                    h.update(&b);
                }
            }
        }
        let d = h.finalize();
        let mut first = [0u8; 16];
        first.copy_from_slice(&d[..16]);
        out.rows += 1;
        out.sum = out.sum.wrapping_add(u128::from_le_bytes(first));
    }
    Ok(out)
}

/// The fingerprint of every table of `db` (the node's tables, as the schema of
/// the current version has them): equal maps mean equal contents.
pub async fn fingerprints(
    db: &Db,
) -> Result<std::collections::BTreeMap<String, Fingerprint>, CopyError> {
    let mut out = std::collections::BTreeMap::new();
    let mut conn = db.pool().acquire().await.map_err(StoreError::from)?;
    for table in tables(db).await.map_err(StoreError::from)? {
        let cols = columns(db, &table).await?;
        let f = fingerprint(&mut conn, &table, &cols)
            .await
            .map_err(|source| CopyError::Copy {
                table: table.clone(),
                source,
            })?;
        out.insert(table, f);
    }
    Ok(out)
}

async fn count(conn: &mut AnyConnection, table: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(conn)
        .await
}

/// One value read from the source, to bind into the target.
enum Value {
    Int(Option<i64>),
    Text(Option<String>),
    Bytes(Option<Vec<u8>>),
}

/// Copies every table of `source` into the empty `target`, bringing both to the
/// current schema first. `progress` hears (table, rows copied so far).
pub async fn copy(
    source: &Db,
    target: &Db,
    mut progress: impl FnMut(&str, u64),
) -> Result<Vec<TableCopied>, CopyError> {
    if source.url() == target.url() && source.engine() == target.engine() {
        return Err(CopyError::SameDatabase {
            url: source.url().to_owned(),
        });
    }
    let sets = [&xinfang_hub::db::HUB_MIGRATIONS, &NODE_MIGRATIONS];
    source.migrate(&sets).await?;
    // Refuse a target that holds anything of ours before touching it.
    let existing = tables(target).await.map_err(StoreError::from)?;
    for table in &existing {
        let mut conn = target.pool().acquire().await.map_err(StoreError::from)?;
        let rows = count(&mut conn, table).await.map_err(StoreError::from)?;
        if rows > 0 {
            return Err(CopyError::TargetNotEmpty {
                url: target.url().to_owned(),
                table: table.clone(),
                rows,
            });
        }
    }
    target.migrate(&sets).await?;
    let names = tables(target).await.map_err(StoreError::from)?;
    // One read transaction on the source: a consistent snapshot of every table.
    let mut src = source.pool().acquire().await.map_err(StoreError::from)?;
    let mut src_tx = src.begin().await.map_err(StoreError::from)?;
    let mut dst = target.pool().acquire().await.map_err(StoreError::from)?;
    let mut dst_tx = dst.begin().await.map_err(StoreError::from)?;
    let mut done = Vec::new();
    for table in &names {
        let cols = columns(target, table).await?;
        let list = cols
            .iter()
            .map(|(c, _)| c.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let err = |source: sqlx::Error| CopyError::Copy {
            table: table.clone(),
            source,
        };
        // Rows per INSERT: keep well under both engines' bound-parameter limits.
        let per_insert = (20_000 / cols.len().max(1)).clamp(1, 500);
        let select = format!("SELECT {list} FROM {table}");
        let mut rows = sqlx::query(&select).fetch(&mut *src_tx);
        let mut pending: Vec<Vec<Value>> = Vec::with_capacity(per_insert);
        let mut copied = 0u64;
        loop {
            let next = rows.try_next().await.map_err(err)?;
            let flush = next.is_none() || pending.len() >= per_insert;
            if flush && !pending.is_empty() {
                let mut q = Sql::new(format!("INSERT INTO {table} ({list}) "));
                q.values(pending.drain(..), |r, row| {
                    for v in row {
                        match v {
                            Value::Int(x) => r.bind(x),
                            Value::Text(x) => r.bind(x),
                            Value::Bytes(x) => r.bind(x),
                        };
                    }
                });
                let n = q.execute(&mut *dst_tx).await.map_err(err)?.rows_affected();
                copied += n;
                progress(table, copied);
            }
            let Some(row) = next else { break };
            let mut values = Vec::with_capacity(cols.len());
            for (i, (_, kind)) in cols.iter().enumerate() {
                values.push(match kind {
                    Kind::Int => Value::Int(row.try_get(i).map_err(err)?),
                    Kind::Text => Value::Text(row.try_get(i).map_err(err)?),
                    Kind::Bytes => Value::Bytes(row.try_get(i).map_err(err)?),
                });
            }
            pending.push(values);
        }
        drop(rows);
        // Read both sides back: the same rows, value for value.
        let held = fingerprint(&mut src_tx, table, &cols).await.map_err(err)?;
        let written = fingerprint(&mut dst_tx, table, &cols).await.map_err(err)?;
        if held != written {
            return Err(CopyError::Mismatch {
                table: table.clone(),
                in_source: held.rows,
                in_target: written.rows,
            });
        }
        done.push(TableCopied {
            table: table.clone(),
            rows: copied,
        });
    }
    dst_tx.commit().await.map_err(StoreError::from)?;
    src_tx.rollback().await.map_err(StoreError::from)?;
    Ok(done)
}
