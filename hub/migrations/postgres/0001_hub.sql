-- The hub's tables: documents with their place in the change feed, and per-peer
-- cursors. One row per document: updating a document moves it to a new, higher
-- sequence number, so the feed after any position is "rows with seq > position".
-- (PostgreSQL twin of the SQLite migration of the same version. Text compares
-- byte-wise, as in SQLite, whatever the database's default collation.)
CREATE TABLE hub_meta (
    key   TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

CREATE TABLE hub_docs (
    doc_id        TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    seq           BIGINT NOT NULL,
    scope         TEXT NOT NULL,
    heads         TEXT NOT NULL,
    -- The peer whose replica we hold exactly (not echoed back to it); NULL if ours.
    source        TEXT,
    first_seen_ms BIGINT NOT NULL,
    updated_ms    BIGINT NOT NULL,
    bytes         BYTEA NOT NULL
);
CREATE UNIQUE INDEX hub_docs_seq ON hub_docs (seq);

CREATE TABLE hub_links (
    peer          TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    -- How far we have durably applied the peer's feed (moves with the documents).
    peer_epoch    TEXT NOT NULL DEFAULT '',
    received_upto BIGINT NOT NULL DEFAULT 0,
    -- How far the peer has acknowledged ours (for status only).
    acked_upto    BIGINT NOT NULL DEFAULT 0,
    last_sync_ms  BIGINT
);
