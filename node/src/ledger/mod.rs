//! The node's tamper-evident ledger (`docs/ledger.md`): a hash chain of every
//! document this node commits (its own writes and what it accepts from peers) and
//! every audit line, appended in the transaction that commits what it records.
//!
//! - Entry `n` hashes as `SHA-256(hash(n-1) || canonical(n))` where the canonical
//!   form is the JSON text of the array `[seq, at_ms, kind, doc_id, actor, peer,
//!   detail]`; the chain starts from 32 zero bytes.
//! - [`Journal`] is the hub's `CommitJournal`: it appends in every commit's
//!   transaction, so an entry exists exactly when its commit does.
//! - [`Ledger`] reads and verifies the chain, appends audit lines (serialised with
//!   the commits through `Hub::journal_only`), and is the hub's `Attestor`: a
//!   child answers its parent's ask with its chain recomputed from its entries
//!   (the hash at the head the parent saw, and its own head), the parent checks
//!   that the entry it saw still has the hash it saw, and when it does not, or
//!   entries are gone, flags the child (sticky,
//!   `node_ledger_peers`) and writes an integrity-alert document that travels up
//!   to every superior.

use std::sync::Arc;

use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Row};
use xinfang_hub::db::{Db, Sql};
use xinfang_hub::journal::{CommitJournal, Committed, Origin};
use xinfang_hub::store::{OwnWork, TxStep, TxWork};
use xinfang_hub::{Clock, Hub};

use crate::docid::AlertId;
use crate::error::NodeError;

mod attest;

pub use attest::{Alert, PeerLedger};

/// The hash before the first entry.
pub const GENESIS: [u8; 32] = [0; 32];
/// Entries read per query while walking the chain.
const PAGE: i64 = 2_000;
/// Rows per INSERT statement (9 values each).
const ROWS_PER_STATEMENT: usize = 100;

/// What an entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// A document written on this node.
    Local,
    /// A document merged from a peer.
    Remote,
    /// An audit line (refusals, sign-ins, user management).
    Audit,
    /// A clear value of personal data shown to a user.
    View,
}

impl EntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Local => "local",
            EntryKind::Remote => "remote",
            EntryKind::Audit => "audit",
            EntryKind::View => "view",
        }
    }

    /// What people read for this kind of entry.
    pub fn label(self) -> crate::labels::Label {
        use crate::labels::Label;
        match self {
            EntryKind::Local => Label::new("本节点写入", "local"),
            EntryKind::Remote => Label::new("接收", "remote"),
            EntryKind::Audit => Label::new("审计", "audit"),
            EntryKind::View => Label::new("查看明文", "view"),
        }
    }

    /// A kind by its stored code.
    pub fn of_code(code: &str) -> Option<EntryKind> {
        [
            EntryKind::Local,
            EntryKind::Remote,
            EntryKind::Audit,
            EntryKind::View,
        ]
        .into_iter()
        .find(|k| k.as_str() == code)
    }
}

/// An entry to append (the ledger gives it its place, time and hashes).
#[derive(Debug, Clone)]
pub struct NewEntry {
    pub kind: EntryKind,
    pub doc_id: String,
    pub actor: String,
    pub peer: String,
    pub detail: String,
}

/// A stored entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub seq: u64,
    pub at_ms: i64,
    pub kind: String,
    pub doc_id: String,
    pub actor: String,
    pub peer: String,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

impl Entry {
    /// The canonical form (everything but the hashes), as hashed.
    pub fn canonical(&self) -> Vec<u8> {
        canonical(
            self.seq,
            self.at_ms,
            &self.kind,
            &self.doc_id,
            &self.actor,
            &self.peer,
            &self.detail,
        )
    }
}

fn canonical(
    seq: u64,
    at_ms: i64,
    kind: &str,
    doc_id: &str,
    actor: &str,
    peer: &str,
    detail: &str,
) -> Vec<u8> {
    // A JSON array of plain values: one text for one entry, on every machine.
    serde_json::json!([seq, at_ms, kind, doc_id, actor, peer, detail])
        .to_string()
        .into_bytes()
}

