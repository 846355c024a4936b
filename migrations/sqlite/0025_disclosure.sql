-- 政府信息公开: requests for disclosure (依申请公开) with their clock, fee and decision; each
-- agency's disclosure guide (政府信息公开指南); the hand-entered parts of the annual report.
-- Personal data (ID number, contact, address) is sealed by the application; the name is masked
-- wherever it is listed.

CREATE TABLE disclosure_request (
    id               INTEGER PRIMARY KEY,
    no               TEXT NOT NULL UNIQUE,
    query_hash       TEXT NOT NULL,
    org_id           BIGINT NOT NULL REFERENCES org_unit(id),
    -- person, business, research, nonprofit, legal_service, other_org (table 三's columns)
    applicant_kind   TEXT NOT NULL,
    applicant_name   TEXT NOT NULL,
    id_type          TEXT NOT NULL DEFAULT '',
    id_number        TEXT NOT NULL DEFAULT '',
    -- lookup hash of the ID number or credit code: the per-applicant rate limit
    applicant_hash   TEXT NOT NULL DEFAULT '',
    phone            TEXT NOT NULL DEFAULT '',
    email            TEXT NOT NULL DEFAULT '',
    address          TEXT NOT NULL DEFAULT '',
    description      TEXT NOT NULL,
    purpose          TEXT NOT NULL DEFAULT '',
    -- paper, email, disc, in_person
    delivery         TEXT NOT NULL,
    -- online, letter, in_person, fax
    channel          TEXT NOT NULL,
    state            TEXT NOT NULL,
    submitted_at     BIGINT NOT NULL,
    submitted_on     TEXT NOT NULL,
    received_on      TEXT,
    -- The clock's events as JSON [{"kind": "received", "day": "2026-09-18"}, …]; the due day
    -- below is what they give on the calendar, kept for queues and overdue lists.
    clock            TEXT NOT NULL DEFAULT '[]',
    due_on           TEXT,
    correction_note  TEXT NOT NULL DEFAULT '',
    corrected_once   BOOLEAN NOT NULL DEFAULT FALSE,
    extended_once    BOOLEAN NOT NULL DEFAULT FALSE,
    -- '', notified, paid, waived, lapsed
    fee_state        TEXT NOT NULL DEFAULT '',
    fee_yuan         BIGINT NOT NULL DEFAULT 0,
    outcome          TEXT NOT NULL DEFAULT '',
    basis            TEXT NOT NULL DEFAULT '',
    reply            TEXT NOT NULL DEFAULT '',
    decided_on       TEXT,
    delivered_on     TEXT,
    -- A 重复申请's earlier request (its answer is linked in the reply).
    earlier_no       TEXT NOT NULL DEFAULT '',
    ip               TEXT NOT NULL DEFAULT '',
    updated_at       BIGINT NOT NULL
);
CREATE INDEX disclosure_request_queue ON disclosure_request (org_id, state, due_on);
CREATE INDEX disclosure_request_due ON disclosure_request (state, due_on);
CREATE INDEX disclosure_request_ip ON disclosure_request (ip, submitted_at);
CREATE INDEX disclosure_request_applicant ON disclosure_request (applicant_hash, submitted_at);
CREATE INDEX disclosure_request_received ON disclosure_request (org_id, received_on);

CREATE TABLE disclosure_guide (
    org_id         BIGINT PRIMARY KEY REFERENCES org_unit(id),
    office         TEXT NOT NULL,
    address        TEXT NOT NULL DEFAULT '',
    postcode       TEXT NOT NULL DEFAULT '',
    phone          TEXT NOT NULL DEFAULT '',
    fax            TEXT NOT NULL DEFAULT '',
    email          TEXT NOT NULL DEFAULT '',
    hours          TEXT NOT NULL DEFAULT '',
    classification TEXT NOT NULL DEFAULT '',
    methods        TEXT NOT NULL DEFAULT '',
    process        TEXT NOT NULL DEFAULT '',
    fees           TEXT NOT NULL DEFAULT '',
    reviewed_on    TEXT NOT NULL,
    updated_at     BIGINT NOT NULL,
    updated_by     TEXT NOT NULL
);

-- One row per agency and year: the free-text sections (一, 五, 六), table 二 and table 四 as
-- entered, hand-entered additions to table 三 (requests handled on paper before the system), and
-- publication.
CREATE TABLE disclosure_report (
    id            INTEGER PRIMARY KEY,
    org_id        BIGINT NOT NULL REFERENCES org_unit(id),
    year          BIGINT NOT NULL,
    sections      TEXT NOT NULL DEFAULT '{}',
    table2        TEXT NOT NULL DEFAULT '{}',
    table3_extra  TEXT NOT NULL DEFAULT '{}',
    table4        TEXT NOT NULL DEFAULT '{}',
    published_at  BIGINT,
    updated_at    BIGINT NOT NULL,
    updated_by    TEXT NOT NULL,
    UNIQUE (org_id, year)
);
