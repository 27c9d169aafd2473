-- PostgreSQL twin of the SQLite migration of the same version (text compares
-- byte-wise there too: COLLATE "C"; integers are BIGINT).
-- Rollups per anchor unit (a unit with units below) and registration month, kept in
-- the documents' transaction from the difference of each case's entries
-- (node::report::rollup). Rows that fall to 0 are deleted.

-- A later petition names the case as repeat_of (one-time resolution needs it).
ALTER TABLE node_case_facts ADD COLUMN repeated BIGINT NOT NULL DEFAULT 0;

-- Cases per dimension value; the `all` row also counts the flags.
CREATE TABLE node_rollup_counts (
    anchor   TEXT COLLATE "C" NOT NULL,
    dim      TEXT COLLATE "C" NOT NULL,
    month    TEXT COLLATE "C" NOT NULL,
    value    TEXT COLLATE "C" NOT NULL,
    n        BIGINT NOT NULL,
    accepted BIGINT NOT NULL DEFAULT 0,
    replied  BIGINT NOT NULL DEFAULT 0,
    closed   BIGINT NOT NULL DEFAULT 0,
    repeats  BIGINT NOT NULL DEFAULT 0,
    online   BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (anchor, dim, month, value)
);

-- Cases entering each rate part on `day`, charged to `grp`: p{2i} the numerator,
-- p{2i+1} the denominator of the i-th rate.
CREATE TABLE node_rollup_rates (
    anchor TEXT COLLATE "C" NOT NULL,
    month  TEXT COLLATE "C" NOT NULL,
    grp    TEXT COLLATE "C" NOT NULL,
    day    TEXT COLLATE "C" NOT NULL,
    p0 BIGINT NOT NULL, p1 BIGINT NOT NULL, p2 BIGINT NOT NULL, p3 BIGINT NOT NULL,
    p4 BIGINT NOT NULL, p5 BIGINT NOT NULL, p6 BIGINT NOT NULL, p7 BIGINT NOT NULL,
    p8 BIGINT NOT NULL, p9 BIGINT NOT NULL, p10 BIGINT NOT NULL, p11 BIGINT NOT NULL,
    p12 BIGINT NOT NULL, p13 BIGINT NOT NULL, p14 BIGINT NOT NULL, p15 BIGINT NOT NULL,
    PRIMARY KEY (anchor, month, grp, day)
);

-- Open deadlines by the units above the one that must act.
CREATE TABLE node_rollup_due (
    anchor TEXT COLLATE "C" NOT NULL,
    kind   TEXT COLLATE "C" NOT NULL,
    day    TEXT COLLATE "C" NOT NULL,
    n      BIGINT NOT NULL,
    PRIMARY KEY (anchor, kind, day)
);

-- The overdue list of one unit, oldest deadline first.
CREATE INDEX node_case_facts_due_unit ON node_case_facts (next_due_unit, next_due);

-- Derive every query table again on the next start, rollups included.
DELETE FROM node_case_facts;
DELETE FROM node_meta WHERE key = 'projected_upto';
