//! What the link core is fed and answers with: its configuration, the
//! [`Event`]s and [`Action`]s, where the link stands ([`Progress`]), and the error
//! codes that prove a store went back in time.

use std::time::Duration;

use xinfang_proto::v1::{DocEntry, SyncFrame};

#[derive(Debug, Clone)]
pub struct CoreConfig {
    /// Unacknowledged batches allowed in flight (backpressure).
    pub window: usize,
    /// Resend Hello if the peer's has not arrived after this long.
    pub hello_retry: Duration,
    /// Resend unacknowledged batches (and repeat a Rewind) after this long.
    /// `None` on reliable, ordered transports such as a gRPC stream.
    pub retransmit_after: Option<Duration>,
    /// End the session when the peer has sent nothing for this long while we wait
    /// on it (its Hello, an Ack for our batches, the batches a Rewind asked for).
    /// A session where both sides are caught up waits on nobody and never idles
    /// out (the transport's keepalive watches the connection). `None`: never (the
    /// simulator, whose partitions are meant to heal within a session).
    pub idle_timeout: Option<Duration>,
    /// Batches the peer may have waiting while one of its batches is applied. An
    /// honest peer stays within its window (`window - 1` waiting), so more is a
    /// flood: on a reliable transport (`retransmit_after` is `None`) the link is
    /// refused with `flooding`; on a lossy one the excess is dropped (a duplicate
    /// is no flood) and recovered by Rewind.
    pub max_queued_batches: usize,
    /// A parent asks a child for a fresh attestation after the child's batches at
    /// most this often (and once at the start of every session).
    pub attest_every: Duration,
}

impl Default for CoreConfig {
    fn default() -> Self {
        CoreConfig {
            window: 4,
            hello_retry: Duration::from_secs(5),
            retransmit_after: None,
            idle_timeout: Some(Duration::from_secs(60)),
            max_queued_batches: 8,
            attest_every: Duration::from_secs(5),
        }
    }
}

/// What we have durably applied of a peer's feed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InboundCursor {
    pub epoch: String,
    pub upto: u64,
    /// The peer's mark with the last batch applied (empty: none).
    pub mark: Vec<u8>,
}

#[derive(Debug)]
pub enum Event {
    Frame(SyncFrame),
    /// Our feed's head moved (local write or a change merged from another link).
    LocalHead(u64),
    /// Result of `Action::Scan` with the same `generation`.
    Scanned {
        generation: u64,
        upto: u64,
        docs: Vec<DocEntry>,
        /// Our attestor's mark of our store, read after the scan (empty: none).
        mark: Vec<u8>,
    },
    /// `Action::Apply` committed durably.
    Applied {
        upto: u64,
    },
    /// `Action::Scan` or `Action::Apply` failed; the link must close.
    Failed {
        code: String,
        message: String,
    },
    Tick,
    /// Result of `Action::Ask`: what to ask the peer (`None`: nothing).
    AskReady(Option<Vec<u8>>),
    /// Result of `Action::Attest`: our answer (`None`: none could be made).
    Attested(Option<Vec<u8>>),
    /// `Action::CheckAttestation` finished (the attestor records the outcome).
    /// `went_back`: the child's store does not extend what was seen of it (why):
    /// the session ends with `STORE_WENT_BACK` so that the child recovers.
    AttestationChecked {
        went_back: Option<String>,
    },
    /// `Action::CheckMark` finished: whether our store holds the mark.
    MarkChecked {
        holds: bool,
    },
    /// `Action::Acked` was saved; the next may go.
    AckSaved,
}

#[derive(Debug, PartialEq)]
pub enum Action {
    Send(SyncFrame),
    /// Read our feed after `after`, keeping documents routed to the peer.
    Scan {
        generation: u64,
        after: u64,
        /// Include what came from the peer (it is recovering, or its store was
        /// replaced: it may have lost what it sent us).
        echo: bool,
        /// Documents the peer asked for whole (it lacks the version their
        /// changes would build on).
        whole: Vec<String>,
    },
    /// Durably merge `docs` and move the peer's cursor to `(peer_epoch, upto)`.
    Apply {
        peer_epoch: String,
        upto: u64,
        docs: Vec<DocEntry>,
        /// The peer's mark with the batch, saved with the cursor.
        mark: Vec<u8>,
    },
    /// Ask our attestor whether our store still holds `mark` (what the peer saw
    /// of it); answer with `Event::MarkChecked`. Nothing of our feed goes out
    /// until it answers.
    CheckMark {
        mark: Vec<u8>,
    },
    /// Save that the peer has applied our feed up to here (for status; not needed
    /// for safety). At most one is outstanding: answer with `Event::AckSaved`; a
    /// newer value waits and the latest wins.
    Acked(u64),
    /// Ask the node's attestor what to ask the peer (our child); answer with
    /// `Event::AskReady`. `rebase`: the child's store was replaced or restored
    /// (a new epoch), so what was seen of its ledger before no longer binds it.
    Ask {
        rebase: Option<Rebase>,
    },
    /// Answer the peer's (our parent's) ask with the attestor; answer with
    /// `Event::Attested`.
    Attest {
        ask: Vec<u8>,
    },
    /// Check the peer's (our child's) answer with the attestor; answer with
    /// `Event::AttestationChecked`.
    CheckAttestation {
        answer: Vec<u8>,
    },
    /// End the link. `error` is set when it ends because something went wrong.
    Close {
        error: Option<(String, String)>,
    },
}

/// Where the link stands, for status reporting.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    pub ready: bool,
    pub head: u64,
    pub sent: u64,
    pub acked: u64,
    pub received: u64,
    pub peer_head: u64,
    /// Both directions have caught up at least once in this session.
    pub caught_up: bool,
    /// When they first did (the session's time, as given to the core).
    pub caught_up_at: Option<Duration>,
    /// Both directions are caught up right now.
    pub in_sync: bool,
}

/// Why our store is recovering, as our Hello says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recovering {
    /// It was found behind what a peer saw of it.
    WentBack,
    /// Its operator restored a backup (declared).
    Restored,
}

/// Why a child's ledger is checked from its start again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rebase {
    /// Its operator restored a backup (`xinfang admin restore`).
    Restored,
    /// Its store changed epoch with no restore declared.
    Replaced,
}

/// The code of the error that ends a session when this node finds that its own
/// store does not hold what the peer saw of it (it went back in time): the node
/// begins a recovery.
pub const STORE_WENT_BACK: &str = "store_went_back";
/// The code of the error a parent ends a session with when the child's ledger
/// does not extend what it saw: the child begins a recovery.
pub const LEDGER_WENT_BACK: &str = "ledger_went_back";
/// The code of the error a node ends a session with when the peer's feed is
/// shorter than what it applied of it under the same epoch: the peer begins a
/// recovery.
pub const FEED_WENT_BACK: &str = "feed_went_back";

/// Whether a session that ended with error `code` proves our store went back in
/// time, so that we recover before syncing again: we found it ourselves (our
/// store does not hold what the peer saw of it, or the peer holds our feed under
/// an epoch we never had), the peer applied more of our feed than we now have,
/// or our parent found our ledger behind what it saw. The one rule the driver
/// and the simulator both follow.
pub fn proves_we_went_back(code: &str, peer_is_our_parent: bool) -> bool {
    match code.strip_prefix("peer_") {
        None => code == STORE_WENT_BACK,
        Some(theirs) => {
            theirs == FEED_WENT_BACK || (peer_is_our_parent && theirs == LEDGER_WENT_BACK)
        }
    }
}
