-- 直播 (seed 002's 动态北仑 video points and event coverage): an interview of the kind 活动直播
-- carries the address of its video stream; camera points (视频点位) with their stream, where they
-- are, the snapshot the module keeps refreshing and the history of availability checks.

ALTER TABLE interview ADD COLUMN video_url TEXT NOT NULL DEFAULT '';

CREATE TABLE camera_point (
    id              BIGSERIAL PRIMARY KEY,
    name            TEXT NOT NULL,
    -- 所在区域 (街道、镇) and 位置说明
    area            TEXT NOT NULL DEFAULT '',
    place           TEXT NOT NULL DEFAULT '',
    lon             DOUBLE PRECISION,
    lat             DOUBLE PRECISION,
    -- HLS (.m3u8), FLV over HTTP or MP4 from the streaming server
    stream_url      TEXT NOT NULL,
    -- the camera's JPEG/PNG snapshot address (optional)
    snapshot_url    TEXT NOT NULL DEFAULT '',
    published       BOOLEAN NOT NULL DEFAULT TRUE,
    sort_order      BIGINT NOT NULL DEFAULT 0,
    -- unknown, online, offline (from the last check)
    status          TEXT NOT NULL DEFAULT 'unknown',
    status_detail   TEXT NOT NULL DEFAULT '',
    checked_at      BIGINT,
    online_at       BIGINT,
    -- the last snapshot in the file store by content hash
    snapshot_sha    TEXT NOT NULL DEFAULT '',
    snapshot_at     BIGINT,
    created_by      TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE UNIQUE INDEX camera_point_name ON camera_point (name);

CREATE TABLE camera_check (
    id              BIGSERIAL PRIMARY KEY,
    point_id        BIGINT NOT NULL REFERENCES camera_point(id) ON DELETE CASCADE,
    at              BIGINT NOT NULL,
    ok              BOOLEAN NOT NULL,
    millis          BIGINT NOT NULL,
    error           TEXT NOT NULL DEFAULT ''
);
CREATE INDEX camera_check_point ON camera_check (point_id, at);
