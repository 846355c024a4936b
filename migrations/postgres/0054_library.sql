-- 文库 (seed 002's 党政文库): a list channel made a library; its sub-channels are the categories
-- and its documents ordinary articles with the file attached (see crates/cms/src/library.rs).

CREATE TABLE library (
    id              BIGSERIAL PRIMARY KEY,
    site_id         BIGINT NOT NULL REFERENCES site(id),
    channel_id      BIGINT NOT NULL REFERENCES channel(id),
    name            TEXT NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE UNIQUE INDEX library_channel ON library (channel_id);
-- The library page filters by year and 发文机关 within a library's channels.
CREATE INDEX article_channel_pub ON article (channel_id, pub_at);
-- A file already in a library is found by its digest (imports can be repeated).
CREATE INDEX attachment_sha ON attachment (sha256);
