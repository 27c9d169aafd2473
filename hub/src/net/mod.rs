//! The tonic adapter: runs a [`LinkCore`] over a gRPC bidirectional stream.
//!
//! The child dials its parent (`run_uplink`); the parent serves `Replication.Sync`
//! (`ReplicationService`). Both ends then run the same `drive` loop: frames in,
//! storage work out, frames back. With TLS the peer's unit is proven by its
//! certificate; `--insecure` trusts the unit named in its Hello (local experiments).

use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::stream::FuturesUnordered;
use futures::{Stream, StreamExt};
use prost::Message;
use tokio::sync::{mpsc, watch};
use tonic::Status;
use xinfang_proto::v1::{LinkError, SyncFrame, sync_frame};

use crate::core::{Action, AttestRole, Event, LinkCore, Recovering, proves_we_went_back};
use crate::engine::{Hub, HubError};
use crate::identity::PeerIdentity;
use crate::journal::Verdict;
use crate::pack;
use crate::route::{Link, PeerRole};
pub use crate::tls::TlsMaterial;
use crate::tls::{TlsError, TlsState};
use crate::topology::UnitCode;
pub use crate::transport::TransportConfig;

/// How a node proves itself and checks its peers.
#[derive(Clone)]
pub enum Security {
    /// mTLS with certificates issued by the federation root; the material is
    /// reloaded while the node runs (see `tls`).
    Tls(Arc<TlsState>),
    /// Plaintext, peers trusted by what they say. Only behind `--insecure`.
    Insecure,
}

impl Security {
    /// mTLS with `material` as it is (checked, not reloaded).
    pub fn tls(material: TlsMaterial) -> Result<Security, TlsError> {
        Ok(Security::Tls(Arc::new(TlsState::new(material, None)?)))
    }
}

/// Names refused certificates of configured neighbours in their link's status
/// (`last_error`), so `xinfang status` at this node shows why a link stays down.
/// Here, where the transport meets the engine, so TLS need not know the hub.
pub fn report_tls_refusals(tls: &TlsState, hub: &Hub) {
    let hub = hub.clone();
    tls.on_refusal(move |r| {
        if let PeerIdentity::Unit(unit) = &r.presented
            && hub.link_with(unit).is_some()
        {
            hub.with_link_status(unit, |s| s.last_error = Some(r.to_string()));
        }
    });
}

/// Why a link session ended badly.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{code}: {message}")]
pub struct LinkFailure {
    pub code: String,
    pub message: String,
}

impl LinkFailure {
    fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        LinkFailure {
            code: code.into(),
            message: message.into(),
        }
    }
}

type FrameStream = Pin<Box<dyn Stream<Item = Result<SyncFrame, Status>> + Send>>;

/// Storage work a session waits on; `None` for work the core need not hear about.
type StorageWork = Pin<Box<dyn std::future::Future<Output = Option<Event>> + Send>>;

/// Attestation work (the nodes' ledgers), answered to the core when done.
type SideWork = Pin<Box<dyn std::future::Future<Output = Event> + Send>>;