/// The next link of the chain: `SHA-256(prev || canonical entry)`.
pub fn chain(prev: &[u8; 32], canonical: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(prev);
    h.update(canonical);
    h.finalize().into()
}

/// The chain's last entry as stored: its number and its hash's bytes (None
/// while the chain is empty). Unverified: `Ledger::verify` walks the chain.
pub async fn stored_tip<'c, E>(on: E) -> Result<Option<(u64, Vec<u8>)>, sqlx::Error>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let tip: Option<(i64, Vec<u8>)> =
        sqlx::query_as("SELECT seq, hash FROM node_ledger ORDER BY seq DESC LIMIT 1")
            .fetch_optional(on)
            .await?;
    Ok(tip.map(|(seq, hash)| (seq as u64, hash)))
}

/// Appends `entries` after the chain's current head, inside the caller's
/// transaction (which serialises appends: the hub's write lock is held).
pub async fn append_in(
    conn: &mut AnyConnection,
    at_ms: i64,
    entries: Vec<NewEntry>,
) -> Result<(), sqlx::Error> {
    append_each_in(conn, entries.into_iter().map(|e| (at_ms, e)).collect()).await
}

/// As [`append_in`], each entry with its own time (entries of many callers
/// committed together, e.g. the audit lines of a group of registrations).
pub async fn append_each_in(
    conn: &mut AnyConnection,
    entries: Vec<(i64, NewEntry)>,
) -> Result<(), sqlx::Error> {
    if entries.is_empty() {
        return Ok(());
    }
    let (mut seq, mut prev) = match stored_tip(&mut *conn).await? {
        // A damaged head still chains on (from its bytes as found); `verify`
        // names the damage.
        Some((seq, hash)) => (
            seq,
            <[u8; 32]>::try_from(hash.as_slice()).unwrap_or(GENESIS),
        ),
        None => (0, GENESIS),
    };
    let mut rows = Vec::with_capacity(entries.len());
    for (at_ms, e) in entries {
        seq += 1;
        let c = canonical(
            seq,
            at_ms,
            e.kind.as_str(),
            &e.doc_id,
            &e.actor,
            &e.peer,
            &e.detail,
        );
        let hash = chain(&prev, &c);
        rows.push((seq, at_ms, e, prev, hash));
        prev = hash;
    }
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let mut q = Sql::new(
            "INSERT INTO node_ledger (seq, at_ms, kind, doc_id, actor, peer, detail, prev_hash, hash) ",
        );
        q.values(chunk.iter(), |r, (seq, at_ms, e, prev, hash)| {
            r.bind(*seq as i64)
                .bind(*at_ms)
                .bind(e.kind.as_str())
                .bind(e.doc_id.clone())
                .bind(e.actor.clone())
                .bind(e.peer.clone())
                .bind(e.detail.clone())
                .bind(prev.to_vec())
                .bind(hash.to_vec());
        });
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// The hub's journal: one entry per committed document, in the commit.
pub struct Journal {
    clock: Clock,
}

impl Journal {
    pub fn new(clock: Clock) -> Journal {
        Journal { clock }
    }
}

impl CommitJournal for Journal {
    fn in_commit(&self, origin: Origin<'_>, docs: &[Committed<'_>]) -> TxWork {
        let (kind, peer) = match origin {
            Origin::Local => (EntryKind::Local, String::new()),
            Origin::Peer(p) => (EntryKind::Remote, p.to_string()),
        };
        let entries: Vec<NewEntry> = docs
            .iter()
            .map(|d| NewEntry {
                kind,
                doc_id: d.doc_id.to_owned(),
                actor: String::new(),
                peer: peer.clone(),
                detail: d.heads.to_owned(),
            })
            .collect();
        let alerts: Vec<(String, AlertId)> = docs
            .iter()
            .filter_map(|d| AlertId::parse(d.doc_id).map(|a| (d.doc_id.to_owned(), a)))
            .collect();
        let at_ms = (self.clock)();
        Box::new(move |conn| {
            Box::pin(async move {
                append_in(&mut *conn, at_ms, entries).await?;
                for (id, a) in alerts {
                    sqlx::query(
                        "INSERT INTO node_integrity_alerts (doc_id, reporter, subject, at_ms)
                         VALUES ($1, $2, $3, $4) ON CONFLICT (doc_id) DO NOTHING",
                    )
                    .bind(id)
                    .bind(a.reporter.to_string())
                    .bind(a.subject.to_string())
                    .bind(a.at_ms)
                    .execute(&mut *conn)
                    .await?;
                }
                Ok(())
            })
        })
    }
}

