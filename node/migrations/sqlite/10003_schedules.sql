-- Drafts of reception schedules live only at their unit's node until approval
-- files them as a replicated document.
CREATE TABLE node_schedule_drafts (
    unit       TEXT NOT NULL,
    month      TEXT NOT NULL,
    -- draft | reviewed
    state      TEXT NOT NULL,
    -- JSON array of entries
    entries    TEXT NOT NULL,
    -- JSON decision of the leader in charge, once reviewed
    review     TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (unit, month)
);

-- The leader who owns a case (包案), for owned-case quotas.
ALTER TABLE node_cases ADD COLUMN owner TEXT;
ALTER TABLE node_cases ADD COLUMN owner_unit TEXT;
ALTER TABLE node_cases ADD COLUMN owned_at TEXT;
