-- Holiday schedule days added by administrators when the State Council publishes a new year's
-- 放假安排 (the shipped years are in crates/platform/data/holidays.txt). A row overrides the
-- shipped data for its day. kind: 'holiday' (休) or 'workday' (班).
CREATE TABLE calendar_day (
    day       TEXT PRIMARY KEY,
    kind      TEXT NOT NULL,
    name      TEXT NOT NULL,
    added_by  TEXT NOT NULL,
    added_at  BIGINT NOT NULL
);
