-- Personal data in clear, only at the registering unit's node (never replicated).
CREATE TABLE node_pii (
    case_no   TEXT PRIMARY KEY NOT NULL,
    id_number TEXT,
    phone     TEXT
);

-- Query columns for list filters and matching.
ALTER TABLE node_cases ADD COLUMN id_hash TEXT;
ALTER TABLE node_cases ADD COLUMN category TEXT;
ALTER TABLE node_cases ADD COLUMN subcategory TEXT;
ALTER TABLE node_cases ADD COLUMN status TEXT NOT NULL DEFAULT 'registered';
ALTER TABLE node_cases ADD COLUMN handling_unit TEXT;
ALTER TABLE node_cases ADD COLUMN next_due TEXT;
ALTER TABLE node_cases ADD COLUMN repeat_of TEXT;
ALTER TABLE node_cases ADD COLUMN skip_level_of TEXT;
CREATE INDEX node_cases_match ON node_cases (id_hash, category);
