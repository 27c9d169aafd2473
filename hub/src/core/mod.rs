//! The sans-IO sync session of one parent-child link.
//!
//! `LinkCore` is a state machine: it is fed [`Event`]s (a frame arrived, our feed
//! grew, a storage request finished, a timer fired) and answers with [`Action`]s (send
//! a frame, scan our feed, apply a batch durably, close). It does no IO and reads no
//! clock: time comes in as an argument. The same core runs under the tonic transport
//! and under the deterministic simulator in `tests/`.
//!
//! Beside the sync protocol the core also decides, still without IO, when a
//! parent asks its child for an attestation of its ledger and what becomes of an
//! attestation frame ([`attest`]), when an ack is saved (at most one save in
//! flight, the latest value waits), and whether the link is in sync.
//!
//! Protocol (both directions are symmetric):
//! - Each side opens with `Hello{epoch, known_epoch, since, head}`: `since` is how far
//!   it has durably applied the *other* side's feed (valid if `known_epoch` is the
//!   other side's current epoch). The other side streams its feed from there.
//! - `Batch{from, upto, docs}` carries the routed documents with feed sequence numbers
//!   in (from, upto]. The receiver applies a batch in one transaction together with its
//!   cursor, then answers `Ack{upto}`. At most `window` batches are unacknowledged.
//! - A receiver that sees a gap (`from` beyond its cursor) asks `Rewind{since}`.
//! - Merging is idempotent, so duplicates are harmless; missing frames are recovered
//!   by Rewind and by the optional retransmit timer (used only by lossy transports).

use std::collections::VecDeque;
use std::time::Duration;

use xinfang_proto::PROTOCOL_VERSION;
use xinfang_proto::v1::{Ack, Batch, DocEntry, Hello, LinkError, Rewind, SyncFrame, sync_frame};

use crate::topology::UnitCode;

mod attest;
mod events;
mod hello;

pub use attest::AttestRole;
use attest::Attestations;
pub use events::{
    Action, CoreConfig, Event, FEED_WENT_BACK, InboundCursor, LEDGER_WENT_BACK, Progress, Rebase,
    Recovering, STORE_WENT_BACK, proves_we_went_back,
};

pub struct LinkCore {
    cfg: CoreConfig,
    me: UnitCode,
    my_epoch: String,
    /// Our store is recovering (said in our Hello), and whether an operator's
    /// restore began it.
    recovering: bool,
    restored: bool,
    /// Our scans include what came from the peer.
    echo: bool,
    /// Marks are exchanged (this node has an attestor).
    marks: bool,
    /// Every epoch our store has had (`None`: not told; no check).
    own_epochs: Option<Vec<String>>,
    /// The peer's Hello named a mark of our store not yet checked: nothing of
    /// our feed goes out until it is.
    verifying: bool,
    /// The last mark of our store the peer named that we checked.
    mark_asked: Vec<u8>,
    /// The mark of the batch being applied.
    applying_mark: Vec<u8>,
    /// Documents of the peer's feed we ask for whole (said in our Hello).
    whole_wanted: Vec<String>,
    /// Documents of our feed the peer asked for whole (said in its Hello).
    whole_asked: Vec<String>,
    peer: UnitCode,
    // Inbound: the peer's feed into us.
    inbound: InboundCursor,
    peer_epoch: Option<String>,
    peer_head: u64,
    applying: bool,
    queued: VecDeque<Batch>,
    gap_asked_at: Option<Duration>,
    // Outbound: our feed to the peer.
    ready: bool,
    head: u64,
    sent: u64,
    acked: u64,
    in_flight: VecDeque<(u64, Duration)>,
    scanning: bool,
    generation: u64,
    hello_sent_at: Duration,
    /// Since when the peer has been silent, counted from the later of its last
    /// frame and the moment we started waiting on it.
    silent_since: Duration,
    caught_up_at: Option<Duration>,
    attest: Attestations,
    /// An `Action::Acked` is being saved; `ack_to_save` waits for it.
    ack_saving: bool,
    ack_to_save: Option<u64>,
    closed: bool,
}