/// Runs one session of `link` until the peer goes away, something fails, or
/// `shutdown` flips to true.
///
/// `started` is when the session began (dialling, or accepting): catch-up time is
/// measured from there.
pub async fn drive<S>(
    hub: Hub,
    link: Link,
    mut inbound: S,
    out: mpsc::Sender<SyncFrame>,
    mut shutdown: watch::Receiver<bool>,
    started: Instant,
) -> Result<(), LinkFailure>
where
    S: Stream<Item = Result<SyncFrame, Status>> + Send + Unpin,
{
    let peer = link.peer.clone();
    let stored = hub
        .link_record(&peer)
        .await
        .map_err(|e| LinkFailure::new("storage", e.to_string()))?
        .map(|r| r.inbound);
    let mut head_rx = hub.subscribe();
    // A recovery begun while this session runs ends it: the next one speaks
    // under the new epoch.
    let mut recovery_rx = hub.watch_recovery();
    let session_epoch = hub.epoch();
    let recovery = recovery_rx.borrow_and_update().as_ref().map(|m| {
        if m.declared {
            Recovering::Restored
        } else {
            Recovering::WentBack
        }
    });
    let (mut core, mut actions) = LinkCore::start(
        hub.config().core.clone(),
        hub.me().clone(),
        session_epoch.clone(),
        recovery,
        peer.clone(),
        stored,
        hub.wanted_whole(&peer),
        hub.head(),
        started.elapsed(),
    );
    match hub.store().epochs().await {
        Ok(epochs) => core.know_own_epochs(epochs),
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the store's epochs; the peer's is not checked")
        }
    }
    hub.with_link_status(&peer, |s| {
        s.connected = true;
        s.session_epoch = session_epoch.clone();
        s.sessions += 1;
        s.session_bytes_sent = 0;
        s.session_bytes_received = 0;
        s.catch_up = None;
        s.last_error = None;
    });
    // Storage work runs here, polled by the select below. Nothing in this loop may
    // await storage inline: a pending apply can hold the database's write lock and
    // must keep being polled until it commits.
    let mut pending: FuturesUnordered<StorageWork> = FuturesUnordered::new();
    // The peer's batches, prepared as they arrive (`early`).
    let mut early = early::EarlyBatches::default();
    // Attestations: the core decides when the parent asks and what becomes of a
    // frame; the node's attestor makes and checks the bodies. None of it can end
    // the session.
    let attestor = hub.attestor();
    let mut side: FuturesUnordered<SideWork> = FuturesUnordered::new();
    if attestor.is_some() {
        let role = match link.role {
            PeerRole::Child => AttestRole::Ask,
            PeerRole::Parent => AttestRole::Answer,
        };
        actions.extend(core.start_attesting(role, started.elapsed()));
    }
    // Time reaches the core as ticks: often enough for its shortest timer.
    let period = [hub.config().core.idle_timeout.map(|t| t / 4)]
        .into_iter()
        .flatten()
        .fold(Duration::from_millis(500), Duration::min)
        .max(Duration::from_millis(10));
    let send_timeout = hub.config().transport.send_timeout;
    let mut ticker = tokio::time::interval(period);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let result = loop {
        let mut close: Option<Option<(String, String)>> = None;
        for action in actions.drain(..) {
            match action {
                Action::Send(mut frame) => {
                    // Our wall clock, for the peer to measure the offset by.
                    if let Some(sync_frame::Kind::Hello(h)) = &mut frame.kind {
                        h.clock_ms = hub.now_ms();
                    }
                    if close.is_some() {
                        // Already ending (a peer that does not read gets nothing more).
                        continue;
                    }
                    pack::pack(&mut frame);
                    let n = frame.encoded_len() as u64;
                    let attest = matches!(frame.kind, Some(sync_frame::Kind::Attestation(_)));
                    hub.with_link_status(&peer, |s| {
                        s.bytes_sent += n;
                        s.session_bytes_sent += n;
                        s.frames_sent += 1;
                        s.attestations_sent += u64::from(attest);
                    });
                    match tokio::time::timeout(send_timeout, out.send(frame)).await {
                        Ok(Ok(())) => {}
                        Ok(Err(_)) => {
                            close = Some(Some(("closed".into(), "peer went away".into())));
                        }
                        Err(_) => {
                            close = Some(Some((
                                "not_reading".into(),
                                format!(
                                    "peer {peer} has taken no frame for {} s (it does not read); \
                                     disconnecting",
                                    send_timeout.as_secs_f32()
                                ),
                            )));
                        }
                    }
                }
                Action::Scan {
                    generation,
                    after,
                    echo,
                    whole,
                } => {
                    let (hub, link, att) = (hub.clone(), link.clone(), attestor.clone());
                    pending.push(Box::pin(async move {
                        let began = Instant::now();
                        Some(match hub.scan_for(&link, after, echo, &whole).await {
                            // The mark is read after the scan: it covers what it sent.
                            Ok((upto, docs)) => {
                                tracing::debug!(peer = %link.peer, after, upto, docs = docs.len(),
                                    ms = began.elapsed().as_secs_f64() * 1e3, "scanned a batch");
                                Event::Scanned {
                                    generation,
                                    upto,
                                    docs,
                                    mark: match att {
                                        Some(att) => att.mark().await.unwrap_or_default(),
                                        None => Vec::new(),
                                    },
                                }
                            }
                            Err(e) => Event::Failed {
                                code: e.code().into(),
                                message: e.to_string(),
                            },
                        })
                    }));
                }
                Action::Apply {
                    peer_epoch,
                    upto,
                    docs,
                    mark,
                } => {
                    let (hub, link) = (hub.clone(), link.clone());
                    let prepared = early.take(upto);
                    pending.push(Box::pin(async move {
                        let n = docs.len() as u64;
                        let began = Instant::now();
                        // The place is held until the batch is committed.
                        let (prepared, _place) = early::ready(prepared).await.unzip();
                        let applied = hub
                            .apply_prepared(&link, &peer_epoch, upto, docs, mark, prepared)
                            .await;
                        Some(match applied {
                            Ok(_) => {
                                tracing::debug!(peer = %link.peer, upto, docs = n,
                                    ms = began.elapsed().as_secs_f64() * 1e3, "applied a batch");
                                Event::Applied { upto }
                            }
                            Err(e) => {
                                tracing::warn!(peer = %link.peer, error = %e, "refused a batch");
                                // Storage trouble is ours, and changes on a version
                                // we lack are asked for again whole: neither is the
                                // peer's fault.
                                if !matches!(e, HubError::Store(_) | HubError::MissingBase { .. }) {
                                    hub.with_link_status(&link.peer, |s| {
                                        s.refused_batches += 1;
                                        s.refused_docs += n;
                                    });
                                }
                                Event::Failed {
                                    code: e.code().into(),
                                    message: e.to_string(),
                                }
                            }
                        })
                    }));
                }
                Action::Acked(upto) => {
                    // Status only (losing it costs a stale lag figure); the core
                    // keeps one save in flight.
                    let (hub, peer) = (hub.clone(), peer.clone());
                    pending.push(Box::pin(async move {
                        if let Err(e) = hub.note_acked(&peer, upto).await {
                            tracing::warn!(peer = %peer, error = %e, "could not record ack");
                        }
                        Some(Event::AckSaved)
                    }));
                }
                Action::Ask { .. }
                | Action::Attest { .. }
                | Action::CheckAttestation { .. }
                | Action::CheckMark { .. } => {
                    if let Some(att) = attestor.clone() {
                        side.push(attestation(att, peer.clone(), action));
                    }
                }
                Action::Close { error } => {
                    close = Some(error);
                }
            }
        }
        let p = core.progress();
        let in_sync = p.in_sync;
        hub.with_link_status(&peer, |s| {
            // Re-asserted by the live session: a replaced one may have cleared it.
            s.connected = true;
            s.acked = s.acked.max(p.acked);
            s.received = p.received;
            if p.ready {
                s.peer_head = Some(p.peer_head);
            }
            if let Some(at) = p.caught_up_at
                && s.catch_up.is_none()
            {
                tracing::debug!(peer = %peer, ms = at.as_secs_f64() * 1e3, "caught up");
                s.catch_up = Some(at);
                s.last_sync_ms = Some(hub.now_ms());
            }
            // Leaving sync stamps the time (the clock is read on changes only).
            if s.in_sync && !in_sync {
                s.last_sync_ms = Some(hub.now_ms());
            }
            s.in_sync = in_sync;
        });
        if let Some(error) = close {
            break match error {
                None => Ok(()),
                Some((code, message)) => Err(LinkFailure::new(code, message)),
            };
        }
        let event = tokio::select! {
            frame = inbound.next() => match frame {
                Some(Ok(mut frame)) => {
                    let n = frame.encoded_len() as u64;
                    let refusal = matches!(frame.kind, Some(sync_frame::Kind::Error(_)));
                    let offset = match &frame.kind {
                        Some(sync_frame::Kind::Hello(h)) if h.clock_ms != 0 => {
                            Some(h.clock_ms - hub.now_ms())
                        }
                        _ => None,
                    };
                    hub.with_link_status(&peer, |s| {
                        if offset.is_some() {
                            s.clock_offset_ms = offset;
                        }
                        s.bytes_received += n;
                        s.session_bytes_received += n;
                        s.frames_received += 1;
                        if refusal {
                            s.errors_from_peer += 1;
                        }
                    });
                    // Packed documents unpack here, at the edge, within the
                    // frame limit (the core and the engine see `docs` only).
                    if let Err(e) = pack::unpack(&mut frame, hub.config().limits.max_frame_bytes) {
                        let failure =
                            LinkFailure::new("malformed_frame", format!("from peer {peer}: {e}"));
                        refuse(&out, &failure).await;
                        break Err(failure);
                    }
                    if let Some(sync_frame::Kind::Batch(b)) = &frame.kind {
                        early.start(&hub, &link, b);
                    }
                    Event::Frame(frame)
                }
                Some(Err(status)) => {
                    // A frame over the size limit or one that does not decode
                    // ends here too: tell the peer why, if it still listens.
                    let failure = LinkFailure::new(
                        "transport",
                        format!(
                            "from peer {peer}: {}: {}",
                            status.code(),
                            status.message()
                        ),
                    );
                    refuse(&out, &failure).await;
                    break Err(failure);
                }
                None => break Ok(()),
            },
            Some(ev) = pending.next(), if !pending.is_empty() => match ev {
                Some(ev) => ev,
                None => continue,
            },
            Some(ev) = side.next(), if !side.is_empty() => ev,
            changed = head_rx.changed() => match changed {
                Ok(()) => Event::LocalHead(*head_rx.borrow_and_update()),
                Err(_) => break Ok(()),
            },
            _ = ticker.tick() => Event::Tick,
            _ = shutdown.changed() => break Ok(()),
            changed = recovery_rx.changed() => match changed {
                Ok(()) if hub.epoch() != session_epoch => break Ok(()),
                Ok(()) => continue,
                Err(_) => break Ok(()),
            },
        };
        actions = core.handle(started.elapsed(), event);
    };
    // Let in-flight storage work finish: an apply that commits after we stop is
    // harmless (cursor and data move together), but don't leave it dangling.
    while pending.next().await.is_some() {}
    while side.next().await.is_some() {}
    // We went back in time (a copy put back, a lost commit, a rewrite): recover
    // before syncing again.
    if let Err(e) = &result
        && proves_we_went_back(&e.code, link.role == PeerRole::Parent)
        && let Err(err) = hub.begin_recovery(&e.message).await
    {
        tracing::error!(error = %err, "could not begin the recovery the parent asked for");
    }
    hub.with_link_status(&peer, |s| {
        s.connected = false;
        if s.in_sync {
            s.in_sync = false;
            s.last_sync_ms = Some(hub.now_ms());
        }
        if let Err(e) = &result {
            s.last_error = Some(e.to_string());
        }
    });
    result
}

