-- The hub's tables: documents with their place in the change feed, and per-peer
-- cursors. One row per document: updating a document moves it to a new, higher
-- sequence number, so the feed after any position is "rows with seq > position".
CREATE TABLE hub_meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

CREATE TABLE hub_docs (
    doc_id        TEXT PRIMARY KEY NOT NULL,
    seq           INTEGER NOT NULL,
    scope         TEXT NOT NULL,
    heads         TEXT NOT NULL,
    -- The peer whose replica we hold exactly (not echoed back to it); NULL if ours.
    source        TEXT,
    first_seen_ms INTEGER NOT NULL,
    updated_ms    INTEGER NOT NULL,
    bytes         BLOB NOT NULL
);
CREATE UNIQUE INDEX hub_docs_seq ON hub_docs (seq);

CREATE TABLE hub_links (
    peer          TEXT PRIMARY KEY NOT NULL,
    -- How far we have durably applied the peer's feed (moves with the documents).
    peer_epoch    TEXT NOT NULL DEFAULT '',
    received_upto INTEGER NOT NULL DEFAULT 0,
    -- How far the peer has acknowledged ours (for status only).
    acked_upto    INTEGER NOT NULL DEFAULT 0,
    last_sync_ms  INTEGER
);
