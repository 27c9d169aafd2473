//! Backing up a node and putting a backup back (docs/operations.md, "Backup and
//! restore").
//!
//! A backup is a folder: `xinfang.db` (a consistent copy of the SQLite store made
//! while the node runs, by `VACUUM INTO`, the write-ahead log included), the
//! node's other files from its data folder (the personal-data key), its TLS
//! folder, and `backup.json`, the manifest saying whose store it is and how far it
//! had come. A restore checks the manifest against the node, moves the current
//! data folder aside (nothing is deleted), puts the copy in its place and marks
//! the store as recovering under a new epoch, so that at its next start the node
//! takes back from its peers everything it lost and numbers no case until then.
//! A PostgreSQL store is backed up and restored with PostgreSQL's own tools;
//! [`mark_restored`] then marks it.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use xinfang_hub::UnitCode;
use xinfang_hub::db::{Db, DbOptions, sqlite_url};
use xinfang_hub::store::RecoveryMark;
use xinfang_hub::store::sql::mark_recovering;

/// What `backup.json` says the folder is.
pub const FORMAT: &str = "xinfang-node-backup/1";
const MANIFEST: &str = "backup.json";
const DB_FILE: &str = "xinfang.db";
const TLS_DIR: &str = "tls";

/// The manifest of a backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub unit: String,
    /// The store's epoch and feed head when the copy was made.
    pub epoch: String,
    pub feed_head: u64,
    /// The node's ledger when the copy was made (entries, head hash).
    pub ledger_seq: u64,
    pub ledger_head: String,
    pub made_at: String,
    pub made_at_ms: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("database {url}: {message}")]
    Db { url: String, message: String },
    #[error("{0} is not a node backup: {1}")]
    NotABackup(PathBuf, String),
    #[error("the backup is of unit {backup}, not of {target}: refused, nothing changed")]
    OtherUnit { backup: String, target: String },
    #[error(
        "the backup is newer than the store it would replace ({0}): a restore puts back an \
         older copy; refused, nothing changed"
    )]
    Newer(String),
    #[error("{0} already exists: choose an empty or new folder")]
    Exists(PathBuf),
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::Io {
        path: path.to_owned(),
        source,
    }
}

fn db_err(url: &str) -> impl Fn(String) -> BackupError + '_ {
    move |message| BackupError::Db {
        url: xinfang_hub::db::redact(url),
        message,
    }
}

/// Where the node's state stands: feed and ledger.
async fn standing(db: &Db) -> Result<(String, u64, u64, String), sqlx::Error> {
    let epoch: String = sqlx::query_scalar("SELECT value FROM hub_meta WHERE key = 'epoch'")
        .fetch_one(db.pool())
        .await?;
    let head: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM hub_docs")
        .fetch_one(db.pool())
        .await?;
    let (seq, hash) = crate::ledger::stored_tip(db.pool())
        .await?
        .unwrap_or((0, Vec::new()));
    Ok((epoch, head as u64, seq, hex::encode(hash)))
}

/// Copies the node of `unit` (its data folder `data`, its TLS folder `tls`) into
/// the new folder `to`, while the node runs.
pub async fn backup(
    unit: &UnitCode,
    data: &Path,
    tls: Option<&Path>,
    to: &Path,
    now_ms: i64,
) -> Result<Manifest, BackupError> {
    if to.exists() && std::fs::read_dir(to).map_err(io(to))?.next().is_some() {
        return Err(BackupError::Exists(to.to_owned()));
    }
    let file = data.join(DB_FILE);
    if !file.exists() {
        return Err(BackupError::Io {
            path: file,
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no node store here"),
        });
    }
    std::fs::create_dir_all(to).map_err(io(to))?;
    let url = sqlite_url(&file);
    let db = Db::open(&url, DbOptions::default())
        .await
        .map_err(|e| db_err(&url)(e.to_string()))?;
    // VACUUM INTO reads one snapshot (the log included) while the node writes on.
    let target = to.join(DB_FILE);
    let (epoch, feed_head, ledger_seq, ledger_head) = {
        sqlx::query("VACUUM INTO $1")
            .bind(target.to_string_lossy().into_owned())
            .execute(db.pool())
            .await
            .map_err(|e| db_err(&url)(e.to_string()))?;
        // What the copy holds, read from the copy itself.
        let copy_url = sqlite_url(&target);
        let copy = Db::open(&copy_url, DbOptions::default())
            .await
            .map_err(|e| db_err(&copy_url)(e.to_string()))?;
        let s = standing(&copy)
            .await
            .map_err(|e| db_err(&copy_url)(e.to_string()))?;
        copy.close().await;
        s
    };
    db.close().await;
    // The node's other files (the personal-data key): not the store's own.
    for entry in std::fs::read_dir(data).map_err(io(data))? {
        let entry = entry.map_err(io(data))?;
        let name = entry.file_name();
        let name_s = name.to_string_lossy();
        if entry.path().is_file() && !name_s.starts_with(DB_FILE) {
            std::fs::copy(entry.path(), to.join(&name)).map_err(io(&entry.path()))?;
        }
    }
    if let Some(tls) = tls.filter(|t| t.is_dir()) {
        copy_dir(tls, &to.join(TLS_DIR))?;
    }
    let made_at = chrono::DateTime::from_timestamp_millis(now_ms)
        .map(|t| t.to_rfc3339())
        .unwrap_or_default();
    let manifest = Manifest {
        format: FORMAT.into(),
        unit: unit.to_string(),
        epoch,
        feed_head,
        ledger_seq,
        ledger_head,
        made_at,
        made_at_ms: now_ms,
    };
    let text = serde_json::to_string_pretty(&manifest)
        .map_err(|e| BackupError::NotABackup(to.to_owned(), e.to_string()))?;
    let path = to.join(MANIFEST);
    std::fs::write(&path, text).map_err(io(&path))?;
    Ok(manifest)
}

