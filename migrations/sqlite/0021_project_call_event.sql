-- Every stage change of a project call: who moved it, when, from which stage to which.
CREATE TABLE project_call_event (
    id          INTEGER PRIMARY KEY,
    call_id     BIGINT NOT NULL REFERENCES project_call (id),
    from_state  TEXT NOT NULL,
    to_state    TEXT NOT NULL,
    actor_id    BIGINT,
    actor_name  TEXT NOT NULL,
    at          BIGINT NOT NULL
);
CREATE INDEX project_call_event_call ON project_call_event (call_id, id);
