-- CMS: sites of the site group, channel trees, articles with revisions and review, placements in
-- several channels/sites (引用/推送), attachments, site template overrides, publication quotas, and
-- the change feed other nodes follow to invalidate their page caches.

CREATE TABLE site (
    id            INTEGER PRIMARY KEY,
    code          TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL,
    -- 网站标识码: 10 digits, or "bm" + 8 digits for central departments.
    site_id_code  TEXT NOT NULL,
    host          TEXT,
    path_prefix   TEXT NOT NULL,
    owner_org_id  BIGINT REFERENCES org_unit(id),
    template_set  TEXT NOT NULL DEFAULT 'default',
    locale        TEXT NOT NULL DEFAULT 'zh-CN',
    sponsor       TEXT NOT NULL,
    contact       TEXT NOT NULL,
    icp           TEXT NOT NULL,
    psb           TEXT NOT NULL,
    error_link    TEXT NOT NULL,
    description   TEXT NOT NULL DEFAULT '',
    sort_order    BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL
);

CREATE TABLE channel (
    id              INTEGER PRIMARY KEY,
    site_id         BIGINT NOT NULL REFERENCES site(id),
    parent_id       BIGINT REFERENCES channel(id),
    name            TEXT NOT NULL,
    slug            TEXT NOT NULL,
    kind            TEXT NOT NULL,
    sort_order      BIGINT NOT NULL DEFAULT 0,
    dept_org_id     BIGINT REFERENCES org_unit(id),
    update_class    TEXT NOT NULL DEFAULT 'none',
    link_url        TEXT NOT NULL DEFAULT '',
    body            TEXT NOT NULL DEFAULT '',
    description     TEXT NOT NULL DEFAULT '',
    banner          TEXT NOT NULL DEFAULT '',
    archived        BOOLEAN NOT NULL DEFAULT FALSE,
    show_on_home    BOOLEAN NOT NULL DEFAULT FALSE,
    -- JSON list of review steps; empty means the default 部门审核 → 办公室终审.
    workflow        TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    UNIQUE (site_id, slug)
);
CREATE INDEX channel_site ON channel (site_id, parent_id, sort_order);

-- The row holds the live (published) copy that public pages read; edits go to revisions and reach
-- the row only when the review is complete, so a revised article stays live in its old form.
CREATE TABLE article (
    id                  INTEGER PRIMARY KEY,
    site_id             BIGINT NOT NULL REFERENCES site(id),
    channel_id          BIGINT NOT NULL REFERENCES channel(id),
    org_id              BIGINT REFERENCES org_unit(id),
    title               TEXT NOT NULL,
    subtitle            TEXT NOT NULL DEFAULT '',
    source              TEXT NOT NULL DEFAULT '',
    author              TEXT NOT NULL DEFAULT '',
    editor              TEXT NOT NULL DEFAULT '',
    summary             TEXT NOT NULL DEFAULT '',
    body                TEXT NOT NULL DEFAULT '',
    cover               TEXT NOT NULL DEFAULT '',
    keywords            TEXT NOT NULL DEFAULT '',
    doc_number          TEXT NOT NULL DEFAULT '',
    link_url            TEXT NOT NULL DEFAULT '',
    validity            TEXT NOT NULL DEFAULT 'valid',
    pinned              BOOLEAN NOT NULL DEFAULT FALSE,
    pin_order           BIGINT NOT NULL DEFAULT 0,
    pub_at              BIGINT NOT NULL,
    state               TEXT NOT NULL,
    review_state        TEXT NOT NULL,
    review_step         BIGINT NOT NULL DEFAULT 0,
    withdraw_reason     TEXT NOT NULL DEFAULT '',
    scheduled_at        BIGINT,
    unpublish_at        BIGINT,
    live_revision       BIGINT NOT NULL DEFAULT 0,
    latest_revision     BIGINT NOT NULL DEFAULT 0,
    created_by          BIGINT NOT NULL,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    published_at        BIGINT,
    views               BIGINT NOT NULL DEFAULT 0,
    -- Who has the edit form open, so a second editor is warned.
    editing_by          BIGINT,
    editing_at          BIGINT
);
CREATE INDEX article_state ON article (state, review_state);
CREATE INDEX article_creator ON article (created_by, updated_at);
CREATE INDEX article_sched ON article (scheduled_at);
CREATE INDEX article_unpub ON article (unpublish_at);
CREATE INDEX article_org_pub ON article (org_id, published_at);
CREATE INDEX article_published ON article (published_at);

