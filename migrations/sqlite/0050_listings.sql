-- 供求信息: listings posted by citizens and enterprises without an account on three boards
-- (人才劳务 招聘/求职, 农产品 供应/求购, 创业与新办企业), verified through the poster's phone or
-- mail, moderated before or after they show (per board), flagged by readers, expiring after the
-- period the poster chose and renewed with the listing's management code.

CREATE TABLE listing_board (
    -- talent, agri, startup
    code            TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    -- listings wait for a moderator before they show
    premoderated    BOOLEAN NOT NULL DEFAULT TRUE,
    -- reader flags that hide a listing until a moderator looks (0: never)
    hide_threshold  BIGINT NOT NULL DEFAULT 3,
    -- the longest period a poster may choose, in days
    max_days        BIGINT NOT NULL DEFAULT 90,
    updated_at      BIGINT NOT NULL DEFAULT 0
);
INSERT INTO listing_board (code, name, premoderated, hide_threshold, max_days) VALUES
    ('talent', '人才劳务', TRUE, 3, 90),
    ('agri', '农产品', FALSE, 3, 60),
    ('startup', '创业与新办企业', TRUE, 3, 180);

CREATE TABLE listing (
    id              INTEGER PRIMARY KEY,
    -- GQ + id, what the poster quotes
    no              TEXT NOT NULL,
    board           TEXT NOT NULL REFERENCES listing_board(code),
    -- hire, seek, supply, demand, project, enterprise
    kind            TEXT NOT NULL,
    title           TEXT NOT NULL,
    body            TEXT NOT NULL,
    area            TEXT NOT NULL,
    -- 岗位 / 产品 / 企业或项目名称
    subject         TEXT NOT NULL,
    -- 元/月 (talent); NULL: 面议
    pay_min         BIGINT,
    pay_max         BIGINT,
    -- 农产品: quantity and price as the poster writes them (5000 斤, 3.5 元/斤)
    quantity        TEXT NOT NULL DEFAULT '',
    price           TEXT NOT NULL DEFAULT '',
    -- 统一社会信用代码 of the enterprise (startup board), checked
    credit_code     TEXT NOT NULL DEFAULT '',
    -- the poster, sealed at rest; shown masked until a visitor asks
    contact_name    TEXT NOT NULL,
    contact_phone   TEXT NOT NULL DEFAULT '',
    contact_email   TEXT NOT NULL DEFAULT '',
    -- lookup hash of the verified contact, for the per-contact daily limit
    contact_hash    TEXT NOT NULL,
    -- sms or mail: where the verification code went
    verify_by       TEXT NOT NULL,
    verify_hash     TEXT NOT NULL DEFAULT '',
    verify_tries    BIGINT NOT NULL DEFAULT 0,
    verify_sent_at  BIGINT NOT NULL,
    -- the management code's hash (renew, withdraw)
    code_hash       TEXT NOT NULL,
    days            BIGINT NOT NULL,
    -- unverified, pending, visible, hidden, rejected, expired, withdrawn
    state           TEXT NOT NULL,
    expires_at      BIGINT,
    reminded        BOOLEAN NOT NULL DEFAULT FALSE,
    flags           BIGINT NOT NULL DEFAULT 0,
    views           BIGINT NOT NULL DEFAULT 0,
    reveals         BIGINT NOT NULL DEFAULT 0,
    ip              TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    published_at    BIGINT,
    updated_at      BIGINT NOT NULL
);
CREATE UNIQUE INDEX listing_no ON listing (no);
CREATE INDEX listing_board_state ON listing (board, state, published_at);
CREATE INDEX listing_state_expiry ON listing (state, expires_at);
CREATE INDEX listing_updated ON listing (updated_at, id);
CREATE INDEX listing_ip ON listing (ip, created_at);
CREATE INDEX listing_contact ON listing (contact_hash, created_at);

-- One reader's report of a listing (once per reader).
CREATE TABLE listing_flag (
    id              INTEGER PRIMARY KEY,
    listing_id      BIGINT NOT NULL REFERENCES listing(id),
    voter           TEXT NOT NULL,
    reason          TEXT NOT NULL,
    at              BIGINT NOT NULL
);
CREATE UNIQUE INDEX listing_flag_once ON listing_flag (listing_id, voter);

-- A visitor asked to see a listing's contact (rate-limited per visitor).
CREATE TABLE listing_reveal (
    id              INTEGER PRIMARY KEY,
    listing_id      BIGINT NOT NULL REFERENCES listing(id),
    visitor         TEXT NOT NULL,
    at              BIGINT NOT NULL
);
CREATE INDEX listing_reveal_visitor ON listing_reveal (visitor, at);
