//! The ledger's side of attestation (`docs/ledger.md`): a child answers its
//! parent's ask with its chain recomputed from its entries; the parent checks the
//! answer against what it saw, records each child's head, and flags a child whose
//! chain no longer extends it, with an integrity alert that travels up.

use async_trait::async_trait;
use automerge::ROOT;
use automerge::transaction::Transactable;
use serde::Serialize;
use sqlx::Row;
use xinfang_hub::journal::{AttestationError, Attestor, Rebase, Verdict};
use xinfang_hub::store::TxStep;
use xinfang_hub::{Create, UnitCode};

use super::{EntryKind, FULL_WALK_EVERY, GENESIS, Ledger, NewEntry, Walked};
use crate::docid::{ALERT_KIND, AlertId};
use crate::error::NodeError;

/// A child's answer to its parent's ask, 80 bytes on the wire: `since`,
/// `head_seq` (u64, big-endian), the recomputed hash at `since` (zeros when the
/// chain is shorter) and at the head.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Answer {
    since: u64,
    head_seq: u64,
    at_since: [u8; 32],
    head_hash: [u8; 32],
}

impl Answer {
    const LEN: usize = 80;

    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(Self::LEN);
        out.extend_from_slice(&self.since.to_be_bytes());
        out.extend_from_slice(&self.head_seq.to_be_bytes());
        out.extend_from_slice(&self.at_since);
        out.extend_from_slice(&self.head_hash);
        out
    }

    fn decode(b: &[u8]) -> Result<Answer, String> {
        if b.len() != Self::LEN {
            return Err(format!(
                "an attestation is {} bytes, not {}",
                Self::LEN,
                b.len()
            ));
        }
        let u = |r: std::ops::Range<usize>| -> Result<u64, String> {
            let a: [u8; 8] = b[r].try_into().map_err(|_| "truncated".to_owned())?;
            Ok(u64::from_be_bytes(a))
        };
        let h = |r: std::ops::Range<usize>| -> Result<[u8; 32], String> {
            b[r].try_into().map_err(|_| "truncated".to_owned())
        };
        Ok(Answer {
            since: u(0..8)?,
            head_seq: u(8..16)?,
            at_since: h(16..48)?,
            head_hash: h(48..80)?,
        })
    }
}

/// The parent's ask: the head it last saw (u64, big-endian).
fn decode_ask(b: &[u8]) -> Result<u64, String> {
    let a: [u8; 8] = b
        .try_into()
        .map_err(|_| format!("an ask is 8 bytes, not {}", b.len()))?;
    Ok(u64::from_be_bytes(a))
}

/// What the parent holds about a child's chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PeerLedger {
    pub peer: String,
    pub seen_seq: u64,
    pub seen_hash: String,
    pub seen_ms: i64,
    /// 0 unless flagged (and not acknowledged).
    pub flagged_ms: i64,
    pub flag_reason: String,
    pub flags: u64,
}

/// An integrity alert held here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Alert {
    pub doc_id: String,
    pub reporter: String,
    pub subject: String,
    pub at_ms: i64,
    pub reason: String,
}

