-- 互动交流: mailboxes (信箱/渠道) per site with their categories and deadlines, citizens' letters
-- with their handling state, every transition, attachments, and Open311 API keys.
-- Dates that deadlines are counted in are 'YYYY-MM-DD' text (Beijing); instants are Unix seconds.

CREATE TABLE mailbox (
    id               INTEGER PRIMARY KEY,
    site_id          BIGINT REFERENCES site(id),
    code             TEXT NOT NULL UNIQUE,
    name             TEXT NOT NULL,
    -- leader (领导信箱), board (留言板), complaint (投诉举报), consult (咨询)
    kind             TEXT NOT NULL,
    intro            TEXT NOT NULL DEFAULT '',
    accept_days      BIGINT NOT NULL,
    reply_days       BIGINT NOT NULL,
    warn_days        BIGINT NOT NULL,
    publish_replies  BOOLEAN NOT NULL DEFAULT TRUE,
    -- Comma-separated org-unit ids that letters may be assigned to (empty: any unit).
    unit_ids         TEXT NOT NULL DEFAULT '',
    active           BOOLEAN NOT NULL DEFAULT TRUE,
    sort_order       BIGINT NOT NULL DEFAULT 0,
    created_at       BIGINT NOT NULL
);

CREATE TABLE mailbox_category (
    id          INTEGER PRIMARY KEY,
    mailbox_id  BIGINT NOT NULL REFERENCES mailbox(id),
    name        TEXT NOT NULL,
    sort_order  BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX mailbox_category_mailbox ON mailbox_category (mailbox_id, sort_order);

CREATE TABLE letter (
    id                INTEGER PRIMARY KEY,
    no                TEXT NOT NULL UNIQUE,
    query_hash        TEXT NOT NULL,
    mailbox_id        BIGINT NOT NULL REFERENCES mailbox(id),
    category_id       BIGINT REFERENCES mailbox_category(id),
    state             TEXT NOT NULL,
    subject           TEXT NOT NULL,
    content           TEXT NOT NULL,
    writer_name       TEXT NOT NULL,
    phone             TEXT NOT NULL DEFAULT '',
    email             TEXT NOT NULL DEFAULT '',
    id_number         TEXT NOT NULL DEFAULT '',
    address           TEXT NOT NULL DEFAULT '',
    consent_publish   BOOLEAN NOT NULL DEFAULT FALSE,
    anonymous_public  BOOLEAN NOT NULL DEFAULT TRUE,
    ip                TEXT NOT NULL DEFAULT '',
    -- Sensitive words found at submission; screening sees them, nothing is dropped.
    flagged_words     TEXT NOT NULL DEFAULT '',
    -- Where the letter came from: web, open311 (with the API key's name), staff entry.
    source            TEXT NOT NULL DEFAULT 'web',
    unit_id           BIGINT REFERENCES org_unit(id),
    co_unit_ids       TEXT NOT NULL DEFAULT '',
    submitted_at      BIGINT NOT NULL,
    accept_due        TEXT NOT NULL,
    accepted_at       BIGINT,
    due_date          TEXT,
    extended_days     BIGINT NOT NULL DEFAULT 0,
    extension_days    BIGINT NOT NULL DEFAULT 0,
    extension_reason  TEXT NOT NULL DEFAULT '',
    reject_reason     TEXT NOT NULL DEFAULT '',
    reply             TEXT NOT NULL DEFAULT '',
    reply_unit_id     BIGINT REFERENCES org_unit(id),
    replied_at        BIGINT,
    reply_workdays    BIGINT,
    on_time           BOOLEAN,
    public_subject    TEXT NOT NULL DEFAULT '',
    public_content    TEXT NOT NULL DEFAULT '',
    public_reply      TEXT NOT NULL DEFAULT '',
    -- The writer as the public sees them: the masked name (王**), or empty for anonymous letters.
    public_writer     TEXT NOT NULL DEFAULT '',
    published         BOOLEAN NOT NULL DEFAULT FALSE,
    published_at      BIGINT,
    closed_at         BIGINT,
    satisfaction      TEXT,
    rating_comment    TEXT NOT NULL DEFAULT '',
    reopened          BOOLEAN NOT NULL DEFAULT FALSE,
    supervised        BIGINT NOT NULL DEFAULT 0,
    updated_at        BIGINT NOT NULL
);
-- Queues: letters owed a reply by due date (all, or per unit); one state by due date or by arrival.
CREATE INDEX letter_open_due ON letter (due_date, id) WHERE state IN ('accepted','assigned','reply_review');
CREATE INDEX letter_open_unit ON letter (unit_id, due_date, id) WHERE state IN ('accepted','assigned','reply_review');
CREATE INDEX letter_state_due ON letter (state, due_date, id);
CREATE INDEX letter_state_time ON letter (state, submitted_at, id, mailbox_id);
-- Overdue letters per mailbox and unit, counted from the index alone.
CREATE INDEX letter_open_overdue ON letter (due_date, mailbox_id, unit_id, submitted_at) WHERE state IN ('accepted','assigned','reply_review');
-- Open311's request list: newest first within a period.
CREATE INDEX letter_time ON letter (submitted_at, id);
-- The public lists, newest publication first.
CREATE INDEX letter_public ON letter (mailbox_id, published, published_at, id);
CREATE INDEX letter_public_all ON letter (published, published_at, id);
CREATE INDEX letter_writer_phone ON letter (phone, submitted_at);
CREATE INDEX letter_writer_ip ON letter (ip, submitted_at);
CREATE INDEX letter_writer_email ON letter (email, submitted_at);

-- Statistics kept as they happen: per mailbox, handling unit (0: none) and day of receipt, what
-- the letters received that day contribute now. Every write to a letter moves its contribution
-- (store::apply), so a year's figures are a sum over a few thousand rows, not a scan of a
-- million letters. `zhengwu` can rebuild it from the letters (store::rebuild_tally).
CREATE TABLE letter_tally (
    mailbox_id         BIGINT NOT NULL,
    unit_id            BIGINT NOT NULL,
    day                TEXT NOT NULL,
    received           BIGINT NOT NULL DEFAULT 0,
    accepted           BIGINT NOT NULL DEFAULT 0,
    rejected           BIGINT NOT NULL DEFAULT 0,
    completed          BIGINT NOT NULL DEFAULT 0,
    completed_on_time  BIGINT NOT NULL DEFAULT 0,
    handling_workdays  BIGINT NOT NULL DEFAULT 0,
    rated              BIGINT NOT NULL DEFAULT 0,
    satisfied          BIGINT NOT NULL DEFAULT 0,
    basic              BIGINT NOT NULL DEFAULT 0,
    unsatisfied        BIGINT NOT NULL DEFAULT 0,
    published          BIGINT NOT NULL DEFAULT 0,
    in_progress        BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (mailbox_id, unit_id, day)
);
CREATE INDEX letter_tally_day ON letter_tally (day);

CREATE TABLE letter_event (
    id          INTEGER PRIMARY KEY,
    letter_id   BIGINT NOT NULL REFERENCES letter(id),
    action      TEXT NOT NULL,
    from_state  TEXT NOT NULL,
    to_state    TEXT NOT NULL,
    actor       TEXT NOT NULL,
    comment     TEXT NOT NULL DEFAULT '',
    at          BIGINT NOT NULL
);
CREATE INDEX letter_event_letter ON letter_event (letter_id, id);

CREATE TABLE letter_attachment (
    id          INTEGER PRIMARY KEY,
    letter_id   BIGINT NOT NULL REFERENCES letter(id),
    name        TEXT NOT NULL,
    stored      TEXT NOT NULL,
    size        BIGINT NOT NULL,
    mime        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX letter_attachment_letter ON letter_attachment (letter_id);

CREATE TABLE open311_key (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    key_hash    TEXT NOT NULL UNIQUE,
    created_by  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    revoked     BOOLEAN NOT NULL DEFAULT FALSE
);
