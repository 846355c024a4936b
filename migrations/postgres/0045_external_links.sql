-- The register of external links published content points to and what checking them found
-- (platform::links): broken only after two failures an hour apart; 429/403 kept as unverifiable.
CREATE TABLE external_link (
    url              TEXT PRIMARY KEY,
    host             TEXT NOT NULL,
    state            TEXT NOT NULL DEFAULT 'new',
    failures         BIGINT NOT NULL DEFAULT 0,
    first_failed_at  BIGINT,
    last_checked_at  BIGINT,
    last_seen_at     BIGINT NOT NULL,
    detail           TEXT NOT NULL DEFAULT ''
);
CREATE INDEX external_link_due ON external_link (last_checked_at);
