-- Staff accounts of this node (never replicated): who may do what on the local
-- API. Roles are a comma-separated list of role codes (registrar, handler,
-- reviewer, approver, viewer, administrator).
CREATE TABLE node_users (
    name          TEXT PRIMARY KEY,
    display_name  TEXT NOT NULL,
    roles         TEXT NOT NULL,
    unit          TEXT NOT NULL,
    -- argon2id PHC string; empty: no password (certificate only)
    password_hash TEXT NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

-- Login tokens, stored only as their SHA-256 hash.
CREATE TABLE node_tokens (
    token_hash TEXT PRIMARY KEY,
    user_name  TEXT NOT NULL,
    issued_ms  INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL,
    -- why the token was ended early (user disabled, password set); '' while live
    revoked    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX node_tokens_user ON node_tokens (user_name);

-- Refused and sensitive actions on the local API. Every write goes through one
-- function (node::auth::store::Accounts::audit), so the log can later be chained.
CREATE TABLE node_audit (
    -- random; rows are listed in (at_ms, id) order
    id      TEXT PRIMARY KEY,
    at_ms   INTEGER NOT NULL,
    -- at_ms as RFC 3339, for people
    at      TEXT NOT NULL,
    actor   TEXT NOT NULL,
    roles   TEXT NOT NULL,
    action  TEXT NOT NULL,
    target  TEXT NOT NULL,
    -- allowed | refused
    outcome TEXT NOT NULL,
    reason  TEXT NOT NULL
);
CREATE INDEX node_audit_at ON node_audit (at_ms);
