-- 访问统计: visits counted on the server, without third-party trackers. A visitor is a hash of
-- (site, address, user agent) under a random salt of the day; salts and the day's visitor hashes
-- are deleted once the day is over, so nothing kept can be joined back to an address. Counts are
-- rolled up when written, per day (YYYY-MM-DD), month (YYYY-MM) and year (YYYY), so a year's
-- statistics read a few hundred rows however many page views it had.

CREATE TABLE analytics_salt (
    day   TEXT PRIMARY KEY,
    salt  TEXT NOT NULL
);

-- Which visitors were already counted today in a scope (a site, a channel, a page): only a
-- salted hash, and only until the day ends.
CREATE TABLE analytics_seen (
    day      TEXT NOT NULL,
    scope    BIGINT NOT NULL,
    visitor  BIGINT NOT NULL,
    PRIMARY KEY (day, scope, visitor)
);

CREATE TABLE analytics_total (
    site_id   BIGINT NOT NULL,
    period    TEXT NOT NULL,
    views     BIGINT NOT NULL DEFAULT 0,
    visitors  BIGINT NOT NULL DEFAULT 0,
    entries   BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (site_id, period)
);

CREATE TABLE analytics_page (
    site_id     BIGINT NOT NULL,
    period      TEXT NOT NULL,
    path        TEXT NOT NULL,
    title       TEXT NOT NULL DEFAULT '',
    channel_id  BIGINT,
    article_id  BIGINT,
    views       BIGINT NOT NULL DEFAULT 0,
    visitors    BIGINT NOT NULL DEFAULT 0,
    entries     BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (site_id, period, path)
);
CREATE INDEX analytics_page_views ON analytics_page (site_id, period, views);
CREATE INDEX analytics_page_entries ON analytics_page (site_id, period, entries);

CREATE TABLE analytics_channel (
    site_id     BIGINT NOT NULL,
    period      TEXT NOT NULL,
    channel_id  BIGINT NOT NULL,
    name        TEXT NOT NULL DEFAULT '',
    views       BIGINT NOT NULL DEFAULT 0,
    visitors    BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (site_id, period, channel_id)
);

-- Referrer domains (ref), site-search terms (term) and device classes (device).
CREATE TABLE analytics_dim (
    site_id  BIGINT NOT NULL,
    period   TEXT NOT NULL,
    dim      TEXT NOT NULL,
    value    TEXT NOT NULL,
    n        BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (site_id, period, dim, value)
);
CREATE INDEX analytics_dim_top ON analytics_dim (site_id, period, dim, n);
