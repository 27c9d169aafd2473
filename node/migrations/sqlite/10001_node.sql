-- The node's own tables (versions 10001+; the hub's are below 10000).
-- Projections are derived from the documents and can be rebuilt from them.
CREATE TABLE node_meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

CREATE TABLE node_cases (
    case_no       TEXT PRIMARY KEY NOT NULL,
    unit          TEXT NOT NULL,
    petitioner    TEXT NOT NULL,
    content       TEXT NOT NULL,
    registered_at TEXT NOT NULL,
    notes         INTEGER NOT NULL,
    seq           INTEGER NOT NULL
);
CREATE INDEX node_cases_registered ON node_cases (registered_at, case_no);

-- Local sequence for case numbers: unit + year + sequence is unique without any
-- coordination because only the registering unit's node hands out its numbers.
CREATE TABLE node_case_counters (
    unit TEXT NOT NULL,
    year INTEGER NOT NULL,
    next INTEGER NOT NULL,
    PRIMARY KEY (unit, year)
);
