-- The owned-case libraries (包案案件库) listing a case, as JSON of its listings:
-- an office's library is read off the few cases that carry one.
ALTER TABLE node_cases ADD COLUMN library TEXT;
CREATE INDEX node_cases_in_library ON node_cases (case_no) WHERE library IS NOT NULL;
-- Rows projected before this column lack it: derive every query table again.
DELETE FROM node_meta WHERE key = 'projected_shape';
