-- The version each document's latest write replaced: its feed position, heads
-- and (where it differed) scope. A peer past that position, to which that scope
-- routes, holds it, and is sent only the changes since.
ALTER TABLE hub_docs ADD COLUMN prior_seq INTEGER;
ALTER TABLE hub_docs ADD COLUMN prior_heads TEXT;
ALTER TABLE hub_docs ADD COLUMN prior_scope TEXT;
