-- A petitioner's phone as the federation's keyed hash, replicated in the case's
-- details like the identity number's: a petitioner's history by phone across
-- the subtree (the number itself stays at the registering node).
ALTER TABLE node_cases ADD COLUMN phone_hash TEXT;
CREATE INDEX node_cases_phone_hash ON node_cases (phone_hash);
-- Rows projected before this column lack it: derive every query table again.
DELETE FROM node_meta WHERE key = 'projected_shape';
