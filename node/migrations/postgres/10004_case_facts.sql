-- PostgreSQL twin of the SQLite migration of the same version (text compares
-- byte-wise there too: COLLATE "C"; integers are BIGINT).
-- What reports need of each case, derived from its document (see node::report::facts).
-- Dates are YYYY-MM-DD (China Standard Time days), so they compare as text.
CREATE TABLE node_case_facts (
    case_no          TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    registered_by    TEXT COLLATE "C" NOT NULL,
    received         TEXT COLLATE "C" NOT NULL,
    month            TEXT COLLATE "C" NOT NULL,
    channel          TEXT COLLATE "C" NOT NULL,
    purpose          TEXT COLLATE "C" NOT NULL,
    category         TEXT COLLATE "C" NOT NULL,
    status           TEXT COLLATE "C" NOT NULL,
    handling_unit    TEXT COLLATE "C" NOT NULL,
    responsible_unit TEXT COLLATE "C" NOT NULL,
    accept_due       TEXT COLLATE "C",
    screened_on      TEXT COLLATE "C",
    accepted         BIGINT NOT NULL,
    reply_due        TEXT COLLATE "C",
    replied_on       TEXT COLLATE "C",
    closed_on        TEXT COLLATE "C",
    rated            BIGINT NOT NULL,
    satisfied        BIGINT,
    repeat_case      BIGINT NOT NULL,
    online           BIGINT NOT NULL,
    reviewed         BIGINT NOT NULL,
    next_due         TEXT COLLATE "C",
    next_due_kind    TEXT COLLATE "C" NOT NULL,
    next_due_unit    TEXT COLLATE "C" NOT NULL
);
CREATE INDEX node_case_facts_received ON node_case_facts (received);
CREATE INDEX node_case_facts_unit ON node_case_facts (registered_by, received);
CREATE INDEX node_case_facts_due ON node_case_facts (next_due);
CREATE INDEX node_case_facts_month ON node_case_facts (month, registered_by);
-- The earlier cases that later petitions name as repeats (one-time resolution).
CREATE INDEX node_cases_repeat_of ON node_cases (repeat_of) WHERE repeat_of IS NOT NULL;
