-- Platform: organisation, accounts, roles, sessions, tokens, settings, audit.
-- Times are Unix seconds written from Rust; ids are 64-bit integers (see crates/platform/src/db.rs).

CREATE TABLE org_unit (
    id          INTEGER PRIMARY KEY,
    parent_id   BIGINT REFERENCES org_unit(id),
    name        TEXT NOT NULL,
    -- 统一社会信用代码 or 组织机构代码; later the prefix of disclosure index numbers (索引号).
    code        TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL,
    sort_order  BIGINT NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL
);

CREATE TABLE app_user (
    id                    INTEGER PRIMARY KEY,
    username              TEXT NOT NULL UNIQUE,
    display_name          TEXT NOT NULL,
    email                 TEXT,
    org_id                BIGINT REFERENCES org_unit(id),
    password_hash         TEXT NOT NULL,
    must_change_password  BOOLEAN NOT NULL DEFAULT TRUE,
    disabled              BOOLEAN NOT NULL DEFAULT FALSE,
    totp_secret           TEXT,
    totp_enabled          BOOLEAN NOT NULL DEFAULT FALSE,
    password_changed_at   BIGINT,
    last_login_at         BIGINT,
    created_at            BIGINT NOT NULL
);

-- A grant names a role and where it applies: everywhere, one site, a channel subtree or an org unit subtree.
CREATE TABLE role_grant (
    id          INTEGER PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES app_user(id),
    role        TEXT NOT NULL,
    scope_kind  TEXT NOT NULL,
    scope_id    BIGINT NOT NULL DEFAULT 0,
    granted_by  TEXT NOT NULL,
    granted_at  BIGINT NOT NULL,
    UNIQUE (user_id, role, scope_kind, scope_id)
);

-- The cookie holds a random secret; only its SHA-256 is stored, so a leaked table opens no session.
CREATE TABLE user_session (
    id_hash       TEXT PRIMARY KEY,
    user_id       BIGINT NOT NULL REFERENCES app_user(id),
    csrf_token    TEXT NOT NULL,
    mfa_passed    BOOLEAN NOT NULL DEFAULT FALSE,
    ip            TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    last_seen_at  BIGINT NOT NULL
);
CREATE INDEX user_session_user ON user_session (user_id);

-- Failed sign-ins per account ("user:NAME") and per address ("ip:ADDR"), for lockout.
CREATE TABLE login_failure (
    id   INTEGER PRIMARY KEY,
    key  TEXT NOT NULL,
    at   BIGINT NOT NULL
);
CREATE INDEX login_failure_key_at ON login_failure (key, at);

CREATE TABLE api_token (
    id            INTEGER PRIMARY KEY,
    user_id       BIGINT NOT NULL REFERENCES app_user(id),
    name          TEXT NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    prefix        TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    last_used_at  BIGINT,
    revoked_at    BIGINT
);

CREATE TABLE setting (
    key         TEXT PRIMARY KEY,
    value       TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    updated_by  TEXT NOT NULL
);

-- Append-only, hash-chained: hash = HMAC(key, fields || prev_hash). The head row serialises writers
-- and records the anchor left by retention pruning, so verification still covers the first kept row.
CREATE TABLE audit_log (
    seq         BIGINT PRIMARY KEY,
    at          BIGINT NOT NULL,
    user_id     BIGINT,
    username    TEXT NOT NULL,
    ip          TEXT NOT NULL,
    action      TEXT NOT NULL,
    target      TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    summary     TEXT NOT NULL,
    request_id  TEXT NOT NULL,
    alg         TEXT NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_user ON audit_log (username, at);

CREATE TABLE audit_head (
    id           BIGINT PRIMARY KEY,
    seq          BIGINT NOT NULL,
    last_hash    TEXT NOT NULL,
    anchor_seq   BIGINT NOT NULL,
    anchor_hash  TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, last_hash, anchor_seq, anchor_hash) VALUES (1, 0, '', 0, '');
