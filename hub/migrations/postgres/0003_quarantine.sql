-- Documents from peers refused by the node's rules on who may write what: kept
-- whole, as received, for inspection. Nothing of them reached hub_docs.
-- (PostgreSQL twin of the SQLite migration of the same version.)
CREATE TABLE hub_quarantine (
    id          BIGINT PRIMARY KEY NOT NULL,
    peer        TEXT COLLATE "C" NOT NULL,
    doc_id      TEXT COLLATE "C" NOT NULL,
    rule        TEXT NOT NULL,
    -- The unit whose change was refused; '' when the change named none.
    author      TEXT NOT NULL,
    detail      TEXT NOT NULL,
    received_ms BIGINT NOT NULL,
    bytes       BYTEA NOT NULL
);
CREATE INDEX hub_quarantine_peer ON hub_quarantine (peer);
