-- A case's bookings onto leaders' reception days (约访), as JSON: the office, the
-- day, the leader and, once recorded, whether the reception took place and what
-- it decided. A superior's filing board reads the bookings of its units below
-- from here (a missed booked case is flagged there).
ALTER TABLE node_cases ADD COLUMN receptions TEXT;
CREATE INDEX node_cases_receptions ON node_cases (case_no) WHERE receptions IS NOT NULL;
-- Rows projected before this column lack it: derive every query table again.
DELETE FROM node_meta WHERE key = 'projected_shape';
