-- Mail that committed changes ask for, delivered by a worker with retries. The recipient is sealed
-- like every other stored address; a message that keeps failing ends as 'failed' for an operator.
CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY,
    recipient   TEXT NOT NULL,
    subject     TEXT NOT NULL,
    body        TEXT NOT NULL,
    state       TEXT NOT NULL DEFAULT 'pending',
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_at     BIGINT NOT NULL,
    last_error  TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    sent_at     BIGINT
);
CREATE INDEX outbox_due ON outbox (state, next_at);
