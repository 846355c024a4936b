-- Links between published documents declared by a module (a policy and its interpretations); the
-- page of document_id lists each. One row per document, declaring module and linked address.
CREATE TABLE document_link (
    id           INTEGER PRIMARY KEY,
    document_id  BIGINT NOT NULL,
    source       TEXT NOT NULL,
    label        TEXT NOT NULL,
    title        TEXT NOT NULL,
    url          TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    UNIQUE (document_id, source, url)
);
