//! Finding a case's document from what a person types: its case number, or the
//! document's id (the number and the registration's nonce, `docid`).
//!
//! A number names one registration, except after a store went back in time and
//! handed it out again before recovering: then the earliest registration answers
//! to it and the others are named, never merged or hidden (each still opens by its
//! document id).

use xinfang_hub::{HeldDoc, Hub};

use super::document;
use crate::docid;
use crate::error::NodeError;
use crate::labels::Said;

/// More registrations under one number than this is not a collision a restore
/// makes; the rest are not read.
const MAX_SHARING: usize = 16;

/// The document a case number or document id names.
pub struct Found {
    pub doc_id: String,
    pub held: HeldDoc,
    /// Other registrations that carry the same case number (their document ids).
    pub sharing: Vec<String>,
}

/// The ids of the documents `key` (a case number or a case document id) may
/// name, read from the index alone: a document id names itself; a number, every
/// registration held that carries it.
async fn candidates(hub: &Hub, key: &str) -> Result<Vec<String>, NodeError> {
    let Some(no) = docid::case_no_of(key) else {
        return Err(NodeError::invalid(
            "case_no",
            Said::new(
                format!("“{key}”不是信访事项编号（单位代码-年份-序号）或事项文档标识"),
                format!("{key:?} is not a case number (UNIT-YYYY-NNNNNN) or a case document id"),
            ),
        ));
    };
    if no != key {
        return Ok(vec![key.to_owned()]);
    }
    Ok(hub
        .ids_with_prefix(no, MAX_SHARING)
        .await?
        .into_iter()
        .filter(|id| docid::case_no_of(id) == Some(no))
        .collect())
}

/// The id of the document `key` names, if held here, without loading it unless
/// two registrations share the number (then the earlier, as [`find`] decides).
pub async fn doc_id(hub: &Hub, key: &str) -> Result<Option<String>, NodeError> {
    let key = key.trim();
    let mut ids = candidates(hub, key).await?;
    match ids.len() {
        0 => Ok(None),
        1 if ids[0] != key => Ok(ids.pop()),
        _ => Ok(find(hub, key).await?.map(|f| f.doc_id)),
    }
}

/// The case named by `key` (a case number or a case document id), if held here.
pub async fn find(hub: &Hub, key: &str) -> Result<Option<Found>, NodeError> {
    let key = key.trim();
    let ids = candidates(hub, key).await?;
    let mut found: Vec<(String, String, HeldDoc)> = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(held) = hub.get(&id).await? {
            let at = document::registered_at(&held.loaded.doc);
            found.push((at, id, held));
        }
    }
    // The earliest registration keeps the number (ties: the document id).
    found.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    let mut it = found.into_iter();
    Ok(it.next().map(|(_, doc_id, held)| Found {
        doc_id,
        held,
        sharing: it.map(|(_, id, _)| id).collect(),
    }))
}

/// One page of the hub's feed after `after`: the case documents in it by case
/// number, and the position the page reaches (`None`: nothing after `after`).
/// For the node's own followers of the feed (the sealer, the outbox).
pub async fn changed_cases(
    hub: &Hub,
    after: u64,
) -> Result<Option<(u64, std::collections::HashMap<String, String>)>, NodeError> {
    let rows = hub
        .store()
        .scan(after, 500)
        .await
        .map_err(|e| NodeError::Storage(e.to_string()))?;
    let Some(last) = rows.last().map(|r| r.seq) else {
        return Ok(None);
    };
    let docs = rows
        .into_iter()
        .filter_map(|r| docid::case_no_of(&r.doc_id).map(|no| (no.to_owned(), r.doc_id.clone())))
        .collect();
    Ok(Some((last, docs)))
}
