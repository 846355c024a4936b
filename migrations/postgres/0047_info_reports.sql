-- 协同办公, 信息报送: the units' 信息员 submit items; the office adopts them for an internal
-- bulletin (每日要情 / 信息专报, numbered issues per year) or for the portal (a CMS draft), or
-- declines them; leaders' 批示 flow back to the unit; scores per unit and month from the rules
-- below, against each unit's monthly quota.

CREATE TABLE office_report (
    id              BIGSERIAL PRIMARY KEY,
    unit_id         BIGINT NOT NULL REFERENCES org_unit(id),
    title           TEXT NOT NULL,
    body            TEXT NOT NULL,
    -- 经济运行, 社会民生, 工作动态, 突发事件, 意见建议 …
    category        TEXT NOT NULL DEFAULT '',
    -- '', 急, 特急
    urgency         TEXT NOT NULL DEFAULT '',
    -- submitted, adopted, declined
    state           TEXT NOT NULL,
    -- '', daily (每日要情), special (信息专报), portal (门户网站)
    level           TEXT NOT NULL DEFAULT '',
    issue_id        BIGINT,
    article_id      BIGINT,
    decision_note   TEXT NOT NULL DEFAULT '',
    decided_by      TEXT NOT NULL DEFAULT '',
    decided_at      BIGINT,
    instructions    BIGINT NOT NULL DEFAULT 0,
    submitted_by    TEXT NOT NULL,
    submitted_at    BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX office_report_unit ON office_report (unit_id, submitted_at);
CREATE INDEX office_report_state ON office_report (state, id);
CREATE INDEX office_report_by_issue ON office_report (issue_id);

-- A bulletin issue: 《每日要情》2026年第35期 (kind daily or special).
CREATE TABLE office_report_issue (
    id              BIGSERIAL PRIMARY KEY,
    kind            TEXT NOT NULL,
    year            BIGINT NOT NULL,
    number          BIGINT NOT NULL,
    created_by      TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    -- 印发: once issued, the issue is frozen and new adoptions open the next number
    issued_at       BIGINT,
    issued_by       TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX office_report_issue_number ON office_report_issue (kind, year, number);

-- A leader's 批示 on an adopted item, sent back to the reporting unit.
CREATE TABLE office_report_instruction (
    id              BIGSERIAL PRIMARY KEY,
    report_id       BIGINT NOT NULL REFERENCES office_report(id),
    leader          TEXT NOT NULL,
    leader_id       BIGINT,
    text            TEXT NOT NULL,
    at              BIGINT NOT NULL
);
CREATE INDEX office_report_instruction_report ON office_report_instruction (report_id);

-- Points per event, as the office sets them.
CREATE TABLE office_report_rule (
    code            TEXT PRIMARY KEY,
    label           TEXT NOT NULL,
    points          DOUBLE PRECISION NOT NULL
);
INSERT INTO office_report_rule (code, label, points) VALUES
    ('submitted', '报送一条', 1),
    ('daily', '《每日要情》采用一条', 3),
    ('special', '《信息专报》采用一条', 5),
    ('portal', '门户网站采用一条', 2),
    ('instructed', '领导批示一次', 10);

-- Items a unit is expected to submit each month.
CREATE TABLE office_report_quota (
    unit_id         BIGINT PRIMARY KEY REFERENCES org_unit(id),
    monthly         BIGINT NOT NULL
);
