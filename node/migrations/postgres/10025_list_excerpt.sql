-- A case list carries the start of each demand, not all of it: the query table
-- copied the whole text (up to 10,000 characters), most of its bytes, which only
-- the case's own page shows, and that page reads the document. The column keeps
-- the first 60 characters, `…` marking a cut (the projector's `excerpt`).
ALTER TABLE node_cases RENAME COLUMN content TO excerpt;
UPDATE node_cases SET excerpt = left(excerpt, 60) || '…' WHERE char_length(excerpt) > 60;