CREATE TABLE article_revision (
    id          INTEGER PRIMARY KEY,
    article_id  BIGINT NOT NULL REFERENCES article(id),
    rev_no      BIGINT NOT NULL,
    data        TEXT NOT NULL,
    created_by  BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    UNIQUE (article_id, rev_no)
);

-- Where an article appears. The primary channel is one row; each 引用/推送 adds another, possibly
-- on another site. Public lists read this table; `pub_at`, `pinned` and `live` are copied here so a
-- channel page is one index range scan even with a million articles.
CREATE TABLE placement (
    article_id  BIGINT NOT NULL REFERENCES article(id),
    channel_id  BIGINT NOT NULL REFERENCES channel(id),
    site_id     BIGINT NOT NULL REFERENCES site(id),
    pub_at      BIGINT NOT NULL,
    pinned      BOOLEAN NOT NULL DEFAULT FALSE,
    pin_order   BIGINT NOT NULL DEFAULT 0,
    live        BOOLEAN NOT NULL DEFAULT FALSE,
    added_by    BIGINT NOT NULL,
    PRIMARY KEY (article_id, channel_id)
);
CREATE INDEX placement_list ON placement (channel_id, live, pinned, pin_order, pub_at);
CREATE INDEX placement_site ON placement (site_id, live, pub_at);

CREATE TABLE article_event (
    id           INTEGER PRIMARY KEY,
    article_id   BIGINT NOT NULL REFERENCES article(id),
    revision     BIGINT NOT NULL,
    action       TEXT NOT NULL,
    from_state   TEXT NOT NULL,
    to_state     TEXT NOT NULL,
    actor_id     BIGINT,
    actor        TEXT NOT NULL,
    comment      TEXT NOT NULL DEFAULT '',
    at           BIGINT NOT NULL
);
CREATE INDEX article_event_article ON article_event (article_id, id);

CREATE TABLE attachment (
    id           INTEGER PRIMARY KEY,
    article_id   BIGINT REFERENCES article(id),
    filename     TEXT NOT NULL,
    stored_name  TEXT NOT NULL,
    mime         TEXT NOT NULL,
    size         BIGINT NOT NULL,
    sha256       TEXT NOT NULL,
    downloads    BIGINT NOT NULL DEFAULT 0,
    uploaded_by  BIGINT NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX attachment_article ON attachment (article_id);

-- Site template overrides with versions; the highest version of a name is live.
CREATE TABLE site_template (
    id          INTEGER PRIMARY KEY,
    site_id     BIGINT NOT NULL REFERENCES site(id),
    name        TEXT NOT NULL,
    version     BIGINT NOT NULL,
    source      TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    UNIQUE (site_id, name, version)
);

-- 年度信息发布指标: the number of articles each department should publish in a year.
CREATE TABLE publish_quota (
    org_id  BIGINT NOT NULL REFERENCES org_unit(id),
    year    BIGINT NOT NULL,
    target  BIGINT NOT NULL,
    PRIMARY KEY (org_id, year)
);

-- Change feed: every publication change writes the cache tags it touches; each node follows the
-- feed to drop exactly those pages from its in-memory cache (and later its search index).
CREATE TABLE content_change (
    id    INTEGER PRIMARY KEY,
    tags  TEXT NOT NULL,
    at    BIGINT NOT NULL
);
