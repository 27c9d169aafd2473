-- PostgreSQL twin of the SQLite migration of the same version (text compares
-- byte-wise there too: COLLATE "C"; integers are BIGINT).
-- Drafts of reception schedules live only at their unit's node until approval
-- files them as a replicated document.
CREATE TABLE node_schedule_drafts (
    unit       TEXT COLLATE "C" NOT NULL,
    month      TEXT COLLATE "C" NOT NULL,
    -- draft | reviewed
    state      TEXT COLLATE "C" NOT NULL,
    -- JSON array of entries
    entries    TEXT COLLATE "C" NOT NULL,
    -- JSON decision of the leader in charge, once reviewed
    review     TEXT COLLATE "C",
    updated_at TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (unit, month)
);

-- The leader who owns a case (包案), for owned-case quotas.
ALTER TABLE node_cases ADD COLUMN owner TEXT COLLATE "C";
ALTER TABLE node_cases ADD COLUMN owner_unit TEXT COLLATE "C";
ALTER TABLE node_cases ADD COLUMN owned_at TEXT COLLATE "C";
