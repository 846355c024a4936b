-- 下级网站评估: an evaluation of a set of sites for a year under a score sheet (its indicators as
-- JSON, frozen when created), the evaluators' points, and — when published — every site's points
-- frozen with the monitor's part, so the published ranking never changes afterwards.
CREATE TABLE site_evaluation (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,
    year          BIGINT NOT NULL,
    indicators    TEXT NOT NULL,
    state         TEXT NOT NULL DEFAULT 'draft',
    created_by    TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    published_at  BIGINT
);

CREATE TABLE site_evaluation_site (
    evaluation_id BIGINT NOT NULL REFERENCES site_evaluation (id) ON DELETE CASCADE,
    site_id       BIGINT NOT NULL,
    PRIMARY KEY (evaluation_id, site_id)
);

CREATE TABLE site_evaluation_score (
    evaluation_id BIGINT NOT NULL REFERENCES site_evaluation (id) ON DELETE CASCADE,
    site_id       BIGINT NOT NULL,
    item          BIGINT NOT NULL,
    points        REAL NOT NULL,
    scored_by     TEXT NOT NULL,
    scored_at     BIGINT NOT NULL,
    PRIMARY KEY (evaluation_id, site_id, item)
);
