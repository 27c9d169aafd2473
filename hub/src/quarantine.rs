//! Documents from peers that the domain's authorship rules refused: kept whole, as
//! received, beside the documents (table `hub_quarantine`), never merged. The hub
//! knows only that a document was refused under a named rule; which rules exist is
//! the node's business (see [`crate::engine::DocumentCheck::authorize`]).
//!
//! Rows are written in the transaction that applies the rest of their batch and
//! moves the peer's cursor, so a crash never loses a refusal nor records one twice.

use sqlx::Row;

use crate::db::Db;
use crate::store::{StoreError, TxWork};
use crate::topology::UnitCode;

/// Why one document of a batch was refused (the node's rule), for the quarantine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// A stable name of the rule, e.g. `supervision.by_superior`.
    pub rule: String,
    /// The unit whose change broke the rule, when the change named one.
    pub author: Option<UnitCode>,
    /// What was refused, in words (the record, the unit that may write it).
    pub detail: String,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.author {
            Some(a) => write!(f, "{} (author {a}): {}", self.rule, self.detail),
            None => write!(f, "{}: {}", self.rule, self.detail),
        }
    }
}

/// A refused document about to be kept.
#[derive(Debug, Clone)]
pub struct NewEntry {
    pub peer: UnitCode,
    pub doc_id: String,
    pub refusal: Refusal,
    pub received_ms: i64,
    pub bytes: Vec<u8>,
}

/// A kept document, as listed (without its bytes) or shown (with them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub id: i64,
    pub peer: String,
    pub doc_id: String,
    pub rule: String,
    /// Empty when the refused change named no unit.
    pub author: String,
    pub detail: String,
    pub received_ms: i64,
    pub size: u64,
    /// Present only from [`get`].
    pub bytes: Option<Vec<u8>>,
}

/// The work that writes `entries` inside a commit's transaction (ids follow the
/// highest one kept; the hub's write lock serialises commits).
pub(crate) fn insert_work(entries: Vec<NewEntry>) -> TxWork {
    Box::new(move |conn| {
        Box::pin(async move {
            for e in entries {
                sqlx::query(
                    "INSERT INTO hub_quarantine
                       (id, peer, doc_id, rule, author, detail, received_ms, bytes)
                     SELECT COALESCE(MAX(id), 0) + 1, $1, $2, $3, $4, $5, $6, $7
                     FROM hub_quarantine",
                )
                .bind(e.peer.as_str())
                .bind(e.doc_id.as_str())
                .bind(e.refusal.rule.as_str())
                .bind(
                    e.refusal
                        .author
                        .as_ref()
                        .map(UnitCode::as_str)
                        .unwrap_or(""),
                )
                .bind(e.refusal.detail.as_str())
                .bind(e.received_ms)
                .bind(e.bytes.as_slice())
                .execute(&mut *conn)
                .await?;
            }
            Ok(())
        })
    })
}

/// Both pieces of work, in order.
pub(crate) fn chain(first: Option<TxWork>, then: Option<TxWork>) -> Option<TxWork> {
    match (first, then) {
        (Some(a), Some(b)) => Some(Box::new(move |conn| {
            Box::pin(async move {
                a(&mut *conn).await?;
                b(&mut *conn).await
            })
        })),
        (a, None) => a,
        (None, b) => b,
    }
}

const COLUMNS: &str =
    "id, peer, doc_id, rule, author, detail, received_ms, CAST(LENGTH(bytes) AS BIGINT)";

fn entry(row: &sqlx::any::AnyRow) -> Result<Entry, sqlx::Error> {
    Ok(Entry {
        id: row.try_get(0)?,
        peer: row.try_get(1)?,
        doc_id: row.try_get(2)?,
        rule: row.try_get(3)?,
        author: row.try_get(4)?,
        detail: row.try_get(5)?,
        received_ms: row.try_get(6)?,
        size: row.try_get::<i64, _>(7)?.max(0) as u64,
        bytes: None,
    })
}

/// Kept documents, newest first, at most `limit`.
pub async fn list(db: &Db, limit: u32) -> Result<Vec<Entry>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM hub_quarantine ORDER BY id DESC LIMIT $1"
    ))
    .bind(i64::from(limit))
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(entry).collect::<Result<_, _>>()?)
}

/// One kept document with its bytes as received.
pub async fn get(db: &Db, id: i64) -> Result<Option<Entry>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS}, bytes FROM hub_quarantine WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    row.map(|row| {
        let mut e = entry(&row)?;
        e.bytes = Some(row.try_get(8)?);
        Ok::<_, sqlx::Error>(e)
    })
    .transpose()
    .map_err(StoreError::from)
}

