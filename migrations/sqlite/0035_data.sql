-- 信息资源共享: the import framework (saved sources with their field mappings and schedules, and
-- every run with its report), the enterprise directory it fills, and the open-data catalogue
-- (datasets, their resources and every stored version of a resource's file).

CREATE TABLE data_source (
    id              INTEGER PRIMARY KEY,
    org_id          BIGINT NOT NULL REFERENCES org_unit(id),
    name            TEXT NOT NULL,
    -- what the rows become: 'enterprise'
    target          TEXT NOT NULL,
    -- JSON: [{field, column, lookup}]
    mapping         TEXT NOT NULL DEFAULT '[]',
    -- weekdays 1–7 (Monday = 1), comma separated, and HH:MM; empty = not scheduled
    schedule_days   TEXT NOT NULL DEFAULT '',
    schedule_time   TEXT NOT NULL DEFAULT '',
    -- a folder on the server the scheduled runs read the newest file from
    watch_dir       TEXT NOT NULL DEFAULT '',
    created_by      TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);

CREATE TABLE data_import_run (
    id              INTEGER PRIMARY KEY,
    source_id       BIGINT NOT NULL REFERENCES data_source(id),
    -- running, done, failed, interrupted
    state           TEXT NOT NULL,
    dry_run         BOOLEAN NOT NULL,
    -- upload, schedule, command
    trigger_kind    TEXT NOT NULL,
    file_name       TEXT NOT NULL,
    file_sha256     TEXT NOT NULL,
    encoding        TEXT NOT NULL DEFAULT '',
    started_at      BIGINT NOT NULL,
    finished_at     BIGINT,
    total           BIGINT NOT NULL DEFAULT 0,
    inserted        BIGINT NOT NULL DEFAULT 0,
    updated         BIGINT NOT NULL DEFAULT 0,
    unchanged       BIGINT NOT NULL DEFAULT 0,
    rejected        BIGINT NOT NULL DEFAULT 0,
    -- JSON: the first rejected rows [{row, column, value, reason}]
    rejects         TEXT NOT NULL DEFAULT '[]',
    message         TEXT NOT NULL DEFAULT '',
    by_user         TEXT NOT NULL,
    -- the host executing it, so a restarted node marks only its own runs interrupted
    node            TEXT NOT NULL DEFAULT ''
);
CREATE INDEX data_import_run_source ON data_import_run (source_id, id);

CREATE TABLE data_enterprise (
    id              INTEGER PRIMARY KEY,
    credit_code     TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    kind            TEXT NOT NULL DEFAULT '',
    legal_rep       TEXT NOT NULL DEFAULT '',
    -- GB/T 4754 门类 letter
    industry        TEXT NOT NULL DEFAULT '',
    -- GB/T 2260 county-level code
    area_code       TEXT NOT NULL DEFAULT '',
    registered_on   TEXT NOT NULL DEFAULT '',
    -- 万元, as written (decimal text)
    capital         TEXT NOT NULL DEFAULT '',
    address         TEXT NOT NULL DEFAULT '',
    scope           TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL DEFAULT '',
    -- not public
    phone           TEXT NOT NULL DEFAULT '',
    -- digest of the imported fields: a re-import leaves unchanged rows alone
    row_hash        TEXT NOT NULL,
    source_id       BIGINT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX data_enterprise_updated ON data_enterprise (updated_at, id);
CREATE INDEX data_enterprise_industry ON data_enterprise (industry, registered_on);
CREATE INDEX data_enterprise_area ON data_enterprise (area_code, registered_on);
CREATE INDEX data_enterprise_registered ON data_enterprise (registered_on, id);

CREATE TABLE data_dataset (
    id              INTEGER PRIMARY KEY,
    -- the address and the CKAN name: lower-case letters, digits, '-' and '_'
    name            TEXT NOT NULL UNIQUE,
    title           TEXT NOT NULL,
    notes           TEXT NOT NULL DEFAULT '',
    org_id          BIGINT NOT NULL REFERENCES org_unit(id),
    theme           TEXT NOT NULL DEFAULT '',
    keywords        TEXT NOT NULL DEFAULT '',
    licence         TEXT NOT NULL DEFAULT '',
    frequency       TEXT NOT NULL DEFAULT '',
    spatial         TEXT NOT NULL DEFAULT '',
    temporal_from   TEXT NOT NULL DEFAULT '',
    temporal_to     TEXT NOT NULL DEFAULT '',
    -- 无条件开放, 有条件开放
    open_condition  TEXT NOT NULL DEFAULT '',
    contact_name    TEXT NOT NULL DEFAULT '',
    contact_email   TEXT NOT NULL DEFAULT '',
    -- draft, published, withdrawn
    state           TEXT NOT NULL,
    issued_at       BIGINT,
    downloads       BIGINT NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX data_dataset_state ON data_dataset (state, updated_at);
CREATE INDEX data_dataset_org ON data_dataset (org_id, state);

CREATE TABLE data_resource (
    id              INTEGER PRIMARY KEY,
    dataset_id      BIGINT NOT NULL REFERENCES data_dataset(id),
    name            TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    -- file (uploaded, versioned), api (an endpoint's address), table (a directory's public fields)
    kind            TEXT NOT NULL,
    format          TEXT NOT NULL DEFAULT '',
    url             TEXT NOT NULL DEFAULT '',
    -- table resources: the directory ('enterprise') and its chosen fields (JSON list)
    table_name      TEXT NOT NULL DEFAULT '',
    fields          TEXT NOT NULL DEFAULT '[]',
    downloads       BIGINT NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX data_resource_dataset ON data_resource (dataset_id, id);

CREATE TABLE data_resource_version (
    id              INTEGER PRIMARY KEY,
    resource_id     BIGINT NOT NULL REFERENCES data_resource(id),
    version         BIGINT NOT NULL,
    file_name       TEXT NOT NULL,
    stored          TEXT NOT NULL,
    size            BIGINT NOT NULL,
    sm3             TEXT NOT NULL,
    -- rows and column names when the file is a table (CSV, xlsx, JSON)
    row_count       BIGINT,
    columns         TEXT NOT NULL DEFAULT '[]',
    created_by      TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    UNIQUE (resource_id, version)
);
