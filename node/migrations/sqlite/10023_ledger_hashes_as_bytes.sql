-- The ledger's hashes as their 32 bytes rather than 64 hex characters: a third
-- of an entry was its two hashes spelt out. A stored hash that is not hex (a
-- damaged entry) keeps its characters as bytes, so that `verify` still names it.
CREATE TABLE node_ledger_bytes (
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
    prev_hash BLOB NOT NULL,
    hash      BLOB NOT NULL
);
INSERT INTO node_ledger_bytes
SELECT seq, at_ms, kind, doc_id, actor, peer, detail,
       CASE WHEN length(prev_hash) = 64 AND unhex(prev_hash) IS NOT NULL
            THEN unhex(prev_hash) ELSE CAST(prev_hash AS BLOB) END,
       CASE WHEN length(hash) = 64 AND unhex(hash) IS NOT NULL
            THEN unhex(hash) ELSE CAST(hash AS BLOB) END
FROM node_ledger;
DROP TABLE node_ledger;
ALTER TABLE node_ledger_bytes RENAME TO node_ledger;
