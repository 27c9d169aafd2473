//! Scoped Automerge documents: the unit of replication.
//!
//! The hub knows nothing of what a document means. It relies on two reserved root
//! keys that every replicated document carries:
//! - `_id`: the document's id (a string), so bytes cannot be replayed under another id;
//! - `_scope`: a map whose keys are the unit codes the document concerns. A map merges
//!   as a union of keys, so the scope of merged replicas is the union of their scopes.

use std::collections::BTreeSet;
use std::fmt;

use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ChangeHash, ObjType, ROOT, ReadDoc, ScalarValue, Value};

use crate::topology::UnitCode;

mod fields;
mod seed;
pub use fields::Fields;
pub use seed::Seed;

pub const ID_KEY: &str = "_id";
pub const SCOPE_KEY: &str = "_scope";

/// Explicit, configurable size limits, checked before anything is decoded in full.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest saved document accepted from a peer or produced locally.
    pub max_doc_bytes: usize,
    /// Largest encoded frame accepted on a link (enforced by the transport).
    pub max_frame_bytes: usize,
    /// Longest document id.
    pub max_id_len: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_doc_bytes: 4 << 20,
            max_frame_bytes: 16 << 20,
            max_id_len: 128,
        }
    }
}

/// The set of units a document concerns.
pub type Scope = BTreeSet<UnitCode>;

/// A document's heads, sorted: equal heads mean equal documents.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Heads(pub Vec<ChangeHash>);

impl Heads {
    pub fn of(doc: &mut AutoCommit) -> Heads {
        let mut h = doc.get_heads();
        h.sort();
        Heads(h)
    }

    /// Comma-separated hex, the form kept in storage.
    pub fn encode(&self) -> String {
        self.0
            .iter()
            .map(|h| hex::encode(h.0))
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn hex(&self) -> Vec<String> {
        self.0.iter().map(|h| hex::encode(h.0)).collect()
    }

    /// Reads the stored form back (`None`: not what `encode` writes).
    pub fn decode(text: &str) -> Option<Heads> {
        let mut heads = text
            .split(',')
            .filter(|h| !h.is_empty())
            .map(|h| {
                let bytes: [u8; 32] = hex::decode(h).ok()?.try_into().ok()?;
                Some(ChangeHash(bytes))
            })
            .collect::<Option<Vec<_>>>()?;
        heads.sort();
        Some(Heads(heads))
    }
}

impl fmt::Debug for Heads {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Heads[{}]", self.encode())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocError {
    #[error("document {doc_id}: {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        doc_id: String,
        size: usize,
        limit: usize,
    },
    #[error("document id {0:?} is empty, too long or has control characters")]
    BadId(String),
    #[error("document {doc_id}: not a valid Automerge document: {reason}")]
    Corrupt { doc_id: String, reason: String },
    #[error("document {doc_id}: field `_id` is {found:?}, expected the document's own id")]
    WrongId { doc_id: String, found: String },
    #[error("document {doc_id}: field `_scope` is missing or not a map of unit codes")]
    MissingScope { doc_id: String },
    #[error("document {doc_id}: field `_scope` has {value:?}, which is not a unit code")]
    BadScope { doc_id: String, value: String },
    #[error(
        "document {doc_id}: field `_scope` is empty (a document must concern at least one unit)"
    )]
    EmptyScope { doc_id: String },
    #[error("document {doc_id}: automerge: {reason}")]
    Automerge { doc_id: String, reason: String },
}

impl DocError {
    /// Automerge refused an edit of `doc_id` (or failed merging it).
    pub fn automerge(doc_id: &str, reason: impl fmt::Display) -> DocError {
        DocError::Automerge {
            doc_id: doc_id.to_owned(),
            reason: reason.to_string(),
        }
    }
}

/// A decoded and validated document.
pub struct LoadedDoc {
    pub doc: AutoCommit,
    pub scope: Scope,
    pub heads: Heads,
}

