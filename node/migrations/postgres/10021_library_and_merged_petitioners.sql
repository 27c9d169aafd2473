-- The owned-case libraries (包案案件库) listing a case, as JSON of its listings:
-- an office's library is read off the few cases that carry one.
ALTER TABLE node_cases ADD COLUMN library TEXT;
CREATE INDEX node_cases_in_library ON node_cases (case_no) WHERE library IS NOT NULL;
-- The cases whose petitioner staff found to be this case's (same_petitioner
-- records), as JSON of their numbers: a petitioner's history follows them.
ALTER TABLE node_cases ADD COLUMN same_petitioner TEXT;
CREATE INDEX node_cases_merged ON node_cases (case_no) WHERE same_petitioner IS NOT NULL;
-- Rows projected before these columns lack them: derive every query table again.
DELETE FROM node_meta WHERE key = 'projected_shape';
