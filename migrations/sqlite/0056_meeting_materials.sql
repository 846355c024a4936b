-- 会议通知, paperless meetings: the materials the organiser attaches (kept by content hash in the
-- meetings file area, `<sha256>.<ext>`), readable only by the organiser and the invited units.

CREATE TABLE office_meeting_material (
    id              INTEGER PRIMARY KEY,
    meeting_id      BIGINT NOT NULL REFERENCES office_meeting(id),
    name            TEXT NOT NULL,
    mime            TEXT NOT NULL,
    size            BIGINT NOT NULL,
    file            TEXT NOT NULL,
    uploaded_by     TEXT NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX office_meeting_material_meeting ON office_meeting_material (meeting_id);
