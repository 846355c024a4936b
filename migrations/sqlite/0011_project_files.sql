-- Files of project calls: the call's own documents (application_id NULL, public) and the files
-- organisations attach to their applications (seen by the managing department and the experts
-- assigned to that application only).
CREATE TABLE project_file (
    id              INTEGER PRIMARY KEY,
    call_id         BIGINT NOT NULL REFERENCES project_call(id),
    application_id  BIGINT REFERENCES project_application(id),
    name            TEXT NOT NULL,
    stored          TEXT NOT NULL,
    size            BIGINT NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX project_file_call ON project_file (call_id, application_id);
