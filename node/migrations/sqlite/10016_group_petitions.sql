-- How many people came with a petition (集体访: 5 or more, `case::is_group_visit`):
-- counted by unit in the group-petitions report and against responsibility
-- letters' group-petition ceilings.
ALTER TABLE node_cases ADD COLUMN head_count INTEGER NOT NULL DEFAULT 0;
CREATE INDEX node_cases_group ON node_cases (head_count);
-- Rows projected before this column lack it: derive every query table again.
DELETE FROM node_meta WHERE key = 'projected_shape';
