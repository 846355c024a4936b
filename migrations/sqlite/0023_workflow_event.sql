-- One transition record for every flow (letters, applications, project calls; disclosure requests,
-- proposals and documents next): the workflow kernel writes it in the transition's transaction.
-- The three per-module event tables are folded into it, oldest first, and dropped.
CREATE TABLE workflow_event (
    id          INTEGER PRIMARY KEY,
    flow        TEXT NOT NULL,
    subject_id  BIGINT NOT NULL,
    action      TEXT NOT NULL,
    from_state  TEXT NOT NULL,
    to_state    TEXT NOT NULL,
    step        BIGINT NOT NULL DEFAULT 0,
    actor       TEXT NOT NULL,
    actor_id    BIGINT,
    comment     TEXT NOT NULL DEFAULT '',
    at          BIGINT NOT NULL
);
CREATE INDEX workflow_event_subject ON workflow_event (flow, subject_id, id);

INSERT INTO workflow_event (flow, subject_id, action, from_state, to_state, step, actor, actor_id, comment, at)
SELECT 'letter', letter_id, action, from_state, to_state, 0, actor, NULL, comment, at FROM letter_event ORDER BY id;
INSERT INTO workflow_event (flow, subject_id, action, from_state, to_state, step, actor, actor_id, comment, at)
SELECT 'application', application_id, action, from_state, to_state, step, actor, actor_id, comment, at FROM application_event ORDER BY id;
INSERT INTO workflow_event (flow, subject_id, action, from_state, to_state, step, actor, actor_id, comment, at)
SELECT 'project_call', call_id, 'stage', from_state, to_state, 0, actor_name, actor_id, '', at FROM project_call_event ORDER BY id;

DROP TABLE letter_event;
DROP TABLE application_event;
DROP TABLE project_call_event;

-- The outbox carries text messages too.
ALTER TABLE outbox ADD COLUMN channel TEXT NOT NULL DEFAULT 'mail';
