//! A replication frame from a peer: decoded from arbitrary bytes, its packed
//! documents unpacked within the frame limit as the transport's edge does, then
//! handled as the node would: by the link core (after the peer's Hello, so batches count),
//! and every batch the core wants applied goes through the hub's apply (size,
//! Automerge, `_id`, scope, the node's document rules, merge, commit) on an
//! in-memory store. Nothing may panic.
#![no_main]

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use futures::executor::block_on;
use libfuzzer_sys::fuzz_target;
use prost::Message;
use xinfang_hub::core::{Action, CoreConfig, Event, LinkCore};
use xinfang_hub::store::mem::MemStore;
use xinfang_hub::{Hub, HubConfig, Topology, UnitCode};
use xinfang_proto::PROTOCOL_VERSION;
use xinfang_proto::v1::{Hello, SyncFrame, sync_frame};

const TOPOLOGY: &str = r#"
[[unit]]
code = "441521"
name = "county"
tier = "county"
listen = "127.0.0.1:1"

[[unit]]
code = "441521115000"
name = "town"
tier = "township"
parent = "441521"
listen = "127.0.0.1:2"
"#;

fn topology() -> Arc<Topology> {
    static T: OnceLock<Arc<Topology>> = OnceLock::new();
    T.get_or_init(|| Arc::new(Topology::from_toml(TOPOLOGY).expect("topology")))
        .clone()
}

fn unit(s: &str) -> UnitCode {
    s.parse().expect("unit code")
}

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
    let Ok(mut frame) = SyncFrame::decode(data) else {
        return;
    };
    if xinfang_hub::pack::unpack(&mut frame, HubConfig::default().limits.max_frame_bytes).is_err() {
        return;
    }
    let (county, town) = (unit("441521"), unit("441521115000"));
    let hub = Hub::new(
        county.clone(),
        topology(),
        Arc::new(MemStore::new("e-county")),
        HubConfig::default(),
    )
    .expect("hub");
    hub.set_document_check(Arc::new(xinfang_node::remote::RemoteRules::new(
        hub.me().clone(),
        hub.topology().clone(),
        Arc::new(xinfang_node::rules::CaseRules::official().expect("rules")),
        Arc::new(xinfang_hub::engine::wall_clock_ms),
    )));
    let link = hub.link_with(&town).expect("link");
    let t = Duration::from_secs(1);
    let (mut core, _) = LinkCore::start(
        CoreConfig::default(),
        county,
        "e-county".into(),
        None,
        town.clone(),
        None,
        Vec::new(),
        0,
        Duration::ZERO,
    );
    // The peer's Hello first (as a real session has it), then the fuzzed frame,
    // twice over: once fresh, once as the next frame of the session.
    let hello = SyncFrame {
        kind: Some(sync_frame::Kind::Hello(Hello {
            protocol: PROTOCOL_VERSION,
            unit: town.to_string(),
            epoch: "e-town".into(),
            head: 1,
            ..Default::default()
        })),
    };
    let mut queue = vec![
        Event::Frame(hello),
        Event::Frame(frame.clone()),
        Event::Frame(frame),
    ];
    queue.reverse();
    let mut steps = 0;
    while let Some(event) = queue.pop() {
        steps += 1;
        if steps > 64 {
            break;
        }
        for action in core.handle(t, event) {
            match action {
                Action::CheckMark { .. } => queue.insert(0, Event::MarkChecked { holds: true }),
                Action::Apply {
                    peer_epoch,
                    upto,
                    docs,
                    mark,
                } => {
                    let ev = match block_on(hub.apply_from(&link, &peer_epoch, upto, docs, mark)) {
                        Ok(_) => Event::Applied { upto },
                        Err(e) => Event::Failed {
                            code: e.code().into(),
                            message: e.to_string(),
                        },
                    };
                    queue.insert(0, ev);
                }
                Action::Scan {
                    generation,
                    after,
                    echo,
                    whole,
                } => {
                    let ev = match block_on(hub.scan_for(&link, after, echo, &whole)) {
                        Ok((upto, docs)) => Event::Scanned {
                            generation,
                            upto,
                            docs,
                            mark: Vec::new(),
                        },
                        Err(e) => Event::Failed {
                            code: e.code().into(),
                            message: e.to_string(),
                        },
                    };
                    queue.insert(0, ev);
                }
                // The rest is answered as the real driver answers it, with nothing
                // to attest (the fuzzed peer's frames are the input under test).
                Action::Acked(_) => queue.insert(0, Event::AckSaved),
                Action::Ask { .. } => queue.insert(0, Event::AskReady(None)),
                Action::Attest { .. } => queue.insert(0, Event::Attested(None)),
                Action::CheckAttestation { .. } => queue.insert(0, Event::AttestationChecked { went_back: None }),
                Action::Send(_) | Action::Close { .. } => {}
            }
        }
    }
    let _ = core.handle(t * 100, Event::Tick);
});
