-- The node's tamper-evident ledger (docs/ledger.md): one entry per document a
-- commit wrote (local or from a peer) and per audit line, appended in the
-- transaction that commits what it records. hash = SHA-256(prev_hash ||
-- SHA-256(canonical entry)), hex; the first entry's prev_hash is 64 zeros.
CREATE TABLE node_ledger (
    seq       INTEGER PRIMARY KEY NOT NULL,
    at_ms     INTEGER NOT NULL,
    -- local | remote | audit | view
    kind      TEXT NOT NULL,
    doc_id    TEXT NOT NULL,
    -- the acting user (audit, view); '' for document commits (records name theirs)
    actor     TEXT NOT NULL,
    -- the peer a remote change came from
    peer      TEXT NOT NULL,
    -- the document's heads after the commit, or the audit line
    detail    TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);

-- Parent side: the ledger head each child last attested, and whether a child's
-- chain ever failed to extend what was seen (sticky until acknowledged).
CREATE TABLE node_ledger_peers (
    peer        TEXT PRIMARY KEY NOT NULL,
    seen_seq    INTEGER NOT NULL,
    seen_hash   TEXT NOT NULL,
    seen_ms     INTEGER NOT NULL,
    -- 0 unless flagged and not yet acknowledged
    flagged_ms  INTEGER NOT NULL DEFAULT 0,
    flag_reason TEXT NOT NULL DEFAULT '',
    flags       INTEGER NOT NULL DEFAULT 0
);

-- Integrity alerts held here (this node's and those replicated from below), from
-- their document ids (alert/<reporting unit>/<flagged unit>/<ms>).
CREATE TABLE node_integrity_alerts (
    doc_id   TEXT PRIMARY KEY NOT NULL,
    reporter TEXT NOT NULL,
    subject  TEXT NOT NULL,
    at_ms    INTEGER NOT NULL
);
