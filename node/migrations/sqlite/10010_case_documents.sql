-- A case's document id is its case number and the registration's random nonce
-- (docid.rs), so that two registrations never share a document. node_cases
-- names the document that holds each number; cases from before the nonce have
-- the number as their id (NULL here).
ALTER TABLE node_cases ADD COLUMN doc_id TEXT;

-- Registrations whose case number another, earlier registration holds: a store
-- that went back in time handed the number out again before it recovered. Kept
-- and listed, never merged; each opens by its document id.
CREATE TABLE node_case_collisions (
    doc_id        TEXT PRIMARY KEY NOT NULL,
    case_no       TEXT NOT NULL,
    registered_at TEXT NOT NULL,
    seen_ms       BIGINT NOT NULL
);
CREATE INDEX node_case_collisions_no ON node_case_collisions (case_no);
