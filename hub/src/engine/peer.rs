//! What crosses a link: our feed scanned and routed for a peer, and a peer's batch
//! validated, checked by the domain, merged and committed with its cursor.

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use automerge::AutoCommit;
use prost::bytes::Bytes;
use tokio::sync::OwnedSemaphorePermit;
use xinfang_proto::v1::DocEntry;

use super::{Hub, HubError, StagedWork};
use crate::core::InboundCursor;
use crate::doc::{self, LoadedDoc};
use crate::journal::Origin;
use crate::parallel;
use crate::quarantine::{self, Refusal};
use crate::route::Link;
use crate::store::DocWrite;
use crate::topology::UnitCode;

/// Peers' batches the node holds prepared ahead of their apply, at most: one
/// commits while the next is prepared, and a third would only hold memory.
pub(crate) const PREPARED_AHEAD: usize = 2;

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
    /// from `peer`. Called after `check` passed for the whole batch, before the
    /// write lock is taken (the hub judges again under it if what we held changed
    /// meanwhile), so it must read nothing stored beyond its arguments. A refusal
    /// quarantines this document alone: nothing of it is merged, the rest of the
    /// batch applies and the cursor moves past it.
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
    /// have lost it). A document the peer holds an earlier version of goes as its
    /// changes since, unless `whole` names it (the peer asked for it whole).
    pub async fn scan_for(
        &self,
        link: &Link,
        after: u64,
        echo: bool,
        whole: &[String],
    ) -> Result<(u64, Vec<DocEntry>), HubError> {
        let cfg = &self.0.cfg;
        let store = &self.0.store;
        let topology = &self.0.topology;
        let head_at_start = store.head();
        let epoch = self.epoch();
        let acks = self
            .0
            .acks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&link.peer)
            .cloned()
            .unwrap_or_default();
        let mut pos = after;
        // Each picked row with the heads of the version the peer holds, if any.
        let mut picked: Vec<(u64, String, Option<String>)> = Vec::new();
        // Bound the work per call: at most 16 storage reads of unrouted rows.
        for _ in 0..16 {
            let rows = store.scan(pos, cfg.scan_rows).await?;
            let exhausted = rows.len() < cfg.scan_rows;
            for row in rows {
                pos = row.seq;
                if (echo || row.source.as_ref() != Some(&link.peer))
                    && link.sends(topology, &row.scope)
                {
                    // The peer holds the version this row replaced if it had
                    // applied our feed past it before this row was written, and
                    // that version's scope went to it. A recovering peer may
                    // have lost it: it gets everything whole.
                    let base = row
                        .prior
                        .filter(|p| {
                            !echo
                                && p.seq <= after
                                && p.seq <= acks.held_before(&epoch, row.seq)
                                && link.sends(topology, p.scope.as_ref().unwrap_or(&row.scope))
                                && !whole.contains(&row.doc_id)
                        })
                        .map(|p| p.heads);
                    picked.push((row.seq, row.doc_id, base));
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
        let ids: Vec<String> = picked.iter().map(|(_, id, _)| id.clone()).collect();
        let mut bytes: HashMap<String, Vec<u8>> = store
            .get(&ids)
            .await?
            .into_iter()
            .map(|d| (d.doc_id, d.bytes))
            .collect();
        let last_seq = picked.last().map(|(s, ..)| *s).unwrap_or(pos);
        let held: Vec<(u64, String, Option<String>, Vec<u8>)> = picked
            .into_iter()
            .filter_map(|(seq, id, base)| {
                let b = bytes.remove(&id)?;
                Some((seq, id, base, b))
            })
            .collect();
        // Changes are read from each document on every core (a batch of whole
        // documents, a first sync's, needs no thread).
        let entry = |(seq, id, base, b): (u64, String, Option<String>, Vec<u8>)| {
            Ok::<_, HubError>((seq, entry_for_peer(id, b, base.as_deref())))
        };
        let entries = if held.iter().any(|(_, _, base, _)| base.is_some()) {
            parallel::map_ordered(held, entry)?
        } else {
            held.into_iter().map(entry).collect::<Result<Vec<_>, _>>()?
        };
        let mut docs = Vec::with_capacity(entries.len());
        let mut total = 0usize;
        let mut upto = pos.max(last_seq);
        for (seq, entry) in entries {
            let size = entry.automerge.len() + entry.changes.len();
            if !docs.is_empty() && total + size > cfg.batch_max_bytes {
                // Stop before this document; the next batch starts with it.
                upto = seq - 1;
                break;
            }
            total += size;
            docs.push(entry);
        }
        Ok((upto, docs))
    }

    /// Documents `peer` sent as changes on a version we do not hold: asked for
    /// whole in our next Hello to it.
    pub fn wanted_whole(&self, peer: &UnitCode) -> Vec<String> {
        self.0
            .wanted_whole
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(peer)
            .map(|ids| ids.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Validates and merges a batch from `link.peer`, then moves its cursor, in one
    /// transaction. Nothing is written unless every document in the batch is valid
    /// and every one sent as changes builds on a version we hold.
    pub async fn apply_from(
        &self,
        link: &Link,
        peer_epoch: &str,
        upto: u64,
        docs: Vec<DocEntry>,
        mark: Vec<u8>,
    ) -> Result<u64, HubError> {
        self.apply_prepared(link, peer_epoch, upto, docs, mark, None)
            .await
    }

    /// One of the node's places for a peer's batch prepared ahead of its apply,
    /// if one is free: at most [`PREPARED_AHEAD`] are held at once, however
    /// many links there are, since each holds its documents decoded. Held until
    /// the batch is committed or dropped.
    pub(crate) fn place_to_prepare_ahead(&self) -> Option<OwnedSemaphorePermit> {
        self.0.prepared_ahead.clone().try_acquire_owned().ok()
    }

    /// Decodes, judges and stages a batch from `link.peer` without writing
    /// anything, so that it can be done while the link's batch before it still
    /// commits. [`Hub::apply_prepared`] takes the result.
    pub(crate) async fn prepare_from(
        &self,
        link: &Link,
        docs: Vec<DocEntry>,
    ) -> Result<Prepared, HubError> {
        let check = self.document_check();
        let admit = self.admit_for(link, check.as_deref());
        self.prepare(&admit, docs).await
    }

    /// As [`Hub::apply_from`], with the batch `early` prepared by
    /// [`Hub::prepare_from`] from the same `docs`, if it was. What it was judged
    /// against is checked under the write lock as for any batch, so a commit
    /// since (the batch before it, say) is never lost.
    pub(crate) async fn apply_prepared(
        &self,
        link: &Link,
        peer_epoch: &str,
        upto: u64,
        docs: Vec<DocEntry>,
        mark: Vec<u8>,
        early: Option<Prepared>,
    ) -> Result<u64, HubError> {
        let check = self.document_check();
        let admit = self.admit_for(link, check.as_deref());
        let cursor = InboundCursor {
            epoch: peer_epoch.to_owned(),
            upto,
            mark,
        };
        // Everything but the write happens before the write lock is taken, so
        // that a batch is decoded, judged and projected while the one before it
        // (this link's or another's) commits.
        // `docs` stay for judging again under the lock (their bytes are shared).
        let batch = match early {
            Some(batch) => batch,
            None => self.prepare(&admit, docs.clone()).await?,
        };
        self.commit_prepared(&admit, batch, docs, cursor).await
    }

    /// The domain's document check, as set now.
    fn document_check(&self) -> Option<std::sync::Arc<dyn DocumentCheck>> {
        self.0
            .check
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn admit_for<'a>(&'a self, link: &'a Link, check: Option<&'a dyn DocumentCheck>) -> Admit<'a> {
        Admit {
            check,
            link,
            topology: &self.0.topology,
            limits: &self.0.cfg.limits,
        }
    }

    /// Commits a batch `prepare`d from `docs` with the link's cursor. What it was
    /// judged against is checked again under the write lock: if a commit in
    /// between wrote one of its documents, it is judged again there, from the same
    /// entries (their bytes are shared, not copied).
    async fn commit_prepared(
        &self,
        admit: &Admit<'_>,
        batch: Prepared,
        docs: Vec<DocEntry>,
        cursor: InboundCursor,
    ) -> Result<u64, HubError> {
        let link = admit.link;
        let _guard = self.0.write_lock.lock().await;
        let batch = if self.still_current(&batch.read).await? {
            batch
        } else {
            self.prepare(admit, docs).await?
        };
        let Prepared {
            missing,
            judged_ids,
            writes,
            mut merged_docs,
            refused,
            staged,
            ..
        } = batch;
        {
            let mut wanted = self
                .0
                .wanted_whole
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if !missing.is_empty() {
                // Nothing of the batch is written: the next session asks for these
                // whole and the batch comes again.
                wanted
                    .entry(link.peer.clone())
                    .or_default()
                    .extend(missing.iter().cloned());
                return Err(HubError::MissingBase {
                    peer: link.peer.clone(),
                    doc_ids: missing,
                });
            }
            if let Some(asked) = wanted.get_mut(&link.peer) {
                for id in &judged_ids {
                    asked.remove(id);
                }
                if asked.is_empty() {
                    wanted.remove(&link.peer);
                }
            }
        }
        let changed = !writes.is_empty();
        let after = self.0.store.head();
        let (work, in_tx) = if changed {
            self.staged_work_for(after, staged, Origin::Peer(&link.peer), &writes)
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

    /// Decodes, checks, judges and merges a peer's batch against what we hold,
    /// and stages the observer's work for what it would write; writes nothing.
    async fn prepare(&self, admit: &Admit<'_>, docs: Vec<DocEntry>) -> Result<Prepared, HubError> {
        let limits = admit.limits;
        let link = admit.link;
        // Whole documents are decoded and checked on every core (`parallel`), the
        // earliest refusal winning; changes wait for the version they build on.
        let incoming: Vec<(String, Arrived)> =
            parallel::map_ordered(docs, |entry| -> Result<_, HubError> {
                if !entry.changes.is_empty() {
                    doc::check_id(&entry.doc_id, limits)?;
                    return Ok((entry.doc_id, Arrived::Changes(entry.changes)));
                }
                let loaded = doc::decode(&entry.doc_id, &entry.automerge, limits)?;
                admit.admit(&entry.doc_id, &loaded)?;
                Ok((
                    entry.doc_id,
                    Arrived::Whole(Box::new(loaded), entry.automerge),
                ))
            })?;
        let ids: Vec<String> = incoming.iter().map(|(id, ..)| id.clone()).collect();
        // Read after the head: a commit that lands after this read moves the head.
        let read_at = self.0.store.head();
        let rows = self.0.store.get(&ids).await?;
        let mut existing: HashMap<String, LoadedDoc> = parallel::map_ordered(rows, |row| {
            doc::decode(&row.doc_id, &row.bytes, limits).map(|loaded| (row.doc_id, loaded))
        })?
        .into_iter()
        .collect();
        let unique = {
            let mut seen = std::collections::HashSet::new();
            incoming.iter().all(|(id, ..)| seen.insert(id.as_str()))
        };
        let judged: Vec<(String, Judged)> = if unique {
            // Each document judged and merged on its own, on every core.
            let items: Vec<_> = incoming
                .into_iter()
                .map(|(id, arrived)| {
                    let prior = existing.remove(&id);
                    (id, arrived, prior)
                })
                .collect();
            parallel::map_ordered(items, |(id, arrived, prior)| {
                admit.judge(id.clone(), arrived, prior).map(|j| (id, j))
            })?
        } else {
            // A batch naming a document twice: each merges into what the one
            // before it produced, in order.
            let mut out = Vec::with_capacity(incoming.len());
            let mut latest: HashMap<String, Vec<u8>> = HashMap::new();
            for (id, arrived) in incoming {
                let prior = match latest.get(&id) {
                    Some(bytes) => Some(doc::decode(&id, bytes, limits)?),
                    None => existing.remove(&id),
                };
                let mut j = admit.judge(id.clone(), arrived, prior)?;
                match &mut j {
                    // What we held stays the base of a later entry for it.
                    Judged::Refused { prior, .. } | Judged::BaseMissing { prior } => {
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
        let missing: Vec<String> = judged
            .iter()
            .filter(|(_, j)| matches!(j, Judged::BaseMissing { .. }))
            .map(|(id, _)| id.clone())
            .collect();
        let judged_ids: Vec<String> = judged.iter().map(|(id, _)| id.clone()).collect();
        let mut writes: Vec<DocWrite> = Vec::new();
        let mut merged_docs: Vec<(String, AutoCommit)> = Vec::new();
        let mut merged_here: HashMap<String, usize> = HashMap::new();
        let mut refused: Vec<quarantine::NewEntry> = Vec::new();
        for (id, j) in judged {
            match j {
                Judged::Unchanged | Judged::BaseMissing { .. } => {}
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
        let staged = self.stage(&mut merged_docs);
        Ok(Prepared {
            read: Read { ids, at: read_at },
            missing,
            judged_ids,
            writes,
            merged_docs,
            refused,
            staged,
        })
    }

    /// Whether what a batch was judged against (`read`) is still what we hold. Called
    /// under the write lock.
    async fn still_current(&self, read: &Read) -> Result<bool, HubError> {
        if self.0.store.head() == read.at {
            return Ok(true);
        }
        // Every version written since has a later position than the head then.
        Ok(!self.0.store.written_since(read.at, &read.ids).await?)
    }
}

/// What of ours a batch was judged against.
struct Read {
    /// The batch's documents' ids, as they came.
    ids: Vec<String>,
    /// The feed head before what we held of them was read: a version written
    /// since has a later position.
    at: u64,
}

/// A peer's batch judged, merged and staged outside the write lock.
pub(crate) struct Prepared {
    /// What it was judged against.
    read: Read,
    /// Documents sent as changes on a version we do not hold.
    missing: Vec<String>,
    /// Every document judged (each once).
    judged_ids: Vec<String>,
    writes: Vec<DocWrite>,
    merged_docs: Vec<(String, AutoCommit)>,
    refused: Vec<quarantine::NewEntry>,
    staged: Option<StagedWork>,
}

/// One document of a peer's batch as it arrived.
enum Arrived {
    /// Whole: decoded and checked, with the bytes received.
    Whole(Box<LoadedDoc>, Bytes),
    /// The changes since a version we should hold (unread until then).
    Changes(Bytes),
}

/// What became of one document of a peer's batch.
enum Judged {
    /// The domain's `authorize` refused it: quarantined, nothing of it merged
    /// (`prior`, what we held, is handed back unchanged).
    Refused {
        refusal: Refusal,
        /// The document as it came (made whole where it came as changes).
        raw: Bytes,
        prior: Option<LoadedDoc>,
    },
    /// It came as changes on a version we do not hold.
    BaseMissing { prior: Option<LoadedDoc> },
    /// It brought nothing we did not hold.
    Unchanged,
    /// Merged into what we held: the row to write and the merged document.
    Merged(DocWrite, AutoCommit),
}

/// What a batch from one link is held to: the link's scope, the domain's
/// checks, the size limits.
struct Admit<'a> {
    check: Option<&'a dyn DocumentCheck>,
    link: &'a Link,
    topology: &'a crate::topology::Topology,
    limits: &'a doc::Limits,
}

impl Admit<'_> {
    /// The link's scope and the domain's `check`, for a document of the batch.
    fn admit(&self, doc_id: &str, loaded: &LoadedDoc) -> Result<(), HubError> {
        if !self.link.accepts(self.topology, &loaded.scope) {
            return Err(HubError::OutOfScope {
                doc_id: doc_id.to_owned(),
                peer: self.link.peer.clone(),
                scope: loaded.scope.iter().map(ToString::to_string).collect(),
            });
        }
        if let Some(check) = self.check
            && let Err(rule) = check.check(doc_id, &loaded.doc)
        {
            return Err(HubError::Refused {
                doc_id: doc_id.to_owned(),
                peer: self.link.peer.clone(),
                rule,
            });
        }
        Ok(())
    }

    /// Judges one document from the peer against what we hold of it (`prior`)
    /// and merges it. Changes are applied to what we hold first and the result
    /// admitted as a whole document would be.
    fn judge(
        &self,
        id: String,
        arrived: Arrived,
        prior: Option<LoadedDoc>,
    ) -> Result<Judged, HubError> {
        let peer = &self.link.peer;
        let (mut inc, raw) = match arrived {
            Arrived::Whole(loaded, raw) => (*loaded, Some(raw)),
            Arrived::Changes(changes) => {
                let made = match &prior {
                    Some(held) => doc::apply_changes(&id, held, &changes, self.limits)?,
                    None => None,
                };
                let Some(made) = made else {
                    return Ok(Judged::BaseMissing { prior });
                };
                self.admit(&id, &made)?;
                (made, None)
            }
        };
        let mut prior = prior;
        if let Some(check) = self.check
            && let Err(refusal) =
                check.authorize(peer, &id, prior.as_mut().map(|p| &mut p.doc), &mut inc.doc)
        {
            return Ok(Judged::Refused {
                refusal,
                raw: raw.unwrap_or_else(|| inc.doc.save().into()),
                prior,
            });
        }
        let is_new = prior.is_none();
        let mut m = match (&raw, prior) {
            (None, Some(held)) => doc::merged_changes(&held.heads, inc),
            (_, prior) => doc::merge(&id, prior, inc)?,
        };
        if !m.changed {
            return Ok(Judged::Unchanged);
        }
        // A document new to us is stored as received: those bytes just decoded and
        // verified, so saving them again would only cost time.
        let bytes = match raw {
            Some(raw) if is_new => raw.to_vec(),
            _ => m.doc.save(),
        };
        let write = DocWrite {
            doc_id: id,
            scope: m.scope,
            heads: m.heads.encode(),
            source: m.same_as_incoming.then(|| peer.clone()),
            bytes,
        };
        Ok(Judged::Merged(write, m.doc))
    }
}

/// One document for a peer: its changes since `base` (the heads of the version
/// the peer holds) where they can be read and are smaller, else the document
/// whole.
fn entry_for_peer(doc_id: String, bytes: Vec<u8>, base: Option<&str>) -> DocEntry {
    let changes = base
        .and_then(doc::Heads::decode)
        .and_then(|base| {
            // Our own stored bytes, verified when they were written.
            let mut held = AutoCommit::load(&bytes).ok()?;
            doc::changes_since(&mut held, &base)
        })
        .filter(|c| !c.is_empty() && c.len() < bytes.len());
    match changes {
        Some(changes) => DocEntry {
            doc_id,
            automerge: Bytes::new(),
            changes: changes.into(),
        },
        None => DocEntry {
            doc_id,
            automerge: bytes.into(),
            changes: Bytes::new(),
        },
    }
}

#[cfg(test)]
mod tests {
    //! A batch is judged before the write lock is taken; what a commit in between
    //! wrote must not be lost.
    use std::sync::Arc;

    use automerge::transaction::Transactable;
    use automerge::{ROOT, ReadDoc};

    use super::*;
    use crate::store::mem::MemStore;
    use crate::test_support::county_hub;

    fn county_and_link() -> (Hub, Link, UnitCode) {
        county_hub(Arc::new(MemStore::new("county-epoch")))
    }

    /// A new document of the town's, in its scope.
    fn town_doc(id: &str, town: &UnitCode) -> AutoCommit {
        let mut d = doc::new_doc(id, doc::unit_actor(town)).expect("doc");
        doc::extend_scope(id, &mut d, [town]).expect("scope");
        d
    }

    /// The town's document `id` as a whole batch entry.
    fn whole(id: &str, d: &mut AutoCommit) -> DocEntry {
        DocEntry {
            doc_id: id.into(),
            automerge: d.save().into(),
            changes: Bytes::new(),
        }
    }

    fn cursor(upto: u64) -> InboundCursor {
        InboundCursor {
            epoch: "town-epoch".into(),
            upto,
            mark: Vec::new(),
        }
    }

    async fn field(hub: &Hub, id: &str, key: &str) -> Option<i64> {
        let held = hub.get(id).await.expect("read").expect("held");
        match held.loaded.doc.get(ROOT, key).expect("read field") {
            Some((automerge::Value::Scalar(s), _)) => s.as_i64(),
            _ => None,
        }
    }

    /// The town's `d` applied whole, its cursor moved to `upto`.
    async fn apply_whole(hub: &Hub, link: &Link, upto: u64, id: &str, d: &mut AutoCommit) {
        hub.apply_from(link, "town-epoch", upto, vec![whole(id, d)], Vec::new())
            .await
            .expect("applies");
    }

    /// The town's `d` judged as a batch, not committed.
    async fn judged(hub: &Hub, link: &Link, id: &str, d: &mut AutoCommit) -> Prepared {
        let check = hub.document_check();
        let admit = hub.admit_for(link, check.as_deref());
        hub.prepare(&admit, vec![whole(id, d)])
            .await
            .expect("judged")
    }

    #[tokio::test]
    async fn a_batch_judged_before_a_commit_to_its_document_is_judged_again() {
        let (hub, link, town) = county_and_link();
        let mut base = town_doc("doc-1", &town);
        base.put(ROOT, "n", 1i64).expect("put");
        apply_whole(&hub, &link, 1, "doc-1", &mut base).await;
        // Two later versions made on the town, each on the first alone.
        let mut left = base.fork();
        left.put(ROOT, "left", 1i64).expect("put");
        let mut right = base.fork();
        right.put(ROOT, "right", 1i64).expect("put");

        // `left` is judged against the first version ...
        let batch = judged(&hub, &link, "doc-1", &mut left).await;
        assert!(hub.still_current(&batch.read).await.expect("check"));
        // ... then `right` is committed before it ...
        apply_whole(&hub, &link, 2, "doc-1", &mut right).await;
        assert!(!hub.still_current(&batch.read).await.expect("check"));
        // ... and committing `left` keeps what `right` brought.
        let check = hub.document_check();
        let admit = hub.admit_for(&link, check.as_deref());
        let docs = vec![whole("doc-1", &mut left)];
        hub.commit_prepared(&admit, batch, docs, cursor(3))
            .await
            .expect("commits");
        assert_eq!(field(&hub, "doc-1", "left").await, Some(1));
        assert_eq!(field(&hub, "doc-1", "right").await, Some(1), "not lost");
        assert_eq!(field(&hub, "doc-1", "n").await, Some(1));
        let rec = hub.link_record(&town).await.expect("link").expect("cursor");
        assert_eq!(rec.inbound.upto, 3);
    }

    #[tokio::test]
    async fn changes_prepared_before_the_batch_that_brings_their_base_are_judged_again() {
        let (hub, link, town) = county_and_link();
        let mut base = town_doc("doc-1", &town);
        base.put(ROOT, "n", 1i64).expect("put");
        let held = doc::Heads::of(&mut base);
        let mut later = base.fork();
        later.put(ROOT, "later", 1i64).expect("put");
        let changes = DocEntry {
            doc_id: "doc-1".into(),
            automerge: Bytes::new(),
            changes: doc::changes_since(&mut later, &held)
                .expect("builds on base")
                .into(),
        };
        // The second batch is prepared while the first, which brings the
        // version its changes build on, has not committed yet ...
        let early = hub
            .prepare_from(&link, vec![changes.clone()])
            .await
            .expect("prepared");
        assert_eq!(early.missing, ["doc-1"], "judged against nothing held");
        apply_whole(&hub, &link, 1, "doc-1", &mut base).await;
        // ... and is judged again when it commits: applied, not asked for whole.
        hub.apply_prepared(
            &link,
            "town-epoch",
            2,
            vec![changes],
            Vec::new(),
            Some(early),
        )
        .await
        .expect("applies");
        assert_eq!(field(&hub, "doc-1", "later").await, Some(1));
        assert_eq!(field(&hub, "doc-1", "n").await, Some(1));
        assert!(hub.wanted_whole(&town).is_empty());
        let rec = hub.link_record(&town).await.expect("link").expect("cursor");
        assert_eq!(rec.inbound.upto, 2);
    }

    #[test]
    fn the_node_holds_few_batches_prepared_ahead_whatever_its_links() {
        let (hub, _, _) = county_and_link();
        let mut held: Vec<_> = (0..PREPARED_AHEAD)
            .map(|_| hub.place_to_prepare_ahead().expect("free"))
            .collect();
        assert!(hub.place_to_prepare_ahead().is_none(), "all held");
        held.pop();
        assert!(
            hub.place_to_prepare_ahead().is_some(),
            "freed with its batch"
        );
    }

    #[tokio::test]
    async fn a_commit_of_other_documents_leaves_a_judged_batch_current() {
        let (hub, link, town) = county_and_link();
        let mut one = town_doc("doc-1", &town);
        let mut two = town_doc("doc-2", &town);
        let batch = judged(&hub, &link, "doc-1", &mut one).await;
        apply_whole(&hub, &link, 1, "doc-2", &mut two).await;
        assert!(
            hub.still_current(&batch.read).await.expect("check"),
            "the head moved, but not for doc-1"
        );
        // A document new when judged and held since is not current.
        let batch = judged(&hub, &link, "doc-1", &mut one).await;
        apply_whole(&hub, &link, 2, "doc-1", &mut one).await;
        assert!(!hub.still_current(&batch.read).await.expect("check"));
    }
}
