-- PostgreSQL twin of the SQLite migration of the same version (text compares
-- byte-wise there too: COLLATE "C"; integers are BIGINT).
-- The node's own tables (versions 10001+; the hub's are below 10000).
-- Projections are derived from the documents and can be rebuilt from them.
CREATE TABLE node_meta (
    key   TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    value TEXT COLLATE "C" NOT NULL
);

CREATE TABLE node_cases (
    case_no       TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    unit          TEXT COLLATE "C" NOT NULL,
    petitioner    TEXT COLLATE "C" NOT NULL,
    content       TEXT COLLATE "C" NOT NULL,
    registered_at TEXT COLLATE "C" NOT NULL,
    notes         BIGINT NOT NULL,
    seq           BIGINT NOT NULL
);
CREATE INDEX node_cases_registered ON node_cases (registered_at, case_no);

-- Local sequence for case numbers: unit + year + sequence is unique without any
-- coordination because only the registering unit's node hands out its numbers.
CREATE TABLE node_case_counters (
    unit TEXT COLLATE "C" NOT NULL,
    year BIGINT NOT NULL,
    next BIGINT NOT NULL,
    PRIMARY KEY (unit, year)
);
