-- Documents from peers refused by the node's rules on who may write what: kept
-- whole, as received, for inspection. Nothing of them reached hub_docs.
CREATE TABLE hub_quarantine (
    id          INTEGER PRIMARY KEY NOT NULL,
    peer        TEXT NOT NULL,
    doc_id      TEXT NOT NULL,
    rule        TEXT NOT NULL,
    -- The unit whose change was refused; '' when the change named none.
    author      TEXT NOT NULL,
    detail      TEXT NOT NULL,
    received_ms INTEGER NOT NULL,
    bytes       BLOB NOT NULL
);
CREATE INDEX hub_quarantine_peer ON hub_quarantine (peer);