pub fn check_id(doc_id: &str, limits: &Limits) -> Result<(), DocError> {
    if doc_id.is_empty() || doc_id.len() > limits.max_id_len || doc_id.chars().any(char::is_control)
    {
        return Err(DocError::BadId(doc_id.to_owned()));
    }
    Ok(())
}

/// Decodes bytes received for `doc_id`, refusing oversized input before decoding it.
pub fn decode(doc_id: &str, bytes: &[u8], limits: &Limits) -> Result<LoadedDoc, DocError> {
    within_limits(doc_id, bytes.len(), limits)?;
    if bytes.is_empty() {
        return Err(DocError::Corrupt {
            doc_id: doc_id.to_owned(),
            reason: "empty".into(),
        });
    }
    let corrupt = corrupt(doc_id);
    one_document_chunk(bytes).map_err(corrupt)?;
    let doc = contained(|| AutoCommit::load(bytes))
        .map_err(corrupt)?
        .map_err(|e| corrupt(e.to_string()))?;
    validated(doc_id, doc)
}

/// What a peer's changes make of the version of `doc_id` we hold (`held`):
/// `Ok(None)` when they build on a version we do not hold, so the document must
/// come whole. The changes are checked as a decoded document is (size before
/// Automerge reads them, chunk by chunk, then `_id` and `_scope` of the result).
pub fn apply_changes(
    doc_id: &str,
    held: &LoadedDoc,
    changes: &[u8],
    limits: &Limits,
) -> Result<Option<LoadedDoc>, DocError> {
    within_limits(doc_id, changes.len(), limits)?;
    let corrupt = corrupt(doc_id);
    change_chunks(changes).map_err(corrupt)?;
    let mut doc = held.doc.clone();
    contained(|| doc.load_incremental(changes))
        .map_err(corrupt)?
        .map_err(|e| corrupt(e.to_string()))?;
    if !doc.get_missing_deps(&[]).is_empty() {
        return Ok(None);
    }
    validated(doc_id, doc).map(Some)
}

/// The id's rules, and `len` bytes within the size limit: checked before
/// Automerge reads anything.
fn within_limits(doc_id: &str, len: usize, limits: &Limits) -> Result<(), DocError> {
    check_id(doc_id, limits)?;
    if len > limits.max_doc_bytes {
        return Err(DocError::TooLarge {
            doc_id: doc_id.to_owned(),
            size: len,
            limit: limits.max_doc_bytes,
        });
    }
    Ok(())
}

/// The refusal of `doc_id`'s bytes as not Automerge's, with why.
fn corrupt(doc_id: &str) -> impl Fn(String) -> DocError + Copy + '_ {
    move |reason| DocError::Corrupt {
        doc_id: doc_id.to_owned(),
        reason,
    }
}

/// A document Automerge has read, held to `_id` and `_scope`.
fn validated(doc_id: &str, mut doc: AutoCommit) -> Result<LoadedDoc, DocError> {
    let found = read_str(&doc, ID_KEY).unwrap_or_default();
    if found != doc_id {
        return Err(DocError::WrongId {
            doc_id: doc_id.to_owned(),
            found,
        });
    }
    let scope = read_scope(doc_id, &doc)?;
    let heads = Heads::of(&mut doc);
    Ok(LoadedDoc { doc, scope, heads })
}

/// The changes of `doc` since `base` as a node sends them: uncompressed change
/// chunks, one after another (`None`: `base` names a change `doc` lacks).
pub fn changes_since(doc: &mut AutoCommit, base: &Heads) -> Option<Vec<u8>> {
    if !doc.get_missing_deps(&base.0).is_empty() {
        return None;
    }
    Some(doc.save_after(&base.0))
}

/// Automerge's chunk magic bytes.
const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];

