-- 人口资源库: people merged from several departments' files by 公民身份号码. Names, ID numbers,
-- phones, addresses and each source's other columns are sealed (AES-256-GCM, key outside the
-- database); the ID number and the name are found by keyed hashes. Each core field records which
-- source gave it and when (provenance); a field whose rule is 人工裁决 keeps its value and opens a
-- conflict when another source disagrees.

ALTER TABLE data_source ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;

CREATE TABLE data_person (
    id              INTEGER PRIMARY KEY,
    -- HMAC of the ID number (platform::sealed::lookup_hash)
    id_key          TEXT NOT NULL UNIQUE,
    id_number       TEXT NOT NULL,
    name            TEXT NOT NULL DEFAULT '',
    name_key        TEXT NOT NULL DEFAULT '',
    -- GB/T 2261.1: 1 男, 2 女
    sex             TEXT NOT NULL DEFAULT '',
    birth_year      INTEGER NOT NULL,
    ethnicity       TEXT NOT NULL DEFAULT '',
    -- GB/T 2260 county-level code of the registered residence
    area_code       TEXT NOT NULL DEFAULT '',
    -- 1 家庭户, 2 集体户
    household_type  TEXT NOT NULL DEFAULT '',
    marital         TEXT NOT NULL DEFAULT '',
    education       TEXT NOT NULL DEFAULT '',
    phone           TEXT NOT NULL DEFAULT '',
    address         TEXT NOT NULL DEFAULT '',
    -- JSON: {field: [source id, unix time]}
    provenance      TEXT NOT NULL DEFAULT '{}',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX data_person_area ON data_person (area_code, birth_year);
CREATE INDEX data_person_name ON data_person (name_key);

-- The headings of a department's other columns, once per distinct set: a part keeps only the
-- values, in this order.
CREATE TABLE data_person_layout (
    id              INTEGER PRIMARY KEY,
    source_id       INTEGER NOT NULL REFERENCES data_source(id),
    -- JSON array of the headings
    headings        TEXT NOT NULL,
    digest          TEXT NOT NULL UNIQUE,
    created_at      INTEGER NOT NULL
);

-- What each source last sent about a person: its row digest (re-imports skip unchanged rows) and
-- its other columns' values, sealed.
CREATE TABLE data_person_part (
    person_id       INTEGER NOT NULL REFERENCES data_person(id),
    source_id       INTEGER NOT NULL REFERENCES data_source(id),
    row_hash        TEXT NOT NULL,
    -- the other columns' values (a JSON array in the layout's order), sealed
    layout_id       INTEGER REFERENCES data_person_layout(id),
    attrs           TEXT NOT NULL DEFAULT '',
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (person_id, source_id)
);
-- No index on source_id alone: nothing looks parts up by source alone (statistics read them
-- all), and an import's lookup goes through the person's ID hash, then this key.

CREATE TABLE data_person_conflict (
    id              INTEGER PRIMARY KEY,
    person_id       INTEGER NOT NULL REFERENCES data_person(id),
    field           TEXT NOT NULL,
    held_source_id  INTEGER,
    offered_source_id INTEGER NOT NULL REFERENCES data_source(id),
    -- sealed, and its keyed hash (one open conflict per offered value)
    offered_value   TEXT NOT NULL,
    offered_key     TEXT NOT NULL,
    -- open, accepted, kept
    state           TEXT NOT NULL,
    decided_by      TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    decided_at      INTEGER
);
CREATE INDEX data_person_conflict_state ON data_person_conflict (state, id);
CREATE INDEX data_person_conflict_person ON data_person_conflict (person_id, field);
