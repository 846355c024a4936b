-- 监督考核: the 错敏词 dictionary every content check reads (the pre-publication gate and the
-- monitor), each site's monitor settings (the public address its availability is probed at and who
-- receives pre-warnings), the probes, one stored monitor result per site and day (its score and
-- findings), and the pre-warnings already sent (one per site, indicator and subject a day).

CREATE TABLE wording_rule (
    id          INTEGER PRIMARY KEY,
    wrong       TEXT NOT NULL UNIQUE,
    correct     TEXT NOT NULL DEFAULT '',
    -- serious (严重表述错误: blocks publication, a veto item) or general (一般错别字: a warning)
    severity    TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    created_by  TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE monitor_site (
    site_id        BIGINT PRIMARY KEY,
    probe_url      TEXT NOT NULL DEFAULT '',
    warning_email  TEXT NOT NULL DEFAULT '',
    updated_at     BIGINT NOT NULL
);

CREATE TABLE monitor_probe (
    id          INTEGER PRIMARY KEY,
    site_id     BIGINT NOT NULL,
    at          BIGINT NOT NULL,
    url         TEXT NOT NULL,
    status      BIGINT,
    ok          BOOLEAN NOT NULL,
    millis      BIGINT NOT NULL,
    error       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX monitor_probe_site ON monitor_probe (site_id, at);

CREATE TABLE monitor_result (
    id          INTEGER PRIMARY KEY,
    site_id     BIGINT NOT NULL,
    -- Beijing date, YYYY-MM-DD
    day         TEXT NOT NULL,
    at          BIGINT NOT NULL,
    -- pass, fail_veto, fail_score
    verdict     TEXT NOT NULL,
    score       DOUBLE PRECISION NOT NULL,
    vetoes      BIGINT NOT NULL,
    problems    BIGINT NOT NULL,
    warnings    BIGINT NOT NULL,
    -- JSON list of findings
    findings    TEXT NOT NULL,
    UNIQUE (site_id, day)
);

CREATE TABLE monitor_warning_sent (
    site_id     BIGINT NOT NULL,
    indicator   TEXT NOT NULL,
    subject     TEXT NOT NULL,
    day         TEXT NOT NULL,
    PRIMARY KEY (site_id, indicator, subject, day)
);
