-- A case flagged a major or urgent matter (重大、紧急信访事项): the first flag's
-- day, whether any flag said urgent, its reason, and while no leader owns it the
-- day one must (a superior's alerts are read from these).
ALTER TABLE node_cases ADD COLUMN major_since TEXT COLLATE "C";
ALTER TABLE node_cases ADD COLUMN major_urgent BIGINT NOT NULL DEFAULT 0;
ALTER TABLE node_cases ADD COLUMN major_reason TEXT COLLATE "C";
ALTER TABLE node_cases ADD COLUMN major_due TEXT COLLATE "C";
-- Visits to higher authorities (赴省进京上访) recorded on the case, and the day of
-- the latest: a superior's counts by unit are read from these.
ALTER TABLE node_cases ADD COLUMN higher_visits BIGINT NOT NULL DEFAULT 0;
ALTER TABLE node_cases ADD COLUMN higher_visit_last TEXT COLLATE "C";
CREATE INDEX node_cases_major ON node_cases (major_since) WHERE major_since IS NOT NULL;
-- Rows projected before these columns lack them: derive every query table again.
DELETE FROM node_meta WHERE key = 'projected_shape';