/// Reads one chunk header at the start of `bytes`: its type and its whole length.
fn chunk_header(bytes: &[u8]) -> Result<(u8, usize), String> {
    if bytes.len() < 10 || bytes[..4] != MAGIC {
        return Err("it does not begin like an Automerge chunk".into());
    }
    let kind = bytes[8];
    let (mut len, mut shift, mut at) = (0u64, 0u32, 9usize);
    loop {
        let b = *bytes.get(at).ok_or("the chunk header is cut short")?;
        at += 1;
        if shift > 63 {
            return Err("the chunk length is not a number".into());
        }
        len |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    let rest = (bytes.len() - at) as u64;
    if len > rest {
        return Err(format!(
            "the chunk header says {len} bytes follow, but {rest} do"
        ));
    }
    Ok((kind, at + len as usize))
}

/// Checks that `bytes` are what a node sends as changes: uncompressed change
/// chunks (type 1), one after another to the end. Compressed changes and bundles
/// are refused unread, as in `one_document_chunk`.
fn change_chunks(bytes: &[u8]) -> Result<(), String> {
    if bytes.is_empty() {
        return Err("no changes".into());
    }
    let mut rest = bytes;
    while !rest.is_empty() {
        let (kind, len) = chunk_header(rest)?;
        if kind != 1 {
            return Err(format!(
                "chunk type {kind} where an uncompressed change (type 1) must be; \
                 nodes send changes uncompressed"
            ));
        }
        rest = &rest[len..];
    }
    Ok(())
}

/// Checks that `bytes` are what a node stores and sends: one saved Automerge
/// document, i.e. a single document chunk (magic, checksum, type 0, LEB128 length)
/// whose body runs exactly to the end. Automerge would also load change chunks and
/// bundles, but no node writes them, and fuzzing found its decoder for them
/// panicking and allocating without bound on crafted bytes of a few hundred.
fn one_document_chunk(bytes: &[u8]) -> Result<(), String> {
    if bytes.len() < 10 || bytes[..4] != MAGIC {
        return Err("it does not begin like an Automerge document".into());
    }
    let (kind, len) = chunk_header(bytes)?;
    if kind != 0 {
        return Err(format!(
            "chunk type {kind} where a saved document (type 0) must be; \
             nodes send whole saved documents only"
        ));
    }
    if len != bytes.len() {
        return Err(format!(
            "{} bytes follow the document chunk",
            bytes.len() - len
        ));
    }
    Ok(())
}

/// Runs Automerge on bytes from outside, turning a panic inside it into an error.
///
/// Automerge's decoder can panic on crafted bytes (fuzzing found an `unwrap` on a
/// truncated LEB128 number in its column decoder); a peer's bad bytes must be a
/// refusal, never the end of the task that read them. The default panic hook still
/// logs the panic.
fn contained<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|payload| {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".to_owned());
        format!("the Automerge decoder failed on these bytes ({what})")
    })
}

/// Reads and validates `_scope`.
pub fn read_scope(doc_id: &str, doc: &AutoCommit) -> Result<Scope, DocError> {
    let missing = || DocError::MissingScope {
        doc_id: doc_id.to_owned(),
    };
    let obj = match doc.get(ROOT, SCOPE_KEY) {
        Ok(Some((Value::Object(ObjType::Map), id))) => id,
        _ => return Err(missing()),
    };
    let mut scope = Scope::new();
    for key in doc.keys(&obj) {
        let code = key.parse::<UnitCode>().map_err(|_| DocError::BadScope {
            doc_id: doc_id.to_owned(),
            value: key.clone(),
        })?;
        scope.insert(code);
    }
    if scope.is_empty() {
        return Err(DocError::EmptyScope {
            doc_id: doc_id.to_owned(),
        });
    }
    Ok(scope)
}

/// A new document with its id set and its scope empty, written by `actor`.
pub fn new_doc(doc_id: &str, actor: ActorId) -> Result<AutoCommit, DocError> {
    Seed::default().into_doc(doc_id, actor)
}

