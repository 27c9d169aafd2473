//! What crosses a link: our feed scanned and routed for a peer, and a peer's batch
//! validated, checked by the domain, merged and committed with its cursor.

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use automerge::AutoCommit;
use prost::bytes::Bytes;
use xinfang_proto::v1::DocEntry;

use super::{Hub, HubError};
use crate::core::InboundCursor;
use crate::doc::{self, LoadedDoc};
use crate::journal::Origin;
use crate::parallel;
use crate::quarantine::{self, Refusal};
use crate::route::Link;
use crate::store::DocWrite;
use crate::topology::UnitCode;

/// Why the domain's [`DocumentCheck::check`] refused a document from a peer: what
/// is wrong with it, naming the field and the rule (the message is the whole point:
/// the hub passes it on and never reads it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidDocument(pub String);

/// The domain's rules for documents that arrive from a peer (the hub itself knows
/// no kinds). Checked for every document of a batch, after its size, `_id` and
/// scope, before anything of the batch is written.
pub trait DocumentCheck: Send + Sync {
    /// `Err` refuses the whole batch.
    fn check(&self, doc_id: &str, doc: &AutoCommit) -> Result<(), InvalidDocument>;

    /// Whether what `incoming` adds to `prior` (what we hold, if anything) may come
    /// from `peer`. Called under the write lock, after `check` passed for the whole
    /// batch. A refusal quarantines this document alone: nothing of it is merged,
    /// the rest of the batch applies and the cursor moves past it.
    fn authorize(
        &self,
        peer: &UnitCode,
        doc_id: &str,
        prior: Option<&mut AutoCommit>,
        incoming: &mut AutoCommit,
    ) -> Result<(), Refusal> {
        let _ = (peer, doc_id, prior, incoming);
        Ok(())
    }
}

impl Hub {
    /// Reads our feed after `after` and returns the documents routed over `link`,
    /// with the feed position the batch covers. Never echoes a document to the
    /// peer it came from unchanged, unless `echo` (the peer is recovering and may
    /// have lost it).
    pub async fn scan_for(
        &self,
        link: &Link,
        after: u64,
        echo: bool,
    ) -> Result<(u64, Vec<DocEntry>), HubError> {
        let cfg = &self.0.cfg;
        let store = &self.0.store;
        let head_at_start = store.head();
        let mut pos = after;
        let mut picked: Vec<(u64, String)> = Vec::new();
        // Bound the work per call: at most 16 storage reads of unrouted rows.
        for _ in 0..16 {
            let rows = store.scan(pos, cfg.scan_rows).await?;
            let exhausted = rows.len() < cfg.scan_rows;
            for row in rows {
                pos = row.seq;
                if (echo || row.source.as_ref() != Some(&link.peer))
                    && link.sends(&self.0.topology, &row.scope)
                {
                    picked.push((row.seq, row.doc_id));
                    if picked.len() >= cfg.batch_max_docs {
                        break;
                    }
                }
            }
            if picked.len() >= cfg.batch_max_docs {
                break;
            }
            if exhausted {
                pos = pos.max(head_at_start);
                break;
            }
        }
        if picked.is_empty() {
            return Ok((pos, Vec::new()));
        }
        let ids: Vec<String> = picked.iter().map(|(_, id)| id.clone()).collect();
        let mut bytes: HashMap<String, Vec<u8>> = store
            .get(&ids)
            .await?
            .into_iter()
            .map(|d| (d.doc_id, d.bytes))
            .collect();
        let mut docs = Vec::with_capacity(picked.len());
        let mut total = 0usize;
        let last_seq = picked.last().map(|(s, _)| *s).unwrap_or(pos);
        let mut upto = pos.max(last_seq);
        for (seq, id) in picked {
            let Some(b) = bytes.remove(&id) else { continue };
            if !docs.is_empty() && total + b.len() > cfg.batch_max_bytes {
                // Stop before this document; the next batch starts with it.
                upto = seq - 1;
                break;
            }
            total += b.len();
            docs.push(DocEntry {
                doc_id: id,
                automerge: b.into(),
            });
        }
        Ok((upto, docs))
    }

