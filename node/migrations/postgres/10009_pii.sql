-- PostgreSQL twin of the SQLite migration of the same version.
-- Personal data at rest (docs/ledger.md, "Personal data"): node_pii's id_number
-- and phone now hold AES-256-GCM ciphertext under the node's key (`v1:` + hex);
-- beside each, its keyed hash (HMAC-SHA256 under a key derived from the node's)
-- for lookups without decrypting. Rows an earlier version kept in clear are
-- encrypted by the node at its next start (node::pii::seal_existing), in one
-- transaction, before it serves anything.
ALTER TABLE node_pii ADD COLUMN id_hash TEXT COLLATE "C";
ALTER TABLE node_pii ADD COLUMN phone_hash TEXT COLLATE "C";
CREATE INDEX node_pii_id_hash ON node_pii (id_hash);
CREATE INDEX node_pii_phone_hash ON node_pii (phone_hash);
