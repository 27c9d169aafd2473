-- Rollups per anchor unit (a unit with units below) and registration month, kept in
-- the documents' transaction from the difference of each case's entries
-- (node::report::rollup). Rows that fall to 0 are deleted.

-- A later petition names the case as repeat_of (one-time resolution needs it).
ALTER TABLE node_case_facts ADD COLUMN repeated INTEGER NOT NULL DEFAULT 0;

-- Cases per dimension value; the `all` row also counts the flags.
CREATE TABLE node_rollup_counts (
    anchor   TEXT NOT NULL,
    dim      TEXT NOT NULL,
    month    TEXT NOT NULL,
    value    TEXT NOT NULL,
    n        INTEGER NOT NULL,
    accepted INTEGER NOT NULL DEFAULT 0,
    replied  INTEGER NOT NULL DEFAULT 0,
    closed   INTEGER NOT NULL DEFAULT 0,
    repeats  INTEGER NOT NULL DEFAULT 0,
    online   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (anchor, dim, month, value)
) WITHOUT ROWID;

-- Cases entering each rate part on `day`, charged to `grp`: p{2i} the numerator,
-- p{2i+1} the denominator of the i-th rate.
CREATE TABLE node_rollup_rates (
    anchor TEXT NOT NULL,
    month  TEXT NOT NULL,
    grp    TEXT NOT NULL,
    day    TEXT NOT NULL,
    p0 INTEGER NOT NULL, p1 INTEGER NOT NULL, p2 INTEGER NOT NULL, p3 INTEGER NOT NULL,
    p4 INTEGER NOT NULL, p5 INTEGER NOT NULL, p6 INTEGER NOT NULL, p7 INTEGER NOT NULL,
    p8 INTEGER NOT NULL, p9 INTEGER NOT NULL, p10 INTEGER NOT NULL, p11 INTEGER NOT NULL,
    p12 INTEGER NOT NULL, p13 INTEGER NOT NULL, p14 INTEGER NOT NULL, p15 INTEGER NOT NULL,
    PRIMARY KEY (anchor, month, grp, day)
) WITHOUT ROWID;

-- Open deadlines by the units above the one that must act.
CREATE TABLE node_rollup_due (
    anchor TEXT NOT NULL,
    kind   TEXT NOT NULL,
    day    TEXT NOT NULL,
    n      INTEGER NOT NULL,
    PRIMARY KEY (anchor, kind, day)
) WITHOUT ROWID;

-- The overdue list of one unit, oldest deadline first.
CREATE INDEX node_case_facts_due_unit ON node_case_facts (next_due_unit, next_due);

-- Derive every query table again on the next start, rollups included.
DELETE FROM node_case_facts;
DELETE FROM node_meta WHERE key = 'projected_upto';