impl LinkCore {
    /// A new session. `inbound` is the stored cursor for this peer (if any),
    /// `whole_wanted` the documents of its feed we ask for whole (their changes
    /// came on a version we lack), `head` our feed's current head. Returns the
    /// core and its opening actions.
    #[allow(clippy::too_many_arguments)]
    pub fn start(
        cfg: CoreConfig,
        me: UnitCode,
        my_epoch: String,
        recovery: Option<Recovering>,
        peer: UnitCode,
        inbound: Option<InboundCursor>,
        whole_wanted: Vec<String>,
        head: u64,
        now: Duration,
    ) -> (LinkCore, Vec<Action>) {
        let mut core = LinkCore {
            cfg,
            me,
            my_epoch,
            recovering: recovery.is_some(),
            restored: recovery == Some(Recovering::Restored),
            echo: false,
            marks: false,
            own_epochs: None,
            verifying: false,
            mark_asked: Vec::new(),
            applying_mark: Vec::new(),
            whole_wanted,
            whole_asked: Vec::new(),
            peer,
            // A recovering store takes each peer's feed from its start: what its
            // cursor says it applied may be what the peer never sent it (what it
            // had sent the peer itself).
            inbound: inbound
                .map(|c| InboundCursor {
                    upto: if recovery.is_some() { 0 } else { c.upto },
                    ..c
                })
                .unwrap_or_default(),
            peer_epoch: None,
            peer_head: 0,
            applying: false,
            queued: VecDeque::new(),
            gap_asked_at: None,
            ready: false,
            head,
            sent: 0,
            acked: 0,
            in_flight: VecDeque::new(),
            scanning: false,
            generation: 0,
            hello_sent_at: now,
            silent_since: now,
            caught_up_at: None,
            attest: Attestations::default(),
            ack_saving: false,
            ack_to_save: None,
            closed: false,
        };
        let mut out = Vec::new();
        core.send_hello(false, now, &mut out);
        (core, out)
    }

    /// Takes part in the nodes' attestation as `role` (only when this node has an
    /// attestor); a parent asks as soon as the peer's Hello has arrived.
    pub fn start_attesting(&mut self, role: AttestRole, now: Duration) -> Vec<Action> {
        let mut out = Vec::new();
        self.attest.start(role);
        self.marks = true;
        // The first ask waits for the peer's Hello: a new epoch there changes it.
        if self.ready {
            self.attest.maybe_ask(now, self.cfg.attest_every, &mut out);
        }
        out
    }

    pub fn peer(&self) -> &UnitCode {
        &self.peer
    }

    /// Tells the core every epoch our store has had: a peer whose cursor names
    /// another one knew a store this one is not, and this one recovers.
    pub fn know_own_epochs(&mut self, epochs: Vec<String>) {
        self.own_epochs = Some(epochs);
    }

    pub fn is_closed(&self) -> bool {
        self.closed
    }

    pub fn progress(&self) -> Progress {
        Progress {
            ready: self.ready,
            head: self.head,
            sent: self.sent,
            acked: self.acked,
            received: self.inbound.upto,
            peer_head: self.peer_head,
            caught_up: self.caught_up_at.is_some(),
            caught_up_at: self.caught_up_at,
            in_sync: self.caught_up_at.is_some()
                && self.acked >= self.head
                && self.inbound.upto >= self.peer_head,
        }
    }

