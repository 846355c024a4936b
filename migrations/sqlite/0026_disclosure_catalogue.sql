-- 主动公开 catalogue: a published document (a CMS article, referred to by id) catalogued with the
-- metadata of 政府信息公开目录 and an index number (索引号) given once per disclosing agency and
-- never reused; the sequence per agency and year is kept in its own row so concurrent
-- cataloguing cannot hand out one number twice.

CREATE TABLE disclosure_item (
    id            INTEGER PRIMARY KEY,
    document_id   BIGINT NOT NULL UNIQUE,
    org_id        BIGINT NOT NULL REFERENCES org_unit(id),
    index_no      TEXT NOT NULL UNIQUE,
    title         TEXT NOT NULL,
    url           TEXT NOT NULL,
    topic         TEXT NOT NULL,
    genre         TEXT NOT NULL DEFAULT '',
    issuer        TEXT NOT NULL DEFAULT '',
    -- 文号 with its year bracket normalised to 〔〕 and no spaces (exact search and filters)
    doc_no        TEXT NOT NULL DEFAULT '',
    written_on    TEXT,
    published_on  TEXT NOT NULL,
    -- When the information was formed or changed (Art. 26: published within 20 working days).
    formed_on     TEXT,
    keywords      TEXT NOT NULL DEFAULT '',
    summary       TEXT NOT NULL DEFAULT '',
    -- valid, invalid (失效), repealed (废止)
    validity      TEXT NOT NULL DEFAULT 'valid',
    invalid_on    TEXT,
    replaced_by   TEXT NOT NULL DEFAULT '',
    method        TEXT NOT NULL DEFAULT '政府网站',
    scope         TEXT NOT NULL DEFAULT '面向社会',
    year          BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    updated_by    TEXT NOT NULL
);
CREATE INDEX disclosure_item_org ON disclosure_item (org_id, published_on);
CREATE INDEX disclosure_item_topic ON disclosure_item (topic, published_on);
CREATE INDEX disclosure_item_doc_no ON disclosure_item (doc_no);

CREATE TABLE disclosure_index_seq (
    org_id    BIGINT NOT NULL,
    year      BIGINT NOT NULL,
    last_seq  BIGINT NOT NULL,
    PRIMARY KEY (org_id, year)
);
