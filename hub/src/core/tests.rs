//! The link core's promises, event by event.

use super::*;

fn code(s: &str) -> UnitCode {
    s.parse().unwrap()
}

fn hello_of(actions: &[Action]) -> Hello {
    actions
        .iter()
        .find_map(|a| match a {
            Action::Send(SyncFrame {
                kind: Some(sync_frame::Kind::Hello(h)),
            }) => Some(h.clone()),
            _ => None,
        })
        .expect("a hello")
}

/// The town's side of its link with the county (441521, epoch `ea`), opening
/// with a stored cursor at `upto` of the county's feed (`eb`), asking for
/// `whole_wanted` whole, its own feed at `head`.
fn town_side(upto: u64, whole_wanted: Vec<String>, head: u64) -> (LinkCore, Vec<Action>) {
    LinkCore::start(
        CoreConfig::default(),
        code("441521"),
        "ea".into(),
        None,
        code("441500"),
        Some(InboundCursor {
            epoch: "eb".into(),
            upto,
            mark: Vec::new(),
        }),
        whole_wanted,
        head,
        Duration::ZERO,
    )
}

/// The county's side of the same link (441500, epoch `eb`), its cursor at
/// `upto` of the town's feed, its own feed at `head`.
fn county_side(upto: u64, head: u64) -> (LinkCore, Vec<Action>) {
    LinkCore::start(
        CoreConfig::default(),
        code("441500"),
        "eb".into(),
        None,
        code("441521"),
        Some(InboundCursor {
            epoch: "ea".into(),
            upto,
            mark: Vec::new(),
        }),
        Vec::new(),
        head,
        Duration::ZERO,
    )
}

#[test]
fn zero_change_reconnect_sends_only_hellos() {
    let t = Duration::ZERO;
    let (mut a, acts_a) = town_side(7, Vec::new(), 9);
    let (mut b, acts_b) = county_side(9, 7);
    let ha = hello_of(&acts_a);
    let hb = hello_of(&acts_b);
    let ra = a.handle(
        t,
        Event::Frame(SyncFrame {
            kind: Some(sync_frame::Kind::Hello(hb)),
        }),
    );
    let rb = b.handle(
        t,
        Event::Frame(SyncFrame {
            kind: Some(sync_frame::Kind::Hello(ha)),
        }),
    );
    // Each answers with a reply Hello and nothing else: no scan, no batch.
    assert_eq!(ra.len(), 1);
    assert_eq!(rb.len(), 1);
    assert!(a.progress().caught_up && b.progress().caught_up);
}

#[test]
fn wrong_unit_in_hello_closes() {
    let (mut a, _) = LinkCore::start(
        CoreConfig::default(),
        code("441521"),
        "ea".into(),
        None,
        code("441500"),
        None,
        Vec::new(),
        0,
        Duration::ZERO,
    );
    let acts = a.handle(
        Duration::ZERO,
        Event::Frame(SyncFrame {
            kind: Some(sync_frame::Kind::Hello(Hello {
                protocol: PROTOCOL_VERSION,
                unit: "441599".into(),
                epoch: "x".into(),
                ..Default::default()
            })),
        }),
    );
    assert!(
        matches!(acts.last(), Some(Action::Close { error: Some((c, _)) }) if c == "wrong_unit")
    );
}

fn frame(kind: sync_frame::Kind) -> Event {
    Event::Frame(SyncFrame { kind: Some(kind) })
}