/// The first entry found wrong, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Damage {
    pub seq: u64,
    pub reason: String,
}

/// The chain as recomputed from its entries.
#[derive(Debug, Clone, Default)]
pub struct Walk {
    pub entries: u64,
    pub head_seq: u64,
    /// The head's hash recomputed from the entries (whatever the stored hashes say).
    pub head_hash: [u8; 32],
    /// The recomputed hash at `since` (None if the chain is shorter).
    pub at_since: Option<[u8; 32]>,
    pub damage: Option<Damage>,
}

/// The node's ledger: reading, verifying, audit lines, attestation.
pub struct Ledger {
    db: Db,
    hub: Hub,
    /// Where the last answer's walk ended, so the next ask (which names that
    /// entry) walks only what was appended since.
    walked: std::sync::Mutex<Option<Walked>>,
}

/// The end of an answered walk: its last entry, the hash recomputed up to it,
/// and when the walk that began this run of extensions read the whole chain.
#[derive(Debug, Clone, Copy)]
struct Walked {
    seq: u64,
    hash: [u8; 32],
    full_at: std::time::Instant,
}

/// How often an answer reads the whole chain again instead of extending the
/// last walk: an entry rewritten under a running node is caught within this.
const FULL_WALK_EVERY: std::time::Duration = std::time::Duration::from_secs(600);

impl Ledger {
    /// The ledger of `hub`'s node, registered as its journal and attestor.
    pub fn install(hub: &Hub, db: Db, clock: Clock) -> Arc<Ledger> {
        hub.set_journal(Arc::new(Journal::new(clock)));
        let ledger = Arc::new(Ledger {
            db,
            hub: hub.clone(),
            walked: std::sync::Mutex::new(None),
        });
        hub.set_attestor(ledger.clone());
        ledger
    }

    /// Runs `work` (which appends entries with [`append_in`]) in a transaction
    /// writing no document, serialised with commits and sharing one with
    /// whatever else is ready.
    pub async fn transaction(&self, work: impl Into<OwnWork>) -> Result<(), NodeError> {
        self.hub.journal_only(work.into()).await?;
        Ok(())
    }

    /// Appends entries in a transaction writing no document, serialised with
    /// commits (and sharing one with whatever else is ready); `also` runs in the
    /// same transaction (the audit row the entry records).
    pub async fn append(
        &self,
        entries: Vec<NewEntry>,
        also: Option<TxStep>,
    ) -> Result<(), NodeError> {
        let at_ms = self.hub.now_ms();
        let step: TxStep = Arc::new(move |conn| {
            let (entries, also) = (entries.clone(), also.clone());
            Box::pin(async move {
                if let Some(w) = also {
                    w(&mut *conn).await?;
                }
                append_in(&mut *conn, at_ms, entries).await
            })
        });
        self.transaction(step).await
    }

