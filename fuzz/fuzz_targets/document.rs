//! A saved document from a peer: the hub's decoder with the default limits (size
//! before Automerge, then `_id` and `_scope`), then the node's rules for documents
//! from peers, then what the node reads of a case. Nothing may panic.
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

fuzz_target!(init: contain_automerge_panics(), |data: &[u8]| {
    let (pick, bytes) = match data.split_first() {
        Some((p, rest)) => (usize::from(*p) % IDS.len(), rest),
        None => (0, data),
    };
    let id = IDS[pick];
    let Ok(mut loaded) = doc::decode(id, bytes, &Limits::default()) else {
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
