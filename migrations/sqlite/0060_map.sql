-- 地图: points of interest filled through the import framework (target poi, keyed by 编号).
-- Coordinates are kept as the normalised decimal text the import wrote (six decimals); the map
-- reads every point into memory once per change and clusters there, so no query needs them as
-- numbers.
CREATE TABLE data_poi (
    id              INTEGER PRIMARY KEY,
    code            TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    -- domain::POI_CATEGORIES
    category        TEXT NOT NULL,
    -- GB/T 2260 county-level code
    area_code       TEXT NOT NULL DEFAULT '',
    address         TEXT NOT NULL DEFAULT '',
    lng             TEXT NOT NULL,
    lat             TEXT NOT NULL,
    phone           TEXT NOT NULL DEFAULT '',
    hours           TEXT NOT NULL DEFAULT '',
    -- what is there: http(s) address or a path on our site (a service hall's items)
    url             TEXT NOT NULL DEFAULT '',
    description     TEXT NOT NULL DEFAULT '',
    row_hash        TEXT NOT NULL,
    source_id       BIGINT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX data_poi_updated ON data_poi (updated_at);