    pub fn handle(&mut self, now: Duration, event: Event) -> Vec<Action> {
        let mut out = Vec::new();
        if self.closed {
            return out;
        }
        match event {
            // Beside the sync protocol: it neither ends the session nor counts as
            // the peer answering what the core waits on.
            Event::Frame(SyncFrame {
                kind: Some(sync_frame::Kind::Attestation(a)),
            }) => self.attest.on_frame(a, &mut out),
            Event::Frame(frame) => {
                self.silent_since = now;
                self.on_frame(now, frame, &mut out)
            }
            Event::LocalHead(h) => {
                self.head = self.head.max(h);
                self.maybe_scan(&mut out);
            }
            Event::Scanned {
                generation,
                upto,
                docs,
                mark,
            } => self.on_scanned(now, generation, upto, docs, mark, &mut out),
            Event::MarkChecked { holds } => {
                self.verifying = false;
                if holds {
                    self.maybe_scan(&mut out);
                } else {
                    self.fail(
                        STORE_WENT_BACK,
                        format!(
                            "the store of {} does not hold what {} saw of it: it went back in \
                             time (restored from an older copy?) and recovers before it syncs again",
                            self.me, self.peer
                        ),
                        &mut out,
                    );
                }
            }
            Event::Applied { upto } => {
                self.attest.on_applied();
                self.on_applied(now, upto, &mut out)
            }
            Event::Failed { code, message } => self.fail(code, message, &mut out),
            Event::Tick => self.on_tick(now, &mut out),
            Event::AskReady(body) => self.attest.on_ask_ready(body, &mut out),
            Event::Attested(body) => self.attest.on_attested(body, &mut out),
            Event::AttestationChecked { went_back } => {
                self.attest.on_checked();
                if let Some(why) = went_back {
                    self.fail(
                        LEDGER_WENT_BACK,
                        format!(
                            "the ledger of {} does not extend what {} saw of it ({why}); \
                             it must recover before it syncs again",
                            self.peer, self.me
                        ),
                        &mut out,
                    );
                }
            }
            Event::AckSaved => self.ack_saving = false,
        }
        self.check_caught_up(now);
        if !self.closed && self.ready {
            self.attest.maybe_ask(now, self.cfg.attest_every, &mut out);
        }
        if !self.ack_saving
            && let Some(upto) = self.ack_to_save.take()
        {
            self.ack_saving = true;
            out.push(Action::Acked(upto));
        }
        out
    }

    pub(super) fn send(out: &mut Vec<Action>, kind: sync_frame::Kind) {
        out.push(Action::Send(SyncFrame { kind: Some(kind) }));
    }

    fn send_hello(&mut self, reply: bool, now: Duration, out: &mut Vec<Action>) {
        self.hello_sent_at = now;
        Self::send(
            out,
            sync_frame::Kind::Hello(Hello {
                protocol: PROTOCOL_VERSION,
                unit: self.me.to_string(),
                epoch: self.my_epoch.clone(),
                known_epoch: self.inbound.epoch.clone(),
                since: self.inbound.upto,
                head: self.head,
                reply,
                recovering: self.recovering,
                restored: self.restored,
                known_mark: if self.inbound.epoch.is_empty() {
                    Vec::new()
                } else {
                    self.inbound.mark.clone()
                },
                // Stamped by the driver as the frame leaves (the core keeps no
                // wall clock).
                clock_ms: 0,
                whole: self.whole_wanted.clone(),
            }),
        );
    }

    fn fail(&mut self, code: impl Into<String>, message: impl Into<String>, out: &mut Vec<Action>) {
        let (code, message) = (code.into(), message.into());
        Self::send(
            out,
            sync_frame::Kind::Error(LinkError {
                code: code.clone(),
                message: message.clone(),
            }),
        );
        out.push(Action::Close {
            error: Some((code, message)),
        });
        self.closed = true;
    }

    fn on_frame(&mut self, now: Duration, frame: SyncFrame, out: &mut Vec<Action>) {
        match frame.kind {
            None => self.fail("malformed_frame", "frame without a kind", out),
            Some(sync_frame::Kind::Hello(h)) => self.on_hello(now, h, out),
            Some(sync_frame::Kind::Batch(b)) => {
                if !self.ready {
                    // Only a lossy transport reorders a batch before the Hello; the
                    // sender will resend it.
                    return;
                }
                self.on_batch(now, b, out);
            }
            Some(sync_frame::Kind::Ack(Ack { upto })) => self.on_ack(upto, out),
            Some(sync_frame::Kind::Rewind(Rewind { since })) => self.on_rewind(since, out),
            // Taken by `handle` before it gets here (see `attest`).
            Some(sync_frame::Kind::Attestation(_)) => {}
            Some(sync_frame::Kind::Error(e)) => {
                out.push(Action::Close {
                    error: Some((
                        format!("peer_{}", e.code),
                        format!("peer {} reported: {}", self.peer, e.message),
                    )),
                });
                self.closed = true;
            }
        }
    }

