-- 动态监测: stations (water level, storage, air quality, emissions) with an ingest key, their
-- metrics with units, sampling interval and thresholds, raw points, and the hourly / daily /
-- monthly rollups public pages read (kept at write time). Alarms when a value crosses a threshold.

CREATE TABLE data_station (
    id              INTEGER PRIMARY KEY,
    code            TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    -- water_level, storage, air, emission
    kind            TEXT NOT NULL,
    org_id          BIGINT NOT NULL REFERENCES org_unit(id),
    address         TEXT NOT NULL DEFAULT '',
    lon             REAL,
    lat             REAL,
    -- SHA-256 of the ingest key (the key is shown once)
    key_hash        TEXT NOT NULL DEFAULT '',
    alarm_email     TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);

CREATE TABLE data_metric (
    id              INTEGER PRIMARY KEY,
    station_id      BIGINT NOT NULL REFERENCES data_station(id),
    -- pm25, pm10, so2, no2, co, o3, level, storage, cod …
    code            TEXT NOT NULL,
    name            TEXT NOT NULL,
    unit            TEXT NOT NULL DEFAULT '',
    -- seconds between samples, for coverage
    interval_secs   BIGINT NOT NULL DEFAULT 3600,
    low             REAL,
    high            REAL,
    last_ts         BIGINT,
    last_value      REAL,
    UNIQUE (station_id, code)
);

CREATE TABLE data_point (
    metric_id       BIGINT NOT NULL REFERENCES data_metric(id),
    ts              BIGINT NOT NULL,
    value           REAL NOT NULL,
    PRIMARY KEY (metric_id, ts)
);

CREATE TABLE data_rollup (
    metric_id       BIGINT NOT NULL REFERENCES data_metric(id),
    -- hour, day, month (Beijing time); start is the bucket's first second
    period          TEXT NOT NULL,
    start           BIGINT NOT NULL,
    n               BIGINT NOT NULL,
    total           REAL NOT NULL,
    min             REAL NOT NULL,
    max             REAL NOT NULL,
    PRIMARY KEY (metric_id, period, start)
);

CREATE TABLE data_alarm (
    id              INTEGER PRIMARY KEY,
    metric_id       BIGINT NOT NULL REFERENCES data_metric(id),
    ts              BIGINT NOT NULL,
    value           REAL NOT NULL,
    -- high, low
    kind            TEXT NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX data_alarm_metric ON data_alarm (metric_id, ts);
