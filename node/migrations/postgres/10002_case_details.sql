-- PostgreSQL twin of the SQLite migration of the same version (text compares
-- byte-wise there too: COLLATE "C"; integers are BIGINT).
-- Personal data in clear, only at the registering unit's node (never replicated).
CREATE TABLE node_pii (
    case_no   TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    id_number TEXT COLLATE "C",
    phone     TEXT COLLATE "C"
);

-- Query columns for list filters and matching.
ALTER TABLE node_cases ADD COLUMN id_hash TEXT COLLATE "C";
ALTER TABLE node_cases ADD COLUMN category TEXT COLLATE "C";
ALTER TABLE node_cases ADD COLUMN subcategory TEXT COLLATE "C";
ALTER TABLE node_cases ADD COLUMN status TEXT COLLATE "C" NOT NULL DEFAULT 'registered';
ALTER TABLE node_cases ADD COLUMN handling_unit TEXT COLLATE "C";
ALTER TABLE node_cases ADD COLUMN next_due TEXT COLLATE "C";
ALTER TABLE node_cases ADD COLUMN repeat_of TEXT COLLATE "C";
ALTER TABLE node_cases ADD COLUMN skip_level_of TEXT COLLATE "C";
CREATE INDEX node_cases_match ON node_cases (id_hash, category);
