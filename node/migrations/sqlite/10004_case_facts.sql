-- What reports need of each case, derived from its document (see node::report::facts).
-- Dates are YYYY-MM-DD (China Standard Time days), so they compare as text.
CREATE TABLE node_case_facts (
    case_no          TEXT PRIMARY KEY NOT NULL,
    registered_by    TEXT NOT NULL,
    received         TEXT NOT NULL,
    month            TEXT NOT NULL,
    channel          TEXT NOT NULL,
    purpose          TEXT NOT NULL,
    category         TEXT NOT NULL,
    status           TEXT NOT NULL,
    handling_unit    TEXT NOT NULL,
    responsible_unit TEXT NOT NULL,
    accept_due       TEXT,
    screened_on      TEXT,
    accepted         INTEGER NOT NULL,
    reply_due        TEXT,
    replied_on       TEXT,
    closed_on        TEXT,
    rated            INTEGER NOT NULL,
    satisfied        INTEGER,
    repeat_case      INTEGER NOT NULL,
    online           INTEGER NOT NULL,
    reviewed         INTEGER NOT NULL,
    next_due         TEXT,
    next_due_kind    TEXT NOT NULL,
    next_due_unit    TEXT NOT NULL
);
CREATE INDEX node_case_facts_received ON node_case_facts (received);
CREATE INDEX node_case_facts_unit ON node_case_facts (registered_by, received);
CREATE INDEX node_case_facts_due ON node_case_facts (next_due);
CREATE INDEX node_case_facts_month ON node_case_facts (month, registered_by);
-- The earlier cases that later petitions name as repeats (one-time resolution).
CREATE INDEX node_cases_repeat_of ON node_cases (repeat_of) WHERE repeat_of IS NOT NULL;