/// Adds units to a document's scope (scopes only grow).
pub fn extend_scope<'a>(
    doc_id: &str,
    doc: &mut AutoCommit,
    units: impl IntoIterator<Item = &'a UnitCode>,
) -> Result<(), DocError> {
    let am = |e| DocError::automerge(doc_id, e);
    let obj = match doc.get(ROOT, SCOPE_KEY).map_err(am)? {
        Some((Value::Object(ObjType::Map), id)) => id,
        _ => doc.put_object(ROOT, SCOPE_KEY, ObjType::Map).map_err(am)?,
    };
    for u in units {
        if doc.get(&obj, u.as_str()).map_err(am)?.is_none() {
            doc.put(&obj, u.as_str(), true).map_err(am)?;
        }
    }
    Ok(())
}

/// Reads a string at the root, if present.
pub fn read_str(doc: &impl ReadDoc, key: &str) -> Option<String> {
    match doc.get(ROOT, key) {
        Ok(Some((Value::Scalar(s), _))) => match s.as_ref() {
            ScalarValue::Str(s) => Some(s.to_string()),
            _ => None,
        },
        _ => None,
    }
}

/// The result of merging an incoming replica into what we hold.
pub struct Merged {
    pub doc: AutoCommit,
    pub scope: Scope,
    pub heads: Heads,
    /// Did our replica change?
    pub changed: bool,
    /// After the merge, do we hold exactly what the sender holds? (Used to avoid
    /// echoing a document straight back to the peer it came from.)
    pub same_as_incoming: bool,
}

/// Merges `incoming` into `existing` (if any). Merging is commutative, associative
/// and idempotent, so duplicates and reordering of replicas are harmless.
pub fn merge(
    doc_id: &str,
    existing: Option<LoadedDoc>,
    mut incoming: LoadedDoc,
) -> Result<Merged, DocError> {
    let Some(mut ours) = existing else {
        return Ok(Merged {
            doc: incoming.doc,
            scope: incoming.scope,
            heads: incoming.heads,
            changed: true,
            same_as_incoming: true,
        });
    };
    if ours.heads == incoming.heads {
        return Ok(Merged {
            doc: ours.doc,
            scope: ours.scope,
            heads: ours.heads,
            changed: false,
            same_as_incoming: true,
        });
    }
    let am = |reason: String| DocError::automerge(doc_id, reason);
    // A replica that loaded may still hold what makes Automerge panic when it is
    // applied; what we held is dropped with the error, so nothing half-merged stays.
    contained(|| ours.doc.merge(&mut incoming.doc))
        .map_err(am)?
        .map_err(|e| am(e.to_string()))?;
    let heads = Heads::of(&mut ours.doc);
    let scope = read_scope(doc_id, &ours.doc)?;
    Ok(Merged {
        changed: heads != ours.heads,
        same_as_incoming: heads == incoming.heads,
        doc: ours.doc,
        scope,
        heads,
    })
}

/// What changes applied to what we held (`apply_changes`) make of it: they hold
/// all we held, so they are the merge. The peer holds exactly that only if all
/// we held lies beneath its changes, no head of ours still a head (else what we
/// held and the peer lacks would never go to it: nothing is sent back to where
/// it came from unchanged).
pub fn merged_changes(held: &Heads, made: LoadedDoc) -> Merged {
    Merged {
        changed: made.heads != *held,
        same_as_incoming: !made.heads.0.iter().any(|h| held.0.contains(h)),
        doc: made.doc,
        scope: made.scope,
        heads: made.heads,
    }
}

/// An actor id that names the unit that writes with it, so every change can be
/// traced to a unit: `<unit code>/<16 hex random>`.
pub fn unit_actor(unit: &UnitCode) -> ActorId {
    let suffix: [u8; 8] = uuid::Uuid::new_v4().as_bytes()[..8]
        .try_into()
        .unwrap_or([0; 8]);
    let mut bytes = unit.as_str().as_bytes().to_vec();
    bytes.push(b'/');
    bytes.extend_from_slice(hex::encode(suffix).as_bytes());
    ActorId::from(bytes)
}