impl Ledger {
    /// What this node knows of each child's chain.
    pub async fn peers(&self) -> Result<Vec<PeerLedger>, NodeError> {
        let rows = sqlx::query(
            "SELECT peer, seen_seq, seen_hash, seen_ms, flagged_ms, flag_reason, flags
             FROM node_ledger_peers ORDER BY peer",
        )
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(PeerLedger {
                    peer: r.try_get(0)?,
                    seen_seq: r.try_get::<i64, _>(1)? as u64,
                    seen_hash: r.try_get(2)?,
                    seen_ms: r.try_get(3)?,
                    flagged_ms: r.try_get(4)?,
                    flag_reason: r.try_get(5)?,
                    flags: r.try_get::<i64, _>(6)? as u64,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .map_err(NodeError::from)
    }

    /// The integrity alerts held here (this node's and those from below), newest first.
    pub async fn alerts(&self) -> Result<Vec<Alert>, NodeError> {
        let rows = sqlx::query(
            "SELECT doc_id, reporter, subject, at_ms FROM node_integrity_alerts
             ORDER BY at_ms DESC, doc_id",
        )
        .fetch_all(self.db.pool())
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let doc_id: String = r.try_get(0)?;
            let reason = match self.hub.get(&doc_id).await {
                Ok(Some(held)) => text_field(&held.loaded.doc, "reason"),
                _ => String::new(),
            };
            out.push(Alert {
                doc_id,
                reporter: r.try_get(1)?,
                subject: r.try_get(2)?,
                at_ms: r.try_get(3)?,
                reason,
            });
        }
        Ok(out)
    }

    pub async fn alert_count(&self) -> Result<u64, NodeError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM node_integrity_alerts")
            .fetch_one(self.db.pool())
            .await?;
        Ok(n as u64)
    }

    async fn seen(&self, child: &UnitCode) -> Result<Option<(u64, String)>, NodeError> {
        let row = sqlx::query("SELECT seen_seq, seen_hash FROM node_ledger_peers WHERE peer = $1")
            .bind(child.as_str())
            .fetch_optional(self.db.pool())
            .await?;
        Ok(match row {
            Some(r) => Some((r.try_get::<i64, _>(0)? as u64, r.try_get(1)?)),
            None => None,
        })
    }

