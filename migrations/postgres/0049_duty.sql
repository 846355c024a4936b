-- 协同办公, 政务值班: the roster (a 带班领导 and a 值班员 per day, filled by rotation and overridden by
-- hand), each unit's daily 零报告, the duty log, and emergency events reported 初报 → 续报 → 终报
-- against time limits per level, escalated to the day's 带班领导 when a report is late.

CREATE TABLE office_duty_shift (
    id              BIGSERIAL PRIMARY KEY,
    day             TEXT NOT NULL,
    -- leader (带班领导), officer (值班员)
    role            TEXT NOT NULL,
    person          TEXT NOT NULL,
    phone           TEXT NOT NULL DEFAULT '',
    user_id         BIGINT REFERENCES app_user(id),
    updated_by      TEXT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE UNIQUE INDEX office_duty_shift_day ON office_duty_shift (day, role);
CREATE INDEX office_duty_shift_user ON office_duty_shift (user_id, day);

CREATE TABLE office_duty_zero (
    id              BIGSERIAL PRIMARY KEY,
    unit_id         BIGINT NOT NULL REFERENCES org_unit(id),
    day             TEXT NOT NULL,
    note            TEXT NOT NULL DEFAULT '',
    reported_by     TEXT NOT NULL,
    at              BIGINT NOT NULL
);
CREATE UNIQUE INDEX office_duty_zero_day ON office_duty_zero (unit_id, day);

CREATE TABLE office_duty_log (
    id              BIGSERIAL PRIMARY KEY,
    day             TEXT NOT NULL,
    -- call, event, handover, alarm
    kind            TEXT NOT NULL,
    text            TEXT NOT NULL,
    recorded_by     TEXT NOT NULL,
    at              BIGINT NOT NULL
);
CREATE INDEX office_duty_log_day ON office_duty_log (day, id);

CREATE TABLE office_duty_incident (
    id              BIGSERIAL PRIMARY KEY,
    unit_id         BIGINT NOT NULL REFERENCES org_unit(id),
    title           TEXT NOT NULL,
    -- extraordinary, major, large, general
    level           TEXT NOT NULL,
    occurred_at     BIGINT NOT NULL,
    -- open, closed
    state           TEXT NOT NULL,
    last_report_at  BIGINT,
    -- the last deadline escalated ("initial@1796000000"), so each is escalated once
    escalated       TEXT NOT NULL DEFAULT '',
    created_by      TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX office_duty_incident_state ON office_duty_incident (state, id);

CREATE TABLE office_duty_report (
    id              BIGSERIAL PRIMARY KEY,
    incident_id     BIGINT NOT NULL REFERENCES office_duty_incident(id),
    -- initial (初报), followup (续报), final (终报)
    stage           TEXT NOT NULL,
    text            TEXT NOT NULL,
    reported_by     TEXT NOT NULL,
    at              BIGINT NOT NULL
);
CREATE INDEX office_duty_report_incident ON office_duty_report (incident_id, id);