/// Reads and checks a backup's manifest.
pub fn read_manifest(from: &Path) -> Result<Manifest, BackupError> {
    let path = from.join(MANIFEST);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| BackupError::NotABackup(from.to_owned(), format!("{MANIFEST}: {e}")))?;
    let m: Manifest = serde_json::from_str(&text)
        .map_err(|e| BackupError::NotABackup(from.to_owned(), format!("{MANIFEST}: {e}")))?;
    if m.format != FORMAT {
        return Err(BackupError::NotABackup(
            from.to_owned(),
            format!("format {:?}, this version reads {FORMAT:?}", m.format),
        ));
    }
    if !from.join(DB_FILE).is_file() {
        return Err(BackupError::NotABackup(
            from.to_owned(),
            format!("{DB_FILE} is missing"),
        ));
    }
    Ok(m)
}

/// What a restore did.
#[derive(Debug, Clone, Serialize)]
pub struct Restored {
    pub manifest: Manifest,
    /// Where the data folder it replaced was moved (None: there was none).
    pub previous: Option<PathBuf>,
    /// The store's new epoch, under which it recovers.
    pub epoch: String,
}

/// Puts the backup `from` in place of the stopped node of `unit` (data folder
/// `data`, TLS folder `tls`, put back only where missing), and marks the store
/// as recovering. Refuses, changing nothing, a folder that is not a node backup,
/// a backup of another unit, or one newer than the store it would replace.
pub async fn restore(
    unit: &UnitCode,
    from: &Path,
    data: &Path,
    tls: Option<&Path>,
    now_ms: i64,
) -> Result<Restored, BackupError> {
    let manifest = read_manifest(from)?;
    if manifest.unit != unit.as_str() {
        return Err(BackupError::OtherUnit {
            backup: manifest.unit,
            target: unit.to_string(),
        });
    }
    if manifest.made_at_ms > now_ms {
        return Err(BackupError::Newer(format!(
            "it was made at {}, after this machine's time",
            manifest.made_at
        )));
    }
    let current = data.join(DB_FILE);
    if current.exists() {
        let url = sqlite_url(&current);
        let db = Db::open(&url, DbOptions::default())
            .await
            .map_err(|e| db_err(&url)(e.to_string()))?;
        let now = standing(&db).await;
        db.close().await;
        if let Ok((epoch, head, ledger_seq, _)) = now
            && epoch == manifest.epoch
            && (manifest.feed_head > head || manifest.ledger_seq > ledger_seq)
        {
            return Err(BackupError::Newer(format!(
                "the backup's feed reaches {} and its ledger {}, the store's {head} and {ledger_seq}",
                manifest.feed_head, manifest.ledger_seq
            )));
        }
    }
    // Nothing is deleted: the store being replaced is moved aside.
    let previous = if data.exists() {
        let aside = data.with_file_name(format!("data.before-restore-{now_ms}"));
        std::fs::rename(data, &aside).map_err(io(data))?;
        Some(aside)
    } else {
        None
    };
    std::fs::create_dir_all(data).map_err(io(data))?;
    for entry in std::fs::read_dir(from).map_err(io(from))? {
        let entry = entry.map_err(io(from))?;
        let name = entry.file_name();
        if entry.path().is_file() && name != MANIFEST {
            std::fs::copy(entry.path(), data.join(&name)).map_err(io(&entry.path()))?;
        }
    }
    if let Some(tls) = tls
        && !tls.exists()
        && from.join(TLS_DIR).is_dir()
    {
        copy_dir(&from.join(TLS_DIR), tls)?;
    }
    let url = sqlite_url(&data.join(DB_FILE));
    let reason = format!(
        "restored from the backup made at {} (feed {}, ledger {})",
        manifest.made_at, manifest.feed_head, manifest.ledger_seq
    );
    let mark = mark_restored(&url, &reason, now_ms).await?;
    Ok(Restored {
        manifest,
        previous,
        epoch: mark.epoch,
    })
}

