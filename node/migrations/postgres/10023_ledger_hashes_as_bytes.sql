-- The ledger's hashes as their 32 bytes rather than 64 hex characters: a third
-- of an entry was its two hashes spelt out. A stored hash that is not hex (a
-- damaged entry) keeps its characters as bytes, so that `verify` still names it.
ALTER TABLE node_ledger ALTER COLUMN prev_hash TYPE BYTEA USING (
    CASE WHEN prev_hash ~ '^[0-9a-fA-F]{64}$' THEN decode(prev_hash, 'hex')
         ELSE convert_to(prev_hash, 'UTF8') END);
ALTER TABLE node_ledger ALTER COLUMN hash TYPE BYTEA USING (
    CASE WHEN hash ~ '^[0-9a-fA-F]{64}$' THEN decode(hash, 'hex')
         ELSE convert_to(hash, 'UTF8') END);
