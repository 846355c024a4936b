-- 协同办公, 会议通知: a unit's meeting notice to invited units, each unit's 回执 (who attends, or
-- why not) before the reply deadline, reminders, the sign-in on the day and the minutes.

CREATE TABLE office_meeting (
    id              INTEGER PRIMARY KEY,
    org_id          BIGINT NOT NULL REFERENCES org_unit(id),
    title           TEXT NOT NULL,
    place           TEXT NOT NULL,
    starts_at       BIGINT NOT NULL,
    ends_at         BIGINT NOT NULL,
    agenda          TEXT NOT NULL DEFAULT '',
    -- the last moment for 回执
    reply_by        BIGINT NOT NULL,
    -- draft, sent, cancelled
    state           TEXT NOT NULL,
    minutes         TEXT NOT NULL DEFAULT '',
    minutes_at      BIGINT,
    created_by      TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    sent_at         BIGINT
);
CREATE INDEX office_meeting_org ON office_meeting (org_id, starts_at);

CREATE TABLE office_meeting_unit (
    id              INTEGER PRIMARY KEY,
    meeting_id      BIGINT NOT NULL REFERENCES office_meeting(id),
    unit_id         BIGINT NOT NULL REFERENCES org_unit(id),
    -- pending, attending, absent
    state           TEXT NOT NULL DEFAULT 'pending',
    -- one attendee per line: 姓名 职务
    attendees       TEXT NOT NULL DEFAULT '',
    reason          TEXT NOT NULL DEFAULT '',
    replied_by      TEXT NOT NULL DEFAULT '',
    replied_at      BIGINT,
    reminders       BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX office_meeting_unit_pair ON office_meeting_unit (meeting_id, unit_id);
CREATE INDEX office_meeting_unit_unit ON office_meeting_unit (unit_id);

-- Who signed in on the day (a name from the unit's 回执, or one added at the door).
CREATE TABLE office_meeting_checkin (
    id              INTEGER PRIMARY KEY,
    meeting_id      BIGINT NOT NULL REFERENCES office_meeting(id),
    unit_id         BIGINT NOT NULL REFERENCES org_unit(id),
    name            TEXT NOT NULL,
    at              BIGINT NOT NULL,
    recorded_by     TEXT NOT NULL
);
CREATE UNIQUE INDEX office_meeting_checkin_once ON office_meeting_checkin (meeting_id, unit_id, name);