    /// Validates and merges a batch from `link.peer`, then moves its cursor, in one
    /// transaction. Nothing is written unless every document in the batch is valid.
    pub async fn apply_from(
        &self,
        link: &Link,
        peer_epoch: &str,
        upto: u64,
        docs: Vec<DocEntry>,
        mark: Vec<u8>,
    ) -> Result<u64, HubError> {
        let limits = &self.0.cfg.limits;
        let check = self
            .0
            .check
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let topology = &self.0.topology;
        // Decoded and judged on every core (`parallel`): the earliest refusal wins.
        let incoming: Vec<(String, LoadedDoc, Bytes)> = parallel::map_ordered(docs, |entry| {
            let loaded = doc::decode(&entry.doc_id, &entry.automerge, limits)?;
            if !link.accepts(topology, &loaded.scope) {
                return Err(HubError::OutOfScope {
                    doc_id: entry.doc_id,
                    peer: link.peer.clone(),
                    scope: loaded.scope.iter().map(ToString::to_string).collect(),
                });
            }
            if let Some(check) = &check
                && let Err(rule) = check.check(&entry.doc_id, &loaded.doc)
            {
                return Err(HubError::Refused {
                    doc_id: entry.doc_id,
                    peer: link.peer.clone(),
                    rule,
                });
            }
            Ok((entry.doc_id, loaded, entry.automerge))
        })?;
        let _guard = self.0.write_lock.lock().await;
        let ids: Vec<String> = incoming.iter().map(|(id, ..)| id.clone()).collect();
        let rows = self.0.store.get(&ids).await?;
        let mut existing: HashMap<String, LoadedDoc> = parallel::map_ordered(rows, |row| {
            doc::decode(&row.doc_id, &row.bytes, limits).map(|loaded| (row.doc_id, loaded))
        })?
        .into_iter()
        .collect();
        let judge = |id: String, inc: LoadedDoc, raw: Bytes, prior: Option<LoadedDoc>| {
            judge(check.as_deref(), &link.peer, id, inc, raw, prior)
        };
        let unique = {
            let mut seen = std::collections::HashSet::new();
            incoming.iter().all(|(id, ..)| seen.insert(id.as_str()))
        };
        let judged: Vec<(String, Judged)> = if unique {
            // Each document judged and merged on its own, on every core.
            let items: Vec<_> = incoming
                .into_iter()
                .map(|(id, inc, raw)| {
                    let prior = existing.remove(&id);
                    (id, inc, raw, prior)
                })
                .collect();
            parallel::map_ordered(items, |(id, inc, raw, prior)| {
                judge(id.clone(), inc, raw, prior).map(|j| (id, j))
            })?
        } else {
            // A batch naming a document twice: each merges into what the one
            // before it produced, in order.
            let mut out = Vec::with_capacity(incoming.len());
            let mut latest: HashMap<String, Vec<u8>> = HashMap::new();
            for (id, inc, raw) in incoming {
                let prior = match latest.get(&id) {
                    Some(bytes) => Some(doc::decode(&id, bytes, limits)?),
                    None => existing.remove(&id),
                };
                let mut j = judge(id.clone(), inc, raw, prior)?;
                match &mut j {
                    // What we held stays the base of a later entry for it.
                    Judged::Refused { prior, .. } => {
                        if let Some(p) = prior.take()
                            && !latest.contains_key(&id)
                        {
                            existing.insert(id.clone(), p);
                        }
                    }
                    Judged::Merged(write, _) => {
                        latest.insert(id.clone(), write.bytes.clone());
                    }
                    Judged::Unchanged => continue,
                }
                out.push((id, j));
            }
            out
        };
        let mut writes: Vec<DocWrite> = Vec::new();
        let mut merged_docs: Vec<(String, AutoCommit)> = Vec::new();
        let mut merged_here: HashMap<String, usize> = HashMap::new();
        let mut refused: Vec<quarantine::NewEntry> = Vec::new();
        for (id, j) in judged {
            match j {
                Judged::Unchanged => {}
                Judged::Refused { refusal, raw, .. } => refused.push(quarantine::NewEntry {
                    peer: link.peer.clone(),
                    doc_id: id,
                    refusal,
                    received_ms: self.now_ms(),
                    bytes: raw.to_vec(),
                }),
                Judged::Merged(write, d) => match merged_here.get(&id) {
                    Some(&i) => {
                        writes[i] = write;
                        merged_docs[i].1 = d;
                    }
                    None => {
                        merged_here.insert(id.clone(), writes.len());
                        writes.push(write);
                        merged_docs.push((id, d));
                    }
                },
            }
        }
        let changed = !writes.is_empty();
        let after = self.0.store.head();
        let cursor = InboundCursor {
            epoch: peer_epoch.to_owned(),
            upto,
            mark,
        };
        let (work, in_tx) = if changed {
            self.work_for(after, &mut merged_docs, Origin::Peer(&link.peer), &writes)
        } else {
            (None, false)
        };
        let kept: Vec<(String, String)> = refused
            .iter()
            .map(|e| (e.doc_id.clone(), e.refusal.to_string()))
            .collect();
        let work = if refused.is_empty() {
            work
        } else {
            quarantine::chain(Some(quarantine::insert_work(refused)), work)
        };
        let head = self
            .0
            .store
            .commit_with(
                writes,
                Some((link.peer.clone(), cursor)),
                self.now_ms(),
                work,
            )
            .await?;
        if changed {
            self.0.remote_upto.store(head, Ordering::SeqCst);
            if !in_tx {
                self.notify(after, &mut merged_docs);
            }
            self.0.head_tx.send_replace(head);
        }
        if let Some((doc_id, why)) = kept.last() {
            for (doc_id, why) in &kept {
                tracing::warn!(peer = %link.peer, %doc_id, "document refused and quarantined: {why}");
            }
            let last = format!("document {doc_id} from {}: {why}", link.peer);
            self.with_link_status(&link.peer, |s| {
                s.quarantined_docs += kept.len() as u64;
                s.refused_docs += kept.len() as u64;
                s.last_quarantined = Some(last);
            });
        }
        Ok(head)
    }
}

