-- The earliest supervision demand (督办) on a case's handling unit still open,
-- and who demanded it: the worklist lists them with their due days.
ALTER TABLE node_cases ADD COLUMN supervision_due TEXT;
ALTER TABLE node_cases ADD COLUMN supervised_by TEXT;
CREATE INDEX node_cases_supervision ON node_cases (handling_unit, supervision_due);
-- The worklist's order (soonest deadline first, cases without one last), so a
-- page is read off the index instead of sorting every open case of a city.
CREATE INDEX node_cases_by_deadline
    ON node_cases ((next_due IS NULL), next_due, registered_at DESC, case_no DESC);
-- Rows projected before these columns lack them: derive every query table again.
DELETE FROM node_meta WHERE key = 'projected_shape';
