-- 网上办事: service items (事项) with their guides (办事指南) and versions, online applications
-- (办件) with their state, time limit and events, uploaded materials, and 好差评 follow-ups.
-- Lists inside a guide (materials, process steps, FAQ, form fields, review steps) are JSON text:
-- they are read and written whole with the item.

CREATE TABLE service_item (
    id               INTEGER PRIMARY KEY,
    code             TEXT NOT NULL UNIQUE,
    impl_code        TEXT NOT NULL DEFAULT '',
    name             TEXT NOT NULL,
    kind             TEXT NOT NULL,
    org_id           BIGINT NOT NULL REFERENCES org_unit(id),
    dept             TEXT NOT NULL DEFAULT '',
    basis            TEXT NOT NULL DEFAULT '',
    conditions       TEXT NOT NULL DEFAULT '',
    -- person, org, or both
    audience         TEXT NOT NULL,
    materials        TEXT NOT NULL DEFAULT '[]',
    notes            TEXT NOT NULL DEFAULT '',
    steps            TEXT NOT NULL DEFAULT '[]',
    legal_days       BIGINT NOT NULL,
    promised_days    BIGINT NOT NULL,
    fee              BOOLEAN NOT NULL DEFAULT FALSE,
    fee_basis        TEXT NOT NULL DEFAULT '',
    fee_standard     TEXT NOT NULL DEFAULT '',
    place            TEXT NOT NULL DEFAULT '',
    hours            TEXT NOT NULL DEFAULT '',
    visits           BIGINT NOT NULL DEFAULT 0,
    online_depth     BIGINT NOT NULL DEFAULT 4,
    consult_phone    TEXT NOT NULL DEFAULT '',
    complaint_phone  TEXT NOT NULL DEFAULT '',
    faq              TEXT NOT NULL DEFAULT '[]',
    themes           TEXT NOT NULL DEFAULT '',
    life_events      TEXT NOT NULL DEFAULT '',
    form             TEXT NOT NULL DEFAULT '[]',
    review_steps     TEXT NOT NULL DEFAULT '["审查"]',
    online           BOOLEAN NOT NULL DEFAULT TRUE,
    published        BOOLEAN NOT NULL DEFAULT TRUE,
    version          BIGINT NOT NULL DEFAULT 1,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX service_item_org ON service_item (org_id);

CREATE TABLE service_item_version (
    id          INTEGER PRIMARY KEY,
    item_id     BIGINT NOT NULL REFERENCES service_item(id),
    version     BIGINT NOT NULL,
    data        TEXT NOT NULL,
    saved_by    TEXT NOT NULL,
    saved_at    BIGINT NOT NULL
);
CREATE INDEX service_item_version_item ON service_item_version (item_id, version);

CREATE TABLE application (
    id                INTEGER PRIMARY KEY,
    no                TEXT NOT NULL UNIQUE,
    query_hash        TEXT NOT NULL,
    item_id           BIGINT NOT NULL REFERENCES service_item(id),
    org_id            BIGINT NOT NULL REFERENCES org_unit(id),
    -- person or org
    applicant_kind    TEXT NOT NULL,
    applicant_name    TEXT NOT NULL,
    applicant_code    TEXT NOT NULL,
    phone             TEXT NOT NULL DEFAULT '',
    email             TEXT NOT NULL DEFAULT '',
    form_data         TEXT NOT NULL DEFAULT '{}',
    state             TEXT NOT NULL,
    step              BIGINT NOT NULL DEFAULT 0,
    accepted          BOOLEAN NOT NULL DEFAULT FALSE,
    submitted_at      BIGINT NOT NULL,
    accepted_on       TEXT,
    -- Closed pauses of the clock (补正), JSON [[from, to], …]; an open one in paused_on.
    pauses            TEXT NOT NULL DEFAULT '[]',
    paused_on         TEXT,
    due_date          TEXT,
    step_started_at   BIGINT,
    correction_note   TEXT NOT NULL DEFAULT '',
    decision_note     TEXT NOT NULL DEFAULT '',
    legal_basis       TEXT NOT NULL DEFAULT '',
    decided_at        BIGINT,
    completed_at      BIGINT,
    workdays          BIGINT,
    on_time           BOOLEAN,
    rating            TEXT,
    rating_comment    TEXT NOT NULL DEFAULT '',
    updated_at        BIGINT NOT NULL
);
-- A department's queue and overdue list: open cases by due date.
CREATE INDEX application_org_open ON application (org_id, due_date, id) WHERE state IN ('submitted','correction','reviewing');
CREATE INDEX application_org_state ON application (org_id, state, submitted_at, id);
CREATE INDEX application_item_time ON application (item_id, submitted_at);
CREATE INDEX application_time ON application (submitted_at, id);
CREATE INDEX application_completed ON application (completed_at, id) WHERE state = 'completed';

-- Statistics kept as they happen: per item, department and day of receipt, what that day's
-- applications contribute now (store::apply moves a case's contribution on every change).
CREATE TABLE application_tally (
    item_id     BIGINT NOT NULL,
    org_id      BIGINT NOT NULL,
    day         TEXT NOT NULL,
    received    BIGINT NOT NULL DEFAULT 0,
    completed   BIGINT NOT NULL DEFAULT 0,
    on_time     BIGINT NOT NULL DEFAULT 0,
    workdays    BIGINT NOT NULL DEFAULT 0,
    rated       BIGINT NOT NULL DEFAULT 0,
    rating_sum  BIGINT NOT NULL DEFAULT 0,
    bad         BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (item_id, org_id, day)
);
CREATE INDEX application_tally_day ON application_tally (day);

CREATE TABLE application_event (
    id              INTEGER PRIMARY KEY,
    application_id  BIGINT NOT NULL REFERENCES application(id),
    action          TEXT NOT NULL,
    from_state      TEXT NOT NULL,
    to_state        TEXT NOT NULL,
    step            BIGINT NOT NULL DEFAULT 0,
    actor           TEXT NOT NULL,
    comment         TEXT NOT NULL DEFAULT '',
    at              BIGINT NOT NULL
);
CREATE INDEX application_event_app ON application_event (application_id, id);

CREATE TABLE application_file (
    id              INTEGER PRIMARY KEY,
    application_id  BIGINT NOT NULL REFERENCES application(id),
    field           TEXT NOT NULL,
    name            TEXT NOT NULL,
    stored          TEXT NOT NULL,
    size            BIGINT NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX application_file_app ON application_file (application_id);

-- 差评 follow-up work orders (回访/整改) with a working-day deadline.
CREATE TABLE rating_followup (
    id              INTEGER PRIMARY KEY,
    application_id  BIGINT NOT NULL REFERENCES application(id),
    org_id          BIGINT NOT NULL REFERENCES org_unit(id),
    rating          TEXT NOT NULL,
    due_date        TEXT NOT NULL,
    state           TEXT NOT NULL,
    response        TEXT NOT NULL DEFAULT '',
    closed_at       BIGINT,
    created_at      BIGINT NOT NULL
);
CREATE INDEX rating_followup_org ON rating_followup (org_id, state, due_date);
