-- What the peer's store said of itself with the last batch applied from it (its
-- attestor's mark, opaque here): sent back in our Hello, so that a peer whose
-- store went back in time finds out before it streams its feed again.
ALTER TABLE hub_links ADD COLUMN peer_mark BYTEA;
