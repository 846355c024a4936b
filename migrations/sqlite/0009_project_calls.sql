-- Project calls (科技项目申报): a call with its guide and application window, organisations'
-- applications (drafts kept), the expert pool, assignments with scores, and publicity objections.

CREATE TABLE project_call (
    id               INTEGER PRIMARY KEY,
    title            TEXT NOT NULL,
    org_id           BIGINT NOT NULL REFERENCES org_unit(id),
    guide            TEXT NOT NULL,
    opens_on         TEXT NOT NULL,
    closes_on        TEXT NOT NULL,
    -- JSON [{"name": "创新性", "max": 30}, …]
    score_sheet      TEXT NOT NULL,
    -- draft, open, review, publicity, final
    state            TEXT NOT NULL,
    publicity_days   BIGINT NOT NULL DEFAULT 5,
    publicity_until  TEXT,
    created_at       BIGINT NOT NULL
);

CREATE TABLE project_application (
    id            INTEGER PRIMARY KEY,
    call_id       BIGINT NOT NULL REFERENCES project_call(id),
    no            TEXT NOT NULL UNIQUE,
    query_hash    TEXT NOT NULL,
    org_name      TEXT NOT NULL,
    org_code      TEXT NOT NULL,
    contact       TEXT NOT NULL,
    phone         TEXT NOT NULL,
    title         TEXT NOT NULL,
    budget        TEXT NOT NULL,
    summary       TEXT NOT NULL,
    -- draft, submitted, screened_out, in_review
    state         TEXT NOT NULL,
    screen_note   TEXT NOT NULL DEFAULT '',
    submitted_at  BIGINT,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX project_application_call ON project_application (call_id, state);

CREATE TABLE expert (
    id           INTEGER PRIMARY KEY,
    user_id      BIGINT NOT NULL UNIQUE REFERENCES app_user(id),
    name         TEXT NOT NULL,
    org_name     TEXT NOT NULL,
    field        TEXT NOT NULL,
    specialties  TEXT NOT NULL DEFAULT ''
);

CREATE TABLE expert_assignment (
    id              INTEGER PRIMARY KEY,
    application_id  BIGINT NOT NULL REFERENCES project_application(id),
    expert_id       BIGINT NOT NULL REFERENCES expert(id),
    -- JSON [25, 18, …] in score-sheet order, once submitted
    scores          TEXT,
    comment         TEXT NOT NULL DEFAULT '',
    submitted_at    BIGINT,
    UNIQUE (application_id, expert_id)
);

CREATE TABLE project_objection (
    id           INTEGER PRIMARY KEY,
    call_id      BIGINT NOT NULL REFERENCES project_call(id),
    text         TEXT NOT NULL,
    contact      TEXT NOT NULL,
    answer       TEXT NOT NULL DEFAULT '',
    answered_by  TEXT NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL,
    answered_at  BIGINT
);
CREATE INDEX project_objection_call ON project_objection (call_id, id);
