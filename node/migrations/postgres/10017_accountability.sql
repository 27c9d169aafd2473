-- Suggested accountability cases (追责) a person dismissed, with the reason: the
-- same evidence (the key names it) is not suggested again. Local to the superior
-- that dismissed it; nothing here replicates.
CREATE TABLE accountability_dismissals (
    key          TEXT PRIMARY KEY NOT NULL,
    unit         TEXT NOT NULL,
    reason       TEXT NOT NULL,
    dismissed_by TEXT NOT NULL,
    dismissed_at TEXT NOT NULL
);
