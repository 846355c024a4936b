-- 课件库 (seed 002's 农村远程教育 window): categories of courseware and the items in them — a video
-- file (MP4, served with range requests) or an external stream, poster, captions (WebVTT), a PDF
-- handout — with view counts and readers' ratings.

CREATE TABLE course_category (
    id              BIGSERIAL PRIMARY KEY,
    name            TEXT NOT NULL,
    sort_order      BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX course_category_name ON course_category (name);

CREATE TABLE course (
    id              BIGSERIAL PRIMARY KEY,
    category_id     BIGINT NOT NULL REFERENCES course_category(id),
    title           TEXT NOT NULL,
    summary         TEXT NOT NULL DEFAULT '',
    teacher         TEXT NOT NULL DEFAULT '',
    -- read from the MP4's movie header, or typed for a stream
    duration        BIGINT NOT NULL DEFAULT 0,
    -- the video in the file store by content hash, or an external stream address
    video_sha       TEXT NOT NULL DEFAULT '',
    video_size      BIGINT NOT NULL DEFAULT 0,
    stream_url      TEXT NOT NULL DEFAULT '',
    poster_sha      TEXT NOT NULL DEFAULT '',
    captions        TEXT NOT NULL DEFAULT '',
    handout_sha     TEXT NOT NULL DEFAULT '',
    handout_name    TEXT NOT NULL DEFAULT '',
    published       BOOLEAN NOT NULL DEFAULT FALSE,
    views           BIGINT NOT NULL DEFAULT 0,
    rating_sum      BIGINT NOT NULL DEFAULT 0,
    rating_count    BIGINT NOT NULL DEFAULT 0,
    created_by      TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX course_category_list ON course (category_id, published, id);
CREATE INDEX course_updated ON course (updated_at, id);

-- One browser's rating of an item (1–5).
CREATE TABLE course_rating (
    id              BIGSERIAL PRIMARY KEY,
    course_id       BIGINT NOT NULL REFERENCES course(id),
    voter           TEXT NOT NULL,
    stars           BIGINT NOT NULL,
    at              BIGINT NOT NULL
);
CREATE UNIQUE INDEX course_rating_once ON course_rating (course_id, voter);
