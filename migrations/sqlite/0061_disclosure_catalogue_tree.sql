-- Each agency's catalogue tree and its automatic feed.
--
-- Art. 26 (published more than 20 working days after the information was formed or changed) is
-- worked out when an item is written, on the shared calendar, and kept as a flag the office's list
-- reads through an index; NULL until computed (items written before this column existed are
-- computed by the catalogue feed when a node starts).
ALTER TABLE disclosure_item ADD COLUMN late BOOLEAN;
UPDATE disclosure_item SET late = FALSE WHERE formed_on IS NULL;
CREATE INDEX disclosure_item_late ON disclosure_item (late, published_on);
-- 有效性 to review: valid documents written long ago, oldest first.
CREATE INDEX disclosure_item_review ON disclosure_item (validity, written_on);
-- The office's list of one agency's items, newest first.
CREATE INDEX disclosure_item_org_published ON disclosure_item (org_id, published_on, id);
-- Lists of closed requests, newest first, paged by keyset (submitted_at, id).
CREATE INDEX disclosure_request_submitted ON disclosure_request (state, submitted_at, id);

-- 本机关自定义类目: categories an agency adds after the Art. 20 / 21 ones.
CREATE TABLE disclosure_topic (
    id          INTEGER PRIMARY KEY,
    org_id      BIGINT NOT NULL REFERENCES org_unit(id),
    name        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    created_by  TEXT NOT NULL,
    UNIQUE (org_id, name)
);

-- 目录栏目: a publication topic (a CMS column, `channel:12`) bound to an agency's category; what
-- is first published under it is catalogued automatically with that category and genre.
CREATE TABLE disclosure_binding (
    id          INTEGER PRIMARY KEY,
    topic       TEXT NOT NULL UNIQUE,
    label       TEXT NOT NULL,
    site_id     BIGINT NOT NULL,
    org_id      BIGINT NOT NULL REFERENCES org_unit(id),
    category    TEXT NOT NULL,
    genre       TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    created_by  TEXT NOT NULL
);

-- How far the feed has read the platform's publication record (one row).
CREATE TABLE disclosure_feed (
    id                   INTEGER PRIMARY KEY CHECK (id = 1),
    last_publication_id  BIGINT NOT NULL
);