/// What became of one document of a peer's batch.
enum Judged {
    /// The domain's `authorize` refused it: quarantined, nothing of it merged
    /// (`prior`, what we held, is handed back unchanged).
    Refused {
        refusal: Refusal,
        raw: Bytes,
        prior: Option<LoadedDoc>,
    },
    /// It brought nothing we did not hold.
    Unchanged,
    /// Merged into what we held: the row to write and the merged document.
    Merged(DocWrite, AutoCommit),
}

/// Judges one document from `peer` against what we hold of it and merges it.
fn judge(
    check: Option<&dyn DocumentCheck>,
    peer: &UnitCode,
    id: String,
    mut inc: LoadedDoc,
    raw: Bytes,
    mut prior: Option<LoadedDoc>,
) -> Result<Judged, HubError> {
    if let Some(check) = check
        && let Err(refusal) =
            check.authorize(peer, &id, prior.as_mut().map(|p| &mut p.doc), &mut inc.doc)
    {
        return Ok(Judged::Refused {
            refusal,
            raw,
            prior,
        });
    }
    let is_new = prior.is_none();
    let mut m = doc::merge(&id, prior, inc)?;
    if !m.changed {
        return Ok(Judged::Unchanged);
    }
    // A document new to us is stored as received: those bytes just decoded and
    // verified, so saving them again would only cost time.
    let bytes = if is_new { raw.to_vec() } else { m.doc.save() };
    let write = DocWrite {
        doc_id: id,
        scope: m.scope,
        heads: m.heads.encode(),
        source: m.same_as_incoming.then(|| peer.clone()),
        bytes,
    };
    Ok(Judged::Merged(write, m.doc))
}