/// Tells the peer why the link ends, if it still listens.
async fn refuse(out: &mpsc::Sender<SyncFrame>, failure: &LinkFailure) {
    let refusal = SyncFrame {
        kind: Some(sync_frame::Kind::Error(LinkError {
            code: failure.code.clone(),
            message: failure.message.clone(),
        })),
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), out.send(refusal)).await;
}

/// Runs an attestation action of the core with the node's attestor; the result
/// goes back to the core. Failures are logged: the link goes on.
fn attestation(att: Arc<dyn crate::journal::Attestor>, peer: UnitCode, action: Action) -> SideWork {
    Box::pin(async move {
        match action {
            Action::Attest { ask } => match att.attest(&peer, &ask).await {
                Ok(body) => Event::Attested(Some(body)),
                Err(e) => {
                    tracing::warn!(peer = %peer, error = %e, "could not attest our ledger");
                    Event::Attested(None)
                }
            },
            Action::CheckAttestation { answer } => match att.check(&peer, &answer).await {
                Ok(Verdict::Holds) => Event::AttestationChecked { went_back: None },
                Ok(Verdict::WentBack(why)) => Event::AttestationChecked {
                    went_back: Some(why),
                },
                Err(e) => {
                    tracing::error!(peer = %peer, error = %e, "child's ledger attestation failed");
                    Event::AttestationChecked { went_back: None }
                }
            },
            Action::Ask { rebase } => Event::AskReady(att.ask(&peer, rebase).await),
            Action::CheckMark { mark } => match att.holds(&mark).await {
                Ok(holds) => Event::MarkChecked { holds },
                Err(e) => {
                    // Unsure is not proof of going back: the feed goes out.
                    tracing::warn!(peer = %peer, error = %e, "could not check the mark the peer saw");
                    Event::MarkChecked { holds: true }
                }
            },
            // Only the three attestation actions are handed here.
            _ => Event::AskReady(None),
        }
    })
}

