-- 订阅: what was published that citizens can subscribe to (a content change, announced once by the
-- module that published it, with the topics it falls under), who subscribed to which topics how
-- often, and what was sent to whom (so that no node and no restart sends anything twice).
CREATE TABLE publication (
    id            INTEGER PRIMARY KEY,
    source        TEXT NOT NULL UNIQUE,
    site_id       BIGINT NOT NULL,
    title         TEXT NOT NULL,
    path          TEXT NOT NULL,
    summary       TEXT NOT NULL DEFAULT '',
    published_at  BIGINT NOT NULL,
    alerted_at    BIGINT
);
CREATE INDEX publication_unalerted ON publication (alerted_at, id);
CREATE INDEX publication_published ON publication (published_at);

CREATE TABLE publication_topic (
    publication_id  BIGINT NOT NULL REFERENCES publication (id) ON DELETE CASCADE,
    topic      TEXT NOT NULL,
    PRIMARY KEY (publication_id, topic)
);
CREATE INDEX publication_topic_topic ON publication_topic (topic, publication_id);

-- A subscriber: one address (sealed; found by its keyed hash) on one site, by mail or SMS.
CREATE TABLE subscriber (
    id             INTEGER PRIMARY KEY,
    site_id        BIGINT NOT NULL,
    channel        TEXT NOT NULL,
    address        TEXT NOT NULL,
    address_hash   TEXT NOT NULL,
    frequency      TEXT NOT NULL,
    state          TEXT NOT NULL DEFAULT 'pending',
    nonce          TEXT NOT NULL,
    code_hash      TEXT NOT NULL DEFAULT '',
    code_attempts  BIGINT NOT NULL DEFAULT 0,
    -- Keyed hash of the address the request came from (rate limits), and when we last wrote to
    -- the subscriber about the subscription itself (confirmation, management link).
    requested_from TEXT NOT NULL DEFAULT '',
    contacted_at   BIGINT NOT NULL DEFAULT 0,
    created_at     BIGINT NOT NULL,
    confirmed_at   BIGINT,
    ended_at       BIGINT,
    ended_how      TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX subscriber_address ON subscriber (site_id, channel, address_hash) WHERE address_hash <> '';
CREATE INDEX subscriber_state ON subscriber (state, frequency);

CREATE TABLE subscription (
    subscriber_id  BIGINT NOT NULL REFERENCES subscriber (id) ON DELETE CASCADE,
    topic          TEXT NOT NULL,
    PRIMARY KEY (subscriber_id, topic)
);
CREATE INDEX subscription_topic ON subscription (topic, subscriber_id);

-- Immediate alerts sent: one row per subscriber and change.
CREATE TABLE alert_sent (
    publication_id      BIGINT NOT NULL REFERENCES publication (id) ON DELETE CASCADE,
    subscriber_id  BIGINT NOT NULL,
    PRIMARY KEY (publication_id, subscriber_id)
);

-- Digest runs (daily at 08:00, weekly on Monday at 08:00, Beijing time) and who each reached.
CREATE TABLE digest_run (
    id           INTEGER PRIMARY KEY,
    frequency    TEXT NOT NULL,
    period       TEXT NOT NULL,
    window_from  BIGINT NOT NULL,
    window_to    BIGINT NOT NULL,
    started_at   BIGINT NOT NULL,
    finished_at  BIGINT,
    sent         BIGINT NOT NULL DEFAULT 0,
    UNIQUE (frequency, period)
);
CREATE TABLE digest_sent (
    run_id         BIGINT NOT NULL REFERENCES digest_run (id) ON DELETE CASCADE,
    subscriber_id  BIGINT NOT NULL,
    PRIMARY KEY (run_id, subscriber_id)
);

-- Bulk mail carries its one-click unsubscribe address (RFC 8058 headers).
ALTER TABLE outbox ADD COLUMN unsubscribe TEXT NOT NULL DEFAULT '';