/// How many documents are kept from each peer.
pub async fn count_by_peer(db: &Db) -> Result<Vec<(String, u64)>, StoreError> {
    let rows = sqlx::query(
        "SELECT peer, CAST(COUNT(*) AS BIGINT) FROM hub_quarantine GROUP BY peer ORDER BY peer",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get::<i64, _>(1)?.max(0) as u64)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}

#[cfg(test)]
mod tests {
    //! The hub's side: a refused document is kept, the rest of its batch applies.
    use std::sync::Arc;

    use automerge::transaction::Transactable;
    use automerge::{AutoCommit, ROOT};
    use xinfang_proto::v1::DocEntry;

    use super::*;
    use crate::db::Durability;
    use crate::doc;
    use crate::engine::DocumentCheck;
    use crate::store::sql::SqlStore;
    use crate::test_support::{code, county_hub};

    /// Refuses documents whose id starts with "bad", naming the rule.
    struct NoBad;

    impl DocumentCheck for NoBad {
        fn check(&self, _: &str, _: &AutoCommit) -> Result<(), crate::engine::InvalidDocument> {
            Ok(())
        }

        fn authorize(
            &self,
            peer: &UnitCode,
            doc_id: &str,
            _prior: Option<&mut AutoCommit>,
            _incoming: &mut AutoCommit,
        ) -> Result<(), Refusal> {
            if doc_id.starts_with("bad") {
                Err(Refusal {
                    rule: "test.no_bad".into(),
                    author: Some(peer.clone()),
                    detail: format!("{doc_id} is bad"),
                })
            } else {
                Ok(())
            }
        }
    }

    fn entry(id: &str, town: &UnitCode) -> DocEntry {
        let mut d = doc::new_doc(id, doc::unit_actor(town)).expect("doc");
        doc::extend_scope(id, &mut d, [town]).expect("scope");
        d.put(ROOT, "n", 1i64).expect("put");
        DocEntry {
            doc_id: id.into(),
            automerge: d.save().into(),
            changes: Default::default(),
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_refused_document_is_kept_and_the_rest_of_its_batch_applies() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = Db::open_sqlite(&dir.path().join("h.db"), Durability::Normal)
            .await
            .expect("db");
        let store = SqlStore::open(db.clone()).await.expect("store");
        let (hub, link, town) = county_hub(Arc::new(store));
        hub.set_document_check(Arc::new(NoBad));
        let docs = vec![
            entry("good-1", &town),
            entry("bad-1", &town),
            entry("good-2", &town),
        ];
        let bad_bytes = docs[1].automerge.to_vec();
        hub.apply_from(&link, "peer-epoch", 7, docs, Vec::new())
            .await
            .expect("the batch applies");
        assert!(hub.get("good-1").await.expect("get").is_some());
        assert!(hub.get("good-2").await.expect("get").is_some());
        assert!(
            hub.get("bad-1").await.expect("get").is_none(),
            "nothing of it"
        );
        let rec = hub.link_record(&town).await.expect("link").expect("cursor");
        assert_eq!(rec.inbound.upto, 7, "the cursor moved past it");
        let kept = list(&db, 10).await.expect("list");
        assert_eq!(kept.len(), 1);
        let k = &kept[0];
        assert_eq!(
            (
                k.peer.as_str(),
                k.doc_id.as_str(),
                k.rule.as_str(),
                k.author.as_str()
            ),
            ("441521115000", "bad-1", "test.no_bad", "441521115000")
        );
        assert_eq!(k.size as usize, bad_bytes.len());
        let shown = get(&db, k.id).await.expect("get").expect("kept");
        assert_eq!(shown.bytes.as_deref(), Some(bad_bytes.as_slice()));
        assert!(get(&db, k.id + 1).await.expect("get").is_none());
        assert_eq!(
            count_by_peer(&db).await.expect("count"),
            vec![("441521115000".to_owned(), 1)]
        );
        let st = hub.with_link_status(&code("441521115000"), |s| s.clone());
        assert_eq!((st.quarantined_docs, st.refused_docs), (1, 1));
        assert!(
            st.last_quarantined
                .unwrap_or_default()
                .contains("test.no_bad")
        );
        // A batch of only a refused document still moves the cursor; ids grow.
        hub.apply_from(
            &link,
            "peer-epoch",
            9,
            vec![entry("bad-2", &town)],
            Vec::new(),
        )
        .await
        .expect("applies");
        assert_eq!(
            hub.link_record(&code("441521115000"))
                .await
                .expect("link")
                .expect("cursor")
                .inbound
                .upto,
            9
        );
        let kept = list(&db, 10).await.expect("list");
        assert_eq!(kept.iter().map(|k| k.id).collect::<Vec<_>>(), vec![2, 1]);
    }
}