mod early;
mod serve;
mod uplink;

pub use serve::ReplicationService;
pub use uplink::{connect, error_chain, run_uplink, sync_with_parent};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::HubConfig;
    use crate::store::mem::MemStore;
    use tokio_stream::wrappers::ReceiverStream;
    use xinfang_proto::PROTOCOL_VERSION;
    use xinfang_proto::v1::Hello;

    const TOML: &str = r#"
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

    #[tokio::test]
    async fn a_peer_that_does_not_read_is_disconnected_naming_it() {
        let topology = Arc::new(crate::Topology::from_toml(TOML).unwrap());
        let me: UnitCode = "441521".parse().unwrap();
        let town: UnitCode = "441521115000".parse().unwrap();
        let mut cfg = HubConfig::default();
        cfg.transport.send_timeout = Duration::from_millis(200);
        let hub = Hub::new(me, topology, Arc::new(MemStore::new("e-county")), cfg).unwrap();
        let link = hub.link_with(&town).unwrap();
        let (in_tx, in_rx) = mpsc::channel(4);
        // Room for our opening Hello only; the peer never takes it.
        let (out_tx, _out_rx) = mpsc::channel(1);
        let (_stop_tx, stop_rx) = watch::channel(false);
        let session = tokio::spawn(drive(
            hub.clone(),
            link,
            ReceiverStream::new(in_rx),
            out_tx,
            stop_rx,
            Instant::now(),
        ));
        // The peer's Hello asks for a reply Hello, which has nowhere to go.
        in_tx
            .send(Ok(SyncFrame {
                kind: Some(sync_frame::Kind::Hello(Hello {
                    protocol: PROTOCOL_VERSION,
                    unit: town.to_string(),
                    epoch: "e-town".into(),
                    ..Default::default()
                })),
            }))
            .await
            .unwrap();
        let ended = tokio::time::timeout(Duration::from_secs(10), session)
            .await
            .expect("the session must end on its own")
            .unwrap();
        let err = ended.expect_err("ends with an error");
        assert_eq!(err.code, "not_reading");
        assert!(err.message.contains("441521115000"), "{err}");
        let status = hub.with_link_status(&town, |s| s.clone());
        assert!(!status.connected);
        assert!(
            status.last_error.is_some_and(|e| e.contains("not_reading")),
            "the link's status says why"
        );
    }
}
