//! A batch's documents packed for the wire (`Batch.packed`): encoded as one
//! `PackedDocs` message and compressed with zstd. A batch of changes repeats the
//! same keys, actors and record layouts from document to document, which no
//! single change can compress; packed, 1,000 changed documents take a fraction of
//! the bytes. Whole saved documents are compressed by Automerge's own format and
//! travel as they are (packing them would cost the first sync CPU for little).
//!
//! Done at the transport's edge, on the frame: the sync core and the engine
//! only ever see `Batch.docs`.

use prost::Message;
use xinfang_proto::v1::{Batch, PackedDocs, SyncFrame, sync_frame};

/// zstd's level for batches: its default, fast enough that a batch of changes
/// packs in a millisecond or two.
const LEVEL: i32 = 3;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PackError {
    #[error(
        "Batch.packed is not zstd-compressed documents, or unpacks to more than {limit} bytes: {reason}"
    )]
    Unpack { limit: usize, reason: String },
    #[error("Batch.packed does not decode as PackedDocs: {0}")]
    Decode(String),
    #[error("Batch has both docs and packed documents")]
    Both,
}

/// Packs an outgoing frame's documents, if it is a batch, any of them travels
/// as changes and packing makes it smaller; otherwise leaves it as it is.
pub fn pack(frame: &mut SyncFrame) {
    if let Some(sync_frame::Kind::Batch(b)) = &mut frame.kind {
        pack_batch(b);
    }
}

/// Unpacks an incoming frame's packed documents, if it is a batch that has
/// them, refusing more than `limit` bytes once decompressed (what the same
/// batch unpacked could have been sent as).
pub fn unpack(frame: &mut SyncFrame, limit: usize) -> Result<(), PackError> {
    match &mut frame.kind {
        Some(sync_frame::Kind::Batch(b)) => unpack_batch(b, limit),
        _ => Ok(()),
    }
}

fn pack_batch(batch: &mut Batch) {
    if batch.docs.iter().all(|d| d.changes.is_empty()) {
        return;
    }
    let plain = PackedDocs {
        docs: std::mem::take(&mut batch.docs),
    };
    let encoded = plain.encode_to_vec();
    match zstd::bulk::compress(&encoded, LEVEL) {
        Ok(packed) if packed.len() < encoded.len() => batch.packed = packed,
        // Not smaller (or the compressor failed): as it was.
        _ => batch.docs = plain.docs,
    }
}

fn unpack_batch(batch: &mut Batch, limit: usize) -> Result<(), PackError> {
    if batch.packed.is_empty() {
        return Ok(());
    }
    if !batch.docs.is_empty() {
        return Err(PackError::Both);
    }
    let encoded = zstd::bulk::decompress(&batch.packed, limit).map_err(|e| PackError::Unpack {
        limit,
        reason: e.to_string(),
    })?;
    let docs = PackedDocs::decode(encoded.as_slice())
        .map_err(|e| PackError::Decode(e.to_string()))?
        .docs;
    batch.docs = docs;
    batch.packed = Default::default();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use xinfang_proto::v1::DocEntry;

    fn batch(changes: bool) -> Batch {
        let docs = (0..200)
            .map(|i| DocEntry {
                doc_id: format!("doc-441521-2026-{i:06}"),
                automerge: if changes {
                    Default::default()
                } else {
                    vec![7; 300].into()
                },
                changes: if changes {
                    format!("entry by 441521 at 2026-12-06 number {i}")
                        .into_bytes()
                        .into()
                } else {
                    Default::default()
                },
            })
            .collect();
        Batch {
            from: 1,
            upto: 200,
            docs,
            head: 200,
            mark: Default::default(),
            packed: Default::default(),
        }
    }

    #[test]
    fn changes_pack_smaller_and_unpack_to_what_was_sent() {
        let sent = batch(true);
        let mut wire = sent.clone();
        pack_batch(&mut wire);
        assert!(wire.docs.is_empty());
        assert!(wire.encoded_len() * 3 < sent.encoded_len());
        let mut got = Batch::decode(wire.encode_to_vec().as_slice()).expect("frame");
        unpack_batch(&mut got, 1 << 20).expect("unpacks");
        assert_eq!(got, sent);
    }

    #[test]
    fn whole_documents_travel_as_they_are() {
        let sent = batch(false);
        let mut wire = sent.clone();
        pack_batch(&mut wire);
        assert_eq!(wire, sent);
        unpack_batch(&mut wire, 1 << 20).expect("nothing to unpack");
        assert_eq!(wire, sent);
    }

    #[test]
    fn what_unpacks_past_the_limit_or_to_nothing_is_refused() {
        let mut wire = batch(true);
        pack_batch(&mut wire);
        let bomb = wire.clone();
        let mut small = bomb.clone();
        assert!(matches!(
            unpack_batch(&mut small, 1000),
            Err(PackError::Unpack { limit: 1000, .. })
        ));
        let mut garbage = bomb.clone();
        garbage.packed = vec![1, 2, 3, 4];
        assert!(matches!(
            unpack_batch(&mut garbage, 1 << 20),
            Err(PackError::Unpack { .. })
        ));
        let mut not_docs = bomb.clone();
        not_docs.packed = zstd::bulk::compress(&[0xff; 16], 3).expect("zstd");
        assert!(matches!(
            unpack_batch(&mut not_docs, 1 << 20),
            Err(PackError::Decode(_))
        ));
        let mut both = bomb;
        both.docs = batch(true).docs;
        assert_eq!(unpack_batch(&mut both, 1 << 20), Err(PackError::Both));
    }
}