    fn on_batch(&mut self, now: Duration, b: Batch, out: &mut Vec<Action>) {
        if b.upto < b.from {
            return self.fail(
                "malformed_frame",
                format!("Batch upto {} is below from {}", b.upto, b.from),
                out,
            );
        }
        self.peer_head = self.peer_head.max(b.head).max(b.upto);
        if self.applying {
            if self.queued.len() < self.cfg.max_queued_batches {
                self.queued.push_back(b);
            } else if self.cfg.retransmit_after.is_none() {
                // A reliable transport neither duplicates nor reorders: the peer
                // ignored our acknowledgements.
                return self.fail(
                    "flooding",
                    format!(
                        "peer {} sent more than {} batches beyond the one being applied, \
                         without waiting for acknowledgements; refused",
                        self.peer, self.cfg.max_queued_batches
                    ),
                    out,
                );
            }
            // On a lossy transport the excess may be duplicates: drop it; the gap
            // logic will recover.
            return;
        }
        self.process_batch(now, b, out);
    }

    fn process_batch(&mut self, now: Duration, b: Batch, out: &mut Vec<Action>) {
        let have = self.inbound.upto;
        if b.upto <= have {
            // Old or duplicate: already applied. Re-acknowledge so the sender moves on.
            Self::send(out, sync_frame::Kind::Ack(Ack { upto: have }));
            return;
        }
        if b.from > have {
            // Gap: something before this batch is missing.
            let repeat = match (self.gap_asked_at, self.cfg.retransmit_after) {
                (None, _) => true,
                (Some(at), Some(r)) => now.saturating_sub(at) >= r,
                (Some(_), None) => false,
            };
            if repeat {
                if self.gap_asked_at.is_none() {
                    self.silent_since = now;
                }
                self.gap_asked_at = Some(now);
                Self::send(out, sync_frame::Kind::Rewind(Rewind { since: have }));
            }
            return;
        }
        self.gap_asked_at = None;
        self.applying = true;
        self.applying_mark = b.mark.clone();
        out.push(Action::Apply {
            peer_epoch: self.inbound.epoch.clone(),
            upto: b.upto,
            docs: b.docs,
            mark: b.mark,
        });
    }

    fn on_applied(&mut self, now: Duration, upto: u64, out: &mut Vec<Action>) {
        self.applying = false;
        if upto > self.inbound.upto {
            self.inbound.mark = std::mem::take(&mut self.applying_mark);
        }
        self.inbound.upto = self.inbound.upto.max(upto);
        Self::send(
            out,
            sync_frame::Kind::Ack(Ack {
                upto: self.inbound.upto,
            }),
        );
        self.drain_queued(now, out);
    }

    /// Applies batches that waited, while nothing is being applied.
    fn drain_queued(&mut self, now: Duration, out: &mut Vec<Action>) {
        while !self.applying && !self.closed {
            let Some(next) = self.queued.pop_front() else {
                break;
            };
            self.process_batch(now, next, out);
        }
    }

    fn on_ack(&mut self, upto: u64, out: &mut Vec<Action>) {
        if upto > self.head {
            // Cannot acknowledge what we never had; ignore rather than trust it.
            return;
        }
        if upto > self.acked {
            self.advance_acked(upto);
        }
        self.maybe_scan(out);
    }

    fn advance_acked(&mut self, upto: u64) {
        self.acked = upto;
        // Saved by `handle`, coalesced: the latest value wins.
        self.ack_to_save = Some(upto);
        while self.in_flight.front().is_some_and(|(u, _)| *u <= upto) {
            self.in_flight.pop_front();
        }
        if self.sent < upto {
            // The peer is ahead of what we think we sent (a rewind raced an ack).
            self.restart_from(upto);
        }
    }

