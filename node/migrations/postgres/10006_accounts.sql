-- PostgreSQL twin of the SQLite migration of the same version.
-- Staff accounts of this node (never replicated): who may do what on the local
-- API. Roles are a comma-separated list of role codes (registrar, handler,
-- reviewer, approver, viewer, administrator).
CREATE TABLE node_users (
    name          TEXT COLLATE "C" PRIMARY KEY,
    display_name  TEXT COLLATE "C" NOT NULL,
    roles         TEXT COLLATE "C" NOT NULL,
    unit          TEXT COLLATE "C" NOT NULL,
    -- argon2id PHC string; empty: no password (certificate only)
    password_hash TEXT COLLATE "C" NOT NULL,
    disabled      BIGINT NOT NULL DEFAULT 0,
    created_at    TEXT COLLATE "C" NOT NULL,
    updated_at    TEXT COLLATE "C" NOT NULL
);

-- Login tokens, stored only as their SHA-256 hash.
CREATE TABLE node_tokens (
    token_hash TEXT COLLATE "C" PRIMARY KEY,
    user_name  TEXT COLLATE "C" NOT NULL,
    issued_ms  BIGINT NOT NULL,
    expires_ms BIGINT NOT NULL,
    -- why the token was ended early (user disabled, password set); '' while live
    revoked    TEXT COLLATE "C" NOT NULL DEFAULT ''
);
CREATE INDEX node_tokens_user ON node_tokens (user_name);

-- Refused and sensitive actions on the local API. Every write goes through one
-- function (node::auth::store::Accounts::audit), so the log can later be chained.
CREATE TABLE node_audit (
    -- random; rows are listed in (at_ms, id) order
    id      TEXT COLLATE "C" PRIMARY KEY,
    at_ms   BIGINT NOT NULL,
    -- at_ms as RFC 3339, for people
    at      TEXT COLLATE "C" NOT NULL,
    actor   TEXT COLLATE "C" NOT NULL,
    roles   TEXT COLLATE "C" NOT NULL,
    action  TEXT COLLATE "C" NOT NULL,
    target  TEXT COLLATE "C" NOT NULL,
    -- allowed | refused
    outcome TEXT COLLATE "C" NOT NULL,
    reason  TEXT COLLATE "C" NOT NULL
);
CREATE INDEX node_audit_at ON node_audit (at_ms);