    /// Records `child`'s new head; with `flag`, flags it (sticky) and says why.
    async fn record(
        &self,
        child: &UnitCode,
        head_seq: u64,
        head_hash: &str,
        flag: Option<&str>,
    ) -> Result<(), NodeError> {
        let now = self.hub.now_ms();
        let (flagged, reason, n) = match flag {
            Some(r) => (now, r.to_owned(), 1i64),
            None => (0, String::new(), 0),
        };
        sqlx::query(
            "INSERT INTO node_ledger_peers (peer, seen_seq, seen_hash, seen_ms, flagged_ms, flag_reason, flags)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (peer) DO UPDATE SET seen_seq = excluded.seen_seq,
               seen_hash = excluded.seen_hash, seen_ms = excluded.seen_ms,
               flagged_ms = CASE WHEN node_ledger_peers.flagged_ms <> 0
                 THEN node_ledger_peers.flagged_ms ELSE excluded.flagged_ms END,
               flag_reason = CASE WHEN excluded.flags <> 0
                 THEN excluded.flag_reason ELSE node_ledger_peers.flag_reason END,
               flags = node_ledger_peers.flags + excluded.flags",
        )
        .bind(child.as_str())
        .bind(head_seq as i64)
        .bind(head_hash)
        .bind(now)
        .bind(flagged)
        .bind(reason)
        .bind(n)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// The child speaks under a new epoch: its chain starts again from what it
    /// now holds. A restore its operator declared is recorded in our own chain; a
    /// replacement nobody declared (a copy put back by hand, a rewrite, a store
    /// started afresh) is flagged as well, with an integrity alert, since what we
    /// saw of its chain can no longer be checked. A flag already raised stays.
    async fn rebase(&self, child: &UnitCode, why: Rebase) -> Result<(), NodeError> {
        let seen = self.seen(child).await?;
        let Some((seen_seq, seen_hash)) = seen.filter(|(seq, _)| *seq != 0) else {
            return Ok(());
        };
        let flagged: Option<i64> =
            sqlx::query_scalar("SELECT flagged_ms FROM node_ledger_peers WHERE peer = $1")
                .bind(child.as_str())
                .fetch_optional(self.db.pool())
                .await?;
        // Flagged already (its chain was found rewritten in this very session):
        // one alert says it.
        if why == Rebase::Replaced && flagged.unwrap_or(0) == 0 {
            let reason = format!(
                "the child's store changed with no restore declared: its chain no longer \
                 holds entry {seen_seq} as seen (rewritten, put back from an older copy, or \
                 started afresh); checked again from its start"
            );
            self.flag(child, (seen_seq, &seen_hash), seen_seq, &seen_hash, &reason)
                .await?;
        }
        let (peer, genesis) = (child.to_string(), hex::encode(GENESIS));
        let reset: TxStep = std::sync::Arc::new(move |conn| {
            let (genesis, peer) = (genesis.clone(), peer.clone());
            Box::pin(async move {
                sqlx::query(
                    "UPDATE node_ledger_peers SET seen_seq = 0, seen_hash = $1 WHERE peer = $2",
                )
                .bind(genesis)
                .bind(peer)
                .execute(&mut *conn)
                .await?;
                Ok(())
            })
        });
        let entry = NewEntry {
            kind: EntryKind::Audit,
            doc_id: String::new(),
            actor: String::new(),
            peer: child.to_string(),
            detail: match why {
                Rebase::Restored => {
                    "ledger_rebased: the child restored a backup (declared; a new \
                                     epoch); its chain is checked again from the start"
                }
                Rebase::Replaced => {
                    "ledger_rebased: the child's store changed with no restore \
                                     declared (flagged); its chain is checked again from the start"
                }
            }
            .into(),
        };
        self.append(vec![entry], Some(reset)).await?;
        tracing::warn!(child = %child, "ledger: the child's store was replaced or restored; its chain is checked again from the start");
        Ok(())
    }

    /// Clears a child's flag (an administrator has looked into it).
    pub async fn acknowledge(&self, child: &str) -> Result<bool, NodeError> {
        let done = sqlx::query(
            "UPDATE node_ledger_peers SET flagged_ms = 0 WHERE peer = $1 AND flagged_ms <> 0",
        )
        .bind(child)
        .execute(self.db.pool())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Flags `child` and writes the alert document that tells every superior.
    async fn flag(
        &self,
        child: &UnitCode,
        seen: (u64, &str),
        head_seq: u64,
        head_hash: &str,
        reason: &str,
    ) -> Result<(), NodeError> {
        tracing::error!(child = %child, reason, "ledger: the child's chain does not extend what was seen");
        self.record(child, head_seq, head_hash, Some(reason))
            .await?;
        let me = self.hub.me().clone();
        let id = AlertId {
            reporter: me.clone(),
            subject: child.clone(),
            at_ms: self.hub.now_ms(),
        }
        .id();
        let at = chrono::DateTime::from_timestamp_millis(self.hub.now_ms())
            .map(|t| t.to_rfc3339())
            .unwrap_or_default();
        let reason = reason.to_owned();
        let (seen_seq, seen_hash) = (seen.0 as i64, seen.1.to_owned());
        let doc_id = id.clone();
        self.hub
            .update(&id, Create::New, move |d| {
                xinfang_hub::doc::extend_scope(&doc_id, d, [&me]).map_err(|e| e.to_string())?;
                let am = |e: automerge::AutomergeError| e.to_string();
                d.put(ROOT, "kind", ALERT_KIND).map_err(am)?;
                d.put(ROOT, "unit", me.as_str()).map_err(am)?;
                d.put(ROOT, "subject", child.as_str()).map_err(am)?;
                d.put(ROOT, "reason", reason.as_str()).map_err(am)?;
                d.put(ROOT, "at", at.as_str()).map_err(am)?;
                d.put(ROOT, "seen_seq", seen_seq).map_err(am)?;
                d.put(ROOT, "seen_hash", seen_hash.as_str()).map_err(am)?;
                d.put(ROOT, "head_seq", head_seq as i64).map_err(am)?;
                d.put(ROOT, "head_hash", head_hash).map_err(am)?;
                Ok::<_, String>(())
            })
            .await
            .map_err(|e| NodeError::Internal(format!("writing the integrity alert: {e}")))?;
        Ok(())
    }
}

/// A root text field, or "" when absent or not text.
fn text_field(d: &automerge::AutoCommit, key: &str) -> String {
    use automerge::{ReadDoc, ScalarValue, Value};
    match d.get(ROOT, key) {
        Ok(Some((Value::Scalar(s), _))) => match s.as_ref() {
            ScalarValue::Str(s) => s.to_string(),
            _ => String::new(),
        },
        _ => String::new(),
    }
}

#[async_trait]
impl Attestor for Ledger {
    /// The chain's head: entry number and hash (8 + 32 bytes).
    async fn mark(&self) -> Option<Vec<u8>> {
        match self.head().await {
            Ok((seq, hash)) => {
                let hash = hex::decode(&hash).ok().filter(|h| h.len() == 32);
                let mut out = seq.to_be_bytes().to_vec();
                out.extend(hash.unwrap_or_else(|| GENESIS.to_vec()));
                Some(out)
            }
            Err(e) => {
                tracing::warn!(error = %e, "ledger: cannot read the head for a mark");
                None
            }
        }
    }

    /// Whether entry `seq` of our chain still has the hash the mark names.
    async fn holds(&self, mark: &[u8]) -> Result<bool, AttestationError> {
        let (seq, hash) = mark.split_at_checked(8).ok_or_else(|| {
            AttestationError::Malformed(format!("a mark of {} bytes, not 40", mark.len()))
        })?;
        let seq =
            u64::from_be_bytes(seq.try_into().map_err(|_| {
                AttestationError::Malformed("a mark without its entry number".into())
            })?);
        if seq == 0 {
            return Ok(true);
        }
        let stored: Option<Vec<u8>> =
            sqlx::query_scalar("SELECT hash FROM node_ledger WHERE seq = $1")
                .bind(seq as i64)
                .fetch_optional(self.db.pool())
                .await
                .map_err(|e| AttestationError::Journal(e.to_string()))?;
        Ok(stored.is_some_and(|h| h == hash))
    }

    async fn ask(&self, child: &UnitCode, rebase: Option<Rebase>) -> Option<Vec<u8>> {
        if let Some(why) = rebase
            && let Err(e) = self.rebase(child, why).await
        {
            tracing::warn!(child = %child, error = %e, "ledger: cannot start the child's chain again");
            return None;
        }
        match self.seen(child).await {
            Ok(s) => Some(s.map(|(seq, _)| seq).unwrap_or(0).to_be_bytes().to_vec()),
            Err(e) => {
                tracing::warn!(child = %child, error = %e, "ledger: cannot read the head seen");
                None
            }
        }
    }

    async fn attest(&self, _parent: &UnitCode, ask: &[u8]) -> Result<Vec<u8>, AttestationError> {
        let since = decode_ask(ask).map_err(AttestationError::Malformed)?;
        // The parent asks from the head it last saw, which is where the last
        // answer ended: extend that walk rather than read the whole chain each
        // time, except every FULL_WALK_EVERY and after a restart.
        let last = *self.walked.lock().unwrap_or_else(|p| p.into_inner());
        let extend = last.filter(|l| l.seq == since && l.full_at.elapsed() < FULL_WALK_EVERY);
        let w = match extend {
            Some(l) => self.walk_from(since, l.seq, l.hash).await,
            None => self.walk(since).await,
        }
        .map_err(|e| AttestationError::Journal(e.to_string()))?;
        *self.walked.lock().unwrap_or_else(|p| p.into_inner()) =
            w.damage.is_none().then(|| Walked {
                seq: w.head_seq,
                hash: w.head_hash,
                full_at: extend.map_or_else(std::time::Instant::now, |l| l.full_at),
            });
        if let Some(d) = &w.damage {
            tracing::error!(seq = d.seq, reason = %d.reason, "ledger: this node's chain is damaged");
        }
        Ok(Answer {
            since,
            head_seq: w.head_seq,
            at_since: w.at_since.unwrap_or(GENESIS),
            head_hash: w.head_hash,
        }
        .encode())
    }

    async fn check(&self, child: &UnitCode, answer: &[u8]) -> Result<Verdict, AttestationError> {
        let a = Answer::decode(answer).map_err(AttestationError::Malformed)?;
        let journal = |e: NodeError| AttestationError::Journal(e.to_string());
        let seen = self.seen(child).await.map_err(journal)?;
        let (seen_seq, seen_hash) = seen.unwrap_or((0, hex::encode(GENESIS)));
        if a.since != seen_seq {
            // An answer to an older ask (another session's): the next ask settles it.
            return Ok(Verdict::Holds);
        }
        let head_hash = hex::encode(a.head_hash);
        match verify_answer(&a, &seen_hash) {
            Ok(()) => {
                self.record(child, a.head_seq, &head_hash, None)
                    .await
                    .map_err(journal)?;
                Ok(Verdict::Holds)
            }
            Err(reason) => {
                self.flag(
                    child,
                    (seen_seq, &seen_hash),
                    a.head_seq,
                    &head_hash,
                    &reason,
                )
                .await
                .map_err(journal)?;
                Ok(Verdict::WentBack(reason))
            }
        }
    }
}

/// Whether `a` shows a chain that extends the head seen (`a.since`, `seen_hash`):
/// no fewer entries, and the entry seen last still has the hash seen. Any change
/// to an entry up to it changes that hash, however the later ones were
/// recomputed; entries after it are checked at the next ask.
fn verify_answer(a: &Answer, seen_hash: &str) -> Result<(), String> {
    if a.head_seq < a.since {
        return Err(format!(
            "the chain now ends at entry {}, before entry {} seen earlier (entries removed)",
            a.head_seq, a.since
        ));
    }
    let now = hex::encode(a.at_since);
    if now != seen_hash {
        return Err(format!(
            "entry {} no longer has the hash seen earlier ({} now {}): an earlier entry was rewritten",
            a.since,
            short(seen_hash),
            short(&now)
        ));
    }
    Ok(())
}

fn short(h: &str) -> &str {
    h.get(..12).unwrap_or(h)
}

#[cfg(test)]
mod tests {
    use super::super::chain;
    use super::*;

    fn answer_for(digests: &[Vec<u8>], since: usize) -> (Answer, String) {
        let mut h = GENESIS;
        let mut at = GENESIS;
        for (i, d) in digests.iter().enumerate() {
            h = chain(&h, d);
            if i + 1 == since {
                at = h;
            }
        }
        let a = Answer {
            since: since as u64,
            head_seq: digests.len() as u64,
            at_since: at,
            head_hash: h,
        };
        (a, hex::encode(at))
    }

    #[test]
    fn an_extending_chain_passes_and_a_rewritten_one_does_not() {
        let ds: Vec<Vec<u8>> = (0u8..5).map(|i| vec![i]).collect();
        let (a, seen) = answer_for(&ds, 2);
        assert_eq!(verify_answer(&a, &seen), Ok(()));
        assert_eq!(Answer::decode(&a.encode()), Ok(a.clone()));
        assert!(Answer::decode(&a.encode()[1..]).is_err());
        // The same place, but entry 1 rewritten: the hash at 2 differs.
        let mut other = ds.clone();
        other[0] = b"x".to_vec();
        let (b, _) = answer_for(&other, 2);
        let err = verify_answer(&b, &seen).expect_err("rewritten");
        assert!(err.contains("rewritten"), "{err}");
        // Shorter than seen.
        let mut d = a;
        d.head_seq = 1;
        assert!(verify_answer(&d, &seen).is_err());
    }

    #[test]
    fn alert_ids_round_trip() {
        let a = AlertId {
            reporter: "441521".parse().expect("unit"),
            subject: "441521115000".parse().expect("unit"),
            at_ms: 1_700_000_000_000,
        };
        assert_eq!(AlertId::parse(&a.id()), Some(a));
        assert_eq!(AlertId::parse("alert/441521/x/1"), None);
        assert_eq!(AlertId::parse("alert/441521/441521115000/1/2"), None);
    }
}
