-- The outbox (短信告知): text messages owed to petitioners of cases registered
-- here, one row a message (`message_key`: the case document and what it
-- announces), with its attempts and when the next is due. No phone number: it is
-- read from node_pii at each attempt.
CREATE TABLE node_outbox (
    message_key TEXT PRIMARY KEY NOT NULL,
    case_no     TEXT NOT NULL,
    doc_id      TEXT NOT NULL,
    about       TEXT NOT NULL,
    text        TEXT NOT NULL,
    -- pending | delivered | failed (given up)
    state       TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_at     BIGINT NOT NULL,
    last_error  TEXT,
    queued_at   BIGINT NOT NULL,
    done_at     BIGINT
);
CREATE INDEX node_outbox_due ON node_outbox (state, next_at);