/// The unit an actor id of [`unit_actor`] names; None for any other actor id.
pub fn actor_unit(actor: &ActorId) -> Option<UnitCode> {
    let bytes = actor.to_bytes();
    let slash = bytes.iter().position(|&b| b == b'/')?;
    let (unit, rest) = (&bytes[..slash], &bytes[slash + 1..]);
    if rest.len() != 16 || !rest.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    std::str::from_utf8(unit).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> UnitCode {
        s.parse().unwrap()
    }

    fn make(id: &str, unit: &str) -> AutoCommit {
        let mut d = new_doc(id, unit_actor(&code(unit))).unwrap();
        extend_scope(id, &mut d, [&code(unit)]).unwrap();
        d
    }

    #[test]
    fn actors_name_their_unit() {
        let county = code("441521");
        assert_eq!(actor_unit(&unit_actor(&county)), Some(county));
        assert_eq!(actor_unit(&ActorId::random()), None);
        assert_eq!(actor_unit(&ActorId::from(b"441521/zz".to_vec())), None);
        assert_eq!(
            actor_unit(&ActorId::from(b"4415/0123456789abcdef".to_vec())),
            None
        );
    }

    #[test]
    fn roundtrip_and_validation() {
        let limits = Limits::default();
        let mut d = make("c1", "441521");
        let bytes = d.save();
        let loaded = decode("c1", &bytes, &limits).unwrap();
        assert_eq!(loaded.scope.len(), 1);
        assert!(matches!(
            decode("c2", &bytes, &limits),
            Err(DocError::WrongId { .. })
        ));
        assert!(matches!(
            decode("c1", &bytes[..bytes.len() / 2], &limits),
            Err(DocError::Corrupt { .. })
        ));
        let tiny = Limits {
            max_doc_bytes: 8,
            ..limits
        };
        assert!(matches!(
            decode("c1", &bytes, &tiny),
            Err(DocError::TooLarge { .. })
        ));
        let mut noscope = AutoCommit::new();
        noscope.put(ROOT, ID_KEY, "c1").unwrap();
        assert!(matches!(
            decode("c1", &noscope.save(), &limits),
            Err(DocError::MissingScope { .. })
        ));
    }

    #[test]
    fn bytes_that_make_automerge_panic_are_refused_as_corrupt() {
        // Found by the `document` fuzz target: in a bundle chunk, Automerge's
        // column decoder unwraps a truncated number, or expands a run without
        // bound. No node sends bundles: refused before Automerge reads them.
        for bytes in [
            include_bytes!("../../tests/bad-inputs/automerge-decoder-panic.automerge").as_slice(),
            include_bytes!("../../tests/bad-inputs/automerge-memory-bomb.automerge").as_slice(),
        ] {
            let err = decode("441521115000-2026-000112", bytes, &Limits::default())
                .err()
                .expect("refused");
            assert!(
                matches!(&err, DocError::Corrupt { reason, .. } if reason.contains("chunk type 3")),
                "{err}"
            );
        }
        // A panic inside Automerge itself is contained too.
        let err = contained(|| -> () { panic!("inside the decoder") }).unwrap_err();
        assert!(err.contains("inside the decoder"), "{err}");
        // Only exactly one document chunk passes.
        let mut d = make("c1", "441521");
        let one = d.save();
        assert!(one_document_chunk(&one).is_ok());
        let two = [one.clone(), one.clone()].concat();
        assert!(one_document_chunk(&two).unwrap_err().contains("follow"));
    }

    #[test]
    fn changes_since_a_held_version_make_the_senders_document() {
        let limits = Limits::default();
        let mut ours = make("c1", "441521");
        let held = decode("c1", &ours.save(), &limits).unwrap();
        let base = held.heads.clone();
        ours.put(ROOT, "x", 1).unwrap();
        extend_scope("c1", &mut ours, [&code("441500")]).unwrap();
        let changes = changes_since(&mut ours, &base).unwrap();
        assert!(changes.len() < ours.save().len() * 2);
        let theirs = apply_changes("c1", &held, &changes, &limits)
            .unwrap()
            .expect("base held");
        assert_eq!(theirs.heads, Heads::of(&mut ours));
        assert_eq!(theirs.scope.len(), 2);
        assert_eq!(
            Heads::decode(&theirs.heads.encode()),
            Some(theirs.heads.clone())
        );
        assert_eq!(Heads::decode("zz"), None);

        // Changes on top of a version the receiver lacks: asked for whole.
        let now = Heads::of(&mut ours);
        let later = changes_since(&mut ours, &now).unwrap();
        assert!(later.is_empty());
        ours.put(ROOT, "y", 2).unwrap();
        let only_last = changes_since(&mut ours, &theirs.heads).unwrap();
        assert!(
            apply_changes("c1", &held, &only_last, &limits)
                .unwrap()
                .is_none()
        );
        // A base the sender does not know either.
        let stranger = make("c1", "441521").get_heads();
        assert!(changes_since(&mut ours, &Heads(stranger)).is_none());
    }

    #[test]
    fn changes_are_refused_unless_uncompressed_change_chunks_for_the_same_document() {
        let limits = Limits::default();
        let mut ours = make("c1", "441521");
        let held = decode("c1", &ours.save(), &limits).unwrap();
        let refused = |bytes: &[u8], says: &str| {
            let err = apply_changes("c1", &held, bytes, &limits)
                .err()
                .expect("refused");
            assert!(err.to_string().contains(says), "{err} (wanted {says:?})");
        };
        refused(b"", "no changes");
        refused(b"not automerge at all", "does not begin like");
        // A whole document is not a change.
        refused(&ours.save(), "chunk type 0");
        // Cut short.
        ours.put(ROOT, "x", 1).unwrap();
        let changes = changes_since(&mut ours, &held.heads).unwrap();
        refused(&changes[..changes.len() - 1], "follow");
        // Changes that rename the document.
        ours.put(ROOT, ID_KEY, "c2").unwrap();
        let renamed = changes_since(&mut ours, &held.heads).unwrap();
        assert!(matches!(
            apply_changes("c1", &held, &renamed, &limits),
            Err(DocError::WrongId { .. })
        ));
        // Over the size limit, before Automerge reads them.
        let small = Limits {
            max_doc_bytes: 8,
            ..limits
        };
        assert!(matches!(
            apply_changes("c1", &held, &changes, &small),
            Err(DocError::TooLarge { .. })
        ));
    }

    #[test]
    fn merge_unions_scope_and_is_idempotent() {
        let limits = Limits::default();
        let mut a = make("c1", "441521");
        let mut b = AutoCommit::load(&a.save())
            .unwrap()
            .with_actor(unit_actor(&code("441500")));
        extend_scope("c1", &mut b, [&code("441500")]).unwrap();
        a.put(ROOT, "x", 1).unwrap();
        let la = decode("c1", &a.save(), &limits).unwrap();
        let lb = decode("c1", &b.save(), &limits).unwrap();
        let mut m = merge("c1", Some(la), lb).unwrap();
        assert!(m.changed);
        assert!(!m.same_as_incoming);
        assert_eq!(m.scope.len(), 2);
        let again = decode("c1", &m.doc.save(), &limits).unwrap();
        let lm = decode("c1", &m.doc.save(), &limits).unwrap();
        let m2 = merge("c1", Some(again), lm).unwrap();
        assert!(!m2.changed && m2.same_as_incoming);
    }
}
