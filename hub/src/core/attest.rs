//! When a session asks for, answers and checks the nodes' attestations: opaque
//! frames beside the sync protocol (the node's `Attestor` makes and checks their
//! bodies). Part of the sans-IO core so that the simulator drives it too; nothing
//! here ever ends a session.

use std::time::Duration;

use xinfang_proto::v1::{Attestation, sync_frame};

use super::Rebase;
use super::{Action, LinkCore};

/// Which side of the attestation a session plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttestRole {
    /// The peer is our child: ask it at the session's start and after its
    /// batches, at most every `CoreConfig::attest_every`, and check its answers.
    Ask,
    /// The peer is our parent: answer its asks.
    Answer,
}

/// The attestation state of one session.
#[derive(Debug, Default)]
pub(super) struct Attestations {
    /// None: this node has no attestor; attestation frames are dropped.
    role: Option<AttestRole>,
    /// An ask is due (the session started, or the child's batches were applied).
    want_ask: bool,
    /// An ask is out and its answer not yet checked (or the ask is being made).
    asking: bool,
    last_ask: Option<Duration>,
    /// The child's store was replaced or restored: the next ask says so.
    rebase: Option<Rebase>,
}

impl Attestations {
    pub(super) fn start(&mut self, role: AttestRole) {
        self.role = Some(role);
        self.want_ask = role == AttestRole::Ask;
    }

    /// An attestation frame from the peer: a parent's ask is answered, a child's
    /// answer is checked; anything else (an ask from a child, an answer from a
    /// parent, no attestor) is dropped.
    pub(super) fn on_frame(&mut self, a: Attestation, out: &mut Vec<Action>) {
        match (self.role, a.ask) {
            (Some(AttestRole::Answer), true) => out.push(Action::Attest { ask: a.body }),
            (Some(AttestRole::Ask), false) => out.push(Action::CheckAttestation { answer: a.body }),
            _ => {}
        }
    }

    /// The child's batch was applied: ask again (when the interval allows).
    pub(super) fn on_applied(&mut self) {
        if self.role == Some(AttestRole::Ask) {
            self.want_ask = true;
        }
    }

    /// The attestor's ask is ready: send it (`None`: nothing to ask).
    pub(super) fn on_ask_ready(&mut self, body: Option<Vec<u8>>, out: &mut Vec<Action>) {
        match body {
            Some(body) => LinkCore::send(
                out,
                sync_frame::Kind::Attestation(Attestation { ask: true, body }),
            ),
            None => self.asking = false,
        }
    }

    /// Our answer is ready: send it (`None`: none could be made).
    pub(super) fn on_attested(&mut self, body: Option<Vec<u8>>, out: &mut Vec<Action>) {
        match body {
            Some(body) => LinkCore::send(
                out,
                sync_frame::Kind::Attestation(Attestation { ask: false, body }),
            ),
            None => self.asking = false,
        }
    }

    /// The child's store was replaced or restored (a new epoch): the next ask
    /// says so, so that what was seen of its old ledger does not bind the new.
    pub(super) fn rebase(&mut self, why: Rebase) {
        if self.role == Some(AttestRole::Ask) {
            self.rebase = Some(why);
        }
    }

    /// The child's answer was checked: the next ask may go.
    pub(super) fn on_checked(&mut self) {
        self.asking = false;
    }

    /// Asks when an ask is due, none is out, and the last was long enough ago.
    pub(super) fn maybe_ask(&mut self, now: Duration, every: Duration, out: &mut Vec<Action>) {
        if self.want_ask
            && !self.asking
            && self.last_ask.is_none_or(|t| now.saturating_sub(t) >= every)
        {
            self.want_ask = false;
            self.asking = true;
            self.last_ask = Some(now);
            out.push(Action::Ask {
                rebase: self.rebase.take(),
            });
        }
    }
}
