-- The earliest supervision demand (督办) on a case's handling unit still open,
-- and who demanded it: the worklist lists them with their due days.
ALTER TABLE node_cases ADD COLUMN supervision_due TEXT;
ALTER TABLE node_cases ADD COLUMN supervised_by TEXT;
CREATE INDEX node_cases_supervision ON node_cases (handling_unit, supervision_due);
-- Rows projected before these columns lack them: derive every query table again.
DELETE FROM node_meta WHERE key = 'projected_shape';
