-- 政务值班, 调班: a person on duty asks to trade their day with a colleague's day in the same role;
-- the duty office approves (the two shifts trade people) or refuses. The names on both shifts at
-- the time of asking are kept, so an approval of a stale request is refused.

CREATE TABLE office_duty_swap (
    id                  INTEGER PRIMARY KEY,
    -- leader (带班领导), officer (值班员)
    role                TEXT NOT NULL,
    day                 TEXT NOT NULL,
    with_day            TEXT NOT NULL,
    requester           TEXT NOT NULL,
    counterpart         TEXT NOT NULL,
    reason              TEXT NOT NULL,
    -- pending, approved, rejected
    state               TEXT NOT NULL,
    requested_by        TEXT NOT NULL,
    requested_by_user   BIGINT REFERENCES app_user(id),
    decided_by          TEXT NOT NULL DEFAULT '',
    decision_note       TEXT NOT NULL DEFAULT '',
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
CREATE INDEX office_duty_swap_state ON office_duty_swap (state, id);