/// Marks the store at `url` (a stopped node's) as restored: a new epoch and the
/// recovery mark. For a store put back by other means (PostgreSQL's tools).
pub async fn mark_restored(
    url: &str,
    reason: &str,
    now_ms: i64,
) -> Result<RecoveryMark, BackupError> {
    let db = Db::open(url, DbOptions::default())
        .await
        .map_err(|e| db_err(url)(e.to_string()))?;
    let mark = mark_recovering(&db, reason, now_ms, true)
        .await
        .map_err(|e| db_err(url)(e.to_string()))?;
    db.checkpoint()
        .await
        .map_err(|e| db_err(url)(e.to_string()))?;
    db.close().await;
    Ok(mark)
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), BackupError> {
    std::fs::create_dir_all(to).map_err(io(to))?;
    for entry in std::fs::read_dir(from).map_err(io(from))? {
        let entry = entry.map_err(io(from))?;
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target).map_err(io(&entry.path()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(s: &str) -> UnitCode {
        s.parse().unwrap()
    }

    fn manifest(unit: &str, made_at_ms: i64) -> Manifest {
        Manifest {
            format: FORMAT.into(),
            unit: unit.into(),
            epoch: "e".into(),
            feed_head: 3,
            ledger_seq: 3,
            ledger_head: String::new(),
            made_at: "2026-12-01T00:00:00Z".into(),
            made_at_ms,
        }
    }

    /// A folder that looks like a backup, and a node's data folder holding a file
    /// a restore must not touch when it refuses.
    fn setup(m: Option<&Manifest>) -> (tempfile::TempDir, PathBuf, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let from = dir.path().join("backup");
        let data = dir.path().join("data");
        std::fs::create_dir_all(&from).unwrap();
        std::fs::create_dir_all(&data).unwrap();
        std::fs::write(data.join("pii.key"), "keep").unwrap();
        if let Some(m) = m {
            std::fs::write(from.join(MANIFEST), serde_json::to_string(m).unwrap()).unwrap();
            std::fs::write(from.join(DB_FILE), b"").unwrap();
        }
        (dir, from, data)
    }

    fn untouched(data: &Path) {
        assert_eq!(
            std::fs::read_to_string(data.join("pii.key")).unwrap(),
            "keep"
        );
        assert!(!data.join(DB_FILE).exists(), "nothing put in place");
    }

    #[tokio::test]
    async fn a_folder_that_is_not_a_backup_is_refused_and_nothing_changes() {
        let (_d, from, data) = setup(None);
        std::fs::write(from.join("notes.txt"), "hello").unwrap();
        let e = restore(&unit("441521"), &from, &data, None, 1)
            .await
            .unwrap_err();
        assert!(matches!(e, BackupError::NotABackup(..)), "{e}");
        assert!(e.to_string().contains("backup.json"), "{e}");
        untouched(&data);
        let mut wrong = manifest("441521", 1);
        wrong.format = "something-else/9".into();
        let (_d, from, data) = setup(Some(&wrong));
        let e = restore(&unit("441521"), &from, &data, None, 2)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("format"), "{e}");
        untouched(&data);
    }

    #[tokio::test]
    async fn a_backup_of_another_unit_is_refused_and_nothing_changes() {
        let (_d, from, data) = setup(Some(&manifest("441521115000", 1)));
        let e = restore(&unit("441521101000"), &from, &data, None, 2)
            .await
            .unwrap_err();
        assert!(matches!(e, BackupError::OtherUnit { .. }), "{e}");
        assert!(e.to_string().contains("441521115000"), "{e}");
        untouched(&data);
    }

    #[tokio::test]
    async fn a_backup_from_the_future_is_refused_and_nothing_changes() {
        let (_d, from, data) = setup(Some(&manifest("441521", 5_000)));
        let e = restore(&unit("441521"), &from, &data, None, 1_000)
            .await
            .unwrap_err();
        assert!(matches!(e, BackupError::Newer(_)), "{e}");
        untouched(&data);
    }
}
