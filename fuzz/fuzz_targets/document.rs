//! A saved document from a peer, or changes from a peer on top of a case we hold:
//! the hub's decoder with the default limits (size before Automerge, chunk by
//! chunk, then `_id` and `_scope`), then the node's rules for documents from
//! peers, then what the node reads of a case. Nothing may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xinfang_hub::doc::{self, Limits};

/// The ids a document is tried under: a case, each schedule kind, and one the
/// node does not know.
const IDS: [&str; 5] = [
    "441521115000-2026-000001",
    "roster/441521115000",
    "schedule/441521115000/2016-04",
    "quarterly/441521115000/2016Q2",
    "x1",
];

/// Automerge can panic on crafted bytes; the hub contains that (`doc::decode`
/// turns it into an error), so such a panic is no finding. libFuzzer's hook would
/// abort on it before it is caught: let it unwind instead. A panic anywhere else,
/// or one of Automerge's that nothing catches, still ends the run as a crash.
fn contain_automerge_panics() {
    let abort_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let file = info.location().map(|l| l.file()).unwrap_or_default();
        if !(file.contains("/automerge-") || file.contains("/hexane-")) {
            abort_hook(info);
        }
    }));
}

/// The case of the seeds (its first byte picks the id), the base that changes
/// apply to.
const BASE_CASE: &[u8] = include_bytes!("../seeds/document/case");

fuzz_target!(init: contain_automerge_panics(), |data: &[u8]| {
    let (pick, bytes) = match data.split_first() {
        Some((p, rest)) => (*p, rest),
        None => (0, data),
    };
    // A first byte with its high bit set: the rest is changes from a peer on top
    // of the case in the seeds (read as the hub reads changes).
    let changes = pick & 0x80 != 0;
    let id = if changes {
        IDS[0]
    } else {
        IDS[usize::from(pick) % IDS.len()]
    };
    let loaded = if changes {
        let Ok(held) = doc::decode(id, &BASE_CASE[1..], &Limits::default()) else {
            panic!("the seed case decodes");
        };
        doc::apply_changes(id, &held, bytes, &Limits::default())
    } else {
        doc::decode(id, bytes, &Limits::default()).map(Some)
    };
    let Ok(Some(mut loaded)) = loaded else {
        return;
    };
    if xinfang_node::remote::check(id, &loaded.doc).is_err() {
        return;
    }
    if xinfang_node::case::is_case(&loaded.doc) {
        let _ = xinfang_node::case::read(&mut loaded.doc, id);
        let _ = xinfang_node::case::read_records(&loaded.doc);
        let _ = xinfang_node::case::header(&loaded.doc);
    }
    let _ = loaded.doc.save();
});
