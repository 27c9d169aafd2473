-- Drafts of duty rosters (值班安排表) live only at their unit's node until
-- approval files them as a replicated document (duty/<unit>/<span>).
CREATE TABLE node_duty_drafts (
    unit       TEXT NOT NULL,
    -- 2026-10 or 2026-national_day
    span       TEXT NOT NULL,
    -- JSON array of days with their duty leaders
    days       TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (unit, span)
);