fn closed_with(actions: &[Action]) -> Option<(String, String)> {
    actions.iter().find_map(|a| match a {
        Action::Close { error } => error.clone(),
        _ => None,
    })
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn short() -> CoreConfig {
    CoreConfig {
        idle_timeout: Some(ms(1_000)),
        ..CoreConfig::default()
    }
}

/// Two started cores that have exchanged Hellos; `a_head` is a's feed head.
fn pair(cfg: CoreConfig, a_head: u64) -> (LinkCore, LinkCore) {
    let t = Duration::ZERO;
    let (mut a, acts_a) = LinkCore::start(
        cfg.clone(),
        code("441521"),
        "ea".into(),
        None,
        code("441500"),
        None,
        Vec::new(),
        a_head,
        t,
    );
    let (mut b, acts_b) = LinkCore::start(
        cfg,
        code("441500"),
        "eb".into(),
        None,
        code("441521"),
        None,
        Vec::new(),
        0,
        t,
    );
    a.handle(t, frame(sync_frame::Kind::Hello(hello_of(&acts_b))));
    b.handle(t, frame(sync_frame::Kind::Hello(hello_of(&acts_a))));
    (a, b)
}

fn batch(from: u64, upto: u64) -> Event {
    frame(sync_frame::Kind::Batch(Batch {
        from,
        upto,
        docs: Vec::new(),
        head: 100,
        mark: Vec::new(),
        packed: Default::default(),
    }))
}

#[test]
fn a_peer_that_never_says_hello_idles_out_naming_it() {
    let (mut a, _) = LinkCore::start(
        short(),
        code("441521"),
        "ea".into(),
        None,
        code("441500"),
        None,
        Vec::new(),
        0,
        Duration::ZERO,
    );
    assert!(closed_with(&a.handle(ms(999), Event::Tick)).is_none());
    let (code_, message) = closed_with(&a.handle(ms(1_000), Event::Tick)).expect("closed");
    assert_eq!(code_, "idle_timeout");
    assert!(
        message.contains("441500") && message.contains("Hello"),
        "{message}"
    );
    assert!(a.is_closed());
}

#[test]
fn a_peer_that_does_not_ack_idles_out_but_a_quiet_caught_up_link_does_not() {
    // Caught up on both sides: nobody waits, so silence is fine.
    let (mut a, mut b) = pair(short(), 0);
    for t in [5_000, 60_000, 600_000] {
        assert!(closed_with(&a.handle(ms(t), Event::Tick)).is_none());
        assert!(closed_with(&b.handle(ms(t), Event::Tick)).is_none());
    }
    assert!(!a.is_closed() && !b.is_closed());

    // a has something to send, after a long quiet spell: the clock starts when
    // the batch goes out, not at the peer's last frame.
    let (mut a, _b) = pair(short(), 0);
    let t0 = ms(30_000);
    let acts = a.handle(t0, Event::LocalHead(3));
    assert!(matches!(acts.as_slice(), [Action::Scan { .. }]), "{acts:?}");
    let acts = a.handle(
        t0,
        Event::Scanned {
            generation: 0,
            upto: 3,
            docs: Vec::new(),
            mark: Vec::new(),
        },
    );
    assert!(acts.iter().any(|x| matches!(x, Action::Send(_))));
    assert!(closed_with(&a.handle(t0 + ms(999), Event::Tick)).is_none());
    // Any frame from the peer restarts the clock.
    a.handle(t0 + ms(900), frame(sync_frame::Kind::Ack(Ack { upto: 0 })));
    assert!(closed_with(&a.handle(t0 + ms(1_500), Event::Tick)).is_none());
    let (c, m) = closed_with(&a.handle(t0 + ms(1_900), Event::Tick)).expect("closed");
    assert_eq!(c, "idle_timeout");
    assert!(m.contains("441500") && m.contains("Ack"), "{m}");
}

#[test]
fn our_own_slow_apply_is_not_the_peers_idleness() {
    let (_a, mut b) = pair(short(), 5);
    let acts = b.handle(ms(10), batch(0, 5));
    assert!(acts.iter().any(|x| matches!(x, Action::Apply { .. })));
    // b waits on its own storage, not on a: no timeout however long it takes.
    assert!(closed_with(&b.handle(ms(60_000), Event::Tick)).is_none());
    let acts = b.handle(ms(60_001), Event::Applied { upto: 5 });
    assert!(closed_with(&acts).is_none());
    assert!(closed_with(&b.handle(ms(120_000), Event::Tick)).is_none());
}

#[test]
fn a_peer_that_floods_batches_beyond_its_window_is_refused() {
    let cfg = CoreConfig::default();
    let (_a, mut b) = pair(cfg.clone(), 100);
    let t = ms(1);
    let acts = b.handle(t, batch(0, 1));
    assert!(acts.iter().any(|x| matches!(x, Action::Apply { .. })));
    // While that applies, an honest peer could have window - 1 more in flight.
    for i in 1..cfg.window as u64 {
        assert!(closed_with(&b.handle(t, batch(i, i + 1))).is_none());
    }
    // Up to the limit they are kept; one more is a flood.
    for i in cfg.window as u64..=cfg.max_queued_batches as u64 {
        assert!(closed_with(&b.handle(t, batch(i, i + 1))).is_none());
    }
    let acts = b.handle(t, batch(50, 51));
    let (c, m) = closed_with(&acts).expect("refused");
    assert_eq!(c, "flooding");
    assert!(m.contains("441521"), "{m}");
    // The peer is told why.
    assert!(acts.iter().any(|x| matches!(
        x,
        Action::Send(SyncFrame {
            kind: Some(sync_frame::Kind::Error(LinkError { code, .. }))
        }) if code == "flooding"
    )));

    // On a lossy transport the excess may be duplicates: dropped, not refused.
    let lossy = CoreConfig {
        retransmit_after: Some(ms(500)),
        ..CoreConfig::default()
    };
    let (_a, mut b) = pair(lossy.clone(), 100);
    b.handle(t, batch(0, 1));
    for i in 1..=(lossy.max_queued_batches as u64 + 5) {
        assert!(closed_with(&b.handle(t, batch(i, i + 1))).is_none());
    }
    assert!(!b.is_closed());
}

fn attestation(ask: bool, body: &[u8]) -> SyncFrame {
    SyncFrame {
        kind: Some(sync_frame::Kind::Attestation(
            xinfang_proto::v1::Attestation {
                ask,
                body: body.to_vec(),
            },
        )),
    }
}

fn asks(actions: &[Action]) -> usize {
    actions
        .iter()
        .filter(|a| matches!(a, Action::Ask { .. }))
        .count()
}

#[test]
fn a_parent_asks_at_start_and_after_batches_at_most_every_interval() {
    let cfg = CoreConfig::default();
    let every = cfg.attest_every;
    // `a` is the child (441521), `b` its parent.
    let (mut child, mut parent) = pair(cfg, 0);
    let t = Duration::ZERO;
    assert!(child.start_attesting(AttestRole::Answer, t).is_empty());
    assert_eq!(asks(&parent.start_attesting(AttestRole::Ask, t)), 1);

    // The ask travels, is answered, and the answer is checked.
    let sent = parent.handle(t, Event::AskReady(Some(vec![1])));
    assert_eq!(sent, vec![Action::Send(attestation(true, &[1]))]);
    let ask = child.handle(t, Event::Frame(attestation(true, &[1])));
    assert_eq!(ask, vec![Action::Attest { ask: vec![1] }]);
    let answer = child.handle(t, Event::Attested(Some(vec![2])));
    assert_eq!(answer, vec![Action::Send(attestation(false, &[2]))]);
    let check = parent.handle(t, Event::Frame(attestation(false, &[2])));
    assert_eq!(check, vec![Action::CheckAttestation { answer: vec![2] }]);
    assert_eq!(
        asks(&parent.handle(t, Event::AttestationChecked { went_back: None })),
        0
    );

    // Frames the wrong way round are dropped.
    assert!(
        parent
            .handle(t, Event::Frame(attestation(true, &[3])))
            .is_empty()
    );
    assert!(
        child
            .handle(t, Event::Frame(attestation(false, &[3])))
            .is_empty()
    );

    // After the child's batch: asked again, but not before the interval.
    let soon = t + every / 2;
    assert_eq!(asks(&parent.handle(soon, Event::Applied { upto: 0 })), 0);
    assert_eq!(asks(&parent.handle(t + every, Event::Tick)), 1);
    // One ask outstanding: nothing more until it is answered and checked.
    parent.handle(t + every, Event::Applied { upto: 0 });
    assert_eq!(asks(&parent.handle(t + every * 3, Event::Tick)), 0);
    // An ask that had nothing to ask frees the next at once.
    let next = parent.handle(t + every * 3, Event::AskReady(None));
    assert_eq!(asks(&next), 1);
    assert!(!parent.is_closed() && !child.is_closed());
}

#[test]
fn ack_saves_are_coalesced_one_in_flight_the_latest_waiting() {
    let (mut a, _b) = pair(CoreConfig::default(), 10);
    let t = Duration::ZERO;
    let ack = |upto| {
        Event::Frame(SyncFrame {
            kind: Some(sync_frame::Kind::Ack(Ack { upto })),
        })
    };
    let saved = |actions: &[Action]| -> Vec<u64> {
        actions
            .iter()
            .filter_map(|x| match x {
                Action::Acked(u) => Some(*u),
                _ => None,
            })
            .collect()
    };
    assert_eq!(saved(&a.handle(t, ack(3))), [3]);
    assert!(saved(&a.handle(t, ack(5))).is_empty());
    assert!(saved(&a.handle(t, ack(7))).is_empty());
    assert_eq!(saved(&a.handle(t, Event::AckSaved)), [7]);
    assert!(saved(&a.handle(t, Event::AckSaved)).is_empty());
    assert_eq!(a.progress().acked, 7);
}

#[test]
fn a_child_whose_ledger_went_back_is_told_so() {
    let t = Duration::ZERO;
    let (_child, mut parent) = pair(CoreConfig::default(), 3);
    parent.start_attesting(AttestRole::Ask, t);
    parent.handle(t, Event::AskReady(Some(vec![1])));
    parent.handle(t, Event::Frame(attestation(false, &[2])));
    let out = parent.handle(
        t,
        Event::AttestationChecked {
            went_back: Some("entries removed".into()),
        },
    );
    let (code, message) = closed_with(&out).expect("the session ends");
    assert_eq!(code, LEDGER_WENT_BACK);
    assert!(message.contains("entries removed"), "{message}");
    assert!(
        out.iter().any(|a| matches!(a, Action::Send(SyncFrame {
            kind: Some(sync_frame::Kind::Error(LinkError { code, .. }))
        }) if code == LEDGER_WENT_BACK)),
        "the child is told why: {out:?}"
    );
}

/// A Hello from a peer whose store has a new epoch (replaced or restored), or
/// that says it is recovering: our feed goes to it from the start, including what
/// came from it, and the parent's next ask rebases the child's ledger.
#[test]
fn a_peer_with_a_new_epoch_or_recovering_gets_everything_back() {
    let t = Duration::ZERO;
    for (stored_epoch, their_epoch, recovering) in [("old", "new", false), ("same", "same", true)] {
        let (mut parent, _) = LinkCore::start(
            CoreConfig::default(),
            code("441500"),
            "eb".into(),
            None,
            code("441521"),
            Some(InboundCursor {
                epoch: stored_epoch.into(),
                upto: 5,
                mark: Vec::new(),
            }),
            Vec::new(),
            9,
            t,
        );
        parent.start_attesting(AttestRole::Ask, t);
        let out = parent.handle(
            t,
            frame(sync_frame::Kind::Hello(Hello {
                protocol: PROTOCOL_VERSION,
                unit: "441521".into(),
                epoch: their_epoch.into(),
                known_epoch: "eb".into(),
                since: 9,
                head: 5,
                reply: false,
                recovering,
                restored: false,
                known_mark: Vec::new(),
                clock_ms: 0,
                whole: Vec::new(),
            })),
        );
        let scan = out.iter().find_map(|a| match a {
            Action::Scan { after, echo, .. } => Some((*after, *echo)),
            _ => None,
        });
        assert_eq!(
            scan,
            Some((0, true)),
            "{stored_epoch}/{their_epoch}: {out:?}"
        );
        let rebase = out.iter().find_map(|a| match a {
            Action::Ask { rebase } => Some(*rebase),
            _ => None,
        });
        // A new epoch, or a peer that says it recovers, has its ledger read afresh.
        assert_eq!(rebase, Some(Some(Rebase::Replaced)));
    }
}

/// A peer names the mark our store gave with the last batch it applied: nothing
/// of our feed goes out until our store is found to hold it; a store that does
/// not (put back from an older copy) ends the session to recover.
#[test]
fn a_store_checks_the_mark_its_peer_saw_before_it_streams_its_feed() {
    let t = Duration::ZERO;
    for holds in [true, false] {
        let (mut child, _) = LinkCore::start(
            CoreConfig::default(),
            code("441521"),
            "ea".into(),
            None,
            code("441500"),
            None,
            Vec::new(),
            12,
            t,
        );
        child.start_attesting(AttestRole::Answer, t);
        let out = child.handle(
            t,
            frame(sync_frame::Kind::Hello(Hello {
                protocol: PROTOCOL_VERSION,
                unit: "441500".into(),
                epoch: "eb".into(),
                known_epoch: "ea".into(),
                since: 10,
                head: 0,
                reply: false,
                recovering: false,
                restored: false,
                known_mark: vec![7; 40],
                clock_ms: 0,
                whole: Vec::new(),
            })),
        );
        assert!(
            out.contains(&Action::CheckMark { mark: vec![7; 40] }),
            "{out:?}"
        );
        assert!(
            !out.iter().any(|a| matches!(a, Action::Scan { .. })),
            "no scan before the check: {out:?}"
        );
        let after = child.handle(t, Event::MarkChecked { holds });
        if holds {
            assert!(
                after
                    .iter()
                    .any(|a| matches!(a, Action::Scan { after: 10, .. })),
                "{after:?}"
            );
        } else {
            let (code, _) = closed_with(&after).expect("the session ends");
            assert_eq!(code, STORE_WENT_BACK);
            assert!(!after.iter().any(|a| matches!(a, Action::Scan { .. })));
        }
    }
}

/// A recovering store says so and asks each peer's feed from its start, whatever
/// its (restored) cursor says it had.
#[test]
fn a_recovering_store_asks_for_everything_again() {
    let (_core, out) = LinkCore::start(
        CoreConfig::default(),
        code("441521"),
        "ea2".into(),
        Some(Recovering::Restored),
        code("441500"),
        Some(InboundCursor {
            epoch: "eb".into(),
            upto: 8,
            mark: vec![1; 40],
        }),
        Vec::new(),
        3,
        Duration::ZERO,
    );
    let h = hello_of(&out);
    assert!(h.recovering && h.restored);
    assert_eq!((h.known_epoch.as_str(), h.since), ("eb", 0));
    assert_eq!(
        h.known_mark,
        vec![1; 40],
        "the parent may still check its own store"
    );
}

fn hello_from_parent(known_epoch: &str, since: u64, reply: bool, known_mark: Vec<u8>) -> Event {
    frame(sync_frame::Kind::Hello(Hello {
        protocol: PROTOCOL_VERSION,
        unit: "441500".into(),
        epoch: "eb".into(),
        known_epoch: known_epoch.into(),
        since,
        head: 0,
        reply,
        recovering: false,
        restored: false,
        known_mark,
        clock_ms: 0,
        whole: Vec::new(),
    }))
}

fn child_with_epochs(epoch: &str, own: &[&str], recovery: Option<Recovering>) -> LinkCore {
    let (mut child, _) = LinkCore::start(
        CoreConfig::default(),
        code("441521"),
        epoch.into(),
        recovery,
        code("441500"),
        None,
        Vec::new(),
        5,
        Duration::ZERO,
    );
    child.start_attesting(AttestRole::Answer, Duration::ZERO);
    child.know_own_epochs(own.iter().map(|e| e.to_string()).collect());
    child
}

/// A store put back behind a newer copy of itself (or rebuilt) whose peer holds
/// its feed under an epoch it never had recovers, whatever position the peer
/// names (a recovering peer names 0) and whichever of the peer's Hellos comes
/// first. An epoch of its own past, or a store already recovering, goes on.
#[test]
fn a_store_whose_peer_knew_an_epoch_it_never_had_recovers() {
    let t = Duration::ZERO;
    for since in [0, 9] {
        let mut child = child_with_epochs("e0", &["e0"], None);
        let out = child.handle(t, hello_from_parent("e1", since, false, vec![7; 40]));
        let (code, message) = closed_with(&out).expect("the session ends");
        assert_eq!(code, STORE_WENT_BACK);
        assert!(message.contains("e1"), "{message}");
    }
    // The peer's reply (already reset to our epoch) overtook its first Hello.
    let mut child = child_with_epochs("e0", &["e0"], None);
    let out = child.handle(t, hello_from_parent("e0", 0, true, Vec::new()));
    assert!(closed_with(&out).is_none(), "{out:?}");
    let out = child.handle(t, hello_from_parent("e1", 4, false, vec![7; 40]));
    assert_eq!(
        closed_with(&out).map(|c| c.0).as_deref(),
        Some(STORE_WENT_BACK)
    );
    // Our own earlier epoch, or a store that already recovers: no alarm.
    let mut child = child_with_epochs("e2", &["e0", "e1", "e2"], None);
    let out = child.handle(t, hello_from_parent("e1", 9, false, vec![7; 40]));
    assert!(closed_with(&out).is_none(), "{out:?}");
    let mut child = child_with_epochs("e3", &["e0", "e3"], Some(Recovering::Restored));
    let out = child.handle(t, hello_from_parent("e1", 9, false, vec![7; 40]));
    assert!(closed_with(&out).is_none(), "{out:?}");
}

/// On a lossy transport the peer's reply Hello may arrive before its first: the
/// mark the first one names is checked all the same, once.
#[test]
fn a_mark_in_an_overtaken_hello_is_still_checked() {
    let t = Duration::ZERO;
    let mut child = child_with_epochs("ea", &["ea"], None);
    let out = child.handle(t, hello_from_parent("ea", 0, true, Vec::new()));
    assert!(!out.iter().any(|a| matches!(a, Action::CheckMark { .. })));
    let out = child.handle(t, hello_from_parent("ea", 10, false, vec![7; 40]));
    assert!(
        out.contains(&Action::CheckMark { mark: vec![7; 40] }),
        "{out:?}"
    );
    let again = child.handle(t, hello_from_parent("ea", 10, false, vec![7; 40]));
    assert!(
        !again.iter().any(|a| matches!(a, Action::CheckMark { .. })),
        "checked once: {again:?}"
    );
    let out = child.handle(t, Event::MarkChecked { holds: false });
    assert_eq!(
        closed_with(&out).map(|c| c.0).as_deref(),
        Some(STORE_WENT_BACK)
    );
}

/// A peer whose feed ends before what we applied of it under the same epoch
/// went back in time: the session ends saying so (the peer recovers), rather
/// than starting over and losing the proof with the next saved cursor.
#[test]
fn a_peer_whose_feed_is_shorter_than_we_applied_is_told_it_went_back() {
    let t = Duration::ZERO;
    // A parent that applied the child's feed up to 8 under epoch "ea".
    let parent = || {
        LinkCore::start(
            CoreConfig::default(),
            code("441500"),
            "eb".into(),
            None,
            code("441521"),
            Some(InboundCursor {
                epoch: "ea".into(),
                upto: 8,
                mark: vec![1; 40],
            }),
            Vec::new(),
            0,
            t,
        )
        .0
    };
    let hello = |head| {
        frame(sync_frame::Kind::Hello(Hello {
            protocol: PROTOCOL_VERSION,
            unit: "441521".into(),
            epoch: "ea".into(),
            known_epoch: "eb".into(),
            since: 0,
            head,
            reply: false,
            recovering: false,
            restored: false,
            known_mark: Vec::new(),
            clock_ms: 0,
            whole: Vec::new(),
        }))
    };
    let out = parent().handle(t, hello(3));
    let (why, message) = closed_with(&out).expect("the session ends");
    assert_eq!(why, FEED_WENT_BACK);
    assert!(
        message.contains("ends at 3") && message.contains("up to 8"),
        "{message}"
    );
    assert!(
        out.iter().any(|a| matches!(
            a,
            Action::Send(SyncFrame { kind: Some(sync_frame::Kind::Error(e)) }) if e.code == FEED_WENT_BACK
        )),
        "the peer is told: {out:?}"
    );
    // A feed at or past our cursor is no proof of anything.
    assert!(closed_with(&parent().handle(t, hello(8))).is_none());
}

/// Which ends of a session make the node recover: its own finding, a peer's
/// `feed_went_back`, and `ledger_went_back` from its parent only.
#[test]
fn the_ends_that_prove_a_store_went_back() {
    assert!(proves_we_went_back(STORE_WENT_BACK, false));
    assert!(!proves_we_went_back(
        &format!("peer_{STORE_WENT_BACK}"),
        true
    ));
    assert!(proves_we_went_back(
        &format!("peer_{FEED_WENT_BACK}"),
        false
    ));
    assert!(!proves_we_went_back(FEED_WENT_BACK, true));
    assert!(proves_we_went_back(
        &format!("peer_{LEDGER_WENT_BACK}"),
        true
    ));
    assert!(!proves_we_went_back(
        &format!("peer_{LEDGER_WENT_BACK}"),
        false
    ));
    assert!(!proves_we_went_back("idle_timeout", true));
}

/// What one side could not apply as changes it asks for whole in its Hello; the
/// other side's scans carry that list, and it grows with a later Hello.
#[test]
fn documents_asked_for_whole_travel_in_the_hello_to_the_scans() {
    let t = Duration::ZERO;
    let (mut a, acts_a) = town_side(3, vec!["doc-b".into()], 9);
    let (mut b, _) = county_side(2, 7);
    let hello = hello_of(&acts_a);
    assert_eq!(hello.whole, vec!["doc-b".to_owned()]);
    let scans = |acts: &[Action]| -> Vec<Vec<String>> {
        acts.iter()
            .filter_map(|a| match a {
                Action::Scan { whole, .. } => Some(whole.clone()),
                _ => None,
            })
            .collect()
    };
    let out = b.handle(t, frame(sync_frame::Kind::Hello(hello.clone())));
    assert_eq!(scans(&out), vec![vec!["doc-b".to_owned()]]);
    let generation = out
        .iter()
        .find_map(|a| match a {
            Action::Scan { generation, .. } => Some(*generation),
            _ => None,
        })
        .expect("a scan");
    // A's own scans carry nothing asked of it.
    let out = a.handle(t, frame(sync_frame::Kind::Hello(hello_of(&out))));
    assert!(!scans(&out).is_empty());
    assert!(scans(&out).iter().all(Vec::is_empty), "{out:?}");
    // A retransmitted Hello naming one more adds it: the next scan carries both.
    let more = Hello {
        whole: vec!["doc-b".into(), "doc-c".into()],
        ..hello
    };
    b.handle(t, frame(sync_frame::Kind::Hello(more)));
    let out = b.handle(
        t,
        Event::Scanned {
            generation,
            upto: 3,
            docs: Vec::new(),
            mark: Vec::new(),
        },
    );
    assert_eq!(
        scans(&out),
        vec![vec!["doc-b".to_owned(), "doc-c".to_owned()]]
    );
}