    /// The last `limit` entries, oldest first.
    pub async fn show(&self, limit: u32) -> Result<Vec<Entry>, NodeError> {
        let rows = sqlx::query(
            "SELECT seq, at_ms, kind, doc_id, actor, peer, detail, prev_hash, hash
             FROM node_ledger ORDER BY seq DESC LIMIT $1",
        )
        .bind(i64::from(limit.max(1)))
        .fetch_all(self.db.pool())
        .await?;
        let mut out = rows.iter().map(entry_of).collect::<Result<Vec<_>, _>>()?;
        out.reverse();
        Ok(out)
    }

    /// The number of entries and the stored head (no verification).
    pub async fn head(&self) -> Result<(u64, String), NodeError> {
        Ok(match stored_tip(self.db.pool()).await? {
            Some((seq, hash)) => (seq, hex::encode(hash)),
            None => (0, hex::encode(GENESIS)),
        })
    }

    /// Recomputes the whole chain from its entries: every entry's place, its
    /// stored previous hash and its stored hash must be what the entries give.
    pub async fn verify(&self) -> Result<Walk, NodeError> {
        self.walk(0).await
    }

    /// As `verify`, keeping the hash at `since`.
    pub async fn walk(&self, since: u64) -> Result<Walk, NodeError> {
        self.walk_from(since, 0, GENESIS).await
    }

    /// As `walk`, trusting the chain up to entry `start` to hash to `start_hash`
    /// (a walk this process made) and reading only the entries after it.
    async fn walk_from(
        &self,
        since: u64,
        start: u64,
        start_hash: [u8; 32],
    ) -> Result<Walk, NodeError> {
        let mut w = Walk {
            head_seq: start,
            head_hash: start_hash,
            at_since: (since == start).then_some(start_hash),
            ..Walk::default()
        };
        let mut prev = start_hash;
        let mut after = start as i64;
        loop {
            let rows = sqlx::query(
                "SELECT seq, at_ms, kind, doc_id, actor, peer, detail, prev_hash, hash
                 FROM node_ledger WHERE seq > $1 ORDER BY seq LIMIT $2",
            )
            .bind(after)
            .bind(PAGE)
            .fetch_all(self.db.pool())
            .await?;
            let n = rows.len();
            for row in &rows {
                let e = entry_of(row)?;
                let expect = w.head_seq + 1;
                // The chain as the entries give it, whatever the stored hashes say.
                let h = chain(&prev, &e.canonical());
                if w.damage.is_none() {
                    let reason = if e.seq != expect {
                        Some(format!("entry {expect} is missing (the next is {})", e.seq))
                    } else if e.prev_hash != hex::encode(prev) {
                        Some("its previous hash is not the hash of the entry before it".into())
                    } else {
                        None
                    };
                    let reason = reason.or_else(|| {
                        (e.hash != hex::encode(h))
                            .then(|| "its hash is not the hash of its contents".to_owned())
                    });
                    if let Some(reason) = reason {
                        w.damage = Some(Damage { seq: e.seq, reason });
                    }
                }
                prev = h;
                w.entries += 1;
                w.head_seq = e.seq;
                if e.seq == since {
                    w.at_since = Some(prev);
                }
                after = e.seq as i64;
            }
            if (n as i64) < PAGE {
                break;
            }
        }
        w.head_hash = prev;
        Ok(w)
    }
}

/// An entry as stored (the hashes as bytes), with its hashes spelt in hex as
/// every front shows them. A stored hash of the wrong length comes out as its
/// bytes are, for `verify` to name.
pub fn entry_of(row: &sqlx::any::AnyRow) -> Result<Entry, sqlx::Error> {
    Ok(Entry {
        seq: row.try_get::<i64, _>(0)? as u64,
        at_ms: row.try_get(1)?,
        kind: row.try_get(2)?,
        doc_id: row.try_get(3)?,
        actor: row.try_get(4)?,
        peer: row.try_get(5)?,
        detail: row.try_get(6)?,
        prev_hash: hex::encode(row.try_get::<Vec<u8>, _>(7)?),
        hash: hex::encode(row.try_get::<Vec<u8>, _>(8)?),
    })
}