    fn on_rewind(&mut self, since: u64, out: &mut Vec<Action>) {
        if since > self.head {
            return;
        }
        if since > self.acked {
            self.advance_acked(since);
        }
        if since < self.sent {
            self.restart_from(since.max(self.acked));
        }
        self.maybe_scan(out);
    }

    fn restart_from(&mut self, pos: u64) {
        self.sent = pos;
        self.in_flight.clear();
        // A scan still running answers for the old position: ignore its result.
        self.generation += 1;
        self.scanning = false;
    }

    fn on_scanned(
        &mut self,
        now: Duration,
        generation: u64,
        upto: u64,
        docs: Vec<DocEntry>,
        mark: Vec<u8>,
        out: &mut Vec<Action>,
    ) {
        if generation != self.generation {
            return self.maybe_scan(out);
        }
        self.scanning = false;
        if upto <= self.sent {
            return self.maybe_scan(out);
        }
        self.head = self.head.max(upto);
        if self.in_flight.is_empty() {
            // We start waiting on the peer's Ack now.
            self.silent_since = now;
        }
        Self::send(
            out,
            sync_frame::Kind::Batch(Batch {
                from: self.sent,
                upto,
                docs,
                head: self.head,
                mark,
                packed: Default::default(),
            }),
        );
        self.in_flight.push_back((upto, now));
        self.sent = upto;
        self.maybe_scan(out);
    }

    fn maybe_scan(&mut self, out: &mut Vec<Action>) {
        if self.ready
            && !self.closed
            && !self.verifying
            && !self.scanning
            && self.sent < self.head
            && self.in_flight.len() < self.cfg.window
        {
            self.scanning = true;
            out.push(Action::Scan {
                generation: self.generation,
                after: self.sent,
                echo: self.echo,
                whole: self.whole_asked.clone(),
            });
        }
    }

    /// What we are waiting for from the peer, if anything.
    fn awaiting(&self) -> Option<String> {
        if !self.ready {
            Some("its Hello".to_owned())
        } else if let Some((upto, _)) = self.in_flight.back() {
            Some(format!("an Ack of our feed up to {upto}"))
        } else if self.gap_asked_at.is_some() {
            Some(format!(
                "its feed from {} (we asked with Rewind)",
                self.inbound.upto
            ))
        } else {
            None
        }
    }

    fn on_tick(&mut self, now: Duration, out: &mut Vec<Action>) {
        if let Some(idle) = self.cfg.idle_timeout
            && now.saturating_sub(self.silent_since) >= idle
            && let Some(what) = self.awaiting()
        {
            return self.fail(
                "idle_timeout",
                format!(
                    "peer {} sent nothing for {:.1} s while this node waited for {what}; \
                     closing the link",
                    self.peer,
                    now.saturating_sub(self.silent_since).as_secs_f32()
                ),
                out,
            );
        }
        if !self.ready && now.saturating_sub(self.hello_sent_at) >= self.cfg.hello_retry {
            self.send_hello(false, now, out);
        }
        let Some(r) = self.cfg.retransmit_after else {
            return;
        };
        if let Some((_, at)) = self.in_flight.front()
            && now.saturating_sub(*at) >= r
        {
            let from = self.acked;
            self.restart_from(from);
            self.maybe_scan(out);
        }
        if let Some(at) = self.gap_asked_at
            && now.saturating_sub(at) >= r
        {
            self.gap_asked_at = Some(now);
            Self::send(
                out,
                sync_frame::Kind::Rewind(Rewind {
                    since: self.inbound.upto,
                }),
            );
        }
        // A lost Ack leaves the sender waiting; repeating ours is cheap.
        if self.ready && self.inbound.upto > 0 && !self.applying {
            Self::send(
                out,
                sync_frame::Kind::Ack(Ack {
                    upto: self.inbound.upto,
                }),
            );
        }
    }

    fn check_caught_up(&mut self, now: Duration) {
        if self.caught_up_at.is_none()
            && self.ready
            && self.acked >= self.head
            && self.inbound.upto >= self.peer_head
            && !self.applying
        {
            self.caught_up_at = Some(now);
        }
    }
}

#[cfg(test)]
mod tests;
