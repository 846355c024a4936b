-- 机关效能评价窗口: the staff of the units who face the public (name, post, duties, office phone,
-- photo), citizens' ratings of them (满意/基本满意/不满意 with an optional comment, premoderated;
-- one per browser per staff member per calendar month) and the monthly counts of published ratings
-- that statistics read.
CREATE TABLE rated_staff (
    id           BIGSERIAL PRIMARY KEY,
    org_id       BIGINT NOT NULL REFERENCES org_unit (id),
    name         TEXT NOT NULL,
    post         TEXT NOT NULL DEFAULT '',
    duties       TEXT NOT NULL DEFAULT '',
    office_phone TEXT NOT NULL DEFAULT '',
    photo        TEXT NOT NULL DEFAULT '',
    sort_order   BIGINT NOT NULL DEFAULT 0,
    active       BOOLEAN NOT NULL DEFAULT TRUE,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX rated_staff_org ON rated_staff (org_id, active, sort_order, id);

-- state: pending → published | rejected. voter is a keyed hash of the browser's token, ip_hash of
-- the client address (rate limits): neither can be turned back into a person or an address.
CREATE TABLE staff_rating (
    id           BIGSERIAL PRIMARY KEY,
    staff_id     BIGINT NOT NULL REFERENCES rated_staff (id) ON DELETE CASCADE,
    org_id       BIGINT NOT NULL,
    verdict      BIGINT NOT NULL,
    comment      TEXT NOT NULL DEFAULT '',
    state        TEXT NOT NULL DEFAULT 'pending',
    month        TEXT NOT NULL,
    voter        TEXT NOT NULL,
    ip_hash      TEXT NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL,
    moderated_by TEXT NOT NULL DEFAULT '',
    moderated_at BIGINT,
    reason       TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX staff_rating_once ON staff_rating (staff_id, month, voter);
CREATE INDEX staff_rating_queue ON staff_rating (state, org_id, id);
CREATE INDEX staff_rating_staff ON staff_rating (staff_id, state, id);
CREATE INDEX staff_rating_from ON staff_rating (ip_hash, created_at);

CREATE TABLE staff_rating_tally (
    staff_id     BIGINT NOT NULL,
    org_id       BIGINT NOT NULL,
    month        TEXT NOT NULL,
    satisfied    BIGINT NOT NULL DEFAULT 0,
    basic        BIGINT NOT NULL DEFAULT 0,
    unsatisfied  BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (staff_id, org_id, month)
);
CREATE INDEX staff_rating_tally_org ON staff_rating_tally (org_id, month);
